//! Tests for 08-select. The same file tests the stub (in exercises/) and the
//! solution (in solutions/): both build a library called `select`.
//!
//! Every job sleeps on the paused virtual clock, so "returns at exactly
//! 1 s" is an `==` that never flakes. No two events are due at the same
//! instant unless the spec says who wins: the control loop's priority is
//! contested in four ways, 32 times each, in one test, so a `select!`
//! without `biased;` fails it on every run. "Dropped at t" is read from drop probes.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use checker::{
    Job, Parcel, Parcels, Timeline, assert_cancelled_at, assert_deliveries, assert_never_started,
    assert_returned_after, assert_returned_at, assert_schedule, check_eq, check_input_order, delivered, done,
    dropped, fail, fmt_duration, ms, sleep_until_ms, within,
};
use futures::StreamExt;
use select::{Control, as_completed, control_loop, first_completed, first_ok, hedged, read_frame_ticking};
use tokio::sync::mpsc;

// ---- jobs ---------------------------------------------------------------

/// The three jobs of the spec: A 2 s, B 1 s, C 3 s. They finish B, A, C.
fn abc(tl: &Timeline) -> Vec<Job<char>> {
    vec![tl.job("A", 2000, 'a'), tl.job("B", 1000, 'b'), tl.job("C", 3000, 'c')]
}

/// Let a job that was left running finish, so that it shows as such.
async fn let_leftovers_finish() {
    tokio::time::sleep(ms(10_000)).await;
}

// ---- task 1: first_completed --------------------------------------------

#[test]
fn first_completed_returns_the_first_job_to_finish_with_its_index() {
    checker::run(async {
        let tl = Timeline::new();
        let first = first_completed(abc(&tl)).await;
        assert_returned_at(
            checker::elapsed(),
            1000,
            "first_completed(A 2 s, B 1 s, C 3 s)",
            "it should return the instant the first job (B) finishes: did it wait for more than one job?",
            "it returned before any job had finished.",
        );
        check_eq(
            first,
            Some((1, 'b')),
            "first_completed(A 2 s, B 1 s, C 3 s) returns B's value with B's index in the input, 1 \
             (not its place in the order the jobs finished)",
        );
    });
}

#[test]
fn first_completed_drops_the_other_jobs_at_once() {
    checker::run(async {
        let tl = Timeline::new();
        let _ = first_completed(abc(&tl)).await;
        let_leftovers_finish().await;
        assert_schedule(
            &tl,
            &[dropped("A", 0, 1000), done("B", 0, 1000), dropped("C", 0, 1000)],
            "first_completed runs every job at once and drops the others the instant B finishes",
        );
    });
}

#[test]
fn first_completed_of_no_jobs_is_none_at_once() {
    checker::run(async {
        let first = within(
            ms(1000),
            "first_completed of no jobs",
            "with no jobs there is nothing to wait for: return None at once.",
            first_completed(Vec::<Job<char>>::new()),
        )
        .await;
        check_eq(first, None, "first_completed of no jobs");
        assert_returned_at(checker::elapsed(), 0, "first_completed of no jobs", "", "");
    });
}

// ---- task 2: first_ok ---------------------------------------------------

#[test]
fn first_ok_skips_failures_and_returns_the_first_success() {
    checker::run(async {
        let tl = Timeline::new();
        let jobs = vec![
            tl.job("A", 1000, Err("A failed".to_string())),
            tl.job("B", 2000, Ok('b')),
            tl.job("C", 3000, Ok('c')),
        ];
        let result = first_ok(jobs).await;
        check_eq(
            result,
            Ok((1, 'b')),
            "first_ok(A fails at 1 s, B ok at 2 s, C ok at 3 s) returns B's value with its index: a failure \
             is not an answer",
        );
        assert_returned_at(
            checker::elapsed(),
            2000,
            "first_ok(A fails at 1 s, B ok at 2 s, C ok at 3 s)",
            "it should return the instant B succeeds: did it wait for C?",
            "it returned before any job had succeeded: did it stop at A's failure?",
        );
        let_leftovers_finish().await;
        assert_schedule(
            &tl,
            &[done("A", 0, 1000), done("B", 0, 2000), dropped("C", 0, 2000)],
            "first_ok runs every job at once and drops the rest the instant one succeeds",
        );
    });
}

#[test]
fn first_ok_returns_the_first_success_in_time_not_in_the_input() {
    checker::run(async {
        let tl = Timeline::new();
        let jobs = vec![
            tl.job("A", 3000, Ok('a')),
            tl.job("B", 1000, Err("B failed".to_string())),
            tl.job("C", 2000, Ok('c')),
        ];
        let result = first_ok(jobs).await;
        check_eq(
            result,
            Ok((2, 'c')),
            "first_ok(A ok at 3 s, B fails at 1 s, C ok at 2 s) returns C's value",
        );
        assert_returned_at(
            checker::elapsed(),
            2000,
            "first_ok(A ok at 3 s, B fails at 1 s, C ok at 2 s)",
            "it should return the instant C succeeds: did it wait for A, first in the input?",
            "",
        );
        let_leftovers_finish().await;
        assert_cancelled_at(&tl, &["A"], 2000, "first_ok", "when C succeeded.");
    });
}

#[test]
fn first_ok_returns_every_error_when_all_fail() {
    checker::run(async {
        let tl = Timeline::new();
        let jobs = vec![
            tl.job("A", 1000, Err::<char, _>("A failed".to_string())),
            tl.job("B", 2000, Err("B failed".to_string())),
            tl.job("C", 3000, Err("C failed".to_string())),
        ];
        let result = first_ok(jobs).await;
        check_eq(
            result,
            Err(vec!["A failed".to_string(), "B failed".to_string(), "C failed".to_string()]),
            "first_ok(A fails at 1 s, B at 2 s, C at 3 s) returns every error",
        );
        assert_returned_at(
            checker::elapsed(),
            3000,
            "first_ok(A fails at 1 s, B at 2 s, C at 3 s)",
            "",
            "it returned before the last job had failed: one of them could still have succeeded.",
        );
    });
}

#[test]
fn first_ok_returns_the_errors_in_input_order() {
    checker::run(async {
        // A fails last, B first: the errors come in the order B, C, A.
        let tl = Timeline::new();
        let jobs = vec![
            tl.job("A", 3000, Err::<char, _>("A failed".to_string())),
            tl.job("B", 1000, Err("B failed".to_string())),
            tl.job("C", 2000, Err("C failed".to_string())),
        ];
        let Err(errors) = first_ok(jobs).await else { fail("first_ok returned Ok, but every job failed") };
        check_input_order(
            errors,
            vec!["A failed".to_string(), "B failed".to_string(), "C failed".to_string()],
            "first_ok(A fails at 3 s, B at 1 s, C at 2 s) returns A's, B's, C's errors",
        );
        // 100 jobs failing ten by ten, last to first.
        let tl = Timeline::new();
        let start = checker::elapsed();
        let jobs: Vec<_> =
            (0..100).map(|i| tl.job(format!("job{i}"), (10 - i / 10) * 100, Err::<char, _>(i))).collect();
        let Err(errors) = first_ok(jobs).await else { fail("first_ok returned Ok, but every job failed") };
        check_input_order(
            errors,
            (0..100).collect(),
            "first_ok of 100 jobs that fail ten by ten, last to first",
        );
        assert_returned_after(
            checker::elapsed() - start,
            1000,
            "first_ok of 100 jobs failing ten by ten from 100 ms to 1 s",
            "",
            "it returned before the last job had failed.",
        );
    });
}

#[test]
fn first_ok_of_no_jobs_is_no_errors_at_once() {
    checker::run(async {
        let result = within(
            ms(1000),
            "first_ok of no jobs",
            "with no jobs, none can succeed: return Err of no errors at once.",
            first_ok(Vec::<Job<Result<char, String>>>::new()),
        )
        .await;
        check_eq(result, Err(vec![]), "first_ok of no jobs");
        assert_returned_at(checker::elapsed(), 0, "first_ok of no jobs", "", "");
    });
}

// ---- task 3: as_completed -----------------------------------------------

#[test]
fn as_completed_yields_each_result_the_instant_its_job_finishes() {
    checker::run(async {
        let tl = Timeline::new();
        let mut stream = as_completed(abc(&tl));
        let mut seen = Vec::new();
        while let Some(item) = within(
            ms(60_000),
            "as_completed's stream",
            "the stream must end once every job has.",
            stream.next(),
        )
        .await
        {
            seen.push((item, checker::elapsed()));
        }
        let ended_at = checker::elapsed();
        check_eq(
            seen,
            vec![((1, 'b'), ms(1000)), ((0, 'a'), ms(2000)), ((2, 'c'), ms(3000))],
            "as_completed(A 2 s, B 1 s, C 3 s) yields (index in the input, value), each at the instant its \
             job finishes (when the item came, in virtual time)",
        );
        check_eq(ended_at, ms(3000), "the instant the stream ended (None), right after the last job");
    });
}

#[test]
fn as_completed_keeps_each_jobs_own_index() {
    checker::run(async {
        // Job i takes (10 - i) × 100 ms: they finish last to first.
        let tl = Timeline::new();
        let jobs: Vec<_> = (0..10).map(|i| tl.job(format!("job{i}"), (10 - i) * 100, i)).collect();
        let items: Vec<(usize, u64)> = as_completed(jobs).collect().await;
        check_eq(
            items,
            (0..10).rev().map(|i| (i as usize, i)).collect(),
            "as_completed of 10 jobs finishing last to first: each item carries its job's index in the input",
        );
        assert_returned_at(checker::elapsed(), 1000, "as_completed of 10 jobs, the longest 1 s", "", "");
    });
}

#[test]
fn as_completed_drops_the_rest_when_the_stream_is_dropped() {
    checker::run(async {
        let tl = Timeline::new();
        let mut stream = as_completed(abc(&tl));
        let first = stream.next().await;
        let second = stream.next().await;
        check_eq((first, second), (Some((1, 'b')), Some((0, 'a'))), "the first two items");
        check_eq(checker::elapsed(), ms(2000), "the instant the second item came");
        drop(stream);
        let_leftovers_finish().await;
        assert_cancelled_at(
            &tl,
            &["C"],
            2000,
            "as_completed(A 2 s, B 1 s, C 3 s), the stream dropped after two items",
            "when the stream was dropped: the stream owns the jobs, and dropping it drops them.",
        );
    });
}

#[test]
fn as_completed_of_no_jobs_ends_at_once() {
    checker::run(async {
        let mut stream = as_completed(Vec::<Job<char>>::new());
        let item = within(
            ms(1000),
            "as_completed of no jobs",
            "with no jobs the stream ends at once.",
            stream.next(),
        )
        .await;
        check_eq(item, None, "the first item of as_completed of no jobs");
        assert_returned_at(checker::elapsed(), 0, "as_completed of no jobs", "", "");
    });
}

// ---- task 4: hedged -----------------------------------------------------

type Answer = Result<char, String>;

/// The request of a hedging test: call `n` (from 1) is "attempt n", which
/// takes `plan[n - 1].0` ms and answers `plan[n - 1].1`. A third call is an
/// attempt that never ends. Gives the request and a count of calls.
fn request_plan(
    tl: &Timeline,
    plan: Vec<(u64, Answer)>,
) -> (impl FnMut() -> Job<Answer>, Rc<RefCell<usize>>) {
    let calls = Rc::new(RefCell::new(0));
    let (tl, counter) = (tl.clone(), calls.clone());
    let request = move || {
        *counter.borrow_mut() += 1;
        let n = *counter.borrow();
        match plan.get(n - 1) {
            Some((took, answer)) => tl.job(format!("attempt {n}"), *took, answer.clone()),
            None => tl.endless_job(format!("attempt {n}")),
        }
    };
    (request, calls)
}

/// Runs `hedged` under a guard, and checks it made at most two attempts.
async fn run_hedged(tl: &Timeline, plan: Vec<(u64, Answer)>, hedge_after: Duration, what: &str) -> Answer {
    let (request, calls) = request_plan(tl, plan);
    let answer = within(
        ms(60_000),
        what,
        "does it wait for an attempt that was dropped, or for a third one?",
        hedged(request, hedge_after),
    )
    .await;
    let calls = *calls.borrow();
    if calls > 2 {
        fail(format!("{what}: request() was called {calls} times; hedged makes at most two attempts."));
    }
    answer
}

#[test]
fn hedged_sends_a_late_hedge_and_takes_the_first_answer() {
    checker::run(async {
        let tl = Timeline::new();
        let what = "hedged(attempt 1 takes 500 ms, attempt 2 200 ms, hedge after 100 ms)";
        let answer = run_hedged(&tl, vec![(500, Ok('1')), (200, Ok('2'))], ms(100), what).await;
        check_eq(answer, Ok('2'), &format!("{what} answers with attempt 2's answer, the first to come"));
        assert_returned_at(
            checker::elapsed(),
            300,
            what,
            "attempt 2 answered at 300 ms: did hedged wait for attempt 1 too?",
            "",
        );
        let_leftovers_finish().await;
        assert_schedule(
            &tl,
            &[dropped("attempt 1", 0, 300), done("attempt 2", 100, 300)],
            "hedged starts attempt 2 when attempt 1 has not answered by 100 ms, and drops attempt 1 the \
             instant attempt 2 answers",
        );
    });
}

#[test]
fn hedged_sends_no_hedge_when_the_first_answer_is_quick() {
    checker::run(async {
        let tl = Timeline::new();
        let what = "hedged(attempt 1 answers at 50 ms, hedge after 100 ms)";
        let answer = run_hedged(&tl, vec![(50, Ok('1')), (200, Ok('2'))], ms(100), what).await;
        check_eq(answer, Ok('1'), &format!("{what} answers with attempt 1's answer"));
        assert_returned_at(
            checker::elapsed(),
            50,
            what,
            "attempt 1 answered at 50 ms: did hedged wait out the hedge delay before it looked?",
            "",
        );
        let_leftovers_finish().await;
        assert_never_started(
            &tl,
            "attempt 2",
            "attempt 1 answered at 50 ms, before the hedge was due at 100 ms: no hedge is sent.",
        );
    });
}

#[test]
fn hedged_sends_the_hedge_at_once_when_the_first_attempt_fails() {
    checker::run(async {
        let tl = Timeline::new();
        let what = "hedged(attempt 1 fails at 80 ms, attempt 2 takes 200 ms, hedge after 100 ms)";
        let answer =
            run_hedged(&tl, vec![(80, Err("attempt 1 failed".into())), (200, Ok('2'))], ms(100), what).await;
        let returned_at = checker::elapsed();
        check_eq(answer, Ok('2'), &format!("{what} answers with attempt 2's answer"));
        let_leftovers_finish().await;
        assert_schedule(
            &tl,
            &[done("attempt 1", 0, 80), done("attempt 2", 80, 280)],
            "when attempt 1 fails at 80 ms, hedged starts attempt 2 at once, at 80 ms, not at 100 ms",
        );
        assert_returned_at(returned_at, 280, what, "", "");
    });
}

#[test]
fn hedged_waits_for_the_other_attempt_when_one_fails() {
    checker::run(async {
        // Attempt 1 fails at 250 ms, after the hedge: attempt 2 answers at 300 ms.
        let tl = Timeline::new();
        let what = "hedged(attempt 1 fails at 250 ms, attempt 2 takes 200 ms, hedge after 100 ms)";
        let answer =
            run_hedged(&tl, vec![(250, Err("attempt 1 failed".into())), (200, Ok('2'))], ms(100), what).await;
        check_eq(answer, Ok('2'), &format!("{what}: a failure is not an answer; attempt 2's answer wins"));
        assert_returned_at(checker::elapsed(), 300, what, "", "");

        // Attempt 2 fails at 150 ms: attempt 1 answers at 500 ms.
        let tl = Timeline::new();
        let start = checker::elapsed();
        let what = "hedged(attempt 1 takes 500 ms, attempt 2 fails after 50 ms, hedge after 100 ms)";
        let answer =
            run_hedged(&tl, vec![(500, Ok('1')), (50, Err("attempt 2 failed".into()))], ms(100), what).await;
        check_eq(answer, Ok('1'), &format!("{what}: a failure is not an answer; attempt 1's answer wins"));
        assert_returned_after(
            checker::elapsed() - start,
            500,
            what,
            "",
            "it returned when attempt 2 failed: a failure is not an answer, wait for attempt 1.",
        );
    });
}

#[test]
fn hedged_returns_the_last_error_when_both_fail() {
    checker::run(async {
        // (the case, each attempt's time and answer, the last error, when it comes)
        type Case = (&'static str, Vec<(u64, Answer)>, &'static str, u64);
        let cases: [Case; 3] = [
            (
                "attempt 1 fails at 500 ms, attempt 2 at 300 ms",
                vec![(500, Err("attempt 1 failed".into())), (200, Err("attempt 2 failed".into()))],
                "attempt 1 failed",
                500,
            ),
            (
                "attempt 1 fails at 150 ms, attempt 2 at 600 ms",
                vec![(150, Err("attempt 1 failed".into())), (500, Err("attempt 2 failed".into()))],
                "attempt 2 failed",
                600,
            ),
            (
                "attempt 1 fails at 80 ms, attempt 2 at 280 ms",
                vec![(80, Err("attempt 1 failed".into())), (200, Err("attempt 2 failed".into()))],
                "attempt 2 failed",
                280,
            ),
        ];
        for (case, plan, last, at) in cases {
            let tl = Timeline::new();
            let start = checker::elapsed();
            let what = format!("hedged({case}, hedge after 100 ms)");
            let answer = run_hedged(&tl, plan, ms(100), &what).await;
            check_eq(answer, Err(last.to_string()), &format!("{what} returns the last error, {last:?}"));
            assert_returned_after(
                checker::elapsed() - start,
                at,
                &what,
                "it should return when the last attempt fails: did it wait for something else?",
                "it returned before both attempts had failed: a failure is not an answer, wait for the other.",
            );
        }
    });
}

#[test]
fn hedged_with_a_huge_hedge_delay_never_hedges() {
    checker::run(async {
        let tl = Timeline::new();
        let what = "hedged(attempt 1 takes 500 ms, hedge after Duration::MAX)";
        let answer = run_hedged(&tl, vec![(500, Ok('1')), (200, Ok('2'))], Duration::MAX, what).await;
        check_eq(answer, Ok('1'), &format!("{what} answers with attempt 1's answer"));
        assert_returned_at(checker::elapsed(), 500, what, "", "");
        assert_never_started(&tl, "attempt 2", "a hedge after Duration::MAX is never due.");
    });
}

// ---- task 5: control_loop -----------------------------------------------

/// How many times the priority test plays each of its four contests, in
/// which a control message and data are ready at the same instant. A
/// `select!` without `biased;` picks one of them at random: it goes wrong in
/// some round of 32 on every run (but for a chance of 2^-32).
const ROUNDS: usize = 32;

/// The data control_loop handled, with the instant it handled each.
type Handled = Rc<RefCell<Vec<(u32, Duration)>>>;

/// Where to look when control lost a race against data.
const BIASED: &str = "a control message that is waiting must win over data that is ready at the same instant. \
     tokio::select! picks at random among ready branches (so this shows in some rounds and not others): \
     in control_loop (src/lib.rs), write `biased;` first and put the control branch before the data branch.";

/// Why control_loop may never return.
const LOOP_HANGS: &str = "control_loop must return the instant it receives Stop, whether it is paused or not: \
     wait for \"a control message or data\" with tokio::select!, and never wait for data alone.";

fn handler(handled: &Handled) -> impl FnMut(u32) + use<> {
    let handled = handled.clone();
    move |item| handled.borrow_mut().push((item, checker::elapsed()))
}

/// One contest, in no virtual time; control wins each one.
/// - 0: data 0, 1, 2 are queued, and handling data 0 sends Stop: then Stop
///   and data 1 are ready together. Handled: `[0]`.
/// - 1: data 0 is queued with Pause, then Stop. Handled: none.
/// - 2: data 0 is queued with Pause, Resume, Pause, Stop. Handled: none.
/// - 3: nothing is queued when the loop starts; while it waits, another
///   task sends data 0, then Stop. Handled: none.
async fn contest(round: usize, variant: usize) {
    let (control_tx, control) = mpsc::channel(8);
    let (data_tx, data) = mpsc::channel(8);
    let handled: Handled = Rc::default();
    let (script, items, expected): (&[Control], u32, Vec<u32>) = match variant {
        0 => (&[], 3, vec![0]),
        1 => (&[Control::Pause, Control::Stop], 1, vec![]),
        2 => (&[Control::Pause, Control::Resume, Control::Pause, Control::Stop], 1, vec![]),
        _ => (&[], 0, vec![]),
    };
    for item in 0..items {
        data_tx.try_send(item).expect("the channel has room");
    }
    for message in script {
        control_tx.try_send(*message).expect("the channel has room");
    }
    if variant == 3 {
        // Runs once control_loop waits: both its channels become ready at once.
        let (control_tx, data_tx) = (control_tx.clone(), data_tx.clone());
        tokio::spawn(async move {
            data_tx.try_send(0).expect("the channel has room");
            control_tx.try_send(Control::Stop).expect("the channel has room");
        });
    }
    let mut record = handler(&handled);
    let stopper = control_tx.clone();
    let handle = move |item: u32| {
        record(item);
        if item == 0 && variant == 0 {
            stopper.try_send(Control::Stop).expect("the channel has room");
        }
    };
    within(ms(1000), "control_loop", LOOP_HANGS, control_loop(control, data, handle)).await;
    let handled: Vec<u32> = handled.borrow().iter().map(|(item, _)| *item).collect();
    if handled != expected {
        let setup = match variant {
            0 => {
                "data 0, 1, 2 were queued, and handling data 0 sent Stop: when it ended, Stop and data 1 were \
                  both ready"
            }
            1 => "data 0 was queued, and Pause then Stop were waiting on the control channel",
            2 => "data 0 was queued, and Pause, Resume, Pause, Stop were waiting on the control channel",
            _ => {
                "while control_loop waited, data 0 and then Stop were sent at the same instant: when it woke, \
                  both were ready"
            }
        };
        fail(format!(
            "round {} of {ROUNDS}: {setup}. control_loop handled {handled:?}; it should have handled \
             {expected:?}.\n{BIASED}",
            round + 1
        ));
    }
    drop((control_tx, data_tx));
}

#[test]
fn control_loop_control_wins_over_data_ready_at_the_same_instant() {
    checker::run(async {
        for round in 0..ROUNDS {
            for variant in 0..4 {
                contest(round, variant).await;
            }
        }
        check_eq(checker::elapsed(), ms(0), "virtual time the 128 contests took (each one happens at 0 s)");
    });
}

#[test]
fn control_loop_handles_data_as_it_arrives() {
    checker::run(async {
        let (control_tx, control) = mpsc::channel(8);
        let (data_tx, data) = mpsc::channel(8);
        let handled: Handled = Rc::default();
        tokio::spawn(async move {
            for (item, at) in [(0, 0), (1, 100), (2, 250)] {
                sleep_until_ms(at).await;
                data_tx.send(item).await.expect("control_loop holds the data channel");
            }
            sleep_until_ms(400).await;
            control_tx.send(Control::Stop).await.expect("control_loop holds the control channel");
            std::future::pending::<()>().await;
        });
        within(ms(60_000), "control_loop", LOOP_HANGS, control_loop(control, data, handler(&handled))).await;
        check_eq(
            handled.borrow().clone(),
            vec![(0, ms(0)), (1, ms(100)), (2, ms(250))],
            "control_loop handles each item the instant it arrives, in order (item, when)",
        );
        assert_returned_at(checker::elapsed(), 400, "control_loop, Stop sent at 400 ms", "", "");
    });
}

#[test]
fn control_loop_keeps_paused_data_waiting_and_loses_none() {
    checker::run(async {
        let (control_tx, control) = mpsc::channel(8);
        let (data_tx, data) = mpsc::channel(8);
        let handled: Handled = Rc::default();
        tokio::spawn(async move {
            let send = |item| data_tx.try_send(item).expect("control_loop holds the data channel");
            send(0);
            sleep_until_ms(100).await;
            control_tx.try_send(Control::Pause).expect("room");
            sleep_until_ms(150).await;
            send(1);
            sleep_until_ms(200).await;
            send(2);
            sleep_until_ms(300).await;
            control_tx.try_send(Control::Resume).expect("room");
            sleep_until_ms(400).await;
            send(3);
            sleep_until_ms(500).await;
            control_tx.try_send(Control::Stop).expect("room");
            std::future::pending::<()>().await;
        });
        within(ms(60_000), "control_loop", LOOP_HANGS, control_loop(control, data, handler(&handled))).await;
        let handled = handled.borrow().clone();
        let expected = vec![(0, ms(0)), (1, ms(300)), (2, ms(300)), (3, ms(400))];
        if handled != expected {
            let early: Vec<String> = handled
                .iter()
                .filter(|(_, at)| *at > ms(100) && *at < ms(300))
                .map(|(item, at)| format!("data {item} at {}", fmt_duration(*at)))
                .collect();
            let mut message = format!(
                "control_loop: data 0 at 0 ms, Pause at 100 ms, data 1 at 150 ms and data 2 at 200 ms, Resume \
                 at 300 ms, data 3 at 400 ms, Stop at 500 ms.\n  expected (item, when handled): {expected:?}\n  \
                 yours:                         {handled:?}\n"
            );
            if !early.is_empty() {
                message.push_str(&format!(
                    "you handled {} while paused: while paused, do not take data (a select! branch can be \
                     switched off: `item = data.recv(), if !paused => ...`).",
                    early.join(", ")
                ));
            } else if handled.len() < expected.len() {
                message.push_str(
                    "data that came while paused was lost: it must wait in the channel until Resume. Do not \
                     receive data while paused only to throw it away.",
                );
            } else {
                message.push_str("paused data waits in the channel and is handled, in order, at Resume.");
            }
            fail(message);
        }
        assert_returned_at(checker::elapsed(), 500, "control_loop, Stop sent at 500 ms", "", "");
    });
}

#[test]
fn control_loop_handles_no_data_after_stop() {
    checker::run(async {
        // Running: Stop at 200 ms, data queued before and after it.
        let (control_tx, control) = mpsc::channel(8);
        let (data_tx, data) = mpsc::channel(8);
        let handled: Handled = Rc::default();
        tokio::spawn(async move {
            data_tx.try_send(0).expect("room");
            sleep_until_ms(200).await;
            control_tx.try_send(Control::Stop).expect("room");
            sleep_until_ms(300).await;
            let _ = data_tx.try_send(1);
            std::future::pending::<()>().await;
        });
        within(ms(60_000), "control_loop", LOOP_HANGS, control_loop(control, data, handler(&handled))).await;
        assert_returned_at(
            checker::elapsed(),
            200,
            "control_loop, Stop sent at 200 ms",
            "it must return the instant Stop arrives.",
            "",
        );
        sleep_until_ms(1000).await;
        check_eq(
            handled.borrow().clone(),
            vec![(0, ms(0))],
            "control_loop: data 0 at 0 ms, Stop at 200 ms, data 1 at 300 ms: what it handled",
        );

        // Paused with data waiting: Stop returns and handles none of it.
        // (Pause comes before the data, so nothing is contested here.)
        let (control_tx, control) = mpsc::channel(8);
        let (data_tx, data) = mpsc::channel(8);
        let handled: Handled = Rc::default();
        tokio::spawn(async move {
            control_tx.try_send(Control::Pause).expect("room");
            sleep_until_ms(1100).await;
            for item in 0..3 {
                data_tx.try_send(item).expect("room");
            }
            sleep_until_ms(1200).await;
            control_tx.try_send(Control::Stop).expect("room");
            std::future::pending::<()>().await;
        });
        within(ms(60_000), "control_loop", LOOP_HANGS, control_loop(control, data, handler(&handled))).await;
        assert_returned_at(checker::elapsed(), 1200, "control_loop, paused, Stop sent at 1.200 s", "", "");
        check_eq(
            handled.borrow().clone(),
            vec![],
            "control_loop: Pause at 1 s, data 0, 1, 2 at 1.100 s, Stop at 1.200 s: what it handled (after Stop, \
             no data is handled, not even what was waiting)",
        );
    });
}

// ---- task 6: read_frame_ticking -----------------------------------------

/// What went into the frame, and when each tick was handled.
struct FrameRun {
    frame: Option<Vec<u32>>,
    returned_at: Duration,
    ticks: Vec<Duration>,
    parcels: Parcels,
}

/// Sends chunks 0, 1, 2 at `arrivals`, runs read_frame_ticking with ticks
/// every `every_ms`, and gives up at 300 ms (the frame is due at 140 ms).
async fn run_frame(arrivals: [u64; 3], every_ms: u64) -> FrameRun {
    let parcels = Parcels::new();
    let (tx, rx) = mpsc::channel::<Parcel<u32>>(8);
    let sender = parcels.clone();
    tokio::spawn(async move {
        for (i, at) in arrivals.into_iter().enumerate() {
            sleep_until_ms(at).await;
            let chunk = sender.make(format!("chunk {i}"), i as u32);
            if tx.send(chunk).await.is_err() {
                return;
            }
        }
        std::future::pending::<()>().await;
    });
    let ticks = Rc::new(RefCell::new(Vec::new()));
    let (record, marks) = (ticks.clone(), parcels.clone());
    let on_tick = move || {
        record.borrow_mut().push(checker::elapsed());
        marks.mark("tick");
    };
    let mut call = Box::pin(read_frame_ticking(rx, ms(every_ms), on_tick));
    let frame = tokio::time::timeout(ms(300), &mut call).await.ok();
    let returned_at = checker::elapsed();
    let frame = frame.map(|chunks| chunks.into_iter().map(Parcel::deliver).collect());
    // The test gives up: what the call still holds is not counted as lost.
    parcels.freeze();
    drop(call);
    let ticks = ticks.borrow().clone();
    FrameRun { frame, returned_at, ticks, parcels }
}

const LOST_CHUNKS: &str = "a select! drops the branch futures that lose. If the read future is made anew inside \
     the loop, each tick drops the one that was waiting, and the chunks it had read go with it. In \
     read_frame_ticking (src/lib.rs), make the read_frame future once, before the loop, pin it, and poll \
     `&mut` it in each select!.";

#[test]
fn read_frame_ticking_completes_the_frame_with_all_three_chunks() {
    checker::run(async {
        let run = run_frame([0, 70, 140], 50).await;
        assert_deliveries(
            &run.parcels,
            &[delivered("chunk 0", 0, 140), delivered("chunk 1", 70, 140), delivered("chunk 2", 140, 140)],
            &[("tick", 50), ("tick", 100)],
            "read_frame_ticking(chunks at 0, 70 and 140 ms, a tick every 50 ms): every chunk must reach the \
             frame, which completes at 140 ms",
            LOST_CHUNKS,
        );
        check_eq(run.frame, Some(vec![0, 1, 2]), "the frame: chunks 0, 1, 2 in order");
        assert_returned_at(run.returned_at, 140, "read_frame_ticking(chunks at 0, 70 and 140 ms)", "", "");
    });
}

#[test]
fn read_frame_ticking_handles_the_ticks_while_it_reads() {
    checker::run(async {
        let run = run_frame([0, 70, 140], 50).await;
        check_eq(
            run.ticks,
            vec![ms(50), ms(100)],
            "read_frame_ticking(chunks at 0, 70 and 140 ms, a tick every 50 ms): the instants on_tick was \
             called (the first tick is due 50 ms after the start, not at once; none after the frame)",
        );
        check_eq(run.frame.is_some(), true, "the frame completed");
        assert_returned_at(run.returned_at, 140, "read_frame_ticking(chunks at 0, 70 and 140 ms)", "", "");
    });
}

#[test]
fn read_frame_ticking_ticks_at_the_period_it_is_given() {
    checker::run(async {
        let run = run_frame([0, 70, 140], 40).await;
        check_eq(
            run.ticks,
            vec![ms(40), ms(80), ms(120)],
            "read_frame_ticking(chunks at 0, 70 and 140 ms, a tick every 40 ms): the instants on_tick was called",
        );
        assert_deliveries(
            &run.parcels,
            &[delivered("chunk 0", 0, 140), delivered("chunk 1", 70, 140), delivered("chunk 2", 140, 140)],
            &[("tick", 40), ("tick", 80), ("tick", 120)],
            "read_frame_ticking(chunks at 0, 70 and 140 ms, a tick every 40 ms)",
            LOST_CHUNKS,
        );
    });
}
