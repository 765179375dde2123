//! Which job held the executor: the blocking detector says *that* the
//! executor's thread was held, this says *in whose poll*.
//!
//! Every job a [`crate::Timeline`] makes is polled through [`poll_as`],
//! which, on the test's executor thread, notes the job's name while it polls
//! and measures how long that one poll held the thread: its time on a CPU,
//! or, when the thread gave the CPU up of its own accord inside the poll (a
//! `std::thread::sleep`, a lock wait, a blocking read), its wall time. A
//! poll inside another job's poll is that inner job's doing, not the outer
//! one's. When the test ends with a blocking verdict, the report names the
//! jobs that held it longest ("job `greet A` blocked the executor for
//! 0.200 s in one poll"); when the watchdog stops a poll that never ends, it
//! names the job being polled.
//!
//! Only the executor thread records (a future polled elsewhere, for example
//! through `Handle::block_on` on a blocking-pool thread, holds no executor),
//! and the watchdog reads what is being polled with `try_lock` only, so the
//! executor never waits on it.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::blocking::{fmt_real, sleeps_and_faults, thread_cpu_ns};

/// A poll that held the executor less than this names no one.
const NAMED_FROM: Duration = Duration::from_millis(20);
/// How many jobs a report names at most.
const NAMED_AT_MOST: usize = 3;

/// What one test's executor thread records about its jobs' polls.
#[derive(Debug, Default)]
pub(crate) struct Culprits {
    /// The jobs being polled right now, innermost last.
    polling: Mutex<Vec<Arc<str>>>,
    /// Each job (in the order it first held the executor for 1 ms or more)
    /// and the most it held it in one poll.
    worst: Mutex<Vec<(Arc<str>, Duration)>>,
}

thread_local! {
    /// The current test's record, on its executor thread only.
    static HERE: RefCell<Option<Arc<Culprits>>> = const { RefCell::new(None) };
    /// What the polls nested in the current one held, in all.
    static NESTED: Cell<Duration> = const { Cell::new(Duration::ZERO) };
}

impl Culprits {
    /// A record for the calling thread (the executor's), replacing the
    /// record of an earlier test on it.
    pub(crate) fn for_this_thread() -> Arc<Self> {
        let culprits = Arc::new(Culprits::default());
        HERE.with_borrow_mut(|here| *here = Some(culprits.clone()));
        NESTED.set(Duration::ZERO);
        culprits
    }

    /// The jobs that held the executor longest in one poll, longest first,
    /// each at least [`NAMED_FROM`].
    pub(crate) fn worst(&self) -> Vec<(String, Duration)> {
        let mut worst: Vec<(String, Duration)> = lock(&self.worst)
            .iter()
            .filter(|(_, held)| *held >= NAMED_FROM)
            .map(|(name, held)| (name.to_string(), *held))
            .collect();
        worst.sort_by_key(|(_, held)| std::cmp::Reverse(*held));
        worst
    }

    /// The job being polled now (the innermost), for the watchdog: never
    /// waits for the lock.
    pub(crate) fn polling_now(&self) -> Option<String> {
        self.polling.try_lock().ok()?.last().map(|name| name.to_string())
    }

    fn record(&self, name: &Arc<str>, held: Duration) {
        let mut worst = lock(&self.worst);
        match worst.iter_mut().find(|(n, _)| Arc::ptr_eq(n, name) || **n == **name) {
            Some((_, most)) => *most = (*most).max(held),
            None => worst.push((name.clone(), held)),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The lines a blocking verdict adds: which jobs held the executor.
pub(crate) fn describe(worst: &[(String, Duration)]) -> String {
    let mut lines: Vec<String> = worst
        .iter()
        .take(NAMED_AT_MOST)
        .map(|(name, held)| format!("job `{name}` blocked the executor for {} in one poll.", fmt_real(*held)))
        .collect();
    if worst.len() > NAMED_AT_MOST {
        lines.push(format!("(and {} more jobs)", worst.len() - NAMED_AT_MOST));
    }
    lines.join("\n")
}

/// One poll of a named job, being measured.
struct Polling {
    culprits: Arc<Culprits>,
    name: Arc<str>,
    at: Instant,
    cpu: Option<u64>,
    sleeps_and_faults: Option<(i64, i64)>,
    /// What the polls around this one had nested so far.
    outer_nested: Duration,
}

impl Polling {
    fn start(name: &Arc<str>) -> Option<Self> {
        let culprits = HERE.with_borrow(|here| here.clone())?;
        lock(&culprits.polling).push(name.clone());
        Some(Polling {
            culprits,
            name: name.clone(),
            at: Instant::now(),
            cpu: thread_cpu_ns(),
            sleeps_and_faults: sleeps_and_faults(),
            outer_nested: NESTED.replace(Duration::ZERO),
        })
    }
}

impl Drop for Polling {
    // Runs when the poll returns and when it unwinds.
    fn drop(&mut self) {
        let wall = self.at.elapsed();
        let slept = matches!(
            (self.sleeps_and_faults, sleeps_and_faults()),
            (Some((sleeps, faults)), Some((sleeps_now, faults_now))) if sleeps_now > sleeps && faults_now == faults
        );
        // Asleep inside the poll: all of it counts. Otherwise only its time
        // on a CPU (a loaded machine may preempt an honest poll).
        let held = match (slept, self.cpu, thread_cpu_ns()) {
            (false, Some(then), Some(now)) => Duration::from_nanos(now.saturating_sub(then)),
            _ => wall,
        };
        let own = held.saturating_sub(NESTED.get());
        NESTED.set(self.outer_nested + held);
        lock(&self.culprits.polling).pop();
        if own >= Duration::from_millis(1) {
            self.culprits.record(&self.name, own);
        }
    }
}

/// Polls `fut` as the job `name`.
pub(crate) fn poll_as<F: Future + ?Sized>(
    name: &Arc<str>,
    fut: Pin<&mut F>,
    cx: &mut Context<'_>,
) -> Poll<F::Output> {
    let _polling = Polling::start(name);
    fut.poll(cx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_job_that_slept_is_named_and_its_caller_is_not() {
        let culprits = Culprits::for_this_thread();
        let (outer, inner): (Arc<str>, Arc<str>) = (Arc::from("outer"), Arc::from("inner"));
        let waker = futures::task::noop_waker();
        let mut cx = Context::from_waker(&waker);
        let mut sleeper = std::pin::pin!(futures::future::poll_fn(|_| {
            std::thread::sleep(Duration::from_millis(60));
            Poll::Ready(())
        }));
        let mut caller = std::pin::pin!(futures::future::poll_fn(|cx| poll_as(&inner, sleeper.as_mut(), cx)));
        assert!(poll_as(&outer, caller.as_mut(), &mut cx).is_ready());
        let worst = culprits.worst();
        assert_eq!(worst.len(), 1, "{worst:?}");
        assert_eq!(worst[0].0, "inner");
        assert!(worst[0].1 >= Duration::from_millis(60), "{worst:?}");
        assert!(
            describe(&worst).starts_with("job `inner` blocked the executor for 0.0"),
            "{}",
            describe(&worst)
        );
        assert_eq!(culprits.polling_now(), None);
    }
}
