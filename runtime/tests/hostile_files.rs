//! Weight files and checkpoints that the safetensors format forbids, or whose fields no training
//! reaches, are typed errors (one reader checks both), and random layouts never panic.

use kiln::io::{self, CheckpointError, WeightsError};
use kiln::losses::MeanSquaredError;
use kiln::optim::{Adam, StateError};
use kiln::{model, Compile, Fit};
use proptest::prelude::*;
use std::path::Path;

model! { struct Net { Input(2), Dense(1) } }

/// A safetensors file with this JSON header (padded) and these data bytes.
fn file(header: &str, data: &[u8]) -> Vec<u8> {
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    out
}

/// `0.weight` [1, 2] and `0.bias` [1] (F32) at the given offsets, over `data_len` bytes.
fn net_file(weight: (usize, usize), bias: (usize, usize), data_len: usize) -> Vec<u8> {
    let header = format!(
        r#"{{"0.weight":{{"dtype":"F32","shape":[1,2],"data_offsets":[{},{}]}},"0.bias":{{"dtype":"F32","shape":[1],"data_offsets":[{},{}]}}}}"#,
        weight.0, weight.1, bias.0, bias.1
    );
    file(&header, &vec![0u8; data_len])
}

fn corrupt_reason(bytes: &[u8]) -> String {
    match io::from_bytes_into(&mut Net::<f32>::new(0), bytes, Path::new("x.safetensors")) {
        Err(WeightsError::Corrupt { reason, .. }) => reason,
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

#[test]
fn a_well_formed_file_loads() {
    let bytes = net_file((0, 8), (8, 12), 12);
    io::from_bytes_into(&mut Net::<f32>::new(0), &bytes, Path::new("x")).unwrap();
    // The same bytes in the other order, and kiln's own files.
    let bytes = net_file((4, 12), (0, 4), 12);
    io::from_bytes_into(&mut Net::<f32>::new(0), &bytes, Path::new("x")).unwrap();
    let own = io::to_bytes(&Net::<f32>::new(3));
    io::from_bytes_into(&mut Net::<f32>::new(0), &own, Path::new("x")).unwrap();
}

#[test]
fn overlapping_offsets_are_rejected() {
    // The bias reads the weight's last four bytes: it would silently get them.
    let reason = corrupt_reason(&net_file((0, 8), (4, 8), 8));
    assert!(reason.contains("overlap"), "{reason}");
}

#[test]
fn out_of_range_offsets_are_rejected() {
    let reason = corrupt_reason(&net_file((0, 8), (8, 12), 10));
    assert!(reason.contains("outside the data"), "{reason}");
    let reason = corrupt_reason(&net_file((0, 8), (12, 8), 12));
    assert!(reason.contains("outside the data"), "{reason}");
}

#[test]
fn gaps_between_tensors_are_rejected() {
    let reason = corrupt_reason(&net_file((0, 8), (12, 16), 16));
    assert!(reason.contains("gaps"), "{reason}");
}

#[test]
fn trailing_bytes_are_rejected() {
    let reason = corrupt_reason(&net_file((0, 8), (8, 12), 20));
    assert!(reason.contains("trailing"), "{reason}");
}

#[test]
fn duplicate_tensor_names_are_rejected() {
    let header = r#"{"0.weight":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]},"0.bias":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},"0.bias":{"dtype":"F32","shape":[1],"data_offsets":[12,16]}}"#;
    let reason = corrupt_reason(&file(header, &[0; 16]));
    assert!(reason.contains("same name"), "{reason}");
    // Spelt differently, the same name (`\u0030` is `0`).
    let header = r#"{"0.weight":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]},"0.bias":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},"\u0030.bias":{"dtype":"F32","shape":[1],"data_offsets":[12,16]}}"#;
    let reason = corrupt_reason(&file(header, &[0; 16]));
    assert!(reason.contains("same name"), "{reason}");
    let header = r#"{"__metadata__":{},"__metadata__":{},"0.weight":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]},"0.bias":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#;
    let reason = corrupt_reason(&file(header, &[0; 12]));
    assert!(reason.contains("twice"), "{reason}");
}

#[test]
fn a_repeated_key_in_a_tensor_entry_is_rejected() {
    // The format forbids it and the reference parser rejects it: which `dtype` is meant?
    for key in [
        r#""dtype":"F64""#,
        r#""shape":[2,1]"#,
        r#""data_offsets":[0,8]"#,
        r#""\u0064type":"F32""#,
    ] {
        let header = format!(
            r#"{{"0.weight":{{"dtype":"F32","shape":[1,2],"data_offsets":[0,8],{key}}},"0.bias":{{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}}}"#
        );
        let reason = corrupt_reason(&file(&header, &[0; 12]));
        assert!(reason.contains("twice"), "{key}: {reason}");
        let mut params = [0.0f32; 3];
        let err = io::read_params::<f32, Net>(&file(&header, &[0; 12]), &mut params).unwrap_err();
        assert!(
            matches!(err, io::ReadError::Corrupt { reason, .. } if reason.contains("twice")),
            "{key}: {err}"
        );
    }
}

#[test]
fn an_empty_tensor_inside_another_is_rejected() {
    let header = r#"{"0.weight":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]},"0.bias":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},"e":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}}"#;
    let reason = corrupt_reason(&file(header, &[0; 12]));
    assert!(reason.contains("overlap"), "{reason}");
}

#[test]
fn the_no_std_reader_checks_the_same_in_windows() {
    // More tensors than the allocation-free reader compares at once (64), within what the
    // model can need (2 × 2 + 64): a duplicate far apart is still found.
    let mut header = String::from("{");
    for i in 0..68 {
        let name = if i == 67 { 3 } else { i };
        header.push_str(&format!(
            r#""t{name}":{{"dtype":"U8","shape":[1],"data_offsets":[{i},{}]}},"#,
            i + 1
        ));
    }
    header.pop();
    header.push('}');
    let bytes = file(&header, &[0; 68]);
    let mut params = [0.0f32; 3];
    let err = io::read_params::<f32, Net>(&bytes, &mut params).unwrap_err();
    assert!(
        matches!(err, io::ReadError::Corrupt { reason, .. } if reason.contains("same name")),
        "{err}"
    );
}

/// A header of `n` one-byte tensors `t0`, `t1`, ... and its bytes, with where each entry
/// starts in the file.
fn many_tensors(n: usize) -> (Vec<u8>, Vec<usize>) {
    let mut header = String::from("{");
    let mut starts = Vec::with_capacity(n);
    for i in 0..n {
        starts.push(8 + header.len() + format!("\"t{i}\":").len());
        header.push_str(&format!(
            r#""t{i}":{{"dtype":"U8","shape":[1],"data_offsets":[{i},{}]}},"#,
            i + 1
        ));
    }
    header.pop();
    header.push('}');
    (file(&header, &vec![0; n]), starts)
}

#[test]
fn a_header_with_more_tensors_than_the_model_can_need_is_rejected_early() {
    // 200,000 entries for a model of two tensors: the reader stops at the first entry beyond
    // what the model can need (2 × 2 + 64), which bounds its work by the model, not the file
    // (the reader was quadratic in the entries: 1M took minutes).
    let (bytes, starts) = many_tensors(200_000);
    let mut params = [0.0f32; 3];
    let err = io::read_params::<f32, Net>(&bytes, &mut params).unwrap_err();
    assert_eq!(
        err,
        io::ReadError::TooManyTensors {
            model: "Net",
            limit: 68,
            offset: starts[68],
        },
        "{err}"
    );
    assert!(err.to_string().contains("more than 68 tensors"), "{err}");
    for options in [io::LoadOptions::default(), lenient()] {
        let mut params = [0.0f32; 3];
        let err = io::read_params_with::<f32, Net>(&bytes, &mut params, options).unwrap_err();
        assert!(matches!(err, io::ReadError::TooManyTensors { .. }), "{err}");
        let err =
            io::from_bytes_into_with(&mut Net::<f32>::new(0), &bytes, Path::new("x"), options)
                .unwrap_err();
        assert!(
            matches!(err, WeightsError::TooManyTensors { limit: 68, .. }),
            "{err}"
        );
        assert!(err.to_string().starts_with("x: "), "{err}");
    }
    // At the limit, the usual checks run: the tensors do not belong to the model.
    let (bytes, _) = many_tensors(68);
    let err = io::read_params::<f32, Net>(&bytes, &mut params).unwrap_err();
    assert!(matches!(err, io::ReadError::Unexpected { .. }), "{err}");
}

fn lenient() -> io::LoadOptions {
    io::LoadOptions {
        ignore_unexpected: true,
        ..io::LoadOptions::default()
    }
}

// ----- checkpoints -----

fn trained() -> kiln::Trainer<f32, Net<f32>, Adam, MeanSquaredError> {
    let mut t = Net::new(1).compile(Adam::new(0.01), MeanSquaredError);
    let (x, y) = ([0.0, 1.0, 1.0, 0.0], [1.0, 2.0]);
    t.fit(&x, &y, Fit::epochs(2).batch_size(1).quiet()).unwrap();
    t
}

/// The checkpoint of `trained()` with one metadata value replaced (same length or not: the
/// header is rebuilt by the writer's format rules: sorted keys, so a plain text replace).
fn with_metadata(key: &str, value: &str) -> Vec<u8> {
    let bytes = trained().checkpoint_bytes();
    let len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header = std::str::from_utf8(&bytes[8..8 + len]).unwrap();
    let start = header.find(&format!("\"{key}\":\"")).unwrap() + key.len() + 4;
    let end = start + header[start..].find('"').unwrap();
    let header = format!("{}{value}{}", &header[..start], &header[end..]);
    file(header.trim_end(), &bytes[8 + len..])
}

#[test]
fn a_checkpoint_header_larger_than_the_model_can_need_is_rejected() {
    // 4 MiB of header (valid JSON: whitespace) for a model of two tensors: rejected from the
    // 8-byte length alone (a 120 MB header loaded, at 844 MiB peak).
    let bytes = trained().checkpoint_bytes();
    let len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header = std::str::from_utf8(&bytes[8..8 + len]).unwrap();
    let padded = format!("{}{}", header, " ".repeat(4 << 20));
    let huge = file(&padded, &bytes[8 + len..]);
    match load(&huge) {
        CheckpointError::HeaderTooLarge {
            model: "Net",
            found,
            limit,
            ..
        } => assert!(found == padded.len() as u64 && limit < found, "{limit}"),
        other => panic!("expected HeaderTooLarge, got {other:?}"),
    }
    // More entries than the model, its optimizer and fit can need.
    let mut many = header.trim_end().strip_suffix('}').unwrap().to_string();
    let data_len = bytes.len() - 8 - len;
    for i in 0..100 {
        many.push_str(&format!(
            r#","pad{i}":{{"dtype":"U8","shape":[0],"data_offsets":[{data_len},{data_len}]}}"#
        ));
    }
    many.push('}');
    let err = load(&file(&many, &bytes[8 + len..]));
    assert!(
        matches!(err, CheckpointError::TooManyTensors { model: "Net", .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("more than"), "{err}");
}

fn load(bytes: &[u8]) -> CheckpointError {
    let mut t = Net::new(9).compile(Adam::new(0.01), MeanSquaredError);
    let before = t.model().params().to_vec();
    let err = t
        .load_checkpoint_bytes(bytes, Path::new("c.ckpt"))
        .unwrap_err();
    assert_eq!(t.model().params(), before, "a failed load changes nothing");
    err
}

#[test]
fn a_step_count_near_u64_max_is_rejected() {
    let err = load(&with_metadata(
        "checkpoint.optimizer_step",
        &(u64::MAX - 1).to_string(),
    ));
    assert!(
        matches!(
            err,
            CheckpointError::OutOfRange {
                field: "optimizer_step",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn an_epoch_near_usize_max_is_rejected() {
    let err = load(&with_metadata(
        "checkpoint.epoch",
        &(usize::MAX - 1).to_string(),
    ));
    assert!(
        matches!(err, CheckpointError::OutOfRange { field: "epoch", .. }),
        "{err}"
    );
    // The limits themselves load.
    let mut t = Net::new(9).compile(Adam::new(0.01), MeanSquaredError);
    let max = io::checkpoint::MAX_EPOCH.to_string();
    t.load_checkpoint_bytes(&with_metadata("checkpoint.epoch", &max), Path::new("c"))
        .unwrap();
}

#[test]
fn negative_second_moments_are_rejected() {
    let t = trained();
    let mut bytes = t.checkpoint_bytes();
    // Find `optimizer/exp_avg_sq`'s data and make its first value negative.
    let len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header = std::str::from_utf8(&bytes[8..8 + len]).unwrap().to_string();
    let at = header.find("\"optimizer/exp_avg_sq\"").unwrap();
    let offsets = &header[at..];
    let offsets = &offsets[offsets.find("data_offsets\":[").unwrap() + 15..];
    let begin: usize = offsets[..offsets.find(',').unwrap()].parse().unwrap();
    let start = 8 + len + begin;
    bytes[start..start + 4].copy_from_slice(&(-1.0f32).to_le_bytes());
    let err = load(&bytes);
    assert!(
        matches!(
            err,
            CheckpointError::OptimizerState {
                source: StateError::Negative {
                    name: "exp_avg_sq",
                    index: 0,
                    ..
                },
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn checkpoints_are_held_to_the_weight_files_layout_checks() {
    let bytes = trained().checkpoint_bytes();
    let mut longer = bytes.clone();
    longer.extend_from_slice(&[0; 8]);
    let err = load(&longer);
    assert!(
        matches!(err, CheckpointError::Corrupt { ref reason, .. } if reason.contains("trailing")),
        "{err}"
    );
}

#[test]
fn checkpoints_keep_their_bytes() {
    // Written by kiln's own writer: the same state gives the same bytes, and they load.
    let t = trained();
    let bytes = t.checkpoint_bytes();
    assert_eq!(bytes, t.checkpoint_bytes());
    let mut back = Net::new(9).compile(Adam::new(0.01), MeanSquaredError);
    back.load_checkpoint_bytes(&bytes, Path::new("c")).unwrap();
    assert_eq!(back.checkpoint_bytes(), bytes);
}

/// `Bn`'s file in both namings with `moving_variance` (`running_var`) set to `variance`.
fn with_variance(variance: [f32; 3], format: io::Format) -> Vec<u8> {
    let mut net = Bn::<f32>::seeded(0);
    let var = Bn::<f32>::LAYERS[0]
        .params
        .iter()
        .find(|p| p.non_negative)
        .expect("BatchNormalization's variance is marked non-negative");
    net.params_mut()[var.offset..var.offset + var.len].copy_from_slice(&variance);
    io::to_bytes_as(&net, format)
}

#[test]
fn a_negative_or_nan_moving_variance_is_rejected() {
    for format in [io::Format::Keras, io::Format::Torch] {
        let net: Bn<f32> = io::read(&with_variance([0.0, 1.0, 4.0], format)).unwrap();
        assert!(net.params().contains(&4.0));
        for (bad, index) in [([1.0, -0.5, 1.0], 1), ([1.0, 1.0, f32::NAN], 2)] {
            let bytes = with_variance(bad, format);
            let err = io::read::<f32, Bn<f32>>(&bytes).map(|_| ()).unwrap_err();
            let named = err.to_string();
            assert!(
                named.contains("moving_variance") || named.contains("running_var"),
                "{format:?}: {err}"
            );
            match err {
                io::ReadError::OutOfRange { index: i, .. }
                | io::ReadError::NonFinite { index: i, .. } => assert_eq!(i, index, "{err}"),
                other => panic!("{format:?}: expected OutOfRange or NonFinite, got {other}"),
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    /// Random offsets for three tensors: the reader never panics, and accepts exactly the
    /// layouts that tile the data (what safetensors' own check accepts).
    #[test]
    fn random_layouts_are_accepted_only_when_they_tile_the_data(
        spans in proptest::collection::vec((0usize..24, 0usize..24), 3),
        data_len in 0usize..24,
    ) {
        let mut header = String::from("{");
        for (i, (a, b)) in spans.iter().enumerate() {
            let (a, b) = (*a, *b);
            let shape = b.saturating_sub(a);
            header.push_str(&format!(
                r#""t{i}":{{"dtype":"U8","shape":[{shape}],"data_offsets":[{a},{b}]}},"#
            ));
        }
        header.pop();
        header.push('}');
        let bytes = file(&header, &vec![0; data_len]);
        let mut params = [0.0f32; 3];
        let err = io::read_params::<f32, Net>(&bytes, &mut params).err();
        // safetensors' rule: sorted by offsets, each starts where the previous ended, the
        // last ends at the end of the data.
        let mut sorted = spans.clone();
        sorted.sort();
        let mut at = 0;
        let mut valid = true;
        for (a, b) in sorted {
            valid &= a == at && b >= a;
            at = b;
        }
        valid &= at == data_len;
        let corrupt = matches!(err, Some(io::ReadError::Corrupt { .. }));
        prop_assert_eq!(corrupt, !valid, "{:?} over {}: {:?}", spans, data_len, err);
    }

    /// Random checkpoint metadata values never panic and never allocate what they claim.
    #[test]
    fn random_checkpoint_counts_never_panic(step in any::<u64>(), epoch in any::<u64>()) {
        let bytes = with_metadata("checkpoint.optimizer_step", &step.to_string());
        let mut t = Net::new(9).compile(Adam::new(0.01), MeanSquaredError);
        let ok = t.load_checkpoint_bytes(&bytes, Path::new("c")).is_ok();
        prop_assert_eq!(ok, step <= io::checkpoint::MAX_STEP);
        let bytes = with_metadata("checkpoint.epoch", &epoch.to_string());
        let ok = t.load_checkpoint_bytes(&bytes, Path::new("c")).is_ok();
        prop_assert_eq!(ok, epoch <= io::checkpoint::MAX_EPOCH);
    }
}

// ----- files that are not files -----

/// A FIFO with no writer: opening it for reading would block until one comes.
#[cfg(unix)]
fn fifo(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("weights.safetensors");
    let status = std::process::Command::new("mkfifo")
        .arg(&path)
        .status()
        .unwrap();
    assert!(status.success());
    path
}

#[cfg(unix)]
#[test]
fn loading_a_fifo_is_refused_not_blocked() {
    let dir = tempfile::tempdir().unwrap();
    let path = fifo(dir.path());
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = path.clone();
    std::thread::spawn(move || {
        let _ = tx.send(io::load::<f32, Net<f32>>(&reader).map(|_| ()));
    });
    // A guard against hanging the suite, not a timed assertion: if the load blocks, give it
    // an empty writer so that it returns, and fail.
    let result = rx
        .recv_timeout(std::time::Duration::from_secs(30))
        .unwrap_or_else(|_| {
            drop(std::fs::OpenOptions::new().write(true).open(&path));
            panic!("io::load blocked on a FIFO");
        });
    match result {
        Err(WeightsError::NotAFile { kind, .. }) => assert_eq!(kind, "a FIFO"),
        other => panic!("expected NotAFile, got {other:?}"),
    }
    let err = io::load::<f32, Net<f32>>(dir.path())
        .map(|_| ())
        .unwrap_err();
    assert!(
        matches!(
            err,
            WeightsError::NotAFile {
                kind: "a directory",
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("not a regular file"), "{err}");
}

#[cfg(unix)]
#[test]
fn a_fifo_loads_when_the_caller_opts_in() {
    let dir = tempfile::tempdir().unwrap();
    let path = fifo(dir.path());
    let bytes = io::to_bytes(&Net::<f32>::new(5));
    let writer = {
        let (path, bytes) = (path.clone(), bytes.clone());
        std::thread::spawn(move || std::fs::write(path, bytes).unwrap())
    };
    let options = io::LoadOptions {
        allow_non_regular: true,
        ..io::LoadOptions::default()
    };
    let net: Net<f32> = io::load_with(&path, options).unwrap();
    writer.join().unwrap();
    assert_eq!(net.params(), Net::<f32>::new(5).params());
}

// ----- statistics a layer cannot have -----

model! { struct Bn { Input(3), BatchNormalization() } }

/// `Bn`'s PyTorch file with `num_batches_tracked` (I64) set to `count`.
fn with_batches_tracked(count: i64) -> Vec<u8> {
    let mut bytes = io::to_bytes(&Bn::<f32>::new(0));
    let len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header = std::str::from_utf8(&bytes[8..8 + len]).unwrap();
    let entry = header.find("\"0.num_batches_tracked\"").unwrap();
    let offsets = entry + header[entry..].find("data_offsets\":[").unwrap() + 15;
    let begin: usize = header[offsets..]
        .split(',')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    bytes[8 + len + begin..8 + len + begin + 8].copy_from_slice(&count.to_le_bytes());
    bytes
}

#[test]
fn a_negative_or_absurd_num_batches_tracked_is_rejected() {
    for count in [0, 1, 1 << 40] {
        let net: Bn<f32> = io::read(&with_batches_tracked(count)).unwrap();
        assert_eq!(*net.params().last().unwrap(), count as f32);
    }
    for count in [-1, i64::MIN, (1 << 53) + 1, i64::MAX] {
        let bytes = with_batches_tracked(count);
        let err = io::read::<f32, Bn<f32>>(&bytes).map(|_| ()).unwrap_err();
        match err {
            io::ReadError::OutOfRange { tensor, index, .. } => {
                assert!(tensor == "0.num_batches_tracked" && index == 0, "{err}");
            }
            other => panic!("{count}: expected OutOfRange, got {other}"),
        }
        let err =
            io::from_bytes_into(&mut Bn::<f32>::seeded(0), &bytes, Path::new("bn")).unwrap_err();
        assert!(
            matches!(&err, WeightsError::OutOfRange { tensor, .. } if tensor == "0.num_batches_tracked"),
            "{err}"
        );
        assert!(err.to_string().contains("num_batches_tracked"), "{err}");
    }
    // Keras' names keep the count in the model's dtype: a fraction is no count either.
    let mut net = Bn::<f32>::seeded(0);
    *net.params_mut().last_mut().unwrap() = 2.5;
    let bytes = io::to_bytes_as(&net, io::Format::Keras);
    let err = io::read::<f32, Bn<f32>>(&bytes).map(|_| ()).unwrap_err();
    assert!(
        matches!(err, io::ReadError::OutOfRange { value: 2.5, .. }),
        "{err}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    /// A tensor entry of random keys, some repeated or missing, some spelt with escapes: the
    /// header is corrupt exactly when one of the three keys is not there once.
    #[test]
    fn random_entries_with_repeated_keys_are_corrupt_exactly_when_a_key_is_not_there_once(
        keys in proptest::collection::vec((0usize..4, any::<bool>()), 0..7),
    ) {
        const KEYS: [(&str, &str); 4] = [
            ("dtype", r#""U8""#),
            ("shape", "[4]"),
            ("data_offsets", "[0,4]"),
            ("other", r#"{"dtype":1}"#),
        ];
        let fields: Vec<String> = keys
            .iter()
            .map(|&(k, escaped)| {
                let (key, value) = KEYS[k];
                let key = if escaped {
                    format!("\\u{:04x}{}", key.as_bytes()[0], &key[1..])
                } else {
                    key.to_string()
                };
                format!(r#""{key}":{value}"#)
            })
            .collect();
        let header = format!(r#"{{"t":{{{}}}}}"#, fields.join(","));
        let mut params = [0.0f32; 3];
        let err = io::read_params::<f32, Net>(&file(&header, &[0; 4]), &mut params).unwrap_err();
        let once = (0..3).all(|k| keys.iter().filter(|&&(key, _)| key == k).count() == 1);
        let corrupt = matches!(err, io::ReadError::Corrupt { .. });
        prop_assert_eq!(corrupt, !once, "{}: {}", header, err);
        if !once && (0..3).all(|k| keys.iter().any(|&(key, _)| key == k)) {
            prop_assert!(err.to_string().contains("twice"), "{}", err);
        }
    }

    /// Random BatchNorm counts: a file loads exactly when its `num_batches_tracked` is a count
    /// from 0 to 2⁵³, and never panics.
    #[test]
    fn random_batchnorm_counts_load_exactly_when_they_are_counts(count in any::<i64>()) {
        let loaded = io::read::<f32, Bn<f32>>(&with_batches_tracked(count));
        let valid = (0..=1i64 << 53).contains(&count);
        prop_assert_eq!(loaded.is_ok(), valid, "{}", count);
        if !valid {
            let is_out_of_range = matches!(loaded, Err(io::ReadError::OutOfRange { .. }));
            prop_assert!(is_out_of_range);
        }
    }
}
