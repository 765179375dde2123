//! # 12 · streams — reference solution

use std::future::Future;
use std::time::Duration;

use futures::stream::{self, LocalBoxStream};
use futures::{Stream, StreamExt};
use tokio::time::{Instant, MissedTickBehavior};

/// Task 1 · `n` ticks, one period apart, the first one period after the call.
pub fn ticks(period: Duration, n: usize, missed: MissedTickBehavior) -> LocalBoxStream<'static, usize> {
    // `interval` would tick at once; `interval_at` puts the first tick a period away.
    let mut interval = tokio::time::interval_at(Instant::now() + period, period);
    interval.set_missed_tick_behavior(missed);
    stream::unfold((interval, 0), move |(mut interval, i)| async move {
        if i == n {
            return None;
        }
        interval.tick().await;
        Some((i, (interval, i + 1)))
    })
    .boxed_local()
}

/// One page of results, and the cursor of the next page (`None`: the last page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items of this page, in order.
    pub items: Vec<T>,
    /// The cursor to pass to `fetch_page` for the next page.
    pub next: Option<u64>,
}

/// Task 2 · Every item of every page, fetching a page only when it is needed.
pub fn paginate<'a, T, F, Fut>(fetch_page: F) -> LocalBoxStream<'a, T>
where
    T: 'a,
    F: FnMut(u64) -> Fut + 'a,
    Fut: Future<Output = Page<T>> + 'a,
{
    let start = (fetch_page, Vec::new().into_iter(), Some(0));
    stream::unfold(start, |(mut fetch_page, mut items, mut next)| async move {
        loop {
            if let Some(item) = items.next() {
                return Some((item, (fetch_page, items, next)));
            }
            // The page is used up: fetch the next one now, and only now.
            let page = fetch_page(next?).await;
            items = page.items.into_iter();
            next = page.next;
        }
    })
    .boxed_local()
}

/// In which order [`map_concurrent`] hands out the results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// The order of the input.
    Input,
    /// The order the jobs finish.
    Completion,
}

/// Task 3 · `f` on every item, at most `k` jobs at once.
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
    let jobs = input.map(f);
    match order {
        Order::Input => jobs.buffered(k).boxed_local(),
        Order::Completion => jobs.buffer_unordered(k).boxed_local(),
    }
}

/// Task 4 · Batches of at most `max_size`, each leaving `max_wait` after its first item at the latest.
pub fn batch<'a, S>(input: S, max_size: usize, max_wait: Duration) -> LocalBoxStream<'a, Vec<S::Item>>
where
    S: Stream + 'a,
{
    stream::unfold(Some(Box::pin(input)), move |input| async move {
        let mut input = input?;
        let first = input.next().await?;
        let mut batch = vec![first];
        // The clock of this batch starts with its first item.
        let deadline = tokio::time::sleep(max_wait);
        tokio::pin!(deadline);
        while batch.len() < max_size {
            tokio::select! {
                item = input.next() => match item {
                    Some(item) => batch.push(item),
                    // The input ended: the partial batch leaves now, and it is the last.
                    None => return Some((batch, None)),
                },
                () = &mut deadline => break,
            }
        }
        Some((batch, Some(input)))
    })
    .boxed_local()
}

/// Task 5 · The last item of each burst, once `quiet` has passed without a newer one.
pub fn debounce<'a, S>(input: S, quiet: Duration) -> LocalBoxStream<'a, S::Item>
where
    S: Stream + 'a,
{
    stream::unfold(Some(Box::pin(input)), move |input| async move {
        let mut input = input?;
        let mut latest = input.next().await?;
        loop {
            // A new sleep on each turn: every item starts the quiet period again.
            tokio::select! {
                item = input.next() => match item {
                    Some(item) => latest = item,
                    None => return Some((latest, None)),
                },
                () = tokio::time::sleep(quiet) => return Some((latest, Some(input))),
            }
        }
    })
    .boxed_local()
}

/// Task 6 · The items of `a` and `b` as they come, until `shutdown`, losing none that had arrived.
pub fn merge_until<'a, T: 'a>(
    a: impl Stream<Item = T> + 'a,
    b: impl Stream<Item = T> + 'a,
    shutdown: impl Future<Output = ()> + 'a,
) -> LocalBoxStream<'a, T> {
    let merged = stream::select(Box::pin(a), Box::pin(b));
    stream::unfold((merged, Box::pin(shutdown)), |(mut merged, mut shutdown)| async move {
        tokio::select! {
            // Items first: an item that is waiting goes out even when shutdown has come.
            biased;
            item = merged.next() => item.map(|item| (item, (merged, shutdown))),
            () = &mut shutdown => None,
        }
    })
    .boxed_local()
}
