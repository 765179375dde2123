//! alternative: hand-rolled context futures: a `thread_local!` swapped in around every poll (no task-local), a span entered around every poll (no `Instrument`)
//!
//! What `task_local!` and `Instrument` do inside, written out: a future
//! that, at each poll of the future it wraps, puts its request id in a
//! thread-local (or enters its span) and puts the old state back before
//! the poll returns. Between polls the thread-local holds whatever the
//! code around holds, so another request polled meanwhile sees its own.

use std::cell::Cell;
use std::pin::Pin;
use std::task::{Context, Poll};

use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::task::JoinHandle;
// Not `std::time::Instant`: tokio's `Instant` reads the runtime's clock, so
// on the tests' paused clock it says exactly how much *virtual* time passed.
use tokio::time::Instant;

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

thread_local! {
    /// The request id of whatever is being polled on this thread now.
    static CURRENT: Cell<Option<RequestId>> = const { Cell::new(None) };
}

/// Puts the previous id back when dropped: after the poll, even if it
/// panicked.
struct Restore(Option<RequestId>);

impl Drop for Restore {
    fn drop(&mut self) {
        CURRENT.set(self.0);
    }
}

/// A future polled with `id` as the current request id.
struct WithId<F> {
    id: Option<RequestId>,
    fut: Pin<Box<F>>,
}

impl<F: Future> Future for WithId<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = &mut *self;
        let _restore = Restore(CURRENT.replace(this.id));
        this.fut.as_mut().poll(cx)
    }
}

/// A future polled inside `span`: entered for the poll, exited after it.
struct InSpan<F> {
    span: tracing::Span,
    fut: Pin<Box<F>>,
}

impl<F: Future> Future for InSpan<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = &mut *self;
        // Entered for this poll only: the guard never lives across a
        // suspension.
        let _entered = this.span.enter();
        this.fut.as_mut().poll(cx)
    }
}

/// Task 1 · The id of the request being served, or `None` outside any.
pub fn current_request_id() -> Option<RequestId> {
    CURRENT.get()
}

/// Task 1 · Runs `fut` with `id` as the current request id.
pub async fn with_request_id<F: Future>(id: RequestId, fut: F) -> F::Output {
    WithId { id: Some(id), fut: Box::pin(fut) }.await
}

// ---- task 2: spawning in context -------------------------------------------

/// Task 2 (and 3) · `tokio::spawn` in the spawner's context.
pub fn spawn_in_context<F>(fut: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let in_span = InSpan { span: tracing::Span::current(), fut: Box::pin(fut) };
    // `None` outside a request: the child is polled with no id, as it should.
    tokio::spawn(WithId { id: current_request_id(), fut: Box::pin(in_span) })
}

// ---- task 3: the request as a span ------------------------------------------

/// Task 3 · Runs `fut` inside a span `request{id = ..}`.
pub async fn traced_request<F: Future>(id: RequestId, fut: F) -> F::Output {
    InSpan { span: tracing::info_span!("request", id), fut: Box::pin(fut) }.await
}
