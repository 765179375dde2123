//! Tests for 02-semaphore. The same file tests the stub (in exercises/) and
//! the solution (in solutions/): both build a library called `semaphore`.
//!
//! Every job sleeps on the paused virtual clock, so "50 jobs take exactly
//! 10 s" is an `==` that never flakes. Test names start with the task they
//! check.

use std::future::Future;

use checker::{
    Timeline, assert_elapsed, assert_peak, assert_schedule, check_eq, done, dropped, ms, panicked,
};
use semaphore::{JobError, LimitError, Limiter, run_limited, spawn_limited};

/// Awaits `fut`, which must return at once: a bad limit is an error, not a
/// wait. Fails with an explanation if it is still waiting after 1 s.
async fn at_once<T>(fut: impl Future<Output = T>, what: &str) -> T {
    let hint = "it should return an error at once: a semaphore with 0 permits never lets a job in, \
                so check k before you build one.";
    let value = checker::within(ms(1000), what, hint, fut).await;
    assert_elapsed(checker::elapsed(), 0, what);
    value
}

/// Fails if any job of `tl` ever started.
fn assert_none_started(tl: &Timeline, what: &str) {
    let started: Vec<String> =
        tl.spans().into_iter().filter(|s| s.fate.started.is_some()).map(|s| s.name).collect();
    if !started.is_empty() {
        checker::fail(format!("{what}: no job should run, but {} started.", started.join(", ")));
    }
}

/// `n` jobs of 1 s named J00, J01, ..., each returning its index.
fn one_second_jobs(tl: &Timeline, n: usize) -> Vec<checker::Job<usize>> {
    (0..n).map(|i| tl.job(format!("J{i:02}"), 1000, i)).collect()
}

/// The FIFO jobs of the spec: A 3 s, B 1 s, C 1 s, D 2 s, E 1 s.
fn mixed(tl: &Timeline) -> Vec<checker::Job<char>> {
    vec![
        tl.job("A", 3000, 'a'),
        tl.job("B", 1000, 'b'),
        tl.job("C", 1000, 'c'),
        tl.job("D", 2000, 'd'),
        tl.job("E", 1000, 'e'),
    ]
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
fn run_limited_returns_results_in_input_order() {
    checker::run(async {
        let tl = Timeline::new();
        let results = run_limited(mixed(&tl), 2).await;
        check_eq(
            tl.completion_order(),
            ["B", "C", "A", "D", "E"].map(String::from).to_vec(),
            "with k = 2 the jobs finish in the order B, C, A, then D and E together",
        );
        check_eq(
            results,
            Ok(vec!['a', 'b', 'c', 'd', 'e']),
            "run_limited returns the results in input order, not in the order the jobs finished",
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
            "run_limited(k = 2) gives each freed permit to the job that has waited longest",
        );
        assert_elapsed(checker::elapsed(), 4000, "run_limited(A 3 s, B 1 s, C 1 s, D 2 s, E 1 s; k = 2)");
    });
}

#[test]
fn run_limited_rejects_a_limit_of_zero_at_once() {
    checker::run(async {
        let tl = Timeline::new();
        let result = at_once(run_limited(one_second_jobs(&tl, 3), 0), "run_limited(jobs, k = 0)").await;
        check_eq(result, Err(LimitError::Zero), "run_limited with k = 0 returns LimitError::Zero");
        assert_none_started(&tl, "run_limited with k = 0");
    });
}

#[test]
fn run_limited_rejects_a_limit_too_large_for_a_semaphore() {
    checker::run(async {
        let tl = Timeline::new();
        let result =
            at_once(run_limited(one_second_jobs(&tl, 3), usize::MAX), "run_limited(jobs, usize::MAX)").await;
        check_eq(
            result,
            Err(LimitError::TooLarge(usize::MAX)),
            "k above Semaphore::MAX_PERMITS is LimitError::TooLarge(k), not a panic in Semaphore::new",
        );
        assert_none_started(&tl, "run_limited with k = usize::MAX");
    });
}

#[test]
fn run_limited_of_no_jobs_is_instant() {
    checker::run(async {
        let results = run_limited(Vec::<checker::Job<char>>::new(), 3).await;
        check_eq(results, Ok(vec![]), "no jobs, no results");
        assert_elapsed(checker::elapsed(), 0, "run_limited of no jobs");
    });
}

// ---- task 2: spawn_limited ----------------------------------------------

/// Six named jobs of 1 s, A to F; `b` is job B.
fn six_named(
    tl: &Timeline,
    b: checker::Job<Result<char, String>>,
) -> Vec<(String, checker::Job<Result<char, String>>)> {
    let mut jobs = vec![("A".to_string(), tl.job("A", 1000, Ok('a'))), ("B".to_string(), b)];
    for name in ["C", "D", "E", "F"] {
        let value = name.to_lowercase().chars().next().unwrap_or('?');
        jobs.push((name.to_string(), tl.job(name, 1000, Ok(value))));
    }
    jobs
}

#[test]
fn spawn_limited_caps_in_flight_at_k() {
    checker::run(async {
        let tl = Timeline::new();
        let jobs: Vec<_> = (0..12)
            .map(|i| (format!("J{i:02}"), tl.job(format!("J{i:02}"), 1000, Ok::<_, String>(i))))
            .collect();
        let results = spawn_limited(jobs, 4).await;
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
fn spawn_limited_a_failing_job_gives_its_permit_back() {
    checker::run(async {
        let tl = Timeline::new();
        let jobs = six_named(&tl, tl.job("B", 1000, Err("disk full".to_string())));
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
        let jobs = six_named(&tl, tl.panicking_job("B", 1000, "boom"));
        let results = spawn_limited(jobs, 2).await;
        assert_schedule(
            &tl,
            &[
                done("A", 0, 1000),
                panicked("B", 0, 1000),
                done("C", 1000, 2000),
                done("D", 1000, 2000),
                done("E", 2000, 3000),
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
                Ok('e'),
                Ok('f'),
            ]),
            "a job that panics comes back as JobError::Panicked naming it; the caller does not panic",
        );
    });
}

#[test]
fn spawn_limited_rejects_a_limit_of_zero_at_once() {
    checker::run(async {
        let tl = Timeline::new();
        let jobs: Vec<_> = ["A", "B"].map(|n| (n.to_string(), tl.job(n, 1000, Ok::<_, String>(())))).into();
        let result = at_once(spawn_limited(jobs, 0), "spawn_limited(jobs, k = 0)").await;
        check_eq(result, Err(LimitError::Zero), "spawn_limited with k = 0 returns LimitError::Zero");
        assert_none_started(&tl, "spawn_limited with k = 0");
    });
}

// ---- task 3: Limiter ----------------------------------------------------

#[test]
fn limiter_shares_its_limit_between_clones() {
    checker::run(async {
        let tl = Timeline::new();
        let limiter =
            Limiter::new(3).unwrap_or_else(|e| checker::fail(format!("Limiter::new(3) failed: {e}")));
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
fn limiter_rejects_a_limit_of_zero() {
    checker::run(async {
        check_eq(Limiter::new(0).err(), Some(LimitError::Zero), "Limiter::new(0) is LimitError::Zero");
        check_eq(
            Limiter::new(usize::MAX).err(),
            Some(LimitError::TooLarge(usize::MAX)),
            "Limiter::new(usize::MAX) is LimitError::TooLarge, not a panic in Semaphore::new",
        );
    });
}

#[test]
fn limiter_gives_the_permit_back_when_a_job_is_cancelled() {
    checker::run(async {
        let tl = Timeline::new();
        let limiter =
            Limiter::new(1).unwrap_or_else(|e| checker::fail(format!("Limiter::new(1) failed: {e}")));
        check_eq(limiter.available(), 1, "a new Limiter::new(1) has 1 permit free");
        // A is cut off at 0.5 s: dropping `run`'s future cancels it.
        let cut = tokio::time::timeout(ms(500), limiter.run(tl.job("A", 1000, 'a'))).await;
        check_eq(cut.is_err(), true, "the test's timeout cuts A off at 0.5 s");
        check_eq(limiter.available(), 1, "permits free once the cancelled job is gone");
        let b = limiter.run(tl.job("B", 1000, 'b')).await;
        check_eq(b, 'b', "B runs and returns its value");
        assert_schedule(
            &tl,
            &[dropped("A", 0, 500), done("B", 500, 1500)],
            "a cancelled job gives its permit back at once, so B starts at 0.5 s",
        );
    });
}
