//! alternative: futures::future::select (Either) for the race; join_all of name-tagged jobs; the budget left computed with checked_sub

use std::fmt;
use std::future::Future;
use std::pin::pin;
use std::time::Duration;

use futures::future::{self, Either};
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

pub async fn with_timeout<F: Future>(limit: Duration, job: F) -> Result<F::Output, TimedOut> {
    // `select` polls its first future first: the job wins a tie.
    match future::select(pin!(job), pin!(tokio::time::sleep(limit))).await {
        Either::Left((value, _timer)) => Ok(value),
        Either::Right(((), _job)) => Err(TimedOut { limit }),
    }
}

pub async fn summarize<F, T, E>(jobs: Vec<(String, F)>, limit: Duration) -> Summary<T, E>
where
    F: Future<Output = Result<T, E>>,
{
    let tagged = jobs.into_iter().map(|(name, job)| async move { (name, with_timeout(limit, job).await) });
    let mut summary = Summary { succeeded: Vec::new(), failed: Vec::new(), timed_out: Vec::new() };
    for (name, outcome) in future::join_all(tagged).await {
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
    let started = Instant::now();
    let mut done = Vec::new();
    for (step, job) in steps {
        let left = total.checked_sub(started.elapsed()).unwrap_or_default();
        match with_timeout(left, job).await {
            Ok(value) => done.push(value),
            Err(_) => return Err(DeadlineExceeded { step, deadline: total }),
        }
    }
    Ok(done)
}
