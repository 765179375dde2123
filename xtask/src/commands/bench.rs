//! `cargo xtask bench grade`: how long grading takes, measured rather than
//! asserted (no test may assert on real time).
//!
//! It makes submissions from the course itself, warms the grader's stages,
//! then times, each in a child `cargo xtask grade` as an instructor runs it:
//! - a whole **new honest** submission: each exercise's solution or one of
//!   its alternatives, in turn, so that every submission is code the grader
//!   has not just compiled. (Changing only a comment would let rustc's
//!   incremental cache reuse nearly everything: a figure no student's real
//!   submission gets.) A resubmission that changed only a comment is timed
//!   too, for comparison;
//! - a **spinning** one (every `todo!()` of the stubs an endless loop);
//! - a **class** of N mixed submissions (honest, stubs, spinning, half
//!   done, not compiling, panicking, forging its exit).
//!
//! and prints each figure against its goal: a new submission in 5 s on 2
//! cores, a spinning one in at most twice that, a class of 20 in at most
//! 20 times one submission.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::course::Course;
use crate::style;

/// `cargo xtask bench grade [--class-size N]`.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// What to measure: `grade`.
    #[arg(value_name = "WHAT")]
    pub what: String,
    /// Students in the class run.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub class_size: usize,
}

/// What a submission of the class does.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Honest,
    Stubs,
    Spinning,
    HalfDone,
    Broken,
    Panicking,
    Forging,
}

const KINDS: [Kind; 7] =
    [Kind::Honest, Kind::Stubs, Kind::Spinning, Kind::HalfDone, Kind::Broken, Kind::Panicking, Kind::Forging];

pub fn run(course: &Course, args: &BenchArgs) -> Result<bool> {
    if args.what != "grade" {
        bail!(crate::commands::UsageError(format!(
            "bench measures `grade`, not {:?}: cargo xtask bench grade",
            args.what
        )));
    }
    let scratch = std::env::temp_dir().join(format!("awaitlings-bench-{}", std::process::id()));
    let _ = fs::remove_dir_all(&scratch);
    fs::create_dir_all(&scratch).with_context(|| format!("creating {}", scratch.display()))?;
    let result = measure(course, args, &scratch);
    let _ = fs::remove_dir_all(&scratch);
    result
}

fn measure(course: &Course, args: &BenchArgs, scratch: &Path) -> Result<bool> {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    println!(
        "bench grade: {} exercises, {cores} CPUs; warming the grader's stages first…",
        course.exercises.len()
    );
    let honest = |n: usize| submission(course, &scratch.join(format!("honest-{n}")), Kind::Honest, n);
    // Warm: the grade stage and the class stage, each built once.
    grade(course, &honest(0)?, &scratch.join("warm.json"))?;
    let class1 = scratch.join("class-1");
    submission(course, &class1.join("warm"), Kind::Honest, 1)?;
    grade_class(course, &class1, &scratch.join("grades-1"))?;

    let mut new_honest = Vec::new();
    for n in 1..4 {
        new_honest.push(grade(course, &honest(n)?, &scratch.join("honest.json"))?);
    }
    new_honest.sort();
    let one = new_honest[1];
    // The last honest one again, a comment changed: what incremental
    // compilation saves a student who resubmits nearly the same code.
    let resubmitted =
        grade(course, &honest_again(course, &scratch.join("honest-again"), 3)?, &scratch.join("again.json"))?;
    let spinning = grade(
        course,
        &submission(course, &scratch.join("spinning"), Kind::Spinning, 9)?,
        &scratch.join("spin.json"),
    )?;
    let class = scratch.join("class");
    for i in 0..args.class_size {
        let kind = KINDS[i % KINDS.len()];
        submission(course, &class.join(format!("student-{i:02}-{kind:?}").to_lowercase()), kind, 100 + i)?;
    }
    let class_time = grade_class(course, &class, &scratch.join("grades"))?;

    let row = |what: &str, took: Duration, goal: Duration| {
        let mark = if took <= goal { style::green("✔") } else { style::red("✘") };
        println!("  {mark} {what:<38} {:>7.1} s   goal ≤ {:.1} s", took.as_secs_f64(), goal.as_secs_f64());
    };
    println!();
    row("a new honest submission (median of 3)", one, Duration::from_secs(5));
    println!(
        "    {:<38} {:>7.1} s   (the same code, a comment changed)",
        "a resubmission",
        resubmitted.as_secs_f64()
    );
    row("a spinning submission", spinning, one * 2);
    row(&format!("a class of {} (mixed)", args.class_size), class_time, one * args.class_size as u32);
    println!("  (goals are for 2 CPUs, warm; this machine has {cores})");
    Ok(true)
}

/// Times `cargo xtask grade --submission DIR` in a child, as an instructor runs it.
fn grade(course: &Course, submission: &Path, out: &Path) -> Result<Duration> {
    let mut cmd = Command::new(crate::process::this_program()?);
    cmd.current_dir(&course.root).arg("grade").arg("--submission").arg(submission);
    cmd.args(["--format", "json", "--output"]).arg(out).env("NO_COLOR", "1");
    timed(cmd)
}

fn grade_class(course: &Course, class: &Path, out: &Path) -> Result<Duration> {
    let mut cmd = Command::new(crate::process::this_program()?);
    cmd.current_dir(&course.root)
        .arg("grade")
        .arg("--class")
        .arg(class)
        .arg("--output")
        .arg(out)
        .env("NO_COLOR", "1");
    timed(cmd)
}

fn timed(mut cmd: Command) -> Result<Duration> {
    let started = Instant::now();
    let out = cmd.output().context("running the grader")?;
    if !out.status.success() {
        bail!("the grader failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(started.elapsed())
}

/// Writes a submission of `kind` into `dir`; `salt` makes its files new.
fn submission(course: &Course, dir: &Path, kind: Kind, salt: usize) -> Result<PathBuf> {
    fs::create_dir_all(dir.join("exercises"))?;
    let half = course.exercises.len() / 2;
    for (i, exercise) in course.exercises.iter().enumerate() {
        let solution = course.root.join(exercise.solution_dir()).join("src");
        let stub = course.root.join(exercise.src());
        let (from, edit): (&Path, fn(&str) -> String) = match kind {
            Kind::Stubs => continue,
            Kind::HalfDone if i >= half => continue,
            Kind::Honest | Kind::HalfDone => (&solution, |s| s.to_string()),
            Kind::Broken if i == 0 => (&solution, |s| format!("{s}\nfn broken( {{\n")),
            Kind::Broken => (&solution, |s| s.to_string()),
            Kind::Spinning => (&stub, |s| replace_todos(s, "loop { std::hint::spin_loop() }")),
            Kind::Panicking => (&stub, |s| replace_todos(s, "panic!(\"the student panicked\")")),
            Kind::Forging => {
                (&stub, |s| replace_todos(s, "{ println!(\"test result: ok\"); std::process::exit(0) }"))
            }
        };
        let files = crate::stage::collect(from, &|_| false)?;
        let dest = dir.join("exercises").join(exercise.dir.file_name().unwrap_or_default()).join("src");
        for (rel, content) in files {
            let text = String::from_utf8_lossy(&content);
            let mut text = edit(&text);
            text.push_str(&format!("\n// bench {salt}\n"));
            let path = dest.join(rel);
            fs::create_dir_all(path.parent().unwrap_or(&dest))?;
            fs::write(&path, text)?;
        }
        if let Kind::Honest = kind {
            // The solution, or one of the alternatives, in turn.
            let answers = crate::answers::Answers::load(&course.root.join(exercise.solution_dir()))?;
            let turn = salt % (answers.alternatives.len() + 1);
            if let Some(alternative) = turn.checked_sub(1).and_then(|i| answers.alternatives.get(i)) {
                fs::write(dest.join("lib.rs"), format!("{}\n// bench {salt}\n", alternative.text))?;
            }
        }
    }
    Ok(dir.to_path_buf())
}

/// The honest submission of `salt` again, a comment added to every file.
fn honest_again(course: &Course, dir: &Path, salt: usize) -> Result<PathBuf> {
    submission(course, dir, Kind::Honest, salt)?;
    for (rel, content) in crate::stage::collect(dir, &|_| false)? {
        let path = dir.join(rel);
        fs::write(&path, format!("{}// again\n", String::from_utf8_lossy(&content)))?;
    }
    Ok(dir.to_path_buf())
}

/// `text` with every `todo!(…)` (balanced, strings skipped) replaced by `with`.
pub fn replace_todos(text: &str, with: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("todo!(") {
        out.push_str(&rest[..at]);
        let after = &rest[at + "todo!(".len()..];
        let (mut depth, mut in_string, mut escaped, mut end) = (1, false, false, after.len());
        for (i, c) in after.char_indices() {
            match c {
                _ if escaped => escaped = false,
                '\\' if in_string => escaped = true,
                '"' => in_string = !in_string,
                '(' if !in_string => depth += 1,
                ')' if !in_string => {
                    depth -= 1;
                    if depth == 0 {
                        end = i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        out.push_str(with);
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn todos_are_replaced_whole_even_with_parentheses_in_their_text() {
        assert_eq!(replace_todos("fn a() { todo!(\"task 1 (a)\") }", "loop {}"), "fn a() { loop {} }");
        assert_eq!(replace_todos("x todo!() y todo!(\"q \\\")\") z", "L"), "x L y L z");
        assert_eq!(replace_todos("none", "L"), "none");
    }
}
