//! The one limit on what decompressing readers inflate ([`data::max_inflated_bytes`]), set for
//! this whole test binary (it is process-wide, so it has a binary of its own).

use kiln::data::{self, DataError};
use std::io::Write;

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

#[test]
fn a_gzip_idx_declaring_more_than_the_inflate_limit_is_refused_before_inflating() {
    // A valid gzip IDX of 2 MiB of pixels (a few KiB compressed), then its CRC broken: had it
    // been inflated, the error would be the broken stream; refused from its header, it is the
    // limit. (A 6 MB gzip declaring 6 GiB was inflated whole, 12.3 GiB at peak.)
    let dir = tempfile::tempdir().unwrap();
    let mut idx = data::IDX_IMAGES_MAGIC.to_be_bytes().to_vec();
    for d in [2048u32, 32, 32] {
        idx.extend_from_slice(&d.to_be_bytes());
    }
    // Pixels that do not compress, so that the file could hold what it declares.
    let mut state = 1u32;
    idx.extend((0..2 << 20).map(|_| {
        state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        (state >> 24) as u8
    }));
    let mut bytes = gz(&idx);
    let crc = bytes.len() - 8;
    bytes[crc] ^= 0xff;
    let path = dir.path().join("bomb-idx3-ubyte.gz");
    std::fs::write(&path, &bytes).unwrap();

    assert_eq!(data::max_inflated_bytes(), data::DEFAULT_MAX_INFLATED_BYTES);
    data::set_max_inflated_bytes(1 << 20);
    let err = data::load_idx_images(&path).unwrap_err();
    match &err {
        DataError::TooLarge { what, limit, .. } => {
            assert_eq!(*limit, 1 << 20);
            assert!(what.contains(&(16 + (2u64 << 20)).to_string()), "{what}");
        }
        other => panic!("expected TooLarge, got {other}"),
    }
    let err = data::read_maybe_gzip(&path).unwrap_err();
    assert!(
        matches!(err, DataError::TooLarge { limit: 1048576, .. }),
        "{err}"
    );

    // Within the limit it is inflated, and the broken stream shows.
    data::set_max_inflated_bytes(4 << 20);
    let err = data::load_idx_images(&path).unwrap_err();
    assert!(matches!(err, DataError::Gzip { .. }), "{err}");
    bytes[crc] ^= 0xff;
    std::fs::write(&path, &bytes).unwrap();
    assert_eq!(data::load_idx_images(&path).unwrap().count, 2048);
    assert_eq!(data::read_maybe_gzip(&path).unwrap(), idx);
    data::set_max_inflated_bytes(data::DEFAULT_MAX_INFLATED_BYTES);
}
