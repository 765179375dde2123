//! Probes: what happened to a future (started? finished? cancelled, when?)
//! and how much work was in flight at once.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::Instant;

/// How a job ended, and when: a virtual instant since the test began. The
/// one word for it everywhere: what a probe saw, what a schedule expects,
/// how a bar of a chart ends. A job still running has no `End` yet
/// (`Option<End>` is `None`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// It returned its value.
    Completed(Duration),
    /// It was dropped before it finished: cancelled (aborted, timed out,
    /// lost a `select!`, or its owner went away).
    Cancelled(Duration),
    /// It panicked while being polled.
    Panicked(Duration),
}

impl End {
    /// The instant it ended, however it ended.
    pub fn at(self) -> Duration {
        match self {
            End::Completed(t) | End::Cancelled(t) | End::Panicked(t) => t,
        }
    }
}

/// Everything a probe saw of one future.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Fate {
    /// First poll: a future does nothing before it (futures are lazy).
    pub started: Option<Duration>,
    /// How and when it ended; `None` while it is still alive.
    pub ended: Option<End>,
}

impl Fate {
    /// Started and not yet ended.
    pub fn in_flight(&self) -> bool {
        self.started.is_some() && self.ended.is_none()
    }
}

/// A cheap, cloneable view of a probed future's [`Fate`].
#[derive(Debug, Clone)]
pub struct Probe {
    fate: Arc<Mutex<Fate>>,
    origin: Instant,
}

impl Probe {
    fn lock(&self) -> MutexGuard<'_, Fate> {
        // A poisoned probe still holds the truth about the future.
        self.fate.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// What has happened to the future so far.
    pub fn fate(&self) -> Fate {
        *self.lock()
    }

    fn now(&self) -> Duration {
        Instant::now().saturating_duration_since(self.origin)
    }

    /// Wraps `fut` so that its start, end, cancellation or panic is recorded
    /// on the virtual clock, counted from `origin`.
    pub(crate) fn wrap<F: Future>(origin: Instant, fut: F) -> (Probed<F>, Probe) {
        let probe = Probe { fate: Arc::default(), origin };
        (Probed { fut: Box::pin(fut), probe: probe.clone(), done: false }, probe)
    }

    /// Wraps `fut` in a drop probe counted from the start of the test.
    pub fn new<F: Future>(fut: F) -> (Probed<F>, Probe) {
        Self::wrap(crate::clock::origin(), fut)
    }
}

/// A future under a [`Probe`]. It behaves exactly like the future inside.
#[derive(Debug)]
pub struct Probed<F> {
    fut: Pin<Box<F>>,
    probe: Probe,
    done: bool,
}

impl<F: Future> Future for Probed<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let now = self.probe.now();
        self.probe.lock().started.get_or_insert(now);
        let this = &mut *self;
        let polled = std::panic::catch_unwind(AssertUnwindSafe(|| this.fut.as_mut().poll(cx)));
        match polled {
            Ok(Poll::Ready(value)) => {
                self.done = true;
                let now = self.probe.now();
                self.probe.lock().ended = Some(End::Completed(now));
                Poll::Ready(value)
            }
            Ok(Poll::Pending) => Poll::Pending,
            Err(panic) => {
                self.done = true;
                let now = self.probe.now();
                self.probe.lock().ended = Some(End::Panicked(now));
                std::panic::resume_unwind(panic)
            }
        }
    }
}

impl<F> Drop for Probed<F> {
    fn drop(&mut self) {
        if !self.done {
            let now = self.probe.now();
            self.probe.lock().ended.get_or_insert(End::Cancelled(now));
        }
    }
}

/// A concurrency gauge: how many are in flight now, and the most there ever
/// were at once.
#[derive(Debug, Clone, Default)]
pub struct Gauge {
    counts: Arc<Mutex<(usize, usize)>>,
}

impl Gauge {
    /// A gauge at zero.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, (usize, usize)> {
        self.counts.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts one more in flight until the guard is dropped (on completion,
    /// cancellation or panic alike).
    pub fn enter(&self) -> GaugeGuard {
        let mut counts = self.lock();
        counts.0 += 1;
        counts.1 = counts.1.max(counts.0);
        GaugeGuard { gauge: self.clone() }
    }

    /// In flight right now.
    pub fn current(&self) -> usize {
        self.lock().0
    }

    /// The most that were ever in flight at once.
    pub fn peak(&self) -> usize {
        self.lock().1
    }
}

/// One unit of work counted by a [`Gauge`].
#[derive(Debug)]
pub struct GaugeGuard {
    gauge: Gauge,
}

impl Drop for GaugeGuard {
    fn drop(&mut self) {
        self.gauge.lock().0 -= 1;
    }
}
