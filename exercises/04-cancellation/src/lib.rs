//! # 04 · cancellation — `task.cancel()` and `CancelledError`, in tokio
//!
//! Stopping work is as much a part of concurrency as starting it. Five
//! tasks, from the bluntest tool to the most careful one: abort a task,
//! tie a task's life to a handle, ask a worker to stop at a good moment,
//! shut a whole crew down with a grace period, and stop a message loop
//! without losing a message. Read README.md beside this file first, then
//! replace each `todo!()` below.
//!
//! Two ways to stop work, and you need both:
//! - **abort** (`JoinHandle::abort`): the task is dropped at its next
//!   `.await`, wherever that is. Its Drop guards run; the rest of its code
//!   never does. Quick, and blunt.
//! - **ask** (`tokio_util::sync::CancellationToken`): the worker looks at
//!   the token when it is ready to stop, so it never stops half way.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::{JoinError, JoinHandle};
use tokio_util::sync::CancellationToken;

/// How a spawned job ended, as its `JoinHandle` tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobEnd<T> {
    /// The job returned its value.
    Finished(T),
    /// The job was aborted before it could finish (Python's `CancelledError`).
    Cancelled,
    /// The job panicked, with this message. Both kinds of payload occur:
    /// `panic!("boom")` carries a `&'static str` and gives `"boom"`;
    /// `panic!("job {id} failed")` carries a `String` and gives
    /// `"job 7 failed"`.
    Panicked(String),
}

/// Task 1 · Spawn `job` and wait for it, but for no longer than `after`:
/// if it is still running then, **abort** it. Tell how it ended.
///
/// This is Python's `task = create_task(job)`,
/// `await asyncio.wait({task}, timeout=after)`, then `task.cancel()` and
/// `await task`.
///
/// - A job that ends before `after` (with its value or with a panic) is
///   reported the moment it ends: `abort_after` does not wait out the rest
///   of the limit. `tokio::time::timeout(after, &mut handle)` gives you
///   exactly that, and leaves the handle in your hands at the limit.
/// - A job still running at `after` is aborted then. `abort()` only
///   *asks*: the task is dropped the next time the runtime gets to it. Await
///   the handle afterwards: when `abort_after` returns, the task is gone
///   and its Drop guards have run. The `JoinError` says whether it was
///   cancelled (`is_cancelled()`) or had panicked (`is_panic()`).
/// - `after` may be as large as `Duration::MAX`: nothing may overflow.
///
/// A 1 s job with `after` = 400 ms is dropped at exactly 400 ms, and its
/// Drop guards have run when `abort_after` returns `Cancelled`, at 400 ms.
/// A 300 ms job gives `Finished(value)` at 300 ms.
pub async fn abort_after<F>(job: F, after: Duration) -> JobEnd<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    todo!("task 1 (abort_after)")
}

/// Task 2 · A `JoinHandle` that **aborts its task when it is dropped**.
///
/// Dropping a plain `JoinHandle` *detaches* the task: it runs on, and
/// nobody can stop it or see its result any more. That surprises everyone
/// coming from Python, where a task nobody references can be collected.
/// An `AbortOnDrop` ties the task's life to the handle, so whatever drops
/// the handle (a timeout, a `select!` that picked another branch, a struct
/// going out of scope) cancels the task with it.
///
/// Awaiting an `AbortOnDrop` gives what awaiting the `JoinHandle` gives.
#[derive(Debug)]
pub struct AbortOnDrop<T> {
    handle: JoinHandle<T>,
}

impl<T: Send + 'static> AbortOnDrop<T> {
    /// Spawns `job` as a task owned by the returned handle.
    pub fn spawn<F>(job: F) -> Self
    where
        F: Future<Output = T> + Send + 'static,
    {
        todo!("task 2 (abort_on_drop: spawn)")
    }
}

impl<T> AbortOnDrop<T> {
    /// Aborts the task now; awaiting the handle afterwards gives a
    /// `JoinError` whose `is_cancelled()` is true. (Given: it is one line.)
    pub fn abort(&self) {
        self.handle.abort();
    }
}

impl<T> Future for AbortOnDrop<T> {
    type Output = Result<T, JoinError>;

    /// Polls the task's `JoinHandle`: this future is ready when the task
    /// is. A `JoinHandle` is `Unpin`, so `Pin::new(&mut ...)` is all it
    /// takes to poll it from here (write `mut self` to reach the field).
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        todo!("task 2 (abort_on_drop: poll)")
    }
}

impl<T> Drop for AbortOnDrop<T> {
    /// The whole point of the type.
    fn drop(&mut self) {
        todo!("task 2 (abort_on_drop: drop)")
    }
}

/// Task 3 · A worker that does units of work until it is **asked to
/// stop**, and never stops half way through a unit.
///
/// `unit(i)` makes the future of unit `i` (0, 1, 2, ...). Run them one
/// after another; before each one, look at `token`: once it is cancelled,
/// start no new unit. Return how many units were done.
///
/// Units of 250 ms, cancelled at 1.100 s: unit 4 is in hand (1.000 s to
/// 1.250 s), so it finishes, and the worker returns 5 at exactly 1.250 s.
/// Aborting would have cut unit 4 in half; a token lets the worker choose
/// the moment.
pub async fn worker<F, Fut>(token: CancellationToken, unit: F) -> usize
where
    F: FnMut(usize) -> Fut,
    Fut: Future<Output = ()>,
{
    todo!("task 3 (worker)")
}

/// What [`shutdown`] saw happen to each worker, by name, each list in the
/// order the workers were given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShutdownReport {
    /// Workers that stopped on their own within the grace period.
    pub finished: Vec<String>,
    /// Workers still running at the end of the grace period, and aborted.
    pub aborted: Vec<String>,
    /// Workers that panicked before the end of the grace period.
    pub panicked: Vec<String>,
}

/// Task 4 · Shut a crew of workers down **with a grace period**.
///
/// Cancel `token` (every worker watches it), then give the workers up to
/// `grace` to finish, all together: one deadline, `grace` from now, for
/// everyone. Abort whoever is still running at the deadline, and wait
/// until they are gone (when `shutdown` returns, their cleanup has run).
/// Return as soon as the last worker is done: a grace period is an upper
/// bound, not a sleep. A `grace` of `Duration::MAX` means "as long as it
/// takes": `Instant + Duration` panics on overflow, so use `checked_add`.
///
/// Each list of the report is in the order the workers were given, not
/// the order in which they ended.
///
/// Workers that stop by 1.400 s under a grace period ending at 3.000 s:
/// `shutdown` returns at 1.400 s. A worker that ignores the token: it is
/// aborted at exactly the end of the grace period.
pub async fn shutdown(
    token: &CancellationToken,
    workers: Vec<(String, JoinHandle<()>)>,
    grace: Duration,
) -> ShutdownReport {
    todo!("task 4 (shutdown)")
}

/// Task 5 · A message loop that stops when `token` is cancelled and
/// **loses no message**.
///
/// Receive messages from `rx` and `handle` them one at a time, each to
/// its end. When the token is cancelled, finish the message in hand,
/// start no other, and return every message still queued, unhandled, in
/// order. When every sender is gone and the channel is empty, return an
/// empty `Vec`.
///
/// Wait for "a message or the token" with `tokio::select!`. The branch
/// that loses a `select!` is *dropped*: only a future that is
/// *cancellation safe* (dropping it loses nothing) belongs in one.
/// `rx.recv()` is; a future that receives a message *and then handles it*
/// is not: dropping it drops the message it holds. When the token is
/// cancelled and a message is ready at the same instant, the token wins
/// (`biased;`, token first): a select! without it picks at random.
///
/// The caller's senders may still be alive when you return: close the
/// channel *before* you collect what is queued (each message you take out
/// makes room for a waiting sender), so a late sender gets its message
/// back instead of losing it.
pub async fn serve<T, F, Fut>(rx: mpsc::Receiver<T>, token: CancellationToken, handle: F) -> Vec<T>
where
    F: FnMut(T) -> Fut,
    Fut: Future<Output = ()>,
{
    todo!("task 5 (serve)")
}
