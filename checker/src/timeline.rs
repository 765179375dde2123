//! A timeline of named jobs on the virtual clock.
//!
//! Tests build their jobs from a timeline (`tl.job("A", 2000, 'a')`), hand
//! them to the learner's code, then read back when each one really started
//! and ended. Starts are taken at the first poll, so a job that was created
//! early but awaited late shows up late: futures are lazy.
//!
//! Each job is also polled under its name ([`crate::culprit`]), so that a
//! job that blocks the executor is named in the report.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::Instant;

use crate::gantt::Bar;
use crate::probe::{End, Fate, Probe, Probed};

/// A boxed job future, as [`Timeline::job`] makes them: `Send + 'static`,
/// so it can be awaited in place or spawned.
pub type Job<T> = Probed<Pin<Box<dyn Future<Output = T> + Send + 'static>>>;

/// One job's life on the timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    /// The job's name, as the test gave it.
    pub name: String,
    /// When it started and how it ended.
    pub fate: Fate,
}

/// A shared, cloneable record of named jobs.
#[derive(Debug, Clone)]
pub struct Timeline {
    entries: Arc<Mutex<Vec<(String, Probe)>>>,
    origin: Instant,
}

impl Default for Timeline {
    fn default() -> Self {
        Self::new()
    }
}

impl Timeline {
    /// An empty timeline counting from the start of the test. Inside
    /// [`crate::run`] it is also remembered, so the runner can show the
    /// learner their own schedule (`cargo xtask check NAME --timeline`).
    pub fn new() -> Self {
        let timeline = Timeline { entries: Arc::default(), origin: crate::clock::origin() };
        if crate::clock::in_run() {
            TIMELINES.with_borrow_mut(|all| all.push(timeline.clone()));
        }
        timeline
    }

    /// Whether any job was put on it.
    pub(crate) fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    fn lock(&self) -> MutexGuard<'_, Vec<(String, Probe)>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Puts any future on the timeline under `name`.
    pub fn track<F: Future>(&self, name: impl Into<String>, fut: F) -> Probed<Named<F>> {
        let name: String = name.into();
        let named = Named { name: Arc::from(name.as_str()), fut: Box::pin(fut) };
        let (probed, probe) = Probe::wrap(self.origin, named);
        self.lock().push((name, probe));
        probed
    }

    /// Puts any future on the timeline as a [`Job`], so that it fits in one
    /// `Vec` with the jobs [`Timeline::job`] makes.
    pub fn job_from<T: 'static>(
        &self,
        name: impl Into<String>,
        fut: impl Future<Output = T> + Send + 'static,
    ) -> Job<T> {
        let name: String = name.into();
        let named = Named { name: Arc::from(name.as_str()), fut: Box::pin(fut) };
        let boxed: Pin<Box<dyn Future<Output = T> + Send + 'static>> = Box::pin(named);
        let (probed, probe) = Probe::wrap(self.origin, boxed);
        self.lock().push((name, probe));
        probed
    }

    /// A job that takes `ms` milliseconds of virtual time, then returns `value`.
    pub fn job<T: Send + 'static>(&self, name: impl Into<String>, ms: u64, value: T) -> Job<T> {
        self.job_from(name, async move {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            value
        })
    }

    /// A job that is ready the first time it is polled: it starts and ends
    /// at the same instant, and no time passes.
    pub fn ready_job<T: Send + 'static>(&self, name: impl Into<String>, value: T) -> Job<T> {
        self.job_from(name, async move { value })
    }

    /// A job that never ends: it only stops when it is dropped.
    pub fn endless_job<T: Send + 'static>(&self, name: impl Into<String>) -> Job<T> {
        self.job_from(name, std::future::pending())
    }

    /// A job that takes `ms` milliseconds, then panics the way
    /// `panic!("boom")` does: its payload is a `&'static str`.
    pub fn str_panic_job<T: 'static>(
        &self,
        name: impl Into<String>,
        ms: u64,
        message: &'static str,
    ) -> Job<T> {
        self.job_from(name, async move {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            std::panic::panic_any(message)
        })
    }

    /// A job that takes `ms` milliseconds, then panics the way
    /// `panic!("disk {n} is full")` does, with a message only known at run
    /// time: its payload is a `String`. Code that reports a panic's text
    /// must read both kinds of payload.
    pub fn string_panic_job<T: 'static>(
        &self,
        name: impl Into<String>,
        ms: u64,
        message: impl Into<String>,
    ) -> Job<T> {
        let message: String = message.into();
        self.job_from(name, async move {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            std::panic::panic_any(message)
        })
    }

    /// Every job in the order it was put on the timeline.
    pub fn spans(&self) -> Vec<Span> {
        self.lock().iter().map(|(name, probe)| Span { name: name.clone(), fate: probe.fate() }).collect()
    }

    /// The job called `name` (the first, if several share it).
    pub fn span(&self, name: &str) -> Option<Span> {
        self.spans().into_iter().find(|s| s.name == name)
    }

    /// Names in the order the jobs completed (ties keep timeline order).
    pub fn completion_order(&self) -> Vec<String> {
        let mut done: Vec<(Duration, usize, String)> = self
            .spans()
            .into_iter()
            .enumerate()
            .filter_map(|(i, s)| match s.fate.ended {
                Some(End::Completed(t)) => Some((t, i, s.name)),
                _ => None,
            })
            .collect();
        done.sort();
        done.into_iter().map(|(_, _, name)| name).collect()
    }

    /// The most jobs that were ever in flight at once. A job's span is
    /// half-open, so one that ends at 1 s and one that starts at 1 s never
    /// overlap.
    pub fn peak(&self) -> usize {
        peak_of(&self.spans())
    }

    /// The timeline as Gantt bars.
    pub(crate) fn bars(&self) -> Vec<Bar> {
        self.spans().iter().map(bar_of).collect()
    }
}

/// A future polled under a job's name: if one of its polls holds the
/// executor, the blocking verdict names the job. It behaves exactly like
/// the future inside.
#[derive(Debug)]
pub struct Named<F> {
    name: Arc<str>,
    fut: Pin<Box<F>>,
}

impl<F: Future> Future for Named<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = &mut *self;
        crate::culprit::poll_as(&this.name, this.fut.as_mut(), cx)
    }
}

thread_local! {
    /// Timelines made during the current test, in order.
    static TIMELINES: std::cell::RefCell<Vec<Timeline>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Forgets the timelines of an earlier test on this thread.
pub(crate) fn forget_all() {
    TIMELINES.with_borrow_mut(Vec::clear);
}

/// Every non-empty timeline of the current test, drawn as "yours".
pub(crate) fn render_all(width: usize) -> String {
    let all = TIMELINES.with_borrow_mut(std::mem::take);
    all.iter()
        .filter(|t| !t.is_empty())
        .map(|t| crate::gantt::render(&[("yours", &t.bars())], width))
        .collect::<Vec<_>>()
        .join("\n")
}

pub(crate) fn peak_of(spans: &[Span]) -> usize {
    // (instant, +1 start / -1 end): ends sort before starts at one instant.
    let mut events: Vec<(Duration, i32)> = Vec::new();
    for s in spans {
        if let Some(start) = s.fate.started {
            events.push((start, 1));
            if let Some(end) = s.fate.ended {
                events.push((end.at(), -1));
            }
        }
    }
    events.sort();
    let (mut now, mut peak) = (0i32, 0i32);
    for (_, delta) in events {
        now += delta;
        peak = peak.max(now);
    }
    peak as usize
}

pub(crate) fn last_end(spans: &[Span]) -> Duration {
    spans.iter().filter_map(|s| s.fate.ended.map(End::at).or(s.fate.started)).max().unwrap_or_default()
}

pub(crate) fn bar_of(span: &Span) -> Bar {
    Bar { label: span.name.clone(), start: span.fate.started, end: span.fate.ended }
}

/// Gives the jobs the names A, B, C, ... in order, for the calls that take
/// `(name, job)` pairs.
pub fn named<J>(jobs: Vec<J>) -> Vec<(String, J)> {
    ('A'..).map(|n| n.to_string()).zip(jobs).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ms;

    fn span(name: &str, start: u64, end: u64) -> Span {
        Span {
            name: name.into(),
            fate: Fate { started: Some(ms(start)), ended: Some(End::Completed(ms(end))) },
        }
    }

    #[test]
    fn back_to_back_spans_do_not_overlap() {
        assert_eq!(peak_of(&[span("A", 0, 1000), span("B", 1000, 2000)]), 1);
        assert_eq!(peak_of(&[span("A", 0, 1000), span("B", 999, 2000)]), 2);
        assert_eq!(peak_of(&[]), 0);
    }
}
