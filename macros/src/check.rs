//! From syntax to a checked [`Model`]: resolve layer names, read their arguments, then infer
//! every shape in one pass down the chain.

use crate::args;
use crate::ctxt::Ctxt;
use crate::ir::{Layer, Model};
use crate::layers::{LayerSpec, REGISTRY};
use crate::parse::{Call, ModelDecl, Value};
use crate::shape::{Shape, TorchOrder};
use crate::suggest::did_you_mean;
use std::collections::HashMap;

pub fn check(decl: ModelDecl) -> syn::Result<Model> {
    let ModelDecl {
        attrs,
        vis,
        name,
        body_span,
        calls,
    } = decl;
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
    let mut specs = Vec::new();
    for call in rest {
        if let Some(spec) = ctxt.take(resolve(call)) {
            specs.push((call, spec));
        }
    }
    ctxt.finish()?;

    // Infer shapes down the chain; the first mismatch stops it, since later shapes would be guesses.
    let mut layers: Vec<Layer> = Vec::new();
    let mut shape = input.clone();
    let mut counts: HashMap<&str, usize> = HashMap::new();
    let mut torch_order = TorchOrder::Kiln;
    for (call, spec) in specs {
        let output = spec.output_shape(&shape, call)?;
        if output.size() == 0 {
            return Err(call.error(format!(
                "`{}` would produce an empty output {}",
                call.name,
                output.keras()
            )));
        }
        let layer_name = match spec.explicit_name() {
            Some(explicit) => explicit,
            None => {
                let count = counts.entry(spec.default_name()).or_insert(0);
                let n = *count;
                *count += 1;
                if n == 0 {
                    spec.default_name().to_string()
                } else {
                    format!("{}_{n}", spec.default_name())
                }
            }
        };
        if layers.iter().any(|l| l.name == layer_name) {
            return Err(call.error(format!(
                "two layers are named `{layer_name}`; layer names must be unique"
            )));
        }
        let params = spec.params(&shape, &output, torch_order);
        torch_order = spec.torch_order(&shape, torch_order);
        layers.push(Layer {
            name: layer_name,
            spec,
            input: shape,
            output: output.clone(),
            params,
        });
        shape = output;
    }
    place_params(&mut layers);
    Ok(Model {
        attrs,
        vis,
        name,
        input,
        layers,
    })
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

fn resolve(call: &Call) -> syn::Result<Box<dyn LayerSpec>> {
    let name = call.name.to_string();
    if name == "Input" {
        return Err(call.error("`Input(...)` may appear only once, as the first entry of a model"));
    }
    if let Some(kind) = REGISTRY.iter().find(|k| k.name == name) {
        return (kind.parse)(call);
    }
    // A close name is the likely fix; otherwise the whole vocabulary.
    let suggestion = did_you_mean(&name, REGISTRY.iter().map(|k| k.name));
    let message = if suggestion.is_empty() {
        let known: Vec<String> = REGISTRY.iter().map(|k| format!("`{}`", k.name)).collect();
        format!("unknown layer `{name}`; kiln knows {}", known.join(", "))
    } else {
        format!("unknown layer `{name}`{suggestion}")
    };
    Err(syn::Error::new(call.name.span(), message))
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
