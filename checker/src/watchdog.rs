//! The wall-clock watchdog: what the virtual clock cannot see.
//!
//! A deadlock with nothing scheduled never advances the paused clock, and a
//! spin loop never lets the runtime look at it. Both would hang the test run;
//! the watchdog ends the process after a limit of real time instead, and says
//! which of the two it was.

use std::io::Write;
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::time::Duration;

use crate::blocking::Detector;
use crate::channel::{Channel, Outcome};

/// Exit code of a test process the watchdog ended.
pub(crate) const EXIT_HUNG: i32 = 124;

/// Stops the watchdog when dropped (the test ended in time).
#[derive(Debug)]
pub(crate) struct Watchdog {
    _stop: Sender<()>,
}

pub(crate) fn start(limit: Duration, detector: Arc<Detector>, channel: Arc<Channel>) -> Watchdog {
    let (stop, stopped) = mpsc::channel::<()>();
    std::thread::Builder::new()
        .name("awaitlings-watchdog".into())
        .spawn(move || {
            if let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(limit) {
                let message = explain(limit, detector.current_raw());
                channel.send(Outcome::Hang, &message, Duration::ZERO, "");
                // Straight to the file descriptor: libtest's capture would
                // swallow a println! that is never flushed by a clean exit.
                let _ = writeln!(std::io::stderr(), "\n{message}\n");
                std::process::exit(EXIT_HUNG);
            }
        })
        .expect("the watchdog thread starts");
    Watchdog { _stop: stop }
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
