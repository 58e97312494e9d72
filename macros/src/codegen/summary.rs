//! The Keras-style `summary()` table, computed while the macro expands.

use crate::ir::Model;

/// Formats with thousands separators: `55,050`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

pub fn summary(model: &Model) -> String {
    let rule = "_".repeat(65);
    let double = "=".repeat(65);
    let mut out = format!("Model: \"{}\"\n{rule}\n", model.name);
    out.push_str(&format!(
        " {:<28}{:<26}{:>10}\n{double}\n",
        "Layer (type)", "Output Shape", "Param #"
    ));
    let mut rows = vec![(format!("input ({})", "InputLayer"), model.input.keras(), 0)];
    for layer in &model.layers {
        let count: usize = layer.params.iter().map(|p| p.len()).sum();
        rows.push((
            format!(
                "{}{} ({})",
                "  ".repeat(layer.depth),
                layer.name,
                layer.spec.kind()
            ),
            layer.output.keras(),
            count,
        ));
    }
    for (i, (name, shape, count)) in rows.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&format!(
            " {:<28}{:<26}{:>10}\n",
            name,
            shape,
            thousands(*count)
        ));
    }
    let (total, trainable) = (model.param_count(), model.trainable_count());
    out.push_str(&format!(
        "{double}\nTotal params: {}\nTrainable params: {}\nNon-trainable params: {}\n{rule}",
        thousands(total),
        thousands(trainable),
        thousands(total - trainable)
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn groups_digits_in_threes() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(55_050), "55,050");
        assert_eq!(thousands(9_633_856), "9,633,856");
    }
}
