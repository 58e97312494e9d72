//! `Dense(units, activation = linear, use_bias = true, name = "...")`: a fully connected layer.
//!
//! `z = W·x + b; y = f(z)`; `[in] → [units]`. Backward: `δ = ∂L/∂y ⊙ f′(z)`,
//! `∂L/∂W = δ·xᵀ`, `∂L/∂b = Σ_batch δ`, `∂L/∂x = Wᵀ·δ`.
//!
//! On a sequence `[t, f] → [t, units]` it acts on each time step alike (Keras' Dense on the last
//! axis, PyTorch's `Linear` on `[B, T, F]`): a batch of `n` sequences is `n·t` columns of `f`
//! values, so the same kernels run with `n·t` samples.

use super::{Cx, LayerSpec, Scratch};
use crate::activation::Activation;
use crate::args::{self, Args};
use crate::ir::{Param, Shape};
use crate::parse::Call;
use proc_macro2::TokenStream;
use quote::quote;

pub struct Dense {
    units: usize,
    activation: Activation,
    use_bias: bool,
    name: Option<String>,
}

pub fn parse(call: &Call) -> syn::Result<Box<dyn LayerSpec>> {
    let args = Args::new(call, &["units", "activation", "use_bias", "name"])?;
    let units = args::positive_int(
        args.required("units", "Dense(64, activation = relu)")?,
        "the number of units",
    )?;
    let activation = args
        .get("activation")
        .map_or(Ok(Activation::Linear), Activation::parse)?;
    let use_bias = args
        .get("use_bias")
        .map_or(Ok(true), |v| args::boolean(v, "`use_bias`"))?;
    let name = args.layer_name();
    Ok(Box::new(Dense {
        units,
        activation,
        use_bias,
        name,
    }))
}

/// The error for a vector-only layer (`what`) placed after a layer with a richer output.
pub fn needs_vector(call: &Call, what: &str, input: &Shape) -> syn::Error {
    let fix = match input {
        Shape::Image { .. } => {
            "add `Flatten()` before it, or `GlobalAveragePooling2D()` to keep one average per channel"
        }
        Shape::Sequence { .. } => {
            "for one softmax per time step, end with `Dense(units, activation = softmax)` (Dense \
            acts on each step); for one over the whole sequence, add `Flatten()` before it or \
            read the sequence with a recurrent layer that returns its last state, e.g. `LSTM(32)`"
        }
        Shape::Vector(_) => unreachable!("a vector is a vector input"),
    };
    call.error(format!(
        "{what} needs a vector input, but receives {} {}; {fix}",
        input.describe(),
        input.keras()
    ))
}

impl LayerSpec for Dense {
    fn kind(&self) -> &'static str {
        "Dense"
    }

    fn default_name(&self) -> &'static str {
        "dense"
    }

    fn explicit_name(&self) -> Option<String> {
        self.name.clone()
    }

    fn output_shape(&self, input: &Shape, call: &Call) -> syn::Result<Shape> {
        match *input {
            Shape::Vector(_) => Ok(Shape::Vector(self.units)),
            Shape::Sequence { t, .. } => Ok(Shape::Sequence { t, f: self.units }),
            ref other => Err(needs_vector(call, "`Dense`", other)),
        }
    }

    fn params(&self, input: &Shape, _output: &Shape) -> Vec<Param> {
        let (i, o) = (features(input), self.units);
        Param::kernel_and_bias(vec![i, o], vec![o, i], (i, o), o, self.use_bias)
    }

    fn scratch(&self, _input: &Shape, output: &Shape) -> Vec<Scratch> {
        if self.activation.is_linear() {
            Vec::new()
        } else {
            vec![Scratch::Buffer {
                name: "z",
                per_sample: output.size(),
            }]
        }
    }

    fn output_activation(&self) -> Option<Activation> {
        Some(self.activation)
    }

    fn torch_modules(&self) -> usize {
        1 + usize::from(!self.activation.is_linear())
    }

    fn forward(&self, cx: &Cx) -> TokenStream {
        let (i, o, n) = (features(&cx.layer.input), self.units, columns(cx));
        let w = cx.param_slice("kernel");
        let b = self.bias(cx);
        let (x, y) = (cx.input(), cx.output_mut());
        if self.activation.is_linear() {
            quote!(::kiln::__private::dense::forward::<T, #i, #o>(#w, #b, #x, #y, #n);)
        } else {
            let z = cx.scratch("z");
            let act = self.activation.runtime();
            quote! {
                ::kiln::__private::dense::forward::<T, #i, #o>(#w, #b, #x, &mut #z[..], #n);
                ::kiln::__private::act::Activation::<T>::forward(&#act, &#z[..], #y, #o, #n);
            }
        }
    }

    fn backward(&self, cx: &Cx) -> TokenStream {
        let (i, o, n) = (features(&cx.layer.input), self.units, columns(cx));
        let w = cx.param_slice("kernel");
        let x = cx.input();
        let g = cx.grad_out();
        let grads = cx.bind_param_grads();
        let grad_bias = cx.grad_bias(self.use_bias);
        let grad_in = cx.grad_in();
        let activation = cx.activation_backward(self.activation, o, n.clone());
        quote! {
            #activation
            #grads
            ::kiln::__private::dense::backward::<T, #i, #o>(#w, #x, #g, grad_kernel, #grad_bias, #grad_in, #n);
        }
    }

    fn predict(&self, cx: &Cx) -> TokenStream {
        match cx.layer.input {
            Shape::Sequence { t, f } => self.predict_steps(cx, t, f),
            _ => self.predict_steps(cx, 1, cx.input_size()),
        }
    }

    fn step(&self, cx: &Cx) -> Option<TokenStream> {
        // One time step of a sequence is a vector.
        Some(self.predict_steps(cx, 1, cx.input_size()))
    }

    fn logits(&self, cx: &Cx) -> Option<TokenStream> {
        (!self.activation.is_linear()).then(|| {
            let z = cx.scratch("z");
            quote!(&#z[..])
        })
    }
}

impl Dense {
    /// Single-sample inference on `steps` time steps of `i` values each (one step: a vector, or
    /// one step of a sequence in `step` code), on the stack.
    fn predict_steps(&self, cx: &Cx, steps: usize, i: usize) -> TokenStream {
        let o = self.units;
        let (x, y) = (cx.predict_in(), cx.predict_out());
        let w = cx.param_slice("kernel");
        let b = self.bias(cx);
        let buf = cx.predict_buffer();
        let activate = |out: TokenStream| {
            let act = self.activation.runtime();
            (!self.activation.is_linear())
                .then(|| quote!(::kiln::__private::act::Activation::<T>::apply(&#act, #out, #o);))
        };
        let body = if steps == 1 {
            let activation = activate(quote!(&mut #buf[..]));
            quote! {
                ::kiln::__private::dense::predict::<T, #i, #o>(#w, #b, #x, &mut #buf);
                #activation
            }
        } else {
            let activation = activate(quote!(ys));
            quote! {
                for (xs, ys) in #x.chunks_exact(#i).zip(#buf.chunks_exact_mut(#o)) {
                    ::kiln::__private::dense::predict_slice::<T, #i, #o>(#w, #b, xs, ys);
                    #activation
                }
            }
        };
        let len = steps * o;
        quote! {
            let mut #buf = [T::default(); #len];
            #body
            let #y = &#buf;
        }
    }

    fn bias(&self, cx: &Cx) -> TokenStream {
        if self.use_bias {
            let b = cx.param_slice("bias");
            quote!(::core::option::Option::Some(#b))
        } else {
            quote!(::core::option::Option::None)
        }
    }
}

/// Values per sample or per time step: the kernel's input size.
fn features(input: &Shape) -> usize {
    match *input {
        Shape::Sequence { f, .. } => f,
        ref other => other.size(),
    }
}

/// Columns the kernels see: `n` samples, or `n·t` time steps of sequences.
fn columns(cx: &Cx) -> TokenStream {
    match cx.layer.input {
        Shape::Sequence { t, .. } => quote!(n * #t),
        _ => quote!(n),
    }
}
