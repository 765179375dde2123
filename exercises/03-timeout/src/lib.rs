//! # 03 · timeout — `asyncio.wait_for` and `asyncio.timeout`, in tokio
//!
//! A job that might never end needs a limit. In asyncio you write
//! `await asyncio.wait_for(job, 2)` or `async with asyncio.timeout(2):`; in
//! tokio you wrap the job in `tokio::time::timeout(limit, job)`. Read
//! README.md beside this file first, then replace each `todo!()` below.
//!
//! The point of a timeout is not only to stop *waiting*: the job must stop
//! too. The tests put a drop probe on every job and check the instant it was
//! cancelled, to the millisecond, on the virtual clock.

use std::fmt;
use std::future::Future;
use std::time::Duration;

/// A job did not finish within its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimedOut {
    /// The limit it was given.
    pub limit: Duration,
}

impl fmt::Display for TimedOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "timed out after {:?}", self.limit)
    }
}

impl std::error::Error for TimedOut {}

/// Task 1 · `asyncio.wait_for`: the job's value if it ends within `limit`,
/// else `Err(TimedOut)` **at exactly `limit`**, with the job cancelled at
/// that instant.
///
/// The rules are tokio's, and the tests pin them down:
/// - a job that ends at the very instant the limit runs out is in time
///   (the job is polled before the clock is looked at), every time: the
///   tests stage that tie 32 times;
/// - so even a limit of zero returns a value that is ready at once;
/// - a limit too large to add to the current instant (`Duration::MAX`,
///   `Duration::from_secs(u64::MAX)`) means "no limit", as does any other
///   huge limit; nothing may overflow or panic.
///
/// Cancelling a future in Rust means dropping it: if you keep ownership of
/// the job, the job goes away when you return, and the tests check that it
/// is gone the moment `with_timeout` returns its error. A spawned task
/// would not be (and `abort()` only takes effect later).
pub async fn with_timeout<F: Future>(limit: Duration, job: F) -> Result<F::Output, TimedOut> {
    todo!("task 1 (with_timeout)")
}

/// What [`summarize`] found out about each job, each list in input order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary<T, E> {
    /// Jobs that returned `Ok` in time, with their values.
    pub succeeded: Vec<(String, T)>,
    /// Jobs that returned `Err` in time, with their errors.
    pub failed: Vec<(String, E)>,
    /// Jobs still running when the limit ran out.
    pub timed_out: Vec<String>,
}

/// Task 2 · Run every job **at once**, each under `limit`, and sort them
/// into those that succeeded, failed (and why), or timed out.
///
/// Jobs of 1 s (ok), 2 s (fails), 5 s and 4 s under a limit of 3 s: A
/// succeeds, B fails, C and D time out at 3 s (cancelled before this
/// returns), and the whole call takes 3 s. If every job fits, it takes as
/// long as the longest job, not the limit: elapsed = min(limit, longest
/// job).
///
/// Each list is in input order, whatever order the jobs ended in. The limit
/// follows [`with_timeout`]'s rules: under a limit of zero a job that is
/// ready at once still counts as succeeded or failed; a huge limit
/// (`Duration::MAX`) is no limit.
pub async fn summarize<F, T, E>(jobs: Vec<(String, F)>, limit: Duration) -> Summary<T, E>
where
    F: Future<Output = Result<T, E>>,
{
    todo!("task 2 (summarize)")
}

/// The overall deadline of [`with_deadline`] passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadlineExceeded {
    /// The step that was running when time ran out.
    pub step: String,
    /// The overall deadline, counted from the call.
    pub deadline: Duration,
}

impl fmt::Display for DeadlineExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the deadline of {:?} passed during step '{}'", self.deadline, self.step)
    }
}

impl std::error::Error for DeadlineExceeded {}

/// Task 3 · `async with asyncio.timeout(total):` around several steps: run
/// the steps **one after another** under **one** overall deadline, `total`
/// from the call.
///
/// Steps of 2 s, 2 s and 2 s under a deadline of 5 s fail at exactly 5 s,
/// during the third step, which is cancelled then (before this returns)
/// and named in the error; later steps never start. The error's `deadline`
/// is `total`. A step that ends exactly at the deadline is in time, as in
/// task 1. With 0 ms left, a step is still polled once: one that is ready
/// at once is in time, the first that is not fails at once. `total =
/// Duration::MAX` (or any other huge total) means no deadline, and must
/// not overflow.
///
/// The trap: giving each step `total` of its own. Keep one clock.
pub async fn with_deadline<F, T>(steps: Vec<(String, F)>, total: Duration) -> Result<Vec<T>, DeadlineExceeded>
where
    F: Future<Output = T>,
{
    todo!("task 3 (with_deadline)")
}
