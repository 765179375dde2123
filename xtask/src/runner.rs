//! Running tests: each in its own process, under a wall-clock limit, with
//! its output capped, and with a result channel the code under test cannot
//! forge by printing or exiting early.
//!
//! libtest's JSON output needs nightly, so we ask a test binary for its test
//! names (`--list --format terse`, stable) and run each with `--exact NAME`.
//! The verdict does not come from libtest's text: the checker writes a
//! record with a per-run nonce into a file only the runner named, and a test
//! counts as passed only when that record says so *and* the process exited
//! cleanly.

use std::collections::VecDeque;
use std::fs;
use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use protocol::{NONCE_VAR, Outcome, REPORT_VAR, Record, WALL_LIMIT_VAR};

/// Limits for every test process.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Real time a test may take before it is killed.
    pub wall_limit: Duration,
    /// Tests run at once.
    pub jobs: usize,
    /// Bytes of stdout and of stderr kept per test.
    pub output_cap: usize,
    /// Address-space limit per test process, in bytes.
    pub memory_limit: Option<u64>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            wall_limit: Duration::from_secs(10),
            jobs: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2),
            output_cap: 64 * 1024,
            memory_limit: Some(4 << 30),
        }
    }
}

/// How a test process ended, before it is put in words.
#[derive(Debug, Clone, PartialEq)]
pub enum Ending {
    /// The checker's record, nonce checked, with its message.
    Reported { outcome: Outcome, message: String, exit: ExitKind },
    /// No record: the process ended some other way.
    Unreported { exit: ExitKind },
}

/// How the process itself ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitKind {
    Success,
    Code(i32),
    Signal(i32),
    /// Killed by the runner at the wall-clock limit.
    Killed,
}

/// One test, run.
#[derive(Debug, Clone)]
pub struct TestRun {
    pub name: String,
    pub ending: Ending,
    /// Virtual time the test body took, when it reported one.
    pub virtual_ms: Option<f64>,
    pub wall: Duration,
    /// stdout then stderr, capped.
    pub output: String,
    pub truncated: bool,
    /// The test's own schedule, drawn by the checker (empty if none).
    pub timeline: String,
}

/// The tests in a libtest binary, from `--list --format terse`, or why it
/// could not say. The learner's code can run before `main` (a static
/// initialiser), so listing gets the same wall-clock limit as a test.
pub fn list_tests(binary: &Path, limit: Duration) -> Result<Vec<String>, String> {
    let mut child = Command::new(binary)
        .args(["--list", "--format", "terse"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("the test binary could not start: {e}"))?;
    let out = child.stdout.take().map(|s| std::thread::spawn(move || read_capped(s, 1 << 20)));
    let (status, killed) = wait_with_limit(&mut child, limit).map_err(|e| format!("{e:#}"))?;
    let (text, _) = out.and_then(|h| h.join().ok()).unwrap_or_default();
    if killed {
        return Err(format!(
            "the test binary did not even list its tests within {:.0} s",
            limit.as_secs_f64()
        ));
    }
    if !status.success() {
        return Err(format!("the test binary failed before any test ran ({status})"));
    }
    Ok(text.lines().filter_map(|l| l.strip_suffix(": test")).map(str::to_string).collect())
}

/// Runs every `(binary, test)` pair, `options.jobs` at a time; results come
/// back in the order given.
pub fn run_all(tests: &[(PathBuf, String)], options: &RunOptions) -> Result<Vec<TestRun>> {
    let scratch = ScratchDir::new()?;
    let queue: Arc<Mutex<VecDeque<(usize, PathBuf, String)>>> =
        Arc::new(Mutex::new(tests.iter().enumerate().map(|(i, (b, t))| (i, b.clone(), t.clone())).collect()));
    let results: Arc<Mutex<Vec<Option<TestRun>>>> = Arc::new(Mutex::new(vec![None; tests.len()]));
    let errors: Arc<Mutex<Vec<anyhow::Error>>> = Arc::default();
    std::thread::scope(|scope| {
        for _ in 0..options.jobs.max(1) {
            let (queue, results, errors, scratch) = (&queue, &results, &errors, &scratch);
            scope.spawn(move || {
                loop {
                    let next = queue.lock().unwrap_or_else(|e| e.into_inner()).pop_front();
                    let Some((i, binary, name)) = next else { break };
                    match run_one(&binary, &name, i, &scratch.0, options) {
                        Ok(run) => results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(run),
                        Err(e) => errors.lock().unwrap_or_else(|e| e.into_inner()).push(e),
                    }
                }
            });
        }
    });
    if let Some(e) = errors.lock().unwrap_or_else(|e| e.into_inner()).pop() {
        return Err(e);
    }
    let results = std::mem::take(&mut *results.lock().unwrap_or_else(|e| e.into_inner()));
    Ok(results.into_iter().flatten().collect())
}

/// A private directory for the result files of one run, removed after.
struct ScratchDir(PathBuf);

impl ScratchDir {
    fn new() -> Result<Self> {
        let dir = std::env::temp_dir().join(format!("awaitlings-run-{}-{}", std::process::id(), nonce()));
        fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(ScratchDir(dir))
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// 128 random bits, hex.
fn nonce() -> String {
    let mut bytes = [0u8; 16];
    let read = fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes));
    if read.is_err() {
        let seed = format!("{:?}{}", Instant::now(), std::process::id());
        for (i, b) in seed.bytes().enumerate() {
            bytes[i % 16] ^= b.rotate_left(i as u32);
        }
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn run_one(binary: &Path, name: &str, index: usize, scratch: &Path, options: &RunOptions) -> Result<TestRun> {
    let report = scratch.join(format!("{index}.report"));
    fs::write(&report, "").with_context(|| format!("creating {}", report.display()))?;
    let nonce = nonce();
    // The checker's own watchdog fires first, so it can say *why* the test
    // hung; the runner's kill is the backstop.
    let watchdog_ms = (options.wall_limit.as_millis() as u64 * 8 / 10).max(100);

    let mut cmd = Command::new(binary);
    cmd.args(["--exact", name, "--test-threads", "1", "--color", "never"])
        .env(REPORT_VAR, &report)
        .env(NONCE_VAR, &nonce)
        .env(WALL_LIMIT_VAR, watchdog_ms.to_string())
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let memory_limit = options.memory_limit;
    // SAFETY: between fork and exec we only make async-signal-safe calls.
    unsafe {
        cmd.pre_exec(move || {
            // Its own process group, so a kill takes its children too.
            libc::setpgid(0, 0);
            if let Some(bytes) = memory_limit {
                let limit = libc::rlimit { rlim_cur: bytes as libc::rlim_t, rlim_max: bytes as libc::rlim_t };
                libc::setrlimit(libc::RLIMIT_AS, &limit);
            }
            Ok(())
        });
    }
    let started = Instant::now();
    let mut child = cmd.spawn().with_context(|| format!("starting {}", binary.display()))?;
    let cap = options.output_cap;
    let out = child.stdout.take().map(|s| std::thread::spawn(move || read_capped(s, cap)));
    let err = child.stderr.take().map(|s| std::thread::spawn(move || read_capped(s, cap)));
    let (status, killed) = wait_with_limit(&mut child, options.wall_limit)?;
    let wall = started.elapsed();
    let (out, out_cut) = out.and_then(|h| h.join().ok()).unwrap_or_default();
    let (err, err_cut) = err.and_then(|h| h.join().ok()).unwrap_or_default();

    let exit = if killed {
        ExitKind::Killed
    } else if status.success() {
        ExitKind::Success
    } else if let Some(code) = status.code() {
        ExitKind::Code(code)
    } else {
        ExitKind::Signal(status.signal().unwrap_or(0))
    };
    let text = fs::read_to_string(&report).unwrap_or_default();
    let record = Record::find(&text, &nonce).with_context(|| format!("running {name}"))?;
    let virtual_ms = record.as_ref().map(|r| r.virtual_ms);
    let (ending, timeline) = match record {
        Some(r) => (Ending::Reported { outcome: r.outcome, message: r.message, exit }, r.timeline),
        None => (Ending::Unreported { exit }, String::new()),
    };
    let mut output = out;
    if !err.is_empty() {
        if !output.is_empty() && !output.ends_with('\n') {
            output.push('\n');
        }
        output.push_str(&err);
    }
    Ok(TestRun {
        name: name.to_string(),
        ending,
        virtual_ms,
        wall,
        output,
        truncated: out_cut || err_cut,
        timeline,
    })
}

fn read_capped(mut stream: impl Read, cap: usize) -> (String, bool) {
    let mut kept = Vec::new();
    let mut buf = [0u8; 8192];
    let mut truncated = false;
    loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let room = cap.saturating_sub(kept.len());
                kept.extend_from_slice(&buf[..n.min(room)]);
                truncated |= n > room;
            }
        }
    }
    (String::from_utf8_lossy(&kept).into_owned(), truncated)
}

/// Waits for the child; past `limit` kills its whole process group.
fn wait_with_limit(child: &mut Child, limit: Duration) -> Result<(ExitStatus, bool)> {
    let deadline = Instant::now() + limit;
    let mut pause = Duration::from_micros(200);
    loop {
        if let Some(status) = child.try_wait().context("waiting for a test process")? {
            // Anything the test left behind in its group (a spawned `sleep`
            // holding our pipes open) goes with it.
            // SAFETY: a plain syscall on the process group we created.
            unsafe {
                libc::kill(-(child.id() as i32), libc::SIGKILL);
            }
            return Ok((status, false));
        }
        if Instant::now() >= deadline {
            // SAFETY: plain syscalls on a process group we created.
            unsafe {
                libc::kill(-(child.id() as i32), libc::SIGKILL);
            }
            let _ = child.kill();
            let status = child.wait().context("reaping a killed test process")?;
            return Ok((status, true));
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(10));
    }
}
