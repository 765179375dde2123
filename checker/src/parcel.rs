//! Parcels: values that remember what became of them.
//!
//! A test hands the code under test values it must not lose (the chunks of
//! a frame, the messages of a queue) as [`Parcel`]s made by one
//! [`Parcels`] log. A parcel that comes back to the test is *delivered*
//! ([`Parcel::deliver`]); one that is dropped on the way (inside a future
//! that lost a `select!`, in a buffer thrown away) is *lost*, at the
//! instant it was dropped. [`assert_deliveries`] draws what arrived when
//! and which were delivered or lost on one chart, with instant events such
//! as ticks ([`Parcels::mark`]) beside them:
//!
//! ```text
//!                0ms       50ms      100ms     150ms
//! expected chunk 0 ████████████████████████████
//!          chunk 1               ██████████████
//!          chunk 2                            ▏
//!             tick          ▏
//!             tick                    ▏
//! yours    chunk 0 ██████████✕
//!          chunk 1               ██████✕
//!          chunk 2                            ████…
//! ```

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::time::Instant;

use crate::clock::{fmt_duration, ms};
use crate::failure::fail;
use crate::gantt::{self, Bar};
use crate::probe::End;

const CHART_WIDTH: usize = 72;

/// What became of a parcel, and when (virtual time since the test began).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParcelEnd {
    /// It came back to the test.
    Delivered(Duration),
    /// It was dropped before it came back.
    Lost(Duration),
}

/// One parcel's record: its label, when it was made, how it ended (`None`
/// while it is still on its way, or when the test stopped watching).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParcelFate {
    /// The label the test gave it ("chunk 0").
    pub label: String,
    /// When it was made: when it arrived, for the code under test.
    pub made: Duration,
    /// How it ended.
    pub end: Option<ParcelEnd>,
}

#[derive(Debug, Default)]
struct Log {
    parcels: Vec<ParcelFate>,
    marks: Vec<(String, Duration)>,
    frozen: bool,
}

/// A shared, cloneable log of parcels and marks.
#[derive(Debug, Clone)]
pub struct Parcels {
    log: Arc<Mutex<Log>>,
    origin: Instant,
}

impl Default for Parcels {
    fn default() -> Self {
        Self::new()
    }
}

impl Parcels {
    /// An empty log counting from the start of the test.
    pub fn new() -> Self {
        Parcels { log: Arc::default(), origin: crate::clock::origin() }
    }

    fn lock(&self) -> MutexGuard<'_, Log> {
        self.log.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn now(&self) -> Duration {
        Instant::now().saturating_duration_since(self.origin)
    }

    /// Wraps `value` as a parcel labelled `label`, made now.
    pub fn make<T>(&self, label: impl Into<String>, value: T) -> Parcel<T> {
        let made = self.now();
        let mut log = self.lock();
        log.parcels.push(ParcelFate { label: label.into(), made, end: None });
        Parcel { value: Some(value), index: log.parcels.len() - 1, log: self.clone() }
    }

    /// Records an instant event labelled `label` now (a tick), for the chart.
    pub fn mark(&self, label: impl Into<String>) {
        let now = self.now();
        self.lock().marks.push((label.into(), now));
    }

    /// Stops watching: a parcel dropped from now on is not counted as lost
    /// (the test gave up and is dropping what it started). Call it before
    /// dropping the code under test.
    pub fn freeze(&self) {
        self.lock().frozen = true;
    }

    /// Every parcel, in the order they were made.
    pub fn fates(&self) -> Vec<ParcelFate> {
        self.lock().parcels.clone()
    }

    /// Every mark, in the order they were made.
    pub fn marks(&self) -> Vec<(String, Duration)> {
        self.lock().marks.clone()
    }
}

/// A value on its way. It behaves like a box: the code under test moves it
/// around without looking inside. Dropping it undelivered records it lost.
pub struct Parcel<T> {
    value: Option<T>,
    index: usize,
    log: Parcels,
}

impl<T> Parcel<T> {
    /// The parcel came back to the test: records it delivered now, and
    /// gives back its value.
    pub fn deliver(mut self) -> T {
        let now = self.log.now();
        let mut log = self.log.lock();
        if !log.frozen {
            log.parcels[self.index].end.get_or_insert(ParcelEnd::Delivered(now));
        }
        drop(log);
        self.value.take().expect("a parcel is delivered once")
    }

    /// Its label.
    pub fn label(&self) -> String {
        self.log.lock().parcels[self.index].label.clone()
    }
}

impl<T: fmt::Debug> fmt::Debug for Parcel<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Parcel").field(&self.label()).field(&self.value).finish()
    }
}

impl<T> Drop for Parcel<T> {
    fn drop(&mut self) {
        if self.value.is_some() {
            let now = self.log.now();
            let mut log = self.log.lock();
            if !log.frozen {
                log.parcels[self.index].end.get_or_insert(ParcelEnd::Lost(now));
            }
        }
    }
}

/// One parcel as the spec wants it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    label: String,
    made: Duration,
    end: ParcelEnd,
}

/// A parcel made at `made_ms` and delivered at `at_ms`.
pub fn delivered(label: &str, made_ms: u64, at_ms: u64) -> Delivery {
    Delivery { label: label.into(), made: ms(made_ms), end: ParcelEnd::Delivered(ms(at_ms)) }
}

/// A parcel made at `made_ms` and lost (dropped undelivered) at `at_ms`.
pub fn lost(label: &str, made_ms: u64, at_ms: u64) -> Delivery {
    Delivery { label: label.into(), made: ms(made_ms), end: ParcelEnd::Lost(ms(at_ms)) }
}

fn describe(end: Option<ParcelEnd>) -> String {
    match end {
        Some(ParcelEnd::Delivered(t)) => format!("delivered at {}", fmt_duration(t)),
        Some(ParcelEnd::Lost(t)) => format!("LOST at {}: dropped before it was delivered", fmt_duration(t)),
        None => "not delivered (still held somewhere when the test looked)".to_string(),
    }
}

fn bar(label: &str, made: Duration, end: Option<ParcelEnd>) -> Bar {
    let end = end.map(|e| match e {
        ParcelEnd::Delivered(t) => End::Completed(t),
        ParcelEnd::Lost(t) => End::Cancelled(t),
    });
    Bar { label: label.into(), start: Some(made), end }
}

fn mark_bar(label: &str, at: Duration) -> Bar {
    Bar { label: label.into(), start: Some(at), end: Some(End::Completed(at)) }
}

/// Puts the instant events that share a label on one row: the chart draws
/// one row per bar, so ten ticks would take ten rows. Rows are merged only
/// with the row right above them when both carry the same mark label (and
/// no block name), on the axis they already share.
fn merge_marks(chart: &str, labels: &[&str], marks: &[&str]) -> String {
    let label_w = labels.iter().map(|l| l.chars().count()).max().unwrap_or(1);
    // "expected" and "yours": the widest block name, plus two.
    let prefix = "expected".len() + 2 + label_w + 1;
    let mut out: Vec<String> = Vec::new();
    for line in chart.lines() {
        let head: String = line.chars().take(prefix).collect();
        let label = head.trim();
        let is_mark_row = !label.is_empty() && marks.contains(&label);
        let line = if is_mark_row { line.replace('█', "▏") } else { line.to_string() };
        if is_mark_row
            && let Some(last) = out.last_mut()
            && last.chars().take(prefix).collect::<String>() == head
        {
            let (a, b): (Vec<char>, Vec<char>) = (last.chars().collect(), line.chars().collect());
            let merged: String = (0..a.len().max(b.len()))
                .map(|i| match (a.get(i), b.get(i)) {
                    (Some(&x), _) if x != ' ' => x,
                    (_, Some(&y)) => y,
                    (Some(&x), None) => x,
                    (None, None) => ' ',
                })
                .collect();
            *last = merged;
            continue;
        }
        out.push(line);
    }
    out.join("\n")
}

/// Fails unless every parcel of `expected` (by label) was made and ended as
/// expected. The failure names each parcel off its course (lost, and when;
/// not delivered) and draws both journeys on one chart, with the marks
/// (`expected_marks` beside the expected parcels, the recorded ones beside
/// yours). `advice` says where to look.
pub fn assert_deliveries(
    parcels: &Parcels,
    expected: &[Delivery],
    expected_marks: &[(&str, u64)],
    what: &str,
    advice: &str,
) {
    let fates = parcels.fates();
    let actual: Vec<ParcelFate> = expected
        .iter()
        .map(|e| {
            fates.iter().find(|f| f.label == e.label).cloned().unwrap_or(ParcelFate {
                label: e.label.clone(),
                made: e.made,
                end: None,
            })
        })
        .collect();
    let off: Vec<(&Delivery, &ParcelFate)> =
        expected.iter().zip(&actual).filter(|(e, a)| a.made != e.made || a.end != Some(e.end)).collect();
    if off.is_empty() {
        return;
    }
    let mut lines = vec![format!("{what}.")];
    for (e, a) in &off {
        lines.push(format!(
            "  {} (arrived at {}): {} (expected: {})",
            e.label,
            fmt_duration(a.made),
            describe(a.end),
            describe(Some(e.end)),
        ));
    }
    if !advice.is_empty() {
        lines.push(advice.to_string());
    }
    let mut want: Vec<Bar> = expected.iter().map(|e| bar(&e.label, e.made, Some(e.end))).collect();
    want.extend(expected_marks.iter().map(|(label, at)| mark_bar(label, ms(*at))));
    let mut yours: Vec<Bar> = actual.iter().map(|a| bar(&a.label, a.made, a.end)).collect();
    yours.extend(parcels.marks().iter().map(|(label, at)| mark_bar(label, *at)));
    lines.push(String::new());
    let chart = gantt::render(&[("expected", &want), ("yours", &yours)], CHART_WIDTH);
    let labels: Vec<&str> = want.iter().chain(&yours).map(|b| b.label.as_str()).collect();
    let recorded = parcels.marks();
    let marks: Vec<&str> = expected_marks
        .iter()
        .map(|(label, _)| *label)
        .chain(recorded.iter().map(|(l, _)| l.as_str()))
        .collect();
    lines.push(merge_marks(&chart, &labels, &marks));
    lines.push(
        "a bar runs from an arrival to its delivery. ✕: lost (dropped undelivered);\n\
         …: not delivered when the test looked; ▏: an instant event."
            .to_string(),
    );
    fail(lines.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::failure::tests::failure_of;

    #[test]
    fn a_lost_parcel_is_named_and_drawn() {
        crate::run(async {
            let parcels = Parcels::new();
            let a = parcels.make("chunk 0", 0u8);
            tokio::time::sleep(ms(50)).await;
            parcels.mark("tick");
            drop(a);
            tokio::time::sleep(ms(20)).await;
            parcels.mark("tick");
            let b = parcels.make("chunk 1", 1u8);
            let c = parcels.make("chunk 2", 2u8);
            tokio::time::sleep(ms(70)).await;
            assert_eq!(b.deliver(), 1);
            parcels.freeze();
            drop(c);
            let fates = parcels.fates();
            assert_eq!(fates[0].end, Some(ParcelEnd::Lost(ms(50))));
            assert_eq!(fates[1].end, Some(ParcelEnd::Delivered(ms(140))));
            assert_eq!(fates[2].end, None, "dropped after freeze: not counted as lost");
            assert_deliveries(&parcels, &[delivered("chunk 1", 70, 140)], &[], "all right", "");
            let message = failure_of(|| {
                assert_deliveries(
                    &parcels,
                    &[delivered("chunk 0", 0, 140), delivered("chunk 1", 70, 140)],
                    &[("tick", 50), ("tick", 100)],
                    "the frame",
                    "look at read_frame.",
                )
            });
            assert!(message.starts_with("the frame.\n"), "{message}");
            assert!(
                message.contains(
                    "chunk 0 (arrived at 0.000 s): LOST at 0.050 s: dropped before it was delivered \
                     (expected: delivered at 0.140 s)"
                ),
                "{message}"
            );
            assert!(!message.contains("chunk 1 (arrived"), "{message}");
            assert!(message.contains("look at read_frame."), "{message}");
            assert!(message.contains("█✕") && message.contains("yours"), "{message}");
            assert_eq!(
                message.lines().filter(|l| l.trim_start().starts_with("tick")).count(),
                2,
                "{message}"
            );
            let mut chart = message.lines().filter(|l| l.contains('█') || l.ends_with('▏'));
            assert!(chart.clone().count() == 6 && chart.all(|l| l.chars().count() <= 80), "{message}");
        });
    }
}
