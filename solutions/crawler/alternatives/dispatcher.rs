//! alternative: a dispatcher that counts slots itself (no semaphores), a queue of waiting URLs, biased select! for timeouts
//!
//! The crawl loop is the only owner of every count: it starts a waiting URL
//! when both counts allow it, in the order the URLs were found, and frees
//! the counts when a URL's fate comes back.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

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
    /// Task 1 · 06's delay, by powers counted in nanoseconds.
    pub fn delay(&self, retry: u32) -> Duration {
        if retry == 0 {
            return Duration::ZERO;
        }
        // factor^(retry − 1) in u128, while it can still matter.
        let mut power: u128 = 1;
        for _ in 1..retry {
            power = power.saturating_mul(u128::from(self.factor));
            if power.saturating_mul(self.initial.as_nanos()) >= self.max_delay.as_nanos() {
                return self.max_delay;
            }
        }
        let nanos = power * self.initial.as_nanos();
        let d = Duration::new((nanos / 1_000_000_000) as u64, (nanos % 1_000_000_000) as u32);
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
        Summary {
            fetched: self.pages.values().filter(|f| f.is_ok()).count(),
            timed_out: self.pages.values().filter(|f| matches!(f, Err(PageError::TimedOut))).count(),
            failed: self.pages.values().filter(|f| matches!(f, Err(PageError::Failed(_)))).count(),
        }
    }
}

/// Task 2 · One URL, with a biased select! for the timeout.
pub async fn fetch_page<F: Fetch>(web: &F, url: &str, config: &Config) -> Result<String, PageError> {
    for attempt in 1.. {
        let answer = tokio::select! {
            biased;
            answer = web.fetch(url) => answer,
            _ = tokio::time::sleep(config.request_timeout) => return Err(PageError::TimedOut),
        };
        match answer {
            Ok(body) => return Ok(body),
            Err(FetchError::Transient(e)) => {
                if attempt >= config.retry.max_attempts {
                    return Err(PageError::Failed(FetchError::Transient(e)));
                }
                tokio::time::sleep(config.retry.delay(attempt)).await;
            }
            Err(e) => return Err(PageError::Failed(e)),
        }
    }
    unreachable!("the loop returns")
}

/// Task 3 · The crawl, with its own slot counts.
pub async fn crawl<F, P>(web: F, parse: P, seed: &str, config: &Config) -> Report
where
    F: Fetch,
    P: Fn(&str) -> Vec<String> + Send + Sync + 'static,
{
    let deadline = tokio::time::Instant::now() + config.deadline;
    let (web, parse) = (Arc::new(web), Arc::new(parse));
    let mut seen: HashSet<String> = HashSet::from([seed.to_string()]);
    let mut waiting: VecDeque<(String, usize)> = VecDeque::from([(seed.to_string(), 0)]);
    let mut busy: HashMap<String, usize> = HashMap::new();
    let mut in_flight = 0;
    let mut tasks = JoinSet::new();
    let mut report = Report::default();
    loop {
        // Start every waiting URL both counts allow, in the order found.
        let mut i = 0;
        while i < waiting.len() && in_flight < config.max_in_flight {
            let host = host_of(&waiting[i].0).to_string();
            let n = busy.entry(host).or_insert(0);
            if *n < config.per_host {
                *n += 1;
                in_flight += 1;
                let (url, depth) = waiting.remove(i).expect("in range");
                let (web, parse, config) = (web.clone(), parse.clone(), config.clone());
                tasks.spawn(async move {
                    match fetch_page(&*web, &url, &config).await {
                        Ok(body) => {
                            let links = tokio::task::spawn_blocking(move || parse(&body)).await;
                            (url, depth, Ok(()), links.unwrap_or_default())
                        }
                        Err(e) => (url, depth, Err(e), Vec::new()),
                    }
                });
            } else {
                i += 1;
            }
        }
        let next = tokio::select! {
            biased;
            next = tasks.join_next() => next,
            _ = tokio::time::sleep_until(deadline) => {
                report.cut_short = true;
                return report;
            }
        };
        let Some(joined) = next else { return report };
        let (url, depth, fate, links) = joined.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
        in_flight -= 1;
        *busy.get_mut(host_of(&url)).expect("counted") -= 1;
        report.pages.insert(url, fate);
        if depth < config.max_depth {
            for link in links {
                if seen.insert(link.clone()) {
                    waiting.push_back((link, depth + 1));
                }
            }
        }
    }
}
