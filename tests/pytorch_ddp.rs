//! Training beyond one machine: `examples/pytorch/train_ddp.py` trains the main job's MLP with
//! PyTorch DistributedDataParallel (`torchrun --nproc_per_node=2`, gloo, 5 epochs) and saves its
//! state_dict as `examples/pytorch/mnist_ddp.safetensors`. kiln loads that file as it is and
//! classifies the 10,000 MNIST test images as PyTorch did (the script printed 0.9670).

use kiln::data::{load_idx_pair, MNIST_FILES};
use kiln::io;
use std::path::Path;

kiln::model! {
    /// The main job's classifier (`examples/mnist.rs`), i.e. the script's `nn.Sequential`.
    struct Mlp {
        Input(784),
        Dense(64, activation = relu),
        Dense(64, activation = relu),
        Dense(10, activation = softmax),
    }
}

#[test]
fn ddp_trained_weights_load_and_classify_mnist() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mlp: Mlp = io::load(repo.join("examples/pytorch/mnist_ddp.safetensors")).unwrap();
    let data = repo.join("data/mnist");
    let (images, labels) =
        load_idx_pair(data.join(MNIST_FILES[2]), data.join(MNIST_FILES[3]), 10).unwrap();
    let pixels: Vec<f32> = images.scaled();
    let correct = pixels
        .chunks_exact(784)
        .zip(&labels)
        .filter(|&(x, &label)| {
            let x: &[f32; 784] = x.try_into().unwrap();
            mlp.predict(x).argmax().0 == label as usize
        })
        .count();
    let accuracy = correct as f64 / labels.len() as f64;
    eprintln!(
        "DDP-trained weights in kiln: test accuracy {accuracy:.4} ({correct}/{})",
        labels.len()
    );
    assert_eq!(labels.len(), 10_000);
    // PyTorch's own figure is 0.9670; kiln's f32 sums may flip an image or two near a tie.
    assert!(
        (accuracy - 0.9670).abs() <= 0.0005,
        "accuracy {accuracy:.4}, PyTorch measured 0.9670"
    );
}
