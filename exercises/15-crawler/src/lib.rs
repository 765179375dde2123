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
//! Read README.md beside this file first, then replace each `todo!()`. You
//! write this one whole: reuse the *ideas* of the earlier exercises, not
//! their code. The types below are given; so is [`host_of`].

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

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
/// The future it returns is `Send`, so a request can run in a spawned task
/// (keep the fetcher in an `Arc` and move a clone into the task).
pub trait Fetch: Send + Sync + 'static {
    /// Fetches `url` and returns the page's body. The request starts when
    /// the future is first polled (futures are lazy) and is cancelled when
    /// it is dropped.
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
    /// `max_delay` (the first wait too); `delay(0)` is zero.
    ///
    /// With 100 ms, × 2, capped at 1 s: 100, 200, 400, 800, 1000, 1000 ms.
    /// In integers (`Duration * u32` is exact, `f64` drifts), and huge
    /// values never overflow or panic: `delay(u32::MAX)` is `max_delay`.
    pub fn delay(&self, retry: u32) -> Duration {
        todo!("task 1 (delay)")
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
    /// Every URL whose fate is known: `Ok(())` for a page fetched (and
    /// parsed), `Err` for one that could not be had. A URL still waiting or
    /// in flight when the deadline cut the crawl short is not in it, and
    /// neither is a link that was not followed.
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
    /// Task 4 · Counts the pages by fate: `Ok` is fetched, `TimedOut` timed
    /// out, `Failed` failed.
    pub fn summary(&self) -> Summary {
        todo!("task 4 (summary)")
    }
}

/// Task 2 · Fetches one URL the way the crawler does.
///
/// - Each attempt may take `config.request_timeout`; one that takes longer
///   is dropped at that very instant and the page is `Err(TimedOut)` then,
///   with no retry (a server that did not answer in time is not asked
///   again). An answer that comes exactly at the limit is in time.
/// - A transient error is retried after `config.retry.delay(n)` (n = 1
///   after the first failure), up to `max_attempts` attempts in all; the
///   last one's error comes back at once, with no wait after it.
/// - A permanent error comes back at once: `Err(Failed(e))`.
pub async fn fetch_page<F: Fetch>(web: &F, url: &str, config: &Config) -> Result<String, PageError> {
    todo!("task 2 (fetch_page)")
}

/// Task 3 · Crawls from `seed` and reports what it found.
///
/// - Every URL is fetched at most once, however many pages link it, even
///   two pages that finish at the same instant (decide "is it new?" when
///   the link is found, not when its fetch is done).
/// - At most `max_in_flight` URLs are being fetched at once, and at most
///   `per_host` of one host. A URL holds its slots from its first attempt
///   until its fate is known (its backoff waits included); a URL that
///   waits for a slot starts the instant both limits allow it.
/// - `parse(body)` gives a page's links. It is CPU-heavy: run it on the
///   blocking pool, never on the executor.
/// - At `config.deadline` after the call, everything still in flight or
///   waiting is dropped at that instant, nothing runs on, and the report
///   says `cut_short`. Otherwise the crawl returns the instant the last
///   page's fate is known.
pub async fn crawl<F, P>(web: F, parse: P, seed: &str, config: &Config) -> Report
where
    F: Fetch,
    P: Fn(&str) -> Vec<String> + Send + Sync + 'static,
{
    todo!("task 3 (crawl)")
}
