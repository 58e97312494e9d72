//! [`Cx`]: where a layer's generated code finds its inputs, outputs, parameters and buffers.

use crate::activation::Activation;
use crate::names;
use crate::param::Param;
use crate::shape::Shape;
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

/// Where a layer reads its input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wiring {
    /// The previous layer's output (or the model's input).
    Chain,
    /// A block's shortcut: it reads activation `aI` (the block's input, `from`), and its input
    /// gradient goes to the scratch buffer `skip` of the layer `block` that opened the block.
    Shortcut { from: usize, block: usize },
}

/// Where a layer's generated code finds its inputs, outputs, parameters and buffers.
pub struct Cx<'a> {
    /// The layer's place in the model (0 for the first layer).
    pub index: usize,
    pub input_shape: &'a Shape,
    pub output_shape: &'a Shape,
    pub params: &'a [Param],
    pub wiring: Wiring,
    pub is_last: bool,
    /// Generating streaming `step` code: a sequence input is one time step of it.
    pub step: bool,
}

impl Cx<'_> {
    /// The activation index this layer reads: its own (the previous layer's output), or the
    /// block input of a shortcut.
    fn source(&self) -> usize {
        match self.wiring {
            Wiring::Chain => self.index,
            Wiring::Shortcut { from, .. } => from,
        }
    }

    /// `&ws.aI[..]`: this layer's input activations (the caller's `x` for the first layer).
    pub fn input(&self) -> TokenStream {
        if self.source() == 0 {
            return quote!(&x[..]);
        }
        let a = names::activation(self.source());
        quote!(&ws.#a[..])
    }

    /// `&mut ws.aI+1[..]`: this layer's output activations.
    pub fn output_mut(&self) -> TokenStream {
        let a = names::activation(self.index + 1);
        quote!(&mut ws.#a[..])
    }

    /// `&ws.aI+1[..]`.
    pub fn output(&self) -> TokenStream {
        let a = names::activation(self.index + 1);
        quote!(&ws.#a[..])
    }

    /// `&mut ws.gI+1[..]`: ∂L/∂output, which the layer may overwrite.
    pub fn grad_out(&self) -> TokenStream {
        let g = names::gradient(self.index + 1);
        quote!(&mut ws.#g[..])
    }

    /// `Option<&mut [T]>` for ∂L/∂input: always wanted inside the network, only on request for
    /// the model's own input.
    pub fn grad_in(&self) -> TokenStream {
        if let Wiring::Shortcut { block, .. } = self.wiring {
            let skip = names::scratch(block, "skip");
            return quote!(::core::option::Option::Some(&mut ws.#skip[..]));
        }
        let g = names::gradient(self.index);
        if self.index == 0 {
            quote!(if input_grad { ::core::option::Option::Some(&mut ws.#g[..]) } else { ::core::option::Option::None })
        } else {
            quote!(::core::option::Option::Some(&mut ws.#g[..]))
        }
    }

    /// A boolean expression: true when the loss already gave ∂L/∂logits for this layer's output
    /// activation (fused softmax / sigmoid cross-entropy), so its derivative must be skipped.
    pub fn at_logits(&self) -> TokenStream {
        if self.is_last {
            quote!(at == ::kiln::GradAt::Logits)
        } else {
            quote!(false)
        }
    }

    fn param(&self, name: &str) -> &Param {
        self.params
            .iter()
            .find(|p| p.name == name)
            .expect("layer declares this parameter")
    }

    /// `&params[a..b]`: every pass binds `params` to the model's flat parameter slice.
    pub fn param_slice(&self, name: &str) -> TokenStream {
        let p = self.param(name);
        let (a, b) = (p.offset, p.offset + p.len());
        quote!(&params[#a..#b])
    }

    /// Binds `grad_<name>` to `&mut [T]` for each of this layer's parameters (disjoint slices
    /// of the flat gradient buffer).
    pub fn bind_param_grads(&self) -> TokenStream {
        // A layer's trainable parameters are consecutive in the flat buffer.
        let trainable = || self.params.iter().filter(|p| p.trainable);
        let Some(first) = trainable().next() else {
            return TokenStream::new();
        };
        let start = first.offset;
        let mut out = quote!(let rest = &mut ws.grads[#start..];);
        for p in trainable() {
            let name = format_ident!("grad_{}", p.name);
            let len = p.len();
            out.extend(quote!(let (#name, rest) = rest.split_at_mut(#len);));
        }
        out.extend(quote!(let _ = rest;));
        out
    }

    /// `Some(grad_<name>)` or `None`: the gradient [`Cx::bind_param_grads`] bound for the
    /// parameter `name`, if the layer has it.
    pub fn grad_param(&self, name: &str) -> TokenStream {
        if self.params.iter().any(|p| p.name == name) {
            let grad = format_ident!("grad_{}", name);
            quote!(::core::option::Option::Some(#grad))
        } else {
            quote!(::core::option::Option::None)
        }
    }

    /// `Some(grad_bias)` or `None`: the bias gradient bound by [`Cx::bind_param_grads`], if any.
    pub fn grad_bias(&self, use_bias: bool) -> TokenStream {
        if use_bias {
            quote!(::core::option::Option::Some(grad_bias))
        } else {
            quote!(::core::option::Option::None)
        }
    }

    /// `∂L/∂output ← ∂L/∂output ⊙ f′(z)` in place for a layer whose output activation `act` is
    /// fused (pre-activation in scratch `z`), over `samples` groups of `rows` values; skipped
    /// when the loss already gave `∂L/∂logits`, and nothing at all for a linear activation.
    pub fn activation_backward(
        &self,
        act: Activation,
        rows: usize,
        samples: TokenStream,
    ) -> TokenStream {
        if act.is_linear() {
            return TokenStream::new();
        }
        let (z, y, g, at_logits) = (
            self.scratch("z"),
            self.output(),
            self.grad_out(),
            self.at_logits(),
        );
        let act = act.runtime();
        quote! {
            if !(#at_logits) {
                ::kiln::__private::activation::Activation::<T>::backward(&#act, &#z[..], #y, #g, #rows, #samples);
            }
        }
    }

    /// `ws.lI_name`: a scratch buffer, index buffer or random stream of this layer.
    pub fn scratch(&self, name: &str) -> TokenStream {
        let f = names::scratch(self.index, name);
        quote!(ws.#f)
    }

    /// `bufI+1`: a stack array a layer may fill in `predict` before binding its output to it.
    pub fn predict_buffer(&self) -> Ident {
        names::buffer(self.index + 1)
    }

    /// `hI`: the single-sample input in `predict`, a `&[T; N]`.
    pub fn predict_in(&self) -> Ident {
        names::value(self.source())
    }

    /// `hI+1`: the single-sample output (`&[T; N]`) that `predict` must bind.
    pub fn predict_out(&self) -> Ident {
        names::value(self.index + 1)
    }

    /// Scalars in one input sample; in `step` code, in one time step of a sequence.
    pub fn input_size(&self) -> usize {
        match *self.input_shape {
            Shape::Sequence { f, .. } if self.step => f,
            ref shape => shape.size(),
        }
    }

    /// `state.lI_name`: an array of this layer's streaming state ([`LayerSpec::state`]).
    pub fn state(&self, name: &str) -> TokenStream {
        let f = names::scratch(self.index, name);
        quote!(state.#f)
    }

    /// `Some(&params[..])` for the parameter `name` if the layer has it, else `None`: an
    /// optional bias.
    pub fn optional_param(&self, name: &str) -> TokenStream {
        if self.params.iter().any(|p| p.name == name) {
            let p = self.param_slice(name);
            quote!(::core::option::Option::Some(#p))
        } else {
            quote!(::core::option::Option::None)
        }
    }
}
