//! alternative: a hand-written poll_fn (job first, then one Sleep); the batch as a stream `buffered` to its length; the chain shares one pinned Sleep

use std::fmt;
use std::future::Future;
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use futures::stream::{self, StreamExt};
use tokio::time::Sleep;

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

/// Polls `job`, and only if it is not ready, `timer`: `None` if the timer
/// fired first. `job` is dropped when this returns, so it is cancelled then.
async fn race<F: Future>(job: F, mut timer: std::pin::Pin<&mut Sleep>) -> Option<F::Output> {
    let mut job = pin!(job);
    std::future::poll_fn(|cx| {
        if let Poll::Ready(value) = job.as_mut().poll(cx) {
            return Poll::Ready(Some(value));
        }
        timer.as_mut().poll(cx).map(|()| None)
    })
    .await
}

pub async fn with_timeout<F: Future>(limit: Duration, job: F) -> Result<F::Output, TimedOut> {
    // tokio::time::sleep maps a limit too large to add onto "far future".
    let timer = pin!(tokio::time::sleep(limit));
    race(job, timer).await.ok_or(TimedOut { limit })
}

pub async fn summarize<F, T, E>(jobs: Vec<(String, F)>, limit: Duration) -> Summary<T, E>
where
    F: Future<Output = Result<T, E>>,
{
    let everyone = jobs.len().max(1);
    let outcomes: Vec<_> = stream::iter(jobs)
        .map(|(name, job)| async move { (name, with_timeout(limit, job).await) })
        .buffered(everyone)
        .collect()
        .await;
    let mut summary = Summary { succeeded: Vec::new(), failed: Vec::new(), timed_out: Vec::new() };
    for (name, outcome) in outcomes {
        match outcome {
            Ok(Ok(value)) => summary.succeeded.push((name, value)),
            Ok(Err(error)) => summary.failed.push((name, error)),
            Err(_) => summary.timed_out.push(name),
        }
    }
    summary
}

pub async fn with_deadline<F, T>(steps: Vec<(String, F)>, total: Duration) -> Result<Vec<T>, DeadlineExceeded>
where
    F: Future<Output = T>,
{
    // One timer, armed at the call, for every step.
    let mut timer = pin!(tokio::time::sleep(total));
    let mut done = Vec::new();
    for (step, job) in steps {
        match race(job, timer.as_mut()).await {
            Some(value) => done.push(value),
            None => return Err(DeadlineExceeded { step, deadline: total }),
        }
    }
    Ok(done)
}
