//! Rate limits, checked over **every** window.
//!
//! A limiter that promises "`rate` per `per`, bursts of up to `burst`" must
//! keep that promise over any stretch of time, not only over windows that
//! happen to start on a round second: between any two admissions at `t_i`
//! and `t_j`, the calls admitted in `[t_i, t_j]` number at most
//! `burst + floor((t_j − t_i) × rate / per)`. A fixed-window counter breaks
//! this (a full burst on each side of the reset); a token bucket / GCRA
//! keeps it to the call.
//!
//! [`assert_rate_limited`] checks every pair of admissions and, when one
//! window holds too many, names it, draws the admissions on the virtual
//! clock and lists those in and around it. [`assert_admissions`] pins the
//! exact instants and names the first call off schedule.

use std::time::Duration;

use crate::clock::fmt_duration;
use crate::failure::fail;
use crate::gantt::Axis;

/// Width of the drawings in failure messages (80 columns once indented).
const WIDTH: usize = 72;
/// A rate limit: bursts of up to `burst`, refilled at `rate` per `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Admissions per `per`, in the long run.
    pub rate: u64,
    /// The period `rate` is counted over.
    pub per: Duration,
    /// Admissions allowed at one instant after a long idle.
    pub burst: u64,
}

impl RateLimit {
    /// The most admissions a closed window `[t, t + len]` may hold:
    /// `burst + floor(len × rate / per)`, in exact integer arithmetic.
    pub fn allowed_in(&self, len: Duration) -> u64 {
        let per = self.per.as_nanos().max(1);
        let refilled = len.as_nanos().saturating_mul(u128::from(self.rate)) / per;
        self.burst.saturating_add(u64::try_from(refilled).unwrap_or(u64::MAX))
    }

    fn describe(&self) -> String {
        format!("{} per {}, burst {}", self.rate, fmt_duration(self.per), self.burst)
    }
}

/// A window `[from, to]` that holds more admissions than the limit allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overfull {
    /// The first admission in the window.
    pub from: Duration,
    /// The last admission in the window.
    pub to: Duration,
    /// How many were admitted in `[from, to]`.
    pub admitted: u64,
    /// How many the limit allows in a window that long.
    pub allowed: u64,
}

/// Distinct instants, sorted, each with how many admissions it holds.
fn groups(admissions: &[Duration]) -> Vec<(Duration, u64)> {
    let mut sorted = admissions.to_vec();
    sorted.sort();
    let mut out: Vec<(Duration, u64)> = Vec::new();
    for t in sorted {
        match out.last_mut() {
            Some((at, n)) if *at == t => *n += 1,
            _ => out.push((t, 1)),
        }
    }
    out
}

/// The worst window over every pair of admissions (in any order), or
/// `None` if every window keeps the limit. "Worst" is the one with the
/// most admissions over its allowance; among equals, the earliest and then
/// the shortest.
pub fn overfull_window(admissions: &[Duration], limit: RateLimit) -> Option<Overfull> {
    let groups = groups(admissions);
    let mut worst: Option<(u64, Overfull)> = None;
    for i in 0..groups.len() {
        let mut admitted = 0;
        for j in i..groups.len() {
            admitted += groups[j].1;
            let (from, to) = (groups[i].0, groups[j].0);
            let allowed = limit.allowed_in(to - from);
            if admitted > allowed {
                let excess = admitted - allowed;
                if worst.is_none_or(|(e, _)| excess > e) {
                    worst = Some((excess, Overfull { from, to, admitted, allowed }));
                }
            }
        }
    }
    worst.map(|(_, window)| window)
}

/// Fails if any window of `admissions` holds more than `limit` allows,
/// naming the worst window and drawing the admissions around it.
pub fn assert_rate_limited(admissions: &[Duration], limit: RateLimit, what: &str) {
    let Some(w) = overfull_window(admissions, limit) else {
        return;
    };
    let len = w.to - w.from;
    let refill = w.allowed - limit.burst;
    let mut lines = vec![
        format!("{what}: one window holds more calls than the limit allows."),
        format!(
            "between {} and {} ({}) your limiter admitted {} calls;",
            fmt_duration(w.from),
            fmt_duration(w.to),
            fmt_span(len),
            w.admitted,
        ),
        format!(
            "the limit ({}) allows {} + {} = {} in a window that long.",
            limit.describe(),
            limit.burst,
            refill,
            w.allowed
        ),
        "every window counts, not only those that start on a round second: a limiter\n\
         that resets a counter on a clock tick lets a full burst through on each side\n\
         of the reset, and one that refills on its own timer can hand out a token\n\
         just after a burst was spent."
            .to_string(),
        String::new(),
        strip(&[("admitted", admissions)], Some((w.from, w.to))),
        "the admissions in and around that window (instant × how many):".to_string(),
    ];
    lines.extend(listing(&groups(admissions), w.from, w.to));
    fail(lines.join("\n"))
}

/// Asserts that the calls were admitted at exactly `expected_ms`, call by
/// call (the k-th admission you recorded against the k-th expected
/// instant), naming the first call off schedule.
pub fn assert_admissions(admissions: &[Duration], expected_ms: &[u64], what: &str) {
    let expected: Vec<Duration> = expected_ms.iter().map(|&m| Duration::from_millis(m)).collect();
    if admissions == expected.as_slice() {
        return;
    }
    let mut lines = vec![format!("{what}.")];
    match admissions.iter().zip(&expected).position(|(a, e)| a != e) {
        Some(i) => {
            let (got, want) = (admissions[i], expected[i]);
            let how = if got < want { "too early" } else { "too late" };
            lines.push(format!(
                "call {} was admitted at {}; it should be at {} ({how}).",
                i + 1,
                fmt_duration(got),
                fmt_duration(want)
            ));
            if i > 0 {
                lines.push(format!("calls 1 to {i} were admitted on schedule."));
            }
        }
        None => lines.push(format!(
            "{} calls were admitted; {} should have been.",
            admissions.len(),
            expected.len()
        )),
    }
    if admissions.len() != expected.len() {
        lines.push(format!(
            "(you recorded {} admissions; the test expects {}.)",
            admissions.len(),
            expected.len()
        ));
    }
    lines.push(String::new());
    lines.push(strip(&[("expected", &expected), ("yours", admissions)], None));
    lines.push(format!("expected: {}", summary(&expected)));
    lines.push(format!("yours:    {}", summary(admissions)));
    fail(lines.join("\n"))
}

/// `50 ms`, `1.250 s`: a window's length.
fn fmt_span(d: Duration) -> String {
    if d < Duration::from_secs(1) && d.subsec_nanos().is_multiple_of(1_000_000) {
        format!("{} ms", d.as_millis())
    } else {
        fmt_duration(d)
    }
}

/// `0.000 s ×5, 0.100 s, 0.200 s, … (20 calls)`: the first instants.
fn summary(admissions: &[Duration]) -> String {
    let mut sorted = admissions.to_vec();
    sorted.sort();
    let groups = groups(&sorted);
    let mut parts: Vec<String> = groups.iter().take(8).map(|&(t, n)| group_text(t, n)).collect();
    if groups.len() > 8 {
        parts.push("…".to_string());
    }
    format!("{} ({} calls)", parts.join(", "), admissions.len())
}

fn group_text(t: Duration, n: u64) -> String {
    if n == 1 { fmt_duration(t) } else { format!("{} ×{n}", fmt_duration(t)) }
}

/// The instants in `[from, to]` and up to three on either side.
fn listing(groups: &[(Duration, u64)], from: Duration, to: Duration) -> Vec<String> {
    let first = groups.iter().position(|&(t, _)| t >= from).unwrap_or(0);
    let last = groups.iter().rposition(|&(t, _)| t <= to).unwrap_or(groups.len().saturating_sub(1));
    let (lo, hi) = (first.saturating_sub(3), (last + 3).min(groups.len().saturating_sub(1)));
    let mut out = Vec::new();
    if lo > 0 {
        out.push("  …".to_string());
    }
    let inside: usize = (first..=last).count();
    for (k, &(t, n)) in groups.iter().enumerate().take(hi + 1).skip(lo) {
        let mark = if t >= from && t <= to { "  ◀ in the window" } else { "" };
        // Keep long windows readable: elide the middle of the window.
        if inside > 10 && k > first + 3 && k + 3 < last {
            if k == first + 4 {
                out.push(format!("  … {} more instants in the window", inside - 7));
            }
            continue;
        }
        out.push(format!("  {:>10} ×{n}{mark}", fmt_duration(t)));
    }
    if hi + 1 < groups.len() {
        out.push("  …".to_string());
    }
    out
}

/// Rows of admission counts on one time axis: each column shows how many
/// calls were admitted in it (`·` none, `1`–`9`, `+` 10 or more). With a
/// window, a last row marks it `├──┤`.
fn strip(rows: &[(&str, &[Duration])], window: Option<(Duration, Duration)>) -> String {
    let label_w = rows.iter().map(|(l, _)| l.chars().count()).chain([6]).max().unwrap_or(6) + 2;
    let cols = WIDTH - label_w;
    let horizon = rows
        .iter()
        .flat_map(|(_, ts)| ts.iter())
        .copied()
        .chain(window.map(|(_, to)| to))
        .max()
        .unwrap_or_default()
        .as_millis() as u64;
    // +1: an admission at the horizon needs a column of its own.
    let axis = Axis::fit(horizon + 1, cols, 8);
    let (mpc, used) = (axis.ms_per_col, axis.columns());
    let mut out = format!("{}{}\n", " ".repeat(label_w), axis.labels());
    for (label, times) in rows {
        let mut counts = vec![0u64; used];
        for t in *times {
            counts[((t.as_millis() as u64) / mpc) as usize] += 1;
        }
        let cells: String = counts
            .iter()
            .map(|&n| match n {
                0 => '·',
                1..=9 => char::from_digit(n as u32, 10).unwrap_or('+'),
                _ => '+',
            })
            .collect();
        out.push_str(&format!("{label:<label_w$}{cells}\n"));
    }
    if let Some((from, to)) = window {
        let (a, b) = ((from.as_millis() as u64 / mpc) as usize, (to.as_millis() as u64 / mpc) as usize);
        let mut mark = " ".repeat(a);
        if a == b {
            mark.push('│');
        } else {
            mark.push('├');
            mark.push_str(&"─".repeat(b - a - 1));
            mark.push('┤');
        }
        out.push_str(&format!("{:<label_w$}{mark}\n", "window"));
    }
    out.push_str(&format!(
        "one column = {}; a digit counts the calls admitted in it (+: 10 or more)\n",
        fmt_span(Duration::from_millis(mpc))
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::failure::Teaching;
    use crate::ms;

    const TEN_PER_S_BURST_5: RateLimit = RateLimit { rate: 10, per: ms(1000), burst: 5 };

    fn at(list: &[u64]) -> Vec<Duration> {
        list.iter().map(|&m| ms(m)).collect()
    }

    fn message_of(f: impl FnOnce() + std::panic::UnwindSafe) -> String {
        let payload = std::panic::catch_unwind(f).expect_err("the assertion should fail");
        payload.downcast::<Teaching>().expect("a teaching failure").0
    }

    #[test]
    fn allowance_is_burst_plus_whole_refills() {
        let l = TEN_PER_S_BURST_5;
        assert_eq!(l.allowed_in(ms(0)), 5);
        assert_eq!(l.allowed_in(ms(99)), 5);
        assert_eq!(l.allowed_in(ms(100)), 6);
        assert_eq!(l.allowed_in(ms(1000)), 15);
        assert_eq!(RateLimit { rate: 3, per: ms(1000), burst: 1 }.allowed_in(ms(333)), 1);
        assert_eq!(RateLimit { rate: 3, per: ms(1000), burst: 1 }.allowed_in(ms(334)), 2);
        assert_eq!(l.allowed_in(Duration::MAX), u64::MAX);
    }

    #[test]
    fn a_token_bucket_schedule_keeps_every_window() {
        // Five at once, then one every 100 ms.
        let times = at(&[0, 0, 0, 0, 0, 100, 200, 300, 400, 500]);
        assert_eq!(overfull_window(&times, TEN_PER_S_BURST_5), None);
        // Burst 1: one every 100 ms, exactly at the limit.
        let steady: Vec<Duration> = (0..100).map(|i| ms(i * 100)).collect();
        assert_eq!(overfull_window(&steady, RateLimit { rate: 10, per: ms(1000), burst: 1 }), None);
        assert_eq!(overfull_window(&[], TEN_PER_S_BURST_5), None);
    }

    #[test]
    fn a_double_burst_across_a_window_edge_is_caught() {
        // A fixed window admits five at 950 ms and five more at 1 000 ms.
        let times = at(&[950, 950, 950, 950, 950, 1000, 1000, 1000, 1000, 1000]);
        assert_eq!(
            overfull_window(&times, TEN_PER_S_BURST_5),
            Some(Overfull { from: ms(950), to: ms(1000), admitted: 10, allowed: 5 })
        );
        // Order of the input does not matter.
        let mut shuffled = times.clone();
        shuffled.reverse();
        assert_eq!(overfull_window(&shuffled, TEN_PER_S_BURST_5), overfull_window(&times, TEN_PER_S_BURST_5));
    }

    #[test]
    fn one_token_too_early_is_caught() {
        // Refilled on a timer's tick 50 ms after the burst: six in 50 ms.
        let times = at(&[950, 950, 950, 950, 950, 1000, 1100]);
        assert_eq!(
            overfull_window(&times, TEN_PER_S_BURST_5),
            Some(Overfull { from: ms(950), to: ms(1000), admitted: 6, allowed: 5 })
        );
    }

    #[test]
    fn the_failure_names_the_window_and_draws_it() {
        let times = at(&[950, 950, 950, 950, 950, 1000, 1000, 1000, 1000, 1000, 1500]);
        let msg = message_of(|| assert_rate_limited(&times, TEN_PER_S_BURST_5, "a fixed window"));
        assert!(msg.starts_with("a fixed window: one window holds more"), "{msg}");
        assert!(msg.contains("between 0.950 s and 1.000 s (50 ms) your limiter admitted 10 calls"), "{msg}");
        assert!(msg.contains("the limit (10 per 1.000 s, burst 5) allows 5 + 0 = 5"), "{msg}");
        assert!(msg.contains("1.000 s ×5  ◀ in the window"), "{msg}");
        assert!(msg.contains("├"), "{msg}");
        assert!(msg.lines().all(|l| l.chars().count() <= 80), "{msg}");
    }

    #[test]
    fn a_strip_stays_within_the_width() {
        let times: Vec<Duration> = (0..100).map(|i| ms(i * 100)).collect();
        let drawn = strip(&[("expected", &times), ("yours", &times)], Some((ms(950), ms(1000))));
        assert!(drawn.lines().all(|l| l.chars().count() <= 80), "{drawn}");
        assert!(drawn.lines().next().unwrap().contains("0s"), "{drawn}");
    }

    #[test]
    fn admissions_name_the_first_call_off_schedule() {
        let yours = at(&[0, 0, 0, 0, 0, 0, 100]);
        let msg = message_of(|| assert_admissions(&yours, &[0, 0, 0, 0, 0, 100, 200], "burst 5"));
        assert!(
            msg.contains("call 6 was admitted at 0.000 s; it should be at 0.100 s (too early)."),
            "{msg}"
        );
        assert!(msg.contains("calls 1 to 5 were admitted on schedule."), "{msg}");
        assert!(msg.contains("expected: 0.000 s ×5, 0.100 s, 0.200 s (7 calls)"), "{msg}");
        let short = message_of(|| assert_admissions(&at(&[0]), &[0, 100], "two calls"));
        assert!(short.contains("1 calls were admitted; 2 should have been."), "{short}");
        assert_admissions(&at(&[0, 100]), &[0, 100], "on schedule");
    }
}
