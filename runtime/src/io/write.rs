//! Writing safetensors bytes and files (needs `std`): one writer for weight files and
//! checkpoints, and one atomic save.
//!
//! kiln writes its files itself rather than through the `safetensors` crate: its `serialize`
//! lists `__metadata__` in a `HashMap`'s random order, and saves must be reproducible byte for
//! byte. The bytes are the ones `safetensors` writes for the same tensors (tensors by
//! descending element size, then name; the header padded with spaces to a multiple of 8).

use std::collections::BTreeMap;
use std::hash::{BuildHasher, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};

/// One tensor to write: its name, safetensors dtype (`"F32"`), shape and little-endian bytes.
pub(crate) struct Tensor<'b> {
    pub name: String,
    pub dtype: String,
    pub shape: Vec<usize>,
    pub data: &'b [u8],
}

/// Bytes per element of a dtype (1 for those kiln does not know, which only orders them).
fn element_size(dtype: &str) -> usize {
    match dtype {
        "F64" | "I64" | "U64" => 8,
        "F32" | "I32" | "U32" => 4,
        "F16" | "BF16" | "I16" | "U16" => 2,
        _ => 1,
    }
}

/// safetensors bytes whose header is a function of the content alone: `__metadata__` with
/// sorted keys, then the tensors by descending element size and name (safetensors' own order,
/// which keeps each tensor aligned), the header padded with spaces to a multiple of 8 bytes.
pub(crate) fn serialize(
    mut tensors: Vec<Tensor<'_>>,
    metadata: &BTreeMap<String, String>,
) -> Vec<u8> {
    tensors.sort_by(|a, b| {
        element_size(&b.dtype)
            .cmp(&element_size(&a.dtype))
            .then(a.name.cmp(&b.name))
    });
    let mut header = String::from("{\"__metadata__\":{");
    for (i, (key, value)) in metadata.iter().enumerate() {
        if i > 0 {
            header.push(',');
        }
        header.push_str(&format!("{}:{}", json_string(key), json_string(value)));
    }
    header.push('}');
    let mut offset = 0;
    for t in &tensors {
        let shape: Vec<String> = t.shape.iter().map(usize::to_string).collect();
        header.push_str(&format!(
            ",{}:{{\"dtype\":{},\"shape\":[{}],\"data_offsets\":[{offset},{}]}}",
            json_string(&t.name),
            json_string(&t.dtype),
            shape.join(","),
            offset + t.data.len()
        ));
        offset += t.data.len();
    }
    header.push('}');
    while !header.len().is_multiple_of(8) {
        header.push(' ');
    }
    let mut out = Vec::with_capacity(8 + header.len() + offset);
    out.extend_from_slice(&(header.len() as u64).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for t in &tensors {
        out.extend_from_slice(t.data);
    }
    out
}

/// `s` as a JSON string literal.
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The longest file name most file systems take (ext4, XFS, btrfs, APFS, NTFS: 255 bytes).
const NAME_MAX: usize = 255;

/// What a temporary file's name adds to its prefix: 16 hex digits and `.tmp`.
const TEMP_SUFFIX: usize = 16 + ".tmp".len();

/// Where temporary files of saves to `name` start: `.<name>.kiln-`, then a random part and
/// `.tmp`. When that would pass the 255 bytes a file name may have, the name is cut (at a
/// character boundary) and a hash of the whole name follows it, `.<cut>~<hash>.kiln-`, so that
/// every valid target has a valid temporary name, and one of its own.
fn temp_prefix(name: &std::ffi::OsStr) -> String {
    let name = name.to_string_lossy();
    let whole = format!(".{name}.kiln-");
    if whole.len() + TEMP_SUFFIX <= NAME_MAX {
        return whole;
    }
    // FNV-1a: the same in every process, so that every save finds the others' files.
    let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let room = NAME_MAX - TEMP_SUFFIX - ".~0123456789abcdef.kiln-".len();
    let mut cut = room;
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    format!(".{}~{hash:016x}.kiln-", &name[..cut])
}

/// Writes `bytes` to `path` atomically and safely against other writers: into a temporary
/// file created exclusively (`O_EXCL`, with an unpredictable name, so a planted symlink or a
/// concurrent save cannot be written through) in `path`'s folder and locked (an exclusive
/// advisory lock, `flock`, held until the file is renamed or removed), synced, then renamed over
/// `path` (and the folder synced, so the rename survives a crash). Readers see the old file or
/// the new one, never a mix; concurrent saves each rename a whole file, the last one wins. On
/// failure the temporary file is removed and `path` is untouched. Temporary files that killed
/// processes left for `path` are removed first: those no process holds locked (the lock goes
/// with its holder, whatever its PID namespace), and that were written to or are a minute old
/// (a file just created is locked a moment later).
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let name = path.file_name().ok_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, "the path names no file")
    })?;
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let prefix = temp_prefix(name);
    remove_stale(dir, &prefix);
    let mut tmp = Temporary::create(dir, &prefix)?;
    tmp.file.write_all(bytes)?;
    tmp.file.sync_all()?;
    // On error the temporary file is dropped, which deletes it.
    std::fs::rename(&tmp.path, path)?;
    tmp.persisted = true;
    if let Ok(folder) = std::fs::File::open(dir) {
        let _ = folder.sync_all(); // best effort: not every platform syncs folders
    }
    Ok(())
}

/// A temporary file `<prefix><random>.tmp`, created exclusively (`create_new`: `O_CREAT |
/// O_EXCL`, which never follows a symlink planted at the name) and locked, removed when dropped
/// unless renamed into place (the lock is released with the handle, after the removal).
/// Written with std alone rather than the `tempfile` crate: these few lines are all that saving
/// needs of it, and the main job's first build compiles five crates fewer (tempfile, fastrand,
/// getrandom, rustix, linux-raw-sys).
struct Temporary {
    path: PathBuf,
    file: std::fs::File,
    persisted: bool,
}

impl Temporary {
    fn create(dir: &Path, prefix: &str) -> std::io::Result<Temporary> {
        // An unpredictable name: std's hasher keys are drawn from the operating system's
        // randomness for every `RandomState`. A name taken already (by chance or by someone
        // else) is another try.
        let mut last = None;
        for attempt in 0..32u64 {
            let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
            hasher.write_u64(attempt);
            let path = dir.join(format!("{prefix}{:016x}.tmp", hasher.finish()));
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(file) => {
                    let tmp = Temporary {
                        path,
                        file,
                        persisted: false,
                    };
                    // Where the file system has no locks, saves go on without them (and
                    // clean-up, which cannot lock either, leaves every file alone).
                    match tmp.file.try_lock() {
                        Ok(()) | Err(std::fs::TryLockError::Error(_)) => {}
                        // Someone locked it between its creation and now: not ours to write.
                        Err(std::fs::TryLockError::WouldBlock) => continue,
                    }
                    return Ok(tmp);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "no free temporary file name in 32 attempts",
            )
        }))
    }
}

impl Drop for Temporary {
    fn drop(&mut self) {
        if !self.persisted {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// How old an empty temporary file must be to count as stale: its creator locks it the moment
/// after creating it, and writes to it next.
const EMPTY_GRACE: std::time::Duration = std::time::Duration::from_secs(60);

/// Removes `dir/<prefix>*.tmp` that were left behind: regular files that no process holds
/// locked, and that are not empty or are older than [`EMPTY_GRACE`] (an empty young file may
/// be one another save has just created and not yet locked). Symlinks and other files are
/// never opened nor removed.
fn remove_stale(dir: &Path, prefix: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let ours = file_name
            .to_str()
            .and_then(|n| n.strip_prefix(prefix))
            .is_some_and(|rest| rest.ends_with(".tmp"));
        let regular = entry.file_type().is_ok_and(|t| t.is_file());
        if !ours || !regular {
            continue;
        }
        let path = entry.path();
        let Ok(file) = std::fs::File::open(&path) else {
            continue;
        };
        // The lock is held until after removal, so that no save can take the name meanwhile.
        if file.try_lock().is_err() {
            continue;
        }
        let Ok(meta) = file.metadata() else {
            continue;
        };
        let age = meta.modified().ok().and_then(|m| m.elapsed().ok());
        if meta.is_file() && (meta.len() > 0 || age.is_some_and(|a| a >= EMPTY_GRACE)) {
            let _ = std::fs::remove_file(&path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_writer_escapes_and_the_reader_reads_it_back() {
        let awkward = "quote \" backslash \\ newline \n tab \t bell \u{7} é ∂";
        let metadata = BTreeMap::from([
            ("b".to_string(), awkward.to_string()),
            ("a".to_string(), String::new()),
        ]);
        let data = [1u8, 2, 3, 4, 5, 6, 7, 8];
        let tensors = || {
            vec![
                Tensor {
                    name: awkward.into(),
                    dtype: "U8".into(),
                    shape: vec![2, 2],
                    data: &data[..4],
                },
                Tensor {
                    name: "wide".into(),
                    dtype: "U32".into(),
                    shape: vec![1],
                    data: &data[4..],
                },
            ]
        };
        let bytes = serialize(tensors(), &metadata);
        assert_eq!(bytes, serialize(tensors(), &metadata), "deterministic");
        let header = super::super::header::Header::parse(&bytes).unwrap();
        let meta: Vec<(String, Option<String>)> = header
            .metadata()
            .map(|(k, v)| (k.to_string(), v.map(|v| v.to_string())))
            .collect();
        assert_eq!(
            meta,
            [
                ("a".into(), Some(String::new())),
                ("b".into(), Some(awkward.into()))
            ]
        );
        let entries: Vec<_> = header.entries().collect();
        // The 4-byte tensor comes first, aligned.
        assert!(entries[0].name.is("wide") && entries[0].data == &data[4..]);
        assert!(entries[1].name.is(awkward) && entries[1].dtype.is("U8"));
        assert_eq!(entries[1].shape.as_slice(), [2, 2]);
        assert_eq!(entries[1].data, &data[..4]);
        assert_eq!((bytes.len() - 8) % 8, 0);
    }
}
