//! alternative: `stream::buffer_unordered(k)` + reorder for task 1 (no semaphore at all), a `JoinSet` whose task ids map back to input slots for task 2, `acquire_owned` in `Limiter::run`

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::sync::Arc;

use futures::StreamExt;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

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

/// Task 1: `buffer_unordered(k)` keeps at most `k` jobs in flight and
/// pulls the next one from the input the instant any of them ends, so
/// admission is first come, first served. Outputs arrive in completion
/// order, tagged with their index, and are put back in their slots.
pub async fn run_limited<F, T>(jobs: Vec<F>, k: usize) -> Result<Vec<T>, LimitError>
where
    F: Future<Output = T>,
{
    check_limit(k)?;
    let mut slots: Vec<Option<T>> = std::iter::repeat_with(|| None).take(jobs.len()).collect();
    let mut outputs =
        futures::stream::iter(jobs.into_iter().enumerate().map(|(i, job)| async move { (i, job.await) }))
            .buffer_unordered(k);
    while let Some((i, value)) = outputs.next().await {
        slots[i] = Some(value);
    }
    Ok(slots.into_iter().map(|slot| slot.expect("every job ran")).collect())
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

/// Task 2: a permit taken before each spawn, and a `JoinSet` that hands the
/// tasks back as they end; each task's id says which slot its result goes
/// in, so the results still come back in input order.
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
    let mut set = JoinSet::new();
    let mut slot_of = std::collections::HashMap::new();
    let mut names = Vec::with_capacity(jobs.len());
    for (i, (name, job)) in jobs.into_iter().enumerate() {
        let permit = permits.clone().acquire_owned().await.expect("the semaphore is never closed");
        let handle = set.spawn(async move {
            let _permit = permit;
            job.await
        });
        slot_of.insert(handle.id(), i);
        names.push(name);
    }

    let mut slots: Vec<Option<Result<T, JobError<E>>>> =
        std::iter::repeat_with(|| None).take(names.len()).collect();
    while let Some(joined) = set.join_next_with_id().await {
        let id = match &joined {
            Ok((id, _)) => *id,
            Err(err) => err.id(),
        };
        let i = slot_of[&id];
        let job = std::mem::take(&mut names[i]);
        slots[i] = Some(match joined {
            Ok((_, Ok(value))) => Ok(value),
            Ok((_, Err(error))) => Err(JobError::Failed { job, error }),
            Err(err) if err.is_panic() => {
                Err(JobError::Panicked { job, message: panic_message(err.into_panic()) })
            }
            Err(_) => Err(JobError::Panicked { job, message: "cancelled".into() }),
        });
    }
    Ok(slots.into_iter().map(|slot| slot.expect("every task was joined")).collect())
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
        let _permit = self.permits.clone().acquire_owned().await.expect("the semaphore is never closed");
        job.await
    }

    /// Permits free right now.
    pub fn available(&self) -> usize {
        self.permits.available_permits()
    }
}
