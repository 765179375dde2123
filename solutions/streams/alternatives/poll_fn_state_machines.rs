//! alternative: every stream a hand-written state machine in `stream::poll_fn`: `Interval::poll_tick`, a page future kept in an `Option`, slots counted over `FuturesOrdered` / `FuturesUnordered`, `Sleep`s polled by hand, and a merge that polls its inputs before the shutdown

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use futures::stream::{self, FusedStream, FuturesOrdered, FuturesUnordered, LocalBoxStream};
use futures::{Stream, StreamExt};
use tokio::time::{Instant, MissedTickBehavior, Sleep};

/// Task 1.
pub fn ticks(period: Duration, n: usize, missed: MissedTickBehavior) -> LocalBoxStream<'static, usize> {
    let mut interval = tokio::time::interval_at(Instant::now() + period, period);
    interval.set_missed_tick_behavior(missed);
    let mut given = 0;
    stream::poll_fn(move |cx| {
        if given == n {
            return Poll::Ready(None);
        }
        ready!(interval.poll_tick(cx));
        given += 1;
        Poll::Ready(Some(given - 1))
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
pub fn paginate<'a, T, F, Fut>(mut fetch_page: F) -> LocalBoxStream<'a, T>
where
    T: 'a,
    F: FnMut(u64) -> Fut + 'a,
    Fut: Future<Output = Page<T>> + 'a,
{
    let mut items = VecDeque::new();
    let mut next = Some(0);
    let mut fetching: Option<Pin<Box<Fut>>> = None;
    stream::poll_fn(move |cx| {
        loop {
            if let Some(item) = items.pop_front() {
                return Poll::Ready(Some(item));
            }
            if let Some(fetch) = fetching.as_mut() {
                let page = ready!(fetch.as_mut().poll(cx));
                fetching = None;
                items.extend(page.items);
                next = page.next;
                continue;
            }
            match next.take() {
                Some(cursor) => fetching = Some(Box::pin(fetch_page(cursor))),
                None => return Poll::Ready(None),
            }
        }
    })
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

/// Jobs in flight; `len` counts every slot held (for `FuturesOrdered`, the
/// results waiting for their turn too).
trait Pool<Fut: Future>: Stream<Item = Fut::Output> + Unpin {
    fn add(&mut self, job: Fut);
    fn held(&self) -> usize;
}

impl<Fut: Future> Pool<Fut> for FuturesOrdered<Fut> {
    fn add(&mut self, job: Fut) {
        self.push_back(job);
    }
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

fn run_pool<'a, S, F, Fut, P>(input: S, k: usize, mut f: F, mut pool: P) -> LocalBoxStream<'a, Fut::Output>
where
    S: Stream + 'a,
    F: FnMut(S::Item) -> Fut + 'a,
    Fut: Future + 'a,
    P: Pool<Fut> + 'a,
{
    let mut input = Box::pin(input.fuse());
    stream::poll_fn(move |cx: &mut Context<'_>| {
        while pool.held() < k {
            match input.as_mut().poll_next(cx) {
                Poll::Ready(Some(item)) => pool.add(f(item)),
                Poll::Ready(None) | Poll::Pending => break,
            }
        }
        match ready!(pool.poll_next_unpin(cx)) {
            Some(output) => Poll::Ready(Some(output)),
            None if input.is_terminated() => Poll::Ready(None),
            // Nothing running, and the input has nothing yet: it will wake us.
            None => Poll::Pending,
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
    let mut input = Box::pin(input.fuse());
    let mut batch = Vec::new();
    let mut deadline: Option<Pin<Box<Sleep>>> = None;
    stream::poll_fn(move |cx| {
        loop {
            match input.as_mut().poll_next(cx) {
                Poll::Ready(Some(item)) => {
                    if batch.is_empty() {
                        deadline = Some(Box::pin(tokio::time::sleep(max_wait)));
                    }
                    batch.push(item);
                    if batch.len() >= max_size {
                        deadline = None;
                        return Poll::Ready(Some(std::mem::take(&mut batch)));
                    }
                }
                Poll::Ready(None) => {
                    deadline = None;
                    let last = std::mem::take(&mut batch);
                    return Poll::Ready(if last.is_empty() { None } else { Some(last) });
                }
                Poll::Pending => break,
            }
        }
        if let Some(sleep) = deadline.as_mut() {
            ready!(sleep.as_mut().poll(cx));
            deadline = None;
            return Poll::Ready(Some(std::mem::take(&mut batch)));
        }
        Poll::Pending
    })
    .boxed_local()
}

/// Task 5.
pub fn debounce<'a, S>(input: S, quiet: Duration) -> LocalBoxStream<'a, S::Item>
where
    S: Stream + 'a,
{
    let mut input = Box::pin(input.fuse());
    let mut latest = None;
    let mut quiet_over: Option<Pin<Box<Sleep>>> = None;
    stream::poll_fn(move |cx| {
        loop {
            match input.as_mut().poll_next(cx) {
                Poll::Ready(Some(item)) => {
                    latest = Some(item);
                    quiet_over = Some(Box::pin(tokio::time::sleep(quiet)));
                }
                Poll::Ready(None) => {
                    quiet_over = None;
                    return Poll::Ready(latest.take());
                }
                Poll::Pending => break,
            }
        }
        if let Some(sleep) = quiet_over.as_mut() {
            ready!(sleep.as_mut().poll(cx));
            quiet_over = None;
            return Poll::Ready(latest.take());
        }
        Poll::Pending
    })
    .boxed_local()
}

/// Task 6.
pub fn merge_until<'a, T: 'a>(
    a: impl Stream<Item = T> + 'a,
    b: impl Stream<Item = T> + 'a,
    shutdown: impl Future<Output = ()> + 'a,
) -> LocalBoxStream<'a, T> {
    let mut inputs = [Box::pin(a.fuse()).boxed_local(), Box::pin(b.fuse()).boxed_local()];
    let mut shutdown = Box::pin(shutdown);
    let (mut first, mut stopped) = (0, false);
    stream::poll_fn(move |cx| {
        // The inputs before the shutdown: a waiting item always goes out. Take turns, to be fair.
        let mut ended = 0;
        for i in [first, 1 - first] {
            match inputs[i].as_mut().poll_next(cx) {
                Poll::Ready(Some(item)) => {
                    first = 1 - i;
                    return Poll::Ready(Some(item));
                }
                Poll::Ready(None) => ended += 1,
                Poll::Pending => {}
            }
        }
        if ended == 2 || stopped {
            return Poll::Ready(None);
        }
        if shutdown.as_mut().poll(cx).is_ready() {
            stopped = true;
            return Poll::Ready(None);
        }
        Poll::Pending
    })
    .boxed_local()
}
