//! alternative: one hand-rolled state machine driven by `poll_fn`, the delay in closed form in u128 nanoseconds
//!
//! No `async` loop and no `tokio::time::timeout`: a `Retrier` holds the
//! state (an attempt in flight with its own cut-off timer, or a wait) and
//! `poll_fn` drives it. The delay is `initial × factor^(retry − 1)` worked
//! out at once in u128 nanoseconds with `checked_pow`; any overflow is past
//! the cap (Duration::MAX is under 2^128 ns).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use tokio::time::{Instant, Sleep};

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

fn from_nanos(n: u128) -> Duration {
    const NANOS: u128 = 1_000_000_000;
    Duration::new((n / NANOS) as u64, (n % NANOS) as u32)
}

impl Backoff {
    /// `initial × factor^(retry − 1)`, capped at `max_delay`.
    pub fn delay(&self, retry: u32) -> Duration {
        if retry == 0 {
            return Duration::ZERO;
        }
        let cap = self.max_delay.as_nanos();
        let initial = self.initial.as_nanos();
        if initial == 0 {
            return Duration::ZERO;
        }
        let nanos = u128::from(self.factor)
            .checked_pow(retry - 1)
            .and_then(|m| initial.checked_mul(m))
            .map_or(cap, |n| n.min(cap));
        from_nanos(nanos)
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

/// Where the retrier is.
enum State<Fut> {
    /// An attempt is running, with the timer that cuts it (if any).
    Trying(Pin<Box<Fut>>, Option<Pin<Box<Sleep>>>),
    /// Waiting before the next attempt.
    Waiting(Pin<Box<Sleep>>),
}

/// The retry loop as a state machine.
struct Retrier<F, Fut, R> {
    policy: Backoff,
    op: F,
    limit: Option<Duration>,
    deadline: Option<Instant>,
    wait: R,
    attempts: u32,
    state: Option<State<Fut>>,
}

impl<T, E, F, Fut, R> Retrier<F, Fut, R>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Failure<E>>>,
    R: FnMut(Duration) -> Duration,
{
    fn start_attempt(&mut self) {
        self.attempts += 1;
        let timer = self.limit.map(|limit| Box::pin(tokio::time::sleep(limit)));
        self.state = Some(State::Trying(Box::pin((self.op)()), timer));
    }

    fn poll_retry(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, RetryError<E>>> {
        loop {
            let last = match self.state.as_mut() {
                None => {
                    if self.policy.max_attempts == 0 {
                        return Poll::Ready(Err(RetryError::NoAttempts));
                    }
                    self.start_attempt();
                    continue;
                }
                Some(State::Waiting(sleep)) => {
                    ready!(sleep.as_mut().poll(cx));
                    self.start_attempt();
                    continue;
                }
                Some(State::Trying(attempt, timer)) => match attempt.as_mut().poll(cx) {
                    // The attempt is polled first: ready at the limit is in time.
                    Poll::Ready(Ok(value)) => return Poll::Ready(Ok(value)),
                    Poll::Ready(Err(Failure::Permanent(error))) => {
                        return Poll::Ready(Err(RetryError::Permanent { attempts: self.attempts, error }));
                    }
                    Poll::Ready(Err(Failure::Transient(error))) => AttemptError::Failed(error),
                    Poll::Pending => {
                        let cut = timer.as_mut().is_some_and(|timer| timer.as_mut().poll(cx).is_ready());
                        if !cut {
                            return Poll::Pending;
                        }
                        AttemptError::TimedOut(self.limit.unwrap_or_default())
                    }
                },
            };
            // The attempt is over (and dropped here, if it was cut).
            self.state = None;
            let attempts = self.attempts;
            if attempts >= self.policy.max_attempts {
                return Poll::Ready(Err(RetryError::Exhausted { attempts, last }));
            }
            let delay = (self.wait)(self.policy.delay(attempts));
            let now = Instant::now();
            let wakes = now.checked_add(delay);
            if let Some(deadline) = self.deadline
                && wakes.is_none_or(|wakes| wakes > deadline)
            {
                return Poll::Ready(Err(RetryError::Deadline { attempts, last }));
            }
            let sleep = match wakes {
                Some(wakes) => tokio::time::sleep_until(wakes),
                None => tokio::time::sleep(delay),
            };
            self.state = Some(State::Waiting(Box::pin(sleep)));
        }
    }
}

async fn drive<T, E, F, Fut, R>(
    policy: Backoff,
    op: F,
    limit: Option<Duration>,
    deadline: Option<Instant>,
    wait: R,
) -> Result<T, RetryError<E>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Failure<E>>>,
    R: FnMut(Duration) -> Duration,
{
    let mut retrier = Retrier { policy, op, limit, deadline, wait, attempts: 0, state: None };
    std::future::poll_fn(move |cx| retrier.poll_retry(cx)).await
}

/// Task 2.
pub async fn retry<T, E, F, Fut>(policy: Backoff, op: F) -> Result<T, RetryError<E>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Failure<E>>>,
{
    drive(policy, op, None, None, |d| d).await
}

/// Task 3.
pub async fn with_attempt_timeout<T, E, F, Fut>(
    policy: Backoff,
    limit: Duration,
    op: F,
) -> Result<T, RetryError<E>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Failure<E>>>,
{
    drive(policy, op, Some(limit), None, |d| d).await
}

/// Task 4.
pub async fn with_deadline<T, E, F, Fut>(
    policy: Backoff,
    deadline: Instant,
    op: F,
) -> Result<T, RetryError<E>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Failure<E>>>,
{
    drive(policy, op, None, Some(deadline), |d| d).await
}

/// Task 5.
pub async fn with_jitter<T, E, F, Fut, R>(policy: Backoff, mut random: R, op: F) -> Result<T, RetryError<E>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Failure<E>>>,
    R: FnMut(Duration) -> Duration,
{
    drive(policy, op, None, None, move |ceiling| random(ceiling).min(ceiling)).await
}
