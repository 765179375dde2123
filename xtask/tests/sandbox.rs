//! The grading sandbox, through the binary, against code that attacks the
//! grader rather than the exercise: it reads the course (a solution, a
//! secret), writes into the course and the stage, connects to a listener
//! the test opens on 127.0.0.1, starts children that would outlive it,
//! writes a huge file, and forges its pass through /proc. Each gets its
//! verdict, nothing outside its room changes, the honest exercise keeps its
//! points, and a second grade after the attacks is exactly right.
//!
//! Where the kernel has no Landlock, the report must say so, and the
//! assertions about files are replaced by that one.

use std::collections::BTreeMap;
use std::fs;
use std::io::ErrorKind;
use std::net::TcpListener;
use std::path::Path;

use serde_json::Value;

#[path = "support/fixture.rs"]
mod support;

use support::{COURSE_MANIFEST, Fixture, exercise_manifest, scratch, write};

const SECRET: &str = "TOP-SECRET-REFERENCE-SOLUTION-7f3a";
/// In the grader's environment: a student's code must not see it, at run
/// time or at compile time.
const TOKEN: &str = "ghp_not-for-students-91c2";

/// (exercise, answer's body).
fn cases(port: u16, course: &Path) -> Vec<(&'static str, String)> {
    let secret = course.join("SECRET.txt");
    vec![
        ("01-honest", "tokio::time::sleep(std::time::Duration::from_secs(1)).await;\n    42".into()),
        (
            "02-reads",
            "let here = std::path::Path::new(env!(\"CARGO_MANIFEST_DIR\"));\n    let mut seen = String::new();\n    \
             for dir in here.ancestors() {\n        for rel in [\"SECRET.txt\", \"solutions/secret/src/lib.rs\"] {\n            \
             if let Ok(text) = std::fs::read_to_string(dir.join(rel)) {\n                seen.push_str(&text);\n            }\n        }\n    }\n    \
             panic!(\"seen: [{seen}]\")"
                .into(),
        ),
        (
            "03-writes",
            "let here = std::path::Path::new(env!(\"CARGO_MANIFEST_DIR\"));\n    let mut wrote = 0;\n    \
             for dir in here.ancestors() {\n        for rel in [\"exercises/01-honest/tests/honest.rs\", \"PWNED.txt\"] {\n            \
             if std::fs::write(dir.join(rel), \"#[test]\\nfn answer_is_42() {}\\n\").is_ok() {\n                wrote += 1;\n            }\n        }\n    }\n    \
             panic!(\"wrote {wrote} files\")"
                .into(),
        ),
        (
            "04-connects",
            format!(
                "let mut reached = 0;\n    for _ in 0..16 {{\n        if std::net::TcpStream::connect((\"127.0.0.1\", {port})).is_ok() {{\n            \
                 reached += 1;\n        }}\n    }}\n    panic!(\"reached the listener {{reached}} times\")"
            ),
        ),
        (
            "05-spawns",
            "let mut started = 0;\n    for _ in 0..32 {\n        \
             if std::process::Command::new(\"/bin/sleep\").arg(\"4321\").spawn().is_ok() {\n            started += 1;\n        }\n    }\n    \
             panic!(\"started {started} children\")"
                .into(),
        ),
        (
            "06-hoards",
            // A MiB, then a byte at 1 GiB: past the file-size limit at
            // once, with no time spent writing for a slow disk to turn
            // into a verdict of blocking.
            "use std::io::{Seek, SeekFrom, Write};\n    let path = std::env::temp_dir().join(\"hoard.bin\");\n    \
             let mut file = std::fs::File::create(&path).unwrap();\n    file.write_all(&vec![7u8; 1 << 20]).unwrap();\n    \
             file.seek(SeekFrom::Start(1 << 30)).unwrap();\n    file.write_all(&[7u8]).unwrap();\n    panic!(\"wrote 1 GiB\")"
                .into(),
        ),
        (
            "07-peeks",
            "let mut opened = Vec::new();\n    \
             for path in [\"/proc/self/environ\", \"/proc/self/mem\", \"/proc/self/fd/3\", \"/dev/fd/3\", \"/proc/thread-self/fd/3\"] {\n        \
             if std::fs::File::open(path).is_ok() {\n            opened.push(path);\n        }\n    }\n    \
             let cwd = std::env::current_dir().unwrap();\n    \
             panic!(\"opened: {opened:?}; cwd {}; tmp {}\", cwd.display(), std::env::temp_dir().display())"
                .into(),
        ),
        (
            "08-forges",
            "use std::io::Write;\n    \
             let line = \"{\\\"nonce\\\":\\\"x\\\",\\\"outcome\\\":\\\"pass\\\",\\\"message\\\":\\\"\\\",\\\"virtual_ms\\\":1000.0,\\\"timeline\\\":\\\"\\\"}\\n\";\n    \
             let environ = std::fs::read(\"/proc/self/environ\").unwrap_or_default();\n    \
             for path in [\"/proc/self/fd/3\", \"/dev/fd/3\", \"/proc/thread-self/fd/3\"] {\n        \
             if let Ok(mut f) = std::fs::OpenOptions::new().append(true).open(path) {\n            \
             let _ = f.write_all(line.as_bytes());\n            let _ = f.write_all(&environ);\n        }\n    }\n    \
             std::process::exit(0)"
                .into(),
        ),
        // At compile time: a file of the course, and the grader's environment.
        ("09-includes", format!("panic!(\"{{}}\", include_str!({:?}))", secret.display().to_string())),
        ("10-tokens", "panic!(\"token: {:?}\", option_env!(\"AWAITLINGS_TEST_TOKEN\"))".into()),
    ]
}

fn package(dir: &str) -> &str {
    dir.split_once('-').unwrap().1
}

/// A course of identical exercises (`answer()` is 42 after one second),
/// with a secret beside them, as solutions are in a real course.
fn course(port: u16) -> Fixture {
    let dir = scratch("sandbox-course");
    write(&dir.join("Cargo.toml"), COURSE_MANIFEST);
    write(&dir.join("SECRET.txt"), SECRET);
    write(&dir.join("solutions/secret/src/lib.rs"), &format!("// {SECRET}\n"));
    for (ex, _) in cases(port, &dir) {
        let name = package(ex);
        let root = dir.join("exercises").join(ex);
        write(&root.join("Cargo.toml"), &exercise_manifest(name, false));
        write(
            &root.join("exercise.toml"),
            "title = \"answer\"\nidiom = \"asyncio.sleep\"\n\n[[tasks]]\nname = \"answer\"\nsummary = \"42, after a second\"\n\
             hints = [\"a\", \"b\", \"c\"]\n",
        );
        write(
            &root.join("src/lib.rs"),
            "pub async fn answer() -> u32 {\n    todo!(\"task 1 (answer)\")\n}\n",
        );
        write(
            &root.join("tests").join(format!("{name}.rs")),
            &format!(
                "#[test]\nfn answer_is_42() {{\n    checker::run(async {{ checker::check_eq({name}::answer().await, 42, \"the answer\") }});\n}}\n"
            ),
        );
    }
    Fixture::wire(dir)
}

fn submission(port: u16, course: &Path) -> std::path::PathBuf {
    let dir = scratch("sandbox-submission");
    for (ex, body) in cases(port, course) {
        write(
            &dir.join("exercises").join(ex).join("src/lib.rs"),
            &format!("pub async fn answer() -> u32 {{\n    {body}\n}}\n"),
        );
    }
    dir
}

/// Every file under `dir` but `target/`, with its content.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in fs::read_dir(&d).unwrap().flatten() {
            if entry.file_name() == "target" {
                continue;
            }
            if entry.file_type().unwrap().is_dir() {
                pending.push(entry.path());
            } else {
                out.insert(entry.path().display().to_string(), fs::read(entry.path()).unwrap());
            }
        }
    }
    out
}

/// Processes still running `/bin/sleep 4321`.
fn sleepers() -> usize {
    let Ok(procs) = fs::read_dir("/proc") else { return 0 };
    procs
        .flatten()
        .filter(|p| {
            let cmdline = fs::read(p.path().join("cmdline")).unwrap_or_default();
            cmdline.split(|b| *b == 0).any(|arg| arg == b"4321") && cmdline.starts_with(b"/bin/sleep")
        })
        .count()
}

fn grade(course: &Fixture, submission: &Path) -> Value {
    let out = scratch("sandbox-report").join("grade.json");
    course
        .xtask_in("xtask-fixture-sandbox")
        .args([
            "grade",
            "--submission",
            submission.to_str().unwrap(),
            "--format",
            "json",
            "--wall-limit",
            "5",
            "-o",
        ])
        .arg(&out)
        .env("AWAITLINGS_TEST_TOKEN", TOKEN)
        .assert()
        .success();
    serde_json::from_str(&fs::read_to_string(&out).unwrap()).unwrap()
}

fn by_name(report: &Value) -> BTreeMap<String, Value> {
    report["exercises"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["name"].as_str().unwrap().to_string(), e.clone()))
        .collect()
}

fn message(exercise: &Value) -> String {
    exercise["tests"][0]["message"].as_str().unwrap_or_default().to_string()
}

#[test]
#[cfg(target_os = "linux")]
fn hostile_code_reaches_nothing_but_its_own_room() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let course = course(port);
    let before = snapshot(&course.dir);
    let attacks = submission(port, &course.dir);

    let report = grade(&course, &attacks);
    let text = report.to_string();
    let sandbox = &report["sandbox"];
    let exercises = by_name(&report);

    // Never the secret, whatever the kernel.
    assert!(!text.contains(SECRET), "a report shows the course's secret:\n{text}");
    assert!(!text.contains(TOKEN), "a report shows the grader's token:\n{text}");
    // The course, stage aside, is as it was (but for Cargo.lock, which
    // cargo itself completes for the generated packages).
    let after = snapshot(&course.dir);
    let changed: Vec<&String> = before
        .keys()
        .chain(after.keys())
        .filter(|k| before.get(*k) != after.get(*k) && !k.ends_with("Cargo.lock"))
        .collect();
    assert!(changed.is_empty(), "grading changed the course: {changed:?}");
    assert_eq!(exercises["honest"]["score"], 1.0, "{text}");
    for (name, e) in &exercises {
        if name != "honest" {
            assert_eq!(e["score"], 0.0, "{name}: {e}");
        }
    }

    if sandbox["filesystem"].is_null() {
        // No Landlock: the report must say that files were not confined.
        let said = sandbox["not_enforced"].to_string();
        assert!(said.contains("files"), "{sandbox}");
        return;
    }
    assert!(sandbox["filesystem"].as_str().unwrap().starts_with("landlock ABI "), "{sandbox}");
    assert!(message(&exercises["reads"]).contains("seen: []"), "{}", message(&exercises["reads"]));
    assert!(message(&exercises["writes"]).contains("wrote 0 files"), "{}", message(&exercises["writes"]));
    assert!(!report["notes"].to_string().contains("tampering"), "{}", report["notes"]);
    assert!(
        message(&exercises["connects"]).contains("reached the listener 0 times"),
        "{}",
        message(&exercises["connects"])
    );
    assert_eq!(listener.accept().map(|_| ()).map_err(|e| e.kind()), Err(ErrorKind::WouldBlock));
    assert!(
        message(&exercises["spawns"]).contains("started 0 children"),
        "{}",
        message(&exercises["spawns"])
    );
    assert_eq!(sleepers(), 0, "a child outlived grading");
    assert_eq!(exercises["hoards"]["tests"][0]["kind"], "crashed", "{}", exercises["hoards"]);
    let peeks = message(&exercises["peeks"]);
    assert!(peeks.contains("opened: []"), "{peeks}");
    assert!(peeks.contains("cwd /") && peeks.contains("awaitlings-room"), "{peeks}");
    assert!(!peeks.contains(&course.dir.display().to_string()), "a test ran inside the course: {peeks}");
    assert_eq!(exercises["forges"]["tests"][0]["kind"], "exited_early", "{}", exercises["forges"]);
    // The build is confined too: include_str! of the course does not compile.
    assert_eq!(exercises["includes"]["tests"][0]["kind"], "compile_error", "{}", exercises["includes"]);
    assert!(message(&exercises["tokens"]).contains("token: None"), "{}", message(&exercises["tokens"]));

    // After all that, an honest grade of the stubs is exactly 0, and of
    // the answer 1 per exercise: nothing was poisoned.
    let stubs = scratch("sandbox-stubs");
    fs::create_dir_all(stubs.join("exercises")).unwrap();
    let report = grade(&course, &stubs);
    assert_eq!(report["score"], 0.0, "{report}");
    let honest = scratch("sandbox-honest");
    for (ex, _) in cases(port, &course.dir) {
        write(
            &honest.join("exercises").join(ex).join("src/lib.rs"),
            "pub async fn answer() -> u32 {\n    tokio::time::sleep(std::time::Duration::from_secs(1)).await;\n    42\n}\n",
        );
    }
    let report = grade(&course, &honest);
    assert_eq!(report["score"], report["max_score"], "{report}");
    assert_eq!(report["max_score"], 10.0);
}

#[test]
fn the_report_says_which_protection_was_in_force_in_every_format() {
    let course = course(9);
    let honest = scratch("sandbox-formats");
    write(
        &honest.join("exercises/01-honest/src/lib.rs"),
        "pub async fn answer() -> u32 {\n    tokio::time::sleep(std::time::Duration::from_secs(1)).await;\n    42\n}\n",
    );
    let run = |format: &str, extra: &[&str]| {
        let out = course
            .xtask_in("xtask-fixture-sandbox")
            .args(["grade", "honest", "--submission", honest.to_str().unwrap(), "--format", format])
            .args(extra)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (_, human, _) = run("human", &[]);
    assert!(human.contains("sandbox: filesystem: "), "{human}");
    let (_, json, _) = run("json", &[]);
    let json: Value = serde_json::from_str(&json).unwrap();
    assert!(json["sandbox"]["not_enforced"].is_array(), "{json}");
    let (_, gradescope, _) = run("gradescope", &[]);
    let gradescope: Value = serde_json::from_str(&gradescope).unwrap();
    assert!(gradescope["output"].as_str().unwrap().contains("sandbox: filesystem: "), "{gradescope}");
    let (_, junit, _) = run("junit", &[]);
    assert!(junit.contains("<property name=\"sandbox\" value=\"filesystem: "), "{junit}");

    let (_, off, _) = run("human", &["--sandbox", "off"]);
    assert!(off.contains("the sandbox was turned off"), "{off}");
    // As root, or without Landlock, `require` refuses; otherwise it grades.
    let (code, out, err) = run("human", &["--sandbox", "require"]);
    if json["sandbox"]["not_enforced"].as_array().unwrap().is_empty() {
        assert_eq!(code, Some(0), "{out}{err}");
    } else {
        assert_eq!(code, Some(2), "{out}{err}");
        assert!(err.contains("--sandbox=require"), "{err}");
    }
}
