//! # 10 · blocking — `run_in_executor`, `asyncio.to_thread`, `slow_callback_duration`
//!
//! An async runtime runs many tasks on few threads, switching only at an
//! `.await`. Code that holds the thread without awaiting (heavy computation,
//! `std::thread::sleep`, a blocking read, a `std::sync::Mutex` that someone
//! else holds) stalls *every* task on that thread. The cure is to move such
//! work to a thread that may block: tokio keeps a pool of them for exactly
//! this, and `tokio::task::spawn_blocking` hands work to it.
//!
//! Read README.md beside this file first, then replace each `todo!()`
//! below, then find the three blockers hidden in `service.rs`.
//!
//! The tests run on a paused clock, and a *blocking detector* watches the
//! executor's thread: a poll that holds it for long is reported, with the
//! name of the job that did it.

use std::fmt;
use std::future::Future;

pub mod service;

/// A blocking job panicked. It carries the panic's text, so the caller can
/// say what went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Panicked {
    /// The text the job panicked with. `panic!("boom")` gives `"boom"` (its
    /// payload is a `&'static str`); `panic!("disk {n} is full")` with
    /// `n` = 7 gives `"disk 7 is full"` (its payload is a `String`). Both
    /// kinds occur: read both.
    pub message: String,
}

impl fmt::Display for Panicked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the blocking job panicked: {}", self.message)
    }
}

impl std::error::Error for Panicked {}

/// Task 1 · `asyncio.to_thread(f)`: run the synchronous closure `f` on
/// tokio's **blocking pool** and await its result.
///
/// `f` may compute for a long time (the tests give it about 150 ms of real
/// CPU work). While it does, the executor's thread must stay free: other
/// tasks keep running, and the blocking detector stays silent. A closure
/// that panics does not bring the caller down: its panic comes back as
/// `Err(Panicked)` with the panic's text.
///
/// Calling `f()` right here would run it on the executor's thread, in the
/// middle of a poll: that is the mistake this exercise is about.
pub async fn offload<F, T>(f: F) -> Result<T, Panicked>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    todo!("task 1 (offload)")
}

/// Task 2 · `executor.map(f, items)` on a pool of `k` workers: run `f` on
/// every item on the blocking pool, **at most `k` at once**, and return one
/// result per item **in input order** (not in the order they finish).
///
/// As soon as one job ends, the next item starts, so that `k` run whenever
/// `k` are left. A job that panics gives `Err(Panicked)` in its place and
/// the others carry on. `k` is at least 1; no items give an empty `Vec` at
/// once.
///
/// tokio's blocking pool alone would run every job at once (it has room for
/// hundreds of threads): the limit is yours to keep.
pub async fn offload_all<I, T, F>(items: Vec<I>, k: usize, f: F) -> Vec<Result<T, Panicked>>
where
    I: Send + 'static,
    T: Send + 'static,
    F: Fn(I) -> T + Send + Sync + 'static,
{
    todo!("task 2 (offload_all)")
}

/// A synchronous library you cannot change (think of a parser or a
/// template engine with a callback): it looks up every id through
/// `lookup` and writes a report. Given; not a task.
pub fn legacy_report(ids: &[u32], lookup: &mut dyn FnMut(u32) -> String) -> String {
    let lines: Vec<String> = ids.iter().map(|&id| format!("- {id}: {}", lookup(id))).collect();
    format!("report of {} item(s)\n{}", ids.len(), lines.join("\n"))
}

/// Task 3 · Sync code calling async code: run [`legacy_report`] for `ids`
/// on the blocking pool, where each lookup is the async `lookup(id)`, and
/// return the report (or `Err(Panicked)` if it panicked).
///
/// `legacy_report` wants a plain closure that returns a `String`, but the
/// answer comes from async code. On a blocking-pool thread you may block:
/// a `tokio::runtime::Handle` to the test's runtime runs a future to its
/// end with `handle.block_on(fut)`, while the runtime's own thread carries
/// on with its tasks. The lookups use the runtime (they spawn tasks on it),
/// so they must run on *this* runtime, not on a new one.
///
/// On the executor's own thread that would be a deadlock or a panic
/// ("Cannot start a runtime from within a runtime").
pub async fn bridge<L, Fut>(ids: Vec<u32>, lookup: L) -> Result<String, Panicked>
where
    L: Fn(u32) -> Fut + Send + 'static,
    Fut: Future<Output = String>,
{
    todo!("task 3 (bridge)")
}
