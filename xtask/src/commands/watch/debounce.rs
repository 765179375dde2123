//! One check per save, however many file events the save makes.
//!
//! Editors write a file in several steps (truncate, write, rename a temp
//! file over it, touch its metadata), and each step is an event. The
//! check waits until the events have been quiet for a moment, and never
//! longer than a ceiling, so a file rewritten in a loop still gets
//! checked.

use std::time::{Duration, Instant};

/// How long the events must be quiet before the check starts.
pub const QUIET: Duration = Duration::from_millis(150);
/// The longest a check waits for quiet after the first event.
pub const CEILING: Duration = Duration::from_secs(1);

#[derive(Debug, Default)]
pub struct Debounce {
    /// The first and the latest event since the last check.
    pending: Option<(Instant, Instant)>,
}

impl Debounce {
    /// An event arrived at `now`.
    pub fn poke(&mut self, now: Instant) {
        let first = self.pending.map_or(now, |(first, _)| first);
        self.pending = Some((first, now));
    }

    /// When the check is due, if an event is waiting for one.
    pub fn due(&self) -> Option<Instant> {
        self.pending.map(|(first, last)| (last + QUIET).min(first + CEILING))
    }

    /// Forgets the events: a check is starting that will see them.
    pub fn clear(&mut self) {
        self.pending = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_in_a_burst_make_one_check_after_the_quiet() {
        let start = Instant::now();
        let mut debounce = Debounce::default();
        assert_eq!(debounce.due(), None);
        debounce.poke(start);
        debounce.poke(start + Duration::from_millis(20));
        debounce.poke(start + Duration::from_millis(50));
        assert_eq!(debounce.due(), Some(start + Duration::from_millis(50) + QUIET));
        debounce.clear();
        assert_eq!(debounce.due(), None);
    }

    #[test]
    fn endless_events_are_checked_at_the_ceiling() {
        let start = Instant::now();
        let mut debounce = Debounce::default();
        for ms in (0..2000).step_by(100) {
            debounce.poke(start + Duration::from_millis(ms));
        }
        assert_eq!(debounce.due(), Some(start + CEILING));
    }
}
