//! Tests for 09-task-groups. The same file tests the stub (in exercises/)
//! and the solution (in solutions/): both build a library called
//! `task_groups`.
//!
//! Every job sleeps on the paused virtual clock, so "fails at exactly 1 s"
//! is an `==` that never flakes. Test names start with the task they check.
//! "Nothing outlives its parent" is read from the runtime's own count of
//! live tasks (`checker::assert_live_tasks`), not only from drop probes: a
//! task left running, detached, shows there whatever it is doing.

use std::future::Future;
use std::sync::{Arc, Mutex};

use checker::{
    Job, Limits, PATIENCE, Timeline, assert_cancelled_at, assert_live_tasks, assert_never_started,
    assert_returned_at, assert_schedule, at_once, check_eq, check_input_order, done, dropped, ms, named,
    panicked, within,
};
use task_groups::{Background, Closed, Failure, GroupError, group, supervise};

// ---- jobs and expected errors -------------------------------------------

/// What every job of these tests returns: a value, or an error that says
/// who failed.
type Outcome = Result<char, String>;

fn failed(job: &str, error: &str) -> GroupError<String> {
    GroupError { job: job.into(), failure: Failure::Failed(error.into()) }
}

fn panic_in(job: &str, message: &str) -> GroupError<String> {
    GroupError { job: job.into(), failure: Failure::Panicked(message.into()) }
}

/// 100 jobs in ten groups of ten that finish group by group, last group
/// first: jobs 90–99 at 100 ms, ..., jobs 0–9 at 1 s. Job `i` is called
/// `job{i}` and returns `Ok(i)`.
fn finishing_last_to_first(tl: &Timeline) -> Vec<(String, Job<Result<usize, String>>)> {
    (0..100)
        .map(|i| {
            let name = format!("job{i}");
            (name.clone(), tl.job(name, (10 - i as u64 / 10) * 100, Ok(i)))
        })
        .collect()
}

// ---- checks -------------------------------------------------------------

/// Runs `group`, which must not panic whatever its jobs do. If a job's
/// panic reaches the caller, say so plainly: otherwise the report would
/// show the job's own panic, in this file, as if the test had failed there.
async fn group_without_panic<T, F>(jobs: Vec<(String, F)>, who: &str) -> Result<Vec<T>, GroupError<String>>
where
    F: Future<Output = Result<T, String>> + Send + 'static,
    T: Send + 'static,
{
    checker::catch_panic(group(jobs)).await.unwrap_or_else(|text| {
        checker::fail(format!(
            "group panicked when {who} panicked, with: {text}\n\
             a job's panic must come back as the group's error (Failure::Panicked with its text), and the \
             caller carries on: a JoinSet gives Err(JoinError) for a task that panicked; do not unwrap it \
             (look at `group` in src/lib.rs)."
        ))
    })
}

/// Checks the error a group returned, with a precise word for a wrong name
/// or a wrong panic message. `payload` says what the job panicked with.
fn check_group_error<T: std::fmt::Debug + PartialEq>(
    yours: Result<Vec<T>, GroupError<String>>,
    expected: GroupError<String>,
    payload: &str,
    what: &str,
) {
    if let Err(got) = &yours {
        if got.job != expected.job {
            checker::fail(format!(
                "{what}: your GroupError names {:?}; it must name the job that failed first, {:?}, by the \
                 name it was given in `jobs`.\n\
                 keep each job's name where you can find it again from its task (JoinSet::spawn gives an \
                 AbortHandle with the task's id; join_next_with_id and JoinError::id give it back).",
                got.job, expected.job
            ));
        }
        if let (Failure::Panicked(got), Failure::Panicked(want)) = (&got.failure, &expected.failure)
            && got != want
        {
            let mut message = format!(
                "{what}: job {} panicked with {payload}; your Failure::Panicked holds {got:?}, it should \
                 hold the panic's own text, {want:?}.\n\
                 a panic payload is a Box<dyn Any + Send>: panic!(\"boom\") puts a &'static str in it, \
                 panic!(\"disk {{n}} is full\") a String. read both: downcast_ref::<&str>(), then \
                 downcast_ref::<String>().",
                expected.job
            );
            if got.contains("panicked with message") {
                message.push_str(
                    "\nyour text is the JoinError's Display; the panic's text is in its payload: \
                     err.into_panic().",
                );
            }
            checker::fail(message);
        }
    }
    check_eq(yours, Err(expected), what);
}

/// When, and how, the other jobs of a group are cancelled.
const CANCELLED: &str = "when the first failure came back.\n\
     at the first failure, abort every task still in the group (dropping a JoinSet does it): look at \
     `group` in src/lib.rs.";

/// What it usually means when a group returns late after a failure.
const LATE: &str = "it should return the instant the first job failed. did it wait for the jobs before it in \
     the input (awaiting the handles one by one), or for every job to end, before it looked at the failure? \
     JoinSet::join_next gives the tasks in the order they end.";

/// What it usually means when a group returns early.
const EARLY: &str =
    "it returned before the first failure happened: did it give up on a job that had not ended?";

// ---- task 1: group ------------------------------------------------------

#[test]
fn group_returns_every_value_in_input_order() {
    checker::run(async {
        let tl = Timeline::new();
        let jobs = vec![tl.job("A", 2000, Ok('a')), tl.job("B", 1000, Ok('b')), tl.job("C", 3000, Ok('c'))];
        let result: Result<Vec<char>, GroupError<String>> = group(named(jobs)).await;
        assert_returned_at(
            checker::elapsed(),
            3000,
            "group(A 2 s, B 1 s, C 3 s), all succeeding",
            "the jobs should all run at once: the group ends with its longest job. were they awaited in turn?",
            "it should wait until every job has ended.",
        );
        assert_schedule(
            &tl,
            &[done("A", 0, 2000), done("B", 0, 1000), done("C", 0, 3000)],
            "group runs every job at once, to its end, when none fails",
        );
        let values =
            result.unwrap_or_else(|e| checker::fail(format!("group returned Err({e:?}); no job failed")));
        check_input_order(
            values,
            vec!['a', 'b', 'c'],
            "group(A 2 s, B 1 s, C 3 s) returns A's, B's, C's values",
        );

        let tl = Timeline::new();
        let values = group(finishing_last_to_first(&tl))
            .await
            .unwrap_or_else(|e| checker::fail(format!("group returned Err({e:?}); no job failed")));
        check_input_order(
            values,
            (0..100).collect(),
            "group of 100 jobs that finish ten by ten, last to first",
        );
    });
}

#[test]
fn group_runs_each_job_as_a_task_and_leaves_none_behind() {
    checker::run(async {
        let tl = Timeline::new();
        let jobs = vec![tl.job("A", 2000, Ok('a')), tl.job("B", 1000, Ok('b')), tl.job("C", 3000, Ok('c'))];
        let mut running = Box::pin(group::<_, char, String>(named(jobs)));
        if tokio::time::timeout(ms(500), &mut running).await.is_ok() {
            checker::fail("group(A 2 s, B 1 s, C 3 s) returned at 0.5 s, before any job had ended.");
        }
        let live = checker::live_tasks();
        if live != 3 {
            checker::fail(format!(
                "group(A 2 s, B 1 s, C 3 s) at 0.5 s: the runtime counts {live} live task(s); it should count \
                 3, one per job.\n\
                 each job of a group is a task of its own: spawn it on the group's JoinSet (look at `group` in \
                 src/lib.rs)."
            ));
        }
        let result = running.await;
        check_eq(result, Ok(vec!['a', 'b', 'c']), "group(A 2 s, B 1 s, C 3 s) returns every value");
        assert_live_tasks(0, "tasks alive once group(A 2 s, B 1 s, C 3 s) has returned at 3 s").await;
    });
}

#[test]
fn group_fails_fast_at_the_first_error_and_names_its_job() {
    checker::run(async {
        let tl = Timeline::new();
        let jobs = vec![
            tl.job("A", 2000, Ok('a')),
            tl.job("B", 1000, Err("B failed".to_string())),
            tl.job("C", 3000, Ok('c')),
        ];
        let result = group(named(jobs)).await;
        assert_returned_at(checker::elapsed(), 1000, "group(A 2 s, B fails at 1 s, C 3 s)", LATE, EARLY);
        check_group_error(result, failed("B", "B failed"), "", "group(A 2 s, B fails at 1 s, C 3 s)");
        // Give any job that was left running the time to finish, so that it
        // shows on the timeline.
        tokio::time::sleep(ms(5000)).await;
        assert_schedule(
            &tl,
            &[dropped("A", 0, 1000), done("B", 0, 1000), dropped("C", 0, 1000)],
            "the first failure cancels every job still running, at its instant",
        );
    });
}

#[test]
fn group_returns_the_error_that_happens_first() {
    checker::run(async {
        // A fails at 2 s, B at 1 s: B's error comes first in time, A's first in the input.
        let tl = Timeline::new();
        let jobs = vec![
            tl.job("A", 2000, Err("A failed".to_string())),
            tl.job("B", 1000, Err("B failed".to_string())),
            tl.job("C", 3000, Ok('c')),
        ];
        let result = group(named(jobs)).await;
        check_group_error(
            result,
            failed("B", "B failed"),
            "",
            "group(A fails at 2 s, B fails at 1 s, C 3 s) returns the failure that happened first, B's, not \
             the first one in input order",
        );
        assert_returned_at(
            checker::elapsed(),
            1000,
            "group(A fails at 2 s, B fails at 1 s, C 3 s)",
            LATE,
            EARLY,
        );
    });
}

#[test]
fn group_has_ended_every_task_when_it_returns() {
    checker::run(async {
        // Not "soon after": at the moment it returns. Aborting the others
        // and returning at once leaves them alive until the runtime gets
        // round to them (their cleanup runs after the caller has moved
        // on); waiting for them, as JoinSet::shutdown does, does not.
        let tl = Timeline::new();
        let jobs = vec![tl.job("A", 1000, Err::<char, _>("A failed".to_string())), tl.endless_job("B")];
        let result = group(named(jobs)).await;
        let alive = checker::live_tasks();
        if alive != 0 {
            checker::fail(format!(
                "group(A fails at 1 s, B never ends) returned with {alive} of its tasks still alive: \
                 aborting a task only asks it to stop; it is gone once the runtime has dropped it.\n\
                 when group returns, no task of it may be alive: wait for the aborted ones \
                 (JoinSet::shutdown, or join_next until it is empty).\n\
                 → look at `group` in exercises/09-task-groups/src/lib.rs"
            ));
        }
        check_group_error(result, failed("A", "A failed"), "", "group(A fails at 1 s, B never ends)");
    });
}

#[test]
fn group_leaves_no_task_alive_after_an_error() {
    checker::run(async {
        // A fails first in time *and* first in the input: a group that
        // awaits its handles in turn returns on time here, and only the
        // tasks it left behind give it away.
        let tl = Timeline::new();
        let jobs = vec![
            tl.job("A", 1000, Err::<char, _>("A failed".to_string())),
            tl.job("B", 2000, Ok('b')),
            tl.endless_job("C"),
        ];
        let result = group(named(jobs)).await;
        assert_returned_at(
            checker::elapsed(),
            1000,
            "group(A fails at 1 s, B 2 s, C never ends)",
            LATE,
            EARLY,
        );
        assert_live_tasks(
            0,
            "tasks alive once group(A fails at 1 s, B 2 s, C never ends) has returned A's error at 1 s \
             (B and C must be gone with it)",
        )
        .await;
        check_group_error(result, failed("A", "A failed"), "", "group(A fails at 1 s, B 2 s, C never ends)");
        tokio::time::sleep(ms(5000)).await;
        assert_cancelled_at(&tl, &["B", "C"], 1000, "group(A fails at 1 s, B 2 s, C never ends)", CANCELLED);
    });
}

#[test]
fn group_fails_at_once_when_a_job_fails_at_once() {
    checker::run(async {
        let tl = Timeline::new();
        let jobs = vec![
            tl.job("A", 2000, Ok('a')),
            tl.ready_job("B", Err("B failed".to_string())),
            tl.job("C", 3000, Ok('c')),
        ];
        let result = group(named(jobs)).await;
        assert_returned_at(checker::elapsed(), 0, "group(A 2 s, B fails at once, C 3 s)", LATE, EARLY);
        check_group_error(result, failed("B", "B failed"), "", "group(A 2 s, B fails at once, C 3 s)");
        assert_live_tasks(0, "tasks alive once group(A 2 s, B fails at once, C 3 s) has returned at 0 s")
            .await;
        tokio::time::sleep(ms(5000)).await;
        assert_cancelled_at(&tl, &["A", "C"], 0, "group(A 2 s, B fails at once, C 3 s)", CANCELLED);
    });
}

#[test]
fn group_reports_a_str_panic_by_name_and_message() {
    checker::run(async {
        let tl = Timeline::new();
        let jobs =
            vec![tl.job("A", 2000, Ok('a')), tl.str_panic_job("B", 1000, "boom"), tl.job("C", 3000, Ok('c'))];
        let result = group_without_panic(named(jobs), "job B").await;
        let what = "group(A 2 s, B panics at 1 s with panic!(\"boom\"), C 3 s)";
        assert_returned_at(checker::elapsed(), 1000, what, LATE, EARLY);
        check_group_error(result, panic_in("B", "boom"), "panic!(\"boom\") (a &'static str payload)", what);
        assert_live_tasks(0, &format!("tasks alive once {what} has returned at 1 s")).await;
        tokio::time::sleep(ms(5000)).await;
        assert_schedule(
            &tl,
            &[dropped("A", 0, 1000), panicked("B", 0, 1000), dropped("C", 0, 1000)],
            "a panic is a failure like any other: it cancels every job still running, at its instant",
        );
    });
}

#[test]
fn group_reports_a_string_panic_by_name_and_message() {
    checker::run(async {
        let tl = Timeline::new();
        let disk = 7;
        let jobs = vec![
            tl.string_panic_job("A", 1000, format!("disk {disk} is full")),
            tl.job("B", 2000, Ok('b')),
            tl.job("C", 3000, Ok('c')),
        ];
        let result = group_without_panic(named(jobs), "job A").await;
        let what = "group(A panics at 1 s with panic!(\"disk {disk} is full\"), B 2 s, C 3 s)";
        assert_returned_at(checker::elapsed(), 1000, what, LATE, EARLY);
        check_group_error(
            result,
            panic_in("A", "disk 7 is full"),
            "panic!(\"disk {disk} is full\") (a String payload)",
            what,
        );
        assert_live_tasks(0, &format!("tasks alive once {what} has returned at 1 s")).await;
        tokio::time::sleep(ms(5000)).await;
        assert_cancelled_at(&tl, &["B", "C"], 1000, what, CANCELLED);
    });
}

#[test]
fn group_dropped_takes_its_tasks_with_it() {
    checker::run(async {
        // The caller gives up at 1 s: the group's future is dropped, and its
        // tasks must go with it.
        let tl = Timeline::new();
        let jobs = vec![tl.job("A", 2000, Ok('a')), tl.job("B", 3000, Ok('b')), tl.endless_job("C")];
        let cut = tokio::time::timeout(ms(1000), group::<_, char, String>(named(jobs))).await;
        if let Ok(result) = cut {
            checker::fail(format!(
                "group(A 2 s, B 3 s, C never ends) returned {result:?} at 1 s; no job had ended."
            ));
        }
        assert_live_tasks(
            0,
            "tasks alive once group(A 2 s, B 3 s, C never ends) was dropped at 1 s (a cancelled group takes \
             its tasks with it: a JoinSet aborts them when it is dropped, a Vec of JoinHandles only detaches \
             them)",
        )
        .await;
        tokio::time::sleep(ms(5000)).await;
        assert_cancelled_at(
            &tl,
            &["A", "B", "C"],
            1000,
            "group(A 2 s, B 3 s, C never ends), dropped at 1 s",
            "when the group was dropped.\nnothing outlives its parent: the group's tasks belong to something \
             the group's future owns (a JoinSet), so that dropping it aborts them. look at `group` in src/lib.rs.",
        );
    });
}

#[test]
fn group_of_no_jobs_is_ok_and_instant() {
    checker::run(async {
        let result = at_once(
            group(Vec::<(String, Job<Outcome>)>::new()),
            "group of no jobs",
            "with no job to wait for, the group has nothing to wait for.",
        )
        .await;
        check_eq(result, Ok(vec![]), "group of no jobs");
    });
}

// ---- task 2: nested groups ---------------------------------------------

/// A team: one job of an outer group, that runs a group of its own.
type Team = (String, Job<Result<Vec<char>, GroupError<String>>>);

/// One job of an outer group that runs its own group of three: `{team}1`,
/// `{team}2` and `{team}3`.
fn team(tl: &Timeline, name: &str, members: [Job<Outcome>; 3]) -> Team {
    let members: Vec<_> =
        members.into_iter().enumerate().map(|(i, job)| (format!("{name}{}", i + 1), job)).collect();
    (name.to_string(), tl.job_from(name, group(members)))
}

/// Teams P and Q, each of three: `{team}1` 2 s, `{team}2` 3 s, `{team}3`
/// never ends.
fn two_teams(tl: &Timeline) -> Vec<Team> {
    ["P", "Q"]
        .into_iter()
        .map(|t| {
            let members = [
                tl.job(format!("{t}1"), 2000, Ok('1')),
                tl.job(format!("{t}2"), 3000, Ok('2')),
                tl.endless_job(format!("{t}3")),
            ];
            team(tl, t, members)
        })
        .collect()
}

#[test]
fn group_nested_cancelled_drops_every_grandchild_at_once() {
    checker::run(async {
        let tl = Timeline::new();
        let mut outer = Box::pin(group(two_teams(&tl)));
        if tokio::time::timeout(ms(500), &mut outer).await.is_ok() {
            checker::fail("the outer group of teams P and Q returned at 0.5 s, before any job had ended.");
        }
        let live = checker::live_tasks();
        if live != 8 {
            checker::fail(format!(
                "an outer group of 2 teams, each running its own group of 3, at 0.5 s: the runtime counts \
                 {live} live task(s); it should count 8 (2 teams + 6 members).\n\
                 each job of a group is a task of its own: spawn it on the group's JoinSet (look at `group` in \
                 src/lib.rs)."
            ));
        }
        let _ = tokio::time::timeout(ms(500), &mut outer).await;
        drop(outer); // the outer group is cancelled at 1 s
        assert_live_tasks(
            0,
            "tasks alive once the outer group (2 teams of 3) was dropped at 1 s: the 2 teams and their 6 members \
             must all be gone",
        )
        .await;
        tokio::time::sleep(ms(5000)).await;
        assert_cancelled_at(
            &tl,
            &["P", "Q", "P1", "P2", "P3", "Q1", "Q2", "Q3"],
            1000,
            "an outer group of teams P and Q (each a group of 3: 2 s, 3 s, never ends), dropped at 1 s",
            "when the outer group was dropped.\ncancelling a task drops its future, and with it the JoinSet of \
             its own group, which aborts the grandchildren: nothing outlives its parent, however deep.",
        );
    });
}

#[test]
fn group_nested_error_deep_down_cancels_the_whole_tree() {
    checker::run(async {
        let tl = Timeline::new();
        let p = [
            tl.job("P1", 2000, Ok('1')),
            tl.job("P2", 1000, Err("P2 failed".to_string())),
            tl.endless_job("P3"),
        ];
        let q = [tl.job("Q1", 2000, Ok('1')), tl.job("Q2", 3000, Ok('2')), tl.endless_job("Q3")];
        let teams = vec![team(&tl, "P", p), team(&tl, "Q", q)];
        let result = group(teams).await;
        let what =
            "an outer group of teams P (P1 2 s, P2 fails at 1 s, P3 never ends) and Q (2 s, 3 s, never ends)";
        assert_returned_at(checker::elapsed(), 1000, what, LATE, EARLY);
        check_eq(
            result,
            Err(GroupError { job: "P".into(), failure: Failure::Failed(failed("P2", "P2 failed")) }),
            &format!("{what}: the outer error names team P, and P's own error names P2"),
        );
        assert_live_tasks(0, &format!("tasks alive once {what} has returned at 1 s")).await;
        tokio::time::sleep(ms(5000)).await;
        assert_cancelled_at(
            &tl,
            &["P1", "P3", "Q", "Q1", "Q2", "Q3"],
            1000,
            what,
            "when P2 failed.\nP2's failure ends P's group at once, P's failure ends the outer group at once, \
             and cancelling Q cancels Q's members with it.",
        );
    });
}

// ---- task 3: supervise --------------------------------------------------

/// What one attempt of a supervised job does: runs 100 ms, then ends so.
#[derive(Debug, Clone, Copy)]
enum Attempt {
    Ok,
    Fails,
    PanicsStr(&'static str),
    PanicsString,
    NeverEnds,
}

/// How long every attempt of these tests runs before it ends.
const ATTEMPT_MS: u64 = 100;

/// Set when a supervisor asks its factory for one attempt too many: what
/// to tell the learner.
type Overrun = Arc<Mutex<Option<String>>>;

/// A factory that makes attempt `n` as `script[n]` says, on the timeline
/// as "attempt n". Attempt n succeeds with `Ok(n)`, fails with
/// `Err("attempt n failed")`, or panics with a `String` payload
/// "attempt n: disk 7 is full". A call past the end of the script fails the
/// test: the supervisor restarted once too often.
fn scripted(
    tl: &Timeline,
    script: &[Attempt],
    max_restarts: u32,
) -> (impl FnMut() -> Job<Result<usize, String>> + use<>, Overrun) {
    let (tl, script) = (tl.clone(), script.to_vec());
    let overrun = Overrun::default();
    let seen = overrun.clone();
    let mut n = 0;
    let factory = move || {
        let name = format!("attempt {n}");
        let Some(step) = script.get(n).copied() else {
            let message = format!(
                "supervise(.., max_restarts = {max_restarts}, ..) asked its factory for attempt {n} at {}, restart \
                 number {n}. it may run the job at most {} time(s), the first run and {max_restarts} \
                 restart(s); then it gives up with the last failure (look at `supervise` in src/lib.rs).",
                checker::fmt_duration(checker::elapsed()),
                max_restarts + 1
            );
            seen.lock().unwrap().get_or_insert(message.clone());
            checker::fail(message)
        };
        let job = match step {
            Attempt::Ok => tl.job(name, ATTEMPT_MS, Ok(n)),
            Attempt::Fails => tl.job(name, ATTEMPT_MS, Err(format!("attempt {n} failed"))),
            Attempt::PanicsStr(text) => tl.str_panic_job(name, ATTEMPT_MS, text),
            Attempt::PanicsString => {
                tl.string_panic_job(name, ATTEMPT_MS, format!("attempt {n}: disk {} is full", 7))
            }
            Attempt::NeverEnds => tl.endless_job(name),
        };
        n += 1;
        job
    };
    (factory, overrun)
}

/// The backoff of these tests.
const BACKOFF_MS: u64 = 250;

/// Runs `supervise` on a script, which must not panic whatever its
/// attempts do.
async fn supervise_script(
    tl: &Timeline,
    script: &[Attempt],
    max_restarts: u32,
) -> Result<usize, Failure<String>> {
    let (factory, overrun) = scripted(tl, script, max_restarts);
    checker::catch_panic(supervise(factory, max_restarts, ms(BACKOFF_MS))).await.unwrap_or_else(|text| {
        if let Some(message) = overrun.lock().unwrap().clone() {
            checker::fail(message)
        }
        checker::fail(format!(
            "supervise panicked when an attempt panicked, with: {text}\n\
             a panicking attempt is a failure like an error: restart it, or give up with Failure::Panicked \
             and its text. run each attempt as a task (a JoinSet of one) and read its JoinError; do not \
             unwrap it (look at `supervise` in src/lib.rs)."
        ))
    })
}

/// Attempt `n` on the schedule: it starts at `start` and ends 100 ms later.
fn attempt(n: usize, start: u64) -> checker::Expected {
    done(&format!("attempt {n}"), start, start + ATTEMPT_MS)
}

const RESTARTS: &str = "each attempt starts exactly the backoff (250 ms) after the one before it ended";

/// Fails unless the supervisor made exactly `expected` attempts: its first
/// run and `expected - 1` restarts. `what` names the call.
fn check_attempts(tl: &Timeline, expected: usize, what: &str) {
    let made = tl.spans().len();
    if made != expected {
        checker::fail(format!(
            "{what}: supervise ran the job {made} time(s); it should run it {expected} time(s), the first run \
             and {} restart(s).\n\
             every failure, an Err or a panic, is restarted until a run succeeds or max_restarts restarts \
             have been made; max_restarts counts restarts, not attempts (max_restarts = 3 allows 4 runs in \
             all). look at how `supervise` in src/lib.rs decides to give up.",
            expected - 1
        ));
    }
}

#[test]
fn supervise_restarts_a_failing_job_after_the_backoff() {
    checker::run(async {
        let tl = Timeline::new();
        let result = supervise_script(&tl, &[Attempt::Fails, Attempt::Fails, Attempt::Ok], 3).await;
        check_attempts(&tl, 3, "supervise(fails, fails, ok; max_restarts = 3)");
        assert_schedule(&tl, &[attempt(0, 0), attempt(1, 350), attempt(2, 700)], RESTARTS);
        check_eq(result, Ok(2), "supervise returns the value of the attempt that succeeded");
        assert_returned_at(
            checker::elapsed(),
            800,
            "supervise(fails, fails, ok; max_restarts = 3, backoff 250 ms)",
            "it should return the instant an attempt succeeds.",
            "",
        );
    });
}

#[test]
fn supervise_gives_up_with_the_last_error() {
    checker::run(async {
        let tl = Timeline::new();
        let script = [Attempt::Fails; 4];
        let result = supervise_script(&tl, &script, 3).await;
        check_attempts(&tl, 4, "supervise(4 failing attempts; max_restarts = 3)");
        assert_schedule(&tl, &[attempt(0, 0), attempt(1, 350), attempt(2, 700), attempt(3, 1050)], RESTARTS);
        check_eq(
            result,
            Err(Failure::Failed("attempt 3 failed".to_string())),
            "supervise gives up with the last attempt's failure",
        );
        assert_returned_at(
            checker::elapsed(),
            1150,
            "supervise(4 failing attempts; max_restarts = 3, backoff 250 ms)",
            "it should give up the instant the last allowed attempt fails: no backoff after it, nothing is \
             restarted any more.",
            "",
        );
        assert_live_tasks(0, "tasks alive once supervise has given up").await;
    });
}

#[test]
fn supervise_succeeds_on_the_last_allowed_restart() {
    checker::run(async {
        let tl = Timeline::new();
        let script = [Attempt::Fails, Attempt::Fails, Attempt::Fails, Attempt::Ok];
        let result = supervise_script(&tl, &script, 3).await;
        check_attempts(&tl, 4, "supervise(fails ×3, then ok; max_restarts = 3)");
        assert_schedule(&tl, &[attempt(0, 0), attempt(1, 350), attempt(2, 700), attempt(3, 1050)], RESTARTS);
        check_eq(
            result,
            Ok(3),
            "max_restarts = 3 allows 3 restarts after the first run: the 4th attempt is allowed, and it succeeds",
        );
        assert_returned_at(
            checker::elapsed(),
            1150,
            "supervise(fails ×3, then ok; max_restarts = 3)",
            "",
            "",
        );
    });
}

#[test]
fn supervise_with_no_restarts_runs_the_job_once() {
    checker::run(async {
        let tl = Timeline::new();
        let result = supervise_script(&tl, &[Attempt::Fails], 0).await;
        check_attempts(&tl, 1, "supervise(fails; max_restarts = 0)");
        assert_schedule(&tl, &[attempt(0, 0)], "max_restarts = 0: the job runs once");
        check_eq(
            result,
            Err(Failure::Failed("attempt 0 failed".to_string())),
            "supervise(fails; max_restarts = 0)",
        );
        assert_returned_at(
            checker::elapsed(),
            100,
            "supervise(fails; max_restarts = 0)",
            "with no restart allowed it gives up the instant the job fails: no backoff.",
            "",
        );

        let tl = Timeline::new();
        let result = supervise_script(&tl, &[Attempt::Ok], 0).await;
        check_eq(result, Ok(0), "supervise(ok; max_restarts = 0) returns the job's value");
        assert_returned_at(
            checker::elapsed(),
            200,
            "supervise(ok; max_restarts = 0), called at 0.1 s",
            "",
            "",
        );
    });
}

#[test]
fn supervise_restarts_a_panicking_job() {
    checker::run(async {
        let tl = Timeline::new();
        let script = [Attempt::PanicsStr("boom"), Attempt::PanicsString, Attempt::Ok];
        let result = supervise_script(&tl, &script, 3).await;
        check_attempts(&tl, 3, "supervise(panics, panics, ok; max_restarts = 3)");
        assert_schedule(
            &tl,
            &[panicked("attempt 0", 0, 100), panicked("attempt 1", 350, 450), attempt(2, 700)],
            "a panicking attempt is restarted like a failing one, after the backoff",
        );
        check_eq(result, Ok(2), "supervise(panics, panics, ok; max_restarts = 3)");
        assert_returned_at(
            checker::elapsed(),
            800,
            "supervise(panics, panics, ok; max_restarts = 3)",
            "",
            "",
        );
        assert_live_tasks(0, "tasks alive once supervise has returned").await;
    });
}

/// What a panic message that came back wrong usually is.
fn panic_advice(got: &Result<usize, Failure<String>>) -> &'static str {
    match got {
        Err(Failure::Panicked(text)) if text.contains("panicked with message") => {
            "\nyour text is the JoinError's Display; the panic's text is in its payload: err.into_panic()."
        }
        _ => "",
    }
}

#[test]
fn supervise_gives_up_with_a_str_panic_by_its_message() {
    checker::run(async {
        let tl = Timeline::new();
        let result = supervise_script(&tl, &[Attempt::Fails, Attempt::PanicsStr("boom")], 1).await;
        let expected = Err(Failure::Panicked("boom".to_string()));
        if result != expected {
            checker::fail(format!(
                "supervise(fails, then panics with panic!(\"boom\"); max_restarts = 1) gave up with {result:?}; \
                 it should give up with the last failure, {expected:?}.\n\
                 panic!(\"boom\") puts a &'static str in the payload: read it with downcast_ref::<&str>() (and \
                 a String with downcast_ref::<String>()).{}",
                panic_advice(&result)
            ));
        }
        assert_returned_at(
            checker::elapsed(),
            450,
            "supervise(fails, then panics; max_restarts = 1)",
            "",
            "",
        );
    });
}

#[test]
fn supervise_gives_up_with_a_string_panic_by_its_message() {
    checker::run(async {
        let tl = Timeline::new();
        let result = supervise_script(&tl, &[Attempt::PanicsStr("boom"), Attempt::PanicsString], 1).await;
        let expected = Err(Failure::Panicked("attempt 1: disk 7 is full".to_string()));
        if result != expected {
            checker::fail(format!(
                "supervise(panics with \"boom\", then with panic!(\"attempt {{n}}: disk {{d}} is full\"); \
                 max_restarts = 1) gave up with {result:?}; it should give up with the last failure, \
                 {expected:?}.\n\
                 panic!(\"{{x}}\") puts a String in the payload: read it with downcast_ref::<String>() (and a \
                 &'static str with downcast_ref::<&str>()).{}",
                panic_advice(&result)
            ));
        }
        assert_returned_at(checker::elapsed(), 450, "supervise(panics twice; max_restarts = 1)", "", "");
    });
}

#[test]
fn supervise_dropped_takes_its_attempt_with_it() {
    checker::run(async {
        // Attempt 0 fails at 100 ms, attempt 1 starts at 350 ms and never
        // ends; the caller gives up at 500 ms.
        let tl = Timeline::new();
        let (factory, _) = scripted(&tl, &[Attempt::Fails, Attempt::NeverEnds], 3);
        let cut = tokio::time::timeout(ms(500), supervise(factory, 3, ms(BACKOFF_MS))).await;
        if let Ok(result) = cut {
            checker::fail(format!(
                "supervise returned {result:?} at 0.5 s, while attempt 1 was still running."
            ));
        }
        assert_live_tasks(
            0,
            "tasks alive once supervise was dropped at 0.5 s, with attempt 1 running (a dropped supervisor takes \
             its attempt with it: a JoinSet aborts its task when dropped, a JoinHandle only detaches it)",
        )
        .await;
        tokio::time::sleep(ms(5000)).await;
        assert_schedule(
            &tl,
            &[attempt(0, 0), dropped("attempt 1", 350, 500)],
            "a supervisor dropped at 0.5 s cancels the attempt it is running, then and there",
        );
    });
}

// ---- task 4: Background ---------------------------------------------------

/// A job of `ms` milliseconds on the timeline, spawned on `bg`.
fn spawn_on(bg: &Background, tl: &Timeline, name: &str, ms: u64) -> tokio::task::JoinHandle<char> {
    let value = name.chars().next().unwrap_or('?').to_ascii_lowercase();
    bg.spawn(tl.job(name, ms, value)).unwrap_or_else(|closed| {
        checker::fail(format!(
            "Background::spawn({name}) returned Err({closed:?}) on a set that was never closed: only `close` \
             stops new tasks (look at `Background::spawn` in src/lib.rs)."
        ))
    })
}

/// Waits on `bg` under the test's patience, and says what usually hangs.
async fn wait_on(bg: &Background, what: &str) {
    within(
        PATIENCE,
        what,
        "wait returns once the set is closed and its last task has ended: was `close` passed on to the \
         TaskTracker, and was every task spawned on it (TaskTracker::spawn)?",
        bg.wait(),
    )
    .await;
}

#[test]
fn background_wait_returns_when_the_last_task_ends() {
    checker::run_with(Limits::one_minute(), async {
        let tl = Timeline::new();
        let bg = Background::new();
        let (a, b, _c) =
            (spawn_on(&bg, &tl, "A", 1000), spawn_on(&bg, &tl, "B", 3000), spawn_on(&bg, &tl, "C", 2000));
        bg.close();
        // Two waiters: both return at the last task's end.
        let returned = Arc::new(Mutex::new(Vec::new()));
        let waiter = |who: &'static str| {
            let (bg, returned) = (bg.clone(), returned.clone());
            async move {
                wait_on(&bg, "Background::wait (A 1 s, B 3 s, C 2 s, closed at 0 s)").await;
                returned.lock().unwrap().push((who, checker::elapsed()));
            }
        };
        tokio::join!(waiter("first waiter"), waiter("second waiter"));
        let returned = returned.lock().unwrap().clone();
        for (who, at) in returned {
            assert_returned_at(
                at,
                3000,
                &format!("Background::wait (A 1 s, B 3 s, C 2 s, closed at 0 s), {who}"),
                "it should return the instant the last task ends, for every waiter.",
                "it should wait for the last tracked task, B, to end: was every task spawned on the tracker?",
            );
        }
        assert_schedule(
            &tl,
            &[done("A", 0, 1000), done("B", 0, 3000), done("C", 0, 2000)],
            "background tasks start when spawned and run to their end",
        );
        check_eq(a.await.ok(), Some('a'), "A's JoinHandle gives A's value");
        check_eq(b.await.ok(), Some('b'), "B's JoinHandle gives B's value");
    });
}

#[test]
fn background_wait_returns_at_close_when_the_tasks_have_ended() {
    checker::run_with(Limits::one_minute(), async {
        let tl = Timeline::new();
        let bg = Background::new();
        spawn_on(&bg, &tl, "A", 1000);
        // The wait begins at 0 s; the set is closed only at 2 s.
        let closer = {
            let bg = bg.clone();
            async move {
                tokio::time::sleep(ms(2000)).await;
                bg.close();
            }
        };
        let waiter = async {
            wait_on(&bg, "Background::wait (A 1 s, closed at 2 s)").await;
            checker::elapsed()
        };
        let (returned_at, ()) = tokio::join!(waiter, closer);
        assert_returned_at(
            returned_at,
            2000,
            "Background::wait begun at 0 s (A 1 s, closed at 2 s)",
            "",
            "an open set may still get new tasks: wait returns only once it is closed *and* empty. did `wait` \
             close the set itself, or only wait for it to be empty?",
        );
    });
}

#[test]
fn background_wait_counts_tasks_spawned_by_tasks() {
    checker::run_with(Limits::one_minute(), async {
        // A runs 1 s, then spawns B (2 s) on a clone of the set; the set is
        // closed at 1.5 s, so B (ending at 3 s) is the last task.
        let tl = Timeline::new();
        let bg = Background::new();
        let a = {
            let (inner, tl2) = (bg.clone(), tl.clone());
            bg.spawn(tl.job_from("A", async move {
                tokio::time::sleep(ms(1000)).await;
                inner.spawn(tl2.job("B", 2000, 'b')).map(drop)
            }))
            .unwrap_or_else(|_| {
                checker::fail("Background::spawn(A) on a new, open set returned Err(Closed).")
            })
        };
        let closer = {
            let bg = bg.clone();
            async move {
                tokio::time::sleep(ms(1500)).await;
                bg.close();
            }
        };
        let waiter = async {
            wait_on(&bg, "Background::wait (A 1 s spawns B 2 s at 1 s, closed at 1.5 s)").await;
            checker::elapsed()
        };
        let (returned_at, ()) = tokio::join!(waiter, closer);
        check_eq(
            a.await.ok(),
            Some(Ok(())),
            "A's spawn of B at 1 s, on a set still open (it is closed at 1.5 s): only close stops new tasks",
        );
        assert_returned_at(
            returned_at,
            3000,
            "Background::wait (A 1 s spawns B 2 s at 1 s, closed at 1.5 s)",
            "",
            "B was spawned by a tracked task before the set was closed: wait must wait for it too.",
        );
    });
}

#[test]
fn background_refuses_to_spawn_after_close() {
    checker::run_with(Limits::one_minute(), async {
        let tl = Timeline::new();
        let bg = Background::new();
        spawn_on(&bg, &tl, "A", 1000);
        bg.close();
        let refused = bg.spawn(tl.job("D", 5000, 'd'));
        check_eq(refused.map(drop), Err(Closed), "Background::spawn(D) after close");
        wait_on(&bg, "Background::wait (A 1 s, D refused)").await;
        assert_returned_at(
            checker::elapsed(),
            1000,
            "Background::wait (A 1 s, closed at 0 s, D refused)",
            "a refused job is not tracked: wait should return when A ends. was D spawned anyway?",
            "",
        );
        tokio::time::sleep(ms(6000)).await;
        assert_never_started(&tl, "D", "a job refused by a closed set must not run at all");
    });
}

#[test]
fn background_closed_and_empty_lets_wait_return_at_once() {
    checker::run_with(Limits::one_minute(), async {
        let bg = Background::new();
        bg.close();
        at_once(
            bg.wait(),
            "Background::wait on a closed set that never had a task",
            "it has nothing to wait for.",
        )
        .await;
        let tl = Timeline::new();
        let bg = Background::new();
        spawn_on(&bg, &tl, "A", 1000);
        tokio::time::sleep(ms(2000)).await;
        bg.close();
        at_once(
            bg.wait(),
            "Background::wait, closed at 2 s after A ended at 1 s",
            "A has ended: nothing is left.",
        )
        .await;
    });
}

#[test]
fn background_a_panicking_task_still_counts_as_ended() {
    checker::run_with(Limits::one_minute(), async {
        let tl = Timeline::new();
        let bg = Background::new();
        let _ = bg.spawn(tl.str_panic_job::<()>("A", 1000, "boom"));
        spawn_on(&bg, &tl, "B", 2000);
        bg.close();
        wait_on(&bg, "Background::wait (A panics at 1 s, B 2 s)").await;
        assert_returned_at(
            checker::elapsed(),
            2000,
            "Background::wait (A panics at 1 s, B 2 s, closed at 0 s)",
            "a task that panicked has ended too.",
            "",
        );
    });
}

#[test]
fn background_dropped_lets_its_tasks_run_on() {
    checker::run(async {
        let tl = Timeline::new();
        let bg = Background::new();
        spawn_on(&bg, &tl, "A", 1000);
        tokio::time::sleep(ms(500)).await;
        drop(bg);
        let live = checker::settled_live_tasks().await;
        if live != 1 {
            checker::fail(format!(
                "just after the Background holding A (1 s) was dropped at 0.5 s, the runtime counts {live} live \
                 task(s); A's task should still be running, alone: dropping a Background neither cancels nor \
                 waits for its tasks (look at `Background` in src/lib.rs: does something abort them on drop?)."
            ));
        }
        tokio::time::sleep(ms(1000)).await;
        assert_schedule(
            &tl,
            &[done("A", 0, 1000)],
            "a background task runs to its end after its set is dropped",
        );
    });
}
