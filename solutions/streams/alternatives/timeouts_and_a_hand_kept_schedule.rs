//! alternative: a tick schedule kept by hand with `sleep_until`, a `VecDeque` of items, `FuturesOrdered` / `FuturesUnordered` with a slot count, `timeout_at` for batches, `timeout` for debounce, and an unbiased shutdown race followed by a drain with `now_or_never`

use std::collections::VecDeque;
use std::future::Future;
use std::time::Duration;

use futures::stream::{self, FusedStream, FuturesOrdered, FuturesUnordered, LocalBoxStream};
use futures::{FutureExt, Stream, StreamExt};
use tokio::time::{Instant, MissedTickBehavior};

/// Task 1.
pub fn ticks(period: Duration, n: usize, missed: MissedTickBehavior) -> LocalBoxStream<'static, usize> {
    let start = Instant::now();
    stream::unfold((0, start + period), move |(i, due)| async move {
        if i == n {
            return None;
        }
        tokio::time::sleep_until(due).await;
        let now = Instant::now();
        let next = if now <= due {
            due + period
        } else {
            match missed {
                MissedTickBehavior::Burst => due + period,
                MissedTickBehavior::Delay => now + period,
                MissedTickBehavior::Skip => {
                    // The first instant of the original grid that is still to come.
                    let periods = (now - start).as_nanos() / period.as_nanos() + 1;
                    start + Duration::from_nanos((periods * period.as_nanos()) as u64)
                }
            }
        };
        Some((i, (i + 1, next)))
    })
    .boxed_local()
}

/// One page of results, and the cursor of the next page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// The next cursor; `None` on the last page.
    pub next: Option<u64>,
}

/// Task 2.
pub fn paginate<'a, T, F, Fut>(fetch_page: F) -> LocalBoxStream<'a, T>
where
    T: 'a,
    F: FnMut(u64) -> Fut + 'a,
    Fut: Future<Output = Page<T>> + 'a,
{
    stream::unfold(
        (fetch_page, VecDeque::new(), Some(0)),
        |(mut fetch_page, mut items, mut next)| async move {
            while items.is_empty() {
                let page = fetch_page(next?).await;
                items.extend(page.items);
                next = page.next;
            }
            let item = items.pop_front()?;
            Some((item, (fetch_page, items, next)))
        },
    )
    .boxed_local()
}

/// The order of results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Input order.
    Input,
    /// Completion order.
    Completion,
}

/// A set of running jobs that counts its slots.
trait Pool<Fut: Future>: Stream<Item = Fut::Output> + Unpin {
    fn add(&mut self, job: Fut);
    fn held(&self) -> usize;
}

impl<Fut: Future> Pool<Fut> for FuturesOrdered<Fut> {
    fn add(&mut self, job: Fut) {
        self.push_back(job);
    }
    // Counts the results that wait for their turn, too.
    fn held(&self) -> usize {
        self.len()
    }
}

impl<Fut: Future> Pool<Fut> for FuturesUnordered<Fut> {
    fn add(&mut self, job: Fut) {
        self.push(job);
    }
    fn held(&self) -> usize {
        self.len()
    }
}

fn run_pool<'a, S, F, Fut, P>(input: S, k: usize, f: F, pool: P) -> LocalBoxStream<'a, Fut::Output>
where
    S: Stream + 'a,
    F: FnMut(S::Item) -> Fut + 'a,
    Fut: Future + 'a,
    P: Pool<Fut> + 'a,
{
    let state = (Box::pin(input.fuse()), f, pool);
    stream::unfold(state, move |(mut input, mut f, mut pool)| async move {
        loop {
            let can_take = pool.held() < k && !input.is_terminated();
            if !can_take && pool.held() == 0 {
                return None;
            }
            tokio::select! {
                biased;
                item = input.next(), if can_take => {
                    if let Some(item) = item {
                        pool.add(f(item));
                    }
                }
                Some(output) = pool.next(), if pool.held() > 0 => return Some((output, (input, f, pool))),
            }
        }
    })
    .boxed_local()
}

/// Task 3.
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
    match order {
        Order::Input => run_pool(input, k, f, FuturesOrdered::new()),
        Order::Completion => run_pool(input, k, f, FuturesUnordered::new()),
    }
}

/// Task 4.
pub fn batch<'a, S>(input: S, max_size: usize, max_wait: Duration) -> LocalBoxStream<'a, Vec<S::Item>>
where
    S: Stream + 'a,
{
    stream::unfold(Some(Box::pin(input)), move |input| async move {
        let mut input = input?;
        let first = input.next().await?;
        // No deadline at all when it would not fit in an Instant.
        let deadline = Instant::now().checked_add(max_wait);
        let mut batch = vec![first];
        while batch.len() < max_size {
            let item = match deadline {
                Some(deadline) => match tokio::time::timeout_at(deadline, input.next()).await {
                    Ok(item) => item,
                    Err(_) => break,
                },
                None => input.next().await,
            };
            match item {
                Some(item) => batch.push(item),
                None => return Some((batch, None)),
            }
        }
        Some((batch, Some(input)))
    })
    .boxed_local()
}

/// Task 5.
pub fn debounce<'a, S>(input: S, quiet: Duration) -> LocalBoxStream<'a, S::Item>
where
    S: Stream + 'a,
{
    stream::unfold(Some(Box::pin(input)), move |input| async move {
        let mut input = input?;
        let mut latest = input.next().await?;
        loop {
            match tokio::time::timeout(quiet, input.next()).await {
                Ok(Some(item)) => latest = item,
                Ok(None) => return Some((latest, None)),
                Err(_) => return Some((latest, Some(input))),
            }
        }
    })
    .boxed_local()
}

/// Task 6.
pub fn merge_until<'a, T: 'a>(
    a: impl Stream<Item = T> + 'a,
    b: impl Stream<Item = T> + 'a,
    shutdown: impl Future<Output = ()> + 'a,
) -> LocalBoxStream<'a, T> {
    let merged = stream::select(Box::pin(a), Box::pin(b));
    let state = (merged, Some(Box::pin(shutdown)));
    stream::unfold(state, |(mut merged, mut shutdown)| async move {
        let raced = match shutdown.as_mut() {
            // Either may win when both are ready: the drain below keeps what was waiting.
            Some(signal) => tokio::select! {
                item = merged.next() => Some(item),
                () = signal => None,
            },
            None => None,
        };
        if let Some(item) = raced {
            return item.map(|item| (item, (merged, shutdown)));
        }
        // Shutdown has come: what is waiting still goes out, then the end.
        let item = merged.next().now_or_never().flatten()?;
        Some((item, (merged, None)))
    })
    .boxed_local()
}
