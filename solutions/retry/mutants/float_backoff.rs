//! # 06 · retry — mutant: `Backoff::delay` computes in f64 and drifts by nanoseconds on long sequences
//!
//! Every public function is the same loop with one knob turned: a plain
//! backoff, a time limit on each attempt, an overall deadline, random
//! jitter. So there is one private loop, [`run`], and four thin doors into
//! it.

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
    /// Task 1: `initial × factor^(retry − 1)`, capped at `max_delay`, in
    /// whole `Duration` arithmetic.
    ///
    /// Multiplying a `Duration` by an integer is exact; going through `f64`
    /// is not (100 ms × 3^16 comes out a few nanoseconds off). The loop
    /// stops as soon as the cap is reached or the delay stops growing, so
    /// `delay(u32::MAX)` costs a handful of steps, and `saturating_mul`
    /// means no overflow can panic on the way.
    pub fn delay(&self, retry: u32) -> Duration {
        if retry == 0 {
            return Duration::ZERO;
        }
        // MUTANT: floating point. 100 ms × 3^16 in f64 seconds is not exact,
        // and Duration::from_secs_f64 keeps the error.
        let exponent = (retry - 1).min(1000) as i32;
        let secs = self.initial.as_secs_f64() * f64::from(self.factor).powi(exponent);
        if secs >= self.max_delay.as_secs_f64() { self.max_delay } else { Duration::from_secs_f64(secs) }
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

/// The one retry loop behind every public function.
///
/// - `limit`: cut each attempt after this long (a cut counts as transient).
/// - `deadline`: never start a wait that would end after it.
/// - `wait(backoff)`: how long to wait, given the backoff delay for this
///   retry (plain backoff returns it unchanged; jitter picks below it).
async fn run<T, E, F, Fut>(
    policy: Backoff,
    mut op: F,
    limit: Option<Duration>,
    deadline: Option<Instant>,
    mut wait: impl FnMut(Duration) -> Duration,
) -> Result<T, RetryError<E>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Failure<E>>>,
{
    // Checked before anything runs: a policy of zero attempts is a bug in
    // the caller, and saying so at once beats returning a made-up error.
    if policy.max_attempts == 0 {
        return Err(RetryError::NoAttempts);
    }
    let mut attempts = 0;
    loop {
        attempts += 1;
        let outcome = match limit {
            // `timeout` drops the attempt when the limit passes: a hung
            // attempt is cancelled, not left running beside the next one.
            Some(limit) => tokio::time::timeout(limit, op()).await.map_err(|_elapsed| limit),
            None => Ok(op().await),
        };
        let last = match outcome {
            Ok(Ok(value)) => return Ok(value),
            Ok(Err(Failure::Permanent(error))) => return Err(RetryError::Permanent { attempts, error }),
            Ok(Err(Failure::Transient(error))) => AttemptError::Failed(error),
            // A cut attempt may well succeed next time: it counts as transient.
            Err(limit) => AttemptError::TimedOut(limit),
        };
        // The last attempt failed: there is no retry to wait for, so return
        // now. Sleeping first would only make the caller wait for nothing.
        if attempts == policy.max_attempts {
            return Err(RetryError::Exhausted { attempts, last });
        }
        // After `attempts` failures comes retry number `attempts`.
        let delay = wait(policy.delay(attempts));
        if let Some(deadline) = deadline {
            // Measured from *now*, after the attempt: attempts take time too.
            // A wait that ends exactly at the deadline is still in time.
            let wakes = Instant::now().checked_add(delay);
            if wakes.is_none_or(|wakes| wakes > deadline) {
                return Err(RetryError::Deadline { attempts, last });
            }
        }
        tokio::time::sleep(delay).await;
    }
}

/// Task 2: retry transient errors after each backoff delay.
pub async fn retry<T, E, F, Fut>(policy: Backoff, op: F) -> Result<T, RetryError<E>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Failure<E>>>,
{
    run(policy, op, None, None, |delay| delay).await
}

/// Task 3: as [`retry`], with every attempt cut after `limit`.
pub async fn with_attempt_timeout<T, E, F, Fut>(
    policy: Backoff,
    limit: Duration,
    op: F,
) -> Result<T, RetryError<E>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Failure<E>>>,
{
    run(policy, op, Some(limit), None, |delay| delay).await
}

/// Task 4: as [`retry`], giving up instead of starting a wait that would
/// end past `deadline`.
pub async fn with_deadline<T, E, F, Fut>(
    policy: Backoff,
    deadline: Instant,
    op: F,
) -> Result<T, RetryError<E>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Failure<E>>>,
{
    run(policy, op, None, Some(deadline), |delay| delay).await
}

/// Task 5: full jitter. Each wait is whatever `random` picks between zero
/// and the backoff delay, clamped to that delay: the random source is
/// trusted for randomness, not for keeping the policy's promise.
pub async fn with_jitter<T, E, F, Fut, R>(policy: Backoff, mut random: R, op: F) -> Result<T, RetryError<E>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Failure<E>>>,
    R: FnMut(Duration) -> Duration,
{
    run(policy, op, None, None, |ceiling| random(ceiling).min(ceiling)).await
}
