// A stride of zero would never move the window.
kiln::model! {
    struct Net { Input(8, 8, 1), Conv2D(4, 3, strides = (0, 1)), Flatten(), Dense(1) }
}

fn main() {}
