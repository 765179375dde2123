//! alternative: the receiver as a Stream with buffer_unordered(consumers), FuturesUnordered producers, run_until_cancelled, a BTreeMap queue woken through a watch channel
//!
//! No shared `Mutex<Receiver>`: the receiver becomes a stream
//! (`poll_fn(|cx| rx.poll_recv(cx))`) and `buffer_unordered(consumers)`
//! keeps at most `consumers` items in process, taking the next one the
//! moment a slot frees up, which is what `consumers` consumers do. The
//! producers stop with `CancellationToken::run_until_cancelled`, which
//! answers `None` at once when the token is already cancelled. The
//! priority queue is a `BTreeMap` keyed by (highest priority, oldest
//! sequence number), and its waiters watch a version number.

use std::cmp::Reverse;
use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::sync::{Mutex, MutexGuard};

use futures::stream::{self, FuturesUnordered};
use futures::{Stream, StreamExt};
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

/// A pipeline that cannot work as asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PipelineError {
    /// No consumer: nothing would ever take an item off the queue.
    NoConsumers,
    /// A queue of capacity 0 can hold no item.
    ZeroCapacity,
}

impl fmt::Display for PipelineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PipelineError::NoConsumers => write!(f, "a pipeline needs at least one consumer"),
            PipelineError::ZeroCapacity => write!(f, "a queue needs a capacity of at least 1"),
        }
    }
}

impl std::error::Error for PipelineError {}

/// Capacity first this time: with both zero, either error is right.
fn check(consumers: usize, capacity: usize) -> Result<(), PipelineError> {
    match (consumers, capacity) {
        (_, 0) => Err(PipelineError::ZeroCapacity),
        (0, _) => Err(PipelineError::NoConsumers),
        _ => Ok(()),
    }
}

/// Runs the producers (all at once) and `consumers` slots of processing
/// over one bounded queue, until the queue is closed and empty.
async fn run<P, T, R, F, Fut>(
    producing: P,
    tx: mpsc::Sender<T>,
    mut rx: mpsc::Receiver<T>,
    consumers: usize,
    process: F,
) -> Vec<R>
where
    P: Future<Output = ()>,
    F: Fn(T) -> Fut,
    Fut: Future<Output = R>,
{
    drop(tx);
    let consuming = stream::poll_fn(move |cx| rx.poll_recv(cx))
        .map(&process)
        .buffer_unordered(consumers)
        .collect::<Vec<R>>();
    let ((), results) = futures::join!(producing, consuming);
    results
}

/// Task 1.
pub async fn pipeline<S, T, R, F, Fut>(
    producers: Vec<S>,
    consumers: usize,
    capacity: usize,
    process: F,
) -> Result<Vec<R>, PipelineError>
where
    S: Stream<Item = T> + Unpin,
    F: Fn(T) -> Fut,
    Fut: Future<Output = R>,
{
    check(consumers, capacity)?;
    let (tx, rx) = mpsc::channel(capacity);
    let producing: FuturesUnordered<_> = producers
        .into_iter()
        .map(|mut source| {
            let tx = tx.clone();
            async move {
                while let Some(item) = source.next().await {
                    if tx.send(item).await.is_err() {
                        break;
                    }
                }
            }
        })
        .collect();
    Ok(run(producing.collect::<()>(), tx, rx, consumers, process).await)
}

#[derive(Debug)]
struct State<T> {
    items: BTreeMap<(Reverse<u32>, u64), T>,
    next_seq: u64,
    closed: bool,
}

/// Task 2: the map's first key is the highest priority, and among equal
/// priorities the smallest (oldest) sequence number.
#[derive(Debug)]
pub struct PriorityQueue<T> {
    state: Mutex<State<T>>,
    /// Bumped on every push and on close: a pop waits for it to move.
    version: watch::Sender<u64>,
}

impl<T> Default for PriorityQueue<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> PriorityQueue<T> {
    /// An empty, open queue.
    pub fn new() -> Self {
        PriorityQueue {
            state: Mutex::new(State { items: BTreeMap::new(), next_seq: 0, closed: false }),
            version: watch::Sender::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn changed(&self) {
        self.version.send_modify(|v| *v += 1);
    }

    /// Adds `item`; a closed queue hands it back.
    pub fn push(&self, priority: u32, item: T) -> Result<(), T> {
        {
            let mut state = self.lock();
            if state.closed {
                return Err(item);
            }
            let seq = state.next_seq;
            state.next_seq += 1;
            state.items.insert((Reverse(priority), seq), item);
        }
        self.changed();
        Ok(())
    }

    /// The best item, waiting while the queue is empty and open.
    pub async fn pop(&self) -> Option<T> {
        // Subscribed before looking: a push after the look moves the version.
        let mut seen = self.version.subscribe();
        loop {
            {
                let mut state = self.lock();
                if let Some((_, item)) = state.items.pop_first() {
                    return Some(item);
                }
                if state.closed {
                    return None;
                }
            }
            if seen.changed().await.is_err() {
                return None;
            }
        }
    }

    /// Closes the queue and wakes every waiting pop.
    pub fn close(&self) {
        self.lock().closed = true;
        self.changed();
    }

    /// Items waiting.
    pub fn len(&self) -> usize {
        self.lock().items.len()
    }

    /// No item waiting.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// An item whose processing failed, with the error it failed with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter<T, E> {
    /// The item, as it came off the queue.
    pub item: T,
    /// What processing it returned.
    pub error: E,
}

/// What [`consume`] made of the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consumed<R, T, E> {
    /// The results of the items that succeeded, in the order processed.
    pub done: Vec<R>,
    /// The items that failed, in the order processed.
    pub dead: Vec<DeadLetter<T, E>>,
}

/// Task 3: a fold over the receiver as a stream, one item at a time.
pub async fn consume<T, R, E, F, Fut>(mut rx: mpsc::Receiver<T>, process: F) -> Consumed<R, T, E>
where
    T: Clone,
    F: Fn(T) -> Fut,
    Fut: Future<Output = Result<R, E>>,
{
    let process = &process;
    stream::poll_fn(move |cx| rx.poll_recv(cx))
        .fold(Consumed { done: Vec::new(), dead: Vec::new() }, |mut consumed, item| async move {
            match process(item.clone()).await {
                Ok(result) => consumed.done.push(result),
                Err(error) => consumed.dead.push(DeadLetter { item, error }),
            }
            consumed
        })
        .await
}

/// Task 4.
pub async fn drain_on_shutdown<S, T, R, F, Fut>(
    producers: Vec<S>,
    consumers: usize,
    capacity: usize,
    shutdown: &CancellationToken,
    process: F,
) -> Result<Vec<R>, PipelineError>
where
    S: Stream<Item = T> + Unpin,
    F: Fn(T) -> Fut,
    Fut: Future<Output = R>,
{
    check(consumers, capacity)?;
    let (tx, rx) = mpsc::channel(capacity);
    let producing: FuturesUnordered<_> = producers
        .into_iter()
        .map(|mut source| {
            let tx = tx.clone();
            async move {
                // None: shut down (or already shut down); Some(None): ran dry.
                while let Some(Some(item)) = shutdown.run_until_cancelled(source.next()).await {
                    if tx.send(item).await.is_err() {
                        break;
                    }
                }
            }
        })
        .collect();
    Ok(run(producing.collect::<()>(), tx, rx, consumers, process).await)
}
