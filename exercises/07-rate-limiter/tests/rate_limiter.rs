//! Tests for 07-rate-limiter. The same file tests the stub (in exercises/)
//! and the solution (in solutions/): both build a library called
//! `rate_limiter`.
//!
//! Every test records the instant each call was admitted, on the paused
//! virtual clock, and pins it with `==`. Beyond the exact schedule, the
//! checker looks at *every* window between two admissions: no stretch of
//! time may hold more than `burst + rate × its length` calls.
//! Test names start with the task they check.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use checker::{
    Overfull, RateLimit, Timeline, assert_admissions, assert_elapsed, assert_rate_limited, assert_schedule,
    check_eq, done, dropped, ms, overfull_window,
};
use futures::future::join_all;
use rate_limiter::{IntervalLimiter, RateError, RateLimiter, TooSoon};
use tokio::time::Instant;

/// 10 per second, bursts of `burst`: the spec's limit.
fn ten_per_second(burst: u64) -> RateLimit {
    RateLimit { rate: 10, per: ms(1000), burst }
}

fn limiter(burst: u32) -> RateLimiter {
    match RateLimiter::new(10, ms(1000), burst) {
        Ok(limiter) => limiter,
        Err(e) => checker::fail(format!("RateLimiter::new(10, 1 s, {burst}) failed with {e:?}; it is valid")),
    }
}

fn interval_limiter(burst: u32) -> IntervalLimiter {
    match IntervalLimiter::new(10, ms(1000), burst) {
        Ok(limiter) => limiter,
        Err(e) => {
            checker::fail(format!("IntervalLimiter::new(10, 1 s, {burst}) failed with {e:?}; it is valid"))
        }
    }
}

/// The instant `t_ms` after the test began.
fn at(t_ms: u64) -> Instant {
    Instant::now() - checker::elapsed() + ms(t_ms)
}

/// `n` calls one after another: each waits for the one before. Returns
/// the instant each was admitted.
async fn back_to_back<F: Future<Output = ()>>(n: usize, acquire: impl Fn() -> F) -> Vec<Duration> {
    let mut admitted = Vec::with_capacity(n);
    for _ in 0..n {
        acquire().await;
        admitted.push(checker::elapsed());
    }
    admitted
}

/// One caller per entry of `arrivals` (ms), all at once on this task: each
/// sleeps until it arrives, then calls `acquire`. Returns the admission
/// instants, earliest first.
async fn crowd<F: Future<Output = ()>>(arrivals: &[u64], acquire: impl Fn() -> F) -> Vec<Duration> {
    let acquire = &acquire;
    let callers = arrivals.iter().map(|&t| async move {
        tokio::time::sleep_until(at(t)).await;
        acquire().await;
        checker::elapsed()
    });
    let mut admitted = join_all(callers).await;
    admitted.sort();
    admitted
}

/// `[t; n]` in ms, then `t + step`, `t + 2 step`, ...: a schedule's parts.
fn times(parts: &[(u64, usize)]) -> Vec<u64> {
    parts.iter().flat_map(|&(t, n)| std::iter::repeat_n(t, n)).collect()
}

fn every(from: u64, step: u64, n: usize) -> Vec<u64> {
    (0..n as u64).map(|i| from + i * step).collect()
}

// ---- task 1: new --------------------------------------------------------

#[test]
fn new_rejects_a_zero_rate_period_or_burst() {
    checker::run(async {
        check_eq(
            RateLimiter::new(0, ms(1000), 5).err(),
            Some(RateError::ZeroRate),
            "new(rate 0, 1 s, burst 5)",
        );
        check_eq(
            RateLimiter::new(10, ms(0), 5).err(),
            Some(RateError::ZeroPeriod),
            "new(10, per 0 s, burst 5)",
        );
        check_eq(
            RateLimiter::new(10, ms(1000), 0).err(),
            Some(RateError::ZeroBurst),
            "new(10, 1 s, burst 0)",
        );
        check_eq(RateLimiter::new(10, ms(1000), 1).is_ok(), true, "new(10, 1 s, burst 1) is a valid limiter");
        assert_elapsed(checker::elapsed(), 0, "new answers at once");
    });
}

// ---- task 2: try_acquire ------------------------------------------------

#[test]
fn try_acquire_takes_a_free_slot_or_says_exactly_how_long_to_wait() {
    checker::run(async {
        let limiter = limiter(5);
        let burst: Vec<_> = (0..5).map(|_| limiter.try_acquire()).collect();
        check_eq(burst, vec![Ok(()); 5], "burst 5: five calls at 0 ms are admitted at once");
        check_eq(
            limiter.try_acquire(),
            Err(TooSoon { wait: ms(100) }),
            "the 6th call at 0 ms: the next slot is 100 ms away",
        );
        tokio::time::sleep(ms(30)).await;
        check_eq(
            limiter.try_acquire(),
            Err(TooSoon { wait: ms(70) }),
            "at 30 ms the next slot (at 100 ms) is 70 ms away: the wait is exact, not a guess",
        );
        tokio::time::sleep(ms(70)).await;
        check_eq(
            limiter.try_acquire(),
            Ok(()),
            "at 100 ms the slot is free: a refused call takes no slot, so this one gets it",
        );
        check_eq(
            limiter.try_acquire(),
            Err(TooSoon { wait: ms(100) }),
            "right after, the next is 100 ms away",
        );
        tokio::time::sleep(ms(150)).await;
        check_eq(limiter.try_acquire(), Ok(()), "at 250 ms the slot due at 200 ms is free");
        check_eq(
            limiter.try_acquire(),
            Err(TooSoon { wait: ms(50) }),
            "at 250 ms, after taking it, the next slot is at 300 ms: 50 ms away",
        );
    });
}

#[test]
fn try_acquire_refills_one_slot_per_interval() {
    checker::run(async {
        let limiter = limiter(1);
        check_eq(limiter.try_acquire(), Ok(()), "burst 1: the first call at 0 ms is admitted");
        check_eq(limiter.try_acquire(), Err(TooSoon { wait: ms(100) }), "10 per second: the next in 100 ms");
        tokio::time::sleep(ms(450)).await;
        check_eq(limiter.try_acquire(), Ok(()), "at 450 ms there is a free slot");
        check_eq(
            limiter.try_acquire(),
            Err(TooSoon { wait: ms(100) }),
            "burst 1: an idle limiter holds one slot, not four: the next is 100 ms away",
        );
    });
}

// ---- task 3: acquire ----------------------------------------------------

#[test]
fn acquire_spaces_back_to_back_calls_by_the_interval() {
    checker::run(async {
        let limiter = limiter(1);
        let admitted = back_to_back(100, || limiter.acquire()).await;
        assert_rate_limited(&admitted, ten_per_second(1), "100 calls at 10 per second, burst 1");
        assert_admissions(
            &admitted,
            &every(0, 100, 100),
            "10 per second, burst 1: 100 back-to-back calls are admitted at 0, 100, 200, ..., 9 900 ms",
        );
    });
}

#[test]
fn acquire_lets_a_burst_through_then_one_per_interval() {
    checker::run(async {
        let limiter = limiter(5);
        let admitted = back_to_back(20, || limiter.acquire()).await;
        assert_rate_limited(&admitted, ten_per_second(5), "20 calls at 10 per second, burst 5");
        let mut expected = times(&[(0, 5)]);
        expected.extend(every(100, 100, 15));
        assert_admissions(
            &admitted,
            &expected,
            "burst 5: five calls at 0 ms, then one every 100 ms (100, 200, ..., 1 500 ms)",
        );
    });
}

#[test]
fn acquire_refills_the_burst_after_idle_but_not_beyond() {
    checker::run(async {
        let limiter = limiter(5);
        let mut admitted = back_to_back(10, || limiter.acquire()).await;
        // The 10th call is admitted at 500 ms; then 2 s of quiet.
        tokio::time::sleep(ms(2000)).await;
        admitted.extend(back_to_back(10, || limiter.acquire()).await);
        let mut expected = times(&[(0, 5)]);
        expected.extend(every(100, 100, 5));
        expected.extend(times(&[(2500, 5)]));
        expected.extend(every(2600, 100, 5));
        assert_admissions(
            &admitted,
            &expected,
            "after 2 s idle the burst is back to 5, and only 5: 2 s at 10 per second would be 20 \
             tokens, but a bucket holds at most `burst`",
        );
        assert_rate_limited(&admitted, ten_per_second(5), "burst 5, then 2 s idle, then 10 more calls");
    });
}

#[test]
fn acquire_admits_concurrent_callers_first_come_first_served() {
    checker::run(async {
        let limiter = Arc::new(limiter(1));
        let log: Arc<Mutex<Vec<(usize, Duration)>>> = Arc::default();
        // Caller i arrives at 3 + 7 × (17 i mod 50) ms: all 50 between 3 and
        // 346 ms, one at a time, in an order that is not their numbering.
        // The first is admitted at once; the rest queue up behind it.
        let arrival = |i: usize| ((i as u64 * 17) % 50) * 7 + 3;
        let callers: Vec<_> = (0..50)
            .map(|i| {
                let (limiter, log) = (limiter.clone(), log.clone());
                tokio::spawn(async move {
                    tokio::time::sleep_until(at(arrival(i))).await;
                    limiter.acquire().await;
                    log.lock().unwrap().push((i, checker::elapsed()));
                })
            })
            .collect();
        for caller in callers {
            let _ = caller.await;
        }
        let log = log.lock().unwrap().clone();
        let mut first_come: Vec<usize> = (0..50).collect();
        first_come.sort_by_key(|&i| arrival(i));
        let served: Vec<usize> = log.iter().map(|&(i, _)| i).collect();
        if let Some(k) = served.iter().zip(&first_come).position(|(s, f)| s != f) {
            let (s, f) = (served[k], first_come[k]);
            checker::fail(format!(
                "the callers were not served first come, first served.\n\
                 admission {} went to caller {s}, who arrived at {} ms,\n\
                 while caller {f}, who arrived at {} ms, was already waiting.\n\
                 a waiting caller must keep its place in line. waiters that each sleep\n\
                 and then try again are served in whatever order they happen to wake.\n\
                 callers by arrival:   {:?} …\n\
                 callers by admission: {:?} …",
                k + 1,
                arrival(s),
                arrival(f),
                &first_come[..12],
                &served[..served.len().min(12)],
            ));
        }
        let admitted: Vec<Duration> = log.iter().map(|&(_, t)| t).collect();
        assert_rate_limited(&admitted, ten_per_second(1), "50 concurrent callers at 10 per second, burst 1");
        assert_admissions(
            &admitted,
            &every(3, 100, 50),
            "50 callers arriving between 3 and 346 ms are admitted one every 100 ms from the first \
             (3, 103, 203, ..., 4 903 ms), in the order they arrived",
        );
    });
}

#[test]
fn acquire_keeps_every_window_within_the_limit() {
    checker::run(async {
        let limiter = limiter(5);
        // Clumps of callers on both sides of round instants.
        let arrivals = times(&[(950, 8), (1000, 8), (2990, 4), (3000, 4)]);
        let admitted = crowd(&arrivals, || limiter.acquire()).await;
        assert_rate_limited(
            &admitted,
            ten_per_second(5),
            "clumps of callers at 950 ms, 1 000 ms, 2 990 ms and 3 000 ms, at 10 per second, burst 5",
        );
        let mut expected = times(&[(950, 5)]);
        expected.extend(every(1050, 100, 11));
        expected.extend(times(&[(2990, 4)]));
        expected.extend([3000, 3090, 3190, 3290]);
        assert_admissions(
            &admitted,
            &expected,
            "5 at 950 ms, then one every 100 ms until 2 050 ms; after the quiet, 4 at 2 990 ms and the \
             5th of the refilled burst at 3 000 ms, then one per 100 ms from the last",
        );
    });
}

#[test]
fn acquire_gives_a_dropped_waiters_slot_to_the_next_caller() {
    checker::run(async {
        let limiter = limiter(1);
        let tl = Timeline::new();
        let a = tl.track("A", limiter.acquire());
        // B would be admitted at 100 ms but gives up at 50 ms.
        let b = async {
            let _ = tokio::time::timeout(ms(50), tl.track("B", limiter.acquire())).await;
        };
        let c = async {
            tokio::time::sleep(ms(10)).await;
            tl.track("C", limiter.acquire()).await;
        };
        let d = async {
            tokio::time::sleep(ms(20)).await;
            tl.track("D", limiter.acquire()).await;
        };
        tokio::join!(a, b, c, d);
        assert_schedule(
            &tl,
            &[done("A", 0, 0), dropped("B", 0, 50), done("C", 10, 100), done("D", 20, 200)],
            "B gives up at 50 ms, before its slot at 100 ms: C, next in line, gets that slot, \
             and D the one after. a caller that gives up must not keep a slot",
        );
    });
}

// ---- task 4: interval_limiter -------------------------------------------

#[test]
fn interval_limiter_rejects_a_zero_rate_period_or_burst() {
    checker::run(async {
        check_eq(
            IntervalLimiter::new(0, ms(1000), 5).err(),
            Some(RateError::ZeroRate),
            "new(rate 0, 1 s, burst 5)",
        );
        check_eq(
            IntervalLimiter::new(10, ms(0), 5).err(),
            Some(RateError::ZeroPeriod),
            "new(10, per 0 s, burst 5)",
        );
        check_eq(
            IntervalLimiter::new(10, ms(1000), 0).err(),
            Some(RateError::ZeroBurst),
            "new(10, 1 s, burst 0)",
        );
        check_eq(IntervalLimiter::new(10, ms(1000), 1).is_ok(), true, "new(10, 1 s, burst 1) is valid");
        assert_elapsed(checker::elapsed(), 0, "new answers at once");
    });
}

#[test]
fn interval_limiter_matches_the_token_bucket_on_its_ticks() {
    checker::run(async {
        let (bucket, ticker) = (limiter(1), interval_limiter(1));
        let (by_bucket, by_ticker) =
            tokio::join!(back_to_back(10, || bucket.acquire()), back_to_back(10, || ticker.acquire()));
        assert_admissions(&by_bucket, &every(0, 100, 10), "the token bucket, burst 1: 0, 100, ..., 900 ms");
        assert_admissions(
            &by_ticker,
            &every(0, 100, 10),
            "the interval limiter, burst 1, from 0 ms: one permit, then one per tick at 100, 200, ... ms",
        );
    });
}

#[test]
fn interval_limiter_refills_on_its_own_clock_unlike_the_token_bucket() {
    checker::run(async {
        let (bucket, ticker) = (limiter(5), interval_limiter(5));
        // Both made at 0 ms; ten callers come to each at 950 ms.
        let arrivals = times(&[(950, 10)]);
        let (by_bucket, by_ticker) =
            tokio::join!(crowd(&arrivals, || bucket.acquire()), crowd(&arrivals, || ticker.acquire()));
        let mut expected = times(&[(950, 5)]);
        expected.extend(every(1050, 100, 5));
        assert_admissions(&by_bucket, &expected, "the token bucket: 5 at 950 ms, then 1 050, 1 150, ... ms");
        let mut expected = times(&[(950, 5)]);
        expected.extend(every(1000, 100, 5));
        assert_admissions(
            &by_ticker,
            &expected,
            "the interval limiter: 5 at 950 ms, then one at each tick of its own clock: 1 000, 1 100, ... ms",
        );
        check_eq(
            overfull_window(&by_ticker, ten_per_second(5)),
            Some(Overfull { from: ms(950), to: ms(1000), admitted: 6, allowed: 5 }),
            "the interval limiter lets 6 calls through between 950 and 1 000 ms, where 10 per second \
             with a burst of 5 allows 5: its tick came 50 ms after the burst",
        );
        check_eq(
            overfull_window(&by_bucket, ten_per_second(5)),
            None,
            "the token bucket keeps every window within the limit",
        );
    });
}

#[test]
fn interval_limiter_never_refills_beyond_the_burst() {
    checker::run(async {
        let ticker = interval_limiter(5);
        // 2 s of quiet: 20 ticks go by with the semaphore already full.
        let arrivals = times(&[(2050, 10)]);
        let admitted = crowd(&arrivals, || ticker.acquire()).await;
        let mut expected = times(&[(2050, 5)]);
        expected.extend(every(2100, 100, 5));
        assert_admissions(
            &admitted,
            &expected,
            "after 2 s idle the interval limiter holds 5 permits, not 25: a tick that finds the \
             semaphore full adds nothing",
        );
    });
}
