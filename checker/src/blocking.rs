//! The blocking detector: how long did the executor's thread run without
//! coming back to the scheduler?
//!
//! An async runtime can only switch tasks at an `.await`. Code that holds the
//! thread, with `std::thread::sleep`, a busy loop or a blocking read, stalls
//! every other task, and on the paused clock it also stops time: the test sees
//! a 2 s job finish "instantly". asyncio warns about this with
//! `slow_callback_duration`; we do the same, from the runtime's
//! park/unpark hooks: the time between waking up and going back to sleep is
//! one *busy stretch*, and a busy stretch of 100 ms of real time is far beyond
//! anything an honest test does on a paused clock.
//!
//! On a loaded machine a thread can wait for a CPU in the middle of an honest
//! poll. That wait is not the learner's fault, so on Linux the thread's
//! run-queue wait (`/proc/thread-self/schedstat`, second field) is taken off
//! the stretch. A sleep or a spin still counts in full.

use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Wall time (ns) spent where the learner is not to blame: printing a
/// panic, with a backtrace when RUST_BACKTRACE is set, can take longer than
/// the threshold inside an honest poll (a test whose job panics on purpose).
static EXCUSED_NS: AtomicU64 = AtomicU64::new(0);

/// Takes `spent` off whatever busy stretch it fell in.
pub(crate) fn excuse(spent: Duration) {
    EXCUSED_NS.fetch_add(spent.as_nanos() as u64, Ordering::Relaxed);
}

/// Run-queue wait plus excused time, in ns: what a stretch does not count.
fn not_counted(path: Option<&PathBuf>) -> u64 {
    runqueue_wait(path) + EXCUSED_NS.load(Ordering::Relaxed)
}

#[derive(Debug, Default)]
struct Stretches {
    /// Set while the executor thread is busy: since when, and its run-queue
    /// wait plus excused time (ns) at that moment.
    busy_since: Option<(Instant, u64)>,
    longest: Duration,
}

/// Shared between the runtime's hooks (on the executor thread) and the
/// watchdog (on its own thread).
#[derive(Debug)]
pub(crate) struct Detector {
    stretches: Mutex<Stretches>,
    /// `/proc/self/task/TID/schedstat` of the executor thread, so that the
    /// watchdog can read it from another thread.
    schedstat: Option<PathBuf>,
}

/// Run-queue wait of a thread in ns, from its schedstat file.
fn runqueue_wait(path: Option<&PathBuf>) -> u64 {
    path.and_then(|p| std::fs::read_to_string(p).ok())
        .and_then(|s| s.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}

impl Detector {
    /// A detector for the calling thread, which is busy from now on.
    pub(crate) fn for_this_thread() -> Self {
        let schedstat = std::fs::read_link("/proc/thread-self")
            .ok()
            .and_then(|p| {
                p.file_name()
                    .map(|tid| PathBuf::from(format!("/proc/self/task/{}/schedstat", tid.to_string_lossy())))
            })
            .filter(|p| p.exists());
        let start = (Instant::now(), not_counted(schedstat.as_ref()));
        Detector {
            stretches: Mutex::new(Stretches { busy_since: Some(start), longest: Duration::ZERO }),
            schedstat,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Stretches> {
        self.stretches.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The executor woke up: a busy stretch begins.
    pub(crate) fn unparked(&self) {
        let wait = not_counted(self.schedstat.as_ref());
        self.lock().busy_since = Some((Instant::now(), wait));
    }

    /// The executor has nothing left to poll: the busy stretch ends.
    pub(crate) fn parked(&self) {
        let wait = not_counted(self.schedstat.as_ref());
        let mut s = self.lock();
        if let Some((since, wait_then)) = s.busy_since.take() {
            let stretch =
                since.elapsed().saturating_sub(Duration::from_nanos(wait.saturating_sub(wait_then)));
            s.longest = s.longest.max(stretch);
        }
    }

    /// The longest busy stretch so far, the current one included.
    pub(crate) fn longest(&self) -> Duration {
        let current = self.current();
        self.lock().longest.max(current.unwrap_or_default())
    }

    /// How long, in plain wall time, the executor has been busy without a
    /// break, if it is busy. A deadlocked executor is parked, so any long
    /// busy stretch here means a spin, however little CPU a loaded machine
    /// gave it.
    pub(crate) fn current_raw(&self) -> Option<Duration> {
        self.lock().busy_since.map(|(since, _)| since.elapsed())
    }

    /// How long the executor has been busy without a break, if it is busy,
    /// less the time it waited for a CPU.
    pub(crate) fn current(&self) -> Option<Duration> {
        let since = self.lock().busy_since;
        since.map(|(since, wait_then)| {
            let wait = not_counted(self.schedstat.as_ref());
            since.elapsed().saturating_sub(Duration::from_nanos(wait.saturating_sub(wait_then)))
        })
    }
}

/// Advice for a learner whose code held the executor for `stretch`.
pub(crate) fn advice(stretch: Duration) -> String {
    format!(
        "your code blocked the executor for {:.1} s of real time in one stretch, without an .await that waits.\n\
         while it does, no other task runs and the virtual clock stands still.\n\
         look for std::thread::sleep (use tokio::time::sleep(..).await), a busy loop that polls a flag,\n\
         or blocking work that belongs in tokio::task::spawn_blocking.",
        stretch.as_secs_f64()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sleeping_thread_is_a_long_busy_stretch() {
        let d = Detector::for_this_thread();
        d.parked();
        d.unparked();
        std::thread::sleep(Duration::from_millis(30));
        d.parked();
        assert!(d.longest() >= Duration::from_millis(30));
        assert_eq!(d.current(), None);
    }
}
