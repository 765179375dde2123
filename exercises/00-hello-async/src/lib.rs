//! # 00 · hello-async — `asyncio.run`, coroutines and tasks, in tokio
//!
//! The first lesson of every asyncio course, in Rust: a job that says it is
//! starting, sleeps, and says it is done; three of them one after another,
//! then all at once; a stopwatch for futures; a way into async code from a
//! plain `fn main`; and four small programs whose output you predict
//! before you run them. Read README.md beside this file first, then replace
//! each `todo!()` below, in order.
//!
//! Everything logs into a [`Log`]: each line with the millisecond it was
//! logged at. The tests run your code on a *paused* clock, where
//! `tokio::time::sleep(2 s)` takes no real time and ends at exactly 2.000 s,
//! so they can check each line's instant with `==`. The `demo` binary
//! (`cargo run -p hello-async --bin demo`) runs the same code on a real
//! clock, so you can watch it.

use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

// Not `std::time::Instant`: tokio's `Instant` reads the runtime's clock, so
// on the tests' paused clock it says exactly how much *virtual* time passed.
use tokio::time::Instant;

// ---- given: the log ------------------------------------------------------

/// A shared log of `(milliseconds since the log was made, line)`, like
/// `print` with a timestamp. Clone it to hand it to another task: every
/// clone writes to the same log.
///
/// This part is written for you; the tasks below use it.
#[derive(Clone, Debug)]
pub struct Log {
    inner: Arc<Mutex<Lines>>,
}

#[derive(Debug)]
struct Lines {
    origin: Instant,
    printing: bool,
    lines: Vec<(u64, String)>,
}

impl Log {
    /// An empty log whose clock starts now.
    pub fn new() -> Log {
        Log::make(false)
    }

    /// A log that also prints each line as it is logged, with its time
    /// (`   2.000 s  A done after 2 second(s)`): the `demo` binary uses it.
    pub fn printing() -> Log {
        Log::make(true)
    }

    fn make(printing: bool) -> Log {
        let lines = Lines { origin: Instant::now(), printing, lines: Vec::new() };
        Log { inner: Arc::new(Mutex::new(lines)) }
    }

    /// Logs `line` at the current instant.
    ///
    /// (The lock is a `std::sync::Mutex`: it is only held for the push,
    /// never across an `.await`, so a blocking lock is right here.)
    pub fn say(&self, line: impl Into<String>) {
        let line = line.into();
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let at = inner.origin.elapsed();
        if inner.printing {
            println!("{:>9}  {line}", fmt_secs(at));
        }
        inner.lines.push((at.as_millis() as u64, line));
    }

    /// The lines logged so far, in the order they were logged.
    pub fn lines(&self) -> Vec<String> {
        self.entries().into_iter().map(|(_, line)| line).collect()
    }

    /// The lines logged so far, each with the millisecond it was logged at.
    pub fn entries(&self) -> Vec<(u64, String)> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).lines.clone()
    }
}

impl Default for Log {
    fn default() -> Self {
        Log::new()
    }
}

/// `6.000 s`: a duration in seconds, to the millisecond.
pub fn fmt_secs(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

/// The last line of both demos: `total 6.000 s`.
pub fn total_line(took: Duration) -> String {
    format!("total {}", fmt_secs(took))
}

// ---- task 1 -------------------------------------------------------------

/// Task 1 · The classic `say_after`: log `"{name} starting"`, sleep `secs`
/// seconds, then log `"{name} done after {secs} second(s)"`.
///
/// `secs` is printed as Rust prints an `f64` by default (`{secs}`): `2.0`
/// prints as `2`, `1.5` as `1.5`. So `say_after(&log, "A", 2.0)` logs
/// `A starting` at 0 s and `A done after 2 second(s)` at 2.000 s.
///
/// Sleep with `tokio::time::sleep`, never `std::thread::sleep`: tokio's
/// sleep gives the thread back to the runtime while it waits, so other
/// jobs can run. `secs` is not always whole (`1.5`): `Duration` has a
/// constructor that takes an `f64`.
///
/// Like every `async fn`, calling it runs nothing: `A starting` is logged
/// when the future is first awaited, not when it is made.
pub async fn say_after(log: &Log, name: &str, secs: f64) {
    todo!("task 1 (say_after)")
}

// ---- tasks 2 and 3 --------------------------------------------------------

/// Task 2 · The classic sequential demo: run `say_after` for each
/// `(name, secs)` job **one after another**, then log the total time with
/// [`total_line`] (`total 6.000 s`), and return.
///
/// Jobs A 2 s, B 1 s, C 3 s log, line for line:
///
/// ```text
/// 0.000 s  A starting
/// 2.000 s  A done after 2 second(s)
/// 2.000 s  B starting
/// 3.000 s  B done after 1 second(s)
/// 3.000 s  C starting
/// 6.000 s  C done after 3 second(s)
/// 6.000 s  total 6.000 s
/// ```
///
/// The total is the time from when the demo started to when its last job
/// ended (task 4's [`timed`] measures exactly that, if you write it first).
pub async fn sequential_demo(log: &Log, jobs: &[(&str, f64)]) {
    todo!("task 2 (sequential_demo)")
}

/// Task 3 · The classic concurrent demo: run every job's `say_after`
/// **at once**, wait for all of them, then log the total, and return.
///
/// The same jobs log every `starting` line at 0 s, in input order, then
/// `B done` at 1.000 s, `A done` at 2.000 s, `C done` at 3.000 s, and
/// `total 3.000 s`: as long as the longest job, not the sum.
///
/// One task can wait on many futures at once (`asyncio.gather`): look at
/// `futures::future::join_all`. Awaiting each job in a loop is task 2
/// again.
pub async fn concurrent_demo(log: &Log, jobs: &[(&str, f64)]) {
    todo!("task 3 (concurrent_demo)")
}

// ---- task 4 -------------------------------------------------------------

/// Task 4 · A stopwatch for futures (a timing decorator): await `fut` and
/// return its output together with the virtual time it took, from its
/// first poll to its end.
///
/// From its *first poll*, not from when it was made: a future made at 0 s
/// that is first awaited at 1 s and sleeps 0.5 s took 0.5 s. A future that
/// is ready at once took 0 s.
///
/// Measure with `tokio::time::Instant` (imported above): it follows the
/// runtime's clock. `std::time::Instant` reads the real clock, which on the
/// tests' paused clock hardly moves at all.
pub async fn timed<F: Future>(fut: F) -> (F::Output, Duration) {
    todo!("task 4 (timed)")
}

// ---- task 5 -------------------------------------------------------------

/// `block_on_anywhere` was called on a thread that is already running async
/// code (from inside a tokio runtime), where it must not block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InsideRuntime;

impl fmt::Display for InsideRuntime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "block_on_anywhere was called from inside a tokio runtime, where it cannot block: \
             tokio would panic with \"Cannot start a runtime from within a runtime\". \
             In async code, `.await` the future instead.",
        )
    }
}

impl std::error::Error for InsideRuntime {}

/// Task 5 · `asyncio.run` for Rust: run `fut` to its end from plain,
/// synchronous code and return its output.
///
/// - **Outside a runtime** (a plain `fn main`, a plain thread): build a
///   current-thread runtime with its timers enabled, run `fut` on it to its
///   end, and return `Ok(output)`. `fut` may sleep and spawn tasks.
/// - **Inside a runtime** (called from async code): return
///   `Err(InsideRuntime)` at once, without running `fut` at all. Blocking
///   there would freeze every task on the thread, so tokio panics instead
///   ("Cannot start a runtime from within a runtime"), just as `asyncio.run`
///   refuses to run inside a running event loop. Your job is to ask first
///   and return the error instead of that panic.
///
/// `tokio::runtime::Handle::try_current()` tells you whether this thread is
/// inside a runtime; `tokio::runtime::Builder::new_current_thread()` builds
/// one (`enable_all()` turns its timers on).
pub fn block_on_anywhere<F: Future>(fut: F) -> Result<F::Output, InsideRuntime> {
    todo!("task 5 (block_on_anywhere)")
}

// ---- task 6 -------------------------------------------------------------
//
// Predict the order. README.md ("Task 6") shows four small programs. For
// each one, write down the lines it logs, in the order it logs them, before
// you run anything. Leave out a line you think is never logged. Copy the
// lines exactly as the program writes them, e.g. "main: spawning".
//
// The tests run each program as the `main` of its own current-thread
// runtime on a paused clock, and compare. When you are wrong, the failure
// tells you what really happened, step by step: read it, then explain it
// to yourself before you fix your answer.

/// Program 1 · a spawned task, never awaited, and a sleep.
pub const PREDICT_SPAWN_NEVER_AWAITED: &[&str] = &[];

/// Program 2 · two tasks that yield in turn.
pub const PREDICT_YIELD_IN_TURN: &[&str] = &[];

/// Program 3 · a future made and never awaited.
pub const PREDICT_FUTURE_NEVER_AWAITED: &[&str] = &[];

/// Program 4 · `join!` of a 0 ms sleep and a ready value.
pub const PREDICT_JOIN_ZERO_SLEEP: &[&str] = &[];
