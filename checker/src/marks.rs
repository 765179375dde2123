//! Charts of a service's life: jobs as bars, and instant events (a flush,
//! a heartbeat, a refused connection, a signal) as rows of marks.
//!
//! A [`crate::Timeline`] draws what has a start and an end; a service also
//! does things that take no time at all, again and again. Each kind of
//! instant event gets one row, with a `▏` at every instant it happened:
//!
//! ```text
//!                    0s        1s        2s        3s
//! expected         A  ████████████████████
//!                  C              ███████████████
//!                  D                  ████████████████████✕
//!              flush          ▏         ▏         ▏    ▏
//!          heartbeat    ▏   ▏   ▏   ▏   ▏   ▏
//!          refused F                           ▏
//! yours            A  ████████████████████
//!                  ...
//! ```

use std::time::Duration;

use crate::expect::chart;
use crate::gantt::{Axis, Bar};
use crate::probe::End;
use crate::timeline::{Span, bar_of};

/// One row of instant events: its label, and every instant (virtual time
/// since the test began) an event of that kind happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marks {
    /// The row's label ("flush", "refused F").
    pub label: String,
    /// When each event happened, in any order.
    pub at: Vec<Duration>,
}

impl Marks {
    /// A row labelled `label` with a mark at each instant of `at`.
    pub fn new(label: impl Into<String>, at: impl IntoIterator<Item = Duration>) -> Self {
        Marks { label: label.into(), at: at.into_iter().collect() }
    }

    /// The same, from whole milliseconds.
    pub fn at_ms(label: impl Into<String>, at: impl IntoIterator<Item = u64>) -> Self {
        Marks::new(label, at.into_iter().map(crate::clock::ms))
    }
}

const CHART_WIDTH: usize = 72;
const LABEL_MAX: usize = 10;
const BLOCKS: [&str; 2] = ["expected", "yours"];

/// Expected and actual schedules drawn on one axis, as in
/// [`crate::assert_schedule`]'s failures, each block with its rows of
/// instant events under its bars: the chart to put under a message about a
/// service (its handlers, flushes, heartbeats and refusals). A span that
/// never started is an empty row; one that never ended runs off the chart.
pub fn chart_with_marks(
    expected: &[Span],
    expected_marks: &[Marks],
    yours: &[Span],
    your_marks: &[Marks],
) -> String {
    let blocks = [(expected, expected_marks), (yours, your_marks)];
    if blocks.iter().all(|(_, marks)| marks.is_empty()) {
        let (expected, yours): (Vec<Bar>, Vec<Bar>) =
            (expected.iter().map(bar_of).collect(), yours.iter().map(bar_of).collect());
        return chart(&expected, &yours);
    }
    let label_w = blocks
        .iter()
        .flat_map(|(spans, marks)| {
            spans.iter().map(|s| s.name.as_str()).chain(marks.iter().map(|m| m.label.as_str()))
        })
        .map(|label| truncate(label).chars().count())
        .max()
        .unwrap_or(1);
    let block_w = BLOCKS.iter().map(|b| b.len()).max().unwrap_or(0) + 2;
    let cols = CHART_WIDTH.saturating_sub(block_w + label_w + 3).max(10);

    let ends = blocks.iter().flat_map(|(spans, marks)| {
        spans
            .iter()
            .filter_map(|s| s.fate.ended.map(End::at).or(s.fate.started))
            .chain(marks.iter().flat_map(|m| m.at.iter().copied()))
    });
    let horizon = ends.max().unwrap_or_default().as_millis() as u64;
    let has_open = blocks.iter().any(|(spans, _)| spans.iter().any(|s| s.fate.in_flight()));
    let horizon = if has_open { horizon + horizon / 8 + 1 } else { horizon.max(1) };
    let axis = Axis::fit(horizon, cols, 7);

    let mut out = format!("{}{}\n", " ".repeat(block_w + label_w + 1), axis.labels());
    for (name, (spans, marks)) in BLOCKS.iter().zip(blocks) {
        let rows = spans
            .iter()
            .map(|s| (s.name.as_str(), draw_bar(&bar_of(s), &axis)))
            .chain(marks.iter().map(|m| (m.label.as_str(), draw_marks(&m.at, &axis))));
        for (i, (label, line)) in rows.enumerate() {
            let head = if i == 0 { *name } else { "" };
            out.push_str(&format!("{head:<block_w$}{:>label_w$} {line}\n", truncate(label)));
        }
        if spans.is_empty() && marks.is_empty() {
            out.push_str(&format!("{name:<block_w$}{:>label_w$} (nothing happened)\n", ""));
        }
    }
    out
}

fn truncate(label: &str) -> String {
    if label.chars().count() <= LABEL_MAX {
        label.to_string()
    } else {
        let mut s: String = label.chars().take(LABEL_MAX - 1).collect();
        s.push('…');
        s
    }
}

/// A bar as [`crate::gantt`] draws it: `█` from start to end, then `✕`
/// (cancelled), `!` (panicked) or `…` (never ended).
fn draw_bar(bar: &Bar, axis: &Axis) -> String {
    let Some(start) = bar.start else {
        return "(never started)".to_string();
    };
    let mpc = axis.ms_per_col;
    let from = (start.as_millis() as u64 / mpc) as usize;
    let mut line = " ".repeat(from);
    let (to, mark) = match bar.end {
        Some(End::Completed(t)) => ((t.as_millis() as u64).div_ceil(mpc) as usize, None),
        Some(End::Cancelled(t)) => ((t.as_millis() as u64).div_ceil(mpc) as usize, Some('✕')),
        Some(End::Panicked(t)) => ((t.as_millis() as u64).div_ceil(mpc) as usize, Some('!')),
        None => (axis.columns(), Some('…')),
    };
    if to <= from {
        line.push('▏');
    } else {
        line.push_str(&"█".repeat(to - from));
    }
    if let Some(mark) = mark {
        line.push(mark);
    }
    line
}

/// A `▏` in the column of each instant; "(none)" for a row without one.
fn draw_marks(at: &[Duration], axis: &Axis) -> String {
    if at.is_empty() {
        return "(none)".to_string();
    }
    let mut row: Vec<char> = vec![' '; axis.columns() + 1];
    for t in at {
        let col = (t.as_millis() as u64 / axis.ms_per_col) as usize;
        if col >= row.len() {
            row.resize(col + 1, ' ');
        }
        row[col] = '▏';
    }
    row.iter().collect::<String>().trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ms;
    use crate::probe::Fate;

    fn span(name: &str, start: u64, end: Option<End>) -> Span {
        Span { name: name.into(), fate: Fate { started: Some(ms(start)), ended: end } }
    }

    #[test]
    fn bars_and_rows_of_marks_share_one_axis() {
        let expected =
            [span("A", 0, Some(End::Completed(ms(2000)))), span("D", 1000, Some(End::Cancelled(ms(3000))))];
        let yours = [span("A", 0, Some(End::Completed(ms(2000)))), span("D", 1000, None)];
        let flushes = Marks::at_ms("flush", [1000, 2000, 3000]);
        let chart = chart_with_marks(
            &expected,
            &[flushes.clone(), Marks::at_ms("refused F", [2500])],
            &yours,
            &[flushes, Marks::at_ms("refused F", [])],
        );
        let lines: Vec<&str> = chart.lines().collect();
        assert!(lines[0].trim_start().starts_with("0s") && lines[0].contains("3s"), "{chart}");
        assert!(lines[1].starts_with("expected          A █"), "{chart}");
        assert!(lines[2].ends_with("█✕"), "{chart}");
        assert!(lines[3].trim_start().starts_with("flush ") && lines[3].matches('▏').count() == 3, "{chart}");
        assert!(lines[4].trim_start().starts_with("refused F") && lines[4].ends_with('▏'), "{chart}");
        assert!(lines[5].starts_with("yours "), "{chart}");
        assert!(lines[6].ends_with('…'), "{chart}");
        assert!(lines[8].ends_with("(none)"), "{chart}");
        // The flush at 1 s sits in the column where D starts.
        let (d, flush) = (lines[2].find('█').unwrap(), lines[3].find('▏').unwrap());
        assert_eq!(lines[2][..d].chars().count(), lines[3][..flush].chars().count(), "{chart}");
        assert!(chart.lines().all(|l| l.chars().count() <= 80), "{chart}");
    }

    #[test]
    fn without_marks_it_is_the_schedule_chart() {
        let spans = [span("A", 0, Some(End::Completed(ms(1000))))];
        assert_eq!(chart_with_marks(&spans, &[], &spans, &[]), crate::chart_of_spans(&spans, &spans));
    }
}
