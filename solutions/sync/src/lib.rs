//! # 11 · sync — reference solution

use std::collections::VecDeque;
use std::future::Future;
use std::pin::pin;
use std::sync::Mutex as StdMutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::{Mutex, Notify, OnceCell, watch};

// ---- task 1: Event ----------------------------------------------------------

/// `asyncio.Event`: a flag that tasks can wait for.
#[derive(Debug, Default)]
pub struct Event {
    flag: AtomicBool,
    notify: Notify,
}

impl Event {
    /// A new event, not set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the flag and wakes every task waiting now, at this instant.
    pub fn set(&self) {
        self.flag.store(true, Ordering::SeqCst);
        self.notify.notify_waiters();
    }

    /// Clears the flag: later `wait`s wait again.
    pub fn clear(&self) {
        self.flag.store(false, Ordering::SeqCst);
    }

    /// Whether the flag is set.
    pub fn is_set(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }

    /// Returns at once if the flag is set, else when it is next set.
    pub async fn wait(&self) {
        // Register first, then look: a `set` between the two cannot be missed.
        let mut notified = pin!(self.notify.notified());
        notified.as_mut().enable();
        if self.is_set() {
            return;
        }
        notified.await;
    }
}

// ---- task 2: transfer ---------------------------------------------------------

/// How long the audit inside every transfer takes.
pub const AUDIT: Duration = Duration::from_millis(100);

/// A bank account: an id and a balance behind an async lock.
#[derive(Debug)]
pub struct Account {
    /// Unique per account: the order to lock accounts in.
    pub id: u32,
    /// The balance. Hold this lock for the whole transfer.
    pub balance: Mutex<u64>,
}

impl Account {
    /// An account with this id and opening balance.
    pub fn new(id: u32, balance: u64) -> Self {
        Account { id, balance: Mutex::new(balance) }
    }
}

/// The regulator's audit: 100 ms, awaited while both accounts are locked.
pub async fn audit() {
    tokio::time::sleep(AUDIT).await;
}

/// Moves `amount` from `from` to `to`, both locked for the whole transfer.
pub async fn transfer(from: &Account, to: &Account, amount: u64) {
    // One global order (by id) for taking locks: no cycle, no deadlock.
    let (first, second) = if from.id < to.id { (from, to) } else { (to, from) };
    let mut first_balance = first.balance.lock().await;
    let mut second_balance = second.balance.lock().await;
    audit().await;
    let (from_balance, to_balance) = if from.id < to.id {
        (&mut *first_balance, &mut *second_balance)
    } else {
        (&mut *second_balance, &mut *first_balance)
    };
    *from_balance -= amount;
    *to_balance += amount;
}

// ---- task 3: BoundedBuffer ----------------------------------------------------

/// The Condition classic: a FIFO buffer of at most `capacity` items.
#[derive(Debug)]
pub struct BoundedBuffer<T> {
    items: StdMutex<VecDeque<T>>,
    capacity: usize,
    not_empty: Notify,
    not_full: Notify,
}

impl<T> BoundedBuffer<T> {
    /// An empty buffer that holds at most `capacity` items (at least 1).
    pub fn new(capacity: usize) -> Self {
        BoundedBuffer {
            items: StdMutex::new(VecDeque::with_capacity(capacity)),
            capacity,
            not_empty: Notify::new(),
            not_full: Notify::new(),
        }
    }

    /// How many items it holds now.
    pub fn len(&self) -> usize {
        self.items.lock().unwrap().len()
    }

    /// Whether it holds no item now.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds `item` at the back, waiting while the buffer is full.
    pub async fn put(&self, item: T) {
        let mut item = Some(item);
        loop {
            let mut notified = pin!(self.not_full.notified());
            notified.as_mut().enable();
            {
                let mut items = self.items.lock().unwrap();
                if items.len() < self.capacity {
                    items.push_back(item.take().expect("the item is put once"));
                    drop(items);
                    self.not_empty.notify_waiters();
                    return;
                }
            }
            notified.await;
        }
    }

    /// Takes the item at the front, waiting while the buffer is empty.
    pub async fn get(&self) -> T {
        loop {
            let mut notified = pin!(self.not_empty.notified());
            notified.as_mut().enable();
            {
                let mut items = self.items.lock().unwrap();
                if let Some(item) = items.pop_front() {
                    drop(items);
                    self.not_full.notify_waiters();
                    return item;
                }
            }
            notified.await;
        }
    }
}

// ---- task 4: Barrier ----------------------------------------------------------

/// `asyncio.Barrier(n)`: `n` tasks wait for each other, then all pass.
#[derive(Debug)]
pub struct Barrier {
    parties: usize,
    arrived: StdMutex<usize>,
    released: Notify,
}

impl Barrier {
    /// A barrier for `parties` tasks (at least 1).
    pub fn new(parties: usize) -> Self {
        Barrier { parties, arrived: StdMutex::new(0), released: Notify::new() }
    }

    /// Waits until `parties` tasks have called `wait`; exactly one of them
    /// gets `true` (the leader).
    pub async fn wait(&self) -> bool {
        let mut released = pin!(self.released.notified());
        released.as_mut().enable();
        {
            let mut arrived = self.arrived.lock().unwrap();
            *arrived += 1;
            if *arrived == self.parties {
                *arrived = 0;
                drop(arrived);
                self.released.notify_waiters();
                return true;
            }
        }
        released.await;
        false
    }
}

// ---- task 5: load_once --------------------------------------------------------

/// The value in `cell`, loaded by `load` once for every caller.
pub async fn load_once<T, E, F, Fut>(cell: &OnceCell<T>, load: F) -> Result<&T, E>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    cell.get_or_try_init(load).await
}

// ---- task 6: follow_config ----------------------------------------------------

/// Applies the current configuration, then the latest one each time it
/// changes, until the sender is gone.
pub async fn follow_config<T, F, Fut>(mut rx: watch::Receiver<T>, mut apply: F)
where
    T: Clone,
    F: FnMut(T) -> Fut,
    Fut: Future<Output = ()>,
{
    loop {
        let config = rx.borrow_and_update().clone();
        apply(config).await;
        if rx.changed().await.is_err() {
            return;
        }
    }
}

// ---- task 7: bump_and_log -----------------------------------------------------

/// How long one write to the [`Log`] takes.
pub const LOG_WRITE: Duration = Duration::from_millis(10);

/// A log whose writes take [`LOG_WRITE`] each.
#[derive(Debug, Default)]
pub struct Log {
    lines: StdMutex<Vec<String>>,
}

impl Log {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// Writes `line`: it is in the log [`LOG_WRITE`] later.
    pub async fn write(&self, line: String) {
        tokio::time::sleep(LOG_WRITE).await;
        self.lines.lock().unwrap().push(line);
    }

    /// Every line written so far, in the order the writes ended.
    pub fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }
}

/// Adds 1 to `counter`, then writes `count = N` (the new value) to `log`;
/// returns N.
pub async fn bump_and_log(counter: &StdMutex<u64>, log: &Log) -> u64 {
    // The guard lives in this block only: it is gone before the `.await`.
    let count = {
        let mut count = counter.lock().unwrap();
        *count += 1;
        *count
    };
    log.write(format!("count = {count}")).await;
    count
}
