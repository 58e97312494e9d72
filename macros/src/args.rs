//! Reading a call's arguments by name, Keras-style: positional in a fixed order, or by keyword.

use crate::parse::{Arg, Call, Value};
use crate::suggest::did_you_mean;

/// A call's arguments matched against the names it accepts.
pub struct Args<'a> {
    call: &'a Call,
    values: Vec<(&'static str, &'a Value)>,
}

impl<'a> Args<'a> {
    /// Matches `call`'s arguments against `names` (positional arguments fill them in order).
    /// Reports unknown, duplicate and surplus arguments together.
    pub fn new(call: &'a Call, names: &[&'static str]) -> syn::Result<Self> {
        let mut values: Vec<(&'static str, &'a Value)> = Vec::new();
        let mut errors: Option<syn::Error> = None;
        let mut push = |e: syn::Error| match &mut errors {
            Some(all) => all.combine(e),
            None => errors = Some(e),
        };
        let mut position = 0;
        for Arg { key, value } in &call.args {
            let name = match key {
                None => {
                    let Some(&name) = names.get(position) else {
                        push(syn::Error::new(
                            value.span(),
                            format!(
                                "`{}` takes at most {} positional argument{} ({}); remove this one or name it",
                                call.name,
                                names.len(),
                                if names.len() == 1 { "" } else { "s" },
                                names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
                            ),
                        ));
                        continue;
                    };
                    position += 1;
                    name
                }
                Some(key) => {
                    let Some(&name) = names.iter().find(|n| key == *n) else {
                        push(syn::Error::new(
                            key.span(),
                            format!(
                                "`{}` has no argument `{key}`{}; it accepts {}",
                                call.name,
                                did_you_mean(&key.to_string(), names.iter().copied()),
                                names
                                    .iter()
                                    .map(|n| format!("`{n}`"))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        ));
                        continue;
                    };
                    name
                }
            };
            if values.iter().any(|(n, _)| *n == name) {
                let span = key.as_ref().map_or(value.span(), |k| k.span());
                push(syn::Error::new(
                    span,
                    format!("argument `{name}` of `{}` is given twice", call.name),
                ));
                continue;
            }
            values.push((name, value));
        }
        match errors {
            Some(e) => Err(e),
            None => Ok(Args { call, values }),
        }
    }

    pub fn get(&self, name: &str) -> Option<&'a Value> {
        self.values
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
    }

    /// The layer's `name = "..."` argument, if given.
    pub fn layer_name(&self) -> Option<String> {
        self.get("name").and_then(name).map(|(n, _)| n)
    }

    /// The argument `name`, or an error at the call showing how to write it.
    pub fn required(&self, name: &str, example: &str) -> syn::Result<&'a Value> {
        self.get(name).ok_or_else(|| {
            self.call.error(format!(
                "`{}` needs the argument `{name}`: write for example `{example}`",
                self.call.name
            ))
        })
    }
}

/// A size: a positive integer (`what` names it in the message, e.g. "the number of units").
pub fn positive_int(value: &Value, what: &str) -> syn::Result<usize> {
    match value {
        Value::Int(v, span) if *v > 0 => usize::try_from(*v)
            .map_err(|_| syn::Error::new(*span, format!("{what} `{v}` is too large"))),
        Value::Int(v, span) => Err(syn::Error::new(
            *span,
            format!("{what} must be a positive integer, but is `{v}`"),
        )),
        Value::Ident(name) if looks_like_a_constant(name) => Err(unknown_size(name, what)),
        other => Err(syn::Error::new(
            other.span(),
            format!(
                "{what} must be a positive integer, but is {}",
                other.describe()
            ),
        )),
    }
}

/// `LEN`, `NUM_CLASSES`: a name written like a Rust constant.
fn looks_like_a_constant(name: &syn::Ident) -> bool {
    let name = name.to_string();
    name.chars().any(|c| c.is_ascii_uppercase())
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// A size named by a constant the macro cannot see: how to name a size.
fn unknown_size(name: &syn::Ident, what: &str) -> syn::Error {
    syn::Error::new(
        name.span(),
        format!(
            "{what} must be a positive integer, but `{name}` is not a size this `model!` knows \
            (the macro cannot see constants declared outside it); declare it inside the \
            `model!`, before the struct: `const {name}: usize = ...;`, or write the number"
        ),
    )
}

/// A real number (integers are accepted too).
pub fn number(value: &Value, what: &str) -> syn::Result<f64> {
    match value {
        Value::Float(v, _) => Ok(*v),
        Value::Int(v, _) => Ok(*v as f64),
        other => Err(syn::Error::new(
            other.span(),
            format!("{what} must be a number, but is {}", other.describe()),
        )),
    }
}

pub fn boolean(value: &Value, what: &str) -> syn::Result<bool> {
    match value {
        Value::Bool(b, _) => Ok(*b),
        other => Err(syn::Error::new(
            other.span(),
            format!(
                "{what} must be `true` or `false`, but is {}",
                other.describe()
            ),
        )),
    }
}

/// A name given bare (`relu`) or as a string (`"relu"`), with its span.
pub fn name(value: &Value) -> Option<(String, proc_macro2::Span)> {
    match value {
        Value::Ident(i) => Some((i.to_string(), i.span())),
        Value::Str(s) => Some((s.value(), s.span())),
        _ => None,
    }
}

/// A 2-D size such as a kernel size or strides: one positive integer for both axes (`3`), or a
/// pair `(height, width)` (`(3, 5)`). `what` names it in messages ("the kernel size"), and
/// `[height, width]` its two parts ("the kernel height").
pub fn positive_pair(
    value: &Value,
    what: &str,
    [height, width]: [&str; 2],
) -> syn::Result<(usize, usize)> {
    match value {
        Value::Int(..) => positive_int(value, what).map(|v| (v, v)),
        Value::Tuple(items, _) if items.len() == 2 => Ok((
            positive_int(&items[0], height)?,
            positive_int(&items[1], width)?,
        )),
        Value::Tuple(items, span) => Err(syn::Error::new(
            *span,
            format!(
                "{what} must be one integer (`3`) or a pair `(height, width)` (`(3, 5)`), but is a tuple of {} values",
                items.len()
            ),
        )),
        Value::Ident(name) if looks_like_a_constant(name) => Err(unknown_size(name, what)),
        other => Err(syn::Error::new(
            other.span(),
            format!(
                "{what} must be a positive integer (`3`) or a pair `(height, width)` (`(3, 5)`), but is {}",
                other.describe()
            ),
        )),
    }
}

/// A normalisation's `axis`: kiln normalises the last (channels-last) axis, which Keras writes
/// `-1`; any other axis is an error saying so.
pub fn last_axis(value: &Value) -> syn::Result<()> {
    match value {
        Value::Int(-1, _) => Ok(()),
        other => Err(syn::Error::new(
            other.span(),
            format!(
                "kiln normalises the last axis (features, or channels of channels-last images), \
                which is `axis = -1`, but `axis` is {}; remove the argument",
                other.describe()
            ),
        )),
    }
}

/// A normalisation's `epsilon`: a positive number.
pub fn epsilon(value: &Value) -> syn::Result<f64> {
    let epsilon = number(value, "`epsilon`")?;
    if epsilon > 0.0 && epsilon.is_finite() {
        Ok(epsilon)
    } else {
        Err(syn::Error::new(
            value.span(),
            format!("`epsilon` is added to the variance under a square root and must be positive, but is `{epsilon:?}`"),
        ))
    }
}
