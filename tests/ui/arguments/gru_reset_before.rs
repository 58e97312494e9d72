// kiln's GRU applies the reset gate after the recurrent product (Keras' default).
kiln::model! {
    struct Net { Input(10, 1), GRU(4, reset_after = false), Dense(1) }
}

fn main() {}
