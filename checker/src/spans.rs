//! Charts of schedules a test reads from somewhere other than a
//! [`crate::Timeline`]: a log of timestamped lines, say, where "A starting"
//! at 0 s and "A done" at 2 s make one bar.

use crate::expect::chart;
use crate::timeline::{Span, bar_of};

/// Expected and actual schedules, given as spans, drawn on one axis as in
/// [`crate::assert_schedule`]'s failures: the chart to put under a message
/// about a schedule the test pieced together itself. A span that never
/// started is an empty row; one that never ended runs off the chart.
pub fn chart_of_spans(expected: &[Span], yours: &[Span]) -> String {
    let expected: Vec<_> = expected.iter().map(bar_of).collect();
    let yours: Vec<_> = yours.iter().map(bar_of).collect();
    chart(&expected, &yours)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ms;
    use crate::probe::{End, Fate};

    fn span(name: &str, start: Option<u64>, end: Option<u64>) -> Span {
        Span {
            name: name.into(),
            fate: Fate { started: start.map(ms), ended: end.map(|t| End::Completed(ms(t))) },
        }
    }

    #[test]
    fn spans_are_drawn_as_the_schedule_charts_are() {
        let expected = [span("A", Some(0), Some(2000)), span("B", Some(0), Some(1000))];
        let yours = [span("A", Some(0), Some(2000)), span("B", Some(2000), None)];
        let drawn = chart_of_spans(&expected, &yours);
        let lines: Vec<&str> = drawn.lines().collect();
        assert!(lines[0].trim_start().starts_with("0s"), "{drawn}");
        assert!(lines[1].starts_with("expected  A █"), "{drawn}");
        assert!(lines[3].starts_with("yours     A █"), "{drawn}");
        let b = lines[4];
        assert!(b.starts_with("          B  ") && b.contains('█') && b.ends_with('…'), "{drawn}");
    }
}
