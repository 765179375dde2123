//! Tests for 06-retry. The same file tests the stub (in exercises/) and the
//! solution (in solutions/): both build a library called `retry`.
//!
//! Each attempt of an operation is a job on a [`Timeline`] called "try 1",
//! "try 2", ...: the tests read back the instant each attempt started, so
//! "attempts at 0, 100, 300 and 700 ms" is an `==` on the paused clock.
//! Test names start with the task they check.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use checker::{
    Expected, Job, Timeline, assert_elapsed, assert_schedule, check_eq, done, dropped, fmt_duration, ms,
};
use retry::{
    AttemptError, Backoff, Failure, RetryError, retry, with_attempt_timeout, with_deadline, with_jitter,
};
use tokio::time::Instant;

/// What one attempt of the test's operation returns.
type Outcome = Result<char, Failure<String>>;

/// One scripted attempt: how long it takes (ms) and how it ends. A failing
/// attempt number n fails with the error "e<n>".
#[derive(Debug, Clone, Copy)]
enum Step {
    Ok(u64),
    Transient(u64),
    Permanent(u64),
    /// Never ends.
    Hang,
}
use Step::{Hang, Permanent, Transient};

/// How many times the operation was called.
#[derive(Debug, Clone, Default)]
struct Calls(Arc<AtomicU32>);

impl Calls {
    fn get(&self) -> u32 {
        self.0.load(Ordering::SeqCst)
    }
}

/// An operation that plays `steps`, one per call, each attempt tracked on
/// `tl` as "try <n>". Calls beyond the script fail at once (transiently),
/// so an extra attempt shows up in the call count, not as a hang.
fn script(tl: &Timeline, steps: &[Step]) -> (impl FnMut() -> Job<Outcome> + use<>, Calls) {
    let (tl, steps, calls) = (tl.clone(), steps.to_vec(), Calls::default());
    let counter = calls.clone();
    let op = move || {
        let n = counter.0.fetch_add(1, Ordering::SeqCst) + 1;
        let name = format!("try {n}");
        let error = format!("e{n}");
        match steps.get(n as usize - 1).copied().unwrap_or(Transient(0)) {
            Step::Ok(t) => tl.job(name, t, Ok('v')),
            Transient(t) => tl.job(name, t, Err(Failure::Transient(error))),
            Permanent(t) => tl.job(name, t, Err(Failure::Permanent(error))),
            Hang => tl.track(name, Box::pin(std::future::pending()) as std::pin::Pin<Box<_>>),
        }
    };
    (op, calls)
}

/// The spec's policy: 100 ms, doubling, never more than 1 s.
fn policy(max_attempts: u32) -> Backoff {
    Backoff { initial: ms(100), factor: 2, max_delay: ms(1000), max_attempts }
}

/// Instant attempts ("try 1", "try 2", ...) that each start and end at the
/// given ms.
fn tries_at(starts: &[u64]) -> Vec<Expected> {
    starts.iter().enumerate().map(|(i, &t)| done(&format!("try {}", i + 1), t, t)).collect()
}

/// Attempts that run from `start` to `end` ms.
fn tries(spans: &[(u64, u64)]) -> Vec<Expected> {
    spans.iter().enumerate().map(|(i, &(s, e))| done(&format!("try {}", i + 1), s, e)).collect()
}

/// Asserts that the attempts ran exactly as `expected` says, and that there
/// were no others: a retry too many is as wrong as one too few.
fn assert_tries(tl: &Timeline, expected: &[Expected], what: &str) {
    assert_schedule(tl, expected, what);
    let spans = tl.spans();
    if spans.len() > expected.len() {
        let extra: Vec<String> = spans[expected.len()..]
            .iter()
            .map(|s| match s.fate.started {
                Some(t) => format!("{} started at {}", s.name, fmt_duration(t)),
                None => format!("{} was made but never started", s.name),
            })
            .collect();
        checker::fail(format!(
            "{what}.\nthere should be {} attempts; yours made {}, {} too many: {}.\n\
             look at the check that decides whether to try again.",
            expected.len(),
            spans.len(),
            spans.len() - expected.len(),
            extra.join(", ")
        ));
    }
}

fn failed(e: &str) -> AttemptError<String> {
    AttemptError::Failed(e.to_string())
}

// ---- task 1: delay ------------------------------------------------------

#[test]
fn delay_doubles_from_initial_and_caps_at_max_delay() {
    checker::run(async {
        let p = policy(7);
        check_eq(p.delay(0), Duration::ZERO, "delay(0): the first attempt is not a retry and does not wait");
        let delays: Vec<Duration> = (1..=6).map(|retry| p.delay(retry)).collect();
        check_eq(
            delays,
            vec![ms(100), ms(200), ms(400), ms(800), ms(1000), ms(1000)],
            "Backoff { initial: 100 ms, factor: 2, max_delay: 1 s }: the waits before retries 1 to 6 \
             double from 100 ms and stop growing at 1 s",
        );
    });
}

#[test]
fn delay_is_exact_over_a_long_sequence() {
    checker::run(async {
        let p = Backoff { initial: ms(100), factor: 3, max_delay: Duration::MAX, max_attempts: 30 };
        for retry in 1..=29u32 {
            let want = ms(100 * 3u64.pow(retry - 1));
            let got = p.delay(retry);
            if got != want {
                checker::fail(format!(
                    "Backoff {{ initial: 100 ms, factor: 3, no cap }}: delay({retry}) is {got:?}; \
                     it should be exactly {want:?} (100 ms × 3^{}).\n\
                     a float (f64, mul_f64, as_secs_f64) cannot hold every digit of a big number: \
                     multiply the Duration by the integer factor instead (Duration * u32, saturating_mul).",
                    retry - 1
                ));
            }
        }
    });
}

#[test]
fn delay_saturates_instead_of_overflowing() {
    checker::run(async {
        let p = Backoff { initial: ms(100), factor: 10, max_delay: ms(30_000), max_attempts: u32::MAX };
        let delays: Vec<Duration> = [4, 5, 20, 1000, u32::MAX].into_iter().map(|r| p.delay(r)).collect();
        check_eq(
            delays,
            vec![ms(30_000), ms(30_000), ms(30_000), ms(30_000), ms(30_000)],
            "factor 10, max_delay 30 s: delay(4) is 100 s, capped to 30 s, and every later retry \
             waits 30 s too (10^1000 overflows any integer: stop growing once at the cap)",
        );
    });
}

// ---- task 2: retry ------------------------------------------------------

#[test]
fn retry_returns_the_first_success_without_waiting() {
    checker::run(async {
        let tl = Timeline::new();
        let (op, calls) = script(&tl, &[Step::Ok(0)]);
        let result = retry(policy(5), op).await;
        check_eq(result, Ok('v'), "the first attempt succeeds: retry returns its value");
        check_eq(calls.get(), 1, "a success needs no retry: the op is called once");
        assert_elapsed(checker::elapsed(), 0, "retry of an op that succeeds at once");
    });
}

#[test]
fn retry_waits_out_each_delay_between_attempts() {
    checker::run(async {
        let tl = Timeline::new();
        let (op, calls) = script(&tl, &[Transient(0), Transient(0), Transient(0), Step::Ok(0)]);
        let result = retry(policy(5), op).await;
        assert_tries(
            &tl,
            &tries_at(&[0, 100, 300, 700]),
            "an op that fails 3 times then succeeds is tried at 0, then after waits of 100, 200 and 400 ms",
        );
        check_eq(result, Ok('v'), "the 4th attempt succeeds: retry returns its value");
        check_eq(calls.get(), 4, "the op is called until it succeeds, and not again");
        assert_elapsed(checker::elapsed(), 700, "retry returns the instant the 4th attempt succeeds");
    });
}

#[test]
fn retry_waits_at_most_max_delay() {
    checker::run(async {
        let tl = Timeline::new();
        let (op, _calls) = script(&tl, &[Transient(0); 7]);
        let _ = retry(policy(7), op).await;
        assert_tries(
            &tl,
            &tries_at(&[0, 100, 300, 700, 1500, 2500, 3500]),
            "waits of 100, 200, 400, 800, then 1000 ms and no more: max_delay caps the backoff",
        );
    });
}

#[test]
fn retry_starts_each_delay_when_the_attempt_fails() {
    checker::run(async {
        let tl = Timeline::new();
        let (op, _calls) = script(&tl, &[Transient(50), Transient(50), Step::Ok(50)]);
        let result = retry(policy(5), op).await;
        assert_tries(
            &tl,
            &tries(&[(0, 50), (150, 200), (400, 450)]),
            "attempts of 50 ms: each wait starts when the attempt before it has failed",
        );
        check_eq(result, Ok('v'), "the 3rd attempt succeeds");
    });
}

#[test]
fn retry_returns_a_permanent_error_at_once() {
    checker::run(async {
        let tl = Timeline::new();
        let (op, calls) = script(&tl, &[Transient(0), Permanent(0), Step::Ok(0)]);
        let result = retry(policy(5), op).await;
        check_eq(
            result,
            Err(RetryError::Permanent { attempts: 2, error: "e2".to_string() }),
            "attempt 2 fails permanently: retry returns that error, retrying cannot help",
        );
        check_eq(calls.get(), 2, "no attempt after a permanent error");
        assert_elapsed(checker::elapsed(), 100, "retry returns the instant attempt 2 fails permanently");
    });
}

#[test]
fn retry_gives_up_after_max_attempts_with_the_last_error() {
    checker::run(async {
        let tl = Timeline::new();
        let (op, calls) = script(&tl, &[Transient(0); 4]);
        let result = retry(policy(4), op).await;
        check_eq(
            calls.get(),
            4,
            "max_attempts = 4 means 4 attempts in all (the first try and 3 retries): count your loop",
        );
        check_eq(
            result,
            Err(RetryError::Exhausted { attempts: 4, last: failed("e4") }),
            "every attempt failed: retry gives up with the last error",
        );
        assert_elapsed(
            checker::elapsed(),
            700,
            "the 4th and last attempt fails at 0.700 s and retry gives up then: \
             a wait after the last attempt only delays the bad news",
        );
    });
}

#[test]
fn retry_with_one_attempt_never_waits() {
    checker::run(async {
        let tl = Timeline::new();
        let (op, calls) = script(&tl, &[Transient(0)]);
        let result = retry(policy(1), op).await;
        check_eq(calls.get(), 1, "max_attempts = 1: one attempt, no retry");
        check_eq(
            result,
            Err(RetryError::Exhausted { attempts: 1, last: failed("e1") }),
            "the only attempt failed: retry gives up with its error",
        );
        assert_elapsed(checker::elapsed(), 0, "one failed attempt and nothing to wait for");
    });
}

#[test]
fn retry_with_zero_attempts_is_an_error() {
    checker::run(async {
        let tl = Timeline::new();
        let (op, calls) = script(&tl, &[Step::Ok(0)]);
        let result = retry(policy(0), op).await;
        check_eq(result, Err(RetryError::NoAttempts), "max_attempts = 0 is a broken policy: say so");
        check_eq(calls.get(), 0, "a policy of zero attempts runs the op zero times");
        assert_elapsed(checker::elapsed(), 0, "the error comes back at once");
    });
}

// ---- task 3: with_attempt_timeout ---------------------------------------

#[test]
fn with_attempt_timeout_cuts_a_hung_attempt_and_retries() {
    checker::run(async {
        let tl = Timeline::new();
        let (op, _calls) = script(&tl, &[Hang, Step::Ok(50)]);
        let result = with_attempt_timeout(policy(3), ms(250), op).await;
        check_eq(result, Ok('v'), "a cut attempt counts as transient and is retried: try 2 succeeds");
        assert_tries(
            &tl,
            &[dropped("try 1", 0, 250), done("try 2", 350, 400)],
            "a limit of 250 ms per attempt: the hung try 1 is cancelled at 250 ms, \
             and try 2 starts after the 100 ms backoff",
        );
        assert_elapsed(checker::elapsed(), 400, "with_attempt_timeout returns when try 2 succeeds");
    });
}

#[test]
fn with_attempt_timeout_gives_up_with_timed_out_as_the_last_error() {
    checker::run(async {
        let tl = Timeline::new();
        let (op, _calls) = script(&tl, &[Hang, Hang, Hang]);
        let result = with_attempt_timeout(policy(3), ms(250), op).await;
        assert_tries(
            &tl,
            &[dropped("try 1", 0, 250), dropped("try 2", 350, 600), dropped("try 3", 800, 1050)],
            "every attempt hangs: each is cut at 250 ms, then the backoff runs as usual",
        );
        check_eq(
            result,
            Err(RetryError::Exhausted { attempts: 3, last: AttemptError::TimedOut(ms(250)) }),
            "the last attempt timed out: that is the error retry gives up with",
        );
        assert_elapsed(checker::elapsed(), 1050, "try 3 is cut at 1.050 s and nothing follows it");
    });
}

#[test]
fn with_attempt_timeout_returns_a_permanent_error_at_once() {
    checker::run(async {
        let tl = Timeline::new();
        let (op, _calls) = script(&tl, &[Transient(100), Permanent(100), Step::Ok(0)]);
        let result = with_attempt_timeout(policy(3), ms(250), op).await;
        assert_tries(
            &tl,
            &tries(&[(0, 100), (200, 300)]),
            "attempts of 100 ms finish inside the 250 ms limit and are not cut",
        );
        check_eq(
            result,
            Err(RetryError::Permanent { attempts: 2, error: "e2".to_string() }),
            "attempt 2 fails permanently: no more attempts",
        );
    });
}

// ---- task 4: with_deadline ----------------------------------------------

#[test]
fn with_deadline_never_starts_a_sleep_that_would_end_past_it() {
    checker::run(async {
        let tl = Timeline::new();
        let deadline = Instant::now() + ms(1000);
        let (op, calls) = script(&tl, &[Transient(0); 10]);
        let result = with_deadline(policy(10), deadline, op).await;
        assert_tries(
            &tl,
            &tries_at(&[0, 100, 300, 700]),
            "deadline 1 s: after try 4 at 0.700 s the next wait (800 ms) would end at 1.500 s, \
             past the deadline, so there is no try 5",
        );
        check_eq(calls.get(), 4, "no attempt after the deadline");
        check_eq(
            result,
            Err(RetryError::Deadline { attempts: 4, last: failed("e4") }),
            "with_deadline gives up with the last error when the next wait would end past the deadline",
        );
        assert_elapsed(
            checker::elapsed(),
            700,
            "give up the instant the next wait is known to end too late: sleeping first only wastes time",
        );
    });
}

#[test]
fn with_deadline_allows_a_sleep_that_ends_exactly_at_it() {
    checker::run(async {
        let tl = Timeline::new();
        let deadline = Instant::now() + ms(1500);
        let (op, _calls) = script(&tl, &[Transient(0); 10]);
        let result = with_deadline(policy(10), deadline, op).await;
        assert_tries(
            &tl,
            &tries_at(&[0, 100, 300, 700, 1500]),
            "deadline 1.5 s: the 800 ms wait after try 4 ends at 1.500 s, exactly at the deadline \
             and not past it, so try 5 runs",
        );
        check_eq(
            result,
            Err(RetryError::Deadline { attempts: 5, last: failed("e5") }),
            "after try 5 the next wait would end at 2.500 s: give up",
        );
        assert_elapsed(checker::elapsed(), 1500, "with_deadline gives up right after try 5");
    });
}

#[test]
fn with_deadline_counts_the_time_attempts_take() {
    checker::run(async {
        let tl = Timeline::new();
        let deadline = Instant::now() + ms(1000);
        let (op, _calls) = script(&tl, &[Transient(150); 10]);
        let result = with_deadline(policy(10), deadline, op).await;
        assert_tries(
            &tl,
            &tries(&[(0, 150), (250, 400), (600, 750)]),
            "attempts of 150 ms, deadline 1 s: after try 3 ends at 0.750 s a 400 ms wait would end \
             at 1.150 s. measure from now, not from a sum of the waits",
        );
        check_eq(
            result,
            Err(RetryError::Deadline { attempts: 3, last: failed("e3") }),
            "with_deadline gives up after try 3",
        );
    });
}

#[test]
fn with_deadline_succeeds_when_an_attempt_does_in_time() {
    checker::run(async {
        let tl = Timeline::new();
        let deadline = Instant::now() + ms(1000);
        let (op, _calls) = script(&tl, &[Transient(0), Transient(0), Step::Ok(0)]);
        let result = with_deadline(policy(10), deadline, op).await;
        assert_tries(&tl, &tries_at(&[0, 100, 300]), "retries as usual well before the deadline");
        check_eq(result, Ok('v'), "try 3 succeeds");
    });
}

#[test]
fn with_deadline_still_stops_at_max_attempts() {
    checker::run(async {
        let tl = Timeline::new();
        let deadline = Instant::now() + ms(10_000);
        let (op, calls) = script(&tl, &[Transient(0); 5]);
        let result = with_deadline(policy(3), deadline, op).await;
        check_eq(calls.get(), 3, "max_attempts = 3 still holds with a far deadline");
        check_eq(
            result,
            Err(RetryError::Exhausted { attempts: 3, last: failed("e3") }),
            "the attempts ran out before the deadline did: that is Exhausted, not Deadline",
        );
        assert_elapsed(checker::elapsed(), 300, "try 3 fails at 0.300 s and retry gives up then");
    });
}

// ---- task 5: with_jitter ------------------------------------------------

/// A random source that plays `picks` (ms) and records each ceiling it was
/// asked to pick under.
fn source(picks: &[u64]) -> (impl FnMut(Duration) -> Duration + use<>, Arc<Mutex<Vec<Duration>>>) {
    let asked = Arc::new(Mutex::new(Vec::new()));
    let (log, mut picks) = (asked.clone(), picks.iter().copied().collect::<VecDeque<u64>>());
    let random = move |ceiling: Duration| {
        log.lock().unwrap().push(ceiling);
        picks.pop_front().map(ms).unwrap_or(ceiling)
    };
    (random, asked)
}

#[test]
fn with_jitter_sleeps_what_the_random_source_picks() {
    checker::run(async {
        let tl = Timeline::new();
        let (random, asked) = source(&[30, 170, 0, 555, 1000]);
        let (op, _calls) = script(&tl, &[Transient(0); 6]);
        let result = with_jitter(policy(6), random, op).await;
        check_eq(
            asked.lock().unwrap().clone(),
            vec![ms(100), ms(200), ms(400), ms(800), ms(1000)],
            "full jitter picks each wait below the (capped) backoff delay: \
             the random source is asked for a number up to 100, 200, 400, 800, then 1000 ms",
        );
        assert_tries(
            &tl,
            &tries_at(&[0, 30, 200, 200, 755, 1755]),
            "the waits are the picks, 30, 170, 0, 555 and 1000 ms, not the backoff delays",
        );
        check_eq(
            result,
            Err(RetryError::Exhausted { attempts: 6, last: failed("e6") }),
            "with_jitter gives up after 6 attempts like retry does",
        );
        assert_elapsed(checker::elapsed(), 1755, "no wait after the last attempt");
    });
}

#[test]
fn with_jitter_stops_at_the_first_success() {
    checker::run(async {
        let tl = Timeline::new();
        let (random, asked) = source(&[40, 90]);
        let (op, _calls) = script(&tl, &[Transient(0), Transient(0), Step::Ok(0)]);
        let result = with_jitter(policy(5), random, op).await;
        assert_tries(&tl, &tries_at(&[0, 40, 130]), "waits of 40 and 90 ms, as picked");
        check_eq(result, Ok('v'), "try 3 succeeds");
        check_eq(asked.lock().unwrap().len(), 2, "two waits, two picks: none after the success");
    });
}

#[test]
fn with_jitter_never_waits_longer_than_the_backoff() {
    checker::run(async {
        let tl = Timeline::new();
        let (random, _asked) = source(&[5000, 5000, 5000]);
        let (op, _calls) = script(&tl, &[Transient(0); 4]);
        let _ = with_jitter(policy(4), random, op).await;
        assert_tries(
            &tl,
            &tries_at(&[0, 100, 300, 700]),
            "a random source that picks 5 s when asked for at most 100 ms is clamped: \
             the backoff delay is the most any wait may be",
        );
    });
}
