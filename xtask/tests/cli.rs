//! The xtask, tested through its binary against a small fixture course
//! (tests/fixtures/course): an exercise that passes, one that fails on
//! timing, one that does not compile, one that hangs, one that cheats.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use predicates::prelude::*;
use predicates::str::contains;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask sits in the workspace").to_path_buf()
}

/// A scratch copy of the fixture course, removed when dropped.
struct Fixture {
    dir: PathBuf,
}

impl Fixture {
    fn new() -> Fixture {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "awaitlings-fixture-{}-{}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = fs::remove_dir_all(&dir);
        copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/course"), &dir);
        let manifest = dir.join("Cargo.toml");
        let checker = workspace().join("checker");
        let text = fs::read_to_string(&manifest).unwrap().replace("@CHECKER@", checker.to_str().unwrap());
        fs::write(&manifest, text).unwrap();
        // The course's own lock file: the same versions, nothing to resolve.
        fs::copy(workspace().join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
        Fixture { dir }
    }

    fn xtask(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_xtask"));
        cmd.current_dir(&self.dir)
            .env("CARGO_TARGET_DIR", workspace().join("target/xtask-fixture"))
            .env("NO_COLOR", "1")
            .env_remove("AWAITLINGS_ROOT")
            .timeout(Duration::from_secs(600));
        cmd
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[test]
fn list_shows_every_exercise_and_its_status() {
    let course = Fixture::new();
    course
        .xtask()
        .arg("list")
        .assert()
        .success()
        .stdout(contains("01  passing").and(contains("05  cheating")).and(contains("not started")))
        .stdout(contains("0 of 5 done"));
}

#[test]
fn check_passes_a_finished_exercise_and_records_it() {
    let course = Fixture::new();
    course
        .xtask()
        .args(["check", "passing"])
        .assert()
        .success()
        .stdout(
            contains("✔ double takes one second")
                .and(contains("1.000 s virtual"))
                .and(contains("all 1 pass")),
        )
        .stdout(contains("next: cargo xtask check racing"));
    course.xtask().arg("list").assert().success().stdout(contains("done").and(contains("1 of 5 done")));
    course.xtask().assert().success().stdout(contains("current   02 racing"));
}

#[test]
fn check_explains_a_timing_failure_with_both_schedules() {
    let course = Fixture::new();
    course
        .xtask()
        .args(["check", "racing"])
        .assert()
        .code(1)
        .stdout(contains("✘ both run at once"))
        .stdout(contains("your jobs finished at 3.000 s; they should all be done at 2.000 s."))
        .stdout(contains("each job started only when the one before it ended"))
        .stdout(contains("expected  A").and(contains("yours     A")))
        .stdout(contains("look at `both` in exercises/02-racing/src/lib.rs"))
        .stdout(contains("○ not yet implemented: task 2 (later)"))
        .stdout(contains("0 of 2 pass").and(contains("cargo xtask hint racing")))
        .stdout(contains("panicked").not());
}

#[test]
fn check_solution_runs_the_same_tests_on_the_solution() {
    let course = Fixture::new();
    course.xtask().args(["check", "racing", "--solution"]).assert().success().stdout(contains("all 2 pass"));
}

#[test]
fn check_shows_compile_errors_with_workspace_paths() {
    let course = Fixture::new();
    course
        .xtask()
        .args(["check", "03"])
        .assert()
        .code(1)
        .stdout(contains("does not compile"))
        .stdout(contains("error[E0308]").and(contains("exercises/03-broken/src/lib.rs")))
        .stdout(contains("then run: cargo xtask check broken"));
}

#[test]
fn check_ends_hangs_and_spins_in_bounded_time_and_says_which() {
    let course = Fixture::new();
    // Build first, so the clock below measures the runs only.
    course.xtask().args(["check", "hanging", "--wall-limit", "2"]).assert().code(1);
    let started = Instant::now();
    course
        .xtask()
        .args(["check", "hanging", "--wall-limit", "2"])
        .assert()
        .code(1)
        .stdout(contains("✘ wait returns").and(contains("deadlock")))
        .stdout(contains("✘ spin returns").and(contains("endless loop")))
        .stdout(
            contains("✘ block returns")
                .and(contains("blocked the executor"))
                .and(contains("std::thread::sleep")),
        );
    assert!(started.elapsed() < Duration::from_secs(30), "took {:?}", started.elapsed());
}

#[test]
fn check_does_not_believe_fake_output_or_an_early_exit() {
    let course = Fixture::new();
    course
        .xtask()
        .args(["check", "cheating"])
        .assert()
        .code(1)
        .stdout(contains("✘ exit passes").and(contains("exited before the test finished")))
        .stdout(contains("✘ abort passes").and(contains("aborted")))
        .stdout(contains("0 of 2 pass"));
}

#[test]
fn a_misspelled_name_gets_a_suggestion_and_exit_2() {
    let course = Fixture::new();
    course
        .xtask()
        .args(["check", "pasing"])
        .assert()
        .code(2)
        .stderr(contains("no exercise 'pasing'; did you mean 'passing'?"));
    course.xtask().args(["hint", "zzzzzzzz"]).assert().code(2).stderr(contains("cargo xtask list"));
}

#[test]
fn hint_goes_one_level_at_a_time() {
    let course = Fixture::new();
    course
        .xtask()
        .args(["hint", "racing", "--level", "2", "--task", "both"])
        .assert()
        .success()
        .stdout(contains("first nudge").and(contains("second nudge")).and(contains("third").not()))
        .stdout(contains("cargo xtask hint racing --level 3 --task both"));
}

#[test]
fn verify_reports_a_mutant_that_survives() {
    let course = Fixture::new();
    course
        .xtask()
        .args(["verify", "racing"])
        .assert()
        .code(1)
        .stdout(contains("✔ stub: all 2 tests fail"))
        .stdout(contains("✔ solution: all 2 tests pass"))
        .stdout(contains("✔ mutant one_by_one: caught by both_run_at_once"))
        .stdout(contains("✘ mutant survivor survives"));
}

#[test]
fn outside_a_course_it_says_where_to_go() {
    let dir = std::env::temp_dir();
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .current_dir(&dir)
        .env_remove("AWAITLINGS_ROOT")
        .arg("list")
        .assert()
        .failure()
        .stderr(contains("not inside an awaitlings course"));
}
