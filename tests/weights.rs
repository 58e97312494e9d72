//! Weight files: round trips are exact, and every kind of bad file is a typed error naming the
//! file and tensor — never a panic, whatever the bytes.

use kiln::io::{self, WeightsError};
use kiln::{model, Rng};
use safetensors::tensor::{Dtype, TensorView};
use std::path::Path;

model! {
    struct Net { Input(4), Dense(3, activation = relu), Dropout(0.5), Dense(2, activation = softmax) }
}

fn write_tensors(path: &Path, tensors: &[(&str, Dtype, Vec<usize>, Vec<u8>)]) {
    let views = tensors
        .iter()
        .map(|(n, d, s, b)| (*n, TensorView::new(*d, s.clone(), b).unwrap()));
    std::fs::write(path, safetensors::tensor::serialize(views, None).unwrap()).unwrap();
}

fn f32_bytes(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// The tensors of a valid file for `Net`, to be spoilt one at a time.
fn valid() -> Vec<(&'static str, Dtype, Vec<usize>, Vec<u8>)> {
    vec![
        (
            "dense.kernel",
            Dtype::F32,
            vec![4, 3],
            f32_bytes(&[0.1; 12]),
        ),
        ("dense.bias", Dtype::F32, vec![3], f32_bytes(&[0.0; 3])),
        (
            "dense_1.kernel",
            Dtype::F32,
            vec![3, 2],
            f32_bytes(&[0.2; 6]),
        ),
        ("dense_1.bias", Dtype::F32, vec![2], f32_bytes(&[0.0; 2])),
    ]
}

fn load_err(path: &Path) -> WeightsError {
    let mut net = Net::new(1);
    let before = net.params().to_vec();
    let err = io::load_into(&mut net, path).unwrap_err();
    assert_eq!(
        net.params(),
        &before[..],
        "a failed load must leave the model unchanged"
    );
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "{err}"
    );
    err
}

#[test]
fn save_then_load_reproduces_predictions_bit_for_bit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("net.safetensors");
    let net = Net::new(42);
    io::save(&net, &path).unwrap();
    let back: Net = io::load(&path).unwrap();
    assert_eq!(back.params(), net.params());
    let x = [0.3f32, -1.2, 2.5, 0.0];
    assert_eq!(back.predict(&x).as_slice(), net.predict(&x).as_slice());
    // f64 models store F64 tensors.
    let net64 = Net::<f64>::seeded(3);
    io::save(&net64, &path).unwrap();
    let back64: Net<f64> = io::load(&path).unwrap();
    assert_eq!(back64.params(), net64.params());
    // The save left no temporary file behind.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    // A file made from valid tensors loads.
    write_tensors(&path, &valid());
    let loaded: Net = io::load(&path).unwrap();
    assert_eq!(loaded.param("dense_1.kernel").unwrap(), &[0.2; 6]);
}

#[test]
fn bad_files_give_typed_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.safetensors");

    let mut tensors = valid();
    tensors.remove(1);
    write_tensors(&path, &tensors);
    assert!(matches!(
        load_err(&path),
        WeightsError::Missing {
            tensor: "dense.bias",
            ..
        }
    ));

    let mut tensors = valid();
    tensors.push(("dense_2.kernel", Dtype::F32, vec![1], f32_bytes(&[1.0])));
    write_tensors(&path, &tensors);
    assert!(
        matches!(load_err(&path), WeightsError::Unexpected { ref tensor, .. } if tensor == "dense_2.kernel")
    );

    let mut tensors = valid();
    tensors[0] = (
        "dense.kernel",
        Dtype::F32,
        vec![3, 4],
        f32_bytes(&[0.1; 12]),
    );
    write_tensors(&path, &tensors);
    let err = load_err(&path);
    assert!(
        matches!(
            err,
            WeightsError::Shape {
                tensor: "dense.kernel",
                expected: &[4, 3],
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string().contains("[3, 4]") && err.to_string().contains("[4, 3]"),
        "{err}"
    );

    let mut tensors = valid();
    tensors[3] = ("dense_1.bias", Dtype::F64, vec![2], vec![0; 16]);
    write_tensors(&path, &tensors);
    assert!(matches!(
        load_err(&path),
        WeightsError::Dtype {
            tensor: "dense_1.bias",
            ..
        }
    ));

    let mut tensors = valid();
    tensors[2].3 = f32_bytes(&[0.2, 0.2, f32::NAN, 0.2, 0.2, 0.2]);
    write_tensors(&path, &tensors);
    assert!(matches!(
        load_err(&path),
        WeightsError::NonFinite {
            tensor: "dense_1.kernel",
            index: 2,
            ..
        }
    ));

    write_tensors(&path, &valid());
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() - 5]).unwrap();
    assert!(matches!(load_err(&path), WeightsError::Corrupt { .. }));

    std::fs::write(&path, b"definitely not a weight file").unwrap();
    assert!(matches!(load_err(&path), WeightsError::Corrupt { .. }));

    assert!(matches!(
        load_err(&dir.path().join("missing.safetensors")),
        WeightsError::Io { .. }
    ));
    let unwritable = dir.path().join("no/such/folder/net.safetensors");
    assert!(matches!(
        io::save(&Net::new(0), &unwritable),
        Err(WeightsError::Io { .. })
    ));
}

#[test]
fn no_byte_string_makes_loading_panic() {
    let good = io::to_bytes(&Net::new(5));
    let origin = Path::new("fuzz");
    let mut rng = Rng::new(17);
    let mut net = Net::new(0);
    for cut in 0..good.len() {
        let _ = io::from_bytes_into(&mut net, &good[..cut], origin);
    }
    for _ in 0..2000 {
        let mut bytes = good.clone();
        for _ in 0..1 + rng.below(4) {
            let i = rng.below(bytes.len() as u64) as usize;
            bytes[i] ^= 1 << rng.below(8);
        }
        let _ = io::from_bytes_into(&mut net, &bytes, origin);
    }
    for len in [0usize, 1, 7, 8, 9, 64, 500] {
        let bytes: Vec<u8> = (0..len).map(|_| rng.below(256) as u8).collect();
        assert!(io::from_bytes_into(&mut net, &bytes, origin).is_err());
    }
}
