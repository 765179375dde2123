//! The xtask, tested through its binary against a small fixture course
//! (tests/fixtures/course): an exercise that passes, one that fails on
//! timing, one that does not compile, one that hangs, one that cheats.

use std::time::{Duration, Instant};

use assert_cmd::Command;
use predicates::prelude::*;
use predicates::str::contains;

#[path = "support/fixture.rs"]
mod support;

use support::Fixture;

#[test]
fn list_shows_every_exercise_and_its_status() {
    let course = Fixture::copy("course");
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
    let course = Fixture::copy("course");
    course
        .xtask()
        .args(["check", "passing"])
        .assert()
        .success()
        .stdout(
            contains("✔ double_takes_one_second")
                .and(contains("1.000 s virtual"))
                .and(contains("all 1 pass")),
        )
        .stdout(contains("next: cargo xtask check racing"));
    course.xtask().arg("list").assert().success().stdout(contains("done").and(contains("1 of 5 done")));
    course.xtask().assert().success().stdout(contains("current   02 racing"));
}

#[test]
fn check_explains_a_timing_failure_with_both_schedules() {
    let course = Fixture::copy("course");
    course
        .xtask()
        .args(["check", "racing"])
        .assert()
        .code(1)
        .stdout(contains("✘ both_run_at_once"))
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
    let course = Fixture::copy("course");
    course.xtask().args(["check", "racing", "--solution"]).assert().success().stdout(contains("all 2 pass"));
}

#[test]
fn check_shows_compile_errors_with_workspace_paths() {
    let course = Fixture::copy("course");
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
    let course = Fixture::copy("course");
    // Build first, so the clock below measures the runs only.
    course.xtask().args(["check", "hanging", "--wall-limit", "2"]).assert().code(1);
    let started = Instant::now();
    course
        .xtask()
        .args(["check", "hanging", "--wall-limit", "2"])
        .assert()
        .code(1)
        .stdout(contains("✘ wait_returns").and(contains("deadlock")))
        .stdout(contains("✘ spin_returns").and(contains("endless loop")))
        .stdout(
            contains("✘ block_returns")
                .and(contains("blocked the executor"))
                .and(contains("std::thread::sleep")),
        );
    assert!(started.elapsed() < Duration::from_secs(30), "took {:?}", started.elapsed());
}

#[test]
fn check_does_not_believe_fake_output_or_an_early_exit() {
    let course = Fixture::copy("course");
    course
        .xtask()
        .args(["check", "cheating"])
        .assert()
        .code(1)
        .stdout(contains("✘ exit_passes").and(contains("exited before the test finished")))
        .stdout(contains("✘ abort_passes").and(contains("aborted")))
        .stdout(contains("0 of 2 pass"));
}

#[test]
fn a_misspelled_name_gets_a_suggestion_and_exit_2() {
    let course = Fixture::copy("course");
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
    let course = Fixture::copy("course");
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
    let course = Fixture::copy("course");
    // Its verdict is a coin flip: the next test is about that.
    std::fs::remove_file(course.dir.join("solutions/racing/mutants/coin_flip.patch")).unwrap();
    course
        .xtask()
        .args(["verify", "racing"])
        .assert()
        .code(1)
        .stdout(contains("✔ stub: all 2 tests fail"))
        .stdout(contains("✔ solution: all 2 tests pass"))
        .stdout(contains("✔ alternative tokio_join: all 2 tests pass"))
        .stdout(contains("✔ mutant one_by_one (−1 +4 lines): caught by both_run_at_once"))
        .stdout(contains("✘ mutant survivor (−0 +1 lines) survives: no test fails on it"))
        .stdout(contains(
            "✘ mutant drifted (−2 +4 lines) cannot be tried: it no longer applies to the solution",
        ))
        .stdout(contains("✘ 3 mutant(s); an exercise needs at least 10"))
        .stdout(contains("✘ 1 alternative(s); an exercise needs at least 2"))
        .stdout(contains("1 of 3 mutants caught · 1 of 1 alternatives pass · 3 run(s) each"));
}

/// A verdict that rides on tokio's random `select!` choice is caught by
/// running it again: 20 runs of a coin flip all agree once in 500 000.
#[test]
fn verify_reports_a_verdict_that_changes_between_runs() {
    let course = Fixture::copy("course");
    course
        .xtask()
        .args(["verify", "racing", "--repeat", "20"])
        .assert()
        .code(1)
        .stdout(predicates::str::is_match(r"✘ mutant coin_flip \(−1 \+7 lines\): later_returns passed in \d+ of 20 runs. A verdict must not depend on chance").unwrap());
}

/// A stray full copy in mutants/ is refused, and `mutant --from` turns a
/// mutated copy into a patch that `--show` gives back.
#[test]
fn mutant_saves_a_patch_and_shows_it_applied() {
    let course = Fixture::copy("course");
    let solution = std::fs::read_to_string(course.dir.join("solutions/racing/src/lib.rs")).unwrap();
    let mutated = solution.replace("futures::join!(a, b);", "a.await;\n    b.await;");
    let copy = course.dir.join("mutated.rs");
    std::fs::write(&copy, &mutated).unwrap();
    course
        .xtask()
        .args(["mutant", "racing", "awaits_in_turn", "--from"])
        .arg(&copy)
        .assert()
        .success()
        .stdout(contains("saved solutions/racing/mutants/awaits_in_turn.patch"));
    let patch =
        std::fs::read_to_string(course.dir.join("solutions/racing/mutants/awaits_in_turn.patch")).unwrap();
    assert!(patch.starts_with("--- a/src/lib.rs\n+++ b/src/lib.rs\n"), "{patch}");
    course
        .xtask()
        .args(["mutant", "racing", "awaits_in_turn", "--show"])
        .assert()
        .success()
        .stdout(mutated.clone());
    std::fs::write(course.dir.join("solutions/racing/mutants/copy.rs"), &mutated).unwrap();
    course
        .xtask()
        .args(["verify", "racing", "--repeat", "1"])
        .assert()
        .code(1)
        .stdout(contains("solutions/racing/mutants/copy.rs is not a patch"));
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

#[test]
fn check_timeline_draws_a_passing_tests_schedule() {
    let course = Fixture::copy("course");
    course
        .xtask()
        .args(["check", "racing", "--solution", "--timeline"])
        .assert()
        .success()
        .stdout(contains("✔ both_run_at_once"))
        .stdout(contains("yours  A ████").and(contains("0s")).and(contains("2s")));
}

#[test]
fn progress_survives_removed_exercises_and_a_corrupt_state_file() {
    let course = Fixture::copy("course");
    let state = course.dir.join(".awaitlings-state.json");
    std::fs::write(&state, r#"{"exercises": {"ghost": "done", "passing": "done"}}"#).unwrap();
    course.xtask().assert().success().stdout(contains("1 of 5 done").and(contains("current   02 racing")));
    course.xtask().arg("list").assert().success().stdout(contains("ghost").not());
    std::fs::write(&state, "{ not json").unwrap();
    course.xtask().assert().success().stdout(contains("0 of 5 done").and(contains("current   01 passing")));
}

#[test]
fn status_points_at_the_first_unfinished_task() {
    let course = Fixture::copy("course");
    course.xtask_in("xtask-fixture-edits").args(["check", "passing"]).assert().success();
    // racing: task 1 (both) fails on timing, task 2 (later) is todo.
    course.xtask_in("xtask-fixture-edits").args(["check", "racing"]).assert().code(1);
    course
        .xtask_in("xtask-fixture-edits")
        .assert()
        .success()
        .stdout(contains("task 1    both: run two jobs at once"));
    let solved = std::fs::read_to_string(course.dir.join("solutions/racing/src/lib.rs")).unwrap();
    let half =
        solved.replace("pub async fn later() {}", "pub async fn later() {\n    todo!(\"task 2 (later)\")\n}");
    std::fs::write(course.dir.join("exercises/02-racing/src/lib.rs"), half).unwrap();
    course.xtask_in("xtask-fixture-edits").args(["check", "racing"]).assert().code(1);
    course
        .xtask_in("xtask-fixture-edits")
        .assert()
        .success()
        .stdout(contains("task 2    later: not written yet"));
}

/// A maintainer's first step: the scaffold is a draft that verify passes,
/// built the way every exercise is (stub fails, solution passes).
#[test]
fn new_scaffolds_an_exercise_that_verify_passes() {
    let course = Fixture::copy("course");
    course
        .xtask()
        .args(["new", "demo"])
        .assert()
        .success()
        .stdout(contains("created exercises/06-demo/ and solutions/demo/"));
    for file in [
        "exercises/06-demo/README.md",
        "exercises/06-demo/exercise.toml",
        "exercises/06-demo/src/lib.rs",
        "exercises/06-demo/tests/demo.rs",
        "solutions/demo/Cargo.toml",
        "solutions/demo/src/lib.rs",
    ] {
        assert!(course.dir.join(file).is_file(), "{file} was not written");
    }
    let readme = std::fs::read_to_string(course.dir.join("exercises/06-demo/README.md")).unwrap();
    for section in
        ["## Concept", "## Your task", "## Break it", "## Explain it", "## Pitfalls", "## Mastery check"]
    {
        assert!(readme.contains(section), "README lacks {section}");
    }
    course
        .xtask()
        .args(["verify", "demo", "--repeat", "1"])
        .assert()
        .success()
        .stdout(contains("✔ stub: all 1 tests fail"))
        .stdout(contains("✔ solution: all 1 tests pass"))
        .stdout(contains("(a draft: not counted as a problem yet)"));
    course
        .xtask()
        .args(["new", "demo"])
        .assert()
        .code(2)
        .stderr(contains("there is already an exercise 'demo'"));
    course
        .xtask()
        .args(["new", "Bad_Name"])
        .assert()
        .code(2)
        .stderr(contains("lowercase words joined by dashes"));
}
