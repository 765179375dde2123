//! alternative: hand-rolled windows: a `FuturesUnordered` refilled from a queue for task 1, a `JoinSet` of at most `k` tasks refilled as each ends for task 2 (no semaphore in either), `Limiter` over an `Arc<Semaphore>` with `acquire`

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::sync::Arc;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
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

/// Task 1: a window of at most `k` running jobs. Start the first `k`; each
/// time one ends, start the next in input order, at that same instant.
pub async fn run_limited<F, T>(jobs: Vec<F>, k: usize) -> Result<Vec<T>, LimitError>
where
    F: Future<Output = T>,
{
    check_limit(k)?;
    let mut slots: Vec<Option<T>> = std::iter::repeat_with(|| None).take(jobs.len()).collect();
    let mut waiting = jobs.into_iter().enumerate();
    // One closure makes every wrapped job: one future type for the set.
    let tagged = |(i, job): (usize, F)| async move { (i, job.await) };
    let mut running: FuturesUnordered<_> = waiting.by_ref().take(k).map(tagged).collect();
    while let Some((i, value)) = running.next().await {
        slots[i] = Some(value);
        if let Some(next) = waiting.next() {
            running.push(tagged(next));
        }
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

/// Task 2: at most `k` tasks in a `JoinSet`. Spawn the first `k`; each time
/// one is joined (it returned, failed or panicked: all the same here),
/// spawn the next. A slot frees the instant a task ends, whatever it did.
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
    let n = jobs.len();
    let mut names = vec![String::new(); n];
    let mut slots: Vec<Option<Result<T, JobError<E>>>> = std::iter::repeat_with(|| None).take(n).collect();
    let mut waiting = jobs.into_iter().enumerate();
    let mut set = JoinSet::new();
    let mut slot_of = std::collections::HashMap::new();
    loop {
        // Fill the window up to k tasks, in input order.
        while set.len() < k {
            let Some((i, (name, job))) = waiting.next() else { break };
            names[i] = name;
            slot_of.insert(set.spawn(job).id(), i);
        }
        let Some(joined) = set.join_next_with_id().await else { break };
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
        let _permit = self.permits.acquire().await.expect("the semaphore is never closed");
        job.await
    }

    /// Permits free right now.
    pub fn available(&self) -> usize {
        self.permits.available_permits()
    }
}
