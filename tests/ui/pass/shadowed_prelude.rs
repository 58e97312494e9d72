// Generated code survives a user who shadows prelude names (it uses `::core` paths).
#![allow(dead_code)]
struct Option;
struct Some;
struct None;
struct Box;
struct Vec;

kiln::model! {
    struct Net { Input(2), Dense(3, activation = relu), Dropout(0.1), Dense(1) }
}

fn main() {
    let _ = Net::new(0).predict(&[1.0f32, 2.0]);
}
