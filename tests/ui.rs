//! The compile errors of `model!`, as users see them: one trybuild case per mistake under
//! `tests/ui/<category>/`, each with its reviewed `.stderr` snapshot (refresh with
//! `TRYBUILD=overwrite cargo test -p kiln-tests --test ui` and review the diff). The toolchain is pinned in
//! `rust-toolchain.toml`, because rustc's wording drifts between versions.

/// `tests/ui/pass/` must compile; every other folder of `tests/ui/` is a category of
/// compile errors, picked up without a list to edit.
#[test]
fn ui() {
    // The snapshots name the cases `tests/ui/...`, from the repository root, where users see
    // them. trybuild makes paths relative to `$CARGO_MANIFEST_DIR` as it finds it at run time,
    // and this package lives in `tests/`: point it at the root package, which depends on kiln
    // as the cases need. (This test is alone in its binary, so no other thread reads the
    // environment.)
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .unwrap();
    std::env::set_var("CARGO_MANIFEST_DIR", &root);
    // The case patterns are relative paths, read from the working directory.
    std::env::set_current_dir(&root).unwrap();
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    let mut categories: Vec<String> = std::fs::read_dir(root.join("tests/ui"))
        .expect("tests/ui")
        .map(|entry| entry.expect("a folder entry").path())
        .filter(|path| path.is_dir() && !path.ends_with("pass"))
        .map(|path| path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    categories.sort();
    assert!(
        categories.len() >= 4,
        "the compile-fail folders: {categories:?}"
    );
    let mut cases = 0;
    for category in categories {
        let pattern = format!("tests/ui/{category}/*.rs");
        cases += std::fs::read_dir(root.join("tests/ui").join(&category))
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .path()
                    .extension()
                    .is_some_and(|x| x == "rs")
            })
            .count();
        t.compile_fail(pattern);
    }
    // The suite must not pass by finding nothing.
    assert!(cases >= 60, "only {cases} compile-fail cases found");
}
