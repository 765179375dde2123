//! # 01 · gather — `asyncio.gather` and `asyncio.create_task`, in tokio
//!
//! Five ways to run a list of jobs. Each one is a few lines; the point is
//! *when* each job runs, and the tests check that on a virtual clock to the
//! millisecond. Read README.md beside this file first, then replace each
//! `todo!()` below.
//!
//! A "job" is any future. Remember: creating a future runs nothing. A job
//! starts when something first polls it: your `.await`, a join, or the
//! runtime after you spawn it.

use std::fmt;
use std::future::Future;

/// Task 1 · Run the jobs **one after another** and return their results in
/// input order.
///
/// Jobs of 2 s, 1 s and 3 s take 6 s in all. This is what a plain `for` loop
/// with `.await` does; it is here so you can compare it with task 2.
pub async fn sequential<F, T>(jobs: Vec<F>) -> Vec<T>
where
    F: Future<Output = T>,
{
    todo!("task 1 (sequential)")
}

/// Task 2 · Run the jobs **all at once on the current task** and return
/// their results in input order (not in the order they finish).
///
/// Jobs of 2 s, 1 s and 3 s take 3 s in all: as long as the longest. No
/// spawning is needed: one task can drive many futures at once by polling
/// them together (`asyncio.gather`). Look at `futures::future::join_all`.
pub async fn concurrent<F, T>(jobs: Vec<F>) -> Vec<T>
where
    F: Future<Output = T>,
{
    todo!("task 2 (concurrent)")
}

/// A spawned job panicked. It names the job, so the caller can say which
/// one failed, and carries the panic message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobPanicked {
    /// The name the job was given.
    pub job: String,
    /// The text it panicked with. `panic!("boom")` gives `"boom"` (its
    /// payload is a `&'static str`); `panic!("disk {n} is full")` with `n`
    /// = 7 gives `"disk 7 is full"` (its payload is a `String`). Both kinds
    /// occur: read both. (A payload that is not text is not tested: say
    /// what you like.)
    pub message: String,
}

impl fmt::Display for JobPanicked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "job '{}' panicked: {}", self.job, self.message)
    }
}

impl std::error::Error for JobPanicked {}

/// Task 3 · Run **each job as its own task** (`asyncio.create_task`) and
/// collect one result per job, in input order (not in the order they
/// finish).
///
/// A spawned task runs even while nobody awaits it, and it may run on any
/// worker thread: that is why the job must be `Send + 'static`. A job that
/// panics does not bring the caller down: its `JoinHandle` gives back an
/// error, which you turn into a [`JobPanicked`] with the job's name and the
/// panic's text.
pub async fn spawn_all<F, T>(jobs: Vec<(String, F)>) -> Vec<Result<T, JobPanicked>>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    todo!("task 3 (spawn_all)")
}

/// Task 4 · `gather(..., return_exceptions=True)`: run every job at once and
/// let **every job run to its end**, failures included; return each job's
/// `Result` in input order (not in the order they finish).
///
/// One job failing early must not stop or hide the others: jobs of 2 s,
/// 1 s (fails) and 3 s take 3 s and give back `[Ok, Err, Ok]`.
pub async fn settle_all<F, T, E>(jobs: Vec<F>) -> Vec<Result<T, E>>
where
    F: Future<Output = Result<T, E>>,
{
    todo!("task 4 (settle_all)")
}

/// Task 5 · **Fail fast**: run every job at once; if all succeed return
/// their values in input order; at the first error (the first in time, not
/// in the input), return it *at that instant* and cancel the jobs still
/// running, at that same instant.
///
/// That must hold for any number of jobs: `futures::future::try_join_all`
/// does it only up to 30 (above, it looks at the results in input order).
/// Cancelling a future in Rust means dropping it. A spawned task, though,
/// keeps running when its `JoinHandle` is dropped: if you spawn, you must
/// abort what is left (or let a `tokio::task::JoinSet` do it for you), so
/// that none of your tasks is alive once `try_all` has returned.
pub async fn try_all<F, T, E>(jobs: Vec<F>) -> Result<Vec<T>, E>
where
    F: Future<Output = Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
{
    todo!("task 5 (try_all)")
}
