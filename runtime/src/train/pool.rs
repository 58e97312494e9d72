//! The trainer's worker threads: `threads − 1` of them, parked on a condition variable between
//! jobs, and the calling thread as worker 0.
//!
//! Why a pool of our own, kept by the trainer: `std::thread::scope` per call would spawn threads
//! for every `train_step`, `evaluate` and `predict` (tens of microseconds, as long as a small
//! model's whole step), and rayon's global pool would start one thread per core whatever the user
//! asked for, and be shared with whatever else the program runs. These workers are spawned when
//! a trainer first runs on more than one thread and live as long as it (or until the thread
//! count changes); a job is a borrowed closure that every worker runs once with its index, and
//! [`Pool::run`] returns only when all have finished, as a scope would. Dispatching a job
//! allocates nothing (a mutex, two condition variables and a counter).

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

/// A job: called once by each worker with its index, `0..threads`.
type Job<'a> = dyn Fn(usize) + Sync + 'a;

/// Spins on the job counter before parking: a training step's serial part (the gradient sum,
/// the optimizer) is short, and waking a parked thread costs more than the spin.
const SPINS: u32 = 1 << 12;

/// What the caller and the workers share. The job is published as a thin pointer to the
/// caller's `&Job`, valid while `pending > 0` (see [`Pool::run`]).
struct Shared {
    /// Incremented for each job: a worker runs a job once, when it sees a new generation.
    generation: AtomicU64,
    job: AtomicPtr<&'static Job<'static>>,
    /// Workers (other than the caller) still running the current job.
    pending: AtomicUsize,
    /// A worker's job panicked.
    panicked: AtomicBool,
    exit: AtomicBool,
    /// Parking: the workers wait on `start` for a new generation, the caller on `done`.
    lock: Mutex<()>,
    start: Condvar,
    done: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, ()> {
        // Nothing runs under the lock that could panic.
        self.lock.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits until `ready()`: spins a while, then parks on `condvar` (whose notifier takes the
    /// lock after making `ready()` true, so no wake-up is lost).
    fn wait(&self, condvar: &Condvar, ready: impl Fn() -> bool) {
        for _ in 0..SPINS {
            if ready() {
                return;
            }
            std::hint::spin_loop();
        }
        let mut guard = self.lock();
        while !ready() {
            guard = condvar.wait(guard).unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Wakes the threads parked on `condvar`.
    fn wake(&self, condvar: &Condvar) {
        drop(self.lock());
        condvar.notify_all();
    }
}

/// `threads − 1` parked workers plus the calling thread.
pub(crate) struct Pool {
    shared: Arc<Shared>,
    workers: Vec<JoinHandle<()>>,
}

impl Pool {
    /// A pool of `threads` (at least 1): spawns `threads − 1` workers.
    pub(crate) fn new(threads: usize) -> Self {
        let shared = Arc::new(Shared {
            generation: AtomicU64::new(0),
            job: AtomicPtr::new(std::ptr::null_mut()),
            pending: AtomicUsize::new(0),
            panicked: AtomicBool::new(false),
            exit: AtomicBool::new(false),
            lock: Mutex::new(()),
            start: Condvar::new(),
            done: Condvar::new(),
        });
        let workers = (1..threads.max(1))
            .map(|index| {
                let shared = Arc::clone(&shared);
                std::thread::Builder::new()
                    .name(format!("kiln-worker-{index}"))
                    .spawn(move || work(&shared, index))
                    .expect("spawning a kiln worker thread")
            })
            .collect();
        Pool { shared, workers }
    }

    /// Workers, the calling thread included.
    pub(crate) fn threads(&self) -> usize {
        self.workers.len() + 1
    }

    /// Runs `job(i)` on worker `i` for every `i` in `0..threads` (0 on the calling thread) and
    /// returns when all are done; a panic in any of them is raised here after all have
    /// finished. Allocates nothing.
    pub(crate) fn run(&self, job: &Job<'_>) {
        if self.workers.is_empty() {
            job(0);
            return;
        }
        let shared = &*self.shared;
        // SAFETY: only the lifetime is erased. The pointer (to `job_ref`, on this stack) is
        // read by workers only between the generation's increment and their decrement of
        // `pending`, and this function waits for `pending` to reach 0, panics included.
        let job_ref: &Job<'static> = unsafe { std::mem::transmute(job) };
        shared
            .job
            .store((&job_ref as *const &Job).cast_mut(), Ordering::Relaxed);
        shared.panicked.store(false, Ordering::Relaxed);
        shared.pending.store(self.workers.len(), Ordering::Relaxed);
        shared.generation.fetch_add(1, Ordering::Release);
        shared.wake(&shared.start);
        let own = panic::catch_unwind(AssertUnwindSafe(|| job(0)));
        shared.wait(&shared.done, || shared.pending.load(Ordering::Acquire) == 0);
        shared.job.store(std::ptr::null_mut(), Ordering::Relaxed);
        if let Err(payload) = own {
            panic::resume_unwind(payload);
        }
        assert!(
            !shared.panicked.load(Ordering::Relaxed),
            "a kiln worker thread panicked"
        );
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.shared.exit.store(true, Ordering::Release);
        self.shared.wake(&self.shared.start);
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
    }
}

/// Worker `index`'s loop: wait for a new job, run it, report, until the pool is dropped.
fn work(shared: &Shared, index: usize) {
    let mut seen = 0u64;
    loop {
        shared.wait(&shared.start, || {
            shared.generation.load(Ordering::Acquire) != seen || shared.exit.load(Ordering::Acquire)
        });
        if shared.exit.load(Ordering::Acquire) {
            return;
        }
        seen = shared.generation.load(Ordering::Acquire);
        let job = shared.job.load(Ordering::Relaxed);
        // SAFETY: `run` published `job` before the generation this worker saw, and keeps it
        // alive until `pending` reaches 0 below.
        let ok = panic::catch_unwind(AssertUnwindSafe(|| unsafe { (**job)(index) })).is_ok();
        if !ok {
            shared.panicked.store(true, Ordering::Relaxed);
        }
        if shared.pending.fetch_sub(1, Ordering::AcqRel) == 1 {
            shared.wake(&shared.done);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn every_worker_runs_each_job_once() {
        for threads in 1..=3 {
            let pool = Pool::new(threads);
            assert_eq!(pool.threads(), threads);
            for _ in 0..50 {
                let calls = AtomicUsize::new(0);
                let indices = AtomicUsize::new(0);
                pool.run(&|i| {
                    calls.fetch_add(1, Ordering::SeqCst);
                    indices.fetch_add(1 << i, Ordering::SeqCst);
                });
                assert_eq!(calls.into_inner(), threads);
                assert_eq!(indices.into_inner(), (1 << threads) - 1);
            }
        }
    }

    #[test]
    fn a_worker_panic_reaches_the_caller() {
        let pool = Pool::new(2);
        let result = panic::catch_unwind(AssertUnwindSafe(|| {
            pool.run(&|i| assert!(i != 1, "worker 1 fails"));
        }));
        assert!(result.is_err());
        // The pool still works.
        let calls = AtomicUsize::new(0);
        pool.run(&|_| {
            calls.fetch_add(1, Ordering::SeqCst);
        });
        assert_eq!(calls.into_inner(), 2);
    }
}
