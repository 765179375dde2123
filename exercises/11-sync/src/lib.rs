//! # 11 · sync — `asyncio.Lock`, `Event`, `Condition` and `Barrier`, in tokio
//!
//! Tasks that share state need to agree on who touches it when, and to
//! wait for each other without spinning: that is what `tokio::sync` is for.
//! Here you build an event, a bank transfer that cannot deadlock, the
//! bounded buffer every textbook builds on a condition variable, a barrier,
//! a value loaded once for a stampede of callers, a reader of a
//! configuration that changes faster than it can keep up, and you meet the
//! most common async compile error of real code. Read README.md beside this
//! file first, then replace each `todo!()` below.
//!
//! On one thread nothing runs between two lines of yours unless you
//! `.await` between them. Every lost wake-up and every deadlock in this
//! file hides at an `.await`.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::Mutex as StdMutex;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use tokio::sync::{Mutex, Notify, OnceCell, watch};

// ---- task 1: Event ----------------------------------------------------------

/// Task 1 · `asyncio.Event`: a flag that tasks can wait for.
///
/// - `set` raises the flag and wakes **every** task waiting at that
///   instant (a thousand as well as one);
/// - `wait` returns at once if the flag is up, else at the next `set`;
/// - `clear` lowers it: later `wait`s wait again;
/// - `is_set` says whether it is up (a new event is not).
///
/// A `tokio::sync::Notify` wakes tasks, but it remembers nothing for a task
/// that was not listening yet: keep the flag yourself, and register for
/// the notification *before* you look at the flag (`Notify::notified`,
/// then `Notified::enable`), so that a `set` between the two is not missed.
#[derive(Debug, Default)]
pub struct Event {
    // Unread until you write task 1; delete the `allow`s then.
    #[allow(dead_code)]
    flag: AtomicBool,
    #[allow(dead_code)]
    notify: Notify,
}

impl Event {
    /// A new event, not set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Raises the flag and wakes every task waiting now.
    pub fn set(&self) {
        todo!("task 1 (event: set)")
    }

    /// Lowers the flag.
    pub fn clear(&self) {
        todo!("task 1 (event: clear)")
    }

    /// Whether the flag is up.
    pub fn is_set(&self) -> bool {
        todo!("task 1 (event: is_set)")
    }

    /// Returns at once if the flag is up, else when it is next set.
    pub async fn wait(&self) {
        todo!("task 1 (event: wait)")
    }
}

// ---- task 2: transfer ---------------------------------------------------------

/// How long the audit inside every transfer takes.
pub const AUDIT: Duration = Duration::from_millis(100);

/// A bank account: an id and a balance behind an async lock
/// (`asyncio.Lock`). Given: nothing to write here.
#[derive(Debug)]
pub struct Account {
    /// Unique per account: the order to lock accounts in.
    pub id: u32,
    /// The balance. A transfer holds this lock from before its audit until
    /// the money has moved.
    pub balance: Mutex<u64>,
}

impl Account {
    /// An account with this id and opening balance.
    pub fn new(id: u32, balance: u64) -> Self {
        Account { id, balance: Mutex::new(balance) }
    }
}

/// The regulator's audit: 100 ms. Given: await it inside the transfer.
pub async fn audit() {
    tokio::time::sleep(AUDIT).await;
}

/// Task 2 · Moves `amount` from `from` to `to`.
///
/// Lock both accounts, `audit().await` (100 ms) with both locks held, move
/// the money, let go. One transfer alone takes exactly 100 ms, and money is
/// never created or lost, however many transfers run at once.
///
/// The trap: `transfer(a, b)` and `transfer(b, a)` at the same time. If
/// each locks its `from` first, each can hold one account and wait forever
/// for the other. Take the two locks in **one order for every transfer**:
/// by account id, lower id first, whatever the direction. Then the two
/// transfers run one after the other and are both done at 200 ms.
/// Transfers that share no account do not wait for each other.
///
/// `from` and `to` are different accounts, and the tests never overdraw.
pub async fn transfer(from: &Account, to: &Account, amount: u64) {
    todo!("task 2 (transfer)")
}

// ---- task 3: BoundedBuffer ----------------------------------------------------

/// Task 3 · The condition-variable classic (`asyncio.Condition`): a
/// first-in, first-out buffer of at most `capacity` items.
///
/// - `put` adds an item at the back, waiting while the buffer is full;
/// - `get` takes the item at the front, waiting while it is empty;
/// - each wakes the other side the instant it changes the buffer: a `put`
///   into an empty buffer wakes a waiting `get` then, not a moment later.
///
/// The items sit behind a `std::sync::Mutex`: every look at them is short
/// and never crosses an `.await`. The waiting is done on two `Notify`s, one
/// per condition. The rule of every condition variable: **be listening
/// before you look**. Create the `Notified` future and `enable()` it, then
/// check the buffer, then await it; never await anything between the check
/// and the wait. A `put` that lands in that gap notifies nobody, and the
/// waiter sleeps with an item in the buffer: a *lost wake-up*.
#[derive(Debug)]
pub struct BoundedBuffer<T> {
    items: StdMutex<VecDeque<T>>,
    // Unread until you write task 3; delete the `allow`s then.
    #[allow(dead_code)]
    capacity: usize,
    #[allow(dead_code)]
    not_empty: Notify,
    #[allow(dead_code)]
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
        todo!("task 3 (bounded_buffer: put)")
    }

    /// Takes the item at the front, waiting while the buffer is empty.
    pub async fn get(&self) -> T {
        todo!("task 3 (bounded_buffer: get)")
    }
}

// ---- task 4: Barrier ----------------------------------------------------------

/// Task 4 · `asyncio.Barrier(parties)`: tasks wait at the barrier until
/// `parties` of them have arrived, then all pass at that instant.
///
/// Tasks arriving at 100, 250 and 400 ms at a barrier for 3 all pass at
/// 400 ms. `wait` returns `true` for **exactly one** of them, the leader
/// (which one is up to you), `false` for the others. A barrier for 1 lets
/// its task through at once, as leader.
#[derive(Debug)]
pub struct Barrier {
    // Unread until you write task 4; delete the `allow`s then.
    #[allow(dead_code)]
    parties: usize,
    #[allow(dead_code)]
    arrived: StdMutex<usize>,
    #[allow(dead_code)]
    released: Notify,
}

impl Barrier {
    /// A barrier for `parties` tasks (at least 1).
    pub fn new(parties: usize) -> Self {
        Barrier { parties, arrived: StdMutex::new(0), released: Notify::new() }
    }

    /// Waits until `parties` tasks have called `wait`; `true` for the
    /// leader only.
    pub async fn wait(&self) -> bool {
        todo!("task 4 (barrier)")
    }
}

// ---- task 5: load_once --------------------------------------------------------

/// Task 5 · The value in `cell`, loaded by `load` once for every caller:
/// the cure for a *stampede*, where ten callers find the cache empty at
/// once and all ten run the same slow load.
///
/// - Ten callers at once with a 500 ms load: the load runs **once**, and
///   all ten get the value at 500 ms. A caller after that gets it at once.
/// - A load that fails stores nothing: its caller gets the error, and the
///   next caller waiting runs its own `load` (3 callers at once, the first
///   load failing at 500 ms: one error at 500 ms, the value for the two
///   others at 1 000 ms).
///
/// `tokio::sync::OnceCell` has a method for exactly this.
pub async fn load_once<T, E, F, Fut>(cell: &OnceCell<T>, load: F) -> Result<&T, E>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    todo!("task 5 (load_once)")
}

// ---- task 6: follow_config ----------------------------------------------------

/// Task 6 · Keeps a component's configuration up to date from a `watch`
/// channel: applies the current value at once, then, each time an apply
/// has ended, the **latest** value if it changed since, until the sender
/// is gone; then returns.
///
/// A reader slower than the updates skips the versions it missed: it never
/// works through a backlog, and never applies the same version twice.
/// Versions 1..=10 sent every 100 ms, 230 ms per apply: it applies 0 at
/// 0 ms, 2 at 230, 4 at 460, 6 at 690, 9 at 920, 10 at 1 150. A value sent
/// just before the sender was dropped is still applied.
pub async fn follow_config<T, F, Fut>(rx: watch::Receiver<T>, apply: F)
where
    T: Clone,
    F: FnMut(T) -> Fut,
    Fut: Future<Output = ()>,
{
    todo!("task 6 (follow_config)")
}

// ---- task 7: bump_and_log -----------------------------------------------------

/// How long one write to the [`Log`] takes.
pub const LOG_WRITE: Duration = Duration::from_millis(10);

/// A log whose writes take [`LOG_WRITE`] each. Given.
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

/// Task 7 · Adds 1 to `counter`, **then** awaits the write of
/// `count = N` (N the new value) to `log`, and returns N.
///
/// The tests run it with `tokio::spawn`, which needs a future that can be
/// sent between threads. A `std::sync::MutexGuard` cannot be: if yours is
/// still alive at the `.await`, this does not compile. Read what rustc
/// says (README, "Break it"), and end the guard's scope before the
/// `.await`. Do not reach for `tokio::sync::Mutex`: the signature takes a
/// `std::sync::Mutex`, the right lock for a counter touched for a moment.
pub async fn bump_and_log(counter: &StdMutex<u64>, log: &Log) -> u64 {
    todo!("task 7 (bump_and_log)")
}
