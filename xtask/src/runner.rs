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
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use protocol::{Outcome, Record, WALL_LIMIT_VAR};

use crate::process::{self, Exit, Finished};
use crate::sandbox::{Room, Sandbox};

mod rounds;

pub use rounds::{PROBES, run_in_rounds};

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
    /// The sandbox every test process starts in (`grade`), or none
    /// (`check`, `verify`: the user's own code).
    pub sandbox: Option<Sandbox>,
    /// Shared by every test of one grade: once one hung, the rounds after
    /// it get less time (see [`Impatience`]). None where every test must
    /// get the full limits (`check`, `verify`).
    pub impatience: Option<Arc<Impatience>>,
    /// Do not run the rest of a task whose first tests hung (see
    /// [`run_in_rounds`]): `grade`, unless `--no-fail-fast`. Never for
    /// `check` and `verify`, whose verdicts must all be there.
    pub stop_early: bool,
}

/// A submission whose code spins or deadlocks would make every test wait
/// out its whole limit: 300 tests × 1 s to 10 s. So once one test of a
/// grade has hung, the tests after it are stopped sooner: after
/// [`IMPATIENT_STUCK_MS`] in one poll (100 ms is already blocking, so no
/// honest test comes near it) or [`IMPATIENT_WALL`] in all (honest tests
/// take milliseconds). Those that fail say so in their message.
///
/// "After" is counted in rounds ([`run_in_rounds`]), not in real time: a
/// hang makes the grader impatient from the next round on, never in the
/// middle of one. Which limit a test gets then depends only on how the
/// tests of earlier rounds ended, not on which of two tests running side
/// by side happened to hang first, so the same submission is graded the
/// same with any `--jobs`, alone or in a class.
#[derive(Debug, Default)]
pub struct Impatience {
    /// A test has hung (in this round or an earlier one).
    hung: std::sync::atomic::AtomicBool,
    /// A test of an earlier round hung: tests starting now are stopped
    /// sooner.
    tripped: std::sync::atomic::AtomicBool,
}

/// One poll may hold the executor this long once a test has hung.
pub const IMPATIENT_STUCK_MS: u64 = 100;
/// The wall limit once a test has hung.
pub const IMPATIENT_WALL: Duration = Duration::from_secs(3);

impl Impatience {
    fn tripped(&self) -> bool {
        self.tripped.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn hang_seen(&self) {
        self.hung.store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// A new round begins: the hangs of the rounds before it count now.
    fn next_round(&self) {
        if self.hung.load(std::sync::atomic::Ordering::Relaxed) {
            self.tripped.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            wall_limit: Duration::from_secs(10),
            jobs: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2),
            output_cap: 64 * 1024,
            memory_limit: Some(4 << 30),
            sandbox: None,
            impatience: None,
            stop_early: false,
        }
    }
}

/// How a test process ended, before it is put in words.
#[derive(Debug, Clone, PartialEq)]
pub enum Ended {
    /// The checker's record, nonce checked, with its message.
    Reported { outcome: Outcome, message: String, exit: Exit },
    /// No record: the process ended some other way.
    Unreported { exit: Exit },
    /// Not started: the first tests of its task (`probes`) all hung.
    NotRun { probes: Vec<String> },
}

/// One test, run.
#[derive(Debug, Clone)]
pub struct TestRun {
    pub name: String,
    pub ending: Ended,
    /// Virtual time the test body took, when it reported one.
    pub virtual_ms: Option<f64>,
    pub wall: Duration,
    /// stdout then stderr, capped.
    pub output: String,
    pub truncated: bool,
    /// It died of the memory limit.
    pub out_of_memory: bool,
    /// The test's own schedule, drawn by the checker (empty if none).
    pub timeline: String,
    /// It ran with the shorter limits that follow a hung test.
    pub impatient: bool,
}

impl TestRun {
    /// It hung: the checker's watchdog stopped it (an endless loop, or one
    /// poll asleep past the limit), or the runner killed it at the wall.
    pub fn hung(&self) -> bool {
        let exit = match &self.ending {
            Ended::Reported { outcome: Outcome::Hang, .. } => return true,
            Ended::Reported { exit, .. } | Ended::Unreported { exit } => exit,
            Ended::NotRun { .. } => return false,
        };
        matches!(exit, Exit::Killed | Exit::Code(protocol::EXIT_HUNG))
    }

    /// A test that was not started, because the first tests of its task
    /// all hung.
    fn not_run(name: &str, probes: Vec<String>) -> Self {
        TestRun {
            name: name.to_string(),
            ending: Ended::NotRun { probes },
            virtual_ms: None,
            wall: Duration::ZERO,
            output: String::new(),
            truncated: false,
            out_of_memory: false,
            timeline: String::new(),
            impatient: false,
        }
    }
}

/// The tests in a libtest binary, from `--list --format terse`, or why it
/// could not say. The learner's code can run before `main` (a static
/// initialiser), so listing gets the same wall-clock limit as a test.
pub fn list_tests(binary: &Path, limit: Duration, sandbox: Option<&Sandbox>) -> Result<Vec<String>, String> {
    let room = Room::new().map_err(|e| format!("{e:#}"))?;
    let cmd = test_command(binary, &["--list", "--format", "terse"], &room, sandbox);
    let limits = process::Limits { wall: limit, memory: None, output_cap: 1 << 20 };
    let done = process::run(cmd, &limits).map_err(|e| format!("the test binary could not start: {e:#}"))?;
    match done.exit {
        Exit::Success => {}
        Exit::Killed => {
            return Err(format!(
                "the test binary did not even list its tests within {:.0} s",
                limit.as_secs_f64()
            ));
        }
        other => return Err(format!("the test binary failed before any test ran ({other:?})")),
    }
    Ok(done.stdout.lines().filter_map(|l| l.strip_suffix(": test")).map(str::to_string).collect())
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
                // The tests this thread starts share its network namespace.
                if let Some(sandbox) = &options.sandbox {
                    sandbox.enter_private_network();
                }
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

/// The test binary with `args`, run in `room` (a private, empty directory
/// that is also its `TMPDIR`), never in the course or its stage; inside
/// the sandbox when there is one.
fn test_command(binary: &Path, args: &[&str], room: &Room, sandbox: Option<&Sandbox>) -> Command {
    match sandbox {
        Some(sandbox) => sandbox.command(binary, args, &room.0),
        None => {
            let mut cmd = Command::new(binary);
            cmd.args(args).current_dir(&room.0).env("TMPDIR", &room.0);
            cmd
        }
    }
}

/// The result channel for one test: on Unix, descriptors the child
/// inherits (the report file, and a pipe holding the nonce), so neither
/// the nonce nor the path is ever in its environment.
#[cfg(unix)]
fn handover(_cmd: &mut Command, report: &Path, nonce: &str) -> Result<Option<process::Handover>> {
    use std::io::Write;
    let file = fs::OpenOptions::new()
        .append(true)
        .open(report)
        .with_context(|| format!("opening {}", report.display()))?;
    let (reader, mut writer) = std::io::pipe().context("making the nonce's pipe")?;
    writer.write_all(nonce.as_bytes()).context("writing the nonce")?;
    drop(writer);
    Ok(Some(process::Handover { report: file, nonce: reader }))
}

/// Elsewhere, the environment (the checker removes both at once).
#[cfg(not(unix))]
fn handover(cmd: &mut Command, report: &Path, nonce: &str) -> Result<Option<process::Handover>> {
    cmd.env(protocol::REPORT_VAR, report).env(protocol::NONCE_VAR, nonce);
    Ok(None)
}

fn run_one(binary: &Path, name: &str, index: usize, scratch: &Path, options: &RunOptions) -> Result<TestRun> {
    let report = scratch.join(format!("{index}.report"));
    fs::write(&report, "").with_context(|| format!("creating {}", report.display()))?;
    let nonce = nonce();
    let impatient = options.impatience.as_ref().is_some_and(|i| i.tripped());
    let wall_limit = if impatient { options.wall_limit.min(IMPATIENT_WALL) } else { options.wall_limit };
    // The checker's own watchdog fires first, so it can say *why* the test
    // hung; the runner's kill is the backstop.
    let watchdog_ms = (wall_limit.as_millis() as u64 * 8 / 10).max(100);

    let room = Room::new()?;
    let mut cmd = test_command(
        binary,
        &["--exact", name, "--test-threads", "1", "--color", "never"],
        &room,
        options.sandbox.as_ref(),
    );
    cmd.env(WALL_LIMIT_VAR, watchdog_ms.to_string()).env("RUST_BACKTRACE", "0");
    if impatient {
        cmd.env(protocol::STUCK_VAR, IMPATIENT_STUCK_MS.to_string());
    }
    let handover = handover(&mut cmd, &report, &nonce)?;
    let limits =
        process::Limits { wall: wall_limit, memory: options.memory_limit, output_cap: options.output_cap };
    let done = process::run_with(cmd, &limits, handover)?;
    let out_of_memory = done.ran_out_of_memory();
    let Finished { exit, wall, stdout: out, stderr: err, truncated } = done;
    let text = fs::read_to_string(&report).unwrap_or_default();
    let record = Record::find(&text, &nonce).with_context(|| format!("running {name}"))?;
    let virtual_ms = record.as_ref().map(|r| r.virtual_ms);
    let (ending, timeline) = match record {
        Some(r) => (Ended::Reported { outcome: r.outcome, message: r.message, exit }, r.timeline),
        None => (Ended::Unreported { exit }, String::new()),
    };
    let mut output = out;
    if !err.is_empty() {
        if !output.is_empty() && !output.ends_with('\n') {
            output.push('\n');
        }
        output.push_str(&err);
    }
    let run = TestRun {
        name: name.to_string(),
        ending,
        virtual_ms,
        wall,
        output,
        truncated,
        out_of_memory,
        timeline,
        impatient,
    };
    if run.hung()
        && let Some(impatience) = &options.impatience
    {
        impatience.hang_seen();
    }
    Ok(run)
}
