//! What `fit` reports: one [`EpochLogs`] per epoch, gathered in a [`History`].

/// Loss and metrics of one epoch, Keras' `logs`.
#[derive(Clone, Debug, PartialEq)]
pub struct EpochLogs {
    /// Zero-based epoch index.
    pub epoch: usize,
    /// Mean training loss over the epoch's samples.
    pub loss: f64,
    /// Training metrics, `(name, value)`, in the order they were added.
    pub metrics: Vec<(&'static str, f64)>,
    /// Validation loss, when validation data was given.
    pub val_loss: Option<f64>,
    /// Validation metrics (names without the `val_` prefix).
    pub val_metrics: Vec<(&'static str, f64)>,
    /// The learning rate used in this epoch.
    pub learning_rate: f64,
    /// Wall-clock seconds of the epoch's training (validation excluded).
    pub seconds: f64,
    /// Training samples per second.
    pub samples_per_second: f64,
}

impl EpochLogs {
    /// A value by Keras' name: `"loss"`, `"accuracy"`, `"val_loss"`, `"val_accuracy"`, ...
    pub fn get(&self, name: &str) -> Option<f64> {
        match name {
            "loss" => Some(self.loss),
            "val_loss" => self.val_loss,
            _ => match name.strip_prefix("val_") {
                Some(metric) => self
                    .val_metrics
                    .iter()
                    .find(|(n, _)| *n == metric)
                    .map(|(_, v)| *v),
                None => self
                    .metrics
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| *v),
            },
        }
    }

    /// The Keras-style line: `loss: 0.2931 - accuracy: 0.9147 - val_loss: 0.1520 - ...`.
    pub fn summary(&self) -> String {
        let mut parts = vec![format!("loss: {:.4}", self.loss)];
        parts.extend(self.metrics.iter().map(|(n, v)| format!("{n}: {v:.4}")));
        if let Some(val_loss) = self.val_loss {
            parts.push(format!("val_loss: {val_loss:.4}"));
        }
        parts.extend(
            self.val_metrics
                .iter()
                .map(|(n, v)| format!("val_{n}: {v:.4}")),
        );
        parts.join(" - ")
    }
}

/// The per-epoch record of a `fit`, Keras' `History`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct History {
    /// One entry per completed epoch.
    pub epochs: Vec<EpochLogs>,
    /// Set when a callback stopped training early: the epoch it stopped after.
    pub stopped_early_at: Option<usize>,
}

impl History {
    /// One value per epoch by Keras' name (`"loss"`, `"val_accuracy"`), or `None` if the name
    /// was not recorded.
    pub fn get(&self, name: &str) -> Option<Vec<f64>> {
        self.epochs.iter().map(|e| e.get(name)).collect()
    }

    /// The training loss per epoch.
    pub fn loss(&self) -> Vec<f64> {
        self.epochs.iter().map(|e| e.loss).collect()
    }

    /// The last epoch's logs.
    pub fn last(&self) -> Option<&EpochLogs> {
        self.epochs.last()
    }
}
