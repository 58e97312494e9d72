// Every 1-D pool, with its aliases and arguments.
kiln::model! {
    struct Pools {
        Input(20, 3), MaxPooling1D(2), AveragePooling1D(pool_size = 3, strides = 1, padding = same),
        MaxPool1D((2,), None, "same"), AvgPool1D(2, name = "avg"), GlobalMaxPooling1D(), Dense(2)
    }
    struct Average { Input(10, 2), GlobalAveragePooling1D(), Dense(1) }
}

fn main() {
    let _ = (Pools::new(0).predict(&[0.0; 60]), Average::new(0).predict(&[0.0; 20]));
}
