//! Saves are atomic and safe against concurrent writers, planted symlinks and killed
//! processes: every load sees a whole file, and no temporary file outlives the next save.

use kiln::io;
use kiln::model;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

model! { struct Net { Input(16), Dense(64, activation = tanh), Dense(8) } }

/// Files in `dir` other than `keep`.
fn leftovers(dir: &Path, keep: &str) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap() != keep)
        .collect()
}

#[test]
fn concurrent_saves_and_loads_of_one_path_never_fail_nor_tear() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("net.safetensors");
    let nets: Vec<Net<f32>> = (0..4).map(Net::new).collect();
    io::save(&nets[0], &path).unwrap();
    let stop = AtomicBool::new(false);
    let (saves, loads) = (AtomicUsize::new(0), AtomicUsize::new(0));
    std::thread::scope(|s| {
        for net in &nets {
            s.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    io::save(net, &path).expect("a concurrent save failed");
                    saves.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        for _ in 0..2 {
            s.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    let back: Net<f32> = io::load(&path).expect("a load saw a torn file");
                    assert!(nets.iter().any(|n| n.params() == back.params()));
                    loads.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        std::thread::sleep(Duration::from_secs(3));
        stop.store(true, Ordering::Relaxed);
    });
    assert!(saves.into_inner() > 20 && loads.into_inner() > 20);
    assert_eq!(
        leftovers(dir.path(), "net.safetensors"),
        Vec::<PathBuf>::new()
    );
}

#[cfg(unix)]
#[test]
fn a_planted_symlink_is_never_written_through() {
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, "precious").unwrap();
    let path = dir.path().join("net.safetensors");
    // Every name the old scheme would have used, and some guesses at the new one's.
    let pid = std::process::id();
    for name in [
        format!("net.safetensors.tmp-{pid}"),
        format!("net.safetensors.tmp-{pid}-0"),
        format!(".net.safetensors.kiln-{pid}-"),
    ] {
        std::os::unix::fs::symlink(&victim, dir.path().join(name)).unwrap();
    }
    let net = Net::<f32>::new(1);
    for _ in 0..20 {
        io::save(&net, &path).unwrap();
    }
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert_eq!(
        io::load::<f32, Net<f32>>(&path).unwrap().params(),
        net.params()
    );
    // The target itself being a symlink is replaced (renamed over), not written through.
    std::fs::remove_file(&path).unwrap();
    std::os::unix::fs::symlink(&victim, &path).unwrap();
    io::save(&net, &path).unwrap();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
}

/// The child of [`a_save_killed_midway_leaves_a_loadable_file_and_no_temporary_files`]: saves
/// a large model to the path in `KILN_SAVE_CHILD` until it is killed.
#[test]
fn save_forever_when_asked() {
    let Some(path) = std::env::var_os("KILN_SAVE_CHILD") else {
        return;
    };
    model! { struct Big { Input(512), Dense(2048), Dense(512) } }
    let mut seed = 0;
    loop {
        io::save(&Big::<f32>::new(seed), Path::new(&path)).unwrap();
        seed += 1;
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_save_killed_midway_leaves_a_loadable_file_and_no_temporary_files() {
    model! { struct Big { Input(512), Dense(2048), Dense(512) } }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.safetensors");
    io::save(&Big::<f32>::new(0), &path).unwrap();
    let exe = std::env::current_exe().unwrap();
    let started = Instant::now();
    for round in 0..12u64 {
        let mut child = std::process::Command::new(&exe)
            .args([
                "--exact",
                "save_forever_when_asked",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("KILN_SAVE_CHILD", &path)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Kill it at varying moments of its saves.
        std::thread::sleep(Duration::from_millis(60 + 37 * round));
        child.kill().unwrap();
        child.wait().unwrap();
        let back: Big<f32> = io::load(&path).expect("a killed save left a torn file");
        assert_eq!(back.params().len(), Big::<f32>::PARAM_COUNT);
    }
    // The next save removes what the killed processes left.
    io::save(&Big::<f32>::new(1), &path).unwrap();
    assert_eq!(
        leftovers(dir.path(), "big.safetensors"),
        Vec::<PathBuf>::new()
    );
    assert!(started.elapsed() < Duration::from_secs(60));
}

#[test]
fn a_temporary_file_another_save_holds_locked_is_not_removed_as_stale() {
    // Another process's live temporary file, seen from a different PID namespace: its pid
    // (beyond any pid_max) looks dead from here, it is old, but its writer holds it locked.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("net.safetensors");
    let live = dir
        .path()
        .join(".net.safetensors.kiln-4194305-0123456789abcdef.tmp");
    let held = std::fs::File::create(&live).unwrap();
    std::fs::write(&live, b"half a file").unwrap();
    held.set_modified(std::time::SystemTime::now() - Duration::from_secs(3600))
        .unwrap();
    held.try_lock().unwrap();
    let net = Net::<f32>::new(1);
    io::save(&net, &path).unwrap();
    assert!(live.exists(), "a locked temporary file was removed");
    // Once its writer is gone (the lock released with the handle), it is stale.
    drop(held);
    io::save(&net, &path).unwrap();
    assert_eq!(
        leftovers(dir.path(), "net.safetensors"),
        Vec::<PathBuf>::new()
    );
}

#[test]
fn a_file_name_of_255_bytes_saves() {
    // The temporary file's name must fit the file system's 255 bytes too.
    let dir = tempfile::tempdir().unwrap();
    let net = Net::<f32>::new(2);
    for len in [200, 222, 223, 240, 255] {
        let name = format!("{}.safetensors", "n".repeat(len - ".safetensors".len()));
        let path = dir.path().join(&name);
        io::save(&net, &path).unwrap_or_else(|e| panic!("{len}: {e}"));
        let back: Net<f32> = io::load(&path).unwrap();
        assert_eq!(back.params(), net.params());
        io::save(&Net::<f32>::new(3), &path).unwrap();
        assert_eq!(leftovers(dir.path(), &name), Vec::<PathBuf>::new());
        std::fs::remove_file(&path).unwrap();
    }
}
