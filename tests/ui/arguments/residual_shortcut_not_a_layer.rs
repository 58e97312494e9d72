// A residual block's shortcut is a layer applied to the block's input.
kiln::model! {
    struct Net { Input(8), Residual(shortcut = 16) { Dense(16) }, Dense(2) }
}

fn main() {}
