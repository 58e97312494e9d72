//! The trainer's side of checkpoints: what it hands to, and takes back from, the format in
//! [`crate::io::checkpoint`] (which documents it).

use super::{Position, Trainer};
use crate::io::checkpoint::{self as format, FitState, Restored, Snapshot};
use crate::io::{self, write::write_atomically};
use crate::losses::Loss;
use crate::optim::Optimizer;
use crate::{Model, Scalar, Workspace};
use std::path::Path;

pub use crate::io::checkpoint::{read_info, CheckpointError, CheckpointInfo};

impl<T: Scalar, M: Model<T>, O: Optimizer<T>, L: Loss<T>> Trainer<T, M, O, L> {
    /// The checkpoint's bytes (see [`crate::io::checkpoint`] for the format): parameters,
    /// optimizer state, epochs done, and the shuffling and dropout streams.
    ///
    /// The bytes are a function of the trainer's state alone: the same state gives the same
    /// file, byte for byte (metadata keys sorted, tensors in a fixed order).
    pub fn checkpoint_bytes(&self) -> Vec<u8> {
        let (step, buffers) = self.optimizer.state();
        let fit = self.position.seed.map(|seed| FitState {
            seed,
            shuffle: &self.position.shuffle,
            order: self.position.order.clone(),
            dropout: self.ws.rngs(),
        });
        format::encode(&Snapshot {
            weights: io::to_bytes(&self.model),
            model: M::NAME,
            optimizer: self.optimizer.name(),
            step,
            buffers,
            learning_rate: self.optimizer.learning_rate(),
            base_learning_rate: self.base_lr,
            epoch: self.position.epoch,
            fit,
        })
    }

    /// Writes a checkpoint to `path`, atomically (an exclusively created temporary file in the
    /// same folder, synced, then renamed over `path`). Allocates (the file's bytes); call it
    /// between epochs, e.g. from [`ModelCheckpoint`](super::ModelCheckpoint).
    pub fn save_checkpoint(&self, path: impl AsRef<Path>) -> Result<(), CheckpointError> {
        let path = path.as_ref();
        write_atomically(path, &self.checkpoint_bytes()).map_err(|source| CheckpointError::Io {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Restores a checkpoint written by [`save_checkpoint`](Trainer::save_checkpoint) into this
    /// trainer, built like the one that wrote it (same model type, same kind of optimizer with
    /// the same hyper-parameters, same loss): parameters, optimizer state and step count,
    /// learning rate (PyTorch's `load_state_dict` restores it too), epochs done, and the
    /// shuffling and dropout streams. The next [`fit`](Trainer::fit) with the same data and
    /// options then continues exactly as the original run did (pass the same seed, or none).
    ///
    /// On error the trainer is unchanged.
    pub fn load_checkpoint(&mut self, path: impl AsRef<Path>) -> Result<(), CheckpointError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| CheckpointError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        self.load_checkpoint_bytes(&bytes, path)
    }

    /// [`load_checkpoint`](Trainer::load_checkpoint) from bytes; `origin` names them in errors.
    pub fn load_checkpoint_bytes(
        &mut self,
        bytes: &[u8],
        origin: &Path,
    ) -> Result<(), CheckpointError> {
        let streams = self.ws.rngs().len();
        let Restored {
            model,
            step,
            buffers,
            learning_rate,
            base_learning_rate,
            epoch,
            fit,
        } = format::decode::<T, M>(bytes, origin, self.optimizer.name(), streams)?;
        let state: Vec<(&str, &[T])> = buffers
            .iter()
            .map(|(n, b)| (n.as_str(), b.as_slice()))
            .collect();
        self.optimizer.load_state(step, &state).map_err(|source| {
            CheckpointError::OptimizerState {
                path: origin.to_path_buf(),
                source,
            }
        })?;

        // Nothing can fail from here on.
        self.model.params_mut().copy_from_slice(model.params());
        self.optimizer.set_learning_rate(learning_rate);
        self.base_lr = base_learning_rate;
        let (position, dropout) = match fit {
            None => (Position::new(), Vec::new()),
            Some(fit) => (
                Position {
                    epoch,
                    seed: Some(fit.seed),
                    shuffle: fit.shuffle,
                    order: fit.order,
                },
                fit.dropout,
            ),
        };
        self.position = Position { epoch, ..position };
        for (slot, rng) in self.ws.rngs_mut().into_iter().zip(dropout) {
            *slot = rng;
        }
        Ok(())
    }
}
