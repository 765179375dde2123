//! # 03 · timeout — mutant: `with_deadline` gives each step the whole `total`, not what is left of it

use std::fmt;
use std::future::Future;
use std::time::Duration;

use futures::future::join_all;
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

/// Task 1: `tokio::time::timeout` owns the job and a timer. Each poll it
/// polls the job first, then the timer: a job that ends at the very instant
/// the limit runs out still wins, and a job that is ready at once wins even
/// against a limit of zero. When the timer wins, `timeout` returns and the
/// job, which it owned, is dropped: cancelled at that instant. A limit too
/// large to add to "now" (`Duration::MAX`) is treated as no limit at all;
/// tokio does that itself, where `Instant::now() + limit` would panic.
pub async fn with_timeout<F: Future>(limit: Duration, job: F) -> Result<F::Output, TimedOut> {
    tokio::time::timeout(limit, job).await.map_err(|_elapsed| TimedOut { limit })
}

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

/// Task 2: every job under its own timeout, all polled together by one
/// `join_all`. The timeouts all started at the same instant, so the whole
/// batch takes as long as its longest job, or the limit if that is shorter.
pub async fn summarize<F, T, E>(jobs: Vec<(String, F)>, limit: Duration) -> Summary<T, E>
where
    F: Future<Output = Result<T, E>>,
{
    let (names, jobs): (Vec<String>, Vec<F>) = jobs.into_iter().unzip();
    let outcomes = join_all(jobs.into_iter().map(|job| with_timeout(limit, job))).await;

    let mut summary = Summary { succeeded: Vec::new(), failed: Vec::new(), timed_out: Vec::new() };
    for (name, outcome) in names.into_iter().zip(outcomes) {
        match outcome {
            Ok(Ok(value)) => summary.succeeded.push((name, value)),
            Ok(Err(error)) => summary.failed.push((name, error)),
            Err(TimedOut { .. }) => summary.timed_out.push(name),
        }
    }
    summary
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

/// Task 3: one clock for all the steps. Each step gets what is *left* of
/// `total`, measured from the start of the call, not `total` afresh. The
/// subtraction saturates (a step that ends right at the deadline leaves
/// zero, not an underflow), and nothing is ever added to an `Instant`, so
/// `total = Duration::MAX` cannot overflow.
pub async fn with_deadline<F, T>(steps: Vec<(String, F)>, total: Duration) -> Result<Vec<T>, DeadlineExceeded>
where
    F: Future<Output = T>,
{
    let started = Instant::now();
    let mut done = Vec::with_capacity(steps.len());
    for (step, job) in steps {
        // MUTANT: a fresh `total` for every step: the deadline never accumulates.
        let _ = started;
        let left = total;
        match with_timeout(left, job).await {
            Ok(value) => done.push(value),
            // Returning here drops the steps not yet started: they never run.
            Err(TimedOut { .. }) => return Err(DeadlineExceeded { step, deadline: total }),
        }
    }
    Ok(done)
}
