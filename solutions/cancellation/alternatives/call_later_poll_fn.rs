//! alternative: a timer task that aborts (asyncio's call_later), join_all, and a hand-rolled poll_fn select
//!
//! `abort_after` hands an `AbortHandle` to a timer task of its own and
//! just awaits the job; `shutdown` waits for every worker at once with
//! `join_all` under one deadline; `serve` polls the token and the channel
//! itself, token first, in a `poll_fn`.

use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::FutureExt;
use tokio::sync::mpsc;
use tokio::task::{JoinError, JoinHandle};
use tokio_util::sync::CancellationToken;

/// How a spawned job ended, as its `JoinHandle` tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobEnd<T> {
    /// The job returned its value.
    Finished(T),
    /// The job was aborted before it could finish.
    Cancelled,
    /// The job panicked, with this message.
    Panicked(String),
}

fn panic_text(payload: Box<dyn Any + Send>) -> String {
    match payload.downcast::<&'static str>() {
        Ok(s) => (*s).to_string(),
        Err(payload) => match payload.downcast::<String>() {
            Ok(s) => *s,
            Err(_) => String::from("a panic with a non-text payload"),
        },
    }
}

/// Task 1: `loop.call_later(after, task.cancel)`, then `await task`.
pub async fn abort_after<F>(job: F, after: Duration) -> JobEnd<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handle = tokio::spawn(job);
    let abort = handle.abort_handle();
    let timer = tokio::spawn(async move {
        tokio::time::sleep(after).await;
        abort.abort();
    });
    let joined = handle.await;
    // The job is over, one way or another: the timer has nothing left to do.
    timer.abort();
    match joined {
        Ok(value) => JobEnd::Finished(value),
        Err(err) => match err.try_into_panic() {
            Ok(payload) => JobEnd::Panicked(panic_text(payload)),
            Err(_cancelled) => JobEnd::Cancelled,
        },
    }
}

/// Task 2: a `JoinHandle` that aborts its task when it is dropped.
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
        AbortOnDrop { handle: tokio::runtime::Handle::current().spawn(job) }
    }
}

impl<T> AbortOnDrop<T> {
    /// Aborts the task now.
    pub fn abort(&self) {
        self.handle.abort();
    }
}

impl<T> Future for AbortOnDrop<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut Pin::into_inner(self).handle).poll(cx)
    }
}

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.handle.abort_handle().abort();
    }
}

/// Task 3: `cancelled()` is ready at once on a cancelled token.
pub async fn worker<F, Fut>(token: CancellationToken, mut unit: F) -> usize
where
    F: FnMut(usize) -> Fut,
    Fut: Future<Output = ()>,
{
    let mut done = 0;
    while token.cancelled().now_or_never().is_none() {
        unit(done).await;
        done += 1;
    }
    done
}

/// What [`shutdown`] saw happen to each worker.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShutdownReport {
    /// Workers that stopped on their own within the grace period.
    pub finished: Vec<String>,
    /// Workers still running at the end of the grace period, and aborted.
    pub aborted: Vec<String>,
    /// Workers that panicked before the end of the grace period.
    pub panicked: Vec<String>,
}

/// Task 4: all the waits at once with `join_all`, one deadline for all.
pub async fn shutdown(
    token: &CancellationToken,
    mut workers: Vec<(String, JoinHandle<()>)>,
    grace: Duration,
) -> ShutdownReport {
    token.cancel();
    // A Sleep knows its deadline, and clamps Duration::MAX to "far off".
    let deadline = tokio::time::sleep(grace).deadline();
    let waits = workers.iter_mut().map(|(_, handle)| tokio::time::timeout_at(deadline, handle));
    let results = futures::future::join_all(waits).await;
    let late: Vec<bool> = results.iter().map(Result::is_err).collect();
    for ((_, handle), &late) in workers.iter().zip(&late) {
        if late {
            handle.abort();
        }
    }
    let mut report = ShutdownReport::default();
    for (((name, handle), result), late) in workers.into_iter().zip(results).zip(late) {
        if late {
            let _ = handle.await;
            report.aborted.push(name);
            continue;
        }
        match result {
            Ok(Ok(())) => report.finished.push(name),
            Ok(Err(e)) if e.is_panic() => report.panicked.push(name),
            _ => report.aborted.push(name),
        }
    }
    report
}

/// Task 5: a biased select written by hand: the token is polled first.
pub async fn serve<T, F, Fut>(mut rx: mpsc::Receiver<T>, token: CancellationToken, mut handle: F) -> Vec<T>
where
    F: FnMut(T) -> Fut,
    Fut: Future<Output = ()>,
{
    let cancelled = token.cancelled();
    tokio::pin!(cancelled);
    loop {
        let next = std::future::poll_fn(|cx| {
            if cancelled.as_mut().poll(cx).is_ready() {
                return Poll::Ready(None);
            }
            rx.poll_recv(cx).map(Some)
        })
        .await;
        match next {
            None => break,
            Some(None) => return Vec::new(),
            Some(Some(message)) => handle(message).await,
        }
    }
    rx.close();
    let mut left = Vec::new();
    while let Ok(message) = rx.try_recv() {
        left.push(message);
    }
    left
}
