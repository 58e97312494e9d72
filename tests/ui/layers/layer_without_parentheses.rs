// Every layer is a call, even without arguments.
kiln::model! {
    struct Net { Input(4, 4, 1), Flatten, Dense(1) }
}

fn main() {}
