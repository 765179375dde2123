//! Building an exercise's tests with cargo, one package at a time, so one
//! exercise's compile error never hides another's result.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result};
use serde_json::Value;

mod offline;

/// What building a package's tests came to.
#[derive(Debug)]
pub enum Built {
    /// The test binaries, ready to list and run, and what rustc warned
    /// about on the way.
    Binaries(Vec<PathBuf>, Vec<Warning>, Programs),

    /// rustc's (or cargo's) errors, rendered as rustc renders them.
    Failed(String),
}

/// The package's own programs (`[[bin]]` targets), which its tests may run
/// (`CARGO_BIN_EXE_<name>`): the grading sandbox lets a test run these and
/// nothing else.
pub type Programs = Vec<PathBuf>;

/// One warning of rustc's, where it points.
///
/// A warning is often the bug itself: `tokio::time::sleep(d);` without
/// `.await` compiles, with rustc saying "unused implementer of `Future`
/// that must be used" at that very line, and the test then hangs or fails
/// on timing. `check` shows the learner's own warnings first.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Warning {
    /// rustc's one-line message: "unused `Sleep` that must be used".
    pub message: String,
    /// The lint, when there is one: `unused_must_use`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The primary span's file, as rustc names it (relative to the
    /// workspace for the workspace's own packages), and its line.
    pub file: String,
    pub line: u64,
    /// As rustc renders it, with the source line and the caret.
    pub rendered: String,
}

impl Warning {
    fn from_message(message: &Value) -> Option<Warning> {
        if message["level"].as_str() != Some("warning") {
            return None;
        }
        let spans = message["spans"].as_array()?;
        let span = spans.iter().find(|s| s["is_primary"].as_bool() == Some(true)).or(spans.first())?;
        Some(Warning {
            message: message["message"].as_str()?.to_string(),
            code: message["code"]["code"].as_str().map(str::to_string),
            file: span["file_name"].as_str()?.to_string(),
            line: span["line_start"].as_u64()?,
            rendered: message["rendered"].as_str()?.trim_end().to_string(),
        })
    }

    /// Whether it points into `dir` (relative to the workspace root).
    pub fn is_under(&self, dir: &Path) -> bool {
        Path::new(&self.file).starts_with(dir)
    }
}

/// How to run cargo.
#[derive(Debug, Clone, Default)]
pub struct CompileOptions {
    /// A target directory other than the workspace's own (staged copies
    /// share the course's, so dependencies are built once).
    pub target_dir: Option<PathBuf>,
    /// Ask rustc for coloured diagnostics.
    pub color: bool,
    /// Let cargo's progress ("Compiling tokio …") through to the terminal.
    pub show_progress: bool,
    /// Build inside the grading sandbox (`grade`): the submission's code
    /// is compiled, and `include_str!` must not read outside the stage.
    pub sandbox: Option<crate::sandbox::Sandbox>,
}

/// The cargo the xtask was started with (`cargo run` sets `CARGO`).
pub fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    // Variables `cargo run` gives the xtask must not leak into the builds
    // it starts, or they would be built as if they were the xtask.
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        if key.starts_with("CARGO_PKG_") || key == "CARGO_MANIFEST_DIR" || key == "CARGO_PRIMARY_PACKAGE" {
            cmd.env_remove(key.as_ref());
        }
    }
    cmd
}

/// `cargo test --no-run -p PACKAGE` in the workspace at `root`.
pub fn build_tests(root: &Path, package: &str, options: &CompileOptions) -> Result<Built> {
    let format = if options.color { "json-diagnostic-rendered-ansi" } else { "json" };
    let mut cmd = cargo();
    cmd.current_dir(root)
        .args(["test", "--no-run", "--message-format", format, "--package", package])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(if options.show_progress { Stdio::inherit() } else { Stdio::piped() });
    if let Some(dir) = &options.target_dir {
        cmd.env("CARGO_TARGET_DIR", dir);
    }
    let mut child = cmd.spawn().context("starting cargo: is the Rust toolchain installed and on PATH?")?;
    let stderr = child.stderr.take().map(|mut s| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = s.read_to_string(&mut text);
            text
        })
    });

    let mut binaries = Vec::new();
    let mut programs = Vec::new();
    let mut errors = Vec::new();
    let mut warnings: Vec<Warning> = Vec::new();
    let stdout = child.stdout.take().context("cargo's output")?;
    for line in BufReader::new(stdout).lines() {
        let line = line.context("reading cargo's output")?;
        let Ok(msg) = serde_json::from_str::<Value>(&line) else { continue };
        match msg["reason"].as_str() {
            Some("compiler-message") => {
                if msg["message"]["level"].as_str().is_some_and(|l| l == "error" || l.starts_with("error"))
                    && let Some(rendered) = msg["message"]["rendered"].as_str()
                {
                    errors.push(rendered.to_string());
                } else if let Some(warning) = Warning::from_message(&msg["message"])
                    // A library built for its own tests and for the test
                    // binaries warns twice.
                    && !warnings.contains(&warning)
                {
                    warnings.push(warning);
                }
            }
            Some("compiler-artifact") => {
                let kind = |k: &str| {
                    msg["target"]["kind"]
                        .as_array()
                        .is_some_and(|kinds| kinds.iter().any(|x| x.as_str() == Some(k)))
                };
                if let Some(exe) = msg["executable"].as_str() {
                    if kind("test") {
                        binaries.push(PathBuf::from(exe));
                    } else if kind("bin") {
                        programs.push(PathBuf::from(exe));
                    }
                }
            }
            _ => {}
        }
    }
    let status = child.wait().context("waiting for cargo")?;
    let stderr = stderr.and_then(|h| h.join().ok()).unwrap_or_default();
    if status.success() {
        return Ok(Built::Binaries(binaries, warnings, programs));
    }
    if errors.is_empty() {
        // Not rustc: a broken manifest, a missing dependency, a lock file.
        let tail: Vec<&str> = stderr.lines().filter(|l| !is_progress(l)).collect();
        errors.push(if tail.is_empty() { format!("cargo failed ({status})") } else { tail.join("\n") });
    }
    Ok(Built::Failed(errors.join("\n")))
}

/// Builds the tests of many packages of the workspace at `root` in one
/// cargo run (`cargo build --tests --keep-going`): cargo compiles them in
/// parallel and shares the work they have in common, and one package's
/// compile error does not stop the others. `packages` are (name, folder
/// relative to `root`); each gets its own [`Built`], told apart by the
/// manifest each of cargo's messages names.
pub fn build_many(
    root: &Path,
    packages: &[(String, PathBuf)],
    options: &CompileOptions,
) -> Result<Vec<Built>> {
    let format = if options.color { "json-diagnostic-rendered-ansi" } else { "json" };
    let mut cmd = cargo();
    cmd.current_dir(root).args(["build", "--tests", "--keep-going", "--message-format", format]);
    for (name, _) in packages {
        cmd.args(["--package", name]);
    }
    if let Some(dir) = &options.target_dir {
        cmd.env("CARGO_TARGET_DIR", dir);
    }
    let room = crate::sandbox::Room::new()?;
    if let Some(sandbox) = &options.sandbox {
        // Dependencies are fetched first, outside: the build has no network.
        let outside = offline::prepare(root)?;
        cmd = sandbox.build_command(&cmd, root, &outside, &room.0);
    }
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(if options.show_progress {
        Stdio::inherit()
    } else {
        Stdio::piped()
    });
    let mut child = cmd.spawn().context("starting cargo: is the Rust toolchain installed and on PATH?")?;
    let stderr = child.stderr.take().map(|mut s| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = s.read_to_string(&mut text);
            text
        })
    });
    let dirs: Vec<PathBuf> = packages.iter().map(|(_, dir)| root.join(dir)).collect();
    let owner = |msg: &Value| {
        let manifest = PathBuf::from(msg["manifest_path"].as_str().unwrap_or_default());
        dirs.iter().position(|d| manifest.parent() == Some(d.as_path()))
    };
    let mut binaries = vec![Vec::new(); packages.len()];
    let mut programs = vec![Vec::new(); packages.len()];
    let mut errors = vec![Vec::new(); packages.len()];
    let mut warnings: Vec<Vec<Warning>> = vec![Vec::new(); packages.len()];
    let stdout = child.stdout.take().context("cargo's output")?;
    for line in BufReader::new(stdout).lines() {
        let line = line.context("reading cargo's output")?;
        let Ok(msg) = serde_json::from_str::<Value>(&line) else { continue };
        let Some(i) = owner(&msg) else { continue };
        match msg["reason"].as_str() {
            Some("compiler-message") => {
                if msg["message"]["level"].as_str().is_some_and(|l| l == "error" || l.starts_with("error"))
                    && let Some(rendered) = msg["message"]["rendered"].as_str()
                {
                    errors[i].push(rendered.to_string());
                } else if let Some(warning) = Warning::from_message(&msg["message"])
                    && !warnings[i].contains(&warning)
                {
                    warnings[i].push(warning);
                }
            }
            Some("compiler-artifact") => {
                let kind = |k: &str| {
                    msg["target"]["kind"]
                        .as_array()
                        .is_some_and(|kinds| kinds.iter().any(|x| x.as_str() == Some(k)))
                };
                if let Some(exe) = msg["executable"].as_str() {
                    if kind("test") {
                        binaries[i].push(PathBuf::from(exe));
                    } else if kind("bin") {
                        programs[i].push(PathBuf::from(exe));
                    }
                }
            }
            _ => {}
        }
    }
    let status = child.wait().context("waiting for cargo")?;
    let stderr = stderr.and_then(|h| h.join().ok()).unwrap_or_default();
    let mut out = Vec::with_capacity(packages.len());
    for ((((binaries, errors), warnings), programs), (package, _)) in
        binaries.into_iter().zip(errors).zip(warnings).zip(programs).zip(packages)
    {
        out.push(if !errors.is_empty() {
            Built::Failed(errors.join("\n"))
        } else if status.success() || !binaries.is_empty() {
            Built::Binaries(binaries, warnings, programs)
        } else {
            // Not rustc: a broken manifest, a dependency that failed, one
            // missing from cargo's home since it was fetched.
            if options.sandbox.is_some() {
                offline::forget(root);
            }
            Built::Failed(cargo_failure(&stderr, package).unwrap_or_else(|| {
                let tail: Vec<&str> = stderr.lines().filter(|l| !is_progress(l)).collect();
                if tail.is_empty() { format!("cargo failed ({status})") } else { tail.join("\n") }
            }))
        });
    }
    Ok(out)
}

/// What cargo said of `package` alone, when its compiler failed without
/// an error of its own (it was killed): the block that starts "error: could
/// not compile `package`", with the compiler's command line (a screenful of
/// flags) cut out, and what the signal most likely means.
fn cargo_failure(stderr: &str, package: &str) -> Option<String> {
    let lines: Vec<&str> = stderr.lines().collect();
    let start = lines.iter().position(|l| l.starts_with(&format!("error: could not compile `{package}`")))?;
    let mut block = vec![lines[start].to_string()];
    for line in &lines[start + 1..] {
        if line.starts_with("error:") || line.starts_with("warning:") || is_progress(line) {
            break;
        }
        const QUOTED: &str = "didn't exit successfully: `";
        block.push(match (line.find(QUOTED), line.rfind("` (")) {
            (Some(a), Some(b)) if b > a + QUOTED.len() => {
                let command = &line[a + QUOTED.len()..b];
                let program = command.split_whitespace().next().unwrap_or("rustc");
                let program = Path::new(program).file_name().map_or(program.into(), |n| n.to_string_lossy());
                format!("{}{program}`{}", &line[..a + QUOTED.len()], &line[b + 1..])
            }
            _ => line.to_string(),
        });
    }
    while block.last().is_some_and(|l| l.trim().is_empty()) {
        block.pop();
    }
    let text = block.join("\n");
    let why = if text.contains("SIGKILL") || text.contains("SIGXCPU") {
        "\nthe compiler was stopped: it ran past its limit of CPU time. Does your code make the compiler work \
         without end: a constant computed by an endless loop, a macro that expands forever?"
    } else if text.contains("SIGABRT") || text.contains("SIGSEGV") {
        "\nthe compiler crashed, most likely out of its memory: does your code make it build something huge \
         (include_bytes! of a device, an enormous constant, a macro that expands without end)?"
    } else {
        ""
    };
    Some(format!("{text}{why}"))
}

/// cargo's own progress lines, which say nothing about what went wrong.
fn is_progress(line: &str) -> bool {
    let line = line.trim_start();
    ["Compiling", "Blocking", "Finished", "Executable", "Downloaded", "Downloading", "Updating", "Locking"]
        .iter()
        .any(|word| line.starts_with(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// cargo's stderr when two exercises failed in one run: one with a
    /// rustc error, one whose compiler the CPU limit killed (as measured).
    const TWO_FAILED: &str = "   Compiling gather v0.1.0 (/stage/exercises/01-gather)
error: could not compile `gather` (lib) due to 1 previous error
warning: build failed, waiting for other jobs to finish...
error: could not compile `timeout` (lib); 6 warnings emitted

Caused by:
  process didn't exit successfully: `/root/.rustup/toolchains/stable/bin/rustc --crate-name timeout --edition=2024 exercises/03-timeout/src/lib.rs --check-cfg 'cfg(docsrs,test)' -C metadata=6518ec90` (signal: 9, SIGKILL: kill)
";

    #[test]
    fn a_killed_compiler_is_reported_for_its_own_package_in_a_few_words() {
        let text = cargo_failure(TWO_FAILED, "timeout").unwrap();
        assert!(
            text.starts_with(
                "error: could not compile `timeout` (lib); 6 warnings emitted\n\nCaused by:\n  \
                 process didn't exit successfully: `rustc` (signal: 9, SIGKILL: kill)\n"
            ),
            "{text}"
        );
        assert!(text.contains("ran past its limit of CPU time"), "{text}");
        assert!(!text.contains("gather") && !text.contains("--crate-name"), "{text}");
        assert_eq!(cargo_failure(TWO_FAILED, "semaphore"), None, "cargo said nothing of it");
    }
}
