//! # 02 · semaphore — `asyncio.Semaphore`, in tokio
//!
//! Run many jobs, but never more than `k` at once. In asyncio you write
//! `async with sem:` around the work; in tokio you hold a *permit* from a
//! `tokio::sync::Semaphore` for as long as the job runs, and the permit goes
//! back when it is dropped. Read README.md beside this file first, then
//! replace each `todo!()` below.
//!
//! The tests count how many jobs are in flight at every instant of the
//! virtual clock, and when each one started: a limit that lets 6 run when
//! it should let 5, or that starts jobs out of turn, shows on the chart.

use std::any::Any;
use std::fmt;
use std::future::Future;

/// A limit no semaphore can enforce. Every function of this exercise checks
/// `k` **first**, before it looks at anything else (even an empty list of
/// jobs), and returns this error **at once**, before any job runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitError {
    /// `k = 0`: no job could ever get a permit, so every job would wait
    /// forever. A deadlock is the worst way to report a typo.
    Zero,
    /// More permits than a tokio `Semaphore` can hold: `k` *above*
    /// `tokio::sync::Semaphore::MAX_PERMITS`, where `Semaphore::new` would
    /// panic (`MAX_PERMITS` itself is a fine limit). Carries the `k` that
    /// was asked for.
    TooLarge(usize),
}

impl fmt::Display for LimitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LimitError::Zero => write!(f, "a limit of 0 lets no job run: k must be at least 1"),
            LimitError::TooLarge(k) => write!(
                f,
                "a limit of {k} is more than a semaphore holds (at most {})",
                tokio::sync::Semaphore::MAX_PERMITS
            ),
        }
    }
}

impl std::error::Error for LimitError {}

/// Task 1 · Run every job, **at most `k` at once**, on the current task, and
/// return their results in input order.
///
/// 50 jobs of 1 s with `k = 5` take 10 s: five start at 0 s, five more at
/// 1 s, and so on. Jobs are admitted **first come, first served**: with
/// `k = 2`, jobs of 3, 1, 1, 2 and 1 s start at 0, 0, 1, 2 and 3 s. The
/// results are in input order whatever order the jobs finish in.
///
/// The way this exercise teaches: build a `tokio::sync::Semaphore` of `k`
/// permits; wrap each job in an `async` block that acquires a permit, keeps
/// it while the job runs, and lets it go when the job is done; run the
/// wrapped jobs together as in 01-gather. (The tests grade the behaviour,
/// not the tool.) `k = 0` or `k` above `Semaphore::MAX_PERMITS` is a
/// [`LimitError`], returned at once; `k = MAX_PERMITS` is accepted.
pub async fn run_limited<F, T>(jobs: Vec<F>, k: usize) -> Result<Vec<T>, LimitError>
where
    F: Future<Output = T>,
{
    todo!("task 1 (run_limited)")
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
        /// The text it panicked with. Both kinds of payload occur:
        /// `panic!("boom")` carries a `&'static str` and gives `"boom"`,
        /// `panic!("disk {n} is full")` carries a `String` and gives
        /// `"disk 7 is full"`. [`panic_message`] reads both.
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

/// Given (you wrote it in 01-gather): the text of a panic payload, as
/// `JoinError::into_panic` hands it over: a `String` (`panic!("{x}")`) or a
/// `&'static str` (`panic!("boom")`).
pub fn panic_message(payload: Box<dyn Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(s) => *s,
        Err(payload) => match payload.downcast::<&'static str>() {
            Ok(s) => s.to_string(),
            Err(_) => "a panic with a non-text payload".to_string(),
        },
    }
}

/// Task 2 · Run **each job as its own task**, at most `k` at once, and
/// return one result per job in input order, whatever order they finish in.
///
/// A job that returns `Err` comes back as [`JobError::Failed`], one that
/// panics as [`JobError::Panicked`], both naming the job. Either way its
/// permit must go back the instant it ends, or the limit shrinks by one for
/// good: with `k = 2`, six jobs of 1 s of which B fails (or panics) at 1 s
/// still end at 3 s.
///
/// A permit borrowed from a local semaphore cannot move into a spawned
/// task (`'static`): put the semaphore in an `Arc` and use
/// `acquire_owned`. Where you wait for the permit matters too: wait
/// *before* you spawn, and jobs are admitted in input order and **no more
/// than `k` tasks exist at once** (the tests count live tasks with tokio's
/// runtime metrics: a task that waits for its permit inside counts). Same
/// [`LimitError`] rules as task 1.
pub async fn spawn_limited<F, T, E>(
    jobs: Vec<(String, F)>,
    k: usize,
) -> Result<Vec<Result<T, JobError<E>>>, LimitError>
where
    F: Future<Output = Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
{
    todo!("task 2 (spawn_limited)")
}

/// Task 3 · A limit **shared** by everything that holds a clone.
///
/// A web crawler has one limit on open connections, however many batches
/// of pages it fetches at once: two batches run through clones of one
/// `Limiter::new(3)` never have more than 3 jobs in flight *together*.
///
/// The `#[derive(Clone)]` stays. Choose the fields so that a clone shares
/// the permits instead of getting `k` new ones of its own.
#[derive(Debug, Clone)]
pub struct Limiter {
    // Your fields here.
}

impl Limiter {
    /// A limiter of `k` permits. Same [`LimitError`] rules as task 1
    /// (`k = MAX_PERMITS` is accepted).
    pub fn new(k: usize) -> Result<Limiter, LimitError> {
        todo!("task 3 (Limiter::new)")
    }

    /// Runs `job` while holding one permit, and returns what it returns.
    ///
    /// If this future is dropped halfway (a timeout, a lost `select!`), the
    /// permit must go back then too.
    pub async fn run<F: Future>(&self, job: F) -> F::Output {
        todo!("task 3 (Limiter::run)")
    }

    /// Permits free right now (`Semaphore::available_permits`): `k` minus
    /// the runs that hold one. A run still waiting for a permit holds none,
    /// so this never goes below 0.
    pub fn available(&self) -> usize {
        todo!("task 3 (Limiter::available)")
    }
}
