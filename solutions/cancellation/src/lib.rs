//! # 04 · cancellation — reference solution

use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::{JoinError, JoinHandle};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// How a spawned job ended, as its `JoinHandle` tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobEnd<T> {
    /// The job returned its value.
    Finished(T),
    /// The job was aborted before it could finish (Python's `CancelledError`).
    Cancelled,
    /// The job panicked, with this message: `panic!("boom")` gives
    /// `"boom"` (a `&'static str` payload), `panic!("job {id} failed")`
    /// gives `"job 7 failed"` (a `String` payload).
    Panicked(String),
}

/// The text of a panic payload: `panic!("boom")` carries a
/// `&'static str`, `panic!("{x}")` a `String`. Both occur: look for both.
fn panic_message(payload: Box<dyn Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(s) => *s,
        Err(payload) => match payload.downcast::<&'static str>() {
            Ok(s) => s.to_string(),
            Err(_) => "a panic with a non-text payload".to_string(),
        },
    }
}

/// Task 1: spawn, wait for the job *or* the limit, whichever comes first.
///
/// `timeout(after, &mut handle)` gives the job's own ending the moment it
/// comes, and hands the handle back untouched at the limit (awaiting
/// `&mut handle` borrows it; `timeout(after, handle)` would drop it at the
/// limit, and a dropped handle detaches, it does not cancel). Then abort
/// and *await the handle*: only the join says the task is really gone, and
/// how it ended.
pub async fn abort_after<F>(job: F, after: Duration) -> JobEnd<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let mut handle = tokio::spawn(job);
    let joined = match tokio::time::timeout(after, &mut handle).await {
        // It ended on its own (a value or a panic) before the limit.
        Ok(joined) => joined,
        Err(_limit) => {
            handle.abort();
            // Its Drop guards have run when this returns.
            handle.await
        }
    };
    match joined {
        Ok(value) => JobEnd::Finished(value),
        Err(err) if err.is_cancelled() => JobEnd::Cancelled,
        Err(err) => JobEnd::Panicked(panic_message(err.into_panic())),
    }
}

/// Task 2: a `JoinHandle` that aborts its task when it is dropped.
///
/// The handle is the only field; `Drop` is the whole trick. Everything
/// that drops a future (a `select!` that picks another branch, a timeout,
/// a `Vec` going out of scope) now cancels the task too.
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
        AbortOnDrop { handle: tokio::spawn(job) }
    }
}

impl<T> AbortOnDrop<T> {
    /// Asks the task to stop at its next `.await`; awaiting the handle
    /// afterwards gives a `JoinError` whose `is_cancelled()` is true.
    pub fn abort(&self) {
        self.handle.abort();
    }
}

impl<T> Future for AbortOnDrop<T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // A JoinHandle is Unpin, so it can be polled through a plain &mut.
        Pin::new(&mut self.handle).poll(cx)
    }
}

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

/// Task 3: look at the token *between* units, never during one. A unit
/// that has started runs to its end; the token only decides whether the
/// next one starts.
pub async fn worker<F, Fut>(token: CancellationToken, mut unit: F) -> usize
where
    F: FnMut(usize) -> Fut,
    Fut: Future<Output = ()>,
{
    let mut done = 0;
    while !token.is_cancelled() {
        unit(done).await;
        done += 1;
    }
    done
}

/// What [`shutdown`] saw happen to each worker, by name, in the order the
/// workers were given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShutdownReport {
    /// Workers that stopped on their own within the grace period.
    pub finished: Vec<String>,
    /// Workers still running at the end of the grace period, and aborted.
    pub aborted: Vec<String>,
    /// Workers that panicked before the end of the grace period.
    pub panicked: Vec<String>,
}

/// `grace` from now. `Instant + Duration` panics on overflow, and a grace
/// of `Duration::MAX` means "as long as it takes": a far-off instant will do.
fn deadline_after(grace: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(grace).unwrap_or_else(|| now + FOREVER)
}

/// Thirty years: later than any test or program will run.
const FOREVER: Duration = Duration::from_secs(30 * 365 * 24 * 60 * 60);

/// Task 4: cancel, wait up to one shared deadline, abort what is left.
///
/// The workers all run at once, so awaiting them one after another costs
/// nothing extra: each wait ends at the worker's end or at the deadline,
/// whichever comes first, and once the deadline has passed every later
/// wait ends at once.
pub async fn shutdown(
    token: &CancellationToken,
    workers: Vec<(String, JoinHandle<()>)>,
    grace: Duration,
) -> ShutdownReport {
    token.cancel();
    let deadline = deadline_after(grace);
    let mut report = ShutdownReport::default();
    for (name, mut handle) in workers {
        match tokio::time::timeout_at(deadline, &mut handle).await {
            Ok(Ok(())) => report.finished.push(name),
            Ok(Err(_panic)) => report.panicked.push(name),
            Err(_deadline) => {
                handle.abort();
                // Wait until the task is really gone: its Drop guards have
                // run when this returns.
                let _ = handle.await;
                report.aborted.push(name);
            }
        }
    }
    report
}

/// Task 5: a `select!` loop that is cancellation safe.
///
/// `recv()` is cancel safe: if the token wins, no message was taken out of
/// the channel. Handling happens *outside* the `select!`, so the token can
/// never interrupt a message in hand. `biased;` puts the token first, so a
/// cancelled loop never starts another message. Whatever is still queued
/// is handed back.
pub async fn serve<T, F, Fut>(mut rx: mpsc::Receiver<T>, token: CancellationToken, mut handle: F) -> Vec<T>
where
    F: FnMut(T) -> Fut,
    Fut: Future<Output = ()>,
{
    loop {
        let message = tokio::select! {
            biased;
            _ = token.cancelled() => break,
            message = rx.recv() => message,
        };
        match message {
            Some(message) => handle(message).await,
            // Every sender is gone and the channel is empty: nothing is left.
            None => return Vec::new(),
        }
    }
    // Close first, so no sender can slip a message in after we look.
    rx.close();
    let mut unprocessed = Vec::new();
    while let Ok(message) = rx.try_recv() {
        unprocessed.push(message);
    }
    unprocessed
}
