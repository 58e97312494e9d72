//! Scratch directories for the examples' quick tests: what `tempfile::tempdir` gives, without a
//! dev-dependency that the main job's first build would compile.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A fresh directory under [`std::env::temp_dir`], removed with its contents on drop.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    /// The directory.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Creates a directory whose name no other process or call uses: `kiln-<pid>-<nanos>-<n>`.
pub fn tempdir() -> std::io::Result<TempDir> {
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let n = COUNT.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("kiln-{}-{nanos}-{n}", std::process::id()));
    std::fs::create_dir(&dir)?;
    Ok(TempDir(dir))
}

#[cfg(test)]
mod tests {
    #[test]
    fn distinct_and_removed_on_drop() {
        let (a, b) = (super::tempdir().unwrap(), super::tempdir().unwrap());
        assert_ne!(a.path(), b.path());
        std::fs::write(a.path().join("f"), b"x").unwrap();
        let path = a.path().to_path_buf();
        drop(a);
        assert!(!path.exists());
    }
}
