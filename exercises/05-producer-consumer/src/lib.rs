//! # 05 · producer-consumer — `asyncio.Queue` and `asyncio.PriorityQueue`, in tokio
//!
//! Producers make items, consumers process them, and a queue between them
//! absorbs the difference in pace. Four tasks: a bounded pipeline with many
//! producers and many consumers, a priority queue of your own, a consumer
//! that survives failing items, and a shutdown that loses nothing. Read
//! README.md beside this file first, then replace each `todo!()` below.
//!
//! The queue is tokio's bounded channel, `tokio::sync::mpsc::channel(capacity)`:
//! - `tx.send(item).await` waits while the queue is full: that wait is
//!   *backpressure*, and it slows a fast producer to the consumers' pace;
//! - `rx.recv().await` waits while the queue is empty, and gives `None`
//!   once every `Sender` is dropped and the queue is empty: that is how
//!   consumers learn that the work is over (asyncio needs `task_done` and
//!   `join` or a sentinel for this; tokio counts the senders for you).
//!
//! A producer here is a `Stream`: the async version of an iterator. Ask it
//! for its next item with `source.next().await` (`futures::StreamExt`); it
//! gives `None` when it has no more.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;

use futures::Stream;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// A pipeline that cannot work as asked. Returned at once, before any
/// item is made: bad input must never hang or panic.
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

/// Task 1 · A **bounded pipeline**: every producer's items go through one
/// queue of `capacity` to `consumers` consumers that `process` them.
/// Return every result (in any order).
///
/// - Each producer sends its items one by one, asking its stream for the
///   next item only once the last one is in the queue.
/// - Each consumer takes the next item, processes it, and starts again,
///   until the queue is closed and empty.
/// - Every item is processed exactly once. The pipeline ends when the
///   last producer is done and the queue has been drained: give each
///   producer its own clone of the `Sender` and drop the original, so the
///   queue closes by itself when the last producer finishes.
///
/// tokio's `mpsc::Receiver` has one owner; to share it between consumers
/// put it in a `tokio::sync::Mutex` and hold the lock only while waiting
/// for an item, never while processing one. Run the producers and the
/// consumers all at once on this task (`futures::future::join_all`,
/// `futures::join!`): nothing here needs `tokio::spawn`.
///
/// 20 items of 1 s through 4 consumers: exactly 5 s. Zero consumers or
/// zero capacity: the matching [`PipelineError`], at once, before any
/// producer is asked for an item (both zero: either error is right).
///
/// A consumer stops when `recv()` gives `None`, never because the queue
/// is empty for a moment (`try_recv`'s `Empty` is not the end).
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
    todo!("task 1 (pipeline)")
}

/// Task 2 · `asyncio.PriorityQueue`: the **highest priority first**, and
/// among equal priorities the **first pushed first** (FIFO), however many
/// items share a priority.
///
/// `pop().await` waits while the queue is empty, and a pop that wakes up
/// to an empty queue (another pop got the item) waits on: `None` comes
/// only once the queue is closed *and* empty. When several pops wait,
/// which one gets the next item is up to you. After `close()`, `push`
/// hands its item back as the error, and `pop` gives what is left, then
/// `None`, and wakes everyone waiting.
///
/// A `std::collections::BinaryHeap` pops its greatest element; it is not
/// stable, so keep a sequence number beside each item to break ties. Keep
/// the state behind a `std::sync::Mutex` (never held across an `.await`)
/// and wake poppers with a `tokio::sync::Notify`.
#[derive(Debug)]
pub struct PriorityQueue<T> {
    // Replace this with your fields: the heap, a sequence counter and a
    // closed flag behind a Mutex, and a Notify.
    _todo: PhantomData<T>,
}

impl<T> Default for PriorityQueue<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> PriorityQueue<T> {
    /// An empty, open queue.
    pub fn new() -> Self {
        todo!("task 2 (priority_queue: new)")
    }

    /// Adds `item` with `priority` (higher pops first); a closed queue
    /// hands the item back as the error.
    pub fn push(&self, priority: u32, item: T) -> Result<(), T> {
        todo!("task 2 (priority_queue: push)")
    }

    /// Takes the highest-priority item, waiting while the queue is empty;
    /// `None` once the queue is closed and empty.
    ///
    /// Careful with the order: if you look at the queue and *then* start
    /// waiting, a push or a close in between is missed. `Notify::notified()`
    /// made *before* you look catches it.
    pub async fn pop(&self) -> Option<T> {
        todo!("task 2 (priority_queue: pop)")
    }

    /// Closes the queue: no more pushes; waiting poppers get `None` once
    /// it is empty.
    pub fn close(&self) {
        todo!("task 2 (priority_queue: close)")
    }

    /// Items waiting in the queue.
    pub fn len(&self) -> usize {
        todo!("task 2 (priority_queue: len)")
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

/// Task 3 · A consumer with a **dead-letter list**: process every item
/// from `rx`, one after another, until the queue is closed and empty
/// (an empty queue that is still open is waited on, not the end). A
/// failing item goes to the dead letters with its error, and the
/// consumer carries on with the next one: one bad item must not stop the
/// work, nor be retried behind the caller's back.
///
/// (In Python: `try: await process(item) except Exception as e:
/// dead.append((item, e))` inside the consumer's loop.)
pub async fn consume<T, R, E, F, Fut>(rx: mpsc::Receiver<T>, process: F) -> Consumed<R, T, E>
where
    T: Clone,
    F: Fn(T) -> Fut,
    Fut: Future<Output = Result<R, E>>,
{
    todo!("task 3 (consume)")
}

/// Task 4 · A pipeline with a **graceful drain**: like [`pipeline`], but
/// the producers never run dry on their own; they stop when `shutdown` is
/// cancelled. Then the consumers drain what is queued, and the pipeline
/// ends. Nothing that was made is lost.
///
/// Only the producers watch the token. A producer waits for "the next
/// item or the shutdown" in a `select!`; an item it already holds is
/// sent, whatever happens: a `send` dropped by a `select!` drops its item.
/// Once the shutdown has come, a producer asks its stream for nothing
/// more: when the shutdown and a ready item meet, the shutdown wins (a
/// plain `select!` picks a ready branch at random; `biased;` polls the
/// branches in the order written).
/// The consumers need no change at all: the queue closes when the last
/// producer stops, and they stop when it is empty.
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
    todo!("task 4 (drain_on_shutdown)")
}
