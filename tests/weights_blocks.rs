//! Weight files of normalised and residual models: the non-trainable moving statistics travel
//! with the weights, PyTorch names follow a residual block's nesting (`2.0.weight`,
//! `2.shortcut.weight`), and every format reads back what it wrote.

use kiln::io::{self, Format};
use kiln::model;
use safetensors::SafeTensors;

model! {
    /// A stem, a projected residual block with batch normalisation inside, a head.
    struct Blocks {
        Input(6, 6, 2),
        Conv2D(4, 3, padding = same, activation = relu),
        BatchNormalization(),
        Residual(shortcut = Conv2D(8, 1, strides = 2)) {
            Conv2D(8, 3, strides = 2, padding = same, use_bias = false),
            BatchNormalization(),
            Activation(relu),
            Residual { Conv2D(8, 3, padding = same), PReLU() },
        },
        LayerNormalization(),
        Flatten(),
        Dense(3, activation = softmax),
    }
}

fn names(bytes: &[u8]) -> Vec<(String, Vec<usize>)> {
    let file = SafeTensors::deserialize(bytes).unwrap();
    let mut out: Vec<_> = file
        .tensors()
        .into_iter()
        .map(|(n, t)| (n, t.shape().to_vec()))
        .collect();
    out.sort();
    out
}

/// A model whose every parameter, trainable or not, differs from a fresh one's.
fn trained() -> Blocks {
    let mut model = Blocks::new(3);
    for (i, p) in model.params_mut().iter_mut().enumerate() {
        *p += 0.25 + i as f32 * 1e-3;
    }
    // Batch counts are whole numbers (PyTorch keeps them as I64).
    for p in <Blocks as kiln::Model<f32>>::LAYERS
        .iter()
        .flat_map(|l| l.params)
    {
        if p.name.ends_with("num_batches_tracked") {
            model.params_mut()[p.offset] = 7.0;
        }
    }
    model
}

#[test]
fn pytorch_names_follow_the_blocks_nesting() {
    let file = names(&io::to_bytes(&trained()));
    let expected: Vec<(String, Vec<usize>)> = [
        ("0.weight", vec![4, 2, 3, 3]),
        ("0.bias", vec![4]),
        // 1 is the ReLU.
        ("2.weight", vec![4]),
        ("2.bias", vec![4]),
        ("2.running_mean", vec![4]),
        ("2.running_var", vec![4]),
        ("2.num_batches_tracked", vec![]),
        ("3.0.weight", vec![8, 4, 3, 3]),
        ("3.1.weight", vec![8]),
        ("3.1.bias", vec![8]),
        ("3.1.running_mean", vec![8]),
        ("3.1.running_var", vec![8]),
        ("3.1.num_batches_tracked", vec![]),
        // 3.2 is the ReLU; 3.3 the inner block.
        ("3.3.0.weight", vec![8, 8, 3, 3]),
        ("3.3.0.bias", vec![8]),
        ("3.3.1.weight", vec![8]),
        ("3.shortcut.weight", vec![8, 4, 1, 1]),
        ("3.shortcut.bias", vec![8]),
        ("4.weight", vec![8]),
        ("4.bias", vec![8]),
        // 5 is the Flatten; its Linear reads the NCHW order.
        ("6.weight", vec![3, 72]),
        ("6.bias", vec![3]),
    ]
    .into_iter()
    .map(|(n, s)| (n.to_string(), s))
    .collect();
    let mut expected = expected;
    expected.sort();
    assert_eq!(file, expected);
}

#[test]
fn every_format_reads_back_what_it_wrote_moving_statistics_included() {
    let model = trained();
    for format in [Format::Torch, Format::TorchByName, Format::Keras] {
        let bytes = io::to_bytes_as(&model, format);
        let mut back = Blocks::new(0);
        io::from_bytes_into(&mut back, &bytes, std::path::Path::new("blocks")).unwrap();
        assert_eq!(back.params(), model.params(), "{format:?}");
    }
    let keras = names(&io::to_bytes_as(&model, Format::Keras));
    assert!(keras
        .iter()
        .any(|(n, _)| n == "batch_normalization_1.moving_variance"));
}

#[test]
fn the_summary_shows_the_blocks_and_the_non_trainable_parameters() {
    let summary = Blocks::<f32>::SUMMARY;
    let non_trainable = Blocks::<f32>::PARAM_COUNT - Blocks::<f32>::TRAINABLE_PARAMS;
    // A moving mean and variance per channel, and the count of training batches.
    assert_eq!(non_trainable, 2 * (4 + 8) + 2);
    assert!(summary.contains("Non-trainable params: 26"), "{summary}");
    assert!(summary.contains(" residual (Residual)"), "{summary}");
    assert!(summary.contains("   conv2d_1 (Conv2D)"), "{summary}");
    assert!(summary.contains("     conv2d_2 (Conv2D)"), "{summary}");
    assert!(summary.contains(" add_1 (Add)"), "{summary}");
}

/// PyTorch's `num_batches_tracked` is an `I64` scalar: kiln writes it so, counts training
/// batches in it, and reads it back.
#[test]
fn batch_norm_counts_its_batches_as_pytorch_does() {
    use kiln::losses::SparseCategoricalCrossentropy;
    use kiln::optim::Sgd;
    use kiln::{Compile, Fit};
    let x: Vec<f32> = (0..6 * 6 * 2 * 8).map(|i| (i % 7) as f32 * 0.1).collect();
    let y: Vec<u32> = (0..8).map(|i| i % 3).collect();
    let mut trainer =
        Blocks::new(1).compile(Sgd::new(0.01), SparseCategoricalCrossentropy::default());
    trainer
        .fit(&x, &y, Fit::epochs(3).batch_size(4).quiet())
        .unwrap();
    let model = trainer.into_model();
    assert_eq!(
        model.param("batch_normalization.num_batches_tracked"),
        Some(&[6.0f32][..])
    );
    let bytes = io::to_bytes(&model);
    let file = SafeTensors::deserialize(&bytes).unwrap();
    let count = file.tensor("2.num_batches_tracked").unwrap();
    assert_eq!(count.dtype(), safetensors::Dtype::I64);
    assert_eq!(count.data(), 6i64.to_le_bytes());
    let mut back = Blocks::new(0);
    io::from_bytes_into(&mut back, &bytes, std::path::Path::new("blocks")).unwrap();
    assert_eq!(back.params(), model.params());
}
