//! `cargo xtask reset`, tested through the binary in a git checkout of the
//! fixture course (the instructor's or a cloned course: git's HEAD has the
//! stubs). The student edition's own copy of the stubs is tested in
//! dist.rs.

use std::fs;
use std::path::Path;
use std::process::Command;

use predicates::prelude::*;
use predicates::str::contains;

#[path = "support/fixture.rs"]
mod support;

use support::Fixture;

const STATE: &str = ".awaitlings-state.json";
const RACING: &str = "exercises/02-racing/src/lib.rs";
const PASSING: &str = "exercises/01-passing/src/lib.rs";

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "Course Author")
        .env("GIT_AUTHOR_EMAIL", "author@example.com")
        .env("GIT_COMMITTER_NAME", "Course Author")
        .env("GIT_COMMITTER_EMAIL", "author@example.com")
        .output()
        .expect("git is installed");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A copy of the fixture course, committed to a fresh git repository.
fn checkout() -> Fixture {
    let course = Fixture::copy("course");
    git(&course.dir, &["init", "--quiet", "--initial-branch", "main"]);
    git(&course.dir, &["add", "--all"]);
    git(&course.dir, &["commit", "--quiet", "--message", "the course"]);
    course
}

fn read(course: &Fixture, rel: &str) -> Vec<u8> {
    fs::read(course.dir.join(rel)).unwrap()
}

fn progress(course: &Fixture) -> serde_json::Value {
    serde_json::from_str(&fs::read_to_string(course.dir.join(STATE)).unwrap()).unwrap()
}

#[test]
fn reset_restores_the_stub_from_git_deletes_added_files_and_forgets_progress() {
    let course = checkout();
    let stub = read(&course, RACING);
    fs::write(course.dir.join(RACING), "pub async fn both() {}\n").unwrap();
    support::write(&course.dir.join("exercises/02-racing/src/helpers/mine.rs"), "// mine\n");
    support::write(
        &course.dir.join(STATE),
        r#"{"exercises": {"passing": "done", "racing": "failing"}, "next_task": {"racing": "later"}}"#,
    );

    course
        .xtask()
        .args(["reset", "racing", "--yes"])
        .assert()
        .success()
        .stdout(contains("reset 02 racing: back to the stub from git HEAD"))
        .stdout(contains("restore  exercises/02-racing/src/lib.rs"))
        .stdout(contains("delete   exercises/02-racing/src/helpers/mine.rs (you added it)"))
        .stdout(contains("forget   its progress (failing)"))
        .stdout(contains("1 file restored, 1 file deleted, progress cleared"))
        .stdout(contains("next: cargo xtask check racing"));

    assert_eq!(read(&course, RACING), stub, "the stub is back, byte for byte");
    assert!(
        !course.dir.join("exercises/02-racing/src/helpers").exists(),
        "added files and their folder are gone"
    );
    let progress = progress(&course);
    assert_eq!(progress["exercises"], serde_json::json!({"passing": "done"}), "{progress}");
    assert_eq!(progress["next_task"], serde_json::json!({}), "{progress}");
}

#[test]
fn reset_without_yes_and_without_a_terminal_refuses_and_changes_nothing() {
    let course = checkout();
    fs::write(course.dir.join(RACING), "pub async fn both() {}\n").unwrap();
    support::write(&course.dir.join(STATE), r#"{"exercises": {"racing": "failing"}}"#);
    let state_before = read(&course, STATE);

    course
        .xtask()
        .args(["reset", "racing"])
        .write_stdin("")
        .assert()
        .code(2)
        .stderr(contains("stdin is not a terminal").and(contains("nothing changed")))
        .stderr(contains("cargo xtask reset racing --yes"));
    // A "y" on a pipe is not an answer from the learner either.
    course
        .xtask()
        .args(["reset", "--all"])
        .write_stdin("y\n")
        .assert()
        .code(2)
        .stderr(contains("--all --yes"));

    assert_eq!(read(&course, RACING), b"pub async fn both() {}\n");
    assert_eq!(read(&course, STATE), state_before);
}

#[test]
fn reset_all_restores_every_exercise_after_one_question() {
    let course = checkout();
    let (racing, passing) = (read(&course, RACING), read(&course, PASSING));
    fs::write(course.dir.join(RACING), "// racing, mine\n").unwrap();
    fs::write(course.dir.join(PASSING), "// passing, mine\n").unwrap();

    course
        .xtask()
        .args(["reset", "--all", "--yes"])
        .assert()
        .success()
        .stdout(contains("✔ 01 passing").and(contains("✔ 02 racing")).and(contains("broken").not()))
        .stdout(contains("next: cargo xtask\n"));
    assert_eq!(read(&course, RACING), racing);
    assert_eq!(read(&course, PASSING), passing);

    course.xtask().args(["reset", "racing"]).write_stdin("").assert().success().stdout(
        contains("exercises/02-racing/src is already the stub from git HEAD")
            .and(contains("nothing to reset")),
    );
}

#[test]
fn reset_a_misspelled_name_gets_a_suggestion_and_exit_2() {
    let course = checkout();
    course
        .xtask()
        .args(["reset", "racng", "--yes"])
        .assert()
        .code(2)
        .stderr(contains("no exercise 'racng'; did you mean 'racing'?"));
    course.xtask().arg("reset").assert().code(2);
}

#[test]
fn reset_without_git_or_a_pristine_copy_says_what_to_do() {
    let course = Fixture::copy("course");
    fs::write(course.dir.join(RACING), "// mine\n").unwrap();
    course
        .xtask()
        .args(["reset", "racing", "--yes"])
        .assert()
        .code(3)
        .stderr(contains("neither a git checkout nor a student edition"))
        .stderr(contains("copy exercises/02-racing/src from it"));
    assert_eq!(read(&course, RACING), b"// mine\n");
}

#[test]
fn reset_asks_on_a_terminal_and_takes_only_yes_for_an_answer() {
    // `script` (util-linux) gives the xtask a terminal to ask on.
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: no `script` command to run the xtask on a terminal");
        return;
    }
    let course = checkout();
    let stub = read(&course, RACING);
    let on_a_terminal = |answer: &str| {
        let command = format!("'{}' reset racing", env!("CARGO_BIN_EXE_xtask"));
        let mut cmd = assert_cmd::Command::new("script");
        cmd.current_dir(&course.dir)
            .args(["--quiet", "--return", "--command", &command, "/dev/null"])
            .env("NO_COLOR", "1")
            .env_remove("AWAITLINGS_ROOT")
            .write_stdin(answer.to_string())
            .timeout(std::time::Duration::from_secs(60));
        cmd
    };

    fs::write(course.dir.join(RACING), "// mine\n").unwrap();
    on_a_terminal("n\n")
        .assert()
        .code(1)
        .stdout(contains("reset 02 racing? your changes to exercises/02-racing/src will be lost [y/N]"))
        .stdout(contains("nothing changed"));
    assert_eq!(read(&course, RACING), b"// mine\n");

    on_a_terminal("yes\n").assert().success().stdout(contains("is the stub again"));
    assert_eq!(read(&course, RACING), stub);
}
