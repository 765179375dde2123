//! # 02 · semaphore — reference solution

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::sync::Arc;

use futures::future::join_all;
use tokio::sync::Semaphore;

/// A limit no semaphore can enforce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitError {
    /// `k = 0`: no job could ever get a permit, so every job would wait
    /// forever.
    Zero,
    /// More permits than a tokio `Semaphore` can hold
    /// (`Semaphore::MAX_PERMITS`); `Semaphore::new` would panic.
    TooLarge(usize),
}

impl fmt::Display for LimitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LimitError::Zero => write!(f, "a limit of 0 lets no job run: k must be at least 1"),
            LimitError::TooLarge(k) => {
                write!(
                    f,
                    "a limit of {k} is more than a semaphore holds (at most {})",
                    Semaphore::MAX_PERMITS
                )
            }
        }
    }
}

impl std::error::Error for LimitError {}

/// Checks `k` before any semaphore is built: a bad limit is an error the
/// caller gets at once, never a deadlock (`k = 0`) or a panic (`k` above
/// `MAX_PERMITS`).
fn check_limit(k: usize) -> Result<(), LimitError> {
    if k == 0 {
        Err(LimitError::Zero)
    } else if k > Semaphore::MAX_PERMITS {
        Err(LimitError::TooLarge(k))
    } else {
        Ok(())
    }
}

/// Task 1: one semaphore of `k` permits, and every job wrapped so that it
/// holds a permit while it runs. `join_all` polls the wrapped jobs in input
/// order, so they queue for permits in input order, and tokio's semaphore
/// is fair: first come, first served.
pub async fn run_limited<F, T>(jobs: Vec<F>, k: usize) -> Result<Vec<T>, LimitError>
where
    F: Future<Output = T>,
{
    check_limit(k)?;
    let permits = Semaphore::new(k);
    let permits = &permits;
    let limited = jobs.into_iter().map(|job| async move {
        // Named, so it lives to the end of the block: `let _ = ...` would
        // drop the permit on this very line.
        let _permit = permits.acquire().await.expect("the semaphore is never closed");
        job.await
    });
    Ok(join_all(limited).await)
}

/// A job of [`spawn_limited`] that did not give back a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobError<E> {
    /// The job returned `Err(error)`.
    Failed {
        /// The name the job was given.
        job: String,
        /// What it returned.
        error: E,
    },
    /// The job panicked.
    Panicked {
        /// The name the job was given.
        job: String,
        /// What it panicked with (`panic!("boom")` gives `"boom"`).
        message: String,
    },
}

impl<E: fmt::Display> fmt::Display for JobError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JobError::Failed { job, error } => write!(f, "job '{job}' failed: {error}"),
            JobError::Panicked { job, message } => write!(f, "job '{job}' panicked: {message}"),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for JobError<E> {}

/// The text of a panic payload: `panic!("boom")` carries a `&str`,
/// `panic!("{x}")` a `String`.
pub fn panic_message(payload: Box<dyn Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(s) => *s,
        Err(payload) => match payload.downcast::<&'static str>() {
            Ok(s) => s.to_string(),
            Err(_) => "a panic with a non-text payload".to_string(),
        },
    }
}

/// Task 2: wait for a permit *before* spawning (admission in input order,
/// and never more than `k` tasks alive), then move the owned permit into
/// the task. The task drops it when its future is dropped: when the job
/// returns, whatever it returns, and when it panics, as the panic unwinds.
/// That is RAII; no code path has to remember to give it back.
pub async fn spawn_limited<F, T, E>(
    jobs: Vec<(String, F)>,
    k: usize,
) -> Result<Vec<Result<T, JobError<E>>>, LimitError>
where
    F: Future<Output = Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
{
    check_limit(k)?;
    let permits = Arc::new(Semaphore::new(k));
    let mut handles = Vec::with_capacity(jobs.len());
    for (name, job) in jobs {
        let permit = permits.clone().acquire_owned().await.expect("the semaphore is never closed");
        let handle = tokio::spawn(async move {
            let out = job.await;
            drop(permit);
            out
        });
        handles.push((name, handle));
    }

    let mut results = Vec::with_capacity(handles.len());
    for (job, handle) in handles {
        results.push(match handle.await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => Err(JobError::Failed { job, error }),
            Err(err) if err.is_panic() => {
                Err(JobError::Panicked { job, message: panic_message(err.into_panic()) })
            }
            Err(_) => Err(JobError::Panicked { job, message: "cancelled".into() }),
        });
    }
    Ok(results)
}

/// Task 3: a limit shared by everything that holds a clone. The semaphore
/// sits behind an `Arc`, so `clone()` copies the pointer, not the permits:
/// every clone draws from the same `k`.
#[derive(Debug, Clone)]
pub struct Limiter {
    permits: Arc<Semaphore>,
}

impl Limiter {
    /// A limiter of `k` permits; the same checks as the functions above.
    pub fn new(k: usize) -> Result<Limiter, LimitError> {
        check_limit(k)?;
        Ok(Limiter { permits: Arc::new(Semaphore::new(k)) })
    }

    /// Runs `job` under a permit. The permit is a local of this future: it
    /// goes back when the job ends, and also when this future is dropped
    /// (cancelled) halfway.
    pub async fn run<F: Future>(&self, job: F) -> F::Output {
        let _permit = self.permits.acquire().await.expect("the semaphore is never closed");
        job.await
    }

    /// Permits free right now.
    pub fn available(&self) -> usize {
        self.permits.available_permits()
    }
}
