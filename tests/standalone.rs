//! A bare clone stands alone: no source, manifest, script or document of the repository points
//! at a folder beside it (the project's shared notes are not part of a clone), and the PyTorch
//! reference cases the tests use are all in `tests/reference/`.

use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Files that may name the folder beside the repository, as provenance only.
const ALLOWED: &[&str] = &["tests/reference/README.md"];

/// Every text file of the repository that a build, a test or a reader follows.
fn text_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            if !(name.starts_with('.') && name != ".ci" || name == "target") {
                text_files(&path, out);
            }
        } else if ["rs", "toml", "md", "py", "sh", "json", "txt"]
            .iter()
            .any(|ext| name.ends_with(&format!(".{ext}")))
            || name == "run"
        {
            out.push(path);
        }
    }
}

#[test]
fn nothing_reads_outside_the_repository() {
    // Spelled in pieces so that this file does not match itself.
    let outside = ["..", "shared"].join("/");
    let root = repo();
    let mut files = Vec::new();
    text_files(&root, &mut files);
    assert!(
        files.len() > 50,
        "the walk found only {} files",
        files.len()
    );
    let offenders: Vec<String> = files
        .iter()
        .filter_map(|path| {
            let rel = path
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let text = std::fs::read_to_string(path).ok()?;
            (!ALLOWED.contains(&rel.as_str()) && text.contains(&outside)).then_some(rel)
        })
        .collect();
    assert!(
        offenders.is_empty(),
        "these files point at `{outside}`, which a clone does not have; ship what they need in the \
         repository (e.g. tests/reference/): {offenders:?}"
    );
}

#[test]
fn every_reference_case_is_shipped() {
    let dir = repo().join("tests/reference");
    let index = std::fs::read_to_string(dir.join("index.json")).unwrap();
    let files: Vec<&str> = index
        .split("\"file\": \"")
        .skip(1)
        .map(|rest| &rest[..rest.find('"').unwrap()])
        .collect();
    assert_eq!(files.len(), 75, "index.json lists {} cases", files.len());
    for file in files {
        let len = std::fs::metadata(dir.join(file)).map(|m| m.len());
        assert!(
            matches!(len, Ok(n) if n > 8),
            "{file} is missing or empty: {len:?}"
        );
    }
}

/// Every test file in `tests/` is a `[[test]]` target of `tests/Cargo.toml` (the package sets
/// `autotests = false`, so a file left out would silently never run).
#[test]
fn every_test_file_is_registered() {
    let manifest = std::fs::read_to_string(repo().join("tests/Cargo.toml")).unwrap();
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(repo().join("tests")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".rs") && !manifest.contains(&format!("path = \"{name}\"")) {
            missing.push(name);
        }
    }
    assert!(
        missing.is_empty(),
        "tests/Cargo.toml has no [[test]] for {missing:?}"
    );
}
