//! Tests for 05-producer-consumer. The same file tests the stub (in
//! exercises/) and the solution (in solutions/): both build a library
//! called `producer_consumer`.
//!
//! Producers are streams the tests make: some hand out their items at
//! once, some make one every so often, and every one writes down the
//! instant it made each item. Processing an item sleeps on the paused
//! virtual clock, so "the pipeline ends at exactly 5 s" is an `==` that
//! never flakes. Test names start with the task they check.
//!
//! A failure says what was seen, in this order: items lost or processed
//! twice, then the producers' instants (a producer held back is not the
//! consumers' fault), then the consumers' schedule, then the total time.

use std::future::Future;
use std::sync::{Arc, Mutex};

use checker::{
    Limits, PATIENCE, Timeline, assert_elapsed, assert_schedule, cancel_after, check_eq, done, fail,
    first_difference, fmt_duration, ms, within,
};
use futures::StreamExt;
use futures::stream::{self, BoxStream};
use producer_consumer::{
    Consumed, DeadLetter, PipelineError, PriorityQueue, consume, drain_on_shutdown, pipeline,
};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

// ---- producers and what they saw ----------------------------------------

/// A shared list of (item, virtual instant in ms), in the order written.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<(u32, u64)>>>);

impl Log {
    fn push(&self, item: u32) {
        self.lock().push((item, now_ms()));
    }
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(u32, u64)>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
    fn entries(&self) -> Vec<(u32, u64)> {
        self.lock().clone()
    }
    fn items(&self) -> Vec<u32> {
        self.entries().into_iter().map(|(i, _)| i).collect()
    }
    fn instants(&self) -> Vec<u64> {
        self.entries().into_iter().map(|(_, t)| t).collect()
    }
    /// The instant `item` was written down, if it was.
    fn at(&self, item: u32) -> Option<u64> {
        self.entries().into_iter().find(|&(i, _)| i == item).map(|(_, t)| t)
    }
}

/// Virtual time since the test began, in whole ms.
fn now_ms() -> u64 {
    checker::elapsed().as_millis() as u64
}

/// A producer that hands out `items` as fast as it is asked, and writes
/// down when it made each one.
fn eager(items: std::ops::Range<u32>, made: &Log) -> BoxStream<'static, u32> {
    let made = made.clone();
    stream::iter(items)
        .map(move |i| {
            made.push(i);
            i
        })
        .boxed()
}

/// A producer that never runs dry and is always ready: items 0, 1, 2, ...
/// handed out at once whenever it is asked.
fn always_ready(made: &Log) -> BoxStream<'static, u32> {
    eager(0..u32::MAX, made)
}

/// A producer that makes item `i` after `every_ms`, again and again, from
/// `first` on (forever if `count` is `None`), and writes down when it made
/// each one.
fn steady(first: u32, count: Option<u32>, every_ms: u64, made: &Log) -> BoxStream<'static, u32> {
    let made = made.clone();
    let end = count.map(|n| first + n);
    stream::unfold(first, move |i| {
        let made = made.clone();
        async move {
            if end == Some(i) {
                return None;
            }
            tokio::time::sleep(ms(every_ms)).await;
            made.push(i);
            Some((i, i + 1))
        }
    })
    .boxed()
}

/// Processing that takes `ms` and is put on the timeline as "item N".
fn on_timeline(tl: &Timeline, ms: u64) -> impl Fn(u32) -> checker::Job<u32> + '_ {
    move |i| tl.job(format!("item {i}"), ms, i)
}

/// The items a timeline's consumers were handed, from the jobs' names.
fn taken_from(tl: &Timeline) -> Vec<u32> {
    tl.spans().iter().filter_map(|s| s.name.strip_prefix("item ")?.parse().ok()).collect()
}

fn sorted(mut v: Vec<u32>) -> Vec<u32> {
    v.sort_unstable();
    v
}

/// `[3, 4, 5]`, shortened when long.
fn list(items: &[u32]) -> String {
    if items.len() <= 12 {
        format!("{items:?}")
    } else {
        format!("{:?} … and {} more", &items[..12], items.len() - 12)
    }
}

// ---- verdicts that say what was seen -------------------------------------

/// What a pipeline test watches while the call runs.
struct Watch<'a> {
    /// Every item the producers made, and when.
    made: &'a Log,
    /// The items handed to `process` so far.
    taken: &'a dyn Fn() -> Vec<u32>,
    /// When the shutdown comes (drain tests), in ms since the test began.
    shutdown_ms: Option<u64>,
}

/// Awaits a pipeline call, or fails after [`PATIENCE`] of virtual time
/// with what was seen: producers that went on after the shutdown,
/// consumers that stopped with work left, or a queue that never closed.
async fn ends<F: Future>(call: &str, watch: &Watch<'_>, fut: F) -> F::Output {
    match tokio::time::timeout(PATIENCE, fut).await {
        Ok(output) => output,
        Err(_) => fail(stuck(call, watch)),
    }
}

fn stuck(call: &str, watch: &Watch<'_>) -> String {
    let mut lines =
        vec![format!("{call} was still running after {} of virtual time.", fmt_duration(PATIENCE))];
    let made = watch.made.entries();
    if let Some(shutdown) = watch.shutdown_ms {
        let late: Vec<u32> = made.iter().filter(|&&(_, t)| t >= shutdown).map(|&(i, _)| i).collect();
        if !late.is_empty() {
            lines.push(format!(
                "the shutdown came at {}, yet the producers went on: they made {} more items after it \
                 (the last at {}), so the queue never closed.",
                fmt_duration(ms(shutdown)),
                late.len(),
                fmt_duration(ms(made.iter().map(|&(_, t)| t).max().unwrap_or(0))),
            ));
            lines.push(
                "a producer stops at the shutdown: it waits for the next item *or* the token, in a \
                 select! (the producers of drain_on_shutdown in src/lib.rs)."
                    .into(),
            );
            return lines.join("\n");
        }
    }
    let taken = (watch.taken)();
    let untaken: Vec<u32> = made.iter().map(|&(i, _)| i).filter(|i| !taken.contains(i)).collect();
    if !untaken.is_empty() {
        let seen = if taken.is_empty() {
            format!("the producers made items {} and no consumer ever took one", list(&untaken))
        } else {
            format!(
                "items {} were made and never taken by a consumer, and nothing moved any more",
                list(&untaken)
            )
        };
        lines.push(format!(
            "{seen}: the consumers stopped, or never ran, while there was still work.\n\
             a consumer stops only when recv() gives None, once the queue is closed AND empty; a \
             queue that is empty for a moment (try_recv's Empty, at the start or between items) is \
             not the end of the work. and the consumers run at the same time as the producers \
             (the consumer loop in src/lib.rs)."
        ));
    } else {
        lines.push(
            "every item the producers made was processed, but the call did not end: the consumers \
             are still waiting in recv(), which gives None only once every Sender is dropped.\n\
             give each producer its own clone of the Sender and drop the original before you wait \
             (pipeline in src/lib.rs)."
                .into(),
        );
    }
    lines.join("\n")
}

/// Every item made was processed exactly once: the results are the items
/// made. Says which were lost and which were processed twice.
#[track_caller]
fn check_processed_once(results: Result<Vec<u32>, PipelineError>, made: &Log, what: &str, lost: &str) {
    let results = match results {
        Ok(results) => sorted(results),
        Err(e) => fail(format!("{what}: the call returned Err({e:?}) for good input; it should return Ok.")),
    };
    let made = sorted(made.items());
    if results == made {
        return;
    }
    let mut lines = vec![format!("{what}: the results are not the items made, once each.")];
    let mut unseen = results.clone();
    let mut missing = Vec::new();
    for i in &made {
        match unseen.iter().position(|r| r == i) {
            Some(at) => {
                unseen.remove(at);
            }
            None => missing.push(*i),
        }
    }
    if !missing.is_empty() {
        lines.push(format!("items made and never processed: {}. {lost}", list(&missing)));
    }
    let (twice, never_made): (Vec<u32>, Vec<u32>) = unseen.into_iter().partition(|i| made.contains(i));
    if !twice.is_empty() {
        lines.push(format!(
            "items processed more than once: {}. each item comes off the queue once and is processed once.",
            list(&twice)
        ));
    }
    if !never_made.is_empty() {
        lines.push(format!("results for items no producer made: {}.", list(&never_made)));
    }
    lines.push(format!("  made:         {} ({} items)", list(&made), made.len()));
    lines.push(format!("  your results: {} ({} items)", list(&results), results.len()));
    fail(lines.join("\n"))
}

/// Lost items in a pipeline that has no shutdown.
const LOST: &str = "did a consumer stop early, or a producer drop an item?";

/// The consumers of `tl` processed exactly `consumers` items at once at
/// their busiest: they work side by side.
#[track_caller]
fn check_consumers_side_by_side(tl: &Timeline, consumers: usize) {
    let peak = tl.peak();
    if peak < consumers {
        fail(format!(
            "at most {peak} item(s) were processed at once, with {consumers} consumers and items waiting \
             for all of them: the consumers took turns.\n\
             does a consumer keep the receiver's lock while it processes? `let item = \
             rx.lock().await.recv().await;` lets the guard go at the end of the statement; a guard kept \
             in a `let`, or the one in `while let Some(item) = rx.lock().await.recv().await` (it lives \
             for the whole loop body), is held across process(item).await. or are the consumers run one \
             after another instead of all at once? (the consumers in src/lib.rs)"
        ));
    } else if peak > consumers {
        fail(format!(
            "{peak} items were processed at once, with {consumers} consumers: each consumer processes \
             one item at a time, so at most {consumers} are in flight."
        ));
    }
}

// ---- task 1: pipeline ---------------------------------------------------

#[test]
fn pipeline_twenty_items_four_consumers_take_five_seconds() {
    checker::run_with(Limits::one_minute(), async {
        let tl = Timeline::new();
        let made = Log::default();
        let watch = Watch { made: &made, taken: &|| taken_from(&tl), shutdown_ms: None };
        let results =
            ends("pipeline", &watch, pipeline(vec![eager(0..20, &made)], 4, 4, on_timeline(&tl, 1000))).await;
        check_processed_once(results, &made, "20 items through 4 consumers", LOST);
        check_consumers_side_by_side(&tl, 4);
        let expected: Vec<_> = (0..20u64)
            .map(|i| {
                let start = i / 4 * 1000;
                done(&format!("item {i}"), start, start + 1000)
            })
            .collect();
        assert_schedule(&tl, &expected, "4 consumers take the items in queue order, four at a time");
        assert_elapsed(checker::elapsed(), 5000, "20 items of 1 s through 4 consumers");
    });
}

#[test]
fn pipeline_processes_every_item_exactly_once() {
    checker::run_with(Limits::one_minute(), async {
        let tl = Timeline::new();
        let made = Log::default();
        let watch = Watch { made: &made, taken: &|| taken_from(&tl), shutdown_ms: None };
        let producers = vec![eager(0..7, &made), eager(7..14, &made), eager(14..20, &made)];
        let results = ends("pipeline", &watch, pipeline(producers, 4, 2, on_timeline(&tl, 1000))).await;
        check_processed_once(results, &made, "3 producers' 20 items through 4 consumers", LOST);
        check_eq(tl.spans().len(), 20, "items processed, counting repeats: each must be processed once");
        check_consumers_side_by_side(&tl, 4);
        assert_elapsed(checker::elapsed(), 5000, "20 items of 1 s from 3 producers through 4 consumers");
    });
}

#[test]
fn pipeline_ends_when_the_last_producer_is_done() {
    checker::run_with(Limits::one_minute(), async {
        let tl = Timeline::new();
        let made = Log::default();
        let watch = Watch { made: &made, taken: &|| taken_from(&tl), shutdown_ms: None };
        // A makes items 0, 1, 2 at 100, 200, 300 ms; B makes item 10 3 s after it starts.
        // Between 600 ms and 3 s the queue is empty, and still open.
        let producers = vec![steady(0, Some(3), 100, &made), steady(10, Some(1), 3000, &made)];
        let results = ends("pipeline", &watch, pipeline(producers, 2, 2, on_timeline(&tl, 500))).await;
        check_processed_once(results, &made, "producers A (items 0, 1, 2) and B (item 10)", LOST);
        let b_made = made.at(10).unwrap_or(u64::MAX);
        if b_made != 3000 {
            let a_done = made.at(2).unwrap_or(0);
            let why = if b_made >= a_done + 3000 {
                format!(
                    "B takes 3 s to make its item, so it started at {}, when A was done: the producers ran \
                     one after another. run them all at once (join_all over the producers, joined with the \
                     consumers).",
                    fmt_duration(ms(b_made - 3000))
                )
            } else {
                "B starts at 0 s with A, and takes 3 s to make its item.".to_string()
            };
            fail(format!(
                "producer B made item 10 at {}; it should make it at 3.000 s.\n{why}",
                fmt_duration(ms(b_made))
            ));
        }
        check_eq(
            made.instants(),
            vec![100, 200, 300, 3000],
            "the instants (ms) the producers made items 0, 1, 2 (A, one every 100 ms) and 10 (B, after 3 s)",
        );
        assert_schedule(
            &tl,
            &[
                done("item 0", 100, 600),
                done("item 1", 200, 700),
                done("item 2", 600, 1100),
                done("item 10", 3000, 3500),
            ],
            "two consumers take each item as soon as one is free, and wait while the queue is empty",
        );
        assert_elapsed(
            checker::elapsed(),
            3500,
            "the last producer is done at 3.000 s and its item processed by 3.500 s: \
             then the queue is closed and empty, and the consumers stop",
        );
    });
}

#[test]
fn pipeline_slows_a_fast_producer_to_the_consumers_pace() {
    checker::run_with(Limits::one_minute(), async {
        let tl = Timeline::new();
        let asked = Log::default();
        let watch = Watch { made: &asked, taken: &|| taken_from(&tl), shutdown_ms: None };
        let results =
            ends("pipeline", &watch, pipeline(vec![eager(0..8, &asked)], 1, 2, on_timeline(&tl, 1000))).await;
        check_processed_once(results, &asked, "8 items through one consumer", LOST);
        check_eq(
            asked.instants(),
            vec![0, 0, 0, 0, 1000, 2000, 3000, 4000],
            "the instants (ms) the producer was asked for items 0 to 7. the consumer takes item 0 at once; \
             with room for 2 in the queue, items 1 and 2 wait in it and item 3 waits in the producer's \
             send() until the consumer takes item 1 at 1 s; from then on each send waits for room, and the \
             producer goes at the consumer's pace (a producer asks for its next item only once the last \
             one is in the queue)",
        );
        // Items made but not yet taken by the consumer, at their worst.
        let starts: Vec<u64> = (0..8)
            .map(|i| {
                tl.span(&format!("item {i}"))
                    .and_then(|s| s.fate.started)
                    .map_or(u64::MAX, |t| t.as_millis() as u64)
            })
            .collect();
        let most_waiting = asked
            .instants()
            .iter()
            .map(|&t| {
                asked.instants().iter().filter(|&&a| a <= t).count()
                    - starts.iter().filter(|&&s| s <= t).count()
            })
            .max()
            .unwrap_or(0);
        check_eq(
            most_waiting,
            3,
            "the most items ever made and not yet taken: 2 in a queue of capacity 2, and 1 in the producer's send()",
        );
        assert_elapsed(checker::elapsed(), 8000, "8 items of 1 s through one consumer");
    });
}

/// A call with bad input returns at once, with one of `allowed`, and asks
/// no producer for anything.
async fn refused<F>(call: &str, allowed: &[PipelineError], made: &Log, fut: F)
where
    F: Future<Output = Result<Vec<u32>, PipelineError>>,
{
    let result = within(
        PATIENCE,
        call,
        "with bad input the call must not start at all: check the input first and return the \
         PipelineError at once.",
        fut,
    )
    .await;
    let wanted = if allowed.len() == 1 {
        format!("Err({:?})", allowed[0])
    } else {
        format!("one of {}", allowed.iter().map(|e| format!("Err({e:?})")).collect::<Vec<_>>().join(", "))
    };
    match result {
        Err(e) if allowed.contains(&e) => {}
        other => fail(format!("{call}\n  expected: {wanted}\n  yours:    {other:?}")),
    }
    check_eq(
        made.items(),
        vec![],
        &format!("{call}: items the producers were asked for (none: refuse first)"),
    );
    assert_elapsed(checker::elapsed(), 0, &format!("{call}: the error comes back at once"));
}

#[test]
fn pipeline_refuses_zero_consumers() {
    checker::run_with(Limits::one_minute(), async {
        let (tl, made) = (Timeline::new(), Log::default());
        let call = pipeline(vec![eager(0..20, &made)], 0, 4, on_timeline(&tl, 1000));
        refused("pipeline with no consumer", &[PipelineError::NoConsumers], &made, call).await;
    });
}

#[test]
fn pipeline_refuses_zero_capacity() {
    checker::run_with(Limits::one_minute(), async {
        let (tl, made) = (Timeline::new(), Log::default());
        let call = pipeline(vec![eager(0..20, &made)], 4, 0, on_timeline(&tl, 1000));
        refused(
            "pipeline with a queue of capacity 0 (mpsc::channel(0) would panic)",
            &[PipelineError::ZeroCapacity],
            &made,
            call,
        )
        .await;
    });
}

#[test]
fn pipeline_refuses_zero_consumers_and_zero_capacity_with_either_error() {
    checker::run_with(Limits::one_minute(), async {
        let (tl, made) = (Timeline::new(), Log::default());
        let call = pipeline(vec![eager(0..20, &made)], 0, 0, on_timeline(&tl, 1000));
        refused(
            "pipeline with no consumer and a queue of capacity 0 (either error will do)",
            &[PipelineError::NoConsumers, PipelineError::ZeroCapacity],
            &made,
            call,
        )
        .await;
    });
}

// ---- task 2: PriorityQueue ----------------------------------------------

/// Pops `n` items that are all waiting already.
async fn pop_n<T>(queue: &PriorityQueue<T>, n: usize) -> Vec<Option<T>> {
    let mut popped = Vec::new();
    for _ in 0..n {
        popped.push(queue.pop().await);
    }
    popped
}

/// The pops came out as `expected`; says at which pop they first differ.
#[track_caller]
fn check_pop_order<T: std::fmt::Debug + PartialEq>(popped: &[Option<T>], expected: &[Option<T>], what: &str) {
    let Some(at) = first_difference(popped, expected) else {
        return;
    };
    fail(format!(
        "{what}.\npop number {} gave {:?}; it should give {:?}.\n  expected: {}\n  yours:    {}",
        at + 1,
        popped.get(at),
        expected.get(at),
        short(expected, at),
        short(popped, at),
    ))
}

/// Up to 8 pops from a few before `at`.
fn short<T: std::fmt::Debug>(pops: &[Option<T>], at: usize) -> String {
    let from = at.saturating_sub(3);
    let to = (from + 8).min(pops.len());
    let shown: Vec<String> = pops[from..to].iter().map(|p| format!("{p:?}")).collect();
    format!(
        "{}[{}]{}",
        if from > 0 { format!("(pops {}..) ", from + 1) } else { String::new() },
        shown.join(", "),
        if to < pops.len() { " …" } else { "" }
    )
}

#[test]
fn priority_queue_pops_the_highest_priority_first_fifo_among_equals() {
    checker::run_with(Limits::one_minute(), async {
        let queue = PriorityQueue::new();
        let pushes =
            [(1, "a"), (u32::MAX, "b"), (1, "c"), (u32::MAX, "d"), (2, "e"), (1, "f"), (0, "g"), (2, "h")];
        for (priority, item) in pushes {
            queue.push(priority, item).expect("an open queue takes every push");
        }
        check_eq(queue.len(), 8, "items waiting after eight pushes");
        let popped = pop_n(&queue, 8).await;
        check_pop_order(
            &popped,
            &["b", "d", "e", "h", "a", "c", "f", "g"].map(Some),
            "pushed (1 a) (MAX b) (1 c) (MAX d) (2 e) (1 f) (0 g) (2 h): popped highest priority first \
             (u32::MAX the highest, 0 the lowest), and in push order among equal priorities",
        );
        check_eq(queue.len(), 0, "items waiting once all were popped");
        assert_elapsed(checker::elapsed(), 0, "popping a queue that has items");
    });
}

#[test]
fn priority_queue_keeps_a_hundred_equal_priorities_in_push_order() {
    checker::run_with(Limits::one_minute(), async {
        // 100 items of one priority, pushed in two runs with pops between.
        let queue = PriorityQueue::new();
        for i in 0..60u32 {
            queue.push(7, i).expect("an open queue takes every push");
        }
        let mut popped = pop_n(&queue, 10).await;
        for i in 60..100u32 {
            queue.push(7, i).expect("an open queue takes every push");
        }
        popped.extend(pop_n(&queue, 90).await);
        let in_order: Vec<Option<u32>> = (0..100).map(Some).collect();
        check_pop_order(
            &popped,
            &in_order,
            "items 0 to 99, all of priority 7, pushed in order (10 popped after the 60th push): among equal \
             priorities the first pushed pops first, however many there are (a BinaryHeap is not stable: \
             keep a sequence number beside each item and compare it too)",
        );

        // 200 items of two priorities, interleaved.
        for i in 0..200u32 {
            queue.push(i % 2, i).expect("an open queue takes every push");
        }
        let popped = pop_n(&queue, 200).await;
        let expected: Vec<Option<u32>> =
            (0..200).filter(|i| i % 2 == 1).chain((0..200).step_by(2)).map(Some).collect();
        check_pop_order(
            &popped,
            &expected,
            "items 0 to 199 pushed in order, the odd ones at priority 1 and the even ones at 0: the 100 odd \
             ones first, in push order, then the 100 even ones, in push order",
        );
        assert_elapsed(checker::elapsed(), 0, "popping a queue that has items");
    });
}

#[test]
fn priority_queue_pop_waits_while_empty() {
    checker::run_with(Limits::one_minute(), async {
        let queue = Arc::new(PriorityQueue::new());
        let popper = {
            let queue = queue.clone();
            tokio::spawn(async move {
                let item = queue.pop().await;
                (item, checker::elapsed())
            })
        };
        tokio::time::sleep(ms(500)).await;
        queue.push(1, "late").expect("an open queue takes a push");
        let (item, at) = popper.await.expect("the popper task ends");
        check_eq(item, Some("late"), "pop on an empty queue waits for the next push, then returns its item");
        check_eq(at, ms(500), "the instant pop returned: the item was pushed at 500 ms");
    });
}

#[test]
fn priority_queue_pop_gives_none_only_when_closed_and_empty() {
    checker::run_with(Limits::one_minute(), async {
        let queue = Arc::new(PriorityQueue::new());
        // A popper pops until None, writing down what it got and when.
        let popper = || {
            let queue = queue.clone();
            tokio::spawn(async move {
                let mut got = Vec::new();
                loop {
                    let item = queue.pop().await;
                    got.push((item, now_ms()));
                    if item.is_none() {
                        return got;
                    }
                }
            })
        };
        // P1 waits from 0 ms. At 100 ms P2 arrives as "a" is pushed: one of
        // them gets it, and the other, woken or not, finds the queue empty
        // and open, and waits on. "b" comes at 200 ms; the close at 300 ms.
        let first = popper();
        tokio::time::sleep(ms(100)).await;
        let second = popper();
        queue.push(1, "a").expect("an open queue takes a push");
        tokio::time::sleep(ms(100)).await;
        queue.push(1, "b").expect("an open queue takes a push");
        tokio::time::sleep(ms(100)).await;
        queue.close();
        let mut pops = Vec::new();
        for popper in [first, second] {
            let got = within(
                PATIENCE,
                "a pop waiting on a queue closed at 300 ms",
                "close() must wake every pop that waits (Notify::notify_waiters).",
                popper,
            )
            .await
            .expect("the popper task ends");
            pops.push(got);
        }
        for got in &pops {
            if let Some(&(_, at)) = got.iter().find(|&&(item, at)| item.is_none() && at < 300) {
                fail(format!(
                    "a pop gave None at {}, while the queue was open (it is closed at 300 ms); that popper \
                     got {got:?} (item, ms).\n\
                     two pops wait on an empty queue and one item comes: the pop that does not get it \
                     finds the queue empty again, and must wait on. pop gives None only once the queue \
                     is closed AND empty: look again after every wake-up (a loop around notified()).",
                    fmt_duration(ms(at))
                ));
            }
        }
        let mut items: Vec<(Option<&str>, u64)> =
            pops.iter().flatten().copied().filter(|(item, _)| item.is_some()).collect();
        items.sort();
        check_eq(
            items,
            vec![(Some("a"), 100), (Some("b"), 200)],
            "the items two waiting pops got, and when (ms): \"a\" pushed at 100 ms, \"b\" at 200 ms \
             (either popper may get either item)",
        );
        check_eq(
            pops.iter().map(|got| got.last().copied()).collect::<Vec<_>>(),
            vec![Some((None, 300)); 2],
            "what each popper got last, and when: None at 300 ms, when the queue is closed and empty",
        );
    });
}

#[test]
fn priority_queue_after_close_and_empty_pop_is_none() {
    checker::run_with(Limits::one_minute(), async {
        let queue = PriorityQueue::new();
        queue.push(1, "low").expect("an open queue takes a push");
        queue.push(2, "high").expect("an open queue takes a push");
        queue.close();
        check_eq(queue.push(3, "too late"), Err("too late"), "a closed queue hands a pushed item back");
        check_eq(queue.len(), 2, "items waiting in a closed queue (a refused push adds none)");
        let popped = vec![queue.pop().await, queue.pop().await, queue.pop().await];
        check_eq(
            popped,
            vec![Some("high"), Some("low"), None],
            "a closed queue still gives what it holds, then None",
        );
        assert_elapsed(checker::elapsed(), 0, "popping a closed queue never waits");
    });
}

#[test]
fn priority_queue_close_wakes_a_waiting_pop() {
    checker::run_with(Limits::one_minute(), async {
        let queue = Arc::new(PriorityQueue::<&str>::new());
        let poppers: Vec<_> = (0..3)
            .map(|_| {
                let queue = queue.clone();
                tokio::spawn(async move {
                    let item = queue.pop().await;
                    (item, checker::elapsed())
                })
            })
            .collect();
        tokio::time::sleep(ms(300)).await;
        queue.close();
        let mut ended = Vec::new();
        for popper in poppers {
            let popped = within(
                PATIENCE,
                "a pop waiting on a queue that was closed at 300 ms",
                "close() must wake every pop that waits (Notify::notify_waiters), not only one.",
                popper,
            )
            .await;
            ended.push(popped.expect("the popper task ends"));
        }
        check_eq(
            ended,
            vec![(None, ms(300)); 3],
            "three pops waiting on an empty queue, closed at 300 ms: each gets None at 300 ms \
             (close must wake every waiter, not just one)",
        );
    });
}

// ---- task 3: consume ----------------------------------------------------

#[test]
fn consume_puts_a_failing_item_in_the_dead_letters_and_carries_on() {
    checker::run_with(Limits::one_minute(), async {
        let tl = Timeline::new();
        let (tx, rx) = mpsc::channel(8);
        for i in 1..=6u32 {
            tx.try_send(i).expect("the channel has room for six items");
        }
        drop(tx);
        let consumed = within(
            PATIENCE,
            "consume of six items",
            "the queue is closed once its six items are taken: recv() then gives None.",
            consume(rx, |i| {
                tl.job(
                    format!("item {i}"),
                    200,
                    if i % 2 == 1 && i > 1 { Err(format!("item {i} is odd")) } else { Ok(i * 10) },
                )
            }),
        )
        .await;
        check_eq(
            tl.spans().len(),
            6,
            "items processed, counting repeats: each must be processed exactly once (a failure is not retried)",
        );
        check_eq(
            consumed,
            Consumed {
                done: vec![10, 20, 40, 60],
                dead: vec![
                    DeadLetter { item: 3, error: "item 3 is odd".to_string() },
                    DeadLetter { item: 5, error: "item 5 is odd".to_string() },
                ],
            },
            "items 3 and 5 fail: they go to the dead letters, with their error, and the consumer carries on",
        );
        assert_schedule(
            &tl,
            &[
                done("item 1", 0, 200),
                done("item 2", 200, 400),
                done("item 3", 400, 600),
                done("item 4", 600, 800),
                done("item 5", 800, 1000),
                done("item 6", 1000, 1200),
            ],
            "one consumer processes the items one after another, failures included",
        );
        assert_elapsed(checker::elapsed(), 1200, "six items of 200 ms");
    });
}

#[test]
fn consume_waits_while_the_queue_is_empty_and_stops_when_it_is_closed() {
    checker::run_with(Limits::one_minute(), async {
        let tl = Timeline::new();
        let (tx, rx) = mpsc::channel(4);
        // Items 1, 2, 3 sent at 100, 700 and 1 500 ms; the queue closed at 2 500 ms.
        tokio::spawn(async move {
            for (wait, item) in [(100, 1u32), (600, 2), (800, 3)] {
                tokio::time::sleep(ms(wait)).await;
                tx.send(item).await.expect("consume keeps its receiver until the queue is closed");
            }
            tokio::time::sleep(ms(1000)).await;
            drop(tx);
        });
        let consumed = within(
            PATIENCE,
            "consume of a queue closed at 2.500 s",
            "the queue is closed at 2.500 s: recv() then gives None, and consume returns.",
            consume(rx, |i| {
                tl.job(
                    format!("item {i}"),
                    200,
                    if i == 2 { Err(format!("item {i} is bad")) } else { Ok(i * 10) },
                )
            }),
        )
        .await;
        let returned = checker::elapsed();
        if returned < ms(2500) {
            fail(format!(
                "consume returned at {}, while the queue was still open (it is closed at 2.500 s), having \
                 processed items {:?} of the 1, 2, 3 sent at 100, 700 and 1 500 ms.\n\
                 an empty queue is not a closed one: the consumer stops only when recv() gives None, once \
                 the queue is closed AND empty (consume in src/lib.rs).",
                fmt_duration(returned),
                taken_from(&tl)
            ));
        }
        check_eq(
            consumed,
            Consumed {
                done: vec![10, 30],
                dead: vec![DeadLetter { item: 2, error: "item 2 is bad".to_string() }],
            },
            "items 1, 2, 3 sent with pauses between, item 2 failing",
        );
        assert_schedule(
            &tl,
            &[done("item 1", 100, 300), done("item 2", 700, 900), done("item 3", 1500, 1700)],
            "the consumer takes each item the moment it is sent, and waits while the queue is empty",
        );
        assert_elapsed(returned, 2500, "consume returns when the queue is closed and empty: at 2.500 s");
    });
}

#[test]
fn consume_of_a_closed_empty_queue_is_empty() {
    checker::run_with(Limits::one_minute(), async {
        let (tx, rx) = mpsc::channel::<u32>(1);
        drop(tx);
        let consumed = consume(rx, |i| async move { Ok::<u32, String>(i) }).await;
        check_eq(consumed, Consumed { done: vec![], dead: vec![] }, "nothing to consume");
        assert_elapsed(checker::elapsed(), 0, "consuming a closed, empty queue");
    });
}

// ---- task 4: drain_on_shutdown ------------------------------------------

/// Lost items in a drain.
const LOST_IN_DRAIN: &str = "an item a producer holds is sent whatever happens (a send inside a select! is \
     dropped with its item when the shutdown wins), and the consumers drain the queue: only the producers \
     watch the token.";

/// No item was made at or after the shutdown, at `shutdown_ms`.
#[track_caller]
fn check_nothing_made_after(made: &Log, shutdown_ms: u64, what: &str) {
    let late: Vec<(u32, u64)> = made.entries().into_iter().filter(|&(_, t)| t >= shutdown_ms).collect();
    if let Some(&(item, at)) = late.first() {
        fail(format!(
            "{what}: the shutdown came at {}, and a producer made item {item} at {}, after it ({} item(s) made \
             after the shutdown in all).\n\
             a producer waiting for its next item stops at the shutdown, not when the item comes: wait for \
             the next item *or* the token in a select!, and let the shutdown win when both are ready \
             (`biased;`, shutdown branch first). checking is_cancelled() only between items is not enough.",
            fmt_duration(ms(shutdown_ms)),
            fmt_duration(ms(at)),
            late.len()
        ));
    }
}

#[test]
fn drain_on_shutdown_processes_everything_made_and_loses_nothing() {
    checker::run_with(Limits::one_minute(), async {
        let tl = Timeline::new();
        let made = Log::default();
        let watch = Watch { made: &made, taken: &|| taken_from(&tl), shutdown_ms: Some(1000) };
        let shutdown = CancellationToken::new();
        cancel_after(&shutdown, 1000);
        // One item every 70 ms, forever, into a queue of 3; one consumer at 250 ms an item.
        let producers = vec![steady(0, None, 70, &made)];
        let results = ends(
            "drain_on_shutdown, shut down at 1 s,",
            &watch,
            drain_on_shutdown(producers, 1, 3, &shutdown, on_timeline(&tl, 250)),
        )
        .await;
        check_processed_once(
            results,
            &made,
            "one producer, shut down at 1 s: every item it made is processed, the one waiting in send() too",
            LOST_IN_DRAIN,
        );
        check_eq(
            made.instants(),
            vec![70, 140, 210, 280, 350, 420, 640, 890],
            "the instants (ms) the producer made its items: every 70 ms while there is room, \
             then at the consumer's pace; item 7, made at 890 ms, waits in send() for room when the shutdown comes at 1 s",
        );
        assert_schedule(
            &tl,
            &[
                done("item 3", 820, 1070),
                done("item 4", 1070, 1320),
                done("item 5", 1320, 1570),
                done("item 6", 1570, 1820),
                done("item 7", 1820, 2070),
            ],
            "after the shutdown at 1 s, the consumer drains the queue, item after item",
        );
        assert_elapsed(checker::elapsed(), 2070, "shutdown at 1 s, then the queue drained");
    });
}

#[test]
fn drain_on_shutdown_with_many_producers_and_consumers() {
    checker::run_with(Limits::one_minute(), async {
        let tl = Timeline::new();
        let made = Log::default();
        let watch = Watch { made: &made, taken: &|| taken_from(&tl), shutdown_ms: Some(1050) };
        let shutdown = CancellationToken::new();
        cancel_after(&shutdown, 1050);
        // Three producers, one item every 90, 130 and 110 ms; a queue of 2; two consumers at 300 ms.
        let producers =
            vec![steady(0, None, 90, &made), steady(100, None, 130, &made), steady(200, None, 110, &made)];
        let results = ends(
            "drain_on_shutdown, shut down at 1.050 s,",
            &watch,
            drain_on_shutdown(producers, 2, 2, &shutdown, on_timeline(&tl, 300)),
        )
        .await;
        check_processed_once(results, &made, "three producers, shut down at 1.050 s", LOST_IN_DRAIN);
        let first_made: Vec<Option<u64>> = [0, 100, 200].map(|i| made.at(i)).to_vec();
        check_eq(
            first_made,
            vec![Some(90), Some(130), Some(110)],
            "the instants (ms) the three producers made their first item: all three start at 0 s, \
             and make one item every 90, 130 and 110 ms (the producers run at once, not one after another)",
        );
        check_nothing_made_after(&made, 1050, "three producers, shut down at 1.050 s");
        check_consumers_side_by_side(&tl, 2);
        assert_elapsed(checker::elapsed(), 1890, "shutdown at 1.050 s, then two consumers drain the queue");
    });
}

#[test]
fn drain_on_shutdown_never_asks_a_ready_producer_for_an_item_after_the_shutdown() {
    checker::run_with(Limits::one_minute(), async {
        // 32 rounds of one contest: the shutdown has come, and the producer's
        // next item is ready too. The shutdown must win every time.
        for round in 1..=32 {
            let t0 = now_ms();
            let made = Log::default();
            let taken = Log::default();
            let watch = Watch { made: &made, taken: &|| taken.items(), shutdown_ms: Some(t0 + 250) };
            let shutdown = CancellationToken::new();
            cancel_after(&shutdown, 250);
            let process = |i: u32| {
                taken.push(i);
                async move {
                    tokio::time::sleep(ms(100)).await;
                    i
                }
            };
            let results = ends(
                &format!("round {round} of drain_on_shutdown, shut down 250 ms after it began,"),
                &watch,
                drain_on_shutdown(vec![always_ready(&made)], 1, 1, &shutdown, process),
            )
            .await;
            let late: Vec<(u32, u64)> = made.entries().into_iter().filter(|&(_, t)| t >= t0 + 250).collect();
            if !late.is_empty() {
                let asked: Vec<String> =
                    late.iter().map(|&(i, t)| format!("item {i} at {} ms", t - t0)).collect();
                fail(format!(
                    "round {round} of 32: the shutdown came at 250 ms while the producer waited in send() with \
                     item 4; when that send was done (300 ms), the shutdown and the producer's next item were \
                     both ready, and your producer asked for the item: {}.\n\
                     a producer asks for nothing once the shutdown has come. a select! without `biased;` picks \
                     a ready branch at random (so this happens in some rounds and not others): write \
                     `biased;` first and the shutdown branch before the stream's (the \
                     producers of drain_on_shutdown in src/lib.rs).",
                    asked.join(", ")
                ));
            }
            check_processed_once(results, &made, &format!("round {round} of 32"), LOST_IN_DRAIN);
            let rel: Vec<u64> = made.instants().into_iter().map(|t| t - t0).collect();
            check_eq(
                rel,
                vec![0, 0, 0, 100, 200],
                &format!(
                    "round {round} of 32: the instants (ms) an always-ready producer made its items, into a \
                     queue of 1 drained by one consumer at 100 ms an item, shut down at 250 ms"
                ),
            );
            assert_elapsed(
                ms(now_ms() - t0),
                500,
                &format!("round {round} of 32: items 0 to 4, the last ending at 500 ms"),
            );
        }
    });
}

#[test]
fn drain_on_shutdown_after_the_shutdown_asks_no_producer_for_anything() {
    checker::run_with(Limits::one_minute(), async {
        // The token is cancelled before the call: 32 always-ready producers,
        // and each of them must stop before asking for an item.
        let made = Log::default();
        let taken = Log::default();
        let watch = Watch { made: &made, taken: &|| taken.items(), shutdown_ms: Some(0) };
        let shutdown = CancellationToken::new();
        shutdown.cancel();
        let producers: Vec<_> = (0..32).map(|_| always_ready(&made)).collect();
        let process = |i: u32| {
            taken.push(i);
            async move {
                tokio::time::sleep(ms(100)).await;
                i
            }
        };
        let results = ends(
            "drain_on_shutdown with the shutdown already come",
            &watch,
            drain_on_shutdown(producers, 2, 1, &shutdown, process),
        )
        .await;
        let asked = made.items().len();
        if asked > 0 {
            fail(format!(
                "the shutdown had come before the call, yet your producers asked their streams for {asked} \
                 item(s) (32 producers, each ready with an item).\n\
                 a producer asks for nothing once the shutdown has come. a select! without `biased;` picks a \
                 ready branch at random: write `biased;` first and the shutdown branch before the stream's \
                 (the producers of drain_on_shutdown in src/lib.rs)."
            ));
        }
        check_eq(
            results,
            Ok(vec![]),
            "drain_on_shutdown with the shutdown already come: nothing made, nothing processed",
        );
        assert_elapsed(checker::elapsed(), 0, "a drain with nothing to do returns at once");
    });
}

#[test]
fn drain_on_shutdown_refuses_bad_input() {
    checker::run_with(Limits::one_minute(), async {
        let tl = Timeline::new();
        let made = Log::default();
        let shutdown = CancellationToken::new();
        let call = drain_on_shutdown(vec![eager(0..5, &made)], 0, 2, &shutdown, on_timeline(&tl, 100));
        refused("drain_on_shutdown with no consumer", &[PipelineError::NoConsumers], &made, call).await;
        let call = drain_on_shutdown(vec![eager(0..5, &made)], 2, 0, &shutdown, on_timeline(&tl, 100));
        refused("drain_on_shutdown with a queue of capacity 0", &[PipelineError::ZeroCapacity], &made, call)
            .await;
        let call = drain_on_shutdown(vec![eager(0..5, &made)], 0, 0, &shutdown, on_timeline(&tl, 100));
        refused(
            "drain_on_shutdown with no consumer and a queue of capacity 0 (either error will do)",
            &[PipelineError::NoConsumers, PipelineError::ZeroCapacity],
            &made,
            call,
        )
        .await;
    });
}
