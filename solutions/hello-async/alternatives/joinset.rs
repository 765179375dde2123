//! alternative: spawned tasks in a JoinSet for the concurrent demo, a poll_fn stopwatch, sleep_until, match on Handle::try_current
//!
//! `concurrent_demo` spawns each job as a task of a `tokio::task::JoinSet`
//! (each with its own clone of the log and of the name) and drains the set;
//! `timed` reads the clock at its first poll inside a `poll_fn`;
//! `say_after` sleeps until a deadline in whole milliseconds.

use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

// ---- given: the log ------------------------------------------------------

/// A shared log of `(milliseconds since the log was made, line)`.
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

    /// A log that also prints each line as it is logged.
    pub fn printing() -> Log {
        Log::make(true)
    }

    fn make(printing: bool) -> Log {
        let lines = Lines { origin: Instant::now(), printing, lines: Vec::new() };
        Log { inner: Arc::new(Mutex::new(lines)) }
    }

    /// Logs `line` at the current instant.
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

/// `6.000 s`.
pub fn fmt_secs(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

/// The last line of both demos: `total 6.000 s`.
pub fn total_line(took: Duration) -> String {
    format!("total {}", fmt_secs(took))
}

// ---- task 1 -------------------------------------------------------------

pub async fn say_after(log: &Log, name: &str, secs: f64) {
    log.say(format!("{name} starting"));
    let deadline = Instant::now() + Duration::from_millis((secs * 1000.0).round() as u64);
    tokio::time::sleep_until(deadline).await;
    log.say(format!("{name} done after {secs} second(s)"));
}

// ---- tasks 2 and 3 --------------------------------------------------------

pub async fn sequential_demo(log: &Log, jobs: &[(&str, f64)]) {
    let start = Instant::now();
    let mut rest = jobs.iter();
    while let Some(&(name, secs)) = rest.next() {
        say_after(log, name, secs).await;
    }
    log.say(total_line(start.elapsed()));
}

pub async fn concurrent_demo(log: &Log, jobs: &[(&str, f64)]) {
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for &(name, secs) in jobs {
        let (log, name) = (log.clone(), name.to_string());
        tasks.spawn(async move { say_after(&log, &name, secs).await });
    }
    while let Some(joined) = tasks.join_next().await {
        joined.expect("say_after does not panic");
    }
    log.say(total_line(start.elapsed()));
}

// ---- task 4 -------------------------------------------------------------

pub async fn timed<F: Future>(fut: F) -> (F::Output, Duration) {
    let mut fut = std::pin::pin!(fut);
    let mut started: Option<Instant> = None;
    std::future::poll_fn(|cx| {
        let start = *started.get_or_insert_with(Instant::now);
        fut.as_mut().poll(cx).map(|output| (output, start.elapsed()))
    })
    .await
}

// ---- task 5 -------------------------------------------------------------

/// `block_on_anywhere` was called on a thread that is already running async code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InsideRuntime;

impl fmt::Display for InsideRuntime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("block_on_anywhere was called from inside a tokio runtime")
    }
}

impl std::error::Error for InsideRuntime {}

pub fn block_on_anywhere<F: Future>(fut: F) -> Result<F::Output, InsideRuntime> {
    match tokio::runtime::Handle::try_current() {
        Ok(_inside) => Err(InsideRuntime),
        Err(_outside) => {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build()
                .expect("a current-thread runtime builds");
            Ok(runtime.block_on(fut))
        }
    }
}

// ---- task 6 -------------------------------------------------------------

/// Program 1 · a spawned task, never awaited, and a sleep.
pub const PREDICT_SPAWN_NEVER_AWAITED: &[&str] =
    &["main: spawning", "main: spawned", "task: started", "main: returning"];

/// Program 2 · two tasks that yield in turn.
pub const PREDICT_YIELD_IN_TURN: &[&str] =
    &["main: round 1", "task: round 1", "main: round 2", "task: round 2", "main: joined the task"];

/// Program 3 · a future made and never awaited.
pub const PREDICT_FUTURE_NEVER_AWAITED: &[&str] =
    &["main: making the future", "main: made it", "main: returning"];

/// Program 4 · `join!` of a 0 ms sleep and a ready value.
pub const PREDICT_JOIN_ZERO_SLEEP: &[&str] =
    &["sleeper: sleeping 0 ms", "sleeper: awake", "ready: 42", "main: joined, got 42"];
