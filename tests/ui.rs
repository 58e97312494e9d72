//! The compile errors of `model!`, as users see them: one trybuild case per mistake under
//! `tests/ui/<category>/`, each with its reviewed `.stderr` snapshot (refresh with
//! `TRYBUILD=overwrite cargo test --test ui` and review the diff). The toolchain is pinned in
//! `rust-toolchain.toml`, because rustc's wording drifts between versions.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    for category in ["layers", "arguments", "shapes", "types"] {
        t.compile_fail(format!("tests/ui/{category}/*.rs"));
    }
}
