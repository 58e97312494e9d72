//! Data files that would bloat or fool kiln: bombs, endless streams, enormous declared sizes,
//! values beyond f32. Each is a typed error naming the file, read without allocating what it
//! merely claims.

use kiln::data::{self, DataError};
use std::io::Write;

fn dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

#[test]
fn a_gzip_bomb_is_read_only_as_far_as_its_header_declares() {
    // Labels file declaring 10 items, inflating to 64 MB (of zeros).
    let mut raw = vec![0, 0, 8, 1, 0, 0, 0, 10];
    raw.resize(64 << 20, 0);
    let bomb = gzip(&raw);
    assert!(bomb.len() < 1 << 20, "a small file: {}", bomb.len());
    let d = dir();
    let path = d.path().join("labels.gz");
    std::fs::write(&path, &bomb).unwrap();
    drop(raw);
    let started = std::time::Instant::now();
    let err = data::load_idx_labels(&path).unwrap_err();
    assert!(
        matches!(err, DataError::IdxTrailingBytes { ref path, expected: 18, found: 19 } if path.ends_with("labels.gz")),
        "{err}"
    );
    // Stopped after 19 bytes, not after inflating 64 MB.
    assert!(
        started.elapsed().as_secs_f64() < 0.5,
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_header_that_claims_more_than_the_file_can_hold_is_rejected_unread() {
    // 4 billion images of 28×28 in a file of 16 bytes (plain) or a few (gzipped).
    let header = [0, 0, 8, 3, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 28, 0, 0, 0, 28];
    let d = dir();
    for (name, bytes) in [("x.idx", header.to_vec()), ("x.idx.gz", gzip(&header))] {
        let path = d.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let err = data::load_idx_images(&path).unwrap_err();
        assert!(
            matches!(err, DataError::IdxTruncated { .. }),
            "{name}: {err}"
        );
    }
}

#[cfg(target_os = "linux")]
#[test]
fn an_endless_stream_is_not_read_until_memory_runs_out() {
    let zero = std::path::Path::new("/dev/zero");
    let err = data::load_idx_images(zero).unwrap_err();
    assert!(matches!(err, DataError::IdxMagic { .. }), "{err}");
    let err = data::Table::from_csv_all(zero, "y").unwrap_err();
    assert!(matches!(err, DataError::TooLarge { .. }), "{err}");
}

#[test]
fn an_image_folder_of_enormous_dimensions_is_an_error_not_an_abort() {
    let d = dir();
    std::fs::create_dir(d.path().join("a")).unwrap();
    let err = data::ImageFolder::<f32>::load(d.path(), 100_000, 100_000, 3).unwrap_err();
    assert!(matches!(err, DataError::InvalidArgument { .. }), "{err}");
    let err = data::load_image::<f32>(d.path().join("a/x.png"), usize::MAX, 2, 1).unwrap_err();
    assert!(matches!(err, DataError::InvalidArgument { .. }), "{err}");
}

#[test]
fn an_image_whose_header_declares_enormous_dimensions_is_rejected() {
    // A PNG header (IHDR) declaring 60000×60000 RGBA, with no pixel data to speak of.
    fn chunk(kind: &[u8], data: &[u8]) -> Vec<u8> {
        let mut c = (data.len() as u32).to_be_bytes().to_vec();
        c.extend_from_slice(kind);
        c.extend_from_slice(data);
        let mut crc = 0xFFFF_FFFFu32;
        for &b in kind.iter().chain(data) {
            crc ^= b as u32;
            for _ in 0..8 {
                crc = if crc & 1 != 0 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        c.extend_from_slice(&(!crc).to_be_bytes());
        c
    }
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = 60_000u32.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&60_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
    png.extend(chunk(b"IHDR", &ihdr));
    png.extend(chunk(b"IDAT", &gzip(&[0; 64])[10..]));
    png.extend(chunk(b"IEND", &[]));
    let d = dir();
    let path = d.path().join("huge.png");
    std::fs::write(&path, png).unwrap();
    let err = data::load_image::<f32>(&path, 8, 8, 3).unwrap_err();
    assert!(
        matches!(err, DataError::TooLarge { ref path, .. } | DataError::ImageDecode { ref path, .. } if path.ends_with("huge.png")),
        "{err}"
    );
}

#[test]
fn csv_values_beyond_f32_are_rejected_not_loaded_as_infinity() {
    let d = dir();
    let path = d.path().join("t.csv");
    std::fs::write(&path, "a,y\n1.0,0\n1e39,1\n").unwrap();
    let err = data::Table::from_csv_all(&path, "y").unwrap_err();
    assert!(
        matches!(err, DataError::NonNumeric { line: 3, ref value, .. } if value == "1e39"),
        "{err}"
    );
    std::fs::write(&path, "a,y\n3e38,0\n-3e38,1\n").unwrap();
    data::Table::from_csv_all(&path, "y").unwrap();
}

#[test]
fn a_window_longer_than_any_series_is_displayed_without_panicking() {
    let err = data::windows(&[1.0f32, 2.0], usize::MAX).unwrap_err();
    assert!(err.to_string().contains("18446744073709551616"), "{err}");
}

#[test]
fn a_csv_line_longer_than_the_line_cap_is_refused_without_buffering_it() {
    // One line of 20 MiB: the CSV reader would buffer it whole, and trim a copy (CSV from
    // /dev/zero took 5.1 GiB to reach the 1 GiB cap). A line past MAX_CSV_LINE_BYTES is the
    // error, with its number.
    let d = dir();
    let path = d.path().join("wide.csv");
    let mut text = String::from("x,y\n1,2\n");
    text.push_str(&"7".repeat(20 << 20));
    std::fs::write(&path, text).unwrap();
    let err = data::Table::from_csv_all(&path, "y").unwrap_err();
    match &err {
        DataError::TooLarge { what, limit, .. } => {
            assert_eq!(*limit, data::MAX_CSV_LINE_BYTES);
            assert!(what.contains("line 3"), "{what}");
        }
        other => panic!("expected TooLarge, got {other}"),
    }
    const { assert!(data::MAX_CSV_LINE_BYTES < 20 << 20) };
}
