use kiln::model;

model! {
    /// A small classifier.
    pub struct Mlp {
        Input(4),
        Dense(8, activation = relu),
        Dropout(0.25),
        Dense(3, activation = softmax),
    }
}

#[test]
fn smoke() {
    let m = Mlp::new(1);
    println!("{}", m.summary());
    let y = m.predict(&[1.0f32, 2.0, 3.0, 4.0]);
    println!("{y}");
    let mut ws = m.workspace(2);
    let x = kiln::__private::SMatrix::<f32, 4, 2>::from_fn(|i, j| (i + j) as f32);
    let out = m.forward_batch(&mut ws, &x);
    println!("{out}");
}
