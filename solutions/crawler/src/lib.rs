//! # 15 · crawler — the capstone: "the crawler that doesn't lie"
//!
//! A web crawler is every idea of this course in one program: many requests
//! at once (01, gather), but never too many (02, semaphore) and never too
//! many to one host; a time limit on each request (03, timeout); retries of
//! what may pass, with backoff (06, retry); an overall deadline that cancels
//! whatever is still running (04, cancellation); and a CPU-heavy step that
//! must not block the executor (10, blocking).
//!
//! "Doesn't lie" means its report is the truth: every page it lists was
//! fetched once, every failure is counted as what it was, and when it ran
//! out of time, it says so.
//!
//! Read README.md beside this file first, then replace each `todo!()`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

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
    /// Task 1 · The wait before retry number `retry` (1 for the wait after
    /// the first failure): `initial × factor^(retry − 1)`, capped at
    /// `max_delay`; `delay(0)` is zero. In integers, and never overflowing.
    pub fn delay(&self, retry: u32) -> Duration {
        if retry == 0 {
            return Duration::ZERO;
        }
        let mut delay = self.initial.min(self.max_delay);
        for _ in 1..retry {
            match delay.checked_mul(self.factor) {
                Some(next) if next < self.max_delay => delay = next,
                _ => return self.max_delay,
            }
        }
        delay
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
        let mut summary = Summary::default();
        for fate in self.pages.values() {
            match fate {
                Ok(()) => summary.fetched += 1,
                Err(PageError::TimedOut) => summary.timed_out += 1,
                Err(PageError::Failed(_)) => summary.failed += 1,
            }
        }
        summary
    }
}

/// Task 2 · Fetches one URL the way the crawler does: each attempt limited
/// to `config.request_timeout`, transient errors retried on `config.retry`,
/// a permanent error or a timeout final at once.
pub async fn fetch_page<F: Fetch>(web: &F, url: &str, config: &Config) -> Result<String, PageError> {
    let mut attempt = 1;
    loop {
        match tokio::time::timeout(config.request_timeout, web.fetch(url)).await {
            Ok(Ok(body)) => return Ok(body),
            Err(_elapsed) => return Err(PageError::TimedOut),
            Ok(Err(FetchError::Transient(_))) if attempt < config.retry.max_attempts => {
                tokio::time::sleep(config.retry.delay(attempt)).await;
                attempt += 1;
            }
            Ok(Err(e)) => return Err(PageError::Failed(e)),
        }
    }
}

/// One page's end: its URL and depth, its fate, and the links found in it.
type Done = (String, usize, Result<(), PageError>, Vec<String>);

/// Task 3 · Crawls from `seed`: every URL found is fetched at most once,
/// within the limits, and `parse` (CPU-heavy) runs off the executor.
pub async fn crawl<F, P>(web: F, parse: P, seed: &str, config: &Config) -> Report
where
    F: Fetch,
    P: Fn(&str) -> Vec<String> + Send + Sync + 'static,
{
    let deadline = tokio::time::Instant::now() + config.deadline;
    let web = Arc::new(web);
    let parse = Arc::new(parse);
    let global = Arc::new(Semaphore::new(config.max_in_flight));
    let mut hosts: HashMap<String, Arc<Semaphore>> = HashMap::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut tasks: JoinSet<Done> = JoinSet::new();
    let mut report = Report::default();

    let mut found = vec![(seed.to_string(), 0)];
    loop {
        for (url, depth) in found.drain(..) {
            if !seen.insert(url.clone()) {
                continue;
            }
            let host = hosts
                .entry(host_of(&url).to_string())
                .or_insert_with(|| Arc::new(Semaphore::new(config.per_host)))
                .clone();
            let (web, parse, global, config) = (web.clone(), parse.clone(), global.clone(), config.clone());
            tasks.spawn(async move {
                // The host's slot first, then a global one: a request that
                // holds a global slot while it waits for its host would
                // keep another host's request from starting.
                let _host = host.acquire_owned().await.expect("never closed");
                let _global = global.acquire_owned().await.expect("never closed");
                match fetch_page(&*web, &url, &config).await {
                    Ok(body) => {
                        drop((_host, _global));
                        let links =
                            tokio::task::spawn_blocking(move || parse(&body)).await.unwrap_or_default();
                        (url, depth, Ok(()), links)
                    }
                    Err(e) => (url, depth, Err(e), Vec::new()),
                }
            });
        }
        match tokio::time::timeout_at(deadline, tasks.join_next()).await {
            Ok(None) => return report,
            Ok(Some(Ok((url, depth, fate, links)))) => {
                report.pages.insert(url, fate);
                if depth < config.max_depth {
                    found.extend(links.into_iter().map(|link| (link, depth + 1)));
                }
            }
            Ok(Some(Err(join_error))) => std::panic::resume_unwind(join_error.into_panic()),
            Err(_deadline) => {
                report.cut_short = true;
                tasks.shutdown().await;
                return report;
            }
        }
    }
}
