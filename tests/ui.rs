//! The compile errors of `model!`, as users see them: one trybuild case per mistake under
//! `tests/ui/<category>/`, each with its reviewed `.stderr` snapshot (refresh with
//! `TRYBUILD=overwrite cargo test -p kiln-tests --test ui` and review the diff). The toolchain is pinned in
//! `rust-toolchain.toml`, because rustc's wording drifts between versions.
//!
//! Every case whose `main` is empty has a twin under `tests/ui/used/<category>/`: the same
//! mistake in a program that builds, summarises, predicts, compiles and fits the model, which
//! must give the same one error (the macro declares a stand-in of the model beside it). The twins
//! are generated from the cases here ([`used_variant`]), written by `TRYBUILD=overwrite`.

use std::path::{Path, PathBuf};

/// `tests/ui/pass/` must compile; every other folder of `tests/ui/` is a category of
/// compile errors, picked up without a list to edit.
#[test]
fn ui() {
    // The snapshots name the cases `tests/ui/...`, from the repository root, where users see
    // them. trybuild makes paths relative to `$CARGO_MANIFEST_DIR` as it finds it at run time,
    // and this package lives in `tests/`: point it at the root package, which depends on kiln
    // as the cases need. (This test is alone in its binary, so no other thread reads the
    // environment.)
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .unwrap();
    std::env::set_var("CARGO_MANIFEST_DIR", &root);
    // The case patterns are relative paths, read from the working directory.
    std::env::set_current_dir(&root).unwrap();
    let overwrite = std::env::var_os("TRYBUILD").is_some_and(|v| v == "overwrite");
    let ui = root.join("tests/ui");
    let categories = folders(&ui, &["pass", "used"]);
    assert!(
        categories.len() >= 4,
        "the compile-fail folders: {categories:?}"
    );
    let twins = used_twins(&ui, &categories, overwrite);

    let pass = trybuild::TestCases::new();
    pass.pass("tests/ui/pass/*.rs");
    drop(pass);

    // Apart from the pass cases, so that trybuild checks them with `cargo check`, as an editor
    // does (trybuild's `cargo.rs`: `if project.has_pass { "build" } else { "check" }`): each
    // error, the loss/output mismatch at `.compile` too, is seen without building.
    let fail = trybuild::TestCases::new();
    let mut cases = 0;
    for category in &categories {
        cases += rust_files(&ui.join(category)).len();
        fail.compile_fail(format!("tests/ui/{category}/*.rs"));
    }
    for category in folders(&ui.join("used"), &[]) {
        fail.compile_fail(format!("tests/ui/used/{category}/*.rs"));
    }
    drop(fail);
    // The suite must not pass by finding nothing.
    assert!(cases >= 60, "only {cases} compile-fail cases found");
    assert!(twins >= 60, "only {twins} used variants found");
    same_errors_when_used(&ui, &categories);
}

/// The sub-folders of `dir` but `except`, sorted.
fn folders(dir: &Path, except: &[&str]) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("a folder of cases")
        .map(|entry| entry.expect("a folder entry").path())
        .filter(|path| path.is_dir())
        .map(|path| path.file_name().unwrap().to_string_lossy().into_owned())
        .filter(|name| !except.contains(&name.as_str()))
        .collect();
    names.sort();
    names
}

/// The `.rs` files of `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .collect();
    files.sort();
    files
}

/// Checks (or, when overwriting, writes) each case's used variant; returns how many there are.
fn used_twins(ui: &Path, categories: &[String], overwrite: bool) -> usize {
    let mut twins = 0;
    for category in categories {
        for case in rust_files(&ui.join(category)) {
            let plain = std::fs::read_to_string(&case).unwrap();
            let Some(used) = used_variant(&plain) else {
                continue;
            };
            let twin = ui
                .join("used")
                .join(category)
                .join(case.file_name().unwrap());
            if overwrite {
                std::fs::create_dir_all(twin.parent().unwrap()).unwrap();
                std::fs::write(&twin, &used).unwrap();
            }
            let found = std::fs::read_to_string(&twin).unwrap_or_default();
            assert!(
                found == used,
                "{} is not the used variant of {}: run `TRYBUILD=overwrite cargo test -p kiln-tests --test ui`",
                twin.display(),
                case.display()
            );
            twins += 1;
        }
    }
    twins
}

/// Each used variant's snapshot is its plain case's, path aside: the same one error.
fn same_errors_when_used(ui: &Path, categories: &[String]) {
    for category in categories {
        let used = ui.join("used").join(category);
        if !used.is_dir() {
            continue;
        }
        for twin in rust_files(&used) {
            let file = twin.file_name().unwrap().to_string_lossy().into_owned();
            let stderr = |dir: &Path| {
                std::fs::read_to_string(dir.join(file.replace(".rs", ".stderr"))).unwrap()
            };
            let plain = stderr(&ui.join(category));
            let used = stderr(&ui.join("used").join(category));
            let moved = plain.replace(
                &format!("tests/ui/{category}/"),
                &format!("tests/ui/used/{category}/"),
            );
            assert_eq!(
                used, moved,
                "tests/ui/used/{category}/{file} gives other errors than its plain case"
            );
        }
    }
}

/// A case that ends in an empty `main`, with a `main` that uses its model as every program does
/// instead; `None` for a case with a `main` of its own. The lines before `main` stay as they
/// are, so that the errors point at the same lines.
fn used_variant(plain: &str) -> Option<String> {
    let model = plain.trim_end().strip_suffix("fn main() {}")?;
    let name = plain
        .split("struct ")
        .nth(1)
        .and_then(|rest| {
            rest.split(|c: char| !c.is_alphanumeric() && c != '_')
                .next()
        })
        .expect("a case declares its model");
    let (sample, samples) = if plain.contains("Embedding(") {
        (
            format!("let y = net.predict_tokens(&[1u32; {name}::<f32>::INPUT_SIZE]).unwrap();"),
            format!("let x = {name}::<f32>::token_inputs(&vec![1u32; 8 * {name}::<f32>::INPUT_SIZE]).unwrap();"),
        )
    } else {
        (
            format!("let y = net.predict(&[0.5f32; {name}::<f32>::INPUT_SIZE]);"),
            format!("let x = vec![0.5f32; 8 * {name}::<f32>::INPUT_SIZE];"),
        )
    };
    Some(format!(
        "{model}fn main() {{
    // The model in use: built, summarised, run on one sample, compiled and fitted.
    use kiln::losses::MeanSquaredError;
    use kiln::optim::Adam;
    use kiln::{{Compile, Fit}};

    let net = {name}::new(0);
    println!(\"{{}}\", net.summary());
    {sample}
    println!(\"{{}} {{:?}}\", y[0], y.argmax());
    let _workspace = net.workspace(8);
    {samples}
    let targets = vec![0.0f32; 8 * {name}::<f32>::OUTPUT_SIZE];
    let mut trainer = net.compile(Adam::default(), MeanSquaredError);
    let history = trainer.fit(&x, &targets, Fit::epochs(1).quiet()).unwrap();
    println!(\"{{:?}}\", history);
}}
"
    ))
}
