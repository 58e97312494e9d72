//! Streaming inference for a model over sequences whose every layer can run one time step at
//! a time: the `State` struct with each recurrent layer's kept arrays, and `step`.

use super::passes::contexts;
use super::workspace::workspace_name;
use crate::ir::Model;
use crate::names;
use crate::shape::Shape;
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

/// Streaming inference for a model over sequences whose every layer can run one time step at a
/// time: the `State` struct with each recurrent layer's kept arrays, and each layer's step code.
pub struct Streaming {
    /// `NameState`.
    pub state: Ident,
    fields: Vec<(Ident, usize)>,
    steps: Vec<TokenStream>,
}

impl Streaming {
    /// The streaming pieces of `model`, if every layer can run one time step at a time.
    pub fn of(model: &Model) -> Option<Streaming> {
        if !matches!(model.input, Shape::Sequence { .. }) {
            return None;
        }
        let mut steps = Vec::new();
        let mut fields = Vec::new();
        for (cx, layer) in contexts(model, true).iter().zip(&model.layers) {
            steps.push(layer.spec.step(cx)?);
            for (name, len) in layer.spec.state(&layer.input) {
                fields.push((names::scratch(cx.index, name), len));
            }
        }
        Some(Streaming {
            state: format_ident!("{}State", model.name),
            fields,
            steps,
        })
    }

    /// The `State` struct and its impls (also on the workspace, which holds one).
    pub fn state_items(&self, model: &Model) -> TokenStream {
        let Streaming {
            state: state_name,
            fields,
            ..
        } = self;
        let Model { vis, name, .. } = model;
        let ws_name = workspace_name(model);
        let field_inits = fields
            .iter()
            .map(|(n, len)| quote!(#n: [T::default(); #len]));
        let field_decls = fields.iter().map(|(n, len)| quote!(#n: [T; #len]));
        let doc = format!(
            "The state [`{name}::step`] keeps between time steps: every recurrent layer's hidden \
            state, zero at the start of a stream. Lives on the stack (no allocation); the model's \
            workspace holds one too."
        );
        quote! {
            #[doc = #doc]
            #[derive(Clone, Debug, PartialEq)]
            #vis struct #state_name<T: ::kiln::Scalar = f32> {
                #(#field_decls,)*
                // Keeps `T` used when no layer keeps a state (a stream of per-step layers).
                __kiln_scalar: ::core::marker::PhantomData<T>,
            }

            const _: () = {
                impl<T: ::kiln::Scalar> ::core::default::Default for #state_name<T> {
                    fn default() -> Self {
                        Self { #(#field_inits,)* __kiln_scalar: ::core::marker::PhantomData }
                    }
                }

                impl<T: ::kiln::Scalar> #state_name<T> {
                    /// Forgets the stream: every state back to zero, as before the first step.
                    pub fn reset_state(&mut self) {
                        *self = ::core::default::Default::default();
                    }
                }

                impl<T: ::kiln::Scalar> ::core::convert::AsMut<#state_name<T>> for #state_name<T> {
                    fn as_mut(&mut self) -> &mut Self {
                        self
                    }
                }

                impl<T: ::kiln::Scalar> ::core::convert::AsMut<#state_name<T>> for #ws_name<T> {
                    fn as_mut(&mut self) -> &mut #state_name<T> {
                        &mut self.state
                    }
                }

                impl<T: ::kiln::Scalar> #ws_name<T> {
                    /// Forgets the stream [`#name::step`] runs through this workspace.
                    pub fn reset_state(&mut self) {
                        self.state.reset_state();
                    }
                }
            };
        }
    }

    /// `step`, `step_with` and `STEP_INPUT_SIZE` on the model.
    pub fn step_methods(&self, model: &Model) -> TokenStream {
        let Streaming {
            state: state_name,
            steps,
            ..
        } = self;
        let name = &model.name;
        let Shape::Sequence { f, .. } = model.input else {
            unreachable!("streaming models take sequences")
        };
        // A sequence output (`return_sequences = true` last) gives one time step per step.
        let output_size = model.output().last_axis();
        let h_last = names::value(model.layers.len());
        let param_count = model.param_count();
        quote! {
                impl<T: ::kiln::Scalar> #name<T> {
                    /// Scalars in one time step of the input (`features`).
                    pub const STEP_INPUT_SIZE: usize = #f;

                    /// Streaming inference: feeds one time step `x` (`features` scalars), carrying
                    /// every recurrent layer's state in `state` (a workspace or a
                    /// [`#state_name`]), and returns what [`Self::predict`] would give for the
                    /// whole stream so far (with a sequence output, this step's part of it). No
                    /// allocation.
                    #[inline]
                    pub fn step<S, X>(&self, state: &mut S, x: &X) -> ::kiln::__private::SVector<T, #output_size>
                    where
                        S: ::core::convert::AsMut<#state_name<T>> + ?::core::marker::Sized,
                        X: ::kiln::Input<T, #f> + ?::core::marker::Sized,
                    {
                        Self::__kiln_step(&self.params, state.as_mut(), ::kiln::Input::<T, #f>::as_array(x))
                    }

                    /// [`Self::step`] with the parameters borrowed from anywhere, like
                    /// [`Self::predict_with`]: no model value, no allocation.
                    #[inline]
                    pub fn step_with<S, X>(params: &[T; #param_count], state: &mut S, x: &X) -> ::kiln::__private::SVector<T, #output_size>
                    where
                        S: ::core::convert::AsMut<#state_name<T>> + ?::core::marker::Sized,
                        X: ::kiln::Input<T, #f> + ?::core::marker::Sized,
                    {
                        Self::__kiln_step(params, state.as_mut(), ::kiln::Input::<T, #f>::as_array(x))
                    }

                    #[inline(always)]
                    fn __kiln_step(params: &[T], state: &mut #state_name<T>, h0: &[T; #f]) -> ::kiln::__private::SVector<T, #output_size> {
                        let _ = params;
                        #(#steps)*
                        let _ = state;
                        ::kiln::__private::SVector::<T, #output_size>::from_column_slice(&#h_last[..])
                    }
                }
        }
    }
}

/// For a model over sequences that cannot stream (a layer needs the whole sequence: a
/// `Bidirectional` reads it backwards too, `Flatten` or a global pool mixes its steps): a
/// `State` type and a `step` whose every call is a compile error saying so, rather than
/// "cannot find type" and "no method named `step`". Nothing for other models.
pub fn cannot_stream(model: &Model) -> (TokenStream, TokenStream) {
    if !matches!(model.input, Shape::Sequence { .. }) {
        return (TokenStream::new(), TokenStream::new());
    }
    let Model { vis, name, .. } = model;
    let state = format_ident!("{}State", name);
    let doc = format!("[`{name}`] cannot stream: see [`{name}::step`].");
    let state_items = quote! {
        #[doc = #doc]
        #[derive(Clone, Debug, Default, PartialEq)]
        #vis struct #state<T = f32>(::core::marker::PhantomData<T>);
    };
    let step = quote! {
        impl<T: ::kiln::Scalar> #name<T> {
            /// Not available: a layer of this model needs the whole sequence at once, so the
            /// model cannot run one time step at a time. Calling it is a compile error that
            /// says so; use `predict` on whole sequences.
            pub fn step<S: ?::core::marker::Sized, X: ?::core::marker::Sized>(
                &self,
                state: &mut S,
                x: &X,
            ) -> ::kiln::__private::SVector<T, 1>
            where
                X: ::kiln::__private::CannotStream,
            {
                let _ = (state, x);
                ::core::unreachable!("no type implements CannotStream")
            }
        }
    };
    (state_items, step)
}
