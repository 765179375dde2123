//! alternative: a pool of k worker tasks pulling the next item; catch_unwind inside the blocking closure; the Handle taken on the blocking thread
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

use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;
use std::sync::Mutex;

use tokio::runtime::Handle;

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
    // The closure catches its own panic, so the JoinHandle never fails
    // for a panic.
    let caught = tokio::task::spawn_blocking(move || std::panic::catch_unwind(AssertUnwindSafe(f)))
        .await
        .map_err(|e| Panicked { message: e.to_string() })?;
    caught.map_err(|payload| {
        let message = if let Some(text) = payload.downcast_ref::<&'static str>() {
            text.to_string()
        } else if let Some(text) = payload.downcast_ref::<String>() {
            text.clone()
        } else {
            "a panic with a non-text payload".to_string()
        };
        Panicked { message }
    })
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
    let n = items.len();
    let f = Arc::new(f);
    let queue: Arc<Mutex<VecDeque<(usize, I)>>> = Arc::new(Mutex::new(items.into_iter().enumerate().collect()));
    let results: Arc<Mutex<Vec<Option<Result<T, Panicked>>>>> =
        Arc::new(Mutex::new((0..n).map(|_| None).collect()));
    // k workers, each taking the next item as soon as it is free.
    let workers: Vec<_> = (0..k.min(n))
        .map(|_| {
            let (queue, results, f) = (queue.clone(), results.clone(), f.clone());
            tokio::spawn(async move {
                loop {
                    let next = queue.lock().unwrap().pop_front();
                    let Some((i, item)) = next else { break };
                    let f = f.clone();
                    let result = offload(move || f(item)).await;
                    results.lock().unwrap()[i] = Some(result);
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.expect("a worker never panics");
    }
    let mut results = results.lock().unwrap();
    results.drain(..).map(|r| r.expect("every item was taken")).collect()
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
    offload(move || {
        // A blocking-pool thread is inside the runtime's context.
        let handle = Handle::current();
        legacy_report(&ids, &mut |id| handle.block_on(lookup(id)))
    })
    .await
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
            let mut visits = self.visits.lock().unwrap();
            let count = visits.entry(page.clone()).or_insert(0);
            *count += 1;
            let count = *count;
            drop(visits);
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
            let text = tokio::task::spawn_blocking(move || std::fs::read_to_string(log))
                .await
                .map_err(std::io::Error::other)??;
            tokio::task::spawn_blocking(move || count_errors(&text)).await.map_err(std::io::Error::other)
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
