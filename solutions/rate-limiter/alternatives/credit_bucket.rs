//! alternative: a token bucket counted as credit (nanoseconds, capped at `burst` intervals), a `Semaphore(1)` as the line and `sleep_until` deadlines; the interval limiter refilled by a `sleep_until` loop on `start + k × interval`
//!
//! The same limiter as the reference solution, counted the other way round:
//! instead of the instant the next call is due (GCRA), keep how much
//! *credit* the bucket holds, in nanoseconds of waiting already done. A call
//! costs one interval; credit grows with time and is capped at `burst`
//! intervals (the cap is what keeps an idle bucket from overflowing).

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

/// Credit, in nanoseconds, and when it was last brought up to date.
#[derive(Debug)]
struct Bucket {
    credit: u128,
    updated: Instant,
}

/// A token bucket, kept as credit.
#[derive(Debug)]
pub struct RateLimiter {
    /// One call's cost, in nanoseconds.
    cost: u128,
    /// The most credit the bucket holds: `burst` calls.
    capacity: u128,
    bucket: Mutex<Bucket>,
    /// The line: a semaphore of one permit is handed out first come, first
    /// served, like tokio's mutex.
    line: Semaphore,
}

impl RateLimiter {
    pub fn new(rate: u32, per: Duration, burst: u32) -> Result<RateLimiter, RateError> {
        let cost = interval(rate, per, burst)?.as_nanos();
        let capacity = cost * u128::from(burst);
        Ok(RateLimiter {
            cost,
            capacity,
            bucket: Mutex::new(Bucket { credit: capacity, updated: Instant::now() }),
            line: Semaphore::new(1),
        })
    }

    /// Pays for a call at `now`, or says how long until the credit is there.
    fn pay(&self, now: Instant) -> Result<(), Duration> {
        let mut bucket = self.bucket.lock().unwrap_or_else(|e| e.into_inner());
        let earned = now.saturating_duration_since(bucket.updated).as_nanos();
        bucket.credit = (bucket.credit + earned).min(self.capacity);
        bucket.updated = bucket.updated.max(now);
        if bucket.credit >= self.cost {
            bucket.credit -= self.cost;
            Ok(())
        } else {
            let short = self.cost - bucket.credit;
            Err(Duration::from_nanos(u64::try_from(short).unwrap_or(u64::MAX)))
        }
    }

    pub fn try_acquire(&self) -> Result<(), TooSoon> {
        self.pay(Instant::now()).map_err(|wait| TooSoon { wait })
    }

    pub async fn acquire(&self) {
        let _place = self.line.acquire().await.expect("the line is never closed");
        loop {
            let now = Instant::now();
            match self.pay(now) {
                Ok(()) => return,
                Err(wait) => tokio::time::sleep_until(now + wait).await,
            }
        }
    }
}

/// The semaphore refilled by a task that sleeps until each tick.
#[derive(Debug)]
pub struct IntervalLimiter {
    permits: Arc<Semaphore>,
    refill: JoinHandle<()>,
}

impl IntervalLimiter {
    pub fn new(rate: u32, per: Duration, burst: u32) -> Result<IntervalLimiter, RateError> {
        let interval = interval(rate, per, burst)?;
        let burst = burst as usize;
        let permits = Arc::new(Semaphore::new(burst));
        let start = Instant::now();
        let refill = tokio::spawn({
            let permits = permits.clone();
            async move {
                for k in 1u32.. {
                    // Each tick from the start, not from the last wake-up:
                    // no drift when the interval is not whole milliseconds.
                    tokio::time::sleep_until(start + interval * k).await;
                    if permits.available_permits() < burst {
                        permits.add_permits(1);
                    }
                }
            }
        });
        Ok(IntervalLimiter { permits, refill })
    }

    pub async fn acquire(&self) {
        self.permits.acquire().await.expect("the semaphore is never closed").forget();
    }
}

impl Drop for IntervalLimiter {
    fn drop(&mut self) {
        self.refill.abort();
    }
}
