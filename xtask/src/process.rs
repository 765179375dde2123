//! The test process: how it is started, limited and stopped, and how it
//! ended. Every test binary the runner starts goes through here, so the
//! limits (and the sandbox that builds on them) live in one place.
//!
//! What it promises, on every platform: the process gets no stdin, its
//! output is read concurrently and capped, and it is stopped at the wall
//! limit. On Unix it also runs in a process group of its own (so a kill
//! takes whatever it started), under a memory limit; see `unix.rs`.

#[cfg(unix)]
mod unix;
#[cfg(unix)]
use unix as platform;

#[cfg(not(unix))]
mod other;
#[cfg(not(unix))]
use other as platform;

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

/// This very program, to start again as a child (the sandbox's
/// trampoline, a student's grade in a class). On Linux `/proc/self/exe`,
/// which still runs when the file has been rebuilt since we started (the
/// path `current_exe` gives then ends in " (deleted)").
pub fn this_program() -> Result<std::path::PathBuf> {
    let proc_self = std::path::Path::new("/proc/self/exe");
    if cfg!(target_os = "linux") && proc_self.exists() {
        return Ok(proc_self.to_path_buf());
    }
    std::env::current_exe().context("finding the grader's own binary")
}

/// What a test process may use.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Real time before it is killed.
    pub wall: Duration,
    /// Address space, in bytes.
    pub memory: Option<u64>,
    /// Bytes of stdout and of stderr kept.
    pub output_cap: usize,
}

/// A signal that ended a process, by what it usually means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGABRT: `std::process::abort`, a panic while panicking, a failed allocation.
    Abort,
    /// SIGKILL from outside.
    Kill,
    /// SIGSEGV: a stack overflow, most often.
    Segfault,
    Other(i32),
}

/// How the process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Success,
    Code(i32),
    Signal(Signal),
    /// Stopped by us at the wall limit.
    Killed,
}

/// A process that has ended, with what it printed.
#[derive(Debug)]
pub struct Finished {
    pub exit: Exit,
    pub wall: Duration,
    pub stdout: String,
    pub stderr: String,
    /// Either stream was cut at the cap.
    pub truncated: bool,
}

impl Finished {
    /// Rust's allocator aborts with this line when the memory limit is hit.
    pub fn ran_out_of_memory(&self) -> bool {
        self.exit != Exit::Success
            && [&self.stdout, &self.stderr]
                .iter()
                .any(|s| s.contains("memory allocation of") || s.contains("out of memory"))
    }
}

/// The result channel, handed to the test process as descriptors 3 (the
/// report file) and 4 (a pipe holding the nonce): see
/// `protocol::CHANNEL_VAR`. Closed in this process once the child has them.
#[derive(Debug)]
pub struct Handover {
    pub report: std::fs::File,
    pub nonce: std::io::PipeReader,
}

/// Runs `cmd` (its stdio is set here) under `limits` and waits for it.
pub fn run(cmd: Command, limits: &Limits) -> Result<Finished> {
    run_with(cmd, limits, None)
}

/// [`run`], handing the child the result channel.
pub fn run_with(mut cmd: Command, limits: &Limits, handover: Option<Handover>) -> Result<Finished> {
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    platform::contain(&mut cmd, limits, handover.as_ref());
    let started = Instant::now();
    let program = cmd.get_program().to_string_lossy().into_owned();
    let mut child = cmd.spawn().with_context(|| format!("starting {program}"))?;
    drop(cmd);
    drop(handover);
    let cap = limits.output_cap;
    let out = child.stdout.take().map(|s| std::thread::spawn(move || read_capped(s, cap)));
    let err = child.stderr.take().map(|s| std::thread::spawn(move || read_capped(s, cap)));
    let exit = wait(&mut child, limits.wall)?;
    let wall = started.elapsed();
    let (stdout, out_cut) = out.and_then(|h| h.join().ok()).unwrap_or_default();
    let (stderr, err_cut) = err.and_then(|h| h.join().ok()).unwrap_or_default();
    Ok(Finished { exit, wall, stdout, stderr, truncated: out_cut || err_cut })
}

/// Waits for the child; past `limit`, kills it with everything it started.
fn wait(child: &mut Child, limit: Duration) -> Result<Exit> {
    let deadline = Instant::now() + limit;
    // Woken the moment the child exits where the platform can say so (a
    // test takes a few milliseconds: polling with a sleep added up to a
    // tenth of a whole grade); otherwise polled.
    let exited = platform::exit_signal(child);
    let mut pause = Duration::from_micros(200);
    loop {
        if let Some(status) = child.try_wait().context("waiting for a test process")? {
            // Anything it left behind (a spawned `sleep` holding our pipes
            // open) goes with it.
            platform::kill_group(child);
            return Ok(platform::exit_of(status));
        }
        if Instant::now() >= deadline {
            platform::kill_group(child);
            let _ = child.kill();
            child.wait().context("reaping a killed test process")?;
            return Ok(Exit::Killed);
        }
        match &exited {
            Some(signal) => platform::wait_for(signal, deadline.saturating_duration_since(Instant::now())),
            None => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(10));
            }
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(wall_ms: u64) -> Limits {
        Limits { wall: Duration::from_millis(wall_ms), memory: None, output_cap: 16 }
    }

    fn sh(script: &str) -> Command {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", script]);
        cmd
    }

    #[test]
    fn exit_codes_and_capped_output() {
        let done = run(sh("echo 0123456789abcdefghij; exit 3"), &limits(5000)).unwrap();
        assert_eq!(done.exit, Exit::Code(3));
        assert_eq!(done.stdout, "0123456789abcdef");
        assert!(done.truncated);
        assert_eq!(run(sh("true"), &limits(5000)).unwrap().exit, Exit::Success);
    }

    #[cfg(unix)]
    #[test]
    fn signals_are_named() {
        assert_eq!(run(sh("kill -ABRT $$"), &limits(5000)).unwrap().exit, Exit::Signal(Signal::Abort));
        assert_eq!(run(sh("kill -SEGV $$"), &limits(5000)).unwrap().exit, Exit::Signal(Signal::Segfault));
    }

    /// The kill at the wall limit takes the whole group: a grandchild that
    /// holds the pipes open does not keep us waiting.
    #[test]
    fn the_wall_limit_kills_everything_it_started() {
        let started = Instant::now();
        let done = run(sh("sleep 30 & sleep 30"), &limits(300)).unwrap();
        assert_eq!(done.exit, Exit::Killed);
        assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
    }
}
