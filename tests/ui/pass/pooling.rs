// Every pooling layer and argument form Keras accepts.
kiln::model! {
    pub struct Pools {
        Input(28, 28, 3),
        MaxPooling2D(),
        MaxPool2D(2, None, same, name = "pool_a"),
        AveragePooling2D(pool_size = (3, 2), strides = (1, 2), padding = "same"),
        AvgPool2D(2, 1, "valid"),
        GlobalMaxPooling2D(name = "gmp"),
        Dense(4),
    }
    pub struct Global { Input(7, 6, 2), GlobalAveragePooling2D(), Dense(1) }
}

fn main() {
    assert_eq!(Pools::<f32>::OUTPUT_SIZE, 4);
    assert!(Pools::<f32>::SUMMARY.contains("pool_a (MaxPooling2D)"));
    assert!(Pools::<f32>::SUMMARY.contains("average_pooling2d_1 (AveragePooling2D)"));
    assert!(Global::<f32>::SUMMARY.contains("global_average_pooling2d (GlobalAveragePooling2D)"));
}
