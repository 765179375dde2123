//! Tests for 01-gather. The same file tests the stub (in exercises/) and the
//! solution (in solutions/): both build a library called `gather`.
//!
//! Every job sleeps on the paused virtual clock, so "finishes at exactly
//! 3 s" is an `==` that never flakes. Test names start with the task they
//! check. Every "in input order" claim is tested with jobs that finish in
//! another order (A 2 s, B 1 s, C 3 s finish B, A, C; 100 jobs finish ten
//! by ten, last to first), so an order that is right by luck is not enough.

use std::time::Duration;

use checker::{
    Job, Timeline, assert_cancelled_at, assert_elapsed, assert_returned_at, assert_schedule, check_eq,
    check_input_order, done, dropped, named,
};
use gather::{JobPanicked, concurrent, sequential, settle_all, spawn_all, try_all};

// ---- jobs ---------------------------------------------------------------

/// The three jobs of the spec: A 2 s, B 1 s, C 3 s. They finish B, A, C.
fn abc(tl: &Timeline) -> Vec<Job<char>> {
    vec![tl.job("A", 2000, 'a'), tl.job("B", 1000, 'b'), tl.job("C", 3000, 'c')]
}

/// A 2 s and C 3 s succeed; B fails at 1 s.
fn abc_b_fails(tl: &Timeline) -> Vec<Job<Result<char, String>>> {
    vec![
        tl.job("A", 2000, Ok('a')),
        tl.job("B", 1000, Err("B failed".to_string())),
        tl.job("C", 3000, Ok('c')),
    ]
}

/// 100 jobs in ten groups of ten that finish group by group, last group
/// first: jobs 90–99 at 100 ms, ..., jobs 0–9 at 1 s. Job `i` returns
/// `value(i)`. The ten of a group end at one instant, in an order nobody
/// decides, and the results must still be in input order.
fn finishing_last_to_first<T: Send + 'static>(tl: &Timeline, value: impl Fn(usize) -> T) -> Vec<Job<T>> {
    (0..100).map(|i| tl.job(format!("job{i}"), (10 - i as u64 / 10) * 100, value(i))).collect()
}

// ---- checks -------------------------------------------------------------

/// Runs `spawn_all` on jobs one of which panics. If the panic reaches the
/// caller, say so plainly: otherwise the report would show the job's own
/// panic, in this file, as if the test had failed there.
async fn spawn_all_with_a_panic(jobs: Vec<(String, Job<char>)>, who: &str) -> Vec<Result<char, JobPanicked>> {
    checker::catch_panic(spawn_all(jobs)).await.unwrap_or_else(|text| {
        checker::fail(format!(
            "spawn_all panicked when {who} panicked, with: {text}\n\
             a job's panic must come back as its JobPanicked, and the caller carries on: \
             awaiting a JoinHandle gives Err(JoinError) for a panicked task; do not unwrap it."
        ))
    })
}

/// Checks `spawn_all`'s results, with a precise word for a wrong name or a
/// wrong panic message. `payload` says what the panicking job panicked with.
fn check_spawned(
    yours: Vec<Result<char, JobPanicked>>,
    expected: Vec<Result<char, JobPanicked>>,
    payload: &str,
    what: &str,
) {
    if yours.len() == expected.len() {
        for (i, (got, want)) in yours.iter().zip(&expected).enumerate() {
            let (Err(got), Err(want)) = (got, want) else { continue };
            if got.job != want.job {
                checker::fail(format!(
                    "{what}: the JobPanicked of job {i} names {:?}; it must name the job that panicked, {:?}, \
                     by the name it was given in `jobs`.",
                    got.job, want.job
                ));
            }
            if got.message != want.message {
                let mut message = format!(
                    "{what}: job {} panicked with {payload}; your JobPanicked's message is {:?}, \
                     it should be the panic's own text, {:?}.\n\
                     a panic payload is a Box<dyn Any + Send>: panic!(\"boom\") puts a &'static str in it, \
                     panic!(\"disk {{n}} is full\") a String. read both: downcast_ref::<&str>(), then \
                     downcast_ref::<String>().",
                    want.job, got.message, want.message
                );
                if got.message.contains("panicked with message") {
                    message.push_str(
                        "\nyour message is the JoinError's Display; the panic's text is in its payload: \
                         err.into_panic().",
                    );
                }
                checker::fail(message);
            }
        }
    }
    check_eq(yours, expected, what);
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
            "sequential runs each job after the one before it, in input order",
        );
        check_eq(results, vec!['a', 'b', 'c'], "sequential returns the results in input order");
        assert_elapsed(checker::elapsed(), 6000, "sequential(A 2 s, B 1 s, C 3 s)");
    });
}

#[test]
fn sequential_of_no_jobs_is_instant() {
    checker::run(async {
        let results: Vec<char> = sequential(Vec::<Job<char>>::new()).await;
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
        check_input_order(
            results,
            vec!['a', 'b', 'c'],
            "concurrent(A 2 s, B 1 s, C 3 s) returns A's, B's, C's results",
        );
        let tl = Timeline::new();
        let results = concurrent(finishing_last_to_first(&tl, |i| i)).await;
        check_input_order(
            results,
            (0..100).collect(),
            "concurrent of 100 jobs that finish ten by ten, last to first",
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
        check_eq(tl.peak(), 1000, "jobs in flight at once");
        check_eq(results, (0..1000).collect::<Vec<_>>(), "1 000 results in input order");
    });
}

#[test]
fn concurrent_of_no_jobs_is_instant() {
    checker::run(async {
        let results: Vec<char> = concurrent(Vec::<Job<char>>::new()).await;
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
        check_input_order(
            results,
            vec![Ok('a'), Ok('b'), Ok('c')],
            "spawn_all(A 2 s, B 1 s, C 3 s) returns A's, B's, C's results",
        );
        let tl = Timeline::new();
        let jobs = finishing_last_to_first(&tl, |i| i).into_iter().enumerate();
        let results = spawn_all(jobs.map(|(i, job)| (format!("job{i}"), job)).collect()).await;
        check_input_order(
            results,
            (0..100).map(Ok).collect(),
            "spawn_all of 100 jobs that finish ten by ten, last to first",
        );
    });
}

#[test]
fn spawn_all_reports_a_str_panic_by_name_and_message() {
    checker::run(async {
        let tl = Timeline::new();
        let jobs = vec![tl.job("A", 2000, 'a'), tl.str_panic_job("B", 1000, "boom"), tl.job("C", 3000, 'c')];
        let results = spawn_all_with_a_panic(named(jobs), "job B").await;
        check_spawned(
            results,
            vec![Ok('a'), Err(JobPanicked { job: "B".into(), message: "boom".into() }), Ok('c')],
            "panic!(\"boom\") (a &'static str payload)",
            "spawn_all: B panics at 1 s; it comes back as a JobPanicked that names it, the others are unharmed",
        );
        assert_elapsed(checker::elapsed(), 3000, "spawn_all with B panicking at 1 s");
    });
}

#[test]
fn spawn_all_reports_a_string_panic_by_name_and_message() {
    checker::run(async {
        let tl = Timeline::new();
        let disk = 7;
        let jobs = vec![
            tl.string_panic_job("A", 2000, format!("disk {disk} is full")),
            tl.job("B", 1000, 'b'),
            tl.job("C", 3000, 'c'),
        ];
        let results = spawn_all_with_a_panic(named(jobs), "job A").await;
        check_spawned(
            results,
            vec![Err(JobPanicked { job: "A".into(), message: "disk 7 is full".into() }), Ok('b'), Ok('c')],
            "panic!(\"disk {disk} is full\") (a String payload)",
            "spawn_all: A panics at 2 s; it comes back as a JobPanicked that names it, the others are unharmed",
        );
        assert_elapsed(checker::elapsed(), 3000, "spawn_all with A panicking at 2 s");
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

#[test]
fn spawn_all_of_no_jobs_is_instant() {
    checker::run(async {
        let results: Vec<Result<char, JobPanicked>> = spawn_all(Vec::<(String, Job<char>)>::new()).await;
        check_eq(results, vec![], "no jobs, no results");
        assert_elapsed(checker::elapsed(), 0, "spawn_all of no jobs");
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
            "settle_all returns every job's result, failures included",
        );
        assert_elapsed(checker::elapsed(), 3000, "settle_all takes as long as its longest job");
    });
}

#[test]
fn settle_all_returns_results_in_input_order() {
    checker::run(async {
        // Every third job fails: Ok and Err both keep their job's place.
        let outcome = |i: usize| if i % 3 == 1 { Err(format!("job{i} failed")) } else { Ok(i) };
        let tl = Timeline::new();
        let results = settle_all(finishing_last_to_first(&tl, outcome)).await;
        check_input_order(
            results,
            (0..100).map(outcome).collect(),
            "settle_all of 100 jobs that finish ten by ten, last to first, every third one failing",
        );
    });
}

#[test]
fn settle_all_scales_to_a_thousand_jobs() {
    checker::run(async {
        let outcome = |i: u32| if i.is_multiple_of(10) { Err(i) } else { Ok(i) };
        let tl = Timeline::new();
        let jobs: Vec<_> = (0..1000).map(|i| tl.job(format!("job{i}"), 1000, outcome(i))).collect();
        let results = settle_all(jobs).await;
        assert_elapsed(checker::elapsed(), 1000, "1 000 jobs of 1 s, one in ten failing, all at once");
        check_eq(results, (0..1000).map(outcome).collect::<Vec<_>>(), "1 000 results in input order");
    });
}

#[test]
fn settle_all_of_no_jobs_is_instant() {
    checker::run(async {
        let results: Vec<Result<char, String>> = settle_all(Vec::<Job<Result<char, String>>>::new()).await;
        check_eq(results, vec![], "no jobs, no results");
        assert_elapsed(checker::elapsed(), 0, "settle_all of no jobs");
    });
}

// ---- task 5: try_all ----------------------------------------------------

/// What it usually means when try_all returns before the first error.
const EARLY: &str =
    "it returned before the first error happened: did it give up on a job that had not ended?";

/// When, and how, the other jobs of try_all are cancelled.
const CANCELLED: &str = "when the first error came back.\n\
     return at the first error and drop every job still running; a spawned job must be aborted.";

#[test]
fn try_all_returns_every_value_in_input_order_when_all_succeed() {
    checker::run(async {
        let tl = Timeline::new();
        let jobs = vec![
            tl.job("A", 2000, Ok('a')),
            tl.job("B", 1000, Ok('b')),
            tl.job("C", 3000, Ok::<_, String>('c')),
        ];
        let results = try_all(jobs).await;
        assert_elapsed(checker::elapsed(), 3000, "try_all with no failure takes as long as its longest job");
        let results =
            results.unwrap_or_else(|e| checker::fail(format!("try_all returned Err({e:?}); no job failed")));
        check_input_order(
            results,
            vec!['a', 'b', 'c'],
            "try_all(A 2 s, B 1 s, C 3 s) returns A's, B's, C's values",
        );
        let tl = Timeline::new();
        let results = try_all(finishing_last_to_first(&tl, Ok::<_, String>)).await;
        let results =
            results.unwrap_or_else(|e| checker::fail(format!("try_all returned Err({e:?}); no job failed")));
        check_input_order(
            results,
            (0..100).collect(),
            "try_all of 100 jobs that finish ten by ten, last to first",
        );
    });
}

#[test]
fn try_all_fails_fast_at_the_first_error() {
    checker::run(async {
        let tl = Timeline::new();
        let result = try_all(abc_b_fails(&tl)).await;
        assert_returned_at(
            checker::elapsed(),
            1000,
            "try_all(A 2 s, B fails at 1 s, C 3 s)",
            "it should return the instant the first error happened. did it wait for the other jobs (or for A, \
             before it looked at B) before it saw B's error?",
            EARLY,
        );
        check_eq(result, Err("B failed".to_string()), "try_all returns B's error");
    });
}

#[test]
fn try_all_returns_the_error_that_happens_first() {
    checker::run(async {
        // A fails at 2 s, B at 1 s: B's error comes first in time, A's first in the input.
        let tl = Timeline::new();
        let jobs = vec![
            tl.job("A", 2000, Err("A failed".to_string())),
            tl.job("B", 1000, Err("B failed".to_string())),
            tl.job("C", 3000, Ok('c')),
        ];
        let result = try_all(jobs).await;
        check_eq(
            result,
            Err("B failed".to_string()),
            "try_all(A fails at 2 s, B fails at 1 s, C 3 s) returns the error that happened first, B's, \
             not the first one in input order",
        );
        assert_returned_at(
            checker::elapsed(),
            1000,
            "try_all(A fails at 2 s, B fails at 1 s, C 3 s)",
            "it should return the instant the first error happened. did it wait for A, the first job in the \
             input, before it looked at the others?",
            EARLY,
        );
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
fn try_all_leaves_no_task_running() {
    checker::run(async {
        let tl = Timeline::new();
        let _ = try_all(abc_b_fails(&tl)).await;
        checker::assert_live_tasks(
            0,
            "tasks alive once try_all has returned B's error at 1 s (A and C must be cancelled)",
        )
        .await;
    });
}

#[test]
fn try_all_does_not_wait_for_a_job_that_never_ends() {
    checker::run(async {
        let tl = Timeline::new();
        let jobs = vec![
            tl.job("A", 2000, Ok('a')),
            tl.job("B", 1000, Err("B failed".to_string())),
            tl.endless_job("C"),
        ];
        let result = checker::within(
            Duration::from_secs(60),
            "try_all(A 2 s, B fails at 1 s, C never ends)",
            "does it wait for every job to end before it looks at the errors? it must return at B's error, at 1 s.",
            try_all(jobs),
        )
        .await;
        check_eq(result, Err("B failed".to_string()), "try_all returns B's error");
        assert_returned_at(
            checker::elapsed(),
            1000,
            "try_all(A 2 s, B fails at 1 s, C never ends)",
            "it should return the instant the first error happened. did it wait for A, the first job in the \
             input, before it looked at B?",
            EARLY,
        );
        // Let the runtime finish what it was told to cancel; a job left
        // running in a detached task shows up as still running.
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert_cancelled_at(
            &tl,
            &["A", "C"],
            1000,
            "try_all(A 2 s, B fails at 1 s, C never ends)",
            CANCELLED,
        );
    });
}

#[test]
fn try_all_fails_at_once_when_a_job_fails_at_once() {
    checker::run(async {
        let tl = Timeline::new();
        let jobs = vec![
            tl.job("A", 2000, Ok('a')),
            tl.job("C", 3000, Ok('c')),
            tl.ready_job("B", Err("B failed".to_string())),
        ];
        let result = try_all(jobs).await;
        check_eq(result, Err("B failed".to_string()), "try_all returns B's error");
        assert_returned_at(
            checker::elapsed(),
            0,
            "try_all(A 2 s, C 3 s, B fails at once)",
            "it should return the instant the first error happened. B's error was there at 0 s.",
            EARLY,
        );
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert_cancelled_at(&tl, &["A", "C"], 0, "try_all(A 2 s, C 3 s, B fails at once)", CANCELLED);
    });
}

#[test]
fn try_all_scales_to_a_thousand_jobs() {
    checker::run(async {
        let tl = Timeline::new();
        let jobs: Vec<_> = (0..1000).map(|i| tl.job(format!("job{i}"), 1000, Ok::<_, String>(i))).collect();
        let results = try_all(jobs).await;
        assert_elapsed(checker::elapsed(), 1000, "1 000 jobs of 1 s, all at once");
        check_eq(results, Ok((0..1000).collect::<Vec<_>>()), "1 000 values in input order");

        // Job 500 of 1 000 fails at 1.5 s (500 ms into this run): the other 999 are cancelled then.
        let tl = Timeline::new();
        let jobs: Vec<_> = (0..1000)
            .map(|i| match i {
                500 => tl.job(format!("job{i}"), 500, Err(format!("job{i} failed"))),
                _ => tl.job(format!("job{i}"), 1000, Ok(i)),
            })
            .collect();
        let result = try_all(jobs).await;
        check_eq(result, Err("job500 failed".to_string()), "try_all of 1 000 jobs returns job500's error");
        assert_returned_at(
            checker::elapsed(),
            1500,
            "try_all of 1 000 jobs, job500 failing at 1.5 s",
            "it should return the instant the first error happened. did it look at the results in input order, \
             so that job500's error waited for jobs 0-499? try_join_all does, above 30 jobs; so do \
             FuturesOrdered and a loop over the handles.",
            EARLY,
        );
        tokio::time::sleep(Duration::from_secs(5)).await;
        let others: Vec<String> = (0..1000).filter(|&i| i != 500).map(|i| format!("job{i}")).collect();
        assert_cancelled_at(&tl, &others, 1500, "try_all of 1 000 jobs, job500 failing at 1.5 s", CANCELLED);
    });
}

#[test]
fn try_all_of_no_jobs_is_ok_and_instant() {
    checker::run(async {
        let result: Result<Vec<char>, String> = try_all(Vec::<Job<Result<char, String>>>::new()).await;
        check_eq(result, Ok(vec![]), "no jobs, no error");
        assert_elapsed(checker::elapsed(), 0, "try_all of no jobs");
    });
}
