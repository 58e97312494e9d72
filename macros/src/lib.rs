//! The `model!` compiler behind kiln: parse (`parse`) into an IR (`ir`) while checking
//! arguments and inferring every shape (`check`), then generate statically sized code
//! (`codegen`). Layer kinds live in `layers`, one module each.

#![warn(missing_docs)]

mod activation;
mod args;
mod check;
mod codegen;
mod ctxt;
mod ir;
mod layers;
mod parse;
mod suggest;

use proc_macro::TokenStream;

/// Declares statically sized neural networks.
///
/// ```text
/// model! {
///     /// Docs and attributes are kept.
///     pub struct Mlp {
///         Input(784),                              // one sample: [features]
///         Dense(64, activation = relu),            // or activation = "relu"
///         Dropout(0.2),
///         Dense(64, activation = leaky_relu(alpha = 0.1)),
///         Dense(10, activation = softmax),
///     }
///     struct Another { Input(28, 28, 1), Flatten(), Dense(10) }   // several per invocation
/// }
/// ```
///
/// Each entry is a Keras layer with Keras' argument names, positional in the listed order or
/// by keyword:
///
/// | entry | arguments | shape rule |
/// |---|---|---|
/// | `Input(d…)` / `Input(shape = [d…])` | 1 dim: vector, 2: `[timesteps, features]`, 3: `[height, width, channels]` | first entry, once |
/// | `Dense(units, activation = linear, use_bias = true, name)` | `units > 0` | `[in] → [units]` |
/// | `Activation(activation, name)` | an activation | `[s] → [s]` (softmax: vectors only) |
/// | `Dropout(rate, name)` | `0 ≤ rate < 1`; active in training only, inverted scaling | `[s] → [s]` |
/// | `Flatten(name)` | — | `[h, w, c] → [h·w·c]`, channels-last order |
/// | `Conv2D(filters, kernel_size, strides = 1, padding = valid, activation = linear, use_bias = true, name)` | sizes an int or a pair; `valid` or `same` (TF padding) | `[h, w, c] → [h′, w′, filters]` |
/// | `MaxPooling2D` / `AveragePooling2D(pool_size = 2, strides = pool_size, padding = valid, name)` | aliases `MaxPool2D`, `AvgPool2D` | `[h, w, c] → [h′, w′, c]` |
/// | `GlobalMaxPooling2D(name)`, `GlobalAveragePooling2D(name)` | — | `[h, w, c] → [c]` |
/// | `LSTM(units, activation = tanh, recurrent_activation = sigmoid, use_bias = true, return_sequences = false, name)` | default activations only; gates `i, f, c, o`; zero initial state | `[t, f] → [units]`, or `[t, units]` with `return_sequences = true` |
/// | `SimpleRNN(units, activation = tanh, use_bias = true, return_sequences = false, name)` | `tanh` only | as `LSTM` |
/// | `GRU(units, activation = tanh, recurrent_activation = sigmoid, use_bias = true, return_sequences = false, reset_after = true, name)` | default activations, `reset_after = true` only; gates `z, r, h`; `bias` `[2, 3·units]` | as `LSTM` |
///
/// Activations: `linear`, `relu`, `leaky_relu(alpha = 0.3)`, `elu(alpha = 1.0)`, `sigmoid`,
/// `tanh`, `softmax`, `softplus`, `silu` (alias `swish`).
///
/// For `pub struct Mlp` the macro generates `Mlp<T: Scalar = f32>` (parameters, one heap
/// buffer, Keras initialisation), `MlpWorkspace<T>` (every activation and gradient buffer of a
/// batch, allocated once), the constants `INPUT_SHAPE`, `INPUT_SIZE`, `OUTPUT_SIZE`,
/// `PARAM_COUNT`, `LAYERS`, `SUMMARY`, the methods `new(seed)` (f32) / `seeded(seed)`, `predict`,
/// `workspace`, `forward_batch`, `backward_batch`, `summary`, `param`, and `kiln::Model`.
///
/// Every impossible model is a compile error at the offending layer; see `tests/ui/` for each.
#[proc_macro]
pub fn model(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as parse::Input);
    let tokens: proc_macro2::TokenStream = input.models.into_iter().map(expand).collect();
    if std::env::var_os("KILN_DEBUG_TOKENS").is_some() {
        eprintln!("{tokens}");
    }
    tokens.into()
}

/// One model: its code, or its errors beside a fallback declaration.
fn expand(decl: parse::ModelDecl) -> proc_macro2::TokenStream {
    let fallback = codegen::fallback(&decl);
    match check::check(decl) {
        Ok(model) => codegen::generate(&model),
        Err(error) => {
            let error = error.into_compile_error();
            quote::quote!(#fallback #error)
        }
    }
}
