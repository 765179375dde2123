//! alternative: an Event and a Barrier on watch channels, a bounded buffer on two counting semaphores (slots and items), locks ordered with Ordering, follow_config through mark_changed, the bump in a plain fn of its own

use std::collections::VecDeque;
use std::future::Future;
use std::sync::Mutex as StdMutex;
use std::time::Duration;

use tokio::sync::{Mutex, OnceCell, Semaphore, watch};

// ---- task 1: Event ----------------------------------------------------------

/// `asyncio.Event` on a watch channel: the channel holds the flag, and
/// every waiter has a receiver of its own.
#[derive(Debug)]
pub struct Event {
    flag: watch::Sender<bool>,
}

impl Default for Event {
    fn default() -> Self {
        Event { flag: watch::Sender::new(false) }
    }
}

impl Event {
    /// A new event, not set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the flag: every receiver waiting sees it.
    pub fn set(&self) {
        self.flag.send_replace(true);
    }

    /// Clears the flag.
    pub fn clear(&self) {
        self.flag.send_replace(false);
    }

    /// Whether the flag is set.
    pub fn is_set(&self) -> bool {
        *self.flag.borrow()
    }

    /// Returns once the flag is set (at once if it is).
    pub async fn wait(&self) {
        let mut rx = self.flag.subscribe();
        // The sender lives in `self`, so the channel cannot close here.
        let _ = rx.wait_for(|set| *set).await;
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

/// Moves `amount` from `from` to `to`, locking the lower id first.
pub async fn transfer(from: &Account, to: &Account, amount: u64) {
    let (mut from_balance, mut to_balance) = match from.id.cmp(&to.id) {
        std::cmp::Ordering::Less => {
            let f = from.balance.lock().await;
            (f, to.balance.lock().await)
        }
        _ => {
            let t = to.balance.lock().await;
            (from.balance.lock().await, t)
        }
    };
    audit().await;
    *from_balance -= amount;
    *to_balance += amount;
}

// ---- task 3: BoundedBuffer ----------------------------------------------------

/// The bounded buffer on two counting semaphores: `slots` counts the free
/// places, `filled` the items. A semaphore remembers its permits, so a
/// release before anyone waits is never lost.
#[derive(Debug)]
pub struct BoundedBuffer<T> {
    items: StdMutex<VecDeque<T>>,
    slots: Semaphore,
    filled: Semaphore,
}

impl<T> BoundedBuffer<T> {
    /// An empty buffer that holds at most `capacity` items (at least 1).
    pub fn new(capacity: usize) -> Self {
        BoundedBuffer {
            items: StdMutex::new(VecDeque::with_capacity(capacity)),
            slots: Semaphore::new(capacity),
            filled: Semaphore::new(0),
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

    /// Adds `item` at the back, waiting for a free slot.
    pub async fn put(&self, item: T) {
        self.slots.acquire().await.expect("never closed").forget();
        self.items.lock().unwrap().push_back(item);
        self.filled.add_permits(1);
    }

    /// Takes the item at the front, waiting for one.
    pub async fn get(&self) -> T {
        self.filled.acquire().await.expect("never closed").forget();
        let item = self.items.lock().unwrap().pop_front().expect("a permit for each item");
        self.slots.add_permits(1);
        item
    }
}

// ---- task 4: Barrier ----------------------------------------------------------

/// `asyncio.Barrier(n)` on a watch channel of generations: the last to
/// arrive starts the next generation, which every waiter is watching for.
#[derive(Debug)]
pub struct Barrier {
    parties: usize,
    arrived: StdMutex<usize>,
    generation: watch::Sender<u64>,
}

impl Barrier {
    /// A barrier for `parties` tasks (at least 1).
    pub fn new(parties: usize) -> Self {
        Barrier { parties, arrived: StdMutex::new(0), generation: watch::Sender::new(0) }
    }

    /// Waits until `parties` tasks have called `wait`; `true` for the last.
    pub async fn wait(&self) -> bool {
        let mut rx = self.generation.subscribe();
        let mine = *rx.borrow_and_update();
        {
            let mut arrived = self.arrived.lock().unwrap();
            *arrived += 1;
            if *arrived == self.parties {
                *arrived = 0;
                self.generation.send_replace(mine + 1);
                return true;
            }
        }
        let _ = rx.wait_for(|g| *g != mine).await;
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
    match cell.get() {
        Some(value) => Ok(value),
        None => cell.get_or_try_init(load).await,
    }
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
    // The current value counts as a change not yet seen.
    rx.mark_changed();
    while rx.changed().await.is_ok() {
        let config = rx.borrow_and_update().clone();
        apply(config).await;
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
    // The lock lives and dies inside a plain function: the async fn never
    // holds a guard at all.
    let count = bump(counter);
    log.write(format!("count = {count}")).await;
    count
}

/// Adds 1 and gives the new value back.
fn bump(counter: &StdMutex<u64>) -> u64 {
    let mut count = counter.lock().unwrap();
    *count += 1;
    *count
}
