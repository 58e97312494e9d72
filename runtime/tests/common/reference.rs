//! Loads the PyTorch reference cases in `tests/reference/` at the repository root (see its
//! README), or in `$KILN_REFERENCE_DIR` when that is set.

use safetensors::{Dtype, SafeTensors};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// One reference case: tensors (shape, row-major f32 data) and the metadata object.
pub struct Case {
    pub name: String,
    pub tensors: HashMap<String, (Vec<usize>, Vec<f32>)>,
    /// The I64 tensors (`input_int64` of `embedding`).
    pub ints: HashMap<String, (Vec<usize>, Vec<i64>)>,
    pub meta: serde_json::Value,
}

impl Case {
    /// The data of tensor `name`.
    #[track_caller]
    pub fn get(&self, name: &str) -> &[f32] {
        match self.tensors.get(name) {
            Some((_, d)) => d,
            None => panic!("case {}: no tensor `{name}`", self.name),
        }
    }

    /// The shape of tensor `name`.
    #[track_caller]
    pub fn shape(&self, name: &str) -> &[usize] {
        &self.tensors[name].0
    }

    /// Asserts that `actual` is within 1e-5 (f32 parity) of reference tensor `tensor`; returns
    /// the largest `|a − b|`.
    #[track_caller]
    pub fn assert_close(&self, what: &str, actual: &[f32], tensor: &str) -> f32 {
        let expected = self.get(tensor);
        assert_eq!(
            actual.len(),
            expected.len(),
            "{}: {what}: length",
            self.name
        );
        let worst = actual
            .iter()
            .zip(expected)
            .map(|(a, e)| (a - e).abs())
            .fold(0.0f32, f32::max);
        assert!(
            worst <= 1e-5,
            "{}: {what} differs from `{tensor}` by {worst:e}",
            self.name
        );
        worst
    }

    /// A numeric metadata field, searching `hyper` too.
    #[track_caller]
    pub fn num(&self, key: &str) -> f64 {
        self.meta
            .get(key)
            .or_else(|| self.meta.get("hyper").and_then(|h| h.get(key)))
            .and_then(|v| v.as_f64())
            .unwrap_or_else(|| panic!("case {}: no numeric field `{key}`", self.name))
    }
}

/// `$KILN_REFERENCE_DIR`, or else `<repo>/tests/reference` (this crate is `<repo>/runtime`).
pub fn reference_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("KILN_REFERENCE_DIR") {
        return PathBuf::from(dir);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/reference")
}

/// Loads `<dir>/<name>.safetensors`.
pub fn load_case(name: &str) -> Case {
    let path = reference_dir().join(format!("{name}.safetensors"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let (_, header) = SafeTensors::read_metadata(&bytes).unwrap();
    let md = header.metadata().as_ref().unwrap();
    let meta: serde_json::Value = serde_json::from_str(&md["meta"]).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let mut tensors = HashMap::new();
    let mut ints = HashMap::new();
    for tname in st.names() {
        let v = st.tensor(tname).unwrap();
        if v.dtype() == Dtype::I64 {
            let data = v
                .data()
                .chunks_exact(8)
                .map(|b| i64::from_le_bytes(b.try_into().unwrap()))
                .collect();
            ints.insert(tname.to_string(), (v.shape().to_vec(), data));
            continue;
        }
        assert_eq!(v.dtype(), Dtype::F32);
        let data: Vec<f32> = v
            .data()
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
            .collect();
        tensors.insert(tname.to_string(), (v.shape().to_vec(), data));
    }
    Case {
        name: name.to_string(),
        tensors,
        ints,
        meta,
    }
}

/// The names of all cases of `kind` listed in `index.json`.
pub fn cases_of_kind(kind: &str) -> Vec<String> {
    let path = reference_dir().join("index.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let index: serde_json::Value = serde_json::from_str(&text).unwrap();
    index["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == kind)
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect()
}
