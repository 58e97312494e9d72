//! What the im2col convolutions (`conv1d`, `conv2d`) share: their workspace (the im2col matrix,
//! its gradient, the pre-activation), their batched forward and backward passes (one GEMM each,
//! the activation over every output position's `filters` channels), `predict` on the stack, and
//! the logits the losses may fuse with. Each kind supplies its runtime kernels' module and its
//! geometry constant `G`.

use super::{Cx, Scratch};
use crate::activation::Activation;
use proc_macro2::{Ident, TokenStream};
use quote::quote;

/// One convolution layer as its generated code sees it.
pub struct Conv {
    /// The runtime module of its kernels (`conv1d`, `conv2d`).
    pub kernels: Ident,
    /// `const G: ... = ...;`, the geometry the kernels read.
    pub geometry: TokenStream,
    pub filters: usize,
    /// Output positions per sample (steps, or pixels).
    pub positions: usize,
    pub activation: Activation,
    pub use_bias: bool,
}

/// The workspace: the im2col matrix (`cols_per_sample` scalars a sample), its gradient, and
/// the pre-activation `z` (`output_size`) when the activation is not linear.
pub fn scratch(cols_per_sample: usize, output_size: usize, activation: Activation) -> Vec<Scratch> {
    let mut scratch = vec![
        Scratch::Buffer {
            name: "cols",
            per_sample: cols_per_sample,
        },
        Scratch::Buffer {
            name: "dcols",
            per_sample: cols_per_sample,
        },
    ];
    if !activation.is_linear() {
        scratch.push(Scratch::Buffer {
            name: "z",
            per_sample: output_size,
        });
    }
    scratch
}

/// The pre-activation `z`, except for softmax: a softmax over each position's channels is not
/// the per-sample one the losses fuse with, so the model reports an `Other` output activation.
pub fn logits(activation: Activation, cx: &Cx) -> Option<TokenStream> {
    (!activation.is_linear() && activation != Activation::Softmax).then(|| {
        let z = cx.scratch("z");
        quote!(&#z[..])
    })
}

impl Conv {
    /// `z = W ⋆ x + b` as one GEMM over the batch's im2col matrix, then `y = f(z)`.
    pub fn forward(&self, cx: &Cx) -> TokenStream {
        let Conv {
            kernels, geometry, ..
        } = self;
        let (w, b) = (cx.param_slice("kernel"), cx.optional_param("bias"));
        let (x, y, cols) = (cx.input(), cx.output_mut(), cx.scratch("cols"));
        if self.activation.is_linear() {
            return quote! {{
                #geometry
                ::kiln::__private::#kernels::forward::<T>(&G, #w, #b, #x, &mut #cols[..], #y, n);
            }};
        }
        let (z, act) = (cx.scratch("z"), self.activation.runtime());
        let (f, positions) = (self.filters, self.positions);
        quote! {{
            #geometry
            ::kiln::__private::#kernels::forward::<T>(&G, #w, #b, #x, &mut #cols[..], &mut #z[..], n);
            ::kiln::__private::activation::Activation::<T>::forward(&#act, &#z[..], #y, #f, #positions * n);
        }}
    }

    /// `δ = ∂L/∂y ⊙ f′(z)`, then `∂L/∂W`, `∂L/∂b` and (col2im) `∂L/∂x`.
    pub fn backward(&self, cx: &Cx) -> TokenStream {
        let Conv {
            kernels, geometry, ..
        } = self;
        let (f, positions) = (self.filters, self.positions);
        let w = cx.param_slice("kernel");
        let (cols, dcols) = (cx.scratch("cols"), cx.scratch("dcols"));
        let (delta, grads, grad_in) = (cx.grad_out(), cx.bind_param_grads(), cx.grad_in());
        let grad_bias = cx.grad_bias(self.use_bias);
        let activation = cx.activation_backward(self.activation, f, quote!(#positions * n));
        quote! {{
            #geometry
            #activation
            #grads
            ::kiln::__private::#kernels::backward::<T>(&G, #w, &#cols[..], #delta, grad_kernel, #grad_bias, #grad_in, &mut #dcols[..], n);
        }}
    }

    /// One sample convolved directly on the stack, then activated.
    pub fn predict(&self, cx: &Cx) -> TokenStream {
        let Conv {
            kernels, geometry, ..
        } = self;
        let (i, o) = (cx.input_size(), cx.output_shape.size());
        let (x, y, buf) = (cx.predict_in(), cx.predict_out(), cx.predict_buffer());
        let (w, b) = (cx.param_slice("kernel"), cx.optional_param("bias"));
        let activation = self.apply_activation(&buf, o);
        quote! {
            let mut #buf = [T::default(); #o];
            {
                #geometry
                ::kiln::__private::#kernels::predict::<T, #i, #o>(&G, #w, #b, #x, &mut #buf);
            }
            #activation
            let #y = &#buf;
        }
    }

    /// The activation over `len` values of `buf`, in place (softmax over each position's
    /// `filters` channels).
    pub fn apply_activation(&self, buf: &Ident, len: usize) -> TokenStream {
        let (act, f) = (self.activation.runtime(), self.filters);
        match self.activation {
            Activation::Linear => TokenStream::new(),
            Activation::Softmax => quote! {
                for position in #buf.chunks_exact_mut(#f) {
                    ::kiln::__private::activation::Activation::<T>::apply(&#act, position, #f);
                }
            },
            _ => {
                quote!(::kiln::__private::activation::Activation::<T>::apply(&#act, &mut #buf[..], #len);)
            }
        }
    }
}
