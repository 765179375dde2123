//! # 07 · rate-limiter — mutant: `acquire` reserves its slot before sleeping, so a caller that gives up still uses one
//!
//! A GCRA (generic cell rate algorithm): the token bucket written as one
//! instant. Instead of counting tokens and refilling them on a timer, keep
//! the *theoretical arrival time* (TAT): when the next call would be
//! admitted if calls came at exactly the rate. A call may run ahead of
//! that schedule by at most `tolerance = interval × (burst − 1)`; that
//! slack is the burst.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// A limiter that cannot work, refused at construction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateError {
    /// `rate` is 0: no call would ever be admitted.
    ZeroRate,
    /// `per` is zero: an infinite rate.
    ZeroPeriod,
    /// `burst` is 0: not even one call fits at once.
    ZeroBurst,
}

impl fmt::Display for RateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RateError::ZeroRate => "a rate of 0 admits nothing, ever",
            RateError::ZeroPeriod => "a period of zero is an infinite rate",
            RateError::ZeroBurst => "a burst of 0 admits nothing, ever",
        })
    }
}

impl std::error::Error for RateError {}

/// `try_acquire` found no free slot: the next one is `wait` from now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooSoon {
    /// How long until a call would be admitted.
    pub wait: Duration,
}

impl fmt::Display for TooSoon {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "rate limited: try again in {:?}", self.wait)
    }
}

impl std::error::Error for TooSoon {}

/// The one validation both limiters share. Returns the interval between
/// two admissions at the steady rate.
fn interval(rate: u32, per: Duration, burst: u32) -> Result<Duration, RateError> {
    if rate == 0 {
        return Err(RateError::ZeroRate);
    }
    if per.is_zero() {
        return Err(RateError::ZeroPeriod);
    }
    if burst == 0 {
        return Err(RateError::ZeroBurst);
    }
    Ok(per / rate)
}

/// A token bucket, kept as one instant (GCRA).
#[derive(Debug)]
pub struct RateLimiter {
    /// Time between two admissions at the steady rate: `per / rate`.
    interval: Duration,
    /// How far ahead of the steady schedule a burst may run.
    tolerance: Duration,
    /// The theoretical arrival time. A plain (std) mutex: it is held for a
    /// few instructions, never across an `.await`.
    tat: Mutex<Instant>,
    /// The line that waiting callers stand in. tokio's mutex is fair: it is
    /// handed out first come, first served. It *is* held across the wait.
    line: tokio::sync::Mutex<()>,
}

impl RateLimiter {
    /// Task 1: validate, then precompute the interval and the tolerance.
    pub fn new(rate: u32, per: Duration, burst: u32) -> Result<RateLimiter, RateError> {
        let interval = interval(rate, per, burst)?;
        Ok(RateLimiter {
            interval,
            tolerance: interval.saturating_mul(burst - 1),
            tat: Mutex::new(Instant::now()),
            line: tokio::sync::Mutex::new(()),
        })
    }

    /// Admits a call at `now` if the schedule allows it, or says how long
    /// until it would. Admitting moves the TAT on by one interval.
    fn check(&self, now: Instant) -> Result<(), Duration> {
        let mut tat = self.tat.lock().unwrap_or_else(|e| e.into_inner());
        // An idle limiter's TAT lies in the past: start from now. This
        // `max` is what stops an idle bucket from filling beyond the burst.
        let start = (*tat).max(now);
        let ahead = start - now;
        if ahead <= self.tolerance {
            *tat = start + self.interval;
            Ok(())
        } else {
            Err(ahead - self.tolerance)
        }
    }

    /// Task 2: take a free slot now, or say exactly how long until one.
    ///
    /// `try_acquire` does not stand in line: used beside `acquire` on one
    /// limiter, it can take a slot a waiting caller was about to get.
    pub fn try_acquire(&self) -> Result<(), TooSoon> {
        self.check(Instant::now()).map_err(|wait| TooSoon { wait })
    }

    /// Task 3: wait in line, then wait for a slot.
    ///
    /// Nothing is reserved before the slot is taken, so a caller that gives
    /// up (its future dropped while it waits) leaves no trace: it lets go
    /// of the line, and the next caller computes the very slot it would
    /// have had. The loop is for a `try_acquire` that took the slot while
    /// we slept.
    pub async fn acquire(&self) {
        // MUTANT: reserve the slot now (move the TAT on at once), then sleep
        // towards it. First come, first served, but a caller dropped while
        // it sleeps has already spent its slot: the next caller waits for
        // the one after.
        let slot = {
            let mut tat = self.tat.lock().unwrap_or_else(|e| e.into_inner());
            let now = Instant::now();
            let start = (*tat).max(now);
            *tat = start + self.interval;
            now + (start - now).saturating_sub(self.tolerance)
        };
        let _ = &self.line;
        tokio::time::sleep_until(slot).await;
    }
}

/// The classic asyncio answer: a semaphore of `burst` permits, and a
/// background task that puts one permit back every interval.
#[derive(Debug)]
pub struct IntervalLimiter {
    permits: Arc<Semaphore>,
    refill: JoinHandle<()>,
}

impl IntervalLimiter {
    /// Task 4: a full semaphore, and a refill task that ticks every
    /// interval from now on, never filling it beyond `burst`. Must be
    /// called inside a tokio runtime (it spawns).
    pub fn new(rate: u32, per: Duration, burst: u32) -> Result<IntervalLimiter, RateError> {
        let interval = interval(rate, per, burst)?;
        let burst = burst as usize;
        let permits = Arc::new(Semaphore::new(burst));
        let refill = tokio::spawn({
            let permits = permits.clone();
            async move {
                // `interval_at` and not `interval`: the first tick comes one
                // interval from now, not at once.
                let mut ticks = tokio::time::interval_at(Instant::now() + interval, interval);
                loop {
                    ticks.tick().await;
                    // Without this check an idle limiter piles up permits,
                    // and the next burst is as big as the idle was long.
                    if permits.available_permits() < burst {
                        permits.add_permits(1);
                    }
                }
            }
        });
        Ok(IntervalLimiter { permits, refill })
    }

    /// Task 4: take a permit and never give it back; the refill task
    /// makes new ones. The semaphore is fair (first come, first served),
    /// and a dropped `acquire` takes no permit.
    pub async fn acquire(&self) {
        let permit = self.permits.acquire().await.expect("the semaphore is never closed");
        permit.forget();
    }
}

impl Drop for IntervalLimiter {
    /// A spawned task outlives its handle: stop the refill task with the
    /// limiter, or it ticks forever.
    fn drop(&mut self) {
        self.refill.abort();
    }
}
