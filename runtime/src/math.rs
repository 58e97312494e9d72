//! Branch-free `f32` exponential, logistic and hyperbolic tangent that vectorise.
//!
//! libm's `expf` and `tanhf` are calls LLVM cannot vectorise, and they dominated recurrent
//! layers (an LSTM evaluates five per unit and step). These are the Cephes single-precision
//! algorithms written without branches, so that a loop over them compiles to SIMD code:
//!
//! - `eˣ = 2ⁿ·eʳ` with `n = round(x·log₂e)`, `r = x − n·ln 2` (in two parts, exactly), and a
//!   degree-6 polynomial for `eʳ` on `|r| ≤ ln 2 / 2`; `x` is clamped to `[−87, 88]`;
//! - `σ(x) = 1 / (1 + e⁻ˣ)`;
//! - `tanh x = x + x³·P(x²)` for `|x| < 0.625`, else `sign(x)·(1 − 2 / (e²ˡˣˡ + 1))`.
//!
//! All three stay within a few units in the last place of the exact values (tests below).

const LOG2E: f32 = core::f32::consts::LOG2_E;
const LN2_HI: f32 = 0.693_359_4;
const LN2_LO: f32 = -2.121_944_4e-4;
/// `1.5·2²³`: adding it rounds an `f32` below `2²²` to the nearest integer.
const ROUND: f32 = 12_582_912.0;

/// `eˣ`, clamped to `[e⁻⁸⁷, e⁸⁸]`.
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    let x = if x < -87.0 { -87.0 } else { x };
    let x = if x > 88.0 { 88.0 } else { x };
    let shifted = x * LOG2E + ROUND;
    let n = shifted - ROUND;
    let r = x - n * LN2_HI - n * LN2_LO;
    let p = 1.987_569_1e-4;
    let p = p * r + 1.398_199_9e-3;
    let p = p * r + 8.333_452e-3;
    let p = p * r + 4.166_579_6e-2;
    let p = p * r + 1.666_666_5e-1;
    let p = p * r + 0.5;
    let er = p * (r * r) + r + 1.0;
    // The low bits of `shifted` hold n (two's complement); 2ⁿ has exponent field n + 127.
    let n_bits = shifted.to_bits().wrapping_sub(ROUND.to_bits());
    let scale = f32::from_bits(n_bits.wrapping_add(127) << 23);
    er * scale
}

/// The logistic function `σ(x) = 1 / (1 + e⁻ˣ)`.
#[inline(always)]
pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + exp(-x))
}

/// `tanh x`.
#[inline(always)]
pub fn tanh(x: f32) -> f32 {
    let a = x.abs();
    let z = x * x;
    let p = -5.704_988_7e-3;
    let p = p * z + 2.063_909e-2;
    let p = p * z - 5.373_971_6e-2;
    let p = p * z + 1.333_144_2e-1;
    let p = p * z - 0.333_332_8;
    let small = p * z * x + x;
    let large = 1.0 - 2.0 / (exp(2.0 * a) + 1.0);
    let large = if x < 0.0 { -large } else { large };
    if a < 0.625 {
        small
    } else {
        large
    }
}

#[cfg(test)]
mod tests {
    /// Largest error in units of `f32::EPSILON` relative to `max(|exact|, floor)`.
    fn worst(f: fn(f32) -> f32, exact: fn(f64) -> f64, lo: f32, hi: f32, floor: f64) -> f64 {
        let steps = 200_000;
        (0..=steps)
            .map(|i| {
                let x = lo + (hi - lo) * i as f32 / steps as f32;
                let want = exact(x as f64);
                (f(x) as f64 - want).abs() / want.abs().max(floor) / f32::EPSILON as f64
            })
            .fold(0.0, f64::max)
    }

    #[test]
    fn exp_is_within_two_ulp() {
        let e = worst(super::exp, f64::exp, -87.0, 88.0, 0.0);
        assert!(e < 2.0, "exp off by {e} ulp");
    }

    #[test]
    fn exp_saturates_instead_of_overflowing() {
        assert!(super::exp(1e4).is_finite());
        assert!(super::exp(-1e4) > 0.0);
        assert_eq!(super::exp(0.0), 1.0);
    }

    #[test]
    fn sigmoid_is_within_three_ulp() {
        let e = worst(
            super::sigmoid,
            |x| 1.0 / (1.0 + (-x).exp()),
            -80.0,
            80.0,
            0.0,
        );
        assert!(e < 3.0, "sigmoid off by {e} ulp");
        assert_eq!(super::sigmoid(200.0), 1.0);
        assert!(super::sigmoid(-200.0) >= 0.0);
    }

    #[test]
    fn tanh_is_within_three_ulp() {
        let e = worst(super::tanh, f64::tanh, -20.0, 20.0, 0.0);
        assert!(e < 3.0, "tanh off by {e} ulp");
        assert_eq!(super::tanh(100.0), 1.0);
        assert_eq!(super::tanh(-100.0), -1.0);
        assert_eq!(super::tanh(0.0), 0.0);
    }
}
