//! `cargo xtask dist DIR`, tested through the binary: the student edition
//! of the fixture course works as a course (list, check, hint, reset), has
//! no solution and no mutant anywhere, and says plainly that `verify` and
//! `check --solution` belong to the instructor's copy.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use predicates::prelude::*;
use predicates::str::contains;

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

/// The student edition of the fixture course, in a scratch folder of its own.
fn student_edition(course: &Fixture) -> Fixture {
    let out = scratch("student");
    course
        .xtask()
        .arg("dist")
        .arg(&out)
        .assert()
        .success()
        .stdout(contains("✔ student edition written to").and(contains(out.to_str().unwrap())))
        .stdout(contains("left out").and(contains("solutions/ (1 solution, 3 mutants)")))
        .stdout(contains(format!("next, for the student: cd {} && cargo xtask", out.display())));
    Fixture { dir: out }
}

#[test]
fn dist_writes_a_student_edition_that_works_without_solutions() {
    let course = Fixture::copy("course");
    let student = student_edition(&course);

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
    in_edition(&student).args(["check", "passing"]).assert().success().stdout(contains("all 1 pass"));
    in_edition(&student)
        .args(["check", "racing"])
        .assert()
        .code(1)
        .stdout(contains("✘ both run at once").and(contains("0 of 2 pass")));
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
    let course = Fixture::copy("course");
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
fn dist_refuses_to_ship_a_solution_left_in_an_exercise() {
    let course = Fixture::copy("course");
    let out = Fixture { dir: scratch("student-leak") };
    fs::copy(
        course.dir.join("solutions/racing/mutants/survivor.rs"),
        course.dir.join("exercises/02-racing/src/lib.rs"),
    )
    .unwrap();
    course
        .xtask()
        .arg("dist")
        .arg(&out.dir)
        .assert()
        .code(3)
        .stderr(contains(
            "exercises/02-racing/src/lib.rs is the same as solutions/racing/mutants/survivor.rs",
        ))
        .stderr(contains("give the answer away"));
    assert!(fs::read_dir(&out.dir).unwrap().next().is_none(), "nothing written");
}
