//! The deterministic runtime every exercise test runs on.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;

use crate::blocking::Detector;
use crate::channel::{Channel, Outcome};
use crate::clock::{self, fmt_duration};
use crate::failure::{self, Panic};
use crate::{timeline, watchdog};

use protocol::WALL_LIMIT_VAR;

/// The guards around one test.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Virtual time after which the test fails: a deadlock that still has
    /// timers ends here, at an exact instant.
    pub virtual_limit: Duration,
    /// Real time after which the watchdog ends the process.
    pub wall_limit: Duration,
    /// A busy stretch this long (real time) counts as blocking the executor.
    pub blocking_threshold: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        let wall_ms = std::env::var(WALL_LIMIT_VAR).ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
        Limits {
            virtual_limit: Duration::from_secs(600),
            wall_limit: Duration::from_millis(wall_ms),
            blocking_threshold: Duration::from_millis(100),
        }
    }
}

/// How long a call may run before a test calls it a hang: far longer than
/// any call in the course needs, and instant in real time. Give it to
/// [`crate::within`], with a hint that says what usually hangs there.
pub const PATIENCE: Duration = Duration::from_millis(30_000);

impl Limits {
    /// The default limits with another virtual-time guard: a test that a
    /// wrong answer turns into a hang can fail sooner on the virtual clock
    /// (it is instant in real time either way).
    pub fn with_virtual_limit(virtual_limit: Duration) -> Self {
        Limits { virtual_limit, ..Limits::default() }
    }

    /// The limits for a test that a wrong answer can hang: the virtual-time
    /// guard at one minute (twice [`PATIENCE`]) rather than ten, so that a
    /// hang outside any [`crate::within`] fails soon too, while each call
    /// in a `within` is given its full [`PATIENCE`] and explained first.
    pub fn one_minute() -> Self {
        Limits::with_virtual_limit(PATIENCE * 2)
    }
}

/// Runs an async test body on a paused current-thread runtime, with the
/// default [`Limits`].
///
/// ```ignore
/// #[test]
/// fn concurrent_runs_every_job_at_once() {
///     checker::run(async {
///         let tl = Timeline::new();
///         // ...
///     });
/// }
/// ```
pub fn run<F: Future<Output = ()>>(test: F) {
    run_with(Limits::default(), test)
}

/// Runs an async test body under explicit [`Limits`].
pub fn run_with<F: Future<Output = ()>>(limits: Limits, test: F) {
    run_boxed(limits, Box::pin(test))
}

/// The body of [`run_with`], for one type of future: the runtime and its
/// `block_on` are then compiled once, with the checker, instead of once
/// per test in every test crate (a fifth of a test crate's code, and of the
/// time a grader spends compiling a new submission).
fn run_boxed(limits: Limits, test: Pin<Box<dyn Future<Output = ()> + '_>>) {
    let channel = Arc::new(Channel::open());
    failure::install_hook();
    failure::reset_thread_state();
    timeline::forget_all();
    let detector = Arc::new(Detector::for_this_thread());

    let (on_park, on_unpark) = (detector.clone(), detector.clone());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        // Paused from the first instant: every timer is then a whole number
        // of milliseconds from the origin, and schedules are exact.
        .start_paused(true)
        .on_thread_park(move || on_park.parked())
        .on_thread_unpark(move || on_unpark.unparked())
        .build()
        .expect("the test runtime builds");

    let _watchdog = watchdog::start(limits.wall_limit, detector.clone(), channel.clone());
    let result = runtime.block_on(async {
        clock::set_origin(Some(tokio::time::Instant::now()));
        let outcome = tokio::time::timeout(limits.virtual_limit, AssertUnwindSafe(test).catch_unwind()).await;
        (outcome, clock::elapsed())
    });
    detector.parked();
    drop(runtime);
    clock::set_origin(None);
    let (outcome, virtual_time) = result;

    let (verdict, message) = match outcome {
        Ok(Ok(())) => (Outcome::Pass, String::new()),
        Ok(Err(payload)) => match failure::classify(payload.as_ref()) {
            Panic::Todo(task) => (Outcome::Todo, task),
            Panic::Teaching(message) | Panic::Other(message) => match failure::todo_seen() {
                Some(task) => (Outcome::Todo, task),
                None => (Outcome::Fail, with_learners_panic(message)),
            },
        },
        Err(_elapsed) => (
            Outcome::Fail,
            format!(
                "still not finished after {} of virtual time, far longer than this test needs.\n\
                 something waits forever (a deadlock with a timer still pending, a loop that sleeps and never ends),\n\
                 or work that should run at once ran one piece at a time.",
                fmt_duration(limits.virtual_limit)
            ),
        ),
    };
    // Blocking explains everything after it (a 2 s std::thread::sleep makes
    // a job "finish" at 0 s), so it comes first, whatever else happened.
    let seen = detector.seen();
    let (verdict, message) = if verdict != Outcome::Todo && seen.is_blocking(limits.blocking_threshold) {
        let mut m = seen.advice();
        if verdict == Outcome::Fail {
            m.push_str("\n\nand then:\n");
            m.push_str(&message);
        }
        (Outcome::Blocking, m)
    } else {
        (verdict, message)
    };

    channel.send(verdict, &message, virtual_time, &timeline::render_all(72));
    if verdict != Outcome::Pass {
        let shown = match verdict {
            Outcome::Todo if message.is_empty() => "not yet implemented".to_string(),
            Outcome::Todo => format!("not yet implemented: {message}"),
            _ => message,
        };
        // Print it ourselves (libtest shows the captured output), then fail
        // without running the panic hook a second time.
        eprintln!("\n{shown}\n");
        std::panic::resume_unwind(Box::new(shown));
    }
}

/// A failure caused by a panic in the learner's code (one the test caught
/// and described, such as an `.unwrap()` on a `JoinHandle`) also says where
/// that panic was, so the report can point at the very line.
fn with_learners_panic(message: String) -> String {
    match failure::learner_panic() {
        Some(panic) if !message.contains(&panic) => {
            let place = panic.strip_prefix("panicked at ").and_then(|rest| rest.split(": ").next());
            match place {
                Some(place) if !message.contains(place) => {
                    format!("{message}\nyour code panicked at {place}")
                }
                _ => message,
            }
        }
        _ => message,
    }
}
