// The projection shortcut must map the block input to the shape the block produces.
kiln::model! {
    struct Net {
        Input(8, 8, 3),
        Residual(shortcut = Conv2D(16, 1)) { Conv2D(16, 3, strides = 2, padding = same) },
        GlobalAveragePooling2D(),
        Dense(2),
    }
}

fn main() {}
