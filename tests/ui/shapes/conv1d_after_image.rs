// Conv1D slides over time steps: it needs a sequence, not an image.
kiln::model! {
    struct Net { Input(8, 8, 1), Conv1D(4, 3), Flatten(), Dense(1) }
}

fn main() {}
