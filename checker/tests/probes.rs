//! The probes a test reads a schedule from, on the paused clock.

use std::time::Duration;

use checker::{End, Gauge, Probe, Timeline, ms};

#[test]
fn a_gauge_counts_what_is_in_flight_and_its_peak() {
    checker::run(async {
        let gauge = Gauge::new();
        let work = |hold: u64| {
            let gauge = gauge.clone();
            async move {
                let _in_flight = gauge.enter();
                tokio::time::sleep(ms(hold)).await;
            }
        };
        futures::future::join(work(1000), work(2000)).await;
        work(500).await;
        assert_eq!(gauge.peak(), 2);
        assert_eq!(gauge.current(), 0);
    });
}

#[test]
fn a_drop_probe_sees_a_cancellation_at_its_exact_instant() {
    checker::run(async {
        let (job, probe) = Probe::new(tokio::time::sleep(Duration::from_secs(5)));
        assert!(tokio::time::timeout(ms(1250), job).await.is_err());
        let fate = probe.fate();
        assert_eq!(fate.started, Some(ms(0)));
        assert_eq!(fate.ended, Some(End::Cancelled(ms(1250))));
    });
}

#[test]
fn a_drop_probe_sees_completion_and_a_panic() {
    checker::run(async {
        let tl = Timeline::new();
        let ok = tl.job("ok", 700, ());
        let boom = tl.str_panic_job::<()>("boom", 300, "boom");
        let handle = tokio::spawn(boom);
        ok.await;
        assert!(handle.await.unwrap_err().is_panic());
        assert_eq!(tl.span("ok").unwrap().fate.ended, Some(End::Completed(ms(700))));
        assert_eq!(tl.span("boom").unwrap().fate.ended, Some(End::Panicked(ms(300))));
    });
}

#[test]
fn a_timeline_starts_a_job_at_its_first_poll_not_its_creation() {
    checker::run(async {
        let tl = Timeline::new();
        let late = tl.job("late", 1000, ());
        tokio::time::sleep(ms(400)).await;
        late.await;
        let fate = tl.span("late").unwrap().fate;
        assert_eq!((fate.started, fate.ended), (Some(ms(400)), Some(End::Completed(ms(1400)))));
        assert_eq!(tl.completion_order(), vec!["late".to_string()]);
        assert_eq!(checker::elapsed(), ms(1400));
    });
}
