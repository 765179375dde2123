//! # 12 · streams — `async for` and async generators
//!
//! Six stream operators: a ticker, a paginated fetch, a concurrent map, a
//! batcher, a debouncer and a merge that stops on shutdown. Read README.md
//! beside this file first, then replace each `todo!()` below.
//!
//! A `Stream` is Rust's async iterator: `while let Some(item) =
//! stream.next().await` is Python's `async for item in stream`. Like an
//! async generator, a stream is **lazy**: it does its work when the consumer
//! asks for the next item, and not before. Nobody asking means nothing
//! happens: no tick is taken, no page is fetched, no job is started. The
//! tests play the consumer, note the virtual instant at which each item
//! came, and check it to the millisecond on tokio's paused clock.
//!
//! Python writes a generator with `yield`. Rust (stable) has no `yield` in
//! async code; the usual ways to build a stream are:
//!
//! - `futures::stream::unfold(state, |state| async move { ... })`: the
//!   closure is the body of the generator between two `yield`s. It gets the
//!   state, awaits what it needs, and returns `Some((item, next_state))`,
//!   or `None` to end the stream. The state carries whatever the generator
//!   keeps between items (an interval, a buffer, the input stream).
//! - the combinators of `futures::StreamExt`: `map`, `then`, `buffered`,
//!   `buffer_unordered`, `take`, `fuse`, and `stream::select` to merge two.
//! - `futures::stream::poll_fn`, to write `poll_next` by hand.
//!
//! Every function returns a `LocalBoxStream`, a boxed stream, so that its
//! signature can name the type: build any stream of the right items and
//! call `futures::StreamExt::boxed_local` on it. Inside a stream, awaiting
//! `input.next()` needs the input to be `Unpin`: `Box::pin(input)` it.

use std::future::Future;
use std::time::Duration;

use futures::Stream;
use futures::stream::LocalBoxStream;
use tokio::time::MissedTickBehavior;

/// Task 1 · A ticker: `n` ticks, numbered `0, 1, ..., n - 1`, one `period`
/// apart. The first tick comes one period after the call (not at once), and
/// the stream ends right after the last tick (at once for `n = 0`).
/// `period` is more than zero.
///
/// When the consumer is slow, it asks for a tick after the tick was due:
/// that tick comes at once, and `missed` decides when the next one is due:
///
/// - `Burst`: on the original schedule. The ticks missed meanwhile come at
///   once, one after another, until the ticker has caught up.
/// - `Delay`: a whole period after the late tick came.
/// - `Skip`: at the next instant of the original schedule (a whole number
///   of periods after the start) that is still to come.
///
/// Period 100 ms, a consumer that spends 350 ms on tick 0: tick 1 (due at
/// 200 ms) comes at 450 ms; then Burst gives ticks 2 and 3 at 450 ms and
/// tick 4 at 500 ms; Delay gives 550, 650, ... ms; Skip gives 500, 600, ...
/// ms.
///
/// `tokio::time::Interval` knows all three
/// (`Interval::set_missed_tick_behavior`), but `interval(period)` ticks at
/// once the first time: `interval_at(Instant::now() + period, period)`
/// does not.
pub fn ticks(period: Duration, n: usize, missed: MissedTickBehavior) -> LocalBoxStream<'static, usize> {
    todo!("task 1 (ticks)")
}

/// One page of results from a paginated API, as [`paginate`]'s
/// `fetch_page` returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items of this page, in order. It may be empty.
    pub items: Vec<T>,
    /// The cursor to pass to `fetch_page` for the next page; `None` on the
    /// last page.
    pub next: Option<u64>,
}

/// Task 2 · Every item of a paginated API, in order, as one stream: the
/// async generator that loops over pages.
///
/// `fetch_page(cursor)` fetches one page: call it with `0` for the first
/// page, then with the `next` cursor of the page before. The stream ends
/// right after the items of the page whose `next` is `None`. A page with
/// no items but a `next` is not the end: go on to the next page.
///
/// **Lazily**: call `fetch_page` only when the consumer asks for an item
/// and the items of the page in hand are used up; never ahead (not when
/// the stream is made, nor when a page arrives). Pages of 10 that take
/// 200 ms each: a consumer that takes 15 items fetches exactly 2 pages, at
/// 0 and 200 ms, and never the third.
pub fn paginate<'a, T, F, Fut>(fetch_page: F) -> LocalBoxStream<'a, T>
where
    T: 'a,
    F: FnMut(u64) -> Fut + 'a,
    Fut: Future<Output = Page<T>> + 'a,
{
    todo!("task 2 (paginate)")
}

/// In which order [`map_concurrent`] hands out its results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// In the order of the input, whatever the order the jobs finish in.
    Input,
    /// In the order the jobs finish, each the instant it finishes.
    Completion,
}

/// Task 3 · `f(item)` for every item of `input`, with **at most `k` jobs
/// at once** (`k` is at least 1), and their results as a stream, in
/// `order`. The jobs run on the stream's own task: nothing is spawned.
///
/// A job holds one of the `k` slots from its start until its result is
/// handed out, and the next job starts the instant a slot is free (with a
/// consumer that takes each result at once):
///
/// - `Order::Completion`: a result goes out the instant its job finishes,
///   so its slot is free then.
/// - `Order::Input`: a result goes out once the results before it have; a
///   job that finished early keeps its slot until then. So at most `k`
///   results are ever held at once, running or waiting their turn.
///
/// Jobs of A 300 ms, B 100 ms, C 100 ms, D 200 ms, E 50 ms with `k = 2`:
/// in completion order, b at 100 ms, c at 200, a at 300, e at 350, d at
/// 400; in input order, a and b at 300 ms (C and D start then), c at 400,
/// d and e at 500.
pub fn map_concurrent<'a, S, F, Fut>(
    input: S,
    k: usize,
    order: Order,
    f: F,
) -> LocalBoxStream<'a, Fut::Output>
where
    S: Stream + 'a,
    F: FnMut(S::Item) -> Fut + 'a,
    Fut: Future + 'a,
{
    todo!("task 3 (map_concurrent)")
}

/// Task 4 · The items of `input` in batches (`Vec`s), in order. A batch
/// starts with its first item and leaves **the instant it has `max_size`
/// items, or `max_wait` after its first item arrived**, whichever comes
/// first. `max_size` is at least 1.
///
/// - No batch is ever empty: while no item comes, no batch leaves.
/// - When the input ends, the batch in hand (if any) leaves at once, and
///   the stream ends.
/// - `max_wait` may be huge (`Duration::MAX`): then a batch leaves only
///   when full or at the end. Do not add it to an `Instant` yourself (that
///   overflows); `tokio::time::sleep` caps a huge wait.
///
/// `max_size` 3, `max_wait` 100 ms, items at 0, 10, 20 ms: `[0, 1, 2]` at
/// 20 ms (full). Items at 50 and 120 ms: `[3, 4]` at 150 ms (100 ms after
/// item 3).
pub fn batch<'a, S>(input: S, max_size: usize, max_wait: Duration) -> LocalBoxStream<'a, Vec<S::Item>>
where
    S: Stream + 'a,
{
    todo!("task 4 (batch)")
}

/// Task 5 · Debounce: of each burst of items, only the last goes out, once
/// `quiet` has passed with no newer item.
///
/// An item that arrives waits; a newer item replaces it and starts the
/// quiet period again, however long the burst lasts. When the input ends,
/// the item waiting (if any) leaves at once, and the stream ends. `quiet`
/// may be huge (`Duration::MAX`): then only the last item goes out, at the
/// end.
///
/// Quiet 100 ms, items 0, 1, 2 at 0, 50, 100 ms: item 2 at 200 ms.
pub fn debounce<'a, S>(input: S, quiet: Duration) -> LocalBoxStream<'a, S::Item>
where
    S: Stream + 'a,
{
    todo!("task 5 (debounce)")
}

/// Task 6 · The items of `a` and `b`, merged: each the instant it arrives
/// in either input, until `shutdown` completes.
///
/// - When shutdown comes, the stream ends, but **it loses no item that
///   arrived before**: the items already waiting in the inputs (ready the
///   moment you look) still go out, and the stream ends at the first moment
///   none is waiting. When an item and shutdown are both ready, the item
///   goes first. A consumer that is busy when shutdown comes gets them when
///   it asks next.
/// - The stream also ends when both inputs have ended. One input ending
///   is not the end: the other goes on.
/// - The order of items that wait in different inputs is yours to choose;
///   each input's own items keep their order.
pub fn merge_until<'a, T: 'a>(
    a: impl Stream<Item = T> + 'a,
    b: impl Stream<Item = T> + 'a,
    shutdown: impl Future<Output = ()> + 'a,
) -> LocalBoxStream<'a, T> {
    todo!("task 6 (merge_until)")
}
