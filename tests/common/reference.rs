//! The PyTorch reference cases in `../shared/reference/` (see its README): every tensor is f32,
//! row-major; a `[B, C]` batch is therefore exactly kiln's column-major `C × B` layout.

use safetensors::{Dtype, SafeTensors};
use std::collections::HashMap;
use std::path::PathBuf;

/// One case: its tensors (shape, row-major data) and its metadata.
pub struct Case {
    pub name: String,
    pub tensors: HashMap<String, (Vec<usize>, Vec<f32>)>,
    pub meta: serde_json::Value,
}

/// The reference folder: `$KILN_REFERENCE_DIR`, else `../shared/reference` beside the repository.
pub fn dir() -> PathBuf {
    std::env::var_os("KILN_REFERENCE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/reference"))
}

impl Case {
    pub fn load(name: &str) -> Case {
        let path = dir().join(format!("{name}.safetensors"));
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        let (_, header) = SafeTensors::read_metadata(&bytes).expect("safetensors header");
        let meta = header.metadata().as_ref().and_then(|m| m.get("meta")).expect("meta");
        let meta = serde_json::from_str(meta).expect("meta is JSON");
        let st = SafeTensors::deserialize(&bytes).expect("safetensors");
        let mut tensors = HashMap::new();
        for name in st.names() {
            let view = st.tensor(name).expect("tensor");
            assert_eq!(view.dtype(), Dtype::F32);
            let data = view.data().chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
            tensors.insert(name.to_string(), (view.shape().to_vec(), data));
        }
        Case { name: name.to_string(), tensors, meta }
    }

    /// A tensor's row-major data.
    pub fn get(&self, tensor: &str) -> &[f32] {
        &self.tensors.get(tensor).unwrap_or_else(|| panic!("{}: no tensor {tensor}", self.name)).1
    }

    pub fn shape(&self, tensor: &str) -> &[usize] {
        &self.tensors[tensor].0
    }

    /// The largest `|a − b|` over two tensors, asserting it is below `tolerance`.
    pub fn assert_close(&self, what: &str, actual: &[f32], tensor: &str, tolerance: f32) -> f32 {
        let expected = self.get(tensor);
        assert_eq!(actual.len(), expected.len(), "{}: {what}: length", self.name);
        let worst = actual.iter().zip(expected).map(|(a, e)| (a - e).abs()).fold(0.0f32, f32::max);
        assert!(worst <= tolerance, "{}: {what} differs from `{tensor}` by {worst:e}", self.name);
        worst
    }
}
