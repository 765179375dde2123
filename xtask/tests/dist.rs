//! `cargo xtask dist DIR`, tested through the binary: the student edition
//! of the fixture course works as a course (list, check, hint, reset), has
//! no solution and no mutant anywhere (unless `--with-solutions`), says
//! plainly that `verify` and `check --solution` belong to the instructor's
//! copy, and speaks to students (README, `--help`). What it ships is the
//! stubs as committed: a working tree that differs, or no git, is refused
//! unless `--allow-dirty`, and a stub that passes its tests is refused
//! whatever the flags.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use predicates::prelude::*;
use predicates::str::contains;
use serde_json::Value;

#[path = "support/fixture.rs"]
mod support;

use support::{Fixture, scratch};

/// Every path under `dir`, relative to it.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(rel) = pending.pop() {
        for entry in fs::read_dir(dir.join(&rel)).unwrap() {
            let entry = entry.unwrap();
            let rel = rel.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                pending.push(rel.clone());
            }
            found.push(rel);
        }
    }
    found
}

/// The xtask, run in the student edition. The edition builds in a target
/// directory of its own: other tests build fixture copies whose racing/src
/// they have changed into the shared one, and the edition is a workspace
/// of its own (no racing-solution) anyway.
fn in_edition(student: &Fixture) -> assert_cmd::Command {
    student.xtask_in("xtask-fixture-dist")
}

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

const PASSING: &str = "exercises/01-passing/src/lib.rs";
const RACING: &str = "exercises/02-racing/src/lib.rs";

/// The fixture's `passing` is finished (its "stub" passes): as a course
/// ships it, it is a stub again.
const PASSING_STUB: &str = "/// Doubles `x` after one second.\npub async fn double(x: u32) -> u32 {\n    todo!(\"task 1 (double)\")\n}\n";

/// A copy of the fixture course as an instructor has it: every stub a
/// stub, the course's own README, all committed to git.
fn committed_course() -> Fixture {
    let course = Fixture::copy("course");
    fs::write(course.dir.join(PASSING), PASSING_STUB).unwrap();
    fs::copy(support::workspace().join("README.md"), course.dir.join("README.md")).unwrap();
    git(&course.dir, &["init", "--quiet", "--initial-branch", "main"]);
    git(&course.dir, &["add", "--all"]);
    git(&course.dir, &["commit", "--quiet", "--message", "the course"]);
    course
}

/// The student edition of `course`, in a scratch folder of its own.
fn student_edition(course: &Fixture, extra: &[&str]) -> Fixture {
    let out = scratch("student");
    course
        .xtask()
        .arg("dist")
        .arg(&out)
        .args(extra)
        .assert()
        .success()
        .stderr(contains("checking that every stub fails its tests"))
        .stdout(contains("✔ student edition written to").and(contains(out.to_str().unwrap())))
        .stdout(contains("left out").and(contains("solutions/ (1 solution, 4 mutants)")))
        .stdout(contains(format!("next, for the student: cd {} && cargo xtask", out.display())));
    Fixture { dir: out }
}

#[test]
fn dist_writes_a_student_edition_that_works_without_solutions() {
    let course = committed_course();
    let student = student_edition(&course, &[]);

    for path in walk(&student.dir) {
        let hidden = path.components().any(|c| {
            let c = c.as_os_str().to_string_lossy();
            c == "solutions" || c.contains("mutant")
        });
        assert!(!hidden, "the student edition holds {}", path.display());
    }
    let manifest = fs::read_to_string(student.dir.join("Cargo.toml")).unwrap();
    assert!(manifest.contains("members = [\"exercises/*\"]"), "{manifest}");
    assert!(!manifest.contains("solutions"), "{manifest}");
    let stub = course.dir.join("exercises/02-racing/src/lib.rs");
    assert_eq!(
        fs::read(student.dir.join(".awaitlings/stubs/02-racing/src/lib.rs")).unwrap(),
        fs::read(&stub).unwrap(),
        "the pristine copy of a stub is the stub"
    );

    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let metadata = Command::new(cargo)
        .current_dir(&student.dir)
        .args(["metadata", "--no-deps", "--format-version", "1"])
        .output()
        .unwrap();
    assert!(metadata.status.success(), "{}", String::from_utf8_lossy(&metadata.stderr));

    in_edition(&student)
        .arg("list")
        .assert()
        .success()
        .stdout(contains("01  passing").and(contains("05  cheating")).and(contains("0 of 5 done")));
    in_edition(&student)
        .args(["check", "passing"])
        .assert()
        .code(1)
        .stdout(contains("○ not yet implemented: task 1 (double)"));
    in_edition(&student)
        .args(["check", "racing"])
        .assert()
        .code(1)
        .stdout(contains("✘ both_run_at_once").and(contains("0 of 2 pass")));
    in_edition(&student).args(["hint", "racing"]).assert().success().stdout(contains("first nudge"));

    let lib = student.dir.join("exercises/02-racing/src/lib.rs");
    fs::write(&lib, "pub fn mine() {}\n").unwrap();
    in_edition(&student)
        .args(["reset", "racing", "--yes"])
        .assert()
        .success()
        .stdout(contains("from .awaitlings/stubs/02-racing/src"))
        .stdout(contains("✔ 02 racing: exercises/02-racing/src is the stub again"));
    assert_eq!(fs::read(&lib).unwrap(), fs::read(&stub).unwrap(), "reset puts the shipped stub back");

    in_edition(&student)
        .args(["check", "racing", "--solution"])
        .assert()
        .code(2)
        .stderr(contains(
            "the student edition has no solutions; check --solution runs in the instructor's copy",
        ))
        .stderr(contains("cargo xtask check racing"));
    in_edition(&student).arg("verify").assert().code(2).stderr(contains(
        "the student edition has no solutions; verify runs in the instructor's copy of the course",
    ));

    // It speaks to students: their README sections, their commands.
    let readme = fs::read_to_string(student.dir.join("README.md")).unwrap();
    assert!(readme.contains("> **Student edition.**") && readme.contains("## For learners"), "{readme}");
    for gone in ["## For instructors", "## For maintainers", "### A student edition", "cargo test", "verify"]
    {
        assert!(!readme.contains(gone), "the student's README still has {gone:?}:\n{readme}");
    }
    let quick_start = readme.split("## Quick start").nth(1).unwrap().split("\n## ").next().unwrap();
    assert!(
        quick_start.contains("cargo xtask check hello-async") && quick_start.contains("\ncargo xtask "),
        "{quick_start}"
    );
    let help = in_edition(&student).arg("--help").assert().success().get_output().stdout.clone();
    let help = String::from_utf8(help).unwrap();
    for learner in ["list", "check", "watch", "hint", "reset"] {
        assert!(help.contains(&format!("\n  {learner} ")), "--help lacks {learner}:\n{help}");
    }
    for other in ["grade", "gradescope-bundle", "verify", "mutant", "dist", "new", "solution"] {
        assert!(!help.contains(&format!("\n  {other} ")), "--help lists {other}:\n{help}");
    }
    in_edition(&student).args(["check", "--help"]).assert().success().stdout(contains("--solution").not());
    in_edition(&student)
        .args(["solution", "racing"])
        .assert()
        .code(2)
        .stderr(contains("this student edition has no reference solutions"));

    // In the course itself, --help lists everything.
    course
        .xtask()
        .arg("--help")
        .assert()
        .success()
        .stdout(contains("\n  verify ").and(contains("\n  solution ")));

    // With the solutions, shipped on purpose: out of the workspace, for
    // `solution` once an exercise passes.
    let with = student_edition(&course, &["--with-solutions"]);
    let shipped = with.dir.join(".awaitlings/solutions/racing/src/lib.rs");
    assert_eq!(
        fs::read(&shipped).unwrap(),
        fs::read(course.dir.join("solutions/racing/src/lib.rs")).unwrap()
    );
    assert!(!with.dir.join("solutions").exists());
    let readme = fs::read_to_string(with.dir.join("README.md")).unwrap();
    assert!(readme.contains("cargo xtask solution NAME"), "{readme}");
    in_edition(&with).arg("--help").assert().success().stdout(contains("\n  solution "));
    in_edition(&with).args(["solution", "racing"]).assert().code(2).stderr(contains("once your code passes"));
    support::write(&with.dir.join(".awaitlings-state.json"), r#"{"exercises": {"racing": "done"}}"#);
    in_edition(&with)
        .args(["solution", "racing"])
        .assert()
        .success()
        .stdout(contains(".awaitlings/solutions/racing/src/lib.rs").and(contains("futures::join!(a, b);")));
}

#[test]
fn dist_ships_the_stubs_as_committed_and_refuses_a_stub_that_passes() {
    let course = committed_course();
    let stub = fs::read(course.dir.join(RACING)).unwrap();
    // The instructor solved racing in their own copy.
    fs::copy(course.dir.join("solutions/racing/src/lib.rs"), course.dir.join(RACING)).unwrap();
    support::write(&course.dir.join("exercises/02-racing/src/notes.rs"), "// mine\n");
    let out = Fixture { dir: scratch("student-dirty") };
    course
        .xtask()
        .arg("dist")
        .arg(&out.dir)
        .assert()
        .code(2)
        .stderr(contains("the working tree differs from git HEAD"))
        .stderr(contains("exercises/02-racing/src/lib.rs (edited)"))
        .stderr(contains("exercises/02-racing/src/notes.rs (not committed)"))
        .stderr(contains("--allow-dirty"));
    assert!(fs::read_dir(&out.dir).unwrap().next().is_none(), "a refused dist writes nothing");

    // --allow-dirty ships what HEAD has: the stub, never the answer.
    course
        .xtask()
        .arg("dist")
        .arg(&out.dir)
        .arg("--allow-dirty")
        .assert()
        .success()
        .stderr(contains("the edition ships HEAD's src/"));
    assert_eq!(fs::read(out.dir.join(RACING)).unwrap(), stub);
    assert_eq!(fs::read(out.dir.join(".awaitlings/stubs/02-racing/src/lib.rs")).unwrap(), stub);
    assert!(!out.dir.join("exercises/02-racing/src/notes.rs").exists());

    // A stub that passes its tests, committed: refused, --allow-dirty or not.
    let finished =
        fs::read_to_string(support::workspace().join("xtask/tests/fixtures/course").join(PASSING)).unwrap();
    fs::write(course.dir.join(PASSING), finished).unwrap();
    git(&course.dir, &["add", PASSING]);
    git(&course.dir, &["commit", "--quiet", "--message", "passing, finished by mistake"]);
    let again = Fixture { dir: scratch("student-passing") };
    course
        .xtask()
        .arg("dist")
        .arg(&again.dir)
        .arg("--allow-dirty")
        .assert()
        .code(2)
        .stderr(contains("these stubs pass every test"))
        .stderr(contains("exercises/01-passing/src/ (01 passing)"))
        .stderr(contains("(02 racing)").not());
    assert!(fs::read_dir(&again.dir).unwrap().next().is_none(), "a refused dist writes nothing");
}

#[test]
fn dist_refuses_a_folder_inside_the_course() {
    let course = Fixture::copy("course");
    course
        .xtask()
        .args(["dist", "student"])
        .assert()
        .code(2)
        .stderr(contains("is inside the course").and(contains("pick a folder outside it")));
    course.xtask().args(["dist", "exercises/../target/student"]).assert().code(2);
    assert!(!course.dir.join("student").exists() && !course.dir.join("target").exists());
    course.xtask().args(["dist", ".."]).assert().code(2);
}

#[test]
fn dist_refuses_a_non_empty_folder_unless_forced_and_then_keeps_what_it_does_not_ship() {
    let course = committed_course();
    let out = Fixture { dir: scratch("student-force") };
    support::write(&out.dir.join("notes.txt"), "mine\n");
    support::write(&out.dir.join("exercises/99-gone/src/lib.rs"), "stale\n");
    course
        .xtask()
        .arg("dist")
        .arg(&out.dir)
        .assert()
        .code(2)
        .stderr(contains("is not empty").and(contains("--force")));
    assert!(!out.dir.join("Cargo.toml").exists(), "a refused dist writes nothing");

    course.xtask().arg("dist").arg(&out.dir).arg("--force").assert().success();
    assert_eq!(fs::read_to_string(out.dir.join("notes.txt")).unwrap(), "mine\n");
    assert!(!out.dir.join("exercises/99-gone/src/lib.rs").exists(), "exercises/ holds the course's, no more");
    assert!(out.dir.join("exercises/02-racing/src/lib.rs").is_file());

    fs::create_dir_all(out.dir.join("solutions")).unwrap();
    course
        .xtask()
        .arg("dist")
        .arg(&out.dir)
        .arg("--force")
        .assert()
        .code(2)
        .stderr(contains("has a solutions/ folder"));
}

#[test]
fn dist_refuses_a_course_without_git_and_a_solution_left_in_an_exercise() {
    let course = Fixture::copy("course");
    let out = Fixture { dir: scratch("student-leak") };
    course
        .xtask()
        .arg("dist")
        .arg(&out.dir)
        .assert()
        .code(2)
        .stderr(contains("this course is not a git checkout").and(contains("--allow-dirty")));
    fs::copy(course.dir.join("solutions/racing/src/lib.rs"), course.dir.join(RACING)).unwrap();
    course
        .xtask()
        .arg("dist")
        .arg(&out.dir)
        .arg("--allow-dirty")
        .assert()
        .code(2)
        .stderr(contains("exercises/02-racing/src/lib.rs is the same as solutions/racing/src/lib.rs"))
        .stderr(contains("give the answer away"));
    assert!(fs::read_dir(&out.dir).unwrap().next().is_none(), "nothing written");
}

/// Standard base64, decoded (what Node's `Buffer.from(s, "base64")` does).
fn unbase64(text: &str) -> Vec<u8> {
    const ABC: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let digits: Vec<u32> = text.trim_end_matches('=').chars().map(|c| ABC.find(c).unwrap() as u32).collect();
    let mut out = Vec::new();
    for chunk in digits.chunks(4) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, d)| n | d << (18 - 6 * i));
        out.extend_from_slice(&n.to_be_bytes()[1..chunk.len()]);
    }
    out
}

#[test]
fn dist_github_classroom_writes_a_workflow_whose_reporter_reads_every_runner_the_grade_writes() {
    use yaml_rust2::{Yaml, YamlLoader};

    let course = committed_course();
    let student = student_edition(&course, &["--github-classroom"]);
    let text = fs::read_to_string(student.dir.join(".github/workflows/classroom.yml")).unwrap();
    let docs = YamlLoader::load_from_str(&text).expect("the workflow is YAML");
    let job = &docs[0]["jobs"]["run-autograding-tests"];
    let steps = job["steps"].as_vec().expect("steps");
    let grade = steps.iter().find(|s| s["id"].as_str() == Some("grade")).expect("a step with id grade");
    let command = grade["run"].as_str().unwrap();
    assert!(command.contains("cargo xtask grade --format github-classroom"), "{command}");
    let reporter = steps
        .iter()
        .find(|s| s["uses"].as_str() == Some("classroom-resources/autograding-grading-reporter@v1"))
        .expect("the reporter step");
    let runners: Vec<String> =
        reporter["with"]["runners"].as_str().unwrap().split(',').map(|r| r.trim().to_string()).collect();
    // passing, racing's 1-point and 3-point tests, broken, hanging, cheating.
    assert_eq!(runners, ["passing", "racing", "racing_x3", "broken", "hanging", "cheating"]);
    let env = reporter["env"].as_hash().expect("the reporter's env");
    for runner in &runners {
        let key = Yaml::String(format!("{}_RESULTS", runner.to_uppercase()));
        assert_eq!(
            env.get(&key).and_then(Yaml::as_str),
            Some(format!("${{{{ steps.grade.outputs.{runner} }}}}").as_str()),
            "{runner} is not fed by the grade step:\n{text}"
        );
    }

    // The grade step, as the workflow runs it: its outputs are exactly the
    // runners the reporter reads, and for each runner the reporter's two
    // totals (the table's and the points sent to Classroom) agree.
    let outputs = student.dir.join("github_output");
    in_edition(&student)
        .args([
            "grade",
            "--format",
            "github-classroom",
            "--output",
            "classroom-results.json",
            "--wall-limit",
            "3",
        ])
        .env("GITHUB_OUTPUT", &outputs)
        .assert()
        .success();
    let lines = fs::read_to_string(&outputs).unwrap();
    let mut written: BTreeMap<String, String> = BTreeMap::new();
    for line in lines.lines() {
        let (key, value) = line.split_once('=').unwrap();
        written.insert(key.to_string(), value.to_string());
    }
    assert_eq!(written["runners"], runners.join(","));
    let (mut sent, mut table, mut max) = (0.0, 0.0, 0.0);
    for runner in &runners {
        let result: Value = serde_json::from_slice(&unbase64(&written[runner])).unwrap();
        assert_eq!(result["version"], 1);
        assert!(["pass", "fail", "error"].contains(&result["status"].as_str().unwrap()), "{result}");
        let tests = result["tests"].as_array().unwrap();
        assert!(!tests.is_empty(), "{runner} has no tests: the reporter would divide by zero");
        let passed = tests.iter().filter(|t| t["status"] == "pass").count() as f64;
        let max_score = result["max_score"].as_f64().unwrap();
        let scores: f64 = tests.iter().map(|t| t["score"].as_f64().unwrap()).sum();
        for t in tests {
            assert!(t["name"].is_string() && t["message"].is_string(), "{t}");
            assert!(["pass", "fail"].contains(&t["status"].as_str().unwrap()), "{t}");
        }
        assert_eq!(passed / tests.len() as f64 * max_score, scores, "{runner}: the two totals differ");
        sent += scores;
        table += passed / tests.len() as f64 * max_score;
        max += max_score;
    }
    assert_eq!(sent, table);
    // racing passes nothing in the edition (it is a stub); the total is the
    // course's: 1 + 1 + 3 + 1 + 1 + 1 ... as the JSON report says.
    let json =
        in_edition(&student).args(["grade", "--format", "json", "--wall-limit", "3"]).output().unwrap();
    let json: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(json["max_score"].as_f64(), Some(max));
    assert_eq!(json["score"].as_f64(), Some(sent));
}
