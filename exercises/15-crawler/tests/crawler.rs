//! Tests for 15-crawler. The same file tests the stub (in exercises/) and
//! the solution (in solutions/): both build a library called `crawler`.
//!
//! The web is the checker's `FakeWeb`: every URL has a latency on the
//! virtual clock, its links, transient failures, a 404 or no answer at all,
//! and every request is recorded (URL, host, attempt, start, how and when it
//! ended). So "fetched once", "never more than 2 to one host", "dropped at
//! exactly 500 ms" are read from what the web itself saw, with `==`, and a
//! failure draws the requests host by host. Test names start with the task
//! they check.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::thread::ThreadId;
use std::time::Duration;

use checker::{
    Answer, FakeWeb, Limits, PATIENCE, Reply, assert_live_tasks, assert_returned_at, burn_cpu, check_eq,
    fail, ms, request, within,
};
use crawler::{Backoff, Config, Fetch, FetchError, PageError, Report, Summary, crawl, fetch_page};

// ---- the fake web, behind the exercise's Fetch --------------------------

/// The checker's fake web as a [`Fetch`]: a page is `Ok(body)`, a 503 a
/// transient error, a 404 a permanent one.
struct Web(FakeWeb);

impl Fetch for Web {
    fn fetch(&self, url: &str) -> impl Future<Output = Result<String, FetchError>> + Send {
        let request = self.0.get(url);
        async move {
            match request.await {
                Reply::Page { body } => Ok(body),
                Reply::Transient(why) => Err(FetchError::Transient(why)),
                Reply::NotFound => Err(FetchError::Permanent(NOT_FOUND.into())),
            }
        }
    }
}

const NOT_FOUND: &str = "404 Not Found";
const UNAVAILABLE: &str = "503 Service Unavailable";

/// The cheap parse step: a fake page's body is its links, one per line.
fn links(body: &str) -> Vec<String> {
    FakeWeb::links_in(body)
}

/// 06's schedule: 100, 200, 400, 800, then 1000 ms; 4 attempts in all.
fn backoff() -> Backoff {
    Backoff { initial: ms(100), factor: 2, max_delay: ms(1000), max_attempts: 4 }
}

/// Generous limits, a 500 ms request timeout, a 20 s deadline: each test
/// tightens what it checks.
fn config() -> Config {
    Config {
        max_depth: 3,
        max_in_flight: 16,
        per_host: 16,
        request_timeout: ms(500),
        retry: backoff(),
        deadline: ms(20_000),
    }
}

/// Runs `crawl` on `web`, and fails plainly if it hangs.
async fn crawl_on(web: &FakeWeb, seed: &str, config: &Config) -> Report {
    within(
        PATIENCE,
        &format!("crawl({seed})"),
        "every page here answers, fails or times out within a second or so: does the crawl wait for a task \
         that never ends, or forget to stop when no work is left (no task running and none queued)?",
        crawl(Web(web.clone()), links, seed, config),
    )
    .await
}

/// A report in which every URL listed was fetched.
fn fetched(urls: &[&str]) -> Report {
    Report { pages: urls.iter().map(|u| (u.to_string(), Ok(()))).collect(), cut_short: false }
}

fn transient() -> PageError {
    PageError::Failed(FetchError::Transient(UNAVAILABLE.into()))
}

fn not_found() -> PageError {
    PageError::Failed(FetchError::Permanent(NOT_FOUND.into()))
}

/// Fails, with the requests drawn host by host, unless the crawl returned
/// at exactly `end_ms`. `late` says what a late return usually means.
fn assert_crawl_returned_at(web: &FakeWeb, returned: Duration, end_ms: u64, what: &str, late: &str) {
    assert_crawl_returned_between(web, returned, end_ms, what, late, EARLY)
}

const EARLY: &str = "it returned before every URL's fate was known: wait for every task you started.";

/// [`assert_crawl_returned_at`] with advice for an early return too.
fn assert_crawl_returned_between(
    web: &FakeWeb,
    returned: Duration,
    end_ms: u64,
    what: &str,
    late: &str,
    early: &str,
) {
    if returned != ms(end_ms) {
        let advice = if returned > ms(end_ms) { late } else { early };
        fail(format!(
            "{what}: it returned at {} of virtual time; it should return at exactly {}.\n{advice}\n\n{}",
            checker::fmt_duration(returned),
            checker::fmt_duration(ms(end_ms)),
            web.chart()
        ));
    }
}

// ---- where to look ------------------------------------------------------

const LOOK_CRAWL: &str = "look at `crawl` in src/lib.rs.";

const ONCE: &str = "decide whether a URL is new the moment its link is found, in one place (a HashSet that only \
     the crawl loop touches, or one behind a lock that is checked and updated in the same step): two pages \
     that end at the same instant both find the link before either fetch has begun. look at `crawl` in \
     src/lib.rs.";

const LIMITS: &str = "take a slot of the URL's host, then a global slot, before the request, and give both back when \
     its fate is known (a Semaphore per host, one for all). waiting for a global slot while holding \
     nothing, or taking the global slot first, keeps work waiting that could run. look at `crawl` in \
     src/lib.rs.";

const RETRY: &str = "after a transient error wait config.retry.delay(n) (n = 1 after the first failure), then try \
     again, for max_attempts attempts in all and no wait after the last; a permanent error, or a timeout, \
     is final at once. look at `fetch_page` in src/lib.rs.";

const TIMEOUT: &str = "put each attempt under tokio::time::timeout(config.request_timeout, ...): it drops the request at \
     the limit, and keeps an answer that comes exactly at it (it polls the request before its timer). look at \
     `fetch_page` in src/lib.rs.";

// ---- task 1: delay ------------------------------------------------------

#[test]
fn delay_follows_06s_schedule_with_its_cap() {
    checker::run(async {
        let delays: Vec<u64> = (0..=6).map(|n| backoff().delay(n).as_millis() as u64).collect();
        check_eq(
            delays,
            vec![0, 100, 200, 400, 800, 1000, 1000],
            "delay(0..=6) for 100 ms × 2 capped at 1 s (in ms): initial × factor^(n − 1), capped at max_delay, \
             and delay(0) is zero (look at `Backoff::delay` in src/lib.rs)",
        );
        let big_first = Backoff { initial: ms(5000), ..backoff() };
        check_eq(
            big_first.delay(1),
            ms(1000),
            "delay(1) with initial 5 s and max_delay 1 s: the cap holds from the first wait on",
        );
        let long = Backoff { initial: ms(1), factor: 3, max_delay: Duration::MAX, max_attempts: 40 };
        check_eq(
            long.delay(30),
            ms(3u64.pow(29)),
            "delay(30) for 1 ms × 3, no cap: exactly 3^29 ms (multiply Durations by integers: f64 drifts)",
        );
    });
}

#[test]
fn delay_never_overflows_or_panics() {
    checker::run(async {
        let huge = |b: Backoff, n: u32| checker::catch_panic(async move { b.delay(n) });
        let cases = [
            (backoff(), u32::MAX, ms(1000), "delay(u32::MAX) for 100 ms × 2 capped at 1 s"),
            (
                Backoff { initial: Duration::MAX, factor: 2, max_delay: Duration::MAX, max_attempts: 4 },
                3,
                Duration::MAX,
                "delay(3) with initial and max_delay at Duration::MAX",
            ),
            (
                Backoff { initial: ms(100), factor: u32::MAX, max_delay: ms(1000), max_attempts: 4 },
                5,
                ms(1000),
                "delay(5) with a factor of u32::MAX, capped at 1 s",
            ),
        ];
        for (policy, n, want, what) in cases {
            match huge(policy, n).await {
                Ok(got) => check_eq(got, want, what),
                Err(text) => fail(format!(
                    "{what} panicked with {text:?}; it should be {want:?}.\n\
                     stop multiplying once the cap is reached (Duration::checked_mul gives None on overflow): \
                     look at `Backoff::delay` in src/lib.rs."
                )),
            }
        }
    });
}

// ---- task 2: fetch_page -------------------------------------------------

#[test]
fn fetch_page_retries_transient_errors_on_06s_schedule() {
    checker::run(async {
        let url = "http://a/flaky";
        let web = FakeWeb::builder().page(url, 50, &["http://a/x"]).failing_first(url, 3).build();
        let page = fetch_page(&Web(web.clone()), url, &config()).await;
        web.assert_requests(
            &[
                request(url, 1, 0, 50, Answer::Transient),
                request(url, 2, 150, 200, Answer::Transient),
                request(url, 3, 400, 450, Answer::Transient),
                request(url, 4, 850, 900, Answer::Page),
            ],
            "fetch_page(a page of 50 ms that fails 3 times, then serves)",
            RETRY,
        );
        assert_returned_at(checker::elapsed(), 900, "fetch_page(flaky)", RETRY, RETRY);
        check_eq(page, Ok("http://a/x".to_string()), "fetch_page(flaky) returns the page's body");
    });
}

#[test]
fn fetch_page_gives_up_after_max_attempts_with_the_last_error() {
    checker::run(async {
        let url = "http://a/down";
        let web = FakeWeb::builder().page(url, 50, &[]).failing_first(url, 100).build();
        let page = fetch_page(&Web(web.clone()), url, &config()).await;
        web.assert_requests(
            &[
                request(url, 1, 0, 50, Answer::Transient),
                request(url, 2, 150, 200, Answer::Transient),
                request(url, 3, 400, 450, Answer::Transient),
                request(url, 4, 850, 900, Answer::Transient),
            ],
            "fetch_page(a page of 50 ms that always fails), max_attempts = 4",
            RETRY,
        );
        assert_returned_at(
            checker::elapsed(),
            900,
            "fetch_page(always failing), max_attempts = 4",
            "after the 4th failure, give up at once: no wait after the last attempt.",
            "",
        );
        check_eq(page, Err(transient()), "fetch_page(always failing) returns the last transient error");

        let web = FakeWeb::builder().page(url, 50, &[]).failing_first(url, 100).build();
        let once = Config { retry: Backoff { max_attempts: 1, ..backoff() }, ..config() };
        let page = fetch_page(&Web(web.clone()), url, &once).await;
        web.assert_requests(
            &[request(url, 1, 900, 950, Answer::Transient)],
            "fetch_page(always failing), max_attempts = 1: one attempt, no retry",
            RETRY,
        );
        check_eq(page, Err(transient()), "fetch_page(always failing), max_attempts = 1");
    });
}

#[test]
fn fetch_page_does_not_retry_a_permanent_error() {
    checker::run(async {
        let url = "http://a/gone";
        let web = FakeWeb::builder().not_found(url, 50).build();
        let page = fetch_page(&Web(web.clone()), url, &config()).await;
        assert_returned_at(checker::elapsed(), 50, "fetch_page(a 404 after 50 ms)", RETRY, "");
        tokio::time::sleep(ms(5000)).await;
        web.assert_requests(
            &[request(url, 1, 0, 50, Answer::NotFound)],
            "fetch_page(a 404 after 50 ms): a permanent error is final",
            RETRY,
        );
        check_eq(page, Err(not_found()), "fetch_page(404) returns the permanent error");
    });
}

#[test]
fn fetch_page_times_out_at_exactly_request_timeout_and_does_not_retry() {
    checker::run(async {
        let (hung, slow) = ("http://a/hung", "http://b/slow");
        let web = FakeWeb::builder().never_answers(hung).page(slow, 800, &[]).build();
        let page = fetch_page(&Web(web.clone()), hung, &config()).await;
        assert_returned_at(
            checker::elapsed(),
            500,
            "fetch_page(a page that never answers), 500 ms timeout",
            TIMEOUT,
            TIMEOUT,
        );
        check_eq(page, Err(PageError::TimedOut), "fetch_page(never answers) is Err(TimedOut)");
        let page = fetch_page(&Web(web.clone()), slow, &config()).await;
        check_eq(page, Err(PageError::TimedOut), "fetch_page(a page of 800 ms), 500 ms timeout");
        tokio::time::sleep(ms(5000)).await;
        web.assert_requests(
            &[request(hung, 1, 0, 500, Answer::Dropped), request(slow, 1, 500, 1000, Answer::Dropped)],
            "fetch_page under a 500 ms request_timeout: a request is dropped at the limit, and not tried again",
            TIMEOUT,
        );
    });
}

#[test]
fn fetch_page_keeps_an_answer_that_comes_exactly_at_the_timeout() {
    checker::run(async {
        // 32 rounds: racing the request against a sleep in a `select!`
        // without `biased;` cuts it in about half of them.
        for round in 0..32u64 {
            let url = "http://a/just-in-time";
            let web = FakeWeb::builder().page(url, 500, &["http://a/next"]).build();
            let page = fetch_page(&Web(web.clone()), url, &config()).await;
            if page != Ok("http://a/next".to_string()) {
                fail(format!(
                    "a timeout at the wrong instant: in round {} of 32, a page that answers after exactly 500 ms, \
                     the request_timeout, came back as {page:?}; an answer that comes exactly at the limit is \
                     in time, every time.\n{TIMEOUT} a select! that races the request against a sleep must be \
                     `biased;`, with the request first.",
                    round + 1
                ));
            }
        }
    });
}

// ---- task 4: summary ----------------------------------------------------

#[test]
fn summary_counts_fetched_timed_out_and_failed() {
    checker::run(async {
        let mut report = fetched(&["http://a/1", "http://a/2", "http://b/1"]);
        report.pages.insert("http://c/hung".into(), Err(PageError::TimedOut));
        report.pages.insert("http://c/503".into(), Err(transient()));
        report.pages.insert("http://c/404".into(), Err(not_found()));
        check_eq(
            report.summary(),
            Summary { fetched: 3, timed_out: 1, failed: 2 },
            "summary of 3 pages fetched, 1 timed out, 1 failed with a 503 and 1 with a 404 (look at \
             `Report::summary` in src/lib.rs)",
        );
        check_eq(Report::default().summary(), Summary::default(), "summary of an empty report");
    });
}

// ---- task 3: crawl ------------------------------------------------------

#[test]
fn crawl_follows_links_down_to_max_depth_and_no_further() {
    checker::run(async {
        let chain = || {
            FakeWeb::builder()
                .page("http://s/", 100, &["http://a/1"])
                .page("http://a/1", 100, &["http://b/1", "http://s/"])
                .page("http://b/1", 100, &["http://c/1", "http://b/1"])
                .page("http://c/1", 100, &[])
                .build()
        };
        let web = chain();
        let report = crawl_on(&web, "http://s/", &Config { max_depth: 2, ..config() }).await;
        web.assert_fetched_at_most_once("crawl(s → a/1 → b/1 → c/1, with links back), max_depth 2", ONCE);
        web.assert_requests(
            &[
                request("http://s/", 1, 0, 100, Answer::Page),
                request("http://a/1", 1, 100, 200, Answer::Page),
                request("http://b/1", 1, 200, 300, Answer::Page),
            ],
            "crawl(s → a/1 → b/1 → c/1), max_depth 2: the seed is depth 0, and the links of a page at depth 2 \
             are not followed",
            LOOK_CRAWL,
        );
        assert_crawl_returned_at(
            &web,
            checker::elapsed(),
            300,
            "crawl(s → a/1 → b/1 → c/1), max_depth 2",
            "it should return the instant the last page is done.",
        );
        check_eq(
            report,
            fetched(&["http://s/", "http://a/1", "http://b/1"]),
            "the report of crawl(chain), max_depth 2",
        );

        let web = chain();
        let report = crawl_on(&web, "http://s/", &Config { max_depth: 0, ..config() }).await;
        web.assert_requests(
            &[request("http://s/", 1, 300, 400, Answer::Page)],
            "crawl(chain), max_depth 0: only the seed",
            LOOK_CRAWL,
        );
        check_eq(report, fetched(&["http://s/"]), "the report of crawl(chain), max_depth 0");
    });
}

#[test]
fn crawl_fetches_a_url_that_two_pages_link_at_one_instant_once() {
    checker::run(async {
        let shared: Vec<String> = (1..=8).map(|i| format!("http://x/{i}")).collect();
        let mut both: Vec<&str> = shared.iter().map(String::as_str).collect();
        both.push("http://s/");
        let mut builder = FakeWeb::builder()
            .page("http://s/", 100, &["http://a/1", "http://b/1"])
            .page("http://a/1", 100, &both)
            .page("http://b/1", 100, &both);
        for url in &shared {
            builder = builder.page(url, 100, &["http://a/1"]);
        }
        let web = builder.build();
        let report = crawl_on(&web, "http://s/", &config()).await;
        web.assert_fetched_at_most_once(
            "crawl(s → a/1, b/1; both end at 200 ms and link x/1 … x/8 and s)",
            ONCE,
        );
        let mut all = vec!["http://s/", "http://a/1", "http://b/1"];
        all.extend(shared.iter().map(String::as_str));
        let mut expected = vec![
            request("http://s/", 1, 0, 100, Answer::Page),
            request("http://a/1", 1, 100, 200, Answer::Page),
            request("http://b/1", 1, 100, 200, Answer::Page),
        ];
        expected.extend(shared.iter().map(|u| request(u, 1, 200, 300, Answer::Page)));
        web.assert_requests(&expected, "crawl(s → a/1, b/1 → x/1 … x/8)", LOOK_CRAWL);
        assert_crawl_returned_at(
            &web,
            checker::elapsed(),
            300,
            "crawl(s → a/1, b/1 → x/1 … x/8)",
            "it should return the instant the last page is done.",
        );
        check_eq(report, fetched(&all), "the report of crawl(s → a/1, b/1 → x/1 … x/8)");
    });
}

/// A seed that links `pages` leaves of 100 ms each, in the order given.
fn fan_out(pages: &[String]) -> FakeWeb {
    let links: Vec<&str> = pages.iter().map(String::as_str).collect();
    let mut builder = FakeWeb::builder().page("http://s/", 100, &links);
    for url in pages {
        builder = builder.page(url, 100, &[]);
    }
    builder.build()
}

/// Crawls a fan-out under the limits and checks the peaks and the end.
async fn check_limits(pages: Vec<String>, max_in_flight: usize, per_host: usize, end_ms: u64, what: &str) {
    let web = fan_out(&pages);
    let limits = Config { max_in_flight, per_host, ..config() };
    let report = crawl_on(&web, "http://s/", &limits).await;
    let what = format!("{what}, max_in_flight {max_in_flight}, per_host {per_host}");
    web.assert_fetched_at_most_once(&what, ONCE);
    web.assert_peaks(max_in_flight, per_host, &what, LIMITS);
    assert_crawl_returned_at(
        &web,
        checker::elapsed(),
        end_ms,
        &what,
        "some request waited while both limits had room for it: a request starts the instant its host and \
         the whole crawl both have a free slot.",
    );
    let mut all = vec!["http://s/"];
    all.extend(pages.iter().map(String::as_str));
    check_eq(report, fetched(&all), &format!("the report of {what}"));
}

#[test]
fn crawl_keeps_max_in_flight_and_reaches_it() {
    checker::run(async {
        let pages = (1..=12).map(|i| format!("http://h{i}/")).collect();
        check_limits(pages, 4, 1, 400, "crawl(s → 12 pages of 100 ms on 12 hosts)").await;
    });
}

#[test]
fn crawl_keeps_per_host_and_reaches_it() {
    checker::run(async {
        let pages = ["a", "b"].iter().flat_map(|h| (1..=6).map(move |i| format!("http://{h}/{i}"))).collect();
        check_limits(pages, 4, 2, 400, "crawl(s → 6 pages of 100 ms on host a, 6 on host b)").await;
    });
}

#[test]
fn crawl_keeps_both_limits_at_once_and_reaches_both() {
    checker::run(async {
        // Host a's pages come first: a request that takes a global slot and
        // then waits for its host keeps host b waiting for nothing.
        let pages = ["a", "b"].iter().flat_map(|h| (1..=4).map(move |i| format!("http://{h}/{i}"))).collect();
        check_limits(pages, 3, 2, 400, "crawl(s → 4 pages of 100 ms on host a, then 4 on host b)").await;
    });
}

#[test]
fn crawl_keeps_a_hosts_slot_through_backoff_waits() {
    checker::run(async {
        let web = FakeWeb::builder()
            .page("http://s/", 100, &["http://a/flaky", "http://a/2"])
            .page("http://a/flaky", 50, &[])
            .failing_first("http://a/flaky", 1)
            .page("http://a/2", 100, &[])
            .build();
        let report = crawl_on(&web, "http://s/", &Config { per_host: 1, ..config() }).await;
        web.assert_fetched_at_most_once("crawl(s → a/flaky, a/2), per_host 1", ONCE);
        web.assert_peaks(1, 1, "crawl(s → a/flaky, a/2), per_host 1", LIMITS);
        assert_crawl_returned_between(
            &web,
            checker::elapsed(),
            400,
            "crawl(s → a/flaky (50 ms, one 503), a/2 (100 ms)), per_host 1",
            "some request waited while its host had a free slot.",
            "host a's one slot was given to another URL while a/flaky waited out its backoff: a URL keeps its \
             slots from its first attempt until its fate is known (a struggling host gets no new work while \
             it recovers). hold the permits across fetch_page, retries included.",
        );
        check_eq(report, fetched(&["http://s/", "http://a/flaky", "http://a/2"]), "the report");
    });
}

#[test]
fn crawl_times_out_a_page_that_never_answers_and_goes_on() {
    checker::run(async {
        let web = FakeWeb::builder()
            .page("http://s/", 100, &["http://h/hung", "http://a/1"])
            .never_answers("http://h/hung")
            .page("http://a/1", 100, &["http://a/2"])
            .page("http://a/2", 100, &[])
            .build();
        let report = crawl_on(&web, "http://s/", &config()).await;
        web.assert_requests(
            &[
                request("http://s/", 1, 0, 100, Answer::Page),
                request("http://h/hung", 1, 100, 600, Answer::Dropped),
                request("http://a/1", 1, 100, 200, Answer::Page),
                request("http://a/2", 1, 200, 300, Answer::Page),
            ],
            "crawl(s → h/hung (never answers), a/1 → a/2), request_timeout 500 ms",
            TIMEOUT,
        );
        assert_crawl_returned_at(
            &web,
            checker::elapsed(),
            600,
            "crawl(s → h/hung, a/1 → a/2)",
            "it should return the instant h/hung times out.",
        );
        let mut expected = fetched(&["http://s/", "http://a/1", "http://a/2"]);
        expected.pages.insert("http://h/hung".into(), Err(PageError::TimedOut));
        check_eq(report.clone(), expected, "the report of crawl(s → h/hung, a/1 → a/2)");
        check_eq(report.summary(), Summary { fetched: 3, timed_out: 1, failed: 0 }, "its summary");
    });
}

#[test]
fn crawl_retries_transient_errors_and_not_permanent_ones() {
    checker::run(async {
        let web = FakeWeb::builder()
            .page("http://s/", 100, &["http://t/1", "http://n/1", "http://e/1"])
            .page("http://t/1", 40, &[])
            .failing_first("http://t/1", 2)
            .not_found("http://n/1", 40)
            .page("http://e/1", 10, &[])
            .failing_first("http://e/1", 100)
            .build();
        let report = crawl_on(&web, "http://s/", &config()).await;
        web.assert_requests(
            &[
                request("http://s/", 1, 0, 100, Answer::Page),
                request("http://t/1", 1, 100, 140, Answer::Transient),
                request("http://t/1", 2, 240, 280, Answer::Transient),
                request("http://t/1", 3, 480, 520, Answer::Page),
                request("http://n/1", 1, 100, 140, Answer::NotFound),
                request("http://e/1", 1, 100, 110, Answer::Transient),
                request("http://e/1", 2, 210, 220, Answer::Transient),
                request("http://e/1", 3, 420, 430, Answer::Transient),
                request("http://e/1", 4, 830, 840, Answer::Transient),
            ],
            "crawl(s → t/1 (two 503s), n/1 (404), e/1 (always 503))",
            RETRY,
        );
        assert_crawl_returned_at(
            &web,
            checker::elapsed(),
            840,
            "crawl(s → t/1, n/1, e/1)",
            "it should return the instant e/1 gives up.",
        );
        let mut expected = fetched(&["http://s/", "http://t/1"]);
        expected.pages.insert("http://n/1".into(), Err(not_found()));
        expected.pages.insert("http://e/1".into(), Err(transient()));
        check_eq(report.clone(), expected, "the report of crawl(s → t/1, n/1, e/1)");
        check_eq(report.summary(), Summary { fetched: 2, timed_out: 0, failed: 2 }, "its summary");
    });
}

/// The given graph: every feature at once, with one exact schedule.
///
/// ```text
/// s/ 100 ──┬─ a/1 200 ── f/1 100        (a/1 and a/2 both link f/1, both end at 300)
///          ├─ a/2 200 ── f/1, s/
///          ├─ b/1 200 ─┬─ b/2 never answers
///          │           └─ d/1 100 ── e/1 (depth 3: not followed)
///          ├─ c/1 40, two 503s, then the page
///          └─ g/x 404 after 50
/// ```
fn the_graph() -> FakeWeb {
    FakeWeb::builder()
        .page("http://s/", 100, &["http://a/1", "http://a/2", "http://b/1", "http://c/1", "http://g/x"])
        .page("http://a/1", 200, &["http://f/1"])
        .page("http://a/2", 200, &["http://f/1", "http://s/"])
        .page("http://b/1", 200, &["http://b/2", "http://d/1"])
        .page("http://c/1", 40, &[])
        .failing_first("http://c/1", 2)
        .not_found("http://g/x", 50)
        .never_answers("http://b/2")
        .page("http://d/1", 100, &["http://e/1"])
        .page("http://e/1", 100, &[])
        .page("http://f/1", 100, &[])
        .build()
}

fn the_graph_config(deadline_ms: u64) -> Config {
    Config {
        max_depth: 2,
        max_in_flight: 5,
        per_host: 2,
        request_timeout: ms(500),
        retry: backoff(),
        deadline: ms(deadline_ms),
    }
}

const THE_GRAPH: &str = "crawl(the given graph: max_depth 2, max_in_flight 5, per_host 2, timeout 500 ms)";

#[test]
fn crawl_takes_exactly_800_ms_on_the_given_graph() {
    checker::run(async {
        let web = the_graph();
        let report = crawl_on(&web, "http://s/", &the_graph_config(10_000)).await;
        web.assert_fetched_at_most_once(THE_GRAPH, ONCE);
        web.assert_peaks(5, 2, THE_GRAPH, LIMITS);
        web.assert_requests(
            &[
                request("http://s/", 1, 0, 100, Answer::Page),
                request("http://a/1", 1, 100, 300, Answer::Page),
                request("http://a/2", 1, 100, 300, Answer::Page),
                request("http://b/1", 1, 100, 300, Answer::Page),
                request("http://c/1", 1, 100, 140, Answer::Transient),
                request("http://c/1", 2, 240, 280, Answer::Transient),
                request("http://c/1", 3, 480, 520, Answer::Page),
                request("http://g/x", 1, 100, 150, Answer::NotFound),
                request("http://b/2", 1, 300, 800, Answer::Dropped),
                request("http://d/1", 1, 300, 400, Answer::Page),
                request("http://f/1", 1, 300, 400, Answer::Page),
            ],
            THE_GRAPH,
            LOOK_CRAWL,
        );
        assert_crawl_returned_at(
            &web,
            checker::elapsed(),
            800,
            THE_GRAPH,
            "it should return the instant b/2 times out, the last fate to be known.",
        );
        let mut expected = fetched(&[
            "http://s/",
            "http://a/1",
            "http://a/2",
            "http://b/1",
            "http://c/1",
            "http://d/1",
            "http://f/1",
        ]);
        expected.pages.insert("http://b/2".into(), Err(PageError::TimedOut));
        expected.pages.insert("http://g/x".into(), Err(not_found()));
        check_eq(report.clone(), expected, &format!("the report of {THE_GRAPH}"));
        check_eq(report.summary(), Summary { fetched: 7, timed_out: 1, failed: 1 }, "its summary");
    });
}

#[test]
fn crawl_stops_at_the_deadline_and_says_it_was_cut_short() {
    checker::run_with(Limits::one_minute(), async {
        let web = the_graph();
        let what = format!("{THE_GRAPH}, deadline 450 ms");
        let report = crawl_on(&web, "http://s/", &the_graph_config(450)).await;
        let returned = checker::elapsed();
        // Anything left running would go on: c/1's third attempt at 480 ms.
        tokio::time::sleep(ms(2000)).await;
        web.assert_quiet_after(
            450,
            &what,
            "at the deadline, drop every request in flight and every URL waiting (a retry's backoff wait \
             too), and return: JoinSet::shutdown, or dropping the JoinSet, aborts its tasks; a bare \
             tokio::spawn leaves them running. look at `crawl` in src/lib.rs.",
        );
        web.assert_requests(
            &[
                request("http://s/", 1, 0, 100, Answer::Page),
                request("http://a/1", 1, 100, 300, Answer::Page),
                request("http://a/2", 1, 100, 300, Answer::Page),
                request("http://b/1", 1, 100, 300, Answer::Page),
                request("http://c/1", 1, 100, 140, Answer::Transient),
                request("http://c/1", 2, 240, 280, Answer::Transient),
                request("http://g/x", 1, 100, 150, Answer::NotFound),
                request("http://b/2", 1, 300, 450, Answer::Dropped),
                request("http://d/1", 1, 300, 400, Answer::Page),
                request("http://f/1", 1, 300, 400, Answer::Page),
            ],
            &what,
            LOOK_CRAWL,
        );
        assert_crawl_returned_at(
            &web,
            returned,
            450,
            &what,
            "the deadline is an instant: return at it, with what is known.",
        );
        assert_live_tasks(0, &format!("after {what} returned")).await;
        let mut expected =
            fetched(&["http://s/", "http://a/1", "http://a/2", "http://b/1", "http://d/1", "http://f/1"]);
        expected.pages.insert("http://g/x".into(), Err(not_found()));
        expected.cut_short = true;
        if !report.cut_short {
            fail(format!(
                "the deadline: {what} returned a report with cut_short = false, but b/2 was still in flight and \
                 c/1 waiting to retry when the deadline came; the report must say the crawl was cut short."
            ));
        }
        check_eq(
            report,
            expected,
            &format!(
                "the report of {what} (the URLs whose fate was known by 450 ms; b/2, in flight, and c/1, \
                 waiting to retry, are not in it)"
            ),
        );
    });
}

#[test]
fn crawl_runs_the_parse_step_off_the_executor() {
    checker::run(async {
        let web = FakeWeb::builder()
            .page("http://s/", 100, &["http://a/1", "http://b/1"])
            .page("http://a/1", 100, &[])
            .page("http://b/1", 100, &[])
            .build();
        let parsed_on: Arc<Mutex<Vec<ThreadId>>> = Arc::default();
        let seen = parsed_on.clone();
        // The given parse step: 150 ms of real CPU work per page.
        let heavy_parse = move |body: &str| {
            seen.lock().unwrap().push(std::thread::current().id());
            burn_cpu(ms(150));
            FakeWeb::links_in(body)
        };
        let report = within(
            PATIENCE,
            "crawl(s → a/1, b/1) with a CPU-heavy parse",
            "does the crawl wait for a task that never ends?",
            crawl(Web(web.clone()), heavy_parse, "http://s/", &Config { max_depth: 1, ..config() }),
        )
        .await;
        let executor = std::thread::current().id();
        let parsed_on = parsed_on.lock().unwrap().clone();
        if parsed_on.is_empty() {
            fail("crawl(s → a/1, b/1) never called parse: a page's links come from parse(body).");
        }
        if parsed_on.contains(&executor) {
            fail(
                "blocking: parse ran on the executor's own thread, in the middle of a poll; while it computes \
                 (150 ms a page here) no other task can run and no request can start or end.\n\
                 run it on tokio's blocking pool: tokio::task::spawn_blocking(move || parse(&body)).await, \
                 with parse in an Arc so each task can take a clone. look at `crawl` in src/lib.rs.",
            );
        }
        assert_crawl_returned_at(
            &web,
            checker::elapsed(),
            200,
            "crawl(s → a/1, b/1) with a CPU-heavy parse",
            "the parse takes no virtual time: the clock stands still while the blocking pool works.",
        );
        check_eq(report, fetched(&["http://s/", "http://a/1", "http://b/1"]), "the report");
    });
}
