//! # 07 · rate-limiter — rate limiting, in tokio
//!
//! "At most 10 calls per second, in bursts of up to 5": an API's terms of
//! use, a crawler's manners, a database's protection. Two limiters here:
//! a **token bucket** computed exactly (GCRA), and the **semaphore refilled
//! by a timer** that asyncio code often reaches for. The tests show where
//! they differ, to the millisecond. Read README.md beside this file first,
//! then replace each `todo!()` below.
//!
//! ## The token bucket as one instant (GCRA)
//!
//! A bucket holds up to `burst` tokens and gains one every `interval =
//! per / rate`; a call takes a token or waits for one. You could count
//! tokens and refill them on a timer, but there is a neater way that needs
//! no timer: keep the **theoretical arrival time** (TAT), the instant the
//! next call would be admitted if calls came at exactly the rate.
//!
//! - A call at `now` starts from `max(TAT, now)`: an idle limiter's TAT is
//!   in the past, and the `max` is what keeps it from filling past `burst`.
//! - It may run ahead of that schedule by at most `tolerance = interval ×
//!   (burst − 1)`. If `max(TAT, now) − now <= tolerance` it is admitted,
//!   and the TAT moves on by one `interval`.
//! - Otherwise it must wait `max(TAT, now) − now − tolerance`.
//!
//! With 10 per second and burst 5 (interval 100 ms, tolerance 400 ms),
//! five calls at 0 ms are admitted (the TAT goes 0 → 500 ms) and a sixth
//! must wait 500 − 0 − 400 = 100 ms.

use std::fmt;
use std::time::Duration;

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

/// A token bucket, kept as one instant (GCRA): at most `burst` calls at
/// once, `rate` per `per` in the long run.
///
/// The fields are yours to choose. What it needs: the `interval` and the
/// `tolerance` (computed once in `new`), the TAT behind a
/// `std::sync::Mutex<tokio::time::Instant>` (locked for a moment, never
/// across an `.await`), and for task 3 a line for waiting callers to stand
/// in, which can be a `tokio::sync::Mutex<()>`. It is shared by many tasks
/// (`Arc<RateLimiter>`, and the tests spawn them), so it must stay `Send +
/// Sync`: no `Cell` or `RefCell`, and every method takes `&self`.
#[derive(Debug)]
pub struct RateLimiter {}

impl RateLimiter {
    /// Task 1 · A limiter of `rate` calls per `per`, in bursts of up to
    /// `burst`. A limiter that cannot work is refused here, at once:
    /// `rate == 0` is [`RateError::ZeroRate`], `per` zero is
    /// [`RateError::ZeroPeriod`], `burst == 0` is [`RateError::ZeroBurst`],
    /// checked in that order: when several are bad, the first in that list
    /// is the error (`new(0, 0 s, 0)` is `ZeroRate`, `new(10, 0 s, 0)` is
    /// `ZeroPeriod`).
    ///
    /// The interval between two admissions is `per / rate` (100 ms for 10
    /// per second), exact to the nanosecond: 333.333… ms for 3 per second,
    /// not 333 ms. A new limiter is full: `burst` calls may go at once.
    pub fn new(rate: u32, per: Duration, burst: u32) -> Result<RateLimiter, RateError> {
        todo!("task 1 (new)")
    }

    /// Task 2 · Take a free slot now, or say **exactly** how long until
    /// one: `Err(TooSoon { wait })`. Never waits.
    ///
    /// A refused call takes nothing: at 10 per second, burst 5, after five
    /// calls at 0 ms a sixth is told to wait 100 ms; asked again at 30 ms,
    /// 70 ms; at 100 ms it is admitted. At 3 per second, burst 1, the call
    /// after the first is told 333.333… ms: the wait is exact, not rounded.
    pub fn try_acquire(&self) -> Result<(), TooSoon> {
        todo!("task 2 (try_acquire)")
    }

    /// Task 3 · Wait until this call may go, then return.
    ///
    /// - **First come, first served.** Callers that wait are admitted in
    ///   the order they called, one per interval, even when they call at
    ///   the same instant. Stand in a fair line (a `tokio::sync::Mutex` is
    ///   handed out in the order it was asked for) and hold your place
    ///   while you sleep. No side door: a caller who arrives at the very
    ///   instant a slot comes free goes behind those already waiting for
    ///   it, whichever of them the runtime happens to run first.
    /// - **A caller that gives up takes no slot.** If the future is dropped
    ///   while it waits (a timeout, a lost `select!`), wherever it is in
    ///   the line, the next caller must get the slot it would have had. So
    ///   don't reserve a slot and then sleep towards it: sleep, then take it.
    ///
    /// 10 per second, burst 1: back-to-back calls are admitted at 0, 100,
    /// 200, ... ms. Burst 5: five at 0 ms, then one every 100 ms. A slot
    /// that falls between two milliseconds (3 per second: 333.333… ms) is
    /// taken at the first whole millisecond at or after it: tokio's timer
    /// wakes on whole milliseconds.
    pub async fn acquire(&self) {
        todo!("task 3 (acquire)")
    }
}

/// The classic asyncio answer: an `asyncio.Semaphore(burst)` and a
/// background task that releases one permit every interval.
///
/// Your fields: an `Arc<tokio::sync::Semaphore>` shared with the refill
/// task, and that task's `JoinHandle`, so that dropping the limiter can
/// stop it (a spawned task outlives its handle).
#[derive(Debug)]
pub struct IntervalLimiter {}

impl IntervalLimiter {
    /// Task 4 · A semaphore of `burst` permits, and a task spawned here
    /// that adds one permit every `per / rate`, the first tick one interval
    /// after `new` (so the ticks fall at 100, 200, 300, ... ms; at 3 per
    /// second at 334, 667, 1 000, ... ms), whenever fewer than `burst`
    /// are left, so a partly used semaphore fills back up, but never
    /// beyond `burst`. Same errors, in the same order, as
    /// [`RateLimiter::new`], and a refused limiter spawns nothing. Must be
    /// called inside a tokio runtime.
    ///
    /// `tokio::time::interval_at(start, period)` ticks at `start`, `start +
    /// period`, ...; `Semaphore::available_permits` and `add_permits` do
    /// the rest. Implement [`Drop`] to abort the task: once the limiter is
    /// dropped, its task must be gone at once (the tests count the
    /// runtime's live tasks).
    pub fn new(rate: u32, per: Duration, burst: u32) -> Result<IntervalLimiter, RateError> {
        todo!("task 4 (interval_limiter)")
    }

    /// Task 4 · Take a permit and keep it (`SemaphorePermit::forget`): the
    /// refill task makes new ones. tokio's semaphore is fair, and a dropped
    /// `acquire` takes no permit, so this part is short.
    pub async fn acquire(&self) {
        todo!("task 4 (interval_limiter)")
    }
}
