//! alternative: consumers as for_each_concurrent over the receiver, producers that reserve a slot for the item in hand and race the next item with future::select, a priority queue of FIFO buckets counted by a Semaphore
//!
//! The consumers are `for_each_concurrent(consumers, ..)` over the
//! receiver seen as a stream: at most `consumers` items in process, the
//! next one taken as soon as one is done. A drain producer waits for
//! "shutdown or next item" with `futures::future::select`, which polls its
//! first future first, so the shutdown wins a tie. The priority queue
//! keeps one `VecDeque` per priority (FIFO by construction) and counts its
//! items with a `Semaphore`: a pop holds a permit for each item it takes,
//! and `close()` closes the semaphore, which wakes every waiting pop.

use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::future::Future;
use std::pin::pin;
use std::sync::{Mutex, MutexGuard};

use futures::future::{Either, join_all, select};
use futures::{Stream, StreamExt, stream};
use tokio::sync::{Semaphore, mpsc};
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
            PipelineError::NoConsumers => write!(f, "no consumer"),
            PipelineError::ZeroCapacity => write!(f, "a queue of capacity 0"),
        }
    }
}

impl std::error::Error for PipelineError {}

fn check(consumers: usize, capacity: usize) -> Result<(), PipelineError> {
    if consumers == 0 {
        Err(PipelineError::NoConsumers)
    } else if capacity == 0 {
        Err(PipelineError::ZeroCapacity)
    } else {
        Ok(())
    }
}

/// Sends the item in hand: a slot is reserved first, then filled.
async fn put<T>(tx: &mpsc::Sender<T>, item: T) -> bool {
    match tx.reserve().await {
        Ok(slot) => {
            slot.send(item);
            true
        }
        Err(_) => false,
    }
}

/// Consumers as `for_each_concurrent` over the receiver; the producers run
/// beside them. Results in completion order.
async fn run<P, T, R, F, Fut>(producing: P, mut rx: mpsc::Receiver<T>, consumers: usize, process: F) -> Vec<R>
where
    P: Future,
    F: Fn(T) -> Fut,
    Fut: Future<Output = R>,
{
    let results = RefCell::new(Vec::new());
    let consuming = stream::poll_fn(move |cx| rx.poll_recv(cx)).for_each_concurrent(consumers, |item| {
        let results = &results;
        let work = process(item);
        async move {
            let result = work.await;
            results.borrow_mut().push(result);
        }
    });
    futures::join!(producing, consuming);
    results.into_inner()
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
    let producing = join_all(producers.into_iter().map(|mut source| {
        let tx = tx.clone();
        async move {
            while let Some(item) = source.next().await {
                if !put(&tx, item).await {
                    break;
                }
            }
        }
    }));
    drop(tx);
    Ok(run(producing, rx, consumers, process).await)
}

#[derive(Debug)]
struct State<T> {
    buckets: BTreeMap<Reverse<u32>, VecDeque<T>>,
    len: usize,
    closed: bool,
}

impl<T> State<T> {
    fn take(&mut self) -> Option<T> {
        let mut best = self.buckets.first_entry()?;
        let item = best.get_mut().pop_front();
        if best.get().is_empty() {
            best.remove();
        }
        self.len -= usize::from(item.is_some());
        item
    }
}

/// Task 2.
#[derive(Debug)]
pub struct PriorityQueue<T> {
    state: Mutex<State<T>>,
    /// One permit per item not yet claimed by a pop.
    items: Semaphore,
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
            state: Mutex::new(State { buckets: BTreeMap::new(), len: 0, closed: false }),
            items: Semaphore::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds `item` at the back of its priority's bucket.
    pub fn push(&self, priority: u32, item: T) -> Result<(), T> {
        let mut state = self.lock();
        if state.closed {
            return Err(item);
        }
        state.buckets.entry(Reverse(priority)).or_default().push_back(item);
        state.len += 1;
        drop(state);
        self.items.add_permits(1);
        Ok(())
    }

    /// A permit is an item: wait for one. A closed semaphore means a closed
    /// queue: take what is left, if anything.
    pub async fn pop(&self) -> Option<T> {
        match self.items.acquire().await {
            Ok(permit) => {
                permit.forget();
                self.lock().take()
            }
            Err(_closed) => self.lock().take(),
        }
    }

    /// Closes the queue; every pop waiting for a permit wakes up.
    pub fn close(&self) {
        self.lock().closed = true;
        self.items.close();
    }

    /// Items waiting.
    pub fn len(&self) -> usize {
        self.lock().len
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

/// Task 3: a plain loop on `recv`, with the error kept beside its item.
pub async fn consume<T, R, E, F, Fut>(mut rx: mpsc::Receiver<T>, process: F) -> Consumed<R, T, E>
where
    T: Clone,
    F: Fn(T) -> Fut,
    Fut: Future<Output = Result<R, E>>,
{
    let (mut done, mut dead) = (Vec::new(), Vec::new());
    loop {
        let Some(item) = rx.recv().await else {
            return Consumed { done, dead };
        };
        let outcome = process(item.clone()).await;
        match outcome {
            Ok(result) => done.push(result),
            Err(error) => dead.push(DeadLetter { item, error }),
        }
    }
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
    let producing = join_all(producers.into_iter().map(|mut source| {
        let tx = tx.clone();
        async move {
            loop {
                // select polls the shutdown first: it wins a tie.
                let next = match select(pin!(shutdown.cancelled()), source.next()).await {
                    Either::Left(((), _)) => break,
                    Either::Right((next, _)) => next,
                };
                let Some(item) = next else { break };
                if !put(&tx, item).await {
                    break;
                }
            }
        }
    }));
    drop(tx);
    Ok(run(producing, rx, consumers, process).await)
}
