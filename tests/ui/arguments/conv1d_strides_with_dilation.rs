// Keras refuses a stride above 1 together with a dilation above 1, and so does kiln.
kiln::model! {
    struct Net { Input(16, 1), Conv1D(4, 3, strides = 2, dilation_rate = 2), Flatten(), Dense(1) }
}

fn main() {}
