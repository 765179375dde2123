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
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use checker::{
    Overfull, RateLimit, Timeline, assert_admissions, assert_elapsed, assert_live_tasks, assert_rate_limited,
    assert_schedule, check_eq, done, dropped, live_tasks, ms, overfull_window, sleep_until_ms,
};
use futures::future::join_all;
use rate_limiter::{IntervalLimiter, RateError, RateLimiter, TooSoon};

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
        sleep_until_ms(t).await;
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

/// `ceil(k × per / rate)` in whole ms, for k in `from..to`: when the slots
/// are not whole milliseconds apart, each call is admitted at the first
/// whole millisecond at or after its slot (tokio's timer resolution).
fn slots_rounded_up(rate: u32, per: Duration, ks: std::ops::Range<u32>) -> Vec<u64> {
    let interval = per / rate;
    ks.map(|k| (interval * k).as_nanos().div_ceil(1_000_000) as u64).collect()
}

/// Fails if some window `[t, t + len)` starting at an admission holds
/// more than `max` calls. Used where the slots are not whole milliseconds
/// apart: each call is then admitted up to 1 ms after its slot, so two
/// calls can land 333 ms apart at 3 per second, but no window of 1 s may
/// hold more than `burst + rate − 1` of them.
fn assert_at_most_per_window(admitted: &[Duration], len: Duration, max: usize, what: &str) {
    let mut sorted = admitted.to_vec();
    sorted.sort();
    for (i, &from) in sorted.iter().enumerate() {
        let inside: Vec<Duration> = sorted[i..].iter().copied().take_while(|&t| t < from + len).collect();
        if inside.len() > max {
            let listed: Vec<String> = inside.iter().map(|t| format!("{} ms", t.as_millis())).collect();
            checker::fail(format!(
                "{what}: {} calls were admitted in the {} ms from {} ms; at most {max} may be.\n\
                 admitted at: {}",
                inside.len(),
                len.as_millis(),
                from.as_millis(),
                listed.join(", "),
            ));
        }
    }
}

/// The refusals the spec names, and the order of the checks when several
/// arguments are bad: rate, then period, then burst.
fn check_refusals(who: &str, new: impl Fn(u32, Duration, u32) -> Option<RateError>) {
    use RateError::{ZeroBurst, ZeroPeriod, ZeroRate};
    let cases = [
        (0, 1000, 5, ZeroRate, "rate 0"),
        (10, 0, 5, ZeroPeriod, "a period of 0 s"),
        (10, 1000, 0, ZeroBurst, "burst 0"),
        (0, 0, 0, ZeroRate, "all three bad: rate is checked first"),
        (0, 0, 5, ZeroRate, "rate and period bad: rate is checked first"),
        (0, 1000, 0, ZeroRate, "rate and burst bad: rate is checked first"),
        (10, 0, 0, ZeroPeriod, "period and burst bad: the period is checked before the burst"),
    ];
    for (rate, per_ms, burst, error, why) in cases {
        check_eq(
            new(rate, ms(per_ms), burst),
            Some(error),
            &format!(
                "{who}::new({rate}, {per_ms} ms, {burst}): {why}.\n\
                 the checks go in the order rate, period, burst; the first that fails is the error"
            ),
        );
    }
    check_eq(new(10, ms(1000), 1), None, &format!("{who}::new(10, 1 s, burst 1) is a valid limiter"));
}

/// One caller per entry of `arrivals`, each a spawned task (so the runtime
/// runs them as a server would): it sleeps until `registered` ms, then
/// until its arrival (the two differ only to vary the order in which the
/// timers were made), takes a ticket and calls `acquire` in the same poll.
/// The ticket order is the order the callers called. Returns, in admission
/// order, `(caller, ticket, admitted at)`.
async fn spawn_callers(limiter: Arc<RateLimiter>, arrivals: &[(u64, u64)]) -> Vec<(usize, usize, Duration)> {
    let tickets = Arc::new(AtomicUsize::new(0));
    let log: Arc<Mutex<Vec<(usize, usize, Duration)>>> = Arc::default();
    let callers: Vec<_> = arrivals
        .iter()
        .enumerate()
        .map(|(i, &(registered, arrival))| {
            let (limiter, log, tickets) = (limiter.clone(), log.clone(), tickets.clone());
            tokio::spawn(async move {
                sleep_until_ms(registered).await;
                sleep_until_ms(arrival).await;
                let ticket = tickets.fetch_add(1, Ordering::SeqCst);
                limiter.acquire().await;
                log.lock().unwrap().push((i, ticket, checker::elapsed()));
            })
        })
        .collect();
    for caller in callers {
        if let Err(e) = caller.await {
            std::panic::resume_unwind(e.into_panic());
        }
    }
    log.lock().unwrap().clone()
}

/// Fails unless the callers were admitted in the order they called
/// (their tickets), naming the first caller served out of turn.
fn assert_first_come_first_served(
    log: &[(usize, usize, Duration)],
    arrival_ms: impl Fn(usize) -> u64,
    what: &str,
) {
    let mut by_call: Vec<(usize, usize)> = log.iter().map(|&(i, ticket, _)| (ticket, i)).collect();
    by_call.sort();
    let Some(k) = log.iter().zip(&by_call).position(|(&(s, _, _), &(_, f))| s != f) else {
        return;
    };
    let ((s, _, t), (_, f)) = (log[k], by_call[k]);
    let (ts, tf) = (arrival_ms(s), arrival_ms(f));
    let how = if ts == tf {
        format!(
            "callers {f} and {s} both called at {ts} ms, {f} first: among callers who call at the same \
             instant, the one who called first goes first."
        )
    } else if ts as u128 == t.as_millis() {
        format!(
            "caller {s} arrived at {ts} ms, exactly when that slot came free, and took it, while caller {f}, \
             who arrived at {tf} ms, was already waiting for it. a caller who arrives at a slot instant \
             joins the back of the line; does acquire try for a free slot before it stands in line, or \
             does it let go of its place while it sleeps?"
        )
    } else {
        format!(
            "caller {s}, who arrived at {ts} ms, was served before caller {f}, who arrived at {tf} ms and \
             was already waiting. a waiting caller must keep its place in line: waiters that each sleep \
             and then try again are served in whatever order they happen to wake."
        )
    };
    let first: Vec<usize> = by_call.iter().take(12).map(|&(_, i)| i).collect();
    let served: Vec<usize> = log.iter().take(12).map(|&(i, _, _)| i).collect();
    checker::fail(format!(
        "{what}: the callers were not served first come, first served (look at acquire in src/lib.rs).\n\
         admission {} (at {} ms) went to caller {s}.\n{how}\n\
         callers in the order they called:   {first:?} …\n\
         callers in the order they were let in: {served:?} …",
        k + 1,
        t.as_millis(),
    ))
}

// ---- task 1: new --------------------------------------------------------

#[test]
fn new_rejects_a_zero_rate_period_or_burst_checking_in_that_order() {
    checker::run(async {
        check_refusals("RateLimiter", |rate, per, burst| RateLimiter::new(rate, per, burst).err());
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

#[test]
fn try_acquire_says_the_exact_wait_when_the_interval_is_not_a_whole_number_of_ms() {
    checker::run(async {
        let limiter = match RateLimiter::new(3, ms(1000), 1) {
            Ok(limiter) => limiter,
            Err(e) => checker::fail(format!("RateLimiter::new(3, 1 s, 1) failed with {e:?}; it is valid")),
        };
        check_eq(limiter.try_acquire(), Ok(()), "3 per second, burst 1: the first call at 0 ms is admitted");
        let answer = limiter.try_acquire();
        if !matches!(answer, Err(TooSoon { wait }) if wait > ms(333) && wait < ms(334)) {
            checker::fail(format!(
                "3 per second, burst 1: the second call at 0 ms must be told to wait 1 s / 3 = 333.333… ms \
                 (between 333 and 334 ms), not a whole number of ms.\n  yours: {answer:?}\n\
                 look at how new computes the interval: `per / rate` keeps the nanoseconds"
            ));
        }
        tokio::time::sleep(ms(334)).await;
        check_eq(limiter.try_acquire(), Ok(()), "at 334 ms the slot due at 333.333… ms is free");
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
        // Caller i arrives at 3 + 7 × (17 i mod 50) ms: all 50 between 3 and
        // 346 ms, one at a time, in an order that is not their numbering.
        // The first is admitted at once; the rest queue up behind it.
        let arrival = |i: usize| ((i as u64 * 17) % 50) * 7 + 3;
        let arrivals: Vec<(u64, u64)> = (0..50).map(|i| (0, arrival(i))).collect();
        let log = spawn_callers(limiter, &arrivals).await;
        assert_first_come_first_served(&log, arrival, "50 callers arriving one by one between 3 and 346 ms");
        let admitted: Vec<Duration> = log.iter().map(|&(_, _, t)| t).collect();
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
fn acquire_serves_100_callers_who_call_at_the_same_instant_in_the_order_they_called() {
    checker::run(async {
        let limiter = Arc::new(limiter(1));
        // 100 callers, all at 10 ms: the order they called in is the order
        // the runtime ran them, recorded as a ticket taken as they call.
        let arrivals = vec![(0, 10); 100];
        let log = spawn_callers(limiter, &arrivals).await;
        assert_first_come_first_served(&log, |_| 10, "100 callers who all call at 10 ms");
        let admitted: Vec<Duration> = log.iter().map(|&(_, _, t)| t).collect();
        assert_admissions(
            &admitted,
            &every(10, 100, 100),
            "100 callers at 10 ms, burst 1: one every 100 ms (10, 110, ..., 9 910 ms)",
        );
    });
}

#[test]
fn acquire_does_not_let_a_caller_arriving_at_a_slot_instant_jump_the_line() {
    checker::run(async {
        let limiter = Arc::new(limiter(1));
        // A caller every 50 ms, slots every 100 ms: the line grows, and the
        // callers at 100, 200, ..., 3 200 ms arrive at the very instant the
        // slot of a caller already waiting comes free (32 times). Half of
        // them set their timer at 0 ms, half 30 ms before they arrive, so a
        // newcomer's timer fires before the waiter's on some rounds and
        // after it on others: whichever way the runtime orders them, the
        // waiter must get its slot.
        let arrival = |i: usize| 50 * i as u64;
        let arrivals: Vec<(u64, u64)> = (0..66)
            .map(|i| {
                let t = arrival(i);
                let registered = if i % 4 == 2 { t - 30 } else { 0 };
                (registered, t)
            })
            .collect();
        let log = spawn_callers(limiter, &arrivals).await;
        assert_first_come_first_served(
            &log,
            arrival,
            "a caller every 50 ms from 0 ms, 10 per second, burst 1; 32 of them arrive exactly at a slot instant",
        );
        let admitted: Vec<Duration> = log.iter().map(|&(_, _, t)| t).collect();
        assert_admissions(
            &admitted,
            &every(0, 100, 66),
            "66 callers, one every 50 ms, burst 1: admitted one every 100 ms (0, 100, ..., 6 500 ms)",
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
        // E waits behind C for the slot at 300 ms, and gives up at 150 ms.
        let e = async {
            tokio::time::sleep(ms(15)).await;
            let _ = tokio::time::timeout(ms(135), tl.track("E", limiter.acquire())).await;
        };
        let d = async {
            tokio::time::sleep(ms(20)).await;
            tl.track("D", limiter.acquire()).await;
        };
        tokio::join!(a, b, c, e, d);
        assert_schedule(
            &tl,
            &[
                done("A", 0, 0),
                dropped("B", 0, 50),
                done("C", 10, 100),
                dropped("E", 15, 150),
                done("D", 20, 200),
            ],
            "B gives up at 50 ms, before its slot at 100 ms, and E, further back in line, at 150 ms: \
             C, next in line, gets the slot at 100 ms and D the one at 200 ms. \
             a caller that gives up must not keep a slot (look at acquire in src/lib.rs)",
        );
    });
}

#[test]
fn acquire_keeps_a_rate_that_is_not_a_whole_number_of_ms() {
    checker::run(async {
        let three_per_second = |burst| match RateLimiter::new(3, ms(1000), burst) {
            Ok(limiter) => limiter,
            Err(e) => {
                checker::fail(format!("RateLimiter::new(3, 1 s, {burst}) failed with {e:?}; it is valid"))
            }
        };
        // Burst 1: one call every 333.333… ms. No window of 1 s may hold 4.
        let steady = three_per_second(1);
        let admitted = back_to_back(31, || steady.acquire()).await;
        assert_at_most_per_window(
            &admitted,
            ms(1000),
            3,
            "3 per second, burst 1, 31 back-to-back calls: the interval is 333.333… ms, not 333 ms \
             (look at how new computes the interval: `per / rate` keeps the nanoseconds)",
        );
        // Burst 3: three at once, then each call at its slot k × 333.333… ms,
        // rounded up to the next whole ms.
        let bursty = three_per_second(3);
        let start = checker::elapsed().as_millis() as u64;
        let admitted = back_to_back(30, || bursty.acquire()).await;
        assert_at_most_per_window(&admitted, ms(1000), 5, "3 per second, burst 3, 30 back-to-back calls");
        let mut expected = times(&[(start, 3)]);
        expected.extend(slots_rounded_up(3, ms(1000), 1..28).iter().map(|t| start + t));
        assert_admissions(
            &admitted,
            &expected,
            "3 per second, burst 3: three at once, then one at each slot k × 333.333… ms after the \
             burst, at the first whole ms at or after it (334, 667, 1 000, 1 334, … ms): the \
             interval is exact, not rounded to whole ms",
        );
    });
}

// ---- task 4: interval_limiter -------------------------------------------

#[test]
fn interval_limiter_rejects_a_zero_rate_period_or_burst_checking_in_that_order() {
    checker::run(async {
        let before = live_tasks();
        let refused = |rate, per, burst| IntervalLimiter::new(rate, per, burst).err();
        check_refusals("IntervalLimiter", refused);
        assert_elapsed(checker::elapsed(), 0, "new answers at once");
        assert_live_tasks(
            before,
            "after IntervalLimiter::new refused 7 limiters and one valid limiter was made and dropped \
             (look at IntervalLimiter::new and its Drop): a refused limiter must spawn nothing, and a dropped \
             one must stop its refill task",
        )
        .await;
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
            "after 2 s idle the interval limiter holds 5 permits, not more: a tick that finds the \
             semaphore full adds nothing (look at the refill task in IntervalLimiter::new)",
        );
    });
}

#[test]
fn interval_limiter_refills_a_partly_used_semaphore_up_to_the_burst() {
    checker::run(async {
        let ticker = interval_limiter(5);
        // Two permits used at 0 ms; the ticks at 100 and 200 ms put them back.
        let mut admitted = back_to_back(2, || ticker.acquire()).await;
        admitted.extend(crowd(&times(&[(450, 10)]), || ticker.acquire()).await);
        let mut expected = times(&[(0, 2), (450, 5)]);
        expected.extend(every(500, 100, 5));
        assert_admissions(
            &admitted,
            &expected,
            "2 calls at 0 ms leave 3 permits; the ticks at 100 and 200 ms add one each, back to 5, so \
             ten callers at 450 ms get 5 at once, then one per tick: a tick adds a permit whenever \
             fewer than `burst` are left, not only when none are (look at the refill task)",
        );
    });
}

#[test]
fn interval_limiter_ticks_at_a_rate_that_is_not_a_whole_number_of_ms() {
    checker::run(async {
        let ticker = match IntervalLimiter::new(3, ms(1000), 1) {
            Ok(limiter) => limiter,
            Err(e) => {
                checker::fail(format!("IntervalLimiter::new(3, 1 s, 1) failed with {e:?}; it is valid"))
            }
        };
        let admitted = back_to_back(10, || ticker.acquire()).await;
        assert_at_most_per_window(
            &admitted,
            ms(1000),
            3,
            "the interval limiter at 3 per second, burst 1: the ticks are 333.333… ms apart, not 333 ms",
        );
        let mut expected = vec![0];
        expected.extend(slots_rounded_up(3, ms(1000), 1..10));
        assert_admissions(
            &admitted,
            &expected,
            "the interval limiter at 3 per second, burst 1: one permit at 0 ms, then one at each tick \
             k × 333.333… ms, at the first whole ms at or after it (334, 667, 1 000, … ms)",
        );
    });
}

#[test]
fn interval_limiter_stops_its_refill_task_when_dropped() {
    checker::run(async {
        let before = live_tasks();
        {
            let ticker = interval_limiter(2);
            let admitted = back_to_back(4, || ticker.acquire()).await;
            assert_admissions(&admitted, &[0, 0, 100, 200], "burst 2: two at 0 ms, then one per tick");
            // The limiter is dropped here, at 200 ms.
        }
        assert_live_tasks(
            before,
            "right after an IntervalLimiter was dropped at 200 ms (look at its Drop): its refill task must \
             stop with it, at once; a spawned task keeps running when its JoinHandle is dropped, so abort it",
        )
        .await;
        tokio::time::sleep(ms(1000)).await;
        assert_live_tasks(before, "1 s after the IntervalLimiter was dropped").await;
    });
}
