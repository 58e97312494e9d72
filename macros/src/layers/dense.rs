//! `Dense(units, activation = linear, use_bias = true, name = "...")`: a fully connected layer.
//!
//! `z = W·x + b; y = f(z)`; `[in] → [units]`. Backward: `δ = ∂L/∂y ⊙ f′(z)`,
//! `∂L/∂W = δ·xᵀ`, `∂L/∂b = Σ_batch δ`, `∂L/∂x = Wᵀ·δ`.
//!
//! On a sequence `[t, f] → [t, units]` it acts on each time step alike (Keras' Dense on the last
//! axis, PyTorch's `Linear` on `[B, T, F]`): a batch of `n` sequences is `n·t` columns of `f`
//! values, so the same kernels run with `n·t` samples.

use super::{Cx, Kind, LayerSpec, Scratch};
use crate::activation::Activation;
use crate::args::{self, Args};
use crate::param::{Param, TorchMap, TorchTensor};
use crate::parse::Call;
use crate::shape::{needs_vector, Shape, TorchOrder};
use proc_macro2::TokenStream;
use quote::quote;

pub struct Dense {
    units: usize,
    activation: Activation,
    use_bias: bool,
    name: Option<String>,
}

pub const KIND: Kind = Kind {
    name: "Dense",
    arguments: &["units", "activation", "use_bias", "name"],
    parse,
};

fn parse(call: &Call) -> syn::Result<Box<dyn LayerSpec>> {
    let args = Args::new(call, KIND.arguments)?;
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

    /// `kernel [in, units]` is PyTorch's `Linear.weight [units, in]` transposed; after a
    /// channels-first `nn.Flatten` of an `h × w × c` image, its columns are in that order.
    fn params(&self, input: &Shape, _output: &Shape, torch_input: TorchOrder) -> Vec<Param> {
        let (i, o) = (input.last_axis(), self.units);
        let weight = TorchTensor::new(
            "weight",
            vec![o, i],
            TorchMap::permuted(vec![i, o], vec![1, 0]),
        );
        let flattened = match torch_input {
            TorchOrder::ChannelsFirst { h, w, c } if h * w * c == i => {
                Some(TorchMap::permuted(vec![h, w, c, o], vec![3, 2, 0, 1]))
            }
            _ => None,
        };
        let weight = weight.in_sequential(flattened);
        Param::kernel_and_bias(vec![i, o], weight, (i, o), o, self.use_bias)
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
        let (i, o, n) = (cx.input_shape.last_axis(), self.units, columns(cx));
        let w = cx.param_slice("kernel");
        let b = cx.optional_param("bias");
        let (x, y) = (cx.input(), cx.output_mut());
        if self.activation.is_linear() {
            quote!(::kiln::__private::dense::forward::<T, #i, #o>(#w, #b, #x, #y, #n);)
        } else {
            let z = cx.scratch("z");
            let act = self.activation.runtime();
            quote! {
                ::kiln::__private::dense::forward::<T, #i, #o>(#w, #b, #x, &mut #z[..], #n);
                ::kiln::__private::activation::Activation::<T>::forward(&#act, &#z[..], #y, #o, #n);
            }
        }
    }

    fn backward(&self, cx: &Cx) -> TokenStream {
        let (i, o, n) = (cx.input_shape.last_axis(), self.units, columns(cx));
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
        match *cx.input_shape {
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
        let b = cx.optional_param("bias");
        let buf = cx.predict_buffer();
        let activate = |out: TokenStream| {
            let act = self.activation.runtime();
            (!self.activation.is_linear()).then(
                || quote!(::kiln::__private::activation::Activation::<T>::apply(&#act, #out, #o);),
            )
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
}

/// Columns the kernels see: `n` samples, or `n·t` time steps of sequences.
fn columns(cx: &Cx) -> TokenStream {
    match *cx.input_shape {
        Shape::Sequence { t, .. } => quote!(n * #t),
        _ => quote!(n),
    }
}
