//! A `#![no_std]` library that declares kiln models, reads their weights from bytes compiled
//! into it (`include_bytes!`) and runs `predict` and streaming `step`: kiln with
//! `default-features = false` (no `std`; `alloc` for the model's parameter buffer only).
//!
//! It defines the `#[panic_handler]`, which a crate linking `std` must not: if kiln (or any
//! dependency) pulled `std` in, this crate would fail to build with E0152 ("found duplicate
//! lang item `panic_impl`"). `tests/no_std.rs` in the repository builds it, and runs `main.rs`,
//! a no_std program, to compare its outputs with the std build's.

#![no_std]

use kiln::io::{self, ReadError};

kiln::model! {
    /// The main job's MNIST classifier (`examples/mnist.rs`).
    pub struct Mlp {
        Input(784),
        Dense(64, activation = relu),
        Dense(64, activation = relu),
        Dense(10, activation = softmax),
    }

    /// Seed 003's forecaster: ten steps of one feature, stacked LSTMs, streamed step by step.
    pub struct Forecaster {
        Input(10, 1),
        LSTM(10, return_sequences = true),
        LSTM(10),
        Dense(10, activation = relu),
        Dense(1),
    }
}

/// The trained MNIST weights the `deploy` example ships (a PyTorch `nn.Sequential` state_dict).
pub static MLP_WEIGHTS: &[u8] = include_bytes!("../../../examples/assets/mnist-mlp.safetensors");

/// `Forecaster::new(FORECASTER_SEED)`'s weights, saved by kiln (`tests/no_std.rs` checks that
/// they still are).
pub static FORECASTER_WEIGHTS: &[u8] = include_bytes!("../weights/forecaster.safetensors");

/// The seed of [`FORECASTER_WEIGHTS`].
pub const FORECASTER_SEED: u64 = 3;

/// Parameters of the forecaster.
pub const FORECASTER_PARAMS: usize = Forecaster::<f32>::PARAM_COUNT;

/// The classifier with its embedded weights; its parameter buffer is the one allocation.
pub fn mlp() -> Result<Mlp, ReadError> {
    io::read::<f32, Mlp>(MLP_WEIGHTS)
}

/// The digit `image` (784 pixels in `[0, 1]`, row by row) shows, and its probability.
pub fn classify(model: &Mlp, image: &[f32; 784]) -> (usize, f32) {
    let (digit, p) = model.predict(image).argmax();
    (digit, p)
}

/// Reads the forecaster's embedded weights into `params`, a buffer the caller owns (a `static`,
/// the stack): no allocation at all.
pub fn forecaster_params(params: &mut [f32; FORECASTER_PARAMS]) -> Result<(), ReadError> {
    io::read_params::<f32, Forecaster>(FORECASTER_WEIGHTS, params)
}

/// Streams `readings` through the forecaster one step at a time (state on the stack) and
/// returns the last output: what `predict` gives for the whole window.
pub fn forecast(params: &[f32; FORECASTER_PARAMS], readings: &[f32]) -> f32 {
    let mut state = ForecasterState::default();
    let mut out = 0.0;
    for &reading in readings {
        out = Forecaster::step_with(params, &mut state, &[reading])[0];
    }
    out
}

/// The forecast for a whole ten-step window at once.
pub fn forecast_window(params: &[f32; FORECASTER_PARAMS], window: &[f32; 10]) -> f32 {
    Forecaster::predict_with(params, window)[0]
}

/// A no_std program has nowhere to report a panic: stop at once (SIGILL on x86-64).
#[cfg(not(test))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `ud2` raises an invalid-opcode fault; nothing runs after it.
    unsafe {
        core::arch::asm!("ud2", options(noreturn))
    }
    #[cfg(not(target_arch = "x86_64"))]
    loop {
        core::hint::spin_loop();
    }
}
