//! How a test fails: with a message written for the learner.
//!
//! Checker assertions panic with a [`Teaching`] payload rather than a plain
//! string, so [`crate::run`] can tell "the test said what went wrong" from
//! "the learner's code panicked" (which gets its location added) and from
//! "a `todo!()` is still there" (which is not a failure to explain at all).

use std::any::Any;
use std::cell::RefCell;
use std::future::Future;
use std::panic::{AssertUnwindSafe, PanicHookInfo};
use std::sync::{Mutex, Once};

use futures::FutureExt;

/// A failure message the learner can act on, carried as a panic payload.
#[derive(Debug)]
pub(crate) struct Teaching(pub String);

/// Fails the running test with `message`: what happened, what should have
/// happened, and where to look.
pub fn fail(message: impl Into<String>) -> ! {
    std::panic::panic_any(Teaching(message.into()))
}

/// What a panic payload means for the verdict.
#[derive(Debug, PartialEq)]
pub(crate) enum Panic {
    /// `todo!("task 2 (concurrent)")`: the task is not written yet.
    Todo(String),
    /// A checker assertion: the message is complete.
    Teaching(String),
    /// Anything else: the learner's code (or a plain `assert!`) panicked.
    Other(String),
}

const TODO_PREFIX: &str = "not yet implemented";

fn payload_text(payload: &(dyn Any + Send)) -> Option<&str> {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        Some(s)
    } else {
        payload.downcast_ref::<String>().map(String::as_str)
    }
}

/// The text of a panic payload: `panic!("boom")` carries a `&'static str`,
/// `panic!("{x}")` (and most panics of std) a `String`.
pub fn panic_text(payload: &(dyn Any + Send)) -> String {
    payload_text(payload).unwrap_or("a panic with a non-text payload").to_string()
}

/// Awaits `fut` and catches a panic inside it: `Err` holds the panic's
/// text, for a failure that says what the code under test panicked with.
/// A `todo!()` is not caught: the runner reports a task not yet written.
pub async fn catch_panic<F: Future>(fut: F) -> Result<F::Output, String> {
    match AssertUnwindSafe(fut).catch_unwind().await {
        Ok(value) => Ok(value),
        Err(payload) => {
            let text = panic_text(payload.as_ref());
            if todo_task(&text).is_some() {
                std::panic::resume_unwind(payload);
            }
            Err(text)
        }
    }
}

/// Awaits `fut`, a call that must not panic (a huge limit that overflows,
/// a payload unwrapped), and turns a panic into a failure: `{what}
/// panicked: "{text}".` and, on the next line, what `why` says about that
/// text.
pub async fn without_panic<F: Future>(fut: F, what: &str, why: impl FnOnce(&str) -> String) -> F::Output {
    match catch_panic(fut).await {
        Ok(value) => value,
        Err(text) => fail(format!("{what} panicked: \"{text}\".\n{}", why(&text))),
    }
}

/// The task a `todo!()` message names: "not yet implemented: task 2" gives
/// "task 2"; a bare `todo!()` gives "".
fn todo_task(text: &str) -> Option<String> {
    let rest = text.strip_prefix(TODO_PREFIX)?;
    Some(rest.trim_start_matches(':').trim().to_string())
}

pub(crate) fn classify(payload: &(dyn Any + Send)) -> Panic {
    if let Some(Teaching(message)) = payload.downcast_ref::<Teaching>() {
        return Panic::Teaching(message.clone());
    }
    let text = payload_text(payload).unwrap_or("a panic with a non-text payload");
    if let Some(task) = todo_task(text) {
        return Panic::Todo(task);
    }
    let located = learner_panic().or_else(|| LAST_PANIC.with_borrow(|last| last.clone()));
    Panic::Other(located.unwrap_or_else(|| text.to_string()))
}

thread_local! {
    /// The first `todo!()` hit on this thread during the test, even inside a
    /// spawned task whose panic the learner's code turned into an error.
    static TODO_SEEN: RefCell<Option<String>> = const { RefCell::new(None) };
    /// "panicked at src/lib.rs:12:5: index out of bounds", for the report.
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// The first panic during the test that happened in the learner's own
/// code: "exercises/01-gather/src/lib.rs:71:30: called `unwrap()` on ...".
/// Global, not per thread: a `spawn_blocking` closure panics on another
/// thread. A job of the test that panics on purpose is not the learner's
/// doing, so when their `.unwrap()` on its `JoinHandle` panics in turn, this
/// is the line to show them, not the job's.
static LEARNER_PANIC: Mutex<Option<String>> = Mutex::new(None);

pub(crate) fn reset_thread_state() {
    TODO_SEEN.set(None);
    LAST_PANIC.set(None);
    *LEARNER_PANIC.lock().unwrap_or_else(|e| e.into_inner()) = None;
}

pub(crate) fn learner_panic() -> Option<String> {
    LEARNER_PANIC.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// Whether `file` (as the compiler wrote it in a panic location or a
/// backtrace) is the learner's source: an exercise's (or a solution's)
/// `src/`, never the checker or a test file.
fn is_learners(file: &str) -> bool {
    let file = file.trim_start_matches("./");
    let under = |dir: &str| file.starts_with(&format!("{dir}/")) || file.contains(&format!("/{dir}/"));
    (under("exercises") || under("solutions")) && file.contains("/src/") && !file.contains("/tests/")
}

/// Where in the learner's source a panic happened: its own location when
/// that is theirs (`unwrap()` reports its caller), else the first frame of
/// theirs in a backtrace (a panic inside std or tokio that their code
/// called). Backtraces are only taken in that second case: they are slow.
fn learners_location(at: Option<&std::panic::Location<'_>>) -> Option<String> {
    if let Some(at) = at {
        if is_learners(at.file()) {
            return Some(format!("{}:{}:{}", relative(at.file()), at.line(), at.column()));
        }
        let ours = at.file().starts_with("checker/") || at.file().contains("/tests/");
        if ours {
            return None;
        }
    }
    let trace = std::backtrace::Backtrace::force_capture().to_string();
    trace
        .lines()
        .filter_map(|line| line.trim().strip_prefix("at "))
        .find(|place| is_learners(place))
        .map(relative)
}

/// The learner's file as the course names it: `exercises/01-gather/src/lib.rs`,
/// whether the compiler wrote it so, or as an absolute path (a backtrace
/// does), or under a stage.
fn relative(file: &str) -> String {
    let file = file.trim_start_matches("./");
    ["exercises/", "solutions/"]
        .iter()
        .filter_map(|dir| {
            if file.starts_with(dir) {
                return Some(file.to_string());
            }
            file.rfind(&format!("/{dir}")).map(|at| file[at + 1..].to_string())
        })
        .next()
        .unwrap_or_else(|| file.to_string())
}

pub(crate) fn todo_seen() -> Option<String> {
    TODO_SEEN.with_borrow(|t| t.clone())
}

/// Installs (once per process) a panic hook that keeps `todo!()` and
/// checker assertions quiet, since [`crate::run`] reports them itself, and
/// lets every other panic print as usual.
pub(crate) fn install_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info: &PanicHookInfo<'_>| {
            let payload = info.payload();
            if payload.downcast_ref::<Teaching>().is_some() {
                return;
            }
            let text = payload_text(payload).unwrap_or("a panic with a non-text payload");
            if let Some(task) = todo_task(text) {
                TODO_SEEN.with_borrow_mut(|seen| {
                    seen.get_or_insert(task);
                });
                return;
            }
            let located = match info.location() {
                Some(at) => format!("panicked at {}:{}:{}: {text}", at.file(), at.line(), at.column()),
                None => format!("panicked: {text}"),
            };
            LAST_PANIC.with_borrow_mut(|last| {
                last.get_or_insert(located);
            });
            let printing = std::time::Instant::now();
            if let Some(place) = learners_location(info.location()) {
                let mut first = LEARNER_PANIC.lock().unwrap_or_else(|e| e.into_inner());
                first.get_or_insert(format!("panicked at {place}: {text}"));
            }
            default(info);
            crate::blocking::excuse(printing.elapsed());
        }));
    });
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The message `f` fails with, through a checker assertion.
    pub(crate) fn failure_of(f: impl FnOnce()) -> String {
        let payload = std::panic::catch_unwind(AssertUnwindSafe(f)).expect_err("it fails");
        payload.downcast_ref::<Teaching>().expect("a teaching failure").0.clone()
    }

    /// The message a test body fails with when [`crate::run`] runs it.
    pub(crate) fn failure_of_run(body: impl Future<Output = ()>) -> String {
        let payload = std::panic::catch_unwind(AssertUnwindSafe(|| crate::run(body))).expect_err("it fails");
        payload.downcast_ref::<String>().expect("the message run fails with").clone()
    }

    #[test]
    fn a_panic_is_caught_with_its_text_both_ways() {
        crate::run(async {
            let quiet = |m: Box<dyn Any + Send>| async move { std::panic::resume_unwind(m) };
            assert_eq!(catch_panic(quiet(Box::new("boom"))).await, Err::<(), _>("boom".to_string()));
            assert_eq!(
                catch_panic(quiet(Box::new(format!("disk {} is full", 7)))).await,
                Err("disk 7 is full".into())
            );
            assert_eq!(catch_panic(quiet(Box::new(7))).await, Err("a panic with a non-text payload".into()));
            assert_eq!(catch_panic(async { 'a' }).await, Ok('a'));
        });
        let message = failure_of_run(async {
            let overflow = async { std::panic::resume_unwind(Box::new("overflow when adding durations")) };
            without_panic(overflow, "with_timeout(Duration::MAX, A)", |text| {
                format!("{} is an overflow", text.len())
            })
            .await
        });
        assert_eq!(
            message,
            "with_timeout(Duration::MAX, A) panicked: \"overflow when adding durations\".\n30 is an overflow"
        );
    }

    #[test]
    fn the_learners_files_are_the_exercises_sources_only() {
        assert!(is_learners("exercises/01-gather/src/lib.rs"));
        assert!(is_learners("./exercises/01-gather/src/lib.rs"));
        assert!(is_learners("/tmp/stage/exercises/01-gather/src/lib.rs"));
        assert!(is_learners("solutions/gather/src/lib.rs"));
        assert!(!is_learners("exercises/01-gather/tests/gather.rs"));
        assert!(!is_learners("checker/src/timeline.rs"));
        assert!(!is_learners("/rustc/abc/library/core/src/time.rs"));
        assert!(!is_learners("/root/.cargo/registry/src/tokio-1.47.0/src/time/instant.rs"));
        assert_eq!(relative("/tmp/course/exercises/01-a/src/lib.rs"), "exercises/01-a/src/lib.rs");
        assert_eq!(relative("./exercises/01-a/src/lib.rs"), "exercises/01-a/src/lib.rs");
        assert_eq!(relative("/s/grade/solutions/a/src/lib.rs"), "solutions/a/src/lib.rs");
    }

    #[test]
    fn a_todo_names_its_task() {
        let payload: Box<dyn Any + Send> = Box::new(String::from("not yet implemented: task 2 (concurrent)"));
        assert_eq!(classify(payload.as_ref()), Panic::Todo("task 2 (concurrent)".into()));
        let bare: Box<dyn Any + Send> = Box::new("not yet implemented");
        assert_eq!(classify(bare.as_ref()), Panic::Todo(String::new()));
    }

    #[test]
    fn a_teaching_payload_is_kept_whole() {
        let payload: Box<dyn Any + Send> = Box::new(Teaching("peak in flight was 6".into()));
        assert_eq!(classify(payload.as_ref()), Panic::Teaching("peak in flight was 6".into()));
    }
}
