//! Counting heap allocations, to prove that inference and training steps allocate nothing.
//!
//! Install [`CountingAllocator`] as the global allocator of a test or benchmark binary, then
//! measure a closure with [`allocations`]. The count is kept per thread (in a const-initialised
//! thread-local, which never allocates itself), so tests running in parallel do not disturb each
//! other.
//!
//! ```
//! #[global_allocator]
//! static ALLOCATOR: kiln::alloc_count::CountingAllocator = kiln::alloc_count::CountingAllocator;
//!
//! let mut v = Vec::with_capacity(16);
//! let n = kiln::alloc_count::allocations(|| v.extend_from_slice(&[1, 2, 3]));
//! assert_eq!(n, 0);
//! assert_eq!(kiln::alloc_count::allocations(|| drop(vec![0u8; 10])), 1);
//! ```

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

/// Allocations of every thread, for [`allocations_in_process`].
static PROCESS: AtomicUsize = AtomicUsize::new(0);

fn count() {
    let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
    PROCESS.fetch_add(1, Ordering::Relaxed);
}

/// The system allocator, counting allocations and reallocations per thread and in all.
pub struct CountingAllocator;

// SAFETY: every method forwards to `System` unchanged; counting touches only a thread-local.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// Heap allocations (and reallocations) `f` made on this thread. Meaningful only where
/// [`CountingAllocator`] is the global allocator; elsewhere it returns 0.
pub fn allocations(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.with(|c| c.get());
    f();
    ALLOCATIONS.with(|c| c.get()) - before
}

/// Heap allocations (and reallocations) of every thread of the process while `f` ran: those of
/// worker threads `f` sets to work too (a trainer on several threads). Anything else running
/// meanwhile counts as well, so a test measuring it must be alone in its binary. Meaningful
/// only where [`CountingAllocator`] is the global allocator; elsewhere it returns 0.
pub fn allocations_in_process(f: impl FnOnce()) -> usize {
    let before = PROCESS.load(Ordering::SeqCst);
    f();
    PROCESS.load(Ordering::SeqCst) - before
}
