//! # 01 · gather — mutant: `try_all` returns at the first error but leaves the other jobs running

use std::any::Any;
use std::fmt;
use std::future::Future;

use futures::future::{join_all, try_join_all};

/// Task 1: a plain loop; each `.await` waits for its job before the next
/// one is even polled.
pub async fn sequential<F, T>(jobs: Vec<F>) -> Vec<T>
where
    F: Future<Output = T>,
{
    let mut results = Vec::with_capacity(jobs.len());
    for job in jobs {
        results.push(job.await);
    }
    results
}

/// Task 2: `join_all` polls every job on this one task, and keeps each
/// result in its slot, so the order is the input order.
pub async fn concurrent<F, T>(jobs: Vec<F>) -> Vec<T>
where
    F: Future<Output = T>,
{
    join_all(jobs).await
}

/// A spawned job panicked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobPanicked {
    /// The name the job was given.
    pub job: String,
    /// What it panicked with.
    pub message: String,
}

impl fmt::Display for JobPanicked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "job '{}' panicked: {}", self.job, self.message)
    }
}

impl std::error::Error for JobPanicked {}

/// The text of a panic payload: `panic!("boom")` carries a `&str`,
/// `panic!("{x}")` a `String`.
fn panic_message(payload: Box<dyn Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(s) => *s,
        Err(payload) => match payload.downcast::<&'static str>() {
            Ok(s) => s.to_string(),
            Err(_) => "a panic with a non-text payload".to_string(),
        },
    }
}

/// Task 3: spawn first (every job starts now), await the handles after.
pub async fn spawn_all<F, T>(jobs: Vec<(String, F)>) -> Vec<Result<T, JobPanicked>>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let handles: Vec<_> = jobs.into_iter().map(|(name, job)| (name, tokio::spawn(job))).collect();
    let mut results = Vec::with_capacity(handles.len());
    for (job, handle) in handles {
        results.push(handle.await.map_err(|err| JobPanicked {
            job,
            message: if err.is_panic() { panic_message(err.into_panic()) } else { "cancelled".into() },
        }));
    }
    results
}

/// Task 4: `join_all` of futures that return `Result` waits for all of
/// them, whatever each returns.
pub async fn settle_all<F, T, E>(jobs: Vec<F>) -> Vec<Result<T, E>>
where
    F: Future<Output = Result<T, E>>,
{
    join_all(jobs).await
}

/// Task 5: `try_join_all` returns at the first `Err` and drops the other
/// futures then: dropping a future is how Rust cancels it.
pub async fn try_all<F, T, E>(jobs: Vec<F>) -> Result<Vec<T>, E>
where
    F: Future<Output = Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
{
    // MUTANT: spawns each job and returns at the first error, but dropping
    // a JoinHandle detaches its task: the others keep running.
    use futures::StreamExt;
    let mut pending: futures::stream::FuturesUnordered<_> = jobs
        .into_iter()
        .enumerate()
        .map(|(i, job)| {
            let handle = tokio::spawn(job);
            async move { (i, handle.await) }
        })
        .collect();
    let mut results: Vec<Option<T>> = (0..pending.len()).map(|_| None).collect();
    while let Some((i, out)) = pending.next().await {
        match out {
            Ok(Ok(v)) => results[i] = Some(v),
            Ok(Err(e)) => return Err(e),
            Err(p) => std::panic::resume_unwind(p.into_panic()),
        }
    }
    Ok(results.into_iter().map(Option::unwrap).collect())
}
