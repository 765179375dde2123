//! # 06 · retry — retry with exponential backoff, in tokio
//!
//! A call over the network fails now and then for reasons that pass: a
//! dropped connection, a busy server. Trying again helps, but *how* you try
//! again decides whether you help or hurt: hammering a struggling server in
//! a tight loop makes it worse. The cure is to wait longer after each
//! failure (exponential backoff), to give up on errors that will never go
//! away, and to give up on time. Read README.md beside this file first,
//! then replace each `todo!()` below.
//!
//! Every wait here is `tokio::time::sleep`, so the tests can say "the 4th
//! attempt starts at exactly 700 ms" on a paused virtual clock.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

/// An exponential backoff policy: wait `initial` before the first retry,
/// `factor` times longer before each one after, never longer than
/// `max_delay`, and make at most `max_attempts` attempts in all.
///
/// `Backoff { initial: 100 ms, factor: 2, max_delay: 1 s, max_attempts: 6 }`
/// waits 100, 200, 400, 800, then 1000 ms (capped) between its 6 attempts.
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
    /// Task 1 · The wait before retry number `retry`: `initial ×
    /// factor^(retry − 1)`, capped at `max_delay`. The first retry is 1;
    /// `delay(0)` is zero, since the first attempt is not a retry. The cap
    /// holds for the first retry too: an `initial` over `max_delay` waits
    /// `max_delay`.
    ///
    /// Use **integer arithmetic only**. `Duration` times a `u32` is exact;
    /// a detour through `f64` is not: 100 ms × 3^16 comes back a few
    /// nanoseconds off, and on a clock exact to the millisecond that shows.
    /// And big numbers must not overflow: `delay(u32::MAX)` is
    /// `max_delay`, not a panic (`saturating_mul` never overflows, and once
    /// the delay reaches the cap it can stop growing). With `initial` or
    /// `max_delay` at `Duration::MAX`, or a factor of `u32::MAX`, the delay
    /// is exact while it fits in a `Duration`, and `max_delay` after that.
    pub fn delay(&self, retry: u32) -> Duration {
        todo!("task 1 (delay)")
    }
}

/// How one attempt failed, as the operation reports it. Only the operation
/// knows whether trying again can help, so it says so.
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
    /// The attempt was cut after this long (task 3).
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
    /// The next wait would have ended past the deadline (task 4).
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

/// Task 2 · Call `op` until it succeeds, waiting `policy.delay(n)` before
/// retry n. Return the value as soon as an attempt succeeds.
///
/// - A **transient** error is retried after the next delay.
/// - A **permanent** error comes back at once as [`RetryError::Permanent`]:
///   retrying cannot help, so don't make the caller wait for nothing.
/// - After `max_attempts` failed attempts, give up with
///   [`RetryError::Exhausted`] and the last error, **at once**: there is no
///   retry left to wait for, so don't sleep after the last attempt.
/// - `max_attempts == 0` is [`RetryError::NoAttempts`], returned at once
///   without calling `op`. In every function of this file that check comes
///   before anything else (the deadline, the random source).
///
/// `op` is a closure that makes a *new* future for each attempt: a future
/// can only be awaited once, so a retry needs a fresh one.
/// An op that fails 3 times then succeeds is called at exactly 0, 100, 300
/// and 700 ms.
pub async fn retry<T, E, F, Fut>(policy: Backoff, op: F) -> Result<T, RetryError<E>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Failure<E>>>,
{
    todo!("task 2 (retry)")
}

/// Task 3 · As [`retry`], but cut every attempt that runs longer than
/// `limit` (`asyncio.wait_for` around each attempt).
///
/// A cut attempt counts as a **transient** failure: the server may answer
/// next time. If the last attempt was cut, the error is
/// `Exhausted { last: AttemptError::TimedOut(limit), .. }`. Cutting means
/// *dropping* the attempt's future: `tokio::time::timeout` does it for you.
///
/// An attempt that ends exactly at `limit` did not run *longer*: it is in
/// time and keeps its result, every time (a ready attempt passes even a
/// limit of zero). `tokio::time::timeout` polls the attempt before its
/// timer; a `select!` against a sleep needs `biased;` with the attempt
/// first, or tokio picks a branch at random. A `limit` of `Duration::MAX`
/// cuts nothing and must not overflow.
pub async fn with_attempt_timeout<T, E, F, Fut>(
    policy: Backoff,
    limit: Duration,
    op: F,
) -> Result<T, RetryError<E>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Failure<E>>>,
{
    todo!("task 3 (with_attempt_timeout)")
}

/// Task 4 · As [`retry`], under an overall `deadline`: **never start a
/// wait that would end past it**. When the next wait would, give up at
/// once with [`RetryError::Deadline`] and the last error.
///
/// A wait that ends exactly at the deadline is allowed (a 0 ms wait with
/// 0 ms left too). Measure from `Instant::now()` after the failed attempt:
/// attempts take time too. If the attempts run out first, that is still
/// `Exhausted`, even when the next wait would also have ended past the
/// deadline. The deadline governs waits only: the first attempt needs no
/// wait, so it runs even if the deadline has passed. A wait too long to add
/// to `now` (a delay of `Duration::MAX`) ends past any deadline: give up,
/// don't panic (`Instant + Duration` panics on overflow; `checked_add`
/// does not).
pub async fn with_deadline<T, E, F, Fut>(
    policy: Backoff,
    deadline: Instant,
    op: F,
) -> Result<T, RetryError<E>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Failure<E>>>,
{
    todo!("task 4 (with_deadline)")
}

/// Task 5 · As [`retry`], with **full jitter**: before retry n, wait
/// `random(policy.delay(n))`, a duration the random source picks between
/// zero and the backoff delay.
///
/// When a thousand clients fail at the same instant, plain backoff has them
/// all retry at the same instants too, in waves. Jitter spreads them out.
/// The random source is passed in, so a test can supply the numbers and the
/// schedule stays exact. Trust it for randomness, not for the policy: if it
/// picks more than the delay it was given, wait the delay. Ask it once per
/// retry: never before the first attempt, never after the last.
pub async fn with_jitter<T, E, F, Fut, R>(policy: Backoff, random: R, op: F) -> Result<T, RetryError<E>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Failure<E>>>,
    R: FnMut(Duration) -> Duration,
{
    todo!("task 5 (with_jitter)")
}
