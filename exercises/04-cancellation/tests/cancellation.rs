//! Tests for 04-cancellation. The same file tests the stub (in exercises/)
//! and the solution (in solutions/): both build a library called
//! `cancellation`.
//!
//! Every job sleeps on the paused virtual clock, so "cancelled at exactly
//! 400 ms" is an `==` that never flakes. Test names start with the task
//! they check.

use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use cancellation::{AbortOnDrop, JobEnd, ShutdownReport, abort_after, serve, shutdown, worker};
use checker::{
    Limits, PATIENCE, Timeline, assert_live_tasks, assert_returned_after, assert_returned_at,
    assert_schedule, cancel_after, check_eq, done, dropped, fail, first_difference, fmt_duration, ms, within,
};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// A Drop guard: it writes down the virtual instant it was dropped at,
/// which is when the code around it was cancelled or finished.
struct Cleanup(Arc<Mutex<Option<Duration>>>);

impl Drop for Cleanup {
    fn drop(&mut self) {
        *self.0.lock().unwrap() = Some(checker::elapsed());
    }
}

fn cleanup() -> (Cleanup, Arc<Mutex<Option<Duration>>>) {
    let at = Arc::new(Mutex::new(None));
    (Cleanup(at.clone()), at)
}

/// Panics like `panic!`, without running the panic hook: a panic the test
/// expects prints no message and no backtrace. The payload keeps its type:
/// `quiet_panic("boom")` carries a `&'static str`, as `panic!("boom")`
/// does; `quiet_panic(format!(..))` a `String`, as `panic!("{x}")` does.
fn quiet_panic<M: Any + Send>(message: M) -> ! {
    std::panic::resume_unwind(Box::new(message))
}

/// The jobs of `tl` that have started and not ended: read it the instant a
/// call returns, before anything else runs.
fn still_running(tl: &Timeline) -> Vec<String> {
    tl.spans().into_iter().filter(|s| s.fate.in_flight()).map(|s| s.name).collect()
}

/// Fails if some job the call aborted was still running when it returned
/// (`running`, read with [`still_running`] at that instant). Call it after
/// the schedule is known to be right: then those jobs *were* cancelled,
/// only later than the return.
fn check_gone_on_return(running: &[String], call: &str, returned_at: Duration) {
    if !running.is_empty() {
        fail(format!(
            "when {call} returned (at {}), {} had been aborted but {} still running: its cleanup had not run yet.\n\
             abort() only asks a task to stop; it is gone when awaiting its JoinHandle says so. \
             Await the handle after abort() in {call} (src/lib.rs), then return.",
            fmt_duration(returned_at),
            running.join(", "),
            if running.len() == 1 { "was" } else { "were" },
        ));
    }
}

/// Why a shutdown may never end.
const SHUTDOWN_HANGS: &str = "a worker that ignores the token never ends on its own: shutdown must stop waiting \
     at the end of the grace period (tokio::time::timeout_at) and abort it.";

/// Why serve may never end.
const SERVE_HANGS: &str = "serve must return when the token is cancelled, even while it waits for a message: \
     wait for \"a message or the token\" with tokio::select!. After the loop, collect what is queued with \
     try_recv (or close the channel first, then recv until None): a recv on an open, empty channel waits.";

// ---- task 1: abort_after ------------------------------------------------

#[test]
fn abort_after_cancels_the_job_and_its_cleanup_has_run_when_it_returns() {
    checker::run(async {
        let tl = Timeline::new();
        let (guard, cleaned_up_at) = cleanup();
        let job = tl.track("A", async move {
            let _guard = guard;
            tokio::time::sleep(ms(1000)).await;
            'a'
        });
        let end = abort_after(job, ms(400)).await;
        let returned_at = checker::elapsed();
        let cleaned_up_on_return = *cleaned_up_at.lock().unwrap();
        // Give a job that was left running the time to finish, so that it
        // shows on the timeline.
        tokio::time::sleep(ms(2000)).await;
        assert_schedule(
            &tl,
            &[dropped("A", 0, 400)],
            "abort_after(A 1 s, 400 ms) cancels A at 400 ms: a dropped JoinHandle would let it run on",
        );
        check_eq(
            *cleaned_up_at.lock().unwrap(),
            Some(ms(400)),
            "the instant the job's cleanup (a Drop guard inside it) ran",
        );
        if cleaned_up_on_return.is_none() {
            fail(format!(
                "abort_after returned at {} before the aborted job's cleanup (a Drop guard inside it) had run: \
                 it ran only later, at 400 ms.\n\
                 abort() only asks the task to stop. Await the JoinHandle after abort() in abort_after \
                 (src/lib.rs): when the join says cancelled, the task is gone and its cleanup has run.",
                fmt_duration(returned_at)
            ));
        }
        check_eq(end, JobEnd::Cancelled, "awaiting the aborted task's handle says it was cancelled");
        assert_returned_at(
            returned_at,
            400,
            "abort_after(A 1 s, 400 ms)",
            "it should abort A at the limit and return as soon as A is gone.",
            "A was still running: abort_after must wait for the limit before it aborts.",
        );
        assert_live_tasks(0, "after abort_after returned (the aborted job's task must be gone)").await;
    });
}

#[test]
fn abort_after_gives_back_at_once_the_value_of_a_job_that_ended_in_time() {
    checker::run(async {
        let tl = Timeline::new();
        let end = abort_after(tl.job("A", 300, 'a'), ms(400)).await;
        let returned_at = checker::elapsed();
        assert_schedule(
            &tl,
            &[done("A", 0, 300)],
            "a job of 300 ms ends on its own before the limit of 400 ms",
        );
        check_eq(
            end,
            JobEnd::Finished('a'),
            "a job that ended before the limit keeps its value: abort_after gives it back",
        );
        assert_returned_at(
            returned_at,
            300,
            "abort_after(A 300 ms, 400 ms)",
            "A ended at 300 ms: abort_after gives its value back then, it does not wait out the rest of the limit. \
             Wait for the job *or* the limit, whichever comes first: tokio::time::timeout(after, &mut handle).",
            "A had not ended yet.",
        );
    });
}

/// Runs a job that panics with `payload` at 200 ms under a limit of 400 ms.
async fn abort_after_a_panic<M: Any + Send + Clone>(payload: M) -> (JobEnd<char>, Duration) {
    let tl = Timeline::new();
    let job = tl.track("A", async move {
        tokio::time::sleep(ms(200)).await;
        quiet_panic(payload)
    });
    let end = abort_after(job, ms(400)).await;
    (end, checker::elapsed())
}

#[test]
fn abort_after_reports_a_panic_with_a_str_message_at_once() {
    checker::run(async {
        let (end, returned_at) = abort_after_a_panic("boom").await;
        check_eq(
            end,
            JobEnd::Panicked("boom".to_string()),
            "how abort_after reports a job that did panic!(\"boom\") at 200 ms: its payload is a &'static str. \
             A JoinError is_panic() or is_cancelled(): a job that panicked was not cancelled",
        );
        assert_returned_at(
            returned_at,
            200,
            "abort_after(A panics at 200 ms, 400 ms)",
            "A ended (with a panic) at 200 ms: abort_after reports it then, it does not wait out the limit.",
            "A had not ended yet.",
        );
    });
}

#[test]
fn abort_after_reports_a_panic_with_a_string_message() {
    checker::run(async {
        let job_id = 7;
        let (end, _) = abort_after_a_panic(format!("job {job_id} failed")).await;
        check_eq(
            end,
            JobEnd::Panicked("job 7 failed".to_string()),
            "how abort_after reports a job that did panic!(\"job {job_id} failed\"): a formatted panic's payload \
             is a String (panic!(\"boom\") gives a &'static str): downcast the payload to both",
        );
    });
}

#[test]
fn abort_after_with_a_limit_of_duration_max_does_not_overflow() {
    checker::run_with(Limits::one_minute(), async {
        let tl = Timeline::new();
        let end = within(
            PATIENCE,
            "abort_after(A 300 ms, Duration::MAX)",
            "A ended at 300 ms: its value comes back then, however far off the limit is.",
            abort_after(tl.job("A", 300, 'a'), Duration::MAX),
        )
        .await;
        check_eq(end, JobEnd::Finished('a'), "abort_after(A 300 ms, Duration::MAX) gives A's value");
        assert_returned_at(
            checker::elapsed(),
            300,
            "abort_after(A 300 ms, Duration::MAX)",
            "A ended at 300 ms: abort_after gives its value back then.",
            "A had not ended yet.",
        );
    });
}

// ---- task 2: AbortOnDrop ------------------------------------------------

#[test]
fn abort_on_drop_gives_the_value_when_awaited() {
    checker::run(async {
        let tl = Timeline::new();
        let result = AbortOnDrop::spawn(tl.job("A", 1000, 'a')).await;
        check_eq(result.ok(), Some('a'), "awaiting an AbortOnDrop gives the task's value, like a JoinHandle");
        assert_schedule(&tl, &[done("A", 0, 1000)], "a task that is awaited runs to its end");
        assert_returned_at(
            checker::elapsed(),
            1000,
            "awaiting AbortOnDrop::spawn(A 1 s)",
            "the await should end when the task does.",
            "the await should end when the task does.",
        );
    });
}

#[test]
fn abort_on_drop_cancels_where_a_join_handle_detaches() {
    checker::run(async {
        let tl = Timeline::new();
        // A plain JoinHandle, dropped at once: the task is detached, not cancelled.
        let detached: JoinHandle<char> = tokio::spawn(tl.job("plain JoinHandle", 1000, 'a'));
        drop(detached);
        // An AbortOnDrop, dropped at 400 ms: its task must stop right then.
        let owned = AbortOnDrop::spawn(tl.job("AbortOnDrop", 1000, 'b'));
        tokio::time::sleep(ms(400)).await;
        drop(owned);
        tokio::time::sleep(ms(2000)).await;
        assert_schedule(
            &tl,
            &[done("plain JoinHandle", 0, 1000), dropped("AbortOnDrop", 0, 400)],
            "dropping a JoinHandle detaches its task; dropping an AbortOnDrop must abort it (look at its Drop)",
        );
    });
}

#[test]
fn abort_on_drop_cancels_when_a_timeout_drops_it() {
    checker::run(async {
        let tl = Timeline::new();
        let timed_out = tokio::time::timeout(ms(400), AbortOnDrop::spawn(tl.job("A", 1000, 'a'))).await;
        check_eq(timed_out.is_err(), true, "a 1 s task under a 400 ms timeout times out");
        assert_live_tasks(0, "after a timeout dropped the AbortOnDrop at 400 ms (its task must be aborted)")
            .await;
        tokio::time::sleep(ms(2000)).await;
        assert_schedule(
            &tl,
            &[dropped("A", 0, 400)],
            "a timeout drops the AbortOnDrop it gave up on, and that must abort the task",
        );
    });
}

#[test]
fn abort_on_drop_abort_makes_the_join_say_cancelled() {
    checker::run(async {
        let tl = Timeline::new();
        let owned = AbortOnDrop::spawn(tl.job("A", 1000, 'a'));
        tokio::time::sleep(ms(400)).await;
        owned.abort();
        let result = owned.await;
        check_eq(
            result.map_err(|e| e.is_cancelled()),
            Err(true),
            "after abort(), awaiting the handle gives a JoinError that is_cancelled()",
        );
        assert_schedule(&tl, &[dropped("A", 0, 400)], "abort() at 400 ms cancels the task at 400 ms");
    });
}

// ---- task 3: worker -----------------------------------------------------

#[test]
fn worker_finishes_the_unit_in_hand_and_stops() {
    checker::run(async {
        let tl = Timeline::new();
        let token = CancellationToken::new();
        cancel_after(&token, 1100);
        let units = worker(token.clone(), |i| tl.job(format!("unit {i}"), 250, ())).await;
        let returned_at = checker::elapsed();
        assert_schedule(
            &tl,
            &[
                done("unit 0", 0, 250),
                done("unit 1", 250, 500),
                done("unit 2", 500, 750),
                done("unit 3", 750, 1000),
                done("unit 4", 1000, 1250),
            ],
            "a worker doing 250 ms units, cancelled at 1.100 s, finishes the unit in hand (none is cut in half)",
        );
        check_eq(
            tl.spans().len(),
            5,
            "units the worker started: none may start after the cancel (look at the token before each unit)",
        );
        check_eq(
            units,
            5,
            "what worker returns: the number of units done, the one in hand when the token was cancelled included",
        );
        assert_returned_at(
            returned_at,
            1250,
            "worker (250 ms units, cancelled at 1.100 s)",
            "unit 4 ended at 1.250 s: the worker returns then.",
            "unit 4 runs to 1.250 s: the worker returns when it ends.",
        );
    });
}

#[test]
fn worker_with_a_cancelled_token_does_no_work() {
    checker::run(async {
        let tl = Timeline::new();
        let token = CancellationToken::new();
        token.cancel();
        let units = worker(token, |i| tl.job(format!("unit {i}"), 250, ())).await;
        check_eq(tl.spans().len(), 0, "units started: look at the token before each unit, the first one too");
        check_eq(units, 0, "units done by a worker whose token was cancelled before it began");
        assert_returned_at(
            checker::elapsed(),
            0,
            "worker with a token cancelled before it began",
            "it should return at once, without starting a unit.",
            "",
        );
    });
}

// ---- task 4: shutdown ---------------------------------------------------

/// A cooperative worker: units of `unit_ms`, and it looks at the token
/// before each one.
fn cooperative(
    tl: &Timeline,
    name: &str,
    token: &CancellationToken,
    unit_ms: u64,
) -> (String, JoinHandle<()>) {
    let token = token.clone();
    let job = tl.track(name, async move {
        while !token.is_cancelled() {
            tokio::time::sleep(ms(unit_ms)).await;
        }
    });
    (name.to_string(), tokio::spawn(job))
}

/// A worker that ignores the token and never ends on its own.
fn stubborn(tl: &Timeline, name: &str) -> (String, JoinHandle<()>) {
    (name.to_string(), tokio::spawn(tl.track(name, std::future::pending::<()>())))
}

/// A worker that panics `after_ms` after the token is cancelled.
fn panics_on_the_way_out(
    tl: &Timeline,
    name: &str,
    token: &CancellationToken,
    after_ms: u64,
) -> (String, JoinHandle<()>) {
    let token = token.clone();
    let job = tl.track(name, async move {
        token.cancelled().await;
        tokio::time::sleep(ms(after_ms)).await;
        quiet_panic("boom while shutting down")
    });
    (name.to_string(), tokio::spawn(job))
}

fn names(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| n.to_string()).collect()
}

/// Calls `shutdown` under a hang guard; returns the report, the instant it
/// returned and the workers still running at that instant.
async fn timed_shutdown(
    tl: &Timeline,
    token: &CancellationToken,
    workers: Vec<(String, JoinHandle<()>)>,
    grace: Duration,
) -> (ShutdownReport, Duration, Vec<String>) {
    let report = within(PATIENCE, "shutdown", SHUTDOWN_HANGS, shutdown(token, workers, grace)).await;
    (report, checker::elapsed(), still_running(tl))
}

#[test]
fn shutdown_aborts_the_stragglers_when_the_grace_period_ends() {
    checker::run_with(Limits::one_minute(), async {
        let tl = Timeline::new();
        let token = CancellationToken::new();
        let workers =
            vec![cooperative(&tl, "A", &token, 300), cooperative(&tl, "B", &token, 700), stubborn(&tl, "C")];
        tokio::time::sleep(ms(1000)).await;
        let (report, returned_at, running) = timed_shutdown(&tl, &token, workers, ms(500)).await;
        // A worker left running shows on the timeline if it is given time.
        tokio::time::sleep(ms(2000)).await;
        assert_schedule(
            &tl,
            &[done("A", 0, 1200), done("B", 0, 1400), dropped("C", 0, 1500)],
            "shutdown cancels the token at 1.000 s, A and B finish their unit, C is aborted at 1.500 s",
        );
        check_gone_on_return(&running, "shutdown", returned_at);
        assert_returned_at(
            returned_at,
            1500,
            "shutdown at 1.000 s with a grace of 500 ms (C ignores the token)",
            "the grace period ends at 1.500 s: abort C then, and return once it is gone.",
            "C must be given the whole grace period.",
        );
        check_eq(
            report,
            ShutdownReport { finished: names(&["A", "B"]), aborted: names(&["C"]), panicked: vec![] },
            "the shutdown report",
        );
        assert_live_tasks(0, "after shutdown returned (every worker must be gone)").await;
    });
}

#[test]
fn shutdown_reports_who_finished_who_was_aborted_and_who_panicked() {
    checker::run_with(Limits::one_minute(), async {
        let tl = Timeline::new();
        let token = CancellationToken::new();
        let workers = vec![
            stubborn(&tl, "A"),
            panics_on_the_way_out(&tl, "B", &token, 300),
            cooperative(&tl, "C", &token, 300),
            stubborn(&tl, "D"),
        ];
        tokio::time::sleep(ms(1000)).await;
        let (report, returned_at, _) = timed_shutdown(&tl, &token, workers, ms(500)).await;
        check_eq(
            report,
            ShutdownReport { finished: names(&["C"]), aborted: names(&["A", "D"]), panicked: names(&["B"]) },
            "the shutdown report, each list in the order the workers were given: C finished at 1.200 s and \
             B panicked at 1.300 s, before the deadline (even though A, given before them, was still running); \
             A and D were aborted at 1.500 s (the join of an aborted worker is_cancelled(): it did not finish)",
        );
        assert_returned_at(
            returned_at,
            1500,
            "shutdown at 1.000 s with a grace of 500 ms",
            "the grace period is one deadline for everyone (1.500 s), not one per worker.",
            "A and D must be given the whole grace period.",
        );
    });
}

#[test]
fn shutdown_reports_in_the_order_the_workers_were_given() {
    checker::run_with(Limits::one_minute(), async {
        let tl = Timeline::new();
        let token = CancellationToken::new();
        let (mut workers, mut expected) = (Vec::new(), ShutdownReport::default());
        // 100 workers with names out of alphabetical order, ending in an
        // order of their own: finished at 1.050 s to 1.800 s, panicked at
        // 1.100 s to 1.700 s, aborted at 2.000 s.
        for i in 0..100u64 {
            let name = format!("w{:02}", (i * 37) % 100);
            let worker = match i % 5 {
                0..=2 => {
                    expected.finished.push(name.clone());
                    cooperative(&tl, &name, &token, [300, 700, 450, 350, 600, 900][(i * 7 % 6) as usize])
                }
                3 => {
                    expected.aborted.push(name.clone());
                    stubborn(&tl, &name)
                }
                _ => {
                    expected.panicked.push(name.clone());
                    panics_on_the_way_out(&tl, &name, &token, [300, 100, 500, 700, 200][(i * 3 % 5) as usize])
                }
            };
            workers.push(worker);
        }
        tokio::time::sleep(ms(1000)).await;
        let (report, returned_at, _) = timed_shutdown(&tl, &token, workers, ms(1000)).await;
        for (list, got, want) in [
            ("finished", &report.finished, &expected.finished),
            ("aborted", &report.aborted, &expected.aborted),
            ("panicked", &report.panicked, &expected.panicked),
        ] {
            let (mut got_sorted, mut want_sorted) = (got.clone(), want.clone());
            got_sorted.sort();
            want_sorted.sort();
            check_eq(
                got_sorted,
                want_sorted,
                &format!(
                    "who is in the report's `{list}` list (100 workers: 60 finish, 20 are aborted, 20 panic)"
                ),
            );
            if got != want {
                let at = first_difference(got, want).unwrap_or(0);
                fail(format!(
                    "the report's `{list}` list has the right workers in another order: from position {at} on, \
                     yours is {:?}, expected {:?}.\n\
                     Each list is in the order the workers were given (not the order they ended in, nor sorted \
                     by name): walk the workers in order, or remember each one's index and put them back in order.",
                    &got[at..got.len().min(at + 5)],
                    &want[at..want.len().min(at + 5)],
                ));
            }
        }
        assert_returned_at(
            returned_at,
            2000,
            "shutdown of 100 workers at 1.000 s with a grace of 1 s",
            "the grace period is one deadline for everyone (2.000 s), not one per worker.",
            "the workers that ignore the token must be given the whole grace period.",
        );
    });
}

#[test]
fn shutdown_returns_as_soon_as_every_worker_is_done() {
    checker::run_with(Limits::one_minute(), async {
        let tl = Timeline::new();
        let token = CancellationToken::new();
        let workers = vec![cooperative(&tl, "A", &token, 300), cooperative(&tl, "B", &token, 700)];
        tokio::time::sleep(ms(1000)).await;
        let (report, returned_at, _) = timed_shutdown(&tl, &token, workers, ms(2000)).await;
        assert_schedule(
            &tl,
            &[done("A", 0, 1200), done("B", 0, 1400)],
            "both workers finish their unit in hand",
        );
        assert_returned_at(
            returned_at,
            1400,
            "shutdown at 1.000 s with a grace of 2 s, workers done by 1.400 s",
            "the last worker ended at 1.400 s: a grace period is an upper bound, not a sleep (timeout_at, not sleep).",
            "B was still running.",
        );
        check_eq(
            report,
            ShutdownReport { finished: names(&["A", "B"]), aborted: vec![], panicked: vec![] },
            "the shutdown report",
        );
    });
}

#[test]
fn shutdown_with_a_grace_of_duration_max_waits_without_overflow() {
    checker::run_with(Limits::one_minute(), async {
        let tl = Timeline::new();
        let token = CancellationToken::new();
        let workers = vec![cooperative(&tl, "A", &token, 700), cooperative(&tl, "B", &token, 300)];
        tokio::time::sleep(ms(1000)).await;
        let (report, returned_at, _) = timed_shutdown(&tl, &token, workers, Duration::MAX).await;
        check_eq(
            report,
            ShutdownReport { finished: names(&["A", "B"]), aborted: vec![], panicked: vec![] },
            "the shutdown report with a grace of Duration::MAX (\"as long as it takes\")",
        );
        assert_returned_at(
            returned_at,
            1400,
            "shutdown at 1.000 s with a grace of Duration::MAX, workers done by 1.400 s",
            "the last worker ended at 1.400 s.",
            "A was still running.",
        );
    });
}

#[test]
fn shutdown_with_no_grace_aborts_every_worker_at_once() {
    checker::run_with(Limits::one_minute(), async {
        let tl = Timeline::new();
        let token = CancellationToken::new();
        let workers = vec![cooperative(&tl, "A", &token, 300), stubborn(&tl, "B")];
        tokio::time::sleep(ms(1000)).await;
        let (report, returned_at, running) = timed_shutdown(&tl, &token, workers, Duration::ZERO).await;
        tokio::time::sleep(ms(2000)).await;
        assert_schedule(
            &tl,
            &[dropped("A", 0, 1000), dropped("B", 0, 1000)],
            "a grace period of zero aborts every worker still running at once",
        );
        check_gone_on_return(&running, "shutdown", returned_at);
        check_eq(
            report,
            ShutdownReport { finished: vec![], aborted: names(&["A", "B"]), panicked: vec![] },
            "the shutdown report",
        );
        assert_returned_at(
            returned_at,
            1000,
            "shutdown at 1.000 s with no grace",
            "it should abort at once.",
            "",
        );
    });
}

// ---- task 5: serve ------------------------------------------------------

/// How many times a test makes the token and a queued message ready at the
/// same instant. A `select!` without `biased;` picks one of them at random:
/// it goes wrong in one round or more of 32 on every run (but for a chance
/// of 2^-32), never on only half of the runs.
const ROUNDS: u32 = 32;

/// Fails unless serve started exactly the messages in `expected`: none may
/// start once the token is cancelled. `when` says when it was cancelled.
fn check_started(round: u32, tl: &Timeline, expected: &[&str], when: &str) {
    let started: Vec<String> = tl.spans().into_iter().map(|s| s.name).collect();
    if started.len() > expected.len() && started.starts_with(&names(expected)) {
        fail(format!(
            "round {round} of {ROUNDS}: serve was cancelled {when}; when that message ended, the token and the \
             next queued message were both ready, and serve started {}.\n\
             Once the token is cancelled, serve starts no other message. A tokio::select! without `biased;` \
             picks a ready branch at random (so this shows in some rounds and not others): in serve \
             (src/lib.rs), write `biased;` first and put the token's branch before rx.recv().",
            started[expected.len()..].join(", ")
        ));
    }
    check_eq(started, names(expected), &format!("round {round}: the messages serve started to handle"));
}

/// One round of the contest, at no cost in virtual time: messages 0, 1
/// and 2 are queued, and handling message 0 cancels the token. When message
/// 0 ends, the token and message 1 are ready together.
async fn serve_cancelled_by_message_0(round: u32) {
    let tl = Timeline::new();
    let token = CancellationToken::new();
    let (tx, rx) = mpsc::channel(8);
    for m in 0..3u32 {
        tx.try_send(m).expect("the channel has room for three messages");
    }
    let canceller = token.clone();
    let handed_back = within(
        PATIENCE,
        "serve",
        SERVE_HANGS,
        serve(rx, token, |m| {
            canceller.cancel();
            tl.job(format!("message {m}"), 0, ())
        }),
    )
    .await;
    check_started(round, &tl, &["message 0"], "while it handled message 0");
    check_eq(
        handed_back,
        vec![1, 2],
        &format!("round {round}: the messages serve handed back, never handled, in the order sent"),
    );
    drop(tx);
}

#[test]
fn serve_finishes_the_message_in_hand_and_hands_back_the_rest() {
    checker::run_with(Limits::one_minute(), async {
        let tl = Timeline::new();
        let token = CancellationToken::new();
        let (tx, rx) = mpsc::channel(8);
        for m in 0..6u32 {
            tx.try_send(m).expect("the channel has room for six messages");
        }
        cancel_after(&token, 1000);
        let handed_back = within(
            PATIENCE,
            "serve",
            SERVE_HANGS,
            serve(rx, token.clone(), |m| tl.job(format!("message {m}"), 300, ())),
        )
        .await;
        let returned_at = checker::elapsed();
        assert_schedule(
            &tl,
            &[
                done("message 0", 0, 300),
                done("message 1", 300, 600),
                done("message 2", 600, 900),
                done("message 3", 900, 1200),
            ],
            "serve handles one message at a time and finishes the one in hand when cancelled",
        );
        check_started(
            1,
            &tl,
            &["message 0", "message 1", "message 2", "message 3"],
            "at 1.000 s, in message 3 (900 ms to 1.200 s)",
        );
        check_eq(handed_back, vec![4, 5], "the messages serve hands back, never handled, in the order sent");
        assert_returned_at(
            returned_at,
            1200,
            "serve, cancelled at 1.000 s while handling message 3 (900 ms to 1.200 s)",
            "message 3 ended at 1.200 s: serve returns then.",
            "message 3 runs to 1.200 s: serve returns when it ends.",
        );
        drop(tx);
        // The same contest (token and a queued message ready together) 31
        // more times, at no cost in virtual time: see ROUNDS.
        for round in 2..=ROUNDS {
            serve_cancelled_by_message_0(round).await;
        }
    });
}

#[test]
fn serve_hands_back_everything_when_cancelled_before_it_starts() {
    checker::run_with(Limits::one_minute(), async {
        for round in 1..=ROUNDS {
            let start = checker::elapsed();
            let tl = Timeline::new();
            let token = CancellationToken::new();
            token.cancel();
            let (tx, rx) = mpsc::channel(8);
            for m in 0..3u32 {
                tx.try_send(m).expect("the channel has room for three messages");
            }
            let handed_back = within(
                PATIENCE,
                "serve",
                SERVE_HANGS,
                serve(rx, token, |m| tl.job(format!("message {m}"), 300, ())),
            )
            .await;
            check_started(round, &tl, &[], "before it began");
            check_eq(
                handed_back,
                vec![0, 1, 2],
                &format!(
                    "round {round}: a serve whose token was cancelled before it began hands back every message"
                ),
            );
            assert_returned_after(
                checker::elapsed() - start,
                0,
                &format!("round {round}: serve with a token cancelled before it began"),
                "it should return at once.",
                "",
            );
            drop(tx);
        }
    });
}

#[test]
fn serve_stops_at_once_when_cancelled_while_idle() {
    checker::run_with(Limits::one_minute(), async {
        let tl = Timeline::new();
        let token = CancellationToken::new();
        let (tx, rx) = mpsc::channel::<u32>(8);
        cancel_after(&token, 500);
        let handed_back = within(
            PATIENCE,
            "serve",
            SERVE_HANGS,
            serve(rx, token.clone(), |m| tl.job(format!("message {m}"), 300, ())),
        )
        .await;
        check_eq(handed_back, vec![], "an empty channel has nothing to hand back");
        assert_returned_at(
            checker::elapsed(),
            500,
            "serve waiting on an empty channel (its sender still alive), cancelled at 500 ms",
            "it should return at the cancel.",
            "the sender is still alive: an empty channel is not a closed one, serve waits for a message or the token.",
        );
        drop(tx);
    });
}

#[test]
fn serve_returns_when_every_sender_is_gone() {
    checker::run_with(Limits::one_minute(), async {
        let tl = Timeline::new();
        let token = CancellationToken::new();
        let (tx, rx) = mpsc::channel(8);
        for m in 0..3u32 {
            tx.try_send(m).expect("the channel has room for three messages");
        }
        drop(tx);
        let handed_back = within(
            PATIENCE,
            "serve",
            "every sender is gone: rx.recv() gives None once the channel is empty, and serve returns then.",
            serve(rx, token, |m| tl.job(format!("message {m}"), 300, ())),
        )
        .await;
        check_eq(handed_back, vec![], "nothing is left once every message has been handled");
        assert_schedule(
            &tl,
            &[done("message 0", 0, 300), done("message 1", 300, 600), done("message 2", 600, 900)],
            "serve handles every message, then sees the channel closed (recv gives None) and returns",
        );
        assert_returned_at(
            checker::elapsed(),
            900,
            "serve of three messages of 300 ms, no sender left",
            "it should return when the last message is done.",
            "",
        );
    });
}

#[test]
fn serve_loses_no_message_from_a_busy_producer() {
    checker::run_with(Limits::one_minute(), async {
        let tl = Timeline::new();
        let token = CancellationToken::new();
        // Capacity 2: the producer is soon waiting in send() for room.
        let (tx, rx) = mpsc::channel(2);
        let producer = tokio::spawn(async move {
            let (mut sent, mut refused) = (Vec::new(), Vec::new());
            for m in 0..20u32 {
                match tx.send(m).await {
                    Ok(()) => sent.push(m),
                    // The receiver closed: the message comes back to us.
                    Err(mpsc::error::SendError(m)) => refused.push(m),
                }
                tokio::time::sleep(ms(70)).await;
            }
            (sent, refused)
        });
        let handled = Arc::new(Mutex::new(Vec::new()));
        cancel_after(&token, 1100);
        let handed_back = within(
            PATIENCE,
            "serve",
            SERVE_HANGS,
            serve(rx, token.clone(), |m| {
                let handled = handled.clone();
                tl.track(format!("message {m}"), async move {
                    tokio::time::sleep(ms(250)).await;
                    handled.lock().unwrap().push(m);
                })
            }),
        )
        .await;
        let (sent, refused) = producer.await.expect("the producer task ends");
        let handled = handled.lock().unwrap().clone();
        // What is pinned here holds whichever branch a select! picks when
        // the token and a message are ready together (the tests above pin
        // that): no message may be lost, however serve stops.
        check_eq(
            handled.get(..5).map(<[u32]>::to_vec),
            Some(vec![0, 1, 2, 3, 4]),
            "the first messages serve handled, each to its end (it was cancelled at 1.100 s, while handling message 4)",
        );
        let mut accounted = handled.clone();
        accounted.extend(handed_back.iter().copied());
        check_eq(
            accounted,
            sent.clone(),
            "every message the producer sent is either handled or handed back, in order (handled, then handed back)",
        );
        let mut all = sent.clone();
        all.extend(refused.iter().copied());
        check_eq(
            all,
            (0..20).collect::<Vec<u32>>(),
            "every message the producer tried: sent ones first, then, once serve closed the channel, refused ones \
             (send() fails and gives the message back)",
        );
    });
}

/// Runs `fut`, and calls `on_wake` each time something wakes it, at that
/// very moment (inside the call that woke it), before it runs again.
struct OnWake<F> {
    fut: Pin<Box<F>>,
    on_wake: Arc<dyn Fn() + Send + Sync>,
}

struct WakeHook {
    task: Waker,
    on_wake: Arc<dyn Fn() + Send + Sync>,
}

impl Wake for WakeHook {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        (self.on_wake)();
        self.task.wake_by_ref();
    }
}

impl<F: Future> Future for OnWake<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.get_mut();
        let hook =
            Waker::from(Arc::new(WakeHook { task: cx.waker().clone(), on_wake: this.on_wake.clone() }));
        this.fut.as_mut().poll(&mut Context::from_waker(&hook))
    }
}

#[test]
fn serve_closes_the_channel_before_it_collects_what_is_queued() {
    checker::run_with(Limits::one_minute(), async {
        let tl = Timeline::new();
        let token = CancellationToken::new();
        // Capacity 1: message 1 waits in the channel while message 0 is
        // handled, and the producer waits in send(2) for room.
        let (tx, rx) = mpsc::channel(1);
        tx.try_send(0u32).expect("the channel has room for one message");
        let (watch, open_at_wake) = (tx.clone(), Arc::new(Mutex::new(Vec::new())));
        let on_wake: Arc<dyn Fn() + Send + Sync> = {
            let open_at_wake = open_at_wake.clone();
            Arc::new(move || open_at_wake.lock().unwrap().push(!watch.is_closed()))
        };
        let producer = tokio::spawn(async move {
            tx.send(1).await.expect("serve is running: message 1 goes in");
            OnWake { fut: Box::pin(tx.send(2)), on_wake }.await
        });
        let handled = Arc::new(Mutex::new(Vec::new()));
        cancel_after(&token, 100);
        let handed_back = within(
            PATIENCE,
            "serve",
            SERVE_HANGS,
            serve(rx, token, |m| {
                handled.lock().unwrap().push(m);
                tl.job(format!("message {m}"), 300, ())
            }),
        )
        .await;
        let send_2 = producer.await.expect("the producer task ends");
        let mut accounted = handled.lock().unwrap().clone();
        accounted.extend(handed_back.iter().copied());
        let sent = if send_2.is_ok() { vec![0, 1, 2] } else { vec![0, 1] };
        check_eq(
            accounted,
            sent,
            "every message that went into the channel is handled or handed back, in order (serve was cancelled \
             at 100 ms, in message 0, with message 1 queued and the producer waiting in send(2) for room)",
        );
        if send_2.is_err() && open_at_wake.lock().unwrap().iter().any(|&open| open) {
            fail(
                "serve made room in the channel while it was still open: it took a queued message out before \
                 closing the channel, and that woke the producer waiting in send(2) to put its message in; \
                 then its send failed.\n\
                 Here the producer found the channel closed by the time it ran, but on a multi-threaded runtime \
                 its message could land after your last try_recv, and be dropped with the receiver: lost.\n\
                 In serve (src/lib.rs), close the channel first (rx.close()), then collect what is queued.",
            );
        }
    });
}
