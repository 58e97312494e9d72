// A 2-D kernel has a height and a width.
kiln::model! {
    struct Net { Input(8, 8, 1), Conv2D(4, kernel_size = (3, 3, 3)), Flatten(), Dense(1) }
}

fn main() {}
