//! The launcher through its binary, with a stand-in cargo and a stand-in
//! tool beside it: it says at once that it builds when the tool is out of
//! date, shows cargo's output, stays quiet when the tool is fresh, passes
//! the arguments on and exits with the tool's status.
#![cfg(unix)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

fn script(path: &Path, body: &str) {
    fs::write(path, format!("#!/bin/sh\n{body}\n")).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}

/// A scratch room: `bin/launcher` (a copy of the real one), `bin/xtask` (a
/// stand-in tool that prints its arguments and exits 3), `cargo` (a
/// stand-in that logs its arguments and prints a progress line), and a
/// course whose `xtask/src` the launcher looks at.
fn room(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("launcher-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("bin")).unwrap();
    fs::create_dir_all(dir.join("course/xtask/launcher")).unwrap();
    fs::create_dir_all(dir.join("course/xtask/src")).unwrap();
    fs::write(dir.join("course/xtask/src/main.rs"), "fn main() {}").unwrap();
    fs::copy(env!("CARGO_BIN_EXE_launcher"), dir.join("bin/launcher")).unwrap();
    script(
        &dir.join("cargo"),
        &format!("echo \"$@\" >> {}/cargo.log\necho '   Compiling xtask v0.1.0' >&2", dir.display()),
    );
    dir
}

fn launch(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(dir.join("bin/launcher"))
        .args(args)
        .env("CARGO", dir.join("cargo"))
        .env("CARGO_MANIFEST_DIR", dir.join("course/xtask/launcher"))
        .output()
        .unwrap()
}

#[test]
fn a_stale_tool_is_built_visibly_then_run_with_the_arguments() {
    let dir = room("stale");
    std::thread::sleep(std::time::Duration::from_millis(20));
    // The tool is older than its source: built first, with a word.
    script(&dir.join("bin/xtask"), "echo \"tool got: $@\"; exit 3");
    std::thread::sleep(std::time::Duration::from_millis(20));
    fs::write(dir.join("course/xtask/src/main.rs"), "fn main() { }").unwrap();

    let out = launch(&dir, &["check", "gather"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("building the awaitlings tool"), "{stderr}");
    assert!(stderr.contains("Compiling xtask"), "cargo's own output is shown: {stderr}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "tool got: check gather\n");
    assert_eq!(out.status.code(), Some(3));
    let log = fs::read_to_string(dir.join("cargo.log")).unwrap();
    assert_eq!(log, "build --package xtask\n");
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn a_fresh_tool_is_checked_quietly() {
    let dir = room("fresh");
    std::thread::sleep(std::time::Duration::from_millis(20));
    script(&dir.join("bin/xtask"), "echo \"tool got: $@\"");
    let out = launch(&dir, &["list"]);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("building"), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "tool got: list\n");
    assert!(out.status.success());
    let log = fs::read_to_string(dir.join("cargo.log")).unwrap();
    assert_eq!(log, "build --package xtask --quiet\n");
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn a_tool_that_does_not_build_is_said_plainly() {
    let dir = room("broken");
    script(&dir.join("cargo"), "echo 'error: could not compile `xtask`' >&2; exit 101");
    let out = launch(&dir, &["list"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("the awaitlings tool did not build"), "{stderr}");
    assert_eq!(out.status.code(), Some(101));
    let _ = fs::remove_dir_all(&dir);
}

/// A stand-in cargo that logs its arguments, runs `first` (a shell line),
/// then writes a tool whose body is `tool_body`.
fn cargo_that_makes_the_tool(dir: &Path, first: &str, tool_body: &str) {
    let tool = dir.join("bin/xtask");
    script(
        &dir.join("cargo"),
        &format!(
            "echo \"$@\" >> {log}\n{first}\nprintf '#!/bin/sh\\n%s\\n' '{tool_body}' > {tool}\nchmod +x {tool}",
            log = dir.join("cargo.log").display(),
            tool = tool.display()
        ),
    );
}

#[test]
fn the_first_run_builds_the_course_library_with_the_tool() {
    let dir = room("first");
    fs::create_dir_all(dir.join("course/checker")).unwrap();
    fs::write(dir.join("course/checker/Cargo.toml"), "[package]\nname = \"checker\"\n").unwrap();
    // No tool yet: the stand-in cargo makes one.
    let tool = dir.join("bin/xtask");
    cargo_that_makes_the_tool(&dir, "", "echo \"tool got: $*\"");
    let out = launch(&dir, &["check", "hello-async"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("building the awaitlings tool and the course's libraries"), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "tool got: check hello-async\n");
    let log = fs::read_to_string(dir.join("cargo.log")).unwrap();
    assert_eq!(log, "build --package xtask --package checker\n");

    // A course library that does not build does not keep the tool from running.
    let _ = fs::remove_file(&tool);
    fs::write(dir.join("cargo.log"), "").unwrap();
    cargo_that_makes_the_tool(&dir, "case \"$*\" in *checker*) exit 101;; esac", "echo ran");
    let out = launch(&dir, &["list"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "ran\n", "{out:?}");
    let log = fs::read_to_string(dir.join("cargo.log")).unwrap();
    assert_eq!(log, "build --package xtask --package checker\nbuild --package xtask\n");
    let _ = fs::remove_dir_all(&dir);
}
