// A sample of the wrong size does not type-check.
kiln::model! {
    struct Net { Input(784), Dense(10) }
}

fn main() {
    let net = Net::new(0);
    let _ = net.predict(&[0.0f32; 783]);
}
