// Sizes named inside the `model!` are constants of the crate, and layer arguments read them,
// in tuples and blocks too.
kiln::model! {
    const STEPS: usize = 150;
    /// The number of classes.
    pub const CLASSES: usize = 10;
    const HIDDEN: usize = 2 * CLASSES + (STEPS - 150) / 7;
    struct Net { Input(STEPS, 1), LSTM(HIDDEN), Dense(CLASSES, activation = softmax) }
    const KERNEL: usize = 3;
    struct Conv {
        Input(shape = [STEPS, 1]),
        Residual { Conv1D(4, KERNEL, padding = same), Conv1D(1, KERNEL, padding = same) },
        GlobalAveragePooling1D(),
        Dense(CLASSES),
    }
}

fn main() {
    assert_eq!(Net::<f32>::INPUT_SIZE, STEPS);
    assert_eq!((HIDDEN, KERNEL), (20, 3));
    let y = Net::new(0).predict(&[0.5f32; STEPS]);
    assert_eq!(y.len(), CLASSES);
    assert_eq!(Conv::new(0).predict(&[0.5f32; STEPS]).len(), CLASSES);
}
