//! # 05 · producer-consumer — mutant: `PriorityQueue::pop` returns None at once on an empty queue instead of waiting

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::fmt;
use std::future::Future;
use std::sync::{Mutex as SyncMutex, MutexGuard};

use futures::future::join_all;
use futures::{Stream, StreamExt};
use tokio::sync::{Mutex, Notify, mpsc};
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
            PipelineError::NoConsumers => {
                write!(
                    f,
                    "a pipeline needs at least one consumer: with none, the producers would wait forever"
                )
            }
            PipelineError::ZeroCapacity => write!(
                f,
                "a queue needs a capacity of at least 1 (asyncio's Queue(0) is unbounded; tokio's bounded channel is not)"
            ),
        }
    }
}

impl std::error::Error for PipelineError {}

/// Bad input is refused before anything starts: `mpsc::channel(0)` would
/// panic, and zero consumers would hang.
fn check(consumers: usize, capacity: usize) -> Result<(), PipelineError> {
    if consumers == 0 {
        return Err(PipelineError::NoConsumers);
    }
    if capacity == 0 {
        return Err(PipelineError::ZeroCapacity);
    }
    Ok(())
}

/// One producer: pull an item, send it, and only then pull the next. A
/// full queue makes `send` wait, and the wait reaches back to the source.
/// The sender is dropped when the source runs dry: that is this
/// producer's share of closing the queue.
async fn produce<S, T>(mut source: S, tx: mpsc::Sender<T>)
where
    S: Stream<Item = T> + Unpin,
{
    while let Some(item) = source.next().await {
        if tx.send(item).await.is_err() {
            // Every consumer is gone; nobody will take this item.
            break;
        }
    }
}

/// One consumer: take the next item, process it, repeat until the queue
/// is closed and empty. tokio's `mpsc::Receiver` has a single owner, so
/// consumers share it behind an async `Mutex`, held only while waiting
/// for an item, never while processing one.
async fn consumer<T, R, F, Fut>(rx: &Mutex<mpsc::Receiver<T>>, process: &F) -> Vec<R>
where
    F: Fn(T) -> Fut,
    Fut: Future<Output = R>,
{
    let mut results = Vec::new();
    loop {
        // The guard is a temporary: it is dropped at the end of this statement.
        let item = rx.lock().await.recv().await;
        match item {
            Some(item) => results.push(process(item).await),
            None => return results,
        }
    }
}

/// Task 1: every producer gets a clone of the sender and the original is
/// dropped, so the queue closes exactly when the last producer is done;
/// the consumers then drain it and stop. Producers and consumers all run
/// at once on this task.
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
    let producing = join_all(producers.into_iter().map(|source| produce(source, tx.clone())));
    drop(tx);
    let rx = Mutex::new(rx);
    let consuming = join_all((0..consumers).map(|_| consumer(&rx, &process)));
    let (_, results) = futures::join!(producing, consuming);
    Ok(results.into_iter().flatten().collect())
}

/// One entry of the heap: the highest priority first, and among equal
/// priorities the lowest sequence number (the oldest) first.
#[derive(Debug)]
struct Entry<T> {
    priority: u32,
    seq: u64,
    item: T,
}

impl<T> Ord for Entry<T> {
    fn cmp(&self, other: &Self) -> Ordering {
        // BinaryHeap pops the greatest: a higher priority is greater, and
        // an older entry (smaller seq) is greater than a newer one.
        self.priority.cmp(&other.priority).then_with(|| other.seq.cmp(&self.seq))
    }
}

impl<T> PartialOrd for Entry<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<T> PartialEq for Entry<T> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl<T> Eq for Entry<T> {}

#[derive(Debug)]
struct State<T> {
    heap: BinaryHeap<Entry<T>>,
    next_seq: u64,
    closed: bool,
}

/// Task 2: a heap behind a plain (std) mutex, which is never held across
/// an `.await`, and a `Notify` to wake whoever waits in `pop`.
#[derive(Debug)]
pub struct PriorityQueue<T> {
    state: SyncMutex<State<T>>,
    changed: Notify,
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
            state: SyncMutex::new(State { heap: BinaryHeap::new(), next_seq: 0, closed: false }),
            changed: Notify::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds `item`; a closed queue hands it back as the error.
    pub fn push(&self, priority: u32, item: T) -> Result<(), T> {
        let mut state = self.lock();
        if state.closed {
            return Err(item);
        }
        let seq = state.next_seq;
        state.next_seq += 1;
        state.heap.push(Entry { priority, seq, item });
        drop(state);
        // One item, one waiter. With nobody waiting, the permit is kept for
        // the next pop, so a wake-up is never lost.
        self.changed.notify_one();
        Ok(())
    }

    /// Takes the highest-priority item, waiting while the queue is empty;
    /// `None` once the queue is closed and empty.
    pub async fn pop(&self) -> Option<T> {
        loop {
            // Made before looking, so a close() in between is not missed:
            // notify_waiters reaches every Notified that exists.
            let changed = self.changed.notified();
            {
                let mut state = self.lock();
                if let Some(entry) = state.heap.pop() {
                    return Some(entry.item);
                }
                // MUTANT: empty is taken to mean done.
                if state.closed || state.heap.is_empty() {
                    return None;
                }
            }
            changed.await;
        }
    }

    /// Closes the queue: no more pushes; poppers get what is left, then `None`.
    pub fn close(&self) {
        self.lock().closed = true;
        self.changed.notify_waiters();
    }

    /// Items waiting in the queue.
    pub fn len(&self) -> usize {
        self.lock().heap.len()
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

/// Task 3: a failure is a value to record, not a reason to stop. The
/// item is cloned before processing so that a failure can still name it.
pub async fn consume<T, R, E, F, Fut>(mut rx: mpsc::Receiver<T>, process: F) -> Consumed<R, T, E>
where
    T: Clone,
    F: Fn(T) -> Fut,
    Fut: Future<Output = Result<R, E>>,
{
    let mut consumed = Consumed { done: Vec::new(), dead: Vec::new() };
    while let Some(item) = rx.recv().await {
        match process(item.clone()).await {
            Ok(result) => consumed.done.push(result),
            Err(error) => consumed.dead.push(DeadLetter { item, error }),
        }
    }
    consumed
}

/// A producer that stops at shutdown. The token only interrupts the wait
/// for the *next* item (an item not yet made is not lost); an item in
/// hand is always sent, outside the `select!`: a `send` dropped by a
/// `select!` drops its item with it.
async fn produce_until<S, T>(mut source: S, tx: mpsc::Sender<T>, shutdown: &CancellationToken)
where
    S: Stream<Item = T> + Unpin,
{
    loop {
        let item = tokio::select! {
            biased;
            _ = shutdown.cancelled() => break,
            item = source.next() => item,
        };
        let Some(item) = item else { break };
        if tx.send(item).await.is_err() {
            break;
        }
    }
}

/// Task 4: the shutdown only reaches the producers. Once they have all
/// stopped, the queue closes, and the consumers (untouched) drain it and
/// stop by themselves: whatever was made gets processed.
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
    let producing = join_all(producers.into_iter().map(|source| produce_until(source, tx.clone(), shutdown)));
    drop(tx);
    let rx = Mutex::new(rx);
    let consuming = join_all((0..consumers).map(|_| consumer(&rx, &process)));
    let (_, results) = futures::join!(producing, consuming);
    Ok(results.into_iter().flatten().collect())
}
