//! Tests for 11-sync. The same file tests the stub (in exercises/) and the
//! solution (in solutions/): both build a library called `sync`.
//!
//! Every wait is a sleep on the paused virtual clock, so "all pass at
//! 400 ms" is an `==` that never flakes. A deadlock (two transfers that each
//! hold the account the other needs, a consumer whose wake-up was lost) has
//! no timer of its own: the clock jumps to the test's own guard, and the
//! test fails there, at an exact instant, saying which wait never ended.
//! Test names start with the task they check.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use checker::{
    End, Fate, Span, Timeline, assert_returned_at, assert_schedule, at_once, chart_of_spans, check_eq, done,
    fail, fmt_duration, ms, sleep_until_ms, within,
};
use sync::{Account, Barrier, BoundedBuffer, Event, Log, bump_and_log, follow_config, load_once, transfer};
use tokio::sync::{OnceCell, watch};
use tokio::task::JoinHandle;

/// `(what, instant)` pairs recorded by side tasks, in the order they happened.
type Record<T> = Arc<Mutex<Vec<(T, Duration)>>>;

fn record<T>() -> Record<T> {
    Arc::new(Mutex::new(Vec::new()))
}

fn note<T>(rec: &Record<T>, what: T) {
    rec.lock().unwrap().push((what, checker::elapsed()));
}

fn taken<T: Clone>(rec: &Record<T>) -> Vec<(T, Duration)> {
    rec.lock().unwrap().clone()
}

/// A span for a chart: from `start` to `end` (if it ended).
fn span(name: &str, start: Duration, end: Option<Duration>) -> Span {
    Span { name: name.into(), fate: Fate { started: Some(start), ended: end.map(End::Completed) } }
}

// ---- task 1: Event ------------------------------------------------------------

/// A waiter that calls `event.wait()` at `at_ms`, on the timeline as `name`.
fn waiter(tl: &Timeline, event: &Arc<Event>, name: &str, at_ms: u64) -> JoinHandle<()> {
    let (tl, event, name) = (tl.clone(), event.clone(), name.to_string());
    tokio::spawn(async move {
        sleep_until_ms(at_ms).await;
        tl.track(name, async move { event.wait().await }).await;
    })
}

#[test]
fn event_wakes_every_waiter_at_the_instant_it_is_set() {
    checker::run(async {
        let event = Arc::new(Event::new());
        check_eq(event.is_set(), false, "Event::new().is_set(): a new event is not set");
        let tl = Timeline::new();
        let waiters: Vec<_> =
            [("W1", 0), ("W2", 100), ("W3", 200)].iter().map(|(n, at)| waiter(&tl, &event, n, *at)).collect();
        sleep_until_ms(500).await;
        event.set();
        check_eq(event.is_set(), true, "is_set() right after set()");
        sleep_until_ms(2000).await;
        assert_schedule(
            &tl,
            &[done("W1", 0, 500), done("W2", 100, 500), done("W3", 200, 500)],
            "waiters that began at 0, 100 and 200 ms all return at 500 ms, when set() is called: set must \
             wake every task waiting then, not one (Notify::notify_waiters), in `Event::set` in src/lib.rs",
        );
        for w in waiters {
            w.abort();
        }
    });
}

#[test]
fn event_wait_after_set_returns_at_once() {
    checker::run(async {
        let event = Event::new();
        event.set();
        tokio::time::sleep(ms(300)).await;
        at_once(
            event.wait(),
            "wait() on an event set 300 ms before",
            "a set event lets every wait through at once: check the flag in `Event::wait` before you wait for \
             a notification (a notification sent before you listened is gone).",
        )
        .await;
        at_once(event.wait(), "a second wait() on the same set event", "the flag stays set until clear().")
            .await;
    });
}

#[test]
fn event_waits_again_after_clear() {
    checker::run(async {
        let event = Arc::new(Event::new());
        event.set();
        tokio::time::sleep(ms(100)).await;
        event.clear();
        check_eq(event.is_set(), false, "is_set() after set() then clear()");
        let tl = Timeline::new();
        let w = waiter(&tl, &event, "W", 200);
        sleep_until_ms(700).await;
        event.set();
        sleep_until_ms(2000).await;
        assert_schedule(
            &tl,
            &[done("W", 200, 700)],
            "after clear(), a wait() begun at 200 ms waits for the next set(), at 700 ms: clear must lower the \
             flag (`Event::clear` in src/lib.rs)",
        );
        w.abort();
    });
}

#[test]
fn event_wakes_a_thousand_waiters_at_one_instant() {
    checker::run(async {
        let event = Arc::new(Event::new());
        let woken: Record<usize> = record();
        let waiters: Vec<_> = (0..1000)
            .map(|i| {
                let (event, woken) = (event.clone(), woken.clone());
                tokio::spawn(async move {
                    event.wait().await;
                    note(&woken, i);
                })
            })
            .collect();
        sleep_until_ms(300).await;
        event.set();
        sleep_until_ms(2000).await;
        let woken = taken(&woken);
        let on_time = woken.iter().filter(|(_, at)| *at == ms(300)).count();
        if on_time != 1000 {
            let early = woken.iter().filter(|(_, at)| *at < ms(300)).count();
            fail(format!(
                "1000 tasks wait on one event, set at 0.300 s: {on_time} returned at 0.300 s, {early} before it \
                 and {} never returned (by 2.000 s).\n\
                 set() must wake every waiter at its instant: Notify::notify_one wakes one, \
                 Notify::notify_waiters wakes them all (`Event::set` in src/lib.rs).",
                1000 - woken.len()
            ));
        }
        for w in waiters {
            w.abort();
        }
    });
}

// ---- task 2: transfer -----------------------------------------------------------

/// Where the lock order is taught.
const LOCK_ORDER: &str = "take the two locks in one order for every transfer, whatever its direction: by account \
     id, the lower id first (look at `transfer` in src/lib.rs).";

/// Awaits every transfer, or fails at `guard_ms` (an exact virtual instant)
/// with what was still locked. Returns when each one returned.
async fn await_transfers(
    accounts: &[Arc<Account>],
    transfers: Vec<(String, JoinHandle<Duration>)>,
    guard_ms: u64,
    what: &str,
) -> Vec<(String, Duration)> {
    let names: Vec<String> = transfers.iter().map(|(n, _)| n.clone()).collect();
    let handles = futures_join(transfers.into_iter().map(|(_, h)| h).collect());
    match tokio::time::timeout_at(tokio::time::Instant::now() + (ms(guard_ms) - checker::elapsed()), handles)
        .await
    {
        Ok(ends) => names.into_iter().zip(ends).collect(),
        Err(_) => {
            let locked: Vec<String> = accounts
                .iter()
                .filter(|a| a.balance.try_lock().is_err())
                .map(|a| format!("account {}", a.id))
                .collect();
            fail(format!(
                "{what}: at {} some transfers had still not returned, far later than their audits need, and \
                 {} still locked ({}).\n\
                 each of the stuck transfers holds one account and waits for another that a second one \
                 holds: a deadlock. {LOCK_ORDER}",
                fmt_duration(ms(guard_ms)),
                if locked.len() == 1 { "this account was" } else { "these accounts were" },
                locked.join(", ")
            ))
        }
    }
}

/// Joins the transfer tasks: each returns the instant its transfer returned.
async fn futures_join(handles: Vec<JoinHandle<Duration>>) -> Vec<Duration> {
    let mut ends = Vec::new();
    for h in handles {
        ends.push(h.await.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic())));
    }
    ends
}

fn spawn_transfer(from: &Arc<Account>, to: &Arc<Account>, amount: u64) -> (String, JoinHandle<Duration>) {
    let (f, t) = (from.clone(), to.clone());
    let name = format!("transfer({} → {}, {amount})", from.id, to.id);
    (
        name,
        tokio::spawn(async move {
            transfer(&f, &t, amount).await;
            checker::elapsed()
        }),
    )
}

async fn balances(accounts: &[Arc<Account>]) -> Vec<u64> {
    let mut out = Vec::new();
    for a in accounts {
        out.push(*a.balance.lock().await);
    }
    out
}

#[test]
fn transfer_moves_the_money_with_both_accounts_locked_for_the_audit() {
    checker::run(async {
        let (a, b) = (Arc::new(Account::new(1, 100)), Arc::new(Account::new(2, 50)));
        let (a2, b2) = (a.clone(), b.clone());
        let during_audit = tokio::spawn(async move {
            sleep_until_ms(50).await;
            (a2.balance.try_lock().is_err(), b2.balance.try_lock().is_err())
        });
        within(ms(1000), "transfer(1 → 2, 30)", LOCK_ORDER, transfer(&a, &b, 30)).await;
        assert_returned_at(
            checker::elapsed(),
            100,
            "transfer(1 → 2, 30)",
            "the transfer is the 100 ms audit and nothing else that waits.",
            "the transfer must await the 100 ms audit (`audit().await`) before it returns.",
        );
        let (a_locked, b_locked) = during_audit.await.unwrap();
        if !(a_locked && b_locked) {
            fail(format!(
                "transfer(1 → 2, 30) at 50 ms, in the middle of its audit: account 1 was {}, account 2 was {}. \
                 both must stay locked from before the audit until the money has moved, so that nobody sees \
                 or changes a balance half way (`transfer` in src/lib.rs).",
                if a_locked { "locked" } else { "free" },
                if b_locked { "locked" } else { "free" }
            ));
        }
        check_eq(
            balances(&[a, b]).await,
            vec![70, 80],
            "balances of accounts 1 and 2 after transfer(1 → 2, 30)",
        );
    });
}

#[test]
fn transfer_in_opposite_directions_at_once_does_not_deadlock() {
    checker::run(async {
        // Each transfer has taken its first lock when it meets the other:
        // the test holds both accounts while the two transfers line up,
        // then lets go of both at once.
        let (a, b) = (Arc::new(Account::new(1, 1000)), Arc::new(Account::new(2, 1000)));
        let (hold_a, hold_b) = (a.balance.lock().await, b.balance.lock().await);
        let transfers = vec![spawn_transfer(&a, &b, 30), spawn_transfer(&b, &a, 50)];
        for _ in 0..8 {
            tokio::task::yield_now().await;
        }
        drop((hold_a, hold_b));
        let accounts = [a, b];
        let ends = await_transfers(
            &accounts,
            transfers,
            1000,
            "transfer(1 → 2, 30) and transfer(2 → 1, 50), begun at the same instant",
        )
        .await;
        let mut instants: Vec<Duration> = ends.iter().map(|(_, at)| *at).collect();
        instants.sort();
        if instants != [ms(100), ms(200)] {
            fail(format!(
                "transfer(1 → 2, 30) and transfer(2 → 1, 50) at once: {}; one should return at 0.100 s and the \
                 other at 0.200 s. both need both accounts, so their 100 ms audits run one after the other, \
                 each with both accounts locked.",
                ends.iter()
                    .map(|(n, at)| format!("{n} returned at {}", fmt_duration(*at)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        check_eq(
            balances(&accounts).await,
            vec![1020, 980],
            "balances after transfer(1 → 2, 30) and transfer(2 → 1, 50): the money is all there (2000)",
        );
    });
}

#[test]
fn transfer_in_opposite_directions_from_the_start_is_done_at_200_ms() {
    checker::run(async {
        let (a, b) = (Arc::new(Account::new(7, 500)), Arc::new(Account::new(3, 500)));
        let transfers = vec![spawn_transfer(&a, &b, 100), spawn_transfer(&b, &a, 40)];
        let accounts = [a, b];
        let ends =
            await_transfers(&accounts, transfers, 1000, "transfer(7 → 3, 100) and transfer(3 → 7, 40)").await;
        let last = ends.iter().map(|(_, at)| *at).max().unwrap_or_default();
        assert_returned_at(
            last,
            200,
            "the later of transfer(7 → 3, 100) and transfer(3 → 7, 40), begun at once",
            "two audits of 100 ms, one after the other, are done at 200 ms.",
            "both transfers need both accounts: their audits cannot overlap.",
        );
        check_eq(balances(&accounts).await, vec![440, 560], "balances of accounts 7 and 3, 1000 in all");
    });
}

#[test]
fn transfer_between_other_accounts_does_not_wait() {
    checker::run(async {
        let accounts: Vec<Arc<Account>> = (1..=4).map(|id| Arc::new(Account::new(id, 100))).collect();
        let transfers = vec![
            spawn_transfer(&accounts[0], &accounts[1], 10),
            spawn_transfer(&accounts[2], &accounts[3], 20),
        ];
        let ends =
            await_transfers(&accounts, transfers, 1000, "transfer(1 → 2, 10) and transfer(3 → 4, 20)").await;
        for (name, at) in ends {
            assert_returned_at(
                at,
                100,
                &format!("{name}, at the same time as a transfer between two other accounts"),
                "transfers that share no account do not wait for each other: lock the two accounts of the \
                 transfer, not the whole bank.",
                "",
            );
        }
        check_eq(balances(&accounts).await, vec![90, 110, 80, 120], "balances of accounts 1, 2, 3, 4");
    });
}

#[test]
fn transfer_conserves_the_money_of_many_transfers_at_once() {
    checker::run(async {
        // Three accounts: any two transfers share an account, so the twelve
        // audits run one after another and the last one ends at 1 200 ms.
        let accounts: Vec<Arc<Account>> =
            [5, 2, 9].iter().map(|&id| Arc::new(Account::new(id, 1000))).collect();
        let moves = [(0, 1, 10), (1, 2, 20), (2, 0, 30), (1, 0, 40), (0, 2, 50), (2, 1, 60)];
        let transfers: Vec<_> = moves
            .iter()
            .chain(moves.iter())
            .map(|&(f, t, amount)| spawn_transfer(&accounts[f], &accounts[t], amount))
            .collect();
        let ends =
            await_transfers(&accounts, transfers, 5000, "twelve transfers among accounts 5, 2 and 9").await;
        let last = ends.iter().map(|(_, at)| *at).max().unwrap_or_default();
        let got = balances(&accounts).await;
        check_eq(
            got.clone(),
            vec![1020, 1020, 960],
            &format!(
                "balances of accounts 5, 2, 9 after twelve transfers begun at once ({} in all, 3000 at the \
                 start): read and write the balances only while you hold both locks",
                got.iter().sum::<u64>()
            ),
        );
        assert_returned_at(
            last,
            1200,
            "the last of twelve transfers among three accounts, begun at once",
            "",
            "any two of these transfers share an account: their audits cannot overlap.",
        );
    });
}

// ---- task 3: BoundedBuffer --------------------------------------------------------

#[test]
fn bounded_buffer_put_waits_while_full() {
    checker::run(async {
        let buffer = Arc::new(BoundedBuffer::new(2));
        at_once(buffer.put(1), "put(1) into an empty buffer of capacity 2", "there is room: do not wait.")
            .await;
        at_once(
            buffer.put(2),
            "put(2) into a buffer of capacity 2 holding 1 item",
            "there is room: do not wait.",
        )
        .await;
        check_eq(buffer.len(), 2, "len() after two puts");
        let b = buffer.clone();
        let third = tokio::spawn(async move {
            b.put(3).await;
            checker::elapsed()
        });
        sleep_until_ms(300).await;
        check_eq(buffer.len(), 2, "len() at 300 ms: the third put must wait, the buffer holds at most 2");
        let first = at_once(buffer.get(), "get() from a full buffer", "there is an item: do not wait.").await;
        check_eq(first, 1, "get() returns the oldest item");
        let returned = within(
            ms(1000),
            "put(3) into a full buffer",
            "get() freed a slot at 300 ms: wake a waiting put.",
            third,
        )
        .await
        .unwrap();
        assert_returned_at(
            returned,
            300,
            "put(3) into a full buffer, with a get() at 300 ms",
            "get() must wake a waiting put at once: notify `not_full` when you take an item.",
            "it must wait while the buffer is full.",
        );
    });
}

#[test]
fn event_wait_misses_no_set_between_its_check_and_its_wait() {
    checker::run(async {
        // A waiter and a setter start at one instant, the waiter polled
        // first, then the other way round, 32 times each: a wait that
        // checks the flag, lets another task run, and only then starts
        // listening misses the set that came in between, and never returns.
        for round in 0..64 {
            let event = Arc::new(Event::new());
            let (e1, e2) = (event.clone(), event.clone());
            let waiter_first = round % 2 == 0;
            let waiter = async move { e1.wait().await };
            let setter = async move { e2.set() };
            let (w, s) = if waiter_first {
                let w = tokio::spawn(waiter);
                (w, tokio::spawn(setter))
            } else {
                let s = tokio::spawn(setter);
                (tokio::spawn(waiter), s)
            };
            s.await.unwrap();
            if tokio::time::timeout(ms(100), w).await.is_err() {
                fail(format!(
                    "a wait() begun at the instant of set() never returned (round {round}, the waiter polled \
                     {}): it missed the wake-up.\n\
                     start listening (Notify::notified, enabled) before you check the flag, and await it \
                     without letting another task run in between.\n\
                     → look at `Event::wait` in exercises/11-sync/src/lib.rs",
                    if waiter_first { "first" } else { "second" }
                ));
            }
        }
    });
}

#[test]
fn bounded_buffer_put_waits_again_when_another_took_the_slot() {
    checker::run(async {
        // Capacity 1, full; two puts wait. One get at 100 ms frees one
        // slot: one put goes in then, the other must check again and wait
        // for the get at 200 ms. Whichever goes first is not pinned.
        let buffer = Arc::new(BoundedBuffer::new(1));
        buffer.put(0).await;
        let putter = |item: u32| {
            let b = buffer.clone();
            tokio::spawn(async move {
                b.put(item).await;
                checker::elapsed()
            })
        };
        let (p1, p2) = (putter(1), putter(2));
        let mut most = 0;
        for at in [100, 200] {
            sleep_until_ms(at).await;
            buffer.get().await;
            tokio::task::yield_now().await;
            most = most.max(buffer.len());
        }
        let (a, b) = (p1.await.unwrap(), p2.await.unwrap());
        let mut returned = [a, b];
        returned.sort();
        if most > 1 || returned != [ms(100), ms(200)] {
            fail(format!(
                "two puts waited on a full buffer of capacity 1; a get at 100 ms freed one slot, another at \
                 200 ms a second. the puts returned at {} and {}, and the buffer held up to {most} items.\n\
                 one put goes in at 100 ms, the other at 200 ms, and the buffer never holds more than 1: a \
                 woken put must check again that there is room (a `while`, not an `if`), since another put \
                 may have taken the slot first.\n\
                 → look at `BoundedBuffer::put` in exercises/11-sync/src/lib.rs",
                fmt_duration(returned[0]),
                fmt_duration(returned[1])
            ));
        }
    });
}

#[test]
fn bounded_buffer_get_waits_while_empty() {
    checker::run(async {
        let buffer = Arc::new(BoundedBuffer::new(3));
        let b = buffer.clone();
        let getter = tokio::spawn(async move {
            let item = b.get().await;
            (item, checker::elapsed())
        });
        sleep_until_ms(200).await;
        at_once(buffer.put('x'), "put('x') with a get() waiting", "there is room: do not wait.").await;
        let (item, at) =
            within(ms(1000), "get() on an empty buffer", "put() at 200 ms must wake a waiting get.", getter)
                .await
                .unwrap();
        assert_returned_at(
            at,
            200,
            "get() on an empty buffer, with a put('x') at 200 ms",
            "put() must wake a waiting get at once: notify `not_empty` when you add an item.",
            "it must wait while the buffer is empty.",
        );
        check_eq(item, 'x', "the item get() returns");
        check_eq(buffer.len(), 0, "len() once the one item was taken");
    });
}

#[test]
fn bounded_buffer_is_first_in_first_out() {
    checker::run(async {
        let buffer = BoundedBuffer::new(100);
        for i in 0..100 {
            buffer.put(i).await;
        }
        let mut out = Vec::new();
        for _ in 0..100 {
            out.push(buffer.get().await);
        }
        checker::check_input_order(
            out,
            (0..100).collect(),
            "100 items put then taken from a buffer of capacity 100",
        );
        check_eq(checker::elapsed(), ms(0), "virtual time for 100 puts and 100 gets that never wait");
    });
}

/// One item of the producers' schedule: its name, when its put is called,
/// when that put should return and when a consumer should get it.
struct Item {
    name: &'static str,
    put_at: u64,
    put_returns: u64,
    got_at: u64,
}

#[test]
fn bounded_buffer_three_producers_two_consumers_at_exact_instants() {
    checker::run(async {
        // Capacity 2. Two consumers take an item, then work on it for
        // 300 ms. P1 puts x1 at 0 and x2 at 40, P2 y1 at 10 and y2 at 60,
        // P3 z1 at 20 and z2 at 400.
        let plan = [
            Item { name: "x1", put_at: 0, put_returns: 0, got_at: 0 },
            Item { name: "y1", put_at: 10, put_returns: 10, got_at: 10 },
            Item { name: "z1", put_at: 20, put_returns: 20, got_at: 300 },
            Item { name: "x2", put_at: 40, put_returns: 40, got_at: 310 },
            Item { name: "y2", put_at: 60, put_returns: 300, got_at: 600 },
            Item { name: "z2", put_at: 400, put_returns: 400, got_at: 610 },
        ];
        let buffer: Arc<BoundedBuffer<&'static str>> = Arc::new(BoundedBuffer::new(2));
        let (puts, gets): (Record<&str>, Record<&str>) = (record(), record());
        let mut tasks = Vec::new();
        for _ in 0..2 {
            let (buffer, gets) = (buffer.clone(), gets.clone());
            tasks.push(tokio::spawn(async move {
                loop {
                    let item = buffer.get().await;
                    note(&gets, item);
                    tokio::time::sleep(ms(300)).await;
                }
            }));
        }
        for producer in [["x1", "x2"], ["y1", "y2"], ["z1", "z2"]] {
            let (buffer, puts) = (buffer.clone(), puts.clone());
            let plan: Vec<(&'static str, u64)> =
                producer.iter().map(|n| (*n, plan.iter().find(|i| i.name == *n).unwrap().put_at)).collect();
            tasks.push(tokio::spawn(async move {
                for (name, at) in plan {
                    sleep_until_ms(at).await;
                    buffer.put(name).await;
                    note(&puts, name);
                }
            }));
        }
        sleep_until_ms(3000).await;
        for t in &tasks {
            t.abort();
        }
        let (puts, gets) = (taken(&puts), taken(&gets));
        let when =
            |rec: &[(&str, Duration)], name: &str| rec.iter().find(|(n, _)| *n == name).map(|(_, at)| *at);
        let wrong: Vec<String> = plan
            .iter()
            .filter(|i| {
                when(&puts, i.name) != Some(ms(i.put_returns)) || when(&gets, i.name) != Some(ms(i.got_at))
            })
            .map(|i| {
                let show = |at: Option<Duration>| at.map_or("never".to_string(), fmt_duration);
                format!(
                    "  {}: put called at {}, returned {} (expected {}), got {} (expected {})",
                    i.name,
                    fmt_duration(ms(i.put_at)),
                    show(when(&puts, i.name)),
                    fmt_duration(ms(i.put_returns)),
                    show(when(&gets, i.name)),
                    fmt_duration(ms(i.got_at)),
                )
            })
            .collect();
        let order: Vec<&str> = gets.iter().map(|(n, _)| *n).collect();
        if !wrong.is_empty() || order != ["x1", "y1", "z1", "x2", "y2", "z2"] {
            let expected: Vec<Span> =
                plan.iter().map(|i| span(i.name, ms(i.put_at), Some(ms(i.got_at)))).collect();
            let yours: Vec<Span> =
                plan.iter().map(|i| span(i.name, ms(i.put_at), when(&gets, i.name))).collect();
            fail(format!(
                "3 producers and 2 consumers (300 ms of work per item) on a buffer of capacity 2: the items \
                 did not go through at the instants the spec gives.\n{}\n\
                 the items were taken in the order {order:?}; first in, first out is x1, y1, z1, x2, y2, z2.\n\
                 a put waits only while the buffer holds 2 items, a get only while it holds none, and each \
                 wakes the other side the instant it changes the buffer (`BoundedBuffer` in src/lib.rs).\n\
                 each bar is an item from its put to its get:\n\n{}",
                wrong.join("\n"),
                chart_of_spans(&expected, &yours)
            ));
        }
    });
}

#[test]
fn bounded_buffer_loses_no_wake_up_between_the_check_and_the_wait() {
    checker::run(async {
        // Capacity 1, a producer of 32 items and a consumer of 32 that never
        // pause: every put and get meets the other side at 0 ms, in the
        // same instant in which that side has just looked at the buffer.
        for consumer_first in [true, false] {
            let buffer: Arc<BoundedBuffer<u32>> = Arc::new(BoundedBuffer::new(1));
            let got: Record<u32> = record();
            let consumer = {
                let (buffer, got) = (buffer.clone(), got.clone());
                async move {
                    for _ in 0..32 {
                        let item = buffer.get().await;
                        note(&got, item);
                    }
                }
            };
            let producer = {
                let buffer = buffer.clone();
                async move {
                    for i in 0..32 {
                        buffer.put(i).await;
                    }
                }
            };
            let started_at = checker::elapsed();
            let (c, p) = if consumer_first {
                let c = tokio::spawn(consumer);
                (c, tokio::spawn(producer))
            } else {
                let p = tokio::spawn(producer);
                (tokio::spawn(consumer), p)
            };
            let both = async {
                c.await.unwrap();
                p.await.unwrap();
            };
            let who =
                if consumer_first { "the consumer started first" } else { "the producer started first" };
            if tokio::time::timeout(ms(1000), both).await.is_err() {
                let got = taken(&got).len();
                let side = if buffer.is_empty() {
                    "the buffer was empty, so the producer was waiting in put() for a slot that a get() had \
                     already freed"
                } else {
                    "the buffer held an item, so the consumer was waiting in get() for an item that was \
                     already there"
                };
                fail(format!(
                    "a producer of 32 items and a consumer of 32 on a buffer of capacity 1 ({who}): at {} the \
                     consumer had taken {got} of 32 items and both were still waiting; {side}.\n\
                     a lost wake-up: the other side changed the buffer and notified while this side was between \
                     its check and its wait, and nobody was listening then. create the `Notified` and enable() \
                     it before you check the buffer, and await nothing between the check and the wait \
                     (`BoundedBuffer::get` and `put` in src/lib.rs).",
                    fmt_duration(started_at + ms(1000))
                ));
            }
            let items: Vec<u32> = taken(&got).iter().map(|(i, _)| *i).collect();
            checker::check_input_order(
                items,
                (0..32).collect(),
                &format!("32 items through a buffer of 1 ({who})"),
            );
            check_eq(
                checker::elapsed(),
                started_at,
                &format!("virtual time for 32 items through a buffer of 1 ({who}), all at once"),
            );
        }
    });
}

// ---- task 4: Barrier ----------------------------------------------------------

#[test]
fn barrier_lets_everyone_pass_when_the_last_arrives() {
    checker::run(async {
        let barrier = Arc::new(Barrier::new(3));
        let tl = Timeline::new();
        let leaders: Record<&str> = record();
        let tasks: Vec<_> = [("A", 100), ("B", 250), ("C", 400)]
            .into_iter()
            .map(|(name, at)| {
                let (barrier, tl, leaders) = (barrier.clone(), tl.clone(), leaders.clone());
                tokio::spawn(async move {
                    sleep_until_ms(at).await;
                    if tl.track(name, async move { barrier.wait().await }).await {
                        note(&leaders, name);
                    }
                })
            })
            .collect();
        sleep_until_ms(2000).await;
        assert_schedule(
            &tl,
            &[done("A", 100, 400), done("B", 250, 400), done("C", 400, 400)],
            "a barrier for 3, reached at 100, 250 and 400 ms: all three pass at 400 ms, when the third arrives \
             (`Barrier::wait` in src/lib.rs)",
        );
        let leaders: Vec<&str> = taken(&leaders).iter().map(|(n, _)| *n).collect();
        if leaders.len() != 1 {
            fail(format!(
                "a barrier for 3: wait() returned true (leader) for {} task(s), {leaders:?}; exactly one of \
                 the three is the leader (asyncio's Barrier gives each its arrival index; tokio's \
                 BarrierWaitResult::is_leader is true for one).",
                leaders.len()
            ));
        }
        for t in tasks {
            t.abort();
        }
    });
}

#[test]
fn barrier_for_one_passes_at_once_as_leader() {
    checker::run(async {
        let barrier = Barrier::new(1);
        let leader =
            at_once(barrier.wait(), "Barrier::new(1).wait()", "a barrier for one waits for nobody.").await;
        check_eq(leader, true, "Barrier::new(1).wait(): the only task is the leader");
    });
}

#[test]
fn barrier_of_ten_has_exactly_one_leader() {
    checker::run(async {
        let barrier = Arc::new(Barrier::new(10));
        let tasks: Vec<_> = (0..10u64)
            .map(|i| {
                let barrier = barrier.clone();
                tokio::spawn(async move {
                    sleep_until_ms(i * 10).await;
                    (barrier.wait().await, checker::elapsed())
                })
            })
            .collect();
        let mut results = Vec::new();
        for t in tasks {
            results.push(
                within(ms(5000), "a barrier for 10, reached every 10 ms", "the tenth arrives at 90 ms.", t)
                    .await
                    .unwrap(),
            );
        }
        let leaders = results.iter().filter(|(leader, _)| *leader).count();
        check_eq(leaders, 1, "a barrier for 10: how many of the ten got true (leader)");
        for (_, at) in results {
            assert_returned_at(
                at,
                90,
                "wait() on a barrier for 10 reached every 10 ms from 0",
                "",
                "it must wait for the tenth.",
            );
        }
    });
}

// ---- task 5: load_once ------------------------------------------------------------

type Loads = Arc<Mutex<u32>>;

/// A load of 500 ms that counts itself; load number `fail_first` and below fail.
async fn load(loads: Loads, fail_first: u32) -> Result<String, String> {
    let n = {
        let mut loads = loads.lock().unwrap();
        *loads += 1;
        *loads
    };
    tokio::time::sleep(ms(500)).await;
    if n <= fail_first { Err(format!("load {n} failed")) } else { Ok(format!("config from load {n}")) }
}

#[test]
fn load_once_runs_one_load_for_ten_callers_at_once() {
    checker::run(async {
        let cell: OnceCell<String> = OnceCell::new();
        let loads: Loads = Arc::default();
        let callers = (0..10).map(|_| {
            let loads = loads.clone();
            let cell = &cell;
            async move {
                let value = load_once(cell, || load(loads, 0)).await.cloned();
                (value, checker::elapsed())
            }
        });
        let results = futures::future::join_all(callers).await;
        check_eq(
            *loads.lock().unwrap(),
            1,
            "how many times the 500 ms load ran for 10 callers at once: once, however many ask (a stampede runs \
             it for each); the others wait for it (`load_once` in src/lib.rs)",
        );
        for (value, at) in results {
            check_eq(value, Ok("config from load 1".to_string()), "what each of the 10 callers gets");
            assert_returned_at(at, 500, "load_once for 10 callers at once, a 500 ms load", "", "");
        }
        let later =
            at_once(load_once(&cell, || load(loads.clone(), 0)), "load_once at 500 ms, once loaded", "")
                .await;
        check_eq(later.cloned(), Ok("config from load 1".to_string()), "load_once once the value is there");
        check_eq(*loads.lock().unwrap(), 1, "loads after a later call: the value is kept");
    });
}

#[test]
fn load_once_retries_after_a_failed_load() {
    checker::run(async {
        let cell: OnceCell<String> = OnceCell::new();
        let loads: Loads = Arc::default();
        let callers = (0..3).map(|_| {
            let loads = loads.clone();
            let cell = &cell;
            async move {
                let value = load_once(cell, || load(loads, 1)).await.cloned();
                (value, checker::elapsed())
            }
        });
        let mut results = futures::future::join_all(callers).await;
        results.sort_by_key(|(_, at)| *at);
        let expected = vec![
            (Err("load 1 failed".to_string()), ms(500)),
            (Ok("config from load 2".to_string()), ms(1000)),
            (Ok("config from load 2".to_string()), ms(1000)),
        ];
        check_eq(
            results,
            expected,
            "3 callers at once; the first load fails at 500 ms. its caller gets that error then; a failed load \
             stores nothing, so the next caller runs its own load (500 to 1 000 ms) and both others get its \
             value at 1 000 ms (`load_once` in src/lib.rs). (result, instant) by instant",
        );
        check_eq(*loads.lock().unwrap(), 2, "how many loads ran: the one that failed and one retry");
    });
}

// ---- task 6: follow_config ---------------------------------------------------------

async fn follow(
    updates: u32,
    every_ms: u64,
    drop_at: u64,
    apply_ms: u64,
) -> (Vec<(u32, Duration)>, Duration) {
    let (tx, rx) = watch::channel(0u32);
    let writer = tokio::spawn(async move {
        for v in 1..=updates {
            sleep_until_ms(v as u64 * every_ms).await;
            tx.send_replace(v);
        }
        sleep_until_ms(drop_at).await;
        drop(tx);
    });
    let applied: Record<u32> = record();
    let a = applied.clone();
    within(
        ms(30_000),
        "follow_config",
        "it should return once the sender is dropped and the last value is applied: rx.changed() returns Err \
         then.",
        follow_config(rx, move |v| {
            let a = a.clone();
            async move {
                note(&a, v);
                tokio::time::sleep(ms(apply_ms)).await;
            }
        }),
    )
    .await;
    let returned = checker::elapsed();
    writer.await.unwrap();
    (taken(&applied), returned)
}

#[test]
fn follow_config_applies_the_latest_value_never_a_backlog() {
    checker::run(async {
        let (applied, returned) = follow(10, 100, 1050, 230).await;
        let expected: Vec<(u32, Duration)> = [(0, 0), (2, 230), (4, 460), (6, 690), (9, 920), (10, 1150)]
            .iter()
            .map(|&(v, t)| (v, ms(t)))
            .collect();
        if applied != expected {
            fail(format!(
                "versions 1..=10 published every 100 ms, each apply taking 230 ms: the (version, instant) pairs \
                 applied.\n  expected: {}\n  yours:    {}\n\
                 apply the current value at once, then, each time an apply ends, the latest value if it changed \
                 (borrow_and_update after changed()): a slow reader skips the versions it missed, it never \
                 works through a backlog, and never applies a value it has already applied.",
                show_applied(&expected),
                show_applied(&applied)
            ));
        }
        assert_returned_at(
            returned,
            1380,
            "follow_config, sender dropped at 1.050 s during the apply of version 9",
            "",
            "version 10 (sent at 1.000 s) is still to be applied once the sender is gone: changed() gives Ok \
             for it first, and Err only after.",
        );
    });
}

fn show_applied(list: &[(u32, Duration)]) -> String {
    list.iter().map(|(v, at)| format!("v{v} at {}", fmt_duration(*at))).collect::<Vec<_>>().join(", ")
}

#[test]
fn follow_config_returns_when_the_sender_is_gone() {
    checker::run(async {
        let (applied, returned) = follow(0, 100, 100, 230).await;
        check_eq(
            show_applied(&applied),
            show_applied(&[(0, ms(0))]),
            "no update, sender dropped at 100 ms: only the current value, at once",
        );
        assert_returned_at(
            returned,
            230,
            "follow_config with no update and the sender dropped at 0.100 s",
            "once the apply of the current value ends (230 ms), the sender is gone: return.",
            "",
        );
    });
}

// ---- task 7: bump_and_log -------------------------------------------------------

#[test]
fn bump_and_log_bumps_then_awaits_the_log_write() {
    checker::run(async {
        let counter = Arc::new(Mutex::new(0u64));
        let log = Arc::new(Log::new());
        let (c, l) = (counter.clone(), log.clone());
        let task = tokio::spawn(async move { bump_and_log(&c, &l).await });
        sleep_until_ms(5).await;
        check_eq(
            *counter.lock().unwrap(),
            1,
            "the counter at 5 ms, half way through the 10 ms log write: bump it first, then write the log",
        );
        let count = within(ms(1000), "bump_and_log", "", task).await.unwrap();
        assert_returned_at(
            checker::elapsed(),
            10,
            "bump_and_log",
            "one log write takes 10 ms.",
            "await the log write.",
        );
        check_eq(count, 1, "what bump_and_log returns: the new count");
        check_eq(log.lines(), vec!["count = 1".to_string()], "the log after one bump_and_log");
    });
}

#[test]
fn bump_and_log_in_three_spawned_tasks_at_once() {
    checker::run(async {
        let counter = Arc::new(Mutex::new(0u64));
        let log = Arc::new(Log::new());
        let tasks: Vec<_> = (0..3)
            .map(|_| {
                let (c, l) = (counter.clone(), log.clone());
                tokio::spawn(async move { bump_and_log(&c, &l).await })
            })
            .collect();
        sleep_until_ms(5).await;
        check_eq(*counter.lock().unwrap(), 3, "the counter at 5 ms, with three bump_and_log begun at 0");
        let mut counts = Vec::new();
        for t in tasks {
            counts.push(within(ms(1000), "bump_and_log", "", t).await.unwrap());
        }
        assert_returned_at(
            checker::elapsed(),
            10,
            "three bump_and_log at once",
            "the lock is held for the bump only: the three log writes run at the same time.",
            "",
        );
        counts.sort();
        check_eq(counts, vec![1, 2, 3], "what the three calls return (sorted): each its own new count");
        let mut lines = log.lines();
        lines.sort();
        check_eq(
            lines,
            vec!["count = 1".to_string(), "count = 2".into(), "count = 3".into()],
            "the log lines (sorted)",
        );
    });
}
