//! A fake web on the virtual clock, for the tests of code that fetches
//! pages: a crawler, a link checker, a cache in front of an HTTP client.
//!
//! Each URL is given what a real server would do to it: a latency, the
//! links its page holds, a number of transient failures before it serves,
//! a 404, or no answer at all. Every request is recorded with its URL, its
//! host, its attempt number, when it started (its first poll: futures are
//! lazy) and how it ended (the answer, or dropped: timed out or cancelled),
//! so a test can say exactly what happened to the web, and draw it.
//!
//! ```ignore
//! let web = FakeWeb::builder()
//!     .page("http://s/", 100, &["http://a/1", "http://b/1"])
//!     .page("http://a/1", 200, &[])
//!     .page("http://b/1", 50, &[])
//!     .failing_first("http://b/1", 2) // two "503"s, then the page
//!     .not_found("http://a/old", 50)
//!     .never_answers("http://c/hung")
//!     .build();
//! let reply = web.get("http://s/").await; // 100 ms later: Reply::Page { body }
//! ```
//!
//! The web knows nothing of the code under test: a test adapts
//! [`FakeWeb::get`] to the exercise's own fetch trait in a few lines. A
//! page's body lists its links, one per line ([`FakeWeb::links_in`] reads
//! them back).
//!
//! The assertions ([`FakeWeb::assert_fetched_at_most_once`],
//! [`FakeWeb::assert_peaks`], [`FakeWeb::assert_requests`],
//! [`FakeWeb::assert_quiet_after`]) name the property that broke and draw
//! the requests on the virtual clock, one block per host, with a row that
//! counts that host's requests in flight.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::Instant;

use crate::clock::{fmt_duration, ms};
use crate::failure::fail;
use crate::gantt::{self, Bar};
use crate::probe::End;

/// Width of the charts in failure messages.
const CHART_WIDTH: usize = 72;

/// What the fake web answers to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// The page: its links, one per line.
    Page {
        /// The page's text.
        body: String,
    },
    /// A failure that may pass: "503 Service Unavailable".
    Transient(String),
    /// No such page: "404 Not Found". Trying again will not help.
    NotFound,
}

/// How a recorded request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Answer {
    /// The page was served.
    Page,
    /// A transient failure was served.
    Transient,
    /// A 404 was served.
    NotFound,
    /// The request was dropped before it answered: timed out, or cancelled.
    Dropped,
}

impl fmt::Display for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Answer::Page => "the page",
            Answer::Transient => "a transient error (503)",
            Answer::NotFound => "a 404",
            Answer::Dropped => "dropped",
        })
    }
}

/// One request, as the fake web saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The URL asked for.
    pub url: String,
    /// Its host (`a` in `http://a/1`).
    pub host: String,
    /// 1 for the first request of this URL, 2 for the next, ...
    pub attempt: usize,
    /// Its first poll, since the test began.
    pub start: Duration,
    /// When and how it ended; `None` while it is in flight.
    pub ended: Option<(Duration, Answer)>,
}

impl Request {
    /// Whether it is in flight at `t` (a request is half-open: one that
    /// ends at `t` and one that starts at `t` never overlap).
    fn in_flight_at(&self, t: Duration) -> bool {
        self.start <= t && self.ended.is_none_or(|(end, _)| t < end)
    }

    fn describe(&self) -> String {
        let end = match self.ended {
            Some((t, Answer::Dropped)) => format!("dropped at {}", fmt_duration(t)),
            Some((t, answer)) => format!("answered {answer} at {}", fmt_duration(t)),
            None => "still in flight".to_string(),
        };
        format!("{} (attempt {}) started at {}, {end}", self.url, self.attempt, fmt_duration(self.start))
    }
}

/// The host of `url`: what lies between `://` and the next `/`.
pub fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.split('/').next().unwrap_or(rest)
}

/// What one URL does.
#[derive(Debug, Clone)]
enum Serves {
    Page(Vec<String>),
    NotFound,
    Nothing,
}

#[derive(Debug, Clone)]
struct Site {
    latency: Duration,
    serves: Serves,
}

/// Builds a [`FakeWeb`]. A URL given twice keeps the last description.
#[derive(Debug, Default)]
pub struct FakeWebBuilder {
    sites: HashMap<String, Site>,
    failing: HashMap<String, usize>,
}

impl FakeWebBuilder {
    /// `url` serves a page holding `links`, `latency_ms` after a request
    /// starts.
    pub fn page(mut self, url: &str, latency_ms: u64, links: &[&str]) -> Self {
        let links = links.iter().map(|l| l.to_string()).collect();
        self.sites.insert(url.into(), Site { latency: ms(latency_ms), serves: Serves::Page(links) });
        self
    }

    /// The first `n` requests of `url` answer a transient error (after the
    /// URL's latency); the ones after serve as usual.
    pub fn failing_first(mut self, url: &str, n: usize) -> Self {
        self.failing.insert(url.into(), n);
        self
    }

    /// `url` answers 404, `latency_ms` after a request starts.
    pub fn not_found(mut self, url: &str, latency_ms: u64) -> Self {
        self.sites.insert(url.into(), Site { latency: ms(latency_ms), serves: Serves::NotFound });
        self
    }

    /// `url` never answers: a request of it waits until it is dropped.
    pub fn never_answers(mut self, url: &str) -> Self {
        self.sites.insert(url.into(), Site { latency: Duration::ZERO, serves: Serves::Nothing });
        self
    }

    /// The web, with an empty record. A URL it was not told about answers
    /// 404 at once.
    pub fn build(self) -> FakeWeb {
        FakeWeb {
            inner: Arc::new(Inner {
                sites: self.sites,
                failing: self.failing,
                log: Mutex::default(),
                origin: crate::clock::origin(),
            }),
        }
    }
}

#[derive(Debug)]
struct Inner {
    sites: HashMap<String, Site>,
    failing: HashMap<String, usize>,
    log: Mutex<Vec<Request>>,
    origin: Instant,
}

impl Inner {
    fn log(&self) -> MutexGuard<'_, Vec<Request>> {
        self.log.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn now(&self) -> Duration {
        Instant::now().saturating_duration_since(self.origin)
    }
}

/// A fake web on the virtual clock that records every request. Cheap to
/// clone: the clones share one record.
#[derive(Debug, Clone)]
pub struct FakeWeb {
    inner: Arc<Inner>,
}

impl FakeWeb {
    /// Describe the web URL by URL.
    pub fn builder() -> FakeWebBuilder {
        FakeWebBuilder::default()
    }

    /// The links in a page's body, in order.
    pub fn links_in(body: &str) -> Vec<String> {
        body.lines().filter(|l| !l.is_empty()).map(str::to_string).collect()
    }

    /// Requests `url`. The request starts at its first poll and is
    /// recorded then; it answers after the URL's latency, or never; if it
    /// is dropped before it answers, the record says so, at that instant.
    /// The future owns all it needs (`Send + 'static`): it can be spawned.
    pub fn get(&self, url: &str) -> FakeRequest {
        FakeRequest { inner: self.inner.clone(), url: url.to_string(), index: None, answer: None }
    }

    /// Every request so far, in the order they started.
    pub fn requests(&self) -> Vec<Request> {
        self.inner.log().clone()
    }

    /// The requests of one URL, in the order they started.
    pub fn requests_of(&self, url: &str) -> Vec<Request> {
        self.requests().into_iter().filter(|r| r.url == url).collect()
    }

    /// URLs requested again when they should not have been: while an
    /// earlier request of theirs was in flight, or after it had answered
    /// anything but a transient error (a page, a 404) or had been dropped.
    /// A retry after a transient error is not a duplicate.
    pub fn duplicates(&self) -> Vec<(String, Vec<Request>)> {
        let mut by_url: BTreeMap<String, Vec<Request>> = BTreeMap::new();
        for r in self.requests() {
            by_url.entry(r.url.clone()).or_default().push(r);
        }
        by_url
            .into_iter()
            .filter(|(_, rs)| {
                rs.windows(2).any(|w| match w[0].ended {
                    Some((end, Answer::Transient)) => w[1].start < end,
                    _ => true,
                })
            })
            .collect()
    }

    /// The most requests in flight at once, over all hosts, and the first
    /// instant it happened.
    pub fn peak(&self) -> (usize, Duration) {
        peak_of(&self.requests())
    }

    /// The most requests in flight at once to each host, and the first
    /// instant it happened.
    pub fn peak_per_host(&self) -> BTreeMap<String, (usize, Duration)> {
        self.by_host().into_iter().map(|(host, rs)| (host, peak_of(&rs))).collect()
    }

    fn by_host(&self) -> BTreeMap<String, Vec<Request>> {
        let mut hosts: BTreeMap<String, Vec<Request>> = BTreeMap::new();
        for r in self.requests() {
            hosts.entry(r.host.clone()).or_default().push(r);
        }
        hosts
    }

    /// Every request on the virtual clock, one block per host, with a row
    /// under each that counts the host's requests in flight. A request
    /// that answered an error ends in `!`, one that was dropped in `✕`, one
    /// still in flight runs off the chart in `…`.
    pub fn chart(&self) -> String {
        let hosts = self.by_host();
        if hosts.is_empty() {
            return "(the web saw no request at all)\n".to_string();
        }
        let bars: Vec<(String, Vec<Bar>)> = hosts
            .iter()
            .map(|(host, rs)| (format!("host {host}"), rs.iter().map(path_bar).collect()))
            .collect();
        let blocks: Vec<(&str, &[Bar])> = bars.iter().map(|(h, b)| (h.as_str(), b.as_slice())).collect();
        let mut out = gantt::render_with_load(&blocks, CHART_WIDTH);
        out.push_str(LEGEND);
        out
    }

    /// Fails, naming a **duplicate fetch**, if a URL was requested again
    /// other than to retry a transient error.
    pub fn assert_fetched_at_most_once(&self, what: &str, advice: &str) {
        let dups = self.duplicates();
        let Some((url, rs)) = dups.first() else { return };
        let starts: Vec<String> = rs.iter().map(|r| fmt_duration(r.start)).collect();
        let why = match rs.windows(2).find(|w| w[0].ended.is_none_or(|(end, _)| w[1].start < end)) {
            Some(w) => format!(
                "request {} began at {} while request {} was still in flight",
                w[1].attempt,
                fmt_duration(w[1].start),
                w[0].attempt
            ),
            None => "a request began after an earlier one had answered for good (a page, a 404) or had been \
                     dropped: only a transient error is tried again"
                .to_string(),
        };
        let more =
            if dups.len() > 1 { format!(" (and {} more URLs)", dups.len() - 1) } else { String::new() };
        fail(format!(
            "{what}: a duplicate fetch. {url} was requested {} times, starting at {}{more}: {why}.\n\
             every URL must be fetched at most once.\n{advice}\n\n{}",
            rs.len(),
            starts.join(", "),
            self.chart()
        ))
    }

    /// Fails unless the most requests in flight at once were exactly
    /// `global` over all hosts and exactly `per_host` on the busiest host:
    /// **the limit exceeded**, or a limit never reached (the work was
    /// held back more than it should be).
    pub fn assert_peaks(&self, global: usize, per_host: usize, what: &str, advice: &str) {
        let (peak, at) = self.peak();
        let hosts = self.peak_per_host();
        let busiest = hosts.iter().max_by_key(|(_, (n, _))| *n).map(|(h, &(n, t))| (h.clone(), n, t));
        let problem = if peak > global {
            format!(
                "the limit exceeded: {peak} requests were in flight at once at {} (over all hosts); \
                 max_in_flight is {global}.",
                fmt_duration(at)
            )
        } else if let Some((host, n, t)) = busiest.clone().filter(|(_, n, _)| *n > per_host) {
            format!(
                "the limit exceeded: {n} requests to host {host} were in flight at once at {}; per_host is {per_host}.",
                fmt_duration(t)
            )
        } else if peak < global {
            format!(
                "never more than {peak} requests were in flight at once (over all hosts); with this much work \
                 waiting, max_in_flight = {global} should be reached: a request waits only while a limit is full."
            )
        } else if busiest.as_ref().is_none_or(|(_, n, _)| *n < per_host) {
            let n = busiest.map_or(0, |(_, n, _)| n);
            format!(
                "no host ever had more than {n} requests in flight at once; with this much work waiting for one \
                 host, per_host = {per_host} should be reached."
            )
        } else {
            return;
        };
        fail(format!("{what}: {problem}\n{advice}\n\n{}", self.chart()))
    }

    /// Fails unless the web saw exactly the `expected` requests (each URL's
    /// attempts, when each started and how and when it ended). The message
    /// names what broke: **a timeout at the wrong instant** (an expected
    /// drop that came at another time), **a retry schedule** (a later
    /// attempt at the wrong instant, or one too many or too few), or a
    /// request that should not have been made at all.
    pub fn assert_requests(&self, expected: &[Expect], what: &str, advice: &str) {
        let yours = self.requests();
        let Some(problem) = first_mismatch(&yours, expected) else { return };
        let expected_bars: Vec<Bar> = expected.iter().map(Expect::bar).collect();
        let mut yours_sorted = yours.clone();
        yours_sorted.sort_by_key(|r| expected.iter().position(|e| e.url == r.url && e.attempt == r.attempt));
        let your_bars: Vec<Bar> = yours_sorted.iter().map(url_bar).collect();
        fail(format!(
            "{what}: {problem}\n{advice}\n\nthe requests, expected and yours:\n{}{LEGEND}\nyours, host by host:\n{}",
            gantt::render(&[("expected", &expected_bars), ("yours", &your_bars)], CHART_WIDTH),
            self.chart()
        ))
    }

    /// Fails, naming **the deadline**, if a request was still in flight
    /// after `at_ms` (it should have been dropped then) or started after it.
    pub fn assert_quiet_after(&self, at_ms: u64, what: &str, advice: &str) {
        let at = ms(at_ms);
        let requests = self.requests();
        let late = requests.iter().find(|r| r.start > at || r.ended.is_none_or(|(end, _)| end > at));
        if let Some(r) = late {
            fail(format!(
                "{what}: the deadline at {} was not kept. {}; after the deadline nothing is in flight and \
                 nothing starts.\n{advice}\n\n{}",
                fmt_duration(at),
                r.describe(),
                self.chart()
            ));
        }
    }
}

/// The marks on the charts, explained.
const LEGEND: &str =
    "  (! an error answered: 503 or 404 · ✕ dropped: timed out or cut short · … still in flight)\n";

/// One request as a test expects it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expect {
    url: String,
    attempt: usize,
    start: Duration,
    end: Duration,
    answer: Answer,
}

/// The `attempt`-th request of `url` starts at `start_ms`, and ends at
/// `end_ms` with `answer` (`Answer::Dropped` for a request timed out or cut
/// short). List a URL's attempts in order.
pub fn request(url: &str, attempt: usize, start_ms: u64, end_ms: u64, answer: Answer) -> Expect {
    Expect { url: url.into(), attempt, start: ms(start_ms), end: ms(end_ms), answer }
}

impl Expect {
    fn bar(&self) -> Bar {
        Bar {
            label: label_of(&self.url, self.attempt, false),
            start: Some(self.start),
            end: Some(end_of(self.end, self.answer)),
        }
    }

    fn describe(&self) -> String {
        let end = match self.answer {
            Answer::Dropped => format!("dropped at {}", fmt_duration(self.end)),
            answer => format!("answered {answer} at {}", fmt_duration(self.end)),
        };
        format!("{} (attempt {}) should start at {}, {end}", self.url, self.attempt, fmt_duration(self.start))
    }
}

fn first_mismatch(yours: &[Request], expected: &[Expect]) -> Option<String> {
    for e in expected {
        let got = yours.iter().find(|r| r.url == e.url && r.attempt == e.attempt);
        let Some(r) = got else {
            let kind = if e.attempt > 1 { "the retry schedule: " } else { "" };
            return Some(format!(
                "{kind}{} was never made; {}.",
                attempt_name(&e.url, e.attempt),
                e.describe()
            ));
        };
        let want_end = Some((e.end, e.answer));
        if r.start == e.start && r.ended == want_end {
            continue;
        }
        let kind = if r.start != e.start && e.attempt > 1 {
            "the retry schedule"
        } else if e.answer == Answer::Dropped || matches!(r.ended, Some((_, Answer::Dropped))) {
            "a timeout at the wrong instant"
        } else {
            "a request off schedule"
        };
        return Some(format!("{kind}: {}; {}.", r.describe(), e.describe()));
    }
    let extra = yours.iter().find(|r| !expected.iter().any(|e| e.url == r.url && e.attempt == r.attempt))?;
    let kind = if extra.attempt > 1 {
        if yours.iter().any(|r| {
            r.url == extra.url
                && r.attempt == extra.attempt - 1
                && r.ended.is_some_and(|(_, a)| a == Answer::Transient)
        }) {
            "the retry schedule: one attempt too many"
        } else {
            "a request that should not have been tried again"
        }
    } else {
        "a request that should not have been made"
    };
    Some(format!("{kind}: {}.", extra.describe()))
}

fn attempt_name(url: &str, attempt: usize) -> String {
    if attempt == 1 { format!("the request of {url}") } else { format!("attempt {attempt} of {url}") }
}

fn end_of(at: Duration, answer: Answer) -> End {
    match answer {
        Answer::Page => End::Completed(at),
        Answer::Transient | Answer::NotFound => End::Panicked(at),
        Answer::Dropped => End::Cancelled(at),
    }
}

fn label_of(url: &str, attempt: usize, path_only: bool) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let base = if path_only { rest.find('/').map_or("/", |i| &rest[i..]) } else { rest };
    if attempt > 1 { format!("{base}#{attempt}") } else { base.to_string() }
}

fn bar_with(r: &Request, label: String) -> Bar {
    Bar { label, start: Some(r.start), end: r.ended.map(|(t, a)| end_of(t, a)) }
}

fn path_bar(r: &Request) -> Bar {
    bar_with(r, label_of(&r.url, r.attempt, true))
}

fn url_bar(r: &Request) -> Bar {
    bar_with(r, label_of(&r.url, r.attempt, false))
}

fn peak_of(requests: &[Request]) -> (usize, Duration) {
    let mut best = (0, Duration::ZERO);
    for r in requests {
        let n = requests.iter().filter(|o| o.in_flight_at(r.start)).count();
        if n > best.0 {
            best = (n, r.start);
        }
    }
    best
}

/// One request of a [`FakeWeb`], as a future: see [`FakeWeb::get`].
pub struct FakeRequest {
    inner: Arc<Inner>,
    url: String,
    /// Its place in the record, from its first poll on.
    index: Option<usize>,
    answer: Option<Pin<Box<dyn Future<Output = Reply> + Send>>>,
}

impl fmt::Debug for FakeRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeRequest").field("url", &self.url).field("index", &self.index).finish()
    }
}

impl FakeRequest {
    /// Records the start and decides the answer (on the first poll).
    fn begin(&mut self) {
        let inner = &self.inner;
        let site = inner.sites.get(&self.url).cloned();
        let mut log = inner.log();
        let attempt = log.iter().filter(|r| r.url == self.url).count() + 1;
        log.push(Request {
            url: self.url.clone(),
            host: host_of(&self.url).to_string(),
            attempt,
            start: inner.now(),
            ended: None,
        });
        self.index = Some(log.len() - 1);
        drop(log);
        let failing = inner.failing.get(&self.url).copied().unwrap_or(0);
        let answer: Pin<Box<dyn Future<Output = Reply> + Send>> = match site {
            None => Box::pin(async { Reply::NotFound }),
            Some(Site { serves: Serves::Nothing, .. }) => Box::pin(std::future::pending()),
            Some(Site { latency, serves }) => Box::pin(async move {
                tokio::time::sleep(latency).await;
                match serves {
                    _ if attempt <= failing => Reply::Transient("503 Service Unavailable".into()),
                    Serves::Page(links) => Reply::Page { body: links.join("\n") },
                    Serves::NotFound | Serves::Nothing => Reply::NotFound,
                }
            }),
        };
        self.answer = Some(answer);
    }

    fn end(&self, answer: Answer) {
        if let Some(i) = self.index {
            let now = self.inner.now();
            let mut log = self.inner.log();
            if log[i].ended.is_none() {
                log[i].ended = Some((now, answer));
            }
        }
    }
}

impl Future for FakeRequest {
    type Output = Reply;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Reply> {
        let this = &mut *self;
        if this.answer.is_none() {
            this.begin();
        }
        let answer = this.answer.as_mut().expect("begun above");
        match answer.as_mut().poll(cx) {
            Poll::Ready(reply) => {
                this.end(match &reply {
                    Reply::Page { .. } => Answer::Page,
                    Reply::Transient(_) => Answer::Transient,
                    Reply::NotFound => Answer::NotFound,
                });
                Poll::Ready(reply)
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Drop for FakeRequest {
    fn drop(&mut self) {
        self.end(Answer::Dropped);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::failure::tests::failure_of_run;

    fn web() -> FakeWeb {
        FakeWeb::builder()
            .page("http://s/", 100, &["http://a/1", "http://b/1"])
            .page("http://a/1", 200, &[])
            .page("http://b/1", 50, &["http://s/"])
            .failing_first("http://b/1", 2)
            .not_found("http://a/old", 30)
            .never_answers("http://c/hung")
            .build()
    }

    #[test]
    fn serves_pages_errors_and_silence_on_the_virtual_clock() {
        crate::run(async {
            let web = web();
            let reply = web.get("http://s/").await;
            assert_eq!(crate::elapsed(), ms(100));
            let Reply::Page { body } = reply else { panic!("{reply:?}") };
            assert_eq!(FakeWeb::links_in(&body), ["http://a/1", "http://b/1"]);
            assert_eq!(web.get("http://b/1").await, Reply::Transient("503 Service Unavailable".into()));
            assert_eq!(web.get("http://b/1").await, Reply::Transient("503 Service Unavailable".into()));
            assert!(matches!(web.get("http://b/1").await, Reply::Page { .. }));
            assert_eq!(web.get("http://a/old").await, Reply::NotFound);
            assert_eq!(web.get("http://nowhere/").await, Reply::NotFound);
            assert_eq!(crate::elapsed(), ms(100 + 150 + 30));
            let hung = tokio::time::timeout(ms(500), web.get("http://c/hung")).await;
            assert!(hung.is_err());
            let rs = web.requests();
            assert_eq!(rs.len(), 7);
            assert_eq!(rs[3].attempt, 3);
            assert_eq!(rs[3].host, "b");
            assert_eq!(rs[6].ended, Some((ms(780), Answer::Dropped)));
            assert!(web.duplicates().is_empty(), "retries after a 503 are not duplicates");
        });
    }

    #[test]
    fn a_request_starts_at_its_first_poll() {
        crate::run(async {
            let web = web();
            let later = web.get("http://a/1");
            tokio::time::sleep(ms(300)).await;
            later.await;
            assert_eq!(web.requests()[0].start, ms(300));
            assert_eq!(web.requests()[0].ended, Some((ms(500), Answer::Page)));
            drop(web.get("http://a/1"));
            assert_eq!(web.requests().len(), 1, "a request never polled was never made");
        });
    }

    #[test]
    fn finds_duplicates_and_peaks_per_host() {
        crate::run(async {
            let web = web();
            let (one, two) = (web.get("http://a/1"), web.get("http://a/1"));
            let three = web.get("http://s/");
            tokio::join!(one, two, three);
            assert_eq!(web.duplicates().len(), 1);
            assert_eq!(web.peak(), (3, ms(0)));
            assert_eq!(web.peak_per_host()["a"], (2, ms(0)));
            let chart = web.chart();
            assert!(chart.contains("host a") && chart.contains("host s"), "{chart}");
            assert!(chart.contains("in flight 22"), "{chart}");
        });
    }

    #[test]
    fn its_failures_name_the_property_and_draw_the_hosts() {
        let message = failure_of_run(async {
            let web = web();
            tokio::join!(web.get("http://a/1"), web.get("http://a/1"));
            web.assert_fetched_at_most_once("crawl(s)", "look at crawl");
        });
        assert!(message.contains("a duplicate fetch. http://a/1 was requested 2 times"), "{message}");
        assert!(message.contains("still in flight") && message.contains("host a"), "{message}");

        let message = failure_of_run(async {
            let web = web();
            tokio::join!(web.get("http://a/1"), web.get("http://s/"), web.get("http://b/1"));
            web.assert_peaks(2, 1, "crawl(s)", "look at crawl");
        });
        assert!(
            message.contains("the limit exceeded: 3 requests were in flight at once at 0.000 s"),
            "{message}"
        );

        let message = failure_of_run(async {
            let web = web();
            let _ = tokio::time::timeout(ms(400), web.get("http://c/hung")).await;
            web.assert_requests(&[request("http://c/hung", 1, 0, 500, Answer::Dropped)], "fetch(c)", "look");
        });
        assert!(message.contains("a timeout at the wrong instant"), "{message}");
        assert!(message.contains("c/hung"), "{message}");

        let message = failure_of_run(async {
            let web = web();
            web.get("http://b/1").await;
            web.get("http://b/1").await;
            web.assert_requests(
                &[
                    request("http://b/1", 1, 0, 50, Answer::Transient),
                    request("http://b/1", 2, 150, 200, Answer::Transient),
                ],
                "fetch(b)",
                "look",
            );
        });
        assert!(
            message.contains("the retry schedule: http://b/1 (attempt 2) started at 0.050 s"),
            "{message}"
        );

        let message = failure_of_run(async {
            let web = web();
            let hung = web.get("http://c/hung");
            let _ = tokio::time::timeout(ms(700), hung).await;
            web.assert_quiet_after(600, "crawl", "look");
        });
        assert!(message.contains("the deadline at 0.600 s was not kept"), "{message}");
    }
}
