//! `cargo xtask` runs this first. It exists for one moment: the very first
//! run on a fresh clone, when the tool itself (clap, serde, notify, ...)
//! takes a minute to build. The alias has to be `cargo run --quiet`, or
//! every command would begin with cargo's "Finished … Running …" lines; but
//! `--quiet` also hides the build, so a learner would stare at nothing for
//! a minute. This launcher has no dependencies and builds in a second.
//! It then builds the tool itself: with cargo's progress and a line that
//! says what is happening when the tool looks out of date, quietly
//! otherwise. Then it runs the tool with the same arguments and exits with
//! its status.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::SystemTime;

/// The package of the real tool, and its binary.
const TOOL: &str = "xtask";

/// The library every exercise's tests use, built with the tool on the very
/// first run.
const COURSE_LIBRARY: &str = "checker";

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let tool = tool_path();
    let root = workspace_root();

    let fresh = match (&tool, &root) {
        (Some(tool), Some(root)) => is_fresh(tool, root),
        _ => false,
    };
    // The very first run: build the course's shared libraries (the
    // checker, and tokio under it) in the same cargo run as the tool. The
    // tool's build leaves a core idle for long stretches (syn, then the
    // derives, then the tool itself, one after another), and the check that
    // follows needs those libraries anyway: a cold first check takes about
    // 36 s on 2 cores instead of 45 s.
    let first = tool.as_ref().is_none_or(|tool| !tool.exists());
    let with_course =
        first && root.as_ref().is_some_and(|root| root.join(COURSE_LIBRARY).join("Cargo.toml").is_file());
    let build = |with_course: bool| {
        let mut build = Command::new(&cargo);
        build.args(["build", "--package", TOOL]);
        if with_course {
            build.args(["--package", COURSE_LIBRARY]);
        }
        if fresh {
            build.arg("--quiet");
        }
        build.status()
    };
    if with_course {
        eprintln!(
            "building the awaitlings tool and the course's libraries (the first time: about a minute on 2 cores)…"
        );
    } else if !fresh {
        eprintln!("building the awaitlings tool (the first time: about a minute on 2 cores)…");
    }
    let mut status = build(with_course);
    if with_course && status.as_ref().is_ok_and(|s| !s.success()) {
        // The course's libraries are the course's business: `check` shows
        // their errors. The tool alone is enough to run.
        status = build(false);
    }
    match status {
        Ok(status) if status.success() => {}
        Ok(status) => {
            eprintln!(
                "the awaitlings tool did not build (see cargo's errors above); fix them, then run the command again"
            );
            return ExitCode::from(status.code().map_or(1, |c| c.clamp(1, 255) as u8));
        }
        Err(err) => {
            eprintln!(
                "could not run cargo ({}): {err}; is Rust installed (https://rustup.rs)?",
                Path::new(&cargo).display()
            );
            return ExitCode::from(1);
        }
    }
    let Some(tool) = tool else {
        eprintln!("could not find where cargo put the tool; run it with: cargo run --package {TOOL} -- ARGS");
        return ExitCode::from(1);
    };
    run(&tool, &args)
}

/// Runs the tool in place of this process where the platform can.
#[cfg(unix)]
fn run(tool: &Path, args: &[OsString]) -> ExitCode {
    use std::os::unix::process::CommandExt;
    let err = Command::new(tool).args(args).exec();
    eprintln!("could not run {}: {err}", tool.display());
    ExitCode::from(1)
}

#[cfg(not(unix))]
fn run(tool: &Path, args: &[OsString]) -> ExitCode {
    match Command::new(tool).args(args).status() {
        Ok(status) => ExitCode::from(status.code().map_or(1, |c| c.clamp(0, 255) as u8)),
        Err(err) => {
            eprintln!("could not run {}: {err}", tool.display());
            ExitCode::from(1)
        }
    }
}

/// The tool's binary: beside this one, in the same target directory.
fn tool_path() -> Option<PathBuf> {
    let me = std::env::current_exe().ok()?;
    Some(me.with_file_name(format!("{TOOL}{}", std::env::consts::EXE_SUFFIX)))
}

/// The workspace root: `cargo run` sets CARGO_MANIFEST_DIR to this
/// package's directory, `xtask/launcher`.
fn workspace_root() -> Option<PathBuf> {
    let here = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from)?;
    Some(here.parent()?.parent()?.to_path_buf())
}

/// Whether the tool's binary is newer than every source it is built from.
/// Only a guess, to choose between a quiet build and a visible one: cargo
/// itself decides what to rebuild.
fn is_fresh(tool: &Path, root: &Path) -> bool {
    let Some(built) = modified(tool) else { return false };
    let sources = [root.join("xtask"), root.join("protocol")];
    sources.iter().all(|source| newest(source).is_none_or(|newest| newest <= built))
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The newest modification time under `path`, skipping `target` and the
/// tool's own tests (which do not go into the binary).
fn newest(path: &Path) -> Option<SystemTime> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    if !meta.is_dir() {
        return meta.modified().ok();
    }
    let entries = std::fs::read_dir(path).ok()?;
    entries
        .flatten()
        .filter(|e| !matches!(e.file_name().to_str(), Some("target" | "tests")))
        .filter_map(|e| newest(&e.path()))
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tool_older_than_a_source_is_stale_and_a_newer_one_fresh() {
        let dir = std::env::temp_dir().join(format!("launcher-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("xtask/src")).unwrap();
        std::fs::create_dir_all(dir.join("bin")).unwrap();
        let tool = dir.join("bin/xtask");
        assert!(!is_fresh(&tool, &dir), "no tool yet: stale");

        std::fs::write(dir.join("xtask/src/main.rs"), "fn main() {}").unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(&tool, "").unwrap();
        assert!(is_fresh(&tool, &dir));

        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(dir.join("xtask/src/main.rs"), "fn main() { }").unwrap();
        assert!(!is_fresh(&tool, &dir), "a source changed after the build");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
