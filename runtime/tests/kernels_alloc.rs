//! Proves the matrix-product kernels never touch the heap: a counting global allocator
//! (per-thread counter, const-initialised so it never allocates itself) observes 0 allocations
//! across calls of all three f32 and f64 products on the workload sizes, on every kernel family
//! this CPU supports.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct CountingAlloc;

thread_local! {
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards to `System`; the counter is a const-initialised thread-local `Cell`, which
// needs no allocation and no lazy initialisation.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCS.with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as ours.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

/// Number of allocations made by `f` on this thread.
fn count_allocs(f: impl FnOnce()) -> usize {
    let before = ALLOCS.with(Cell::get);
    f();
    ALLOCS.with(Cell::get) - before
}

/// `(m, n, k)` of the forward, weight-gradient and input-gradient products in the workloads.
const SIZES: [(usize, usize, usize); 16] = [
    (64, 32, 784),
    (64, 64, 32),
    (10, 64, 32),
    (64, 784, 32),
    (784, 32, 64),
    (64, 32, 64),
    (64, 32, 10),
    (64, 1, 784),
    (10, 1, 8),
    (5, 1, 10),
    (1, 1, 5),
    (10, 1024, 8),
    (5, 1024, 10),
    (1, 1024, 5),
    (32, 900, 27),
    (64, 169, 288),
];

macro_rules! run_all {
    ($t:ident) => {{
        let len = SIZES
            .iter()
            .map(|&(m, n, k)| (m * k).max(k * n).max(m * n))
            .max()
            .unwrap();
        let a: Vec<$t> = (0..len).map(|i| (i % 7) as $t * 0.25 - 0.5).collect();
        let b: Vec<$t> = (0..len).map(|i| (i % 5) as $t * 0.5 - 1.0).collect();
        let mut c: Vec<$t> = vec![0.0; len];
        let mut calls = || {
            for &(m, n, k) in &SIZES {
                for acc in [false, true] {
                    kiln::kernels::$t::gemm_nn(m, n, k, &a, &b, &mut c, acc);
                    kiln::kernels::$t::gemm_nt(m, n, k, &a, &b, &mut c, acc);
                    kiln::kernels::$t::gemm_tn(m, n, k, &a, &b, &mut c, acc);
                }
            }
        };
        calls(); // warm-up (CPU feature detection is cached by std and by kiln)
        assert_eq!(
            count_allocs(calls),
            0,
            concat!(stringify!($t), " kernels allocated")
        );
    }};
}

#[test]
fn counter_sees_allocations() {
    assert!(count_allocs(|| drop(std::hint::black_box(vec![1u8; 16]))) >= 1);
}

#[test]
fn kernels_never_allocate() {
    use kiln::kernels::{isa, set_isa, Isa};
    let detected = isa();
    let families: &[Isa] = match detected {
        Isa::Avx512 => &[Isa::Avx512, Isa::Avx2, Isa::Portable],
        Isa::Avx2 => &[Isa::Avx2, Isa::Portable],
        Isa::Portable => &[Isa::Portable],
    };
    for &family in families {
        set_isa(family);
        run_all!(f32);
    }
    set_isa(detected);
    run_all!(f64);
}
