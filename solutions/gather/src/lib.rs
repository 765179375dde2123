//! # 01 · gather — reference solution

use std::any::Any;
use std::fmt;
use std::future::Future;

use futures::StreamExt;
use futures::future::join_all;
use futures::stream::FuturesUnordered;

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

/// Task 5: a `FuturesUnordered` polls every job on this task and hands
/// back each output the moment it is ready, so the first `Err` is seen at
/// the instant it happens; the index puts each value back in its slot. The
/// `?` returns at once, and returning drops `running` with every job still
/// in it: dropping a future is how Rust cancels it.
///
/// Not `try_join_all`: above 30 futures it collects through a
/// `FuturesOrdered`, which sees an error only once every job before it in
/// the input is done (futures-rs issue #2866).
pub async fn try_all<F, T, E>(jobs: Vec<F>) -> Result<Vec<T>, E>
where
    F: Future<Output = Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
{
    let mut slots: Vec<Option<T>> = jobs.iter().map(|_| None).collect();
    let mut running: FuturesUnordered<_> =
        jobs.into_iter().enumerate().map(|(i, job)| async move { (i, job.await) }).collect();
    while let Some((i, result)) = running.next().await {
        slots[i] = Some(result?);
    }
    Ok(slots.into_iter().map(|value| value.expect("every job has finished")).collect())
}
