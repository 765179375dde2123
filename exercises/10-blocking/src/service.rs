//! Task 4 · Find the blockers: a small service, shipped with three calls
//! that block the executor. It compiles, it answers, and its answers are
//! right; but a request that should take 1 s holds the executor's thread
//! for real time, and every other request waits meanwhile.
//!
//! Run `cargo xtask check blocking`: the blocking detector names the job
//! (the request) whose poll held the thread. Find the call in that
//! request's path, and replace it with one that awaits (or move it off the
//! executor with `tokio::task::spawn_blocking`). Fixed, three requests at
//! once are all answered at exactly 1.000 s of virtual time, and the
//! detector stays silent.
//!
//! Every request takes exactly 1 s of virtual time: the upstream, the
//! database and the log flush below stand in for real services, and their
//! delays are part of the contract. Change *how* the code waits, not how
//! long, and keep the answers as they are.

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
        std::thread::sleep(Duration::from_millis(200));
        greeting
    }

    /// Counts the visit, and stores the new count in the database (1 s).
    async fn visit(&self, page: String) -> u64 {
        let mut visits = self.visits.lock().unwrap();
        let count = visits.entry(page.clone()).or_insert(0);
        *count += 1;
        let count = *count;
        store_in_database(&page, count).await;
        count
    }

    /// The log is flushed once a second: wait for the flush, then count the
    /// lines that mention an error.
    async fn errors(&self) -> std::io::Result<usize> {
        wait_for_log_flush().await;
        let text = std::fs::read_to_string(&self.log)?;
        Ok(count_errors(&text))
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
