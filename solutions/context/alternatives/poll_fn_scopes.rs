//! alternative: poll_fn with `sync_scope` and `span.enter()` around each poll; spawn_in_context captures the id and `Span::current()` into an async block
//!
//! The task-local is set per poll with `sync_scope`, the span entered per
//! poll with a guard dropped before the poll returns; the spawned child is
//! an async block that owns what was read on the spawner's side.

use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::task::JoinHandle;
// Not `std::time::Instant`: tokio's `Instant` reads the runtime's clock, so
// on the tests' paused clock it says exactly how much *virtual* time passed.
use tokio::time::Instant;
use tracing::Instrument;
use tracing::Span;

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
    static REQUEST_ID: RequestId;
}

/// Task 1 · The id of the request being served, or `None` outside any.
pub fn current_request_id() -> Option<RequestId> {
    match REQUEST_ID.try_with(|id| *id) {
        Ok(id) => Some(id),
        Err(_outside_any_scope) => None,
    }
}

/// Task 1 · Runs `fut` with `id` as the current request id: set for each
/// poll, and only for it.
pub async fn with_request_id<F: Future>(id: RequestId, fut: F) -> F::Output {
    let mut fut = std::pin::pin!(fut);
    std::future::poll_fn(|cx| REQUEST_ID.sync_scope(id, || fut.as_mut().poll(cx))).await
}

// ---- task 2: spawning in context -------------------------------------------

/// Task 2 (and 3) · `tokio::spawn` in the spawner's context.
pub fn spawn_in_context<F>(fut: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let (id, span) = (current_request_id(), Span::current());
    tokio::spawn(async move {
        let fut = fut.instrument(span);
        match id {
            Some(id) => with_request_id(id, fut).await,
            None => fut.await,
        }
    })
}

// ---- task 3: the request as a span ------------------------------------------

/// Task 3 · Runs `fut` inside a span `request{id = ..}`, entered around
/// each poll.
pub async fn traced_request<F: Future>(id: RequestId, fut: F) -> F::Output {
    let span = tracing::info_span!("request", id = id);
    let mut fut = std::pin::pin!(fut);
    std::future::poll_fn(|cx| {
        let _entered = span.enter();
        fut.as_mut().poll(cx)
    })
    .await
}
