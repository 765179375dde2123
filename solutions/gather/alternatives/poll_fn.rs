//! alternative: hand-rolled joins with std::future::poll_fn over pinned slots; spawned handles aborted by a guard
//!
//! No join helper at all: each join is one `poll_fn` that polls every job
//! still running, stores what is ready in its slot and answers `Pending`
//! until all are done (or, in `try_all`, until one fails). `spawn_all`
//! spawns every job first, then polls the handles the same way.

use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::{Context, Poll};

pub async fn sequential<F, T>(jobs: Vec<F>) -> Vec<T>
where
    F: Future<Output = T>,
{
    let mut results = Vec::with_capacity(jobs.len());
    let mut jobs = jobs.into_iter();
    while let Some(job) = jobs.next() {
        results.push(job.await);
    }
    results
}

/// Polls every unfinished job once; `keep` sees each output as it comes and
/// may stop the join early by returning `Err`.
fn poll_jobs<F: Future, X>(
    jobs: &mut [Option<Pin<Box<F>>>],
    outputs: &mut [Option<F::Output>],
    cx: &mut Context<'_>,
    mut keep: impl FnMut(F::Output) -> Result<F::Output, X>,
) -> Poll<Result<(), X>> {
    let mut running = false;
    for (job, out) in jobs.iter_mut().zip(outputs.iter_mut()) {
        if let Some(fut) = job {
            match fut.as_mut().poll(cx) {
                Poll::Ready(value) => {
                    *job = None;
                    *out = Some(keep(value)?);
                }
                Poll::Pending => running = true,
            }
        }
    }
    if running { Poll::Pending } else { Poll::Ready(Ok(())) }
}

pub async fn concurrent<F, T>(jobs: Vec<F>) -> Vec<T>
where
    F: Future<Output = T>,
{
    let mut outputs: Vec<Option<T>> = jobs.iter().map(|_| None).collect();
    let mut jobs: Vec<_> = jobs.into_iter().map(|j| Some(Box::pin(j))).collect();
    let Ok(()) = poll_fn(|cx| poll_jobs::<F, std::convert::Infallible>(&mut jobs, &mut outputs, cx, Ok)).await;
    outputs.into_iter().map(|o| o.expect("every job is done")).collect()
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

/// Aborts its task if it is dropped before the task was joined.
struct Aborting<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for Aborting<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl<T> Future for Aborting<T> {
    type Output = Result<T, tokio::task::JoinError>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx)
    }
}

pub async fn spawn_all<F, T>(jobs: Vec<(String, F)>) -> Vec<Result<T, JobPanicked>>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let (names, handles): (Vec<String>, Vec<_>) =
        jobs.into_iter().map(|(name, job)| (name, Aborting(tokio::spawn(job)))).unzip();
    let joined = concurrent(handles).await;
    names
        .into_iter()
        .zip(joined)
        .map(|(job, result)| {
            result.map_err(|err| {
                let message = match err.try_into_panic() {
                    Ok(payload) => match payload.downcast::<String>() {
                        Ok(text) => *text,
                        Err(payload) => match payload.downcast::<&'static str>() {
                            Ok(text) => (*text).to_owned(),
                            Err(_) => "(not text)".to_owned(),
                        },
                    },
                    Err(_) => "cancelled".to_owned(),
                };
                JobPanicked { job, message }
            })
        })
        .collect()
}

pub async fn settle_all<F, T, E>(jobs: Vec<F>) -> Vec<Result<T, E>>
where
    F: Future<Output = Result<T, E>>,
{
    concurrent(jobs).await
}

pub async fn try_all<F, T, E>(jobs: Vec<F>) -> Result<Vec<T>, E>
where
    F: Future<Output = Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
{
    let mut outputs: Vec<Option<Result<T, E>>> = jobs.iter().map(|_| None).collect();
    let mut jobs: Vec<_> = jobs.into_iter().map(|j| Some(Box::pin(j))).collect();
    let first_error = |out: Result<T, E>| match out {
        Ok(value) => Ok(Ok(value)),
        Err(e) => Err(e),
    };
    let done = poll_fn(|cx| poll_jobs(&mut jobs, &mut outputs, cx, first_error)).await;
    // On an error, the jobs still running are dropped here, at once.
    drop(jobs);
    done?;
    Ok(outputs.into_iter().map(|o| o.and_then(Result::ok).expect("every job succeeded")).collect())
}
