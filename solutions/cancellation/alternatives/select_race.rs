//! alternative: select! races (job vs timer, FuturesUnordered vs deadline) and run_until_cancelled
//!
//! `abort_after` races the handle against a sleep in a biased `select!`;
//! `shutdown` waits for all workers together in a `FuturesUnordered`
//! against one deadline, then puts the outcomes back in the order the
//! workers were given; `serve` lets `CancellationToken::run_until_cancelled`
//! do the select.

use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::FutureExt;
use futures::stream::{FuturesUnordered, StreamExt};
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

fn panic_text(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with a non-text payload".to_string()
    }
}

fn job_end<T>(joined: Result<T, JoinError>) -> JobEnd<T> {
    match joined {
        Ok(value) => JobEnd::Finished(value),
        Err(err) if err.is_panic() => JobEnd::Panicked(panic_text(err.into_panic().as_ref())),
        Err(_) => JobEnd::Cancelled,
    }
}

/// Task 1: the job and a timer race; the job wins a tie.
pub async fn abort_after<F>(job: F, after: Duration) -> JobEnd<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let mut handle = tokio::spawn(job);
    tokio::select! {
        biased;
        joined = &mut handle => job_end(joined),
        _ = tokio::time::sleep(after) => {
            handle.abort();
            job_end(handle.await)
        }
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
        Self { handle: tokio::task::spawn(job) }
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
        self.get_mut().handle.poll_unpin(cx)
    }
}

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        if !self.handle.is_finished() {
            self.handle.abort();
        }
    }
}

/// Task 3: count with the loop index; look at the token before each unit.
pub async fn worker<F, Fut>(token: CancellationToken, mut unit: F) -> usize
where
    F: FnMut(usize) -> Fut,
    Fut: Future<Output = ()>,
{
    let mut i = 0;
    loop {
        if token.is_cancelled() {
            return i;
        }
        unit(i).await;
        i += 1;
    }
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

#[derive(Clone, Copy)]
enum Outcome {
    Finished,
    Panicked,
    Aborted,
}

/// Task 4: every worker at once against one timer, then back in order.
pub async fn shutdown(
    token: &CancellationToken,
    workers: Vec<(String, JoinHandle<()>)>,
    grace: Duration,
) -> ShutdownReport {
    token.cancel();
    // `sleep` copes with Duration::MAX itself (it means "never").
    let grace_over = tokio::time::sleep(grace);
    tokio::pin!(grace_over);
    let (names, mut handles): (Vec<String>, Vec<JoinHandle<()>>) = workers.into_iter().unzip();
    let mut outcomes: Vec<Option<Outcome>> = vec![None; handles.len()];
    {
        let mut pending: FuturesUnordered<_> =
            handles.iter_mut().enumerate().map(|(i, h)| async move { (i, h.await) }).collect();
        loop {
            tokio::select! {
                biased;
                next = pending.next() => match next {
                    Some((i, joined)) => {
                        outcomes[i] = Some(match joined {
                            Ok(()) => Outcome::Finished,
                            Err(e) if e.is_panic() => Outcome::Panicked,
                            Err(_) => Outcome::Aborted,
                        });
                    }
                    None => break,
                },
                _ = &mut grace_over => break,
            }
        }
    }
    for (handle, outcome) in handles.iter_mut().zip(outcomes.iter_mut()) {
        if outcome.is_none() {
            handle.abort();
            let _ = handle.await;
            *outcome = Some(Outcome::Aborted);
        }
    }
    let mut report = ShutdownReport::default();
    for (name, outcome) in names.into_iter().zip(outcomes) {
        match outcome {
            Some(Outcome::Finished) => report.finished.push(name),
            Some(Outcome::Panicked) => report.panicked.push(name),
            Some(Outcome::Aborted) | None => report.aborted.push(name),
        }
    }
    report
}

/// Task 5: `run_until_cancelled` looks at the token before the receive.
pub async fn serve<T, F, Fut>(mut rx: mpsc::Receiver<T>, token: CancellationToken, mut handle: F) -> Vec<T>
where
    F: FnMut(T) -> Fut,
    Fut: Future<Output = ()>,
{
    loop {
        match token.run_until_cancelled(rx.recv()).await {
            None => break,
            Some(None) => return Vec::new(),
            Some(Some(message)) => handle(message).await,
        }
    }
    rx.close();
    let mut left = Vec::new();
    while let Some(message) = rx.recv().await {
        left.push(message);
    }
    left
}
