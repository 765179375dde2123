//! `cargo xtask grade` against hostile and broken submissions.
//!
//! A generated course of identical one-function exercises (`answer()`
//! returns 42 after one virtual second), and one submission that answers
//! each of them in a different bad way: hangs, spins, blocks, panics,
//! exits 0, forges libtest's output, aborts, does not compile, edits the
//! tests, eats memory, or is missing. The honest exercise must keep its full
//! score; every other one gets 0, with the right words; the grade run ends
//! in bounded time; the submission is left untouched.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use predicates::str::contains;
use serde_json::Value;

#[path = "support/fixture.rs"]
mod support;

use support::{COURSE_MANIFEST, Fixture, exercise_manifest, scratch, write};

/// (directory, answer's body in the submission; None: not submitted).
const CASES: &[(&str, Option<&str>)] = &[
    ("01-honest", Some("tokio::time::sleep(Duration::from_secs(1)).await;\n    42")),
    ("02-hangs", Some("std::future::pending::<()>().await;\n    42")),
    ("03-spins", Some("loop {\n        std::hint::spin_loop();\n    }")),
    (
        "04-blocks",
        Some(
            "std::thread::sleep(Duration::from_millis(300));\n    tokio::time::sleep(Duration::from_secs(1)).await;\n    42",
        ),
    ),
    ("05-panics", Some("panic!(\"the student panicked\")")),
    ("06-exits", Some("std::process::exit(0)")),
    (
        "07-forges",
        Some(
            "println!(\"test answer_is_42 ... ok\\n\\ntest result: ok. 1 passed; 0 failed\");\n    std::process::exit(0)",
        ),
    ),
    ("08-aborts", Some("std::process::abort()")),
    ("09-broken", Some("\"forty-two\"")),
    ("10-edited", Some("0")),
    (
        "11-hogs",
        // A gibibyte at once: refused at once under the memory limit, so
        // the verdict does not race the shorter limit that follows the
        // spins (a hoard built a MiB at a time could be stopped as a spin).
        Some("let mut hoard = Vec::new();\n    loop {\n        hoard.push(vec![1u8; 1 << 30]);\n    }"),
    ),
    ("12-missing", None),
    ("13-vanishes", Some(VANISH)),
];

/// Code that runs before `main` (a static initialiser) and leaves, so that
/// the test binary lists no tests at all: the tests must still count.
const VANISH: &str = "#[used]\n#[unsafe(link_section = \".init_array\")]\nstatic VANISH: extern \"C\" fn() = {\n    \
                      extern \"C\" fn vanish() {\n        std::process::exit(0)\n    }\n    vanish\n};\n\n\
                      pub async fn answer() -> u32 {\n    42\n}\n";

fn package(dir: &str) -> &str {
    dir.split_once('-').unwrap().1
}

/// The course: one workspace, a copy of the same exercise per case.
fn course() -> Fixture {
    let dir = scratch("grading-course");
    write(&dir.join("Cargo.toml"), COURSE_MANIFEST);
    for (ex, _) in CASES {
        let name = package(ex);
        let root = dir.join("exercises").join(ex);
        // `unsafe` allowed: 13-vanishes needs it.
        write(&root.join("Cargo.toml"), &exercise_manifest(name, true));
        write(
            &root.join("exercise.toml"),
            "title = \"answer\"\nidiom = \"asyncio.sleep\"\n\n[[tasks]]\nname = \"answer\"\nsummary = \"42, after a second\"\n\
             hints = [\"a\", \"b\", \"c\"]\n\n[points]\nanswer_is_42 = 2\n",
        );
        write(
            &root.join("src/lib.rs"),
            "#[allow(unused_imports)]\nuse std::time::Duration;\n\npub async fn answer() -> u32 {\n    todo!(\"task 1 (answer)\")\n}\n",
        );
        write(
            &root.join("tests").join(format!("{name}.rs")),
            &format!(
                "#[test]\nfn answer_is_42() {{\n    checker::run(async {{ checker::check_eq({name}::answer().await, 42, \"the answer\") }});\n}}\n\n\
                 #[test]\nfn answer_takes_a_second() {{\n    checker::run(async {{\n        {name}::answer().await;\n        \
                 checker::assert_elapsed(checker::elapsed(), 1000, \"answer\");\n    }});\n}}\n"
            ),
        );
    }
    Fixture::wire(dir)
}

/// A submission's `lib.rs` whose `answer()` has `body`.
fn answering(body: &str) -> String {
    format!(
        "#[allow(unused_imports)]\nuse std::time::Duration;\n\npub async fn answer() -> u32 {{\n    {body}\n}}\n"
    )
}

/// The right `lib.rs`, 01-honest's.
fn right() -> String {
    answering(CASES[0].1.unwrap())
}

/// The class's submission: every bad answer at once.
fn submission() -> std::path::PathBuf {
    let dir = scratch("grading-submission");
    for (ex, body) in CASES {
        let Some(body) = body else { continue };
        if body.starts_with("#[used]") {
            write(&dir.join("exercises").join(ex).join("src/lib.rs"), body);
            continue;
        }
        write(&dir.join("exercises").join(ex).join("src/lib.rs"), &answering(body));
    }
    // Edited tests that assert nothing, and a manifest that points elsewhere:
    // neither may count.
    write(
        &dir.join("exercises/10-edited/tests/edited.rs"),
        "#[test]\nfn answer_is_42() {}\n#[test]\nfn answer_takes_a_second() {}\n",
    );
    write(&dir.join("exercises/10-edited/Cargo.toml"), "this is not a manifest");
    dir
}

/// Every file of `dir` and its content, to prove nothing was written.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in fs::read_dir(&d).unwrap().flatten() {
            if entry.file_type().unwrap().is_dir() {
                pending.push(entry.path());
            } else {
                out.insert(entry.path().display().to_string(), fs::read(entry.path()).unwrap());
            }
        }
    }
    out
}

fn kinds(exercise: &Value) -> Vec<String> {
    exercise["tests"].as_array().unwrap().iter().map(|t| t["kind"].as_str().unwrap().to_string()).collect()
}

fn messages(exercise: &Value) -> String {
    exercise["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["message"].as_str().unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

/// `grade --submission SUBMISSION --format json` with `extra`, in `course`:
/// the report.
fn grade_json(course: &Fixture, submission: &Path, label: &str, extra: &[&str]) -> Value {
    grade_as(course, submission, "json", label, extra)
}

/// The same in `format`, a JSON one (json, gradescope, github-classroom).
fn grade_as(course: &Fixture, submission: &Path, format: &str, label: &str, extra: &[&str]) -> Value {
    let path = course.dir.join(format!("out/{label}.json"));
    course
        .xtask()
        .args(["grade", "--submission", submission.to_str().unwrap(), "--format", format, "--output"])
        .arg(&path)
        .args(extra)
        .assert()
        .success();
    serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap()
}

/// One exercise of a report, by name.
fn exercise<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["exercises"].as_array().unwrap().iter().find(|e| e["name"] == name).unwrap()
}

/// Once a test of a grade has hung, the rest are stopped sooner, and the
/// test process really gets the shorter limit (a sandbox that dropped the
/// setting from its environment once left every spin at the full second).
#[test]
fn after_a_spin_the_next_spin_is_stopped_at_the_shorter_limit() {
    let course = course();
    let submission = submission();
    // The full wall limit, which the watchdog beats by far: with a short
    // one, a machine loaded three times over (a CI beside two more test
    // runs) let the wall limit stop the first spin before the watchdog did.
    let report = grade_json(&course, &submission, "spins", &["--wall-limit", "10", "--jobs", "1", "spins"]);
    let tests = report["exercises"][0]["tests"].as_array().unwrap();
    let message = |i: usize| tests[i]["message"].as_str().unwrap();
    assert_eq!(tests.len(), 2);
    assert!(message(0).contains("in one poll (the limit is 1000 ms)"), "{}", message(0));
    assert!(message(1).contains("in one poll (the limit is 100 ms)"), "{}", message(1));
    assert!(message(1).contains("an earlier test of this submission hung"), "{}", message(1));
}

#[test]
fn a_hostile_class_gets_the_right_verdicts_in_every_format() {
    let course = course();
    let submission = submission();
    let before = snapshot(&submission);
    let limits = ["--wall-limit", "3", "--memory-limit", "256"];

    let started = Instant::now();
    let report = grade_json(&course, &submission, "grade", &limits);
    // Building twelve crates cold dominates; the hostile runs themselves are
    // bounded by the wall-clock limit.
    assert!(started.elapsed() < Duration::from_secs(300), "took {:?}", started.elapsed());
    assert_eq!(before, snapshot(&submission), "grading wrote into the submission");

    assert_eq!(report["schema"], "awaitlings-grade/1");
    assert_eq!(report["score"], 3.0, "only the honest exercise scores");
    assert_eq!(report["max_score"], 39.0, "a binary that lists no tests cannot shrink the total");
    let by_name: BTreeMap<String, &Value> = report["exercises"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["name"].as_str().unwrap().to_string(), e))
        .collect();

    let honest = by_name["honest"];
    assert_eq!(honest["score"], 3.0);
    assert_eq!(kinds(honest), ["passed", "passed"]);
    assert_eq!(kinds(by_name["hangs"]), ["failed", "failed"]);
    assert!(messages(by_name["hangs"]).contains("deadlock"));
    assert_eq!(kinds(by_name["spins"]), ["timed_out", "timed_out"]);
    assert!(messages(by_name["spins"]).contains("endless loop"));

    assert_eq!(kinds(by_name["blocks"]), ["blocking", "blocking"]);
    assert!(messages(by_name["blocks"]).contains("std::thread::sleep"));
    assert_eq!(kinds(by_name["panics"]), ["failed", "failed"]);
    assert!(messages(by_name["panics"]).contains("the student panicked"));
    assert!(messages(by_name["panics"]).contains("exercises/05-panics/src/lib.rs"));
    assert_eq!(kinds(by_name["exits"]), ["exited_early", "exited_early"]);
    assert_eq!(kinds(by_name["forges"]), ["exited_early", "exited_early"]);
    assert!(messages(by_name["forges"]).contains("exited before the test finished"));
    assert_eq!(kinds(by_name["aborts"]), ["crashed", "crashed"]);
    assert!(messages(by_name["aborts"]).contains("aborted"));
    assert_eq!(kinds(by_name["broken"]), ["compile_error", "compile_error"]);
    let errors = by_name["broken"]["compile_error"].as_str().unwrap();
    assert!(errors.contains("error[E0308]") && errors.contains("exercises/09-broken/src/lib.rs"), "{errors}");
    assert!(!errors.contains("stage"), "the stage's path leaked into the diagnostics: {errors}");
    assert_eq!(kinds(by_name["edited"]), ["failed", "failed"]);
    assert_eq!(kinds(by_name["hogs"]), ["out_of_memory", "out_of_memory"]);
    assert!(messages(by_name["hogs"]).contains("ran out of memory"));
    assert_eq!(kinds(by_name["missing"]), ["not_implemented", "not_implemented"]);
    assert_eq!(by_name["missing"]["submitted"], false);
    assert!(report["notes"].to_string().contains("12 missing: not in the submission"));
    assert_eq!(kinds(by_name["vanishes"]), ["crashed", "crashed"]);
    assert!(
        messages(by_name["vanishes"]).contains("this test did not run"),
        "{}",
        messages(by_name["vanishes"])
    );
    assert_eq!(by_name["vanishes"]["max_score"], 3.0);
    for e in by_name.values().filter(|e| e["name"] != "honest") {
        assert_eq!(e["score"], 0.0, "{}", e["name"]);
    }

    // Gradescope: the fields its specification documents, with their types.
    let results = grade_as(&course, &submission, "gradescope", "results", &limits);
    assert_eq!(results["score"], 3.0);
    assert!(results["execution_time"].is_number());
    assert!(results["output"].is_string());
    let tests = results["tests"].as_array().unwrap();
    assert_eq!(tests.len(), 26);
    for t in tests {
        assert!(t["name"].is_string() && t["number"].is_string() && t["output"].is_string(), "{t}");
        assert!(t["score"].is_number() && t["max_score"].is_number(), "{t}");
        assert!(["passed", "failed"].contains(&t["status"].as_str().unwrap()), "{t}");
        assert!(
            ["hidden", "after_due_date", "after_published", "visible"]
                .contains(&t["visibility"].as_str().unwrap())
        );
    }
    let honest_42 = tests.iter().find(|t| t["name"] == "01 honest · answer is 42").unwrap();
    assert_eq!((honest_42["score"].as_f64(), honest_42["max_score"].as_f64()), (Some(2.0), Some(2.0)));
    assert_eq!(honest_42["status"], "passed");

    // JUnit: one suite per exercise; crashes are errors, wrong answers failures.
    course
        .xtask()
        .args(["grade", "--submission", submission.to_str().unwrap(), "--format", "junit"])
        .args(limits)
        .assert()
        .success()
        .stdout(contains("<testsuite name=\"01-honest\" tests=\"2\" failures=\"0\" errors=\"0\""))
        .stdout(contains("<testsuite name=\"10-edited\" tests=\"2\" failures=\"2\" errors=\"0\""))
        .stdout(contains("<error type=\"compile_error\""))
        .stdout(contains("<error type=\"exited_early\""));

    // The terminal view, for the instructor reading along.
    course
        .xtask()
        .args(["grade", "--submission", submission.to_str().unwrap()])
        .args(limits)
        .assert()
        .success()
        .stdout(contains("total 3/39 points"))
        .stdout(contains("09 broken").and(contains("did not compile")));

    // A submission without exercises still gets a report, with a note.
    let empty = scratch("grading-empty");
    course
        .xtask()
        .args(["grade", "--submission", empty.to_str().unwrap(), "--format", "gradescope", "honest"])
        .assert()
        .success()
        .stdout(contains("has no exercises/ directory"))
        .stdout(contains("\"score\": 0.0"));
    let _ = fs::remove_dir_all(&empty);
    let _ = fs::remove_dir_all(&submission);
}

use predicates::prelude::PredicateBooleanExt;

/// A course of two exercises, each with a task of four tests (`answer_0`
/// to `answer_3` call `answer(0)` to `answer(3)`) and a task of one.
fn four_test_course() -> Fixture {
    let dir = scratch("fail-fast-course");
    write(&dir.join("Cargo.toml"), COURSE_MANIFEST);
    for (ex, name) in [("01-first", "first"), ("02-second", "second")] {
        let root = dir.join("exercises").join(ex);
        write(&root.join("Cargo.toml"), &exercise_manifest(name, false));
        write(
            &root.join("exercise.toml"),
            "title = \"answer\"\nidiom = \"asyncio.sleep\"\n\n[[tasks]]\nname = \"answer\"\nsummary = \"n\"\n\
             hints = [\"a\", \"b\", \"c\"]\n\n[[tasks]]\nname = \"other\"\nsummary = \"7\"\nhints = [\"a\", \"b\", \"c\"]\n",
        );
        write(
            &root.join("src/lib.rs"),
            "pub async fn answer(_n: u32) -> u32 {\n    todo!(\"task 1 (answer)\")\n}\n\n\
             pub async fn other() -> u32 {\n    todo!(\"task 2 (other)\")\n}\n",
        );
        let mut tests = String::new();
        for n in 0..4 {
            tests.push_str(&format!(
                "#[test]\nfn answer_{n}() {{\n    checker::run(async {{ checker::check_eq({name}::answer({n}).await, {n}, \"answer\") }});\n}}\n\n"
            ));
        }
        tests.push_str(&format!(
            "#[test]\nfn other_is_7() {{\n    checker::run(async {{ checker::check_eq({name}::other().await, 7, \"other\") }});\n}}\n"
        ));
        write(&root.join("tests").join(format!("{name}.rs")), &tests);
    }
    Fixture::wire(dir)
}

/// `answer` spins for the first two inputs in exercise 01 and for the
/// first only in 02; `other` is right in both.
fn spins_on_some_inputs() -> std::path::PathBuf {
    let dir = scratch("fail-fast-submission");
    for (ex, spins_below) in [("01-first", 2), ("02-second", 1)] {
        write(
            &dir.join("exercises").join(ex).join("src/lib.rs"),
            &format!(
                "pub async fn answer(n: u32) -> u32 {{\n    while n < {spins_below} {{\n        std::hint::spin_loop();\n    }}\n    n\n}}\n\n\
                 pub async fn other() -> u32 {{\n    7\n}}\n"
            ),
        );
    }
    dir
}

/// A task whose first two tests hung is not run further, and says so; one
/// hang is not enough; the other task runs; `--no-fail-fast` runs it all;
/// and the verdicts are the same one test at a time or two at once.
#[test]
fn a_task_whose_first_two_tests_hung_is_not_run_further() {
    use predicates::prelude::PredicateBooleanExt;
    let course = four_test_course();
    let submission = spins_on_some_inputs();
    let grade = |extra: &[&str], label: &str| -> Value {
        grade_json(&course, &submission, label, &[&["--wall-limit", "3"], extra].concat())
    };

    let one_at_a_time = grade(&["--jobs", "1"], "jobs1");
    let first = &one_at_a_time["exercises"][0];
    assert_eq!(kinds(first), ["timed_out", "timed_out", "not_run", "not_run", "passed"]);
    let not_run = first["tests"][2]["message"].as_str().unwrap();
    assert!(not_run.starts_with("not run: the first 2 tests of task `answer` hung"), "{not_run}");
    assert!(not_run.contains("answer_0 and answer_1 hung"), "{not_run}");
    assert_eq!(kinds(&one_at_a_time["exercises"][1]), ["timed_out", "passed", "passed", "passed", "passed"]);
    assert_eq!(one_at_a_time["score"], 5.0);
    let notes = one_at_a_time["notes"].to_string();
    assert!(
        notes.contains("01 first: the first 2 tests of task `answer` hung, so its other 2 were not run"),
        "{notes}"
    );

    let two_at_once = grade(&["--jobs", "2"], "jobs2");
    for e in 0..2 {
        assert_eq!(kinds(&two_at_once["exercises"][e]), kinds(&one_at_a_time["exercises"][e]));
    }

    let all = grade(&["--no-fail-fast"], "all");
    assert_eq!(kinds(&all["exercises"][0]), ["timed_out", "timed_out", "passed", "passed", "passed"]);
    assert_eq!(all["score"], 7.0);

    course
        .xtask()
        .args(["grade", "--submission", submission.to_str().unwrap(), "--wall-limit", "3", "first"])
        .assert()
        .success()
        .stdout(contains("✘ answer 2").and(contains("not run: the first 2 tests of task `answer`")));
}

/// A submission is read by the grader as its own user, outside any
/// sandbox: a symbolic link in it must not bring in someone else's work
/// (here a classmate's correct answer, standing in for the course's
/// `solutions/`), and nothing in a `src/` may stop the other exercises
/// from building (no `lib.rs`; `src/bin/deps.rs`, a program name cargo
/// refuses, which once failed every exercise of the submission), nor the
/// grade itself (a path longer than the system allows once laid in the
/// grader's copy, which stopped `grade` with an error and no report; a
/// million empty files).
#[cfg(unix)]
#[test]
fn links_and_what_would_break_the_build_are_not_taken() {
    use std::os::unix::fs::symlink;
    let course = course();
    let classmate = scratch("grading-classmate");
    let right = &right();
    write(&classmate.join("src/lib.rs"), right);
    let before = snapshot(&classmate);

    let dir = scratch("grading-links");
    let exercises = dir.join("exercises");
    fs::create_dir_all(exercises.join("02-hangs")).unwrap();
    fs::create_dir_all(exercises.join("03-spins/src")).unwrap();
    symlink(&classmate, exercises.join("01-honest")).unwrap();
    symlink(classmate.join("src"), exercises.join("02-hangs/src")).unwrap();
    symlink(classmate.join("src/lib.rs"), exercises.join("03-spins/src/lib.rs")).unwrap();
    write(&exercises.join("04-blocks/src/main.rs"), "fn main() {}\n");
    // Right, with what is not taken beside it.
    write(&exercises.join("05-panics/src/lib.rs"), right);
    write(&exercises.join("05-panics/src/main.rs"), "fn main() {}\n");
    write(&exercises.join("05-panics/src/bin/deps.rs"), "fn main() {}\n");
    symlink(classmate.join("src/lib.rs"), exercises.join("05-panics/src/notes.rs")).unwrap();
    // Right, beside a path under src/ over the limit (3 × 200 bytes), and
    // beside too many files.
    write(&exercises.join("06-exits/src/lib.rs"), right);
    let long = "d".repeat(199);
    write(&exercises.join(format!("06-exits/src/{long}/{long}/{long}/x.rs")), "");
    write(&exercises.join("07-forges/src/lib.rs"), right);
    for i in 0..1000 {
        write(&exercises.join(format!("07-forges/src/junk/{i}.rs")), "");
    }

    let report = grade_json(
        &course,
        &dir,
        "links",
        &["honest", "hangs", "spins", "blocks", "panics", "exits", "forges"],
    );
    let exercise = |name: &str| exercise(&report, name);
    for name in ["honest", "hangs", "spins", "blocks", "exits", "forges"] {
        assert_eq!(exercise(name)["score"], 0.0, "{name}");
        assert_eq!(kinds(exercise(name)), ["not_implemented", "not_implemented"], "{name}");
        assert_eq!(exercise(name)["submitted"], false, "{name}");
    }
    assert_eq!(exercise("panics")["score"], 3.0, "the exercise beside the bad ones still builds");
    assert_eq!(report["score"], 3.0);
    let notes: Vec<&str> = report["notes"].as_array().unwrap().iter().map(|n| n.as_str().unwrap()).collect();
    let link = "is a symbolic link, which the grader does not follow (submit the files themselves); graded on the stub";
    for expected in [
        format!("01 honest: exercises/01-honest {link}"),
        format!("02 hangs: exercises/02-hangs/src {link}"),
        format!("03 spins: exercises/03-spins/src/lib.rs {link}"),
        "04 blocks: exercises/04-blocks/src has no lib.rs, where the library the tests use starts; graded on the stub"
            .to_string(),
        "05 panics: not taken from the submission: exercises/05-panics/src/bin (a program; the tests use only the \
         library), exercises/05-panics/src/main.rs (a program; the tests use only the library), \
         exercises/05-panics/src/notes.rs (a symbolic link)"
            .to_string(),
        format!("06 exits: src/ has a path longer than 512 bytes ({}...); graded on the stub", "d".repeat(60)),
        "07 forges: src/ holds more than 1000 files and folders; graded on the stub".to_string(),
    ] {
        assert!(notes.contains(&expected.as_str()), "no note {expected:?} in {notes:#?}");
    }
    assert_eq!(before, snapshot(&classmate), "grading wrote into the linked folder");
    let _ = fs::remove_dir_all(&dir);
    let _ = fs::remove_dir_all(&classmate);
}

/// A submission can make the compiler itself work without end (an endless
/// const evaluation, with the lint that would stop it allowed). Each
/// process of the build has a CPU limit (`--compile-limit`): that rustc is
/// stopped, its exercise did not compile and says why in a few words, and
/// the exercise built beside it in the same cargo run is graded as usual.
#[cfg(target_os = "linux")]
#[test]
fn a_compiler_that_never_ends_is_stopped_and_fails_only_its_exercise() {
    let course = course();
    let dir = scratch("grading-compiler-bomb");
    let right = &right();
    write(&dir.join("exercises/01-honest/src/lib.rs"), right);
    write(
        &dir.join("exercises/02-hangs/src/lib.rs"),
        &format!(
            "{right}\n#[allow(long_running_const_eval)]\npub const FOREVER: u64 = {{\n    let mut i: u64 = 1;\n    \
             while i != 0 {{\n        i = i.wrapping_mul(3);\n    }}\n    i\n}};\n"
        ),
    );
    // The dependencies first (a cold tokio takes more than 5 s of CPU).
    write(&dir.join("exercises/03-spins/src/lib.rs"), right);
    grade_json(&course, &dir, "warm", &["spins"]);
    let json_path = course.dir.join("out/bomb.json");
    course
        .xtask()
        .args(["grade", "--submission", dir.to_str().unwrap(), "--format", "json", "--output"])
        .arg(&json_path)
        .args(["--compile-limit", "5", "honest", "hangs"])
        // Were the limit lost, rustc would never end: fail instead.
        .timeout(Duration::from_secs(240))
        .assert()
        .success();
    let report: Value = serde_json::from_str(&fs::read_to_string(&json_path).unwrap()).unwrap();
    let exercise = |name: &str| exercise(&report, name);
    assert_eq!(exercise("honest")["score"], 3.0, "the exercise built beside it");
    assert_eq!(kinds(exercise("hangs")), ["compile_error", "compile_error"]);
    let errors = exercise("hangs")["compile_error"].as_str().unwrap();
    assert!(errors.starts_with("error: could not compile `hangs`"), "{errors}");
    assert!(errors.contains("ran past its limit of CPU time"), "{errors}");
    assert!(!errors.contains("--crate-name"), "the compiler's command line is cut out: {errors}");
    assert!(report["sandbox"].to_string().contains("5 s of CPU"), "{}", report["sandbox"]);
    let _ = fs::remove_dir_all(&dir);
}
