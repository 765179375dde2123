//! The virtual clock as a test sees it: time since the test began.

use std::cell::Cell;
use std::time::Duration;

use tokio::time::Instant;

thread_local! {
    /// The instant [`crate::run`] started the test, on the paused clock.
    static ORIGIN: Cell<Option<Instant>> = const { Cell::new(None) };
}

pub(crate) fn set_origin(origin: Option<Instant>) {
    ORIGIN.set(origin);
}

/// Whether a test body is running under [`crate::run`] on this thread.
pub(crate) fn in_run() -> bool {
    ORIGIN.get().is_some()
}

/// The test's origin, or "now" outside [`crate::run`] (a timeline made in a
/// plain `#[tokio::test]` then counts from its own creation).
pub(crate) fn origin() -> Instant {
    ORIGIN.get().unwrap_or_else(Instant::now)
}

/// Virtual time since the test began.
pub fn elapsed() -> Duration {
    Instant::now().saturating_duration_since(origin())
}

/// Sleeps until `at_ms` after the test began, or not at all if that instant
/// has passed: for a side task that acts at a given instant of the schedule
/// (samples a count, joins in late), however long the code before it took.
pub async fn sleep_until_ms(at_ms: u64) {
    tokio::time::sleep_until(origin() + ms(at_ms)).await;
}

/// Whole milliseconds, the unit every schedule in the course is written in.
pub const fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// `6.000 s`: the way the course prints an instant or a duration. Three
/// decimals, because every timing in the course is a whole millisecond.
pub fn fmt_duration(d: Duration) -> String {
    let micros = d.as_micros();
    if micros.is_multiple_of(1000) {
        format!("{}.{:03} s", micros / 1_000_000, (micros / 1000) % 1000)
    } else {
        format!("{:.6} s", d.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_whole_milliseconds_with_three_decimals() {
        assert_eq!(fmt_duration(ms(6000)), "6.000 s");
        assert_eq!(fmt_duration(ms(1250)), "1.250 s");
        assert_eq!(fmt_duration(ms(0)), "0.000 s");
        assert_eq!(fmt_duration(Duration::from_micros(1500)), "0.001500 s");
    }

    #[test]
    fn sleep_until_ms_counts_from_the_start_of_the_test() {
        crate::run(async {
            tokio::time::sleep(ms(300)).await;
            sleep_until_ms(1000).await;
            assert_eq!(elapsed(), ms(1000));
            sleep_until_ms(500).await;
            assert_eq!(elapsed(), ms(1000), "an instant already past does not wait");
        });
    }
}
