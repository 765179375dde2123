//! `cargo xtask hint NAME [--level N] [--task T | --all]`: help without
//! the answer.
//!
//! Hints come in levels, from a nudge to nearly the answer. By default
//! only the task to do next gets them (the first whose tests did not all
//! pass at the last check), at level 1, and the output says how to ask for
//! more: five tasks' hints at level 3 at once would be the whole answer.

use anyhow::Result;

use crate::commands::{UsageError, find};
use crate::course::{Course, Exercise, Task};
use crate::state::{State, Status};
use crate::style;

/// `cargo xtask hint NAME [--level N] [--task T | --all]`.
#[derive(Debug, Clone, clap::Args)]
pub struct HintArgs {
    /// The exercise: its name (`gather`), number (`1`) or directory.
    pub name: String,
    /// How far to go: 1 is a nudge, the last level is nearly the answer.
    #[arg(long, short, default_value_t = 1)]
    pub level: usize,
    /// Only this task's hints: its number (`2`) or its name (`concurrent`).
    #[arg(long, short, conflicts_with = "all")]
    pub task: Option<String>,
    /// Every task's hints (by default, only the task to do next).
    #[arg(long, short)]
    pub all: bool,
}

/// Which tasks' hints to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// The task to do next.
    Next,
    /// Every task.
    All,
    /// One task, by number or name.
    Task(String),
}

impl HintArgs {
    fn selection(&self) -> Selection {
        match (&self.task, self.all) {
            (Some(task), _) => Selection::Task(task.clone()),
            (None, true) => Selection::All,
            (None, false) => Selection::Next,
        }
    }
}

pub fn run(course: &Course, args: &HintArgs) -> Result<bool> {
    let exercise = find(course, &args.name)?;
    show(course, exercise, args.level, &args.selection())?;
    Ok(true)
}

/// The tasks `selection` picks, each with its number (from 1).
pub fn tasks<'e>(
    course: &Course,
    exercise: &'e Exercise,
    selection: &Selection,
) -> Result<Vec<(usize, &'e Task)>> {
    let numbered = exercise.tasks.iter().enumerate().map(|(i, t)| (i + 1, t));
    let picked: Vec<(usize, &Task)> = match selection {
        Selection::All => numbered.collect(),
        Selection::Task(want) => {
            let want = want.trim();
            let by_number = want.parse::<usize>().ok();
            numbered.filter(|(n, t)| t.name == want || by_number == Some(*n)).collect()
        }
        Selection::Next => {
            let state = State::load(&course.root);
            let next = state.next_task.get(&exercise.name);
            let position = next.and_then(|n| exercise.tasks.iter().position(|t| &t.name == n)).unwrap_or(0);
            numbered.skip(position).take(1).collect()
        }
    };
    if picked.is_empty() {
        if exercise.tasks.is_empty() {
            return Err(UsageError(format!(
                "{} has no tasks with hints; its README explains it: {}/README.md",
                exercise.name,
                exercise.dir.display()
            ))
            .into());
        }
        let names: Vec<String> =
            exercise.tasks.iter().enumerate().map(|(i, t)| format!("{} {}", i + 1, t.name)).collect();
        let want = match selection {
            Selection::Task(want) => want.as_str(),
            _ => "",
        };
        return Err(UsageError(format!(
            "{} has no task '{want}'; its tasks are: {} (give --task a number or a name)",
            exercise.name,
            names.join(", ")
        ))
        .into());
    }
    Ok(picked)
}

/// The last level of hints `selection` has.
pub fn levels(course: &Course, exercise: &Exercise, selection: &Selection) -> Result<usize> {
    Ok(tasks(course, exercise, selection)?.iter().map(|(_, t)| t.hints.len()).max().unwrap_or(0))
}

/// Prints the hints of the selected tasks up to `level`.
pub fn show(course: &Course, exercise: &Exercise, level: usize, selection: &Selection) -> Result<()> {
    let tasks = tasks(course, exercise, selection)?;
    let last = tasks.iter().map(|(_, t)| t.hints.len()).max().unwrap_or(0);
    if level == 0 {
        return Err(UsageError(format!("--level starts at 1 (a nudge); {last} is the last")).into());
    }
    if level > last {
        let whose = match tasks.as_slice() {
            [(n, t)] => format!("task {n} ({}) of {}", t.name, exercise.name),
            _ => format!("the tasks of {}", exercise.name),
        };
        let advice = if last == 0 {
            format!("{whose} has no hints; the README explains it: {}/README.md", exercise.dir.display())
        } else {
            format!("{whose} has {last} levels of hints: --level {last} is the last (nearly the answer)")
        };
        return Err(UsageError(format!("there is no level {level}: {advice}")).into());
    }
    println!("{}", crate::report::human::heading(exercise));
    if *selection == Selection::Next && State::load(&course.root).status(&exercise.name) == Some(Status::Done)
    {
        println!("  {}", style::dim("every test passes already; --all shows every task's hints"));
    }
    let mut more = false;
    for (number, t) in &tasks {
        let title = style::bold(&format!("task {number} · {}", t.name));
        if t.summary.is_empty() {
            println!("\n  {title}");
        } else {
            println!("\n  {title}: {}", style::dim(&t.summary));
        }
        for (n, hint) in t.hints.iter().take(level).enumerate() {
            println!("    {} {hint}", style::yellow(&format!("hint {}:", n + 1)));
        }
        more |= t.hints.len() > level;
    }
    let filter = match selection {
        Selection::Next => String::new(),
        Selection::All => " --all".to_string(),
        Selection::Task(t) => format!(" --task {t}"),
    };
    if more {
        println!("\n  stuck still? cargo xtask hint {} --level {}{filter}", exercise.name, level + 1);
    } else {
        println!("\n  that was the last hint. The README has pitfalls: {}/README.md", exercise.dir.display());
    }
    if *selection == Selection::Next && exercise.tasks.len() > 1 {
        println!(
            "  {}",
            style::dim(&format!("every task's hints: cargo xtask hint {} --all", exercise.name))
        );
    }
    Ok(())
}
