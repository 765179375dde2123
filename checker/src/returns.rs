//! When a call returns: within a limit, at once, or at an exact instant.
//!
//! On the paused clock a call returns at an exact virtual instant, so a test
//! can pin it with `==`. When it is off, the learner reads when it returned,
//! when it should have, by how much it was off, and the advice the test
//! gives for that direction: a call that returns late usually waited for
//! something it should not have, one that returns early skipped a wait.

use std::future::Future;
use std::time::Duration;

use crate::clock::{elapsed, fmt_duration, ms};
use crate::expect::assert_elapsed;
use crate::failure::fail;

/// Awaits `fut`, or fails once it has run `limit` of virtual time: a hang,
/// explained. `what` names the call, `hint` says what usually causes it
/// ("give each producer its own clone of the Sender ...").
pub async fn within<F: Future>(limit: Duration, what: &str, hint: &str, fut: F) -> F::Output {
    match tokio::time::timeout(limit, fut).await {
        Ok(output) => output,
        Err(_) => fail(format!(
            "{what} was still running after {} of virtual time, far longer than it needs.\n{hint}",
            fmt_duration(limit)
        )),
    }
}

/// Awaits `fut`, a call that must return at once, without any virtual time
/// passing (a bad argument is an error, not a wait). Fails with `hint` if
/// it is still running after 1 s of virtual time, and with how long it took
/// if it returned later than at once.
pub async fn at_once<F: Future>(fut: F, what: &str, hint: &str) -> F::Output {
    let called_at = elapsed();
    let value = within(ms(1000), what, hint, fut).await;
    assert_elapsed(elapsed() - called_at, 0, what);
    value
}

/// Asserts that a call returned at exactly `expected_ms` since the test
/// began; `returned_at` is [`crate::elapsed`] read the moment it returned.
/// `what` names the call and its inputs; `late` and `early` say what each
/// mistake usually is (either may be empty).
///
/// ```text
/// abort_after(A 1 s, 400 ms): it returned at 1.000 s of virtual time; it should return at exactly 0.400 s.
/// it returned 0.600 s late: it should abort A at the limit and return as soon as A is gone.
/// ```
pub fn assert_returned_at(returned_at: Duration, expected_ms: u64, what: &str, late: &str, early: &str) {
    let expected = ms(expected_ms);
    if returned_at != expected {
        fail(format!(
            "{what}: it returned at {} of virtual time; it should return at exactly {}.\n{}",
            fmt_duration(returned_at),
            fmt_duration(expected),
            how_far_off(returned_at, expected, late, early)
        ));
    }
}

/// Asserts that a call returned exactly `expected_ms` after it was made;
/// `took` is the virtual time from the call to its return. For calls made
/// one after another in a loop, where "3 s after the call" reads better
/// than an instant since the test began. `late` and `early` as in
/// [`assert_returned_at`].
pub fn assert_returned_after(took: Duration, expected_ms: u64, what: &str, late: &str, early: &str) {
    let expected = ms(expected_ms);
    if took != expected {
        fail(format!(
            "{what}: it returned {} after the call; it should return after exactly {}.\n{}",
            fmt_duration(took),
            fmt_duration(expected),
            how_far_off(took, expected, late, early)
        ));
    }
}

/// "it returned 0.600 s late: <advice>".
fn how_far_off(actual: Duration, expected: Duration, late: &str, early: &str) -> String {
    let (by, way, advice) = if actual > expected {
        (actual - expected, "late", late)
    } else {
        (expected - actual, "early", early)
    };
    if advice.is_empty() {
        format!("it returned {} {way}.", fmt_duration(by))
    } else {
        format!("it returned {} {way}: {advice}", fmt_duration(by))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::failure::tests::{failure_of, failure_of_run};

    #[test]
    fn a_call_off_its_instant_says_by_how_much_and_why() {
        let late =
            failure_of(|| assert_returned_at(ms(1000), 400, "abort_after(A 1 s, 400 ms)", "too slow.", ""));
        assert_eq!(
            late,
            "abort_after(A 1 s, 400 ms): it returned at 1.000 s of virtual time; it should return at exactly \
             0.400 s.\nit returned 0.600 s late: too slow."
        );
        let early = failure_of(|| assert_returned_at(ms(300), 400, "abort_after", "too slow.", ""));
        assert!(early.ends_with("\nit returned 0.100 s early."), "{early}");
        assert_returned_at(ms(400), 400, "on time", "", "");
    }

    #[test]
    fn a_call_off_its_duration_says_after_the_call() {
        let message = failure_of(|| assert_returned_after(ms(2000), 3000, "with_timeout", "", "it gave up."));
        assert_eq!(
            message,
            "with_timeout: it returned 2.000 s after the call; it should return after exactly 3.000 s.\n\
             it returned 1.000 s early: it gave up."
        );
        assert_returned_after(ms(3000), 3000, "on time", "", "");
    }

    #[test]
    fn at_once_fails_on_a_wait_and_explains_a_hang() {
        crate::run(async {
            assert_eq!(at_once(async { 7 }, "ready", "").await, 7);
            tokio::time::sleep(ms(500)).await;
            // Called at 0.5 s: "at once" counts from the call.
            assert_eq!(at_once(async { 8 }, "ready later", "").await, 8);
        });
        let waited = failure_of_run(async {
            at_once(tokio::time::sleep(ms(10)), "run_limited(jobs, k = 0)", "check k first").await;
        });
        assert!(waited.starts_with("run_limited(jobs, k = 0): it took 0.010 s of virtual time"), "{waited}");
        let hung = failure_of_run(async {
            at_once(std::future::pending::<()>(), "run_limited(jobs, k = 0)", "check k first").await;
        });
        assert_eq!(
            hung,
            "run_limited(jobs, k = 0) was still running after 1.000 s of virtual time, far longer than it \
             needs.\ncheck k first"
        );
    }
}
