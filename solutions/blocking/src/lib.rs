//! # 10 · blocking — `run_in_executor`, `asyncio.to_thread`, `slow_callback_duration`
//!
//! An async runtime runs many tasks on few threads, switching only at an
//! `.await`. Code that holds the thread without awaiting (heavy computation,
//! `std::thread::sleep`, a blocking read, a `std::sync::Mutex` that someone
//! else holds) stalls *every* task on that thread. The cure is to move such
//! work to a thread that may block: tokio keeps a pool of them for exactly
//! this, and `tokio::task::spawn_blocking` hands work to it.
//!
//! The reference solution. The service, fixed, is inline below (the
//! learner's copy is `service.rs` beside the stub).
//!
//! The tests run on a paused clock, and a *blocking detector* watches the
//! executor's thread: a poll that holds it for long is reported, with the
//! name of the job that did it.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use tokio::runtime::Handle;
use tokio::sync::Semaphore;
use tokio::task::{JoinError, JoinSet};

/// A blocking job panicked. It carries the panic's text, so the caller can
/// say what went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Panicked {
    /// The text the job panicked with. `panic!("boom")` gives `"boom"` (its
    /// payload is a `&'static str`); `panic!("disk {n} is full")` with
    /// `n` = 7 gives `"disk 7 is full"` (its payload is a `String`). Both
    /// kinds occur: read both.
    pub message: String,
}

impl fmt::Display for Panicked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the blocking job panicked: {}", self.message)
    }
}

impl std::error::Error for Panicked {}

/// Task 1 · `asyncio.to_thread(f)`: run the synchronous closure `f` on
/// tokio's **blocking pool** and await its result.
///
/// `f` may compute for a long time (the tests give it about 150 ms of real
/// CPU work). While it does, the executor's thread must stay free: other
/// tasks keep running, and the blocking detector stays silent. A closure
/// that panics does not bring the caller down: its panic comes back as
/// `Err(Panicked)` with the panic's text.
///
/// Calling `f()` right here would run it on the executor's thread, in the
/// middle of a poll: that is the mistake this exercise is about.
pub async fn offload<F, T>(f: F) -> Result<T, Panicked>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(f).await.map_err(panicked)
}

/// The text of a blocking job's panic: its payload is a `&'static str` or a
/// `String`.
fn panicked(err: JoinError) -> Panicked {
    let message = match err.try_into_panic() {
        Ok(payload) => match payload.downcast::<&'static str>() {
            Ok(text) => text.to_string(),
            Err(payload) => match payload.downcast::<String>() {
                Ok(text) => *text,
                Err(_) => "a panic with a non-text payload".to_string(),
            },
        },
        Err(err) => err.to_string(),
    };
    Panicked { message }
}

/// Task 2 · `executor.map(f, items)` on a pool of `k` workers: run `f` on
/// every item on the blocking pool, **at most `k` at once**, and return one
/// result per item **in input order** (not in the order they finish).
///
/// As soon as one job ends, the next item starts, so that `k` run whenever
/// `k` are left. A job that panics gives `Err(Panicked)` in its place and
/// the others carry on. `k` is at least 1; no items give an empty `Vec` at
/// once.
///
/// tokio's blocking pool alone would run every job at once (it has room for
/// hundreds of threads): the limit is yours to keep.
pub async fn offload_all<I, T, F>(items: Vec<I>, k: usize, f: F) -> Vec<Result<T, Panicked>>
where
    I: Send + 'static,
    T: Send + 'static,
    F: Fn(I) -> T + Send + Sync + 'static,
{
    let f = Arc::new(f);
    let slots = Arc::new(Semaphore::new(k));
    let mut running = JoinSet::new();
    for (i, item) in items.into_iter().enumerate() {
        // Wait for a free slot *before* handing the job to the pool: the
        // pool itself would start every job at once.
        let permit = slots.clone().acquire_owned().await.expect("the semaphore is never closed");
        let f = f.clone();
        running.spawn(async move {
            let result = offload(move || {
                let _permit = permit;
                f(item)
            })
            .await;
            (i, result)
        });
    }
    let mut results: Vec<Option<Result<T, Panicked>>> = (0..running.len()).map(|_| None).collect();
    while let Some(joined) = running.join_next().await {
        let (i, result) = joined.expect("the task that awaits a job never panics");
        results[i] = Some(result);
    }
    results.into_iter().map(|r| r.expect("every job reported")).collect()
}

/// A synchronous library you cannot change (think of a parser or a
/// template engine with a callback): it looks up every id through
/// `lookup` and writes a report. Given; not a task.
pub fn legacy_report(ids: &[u32], lookup: &mut dyn FnMut(u32) -> String) -> String {
    let lines: Vec<String> = ids.iter().map(|&id| format!("- {id}: {}", lookup(id))).collect();
    format!("report of {} item(s)\n{}", ids.len(), lines.join("\n"))
}

/// Task 3 · Sync code calling async code: run [`legacy_report`] for `ids`
/// on the blocking pool, where each lookup is the async `lookup(id)`, and
/// return the report (or `Err(Panicked)` if it panicked).
///
/// `legacy_report` wants a plain closure that returns a `String`, but the
/// answer comes from async code. On a blocking-pool thread you may block:
/// a `tokio::runtime::Handle` to the test's runtime runs a future to its
/// end with `handle.block_on(fut)`, while the runtime's own thread carries
/// on with its tasks. The lookups use the runtime (they spawn tasks on it),
/// so they must run on *this* runtime, not on a new one.
///
/// On the executor's own thread that would be a deadlock or a panic
/// ("Cannot start a runtime from within a runtime").
pub async fn bridge<L, Fut>(ids: Vec<u32>, lookup: L) -> Result<String, Panicked>
where
    L: Fn(u32) -> Fut + Send + 'static,
    Fut: Future<Output = String>,
{
    let handle = Handle::current();
    offload(move || legacy_report(&ids, &mut |id| handle.block_on(lookup(id)))).await
}

/// Task 4 · The service, with its three blockers fixed.
pub mod service {
    use std::collections::HashMap;
    use std::path::PathBuf;
    use std::sync::Mutex;
    use std::time::Duration;

    /// What a client asks for.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum Request {
        /// A greeting for this name, from the upstream greeter.
        Greet(String),
        /// Count one more visit of this page; answers the new count.
        Visit(String),
        /// How many lines of the log file mention an error (in any case).
        Errors,
    }

    /// What the service answers.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum Response {
        /// `"hello, {name}!"`.
        Greeting(String),
        /// The page's visits so far, this one included.
        Visits(u64),
        /// The number of lines of the log file that mention an error.
        Errors(usize),
        /// The request could not be served (the log file cannot be read).
        Failed(String),
    }

    /// The service: many requests may be in flight at once, on one runtime.
    #[derive(Debug)]
    pub struct Service {
        /// The log file that `Errors` reads; it can be large.
        log: PathBuf,
        /// Visits per page.
        visits: Mutex<HashMap<String, u64>>,
    }

    impl Service {
        /// A service that reads its log from `log`.
        pub fn new(log: impl Into<PathBuf>) -> Self {
            Service { log: log.into(), visits: Mutex::new(HashMap::new()) }
        }

        /// Serves one request. Each kind takes exactly 1 s of virtual time.
        pub async fn handle(&self, request: Request) -> Response {
            match request {
                Request::Greet(name) => Response::Greeting(self.greet(&name).await),
                Request::Visit(page) => Response::Visits(self.visit(page).await),
                Request::Errors => match self.errors().await {
                    Ok(count) => Response::Errors(count),
                    Err(e) => Response::Failed(e.to_string()),
                },
            }
        }

        /// The upstream greeter answers in 800 ms; then we pause 200 ms so as
        /// not to hammer it.
        async fn greet(&self, name: &str) -> String {
            let greeting = upstream_greeting(name).await;
            // Fixed: std::thread::sleep held the executor's thread for 200 ms.
            tokio::time::sleep(Duration::from_millis(200)).await;
            greeting
        }

        /// Counts the visit, and stores the new count in the database (1 s).
        async fn visit(&self, page: String) -> u64 {
            // Fixed: the guard lived across the 1 s await below, so a second
            // visit's lock() waited on the executor's thread for a guard that
            // only this (now stalled) task could release. The guard's scope
            // ends before any await.
            let count = {
                let mut visits = self.visits.lock().unwrap();
                let count = visits.entry(page.clone()).or_insert(0);
                *count += 1;
                *count
            };
            store_in_database(&page, count).await;
            count
        }

        /// The log is flushed once a second: wait for the flush, then count the
        /// lines that mention an error.
        async fn errors(&self) -> std::io::Result<usize> {
            wait_for_log_flush().await;
            // Fixed: reading and scanning a large file is blocking work; it runs
            // on the blocking pool.
            let log = self.log.clone();
            tokio::task::spawn_blocking(move || std::fs::read_to_string(log).map(|text| count_errors(&text)))
                .await
                .map_err(std::io::Error::other)?
        }
    }

    /// Lines of `text` that mention an error, in any case (some libraries log
    /// `error`, some `Error`, some `ERROR`).
    fn count_errors(text: &str) -> usize {
        text.lines().filter(|line| line.to_ascii_uppercase().contains("ERROR")).count()
    }

    /// Stands in for an upstream service that answers in 800 ms.
    async fn upstream_greeting(name: &str) -> String {
        tokio::time::sleep(Duration::from_millis(800)).await;
        format!("hello, {name}!")
    }

    /// Stands in for a database write that takes 1 s.
    async fn store_in_database(_page: &str, _count: u64) {
        tokio::time::sleep(Duration::from_millis(1000)).await;
    }

    /// Stands in for waiting until the log is flushed: 1 s.
    async fn wait_for_log_flush() {
        tokio::time::sleep(Duration::from_millis(1000)).await;
    }
}
