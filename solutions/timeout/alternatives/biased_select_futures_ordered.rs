//! alternative: a `biased;` select! against `sleep_until` of a `checked_add` deadline (None = no limit); FuturesOrdered for the batch; one shared deadline instant for the chain

use std::fmt;
use std::future::Future;
use std::time::Duration;

use futures::stream::{FuturesOrdered, StreamExt};
use tokio::time::Instant;

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

/// Races the job against the deadline with the job's branch first: under
/// `biased;` select! polls in the order written, so a job ready at the
/// deadline instant wins. An instant too far to represent is no deadline.
async fn until<F: Future>(deadline: Option<Instant>, job: F) -> Option<F::Output> {
    let Some(at) = deadline else {
        return Some(job.await);
    };
    tokio::select! {
        biased;
        value = job => Some(value),
        () = tokio::time::sleep_until(at) => None,
    }
}

pub async fn with_timeout<F: Future>(limit: Duration, job: F) -> Result<F::Output, TimedOut> {
    until(Instant::now().checked_add(limit), job).await.ok_or(TimedOut { limit })
}

pub async fn summarize<F, T, E>(jobs: Vec<(String, F)>, limit: Duration) -> Summary<T, E>
where
    F: Future<Output = Result<T, E>>,
{
    // FuturesOrdered polls every job at once and yields in input order.
    let mut running: FuturesOrdered<_> =
        jobs.into_iter().map(|(name, job)| async move { (name, with_timeout(limit, job).await) }).collect();
    let mut summary = Summary { succeeded: Vec::new(), failed: Vec::new(), timed_out: Vec::new() };
    while let Some((name, outcome)) = running.next().await {
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
    let deadline = Instant::now().checked_add(total);
    let mut done = Vec::new();
    for (step, job) in steps {
        match until(deadline, job).await {
            Some(value) => done.push(value),
            None => return Err(DeadlineExceeded { step, deadline: total }),
        }
    }
    Ok(done)
}
