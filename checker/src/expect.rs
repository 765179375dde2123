//! Assertions that explain themselves.
//!
//! Each one fails with what happened, what should have happened and, where
//! a schedule is at stake, both schedules drawn on the virtual clock.

use std::fmt::Debug;
use std::time::Duration;

use crate::clock::{fmt_duration, ms};
use crate::failure::fail;
use crate::gantt::{self, Bar};
use crate::probe::{End, Fate};
use crate::timeline::{self, Span, Timeline};

/// Width of the charts in failure messages: they must read in 80 columns
/// once the runner has indented them.
const CHART_WIDTH: usize = 72;

/// One job as the spec wants it: when it starts, when and how it ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    name: String,
    start: Duration,
    end: End,
}

/// A job that starts at `start_ms` and completes at `end_ms`.
pub fn done(name: &str, start_ms: u64, end_ms: u64) -> Expected {
    Expected { name: name.into(), start: ms(start_ms), end: End::Completed(ms(end_ms)) }
}

/// A job that starts at `start_ms` and is cancelled (dropped) at `end_ms`.
pub fn dropped(name: &str, start_ms: u64, end_ms: u64) -> Expected {
    Expected { name: name.into(), start: ms(start_ms), end: End::Cancelled(ms(end_ms)) }
}

/// A job that starts at `start_ms` and panics at `end_ms`.
pub fn panicked(name: &str, start_ms: u64, end_ms: u64) -> Expected {
    Expected { name: name.into(), start: ms(start_ms), end: End::Panicked(ms(end_ms)) }
}

impl Expected {
    fn as_span(&self) -> Span {
        Span { name: self.name.clone(), fate: Fate { started: Some(self.start), ended: Some(self.end) } }
    }
}

fn describe_end(end: Option<End>) -> String {
    match end {
        Some(End::Completed(t)) => format!("ended at {}", fmt_duration(t)),
        Some(End::Cancelled(t)) => format!("was cancelled at {}", fmt_duration(t)),
        Some(End::Panicked(t)) => format!("panicked at {}", fmt_duration(t)),
        None => "never ended".to_string(),
    }
}

fn describe_start(start: Option<Duration>) -> String {
    match start {
        Some(t) => format!("started at {}", fmt_duration(t)),
        None => "never started".to_string(),
    }
}

/// Expected and actual schedules, drawn on one axis.
pub(crate) fn chart(expected: &[Bar], yours: &[Bar]) -> String {
    gantt::render(&[("expected", expected), ("yours", yours)], CHART_WIDTH)
}

/// Asserts that every job in `expected` ran exactly as listed, to the
/// millisecond, on the virtual clock. `what` says in a few words what the
/// schedule shows ("concurrent runs every job at once").
pub fn assert_schedule(tl: &Timeline, expected: &[Expected], what: &str) {
    let spans = tl.spans();
    let mut mismatches = Vec::new();
    let mut actual_of_expected = Vec::new();
    for e in expected {
        let actual = spans
            .iter()
            .find(|s| s.name == e.name)
            .cloned()
            .unwrap_or(Span { name: e.name.clone(), fate: Fate::default() });
        if actual.fate.started != Some(e.start) || actual.fate.ended != Some(e.end) {
            mismatches.push((e.clone(), actual.clone()));
        }
        actual_of_expected.push(actual);
    }
    if mismatches.is_empty() {
        return;
    }

    let expected_spans: Vec<Span> = expected.iter().map(Expected::as_span).collect();
    let mut lines = vec![
        format!("{what}."),
        "the schedule on the virtual clock is not the one the task asks for.".to_string(),
    ];
    let (want_end, got_end) = (timeline::last_end(&expected_spans), timeline::last_end(&actual_of_expected));
    if want_end != got_end {
        lines.push(end_of_schedule(&actual_of_expected, got_end, expected, want_end));
    }
    lines.extend(diagnose(&expected_spans, &actual_of_expected, expected));
    for (e, a) in mismatches.iter().take(6) {
        lines.push(format!(
            "  {}: {}, {} (expected: {}, {})",
            e.name,
            describe_start(a.fate.started),
            describe_end(a.fate.ended),
            describe_start(Some(e.start)),
            describe_end(Some(e.end)),
        ));
    }
    if mismatches.len() > 6 {
        lines.push(format!("  … and {} more jobs off schedule", mismatches.len() - 6));
    }
    let expected_bars: Vec<Bar> = expected_spans.iter().map(timeline::bar_of).collect();
    let actual_bars: Vec<Bar> = actual_of_expected.iter().map(timeline::bar_of).collect();
    lines.push(String::new());
    lines.push(chart(&expected_bars, &actual_bars));
    fail(lines.join("\n"))
}

/// When the schedule ended, in words that claim only what was seen: jobs
/// that were cancelled did not "finish", jobs still running did not end.
fn end_of_schedule(actual: &[Span], got: Duration, expected: &[Expected], want: Duration) -> String {
    let yours = if actual.iter().any(|s| s.fate.started.is_some() && s.fate.ended.is_none()) {
        format!("not all of your jobs ended: the last thing seen was at {}", fmt_duration(got))
    } else if actual.iter().all(|s| matches!(s.fate.ended, Some(End::Completed(_)))) {
        format!("your jobs finished at {}", fmt_duration(got))
    } else {
        format!("the last of your jobs ended (finished, was cancelled or panicked) at {}", fmt_duration(got))
    };
    let theirs = if expected.iter().all(|e| matches!(e.end, End::Completed(_))) {
        format!("they should all be done at {}", fmt_duration(want))
    } else {
        format!("the schedule asked for ends at {}", fmt_duration(want))
    };
    format!("{yours}; {theirs}.")
}

/// The patterns behind a wrong schedule, in words.
fn diagnose(expected: &[Span], actual: &[Span], spec: &[Expected]) -> Vec<String> {
    let mut out = Vec::new();
    let never: Vec<&str> =
        actual.iter().filter(|s| s.fate.started.is_none()).map(|s| s.name.as_str()).collect();
    if !never.is_empty() {
        out.push(format!(
            "{} never started: a future does nothing until it is awaited (or spawned).",
            never.join(", ")
        ));
    }
    let (want_peak, got_peak) = (timeline::peak_of(expected), timeline::peak_of(actual));
    if want_peak > 1 && got_peak == 1 && never.is_empty() {
        out.push("each job started only when the one before it ended: was each one awaited in turn?".into());
    } else if got_peak > want_peak {
        out.push(format!("peak in flight was {got_peak}; the schedule allows at most {want_peak} at once."));
    } else if got_peak < want_peak && never.is_empty() {
        out.push(format!("at most {got_peak} ran at once; {want_peak} should have."));
    }
    for (e, a) in spec.iter().zip(actual) {
        match (e.end, a.fate.ended) {
            (End::Cancelled(want), Some(End::Completed(t))) => out.push(format!(
                "{} ran to completion at {}: it should have been cancelled at {}.",
                e.name,
                fmt_duration(t),
                fmt_duration(want)
            )),
            (End::Completed(_), Some(End::Cancelled(t))) => out.push(format!(
                "{} was cancelled at {} before it could finish: who dropped it?",
                e.name,
                fmt_duration(t)
            )),
            (_, None) if a.fate.started.is_some() => out.push(format!(
                "{} was still running when the test looked: was it left behind, detached?",
                e.name
            )),
            _ => {}
        }
    }
    out
}

/// Fails if any job of `tl` ever started: the call should have refused
/// before it touched them. `advice` says what to do instead ("Check k
/// before you touch the jobs.").
pub fn assert_none_started(tl: &Timeline, what: &str, advice: &str) {
    let started: Vec<String> =
        tl.spans().into_iter().filter(|s| s.fate.started.is_some()).map(|s| s.name).collect();
    if !started.is_empty() {
        fail(format!("{what}: no job should run, but {} started. {advice}", started.join(", ")));
    }
}

/// Fails if the job called `name` ever started; `why` says why it must not
/// ("no step starts after the deadline has passed").
pub fn assert_never_started(tl: &Timeline, name: &str, why: &str) {
    if let Some(span) = tl.span(name)
        && let Some(at) = span.fate.started
    {
        fail(format!("{name} started at {}: {why}", fmt_duration(at)));
    }
}

/// Fails unless each job of `tl` named in `names` was cancelled (dropped)
/// at exactly `at_ms`, however far it had got: it may never have been
/// polled. `why` finishes the sentence "it should have been cancelled
/// (dropped) at 1.000 s, ..." with when and how ("when the first error came
/// back.\n..."). Read it once the runtime has had time to finish what it
/// was told to cancel: a job left running in a detached task shows then.
pub fn assert_cancelled_at<S: AsRef<str>>(tl: &Timeline, names: &[S], at_ms: u64, what: &str, why: &str) {
    let at = ms(at_ms);
    let ends: std::collections::HashMap<String, Option<End>> =
        tl.spans().into_iter().map(|s| (s.name, s.fate.ended)).collect();
    for name in names.iter().map(AsRef::as_ref) {
        let problem = match ends.get(name).copied().flatten() {
            Some(End::Cancelled(t)) if t == at => continue,
            Some(End::Cancelled(t)) => format!("{name} was cancelled at {}", fmt_duration(t)),
            Some(End::Completed(t)) => format!("{name} ran to completion at {}", fmt_duration(t)),
            Some(End::Panicked(t)) => format!("{name} panicked at {}", fmt_duration(t)),
            None => format!("{name} was still running when the test looked (is it in a detached task?)"),
        };
        fail(format!(
            "{what}: {problem}; it should have been cancelled (dropped) at {}, {why}",
            fmt_duration(at)
        ));
    }
}

/// Asserts an exact duration on the virtual clock.
pub fn assert_elapsed(actual: Duration, expected_ms: u64, what: &str) {
    let expected = ms(expected_ms);
    if actual != expected {
        let why = if actual > expected {
            "it ended late: something waited longer than the spec allows (work done one after another \
             that could run at once, a wait that is too long, or the wrong event won a race)."
        } else {
            "it ended early: something that should have waited did not."
        };
        fail(format!(
            "{what}: it took {} of virtual time; it should take exactly {}.\n{why}",
            fmt_duration(actual),
            fmt_duration(expected)
        ));
    }
}

/// Asserts how many jobs of `tl` were ever in flight at once.
pub fn assert_peak(tl: &Timeline, expected: usize, what: &str) {
    let peak = tl.peak();
    if peak != expected {
        let limit = if peak > expected {
            format!("peak in flight was {peak}, the limit is {expected}.")
        } else {
            format!("peak in flight was {peak}; {expected} should run at once.")
        };
        let yours = tl.bars();
        fail(format!("{what}: {limit}\n\n{}", gantt::render_with_load(&[("yours", &yours)], CHART_WIDTH)));
    }
}

/// `assert_eq!` that says what the values mean.
#[track_caller]
pub fn check_eq<T: Debug + PartialEq>(actual: T, expected: T, what: &str) {
    if actual != expected {
        fail(format!("{what}\n  expected: {expected:?}\n  yours:    {actual:?}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::failure::tests::failure_of;

    #[test]
    fn a_sequential_schedule_is_explained_and_drawn() {
        crate::run(async {
            let tl = Timeline::new();
            for (name, ms) in [("A", 2000), ("B", 1000), ("C", 3000)] {
                tl.job(name, ms, ()).await;
            }
            let message = failure_of(|| {
                assert_schedule(
                    &tl,
                    &[done("A", 0, 2000), done("B", 0, 1000), done("C", 0, 3000)],
                    "all at once",
                )
            });
            assert!(message.starts_with("all at once.\n"), "{message}");
            assert!(
                message.contains("your jobs finished at 6.000 s; they should all be done at 3.000 s."),
                "{message}"
            );
            assert!(message.contains("was each one awaited in turn?"), "{message}");
            assert!(message.contains("B: started at 2.000 s, ended at 3.000 s"), "{message}");
            assert!(message.contains("expected  A") && message.contains("yours     A"), "{message}");
            // A schedule that is right passes.
            assert_schedule(
                &tl,
                &[done("A", 0, 2000), done("B", 2000, 3000), done("C", 3000, 6000)],
                "in turn",
            );
        });
    }

    #[test]
    fn cancelled_jobs_are_not_said_to_have_finished() {
        crate::run(async {
            let tl = Timeline::new();
            let (a, b) = (tl.job("A", 2000, ()), tl.job("B", 1000, ()));
            // Both cancelled at 0.5 s, where B should have finished at 1 s
            // and A been cancelled then.
            let _ = tokio::time::timeout(crate::ms(500), futures::future::join(a, b)).await;
            let message = failure_of(|| {
                assert_schedule(
                    &tl,
                    &[dropped("A", 0, 1000), done("B", 0, 1000)],
                    "A is cancelled when B ends",
                )
            });
            assert!(!message.contains("finished at"), "{message}");
            assert!(
                message.contains(
                    "the last of your jobs ended (finished, was cancelled or panicked) at 0.500 s; \
                     the schedule asked for ends at 1.000 s."
                ),
                "{message}"
            );
        });
    }

    #[test]
    fn a_job_left_running_and_a_peak_over_the_limit_are_named() {
        crate::run(async {
            let tl = Timeline::new();
            let jobs: Vec<_> = (0..6).map(|i| tl.job(format!("J{i}"), 1000, ())).collect();
            futures::future::join_all(jobs).await;
            let message = failure_of(|| assert_peak(&tl, 5, "k = 5"));
            assert!(message.starts_with("k = 5: peak in flight was 6, the limit is 5."), "{message}");

            // The test is at 1 s now; C is left running instead of cancelled at 2 s.
            let tl = Timeline::new();
            let detached = tokio::spawn(tl.job("C", 3000, ()));
            tokio::time::sleep(crate::ms(1000)).await;
            let message = failure_of(|| assert_schedule(&tl, &[dropped("C", 1000, 2000)], "cancel C"));
            assert!(message.contains("C was still running when the test looked"), "{message}");
            detached.await.unwrap();
            let message = failure_of(|| assert_schedule(&tl, &[dropped("C", 1000, 2000)], "cancel C"));
            assert!(
                message.contains("C ran to completion at 4.000 s: it should have been cancelled at 2.000 s."),
                "{message}"
            );
        });
    }

    #[test]
    fn elapsed_and_equality_say_what_they_mean() {
        let message = failure_of(|| assert_elapsed(crate::ms(6000), 3000, "concurrent"));
        assert!(
            message.contains("it took 6.000 s of virtual time; it should take exactly 3.000 s."),
            "{message}"
        );
        assert!(message.contains("it ended late"), "{message}");
        let message = failure_of(|| check_eq(vec!['a', 'c'], vec!['a', 'b'], "results in input order"));
        assert_eq!(message, "results in input order\n  expected: ['a', 'b']\n  yours:    ['a', 'c']");
    }

    #[test]
    fn an_unstarted_bar_is_drawn_as_such() {
        let bars = [Bar { label: "A".into(), start: None, end: None }];
        assert!(chart(&bars, &bars).contains("never started"));
    }

    #[test]
    fn jobs_that_should_not_have_started_are_named() {
        crate::run(async {
            let tl = Timeline::new();
            let (a, _b) = (tl.job("A", 100, ()), tl.job("B", 100, ()));
            assert_none_started(&tl, "k = 0", "Check k first.");
            assert_never_started(&tl, "A", "it comes after the deadline");
            tokio::time::sleep(crate::ms(250)).await;
            a.await;
            let message = failure_of(|| assert_none_started(&tl, "k = 0", "Check k first."));
            assert_eq!(message, "k = 0: no job should run, but A started. Check k first.");
            let message = failure_of(|| assert_never_started(&tl, "A", "it comes after the deadline"));
            assert_eq!(message, "A started at 0.250 s: it comes after the deadline");
        });
    }

    #[test]
    fn a_job_not_cancelled_at_the_instant_says_what_it_did() {
        crate::run(async {
            let tl = Timeline::new();
            let jobs = futures::future::join3(
                tl.job("A", 2000, ()),
                tl.job("B", 500, ()),
                tl.endless_job::<()>("C"),
            );
            let _ = tokio::time::timeout(crate::ms(1000), jobs).await;
            assert_cancelled_at(&tl, &["A", "C"], 1000, "try_all", "when B failed.");
            let message =
                failure_of(|| assert_cancelled_at(&tl, &["A", "B"], 1000, "try_all", "when B failed."));
            assert_eq!(
                message,
                "try_all: B ran to completion at 0.500 s; it should have been cancelled (dropped) at 1.000 s, \
                 when B failed."
            );
            let message = failure_of(|| assert_cancelled_at(&tl, &["A"], 800, "try_all", "at once."));
            assert!(message.starts_with("try_all: A was cancelled at 1.000 s;"), "{message}");
        });
    }
}
