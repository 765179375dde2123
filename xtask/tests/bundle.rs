//! `cargo xtask gradescope-bundle`: the zip, and its run_autograder run
//! against a fake /autograder layout (AWAITLINGS_AUTOGRADER_ROOT).

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use predicates::str::contains;
use serde_json::Value;

#[path = "support/fixture.rs"]
mod support;

use support::{Fixture, scratch, write};

fn u16_at(b: &[u8], i: usize) -> usize {
    u16::from_le_bytes([b[i], b[i + 1]]) as usize
}

fn u32_at(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}

/// Unpacks a stored (uncompressed) zip, with each entry's unix mode, the
/// way Gradescope unpacks the bundle into /autograder/source.
fn unzip(zip: &[u8], into: &Path) -> Vec<(String, u32)> {
    let end = (0..zip.len() - 3).rev().find(|&i| u32_at(zip, i) == 0x0605_4b50).expect("an end record");
    let count = u16_at(zip, end + 10);
    let mut at = u32_at(zip, end + 16) as usize;
    let mut entries = Vec::new();
    for _ in 0..count {
        assert_eq!(u32_at(zip, at), 0x0201_4b50, "a central directory entry");
        assert_eq!(u16_at(zip, at + 10), 0, "stored, not compressed");
        let size = u32_at(zip, at + 20) as usize;
        let name_len = u16_at(zip, at + 28);
        let skip = u16_at(zip, at + 30) + u16_at(zip, at + 32);
        let mode = u32_at(zip, at + 38) >> 16;
        let offset = u32_at(zip, at + 42) as usize;
        let name = String::from_utf8(zip[at + 46..at + 46 + name_len].to_vec()).unwrap();
        let data_at = offset + 30 + u16_at(zip, offset + 26) + u16_at(zip, offset + 28);
        let path = into.join(&name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, &zip[data_at..data_at + size]).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(mode & 0o777)).unwrap();
        entries.push((name, mode & 0o777));
        at += 46 + name_len + skip;
    }
    entries
}

#[test]
fn the_bundle_grades_a_submission_into_results_json() {
    let course = Fixture::copy("course");
    let out = scratch("bundle");
    let zip_path = out.join("autograder.zip");
    course
        .xtask()
        .args(["gradescope-bundle", "--wall-limit", "2", "--no-fail-fast", "--output"])
        .arg(&zip_path)
        .assert()
        .success()
        .stdout(contains("wrote").and(contains("Gradescope")));

    // Gradescope unpacks the zip into /autograder/source.
    let root = out.join("autograder");
    let entries = unzip(&fs::read(&zip_path).unwrap(), &root.join("source"));
    let mode_of = |name: &str| entries.iter().find(|(n, _)| n == name).map(|(_, m)| *m);
    assert_eq!(mode_of("setup.sh"), Some(0o755));
    assert_eq!(mode_of("run_autograder"), Some(0o755));
    assert!(
        mode_of("course/Cargo.toml").is_some()
            && mode_of("course/exercises/02-racing/tests/racing.rs").is_some()
    );
    assert!(entries.iter().all(|(n, _)| !n.contains("/target/") && !n.starts_with("course/xtask/tests")));
    let run = fs::read_to_string(root.join("source/run_autograder")).unwrap();
    assert!(run.contains("--wall-limit 2 --no-fail-fast"), "the limits given are baked in");

    // setup.sh removes the solutions after its self-test, and the course
    // then loads without them: do as it does, then grade.
    let setup = fs::read_to_string(root.join("source/setup.sh")).unwrap();
    assert!(setup.contains("rm -rf \"$COURSE/solutions\""), "{setup}");
    assert!(setup.contains("mv \"$COURSE/Cargo.graded.toml\" \"$COURSE/Cargo.toml\""), "{setup}");
    let graded = fs::read_to_string(root.join("source/course/Cargo.graded.toml")).unwrap();
    assert!(!graded.contains("solutions"), "{graded}");
    fs::remove_dir_all(root.join("source/course/solutions")).unwrap();
    fs::rename(root.join("source/course/Cargo.graded.toml"), root.join("source/course/Cargo.toml")).unwrap();

    // A student's submission: racing solved, the rest as shipped.
    let solution = fs::read_to_string(course.dir.join("solutions/racing/src/lib.rs")).unwrap();
    write(&root.join("submission/exercises/02-racing/src/lib.rs"), &solution);
    let status = Command::new("bash")
        .arg(root.join("source/run_autograder"))
        .env("AWAITLINGS_AUTOGRADER_ROOT", &root)
        // The fixture course has no xtask of its own: use this one.
        .env("AWAITLINGS_XTASK", env!("CARGO_BIN_EXE_xtask"))
        .env_remove("CARGO_TARGET_DIR")
        .status()
        .unwrap();
    assert!(status.success());
    let results: Value =
        serde_json::from_str(&fs::read_to_string(root.join("results/results.json")).unwrap()).unwrap();
    // passing 1 + racing 3 + 1; broken, hanging and cheating score nothing.
    assert_eq!(results["score"], 5.0, "{results}");
    let tests = results["tests"].as_array().unwrap();
    assert!(tests.iter().any(|t| t["name"] == "02 racing · both run at once" && t["status"] == "passed"));
    assert!(tests.iter().any(|t| t["name"] == "03 broken · answer is 42" && t["status"] == "failed"));

    // With no submission at all, grading fails, and the student still gets
    // a results file that says so.
    fs::remove_dir_all(root.join("submission")).unwrap();
    fs::remove_file(root.join("results/results.json")).unwrap();
    let status = Command::new("bash")
        .arg(root.join("source/run_autograder"))
        .env("AWAITLINGS_AUTOGRADER_ROOT", &root)
        .env("AWAITLINGS_XTASK", env!("CARGO_BIN_EXE_xtask"))
        .status()
        .unwrap();
    assert!(status.success());
    let results: Value =
        serde_json::from_str(&fs::read_to_string(root.join("results/results.json")).unwrap()).unwrap();
    assert_eq!(results["score"], 0);
    assert!(results["output"].as_str().unwrap().contains("could not grade this submission"), "{results}");
    let _ = fs::remove_dir_all(&out);
}

use predicates::prelude::PredicateBooleanExt;
