//! A no_std program (Linux, libc for output and memory only) printing the outputs of
//! `kiln-no-std`'s models on fixed inputs, for `tests/no_std.rs` to compare with the std build.
//! Lines: `mlp <i> <digit> <10 probabilities as f32 bit patterns>` and
//! `forecast <i> <step output bits> <window output bits>`.

#![no_std]
#![no_main]

extern crate alloc;

use core::alloc::{GlobalAlloc, Layout};
use core::fmt::{self, Write};
use kiln_no_std::{classify, forecast, forecast_window, forecaster_params, mlp, FORECASTER_PARAMS};

#[link(name = "c")]
extern "C" {
    fn write(fd: i32, buf: *const u8, count: usize) -> isize;
    fn aligned_alloc(align: usize, size: usize) -> *mut u8;
    fn free(ptr: *mut u8);
}

/// libc's allocator (the model's parameter buffer is the one allocation).
struct Libc;

// SAFETY: `aligned_alloc` returns memory of the asked alignment (a power of two) and a size
// rounded up to a multiple of it, or null; `free` takes what it returned.
unsafe impl GlobalAlloc for Libc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let align = layout.align().max(16);
        let size = layout.size().div_ceil(align) * align;
        // SAFETY: see the impl.
        unsafe { aligned_alloc(align, size.max(align)) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, _: Layout) {
        // SAFETY: see the impl.
        unsafe { free(ptr) }
    }
}

#[global_allocator]
static ALLOCATOR: Libc = Libc;

/// Standard output, unbuffered.
struct Stdout;

impl Write for Stdout {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let mut rest = s.as_bytes();
        while !rest.is_empty() {
            // SAFETY: `rest` is valid for reads of its length.
            let n = unsafe { write(1, rest.as_ptr(), rest.len()) };
            if n <= 0 {
                return Err(fmt::Error);
            }
            rest = &rest[n as usize..];
        }
        Ok(())
    }
}

/// Test image `k`: a deterministic pattern in `[0, 1]` (the std side computes the same).
fn image(k: usize) -> [f32; 784] {
    core::array::from_fn(|i| ((i * 37 + k * 101) % 256) as f32 / 255.0)
}

/// Test window `k`.
fn window(k: usize) -> [f32; 10] {
    core::array::from_fn(|i| ((i + 3 * k) % 7) as f32 / 7.0 - 0.4)
}

fn run(out: &mut Stdout) -> Result<(), fmt::Error> {
    let Ok(model) = mlp() else {
        return writeln!(out, "error: the embedded MLP weights do not load");
    };
    for k in 0..8 {
        let x = image(k);
        let (digit, _) = classify(&model, &x);
        write!(out, "mlp {k} {digit}")?;
        for p in model.predict(&x).iter() {
            write!(out, " {:08x}", p.to_bits())?;
        }
        writeln!(out)?;
    }
    let mut params = [0.0f32; FORECASTER_PARAMS];
    if forecaster_params(&mut params).is_err() {
        return writeln!(out, "error: the embedded forecaster weights do not load");
    }
    for k in 0..4 {
        let w = window(k);
        let streamed = forecast(&params, &w);
        let whole = forecast_window(&params, &w);
        writeln!(
            out,
            "forecast {k} {:08x} {:08x}",
            streamed.to_bits(),
            whole.to_bits()
        )?;
    }
    Ok(())
}

/// The prebuilt `alloc` refers to the unwinding personality routine, which a `panic = "abort"`
/// program never calls; stable Rust has no other way to provide the symbol.
#[no_mangle]
pub extern "C" fn rust_eh_personality() {}

#[no_mangle]
pub extern "C" fn main(_argc: i32, _argv: *const *const u8) -> i32 {
    match run(&mut Stdout) {
        Ok(()) => 0,
        Err(_) => 1,
    }
}
