//! `cargo xtask hint NAME [--level N] [--task T]`: help without the answer.
//!
//! Hints come in levels, from a nudge to nearly the answer; level 1 is
//! shown unless more is asked for, and the output says how to ask.

use anyhow::Result;

use crate::commands::{UsageError, find};
use crate::course::Course;
use crate::style;

/// `cargo xtask hint NAME [--level N] [--task T]`.
#[derive(Debug, Clone, clap::Args)]
pub struct HintArgs {
    /// The exercise: its name (`gather`), number (`1`) or directory.
    pub name: String,
    /// How far to go: 1 is a nudge, 3 is nearly the answer.
    #[arg(long, short, default_value_t = 1)]
    pub level: usize,
    /// Only this task's hints.
    #[arg(long, short)]
    pub task: Option<String>,
}

pub fn run(course: &Course, name: &str, level: usize, task: Option<&str>) -> Result<bool> {
    let exercise = find(course, name)?;
    if level == 0 {
        return Err(UsageError("--level starts at 1 (a nudge); 3 is nearly the answer".into()).into());
    }
    let tasks: Vec<_> = exercise.tasks.iter().filter(|t| task.is_none_or(|want| t.name == want)).collect();
    if tasks.is_empty() {
        let names: Vec<&str> = exercise.tasks.iter().map(|t| t.name.as_str()).collect();
        return Err(UsageError(format!(
            "{} has no task '{}'; its tasks are: {}",
            exercise.name,
            task.unwrap_or_default(),
            names.join(", ")
        ))
        .into());
    }
    println!("{}", crate::report::human::heading(exercise));
    let mut more = false;
    for (i, t) in tasks.iter().enumerate() {
        let number = exercise.tasks.iter().position(|x| x.name == t.name).unwrap_or(i) + 1;
        println!("\n  {} {}", style::bold(&format!("task {number} · {}", t.name)), style::dim(&t.summary));
        for (n, hint) in t.hints.iter().take(level).enumerate() {
            println!("    {} {hint}", style::yellow(&format!("hint {}:", n + 1)));
        }
        more |= t.hints.len() > level;
    }
    let filter = task.map(|t| format!(" --task {t}")).unwrap_or_default();
    if more {
        println!("\n  stuck still? cargo xtask hint {} --level {}{filter}", exercise.name, level + 1);
    } else {
        println!("\n  that was the last hint. The README has pitfalls: {}/README.md", exercise.dir.display());
    }
    Ok(true)
}
