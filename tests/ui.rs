//! The compile errors of `model!`, as users see them: one trybuild case per mistake under
//! `tests/ui/<category>/`, each with its reviewed `.stderr` snapshot (refresh with
//! `TRYBUILD=overwrite cargo test -p kiln-tests --test ui` and review the diff). The toolchain is pinned in
//! `rust-toolchain.toml`, because rustc's wording drifts between versions.

#[test]
fn ui() {
    // The snapshots name the cases `tests/ui/...`, from the repository root, where users see
    // them. trybuild makes paths relative to `$CARGO_MANIFEST_DIR` as it finds it at run time,
    // and this package lives in `tests/`: point it at the root package, which depends on kiln
    // as the cases need. (This test is alone in its binary, so no other thread reads the
    // environment.)
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    std::env::set_var("CARGO_MANIFEST_DIR", root.canonicalize().unwrap());
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    for category in ["layers", "arguments", "shapes", "types"] {
        t.compile_fail(format!("tests/ui/{category}/*.rs"));
    }
}
