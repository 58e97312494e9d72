//! One test per kind of bad input: each returns its specific [`DataError`] variant (never a
//! panic), and the message names the file and, where it applies, the line or index.

use kiln::data::{
    load_idx_images, load_idx_labels, load_idx_pair, load_series, read_maybe_gzip,
    stratified_split, DataError, ImageFolder, Mnist, Table,
};
use std::io::Write;
use std::path::{Path, PathBuf};

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../data")
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn idx(magic: u32, dims: &[u32], payload: &[u8]) -> Vec<u8> {
    let mut v = magic.to_be_bytes().to_vec();
    for d in dims {
        v.extend_from_slice(&d.to_be_bytes());
    }
    v.extend_from_slice(payload);
    v
}

/// The message names `path` and contains every one of `words`.
fn says(e: &DataError, path: &Path, words: &[&str]) {
    let m = e.to_string();
    assert!(m.contains(&path.display().to_string()), "no path in: {m}");
    for w in words {
        assert!(m.contains(w), "no `{w}` in: {m}");
    }
    assert_eq!(e.path(), Some(path), "{m}");
}

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn missing_file() {
    let p = data().join("mnist/no-such-file.gz");
    let e = load_idx_images(&p).unwrap_err();
    assert!(
        matches!(&e, DataError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
    );
    says(&e, &p, &["cannot read"]);
    let e = Table::from_csv_all(data().join("nope.csv"), "label").unwrap_err();
    assert!(matches!(e, DataError::Io { .. }));
    let e = Mnist::load(data().join("no-such-dir")).unwrap_err();
    assert!(matches!(e, DataError::Io { .. }), "{e}");
}

#[test]
fn truncated_gzip() {
    let dir = tempfile::tempdir().unwrap();
    let whole = std::fs::read(data().join("mnist/t10k-labels-idx1-ubyte.gz")).unwrap();
    // Cut inside the deflate stream, and cut just the trailer off.
    for (name, keep) in [
        ("half.gz", whole.len() / 2),
        ("notrailer.gz", whole.len() - 4),
    ] {
        let p = write(dir.path(), name, &whole[..keep]);
        let e = load_idx_labels(&p).unwrap_err();
        assert!(matches!(e, DataError::Gzip { .. }), "{name}: {e:?}");
        says(&e, &p, &["gzip", "truncated"]);
    }
}

#[test]
fn corrupt_gzip_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = std::fs::read(data().join("mnist/t10k-labels-idx1-ubyte.gz")).unwrap();
    let mid = bytes.len() / 2;
    for b in &mut bytes[mid..mid + 64] {
        *b ^= 0xa5;
    }
    let p = write(dir.path(), "corrupt.gz", &bytes);
    let e = load_idx_labels(&p).unwrap_err();
    assert!(matches!(e, DataError::Gzip { .. }), "{e:?}");
    says(&e, &p, &["gzip"]);
    // Gzip magic followed by garbage.
    let p = write(dir.path(), "garbage.gz", [0x1f, 0x8b, 1, 2, 3, 4, 5]);
    assert!(matches!(
        read_maybe_gzip(&p).unwrap_err(),
        DataError::Gzip { .. }
    ));
}

#[test]
fn wrong_magic() {
    // Labels given where images are expected (a swapped pair).
    let p = data().join("mnist/t10k-labels-idx1-ubyte.gz");
    let e = load_idx_images(&p).unwrap_err();
    assert!(matches!(
        e,
        DataError::IdxMagic {
            expected: 2051,
            found: 2049,
            ..
        }
    ));
    says(&e, &p, &["0x00000803", "0x00000801"]);
    // Not an IDX file at all (a CSV).
    let p = data().join("iris/iris.csv");
    let e = load_idx_labels(&p).unwrap_err();
    assert!(matches!(e, DataError::IdxMagic { expected: 2049, .. }));
    says(&e, &p, &["magic"]);
}

#[test]
fn truncated_payload() {
    let dir = tempfile::tempdir().unwrap();
    // A header for 3 images of 2x2 (16 + 12 bytes) with only 10 payload bytes, gzipped.
    let p = write(
        dir.path(),
        "short.gz",
        gz(&idx(0x803, &[3, 2, 2], &[7; 10])),
    );
    let e = load_idx_images(&p).unwrap_err();
    assert!(matches!(
        e,
        DataError::IdxTruncated {
            expected: 28,
            found: 26,
            ..
        }
    ));
    says(&e, &p, &["28", "26", "truncated"]);
    // The real test labels, decompressed, cut by 100 bytes.
    let mut raw = read_maybe_gzip(data().join("mnist/t10k-labels-idx1-ubyte.gz")).unwrap();
    raw.truncate(raw.len() - 100);
    let p = write(dir.path(), "t10k-labels-idx1-ubyte", &raw);
    let e = load_idx_labels(&p).unwrap_err();
    assert!(matches!(
        e,
        DataError::IdxTruncated {
            expected: 10_008,
            found: 9_908,
            ..
        }
    ));
    // Extra bytes are refused too.
    let p = write(dir.path(), "long", idx(0x801, &[2], &[1, 2, 3]));
    let e = load_idx_labels(&p).unwrap_err();
    assert!(matches!(
        e,
        DataError::IdxTrailingBytes {
            expected: 10,
            found: 11,
            ..
        }
    ));
    says(&e, &p, &["10", "11"]);
}

#[test]
fn label_count_mismatch_and_range() {
    let dir = tempfile::tempdir().unwrap();
    let images = write(dir.path(), "i", idx(0x803, &[3, 1, 1], &[0, 1, 2]));
    let labels = write(dir.path(), "l", idx(0x801, &[2], &[0, 1]));
    let e = load_idx_pair(&images, &labels, 10).unwrap_err();
    assert!(matches!(
        e,
        DataError::LabelCount {
            images: 3,
            labels: 2,
            ..
        }
    ));
    says(&e, &labels, &["2 labels", "3 images"]);
    assert!(e.to_string().contains(&images.display().to_string()));

    let labels = write(dir.path(), "l2", idx(0x801, &[3], &[0, 12, 1]));
    let e = load_idx_pair(&images, &labels, 10).unwrap_err();
    assert!(matches!(
        e,
        DataError::LabelOutOfRange {
            index: 1,
            value: 12,
            classes: 10,
            ..
        }
    ));
    says(&e, &labels, &["label 1 is 12"]);
}

#[test]
fn mnist_dimension_mismatch() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "train-images-idx3-ubyte.gz",
        gz(&idx(0x803, &[1, 2, 2], &[0; 4])),
    );
    write(d, "train-labels-idx1-ubyte.gz", gz(&idx(0x801, &[1], &[3])));
    // Test images uncompressed under the .gz name: accepted, but 1x4 instead of 2x2.
    let t = write(
        d,
        "t10k-images-idx3-ubyte.gz",
        idx(0x803, &[1, 1, 4], &[0; 4]),
    );
    write(d, "t10k-labels-idx1-ubyte.gz", idx(0x801, &[1], &[9]));
    let e = Mnist::load(d).unwrap_err();
    assert!(matches!(e, DataError::IdxDimensions { .. }), "{e:?}");
    says(&e, &t, &["[1, 4]", "[2, 2]"]);
}

#[test]
fn ragged_csv_row() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "r.csv", "a,b,label\n1,2,0\n3,4,1\n5,0\n");
    let e = Table::from_csv_all(&p, "label").unwrap_err();
    assert!(matches!(
        e,
        DataError::RaggedRow {
            line: 4,
            expected: 3,
            found: 2,
            ..
        }
    ));
    says(&e, &p, &["line 4", "2 fields", "has 3"]);
}

#[test]
fn non_numeric_field() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "n.csv", "a,b,label\n1,2,x\n3,four,y\n");
    let e = Table::from_csv_all(&p, "label").unwrap_err();
    match &e {
        DataError::NonNumeric {
            line,
            column,
            value,
            ..
        } => assert_eq!((*line, column.as_str(), value.as_str()), (3, "b", "four")),
        other => panic!("{other:?}"),
    }
    says(&e, &p, &["line 3", "`b`", "`four`"]);
    // An empty field and a NaN are not numbers either.
    let p = write(dir.path(), "e.csv", "v\n1\n\"\"\n");
    let e = load_series(&p, "v").unwrap_err();
    assert!(matches!(e, DataError::NonNumeric { line: 3, .. }), "{e:?}");
    let p = write(dir.path(), "nan.csv", "v\nNaN\n");
    assert!(matches!(
        load_series(&p, "v").unwrap_err(),
        DataError::NonNumeric { line: 2, .. }
    ));
}

#[test]
fn missing_column() {
    let p = data().join("iris/iris.csv");
    let e = Table::from_csv(&p, &["sepal_length_cm", "petal_area"], "label").unwrap_err();
    match &e {
        DataError::MissingColumn {
            column, available, ..
        } => {
            assert_eq!(column, "petal_area");
            assert_eq!(available.len(), 5);
        }
        other => panic!("{other:?}"),
    }
    says(&e, &p, &["petal_area", "sepal_width_cm, petal_length_cm"]);
    let e = Table::from_csv_all(&p, "species").unwrap_err();
    assert!(matches!(e, DataError::MissingColumn { .. }));
    let e = load_series(data().join("timeseries/airline_passengers.csv"), "value").unwrap_err();
    assert!(matches!(e, DataError::MissingColumn { .. }));
}

#[test]
fn empty_csv() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "empty.csv", "");
    let e = load_series(&p, "v").unwrap_err();
    assert!(matches!(e, DataError::Empty { .. }), "{e:?}");
    says(&e, &p, &["header"]);
    let p = write(dir.path(), "header-only.csv", "v,label\n");
    let e = Table::from_csv_all(&p, "label").unwrap_err();
    assert!(matches!(e, DataError::Empty { .. }), "{e:?}");
    says(&e, &p, &["data rows"]);
}

#[test]
fn invalid_utf8_csv() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "bad.csv", b"v\n1\n\xff\xfe\n");
    let e = load_series(&p, "v").unwrap_err();
    assert!(matches!(e, DataError::Csv { .. }), "{e:?}");
    says(&e, &p, &["line 3"]);
}

fn png(path: &Path, w: u32, h: u32, rgb: [u8; 3]) {
    image::RgbImage::from_pixel(w, h, image::Rgb(rgb))
        .save(path)
        .unwrap();
}

#[test]
fn unreadable_image() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("cat")).unwrap();
    std::fs::create_dir_all(root.join("dog")).unwrap();
    png(&root.join("cat/a.png"), 4, 4, [1, 2, 3]);
    let bad = write(&root.join("dog"), "b.png", b"this is not a PNG file");
    let e = ImageFolder::<f32>::load(root, 4, 4, 3).unwrap_err();
    assert!(matches!(e, DataError::ImageDecode { .. }), "{e:?}");
    says(&e, &bad, &["decode"]);
    // A PNG cut in half.
    let good = root.join("dog/b.png");
    png(&good, 8, 8, [9, 9, 9]);
    let bytes = std::fs::read(&good).unwrap();
    std::fs::write(&good, &bytes[..bytes.len() / 2]).unwrap();
    let e = ImageFolder::<f32>::load(root, 4, 4, 3).unwrap_err();
    assert!(matches!(e, DataError::ImageDecode { .. }), "{e:?}");
    says(&e, &good, &[]);
}

#[test]
fn empty_class_folder_and_no_classes() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let e = ImageFolder::<f32>::load(root, 4, 4, 1).unwrap_err();
    assert!(matches!(e, DataError::NoClasses { .. }), "{e:?}");
    says(&e, root, &["no class sub-folders"]);

    std::fs::create_dir_all(root.join("a")).unwrap();
    std::fs::create_dir_all(root.join("b")).unwrap();
    png(&root.join("a/x.png"), 2, 2, [0, 0, 0]);
    write(&root.join("b"), "notes.txt", "not an image");
    let e = ImageFolder::<f32>::load(root, 4, 4, 1).unwrap_err();
    assert!(matches!(e, DataError::EmptyClass { .. }), "{e:?}");
    says(&e, &root.join("b"), &["holds no image"]);

    let e = ImageFolder::<f32>::load(root.join("missing"), 4, 4, 1).unwrap_err();
    assert!(matches!(e, DataError::Io { .. }), "{e:?}");
    let e = ImageFolder::<f32>::load(root, 4, 4, 2).unwrap_err();
    assert!(matches!(e, DataError::InvalidArgument { .. }), "{e:?}");
}

#[test]
fn split_fraction_out_of_range() {
    for f in [0.0, 1.0, 1.5, -0.2] {
        let e = stratified_split(&[0, 1, 0, 1], f, 1).unwrap_err();
        assert!(matches!(e, DataError::SplitFraction { .. }), "{e:?}");
        assert!(e.to_string().contains(&f.to_string()));
    }
}

#[test]
fn no_panic_on_any_prefix_or_bit_flip() {
    let dir = tempfile::tempdir().unwrap();
    let good = gz(&idx(0x803, &[2, 3, 3], &[5; 18]));
    let p = dir.path().join("f.gz");
    for keep in 0..good.len() {
        std::fs::write(&p, &good[..keep]).unwrap();
        assert!(
            load_idx_images(&p).is_err(),
            "prefix of {keep} bytes loaded"
        );
    }
    let mut rng = kiln::Rng::new(2024);
    for _ in 0..300 {
        let mut bytes = good.clone();
        let at = rng.below(bytes.len() as u64) as usize;
        bytes[at] ^= 1 << rng.below(8);
        std::fs::write(&p, &bytes).unwrap();
        let _ = load_idx_images(&p); // Ok (a flipped mtime byte) or Err, never a panic.
        let _ = load_idx_labels(&p);
    }
    let csv = b"a,b,label\n1,2,x\n3,4,y\n";
    let p = dir.path().join("f.csv");
    for keep in 0..csv.len() {
        std::fs::write(&p, &csv[..keep]).unwrap();
        let _ = Table::from_csv_all(&p, "label").map(|t| t.classification::<f32>());
    }
}
