// Every way of writing a Conv2D's arguments.
kiln::model! {
    struct Cnn {
        Input(28, 28, 1),
        Conv2D(8, 3, activation = relu),
        Conv2D(filters = 8, kernel_size = (3, 5), strides = 2, padding = same, activation = "relu"),
        Conv2D(4, [2, 2], (1, 2), "valid", use_bias = false, name = "head"),
        Flatten(),
        Dense(10, activation = softmax),
    }
}

fn main() {
    let model = Cnn::new(0);
    let _ = model.predict(&[0.0f32; 784]);
    assert_eq!(Cnn::<f32>::LAYERS[2].name, "head");
}
