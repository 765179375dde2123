//! How many tasks are alive on the test's runtime: what "no task outlives
//! its call" and "at most k tasks exist at once" are checked with.
//!
//! tokio's runtime metrics count every spawned task that has not yet been
//! dropped by the runtime, whether it is running, waiting or finished but
//! not yet reaped. A task that was aborted is only gone once the runtime
//! has polled it to its end, so the count is read after a `yield_now`.

use crate::failure::fail;

/// Tasks alive on the current runtime now (the test's own body is not a
/// spawned task and does not count).
pub fn live_tasks() -> usize {
    tokio::runtime::Handle::current().metrics().num_alive_tasks()
}

/// Lets the runtime reap what was aborted or has finished, then counts.
pub async fn settled_live_tasks() -> usize {
    for _ in 0..4 {
        tokio::task::yield_now().await;
    }
    live_tasks()
}

/// Fails unless exactly `expected` tasks are alive once the runtime has
/// reaped what ended. `what` says when the count is read ("after try_all
/// returned").
pub async fn assert_live_tasks(expected: usize, what: &str) {
    let live = settled_live_tasks().await;
    if live != expected {
        let (verb, advice) = if live > expected {
            (
                "still alive",
                "a spawned task keeps running when its JoinHandle is dropped: abort what you no longer \
                 need (JoinHandle::abort, JoinSet, AbortOnDrop) before you return",
            )
        } else {
            ("alive", "fewer tasks than expected: were the jobs spawned at all?")
        };
        fail(format!("{what}: {live} task(s) {verb}, expected {expected}.\n{advice}"));
    }
}
