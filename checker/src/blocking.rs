//! The blocking detector: how long did the executor's thread run without
//! coming back to the scheduler, and what was it doing meanwhile?
//!
//! An async runtime can only switch tasks at an `.await`. Code that holds the
//! thread, with `std::thread::sleep`, a busy loop or a blocking read, stalls
//! every other task, and on the paused clock it also stops time: the test sees
//! a 2 s job finish "instantly". asyncio warns about this with
//! `slow_callback_duration`; we do the same, from the runtime's
//! park/unpark hooks: the time between waking up and going back to sleep is
//! one *busy stretch*.
//!
//! A busy stretch splits in three, and only one of them is the learner's
//! doing in a way that is easy to miss:
//! - **on a CPU** (the thread's CPU clock): computing. Honest code on a
//!   paused clock computes for microseconds; 100 ms in one stretch is a
//!   busy loop or work that belongs in `spawn_blocking`.
//! - **waiting for a CPU** (run-queue wait, `/proc/thread-self/schedstat`):
//!   the machine is loaded. Not the learner's fault: never counted.
//! - **off the CPU and not waiting for one**: the thread *slept* inside a
//!   poll: `std::thread::sleep`, a `std::sync::Mutex` held elsewhere, a
//!   blocking read. Honest async code never does this, so a short total is
//!   already a verdict: 20 ms in one stretch, or 50 ms over many (a short
//!   sleep in a loop). That is what catches a 60 ms `std::thread::sleep`,
//!   which is well under the 100 ms a busy loop is given.
//!
//! The thread's CPU clock comes from `clock_gettime(CLOCK_THREAD_CPUTIME_ID)`
//! in the hooks themselves (exact to the nanosecond). On a virtual machine
//! the host can also take the CPU away (steal time), which shows up as
//! neither; so off-CPU time counts as sleep only in a poll where the thread
//! itself gave the CPU up: its count of *voluntary* context switches
//! (`getrusage(RUSAGE_THREAD)`) went up. A sleep, a lock wait and a blocking
//! read all do that; being preempted or stolen from does not. Where the
//! platform has neither counter (not Linux), only the 100 ms rule applies.
//!
//! Which job's poll held the thread is [`crate::culprit`]'s part: a verdict
//! names the jobs that held it longest.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::culprit::{self, Culprits};

/// Off-CPU time in one stretch that counts as blocking.
const BLOCKED_IN_ONE: Duration = Duration::from_millis(40);
/// Off-CPU time over the whole test that counts as blocking.
const BLOCKED_IN_ALL: Duration = Duration::from_millis(60);
/// Off-CPU time under which one stretch is noise: not added to the total.
const BLOCKED_FLOOR: Duration = Duration::from_millis(5);

/// Wall time (ns) spent where the learner is not to blame: printing a
/// panic, with a backtrace when RUST_BACKTRACE is set, can take longer than
/// the threshold inside an honest poll (a test whose job panics on purpose).
static EXCUSED_NS: AtomicU64 = AtomicU64::new(0);

/// Takes `spent` off whatever busy stretch it fell in.
pub(crate) fn excuse(spent: Duration) {
    EXCUSED_NS.fetch_add(spent.as_nanos() as u64, Ordering::Relaxed);
}

/// CPU time of the calling thread, in ns.
#[cfg(unix)]
pub(crate) fn thread_cpu_ns() -> Option<u64> {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime only writes into the timespec we own.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    (rc == 0).then(|| ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64)
}

#[cfg(not(unix))]
pub(crate) fn thread_cpu_ns() -> Option<u64> {
    None
}

/// The calling thread's counts so far of voluntary context switches (each
/// time it went to sleep of its own accord) and of major page faults (each
/// time it waited for the disk to page something in: the machine's doing,
/// not the learner's).
#[cfg(target_os = "linux")]
pub(crate) fn sleeps_and_faults() -> Option<(i64, i64)> {
    // SAFETY: an all-zero rusage is a valid value to be overwritten.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage only writes into the struct we own.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut usage) };
    (rc == 0).then_some((usage.ru_nvcsw as i64, usage.ru_majflt as i64))
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn sleeps_and_faults() -> Option<(i64, i64)> {
    None
}

/// Real time, to the millisecond: "0.060 s".
pub(crate) fn fmt_real(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

/// Where a busy stretch began.
#[derive(Debug, Clone, Copy)]
struct Mark {
    at: Instant,
    /// Run-queue wait plus excused time (ns) then.
    not_counted: u64,
    /// The thread's CPU clock (ns) then, read on the thread itself.
    cpu: Option<u64>,
    /// Its voluntary context switches and major faults then.
    sleeps_and_faults: Option<(i64, i64)>,
}

/// What only the executor thread touches (through its hooks): never
/// locked by the watchdog, so the executor never waits on a thread that
/// is itself waiting for a CPU.
#[derive(Debug, Default)]
struct Stretches {
    /// Set while the executor thread is busy.
    busy_since: Option<Mark>,
    /// The longest stretch, less run-queue wait and excused time.
    longest: Duration,
    /// The most off-CPU time in one stretch.
    longest_blocked: Duration,
    /// Off-CPU time over all stretches (each over the floor), and in how many.
    total_blocked: Duration,
    blocked_stretches: usize,
}

/// What the detector saw over a whole test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Seen {
    pub(crate) longest: Duration,
    pub(crate) longest_blocked: Duration,
    pub(crate) total_blocked: Duration,
    pub(crate) blocked_stretches: usize,
    /// The jobs that held the executor longest in one poll, longest first.
    pub(crate) culprits: Vec<(String, Duration)>,
}

impl Seen {
    /// Whether this is blocking, by the rules above and a busy-stretch limit.
    pub(crate) fn is_blocking(&self, threshold: Duration) -> bool {
        self.longest >= threshold
            || self.longest_blocked >= BLOCKED_IN_ONE
            || self.total_blocked >= BLOCKED_IN_ALL
    }

    /// Advice for a learner whose code held the executor, and which jobs'
    /// polls held it, if any did.
    pub(crate) fn advice(&self) -> String {
        let advice = self.what_to_look_for();
        if self.culprits.is_empty() {
            return advice;
        }
        // Right under the verdict's first line: where to look.
        let (first, rest) = advice.split_once('\n').unwrap_or((&advice, ""));
        format!("{first}\n{}\n{rest}", culprit::describe(&self.culprits))
    }

    fn what_to_look_for(&self) -> String {
        // Mostly asleep: the thread waited inside a poll.
        if self.total_blocked * 2 >= self.longest || self.longest_blocked * 2 >= self.longest {
            let how_often = if self.blocked_stretches > 1 {
                format!(
                    "{} in all, over {} separate polls (the longest {})",
                    fmt_real(self.total_blocked),
                    self.blocked_stretches,
                    fmt_real(self.longest_blocked)
                )
            } else {
                format!("{} in one poll", fmt_real(self.longest_blocked.max(self.total_blocked)))
            };
            format!(
                "your code blocked the executor: its thread slept or waited {how_often} of real time, \
                 inside a poll, without an .await.\n\
                 while it does, no other task runs and the virtual clock stands still.\n\
                 look for std::thread::sleep (use tokio::time::sleep(..).await), a std::sync::Mutex that \
                 another task holds,\n\
                 or blocking I/O (std::fs, std::net): use tokio's versions, or tokio::task::spawn_blocking."
            )
        } else {
            format!(
                "your code blocked the executor: it kept the thread busy for {} of real time in one poll, \
                 without an .await that waits.\n\
                 while it does, no other task runs and the virtual clock stands still.\n\
                 look for a busy loop that polls a flag (await a Notify, a channel or a sleep instead),\n\
                 or heavy computation that belongs in tokio::task::spawn_blocking.",
                fmt_real(self.longest)
            )
        }
    }
}

/// Shared between the runtime's hooks (on the executor thread) and the
/// watchdog (on its own thread).
#[derive(Debug)]
pub(crate) struct Detector {
    stretches: Mutex<Stretches>,
    /// What the watchdog reads, lock-free: since when (ns after `epoch`,
    /// 0 while parked) the executor is busy, and its run-queue wait plus
    /// excused time and CPU clock (`u64::MAX`: unknown) then.
    epoch: Instant,
    busy_since_ns: AtomicU64,
    busy_not_counted: AtomicU64,
    busy_cpu: AtomicU64,
    /// `/proc/self/task/TID/schedstat` of the executor thread, so that the
    /// watchdog can read it from another thread.
    schedstat: Option<PathBuf>,
    /// Which jobs' polls held the executor.
    culprits: Arc<Culprits>,
}

/// (CPU time, run-queue wait) of a thread in ns, from its schedstat file.
/// The CPU time there lags by up to a scheduler tick: good enough over a
/// second, not over a poll.
fn schedstat(path: Option<&PathBuf>) -> Option<(u64, u64)> {
    let text = std::fs::read_to_string(path?).ok()?;
    let mut fields = text.split_whitespace().map(|n| n.parse::<u64>().ok());
    Some((fields.next()??, fields.next()??))
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
        let detector = Detector {
            stretches: Mutex::new(Stretches::default()),
            epoch: Instant::now(),
            busy_since_ns: AtomicU64::new(0),
            busy_not_counted: AtomicU64::new(0),
            busy_cpu: AtomicU64::new(u64::MAX),
            schedstat,
            culprits: Culprits::for_this_thread(),
        };
        detector.unparked();
        detector
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Stretches> {
        self.stretches.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Run-queue wait plus excused time, in ns: what a stretch does not count.
    fn not_counted(&self) -> u64 {
        schedstat(self.schedstat.as_ref()).map_or(0, |(_, wait)| wait) + EXCUSED_NS.load(Ordering::Relaxed)
    }

    /// The executor woke up: a busy stretch begins. Runs on its thread.
    pub(crate) fn unparked(&self) {
        let mark = Mark {
            at: Instant::now(),
            not_counted: self.not_counted(),
            cpu: thread_cpu_ns(),
            sleeps_and_faults: sleeps_and_faults(),
        };
        self.busy_not_counted.store(mark.not_counted, Ordering::Relaxed);
        self.busy_cpu.store(mark.cpu.unwrap_or(u64::MAX), Ordering::Relaxed);
        let since = (mark.at - self.epoch).as_nanos() as u64 + 1;
        self.busy_since_ns.store(since, Ordering::Release);
        self.lock().busy_since = Some(mark);
    }

    /// The executor has nothing left to poll: the busy stretch ends. Runs
    /// on its thread.
    pub(crate) fn parked(&self) {
        let (cpu, counts, not_counted) = (thread_cpu_ns(), sleeps_and_faults(), self.not_counted());
        self.busy_since_ns.store(0, Ordering::Release);
        let mut s = self.lock();
        let Some(mark) = s.busy_since.take() else { return };
        let busy = mark
            .at
            .elapsed()
            .saturating_sub(Duration::from_nanos(not_counted.saturating_sub(mark.not_counted)));
        s.longest = s.longest.max(busy);
        // Off the CPU by its own doing (a voluntary switch), and not
        // waiting for the disk to page code in (a major fault).
        let slept = matches!(
            (mark.sleeps_and_faults, counts),
            (Some((sleeps, faults)), Some((sleeps_now, faults_now))) if sleeps_now > sleeps && faults_now == faults
        );
        if let (Some(then), Some(now), true) = (mark.cpu, cpu, slept) {
            let blocked = busy.saturating_sub(Duration::from_nanos(now.saturating_sub(then)));
            if blocked >= BLOCKED_FLOOR {
                s.longest_blocked = s.longest_blocked.max(blocked);
                s.total_blocked += blocked;
                s.blocked_stretches += 1;
            }
        }
    }

    /// What the detector saw; call once the executor has parked for good.
    pub(crate) fn seen(&self) -> Seen {
        let s = self.lock();
        Seen {
            longest: s.longest,
            longest_blocked: s.longest_blocked,
            total_blocked: s.total_blocked,
            blocked_stretches: s.blocked_stretches,
            culprits: self.culprits.worst(),
        }
    }

    /// For the watchdog: the job being polled now, if the executor is in a
    /// job's poll. Never waits.
    pub(crate) fn polling_now(&self) -> Option<String> {
        self.culprits.polling_now()
    }

    /// When the current busy stretch began, if the executor is busy.
    fn busy_since(&self) -> Option<Instant> {
        match self.busy_since_ns.load(Ordering::Acquire) {
            0 => None,
            ns => Some(self.epoch + Duration::from_nanos(ns - 1)),
        }
    }

    /// How long, in plain wall time, the executor has been busy without a
    /// break, if it is busy.
    pub(crate) fn current_raw(&self) -> Option<Duration> {
        self.busy_since().map(|at| at.elapsed())
    }

    /// For the watchdog: the current busy stretch, if any, less the time it
    /// waited for a CPU, and the share of it spent on a CPU (None where the
    /// platform does not say).
    pub(crate) fn current(&self) -> Option<(Duration, Option<f64>)> {
        let at = self.busy_since()?;
        let (not_counted, cpu) =
            (self.busy_not_counted.load(Ordering::Relaxed), self.busy_cpu.load(Ordering::Relaxed));
        let busy =
            at.elapsed().saturating_sub(Duration::from_nanos(self.not_counted().saturating_sub(not_counted)));
        // The mark's CPU clock was read on the executor thread; schedstat's
        // lags it by at most a tick, which is nothing over a second.
        let on_cpu = match ((cpu != u64::MAX).then_some(cpu), schedstat(self.schedstat.as_ref())) {
            (Some(then), Some((now, _))) if !busy.is_zero() => {
                Some(Duration::from_nanos(now.saturating_sub(then)).as_secs_f64() / busy.as_secs_f64())
            }
            _ => None,
        };
        Some((busy, on_cpu))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stretch(d: &Detector, work: impl FnOnce()) {
        d.unparked();
        work();
        d.parked();
    }

    #[test]
    fn a_sleep_in_a_poll_is_blocked_time() {
        let d = Detector::for_this_thread();
        d.parked();
        stretch(&d, || std::thread::sleep(Duration::from_millis(50)));
        let seen = d.seen();
        assert!(seen.longest >= Duration::from_millis(50), "{seen:?}");
        if thread_cpu_ns().is_some() && sleeps_and_faults().is_some() {
            assert!(seen.longest_blocked >= Duration::from_millis(45), "{seen:?}");
            assert!(seen.is_blocking(Duration::from_millis(100)), "{seen:?}");
            assert!(seen.advice().contains("slept or waited"), "{}", seen.advice());
        }
        assert_eq!(d.current(), None);
    }

    #[test]
    fn computing_is_not_blocked_time() {
        let d = Detector::for_this_thread();
        d.parked();
        stretch(&d, || {
            let until = Instant::now() + Duration::from_millis(30);
            while Instant::now() < until {
                std::hint::spin_loop();
            }
        });
        let seen = d.seen();
        if thread_cpu_ns().is_some() {
            // A loaded machine may take the CPU away for a moment; a 30 ms
            // spin is still nowhere near blocking.
            assert!(!seen.is_blocking(Duration::from_millis(100)), "{seen:?}");
        }
    }

    #[test]
    fn many_short_sleeps_add_up() {
        let d = Detector::for_this_thread();
        d.parked();
        for _ in 0..10 {
            stretch(&d, || std::thread::sleep(Duration::from_millis(8)));
        }
        let seen = d.seen();
        if thread_cpu_ns().is_some() && sleeps_and_faults().is_some() {
            assert_eq!(seen.blocked_stretches, 10, "{seen:?}");
            assert!(seen.longest_blocked < BLOCKED_IN_ONE, "{seen:?}");
            assert!(seen.is_blocking(Duration::from_millis(100)), "{seen:?}");
            assert!(seen.advice().contains("over 10 separate polls"), "{}", seen.advice());
        }
    }
}
