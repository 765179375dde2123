//! Tests for 04-cancellation. The same file tests the stub (in exercises/)
//! and the solution (in solutions/): both build a library called
//! `cancellation`.
//!
//! Every job sleeps on the paused virtual clock, so "cancelled at exactly
//! 400 ms" is an `==` that never flakes. Test names start with the task
//! they check.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use cancellation::{AbortOnDrop, JobEnd, ShutdownReport, abort_after, serve, shutdown, worker};
use checker::{Limits, Timeline, assert_elapsed, assert_schedule, check_eq, done, dropped, ms, within};
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

/// Panics like `panic!(message)`, without running the panic hook: a panic
/// the test expects prints no message and no backtrace.
fn quiet_panic(message: &'static str) -> ! {
    std::panic::resume_unwind(Box::new(message))
}

/// Cancels `token` after `after_ms`, from a task of its own.
fn cancel_at(token: &CancellationToken, after_ms: u64) {
    let token = token.clone();
    tokio::spawn(async move {
        tokio::time::sleep(ms(after_ms)).await;
        token.cancel();
    });
}

/// How long a call may run before a test calls it a hang: far longer than
/// any of these tests needs, and instant in real time.
const PATIENCE: Duration = ms(30_000);

/// A shorter virtual-time guard for the tests a wrong answer can hang.
fn one_minute() -> Limits {
    Limits::with_virtual_limit(ms(60_000))
}

/// Why a shutdown may never end.
const SHUTDOWN_HANGS: &str = "a worker that ignores the token never ends on its own: shutdown must stop waiting \
     at the end of the grace period (tokio::time::timeout_at) and abort it.";

/// Why serve may never end.
const SERVE_HANGS: &str = "serve must return when the token is cancelled, even while it waits for a message: \
     wait for \"a message or the token\" with tokio::select!.";

// ---- task 1: abort_after ------------------------------------------------

#[test]
fn abort_after_cancels_the_job_and_its_cleanup_runs_at_that_instant() {
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
        check_eq(end, JobEnd::Cancelled, "awaiting the aborted task's handle says it was cancelled");
        assert_elapsed(returned_at, 400, "abort_after returns as soon as the aborted task is gone");
    });
}

#[test]
fn abort_after_gives_the_value_of_a_job_that_finished_in_time() {
    checker::run(async {
        let tl = Timeline::new();
        let end = abort_after(tl.job("A", 300, 'a'), ms(400)).await;
        assert_schedule(
            &tl,
            &[done("A", 0, 300)],
            "a job of 300 ms ends on its own before the abort at 400 ms",
        );
        check_eq(
            end,
            JobEnd::Finished('a'),
            "aborting a task that has already finished does nothing: the join still gives its value",
        );
        assert_elapsed(
            checker::elapsed(),
            400,
            "abort_after(A 300 ms, 400 ms) waits the 400 ms it was given",
        );
    });
}

#[test]
fn abort_after_reports_a_panicking_job() {
    checker::run(async {
        let tl = Timeline::new();
        let job = tl.track("A", async {
            tokio::time::sleep(ms(200)).await;
            quiet_panic("boom")
        });
        let end: JobEnd<char> = abort_after(job, ms(400)).await;
        check_eq(
            end,
            JobEnd::Panicked("boom".to_string()),
            "a job that panics is not a cancelled job: the JoinError says which it was (is_panic / is_cancelled)",
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
        assert_elapsed(checker::elapsed(), 1000, "awaiting AbortOnDrop::spawn(A 1 s)");
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
        assert_elapsed(checker::elapsed(), 400, "abort() then await");
    });
}

// ---- task 3: worker -----------------------------------------------------

#[test]
fn worker_finishes_the_unit_in_hand_and_stops() {
    checker::run(async {
        let tl = Timeline::new();
        let token = CancellationToken::new();
        cancel_at(&token, 1100);
        let units = worker(token.clone(), |i| tl.job(format!("unit {i}"), 250, ())).await;
        assert_elapsed(
            checker::elapsed(),
            1250,
            "a worker doing 250 ms units, cancelled at 1.100 s, stops when unit 4 ends",
        );
        check_eq(units, 5, "units done by a worker doing 250 ms units, cancelled at 1.100 s");
        assert_schedule(
            &tl,
            &[
                done("unit 0", 0, 250),
                done("unit 1", 250, 500),
                done("unit 2", 500, 750),
                done("unit 3", 750, 1000),
                done("unit 4", 1000, 1250),
            ],
            "the worker finishes the unit in hand when the token is cancelled (none is cut in half)",
        );
        check_eq(tl.spans().len(), 5, "units the worker started: none may start after the cancel");
    });
}

#[test]
fn worker_with_a_cancelled_token_does_no_work() {
    checker::run(async {
        let tl = Timeline::new();
        let token = CancellationToken::new();
        token.cancel();
        let units = worker(token, |i| tl.job(format!("unit {i}"), 250, ())).await;
        check_eq(units, 0, "units done by a worker whose token was cancelled before it began");
        check_eq(tl.spans().len(), 0, "units started: look at the token before each unit, the first one too");
        assert_elapsed(checker::elapsed(), 0, "a worker cancelled before it began");
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

/// A worker that panics 300 ms after the token is cancelled.
fn panics_on_the_way_out(tl: &Timeline, name: &str, token: &CancellationToken) -> (String, JoinHandle<()>) {
    let token = token.clone();
    let job = tl.track(name, async move {
        token.cancelled().await;
        tokio::time::sleep(ms(300)).await;
        quiet_panic("boom while shutting down")
    });
    (name.to_string(), tokio::spawn(job))
}

fn names(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| n.to_string()).collect()
}

#[test]
fn shutdown_aborts_the_stragglers_when_the_grace_period_ends() {
    checker::run_with(one_minute(), async {
        let tl = Timeline::new();
        let token = CancellationToken::new();
        let workers =
            vec![cooperative(&tl, "A", &token, 300), cooperative(&tl, "B", &token, 700), stubborn(&tl, "C")];
        tokio::time::sleep(ms(1000)).await;
        let report = within(PATIENCE, "shutdown", SHUTDOWN_HANGS, shutdown(&token, workers, ms(500))).await;
        assert_elapsed(
            checker::elapsed(),
            1500,
            "shutdown at 1.000 s with a grace of 500 ms ends when the grace period does",
        );
        assert_schedule(
            &tl,
            &[done("A", 0, 1200), done("B", 0, 1400), dropped("C", 0, 1500)],
            "shutdown cancels the token at 1.000 s, A and B finish their unit, C is aborted at 1.500 s",
        );
        check_eq(
            report,
            ShutdownReport { finished: names(&["A", "B"]), aborted: names(&["C"]), panicked: vec![] },
            "the shutdown report",
        );
    });
}

#[test]
fn shutdown_reports_who_finished_who_was_aborted_and_who_panicked() {
    checker::run_with(one_minute(), async {
        let tl = Timeline::new();
        let token = CancellationToken::new();
        let workers = vec![
            stubborn(&tl, "A"),
            panics_on_the_way_out(&tl, "B", &token),
            cooperative(&tl, "C", &token, 300),
            stubborn(&tl, "D"),
        ];
        tokio::time::sleep(ms(1000)).await;
        let report = within(PATIENCE, "shutdown", SHUTDOWN_HANGS, shutdown(&token, workers, ms(500))).await;
        check_eq(
            report,
            ShutdownReport { finished: names(&["C"]), aborted: names(&["A", "D"]), panicked: names(&["B"]) },
            "the shutdown report, each list in the order the workers were given \
             (an aborted worker's join is a JoinError that is_cancelled(): it did not finish)",
        );
        assert_elapsed(checker::elapsed(), 1500, "shutdown at 1.000 s with a grace of 500 ms");
    });
}

#[test]
fn shutdown_returns_as_soon_as_every_worker_is_done() {
    checker::run_with(one_minute(), async {
        let tl = Timeline::new();
        let token = CancellationToken::new();
        let workers = vec![cooperative(&tl, "A", &token, 300), cooperative(&tl, "B", &token, 700)];
        tokio::time::sleep(ms(1000)).await;
        let report = within(PATIENCE, "shutdown", SHUTDOWN_HANGS, shutdown(&token, workers, ms(2000))).await;
        assert_elapsed(
            checker::elapsed(),
            1400,
            "shutdown returns when the last worker ends (1.400 s), not when the grace period would (3.000 s)",
        );
        assert_schedule(
            &tl,
            &[done("A", 0, 1200), done("B", 0, 1400)],
            "both workers finish their unit in hand",
        );
        check_eq(
            report,
            ShutdownReport { finished: names(&["A", "B"]), aborted: vec![], panicked: vec![] },
            "the shutdown report",
        );
    });
}

#[test]
fn shutdown_with_no_grace_aborts_every_worker_at_once() {
    checker::run_with(one_minute(), async {
        let tl = Timeline::new();
        let token = CancellationToken::new();
        let workers = vec![cooperative(&tl, "A", &token, 300), stubborn(&tl, "B")];
        tokio::time::sleep(ms(1000)).await;
        let report =
            within(PATIENCE, "shutdown", SHUTDOWN_HANGS, shutdown(&token, workers, Duration::ZERO)).await;
        assert_schedule(
            &tl,
            &[dropped("A", 0, 1000), dropped("B", 0, 1000)],
            "a grace period of zero aborts every worker still running at once",
        );
        check_eq(
            report,
            ShutdownReport { finished: vec![], aborted: names(&["A", "B"]), panicked: vec![] },
            "the shutdown report",
        );
        assert_elapsed(checker::elapsed(), 1000, "shutdown with no grace");
    });
}

// ---- task 5: serve ------------------------------------------------------

#[test]
fn serve_finishes_the_message_in_hand_and_hands_back_the_rest() {
    checker::run_with(one_minute(), async {
        let tl = Timeline::new();
        let token = CancellationToken::new();
        let (tx, rx) = mpsc::channel(8);
        for m in 0..6u32 {
            tx.try_send(m).expect("the channel has room for six messages");
        }
        cancel_at(&token, 1000);
        let handed_back = within(
            PATIENCE,
            "serve",
            SERVE_HANGS,
            serve(rx, token.clone(), |m| tl.job(format!("message {m}"), 300, ())),
        )
        .await;
        assert_elapsed(
            checker::elapsed(),
            1200,
            "serve, cancelled at 1.000 s while handling message 3 (900 ms to 1.200 s), returns when it is done",
        );
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
        check_eq(
            tl.spans().len(),
            4,
            "messages serve started to handle: none may start after the cancel (biased; token first)",
        );
        check_eq(handed_back, vec![4, 5], "the messages serve hands back, never handled, in the order sent");
        drop(tx);
    });
}

#[test]
fn serve_stops_at_once_when_cancelled_while_idle() {
    checker::run_with(one_minute(), async {
        let tl = Timeline::new();
        let token = CancellationToken::new();
        let (tx, rx) = mpsc::channel::<u32>(8);
        cancel_at(&token, 500);
        let handed_back = within(
            PATIENCE,
            "serve",
            SERVE_HANGS,
            serve(rx, token.clone(), |m| tl.job(format!("message {m}"), 300, ())),
        )
        .await;
        check_eq(handed_back, vec![], "an empty channel has nothing to hand back");
        assert_elapsed(checker::elapsed(), 500, "serve waiting on an empty channel, cancelled at 500 ms");
        drop(tx);
    });
}

#[test]
fn serve_returns_when_every_sender_is_gone() {
    checker::run_with(one_minute(), async {
        let tl = Timeline::new();
        let token = CancellationToken::new();
        let (tx, rx) = mpsc::channel(8);
        for m in 0..3u32 {
            tx.try_send(m).expect("the channel has room for three messages");
        }
        drop(tx);
        let handed_back = serve(rx, token, |m| tl.job(format!("message {m}"), 300, ())).await;
        check_eq(handed_back, vec![], "nothing is left once every message has been handled");
        assert_schedule(
            &tl,
            &[done("message 0", 0, 300), done("message 1", 300, 600), done("message 2", 600, 900)],
            "serve handles every message, then sees the channel closed (recv gives None) and returns",
        );
        assert_elapsed(checker::elapsed(), 900, "three messages of 300 ms, then no sender");
    });
}

#[test]
fn serve_loses_no_message_from_a_busy_producer() {
    checker::run_with(one_minute(), async {
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
        cancel_at(&token, 1100);
        let handed_back = serve(rx, token.clone(), |m| {
            let handled = handled.clone();
            tl.track(format!("message {m}"), async move {
                tokio::time::sleep(ms(250)).await;
                handled.lock().unwrap().push(m);
            })
        })
        .await;
        assert_elapsed(checker::elapsed(), 1250, "serve, cancelled at 1.100 s while handling message 4");
        let (sent, refused) = producer.await.expect("the producer task ends");
        let handled = handled.lock().unwrap().clone();
        check_eq(handled.clone(), vec![0, 1, 2, 3, 4], "the messages serve handled, each to its end");
        let mut accounted = handled.clone();
        accounted.extend(handed_back.iter().copied());
        check_eq(
            accounted,
            sent.clone(),
            "every message the producer sent is either handled or handed back, in order (handled, then handed back)",
        );
        check_eq(
            (sent.len(), refused.first().copied()),
            (7, Some(7)),
            "the producer got 7 messages in; from message 7 on, send() fails because serve closed the channel",
        );
    });
}
