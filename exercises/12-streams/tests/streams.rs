//! Tests for 12-streams. The same file tests the stub (in exercises/) and the
//! solution (in solutions/): both build a library called `streams`.
//!
//! A test plays the consumer: it asks the stream for items (`next().await`)
//! and notes the virtual instant each one came, and when the stream ended.
//! Inputs are fed by a side task that sends each item at its instant, so an
//! item "arrives" whether or not anyone is asking. No two events are due at
//! the same instant unless the spec says which comes first: in
//! `merge_until`, items already waiting beat shutdown, and that is contested
//! 32 times in one test, so a `select!` that picks at random fails it on
//! every run.

use std::cell::RefCell;
use std::fmt::Debug;
use std::rc::Rc;
use std::time::Duration;

use checker::{
    End, Fate, Span, Timeline, assert_peak, assert_schedule, chart_of_spans, check_eq, check_input_order,
    done, fail, first_difference, fmt_duration, ms, sleep_until_ms, without_panic,
};
use futures::StreamExt;
use futures::stream::{self, LocalBoxStream};
use streams::{Order, Page, batch, debounce, map_concurrent, merge_until, paginate, ticks};
use tokio::sync::mpsc;
use tokio::time::MissedTickBehavior;

// ---- the consumer ---------------------------------------------------------

/// How long a test waits for a stream, in virtual time, before it says the
/// stream never ended. Every schedule here is over in under 2 s.
const PATIENCE_MS: u64 = 10_000;

/// What the consumer saw: each item with the instant (ms) it asked for it
/// and the instant it came, and when the stream ended (`None`: it had not
/// ended after [`PATIENCE_MS`]).
struct Seen<T> {
    items: Vec<(T, u64)>,
    asked: Vec<u64>,
    ended: Option<u64>,
}

fn now_ms() -> u64 {
    checker::elapsed().as_millis() as u64
}

/// Asks `stream` for items until it ends, spending `work(i)` ms on item `i`
/// before it asks for the next one (a slow consumer), and notes when each
/// item came.
async fn consume<T>(mut stream: LocalBoxStream<'_, T>, mut work: impl FnMut(usize) -> u64) -> Seen<T> {
    let give_up = tokio::time::Instant::now() + ms(PATIENCE_MS);
    let mut seen = Seen { items: Vec::new(), asked: Vec::new(), ended: None };
    loop {
        seen.asked.push(now_ms());
        match tokio::time::timeout_at(give_up, stream.next()).await {
            Ok(Some(item)) => {
                let i = seen.items.len();
                seen.items.push((item, now_ms()));
                let spend = work(i);
                if spend > 0 {
                    tokio::time::sleep(ms(spend)).await;
                }
            }
            Ok(None) => {
                seen.asked.pop();
                seen.ended = Some(now_ms());
                return seen;
            }
            Err(_) => {
                seen.asked.pop();
                return seen;
            }
        }
    }
}

/// A consumer that takes every item the instant it comes.
fn fast(_: usize) -> u64 {
    0
}

fn at(t: u64) -> String {
    fmt_duration(ms(t))
}

/// `0 at 0.100 s, 1 at 0.450 s, then the end at 0.450 s`.
fn describe<T: Debug>(items: &[(T, u64)], ended: Option<u64>) -> String {
    let mut parts: Vec<String> = items.iter().map(|(item, t)| format!("{item:?} at {}", at(*t))).collect();
    if parts.len() > 12 {
        let hidden = parts.len() - 10;
        parts.drain(5..parts.len() - 5);
        parts.insert(5, format!("… {hidden} more …"));
    }
    let items = if parts.is_empty() { "no item".to_string() } else { parts.join(", ") };
    match ended {
        Some(t) => format!("{items}, then the end at {}", at(t)),
        None => format!("{items}, and the stream had not ended at {}", at(PATIENCE_MS)),
    }
}

/// Fails unless the consumer saw exactly `items` (each with the instant it
/// came) and the end of the stream at `end`. The message lists both, names
/// the first difference, then gives `advice` (and `chart`, if any).
fn check_seen<T: Debug + PartialEq>(seen: &Seen<T>, items: &[(T, u64)], end: u64, what: &str, advice: &str) {
    check_seen_charted(seen, items, end, what, advice, String::new());
}

fn check_seen_charted<T: Debug + PartialEq>(
    seen: &Seen<T>,
    items: &[(T, u64)],
    end: u64,
    what: &str,
    advice: &str,
    chart: String,
) {
    if seen.items == items && seen.ended == Some(end) {
        return;
    }
    let first = match first_difference(&seen.items, items) {
        Some(i) if i < seen.items.len() && i < items.len() => {
            let ((yours, y), (theirs, t)) = (&seen.items[i], &items[i]);
            if yours == theirs {
                format!("item {i} ({theirs:?}) came at {}; it should come at {}.", at(*y), at(*t))
            } else {
                format!("item {i} is {yours:?} at {}; it should be {theirs:?} at {}.", at(*y), at(*t))
            }
        }
        Some(i) if i == seen.items.len() => {
            format!(
                "the stream gave {i} items where it should give {}: {:?} never came.",
                items.len(),
                items[i].0
            )
        }
        Some(i) => format!(
            "the stream gave {:?} at {}: one item more than the {} it should give.",
            seen.items[i].0,
            at(seen.items[i].1),
            items.len()
        ),
        None => match seen.ended {
            Some(t) => {
                format!("every item came on time, but the stream ended at {}, not at {}.", at(t), at(end))
            }
            None => {
                format!("every item came on time, but the stream never ended (it should end at {}).", at(end))
            }
        },
    };
    let mut message = format!(
        "{what}.\n  expected: {}\n  yours:    {}\n{first}\n{advice}",
        describe(items, Some(end)),
        describe(&seen.items, seen.ended)
    );
    if !chart.is_empty() {
        message.push_str("\n\n");
        message.push_str(&chart);
    }
    fail(message)
}

/// A bar for a chart: `name` from `from` to `to` (`None`: still open).
fn bar(name: impl Into<String>, from: u64, to: Option<u64>) -> Span {
    Span {
        name: name.into(),
        fate: Fate { started: Some(ms(from)), ended: to.map(|t| End::Completed(ms(t))) },
    }
}

// ---- inputs ---------------------------------------------------------------

/// An input stream fed by a side task: each item is sent at its instant
/// (ms since the test began), and the input ends at `end` (`None`: it stays
/// open for good). The side task is the sender, so an item arrives at its
/// instant whether or not anyone is asking.
fn arriving<T: Send + 'static>(schedule: Vec<(u64, T)>, end: Option<u64>) -> LocalBoxStream<'static, T> {
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        for (t, item) in schedule {
            sleep_until_ms(t).await;
            if tx.send(item).is_err() {
                return;
            }
        }
        match end {
            Some(t) => sleep_until_ms(t).await,
            None => std::future::pending().await,
        }
    });
    from_channel(rx)
}

/// The items of a channel as a stream; it ends when every sender is gone.
fn from_channel<T: 'static>(rx: mpsc::UnboundedReceiver<T>) -> LocalBoxStream<'static, T> {
    stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) }).fuse().boxed_local()
}

// ---- task 1: ticks --------------------------------------------------------

const BEHAVIOURS: &str = "when a tick is late (the consumer asks after it was due), it comes at once; what \
     comes next is the missed-tick behaviour: Burst gives the missed ticks at once, one after another, until \
     it has caught up; Delay puts the next tick a whole period after the late one; Skip puts it on the next \
     instant of the original schedule (a whole number of periods after the start). In ticks (src/lib.rs), \
     give the interval the behaviour you were given: Interval::set_missed_tick_behavior.";

/// Checks the ticks a consumer saw, drawing each wait from the ask to the tick.
fn check_ticks(seen: &Seen<usize>, expected: &[u64], end: u64, work: impl Fn(usize) -> u64, what: &str) {
    let items: Vec<(usize, u64)> = expected.iter().copied().enumerate().collect();
    if seen.items == items && seen.ended == Some(end) {
        return;
    }
    let mut advice = String::new();
    if seen.items.first().is_some_and(|(_, t)| *t == 0) {
        advice.push_str(
            "the first tick came at once: tokio::time::interval ticks at once, the first time. The first tick \
             is due one period after the call: interval_at(Instant::now() + period, period).\n",
        );
    }
    if seen.items.len() == items.len() && seen.ended.is_some_and(|t| t > end) {
        advice.push_str("after the n-th tick the stream ends at once: do not wait for another tick first.\n");
    }
    advice.push_str(BEHAVIOURS);
    let mut asks = vec![0];
    for (i, t) in expected.iter().enumerate().take(expected.len().saturating_sub(1)) {
        asks.push(t + work(i));
    }
    let theirs: Vec<Span> = asks
        .iter()
        .zip(expected)
        .enumerate()
        .map(|(i, (a, t))| bar(format!("tick {i}"), *a, Some(*t)))
        .collect();
    let mut yours: Vec<Span> = seen
        .asked
        .iter()
        .zip(&seen.items)
        .map(|(a, (i, t))| bar(format!("tick {i}"), *a, Some(*t)))
        .collect();
    if seen.ended.is_none() && seen.asked.len() < expected.len() {
        let asked_last = seen.items.last().map(|(i, t)| t + work(*i)).unwrap_or(0);
        yours.push(bar(format!("tick {}", seen.items.len()), asked_last, None));
    }
    let chart = format!(
        "each bar runs from the instant the consumer asked to the instant the tick came:\n{}",
        chart_of_spans(&theirs, &yours)
    );
    check_seen_charted(seen, &items, end, what, &advice, chart);
}

#[test]
fn ticks_first_tick_comes_one_period_after_the_call() {
    checker::run(async {
        let seen = consume(ticks(ms(70), 3, MissedTickBehavior::Delay), fast).await;
        check_ticks(
            &seen,
            &[70, 140, 210],
            210,
            fast,
            "ticks(70 ms, 3), taken at once: ticks 0, 1, 2 at 70, 140 and 210 ms, and the stream ends right \
             after the third",
        );
    });
}

#[test]
fn ticks_of_zero_ends_at_once() {
    checker::run(async {
        let seen = consume(ticks(ms(100), 0, MissedTickBehavior::Delay), fast).await;
        check_seen(
            &seen,
            &[],
            0,
            "ticks(100 ms, 0) gives no tick and ends at once",
            "with n = 0 there is nothing to wait for: do not wait a period before you end.",
        );
    });
}

/// A consumer that spends 350 ms on every tick.
fn slow(_: usize) -> u64 {
    350
}

#[test]
fn ticks_a_late_tick_comes_at_once() {
    checker::run(async {
        for (missed, name) in [
            (MissedTickBehavior::Delay, "Delay"),
            (MissedTickBehavior::Skip, "Skip"),
            (MissedTickBehavior::Burst, "Burst"),
        ] {
            let start = now_ms();
            let seen = consume(ticks(ms(100), 4, missed), slow).await;
            let shifted = Seen {
                items: seen.items.into_iter().map(|(i, t)| (i, t - start)).collect(),
                asked: seen.asked.into_iter().map(|t| t - start).collect(),
                ended: seen.ended.map(|t| t - start),
            };
            check_ticks(
                &shifted,
                &[100, 450, 800, 1150],
                1500,
                slow,
                &format!(
                    "ticks(100 ms, 4, {name}) with a consumer that spends 350 ms on each tick (instants from the \
                     call): each tick after the first is late when the consumer asks for it, so it comes at \
                     once"
                ),
            );
        }
    });
}

/// A consumer that spends 350 ms on the first tick and takes the others at once.
fn slow_once(i: usize) -> u64 {
    if i == 0 { 350 } else { 0 }
}

fn check_missed(missed: MissedTickBehavior, name: &str, expected: &[u64], end: u64, rule: &str) {
    checker::run(async move {
        let seen = consume(ticks(ms(100), 6, missed), slow_once).await;
        check_ticks(
            &seen,
            expected,
            end,
            slow_once,
            &format!(
                "ticks(100 ms, 6, {name}) with a consumer that spends 350 ms on tick 0 and takes the others at \
                 once: tick 1 (due at 200 ms) comes at once at 450 ms; {rule}"
            ),
        );
    });
}

#[test]
fn ticks_delay_puts_the_next_tick_a_period_after_a_late_one() {
    check_missed(
        MissedTickBehavior::Delay,
        "Delay",
        &[100, 450, 550, 650, 750, 850],
        850,
        "with Delay the next is a whole period after it, at 550 ms, and so on",
    );
}

#[test]
fn ticks_skip_keeps_to_the_original_schedule() {
    check_missed(
        MissedTickBehavior::Skip,
        "Skip",
        &[100, 450, 500, 600, 700, 800],
        800,
        "with Skip the ticks due at 300 and 400 ms are skipped and the next comes at 500 ms, back on the \
         100 ms grid",
    );
}

#[test]
fn ticks_burst_catches_up_on_the_missed_ticks() {
    check_missed(
        MissedTickBehavior::Burst,
        "Burst",
        &[100, 450, 450, 450, 500, 600],
        600,
        "with Burst the ticks due at 300 and 400 ms come at once too, and then 500 ms, on schedule again",
    );
}

// ---- task 2: paginate -----------------------------------------------------

/// The calls of `fetch_page` a test saw: (cursor, instant in ms).
type Calls = Rc<RefCell<Vec<(u64, u64)>>>;

/// A fake API: the page at each cursor, each fetch taking 200 ms (a job on
/// `tl` called "page <cursor>"). The cursor of a page is the offset of its
/// first item: 0, 10, 20.
fn api(
    tl: &Timeline,
    pages: Vec<(u64, Page<u32>)>,
) -> (impl FnMut(u64) -> checker::Job<Page<u32>> + use<>, Calls) {
    let calls: Calls = Rc::default();
    let (log, tl) = (calls.clone(), tl.clone());
    let fetch_page = move |cursor: u64| {
        log.borrow_mut().push((cursor, now_ms()));
        let Some((_, page)) = pages.iter().find(|(c, _)| *c == cursor) else {
            let known: Vec<u64> = pages.iter().map(|(c, _)| *c).collect();
            fail(format!(
                "paginate called fetch_page({cursor}), but no page has that cursor (the pages are at {known:?}). \
                 Call fetch_page(0) first, then with the `next` cursor of the page before."
            ))
        };
        tl.job(format!("page {cursor}"), 200, page.clone())
    };
    (fetch_page, calls)
}

/// Three pages: items 0..10 (next 10), 10..20 (next 20), 20..25 (the last).
fn three_pages() -> Vec<(u64, Page<u32>)> {
    vec![
        (0, Page { items: (0..10).collect(), next: Some(10) }),
        (10, Page { items: (10..20).collect(), next: Some(20) }),
        (20, Page { items: (20..25).collect(), next: None }),
    ]
}

const LAZY: &str = "a stream is lazy, like an async generator: it does its work when the consumer asks for an \
     item, never ahead of it. Call fetch_page only when the consumer asks for an item and the page in hand is \
     used up (not when the page before arrives, nor when the stream is made).";

fn check_calls(calls: &Calls, expected: &[(u64, u64)], what: &str) {
    let yours = calls.borrow().clone();
    if yours != expected {
        let said = |calls: &[(u64, u64)]| {
            let list: Vec<String> =
                calls.iter().map(|(c, t)| format!("fetch_page({c}) at {}", at(*t))).collect();
            if list.is_empty() { "no call".to_string() } else { list.join(", ") }
        };
        fail(format!(
            "{what}: the calls of fetch_page.\n  expected: {} ({} fetches)\n  yours:    {} ({} fetches)\n{LAZY}",
            said(expected),
            expected.len(),
            said(&yours),
            yours.len()
        ));
    }
}

#[test]
fn paginate_taking_15_items_fetches_exactly_2_pages() {
    checker::run(async {
        let tl = Timeline::new();
        let (fetch_page, calls) = api(&tl, three_pages());
        let seen = consume(paginate(fetch_page).take(15).boxed_local(), fast).await;
        let expected: Vec<(u32, u64)> = (0..15).map(|i| (i, if i < 10 { 200 } else { 400 })).collect();
        check_seen(
            &seen,
            &expected,
            400,
            "paginate (pages of 10, 200 ms a fetch), taking 15 items: items 0 to 9 at 200 ms, 10 to 14 at \
             400 ms",
            "each page comes 200 ms after fetch_page is called; its items then come at once, in order.",
        );
        sleep_until_ms(2000).await;
        check_calls(&calls, &[(0, 0), (10, 200)], "paginate, taking 15 items (1.5 pages)");
        assert_schedule(
            &tl,
            &[done("page 0", 0, 200), done("page 10", 200, 400)],
            "paginate, taking 15 items: page 0 fetched at 0, page 10 when item 10 was asked for",
        );
    });
}

#[test]
fn paginate_yields_every_item_of_every_page_then_ends() {
    checker::run(async {
        let tl = Timeline::new();
        let (fetch_page, calls) = api(&tl, three_pages());
        let seen = consume(paginate(fetch_page), fast).await;
        let expected: Vec<(u32, u64)> = (0..25).map(|i| (i, 200 * (1 + u64::from(i) / 10))).collect();
        check_seen(
            &seen,
            &expected,
            600,
            "paginate over pages 0..10, 10..20, 20..25 (the last page has no `next`), 200 ms a fetch",
            "the stream ends right after the last item of the page whose `next` is None.",
        );
        check_calls(&calls, &[(0, 0), (10, 200), (20, 400)], "paginate over three pages");
    });
}

#[test]
fn paginate_fetches_a_page_only_when_an_item_of_it_is_asked_for() {
    checker::run(async {
        let tl = Timeline::new();
        let (fetch_page, calls) = api(&tl, three_pages());
        let stream = paginate(fetch_page);
        sleep_until_ms(500).await;
        check_calls(&calls, &[], "paginate, the stream made at 0 and not asked for anything until 500 ms");
        // The consumer takes 11 items, spending 50 ms on each.
        let seen = consume(stream.take(11).boxed_local(), |_| 50).await;
        let mut expected: Vec<(u32, u64)> = (0..10).map(|i| (i, 700 + 50 * u64::from(i))).collect();
        expected.push((10, 1400));
        check_seen(
            &seen,
            &expected,
            1450,
            "paginate, first asked at 500 ms, by a consumer that spends 50 ms on each item and takes 11: page 0 \
             is fetched at 500 ms (items at 700, 750, ... 1150 ms), page 10 when item 10 is asked for at 1.200 s",
            LAZY,
        );
        check_calls(
            &calls,
            &[(0, 500), (10, 1200)],
            "paginate with a consumer that spends 50 ms on each item",
        );
    });
}

#[test]
fn paginate_goes_on_past_an_empty_page_and_ends_after_the_last() {
    checker::run(async {
        // An empty page with a `next` is not the end.
        let tl = Timeline::new();
        let pages =
            vec![(0, Page { items: vec![], next: Some(5) }), (5, Page { items: vec![7, 8], next: None })];
        let (fetch_page, calls) = api(&tl, pages);
        let seen = consume(paginate(fetch_page), fast).await;
        check_seen(
            &seen,
            &[(7, 400), (8, 400)],
            400,
            "paginate over an empty page (next 5), then a page of 7 and 8 (no next)",
            "the stream ends after the page whose `next` is None, not at the first empty page: an API may \
             return a page with no items and a cursor to go on with.",
        );
        check_calls(&calls, &[(0, 0), (5, 200)], "paginate over an empty page, then a last page");

        // One empty page with no `next`: no item, the end when it comes.
        let tl = Timeline::new();
        let (fetch_page, calls) = api(&tl, vec![(0, Page { items: vec![], next: None })]);
        sleep_until_ms(1000).await;
        let seen = consume(paginate(fetch_page), fast).await;
        check_seen(&seen, &[], 1200, "paginate over one empty page with no next, first asked at 1 s", "");
        check_calls(&calls, &[(0, 1000)], "paginate over one empty page");
    });
}

// ---- task 3: map_concurrent -----------------------------------------------

/// The jobs of the spec, which finish out of order: A 300 ms, B 100 ms,
/// C 100 ms, D 200 ms, E 50 ms.
const ABCDE: [(&str, u64, char); 5] =
    [("A", 300, 'a'), ("B", 100, 'b'), ("C", 100, 'c'), ("D", 200, 'd'), ("E", 50, 'e')];

/// `map_concurrent` over `jobs` (name, ms, value) with `f` making each job on `tl`.
fn mapped<'a>(
    tl: &Timeline,
    jobs: Vec<(&'static str, u64, char)>,
    k: usize,
    order: Order,
) -> LocalBoxStream<'a, char> {
    let tl = tl.clone();
    map_concurrent(stream::iter(jobs), k, order, move |(name, took, value)| tl.job(name, took, value))
}

#[test]
fn map_concurrent_in_input_order_holds_k_jobs_at_a_time() {
    checker::run(async {
        let tl = Timeline::new();
        let seen = consume(mapped(&tl, ABCDE.to_vec(), 2, Order::Input), fast).await;
        let order: Vec<char> = seen.items.iter().map(|(c, _)| *c).collect();
        check_input_order(
            order,
            vec!['a', 'b', 'c', 'd', 'e'],
            "map_concurrent(A 300 ms, B 100 ms, C 100 ms, D 200 ms, E 50 ms; k = 2, Order::Input) hands out a, \
             b, c, d, e",
        );
        check_seen(
            &seen,
            &[('a', 300), ('b', 300), ('c', 400), ('d', 500), ('e', 500)],
            500,
            "map_concurrent(A 300 ms, B 100 ms, C 100 ms, D 200 ms, E 50 ms; k = 2, Order::Input)",
            "B is done at 100 ms but waits for A, and keeps its slot until it is handed out at 300 ms: C and D \
             start then. At most k results are held at once, running or waiting their turn.",
        );
        assert_schedule(
            &tl,
            &[
                done("A", 0, 300),
                done("B", 0, 100),
                done("C", 300, 400),
                done("D", 300, 500),
                done("E", 400, 450),
            ],
            "map_concurrent(k = 2, Order::Input): a job holds its slot from its start until its result is handed \
             out; B, done early, holds its slot until A's result has gone",
        );
        assert_peak(&tl, 2, "map_concurrent(k = 2, Order::Input)");
    });
}

#[test]
fn map_concurrent_in_completion_order_hands_out_each_result_as_it_comes() {
    checker::run(async {
        let tl = Timeline::new();
        let seen = consume(mapped(&tl, ABCDE.to_vec(), 2, Order::Completion), fast).await;
        check_seen(
            &seen,
            &[('b', 100), ('c', 200), ('a', 300), ('e', 350), ('d', 400)],
            400,
            "map_concurrent(A 300 ms, B 100 ms, C 100 ms, D 200 ms, E 50 ms; k = 2, Order::Completion): each \
             result the instant its job finishes",
            "with Order::Completion a result goes out the instant its job is done, and its slot is free at \
             once for the next job.",
        );
        assert_schedule(
            &tl,
            &[
                done("A", 0, 300),
                done("B", 0, 100),
                done("C", 100, 200),
                done("D", 200, 400),
                done("E", 300, 350),
            ],
            "map_concurrent(k = 2, Order::Completion): a new job starts the instant one is done",
        );
        assert_peak(&tl, 2, "map_concurrent(k = 2, Order::Completion)");
    });
}

#[test]
fn map_concurrent_runs_exactly_k_at_once() {
    checker::run(async {
        for (order, name) in [(Order::Input, "Order::Input"), (Order::Completion, "Order::Completion")] {
            let tl = Timeline::new();
            let start = now_ms();
            let names = ["J0", "J1", "J2", "J3", "J4", "J5", "J6", "J7", "J8", "J9", "J10", "J11"];
            let jobs: Vec<_> = names.iter().map(|n| (*n, 100, 'x')).collect();
            let seen = consume(mapped(&tl, jobs, 3, order), fast).await;
            let what = format!("map_concurrent(12 jobs of 100 ms, k = 3, {name})");
            assert_peak(&tl, 3, &what);
            check_eq(seen.items.len(), 12, &format!("{what}: how many results"));
            check_eq(
                seen.ended.map(|t| t - start),
                Some(400),
                &format!("{what}: when the stream ended, in ms after the call (4 waves of 3 at 100 ms each)"),
            );
        }
    });
}

#[test]
fn map_concurrent_keeps_input_order_when_jobs_finish_last_to_first() {
    checker::run(async {
        // Job i takes (10 - i) × 100 ms: with k = 10 they finish J9 first, J0 last.
        let names = ["J0", "J1", "J2", "J3", "J4", "J5", "J6", "J7", "J8", "J9"];
        let values = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
        let jobs = |tl: &Timeline, order| {
            let list: Vec<_> = (0..10).map(|i| (names[i], (10 - i as u64) * 100, values[i])).collect();
            mapped(tl, list, 10, order)
        };
        let tl = Timeline::new();
        let seen = consume(jobs(&tl, Order::Input), fast).await;
        check_input_order(
            seen.items.iter().map(|(c, _)| *c).collect(),
            values.to_vec(),
            "map_concurrent(10 jobs finishing last to first, k = 10, Order::Input)",
        );
        check_eq(seen.ended, Some(1000), "map_concurrent(Order::Input): when the stream ended, in ms");

        let tl = Timeline::new();
        let start = now_ms();
        let seen = consume(jobs(&tl, Order::Completion), fast).await;
        let got: Vec<(char, u64)> = seen.items.iter().map(|(c, t)| (*c, t - start)).collect();
        let expected: Vec<(char, u64)> = (0..10).rev().map(|i| (values[i], (10 - i as u64) * 100)).collect();
        check_eq(
            got,
            expected,
            "map_concurrent(10 jobs finishing last to first, k = 10, Order::Completion): (result, ms after the \
             call), in the order the jobs finish",
        );
    });
}

#[test]
fn map_concurrent_of_no_items_ends_at_once() {
    checker::run(async {
        for order in [Order::Input, Order::Completion] {
            let tl = Timeline::new();
            let seen = consume(mapped(&tl, vec![], 2, order), fast).await;
            check_seen(&seen, &[], 0, &format!("map_concurrent of no items ({order:?})"), "");
        }
    });
}

// ---- task 4: batch --------------------------------------------------------

/// Draws each batch from the arrival of its first item to its departure.
fn batch_chart(arrivals: &[(u64, u32)], expected: &[(Vec<u32>, u64)], seen: &Seen<Vec<u32>>) -> String {
    let arrived = |item: u32| arrivals.iter().find(|(_, i)| *i == item).map_or(0, |(t, _)| *t);
    let bars = |batches: &[(Vec<u32>, u64)]| -> Vec<Span> {
        batches
            .iter()
            .map(|(b, t)| bar(format!("{b:?}"), b.first().map_or(*t, |i| arrived(*i)), Some(*t)))
            .collect()
    };
    format!(
        "each batch from the arrival of its first item to its departure:\n{}",
        chart_of_spans(&bars(expected), &bars(&seen.items))
    )
}

const BATCH: &str = "a batch leaves the instant it is full, or max_wait after its FIRST item arrived, whichever \
     comes first; then the next batch starts with the next item (its own clock with it). No batch is ever \
     empty, and when the input ends the partial batch leaves at once. In batch (src/lib.rs), start a \
     sleep(max_wait) when a batch gets its first item, and race it against the input in a select!.";

async fn run_batch(arrivals: &[(u64, u32)], end: u64, max_size: usize, max_wait: Duration) -> Seen<Vec<u32>> {
    let input = arriving(arrivals.to_vec(), Some(end));
    consume(batch(input, max_size, max_wait), fast).await
}

#[test]
fn batch_leaves_when_full_or_max_wait_after_its_first_item() {
    checker::run(async {
        let arrivals = [(0, 0), (10, 1), (20, 2), (50, 3), (120, 4), (200, 5), (210, 6), (220, 7), (230, 8)];
        let seen = run_batch(&arrivals, 260, 3, ms(100)).await;
        let expected = [(vec![0, 1, 2], 20), (vec![3, 4], 150), (vec![5, 6, 7], 220), (vec![8], 260)];
        check_seen_charted(
            &seen,
            &expected,
            260,
            "batch(max_size 3, max_wait 100 ms) over items 0, 1, 2 at 0, 10, 20 ms; 3 at 50; 4 at 120; 5, 6, 7 \
             at 200, 210, 220; 8 at 230; the input ends at 260 ms",
            BATCH,
            batch_chart(&arrivals, &expected, &seen),
        );
    });
}

#[test]
fn batch_clock_starts_with_the_first_item_of_each_batch() {
    checker::run(async {
        // Long gaps: a clock that ticks on its own (every 200 ms from the start) gets every instant wrong.
        let arrivals = [(0, 0), (250, 1), (290, 2), (900, 3)];
        let seen = run_batch(&arrivals, 1500, 10, ms(200)).await;
        let expected = [(vec![0], 200), (vec![1, 2], 450), (vec![3], 1100)];
        check_seen_charted(
            &seen,
            &expected,
            1500,
            "batch(max_size 10, max_wait 200 ms) over items at 0, 250, 290 and 900 ms; the input ends at 1.500 s",
            BATCH,
            batch_chart(&arrivals, &expected, &seen),
        );
    });
}

#[test]
fn batch_of_an_empty_input_gives_no_batch() {
    checker::run(async {
        let seen = run_batch(&[], 300, 3, ms(100)).await;
        check_seen(
            &seen,
            &[],
            300,
            "batch over an input that ends at 300 ms with no item",
            "no batch is ever empty: give none, and end when the input ends.",
        );
    });
}

#[test]
fn batch_with_an_endless_wait_leaves_only_when_full_or_at_the_end() {
    checker::run(async {
        let arrivals = [(0, 0), (100, 1), (200, 2)];
        let seen = without_panic(
            run_batch(&arrivals, 500, 2, Duration::MAX),
            "batch(max_size 2, max_wait Duration::MAX)",
            |_| "Instant::now() + Duration::MAX overflows: use tokio::time::sleep(max_wait), which caps a huge \
                 wait, rather than adding it to an instant yourself."
                .to_string(),
        )
        .await;
        let expected = [(vec![0, 1], 100), (vec![2], 500)];
        check_seen_charted(
            &seen,
            &expected,
            500,
            "batch(max_size 2, max_wait Duration::MAX) over items at 0, 100, 200 ms; the input ends at 500 ms",
            BATCH,
            batch_chart(&arrivals, &expected, &seen),
        );
    });
}

// ---- task 5: debounce -----------------------------------------------------

const DEBOUNCE: &str = "an item leaves once `quiet` has passed with no newer item; a newer item replaces it and \
     starts the quiet period again (however long the burst lasts), and when the input ends the item still \
     waiting leaves at once. In debounce (src/lib.rs), race the next item against a sleep(quiet) made anew \
     for each item.";

/// Draws each item that left from its arrival to its departure.
fn debounce_chart(arrivals: &[(u64, u32)], expected: &[(u32, u64)], seen: &Seen<u32>) -> String {
    let arrived = |item: u32| arrivals.iter().find(|(_, i)| *i == item).map_or(0, |(t, _)| *t);
    let bars = |items: &[(u32, u64)]| -> Vec<Span> {
        items.iter().map(|(i, t)| bar(format!("item {i}"), arrived(*i), Some(*t))).collect()
    };
    format!(
        "each item that left, from its arrival to its departure:\n{}",
        chart_of_spans(&bars(expected), &bars(&seen.items))
    )
}

async fn run_debounce(arrivals: &[(u64, u32)], end: u64, quiet: Duration) -> Seen<u32> {
    consume(debounce(arriving(arrivals.to_vec(), Some(end)), quiet), fast).await
}

#[test]
fn debounce_hands_out_the_last_item_of_each_burst_after_a_quiet_gap() {
    checker::run(async {
        let arrivals = [(0, 0), (50, 1), (100, 2), (300, 3), (500, 4), (590, 5), (680, 6)];
        let seen = run_debounce(&arrivals, 1000, ms(100)).await;
        let expected = [(2, 200), (3, 400), (6, 780)];
        check_seen_charted(
            &seen,
            &expected,
            1000,
            "debounce(quiet 100 ms) over items 0, 1, 2 at 0, 50, 100 ms; 3 at 300; 4, 5, 6 at 500, 590, 680; the \
             input ends at 1 s",
            DEBOUNCE,
            debounce_chart(&arrivals, &expected, &seen),
        );
    });
}

#[test]
fn debounce_hands_out_the_waiting_item_when_the_input_ends() {
    checker::run(async {
        let arrivals = [(0, 0), (50, 1)];
        let seen = run_debounce(&arrivals, 80, ms(100)).await;
        let expected = [(1, 80)];
        check_seen_charted(
            &seen,
            &expected,
            80,
            "debounce(quiet 100 ms) over items 0 and 1 at 0 and 50 ms; the input ends at 80 ms",
            DEBOUNCE,
            debounce_chart(&arrivals, &expected, &seen),
        );
        let seen = run_debounce(&[], 300, ms(100)).await;
        check_seen(&seen, &[], 300, "debounce over an input that ends at 300 ms with no item", DEBOUNCE);
    });
}

#[test]
fn debounce_with_an_endless_quiet_hands_out_only_the_last_item_at_the_end() {
    checker::run(async {
        let arrivals = [(0, 0), (100, 1)];
        let seen = without_panic(
            run_debounce(&arrivals, 400, Duration::MAX),
            "debounce(quiet Duration::MAX)",
            |_| {
                "Instant::now() + Duration::MAX overflows: use tokio::time::sleep(quiet), which caps a huge \
                 wait, rather than adding it to an instant yourself."
                    .to_string()
            },
        )
        .await;
        let expected = [(1, 400)];
        check_seen_charted(
            &seen,
            &expected,
            400,
            "debounce(quiet Duration::MAX) over items at 0 and 100 ms; the input ends at 400 ms",
            DEBOUNCE,
            debounce_chart(&arrivals, &expected, &seen),
        );
    });
}

// ---- task 6: merge_until --------------------------------------------------

const MERGE: &str = "merge_until hands out each item of either input the instant it arrives. When shutdown comes \
     it ends, but only once it has handed out every item already waiting in the inputs; and it also ends \
     when both inputs have ended.";

#[test]
fn merge_until_hands_out_the_items_of_both_as_they_arrive_until_shutdown() {
    checker::run(async {
        let a = arriving(vec![(0, 10), (100, 11), (200, 12)], None);
        let b = arriving(vec![(50, 20), (150, 21), (250, 22)], None);
        let seen = consume(merge_until(a, b, sleep_until_ms(220)), fast).await;
        check_seen(
            &seen,
            &[(10, 0), (20, 50), (11, 100), (21, 150), (12, 200)],
            220,
            "merge_until(a: 10, 11, 12 at 0, 100, 200 ms; b: 20, 21, 22 at 50, 150, 250 ms; shutdown at 220 ms), \
             both inputs open",
            &format!(
                "{MERGE} Here nothing is waiting at 220 ms: the stream ends then, and 22 (at 250 ms) is not \
                 taken."
            ),
        );
    });
}

#[test]
fn merge_until_ends_when_both_inputs_have_ended() {
    checker::run(async {
        let a = arriving(vec![(0, 10), (100, 11)], Some(120));
        let b = arriving(vec![(50, 20), (200, 21), (300, 22)], Some(350));
        let seen = consume(merge_until(a, b, std::future::pending()), fast).await;
        check_seen(
            &seen,
            &[(10, 0), (20, 50), (11, 100), (21, 200), (22, 300)],
            350,
            "merge_until(a: 10, 11 at 0, 100 ms, ends at 120 ms; b: 20, 21, 22 at 50, 200, 300 ms, ends at \
             350 ms; no shutdown)",
            &format!(
                "{MERGE} One input ending is not the end: b goes on after a has ended (a select! branch whose \
                 stream gave None must be switched off, not taken as the end)."
            ),
        );
    });
}

/// How many times the shutdown test makes shutdown and waiting items meet.
/// A `select!` that picks at random keeps the items every time in a round
/// with odds of 1 in 8 at best: it fails some round of 32 on every run.
const ROUNDS: usize = 32;

#[test]
fn merge_until_loses_no_item_that_arrived_before_shutdown() {
    checker::run(async {
        for round in 0..ROUNDS {
            let start = now_ms();
            let (a_tx, a_rx) = mpsc::unbounded_channel();
            let (b_tx, b_rx) = mpsc::unbounded_channel();
            for item in [10, 11] {
                a_tx.send(item).expect("the input is open");
            }
            for item in [20, 21] {
                b_tx.send(item).expect("the input is open");
            }
            // Odd rounds: shutdown has come before the call. Even rounds: it
            // comes 10 ms in, while the consumer spends 20 ms on its first item.
            let (shutdown_at, setup) = if round % 2 == 1 {
                (start, "shutdown had already come when merge_until was called")
            } else {
                (
                    start + 10,
                    "the consumer took the first item, then spent 20 ms on it; shutdown came 10 ms in",
                )
            };
            let stream = merge_until(from_channel(a_rx), from_channel(b_rx), sleep_until_ms(shutdown_at));
            let seen = consume(stream, |i| if i == 0 && round % 2 == 0 { 20 } else { 0 }).await;
            let got: Vec<u32> = seen.items.iter().map(|(item, _)| *item).collect();
            let from_a: Vec<u32> = got.iter().copied().filter(|i| *i < 20).collect();
            let from_b: Vec<u32> = got.iter().copied().filter(|i| *i >= 20).collect();
            let end = if round % 2 == 1 { start } else { start + 20 };
            let lost: Vec<u32> = [10, 11, 20, 21].into_iter().filter(|i| !got.contains(i)).collect();
            if !lost.is_empty() {
                fail(format!(
                    "round {} of {ROUNDS}: a held 10, 11 and b held 20, 21 before merge_until was called; \
                     {setup}. Your stream gave {got:?} and ended at {}: it lost {lost:?}, items that had \
                     arrived before shutdown.\nwhen shutdown comes, the items already waiting must still go \
                     out: only then does the stream end. In merge_until (src/lib.rs), when an item and shutdown \
                     are both ready, take the item: a select! that polls shutdown first (or take_until) ends \
                     with items waiting, and a select! without `biased;` picks at random which ready branch \
                     wins (so this shows in some rounds and not others).",
                    round + 1,
                    seen.ended.map_or("never".to_string(), at),
                ));
            }
            check_eq(
                (from_a, from_b, seen.ended.map(|t| t - start)),
                (vec![10, 11], vec![20, 21], Some(end - start)),
                &format!(
                    "round {} of {ROUNDS}, {setup}: (a's items in the order given, b's items in the order \
                     given, when the stream ended in ms after the call)",
                    round + 1
                ),
            );
            drop((a_tx, b_tx));
        }
    });
}
