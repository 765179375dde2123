//! alternative: tokio's own Barrier, a bounded buffer on a bounded mpsc channel, transfers that try-lock the second account and back off, an Event flag under a std Mutex

use std::future::Future;
use std::sync::Mutex as StdMutex;
use std::time::Duration;

use tokio::sync::{Mutex, Notify, OnceCell, mpsc, watch};

// ---- task 1: Event ----------------------------------------------------------

/// `asyncio.Event`: the flag under a std Mutex, the waking on a Notify.
#[derive(Debug, Default)]
pub struct Event {
    flag: StdMutex<bool>,
    notify: Notify,
}

impl Event {
    /// A new event, not set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the flag and wakes every waiter.
    pub fn set(&self) {
        *self.flag.lock().unwrap() = true;
        self.notify.notify_waiters();
    }

    /// Clears the flag.
    pub fn clear(&self) {
        *self.flag.lock().unwrap() = false;
    }

    /// Whether the flag is set.
    pub fn is_set(&self) -> bool {
        *self.flag.lock().unwrap()
    }

    /// Returns once the flag is set (at once if it is).
    pub async fn wait(&self) {
        // `notified()` receives every notify_waiters from its creation on.
        let notified = self.notify.notified();
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

/// Moves `amount` from `from` to `to`: take `from`, *try* `to`; if it is
/// taken, let go of `from` and try again later, so that nobody ever waits
/// while holding a lock.
pub async fn transfer(from: &Account, to: &Account, amount: u64) {
    loop {
        let mut from_balance = from.balance.lock().await;
        if let Ok(mut to_balance) = to.balance.try_lock() {
            audit().await;
            *from_balance -= amount;
            *to_balance += amount;
            return;
        }
        drop(from_balance);
        // Wait for the other account rather than spin on it.
        drop(to.balance.lock().await);
    }
}

// ---- task 3: BoundedBuffer ----------------------------------------------------

/// The bounded buffer as a bounded mpsc channel: the channel's capacity is
/// the buffer's, and the consumers take turns at the one receiver.
#[derive(Debug)]
pub struct BoundedBuffer<T> {
    tx: mpsc::Sender<T>,
    rx: Mutex<mpsc::Receiver<T>>,
}

impl<T> BoundedBuffer<T> {
    /// An empty buffer that holds at most `capacity` items (at least 1).
    pub fn new(capacity: usize) -> Self {
        let (tx, rx) = mpsc::channel(capacity);
        BoundedBuffer { tx, rx: Mutex::new(rx) }
    }

    /// How many items it holds now.
    pub fn len(&self) -> usize {
        self.tx.max_capacity() - self.tx.capacity()
    }

    /// Whether it holds no item now.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds `item` at the back, waiting while the buffer is full.
    pub async fn put(&self, item: T) {
        if self.tx.send(item).await.is_err() {
            unreachable!("the receiver lives as long as the buffer");
        }
    }

    /// Takes the item at the front, waiting while the buffer is empty.
    pub async fn get(&self) -> T {
        let mut rx = self.rx.lock().await;
        rx.recv().await.expect("the sender lives as long as the buffer")
    }
}

// ---- task 4: Barrier ----------------------------------------------------------

/// `asyncio.Barrier(n)`: tokio has one.
#[derive(Debug)]
pub struct Barrier {
    inner: tokio::sync::Barrier,
}

impl Barrier {
    /// A barrier for `parties` tasks (at least 1).
    pub fn new(parties: usize) -> Self {
        Barrier { inner: tokio::sync::Barrier::new(parties) }
    }

    /// Waits until `parties` tasks have called `wait`; `true` for the leader.
    pub async fn wait(&self) -> bool {
        self.inner.wait().await.is_leader()
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
    let mut config = rx.borrow_and_update().clone();
    loop {
        apply(config).await;
        match rx.changed().await {
            Ok(()) => config = rx.borrow_and_update().clone(),
            Err(_) => return,
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
    let count = {
        let mut guard = counter.lock().unwrap();
        *guard += 1;
        *guard
    }; // the guard is dropped here, before any `.await`
    log.write(format!("count = {count}")).await;
    count
}
