//! The guards around a test, seen from outside: each case runs as a child
//! process (this same binary, one `#[ignore]`d test) with the runner's
//! result channel, as `cargo xtask check` runs it.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use checker::Limits;
use protocol::{Outcome, Record};

/// The record the checker wrote for `test`, and the process's output.
fn run_child(test: &str, wall_limit_ms: u64) -> (Option<Record>, Output, Duration) {
    static N: AtomicUsize = AtomicUsize::new(0);
    let report: PathBuf = std::env::temp_dir().join(format!(
        "awaitlings-guards-{}-{}.report",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::write(&report, "").unwrap();
    let started = Instant::now();
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--ignored", "--test-threads", "1"])
        .env(protocol::REPORT_VAR, &report)
        .env(protocol::NONCE_VAR, "n0nce")
        .env(protocol::WALL_LIMIT_VAR, wall_limit_ms.to_string())
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    let took = started.elapsed();
    let text = std::fs::read_to_string(&report).unwrap();
    let _ = std::fs::remove_file(&report);
    let record = Record::find(&text, "n0nce").unwrap();
    (record, out, took)
}

#[test]
#[ignore = "run by deadlock_without_timers_fails_at_the_virtual_guard_at_once"]
fn child_deadlock_without_timers() {
    checker::run(async {
        let (_tx, rx) = tokio::sync::oneshot::channel::<()>();
        let _ = rx.await;
    });
}

/// The virtual guard is itself a timer, so on the paused clock a deadlock
/// jumps straight to it: no real time is spent waiting.
#[test]
fn deadlock_without_timers_fails_at_the_virtual_guard_at_once() {
    let (record, out, took) = run_child("child_deadlock_without_timers", 3000);
    let record = record.expect("a record");
    assert_eq!(record.outcome, Outcome::Fail, "{record:?}");
    assert_eq!(record.nonce, "n0nce");
    assert_eq!(record.virtual_ms, 600_000.0, "{record:?}");
    assert!(record.message.as_str().contains("deadlock"), "{record:?}");
    assert!(!out.status.success());
    assert!(took < Duration::from_secs(2), "took {took:?}");
}

#[test]
#[ignore = "run by spin_ends_at_the_watchdog"]
fn child_spin() {
    checker::run(async {
        loop {
            std::hint::spin_loop();
        }
    });
}

#[test]
fn spin_ends_at_the_watchdog() {
    let (record, _, took) = run_child("child_spin", 300);
    let record = record.expect("a record");
    assert_eq!(record.outcome, Outcome::Hang, "{record:?}");
    assert!(record.message.as_str().contains("endless loop"), "{record:?}");
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

#[test]
#[ignore = "run by a_spin_ends_long_before_the_wall_limit"]
fn child_yield_spin() {
    checker::run(async {
        loop {
            tokio::task::yield_now().await;
        }
    });
}

/// A poll that never ends is a verdict after a second: no test waits out
/// the whole wall limit for it.
#[test]
fn a_spin_ends_long_before_the_wall_limit() {
    let (record, _, took) = run_child("child_yield_spin", 30_000);
    let record = record.expect("a record");
    assert_eq!(record.outcome, Outcome::Hang, "{record:?}");
    let message = record.message.as_str();
    assert!(message.contains("stopped after 1.") && message.contains("endless loop"), "{message}");
    assert!(took < Duration::from_secs(10), "took {took:?}");
}

#[test]
#[ignore = "run by deadlock_with_timers_fails_at_the_exact_virtual_guard"]
fn child_deadlock_with_timers() {
    let limits = Limits { virtual_limit: Duration::from_secs(30), ..Limits::default() };
    checker::run_with(limits, async {
        let (_tx, rx) = tokio::sync::oneshot::channel::<()>();
        let ticker = async {
            loop {
                tokio::time::sleep(Duration::from_secs(7)).await;
            }
        };
        tokio::select! {
            _ = rx => {}
            _ = ticker => {}
        }
    });
}

#[test]
fn deadlock_with_timers_fails_at_the_exact_virtual_guard() {
    let (record, _, took) = run_child("child_deadlock_with_timers", 5000);
    let record = record.expect("a record");
    assert_eq!(record.outcome, Outcome::Fail, "{record:?}");
    assert_eq!(record.virtual_ms, 30000.0, "{record:?}");
    assert!(record.message.as_str().contains("still not finished after 30.000 s"), "{record:?}");
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

#[test]
#[ignore = "run by thread_sleep_is_reported_as_blocking"]
fn child_thread_sleep() {
    checker::run(async {
        std::thread::sleep(Duration::from_millis(250));
        tokio::time::sleep(Duration::from_secs(1)).await;
    });
}

#[test]
fn thread_sleep_is_reported_as_blocking() {
    let (record, _, _) = run_child("child_thread_sleep", 5000);
    let record = record.expect("a record");
    assert_eq!(record.outcome, Outcome::Blocking, "{record:?}");
    let message = record.message.as_str();
    assert!(message.contains("your code blocked the executor: its thread slept or waited 0.2"), "{message}");
    assert!(message.contains("in one poll"), "{message}");
    assert!(message.contains("std::thread::sleep"), "{message}");
}

#[test]
#[ignore = "run by a_short_thread_sleep_is_blocking_too"]
fn child_short_thread_sleep() {
    checker::run(async {
        tokio::time::sleep(Duration::from_millis(10)).await;
        std::thread::sleep(Duration::from_millis(60));
        tokio::time::sleep(Duration::from_millis(10)).await;
    });
}

/// 60 ms is under the 100 ms a busy poll is given, but honest async code
/// never sleeps inside a poll at all.
#[test]
fn a_short_thread_sleep_is_blocking_too() {
    let (record, _, _) = run_child("child_short_thread_sleep", 5000);
    let record = record.expect("a record");
    assert_eq!(record.outcome, Outcome::Blocking, "{record:?}");
    assert!(record.message.as_str().contains("in one poll"), "{record:?}");
}

#[test]
#[ignore = "run by short_sleeps_in_many_polls_add_up"]
fn child_short_sleeps_in_many_polls() {
    checker::run(async {
        for _ in 0..12 {
            std::thread::sleep(Duration::from_millis(8));
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
}

#[test]
fn short_sleeps_in_many_polls_add_up() {
    let (record, _, _) = run_child("child_short_sleeps_in_many_polls", 5000);
    let record = record.expect("a record");
    assert_eq!(record.outcome, Outcome::Blocking, "{record:?}");
    assert!(record.message.as_str().contains("over 12 separate polls"), "{record:?}");
}

#[test]
#[ignore = "run by a_thread_sleep_wait_loop_is_blocking_not_a_timeout"]
fn child_thread_sleep_wait_loop() {
    checker::run(async {
        let flag = std::sync::atomic::AtomicBool::new(false);
        // Waits for a flag nobody sets, sleeping the thread between looks.
        while !flag.load(std::sync::atomic::Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(10));
        }
    });
}

/// A wait loop that sleeps the thread is blocking, said as such, and ended
/// long before the wall limit.
#[test]
fn a_thread_sleep_wait_loop_is_blocking_not_a_timeout() {
    let (record, _, took) = run_child("child_thread_sleep_wait_loop", 8000);
    let record = record.expect("a record");
    assert_eq!(record.outcome, Outcome::Blocking, "{record:?}");
    let message = record.message.as_str();
    assert!(message.contains("asleep or waiting most of it"), "{message}");
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

#[test]
#[ignore = "run by todo_is_reported_with_its_task"]
fn child_todo() {
    checker::run(async { todo!("task 2 (concurrent)") });
}

#[test]
fn todo_is_reported_with_its_task() {
    let (record, out, _) = run_child("child_todo", 5000);
    let record = record.expect("a record");
    assert_eq!(record.outcome, Outcome::Todo, "{record:?}");
    assert_eq!(record.message, "task 2 (concurrent)");
    // No backtrace and no "panicked at" noise: just the task.
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("not yet implemented: task 2 (concurrent)"), "{stdout}");
    assert!(!stdout.contains("panicked at"), "{stdout}");
}

#[test]
#[ignore = "run by a_pass_is_recorded_with_its_virtual_time"]
fn child_pass() {
    checker::run(async { tokio::time::sleep(Duration::from_millis(1250)).await });
}

#[test]
fn a_pass_is_recorded_with_its_virtual_time() {
    let (record, out, _) = run_child("child_pass", 5000);
    let record = record.expect("a record");
    assert_eq!(record.outcome, Outcome::Pass, "{record:?}");
    assert_eq!(record.virtual_ms, 1250.0);
    assert!(out.status.success());
}

#[test]
#[ignore = "run by an_early_exit_leaves_no_record"]
fn child_exit() {
    checker::run(async {
        println!("test child_exit ... ok");
        std::process::exit(0);
    });
}

#[test]
fn an_early_exit_leaves_no_record() {
    let (record, out, _) = run_child("child_exit", 5000);
    assert!(record.is_none(), "{record:?}");
    assert!(out.status.success());
}

#[test]
#[ignore = "run by the_channel_is_hidden_from_the_code_under_test"]
fn child_reads_env() {
    checker::run(async {
        assert!(std::env::var_os("AWAITLINGS_NONCE").is_none());
        assert!(std::env::var_os("AWAITLINGS_REPORT").is_none());
    });
}

#[test]
fn the_channel_is_hidden_from_the_code_under_test() {
    let (record, _, _) = run_child("child_reads_env", 5000);
    let record = record.expect("a record");
    assert_eq!(record.outcome, Outcome::Pass, "{record:?}");
}
