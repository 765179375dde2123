//! alternative: tokio::spawn per URL, results back on an mpsc channel, abort handles kept in a guard
//!
//! Each URL's task sends its fate on a channel; the crawl loop counts the
//! URLs it has started and not yet heard from, and at the deadline a guard
//! aborts every task it spawned.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinHandle;

/// Why one request failed, as the [`Fetch`] implementation reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchError {
    /// It may work if tried again later: a dropped connection, a "503
    /// Service Unavailable". Retried on the [`Backoff`] schedule.
    Transient(String),
    /// It will never work: a "404 Not Found", a malformed URL. Not retried.
    Permanent(String),
}

/// Whatever can fetch a page: a real HTTP client in production, a fake web
/// on the virtual clock in the tests. The README shows a `reqwest` one.
///
/// The future it returns must be `Send` (so a request can run in a spawned
/// task) and must not borrow `url` beyond the call's own future.
pub trait Fetch: Send + Sync + 'static {
    /// Fetches `url` and returns the page's body.
    fn fetch(&self, url: &str) -> impl Future<Output = Result<String, FetchError>> + Send;
}

/// The host of `url`: what lies between `://` and the next `/`
/// (`host_of("http://a.example/x/y")` is `"a.example"`). Given.
pub fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.split('/').next().unwrap_or(rest)
}

/// 06's exponential backoff: wait `initial`, then `initial × factor`, ...,
/// never more than `max_delay`, for at most `max_attempts` attempts in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The wait before the first retry.
    pub initial: Duration,
    /// Each wait is this many times the one before.
    pub factor: u32,
    /// No wait is longer than this.
    pub max_delay: Duration,
    /// Attempts in all, the first one included (at least 1).
    pub max_attempts: u32,
}

impl Backoff {
    /// Task 1 · 06's delay, one step at a time, stopping at the cap.
    pub fn delay(&self, retry: u32) -> Duration {
        if retry == 0 {
            return Duration::ZERO;
        }
        let mut d = self.initial;
        let mut step = 1;
        while step < retry && d < self.max_delay {
            d = d.checked_mul(self.factor).unwrap_or(Duration::MAX);
            step += 1;
        }
        d.min(self.max_delay)
    }
}

/// Everything that shapes a crawl.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// How far from the seed to go: the seed is at depth 0, its links at
    /// depth 1, ...; the links of a page at `max_depth` are not followed.
    pub max_depth: usize,
    /// Requests in flight at once, over all hosts (at least 1).
    pub max_in_flight: usize,
    /// Requests in flight at once to any one host (at least 1).
    pub per_host: usize,
    /// How long one request may take before it is dropped.
    pub request_timeout: Duration,
    /// When to try again after a transient error.
    pub retry: Backoff,
    /// The whole crawl's time budget, from the call.
    pub deadline: Duration,
}

/// Why a page could not be had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageError {
    /// A request took longer than `request_timeout`. Not retried.
    TimedOut,
    /// A permanent error, or the last transient one once every attempt
    /// was used.
    Failed(FetchError),
}

/// What a crawl found: the truth, and nothing but.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Report {
    /// Every URL whose fate is known, fetched or not.
    pub pages: BTreeMap<String, Result<(), PageError>>,
    /// Whether the deadline cut the crawl short.
    pub cut_short: bool,
}

/// The success / timeout / error counts of a crawl.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Summary {
    /// Pages fetched.
    pub fetched: usize,
    /// Pages whose request timed out.
    pub timed_out: usize,
    /// Pages that failed any other way.
    pub failed: usize,
}

impl Report {
    /// Task 4 · Counts the pages by fate.
    pub fn summary(&self) -> Summary {
        self.pages.values().fold(Summary::default(), |mut s, fate| {
            match fate {
                Ok(()) => s.fetched += 1,
                Err(PageError::TimedOut) => s.timed_out += 1,
                Err(PageError::Failed(_)) => s.failed += 1,
            }
            s
        })
    }
}

/// Task 2 · One URL, recursive in spirit: one attempt, then decide.
pub async fn fetch_page<F: Fetch>(web: &F, url: &str, config: &Config) -> Result<String, PageError> {
    let mut retries = 0;
    loop {
        let Ok(answer) = tokio::time::timeout(config.request_timeout, web.fetch(url)).await else {
            return Err(PageError::TimedOut);
        };
        match answer {
            Err(FetchError::Transient(_)) if retries + 1 < config.retry.max_attempts => {
                retries += 1;
                tokio::time::sleep(config.retry.delay(retries)).await;
            }
            Err(e) => return Err(PageError::Failed(e)),
            Ok(body) => return Ok(body),
        }
    }
}

/// Aborts every task it holds when dropped.
struct AbortAll(Vec<JoinHandle<()>>);

impl Drop for AbortAll {
    fn drop(&mut self) {
        for handle in &self.0 {
            handle.abort();
        }
    }
}

/// Task 3 · The crawl, with spawned tasks that report on a channel.
pub async fn crawl<F, P>(web: F, parse: P, seed: &str, config: &Config) -> Report
where
    F: Fetch,
    P: Fn(&str) -> Vec<String> + Send + Sync + 'static,
{
    let deadline = tokio::time::Instant::now() + config.deadline;
    let (web, parse) = (Arc::new(web), Arc::new(parse));
    let all = Arc::new(Semaphore::new(config.max_in_flight));
    let mut hosts: HashMap<String, Arc<Semaphore>> = HashMap::new();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut spawned = AbortAll(Vec::new());
    let mut seen = HashSet::new();
    let mut pending = 0usize;
    let mut report = Report::default();
    let mut start = |url: String, depth: usize, spawned: &mut AbortAll, pending: &mut usize| {
        let host = hosts
            .entry(host_of(&url).to_string())
            .or_insert_with(|| Arc::new(Semaphore::new(config.per_host)));
        let (host, all, web, parse, config, tx) =
            (host.clone(), all.clone(), web.clone(), parse.clone(), config.clone(), tx.clone());
        *pending += 1;
        spawned.0.push(tokio::spawn(async move {
            let held = (host.acquire_owned().await, all.acquire_owned().await);
            let fate = fetch_page(&*web, &url, &config).await;
            drop(held);
            let links = match &fate {
                Ok(body) => {
                    let body = body.clone();
                    tokio::task::spawn_blocking(move || parse(&body)).await.unwrap_or_default()
                }
                Err(_) => Vec::new(),
            };
            let _ = tx.send((url, depth, fate.map(|_| ()), links));
        }));
    };
    seen.insert(seed.to_string());
    start(seed.to_string(), 0, &mut spawned, &mut pending);
    while pending > 0 {
        let Ok(Some((url, depth, fate, links))) = tokio::time::timeout_at(deadline, rx.recv()).await else {
            report.cut_short = true;
            break;
        };
        pending -= 1;
        report.pages.insert(url, fate);
        if depth < config.max_depth {
            for link in links {
                if seen.insert(link.clone()) {
                    start(link, depth + 1, &mut spawned, &mut pending);
                }
            }
        }
    }
    drop(spawned);
    report
}
