//! # 13 · context — reference solution

use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::task::JoinHandle;
// Not `std::time::Instant`: tokio's `Instant` reads the runtime's clock, so
// on the tests' paused clock it says exactly how much *virtual* time passed.
use tokio::time::Instant;
use tracing::Instrument;

/// The id of one request, as the server numbered it.
pub type RequestId = u64;

// ---- given: the log ------------------------------------------------------

/// One line of a [`Log`]: when it was logged, under which request, and
/// what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// Virtual time since the log was made.
    pub at: Duration,
    /// The request the line was logged under: [`current_request_id`] at
    /// the moment it was logged (`None` outside any request).
    pub request: Option<RequestId>,
    /// The text.
    pub text: String,
}

impl fmt::Display for Line {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.at.as_millis();
        match self.request {
            Some(id) => write!(f, "{:>3}.{:03} s  [request {id}]  {}", secs / 1000, secs % 1000, self.text),
            None => write!(f, "{:>3}.{:03} s  [no request]  {}", secs / 1000, secs % 1000, self.text),
        }
    }
}

/// A shared log whose every line is stamped with the request it belongs to.
/// The code that logs never says which request that is: the log reads it
/// from the context ([`current_request_id`]), the way a Python logging
/// filter reads a `ContextVar`. Clone it to hand it to another task.
///
/// This part is written for you; the tasks below make it right.
#[derive(Debug, Clone)]
pub struct Log {
    inner: Arc<Mutex<(Instant, Vec<Line>)>>,
}

impl Default for Log {
    fn default() -> Self {
        Log::new()
    }
}

impl Log {
    /// An empty log whose clock starts now.
    pub fn new() -> Log {
        Log { inner: Arc::new(Mutex::new((Instant::now(), Vec::new()))) }
    }

    /// Logs `text` now, under the current request.
    ///
    /// (The lock is a `std::sync::Mutex`: it is only held for the push,
    /// never across an `.await`, so a blocking lock is right here.)
    pub fn line(&self, text: impl Into<String>) {
        let request = current_request_id();
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let at = inner.0.elapsed();
        inner.1.push(Line { at, request, text: text.into() });
    }

    /// Every line so far, in the order they were logged.
    pub fn lines(&self) -> Vec<Line> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).1.clone()
    }
}

// ---- task 1: a request id in the context -----------------------------------

tokio::task_local! {
    /// The id of the request the current task is serving: Python's
    /// `request_id: ContextVar[int]`. A task-local has no value of its own;
    /// it has one only inside `REQUEST_ID.scope(id, fut)`, and only while
    /// `fut` is being polled. Every task, and every scope inside one task,
    /// sees its own value: two requests joined on one task do not see each
    /// other's, though they run on the same thread.
    ///
    /// Why not a `static` or a `thread_local!`? One thread runs every task
    /// of the runtime, turn by turn: a global holds the id of whichever
    /// request set it last, and between two `.await`s of yours any other
    /// request may have run.
    static REQUEST_ID: RequestId;
}

/// Task 1 · The id of the request being served, or `None` outside any
/// request (never a panic: a log line may be written anywhere).
///
/// `REQUEST_ID.with(..)` and `.get()` panic outside a scope; look for the
/// method that does not.
pub fn current_request_id() -> Option<RequestId> {
    REQUEST_ID.try_with(|id| *id).ok()
}

/// Task 1 · `ctx.run(fut)` with `request_id` set: runs `fut` with `id` as
/// the current request id and returns its output, taking exactly as long as
/// `fut`.
///
/// - Inside `fut`, [`current_request_id`] is `Some(id)` at every poll,
///   across every `.await`, whatever other requests do meanwhile; outside
///   it (before, after, and in other tasks or requests running at the same
///   instants) it is not.
/// - Nested, the innermost id holds; when it ends, the outer one is back.
/// - A task spawned inside `fut` with plain `tokio::spawn` starts with no
///   id: task-locals belong to a task and are not inherited (task 2).
pub async fn with_request_id<F: Future>(id: RequestId, fut: F) -> F::Output {
    REQUEST_ID.scope(id, fut).await
}

// ---- task 2: spawning in context -------------------------------------------

/// Task 2 (and 3) · `tokio::spawn`, but the child runs in the spawner's
/// context. In Python, `asyncio.create_task` copies the current context for
/// the new task; `tokio::spawn` does not: a new task starts with no
/// task-locals and outside every span.
///
/// - Task 2: the child runs with the request id that is current where
///   `spawn_in_context` is called, for its whole life, even after the
///   request that spawned it has ended; called outside any request, the
///   child runs without an id (no panic).
/// - Task 3: the child also runs in the span that is current where
///   `spawn_in_context` is called (the very same span, not a new one);
///   outside any span, in none.
///
/// It spawns at once, like `tokio::spawn`, and gives back the child's
/// `JoinHandle`: the caller neither waits for the child nor stops it.
/// Read the context *here*, on the spawner's side: inside the new task there
/// is nothing left to read it from.
pub fn spawn_in_context<F>(fut: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    // Both are read now, on the spawner's side. `in_current_span` takes
    // the current span at once (the future it returns holds it).
    let fut = fut.in_current_span();
    match current_request_id() {
        Some(id) => tokio::spawn(REQUEST_ID.scope(id, fut)),
        None => tokio::spawn(fut),
    }
}

// ---- task 3: the request as a span ------------------------------------------

/// Task 3 · Runs `fut` inside a `tracing` span named `request` with one
/// field, `id` (shown `request{id=7}`), and returns its output, taking
/// exactly as long as `fut`.
///
/// - Every event `fut` records, at every poll, across every `.await`, is
///   in that span (and in any span of `fut`'s own, nested inside it).
/// - No event outside `fut` is: not the caller's, not another request's
///   running at the same instants.
///
/// A span is *entered* and *exited*; the subscriber keeps, per thread, the
/// stack of spans entered now. `let _guard = span.enter();` held across an
/// `.await` stays entered while this task is suspended and the thread runs
/// other requests. Enter it around each poll instead: that is what
/// `tracing::Instrument` does.
///
/// Then finish task 3 in [`spawn_in_context`]: a child must stay in the
/// span of the request that spawned it.
pub async fn traced_request<F: Future>(id: RequestId, fut: F) -> F::Output {
    // `instrument` enters the span around every poll of `fut`, and exits
    // it before the poll returns: never entered while `fut` is suspended.
    fut.instrument(tracing::info_span!("request", id)).await
}
