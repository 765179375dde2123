//! Tests for 05-producer-consumer. The same file tests the stub (in
//! exercises/) and the solution (in solutions/): both build a library
//! called `producer_consumer`.
//!
//! Producers are streams the tests make: some hand out their items at
//! once, some make one every so often, and some write down the instant
//! each item was asked for. Processing an item sleeps on the paused
//! virtual clock, so "the pipeline ends at exactly 5 s" is an `==` that
//! never flakes. Test names start with the task they check.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use checker::{Limits, Timeline, assert_elapsed, assert_peak, assert_schedule, check_eq, done, ms, within};
use futures::StreamExt;
use futures::stream::{self, BoxStream};
use producer_consumer::{
    Consumed, DeadLetter, PipelineError, PriorityQueue, consume, drain_on_shutdown, pipeline,
};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// A producer that hands out `items` as fast as it is asked.
fn eager(items: std::ops::Range<u32>) -> BoxStream<'static, u32> {
    stream::iter(items).boxed()
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

/// A shared list of (item, virtual instant in ms), in the order written.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<(u32, u64)>>>);

impl Log {
    fn push(&self, item: u32) {
        self.0.lock().unwrap().push((item, checker::elapsed().as_millis() as u64));
    }
    fn items(&self) -> Vec<u32> {
        self.0.lock().unwrap().iter().map(|&(i, _)| i).collect()
    }
    fn instants(&self) -> Vec<u64> {
        self.0.lock().unwrap().iter().map(|&(_, t)| t).collect()
    }
}

/// Processing that takes `ms` and is put on the timeline as "item N".
fn on_timeline(tl: &Timeline, ms: u64) -> impl Fn(u32) -> checker::Job<u32> + '_ {
    move |i| tl.job(format!("item {i}"), ms, i)
}

fn sorted(mut v: Vec<u32>) -> Vec<u32> {
    v.sort_unstable();
    v
}

/// How long a call may run before a test calls it a hang: far longer than
/// any of these tests needs, and instant in real time.
const PATIENCE: Duration = ms(30_000);

/// A shorter virtual-time guard for the tests a wrong answer can hang.
fn one_minute() -> Limits {
    Limits::with_virtual_limit(ms(60_000))
}

/// Why a pipeline that processed everything may still not end.
const NEVER_CLOSED: &str = "the consumers are still waiting in recv(): it gives None only once every Sender \
     is dropped.\ngive each producer its own clone of the Sender and drop the original before you wait.";

// ---- task 1: pipeline ---------------------------------------------------

#[test]
fn pipeline_twenty_items_four_consumers_take_five_seconds() {
    checker::run_with(one_minute(), async {
        let tl = Timeline::new();
        let results = within(
            PATIENCE,
            "pipeline",
            NEVER_CLOSED,
            pipeline(vec![eager(0..20)], 4, 4, on_timeline(&tl, 1000)),
        )
        .await;
        assert_elapsed(checker::elapsed(), 5000, "20 items of 1 s through 4 consumers");
        let expected: Vec<_> = (0..20u64)
            .map(|i| {
                let start = i / 4 * 1000;
                done(&format!("item {i}"), start, start + 1000)
            })
            .collect();
        assert_schedule(&tl, &expected, "4 consumers take the items in queue order, four at a time");
        assert_peak(&tl, 4, "4 consumers process at most 4 items at once");
        check_eq(results.map(sorted), Ok((0..20).collect()), "every item's result, once each");
    });
}

#[test]
fn pipeline_processes_every_item_exactly_once() {
    checker::run_with(one_minute(), async {
        let tl = Timeline::new();
        let producers = vec![eager(0..7), eager(7..14), eager(14..20)];
        let results =
            within(PATIENCE, "pipeline", NEVER_CLOSED, pipeline(producers, 4, 2, on_timeline(&tl, 1000)))
                .await;
        check_eq(
            results.map(sorted),
            Ok((0..20).collect()),
            "the results of 3 producers' 20 items (sorted): each item processed exactly once, none lost",
        );
        check_eq(tl.spans().len(), 20, "items processed, counting repeats: each must be processed once");
        assert_peak(&tl, 4, "4 consumers process at most 4 items at once");
        assert_elapsed(checker::elapsed(), 5000, "20 items of 1 s from 3 producers through 4 consumers");
    });
}

#[test]
fn pipeline_ends_when_the_last_producer_is_done() {
    checker::run_with(one_minute(), async {
        let tl = Timeline::new();
        let made = Log::default();
        // A makes items 0, 1, 2 at 100, 200, 300 ms; B makes item 10 at 3 s.
        let producers = vec![steady(0, Some(3), 100, &made), steady(10, Some(1), 3000, &made)];
        let results =
            within(PATIENCE, "pipeline", NEVER_CLOSED, pipeline(producers, 2, 2, on_timeline(&tl, 500)))
                .await;
        check_eq(results.map(sorted), Ok(vec![0, 1, 2, 10]), "every item made, processed once");
        assert_schedule(
            &tl,
            &[
                done("item 0", 100, 600),
                done("item 1", 200, 700),
                done("item 2", 600, 1100),
                done("item 10", 3000, 3500),
            ],
            "two consumers take each item as soon as one is free",
        );
        assert_elapsed(
            checker::elapsed(),
            3500,
            "the last producer is done at 3.000 s and its item processed by 3.500 s: \
             then the queue must close (every Sender dropped) so the consumers stop",
        );
    });
}

#[test]
fn pipeline_slows_a_fast_producer_to_the_consumers_pace() {
    checker::run_with(one_minute(), async {
        let tl = Timeline::new();
        let asked = Log::default();
        let producer = {
            let asked = asked.clone();
            stream::iter(0..8u32)
                .map(move |i| {
                    asked.push(i);
                    i
                })
                .boxed()
        };
        let results = within(
            PATIENCE,
            "pipeline",
            NEVER_CLOSED,
            pipeline(vec![producer], 1, 2, on_timeline(&tl, 1000)),
        )
        .await;
        check_eq(results.map(sorted), Ok((0..8).collect()), "every item processed once");
        check_eq(
            asked.instants(),
            vec![0, 0, 0, 0, 1000, 2000, 3000, 4000],
            "the instants (ms) the producer was asked for items 0 to 7. with room for 2 in the queue, \
             items 1 and 2 wait in it and item 3 waits in the producer's send() until the consumer takes \
             item 1 at 1 s; from then on each send waits for room, and the producer goes at the consumer's pace",
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
        // The producer asks for item k + 1 the moment its send of item k is
        // done: so item k is in the queue from asked[k + 1] until it starts.
        let sent: Vec<u64> = asked.instants().into_iter().skip(1).collect();
        let most_queued = sent
            .iter()
            .map(|&t| sent.iter().filter(|&&d| d <= t).count() - starts.iter().filter(|&&s| s <= t).count())
            .max()
            .unwrap_or(0);
        check_eq(most_queued, 2, "the most items ever in the queue at once: its capacity is 2");
        assert_elapsed(checker::elapsed(), 8000, "8 items of 1 s through one consumer");
    });
}

#[test]
fn pipeline_refuses_zero_consumers() {
    checker::run_with(one_minute(), async {
        let tl = Timeline::new();
        let result = within(
            PATIENCE,
            "pipeline with no consumer",
            "nothing takes the items, so the producers wait forever for room: check the input first \
             and return PipelineError::NoConsumers at once.",
            pipeline(vec![eager(0..20)], 0, 4, on_timeline(&tl, 1000)),
        )
        .await;
        check_eq(result, Err(PipelineError::NoConsumers), "a pipeline with no consumer");
        assert_elapsed(checker::elapsed(), 0, "the error comes back at once, before anything starts");
    });
}

#[test]
fn pipeline_refuses_zero_capacity() {
    checker::run_with(one_minute(), async {
        let tl = Timeline::new();
        let result = pipeline(vec![eager(0..20)], 4, 0, on_timeline(&tl, 1000)).await;
        check_eq(
            result,
            Err(PipelineError::ZeroCapacity),
            "a pipeline with a queue of capacity 0 (mpsc::channel(0) would panic)",
        );
        assert_elapsed(checker::elapsed(), 0, "the error comes back at once, before anything starts");
    });
}

// ---- task 2: PriorityQueue ----------------------------------------------

#[test]
fn priority_queue_pops_the_highest_priority_first_fifo_among_equals() {
    checker::run_with(one_minute(), async {
        let queue = PriorityQueue::new();
        for (priority, item) in [(1, "a"), (3, "b"), (1, "c"), (3, "d"), (2, "e"), (1, "f")] {
            queue.push(priority, item).expect("an open queue takes every push");
        }
        check_eq(queue.len(), 6, "items waiting after six pushes");
        let mut popped = Vec::new();
        for _ in 0..6 {
            popped.push(queue.pop().await);
        }
        check_eq(
            popped,
            ["b", "d", "e", "a", "c", "f"].map(Some).to_vec(),
            "pushed (1 a) (3 b) (1 c) (3 d) (2 e) (1 f): popped highest priority first, \
             and in push order among equal priorities",
        );
        assert_elapsed(checker::elapsed(), 0, "popping a queue that has items");
    });
}

#[test]
fn priority_queue_pop_waits_while_empty() {
    checker::run_with(one_minute(), async {
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
fn priority_queue_after_close_and_empty_pop_is_none() {
    checker::run_with(one_minute(), async {
        let queue = PriorityQueue::new();
        queue.push(1, "low").expect("an open queue takes a push");
        queue.push(2, "high").expect("an open queue takes a push");
        queue.close();
        check_eq(queue.push(3, "too late"), Err("too late"), "a closed queue hands a pushed item back");
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
    checker::run_with(one_minute(), async {
        let queue = Arc::new(PriorityQueue::<&str>::new());
        let poppers: Vec<_> = (0..2)
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
            vec![(None, ms(300)), (None, ms(300))],
            "two pops waiting on an empty queue, closed at 300 ms: both get None at 300 ms \
             (close must wake every waiter, not just one)",
        );
    });
}

// ---- task 3: consume ----------------------------------------------------

#[test]
fn consume_puts_a_failing_item_in_the_dead_letters_and_carries_on() {
    checker::run_with(one_minute(), async {
        let tl = Timeline::new();
        let (tx, rx) = mpsc::channel(8);
        for i in 1..=6u32 {
            tx.try_send(i).expect("the channel has room for six items");
        }
        drop(tx);
        let consumed = consume(rx, |i| {
            tl.job(
                format!("item {i}"),
                200,
                if i % 2 == 1 && i > 1 { Err(format!("item {i} is odd")) } else { Ok(i * 10) },
            )
        })
        .await;
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
        check_eq(
            tl.spans().len(),
            6,
            "items processed, counting repeats: each must be processed exactly once",
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
fn consume_of_a_closed_empty_queue_is_empty() {
    checker::run_with(one_minute(), async {
        let (tx, rx) = mpsc::channel::<u32>(1);
        drop(tx);
        let consumed = consume(rx, |i| async move { Ok::<u32, String>(i) }).await;
        check_eq(consumed, Consumed { done: vec![], dead: vec![] }, "nothing to consume");
        assert_elapsed(checker::elapsed(), 0, "consuming a closed, empty queue");
    });
}

// ---- task 4: drain_on_shutdown ------------------------------------------

/// Cancels `token` after `after_ms`, from a task of its own.
fn cancel_at(token: &CancellationToken, after_ms: u64) {
    let token = token.clone();
    tokio::spawn(async move {
        tokio::time::sleep(ms(after_ms)).await;
        token.cancel();
    });
}

#[test]
fn drain_on_shutdown_processes_everything_made_and_loses_nothing() {
    checker::run_with(one_minute(), async {
        let tl = Timeline::new();
        let made = Log::default();
        let shutdown = CancellationToken::new();
        cancel_at(&shutdown, 1000);
        // One item every 70 ms, forever, into a queue of 3; one consumer at 250 ms an item.
        let producers = vec![steady(0, None, 70, &made)];
        let results = within(
            PATIENCE,
            "drain_on_shutdown, shut down at 1 s,",
            "the producers must stop at the shutdown (wait for the next item or the token, in a select!), \
             so that the queue closes and the consumers can drain it and stop.",
            drain_on_shutdown(producers, 1, 3, &shutdown, on_timeline(&tl, 250)),
        )
        .await;
        check_eq(
            made.instants(),
            vec![70, 140, 210, 280, 350, 420, 640, 890],
            "the instants (ms) the producer made its items: every 70 ms while there is room, \
             then at the consumer's pace; item 7, made at 890 ms, waits in send() for room when the shutdown comes at 1 s",
        );
        check_eq(
            results.map(sorted),
            Ok(made.items()),
            "every item the producer made is processed, once: the one waiting in send() and the ones queued too",
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
    checker::run_with(one_minute(), async {
        let tl = Timeline::new();
        let made = Log::default();
        let shutdown = CancellationToken::new();
        cancel_at(&shutdown, 1050);
        let producers =
            vec![steady(0, None, 90, &made), steady(100, None, 130, &made), steady(200, None, 110, &made)];
        let results = within(
            PATIENCE,
            "drain_on_shutdown, shut down at 1.050 s,",
            "the producers must stop at the shutdown (wait for the next item or the token, in a select!), \
             so that the queue closes and the consumers can drain it and stop.",
            drain_on_shutdown(producers, 2, 2, &shutdown, on_timeline(&tl, 300)),
        )
        .await;
        let made_items = sorted(made.items());
        check_eq(made_items.is_empty(), false, "the producers made items before the shutdown");
        check_eq(
            results.map(sorted),
            Ok(made_items.clone()),
            "every item the three producers made is processed, once each, none lost",
        );
        check_eq(tl.spans().len(), made_items.len(), "items processed, counting repeats");
        let last_made = made.instants().into_iter().max().unwrap_or(0);
        check_eq(last_made < 1050, true, "no producer makes an item after the shutdown at 1.050 s");
        assert_elapsed(checker::elapsed(), 1890, "shutdown at 1.050 s, then two consumers drain the queue");
    });
}

#[test]
fn drain_on_shutdown_refuses_bad_input() {
    checker::run_with(one_minute(), async {
        let tl = Timeline::new();
        let shutdown = CancellationToken::new();
        let no_consumers = within(
            PATIENCE,
            "drain_on_shutdown with no consumer",
            "nothing takes the items, so the producers wait forever for room: check the input first \
             and return PipelineError::NoConsumers at once.",
            drain_on_shutdown(vec![eager(0..5)], 0, 2, &shutdown, on_timeline(&tl, 100)),
        )
        .await;
        check_eq(no_consumers, Err(PipelineError::NoConsumers), "drain_on_shutdown with no consumer");
        let no_room = drain_on_shutdown(vec![eager(0..5)], 2, 0, &shutdown, on_timeline(&tl, 100)).await;
        check_eq(no_room, Err(PipelineError::ZeroCapacity), "drain_on_shutdown with a queue of capacity 0");
        assert_elapsed(checker::elapsed(), 0, "bad input is refused at once");
    });
}
