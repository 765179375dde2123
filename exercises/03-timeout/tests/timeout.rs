//! Tests for 03-timeout. The same file tests the stub (in exercises/) and
//! the solution (in solutions/): both build a library called `timeout`.
//!
//! Every job sleeps on the paused virtual clock, so "times out at exactly
//! 2 s" is an `==` that never flakes. Test names start with the task they
//! check.
//!
//! Where the spec decides who wins when a job and its limit fall due at the
//! same instant (the job does: it is polled first), the test stages that
//! tie 32 times. A `select!` without `biased;` picks its branch at random,
//! so it loses at least one of 32 ties on every run (all but 2^-32 of them):
//! the verdict never depends on luck.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use futures::future::join_all;

use checker::{
    End, Timeline, assert_elapsed, assert_never_started, assert_returned_after, assert_schedule, check_eq,
    done, dropped, first_difference, ms,
};
use timeout::{DeadlineExceeded, Summary, TimedOut, summarize, with_deadline, with_timeout};

/// How many times a test stages a tie whose winner the spec decides.
const ROUNDS: usize = 32;

/// Limits and deadlines too large to mean anything but "no limit". The
/// first two cannot be added to any instant (`Instant::now() + d` panics);
/// the last two can, and must not break the arithmetic either.
const HUGE: [(&str, Duration); 4] = [
    ("Duration::MAX", Duration::MAX),
    ("Duration::from_secs(u64::MAX)", Duration::from_secs(u64::MAX)),
    ("Duration::from_millis(u64::MAX)", Duration::from_millis(u64::MAX)),
    ("100 years", Duration::from_secs(100 * 365 * 24 * 3600)),
];

/// Awaits `fut`, a call with a huge limit, and turns a panic into an
/// explanation that says what the panic was.
/// `note` is added to the explanation.
async fn without_panic<T>(fut: impl Future<Output = T>, call: &str, note: &str) -> T {
    checker::without_panic(fut, call, |text| {
        let why = if text.contains("overflow") {
            "that is an integer overflow: `Instant::now() + limit` cannot hold an instant that far away.\n\
             A limit that large means \"no limit\": let tokio::time::timeout / sleep handle it, use \
             Instant::checked_add (None = no limit), or subtract what has elapsed from the limit instead \
             of adding the limit to now."
        } else {
            "a limit that large means \"no limit\"; nothing should panic."
        };
        format!("{why}{note}")
    })
    .await
}

/// Fails unless the job won every one of `rounds` ties against its limit;
/// `lost` lists the rounds (from 1) it lost. Says whether the limit won
/// every time (the clock is looked at first) or some of the time (a random
/// choice: `select!` without `biased;`).
fn assert_job_wins_every_tie(lost: &[usize], rounds: usize, what: &str, function: &str) {
    if lost.is_empty() {
        return;
    }
    let how = if lost.len() == rounds {
        format!(
            "the limit won all {rounds} ties: your {function} lets the limit decide before it sees that the job \
             is done (a `biased;` select! with the sleep above the job, a look at the clock or at what is left \
             before the job is polled, or a job spawned as a task, whose result arrives after the timer has \
             fired).\nPoll the job first, in place: tokio::time::timeout does, and a select! needs `biased;` \
             with the job's branch above the sleep."
        )
    } else {
        let shown: Vec<String> = lost.iter().take(8).map(usize::to_string).collect();
        format!(
            "the limit won {} of {rounds} ties (ties {}{}) and the job the others: the same code gave \
             different answers, so the winner was picked at random.\nA tokio::select! without `biased;` polls \
             its branches in a random order. Write `biased;` first and put the job's branch above the sleep, \
             or use tokio::time::timeout, which always polls the job first.",
            lost.len(),
            shown.join(", "),
            if lost.len() > 8 { ", …" } else { "" }
        )
    };
    checker::fail(format!("{what}\n{how}"))
}

/// Asserts that a call made at `since` returned at exactly `expected_ms`
/// later, for calls whose timing is set by a limit: too late means a job
/// ran past its limit, too early that the call gave up before it.
fn assert_returns_after(since: Duration, expected_ms: u64, call: &str) {
    assert_returned_after(
        checker::elapsed() - since,
        expected_ms,
        call,
        "did it wait on after the job had ended, or leave a job (or step) running past its limit? A job is \
         cut off the very instant its limit runs out, not checked once it has ended.",
        "did it give up before the limit ran out, or stop waiting for a job that was in time?",
    );
}

// ---- task 1: with_timeout -----------------------------------------------

#[test]
fn with_timeout_returns_the_value_of_a_job_that_ends_in_time() {
    checker::run(async {
        let tl = Timeline::new();
        let result = with_timeout(ms(2000), tl.job("A", 1000, 'a')).await;
        check_eq(result, Ok('a'), "with_timeout(2 s, a job of 1 s) returns the job's value");
        assert_returns_after(
            Duration::ZERO,
            1000,
            "with_timeout(2 s, a job of 1 s) returns when the job ends",
        );
        assert_schedule(&tl, &[done("A", 0, 1000)], "a job that ends in time runs to its end");
    });
}

#[test]
fn with_timeout_lets_a_job_of_exactly_the_limit_succeed() {
    checker::run(async {
        // Tie 1 is the README's (2 s under 2 s); then 32 more at once, each
        // a job of 100 ms under 100 ms: a random winner cannot win them all.
        let tl = Timeline::new();
        let mut lost = Vec::new();
        if with_timeout(ms(2000), tl.job("A", 2000, 1)).await != Ok(1) {
            lost.push(1);
        }
        assert_returns_after(Duration::ZERO, 2000, "with_timeout(2 s, a job of exactly 2 s) returns at 2 s");
        let before = checker::elapsed();
        let ties = (2..=ROUNDS + 1).map(|i| with_timeout(ms(100), tl.job(format!("J{i}"), 100, i)));
        for (i, result) in (2..).zip(join_all(ties).await) {
            if result != Ok(i) {
                lost.push(i);
            }
        }
        assert_returns_after(
            before,
            100,
            "32 calls of with_timeout(100 ms, a job of exactly 100 ms) at once",
        );
        assert_job_wins_every_tie(
            &lost,
            ROUNDS + 1,
            "with_timeout(2 s, a job of exactly 2 s), then 32 calls of with_timeout(100 ms, a job of exactly \
             100 ms): each must return the job's value. A job that ends at the very instant the limit runs out \
             is in time: tokio polls the job before it looks at the clock.",
            "with_timeout",
        );
    });
}

#[test]
fn with_timeout_cuts_a_slow_job_at_the_limit() {
    checker::run(async {
        let tl = Timeline::new();
        let result = with_timeout(ms(2000), tl.job("A", 5000, 'a')).await;
        check_eq(result, Err(TimedOut { limit: ms(2000) }), "with_timeout(2 s, a job of 5 s) times out");
        assert_returns_after(Duration::ZERO, 2000, "with_timeout(2 s, a job of 5 s) returns at the limit");
        // Looked at the moment with_timeout returns, before anything else
        // runs: the job must be gone already, not merely asked to stop.
        assert_schedule(
            &tl,
            &[dropped("A", 0, 2000)],
            "when with_timeout returns its error at 2 s, the job is already cancelled (dropped): a timeout on a \
             spawned task's JoinHandle leaves the task running, and JoinHandle::abort() only takes effect later",
        );
    });
}

#[test]
fn with_timeout_of_zero_still_returns_a_ready_value() {
    checker::run(async {
        let tl = Timeline::new();
        // A job that is ready at once against a limit of zero, 32 times.
        let mut lost = Vec::new();
        for round in 1..=ROUNDS {
            let ready = if round == 1 {
                with_timeout(Duration::ZERO, tl.track("A", std::future::ready(round))).await
            } else {
                with_timeout(Duration::ZERO, std::future::ready(round)).await
            };
            if ready != Ok(round) {
                lost.push(round);
            }
        }
        assert_job_wins_every_tie(
            &lost,
            ROUNDS,
            "with_timeout(0 ms, a job that is ready at once), 32 times: the value must come back every time, \
             since the job is polled before the limit is looked at.",
            "with_timeout",
        );
        let slow = with_timeout(Duration::ZERO, tl.job("B", 1000, 0)).await;
        check_eq(
            slow,
            Err(TimedOut { limit: Duration::ZERO }),
            "a job of 1 s under a limit of zero times out",
        );
        assert_returns_after(Duration::ZERO, 0, "with_timeout with a limit of zero returns at once");
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
        for (i, (name, limit)) in HUGE.into_iter().enumerate() {
            let tl = Timeline::new();
            let job = format!("J{}", i + 1);
            let call = format!("with_timeout({name}, a job of 3 s)");
            let before = checker::elapsed();
            let result = without_panic(with_timeout(limit, tl.job(&job, 3000, 'a')), &call, "").await;
            check_eq(
                result,
                Ok('a'),
                &format!(
                    "{call} returns the job's value: a limit too large to add to the current instant means no \
                     limit (tokio::time::timeout treats it so); it must not count as already run out"
                ),
            );
            assert_returns_after(before, 3000, &format!("{call} returns when the job ends"));
        }
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
            "summarize runs every job at once; the ones still running at 3 s are cancelled then, before \
             summarize returns",
        );
        assert_elapsed(
            checker::elapsed(),
            3000,
            "summarize(A 1 s, B 2 s, C 5 s, D 4 s; limit 3 s) = the limit",
        );
    });
}

/// A summary with every list in a canonical order, to tell "the wrong
/// jobs in a list" from "the right jobs in the wrong order".
fn sorted<T: Ord + Clone, E: Ord + Clone>(s: &Summary<T, E>) -> Summary<T, E> {
    let mut s = s.clone();
    s.succeeded.sort();
    s.failed.sort();
    s.timed_out.sort();
    s
}

/// The names in each list of a summary: succeeded, failed, timed out.
fn names<T, E>(s: &Summary<T, E>) -> [Vec<&str>; 3] {
    [
        s.succeeded.iter().map(|(n, _)| n.as_str()).collect(),
        s.failed.iter().map(|(n, _)| n.as_str()).collect(),
        s.timed_out.iter().map(String::as_str).collect(),
    ]
}

/// `[A, B, C, …]`, at most 12 names.
fn short(names: &[&str]) -> String {
    let shown = names.iter().take(12).copied().collect::<Vec<_>>().join(", ");
    if names.len() > 12 { format!("[{shown}, … {} in all]", names.len()) } else { format!("[{shown}]") }
}

/// Checks that `yours` has each job in the right list, then that each list
/// is in input order. Only the second is what the calling test is about.
fn check_input_order<T, E>(yours: Summary<T, E>, expected: Summary<T, E>, what: &str)
where
    T: Ord + Clone + std::fmt::Debug,
    E: Ord + Clone + std::fmt::Debug,
{
    const LISTS: [&str; 3] = ["succeeded", "failed", "timed_out"];
    let (want, got) = (names(&expected), names(&yours));
    if sorted(&yours) != sorted(&expected) {
        let mut lines = vec![format!(
            "{what}: before their order, the jobs are not in the right lists, or not with the right values \
             (summarize_sorts_jobs_into_succeeded_failed_and_timed_out checks that)."
        )];
        for (i, list) in LISTS.iter().enumerate() {
            lines.push(format!("  {list}: expected {}, yours {}", short(&want[i]), short(&got[i])));
        }
        checker::fail(lines.join("\n"));
    }
    for (i, list) in LISTS.iter().enumerate() {
        if want[i] != got[i] {
            let at = first_difference(&got[i], &want[i]).unwrap_or(0);
            checker::fail(format!(
                "{what}: `{list}` holds the right jobs in another order. Each list is in input order (the order \
                 the jobs were given), whatever order the jobs ended in.\n  expected: {}\n  yours:    {}\n\
                 the first difference is at position {at}: {} where {} should be.\nDid you file each outcome as \
                 it came in (FuturesUnordered, select_all)? Keep each job's index, or use join_all, which returns \
                 its outputs in input order.",
                short(&want[i]),
                short(&got[i]),
                got[i][at],
                want[i][at]
            ));
        }
    }
    // Same names in the same order: any difference left is in the values.
    check_eq(yours, expected, &format!("{what}: each job with its own value or error"));
}

#[test]
fn summarize_lists_each_outcome_in_input_order() {
    checker::run(async {
        let tl = Timeline::new();
        // They end in the reverse of the order they are given: E, D, B, A,
        // then C and F are cut at 5 s.
        let jobs = vec![
            ("A".to_string(), tl.job("A", 4000, Ok('a'))),
            ("B".to_string(), tl.job("B", 3000, Err("b failed".to_string()))),
            ("C".to_string(), tl.job("C", 6000, Ok('c'))),
            ("D".to_string(), tl.job("D", 2000, Ok('d'))),
            ("E".to_string(), tl.job("E", 1000, Err("e failed".to_string()))),
            ("F".to_string(), tl.job("F", 7000, Ok('f'))),
        ];
        let summary = summarize(jobs, ms(5000)).await;
        check_input_order(
            summary,
            Summary {
                succeeded: vec![("A".into(), 'a'), ("D".into(), 'd')],
                failed: vec![("B".into(), "b failed".into()), ("E".into(), "e failed".into())],
                timed_out: vec!["C".into(), "F".into()],
            },
            "summarize(A 4 s ok, B 3 s err, C 6 s, D 2 s ok, E 1 s err, F 7 s; limit 5 s)",
        );
    });
}

#[test]
fn summarize_keeps_input_order_among_100_jobs_that_end_together() {
    checker::run(async {
        let tl = Timeline::new();
        // Job i: ends at 1 s with Ok(i) or Err(i), or runs 5 s and is cut at
        // 2 s. Every list has 33 or 34 jobs that end at one instant.
        let mut expected = Summary { succeeded: vec![], failed: vec![], timed_out: vec![] };
        let mut jobs = Vec::new();
        for i in 0..100u32 {
            let name = format!("J{i:02}");
            let (ms, result) = match i % 3 {
                0 => (1000, Ok(i)),
                1 => (1000, Err(i)),
                _ => (5000, Ok(i)),
            };
            match (i % 3, result) {
                (0, Ok(v)) => expected.succeeded.push((name.clone(), v)),
                (1, Err(e)) => expected.failed.push((name.clone(), e)),
                _ => expected.timed_out.push(name.clone()),
            }
            jobs.push((name.clone(), tl.job(name, ms, result)));
        }
        let summary = summarize(jobs, ms(2000)).await;
        check_input_order(
            summary,
            expected,
            "summarize(100 jobs that end at 1 s or are cut at 2 s; limit 2 s)",
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
fn summarize_under_a_limit_of_zero_keeps_the_jobs_that_are_ready_at_once() {
    checker::run(async {
        let tl = Timeline::new();
        type Boxed = Pin<Box<dyn Future<Output = Result<u32, u32>> + Send>>;
        // 32 jobs that are ready at once (even ones succeed, odd ones fail),
        // and one of 1 s, S, in the middle.
        let mut jobs: Vec<(String, Boxed)> = Vec::new();
        let mut expected = Summary { succeeded: vec![], failed: vec![], timed_out: vec!["S".to_string()] };
        for i in 0..ROUNDS as u32 {
            let name = format!("R{i:02}");
            let result = if i % 2 == 0 { Ok(i) } else { Err(i) };
            match result {
                Ok(v) => expected.succeeded.push((name.clone(), v)),
                Err(e) => expected.failed.push((name.clone(), e)),
            }
            jobs.push((name.clone(), Box::pin(tl.ready_job(name, result))));
            if i == 15 {
                jobs.push(("S".into(), Box::pin(tl.job("S", 1000, Ok(99)))));
            }
        }
        let summary = summarize(jobs, Duration::ZERO).await;
        let lost: Vec<usize> =
            (1..=ROUNDS).filter(|&i| summary.timed_out.contains(&format!("R{:02}", i - 1))).collect();
        assert_job_wins_every_tie(
            &lost,
            ROUNDS,
            "summarize(32 jobs that are ready at once and S, a job of 1 s; limit 0 ms): the ready jobs still count \
             as succeeded or failed (each job is polled before its limit is looked at, as in with_timeout)",
            "summarize",
        );
        check_eq(
            summary,
            expected,
            "summarize(32 jobs that are ready at once and S, a job of 1 s; limit 0 ms): even-numbered ones \
             succeed, odd-numbered ones fail, S times out at 0 s; each list in input order",
        );
        assert_returns_after(Duration::ZERO, 0, "summarize with a limit of zero returns at once");
    });
}

#[test]
fn summarize_with_a_huge_limit_times_nothing_out() {
    checker::run(async {
        for (name, limit) in HUGE {
            let tl = Timeline::new();
            let jobs = vec![
                ("A".to_string(), tl.job("A", 1000, Ok('a'))),
                ("B".to_string(), tl.job("B", 2000, Err("disk full".to_string()))),
            ];
            let call = format!("summarize(A 1 s ok, B 2 s err; limit {name})");
            let before = checker::elapsed();
            let summary = without_panic(
                summarize(jobs, limit),
                &call,
                "\nif summarize calls your with_timeout, the panic may come from there.",
            )
            .await;
            check_eq(
                summary,
                Summary {
                    succeeded: vec![("A".into(), 'a')],
                    failed: vec![("B".into(), "disk full".into())],
                    timed_out: vec![],
                },
                &format!("{call}: a limit that large is no limit, so no job times out"),
            );
            assert_elapsed(
                checker::elapsed() - before,
                2000,
                &format!("{call} takes as long as the longest job"),
            );
        }
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

/// A step as a boxed future: a job of some milliseconds, or (`None`) one
/// that is ready at once.
type Step = Pin<Box<dyn Future<Output = String> + Send>>;

fn mixed_steps(tl: &Timeline, spec: &[(&str, Option<u64>)]) -> Vec<(String, Step)> {
    spec.iter()
        .map(|&(name, ms)| {
            let value = name.to_lowercase();
            let step: Step = match ms {
                Some(ms) => Box::pin(tl.job(name, ms, value)),
                None => Box::pin(tl.ready_job(name, value)),
            };
            (name.to_string(), step)
        })
        .collect()
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
        assert_returns_after(Duration::ZERO, 4000, "with_deadline(1 s + 1 s + 2 s, deadline 5 s)");
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
            "one deadline for all the steps, counted from the call: Fetch gets the 1 s that is left and is \
             cancelled at 5 s, before with_deadline returns",
        );
        check_eq(
            result,
            Err(DeadlineExceeded { step: "Fetch".into(), deadline: ms(5000) }),
            "steps of 2 s, 2 s, 2 s under one deadline of 5 s: it passes during Fetch, the step then running; \
             `deadline` is the overall deadline given to with_deadline",
        );
        assert_returns_after(Duration::ZERO, 5000, "with_deadline fails at exactly the deadline");
        assert_never_started(&tl, "Save", "no step starts after the deadline has passed");
    });
}

#[test]
fn with_deadline_lets_a_step_end_exactly_at_the_deadline() {
    checker::run(async {
        // Tie 1 is the README's (2 s + 3 s under 5 s); then 32 more chains
        // at once, each 20 ms + 30 ms under 50 ms.
        let tl = Timeline::new();
        let both = |c: &str, f: &str| Ok(vec![c.to_lowercase(), f.to_lowercase()]);
        let mut lost = Vec::new();
        if with_deadline(steps(&tl, &[("Connect", 2000), ("Fetch", 3000)]), ms(5000)).await
            != both("Connect", "Fetch")
        {
            lost.push(1);
        }
        assert_returns_after(Duration::ZERO, 5000, "with_deadline(2 s + 3 s, deadline 5 s) returns at 5 s");
        let before = checker::elapsed();
        let names: Vec<(String, String)> =
            (2..=ROUNDS + 1).map(|i| (format!("C{i}"), format!("F{i}"))).collect();
        let chains = names.iter().map(|(c, f)| with_deadline(steps(&tl, &[(c, 20), (f, 30)]), ms(50)));
        for ((i, (c, f)), result) in (2..).zip(&names).zip(join_all(chains).await) {
            if result != both(c, f) {
                lost.push(i);
            }
        }
        assert_returns_after(before, 50, "32 calls of with_deadline(20 ms + 30 ms, deadline 50 ms) at once");
        assert_job_wins_every_tie(
            &lost,
            ROUNDS + 1,
            "with_deadline(2 s + 3 s, deadline 5 s), then 32 calls of with_deadline(20 ms + 30 ms, deadline \
             50 ms): each must return both values. The last step ends at the very instant of the deadline, and \
             a step that does is in time, as with with_timeout.",
            "with_deadline",
        );
    });
}

#[test]
fn with_deadline_still_runs_a_step_that_is_ready_when_0_ms_are_left() {
    checker::run(async {
        // A deadline of zero: every step has 0 ms left. The ones that are
        // ready at once still count; the first that is not fails at once.
        let mut lost = Vec::new();
        for round in 1..=ROUNDS {
            let tl = Timeline::new();
            let spec = [("Ready", None), ("Also", None), ("Slow", Some(10)), ("Never", None)];
            let result = with_deadline(mixed_steps(&tl, &spec), Duration::ZERO).await;
            // A ready step that was named without being let to complete was
            // refused: the clock was looked at before the step.
            let refused = |step: &str| {
                (step == "Ready" || step == "Also")
                    && !matches!(tl.span(step).and_then(|s| s.fate.ended), Some(End::Completed(_)))
            };
            match result {
                Err(DeadlineExceeded { step, deadline: Duration::ZERO }) if step == "Slow" => {}
                Err(DeadlineExceeded { step, .. }) if refused(&step) => lost.push(round),
                other => checker::fail(format!(
                    "with_deadline(Ready, Also (both ready at once), Slow (10 ms), Never; deadline 0 ms) must fail \
                     at once naming Slow, the first step that is not ready.\n  expected: {:?}\n  yours:    \
                     {other:?}",
                    Err::<Vec<String>, _>(DeadlineExceeded { step: "Slow".into(), deadline: Duration::ZERO })
                )),
            }
            assert_returns_after(Duration::ZERO, 0, "with_deadline with a deadline of zero returns at once");
            if round == 1 && lost.is_empty() {
                assert_schedule(
                    &tl,
                    &[done("Ready", 0, 0), done("Also", 0, 0), dropped("Slow", 0, 0)],
                    "with 0 ms left each step is still polled once: kept if ready, cancelled at once if not",
                );
                assert_never_started(&tl, "Never", "no step starts after the deadline has passed");
            }
        }
        assert_job_wins_every_tie(
            &lost,
            ROUNDS,
            &format!(
                "with_deadline(two steps that are ready at once, then one of 10 ms; deadline 0 ms), {ROUNDS} times: \
                 with 0 ms left, a step that is ready at once is still in time, every time."
            ),
            "with_deadline",
        );
    });
}

#[test]
fn with_deadline_of_duration_max_never_overflows() {
    checker::run(async {
        for (name, total) in HUGE {
            let tl = Timeline::new();
            let call = format!("with_deadline(steps of 1 s and 2 s, {name})");
            let steps = steps(&tl, &[("Connect", 1000), ("Fetch", 2000)]);
            let before = checker::elapsed();
            let result = without_panic(with_deadline(steps, total), &call, "").await;
            check_eq(
                result,
                Ok(vec!["connect".to_string(), "fetch".to_string()]),
                &format!("{call} returns both values: a deadline that far away is no deadline"),
            );
            assert_returns_after(before, 3000, &format!("{call} takes 1 s + 2 s"));
        }
    });
}

#[test]
fn with_deadline_of_no_steps_is_ok_and_instant() {
    checker::run(async {
        let result = with_deadline(Vec::<(String, checker::Job<String>)>::new(), ms(5000)).await;
        check_eq(result, Ok(vec![]), "no steps, nothing to miss the deadline");
        assert_returns_after(Duration::ZERO, 0, "with_deadline of no steps");
    });
}
