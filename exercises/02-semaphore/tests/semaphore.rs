//! Tests for 02-semaphore. The same file tests the stub (in exercises/) and
//! the solution (in solutions/): both build a library called `semaphore`.
//!
//! Every job sleeps on the paused virtual clock, so "50 jobs take exactly
//! 10 s" is an `==` that never flakes. Test names start with the task they
//! check. Every "in input order" claim is tested with jobs that finish in
//! another order (and with 100 jobs that end at one instant), every bound
//! on `k` at the bound itself (`MAX_PERMITS` is accepted, one more is not),
//! and "no more than k tasks exist at once" with tokio's own count of live
//! tasks, since a limit kept *inside* each task looks the same on the chart.

use std::future::Future;
use std::time::Duration;

use checker::{
    Job, Timeline, assert_elapsed, assert_none_started, assert_peak, assert_schedule, check_eq, done,
    dropped, fmt_duration, ms, named, panicked, sleep_until_ms,
};
use semaphore::{JobError, LimitError, Limiter, run_limited, spawn_limited};
use tokio::sync::Semaphore;

/// The largest limit a tokio semaphore holds: it must be accepted.
const MAX: usize = Semaphore::MAX_PERMITS;

// ---- helpers ------------------------------------------------------------

/// Awaits `fut`, which must return at once: a bad limit is an error, not a
/// wait.
async fn at_once<T>(fut: impl Future<Output = T>, what: &str) -> T {
    let hint = "a bad k must come back as a LimitError at once, before any semaphore is built or any \
                job runs: a semaphore with 0 permits never lets a job in. Check k first.";
    checker::at_once(fut, what, hint).await
}

/// What a call with a bad k must not do.
const TOUCHED: &str = "Check k before you touch the jobs.";

/// `n` jobs of 1 s named J00, J01, ..., each returning its index.
fn one_second_jobs(tl: &Timeline, n: usize) -> Vec<Job<usize>> {
    (0..n).map(|i| tl.job(format!("J{i:02}"), 1000, i)).collect()
}

/// The same, named for `spawn_limited`, each returning `Ok(index)`.
fn named_one_second_jobs(tl: &Timeline, n: usize) -> Vec<(String, Job<Result<usize, String>>)> {
    (0..n).map(|i| (format!("J{i:02}"), tl.job(format!("J{i:02}"), 1000, Ok(i)))).collect()
}

/// The FIFO jobs of the spec: A 3 s, B 1 s, C 1 s, D 2 s, E 1 s.
fn mixed(tl: &Timeline) -> Vec<Job<char>> {
    vec![
        tl.job("A", 3000, 'a'),
        tl.job("B", 1000, 'b'),
        tl.job("C", 1000, 'c'),
        tl.job("D", 2000, 'd'),
        tl.job("E", 1000, 'e'),
    ]
}

/// Jobs that finish in another order than they were given. With `k = 3`:
/// A 0–4 s, B 0–3.5 s, C 0–1 s, D 1–2 s, E 2–3 s, so they finish
/// C, D, E, B, A, no two at the same instant.
const OUT_OF_ORDER_MS: [(&str, u64); 5] = [("A", 4000), ("B", 3500), ("C", 1000), ("D", 1000), ("E", 1000)];

/// The order the jobs of `tl` ended in (returned, failed or panicked), as
/// the timeline saw it: "C, D, E, B, A".
fn finish_order(tl: &Timeline) -> String {
    let mut ended: Vec<(Duration, usize, String)> = tl
        .spans()
        .into_iter()
        .enumerate()
        .filter_map(|(i, s)| s.fate.ended.map(|e| (e.at(), i, s.name)))
        .collect();
    ended.sort();
    let names: Vec<String> = ended.into_iter().map(|(_, _, name)| name).collect();
    if names.len() > 8 {
        format!("{}, ... ({} jobs)", names[..8].join(", "), names.len())
    } else {
        names.join(", ")
    }
}

/// Fails unless exactly `k` tasks were alive at each sampled instant, with
/// `k` jobs in flight at each of them. `samples` pairs an instant with the
/// count seen then.
fn assert_k_tasks_alive(samples: &[(u64, usize)], k: usize, what: &str) {
    for &(at, live) in samples {
        if live > k {
            checker::fail(format!(
                "{what}: at {}, {live} tasks were alive while {k} jobs ran; no more than k = {k} tasks \
                 may exist at once.\n\
                 a task that waits for its permit inside still exists: in spawn_limited (src/lib.rs), \
                 wait for the permit *before* tokio::spawn and move it into the task.",
                fmt_duration(ms(at))
            ));
        }
        if live < k {
            checker::fail(format!(
                "{what}: at {}, {k} jobs were running but only {live} tasks were alive.\n\
                 spawn_limited (src/lib.rs) runs each job as its own task: tokio::spawn one per job.",
                fmt_duration(ms(at))
            ));
        }
    }
}

// ---- task 1: run_limited ------------------------------------------------

#[test]
fn run_limited_caps_in_flight_at_k() {
    checker::run(async {
        let tl = Timeline::new();
        let _ = run_limited(one_second_jobs(&tl, 50), 5).await;
        assert_peak(&tl, 5, "run_limited(50 jobs of 1 s, k = 5)");
        assert_elapsed(checker::elapsed(), 10_000, "run_limited(50 jobs of 1 s, k = 5): 10 rounds of 5");
    });
}

#[test]
fn run_limited_starts_jobs_in_batches_of_k() {
    checker::run(async {
        let tl = Timeline::new();
        let _ = run_limited(one_second_jobs(&tl, 50), 5).await;
        let expected: Vec<_> = (0..50u64)
            .map(|i| {
                let start = (i / 5) * 1000;
                done(&format!("J{i:02}"), start, start + 1000)
            })
            .collect();
        assert_schedule(
            &tl,
            &expected,
            "run_limited(50 jobs of 1 s, k = 5) starts 5 jobs at each of 0 s, 1 s, ..., 9 s, in input order",
        );
    });
}

#[test]
fn run_limited_admits_jobs_first_come_first_served() {
    checker::run(async {
        let tl = Timeline::new();
        let _ = run_limited(mixed(&tl), 2).await;
        assert_schedule(
            &tl,
            &[
                done("A", 0, 3000),
                done("B", 0, 1000),
                done("C", 1000, 2000),
                done("D", 2000, 4000),
                done("E", 3000, 4000),
            ],
            "run_limited(k = 2) gives each freed permit, the instant it frees, to the job that has waited longest",
        );
        assert_elapsed(checker::elapsed(), 4000, "run_limited(A 3 s, B 1 s, C 1 s, D 2 s, E 1 s; k = 2)");
    });
}

#[test]
fn run_limited_returns_results_in_input_order() {
    checker::run(async {
        let tl = Timeline::new();
        let jobs: Vec<_> =
            OUT_OF_ORDER_MS.iter().map(|&(name, d)| tl.job(name, d, name.to_lowercase())).collect();
        let results = run_limited(jobs, 3).await;
        check_eq(
            results,
            Ok(["a", "b", "c", "d", "e"].map(String::from).to_vec()),
            &format!(
                "run_limited (src/lib.rs) returns the results in input order (A, B, C, D, E), whatever \
                 order the jobs finish in; yours finished in the order {}",
                finish_order(&tl)
            ),
        );
    });
}

#[test]
fn run_limited_returns_results_in_input_order_when_100_jobs_end_together() {
    checker::run(async {
        let tl = Timeline::new();
        let results = run_limited(one_second_jobs(&tl, 100), 100).await;
        check_eq(
            results,
            Ok((0..100).collect::<Vec<_>>()),
            "run_limited(100 jobs of 1 s, k = 100): all end at 1 s, and the results come back in input \
             order (a sort or a stream that keeps equals in order only by luck does not)",
        );
    });
}

#[test]
fn run_limited_rejects_a_limit_of_zero_at_once() {
    checker::run(async {
        let tl = Timeline::new();
        let result = at_once(run_limited(one_second_jobs(&tl, 3), 0), "run_limited(jobs, k = 0)").await;
        check_eq(result, Err(LimitError::Zero), "run_limited with k = 0 returns LimitError::Zero");
        assert_none_started(&tl, "run_limited with k = 0", TOUCHED);
    });
}

#[test]
fn run_limited_rejects_a_limit_above_max_permits() {
    checker::run(async {
        for k in [MAX + 1, usize::MAX] {
            let tl = Timeline::new();
            let call = format!("run_limited(jobs, k = {k})");
            let result = at_once(run_limited(one_second_jobs(&tl, 3), k), &call).await;
            check_eq(
                result,
                Err(LimitError::TooLarge(k)),
                &format!(
                    "{call}: k above Semaphore::MAX_PERMITS ({MAX}) is LimitError::TooLarge(k), \
                     not a panic in Semaphore::new"
                ),
            );
            assert_none_started(&tl, &call, TOUCHED);
        }
    });
}

#[test]
fn run_limited_accepts_a_limit_of_exactly_max_permits() {
    checker::run(async {
        let tl = Timeline::new();
        let results = run_limited(one_second_jobs(&tl, 3), MAX).await;
        check_eq(
            results,
            Ok(vec![0, 1, 2]),
            &format!(
                "run_limited(3 jobs, k = Semaphore::MAX_PERMITS = {MAX}): a semaphore holds exactly that \
                 many, so only k *above* it is TooLarge (is your check `>=` where it should be `>`?)"
            ),
        );
        assert_schedule(
            &tl,
            &[done("J00", 0, 1000), done("J01", 0, 1000), done("J02", 0, 1000)],
            "run_limited(3 jobs of 1 s, k = MAX_PERMITS) runs all three at once",
        );
    });
}

#[test]
fn run_limited_checks_k_before_looking_at_the_jobs() {
    checker::run(async {
        let none = Vec::<Job<char>>::new;
        let result = at_once(run_limited(none(), 0), "run_limited(no jobs, k = 0)").await;
        check_eq(
            result,
            Err(LimitError::Zero),
            "run_limited(no jobs, k = 0): k is checked first, so a bad k is an error even with no jobs",
        );
        let result = at_once(run_limited(none(), MAX + 1), "run_limited(no jobs, k = MAX_PERMITS + 1)").await;
        check_eq(
            result,
            Err(LimitError::TooLarge(MAX + 1)),
            "run_limited(no jobs, k = MAX_PERMITS + 1): k is checked first, even with no jobs",
        );
    });
}

#[test]
fn run_limited_of_no_jobs_is_instant() {
    checker::run(async {
        let results = run_limited(Vec::<Job<char>>::new(), 3).await;
        check_eq(results, Ok(vec![]), "run_limited(no jobs, k = 3): no jobs, no results");
        assert_elapsed(checker::elapsed(), 0, "run_limited of no jobs");
    });
}

// ---- task 2: spawn_limited ----------------------------------------------

/// Six named jobs of 1 s, A to F, each returning `Ok` of its lowercase
/// letter; `b` and `e` stand in for B and E.
fn six_named(
    tl: &Timeline,
    b: Job<Result<char, String>>,
    e: Job<Result<char, String>>,
) -> Vec<(String, Job<Result<char, String>>)> {
    let ok = |name: &str, v: char| tl.job(name, 1000, Ok(v));
    named(vec![ok("A", 'a'), b, ok("C", 'c'), ok("D", 'd'), e, ok("F", 'f')])
}

#[test]
fn spawn_limited_caps_in_flight_at_k() {
    checker::run(async {
        let tl = Timeline::new();
        let results = spawn_limited(named_one_second_jobs(&tl, 12), 4).await;
        assert_peak(&tl, 4, "spawn_limited(12 jobs of 1 s, k = 4)");
        assert_elapsed(checker::elapsed(), 3000, "spawn_limited(12 jobs of 1 s, k = 4): 3 rounds of 4");
        check_eq(
            results,
            Ok((0..12).map(Ok).collect::<Vec<_>>()),
            "spawn_limited returns one Ok per job, in input order",
        );
    });
}

#[test]
fn spawn_limited_keeps_no_more_than_k_tasks_alive() {
    checker::run(async {
        let tl = Timeline::new();
        let sample = async {
            let mut seen = Vec::new();
            for at in [500, 1500, 2500] {
                sleep_until_ms(at).await;
                seen.push((at, checker::live_tasks()));
            }
            seen
        };
        let (_, seen) = futures::future::join(spawn_limited(named_one_second_jobs(&tl, 12), 4), sample).await;
        assert_peak(&tl, 4, "spawn_limited(12 jobs of 1 s, k = 4)");
        assert_k_tasks_alive(
            &seen,
            4,
            "spawn_limited(12 jobs of 1 s, k = 4), tasks counted by tokio's runtime",
        );
    });
}

#[test]
fn spawn_limited_a_failing_job_gives_its_permit_back() {
    checker::run(async {
        let tl = Timeline::new();
        let jobs =
            six_named(&tl, tl.job("B", 1000, Err("disk full".to_string())), tl.job("E", 1000, Ok('e')));
        let results = spawn_limited(jobs, 2).await;
        assert_schedule(
            &tl,
            &[
                done("A", 0, 1000),
                done("B", 0, 1000),
                done("C", 1000, 2000),
                done("D", 1000, 2000),
                done("E", 2000, 3000),
                done("F", 2000, 3000),
            ],
            "spawn_limited(k = 2): B fails at 1 s and its permit goes back, so C and D both start then",
        );
        check_eq(
            results,
            Ok(vec![
                Ok('a'),
                Err(JobError::Failed { job: "B".into(), error: "disk full".into() }),
                Ok('c'),
                Ok('d'),
                Ok('e'),
                Ok('f'),
            ]),
            "a job that returns Err comes back as JobError::Failed naming it; the others are unharmed",
        );
    });
}

#[test]
fn spawn_limited_a_panicking_job_gives_its_permit_back() {
    checker::run(async {
        let tl = Timeline::new();
        let disk = 7;
        let jobs = six_named(
            &tl,
            tl.str_panic_job("B", 1000, "boom"),
            tl.string_panic_job("E", 1000, format!("disk {disk} is full")),
        );
        let results = spawn_limited(jobs, 2).await;
        assert_schedule(
            &tl,
            &[
                done("A", 0, 1000),
                panicked("B", 0, 1000),
                done("C", 1000, 2000),
                done("D", 1000, 2000),
                panicked("E", 2000, 3000),
                done("F", 2000, 3000),
            ],
            "spawn_limited(k = 2): B panics at 1 s and its permit goes back, so C and D both start then",
        );
        check_eq(
            results,
            Ok(vec![
                Ok('a'),
                Err(JobError::Panicked { job: "B".into(), message: "boom".into() }),
                Ok('c'),
                Ok('d'),
                Err(JobError::Panicked { job: "E".into(), message: "disk 7 is full".into() }),
                Ok('f'),
            ]),
            "a job that panics comes back as JobError::Panicked naming it, with the text it panicked with: \
             B's panic!(\"boom\") carries a &'static str, E's panic!(\"disk {disk} is full\") a String, \
             and both occur (panic_message reads both); the caller does not panic",
        );
    });
}

#[test]
fn spawn_limited_returns_results_in_input_order() {
    checker::run(async {
        let tl = Timeline::new();
        let mut jobs: Vec<Job<Result<char, String>>> = Vec::new();
        for (name, d) in OUT_OF_ORDER_MS {
            jobs.push(match name {
                "C" => tl.job(name, d, Err("disk full".to_string())),
                "D" => tl.string_panic_job(name, d, format!("disk {} is full", 3)),
                _ => tl.job(name, d, Ok(name.to_lowercase().chars().next().unwrap_or('?'))),
            });
        }
        let results = spawn_limited(named(jobs), 3).await;
        check_eq(
            results,
            Ok(vec![
                Ok('a'),
                Ok('b'),
                Err(JobError::Failed { job: "C".into(), error: "disk full".into() }),
                Err(JobError::Panicked { job: "D".into(), message: "disk 3 is full".into() }),
                Ok('e'),
            ]),
            &format!(
                "spawn_limited (src/lib.rs) returns one result per job in input order (A, B, C, D, E), \
                 whatever order they finish in; yours finished in the order {} (a JoinSet hands them \
                 back as they finish: put each result back in its job's place)",
                finish_order(&tl)
            ),
        );
    });
}

#[test]
fn spawn_limited_returns_results_in_input_order_when_100_jobs_end_together() {
    checker::run(async {
        let tl = Timeline::new();
        let results = spawn_limited(named_one_second_jobs(&tl, 100), 100).await;
        check_eq(
            results,
            Ok((0..100).map(Ok).collect::<Vec<_>>()),
            "spawn_limited(100 jobs of 1 s, k = 100): all end at 1 s, and the results come back in input \
             order (the order tasks are handed back in when they end together is not input order)",
        );
    });
}

#[test]
fn spawn_limited_rejects_a_limit_of_zero_at_once() {
    checker::run(async {
        let tl = Timeline::new();
        let result =
            at_once(spawn_limited(named_one_second_jobs(&tl, 2), 0), "spawn_limited(jobs, k = 0)").await;
        check_eq(result, Err(LimitError::Zero), "spawn_limited with k = 0 returns LimitError::Zero");
        assert_none_started(&tl, "spawn_limited with k = 0", TOUCHED);
        let result =
            at_once(spawn_limited(named_one_second_jobs(&tl, 0), 0), "spawn_limited(no jobs, k = 0)").await;
        check_eq(
            result,
            Err(LimitError::Zero),
            "spawn_limited(no jobs, k = 0): k is checked first, so a bad k is an error even with no jobs",
        );
    });
}

#[test]
fn spawn_limited_rejects_a_limit_above_max_permits() {
    checker::run(async {
        for k in [MAX + 1, usize::MAX] {
            let tl = Timeline::new();
            let call = format!("spawn_limited(jobs, k = {k})");
            let result = at_once(spawn_limited(named_one_second_jobs(&tl, 2), k), &call).await;
            check_eq(
                result,
                Err(LimitError::TooLarge(k)),
                &format!("{call}: k above Semaphore::MAX_PERMITS ({MAX}) is LimitError::TooLarge(k)"),
            );
            assert_none_started(&tl, &call, TOUCHED);
        }
    });
}

#[test]
fn spawn_limited_accepts_a_limit_of_exactly_max_permits() {
    checker::run(async {
        let tl = Timeline::new();
        let results = spawn_limited(named_one_second_jobs(&tl, 3), MAX).await;
        check_eq(
            results,
            Ok(vec![Ok(0), Ok(1), Ok(2)]),
            &format!(
                "spawn_limited(3 jobs, k = Semaphore::MAX_PERMITS = {MAX}): only k *above* MAX_PERMITS \
                 is TooLarge (is your check `>=` where it should be `>`?)"
            ),
        );
        assert_elapsed(
            checker::elapsed(),
            1000,
            "spawn_limited(3 jobs of 1 s, k = MAX_PERMITS): all at once",
        );
    });
}

// ---- task 3: Limiter ----------------------------------------------------

/// `Limiter::new(k)`, which must succeed.
fn limiter(k: usize) -> Limiter {
    Limiter::new(k).unwrap_or_else(|e| checker::fail(format!("Limiter::new({k}) failed: {e}")))
}

#[test]
fn limiter_shares_its_limit_between_clones() {
    checker::run(async {
        let tl = Timeline::new();
        let limiter = limiter(3);
        let batch_a: Vec<_> = (1..=4).map(|i| tl.job(format!("A{i}"), 1000, ())).collect();
        let batch_b: Vec<_> = (1..=4).map(|i| tl.job(format!("B{i}"), 1000, ())).collect();

        // Batch A runs through the limiter at 0 s; batch B, through a clone
        // of it, joins in at 0.5 s.
        let a = {
            let limiter = limiter.clone();
            async move { futures::future::join_all(batch_a.into_iter().map(|job| limiter.run(job))).await }
        };
        let b = {
            let limiter = limiter.clone();
            async move {
                tokio::time::sleep(ms(500)).await;
                futures::future::join_all(batch_b.into_iter().map(|job| limiter.run(job))).await
            }
        };
        futures::future::join(a, b).await;

        assert_peak(&tl, 3, "two batches through clones of one Limiter::new(3)");
        assert_schedule(
            &tl,
            &[
                done("A1", 0, 1000),
                done("A2", 0, 1000),
                done("A3", 0, 1000),
                done("A4", 1000, 2000),
                done("B1", 1000, 2000),
                done("B2", 1000, 2000),
                done("B3", 2000, 3000),
                done("B4", 2000, 3000),
            ],
            "clones of one Limiter share its 3 permits: batch B waits behind A4 for permits A frees",
        );
        assert_elapsed(checker::elapsed(), 3000, "8 jobs of 1 s through one shared limit of 3");
    });
}

#[test]
fn limiter_rejects_a_bad_limit() {
    checker::run(async {
        check_eq(Limiter::new(0).err(), Some(LimitError::Zero), "Limiter::new(0) is LimitError::Zero");
        for k in [MAX + 1, usize::MAX] {
            check_eq(
                Limiter::new(k).err(),
                Some(LimitError::TooLarge(k)),
                &format!(
                    "Limiter::new({k}), above Semaphore::MAX_PERMITS ({MAX}), is LimitError::TooLarge(k), \
                     not a panic in Semaphore::new"
                ),
            );
        }
    });
}

#[test]
fn limiter_accepts_a_limit_of_exactly_max_permits() {
    checker::run(async {
        let limiter = Limiter::new(MAX).unwrap_or_else(|e| {
            checker::fail(format!(
                "Limiter::new(Semaphore::MAX_PERMITS = {MAX}) failed: {e}\na semaphore holds exactly \
                 MAX_PERMITS, so only k *above* it is TooLarge (is your check `>=` where it should be `>`?)"
            ))
        });
        check_eq(limiter.available(), MAX, "a new Limiter::new(MAX_PERMITS) has MAX_PERMITS permits free");
    });
}

#[test]
fn limiter_available_counts_the_permits_free_while_jobs_run() {
    checker::run(async {
        let tl = Timeline::new();
        let limiter = limiter(3);
        check_eq(limiter.available(), 3, "available() of a new Limiter::new(3), before any job");
        // A (0–1 s) and B (0–2 s) at 0 s; C, D and E at 1.5 s: C gets the
        // last free permit, D and E wait; E starts when B ends at 2 s.
        let early =
            futures::future::join(limiter.run(tl.job("A", 1000, ())), limiter.run(tl.job("B", 2000, ())));
        let late = async {
            sleep_until_ms(1500).await;
            futures::future::join3(
                limiter.run(tl.job("C", 1000, ())),
                limiter.run(tl.job("D", 1000, ())),
                limiter.run(tl.job("E", 1000, ())),
            )
            .await
        };
        let sample = async {
            let mut seen = Vec::new();
            for at in [500, 1200, 1700, 2700, 3500] {
                sleep_until_ms(at).await;
                seen.push((at, limiter.available()));
            }
            seen
        };
        let (_, _, seen) = futures::future::join3(early, late, sample).await;
        let expected = [(500, 1), (1200, 2), (1700, 0), (2700, 2), (3500, 3)];
        check_eq(
            seen,
            expected.to_vec(),
            "Limiter::new(3).available() at (instant in ms, permits free): A and B hold one each at \
             0.5 s; B alone at 1.2 s; B, C and D at 1.7 s, with E waiting (a waiter holds no permit, \
             and free permits never go below 0); E alone at 2.7 s; none at 3.5 s. available() is the \
             number of permits *free*, not in use",
        );
        assert_schedule(
            &tl,
            &[
                done("A", 0, 1000),
                done("B", 0, 2000),
                done("C", 1500, 2500),
                done("D", 1500, 2500),
                done("E", 2000, 3000),
            ],
            "Limiter::new(3): C and D take the two free permits at 1.5 s, E the one B frees at 2 s",
        );
    });
}

#[test]
fn limiter_gives_the_permit_back_when_a_job_is_cancelled() {
    checker::run(async {
        let tl = Timeline::new();
        let limiter = limiter(1);
        check_eq(limiter.available(), 1, "a new Limiter::new(1) has 1 permit free");
        // A is cut off at 0.5 s: dropping `run`'s future cancels it.
        let cut = tokio::time::timeout(ms(500), limiter.run(tl.job("A", 1000, 'a')));
        let held = async {
            sleep_until_ms(250).await;
            limiter.available()
        };
        let (cut, held) = futures::future::join(cut, held).await;
        check_eq(held, 0, "Limiter::new(1).available() at 0.25 s, while A holds the only permit");
        check_eq(cut.is_err(), true, "the test's timeout cuts A off at 0.5 s");
        check_eq(
            limiter.available(),
            1,
            "Limiter::new(1).available() right after A's run was cancelled (dropped) at 0.5 s: its \
             permit must go back as the run future is dropped",
        );
        let b = limiter.run(tl.job("B", 1000, 'b')).await;
        check_eq(b, 'b', "B runs and returns its value");
        assert_schedule(
            &tl,
            &[dropped("A", 0, 500), done("B", 500, 1500)],
            "a cancelled run gives its permit back at once, so B starts at 0.5 s",
        );
    });
}
