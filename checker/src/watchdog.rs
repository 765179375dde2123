//! The wall-clock watchdog: what the virtual clock cannot see.
//!
//! A deadlock with nothing scheduled never advances the paused clock, and a
//! spin loop never lets the runtime look at it. Both would hang the test run;
//! the watchdog ends the process instead, and says which it was:
//! - the executor has been busy in one poll for [`STUCK`] of real time (less
//!   any wait for a CPU): no honest test comes near that (100 ms is already
//!   blocking), so it ends the test *now* rather than at the wall limit. Its
//!   CPU share says whether the code spins (an endless loop, `yield_now`
//!   included) or sleeps (`std::thread::sleep` in a loop, a
//!   `std::sync::Mutex` that is never released);
//! - the wall limit passes with the executor parked: a deadlock.

use std::io::Write;
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use crate::blocking::{Detector, fmt_real};
use crate::channel::{Channel, Outcome};

use protocol::EXIT_HUNG;

/// One poll this long (real time, less waits for a CPU) ends the test,
/// unless the runner asks for less ([`protocol::STUCK_VAR`]).
const STUCK: Duration = Duration::from_secs(1);

/// The least the runner may ask for: 100 ms in one poll is already
/// blocking, so no honest test comes near it.
const STUCK_AT_LEAST: Duration = Duration::from_millis(100);

fn stuck_limit() -> Duration {
    std::env::var(protocol::STUCK_VAR)
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(STUCK, |ms: u64| Duration::from_millis(ms).clamp(STUCK_AT_LEAST, STUCK))
}

/// How often the watchdog looks, at most: and ten times in the stuck
/// limit, so that a test is stopped within a tenth of that limit of it. A
/// spinning submission's tests each run to the limit (100 ms once one of
/// them hung), so a coarse tick would add a quarter to each.
const TICK: Duration = Duration::from_millis(50);

/// Stops the watchdog when dropped (the test ended in time).
#[derive(Debug)]
pub(crate) struct Watchdog {
    _stop: Sender<()>,
}

pub(crate) fn start(limit: Duration, detector: Arc<Detector>, channel: Arc<Channel>) -> Watchdog {
    let (stop, stopped) = mpsc::channel::<()>();
    let started = Instant::now();
    let stuck_after = stuck_limit();
    let tick = TICK.min(stuck_after / 10);
    std::thread::Builder::new()
        .name("awaitlings-watchdog".into())
        .spawn(move || {
            loop {
                match stopped.recv_timeout(tick) {
                    Err(RecvTimeoutError::Timeout) => {}
                    _ => return,
                }
                let (outcome, message) = match detector.current() {
                    Some((busy, on_cpu)) if busy >= stuck_after => {
                        let (outcome, mut message) = stuck(busy, stuck_after, on_cpu);
                        // Which job's poll it is stuck in, if it is one's.
                        if let Some(job) = detector.polling_now() {
                            message = message.replacen(
                                '\n',
                                &format!("\nit is stuck in a poll of job `{job}`.\n"),
                                1,
                            );
                        }
                        (outcome, message)
                    }
                    _ if started.elapsed() >= limit => {
                        (Outcome::Hang, explain(limit, detector.current_raw()))
                    }
                    _ => continue,
                };
                channel.send(outcome, &message, Duration::ZERO, "");
                // Straight to the file descriptor: libtest's capture would
                // swallow a println! that is never flushed by a clean exit.
                let _ = writeln!(std::io::stderr(), "\n{message}\n");
                std::process::exit(EXIT_HUNG);
            }
        })
        .expect("the watchdog thread starts");
    Watchdog { _stop: stop }
}

/// One poll has held the executor for `busy`, past `limit`: asleep or
/// spinning? The message names the limit, so that a grade that stopped
/// tests sooner after a hang can be seen to have done so.
fn stuck(busy: Duration, limit: Duration, on_cpu: Option<f64>) -> (Outcome, String) {
    let busy = fmt_real(busy);
    let limit = limit.as_millis();
    match on_cpu {
        Some(share) if share < 0.5 => (
            Outcome::Blocking,
            format!(
                "your code blocked the executor: one poll has held its thread for {busy} of real time (the limit is {limit} ms), \
                 asleep or waiting most of it, and the test was stopped there.\n\
                 while it does, no other task runs and the virtual clock stands still.\n\
                 look for std::thread::sleep in a loop (use tokio::time::sleep(..).await), a std::sync::Mutex \
                 that is never released,\n\
                 or blocking I/O (std::fs, std::net): use tokio's versions, or tokio::task::spawn_blocking."
            ),
        ),
        _ => (
            Outcome::Hang,
            format!(
                "stopped after {busy} of real time in one poll (the limit is {limit} ms): your code kept the executor busy without \
                 waiting.\n\
                 that is an endless loop (with or without yield_now) or heavy computation on the executor.\n\
                 on the paused clock time only moves while every task waits: loop on something that awaits, \
                 and put heavy work in tokio::task::spawn_blocking."
            ),
        ),
    }
}

fn explain(limit: Duration, busy: Option<Duration>) -> String {
    let secs = limit.as_secs_f64();
    match busy {
        Some(stretch) if stretch >= limit / 2 => format!(
            "timed out after {secs:.1} s of real time: your code kept the executor busy for {:.1} s without waiting.\n\
             that is an endless loop (with or without yield_now) or a blocking call such as std::thread::sleep.\n\
             on the paused clock time only moves while every task waits: loop on something that awaits.",
            stretch.as_secs_f64()
        ),
        _ => format!(
            "timed out after {secs:.1} s of real time with nothing scheduled: every task was waiting for something that never came.\n\
             that is a deadlock: a lock held across an .await, a channel nobody sends on or closes,\n\
             a JoinHandle or Notify that is never completed."
        ),
    }
}
