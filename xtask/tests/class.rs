//! `cargo xtask grade --class DIR`, through the binary: a class of four
//! (one who solved racing, one who handed in nothing, one whose racing
//! spins, one whose racing does not compile) gets a gradebook whose every
//! row is the grade that student gets alone, a summary that ranks the
//! tests by failures, per-student reports, and a `--resume` that regrades
//! only the students without a report.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use serde_json::Value;

#[path = "support/fixture.rs"]
mod support;

use support::{Fixture, scratch, write};

const RACING: &str = "exercises/02-racing/src/lib.rs";

fn class() -> std::path::PathBuf {
    let class = scratch("class");
    let solution = fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/course/solutions/racing/src/lib.rs"),
    )
    .unwrap();
    write(&class.join("alice").join(RACING), &solution);
    fs::create_dir_all(class.join("bob/exercises")).unwrap();
    write(
        &class.join("carol").join(RACING),
        "pub async fn both<A: std::future::Future<Output = ()>, B: std::future::Future<Output = ()>>(_a: A, _b: B) {\n    \
         loop {\n        std::hint::spin_loop();\n    }\n}\n\npub async fn later() {}\n",
    );
    write(&class.join("dave").join(RACING), "pub async fn both( {\n");
    class
}

fn grade_alone(course: &Fixture, student: &Path) -> f64 {
    let out = course
        .xtask_in("xtask-fixture-class")
        .args(["grade", "--format", "json", "--wall-limit", "3", "--submission"])
        .arg(student)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    report["score"].as_f64().unwrap()
}

#[test]
fn a_class_is_graded_into_a_gradebook_a_summary_and_reports_and_resumes() {
    let course = Fixture::copy("course");
    let class = class();
    let out = scratch("class-grades");
    let run = |extra: &[&str]| {
        let output = course
            .xtask_in("xtask-fixture-class")
            .args(["grade", "--class"])
            .arg(&class)
            .arg("--output")
            .arg(&out)
            .args(["--wall-limit", "3"])
            .args(extra)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        (String::from_utf8(output.stdout).unwrap(), String::from_utf8(output.stderr).unwrap())
    };
    let (stdout, stderr) = run(&[]);

    // Not a terminal: a plain line per student.
    for name in ["alice", "bob", "carol", "dave"] {
        assert!(stderr.contains(&format!("/4] {name}: ")), "{stderr}");
    }
    let gradebook = fs::read_to_string(out.join("gradebook.csv")).unwrap();
    let mut lines = gradebook.lines();
    assert_eq!(
        lines.next(),
        Some("student,status,total,max,01 passing,02 racing,03 broken,04 hanging,05 cheating"),
        "{gradebook}"
    );
    let rows: BTreeMap<String, Vec<String>> = lines
        .map(|l| {
            let cells: Vec<String> = l.split(',').map(str::to_string).collect();
            (cells[0].clone(), cells)
        })
        .collect();
    assert_eq!(rows.len(), 4, "{gradebook}");
    // Every row is the grade that student gets alone.
    for (name, cells) in &rows {
        assert_eq!(cells[1], "graded", "{gradebook}");
        let alone = grade_alone(&course, &class.join(name));
        assert_eq!(cells[2].parse::<f64>().unwrap(), alone, "{name}: {gradebook}");
    }
    // alice solved racing (3 + 1 points); carol's `both` spins but her
    // `later` is done (1); bob handed in the stub, dave's does not compile.
    assert_eq!(rows["alice"][5], "4", "{gradebook}");
    assert_eq!(rows["carol"][5], "1", "{gradebook}");
    for name in ["bob", "dave"] {
        assert_eq!(rows[name][5], "0", "{name}: {gradebook}");
    }
    for name in ["alice", "bob", "carol", "dave"] {
        let report: Value =
            serde_json::from_str(&fs::read_to_string(out.join(format!("reports/{name}.json"))).unwrap())
                .unwrap();
        assert_eq!(report["schema"], "awaitlings-grade/1");
        assert!(out.join(format!("reports/{name}.txt")).is_file(), "the human report of {name}");
    }

    // The summary ranks the tests by failures, with the most common first
    // line: racing's both_run_at_once is failed by the three who did not
    // solve it; every student fails broken's tests.
    let summary = fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(summary.contains("4 students graded"), "{summary}");
    assert!(summary.contains("## Scores"), "{summary}");
    let ranked: Vec<&str> =
        summary.lines().filter(|l| l.starts_with("| ") && l.contains(" of 4 |")).collect();
    let counts: Vec<usize> = ranked
        .iter()
        .map(|l| l.trim_start_matches("| ").split(' ').next().unwrap().parse().unwrap())
        .collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "not ranked by failures:\n{summary}");
    assert!(ranked.iter().any(|l| l.starts_with("| 3 of 4 | 02 racing · both_run_at_once")), "{summary}");
    assert!(stdout.contains("Tests the class fails most"), "{stdout}");

    // Interrupted after some students: --resume grades only the rest.
    fs::remove_file(out.join("reports/carol.json")).unwrap();
    let (_, stderr) = run(&["--resume"]);
    assert!(stderr.contains("resuming: 3 of 4 students already graded"), "{stderr}");
    assert!(stderr.contains("carol: ") && !stderr.contains("alice: "), "{stderr}");
    assert_eq!(fs::read_to_string(out.join("gradebook.csv")).unwrap(), gradebook, "the same gradebook");
}

#[test]
fn a_class_folder_without_submissions_is_a_clear_error() {
    let course = Fixture::copy("course");
    let empty = scratch("class-empty");
    course
        .xtask_in("xtask-fixture-class")
        .args(["grade", "--class"])
        .arg(&empty)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("holds no submissions"));
}
