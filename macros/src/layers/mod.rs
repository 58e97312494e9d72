//! One module per layer kind, each holding everything the compiler knows about it: its
//! arguments, shape rule, parameters (with their PyTorch layout), workspace buffers and the
//! code it generates for forward, backward, `predict` and `step`. Its kernels live in the
//! runtime's module of the same name (`runtime/src/layers/`). Adding a layer kind means those
//! two files and one entry in [`REGISTRY`]; see `CONTRIBUTING.md`.

mod activation;
mod batch_normalization;
mod bidirectional;
mod conv1d;
mod conv2d;
mod cx;
mod dense;
mod dropout;
mod embedding;
mod flatten;
mod gru;
mod im2col;
mod layer_normalization;
mod lstm;
mod pool;
mod pool1d;
mod prelu;
mod recurrent;
mod residual;
mod simple_rnn;

pub use cx::{Cx, Wiring};

use crate::activation::Activation;
use crate::param::Param;
use crate::parse::Call;
use crate::shape::{Shape, TorchOrder};
use proc_macro2::TokenStream;

/// A layer kind: its Keras class name, the arguments it accepts (positional in this order, or
/// by keyword), and the function reading a call's arguments into its spec.
pub struct Kind {
    pub name: &'static str,
    pub arguments: &'static [&'static str],
    pub parse: fn(&Call) -> syn::Result<Box<dyn LayerSpec>>,
}

/// Every layer kind `model!` knows, by its Keras class name (aliases are entries of their own).
pub const REGISTRY: &[Kind] = &[
    dense::KIND,
    dropout::KIND,
    activation::KIND,
    flatten::KIND,
    conv2d::KIND,
    conv1d::KIND,
    pool::MAX,
    pool::MAX_ALIAS,
    pool::AVERAGE,
    pool::AVERAGE_ALIAS,
    pool::GLOBAL_MAX,
    pool::GLOBAL_AVERAGE,
    pool1d::MAX,
    pool1d::MAX_ALIAS,
    pool1d::AVERAGE,
    pool1d::AVERAGE_ALIAS,
    pool1d::GLOBAL_MAX,
    pool1d::GLOBAL_AVERAGE,
    lstm::KIND,
    simple_rnn::KIND,
    gru::KIND,
    batch_normalization::KIND,
    layer_normalization::KIND,
    prelu::KIND,
    residual::KIND,
    bidirectional::KIND,
    embedding::KIND,
];

/// What a layer kind tells the compiler.
pub trait LayerSpec {
    /// Keras' class name, shown in summaries: `Dense`.
    fn kind(&self) -> &'static str;

    /// Prefix of default instance names: `dense` gives `dense`, `dense_1`, ...
    fn default_name(&self) -> &'static str;

    /// An explicit `name = "..."` argument, if given.
    fn explicit_name(&self) -> Option<String> {
        None
    }

    /// The shape rule: the output for `input`, or an error spanned at `call` saying how to fix it.
    fn output_shape(&self, input: &Shape, call: &Call) -> syn::Result<Shape>;

    /// Parameter tensors, in the order they are stored (offsets are filled in later).
    /// `torch_input` is the order of the input's values in the PyTorch twin.
    fn params(&self, _input: &Shape, _output: &Shape, _torch_input: TorchOrder) -> Vec<Param> {
        Vec::new()
    }

    /// The order of the output's values in the equivalent PyTorch `nn.Sequential`, given the
    /// input's (`Flatten` of an image flattens channels-first there; element-wise layers keep
    /// the order they receive).
    fn torch_order(&self, _input: &Shape, _incoming: TorchOrder) -> TorchOrder {
        TorchOrder::Kiln
    }

    /// Extra per-sample workspace buffers (beyond the layer's output and its gradient).
    fn scratch(&self, _input: &Shape, _output: &Shape) -> Vec<Scratch> {
        Vec::new()
    }

    /// How many modules the layer is in the equivalent PyTorch `nn.Sequential`: its place there
    /// numbers its tensors (`0.weight`). A fused non-linear activation is a module of its own.
    fn torch_modules(&self) -> usize {
        1
    }

    /// The activation producing this layer's output, if the layer ends in one.
    fn output_activation(&self) -> Option<Activation> {
        None
    }

    /// Batched forward over `n` samples (`mode` is in scope).
    fn forward(&self, cx: &Cx) -> TokenStream;

    /// Batched backward over `n` samples: reads the output gradient, writes parameter gradients
    /// and (where [`Cx::grad_in`] says so) the input gradient.
    fn backward(&self, cx: &Cx) -> TokenStream;

    /// Single-sample inference on stack arrays: binds [`Cx::predict_out`] (a `&[T; N]`) from
    /// [`Cx::predict_in`].
    fn predict(&self, cx: &Cx) -> TokenStream;

    /// Arrays a layer keeps between streaming steps (a recurrent layer's hidden state, a causal
    /// convolution's past inputs) given its input shape: names and lengths, fields of the
    /// model's `State` struct.
    fn state(&self, _input: &Shape) -> Vec<(&'static str, usize)> {
        Vec::new()
    }

    /// One time step of streaming inference, like [`LayerSpec::predict`] but with every
    /// sequence shape read as one step of it ([`Cx::input_size`] says so) and the recurrent
    /// state in `state` ([`Cx::state`]). `None` when the layer cannot run step by step: it mixes
    /// time steps (Flatten of a sequence), or is not defined on sequences. By default layers
    /// after the recurrent ones (vector inputs) step as they predict.
    fn step(&self, cx: &Cx) -> Option<TokenStream> {
        matches!(cx.input_shape, Shape::Vector(_)).then(|| self.predict(cx))
    }

    /// After a training-mode forward pass over `n` samples, statements moving the layer's
    /// non-trainable parameters (bound mutable as `params`) toward the batch's statistics in
    /// the workspace `ws`.
    fn update_moving_statistics(&self, _cx: &Cx) -> TokenStream {
        TokenStream::new()
    }

    /// Whether the layer is written with a block of layers after it (`Residual { ... }`).
    fn takes_block(&self) -> bool {
        false
    }

    /// For a layer written with a block of layers after it (`Residual { ... }`, `call`): the
    /// layers that close the block once its body is checked, given the index of this (opening)
    /// layer, the block's input shape and its body's output shape. `None` (the default) for a
    /// layer that takes no block.
    fn close_block(
        &self,
        _call: &Call,
        _open: usize,
        _block_input: &Shape,
        _branch_output: &Shape,
    ) -> Option<Vec<Closing>> {
        None
    }

    /// The vocabulary size (`input_dim`) of a layer that reads token indices: as a model's first
    /// layer, it gives the model `predict_tokens` and `token_inputs`, which take `u32` tokens and
    /// check them against it.
    fn tokens(&self) -> Option<usize> {
        None
    }

    /// The workspace field holding the input of the output activation (the logits), when this
    /// layer's output activation is not linear.
    fn logits(&self, _cx: &Cx) -> Option<TokenStream> {
        None
    }
}

/// A layer that closes a block: the block's shortcut (which reads the block's input), or the
/// layer that joins the branches.
pub struct Closing {
    pub spec: Box<dyn LayerSpec>,
    pub shortcut: bool,
    /// The call to span its errors at.
    pub call: Call,
}

/// Resolves a layer call by its Keras class name in the [`REGISTRY`] and reads its arguments.
pub fn resolve(call: &Call) -> syn::Result<Box<dyn LayerSpec>> {
    let name = call.name.to_string();
    if name == "Input" {
        return Err(call.error("`Input(...)` may appear only once, as the first entry of a model"));
    }
    if let Some(kind) = REGISTRY.iter().find(|k| k.name == name) {
        return (kind.parse)(call);
    }
    // A close name is the likely fix; otherwise the whole vocabulary.
    let suggestion = crate::suggest::did_you_mean(&name, REGISTRY.iter().map(|k| k.name));
    let message = if suggestion.is_empty() {
        let known: Vec<String> = REGISTRY.iter().map(|k| format!("`{}`", k.name)).collect();
        format!("unknown layer `{name}`; kiln knows {}", known.join(", "))
    } else {
        format!("unknown layer `{name}`{suggestion}")
    };
    Err(syn::Error::new(call.name.span(), message))
}

/// A workspace buffer a layer needs besides its output.
pub enum Scratch {
    /// `per_sample` scalars per sample of the batch.
    Buffer {
        name: &'static str,
        per_sample: usize,
    },
    /// `per_sample` `u32` indices per sample of the batch (max-pooling's argmax), a
    /// `Box<[u32]>` workspace field.
    Indices {
        name: &'static str,
        per_sample: usize,
    },
    /// `len` scalars for the whole batch (statistics over it).
    Batch { name: &'static str, len: usize },
    /// A random stream (dropout masks), seeded from the workspace seed.
    Rng { name: &'static str },
}

#[cfg(test)]
mod tests {
    use super::REGISTRY;

    /// The rows of the first Markdown table whose header starts with `| entry |` in `text`
    /// (rustdoc's `/// ` prefixes removed), as `(layer names, the whole row)`.
    fn layer_rows(text: &str) -> Vec<(Vec<String>, String)> {
        let lines: Vec<&str> = text
            .lines()
            .map(|l| l.trim_start().trim_start_matches("///").trim())
            .collect();
        let start = lines
            .iter()
            .position(|l| l.starts_with("| entry |"))
            .expect("a layer table");
        lines[start + 2..]
            .iter()
            .take_while(|l| l.starts_with('|'))
            .map(|row| {
                let first = row.split(" | ").next().unwrap_or_default();
                let names = first
                    .split('`')
                    .skip(1)
                    .step_by(2)
                    .map(|n| {
                        n.chars()
                            .take_while(|c| c.is_alphanumeric())
                            .collect::<String>()
                    })
                    .filter(|n| n != "Input")
                    .collect();
                (names, row.to_string())
            })
            .filter(|(names, _): &(Vec<String>, _)| !names.is_empty())
            .collect()
    }

    /// Every registered kind has a row naming each of its arguments, and every row names only
    /// registered kinds.
    fn check_table(what: &str, text: &str) {
        let rows = layer_rows(text);
        for kind in REGISTRY {
            let Some((_, row)) = rows
                .iter()
                .find(|(names, _)| names.iter().any(|n| n == kind.name))
            else {
                panic!("{what} has no row for `{}`", kind.name);
            };
            for argument in kind.arguments {
                assert!(
                    row.contains(&format!("`{argument}")),
                    "{what}: the row of `{}` does not name its argument `{argument}`",
                    kind.name
                );
            }
        }
        for (names, _) in &rows {
            for name in names {
                assert!(
                    REGISTRY.iter().any(|k| k.name == name),
                    "{what} lists `{name}`, which is no registered layer"
                );
            }
        }
    }

    #[test]
    fn the_model_docs_list_exactly_the_registered_layers() {
        check_table("the `model!` rustdoc", include_str!("../lib.rs"));
    }

    #[test]
    fn the_readme_lists_exactly_the_registered_layers() {
        check_table("README.md", include_str!("../../../README.md"));
    }
}
