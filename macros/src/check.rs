//! From syntax to a checked [`Model`]: resolve layer names, read their arguments, then infer
//! every shape in one pass down the chain.

use crate::args;
use crate::ctxt::Ctxt;
use crate::ir::{Layer, Model};
use crate::layers::{resolve, Closing, LayerSpec, Wiring};
use crate::parse::{Call, ModelDecl, Value};
use crate::shape::{Shape, TorchOrder};
use std::collections::HashMap;

pub fn check(decl: ModelDecl) -> syn::Result<Model> {
    let ModelDecl {
        attrs,
        vis,
        name,
        body_span,
        calls,
        syntax,
    } = decl;
    if let Some(error) = syntax {
        return Err(error);
    }
    let Some((first, rest)) = calls.split_first() else {
        return Err(syn::Error::new(
            body_span,
            format!("model `{name}` is empty: start with the shape of one sample, then add layers, e.g. `{{ Input(784), Dense(10, activation = softmax) }}`"),
        ));
    };
    if first.name != "Input" {
        return Err(first.error(format!(
            "model `{name}` must start with `Input(...)`, the shape of one sample: `Input(784)` for vectors, `Input(28, 28, 1)` for images, `Input(10, 1)` for sequences"
        )));
    }
    let input = input_shape(first)?;
    if rest.is_empty() {
        return Err(first.error(format!(
            "model `{name}` has no layers after `Input(...)`: add at least one, e.g. `Dense(10)`"
        )));
    }

    // Resolve every layer and read its arguments, reporting all such mistakes together.
    let mut ctxt = Ctxt::default();
    let resolved = resolve_all(rest, &mut ctxt);
    ctxt.finish()?;

    // Infer shapes down the chain; the first mismatch stops it, since later shapes would be guesses.
    let mut chain = Chain::new(input.clone());
    chain.extend(resolved)?;
    let mut layers = chain.layers;
    place_params(&mut layers);
    Ok(Model {
        attrs,
        vis,
        name,
        input,
        layers,
    })
}

/// A call resolved to its layer spec, with its block's calls resolved too.
struct Resolved<'a> {
    call: &'a Call,
    spec: Box<dyn LayerSpec>,
    body: Option<Vec<Resolved<'a>>>,
}

fn resolve_all<'a>(calls: &'a [Call], ctxt: &mut Ctxt) -> Vec<Resolved<'a>> {
    let mut out = Vec::new();
    for call in calls {
        let body = call.body.as_deref().map(|body| resolve_all(body, ctxt));
        if let Some(spec) = ctxt.take(resolve(call)) {
            out.push(Resolved { call, spec, body });
        }
    }
    out
}

/// The layers checked so far, and what shape inference carries down the chain.
struct Chain {
    layers: Vec<Layer>,
    shape: Shape,
    counts: HashMap<&'static str, usize>,
    torch_order: TorchOrder,
    /// The PyTorch module of each enclosing block (the model's `nn.Sequential` first): its
    /// path and the index of its next child.
    torch: Vec<(String, usize)>,
}

impl Chain {
    fn new(input: Shape) -> Chain {
        Chain {
            layers: Vec::new(),
            shape: input,
            counts: HashMap::new(),
            torch_order: TorchOrder::Kiln,
            torch: vec![(String::new(), 0)],
        }
    }

    fn extend(&mut self, resolved: Vec<Resolved>) -> syn::Result<()> {
        for Resolved { call, spec, body } in resolved {
            match body {
                None => {
                    let prefix = self.next_torch_prefix(spec.torch_modules());
                    self.push(call, spec, Wiring::Chain, prefix)?;
                }
                Some(body) => self.block(call, spec, body)?,
            }
        }
        Ok(())
    }

    /// A layer with a block: the opening layer, the block's layers one level down, then the
    /// layers the opening one closes it with (a shortcut reading the block's input, a join).
    fn block(
        &mut self,
        call: &Call,
        spec: Box<dyn LayerSpec>,
        body: Vec<Resolved>,
    ) -> syn::Result<()> {
        if !spec.takes_block() {
            return Err(call.error(format!(
                "`{}` takes no block of layers: remove the braces after it (a residual block is `Residual {{ ... }}`)",
                call.name
            )));
        }
        let (open, block_input) = (self.layers.len(), self.shape.clone());
        let prefix = self.next_torch_prefix(1);
        self.push(call, spec, Wiring::Chain, prefix.clone())?;
        self.torch.push((prefix.clone(), 0));
        self.extend(body)?;
        self.torch.pop();
        let branch_output = self.shape.clone();
        let closing = self.layers[open]
            .spec
            .close_block(call, open, &block_input, &branch_output);
        let closing = closing.expect("a layer that takes a block closes it");
        for Closing {
            spec,
            shortcut,
            call,
        } in closing
        {
            if shortcut {
                let modules = spec.torch_modules();
                let path = if modules == 1 {
                    format!("{prefix}.shortcut")
                } else {
                    format!("{prefix}.shortcut.0")
                };
                self.shape = block_input.clone();
                self.push(
                    &call,
                    spec,
                    Wiring::Shortcut {
                        from: open + 1,
                        block: open,
                    },
                    path,
                )?;
            } else {
                self.push(&call, spec, Wiring::Chain, prefix.clone())?;
            }
        }
        Ok(())
    }

    /// The PyTorch path of the next module in the enclosing block, which takes `modules`.
    fn next_torch_prefix(&mut self, modules: usize) -> String {
        let (path, next) = self.torch.last_mut().expect("the model's own module");
        let prefix = if path.is_empty() {
            next.to_string()
        } else {
            format!("{path}.{next}")
        };
        *next += modules;
        prefix
    }

    /// Checks one layer on the current shape and appends it.
    fn push(
        &mut self,
        call: &Call,
        spec: Box<dyn LayerSpec>,
        wiring: Wiring,
        torch_prefix: String,
    ) -> syn::Result<()> {
        let input = self.shape.clone();
        let output = spec.output_shape(&input, call)?;
        // Only the model's input holds tokens; the shape rule cannot tell, since a vector after
        // a layer looks like `Input(timesteps)`.
        if spec.tokens().is_some() && !self.layers.is_empty() {
            return Err(syn::Error::new(
                call.name.span(),
                format!("`{}` must be the first layer, right after `Input(timesteps)`: only the model's input holds token indices", call.name),
            ));
        }
        if output.size() == 0 {
            return Err(call.error(format!(
                "`{}` would produce an empty output {}",
                call.name,
                output.keras()
            )));
        }
        let name = self.layer_name(&*spec, call)?;
        let params = spec.params(&input, &output, self.torch_order);
        self.torch_order = spec.torch_order(&input, self.torch_order);
        self.shape = output.clone();
        self.layers.push(Layer {
            name,
            spec,
            input,
            output,
            params,
            wiring,
            torch_prefix,
            depth: self.torch.len() - 1,
        });
        Ok(())
    }

    /// The `name = "..."` argument, or Keras' default (`dense`, `dense_1`, ...); unique.
    fn layer_name(&mut self, spec: &dyn LayerSpec, call: &Call) -> syn::Result<String> {
        let name = match spec.explicit_name() {
            Some(explicit) => explicit,
            None => {
                let count = self.counts.entry(spec.default_name()).or_insert(0);
                let n = *count;
                *count += 1;
                if n == 0 {
                    spec.default_name().to_string()
                } else {
                    format!("{}_{n}", spec.default_name())
                }
            }
        };
        if self.layers.iter().any(|l| l.name == name) {
            return Err(call.error(format!(
                "two layers are named `{name}`; layer names must be unique"
            )));
        }
        Ok(name)
    }
}

/// Gives every parameter its offset in the flat buffer: the trainable ones first, in layer
/// order, then the non-trainable ones, so that optimizers see one prefix.
fn place_params(layers: &mut [Layer]) {
    let mut offset = 0;
    for trainable in [true, false] {
        for p in layers.iter_mut().flat_map(|l| &mut l.params) {
            if p.trainable == trainable {
                p.offset = offset;
                offset += p.len();
            }
        }
    }
}

/// `Input(784)`, `Input(28, 28, 1)`, `Input(shape = [10, 1])`.
fn input_shape(call: &Call) -> syn::Result<Shape> {
    let dims: Vec<&Value> = match call.args.as_slice() {
        [arg] if arg.key.as_ref().is_some_and(|k| k == "shape") => match &arg.value {
            Value::Tuple(items, _) => items.iter().collect(),
            single => vec![single],
        },
        [arg] if arg.key.is_none() && matches!(arg.value, Value::Tuple(..)) => match &arg.value {
            Value::Tuple(items, _) => items.iter().collect(),
            _ => unreachable!("matched a tuple"),
        },
        args => {
            if let Some(key) = args.iter().find_map(|a| a.key.as_ref()) {
                return Err(syn::Error::new(
                    key.span(),
                    format!("`Input` has no argument `{key}`; it takes the sample shape: `Input(784)`, `Input(28, 28, 1)` or `Input(shape = [10, 1])`"),
                ));
            }
            args.iter().map(|a| &a.value).collect()
        }
    };
    let sizes = dims
        .iter()
        .map(|v| args::positive_int(v, "an input dimension"))
        .collect::<syn::Result<Vec<usize>>>()?;
    match sizes.as_slice() {
        [n] => Ok(Shape::Vector(*n)),
        [t, f] => Ok(Shape::Sequence { t: *t, f: *f }),
        [h, w, c] => Ok(Shape::Image { h: *h, w: *w, c: *c }),
        _ => Err(call.error(format!(
            "`Input` takes 1 dimension (features), 2 (timesteps, features) or 3 (height, width, channels), but got {}",
            sizes.len()
        ))),
    }
}
