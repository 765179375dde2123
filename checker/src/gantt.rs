//! Gantt charts of schedules on the virtual clock, drawn in text.
//!
//! ```text
//!             0s      1s      2s      3s      4s      5s      6s
//! expected  A ████████████████
//!           B ████████
//!           C ████████████████████████
//! yours     A ████████████████
//!           B                 ████████
//!           C                         ████████████████████████
//! ```
//!
//! A bar that was cancelled ends in `✕`, one that panicked in `!`, one that
//! never ended runs off the chart in `…`.

use std::time::Duration;

use crate::probe::End;

/// One row of a chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Bar {
    /// The job's name.
    pub(crate) label: String,
    /// First poll; `None` if it never started.
    pub(crate) start: Option<Duration>,
    /// How it ended; `None` if it was still running when the picture was
    /// taken.
    pub(crate) end: Option<End>,
}

impl Bar {
    fn end_at(&self) -> Option<Duration> {
        self.end.map(End::at)
    }
}

/// Rows shown per block before the rest are summed up in one line.
const MAX_ROWS: usize = 16;
const LABEL_MAX: usize = 10;
const MS_PER_COL: &[u64] = &[
    1, 2, 5, 10, 20, 25, 50, 100, 125, 200, 250, 500, 1_000, 2_000, 2_500, 5_000, 10_000, 20_000, 25_000,
    50_000, 100_000, 200_000, 250_000, 500_000, 1_000_000,
];
const TICK_MS: &[u64] = &[
    1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1_000, 2_000, 2_500, 5_000, 10_000, 20_000, 25_000, 50_000,
    100_000, 200_000, 250_000, 500_000, 1_000_000, 2_000_000, 5_000_000,
];

/// A time axis fitted to a width: how many milliseconds a column stands
/// for, and where the labelled ticks go. Shared by every chart, so all of
/// them read the same way.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Axis {
    pub(crate) ms_per_col: u64,
    horizon: u64,
    tick: u64,
}

impl Axis {
    /// The finest scale at which `horizon_ms` fits in `cols` columns, with
    /// tick labels at least `min_gap` columns apart.
    pub(crate) fn fit(horizon_ms: u64, cols: usize, min_gap: u64) -> Axis {
        let horizon = horizon_ms.max(1);
        let ms_per_col =
            *MS_PER_COL.iter().find(|&&m| horizon.div_ceil(m) as usize <= cols).unwrap_or(&1_000_000);
        let tick = *TICK_MS
            .iter()
            .find(|&&t| t.is_multiple_of(ms_per_col) && t / ms_per_col >= min_gap)
            .unwrap_or(&5_000_000);
        Axis { ms_per_col, horizon, tick }
    }

    /// Columns the horizon takes.
    pub(crate) fn columns(&self) -> usize {
        self.horizon.div_ceil(self.ms_per_col) as usize
    }

    /// The axis line: `0s      1s      2s`.
    pub(crate) fn labels(&self) -> String {
        let mut axis: Vec<char> = vec![' '; self.columns() + 8];
        let mut t = 0;
        while t <= self.horizon {
            let col = (t / self.ms_per_col) as usize;
            for (i, ch) in tick_label(t).chars().enumerate() {
                if col + i < axis.len() {
                    axis[col + i] = ch;
                }
            }
            t += self.tick;
        }
        axis.iter().collect::<String>().trim_end().to_string()
    }
}

fn tick_label(ms: u64) -> String {
    if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else if ms > 1000 {
        let s = format!("{:.3}", ms as f64 / 1000.0);
        format!("{}s", s.trim_end_matches('0'))
    } else {
        format!("{ms}ms")
    }
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

/// Draws one or more labelled blocks ("expected", "yours") on a shared time
/// axis, in at most `width` columns.
pub(crate) fn render(blocks: &[(&str, &[Bar])], width: usize) -> String {
    draw_chart(blocks, width, false)
}

/// [`render`], with a row under each block that counts the bars in flight
/// in every column (`+` for ten or more): where a limit was broken shows
/// even when the rows themselves do not fit.
pub(crate) fn render_with_load(blocks: &[(&str, &[Bar])], width: usize) -> String {
    draw_chart(blocks, width, true)
}

const LOAD_LABEL: &str = "in flight";

fn draw_chart(blocks: &[(&str, &[Bar])], width: usize, load: bool) -> String {
    let block_w = blocks.iter().map(|(name, _)| name.chars().count()).max().unwrap_or(0) + 2;
    let label_w = blocks
        .iter()
        .flat_map(|(_, bars)| bars.iter())
        .map(|b| truncate(&b.label).chars().count())
        .max()
        .unwrap_or(1)
        .max(if load { LOAD_LABEL.len() } else { 1 });
    let cols = width.saturating_sub(block_w + label_w + 3).max(10);

    let horizon = blocks
        .iter()
        .flat_map(|(_, bars)| bars.iter())
        .filter_map(|b| b.end_at().or(b.start))
        .max()
        .unwrap_or_default()
        .as_millis() as u64;
    let has_open = blocks.iter().flat_map(|(_, bars)| bars.iter()).any(|b| b.end.is_none());
    // Leave room after the horizon for the `…` of a bar that never ended.
    let horizon = if has_open { horizon + horizon / 8 + 1 } else { horizon.max(1) };
    let axis = Axis::fit(horizon, cols, 7);
    let (mpc, chart_cols) = (axis.ms_per_col, axis.columns());

    let mut out = String::new();
    out.push_str(&" ".repeat(block_w + label_w + 1));
    out.push_str(&axis.labels());
    out.push('\n');

    for (name, bars) in blocks {
        for (row, bar) in bars.iter().take(MAX_ROWS).enumerate() {
            let head = if row == 0 { *name } else { "" };
            out.push_str(&format!("{head:<block_w$}{:>label_w$} ", truncate(&bar.label)));
            out.push_str(&draw(bar, mpc, chart_cols));
            out.push('\n');
        }
        if bars.len() > MAX_ROWS {
            let head = if bars.is_empty() { *name } else { "" };
            out.push_str(&format!("{head:<block_w$}{:>label_w$} … and {} more\n", "", bars.len() - MAX_ROWS));
        }
        if bars.is_empty() {
            out.push_str(&format!("{name:<block_w$}{:>label_w$} (no jobs ran)\n", ""));
        }
        if load && !bars.is_empty() {
            out.push_str(&format!(
                "{:<block_w$}{LOAD_LABEL:>label_w$} {}\n",
                "",
                load_row(bars, mpc, chart_cols)
            ));
        }
    }
    out
}

/// How many bars are in flight at the middle of each column.
fn load_row(bars: &[Bar], mpc: u64, chart_cols: usize) -> String {
    let row: String = (0..chart_cols)
        .map(|col| {
            let t = Duration::from_micros(col as u64 * mpc * 1000 + mpc * 500);
            let n = bars
                .iter()
                .filter(|b| b.start.is_some_and(|s| s <= t) && b.end_at().is_none_or(|e| t < e))
                .count();
            match n {
                0 => ' ',
                1..=9 => char::from(b'0' + n as u8),
                _ => '+',
            }
        })
        .collect();
    row.trim_end().to_string()
}

fn draw(bar: &Bar, mpc: u64, chart_cols: usize) -> String {
    let Some(start) = bar.start else {
        return "(never started)".to_string();
    };
    let from = (start.as_millis() as u64 / mpc) as usize;
    let mut line = " ".repeat(from);
    let (to, mark) = match bar.end {
        Some(End::Completed(t)) => ((t.as_millis() as u64).div_ceil(mpc) as usize, None),
        Some(End::Cancelled(t)) => ((t.as_millis() as u64).div_ceil(mpc) as usize, Some('✕')),
        Some(End::Panicked(t)) => ((t.as_millis() as u64).div_ceil(mpc) as usize, Some('!')),
        None => (chart_cols, Some('…')),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ms;

    fn done(label: &str, start: u64, end: u64) -> Bar {
        Bar { label: label.into(), start: Some(ms(start)), end: Some(End::Completed(ms(end))) }
    }

    #[test]
    fn draws_expected_and_actual_on_one_axis() {
        let expected = [done("A", 0, 2000), done("B", 0, 1000), done("C", 0, 3000)];
        let yours = [done("A", 0, 2000), done("B", 2000, 3000), done("C", 3000, 6000)];
        let chart = render(&[("expected", &expected), ("yours", &yours)], 72);
        let lines: Vec<&str> = chart.lines().collect();
        assert!(lines[0].trim_start().starts_with("0s"), "{chart}");
        assert!(lines[0].contains("6s"), "{chart}");
        // 6 s fit in 72 columns at 125 ms a column: 2 s is 16 cells.
        assert_eq!(lines[1], format!("expected  A {}", "█".repeat(16)));
        assert_eq!(lines[5], format!("          B {}{}", " ".repeat(16), "█".repeat(8)));
        assert!(chart.lines().all(|l| l.chars().count() <= 80), "{chart}");
    }

    #[test]
    fn marks_cancelled_panicked_open_and_unstarted_bars() {
        let bars = [
            Bar { label: "drop".into(), start: Some(ms(0)), end: Some(End::Cancelled(ms(1000))) },
            Bar { label: "boom".into(), start: Some(ms(0)), end: Some(End::Panicked(ms(500))) },
            Bar { label: "open".into(), start: Some(ms(0)), end: None },
            Bar { label: "idle".into(), start: None, end: None },
        ];
        let chart = render(&[("yours", &bars)], 80);
        assert!(chart.contains("█✕"), "{chart}");
        assert!(chart.contains("█!"), "{chart}");
        assert!(chart.contains("█…"), "{chart}");
        assert!(chart.contains("(never started)"), "{chart}");
    }

    #[test]
    fn long_schedules_are_summed_up() {
        let bars: Vec<Bar> = (0..50).map(|i| done(&format!("job{i}"), i * 100, i * 100 + 1000)).collect();
        let chart = render(&[("yours", &bars)], 80);
        assert!(chart.contains("… and 34 more"), "{chart}");
        assert!(chart.lines().all(|l| l.chars().count() <= 80), "{chart}");
    }

    #[test]
    fn the_load_row_counts_bars_in_flight() {
        let bars: Vec<Bar> =
            (0..6).map(|i| done(&format!("J{i}"), (i / 3) * 1000, (i / 3) * 1000 + 1000)).collect();
        let chart = render_with_load(&[("yours", &bars)], 72);
        let load = chart.lines().last().unwrap();
        assert!(load.starts_with("       in flight 333"), "{chart}");
        assert!(load.trim_end().ends_with('3'), "{chart}");
    }

    #[test]
    fn tick_labels_read_naturally() {
        assert_eq!(tick_label(0), "0s");
        assert_eq!(tick_label(2000), "2s");
        assert_eq!(tick_label(250), "250ms");
        assert_eq!(tick_label(1250), "1.25s");
    }
}
