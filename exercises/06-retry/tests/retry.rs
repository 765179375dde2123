//! Tests for 06-retry. The same file tests the stub (in exercises/) and the
//! solution (in solutions/): both build a library called `retry`.
//!
//! Each attempt of an operation is a job on a [`Timeline`] called "try 1",
//! "try 2", ...: the tests read back the instant each attempt started, so
//! "attempts at 0, 100, 300 and 700 ms" is an `==` on the paused clock.
//! Test names start with the task they check.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::Duration;

use checker::{Expected, Job, Timeline, assert_schedule, check_eq, done, dropped, fail, fmt_duration, ms};
use retry::{
    AttemptError, Backoff, Failure, RetryError, retry, with_attempt_timeout, with_deadline, with_jitter,
};
use tokio::time::Instant;

/// What one attempt of the test's operation returns.
type Outcome = Result<char, Failure<String>>;

/// What a call of the function under test returns.
type Answer = Result<char, RetryError<String>>;

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
            Hang => tl.endless_job(name),
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
        fail(format!(
            "{what}.\nthere should be {} attempts; yours made {}, {} too many: {}.\n\
             look at the check that decides whether to try again.",
            expected.len(),
            spans.len(),
            spans.len() - expected.len(),
            extra.join(", ")
        ));
    }
}

/// Asserts the instant (virtual ms since the test began) at which the
/// function under test returned. Retrying runs nothing side by side, so a
/// wrong instant means a wait too many, too long or missing.
fn assert_returned_at(expected_ms: u64, what: &str) {
    checker::assert_returned_at(
        checker::elapsed(),
        expected_ms,
        what,
        "something waited that should not have (a wait after the last attempt, or a wait longer than the \
         policy allows).",
        "a wait the policy asks for did not happen, or was shorter.",
    );
}

/// Awaits `fut`, turning a panic inside it (an overflow) into an explained
/// failure rather than a bare crash. `what` names the call, `hint` says
/// where an overflow usually hides.
async fn without_panic<T>(what: &str, hint: &str, fut: impl Future<Output = T>) -> T {
    checker::without_panic(fut, what, |_| hint.to_string()).await
}

/// Awaits every future side by side; their outputs in the order given.
/// (No `Send` needed: the futures stay on the test's own task.)
async fn join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<Option<Pin<Box<F>>>> = futures.into_iter().map(|f| Some(Box::pin(f))).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (slot, output) in futures.iter_mut().zip(outputs.iter_mut()) {
            if let Some(future) = slot {
                match future.as_mut().poll(cx) {
                    Poll::Ready(value) => {
                        *output = Some(value);
                        *slot = None;
                    }
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending { Poll::Pending } else { Poll::Ready(()) }
    })
    .await;
    outputs.into_iter().map(|o| o.expect("every future finished")).collect()
}

fn failed(e: &str) -> AttemptError<String> {
    AttemptError::Failed(e.to_string())
}

// ---- task 1: delay ------------------------------------------------------

/// `policy.delay(retry)`, or a failure that explains a panic (an overflow).
fn delay_of(policy: &Backoff, retry: u32) -> Duration {
    let p = *policy;
    match std::panic::catch_unwind(move || p.delay(retry)) {
        Ok(d) => d,
        Err(payload) => {
            let text = checker::panic_text(payload.as_ref());
            if text.starts_with("not yet implemented") {
                std::panic::resume_unwind(payload);
            }
            fail(format!(
                "{policy:?}: delay({retry}) panicked: \"{text}\".\n\
                 huge values must not panic: `Duration * u32` and `u32::pow` panic when the result \
                 overflows. use `saturating_mul` and stop growing once the delay reaches max_delay.\n\
                 look at Backoff::delay in src/lib.rs."
            ))
        }
    }
}

/// A delay as the messages show it: `Duration::MAX` by name.
fn show(d: Duration) -> String {
    if d == Duration::MAX { "Duration::MAX".to_string() } else { format!("{d:?}") }
}

/// Why `got` is not `want`, in words that claim only what the numbers show.
fn why_delay_is_off(got: Duration, want: Duration) -> String {
    let (g, w) = (got.as_nanos(), want.as_nanos());
    let diff = g.abs_diff(w);
    if got == Duration::MAX {
        format!(
            "Duration::MAX is what an integer overflow saturates to (saturating_mul, \
             checked_mul(..).unwrap_or(Duration::MAX)); the exact delay, {}, fits in a Duration \
             with room to spare. so an intermediate value overflowed: a power factor^(retry − 1) in a \
             u32 or u64 overflows long before the Duration does. multiply the Duration itself by the \
             factor, one retry at a time (delay.saturating_mul(factor)), capping at max_delay each time.",
            show(want)
        )
    } else if diff.saturating_mul(1_000_000) < w {
        format!(
            "off by {diff} ns out of {}, less than one part in a million: that is \
             floating-point rounding (f64, mul_f64, as_secs_f64, powi cannot hold every digit). \
             multiply the Duration by the integer factor instead (Duration * u32, saturating_mul).",
            show(want)
        )
    } else if got < want {
        "it is smaller than initial × factor^(retry − 1), and max_delay does not cap it here: the \
         delay stopped growing too early. an integer that saturated or wrapped would do that \
         (factor.saturating_pow(retry − 1) in a u32 stops at 4 294 967 295)."
            .to_string()
    } else {
        "it is larger than initial × factor^(retry − 1): count the multiplications (retry 1 waits \
         `initial`, each retry after multiplies by `factor` once)."
            .to_string()
    }
}

/// Checks `policy.delay(r)` for each `(r, want)`; `what` describes the policy.
fn check_delays(policy: &Backoff, expected: &[(u32, Duration)], what: &str) {
    for &(retry, want) in expected {
        let got = delay_of(policy, retry);
        if got != want {
            fail(format!(
                "{what}: delay({retry}) is {}; it should be exactly {}.\n{}\n\
                 look at Backoff::delay in src/lib.rs.",
                show(got),
                show(want),
                why_delay_is_off(got, want)
            ));
        }
    }
}

#[test]
fn delay_doubles_from_initial_and_caps_at_max_delay() {
    checker::run(async {
        let p = policy(7);
        check_eq(
            delay_of(&p, 0),
            Duration::ZERO,
            "delay(0): the first attempt is not a retry and does not wait (look at Backoff::delay)",
        );
        let delays: Vec<Duration> = (1..=6).map(|retry| delay_of(&p, retry)).collect();
        check_eq(
            delays,
            vec![ms(100), ms(200), ms(400), ms(800), ms(1000), ms(1000)],
            "Backoff { initial: 100 ms, factor: 2, max_delay: 1 s }: the waits before retries 1 to 6 \
             double from 100 ms and stop growing at 1 s (look at Backoff::delay)",
        );
    });
}

#[test]
fn delay_caps_an_initial_over_max_delay() {
    checker::run(async {
        let p = Backoff { initial: ms(5000), factor: 2, max_delay: ms(1000), max_attempts: 4 };
        check_delays(
            &p,
            &[(1, ms(1000)), (2, ms(1000)), (3, ms(1000)), (u32::MAX, ms(1000))],
            "Backoff { initial: 5 s, factor: 2, max_delay: 1 s }: no wait is ever longer than max_delay, \
             not even the first one, whose initial 5 s is over the cap",
        );
    });
}

#[test]
fn delay_is_exact_over_a_long_sequence() {
    checker::run(async {
        let p = Backoff { initial: ms(100), factor: 3, max_delay: Duration::MAX, max_attempts: 30 };
        let expected: Vec<(u32, Duration)> =
            (1..=29u32).map(|retry| (retry, ms(100 * 3u64.pow(retry - 1)))).collect();
        check_delays(
            &p,
            &expected,
            "Backoff { initial: 100 ms, factor: 3, max_delay: Duration::MAX (no cap) }",
        );
    });
}

#[test]
fn delay_saturates_instead_of_overflowing() {
    checker::run(async {
        let p = Backoff { initial: ms(100), factor: 10, max_delay: ms(30_000), max_attempts: u32::MAX };
        check_delays(
            &p,
            &[(4, ms(30_000)), (5, ms(30_000)), (20, ms(30_000)), (1000, ms(30_000)), (u32::MAX, ms(30_000))],
            "Backoff { initial: 100 ms, factor: 10, max_delay: 30 s }: delay(4) is 100 s, capped to 30 s, \
             and every later retry waits 30 s too (10^1000 overflows any integer: stop growing once at the cap)",
        );
    });
}

#[test]
fn delay_reaches_duration_max_without_overflowing() {
    checker::run(async {
        let p = Backoff { initial: Duration::MAX, factor: 2, max_delay: Duration::MAX, max_attempts: 3 };
        check_delays(
            &p,
            &[(1, Duration::MAX), (2, Duration::MAX), (64, Duration::MAX), (u32::MAX, Duration::MAX)],
            "Backoff { initial: Duration::MAX, factor: 2, max_delay: Duration::MAX }: every wait is \
             Duration::MAX, the cap, and computing it must not overflow",
        );
        // 100 ms × u32::MAX² still fits in a Duration; × u32::MAX³ does not and is capped.
        let n = u128::from(u32::MAX);
        let nanos = 100_000_000 * n * n;
        let square = Duration::new((nanos / 1_000_000_000) as u64, (nanos % 1_000_000_000) as u32);
        let p = Backoff { initial: ms(100), factor: u32::MAX, max_delay: Duration::MAX, max_attempts: 3 };
        check_delays(
            &p,
            &[
                (1, ms(100)),
                (2, ms(100) * u32::MAX),
                (3, square),
                (4, Duration::MAX),
                (u32::MAX, Duration::MAX),
            ],
            "Backoff { initial: 100 ms, factor: u32::MAX, max_delay: Duration::MAX }: exact while it fits \
             in a Duration, then capped at max_delay",
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
        check_eq(calls.get(), 1, "a success needs no retry: retry calls the op once");
        assert_returned_at(0, "retry of an op that succeeds at once");
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
            "retry: an op that fails 3 times then succeeds is tried at 0, then after waits of \
             100, 200 and 400 ms (policy.delay(1), delay(2), delay(3))",
        );
        check_eq(result, Ok('v'), "the 4th attempt succeeds: retry returns its value");
        check_eq(calls.get(), 4, "retry calls the op until it succeeds, and not again");
        assert_returned_at(700, "retry returns the instant the 4th attempt succeeds");
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
            "retry: waits of 100, 200, 400, 800, then 1000 ms and no more: max_delay caps the backoff",
        );
    });
}

#[test]
fn retry_caps_the_first_wait_too() {
    checker::run(async {
        let tl = Timeline::new();
        let (op, _calls) = script(&tl, &[Transient(0); 3]);
        let p = Backoff { initial: ms(5000), factor: 2, max_delay: ms(1000), max_attempts: 3 };
        let result = retry(p, op).await;
        assert_tries(
            &tl,
            &tries_at(&[0, 1000, 2000]),
            "retry with initial 5 s over max_delay 1 s: every wait is 1 s, the first one too \
             (wait policy.delay(n), which caps it)",
        );
        check_eq(
            result,
            Err(RetryError::Exhausted { attempts: 3, last: failed("e3") }),
            "retry gives up after the 3rd attempt",
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
            "retry with attempts of 50 ms: each wait starts when the attempt before it has failed",
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
            "attempt 2 fails permanently: retry returns that error with attempts = 2 (the failing \
             attempt included), since retrying cannot help",
        );
        check_eq(calls.get(), 2, "retry makes no attempt after a permanent error");
        assert_returned_at(100, "retry returns the instant attempt 2 fails permanently");
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
            "retry: max_attempts = 4 means 4 attempts in all (the first try and 3 retries): count your loop",
        );
        check_eq(
            result,
            Err(RetryError::Exhausted { attempts: 4, last: failed("e4") }),
            "every attempt failed: retry gives up with the last error",
        );
        assert_returned_at(
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
        check_eq(calls.get(), 1, "retry with max_attempts = 1: one attempt, no retry");
        check_eq(
            result,
            Err(RetryError::Exhausted { attempts: 1, last: failed("e1") }),
            "the only attempt failed: retry gives up with its error",
        );
        assert_returned_at(0, "one failed attempt and nothing to wait for");
    });
}

#[test]
fn retry_with_zero_attempts_is_an_error() {
    checker::run(async {
        let tl = Timeline::new();
        let (op, calls) = script(&tl, &[Step::Ok(0)]);
        let result = retry(policy(0), op).await;
        check_eq(result, Err(RetryError::NoAttempts), "retry: max_attempts = 0 is a broken policy: say so");
        check_eq(
            calls.get(),
            0,
            "a policy of zero attempts runs the op zero times: check it before the loop",
        );
        assert_returned_at(0, "the NoAttempts error comes back at once");
    });
}

// ---- task 3: with_attempt_timeout ---------------------------------------

#[test]
fn with_attempt_timeout_cuts_a_hung_attempt_and_retries() {
    checker::run(async {
        let tl = Timeline::new();
        let (op, _calls) = script(&tl, &[Hang, Step::Ok(50)]);
        let result = with_attempt_timeout(policy(3), ms(250), op).await;
        check_eq(
            result,
            Ok('v'),
            "with_attempt_timeout: a cut attempt counts as transient and is retried: try 2 succeeds",
        );
        assert_tries(
            &tl,
            &[dropped("try 1", 0, 250), done("try 2", 350, 400)],
            "with_attempt_timeout, a limit of 250 ms per attempt: the hung try 1 is cancelled (dropped) \
             at 250 ms, and try 2 starts after the 100 ms backoff",
        );
        assert_returned_at(400, "with_attempt_timeout returns when try 2 succeeds");
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
            "with_attempt_timeout: every attempt hangs: each is cut at 250 ms after its own start, \
             then the backoff runs as usual",
        );
        check_eq(
            result,
            Err(RetryError::Exhausted { attempts: 3, last: AttemptError::TimedOut(ms(250)) }),
            "the last attempt timed out: that is the error with_attempt_timeout gives up with",
        );
        assert_returned_at(1050, "try 3 is cut at 1.050 s and nothing follows it");
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
            "with_attempt_timeout: attempts of 100 ms finish inside the 250 ms limit and are not cut",
        );
        check_eq(
            result,
            Err(RetryError::Permanent { attempts: 2, error: "e2".to_string() }),
            "attempt 2 fails permanently: with_attempt_timeout makes no more attempts",
        );
    });
}

/// An op whose every attempt takes `t` ms, then returns `outcome`; with
/// `t = 0` it is ready at its first poll. Not on a timeline: the test that
/// uses it runs it a hundred times.
fn every_attempt(t: u64, outcome: Outcome) -> impl FnMut() -> Pin<Box<dyn Future<Output = Outcome> + Send>> {
    move || {
        let outcome = outcome.clone();
        Box::pin(async move {
            if t > 0 {
                tokio::time::sleep(ms(t)).await;
            }
            outcome
        })
    }
}

#[test]
fn with_attempt_timeout_lets_an_attempt_that_ends_exactly_at_the_limit_finish() {
    checker::run(async {
        // (limit ms, attempt ms, outcome, what it must give). 33 calls take
        // the cases in turn, and run side by side (one wake-up for all of
        // them): in each call the attempt and the limit are due at the same
        // instant, so a race decided by chance loses one of them (an
        // unbiased select! keeps the attempt in all 33 with chance 2^-33).
        let cases: [(u64, u64, Outcome, Answer); 3] = [
            (250, 250, Ok('v'), Ok('v')),
            (
                250,
                250,
                Err(Failure::Transient("e".into())),
                Err(RetryError::Exhausted { attempts: 1, last: failed("e") }),
            ),
            (0, 0, Ok('v'), Ok('v')),
        ];
        const ROUNDS: usize = 33;
        let calls = (0..ROUNDS).map(|round| {
            let (limit, t, outcome, _) = &cases[round % cases.len()];
            with_attempt_timeout(policy(1), ms(*limit), every_attempt(*t, outcome.clone()))
        });
        let results = join_all(calls.collect()).await;
        let mut wrong: Vec<Vec<Answer>> = vec![Vec::new(); cases.len()];
        for (round, result) in results.into_iter().enumerate() {
            if result != cases[round % cases.len()].3 {
                wrong[round % cases.len()].push(result);
            }
        }
        let total: usize = wrong.iter().map(Vec::len).sum();
        for ((limit, t, outcome, want), wrong) in cases.iter().zip(&wrong) {
            let Some(result) = wrong.first() else { continue };
            let per_case = ROUNDS / cases.len();
            let chance = if wrong.len() < per_case {
                "the same call went one way in some calls and the other way in the rest: a choice made by \
                 chance. a select! between the attempt and a sleep picks a random branch when both are ready \
                 at once, unless it starts with `biased;` and lists the attempt first; \
                 tokio::time::timeout always polls the attempt first."
            } else {
                "tokio::time::timeout polls the attempt before it looks at its timer, so an attempt that is \
                 ready at the limit is never cut."
            };
            fail(format!(
                "with_attempt_timeout with a limit of {limit} ms, one attempt of {t} ms that gives {outcome:?}: \
                 an attempt that ends exactly at the limit is in time (only one that runs *longer* is cut), \
                 so the result should be {want:?}.\n\
                 {} of the {per_case} calls like this one gave something else ({total} of all {ROUNDS} calls); \
                 the first gave {result:?}.\n{chance}\n\
                 look at with_attempt_timeout in src/lib.rs.",
                wrong.len(),
            ));
        }
    });
}

#[test]
fn with_attempt_timeout_with_a_huge_limit_never_cuts() {
    checker::run(async {
        let tl = Timeline::new();
        let (op, _calls) = script(&tl, &[Transient(50), Step::Ok(50)]);
        let result = without_panic(
            "with_attempt_timeout(policy, Duration::MAX, op)",
            "a limit of Duration::MAX means \"no limit\" and must not overflow: `Instant::now() + limit` \
             panics there; tokio::time::timeout(limit, ..) and sleep(limit) handle it.\n\
             look at with_attempt_timeout in src/lib.rs.",
            with_attempt_timeout(policy(3), Duration::MAX, op),
        )
        .await;
        check_eq(result, Ok('v'), "with_attempt_timeout with a limit of Duration::MAX: try 2 succeeds");
        assert_tries(
            &tl,
            &tries(&[(0, 50), (150, 200)]),
            "with_attempt_timeout with a limit of Duration::MAX cuts nothing",
        );
    });
}

#[test]
fn with_attempt_timeout_with_zero_attempts_is_an_error() {
    checker::run(async {
        let tl = Timeline::new();
        let (op, calls) = script(&tl, &[Step::Ok(0)]);
        let result = with_attempt_timeout(policy(0), Duration::ZERO, op).await;
        check_eq(
            result,
            Err(RetryError::NoAttempts),
            "with_attempt_timeout, max_attempts = 0 (and a limit of 0): the policy is checked first, \
             before any attempt",
        );
        check_eq(calls.get(), 0, "zero attempts: the op is never called");
        assert_returned_at(0, "the NoAttempts error comes back at once");
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
            "with_deadline, deadline 1 s: after try 4 at 0.700 s the next wait (800 ms) would end at \
             1.500 s, past the deadline, so there is no try 5 (check now + delay, not now)",
        );
        check_eq(calls.get(), 4, "with_deadline makes no attempt after the deadline");
        check_eq(
            result,
            Err(RetryError::Deadline { attempts: 4, last: failed("e4") }),
            "with_deadline gives up with the last error when the next wait would end past the deadline",
        );
        assert_returned_at(
            700,
            "with_deadline gives up the instant the next wait is known to end too late: sleeping first \
             only wastes time",
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
            "with_deadline, deadline 1.5 s: the 800 ms wait after try 4 ends at 1.500 s, exactly at the \
             deadline and not past it, so try 5 runs (`>` the deadline is too late, `==` is not)",
        );
        check_eq(
            result,
            Err(RetryError::Deadline { attempts: 5, last: failed("e5") }),
            "after try 5 the next wait would end at 2.500 s: with_deadline gives up",
        );
        assert_returned_at(1500, "with_deadline gives up right after try 5");
    });
}

#[test]
fn with_deadline_allows_zero_waits_with_zero_time_left() {
    checker::run(async {
        let tl = Timeline::new();
        let deadline = Instant::now();
        let (op, _calls) = script(&tl, &[Transient(0); 5]);
        let p = Backoff { initial: Duration::ZERO, factor: 2, max_delay: ms(1000), max_attempts: 3 };
        let result = with_deadline(p, deadline, op).await;
        assert_tries(
            &tl,
            &tries_at(&[0, 0, 0]),
            "with_deadline, deadline now and waits of 0 ms: every wait ends exactly at the deadline, \
             which is allowed, so all 3 attempts run at 0",
        );
        check_eq(
            result,
            Err(RetryError::Exhausted { attempts: 3, last: failed("e3") }),
            "the attempts ran out, not the time: Exhausted",
        );
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
            "with_deadline, attempts of 150 ms, deadline 1 s: after try 3 ends at 0.750 s a 400 ms wait \
             would end at 1.150 s. measure from now, not from a sum of the waits",
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
        assert_tries(
            &tl,
            &tries_at(&[0, 100, 300]),
            "with_deadline retries as usual well before the deadline",
        );
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
        check_eq(calls.get(), 3, "with_deadline: max_attempts = 3 still holds with a far deadline");
        check_eq(
            result,
            Err(RetryError::Exhausted { attempts: 3, last: failed("e3") }),
            "the attempts ran out before the deadline did: that is Exhausted, not Deadline",
        );
        assert_returned_at(300, "try 3 fails at 0.300 s and with_deadline gives up then");
    });
}

#[test]
fn with_deadline_says_exhausted_when_both_limits_are_reached() {
    checker::run(async {
        let tl = Timeline::new();
        let deadline = Instant::now() + ms(1000);
        let (op, _calls) = script(&tl, &[Transient(0); 5]);
        let result = with_deadline(policy(4), deadline, op).await;
        assert_tries(&tl, &tries_at(&[0, 100, 300, 700]), "with_deadline: 4 attempts, as the policy allows");
        check_eq(
            result,
            Err(RetryError::Exhausted { attempts: 4, last: failed("e4") }),
            "after try 4, the last of max_attempts = 4, the attempts have run out; the next wait would \
             also end past the 1 s deadline, but there is no next attempt to wait for. out of attempts \
             is Exhausted: check the attempts before the deadline (look at with_deadline)",
        );
        assert_returned_at(700, "with_deadline gives up after try 4");
    });
}

#[test]
fn with_deadline_checks_zero_attempts_before_a_deadline_already_past() {
    checker::run(async {
        let deadline = Instant::now();
        tokio::time::sleep(ms(1000)).await;
        // The deadline passed 1 s ago.
        let tl = Timeline::new();
        let (op, calls) = script(&tl, &[Transient(0); 5]);
        let result = with_deadline(policy(0), deadline, op).await;
        check_eq(
            result,
            Err(RetryError::NoAttempts),
            "with_deadline, max_attempts = 0 and a deadline already past: the broken policy is \
             reported first, as NoAttempts",
        );
        check_eq(calls.get(), 0, "zero attempts: the op is never called");

        let tl = Timeline::new();
        let (op, calls) = script(&tl, &[Transient(0); 5]);
        let result = with_deadline(policy(3), deadline, op).await;
        check_eq(
            calls.get(),
            1,
            "with_deadline, a deadline already past: the first attempt needs no wait, so it runs; \
             only the wait before a retry is checked against the deadline",
        );
        check_eq(
            result,
            Err(RetryError::Deadline { attempts: 1, last: failed("e1") }),
            "after the first attempt, any wait ends past the deadline: Deadline with that attempt's error",
        );
        assert_returned_at(1000, "with_deadline gives up at once");
    });
}

#[test]
fn with_deadline_gives_up_on_a_wait_too_long_to_add() {
    checker::run(async {
        let tl = Timeline::new();
        let deadline = Instant::now() + ms(1000);
        let (op, calls) = script(&tl, &[Transient(0); 5]);
        let p = Backoff { initial: Duration::MAX, factor: 2, max_delay: Duration::MAX, max_attempts: 3 };
        let result = checker::within(
            ms(5000),
            "with_deadline with a backoff of Duration::MAX and a deadline 1 s away",
            "it should have given up at 0.000 s, after try 1: the next wait (Duration::MAX) would end \
             past the deadline. did it start that wait? check now + delay against the deadline, not now.\n\
             look at with_deadline in src/lib.rs.",
            without_panic(
                "with_deadline with a backoff of Duration::MAX",
                "a wait so long that `Instant::now() + delay` cannot even be computed ends past any deadline: \
                 `Instant + Duration` panics on overflow; `checked_add` returns None, which means \"too late\".\n\
                 look at with_deadline in src/lib.rs.",
                with_deadline(p, deadline, op),
            ),
        )
        .await;
        check_eq(
            calls.get(),
            1,
            "with_deadline: the first attempt runs, and no wait of Duration::MAX follows it",
        );
        check_eq(
            result,
            Err(RetryError::Deadline { attempts: 1, last: failed("e1") }),
            "a wait of Duration::MAX ends past the 1 s deadline: with_deadline gives up at once",
        );
        assert_returned_at(0, "with_deadline gives up the instant try 1 fails");

        // A deadline a century away is no deadline at all for 4 attempts.
        let tl = Timeline::new();
        let far = Instant::now() + Duration::from_secs(100 * 365 * 24 * 3600);
        let (op, _calls) = script(&tl, &[Transient(0); 5]);
        let result = without_panic(
            "with_deadline with a deadline 100 years away",
            "a far deadline must not overflow either: compare instants, or use checked_add / \
             checked_duration_since.\nlook at with_deadline in src/lib.rs.",
            with_deadline(policy(4), far, op),
        )
        .await;
        assert_tries(&tl, &tries_at(&[0, 100, 300, 700]), "with_deadline, a deadline 100 years away");
        check_eq(
            result,
            Err(RetryError::Exhausted { attempts: 4, last: failed("e4") }),
            "with a deadline 100 years away, the attempts run out first: Exhausted",
        );
    });
}

// ---- task 5: with_jitter ------------------------------------------------

/// A random source that plays `picks` and records each ceiling it was asked
/// to pick under. Past the end of `picks` it picks the ceiling itself.
fn source(picks: &[Duration]) -> (impl FnMut(Duration) -> Duration + use<>, Arc<Mutex<Vec<Duration>>>) {
    let asked = Arc::new(Mutex::new(Vec::new()));
    let (log, mut picks) = (asked.clone(), picks.iter().copied().collect::<VecDeque<Duration>>());
    let random = move |ceiling: Duration| {
        log.lock().unwrap().push(ceiling);
        picks.pop_front().unwrap_or(ceiling)
    };
    (random, asked)
}

#[test]
fn with_jitter_sleeps_what_the_random_source_picks() {
    checker::run(async {
        let tl = Timeline::new();
        let (random, asked) = source(&[ms(30), ms(170), ms(0), ms(555), ms(1000)]);
        let (op, _calls) = script(&tl, &[Transient(0); 6]);
        let result = with_jitter(policy(6), random, op).await;
        check_eq(
            asked.lock().unwrap().clone(),
            vec![ms(100), ms(200), ms(400), ms(800), ms(1000)],
            "with_jitter: full jitter picks each wait below the (capped) backoff delay: the random \
             source is asked once per retry, for a number up to policy.delay(1), delay(2), ...: \
             100, 200, 400, 800, then 1000 ms, and not after the last attempt",
        );
        assert_tries(
            &tl,
            &tries_at(&[0, 30, 200, 200, 755, 1755]),
            "with_jitter: the waits are the picks, 30, 170, 0, 555 and 1000 ms, not the backoff delays",
        );
        check_eq(
            result,
            Err(RetryError::Exhausted { attempts: 6, last: failed("e6") }),
            "with_jitter gives up after 6 attempts like retry does",
        );
        assert_returned_at(1755, "with_jitter: no wait after the last attempt");
    });
}

#[test]
fn with_jitter_stops_at_the_first_success() {
    checker::run(async {
        let tl = Timeline::new();
        let (random, asked) = source(&[ms(40), ms(90)]);
        let (op, _calls) = script(&tl, &[Transient(0), Transient(0), Step::Ok(0)]);
        let result = with_jitter(policy(5), random, op).await;
        assert_tries(&tl, &tries_at(&[0, 40, 130]), "with_jitter: waits of 40 and 90 ms, as picked");
        check_eq(result, Ok('v'), "try 3 succeeds");
        check_eq(asked.lock().unwrap().len(), 2, "with_jitter: two waits, two picks: none after the success");
    });
}

#[test]
fn with_jitter_never_waits_longer_than_the_backoff() {
    checker::run(async {
        let tl = Timeline::new();
        let (random, _asked) = source(&[ms(5000), Duration::MAX, ms(401)]);
        let (op, _calls) = script(&tl, &[Transient(0); 4]);
        let _ = without_panic(
            "with_jitter with a random source that picks Duration::MAX",
            "clamp the pick to the backoff delay before you use it (pick.min(delay)).\n\
             look at with_jitter in src/lib.rs.",
            with_jitter(policy(4), random, op),
        )
        .await;
        assert_tries(
            &tl,
            &tries_at(&[0, 100, 300, 700]),
            "with_jitter: a random source that picks 5 s, Duration::MAX and 401 ms when asked for at \
             most 100, 200 and 400 ms is clamped: the backoff delay is the most any wait may be",
        );
    });
}

#[test]
fn with_jitter_with_zero_attempts_is_an_error() {
    checker::run(async {
        let tl = Timeline::new();
        let (random, asked) = source(&[]);
        let (op, calls) = script(&tl, &[Step::Ok(0)]);
        let result = with_jitter(policy(0), random, op).await;
        check_eq(result, Err(RetryError::NoAttempts), "with_jitter, max_attempts = 0: NoAttempts, at once");
        check_eq(calls.get(), 0, "zero attempts: the op is never called");
        check_eq(
            asked.lock().unwrap().len(),
            0,
            "zero attempts, zero waits: the random source is never asked",
        );
    });
}
