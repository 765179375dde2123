//! # 09 · task groups — `asyncio.TaskGroup` and structured concurrency, in tokio
//!
//! A spawned task runs on its own: nothing ties it to the code that spawned
//! it, and a dropped `JoinHandle` only detaches it. *Structured*
//! concurrency puts that right: every task belongs to a scope (a group),
//! and the scope does not end while one of its tasks is alive. Read
//! README.md beside this file first, then replace each `todo!()` below.
//!
//! The tests count the runtime's live tasks: a task you leave behind shows
//! there, whatever it is doing.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::task::TaskTracker;

/// How one job failed: it returned an error, or it panicked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure<E> {
    /// The job returned `Err(error)`.
    Failed(E),
    /// The job panicked, with this text. `panic!("boom")` gives `"boom"`
    /// (its payload is a `&'static str`); `panic!("disk {n} is full")` with
    /// `n` = 7 gives `"disk 7 is full"` (its payload is a `String`). Both
    /// kinds occur: read both. (A payload that is not text is not tested:
    /// say what you like.)
    Panicked(String),
}

impl<E: fmt::Display> fmt::Display for Failure<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Failed(error) => write!(f, "failed: {error}"),
            Failure::Panicked(message) => write!(f, "panicked: {message}"),
        }
    }
}

/// The first failure of a group, and the job it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupError<E> {
    /// The name the failing job was given in `jobs`.
    pub job: String,
    /// How it failed.
    pub failure: Failure<E>,
}

impl<E: fmt::Display> fmt::Display for GroupError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "job '{}' {}", self.job, self.failure)
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for GroupError<E> {}

/// Task 1 · `async with asyncio.TaskGroup() as tg:` — run every job as a
/// task of its own, on one `tokio::task::JoinSet`, and end when the group
/// is done.
///
/// - All succeed: their values **in input order** (not the order they
///   end in), returned when the last one ends. A 2 s, B 1 s, C 3 s give
///   `Ok([a, b, c])` at 3 s.
/// - A job fails or panics: return at that instant a [`GroupError`] that
///   names it (the first failure *in time*, not in the input), and cancel
///   every other job then. B failing at 1 s ends the group at 1 s; A and C
///   are dropped at 1 s.
/// - Whichever way it ends, **no task of the group is alive** once `group`
///   has returned, and if the caller drops the `group` future before it
///   ends, its tasks go with it.
///
/// A `JoinSet` gives its tasks back as they end (`join_next`) and aborts
/// every task still in it when it is dropped: that is most of the work.
/// What it does not do is remember which job was which: keep the names.
///
/// Task 2 (nested groups) needs no new code: a job may itself run a group,
/// and cancelling the outer group must take the whole tree down.
pub async fn group<F, T, E>(jobs: Vec<(String, F)>) -> Result<Vec<T>, GroupError<E>>
where
    F: Future<Output = Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
{
    todo!("task 1 (group)")
}

/// Task 3 · A supervisor: run the job `factory()` makes; if it fails (an
/// `Err` or a panic), wait `backoff` from the instant it failed and run a
/// fresh one, at most `max_restarts` times. Return the first success, or
/// give up with the **last** failure the instant the last allowed attempt
/// fails (no backoff after it).
///
/// With attempts of 100 ms and a 250 ms backoff, attempts start at 0, 350,
/// 700, 1 050 ms. `max_restarts = 0` runs the job once; `max_restarts = 3`
/// runs it at most 4 times.
///
/// A panicking attempt must not bring the supervisor down: run each attempt
/// as a task and read its `JoinError`. And if the supervisor itself is
/// dropped, the attempt it is running is cancelled then and there: a
/// `JoinSet` of one does both.
pub async fn supervise<F, Fut, T, E>(
    factory: F,
    max_restarts: u32,
    backoff: Duration,
) -> Result<T, Failure<E>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
{
    todo!("task 3 (supervise)")
}

/// What [`Background::spawn`] returns once the set is closed: the job was
/// not started (it is dropped without ever being polled).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Closed;

impl fmt::Display for Closed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the background set is closed: no new task may start")
    }
}

impl std::error::Error for Closed {}

/// Task 4 · Fire-and-forget tasks that are still accounted for (asyncio's
/// "keep a reference to background tasks in a set"), on tokio-util's
/// `TaskTracker`.
///
/// - `spawn` starts a tracked task at once and gives back its
///   `JoinHandle`; after `close`, it returns `Err(Closed)` and the job
///   never runs.
/// - `wait` returns once the set is **closed and** its last task has ended,
///   at that instant, for every waiter. A `wait` begun before `close`
///   keeps waiting until `close` (an open set may still get tasks). A
///   task that panicked has ended too.
/// - The set is cheap to clone; every clone is the same set, so a tracked
///   task can spawn more on its own clone until the set is closed.
/// - Dropping a `Background` (every clone of it) neither cancels nor waits
///   for its tasks: they run on to their end. Stopping them is `close` +
///   `wait`'s job, or a cancellation token's (exercise 14).
#[derive(Debug, Clone, Default)]
pub struct Background {
    // Unread until you write task 4; delete this line then.
    #[allow(dead_code)]
    tracker: TaskTracker,
}

impl Background {
    /// An open, empty set of background tasks.
    pub fn new() -> Self {
        Background { tracker: TaskTracker::new() }
    }

    /// Starts `job` as a tracked task, unless the set is closed.
    ///
    /// Careful: a `TaskTracker` itself will track a task spawned after
    /// `close` without complaint. Refusing it is this type's rule.
    pub fn spawn<F>(&self, job: F) -> Result<JoinHandle<F::Output>, Closed>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        todo!("task 4 (background: spawn)")
    }

    /// From now on, no new task may start.
    pub fn close(&self) {
        todo!("task 4 (background: close)")
    }

    /// Returns once the set is closed and its last task has ended.
    pub async fn wait(&self) {
        todo!("task 4 (background: wait)")
    }
}
