//! alternative: a dispatcher task owns the line: `acquire` sends a `oneshot` into an `mpsc` channel and awaits its turn (a channel instead of a mutex); the interval limiter's refill task holds only a `Weak` semaphore and is aborted on drop
//!
//! The GCRA arithmetic is the reference solution's; the line is not a
//! mutex but a channel. One dispatcher task takes requests in the order
//! they were sent, waits for each one's slot, and answers it. A caller that
//! gives up drops its `oneshot::Receiver`: the dispatcher sees the closed
//! sender and moves on without taking a slot. `RateLimiter::new` spawns the
//! dispatcher, so it must be called inside a tokio runtime.

use std::fmt;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use tokio::sync::{Semaphore, mpsc, oneshot};
use tokio::task::{AbortHandle, JoinHandle};
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

/// The GCRA state: shared by `try_acquire` and the dispatcher.
#[derive(Debug)]
struct Gcra {
    interval: Duration,
    tolerance: Duration,
    tat: Mutex<Instant>,
}

impl Gcra {
    fn check(&self, now: Instant) -> Result<(), Duration> {
        let mut tat = self.tat.lock().unwrap_or_else(|e| e.into_inner());
        let start = (*tat).max(now);
        let ahead = start - now;
        if ahead <= self.tolerance {
            *tat = start + self.interval;
            Ok(())
        } else {
            Err(ahead - self.tolerance)
        }
    }
}

/// A token bucket (GCRA) whose waiting callers queue in a channel.
#[derive(Debug)]
pub struct RateLimiter {
    gcra: Arc<Gcra>,
    requests: mpsc::UnboundedSender<oneshot::Sender<()>>,
    dispatcher: JoinHandle<()>,
}

impl RateLimiter {
    pub fn new(rate: u32, per: Duration, burst: u32) -> Result<RateLimiter, RateError> {
        let interval = interval(rate, per, burst)?;
        let gcra = Arc::new(Gcra {
            interval,
            tolerance: interval.saturating_mul(burst - 1),
            tat: Mutex::new(Instant::now()),
        });
        let (requests, mut queue) = mpsc::unbounded_channel::<oneshot::Sender<()>>();
        let dispatcher = tokio::spawn({
            let gcra = gcra.clone();
            async move {
                while let Some(caller) = queue.recv().await {
                    // Serve this caller before looking at the next one.
                    while !caller.is_closed() {
                        match gcra.check(Instant::now()) {
                            Ok(()) => {
                                let _ = caller.send(());
                                break;
                            }
                            Err(wait) => tokio::time::sleep(wait).await,
                        }
                    }
                }
            }
        });
        Ok(RateLimiter { gcra, requests, dispatcher })
    }

    pub fn try_acquire(&self) -> Result<(), TooSoon> {
        self.gcra.check(Instant::now()).map_err(|wait| TooSoon { wait })
    }

    pub async fn acquire(&self) {
        let (turn, my_turn) = oneshot::channel();
        self.requests.send(turn).expect("the dispatcher lives as long as the limiter");
        my_turn.await.expect("the dispatcher answers every caller that waits");
    }
}

impl Drop for RateLimiter {
    fn drop(&mut self) {
        self.dispatcher.abort();
    }
}

/// The semaphore refilled by a task that holds it only weakly.
#[derive(Debug)]
pub struct IntervalLimiter {
    permits: Arc<Semaphore>,
    refill: AbortHandle,
}

async fn refill(permits: Weak<Semaphore>, interval: Duration, burst: usize) {
    let mut ticks = tokio::time::interval_at(Instant::now() + interval, interval);
    loop {
        ticks.tick().await;
        let Some(permits) = permits.upgrade() else { return };
        if permits.available_permits() < burst {
            permits.add_permits(1);
        }
    }
}

impl IntervalLimiter {
    pub fn new(rate: u32, per: Duration, burst: u32) -> Result<IntervalLimiter, RateError> {
        let interval = interval(rate, per, burst)?;
        let permits = Arc::new(Semaphore::new(burst as usize));
        let task = tokio::spawn(refill(Arc::downgrade(&permits), interval, burst as usize));
        Ok(IntervalLimiter { permits, refill: task.abort_handle() })
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
