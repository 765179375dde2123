//! Tests for 03-timeout. The same file tests the stub (in exercises/) and
//! the solution (in solutions/): both build a library called `timeout`.
//!
//! Every job sleeps on the paused virtual clock, so "times out at exactly
//! 2 s" is an `==` that never flakes. Test names start with the task they
//! check.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use futures::FutureExt;

use checker::{Timeline, assert_elapsed, assert_schedule, check_eq, done, dropped, ms};
use timeout::{DeadlineExceeded, Summary, TimedOut, summarize, with_deadline, with_timeout};

/// Fails if the job called `name` ever started.
fn assert_never_started(tl: &Timeline, name: &str, why: &str) {
    if let Some(span) = tl.span(name)
        && let Some(at) = span.fate.started
    {
        checker::fail(format!("{name} started at {}: {why}", checker::fmt_duration(at)));
    }
}

/// Awaits `fut` for a test about a limit of `Duration::MAX`, and turns a
/// panic (an overflowing `Instant + Duration`) into an explanation.
async fn without_overflow<T>(fut: impl Future<Output = T>, call: &str) -> T {
    match AssertUnwindSafe(fut).catch_unwind().await {
        Ok(value) => value,
        Err(_) => checker::fail(format!(
            "{call} panicked (its message is printed above).\n\
             `Instant::now() + Duration::MAX` overflows: a limit that large means \"no limit\".\n\
             let tokio::time::timeout handle it, or use checked_add, or subtract what has elapsed instead of adding."
        )),
    }
}

// ---- task 1: with_timeout -----------------------------------------------

#[test]
fn with_timeout_returns_the_value_of_a_job_that_ends_in_time() {
    checker::run(async {
        let tl = Timeline::new();
        let result = with_timeout(ms(2000), tl.job("A", 1000, 'a')).await;
        check_eq(result, Ok('a'), "with_timeout(2 s, a job of 1 s) returns the job's value");
        assert_elapsed(checker::elapsed(), 1000, "with_timeout(2 s, a job of 1 s) returns when the job ends");
        assert_schedule(&tl, &[done("A", 0, 1000)], "a job that ends in time runs to its end");
    });
}

#[test]
fn with_timeout_lets_a_job_of_exactly_the_limit_succeed() {
    checker::run(async {
        let tl = Timeline::new();
        let result = with_timeout(ms(2000), tl.job("A", 2000, 'a')).await;
        check_eq(
            result,
            Ok('a'),
            "a job that ends at the very instant the limit runs out is in time: tokio::time::timeout polls \
             the job before it looks at the clock",
        );
        assert_elapsed(checker::elapsed(), 2000, "with_timeout(2 s, a job of exactly 2 s)");
    });
}

#[test]
fn with_timeout_cuts_a_slow_job_at_the_limit() {
    checker::run(async {
        let tl = Timeline::new();
        let result = with_timeout(ms(2000), tl.job("A", 5000, 'a')).await;
        check_eq(result, Err(TimedOut { limit: ms(2000) }), "with_timeout(2 s, a job of 5 s) times out");
        assert_elapsed(checker::elapsed(), 2000, "with_timeout(2 s, a job of 5 s) returns at the limit");
        // Give a job that was left running the time to finish, so that it
        // shows on the timeline.
        tokio::time::sleep(ms(5000)).await;
        assert_schedule(
            &tl,
            &[dropped("A", 0, 2000)],
            "a job that times out is cancelled at the limit, not left running in the background",
        );
    });
}

#[test]
fn with_timeout_of_zero_still_returns_a_ready_value() {
    checker::run(async {
        let tl = Timeline::new();
        let ready = with_timeout(Duration::ZERO, tl.track("A", std::future::ready('a'))).await;
        check_eq(
            ready,
            Ok('a'),
            "a job that is ready at once beats even a limit of zero: tokio::time::timeout polls the job first",
        );
        let slow = with_timeout(Duration::ZERO, tl.job("B", 1000, 'b')).await;
        check_eq(
            slow,
            Err(TimedOut { limit: Duration::ZERO }),
            "a job of 1 s under a limit of zero times out",
        );
        assert_elapsed(checker::elapsed(), 0, "with_timeout with a limit of zero");
        assert_schedule(
            &tl,
            &[done("A", 0, 0), dropped("B", 0, 0)],
            "under a limit of zero a job is polled once, then kept if ready or cancelled at once",
        );
    });
}

#[test]
fn with_timeout_of_duration_max_is_no_limit() {
    checker::run(async {
        let tl = Timeline::new();
        let call = "with_timeout(Duration::MAX, a job of 3 s)";
        let result = without_overflow(with_timeout(Duration::MAX, tl.job("A", 3000, 'a')), call).await;
        check_eq(
            result,
            Ok('a'),
            "with_timeout(Duration::MAX, ..) must not overflow: `Instant::now() + Duration::MAX` panics, \
             tokio::time::timeout treats it as no limit",
        );
        assert_elapsed(checker::elapsed(), 3000, "with_timeout(Duration::MAX, a job of 3 s)");
    });
}

// ---- task 2: summarize --------------------------------------------------

/// A 1 s ok, B 2 s fails, C 5 s ok, D 4 s fails: under a limit of 3 s, C
/// and D time out (D never gets to fail).
fn abcd(tl: &Timeline) -> Vec<(String, checker::Job<Result<char, String>>)> {
    vec![
        ("A".into(), tl.job("A", 1000, Ok('a'))),
        ("B".into(), tl.job("B", 2000, Err("disk full".to_string()))),
        ("C".into(), tl.job("C", 5000, Ok('c'))),
        ("D".into(), tl.job("D", 4000, Err("too late to matter".to_string()))),
    ]
}

#[test]
fn summarize_sorts_jobs_into_succeeded_failed_and_timed_out() {
    checker::run(async {
        let tl = Timeline::new();
        let summary = summarize(abcd(&tl), ms(3000)).await;
        check_eq(
            summary,
            Summary {
                succeeded: vec![("A".into(), 'a')],
                failed: vec![("B".into(), "disk full".into())],
                timed_out: vec!["C".into(), "D".into()],
            },
            "under a limit of 3 s: A (1 s) succeeds, B (2 s) fails with its error, C (5 s) and D (4 s) time out",
        );
    });
}

#[test]
fn summarize_runs_every_job_at_once_under_the_limit() {
    checker::run(async {
        let tl = Timeline::new();
        summarize(abcd(&tl), ms(3000)).await;
        assert_schedule(
            &tl,
            &[done("A", 0, 1000), done("B", 0, 2000), dropped("C", 0, 3000), dropped("D", 0, 3000)],
            "summarize runs every job at once; the ones still running at 3 s are cancelled then",
        );
        assert_elapsed(
            checker::elapsed(),
            3000,
            "summarize(A 1 s, B 2 s, C 5 s, D 4 s; limit 3 s) = the limit",
        );
    });
}

#[test]
fn summarize_takes_as_long_as_the_longest_job_when_all_fit() {
    checker::run(async {
        let tl = Timeline::new();
        let jobs = vec![
            ("A".into(), tl.job("A", 1000, Ok('a'))),
            ("B".into(), tl.job("B", 2000, Ok::<_, String>('b'))),
        ];
        let summary = summarize(jobs, ms(3000)).await;
        check_eq(summary.timed_out, vec![], "no job times out when every job fits the limit");
        assert_elapsed(
            checker::elapsed(),
            2000,
            "summarize(A 1 s, B 2 s; limit 3 s) takes as long as the longest job, not the limit",
        );
    });
}

#[test]
fn summarize_of_no_jobs_is_instant() {
    checker::run(async {
        let summary = summarize(Vec::<(String, checker::Job<Result<char, String>>)>::new(), ms(3000)).await;
        check_eq(
            summary,
            Summary { succeeded: vec![], failed: vec![], timed_out: vec![] },
            "no jobs, an empty summary",
        );
        assert_elapsed(checker::elapsed(), 0, "summarize of no jobs");
    });
}

// ---- task 3: with_deadline ----------------------------------------------

fn steps(tl: &Timeline, spec: &[(&str, u64)]) -> Vec<(String, checker::Job<String>)> {
    spec.iter().map(|&(name, ms)| (name.to_string(), tl.job(name, ms, name.to_lowercase()))).collect()
}

#[test]
fn with_deadline_runs_the_steps_one_after_another() {
    checker::run(async {
        let tl = Timeline::new();
        let result =
            with_deadline(steps(&tl, &[("Connect", 1000), ("Login", 1000), ("Fetch", 2000)]), ms(5000)).await;
        check_eq(
            result,
            Ok(vec!["connect".to_string(), "login".to_string(), "fetch".to_string()]),
            "every step ends before the deadline: their values, in order",
        );
        assert_schedule(
            &tl,
            &[done("Connect", 0, 1000), done("Login", 1000, 2000), done("Fetch", 2000, 4000)],
            "with_deadline runs each step after the one before it",
        );
        assert_elapsed(checker::elapsed(), 4000, "with_deadline(1 s + 1 s + 2 s, deadline 5 s)");
    });
}

#[test]
fn with_deadline_fails_at_the_deadline_and_names_the_running_step() {
    checker::run(async {
        let tl = Timeline::new();
        let spec = [("Connect", 2000), ("Login", 2000), ("Fetch", 2000), ("Save", 1000)];
        let result = with_deadline(steps(&tl, &spec), ms(5000)).await;
        assert_schedule(
            &tl,
            &[done("Connect", 0, 2000), done("Login", 2000, 4000), dropped("Fetch", 4000, 5000)],
            "one deadline for all the steps: Fetch gets the 1 s that is left, not 5 s of its own",
        );
        check_eq(
            result,
            Err(DeadlineExceeded { step: "Fetch".into(), deadline: ms(5000) }),
            "steps of 2 s, 2 s, 2 s under one deadline of 5 s: it passes during Fetch, the step then running",
        );
        assert_elapsed(checker::elapsed(), 5000, "with_deadline fails at exactly the deadline");
        assert_never_started(&tl, "Save", "no step starts after the deadline has passed");
    });
}

#[test]
fn with_deadline_lets_a_step_end_exactly_at_the_deadline() {
    checker::run(async {
        let tl = Timeline::new();
        let result = with_deadline(steps(&tl, &[("Connect", 2000), ("Fetch", 3000)]), ms(5000)).await;
        check_eq(
            result,
            Ok(vec!["connect".to_string(), "fetch".to_string()]),
            "a step that ends at the very instant of the deadline is in time, as with with_timeout",
        );
        assert_elapsed(checker::elapsed(), 5000, "with_deadline(2 s + 3 s, deadline 5 s)");
    });
}

#[test]
fn with_deadline_of_duration_max_never_overflows() {
    checker::run(async {
        let tl = Timeline::new();
        let call = "with_deadline(steps of 1 s and 2 s, Duration::MAX)";
        let steps = steps(&tl, &[("Connect", 1000), ("Fetch", 2000)]);
        let result = without_overflow(with_deadline(steps, Duration::MAX), call).await;
        check_eq(
            result,
            Ok(vec!["connect".to_string(), "fetch".to_string()]),
            "with_deadline(.., Duration::MAX) means no deadline; `Instant::now() + Duration::MAX` overflows and panics",
        );
        assert_elapsed(checker::elapsed(), 3000, "with_deadline(1 s + 2 s, deadline Duration::MAX)");
    });
}

#[test]
fn with_deadline_of_no_steps_is_ok_and_instant() {
    checker::run(async {
        let result = with_deadline(Vec::<(String, checker::Job<String>)>::new(), ms(5000)).await;
        check_eq(result, Ok(vec![]), "no steps, nothing to miss the deadline");
        assert_elapsed(checker::elapsed(), 0, "with_deadline of no steps");
    });
}
