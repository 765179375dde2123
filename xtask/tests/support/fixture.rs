//! Scratch courses for the xtask's integration tests: a copy of a fixture
#![allow(dead_code)] // each test crate uses its own part of the support
//! (or a generated course) wired to the real checker, removed when dropped.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use assert_cmd::Command;

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask sits in the workspace").to_path_buf()
}

/// A scratch directory under the system's temp dir.
pub fn scratch(label: &str) -> PathBuf {
    static COUNT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "awaitlings-{label}-{}-{}",
        std::process::id(),
        COUNT.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// A course in a scratch directory.
pub struct Fixture {
    pub dir: PathBuf,
}

impl Fixture {
    /// A copy of `tests/fixtures/NAME`.
    pub fn copy(name: &str) -> Fixture {
        let dir = scratch(name);
        copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name), &dir);
        Fixture::wire(dir)
    }

    /// Puts the real checker's path in place of `@CHECKER@` and the
    /// course's own lock file beside it: the same versions, nothing to
    /// resolve.
    pub fn wire(dir: PathBuf) -> Fixture {
        let manifest = dir.join("Cargo.toml");
        let checker = workspace().join("checker");
        let text = fs::read_to_string(&manifest).unwrap().replace("@CHECKER@", checker.to_str().unwrap());
        fs::write(&manifest, text).unwrap();
        fs::copy(workspace().join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
        Fixture { dir }
    }

    /// The xtask, run in this course. Fixture copies share one target
    /// directory: they are identical, so cargo's artifacts are too. A test
    /// that edits a course's sources must use [`Fixture::xtask_in`] instead.
    pub fn xtask(&self) -> Command {
        self.xtask_in("xtask-fixture")
    }

    /// The xtask, building in a target directory of its own (under the
    /// workspace's `target/`). Cargo hashes path packages relative to their
    /// workspace, so two copies whose sources differ must never share one:
    /// each would take the other's build for its own.
    pub fn xtask_in(&self, target: &str) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_xtask"));
        cmd.current_dir(&self.dir)
            .env("CARGO_TARGET_DIR", workspace().join("target").join(target))
            .env("NO_COLOR", "1")
            .env_remove("AWAITLINGS_ROOT")
            .timeout(Duration::from_secs(600));
        cmd
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// The manifest of a generated course: every exercise, the real checker
/// (wired in by [`Fixture::wire`]) and tokio.
pub const COURSE_MANIFEST: &str = "[workspace]\nresolver = \"3\"\nmembers = [\"exercises/*\"]\n\n\
                                   [workspace.dependencies]\nchecker = { path = \"@CHECKER@\" }\n\
                                   tokio = { version = \"1.47\", features = [\"rt\", \"time\", \"sync\", \"macros\", \"test-util\"] }\n";

/// An exercise's manifest in a generated course: a library tested by
/// integration tests, with `unsafe_code = "forbid"` unless `unsafe_allowed`
/// (a case that needs `unsafe`, or that checks the warning about it).
pub fn exercise_manifest(name: &str, unsafe_allowed: bool) -> String {
    let lints = if unsafe_allowed { "" } else { "\n[lints.rust]\nunsafe_code = \"forbid\"\n" };
    format!(
        "[package]\nname = \"{name}\"\nedition = \"2024\"\nversion = \"0.1.0\"\n\n[lib]\ntest = false\ndoctest = false\n\n\
         [dependencies]\ntokio = {{ workspace = true }}\n\n[dev-dependencies]\nchecker = {{ workspace = true }}\n{lints}"
    )
}

pub fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

pub fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}
