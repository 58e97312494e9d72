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
mod names;
mod param;
mod parse;
mod shape;
mod sizes;
mod suggest;

use proc_macro::TokenStream;

/// Declares statically sized neural networks.
///
/// ```text
/// model! {
///     const HIDDEN: usize = 64;                    // a named size, usable in any argument
///     /// Docs and attributes are kept.
///     pub struct Mlp {
///         Input(784),                              // one sample: [features]
///         Dense(HIDDEN, activation = relu),        // or activation = "relu"
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
/// | `Dense` | `units`, `activation = linear`, `use_bias = true`, `name` | `[in] → [units]`; on a sequence each step alike, `[t, f] → [t, units]` |
/// | `Activation` | `activation`, `name` | `[s] → [s]` (softmax: vectors only) |
/// | `Dropout` | `rate` in `[0, 1)`, `name`; training only, inverted scaling | `[s] → [s]` |
/// | `Flatten` | `name` | `[h, w, c] → [h·w·c]`, channels-last order |
/// | `Conv2D` | `filters`, `kernel_size`, `strides = 1`, `padding = valid` (or `same`, TF padding), `activation = linear`, `use_bias = true`, `name`; sizes an int or a pair | `[h, w, c] → [h′, w′, filters]` |
/// | `Conv1D` | `filters`, `kernel_size`, `strides = 1`, `padding = valid` (or `same`, or `causal`: zeros before the input only), `dilation_rate = 1` (not with `strides > 1`), `activation = linear`, `use_bias = true`, `name`; causal with stride 1 streams | `[t, c] → [t′, filters]` |
/// | `MaxPooling2D` (`MaxPool2D`), `AveragePooling2D` (`AvgPool2D`) | `pool_size = 2`, `strides = pool_size`, `padding = valid`, `name` | `[h, w, c] → [h′, w′, c]` |
/// | `GlobalMaxPooling2D`, `GlobalAveragePooling2D` | `name` | `[h, w, c] → [c]` |
/// | `MaxPooling1D` (`MaxPool1D`), `AveragePooling1D` (`AvgPool1D`) | `pool_size = 2`, `strides = pool_size`, `padding = valid`, `name` | `[t, c] → [t′, c]` |
/// | `GlobalMaxPooling1D`, `GlobalAveragePooling1D` | `name` | `[t, c] → [c]` |
/// | `LSTM` | `units`, `activation = tanh`, `recurrent_activation = sigmoid` (any element-wise activation), `use_bias = true`, `return_sequences = false`, `name`; gates `i, f, c, o`; zero initial state | `[t, f] → [units]`, or `[t, units]` with `return_sequences = true` |
/// | `SimpleRNN` | `units`, `activation = tanh` (any element-wise activation), `use_bias = true`, `return_sequences = false`, `name` | as `LSTM` |
/// | `GRU` | `units`, `activation = tanh`, `recurrent_activation = sigmoid` (any element-wise activation), `use_bias = true`, `return_sequences = false`, `reset_after = true` (only), `name`; gates `z, r, h`; `bias` `[2, 3·units]` | as `LSTM` |
/// | `BatchNormalization` | `axis = -1` (only), `momentum = 0.99`, `epsilon = 1e-3`, `center = true`, `scale = true`, `convention = keras` (or `pytorch`: momentum 0.9, epsilon 1e-5, unbiased moving variance), `name`; batch statistics in training, moving ones (non-trainable) in inference | `[s] → [s]`, per last-axis feature |
/// | `LayerNormalization` | `axis = -1` (only), `epsilon = 1e-3`, `center = true`, `scale = true`, `name` | `[s] → [s]`, each last-axis row on its own |
/// | `PReLU` | `name`; one learned `alpha` per last-axis feature, starting at 0 | `[s] → [s]` |
/// | `Residual { layers… }` | `shortcut` (a layer applied to the block's input, e.g. `shortcut = Conv2D(64, 1, strides = 2)`), `name`; any layers inside, blocks too | `y = F(x) + x` (or `+ shortcut(x)`): the shapes must agree |
/// | `Bidirectional` | `layer` (`LSTM(...)`, `GRU(...)`, `SimpleRNN(...)`), `merge_mode = concat` (only), `name`; weights `forward.*`, `backward.*`; no `step` | `[t, f] → [2·units]`, or `[t, 2·units]` with the cell's `return_sequences = true` |
/// | `Embedding` | `input_dim`, `output_dim`, `name`; first layer, over `Input(timesteps)` of tokens; the model gets `predict_tokens(&[u32; t])` and `token_inputs(&[u32])`, checked | `[t] → [t, output_dim]` |
///
/// Activations: `linear`, `relu`, `leaky_relu(alpha = 0.3)`, `elu(alpha = 1.0)`, `sigmoid`,
/// `tanh`, `softmax`, `softplus`, `silu` (alias `swish`), `hard_sigmoid`.
///
/// For `pub struct Mlp` the macro generates `Mlp<T: Scalar = f32>` (parameters, one heap
/// buffer, Keras initialisation), `MlpWorkspace<T>` (every activation and gradient buffer of a
/// batch, allocated once), the constants `INPUT_SHAPE`, `INPUT_SIZE`, `OUTPUT_SIZE`,
/// `PARAM_COUNT`, `LAYERS`, `SUMMARY`, the methods `new(seed)` (f32) / `seeded(seed)`,
/// `predict(&x)` and `predict_with(&params, &x)` (one sample on the stack, the second over
/// borrowed parameters), `workspace`, `forward_batch`, `backward_batch`, `summary`, `param`, and
/// `kiln::Model`. A model over sequences whose layers can run one time step at a time also gets
/// `MlpState<T>` and `step(&mut state, &x)` / `step_with(&params, &mut state, &x)`: one time
/// step in, the output for the stream so far out, the recurrent state kept between calls.
///
/// Sizes may be named: `const NAME: usize = …;` items inside the `model!` (an integer, or an
/// expression of integers and sizes declared before it with `+ - * / %`), before or between its
/// structs, are emitted as written, with their attributes and visibility, and an argument that
/// names one reads its value. The macro sees only its own tokens, so a constant declared outside
/// it cannot be a size.
///
/// Every impossible model is a compile error at the offending layer; see `tests/ui/` for each.
/// Code that uses a model with an error gets no further error: the macro still declares the
/// model's methods, types and constants.
///
/// To see the code a model expands to, build with `KILN_DEBUG_TOKENS=1` in the environment
/// (the macro prints its output to standard error; `cargo build` shows it for a crate that
/// rebuilds, e.g. after `touch src/main.rs`), or use `cargo expand`.
#[proc_macro]
pub fn model(input: TokenStream) -> TokenStream {
    let parse::Input { sizes, models } = syn::parse_macro_input!(input as parse::Input);
    let mut tokens = quote::quote!(#sizes);
    // A size that cannot be read leaves the models that use it unchecked: its error is theirs.
    let sized = sizes.errors().is_none();
    tokens.extend(models.into_iter().map(|decl| expand(decl, sized)));
    if std::env::var_os("KILN_DEBUG_TOKENS").is_some() {
        eprintln!("{tokens}");
    }
    tokens.into()
}

/// One model: its code, or its errors beside a fallback declaration (only the fallback when
/// the sizes it may use have errors of their own).
fn expand(decl: parse::ModelDecl, sized: bool) -> proc_macro2::TokenStream {
    let fallback = codegen::fallback(&decl);
    if !sized {
        return fallback;
    }
    match check::check(decl) {
        Ok(model) => codegen::generate(&model),
        Err(error) => {
            let error = error.into_compile_error();
            quote::quote!(#fallback #error)
        }
    }
}
