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
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

/// A job: called once by each worker with its index, `0..threads`.
type Job<'a> = dyn Fn(usize) + Sync + 'a;

/// A job whose borrow [`Pool::run`] keeps alive until every worker has finished with it.
#[derive(Clone, Copy)]
struct JobRef(*const Job<'static>);

// SAFETY: the pointee is `Sync`, and `run` does not return (so the borrow does not end) before
// every worker has stopped using it.
unsafe impl Send for JobRef {}

struct State {
    /// Incremented for each job: a worker runs a job once, when it sees a new generation.
    generation: u64,
    job: Option<JobRef>,
    /// Workers (other than the caller) still running the current job.
    pending: usize,
    /// A worker's job panicked.
    panicked: bool,
    exit: bool,
}

struct Shared {
    state: Mutex<State>,
    start: Condvar,
    done: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Jobs run outside the lock and their panics are caught, so poisoning cannot leave the
        // state half-written.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
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
            state: Mutex::new(State {
                generation: 0,
                job: None,
                pending: 0,
                panicked: false,
                exit: false,
            }),
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
        // SAFETY: only the lifetime is erased; the workers drop the pointer before `pending`
        // reaches 0, and this function waits for that, panics included.
        let erased: *const Job<'static> = unsafe { std::mem::transmute(job as *const Job<'_>) };
        {
            let mut state = self.shared.lock();
            state.generation = state.generation.wrapping_add(1);
            state.job = Some(JobRef(erased));
            state.pending = self.workers.len();
            state.panicked = false;
        }
        self.shared.start.notify_all();
        let own = panic::catch_unwind(AssertUnwindSafe(|| job(0)));
        let mut state = self.shared.lock();
        while state.pending > 0 {
            state = self
                .shared
                .done
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        state.job = None;
        let panicked = state.panicked;
        drop(state);
        if let Err(payload) = own {
            panic::resume_unwind(payload);
        }
        assert!(!panicked, "a kiln worker thread panicked");
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.shared.lock().exit = true;
        self.shared.start.notify_all();
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
    }
}

/// Worker `index`'s loop: wait for a new job, run it, report, until the pool is dropped.
fn work(shared: &Shared, index: usize) {
    let mut seen = 0u64;
    loop {
        let job = {
            let mut state = shared.lock();
            while state.generation == seen && !state.exit {
                state = shared
                    .start
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            if state.exit {
                return;
            }
            seen = state.generation;
            state.job
        };
        let ok = match job {
            // SAFETY: `run` keeps the job alive until `pending` reaches 0 below.
            Some(JobRef(job)) => {
                panic::catch_unwind(AssertUnwindSafe(|| unsafe { (*job)(index) })).is_ok()
            }
            None => true,
        };
        let mut state = shared.lock();
        state.panicked |= !ok;
        state.pending -= 1;
        if state.pending == 0 {
            shared.done.notify_one();
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
