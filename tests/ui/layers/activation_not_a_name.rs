// An activation is a name such as `relu`, not a number.
kiln::model! {
    struct Net { Input(4), Dense(8, activation = 1.5), Dense(1) }
}

fn main() {}
