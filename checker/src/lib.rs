//! The test-side library of awaitlings.
//!
//! Every exercise test runs its body through [`run`]: a current-thread tokio
//! runtime whose clock is paused from the first instant, so `sleep(2 s)`
//! takes no real time and ends at exactly 2 s of *virtual* time. On that
//! clock a schedule is exact, and a test can say "these three jobs end at
//! 3.000 s" with `==` and never be flaky.
//!
//! Around that runtime sit the guards a learner's code needs:
//! - a **virtual-time guard**: a deadlock that still has timers fails at an
//!   exact virtual instant instead of running forever;
//! - a **wall-clock watchdog**: a spin loop, an endless `yield_now` or a
//!   deadlock with nothing scheduled is caught in real time and explained;
//! - a **blocking detector** (asyncio's `slow_callback_duration`): a poll that
//!   holds the thread for 100 ms of real time is reported as blocking the
//!   executor, with advice.
//!
//! And the probes a test reads the schedule from: a [`Timeline`] of named
//! jobs on the virtual clock, a [`Gauge`] of work in flight and a
//! [`Probe`] that says whether a future was cancelled and when. When an
//! assertion fails, [`assert_schedule`] draws the expected and the actual
//! schedule as a Gantt chart: that picture is the teaching moment.

mod blocking;
mod cancel;
mod channel;
mod clock;
mod cpu;
mod culprit;
mod expect;
mod failure;
mod gantt;
mod marks;
mod order;
mod parcel;
mod probe;
mod rate;
mod returns;
mod runtime;
mod spans;
mod tasks;
mod timeline;
mod watchdog;
mod web;

pub use cancel::cancel_after;
pub use clock::{elapsed, fmt_duration, ms, sleep_until_ms};
pub use cpu::burn_cpu;
pub use expect::{
    Expected, assert_cancelled_at, assert_elapsed, assert_never_started, assert_none_started, assert_peak,
    assert_schedule, check_eq, done, dropped, panicked,
};
pub use failure::{catch_panic, fail, panic_text, without_panic};
pub use marks::{Marks, chart_with_marks};
pub use order::{check_input_order, first_difference};
pub use parcel::{Delivery, Parcel, ParcelEnd, ParcelFate, Parcels, assert_deliveries, delivered, lost};
pub use probe::{End, Fate, Gauge, GaugeGuard, Probe, Probed};
pub use rate::{Overfull, RateLimit, assert_admissions, assert_rate_limited, overfull_window};
pub use returns::{assert_returned_after, assert_returned_at, at_once, within};
pub use runtime::{Limits, PATIENCE, run, run_with};
pub use spans::chart_of_spans;
pub use tasks::{assert_live_tasks, live_tasks, settled_live_tasks};
pub use timeline::{Job, Named, Span, Timeline, named};
pub use web::{Answer, Expect, FakeRequest, FakeWeb, FakeWebBuilder, Reply, Request, host_of, request};
