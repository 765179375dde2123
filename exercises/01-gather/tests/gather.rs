//! Tests for 01-gather. The same file tests the stub (in exercises/) and the
//! solution (in solutions/): both build a library called `gather`.
//!
//! Every job sleeps on the paused virtual clock, so "finishes at exactly
//! 3 s" is an `==` that never flakes. Test names start with the task they
//! check.

use std::time::Duration;

use checker::{Timeline, assert_elapsed, assert_schedule, check_eq, done, dropped};
use gather::{JobPanicked, concurrent, sequential, settle_all, spawn_all, try_all};

/// The three jobs of the spec: A 2 s, B 1 s, C 3 s.
fn abc(tl: &Timeline) -> Vec<checker::Job<char>> {
    vec![tl.job("A", 2000, 'a'), tl.job("B", 1000, 'b'), tl.job("C", 3000, 'c')]
}

/// A 2 s and C 3 s succeed; B fails at 1 s.
fn abc_b_fails(tl: &Timeline) -> Vec<checker::Job<Result<char, String>>> {
    vec![
        tl.job("A", 2000, Ok('a')),
        tl.job("B", 1000, Err("B failed".to_string())),
        tl.job("C", 3000, Ok('c')),
    ]
}

fn named<T>(jobs: Vec<checker::Job<T>>) -> Vec<(String, checker::Job<T>)> {
    ["A", "B", "C"].iter().map(|n| n.to_string()).zip(jobs).collect()
}

// ---- task 1: sequential -------------------------------------------------

#[test]
fn sequential_runs_one_after_another() {
    checker::run(async {
        let tl = Timeline::new();
        let results = sequential(abc(&tl)).await;
        assert_schedule(
            &tl,
            &[done("A", 0, 2000), done("B", 2000, 3000), done("C", 3000, 6000)],
            "sequential runs each job after the one before it",
        );
        check_eq(results, vec!['a', 'b', 'c'], "sequential returns the results in input order");
        assert_elapsed(checker::elapsed(), 6000, "sequential(A 2 s, B 1 s, C 3 s)");
    });
}

#[test]
fn sequential_of_no_jobs_is_instant() {
    checker::run(async {
        let results: Vec<char> = sequential(Vec::<checker::Job<char>>::new()).await;
        check_eq(results, vec![], "no jobs, no results");
        assert_elapsed(checker::elapsed(), 0, "sequential of no jobs");
    });
}

// ---- task 2: concurrent -------------------------------------------------

#[test]
fn concurrent_runs_every_job_at_once() {
    checker::run(async {
        let tl = Timeline::new();
        concurrent(abc(&tl)).await;
        assert_schedule(
            &tl,
            &[done("A", 0, 2000), done("B", 0, 1000), done("C", 0, 3000)],
            "concurrent runs every job at once: together they take as long as the longest",
        );
        assert_elapsed(checker::elapsed(), 3000, "concurrent(A 2 s, B 1 s, C 3 s)");
    });
}

#[test]
fn concurrent_returns_results_in_input_order() {
    checker::run(async {
        let tl = Timeline::new();
        let results = concurrent(abc(&tl)).await;
        check_eq(
            tl.completion_order(),
            vec!["B".to_string(), "A".to_string(), "C".to_string()],
            "the jobs finish in the order B (1 s), A (2 s), C (3 s)",
        );
        check_eq(
            results,
            vec!['a', 'b', 'c'],
            "concurrent returns results in input order, not in the order the jobs finished",
        );
    });
}

#[test]
fn concurrent_jobs_are_lazy_until_awaited() {
    checker::run(async {
        let tl = Timeline::new();
        // Creating the jobs runs nothing: they start when first polled.
        let jobs = abc(&tl);
        tokio::time::sleep(Duration::from_secs(1)).await;
        concurrent(jobs).await;
        assert_schedule(
            &tl,
            &[done("A", 1000, 3000), done("B", 1000, 2000), done("C", 1000, 4000)],
            "futures are lazy: jobs made at 0 s but first polled at 1 s start at 1 s",
        );
    });
}

#[test]
fn concurrent_scales_to_a_thousand_jobs() {
    checker::run(async {
        let tl = Timeline::new();
        let jobs: Vec<_> = (0..1000).map(|i| tl.job(format!("job{i}"), 1000, i)).collect();
        let results = concurrent(jobs).await;
        assert_elapsed(checker::elapsed(), 1000, "1 000 jobs of 1 s, all at once");
        check_eq(results, (0..1000).collect::<Vec<_>>(), "1 000 results in input order");
        check_eq(tl.peak(), 1000, "jobs in flight at once");
    });
}

#[test]
fn concurrent_of_no_jobs_is_instant() {
    checker::run(async {
        let results: Vec<char> = concurrent(Vec::<checker::Job<char>>::new()).await;
        check_eq(results, vec![], "no jobs, no results");
        assert_elapsed(checker::elapsed(), 0, "concurrent of no jobs");
    });
}

// ---- task 3: spawn_all --------------------------------------------------

#[test]
fn spawn_all_runs_each_job_as_its_own_task() {
    checker::run(async {
        let tl = Timeline::new();
        // Each job reports the id of the task it ran on.
        let jobs: Vec<_> = [("A", 2000), ("B", 1000), ("C", 3000)]
            .into_iter()
            .map(|(name, ms)| {
                let job = tl.track(name, async move {
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                    tokio::task::try_id()
                });
                (name.to_string(), job)
            })
            .collect();
        let results = spawn_all(jobs).await;
        assert_schedule(
            &tl,
            &[done("A", 0, 2000), done("B", 0, 1000), done("C", 0, 3000)],
            "spawn_all runs the jobs as tasks, all at once",
        );
        let ids: Vec<_> = results.into_iter().map(|r| r.ok().flatten()).collect();
        if ids.iter().any(Option::is_none) {
            checker::fail(format!(
                "spawn_all ran a job outside a spawned task (task ids {ids:?}).\n\
                 each job must be its own task: tokio::spawn(job) for each one."
            ));
        }
        if ids[0] == ids[1] || ids[1] == ids[2] || ids[0] == ids[2] {
            checker::fail(format!(
                "spawn_all ran two jobs in the same task (task ids {ids:?}): spawn one task per job."
            ));
        }
        assert_elapsed(checker::elapsed(), 3000, "spawn_all(A 2 s, B 1 s, C 3 s)");
    });
}

#[test]
fn spawn_all_returns_results_in_input_order() {
    checker::run(async {
        let tl = Timeline::new();
        let results = spawn_all(named(abc(&tl))).await;
        check_eq(
            results,
            vec![Ok('a'), Ok('b'), Ok('c')],
            "spawn_all returns one result per job, in input order",
        );
    });
}

#[test]
fn spawn_all_reports_a_panicking_job_by_name() {
    checker::run(async {
        let tl = Timeline::new();
        let jobs = vec![tl.job("A", 2000, 'a'), tl.panicking_job("B", 1000, "boom"), tl.job("C", 3000, 'c')];
        let results = spawn_all(named(jobs)).await;
        check_eq(
            results,
            vec![Ok('a'), Err(JobPanicked { job: "B".into(), message: "boom".into() }), Ok('c')],
            "a job that panics comes back as a JobPanicked that names it; the others are unharmed",
        );
        assert_elapsed(checker::elapsed(), 3000, "spawn_all with B panicking at 1 s");
    });
}

#[test]
fn spawn_all_scales_to_a_thousand_jobs() {
    checker::run(async {
        let tl = Timeline::new();
        let jobs: Vec<_> =
            (0..1000).map(|i| (format!("job{i}"), tl.job(format!("job{i}"), 1000, i))).collect();
        let results = spawn_all(jobs).await;
        assert_elapsed(checker::elapsed(), 1000, "1 000 spawned jobs of 1 s");
        check_eq(results, (0..1000).map(Ok).collect::<Vec<_>>(), "1 000 results in input order");
    });
}

// ---- task 4: settle_all -------------------------------------------------

#[test]
fn settle_all_runs_every_job_to_its_end() {
    checker::run(async {
        let tl = Timeline::new();
        let results = settle_all(abc_b_fails(&tl)).await;
        assert_schedule(
            &tl,
            &[done("A", 0, 2000), done("B", 0, 1000), done("C", 0, 3000)],
            "settle_all runs every job at once, and a failure stops none of them",
        );
        check_eq(
            results,
            vec![Ok('a'), Err("B failed".to_string()), Ok('c')],
            "settle_all returns every job's result, failures included, in input order",
        );
        assert_elapsed(checker::elapsed(), 3000, "settle_all takes as long as its longest job");
    });
}

// ---- task 5: try_all ----------------------------------------------------

#[test]
fn try_all_returns_every_value_when_all_succeed() {
    checker::run(async {
        let tl = Timeline::new();
        let jobs = vec![
            tl.job("A", 2000, Ok('a')),
            tl.job("B", 1000, Ok('b')),
            tl.job("C", 3000, Ok::<_, String>('c')),
        ];
        let results = try_all(jobs).await;
        check_eq(results, Ok(vec!['a', 'b', 'c']), "try_all returns every value, in input order");
        assert_elapsed(checker::elapsed(), 3000, "try_all with no failure takes as long as its longest job");
    });
}

#[test]
fn try_all_fails_fast_at_the_first_error() {
    checker::run(async {
        let tl = Timeline::new();
        let result = try_all(abc_b_fails(&tl)).await;
        check_eq(result, Err("B failed".to_string()), "try_all returns the first error");
        assert_elapsed(checker::elapsed(), 1000, "try_all returns the instant B fails");
    });
}

#[test]
fn try_all_cancels_the_other_jobs_at_once() {
    checker::run(async {
        let tl = Timeline::new();
        let _ = try_all(abc_b_fails(&tl)).await;
        // Give any job that was left running the time to finish, so that it
        // shows on the timeline.
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert_schedule(
            &tl,
            &[dropped("A", 0, 1000), done("B", 0, 1000), dropped("C", 0, 1000)],
            "try_all cancels the jobs still running the instant one fails",
        );
    });
}

#[test]
fn try_all_of_no_jobs_is_ok_and_instant() {
    checker::run(async {
        let result: Result<Vec<char>, String> =
            try_all(Vec::<checker::Job<Result<char, String>>>::new()).await;
        check_eq(result, Ok(vec![]), "no jobs, no error");
        assert_elapsed(checker::elapsed(), 0, "try_all of no jobs");
    });
}
