//! alternative: four hand-written loops, a biased `select!` against a sleep for the per-attempt limit, the backoff as an iterator of delays
//!
//! No shared private loop: each public function spells its loop out. The
//! delays come from an iterator (`std::iter::successors`) that multiplies
//! the last delay by the factor and stops growing at the cap; the time
//! limit is a `select!` that lists the attempt first under `biased;`, so an
//! attempt that ends exactly at the limit is in time.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

/// An exponential backoff policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The wait before the first retry.
    pub initial: Duration,
    /// Each wait is this many times the one before.
    pub factor: u32,
    /// No wait is ever longer than this.
    pub max_delay: Duration,
    /// Attempts in all, the first one included. Must be at least 1.
    pub max_attempts: u32,
}

impl Backoff {
    /// The waits before retry 1, 2, 3, ...: an endless iterator.
    fn delays(&self) -> impl Iterator<Item = Duration> + use<> {
        let (factor, cap) = (self.factor, self.max_delay);
        std::iter::successors(Some(self.initial.min(cap)), move |d| Some(d.saturating_mul(factor).min(cap)))
    }

    /// `initial × factor^(retry − 1)`, capped at `max_delay`.
    pub fn delay(&self, retry: u32) -> Duration {
        if retry == 0 {
            return Duration::ZERO;
        }
        // Once two delays in a row are equal, every later one is too.
        let mut last = Duration::ZERO;
        for (n, d) in (1..=retry).zip(self.delays()) {
            if n == retry || (n > 1 && d == last) {
                return d;
            }
            last = d;
        }
        last
    }
}

/// How one attempt failed, as the operation reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure<E> {
    /// Worth trying again (a dropped connection, a 503).
    Transient(E),
    /// Trying again cannot help (a 404, bad credentials).
    Permanent(E),
}

/// Why the last attempt failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptError<E> {
    /// The operation returned a transient error.
    Failed(E),
    /// The attempt was cut after this long.
    TimedOut(Duration),
}

/// Why retrying stopped without a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetryError<E> {
    /// `max_attempts` is 0: there is nothing to try.
    NoAttempts,
    /// Attempt number `attempts` failed permanently.
    Permanent {
        /// Attempts made, this one included.
        attempts: u32,
        /// What it failed with.
        error: E,
    },
    /// All `max_attempts` attempts failed.
    Exhausted {
        /// Attempts made.
        attempts: u32,
        /// How the last one failed.
        last: AttemptError<E>,
    },
    /// The next wait would have ended past the deadline.
    Deadline {
        /// Attempts made.
        attempts: u32,
        /// How the last one failed.
        last: AttemptError<E>,
    },
}

impl<E: fmt::Display> fmt::Display for AttemptError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttemptError::Failed(e) => write!(f, "{e}"),
            AttemptError::TimedOut(limit) => write!(f, "timed out after {limit:?}"),
        }
    }
}

impl<E: fmt::Display> fmt::Display for RetryError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RetryError::NoAttempts => write!(f, "the policy allows no attempts (max_attempts is 0)"),
            RetryError::Permanent { attempts, error } => {
                write!(f, "attempt {attempts} failed permanently: {error}")
            }
            RetryError::Exhausted { attempts, last } => {
                write!(f, "gave up after {attempts} attempts; the last one: {last}")
            }
            RetryError::Deadline { attempts, last } => {
                write!(
                    f,
                    "the deadline leaves no time for another attempt after {attempts}; the last one: {last}"
                )
            }
        }
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for RetryError<E> {}

/// One attempt sorted: stop with this result, or keep this error and go on.
fn judge<T, E>(
    attempts: u32,
    outcome: Result<T, Failure<E>>,
) -> Result<Result<T, RetryError<E>>, AttemptError<E>> {
    match outcome {
        Ok(value) => Ok(Ok(value)),
        Err(Failure::Permanent(error)) => Ok(Err(RetryError::Permanent { attempts, error })),
        Err(Failure::Transient(error)) => Err(AttemptError::Failed(error)),
    }
}

/// Task 2.
pub async fn retry<T, E, F, Fut>(policy: Backoff, mut op: F) -> Result<T, RetryError<E>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Failure<E>>>,
{
    if policy.max_attempts == 0 {
        return Err(RetryError::NoAttempts);
    }
    let mut delays = policy.delays();
    let mut attempts = 0;
    loop {
        attempts += 1;
        let last = match judge(attempts, op().await) {
            Ok(done) => return done,
            Err(last) => last,
        };
        if attempts >= policy.max_attempts {
            return Err(RetryError::Exhausted { attempts, last });
        }
        tokio::time::sleep(delays.next().unwrap_or(policy.max_delay)).await;
    }
}

/// Task 3.
pub async fn with_attempt_timeout<T, E, F, Fut>(
    policy: Backoff,
    limit: Duration,
    mut op: F,
) -> Result<T, RetryError<E>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Failure<E>>>,
{
    if policy.max_attempts == 0 {
        return Err(RetryError::NoAttempts);
    }
    let mut delays = policy.delays();
    let mut attempts = 0;
    loop {
        attempts += 1;
        let attempt = op();
        let outcome = tokio::select! {
            // The attempt first: one that is ready at the limit is in time.
            biased;
            outcome = attempt => Some(outcome),
            () = tokio::time::sleep(limit) => None,
        };
        let last = match outcome {
            Some(outcome) => match judge(attempts, outcome) {
                Ok(done) => return done,
                Err(last) => last,
            },
            None => AttemptError::TimedOut(limit),
        };
        if attempts >= policy.max_attempts {
            return Err(RetryError::Exhausted { attempts, last });
        }
        tokio::time::sleep(delays.next().unwrap_or(policy.max_delay)).await;
    }
}

/// Task 4.
pub async fn with_deadline<T, E, F, Fut>(
    policy: Backoff,
    deadline: Instant,
    mut op: F,
) -> Result<T, RetryError<E>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Failure<E>>>,
{
    if policy.max_attempts == 0 {
        return Err(RetryError::NoAttempts);
    }
    let mut delays = policy.delays();
    let mut attempts = 0;
    loop {
        attempts += 1;
        let last = match judge(attempts, op().await) {
            Ok(done) => return done,
            Err(last) => last,
        };
        if attempts >= policy.max_attempts {
            return Err(RetryError::Exhausted { attempts, last });
        }
        let delay = delays.next().unwrap_or(policy.max_delay);
        // The time left, if any; a wait fits when it is no longer than that.
        let left = deadline.checked_duration_since(Instant::now());
        if !left.is_some_and(|left| delay <= left) {
            return Err(RetryError::Deadline { attempts, last });
        }
        tokio::time::sleep_until(Instant::now() + delay).await;
    }
}

/// Task 5.
pub async fn with_jitter<T, E, F, Fut, R>(
    policy: Backoff,
    mut random: R,
    mut op: F,
) -> Result<T, RetryError<E>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Failure<E>>>,
    R: FnMut(Duration) -> Duration,
{
    if policy.max_attempts == 0 {
        return Err(RetryError::NoAttempts);
    }
    let mut delays = policy.delays();
    let mut attempts = 0;
    loop {
        attempts += 1;
        let last = match judge(attempts, op().await) {
            Ok(done) => return done,
            Err(last) => last,
        };
        if attempts >= policy.max_attempts {
            return Err(RetryError::Exhausted { attempts, last });
        }
        let ceiling = delays.next().unwrap_or(policy.max_delay);
        let pick = random(ceiling);
        tokio::time::sleep(pick.min(ceiling)).await;
    }
}
