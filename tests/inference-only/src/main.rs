//! Loads the main job's weights from a file with `kiln::io::load` and classifies a few
//! synthetic images: `kiln-inference-only <weights.safetensors>` prints `<k> <digit>` per image.

kiln::model! {
    /// The main job's classifier (`examples/mnist.rs`).
    struct Mlp {
        Input(784),
        Dense(64, activation = relu),
        Dense(64, activation = relu),
        Dense(10, activation = softmax),
    }
}

/// Test image `k` (the same as `tests/inference_only.rs`'s).
fn image(k: usize) -> [f32; 784] {
    core::array::from_fn(|i| ((i * 37 + k * 101) % 256) as f32 / 255.0)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: kiln-inference-only <weights>")?;
    let model: Mlp = kiln::io::load(&path)?;
    for k in 0..8 {
        println!("{k} {}", model.predict(&image(k)).argmax().0);
    }
    Ok(())
}
