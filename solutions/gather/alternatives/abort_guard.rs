//! alternative: tokio::spawn + a guard of AbortHandles; a FuturesUnordered of index-tagged JoinHandles
//!
//! `spawn_all` awaits the handles with one `join_all`; `try_all` spawns
//! every job, keeps their `AbortHandle`s in a guard that aborts whatever is
//! left when it goes out of scope, and takes results as they finish from a
//! `FuturesUnordered` of handles tagged with their index.

use std::fmt;
use std::future::Future;

use futures::StreamExt;
use futures::future::join_all;
use futures::stream::FuturesUnordered;
use tokio::task::AbortHandle;

pub async fn sequential<F, T>(jobs: Vec<F>) -> Vec<T>
where
    F: Future<Output = T>,
{
    futures::stream::iter(jobs).then(|job| job).collect().await
}

pub async fn concurrent<F, T>(jobs: Vec<F>) -> Vec<T>
where
    F: Future<Output = T>,
{
    join_all(jobs).await
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobPanicked {
    pub job: String,
    pub message: String,
}

impl fmt::Display for JobPanicked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "job '{}' panicked: {}", self.job, self.message)
    }
}

impl std::error::Error for JobPanicked {}

pub async fn spawn_all<F, T>(jobs: Vec<(String, F)>) -> Vec<Result<T, JobPanicked>>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let (names, handles): (Vec<_>, Vec<_>) = jobs.into_iter().map(|(n, j)| (n, tokio::spawn(j))).unzip();
    let joined = join_all(handles).await;
    let mut results = Vec::with_capacity(joined.len());
    for (job, result) in names.into_iter().zip(joined) {
        results.push(match result {
            Ok(value) => Ok(value),
            Err(err) if err.is_panic() => {
                let payload = err.into_panic();
                let message = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                Err(JobPanicked { job, message })
            }
            Err(_) => Err(JobPanicked { job, message: "cancelled".into() }),
        });
    }
    results
}

pub async fn settle_all<F, T, E>(jobs: Vec<F>) -> Vec<Result<T, E>>
where
    F: Future<Output = Result<T, E>>,
{
    join_all(jobs).await
}

/// Aborts every task it holds when dropped, on every way out of `try_all`.
struct AbortAll(Vec<AbortHandle>);

impl Drop for AbortAll {
    fn drop(&mut self) {
        self.0.iter().for_each(AbortHandle::abort);
    }
}

pub async fn try_all<F, T, E>(jobs: Vec<F>) -> Result<Vec<T>, E>
where
    F: Future<Output = Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
{
    let handles: Vec<_> = jobs.into_iter().map(tokio::spawn).collect();
    let _guard = AbortAll(handles.iter().map(|h| h.abort_handle()).collect());
    let mut values: Vec<Option<T>> = handles.iter().map(|_| None).collect();
    let mut finishing: FuturesUnordered<_> =
        handles.into_iter().enumerate().map(|(i, h)| async move { (i, h.await) }).collect();
    while let Some((i, joined)) = finishing.next().await {
        match joined {
            Ok(Ok(value)) => values[i] = Some(value),
            // The guard aborts the tasks still running as we return.
            Ok(Err(e)) => return Err(e),
            Err(join_error) => std::panic::resume_unwind(join_error.into_panic()),
        }
    }
    Ok(values.into_iter().map(|v| v.expect("every job finished")).collect())
}
