//! The grading sandbox: what a student's test process may reach.
//!
//! `grade` runs untrusted code. Every test process it starts is confined
//! between `fork` and `exec`, before any of the test's code runs, and the
//! confinement is inherited by whatever it starts and cannot be undone:
//! - **files** (Landlock, Linux ≥ 5.13): read the test binary and the
//!   system's shared libraries, read and write only a private, empty
//!   temporary directory (the working directory, `TMPDIR` and `HOME`).
//!   No course, no stage, no `solutions/`, no home directory, and of
//!   `/proc` only its own threads' statistics, so neither `/proc/self/mem`,
//!   `environ` nor `fd`;
//! - **network**: a new network namespace with no interface where the
//!   kernel lets us make one, and Landlock's TCP rules (Linux ≥ 6.7): no
//!   connect, no bind;
//! - **signals and abstract sockets** outside the sandbox (Landlock scopes,
//!   Linux ≥ 6.12): it cannot signal the grader;
//! - **limits**: processes and threads (for a non-root user: the kernel
//!   does not count root's), file size, open files, no core dumps;
//! - **environment**: only what a test needs; nothing of the grader's.
//!
//! The grader prepares everything beforehand (the Landlock ruleset with its
//! paths opened, the limits), so the child, which may not allocate, only
//! makes system calls. Each runner thread moves into a network namespace
//! of its own once, and its tests inherit it: a namespace per test cost
//! more than all the rest. (Until December 2026 each test went through a
//! trampoline process that confined itself and then exec'd the test; that
//! doubled the exec and made the sandbox cost 50 % of a warm re-grade.)
//!
//! What was enforced is measured once per grade by a probe (this binary
//! run as `xtask __sandbox --probe`, which applies the same two halves to
//! itself and says what held) and goes into every report. It never claims
//! a protection that was not there: a test for which any part the probe saw
//! hold fails is not started at all. The build, one process per grade,
//! still goes through that trampoline.

#[cfg(target_os = "linux")]
mod linux;
#[cfg(not(target_os = "linux"))]
mod other;
#[cfg(target_os = "linux")]
use linux as platform;
#[cfg(not(target_os = "linux"))]
use other as platform;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

/// The hidden subcommand that is the trampoline.
pub const ENTRY: &str = "__sandbox";

/// Exit code of a trampoline that could not confine itself as required.
pub const EXIT_UNPROTECTED: i32 = 125;

/// Threads and processes a test may add to what the user already runs.
const NPROC_ROOM: u64 = 1024;

/// `--sandbox`: how hard `grade` insists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Mode {
    /// Everything the platform can do; the report says what it could not.
    #[default]
    Auto,
    /// Refuse to grade without every protection.
    Require,
    /// No sandbox (for debugging the grader): the report says so.
    Off,
}

/// What protection was in force, in words a report can print.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Protection {
    /// "landlock ABI 7", or None when files were not confined.
    pub filesystem: Option<String>,
    /// "namespace, landlock", or None.
    pub network: Option<String>,
    /// The limits set: "nproc", "fsize", "nofile", "core".
    pub limits: Vec<String>,
    /// How the build of the submission was confined, or None.
    #[serde(default)]
    pub build: Option<String>,
    /// What was not enforced, and why, in plain words.
    pub not_enforced: Vec<String>,
}

impl Protection {
    /// No sandbox at all (`--sandbox=off`).
    pub fn off() -> Protection {
        Protection {
            not_enforced: vec![
                "the sandbox was turned off (--sandbox=off): tests ran with the grader's own rights".into(),
            ],
            ..Protection::default()
        }
    }

    /// No sandbox, and why (`check`, `verify`: the user's own code).
    pub fn unsandboxed(why: &str) -> Protection {
        Protection { not_enforced: vec![why.to_string()], ..Protection::default() }
    }

    /// "filesystem: landlock ABI 7; network: namespace, landlock; limits:
    /// nproc, fsize, nofile, core", then what was not enforced.
    pub fn summary(&self) -> String {
        let or_none = |v: &Option<String>| v.clone().unwrap_or_else(|| "NOT confined".into());
        let limits = if self.limits.is_empty() { "none".to_string() } else { self.limits.join(", ") };
        let mut text = format!(
            "filesystem: {}; network: {}; limits: {limits}",
            or_none(&self.filesystem),
            or_none(&self.network)
        );
        if let Some(build) = &self.build {
            text.push_str(&format!("; build: {build}"));
        }
        if !self.not_enforced.is_empty() {
            text.push_str(&format!(". Not enforced: {}", self.not_enforced.join("; ")));
        }
        text
    }

    /// Every protection held.
    pub fn is_full(&self) -> bool {
        self.filesystem.is_some() && self.network.is_some() && self.not_enforced.is_empty()
    }
}

/// The sandbox `grade` runs tests in.
#[derive(Debug, Clone)]
pub struct Sandbox {
    pub protection: Protection,
    nproc: Option<u64>,
    trampoline: PathBuf,
    /// Programs a test may run besides itself: its package's own `[[bin]]`s.
    programs: Vec<PathBuf>,
    /// CPU seconds each process of a build may use (`grade --compile-limit`).
    pub compile_cpu_seconds: u64,
}

/// `grade --compile-limit`'s default: a crate of the course compiles in a
/// few seconds of CPU, a cold `tokio` in well under a minute.
pub const COMPILE_CPU_SECONDS: u64 = 180;

impl Sandbox {
    /// Probes what this machine can enforce. `Ok(None)` for `--sandbox=off`;
    /// an error for `--sandbox=require` when something is missing.
    pub fn prepare(mode: Mode) -> Result<Option<Sandbox>> {
        if mode == Mode::Off {
            return Ok(None);
        }
        let trampoline = crate::process::this_program()?;
        let nproc = platform::user_tasks().map(|n| n + NPROC_ROOM);
        let room = Room::new()?;
        let mut probe = Command::new(&trampoline);
        probe.arg(ENTRY).arg("--probe").arg("--room").arg(&room.0);
        if let Some(n) = nproc {
            probe.arg("--nproc").arg(n.to_string());
        }
        let out = probe.output().context("probing the sandbox")?;
        let text = String::from_utf8_lossy(&out.stdout);
        let mut protection: Protection = serde_json::from_str(text.trim()).with_context(|| {
            format!("the sandbox probe said {text:?} {}", String::from_utf8_lossy(&out.stderr))
        })?;
        if protection.filesystem.is_some() {
            // Worded with its CPU limit by `with_compile_limit`, below.
            protection.build = Some(String::new());
        }
        if mode == Mode::Require && !protection.is_full() {
            bail!(crate::commands::UsageError(format!(
                "--sandbox=require: this machine cannot enforce every protection ({}). Grade on Linux ≥ 6.12 \
                 with Landlock enabled, or run with --sandbox=auto to grade anyway with what it has.",
                protection.summary()
            )));
        }
        let sandbox = Sandbox { protection, nproc, trampoline, programs: Vec::new(), compile_cpu_seconds: 0 };
        Ok(Some(sandbox.with_compile_limit(COMPILE_CPU_SECONDS)))
    }

    /// The same sandbox, a build's processes limited to `secs` of CPU each.
    pub fn with_compile_limit(mut self, secs: u64) -> Sandbox {
        self.compile_cpu_seconds = secs;
        if self.protection.build.is_some() {
            self.protection.build = Some(platform::BUILD_PROTECTION.replace("{cpu}", &secs.to_string()));
        }
        self
    }

    /// The same sandbox, letting a test also run `programs` (its package's
    /// own binaries, built from the same submission).
    pub fn with_programs(&self, programs: &[PathBuf]) -> Sandbox {
        Sandbox { programs: programs.to_vec(), ..self.clone() }
    }

    /// `cargo` (a command made by `compile::cargo`, with its arguments,
    /// directory and environment) wrapped in the trampoline: it may read
    /// the system, the toolchain and cargo's own folder, and write only
    /// the stage (`writable`) and its room. So `include_str!` in a
    /// submission reads nothing outside the stage: no solution, no home.
    pub fn build_command(
        &self,
        cargo: &Command,
        writable: &Path,
        also_read: &[PathBuf],
        room: &Path,
    ) -> Command {
        let home = std::env::var_os("HOME").map(PathBuf::from);
        let cargo_home = std::env::var_os("CARGO_HOME")
            .map(PathBuf::from)
            .or_else(|| home.as_ref().map(|h| h.join(".cargo")));
        let rustup_home = std::env::var_os("RUSTUP_HOME")
            .map(PathBuf::from)
            .or_else(|| home.as_ref().map(|h| h.join(".rustup")));
        let mut cmd = Command::new(&self.trampoline);
        cmd.arg(ENTRY).arg("--build").arg("--room").arg(room);
        if let Some(n) = self.nproc {
            cmd.arg("--nproc").arg(n.to_string());
        }
        cmd.arg("--cpu").arg(self.compile_cpu_seconds.to_string());
        // cargo reads a `.cargo/` config in every folder above the one it
        // runs in, and fails on one it may not read.
        let configs = writable.ancestors().skip(1).map(|dir| dir.join(".cargo")).filter(|dir| dir.exists());
        for path in BUILD_READ
            .iter()
            .map(PathBuf::from)
            .chain(rustup_home)
            .chain(configs)
            .chain(also_read.iter().cloned())
        {
            cmd.arg("--read").arg(path);
        }
        // cargo takes a lock in its home even offline.
        for path in cargo_home.into_iter().chain([writable.to_path_buf()]) {
            cmd.arg("--write").arg(path);
        }
        if let Some(dir) = cargo.get_current_dir() {
            cmd.arg("--cwd").arg(dir);
        }
        for (key, value) in cargo.get_envs() {
            match value {
                Some(value) => cmd.env(key, value),
                None => cmd.env_remove(key),
            };
        }
        cmd.arg("--").arg(cargo.get_program()).args(cargo.get_args());
        cmd
    }

    /// `binary args`, to run in `room` (its working directory, `TMPDIR`
    /// and `HOME`) with nothing of the grader's environment, confined
    /// between `fork` and `exec` as the probe found this machine can.
    pub fn command(&self, binary: &Path, args: &[&str], room: &Path) -> Command {
        let mut cmd = Command::new(binary);
        cmd.args(args).current_dir(room);
        keep_only(&mut cmd, KEPT_VARS);
        cmd.env("TMPDIR", room).env("HOME", room).env("PATH", "/usr/bin:/bin");
        let grant = Grant {
            read: self.programs.iter().cloned().chain([binary.to_path_buf()]).collect(),
            ..Grant::default()
        };
        platform::confine_command(&mut cmd, room, &grant, self.nproc, &self.protection);
        cmd
    }

    /// Puts the calling thread in a network namespace of its own, where
    /// the platform allows, for the tests it will start to share: one
    /// namespace per runner thread instead of one per test.
    pub fn enter_private_network(&self) {
        if self.protection.network.as_deref().is_some_and(|n| n.contains("namespace")) {
            platform::enter_private_network();
        }
    }
}

/// A private, empty directory outside the course, removed when dropped:
/// the working directory and `TMPDIR` of one test process.
#[derive(Debug)]
pub struct Room(pub PathBuf);

impl Room {
    pub fn new() -> Result<Room> {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("awaitlings-room-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(Room(dir))
    }
}

impl Drop for Room {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What a confined process may reach besides its room.
#[derive(Debug, Clone, Default)]
pub struct Grant {
    /// Read (and run) these, and what is under them.
    pub read: Vec<PathBuf>,
    /// Read and write these, and what is under them.
    pub write: Vec<PathBuf>,
    /// A build (cargo), not a test: more open files, cargo's environment,
    /// and limits of memory and of CPU time per process.
    pub build: bool,
    /// A build's CPU seconds per process.
    pub cpu_seconds: Option<u64>,
}

/// What a build may read besides the stage: the system, where cargo and
/// rustc and the linker live, but no home directory (the toolchain's and
/// cargo's own folders are added one by one) and no `/proc`.
const BUILD_READ: &[&str] = &[
    "/usr",
    "/bin",
    "/sbin",
    "/lib",
    "/lib32",
    "/lib64",
    "/etc",
    "/opt",
    "/sys",
    "/dev/urandom",
    "/dev/random",
];

/// Environment a build keeps: what cargo and rustup need, nothing of the
/// grader's own (a token read at compile time by `option_env!` would end
/// up in the student's binary).
const BUILD_KEPT_VARS: &[&str] = &[
    "PATH",
    "HOME",
    "CARGO_HOME",
    "RUSTUP_HOME",
    "RUSTUP_TOOLCHAIN",
    "CARGO_TARGET_DIR",
    "CARGO",
    "RUSTC",
    "CARGO_TERM_COLOR",
    "CARGO_NET_OFFLINE",
    "NO_COLOR",
    "LANG",
    "LC_ALL",
];

/// Environment variables a test process keeps; everything else of the
/// grader's (tokens, paths, the instructor's settings) stays behind.
const KEPT_VARS: &[&str] = &[
    protocol::CHANNEL_VAR,
    protocol::WALL_LIMIT_VAR,
    protocol::STUCK_VAR,
    "RUST_BACKTRACE",
    "LANG",
    "LC_ALL",
];

/// The trampoline, for the probe and the build: `xtask __sandbox [--probe]
/// [--build] --room DIR [--nproc N] [--cpu SECS] [--read PATH].. [--write PATH]..
/// [--cwd DIR] -- PROGRAM ARGS...`. Never returns.
pub fn trampoline(args: &[OsString]) -> ! {
    let mut probe = false;
    let mut room = None;
    let mut nproc = None;
    let mut grant = Grant::default();
    let mut cwd = None;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.to_str() {
            Some("--probe") => probe = true,
            Some("--room") => room = rest.next().map(PathBuf::from),
            Some("--nproc") => nproc = rest.next().and_then(|n| n.to_str()?.parse().ok()),
            Some("--cpu") => grant.cpu_seconds = rest.next().and_then(|n| n.to_str()?.parse().ok()),
            Some("--read") => grant.read.extend(rest.next().map(PathBuf::from)),
            Some("--write") => grant.write.extend(rest.next().map(PathBuf::from)),
            Some("--build") => grant.build = true,
            Some("--cwd") => cwd = rest.next().map(PathBuf::from),
            Some("--") => break,
            _ => refuse(&format!("unknown argument {arg:?}")),
        }
    }
    let Some(room) = room else { refuse("no --room given") };
    if probe {
        // Confined as a test is (see `Sandbox::command`), to say what held.
        let protection = platform::confine(&room, &grant, nproc);
        println!("{}", serde_json::to_string(&protection).unwrap_or_default());
        std::process::exit(0);
    }
    // Otherwise a build: tests are confined without a trampoline.
    let command: Vec<&OsString> = rest.collect();
    let (Some(program), true) = (command.first().map(PathBuf::from), grant.build) else {
        refuse("it probes (--probe) or builds (--build -- PROGRAM ARGS...), nothing else");
    };
    grant.read.push(program.clone());
    platform::confine(&room, &grant, nproc);
    let mut cmd = Command::new(&program);
    cmd.args(&command[1..]).current_dir(cwd.as_ref().unwrap_or(&room));
    keep_only(&mut cmd, BUILD_KEPT_VARS);
    cmd.env("TMPDIR", &room);
    let err = exec(cmd);
    eprintln!("the sandbox could not start {}: {err}", program.display());
    std::process::exit(EXIT_UNPROTECTED);
}

/// Clears `cmd`'s environment but for `vars`, as this process has them.
fn keep_only(cmd: &mut Command, vars: &[&str]) {
    cmd.env_clear();
    for var in vars {
        if let Some(value) = std::env::var_os(var) {
            cmd.env(var, value);
        }
    }
}

fn refuse(why: &str) -> ! {
    eprintln!("xtask {ENTRY}: {why} (this subcommand is the grader's own; it is not for people)");
    std::process::exit(2);
}

#[cfg(unix)]
fn exec(mut cmd: Command) -> std::io::Error {
    use std::os::unix::process::CommandExt;
    cmd.exec()
}

#[cfg(not(unix))]
fn exec(mut cmd: Command) -> std::io::Error {
    match cmd.status() {
        Ok(status) => std::process::exit(status.code().unwrap_or(1)),
        Err(err) => err,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_names_what_held_and_what_did_not() {
        let full = Protection {
            filesystem: Some("landlock ABI 7".into()),
            network: Some("namespace, landlock".into()),
            limits: vec!["nproc".into(), "fsize".into(), "nofile".into(), "core".into()],
            build: None,
            not_enforced: vec![],
        };
        assert_eq!(
            full.summary(),
            "filesystem: landlock ABI 7; network: namespace, landlock; limits: nproc, fsize, nofile, core"
        );
        assert!(full.is_full());
        let old = Protection {
            filesystem: None,
            network: None,
            limits: vec!["fsize".into()],
            build: None,
            not_enforced: vec!["files: this kernel has no Landlock".into()],
        };
        assert!(old.summary().contains("filesystem: NOT confined; network: NOT confined"));
        assert!(old.summary().ends_with("Not enforced: files: this kernel has no Landlock"));
        assert!(!old.is_full());
        assert!(!Protection::off().is_full());
    }
}
