//! What a new learner tripped over (issue 11), each tried again through
//! the binary: rustc's warnings shown and pointed at, failures in task
//! order under their real names, the function to look at, blocking named
//! with its line, hints for the task to do next, the reference solution
//! once an exercise passes, progress in tests, the first build announced,
//! and a closed pipe that panics nothing.
//!
//! tests/fixtures/learner is a course of one exercise made of honest
//! mistakes: `pause` forgets an `.await`, `crowd` (a type) runs its jobs
//! in turn, `nap` calls `std::thread::sleep` in a loop.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};

use predicates::prelude::*;
use predicates::str::contains;

#[path = "support/fixture.rs"]
mod support;

use support::{Fixture, workspace};

const LIB: &str = "exercises/01-forgetful/src/lib.rs";

/// The line of `lib.rs` (from 1) that holds `text`.
fn line_of(course: &Fixture, text: &str) -> usize {
    let lib = std::fs::read_to_string(course.dir.join(LIB)).unwrap();
    lib.lines().position(|l| l.contains(text)).expect("the fixture has it") + 1
}

fn position(haystack: &str, needle: &str) -> usize {
    haystack.find(needle).unwrap_or_else(|| panic!("no {needle:?} in:\n{haystack}"))
}

#[test]
fn check_shows_a_forgotten_await_and_points_each_failure_at_the_learners_code() {
    let course = Fixture::copy("learner");
    let sleep = line_of(&course, "tokio::time::sleep(");
    let crowd = line_of(&course, "pub struct Crowd");
    let thread_sleep = line_of(&course, "std::thread::sleep(");
    let out = course
        .xtask_in("xtask-fixture-learner")
        .args(["check", "forgetful", "--wall-limit", "3"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).unwrap();

    // rustc's warning, with file and line, before the verdicts; and its
    // advice to write `let _ =` (which would hide the bug) replaced.
    assert!(out.contains("rustc has a warning about your code"), "{out}");
    assert!(out.contains("that must be used"), "{out}");
    assert!(out.contains(&format!("--> {LIB}:{sleep}:")), "{out}");
    assert!(out.contains("add `.await` to it") && !out.contains("help: use `let _ = ...`"), "{out}");
    assert!(position(&out, "that must be used") < position(&out, "✘"), "{out}");
    // The failing test of that task points there first.
    let waits = position(&out, "✘ pause_waits_the_whole_time\n");
    let pointer = format!("⚠ a warning may explain this: look first at {LIB}:{sleep}");
    assert!(
        out[waits..].trim_start_matches("✘ pause_waits_the_whole_time\n").trim_start().starts_with(&pointer),
        "{out}"
    );

    // Task order, then test-file order: the main property first, though
    // `pause_adds_up` sorts before it; real names, underscores and all.
    let order =
        ["✘ pause_waits_the_whole_time", "✘ pause_adds_up", "✘ crowd_runs_everyone_at_once", "✘ nap_returns"];
    let at: Vec<usize> = order.iter().map(|t| position(&out, t)).collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "not in task and file order:\n{out}");

    // The function or type as src/lib.rs writes it, with its line.
    assert!(out.contains(&format!("→ look at `pause` in {LIB}:{}", sleep - 1)), "{out}");
    assert!(out.contains(&format!("→ look at `Crowd` in {LIB}:{crowd}")), "{out}");
    // The chart's "in flight" row has a legend; virtual times have 3 decimals.
    assert!(out.contains("in flight 111") && out.contains("(in flight: how many jobs were running"), "{out}");
    assert!(out.contains("it took 0.000 s of virtual time; it should take exactly 1.000 s"), "{out}");
    // std::thread::sleep in a loop: blocking, with the line.
    assert!(out.contains(&format!("{LIB}:{thread_sleep} calls std::thread::sleep")), "{out}");
    assert!(out.contains("blocked the executor") || out.contains("this looks like blocking"), "{out}");
}

#[test]
fn a_panic_in_the_learners_code_is_reported_at_its_line() {
    let course = Fixture::copy("learner");
    let unwrap = line_of(&course, "tokio::spawn(job).await.unwrap()");
    let plus = line_of(&course, "Instant::now() + Duration::from_secs(secs)");
    let out = course
        .xtask_in("xtask-fixture-learner")
        .args(["check", "forgetful", "--wall-limit", "3"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).unwrap();
    let guard = &out[position(&out, "✘ guard_survives_a_panicking_job")..position(&out, "✘ wait_for")];
    // The unwrap of the JoinHandle, not the job that panicked on purpose
    // inside the checker.
    assert!(guard.contains(&format!("panicked at {LIB}:{unwrap}:")), "{guard}");
    assert!(!guard.contains("checker/src"), "{guard}");
    assert!(
        guard.contains(&format!("→ look at {LIB}:{unwrap}, in `guard`: your code panicked there")),
        "{guard}"
    );
    // A panic inside tokio: the first frame of the learner's file.
    let wait = &out[position(&out, "✘ wait_for_takes_a_huge_wait")..];
    assert!(wait.contains(&format!("panicked at {LIB}:{plus}:")), "{wait}");
    assert!(
        wait.contains(&format!("→ look at {LIB}:{plus}, in `wait_for`: your code panicked there")),
        "{wait}"
    );
}

#[test]
fn hint_shows_the_task_to_do_next_and_the_others_on_request() {
    let course = Fixture::copy("course");
    course
        .xtask()
        .args(["hint", "racing"])
        .assert()
        .success()
        .stdout(contains("task 1 · both: run two jobs at once").and(contains("hint 1: first nudge")))
        .stdout(contains("task 2").not().and(contains("hint 2").not()))
        .stdout(contains("cargo xtask hint racing --level 2").and(contains("cargo xtask hint racing --all")));
    // Once task 1 passes, task 2 is the one to do next.
    support::write(&course.dir.join(".awaitlings-state.json"), r#"{"next_task": {"racing": "later"}}"#);
    course
        .xtask()
        .args(["hint", "racing"])
        .assert()
        .success()
        .stdout(contains("task 2 · later: not written yet").and(contains("hint 1: l1")))
        .stdout(contains("first nudge").not());
    course
        .xtask()
        .args(["hint", "racing", "--all"])
        .assert()
        .success()
        .stdout(contains("task 1 · both").and(contains("task 2 · later")))
        .stdout(contains("cargo xtask hint racing --level 2 --all"));
    // --task takes a number or a name.
    for task in ["1", "both"] {
        course
            .xtask()
            .args(["hint", "racing", "--level", "3", "--task", task])
            .assert()
            .success()
            .stdout(contains("hint 3: third: futures::join!(a, b)").and(contains("l1").not()))
            .stdout(contains("that was the last hint"));
    }
    course
        .xtask()
        .args(["hint", "racing", "--level", "4", "--task", "1"])
        .assert()
        .code(2)
        .stderr(contains("there is no level 4").and(contains("--level 3 is the last")));
    course
        .xtask()
        .args(["hint", "racing", "--level", "0"])
        .assert()
        .code(2)
        .stderr(contains("--level starts at 1"));
    course
        .xtask()
        .args(["hint", "racing", "--task", "3"])
        .assert()
        .code(2)
        .stderr(contains("racing has no task '3'; its tasks are: 1 both, 2 later"));
}

#[test]
fn solution_is_shown_only_once_the_exercise_passes() {
    let course = Fixture::copy("course");
    course
        .xtask()
        .args(["solution", "racing"])
        .assert()
        .code(2)
        .stderr(contains("shown once your code passes every test").and(contains("cargo xtask check racing")));
    support::write(
        &course.dir.join(".awaitlings-state.json"),
        r#"{"exercises": {"racing": "done", "passing": "done"}}"#,
    );
    let solution = std::fs::read_to_string(course.dir.join("solutions/racing/src/lib.rs")).unwrap();
    let first = solution.lines().find(|l| !l.trim().is_empty()).unwrap().to_string();
    course
        .xtask()
        .args(["solution", "2"])
        .assert()
        .success()
        .stdout(contains("the reference solution: solutions/racing/src/lib.rs"))
        .stdout(contains("exercises/02-racing/src/lib.rs").and(contains(first)))
        .stdout(contains("solutions/racing/alternatives"));
    course
        .xtask()
        .args(["solution", "passing"])
        .assert()
        .code(2)
        .stderr(contains("has no reference solution"));
}

#[test]
fn check_offers_the_solution_and_progress_counts_tests() {
    let course = Fixture::copy("course");
    course
        .xtask()
        .args(["check", "passing"])
        .assert()
        .success()
        .stdout(contains("✔ double_takes_one_second"))
        // The fixture has no reference solution for passing: none is offered.
        .stdout(contains("compare yours with the reference solution").not());
    course.xtask().args(["check", "racing"]).assert().code(1);
    course
        .xtask()
        .assert()
        .success()
        .stdout(contains("1 of 5 done · 1 of 9 tests pass"))
        .stdout(contains("current   02 racing · asyncio.gather · 0 of 2 tests pass"));
    course
        .xtask()
        .arg("list")
        .assert()
        .success()
        .stdout(predicates::str::is_match(r"01  passing\s.*\s1 of 1\s+done").unwrap())
        .stdout(predicates::str::is_match(r"02  racing\s.*\s0 of 2\s+failing").unwrap())
        .stdout(predicates::str::is_match(r"04  hanging\s.*\s– of 3\s+not started").unwrap())
        .stdout(contains("1 of 5 done · 1 of 9 tests pass"));
    // racing, solved: done, and the reference solution is offered.
    let solution = std::fs::read_to_string(course.dir.join("solutions/racing/src/lib.rs")).unwrap();
    std::fs::write(course.dir.join("exercises/02-racing/src/lib.rs"), solution).unwrap();
    course
        .xtask_in("xtask-fixture-edits")
        .args(["check", "racing"])
        .assert()
        .success()
        .stdout(contains("compare yours with the reference solution: cargo xtask solution racing"));
    course.xtask().assert().success().stdout(contains("2 of 5 done · 3 of 9 tests pass"));
}

/// Runs the xtask with its stdout closed before it writes a byte: every
/// write meets a broken pipe, as `cargo xtask check gather | head -1`
/// does once head has its line.
fn with_stdout_closed(course: &Fixture, args: &[&str]) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .current_dir(&course.dir)
        .env("CARGO_TARGET_DIR", workspace().join("target/xtask-fixture"))
        .env("NO_COLOR", "1")
        .env_remove("AWAITLINGS_ROOT")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    (child.wait().unwrap().code(), stderr)
}

#[test]
fn a_closed_pipe_panics_no_command() {
    let course = Fixture::copy("course");
    // Built first, so that the check below prints its verdicts at once.
    course.xtask().args(["check", "racing"]).assert().code(1);
    for args in [
        &["check", "racing"][..],
        &["check", "passing"],
        &["list"],
        &[],
        &["hint", "racing", "--all"],
        &["--help"],
    ] {
        let (code, stderr) = with_stdout_closed(&course, args);
        assert!(!stderr.contains("panicked") && !stderr.contains("Broken pipe"), "{args:?}: {stderr}");
        assert_ne!(code, Some(101), "{args:?} panicked: {stderr}");
    }
    // Through a shell, as a learner types it.
    let shell = Command::new("sh")
        .arg("-c")
        .arg(format!("'{}' check racing | head -1", env!("CARGO_BIN_EXE_xtask")))
        .current_dir(&course.dir)
        .env("CARGO_TARGET_DIR", workspace().join("target/xtask-fixture"))
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&shell.stdout), "02 racing · asyncio.gather\n");
    assert!(!String::from_utf8_lossy(&shell.stderr).contains("panicked"));
}

#[test]
fn the_first_check_says_at_once_that_it_builds_and_shows_cargos_progress() {
    let course = Fixture::copy("course");
    let target = workspace().join("target/xtask-fixture-first");
    let marker = target.join("awaitlings/built");
    let _ = std::fs::remove_file(&marker);
    let first = course.xtask_in("xtask-fixture-first").args(["check", "passing"]).assert().success();
    let stderr = String::from_utf8_lossy(&first.get_output().stderr).into_owned();
    let said = position(&stderr, "building the course the first time, about a minute on 2 cores");
    // cargo's own lines come through, even to a pipe, after that line.
    let cargo = ["Compiling", "Finished", "Executable"].iter().filter_map(|w| stderr.find(w)).min();
    assert!(cargo.is_some_and(|at| at > said), "no cargo progress after the line:\n{stderr}");
    assert!(Path::new(&marker).is_file());
    course
        .xtask_in("xtask-fixture-first")
        .args(["check", "passing"])
        .assert()
        .success()
        .stderr(contains("building the course the first time").not());
}
