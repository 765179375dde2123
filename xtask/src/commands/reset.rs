//! `cargo xtask reset NAME` (or `--all`): put an exercise's `src/` back
//! exactly as the course ships it, and forget its progress.
//!
//! It destroys work, so it shows what it will change, asks first, and
//! refuses to guess when nobody can answer: with no terminal on stdin it
//! wants `--yes`, rather than blocking or taking silence for consent.
//! The pristine stub comes from the student edition's own copy or from
//! git (see `dist::stubs`).

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::commands::dist::prune_empty_dirs;
use crate::commands::dist::stubs::{self, Origin};
use crate::commands::{UsageError, find};
use crate::course::{Course, Exercise};
use crate::stage;
use crate::state::{State, Status};
use crate::style;

#[derive(Debug, Clone, Default, clap::Args)]
pub struct ResetArgs {
    /// The exercise: its name (`gather`), number (`1`) or directory.
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub name: Option<String>,
    /// Reset every exercise (one question for all).
    #[arg(long)]
    pub all: bool,
    /// Do not ask (needed when stdin is not a terminal).
    #[arg(long, short)]
    pub yes: bool,
}

/// Resets the exercise(s); false when the learner said no.
pub fn run(course: &Course, args: &ResetArgs) -> Result<bool> {
    let exercises: Vec<&Exercise> = match (&args.name, args.all) {
        (_, true) => course.exercises.iter().collect(),
        (Some(name), false) => vec![find(course, name)?],
        (None, false) => {
            return Err(UsageError(
                "name the exercise to reset (`cargo xtask reset gather`), or reset them all with --all"
                    .into(),
            )
            .into());
        }
    };
    let mut state = State::load(&course.root);
    // Every plan is made before anything changes: an exercise without a
    // pristine stub stops the whole reset, not half of it.
    let all_plans = exercises.iter().map(|e| Plan::make(course, e, &state)).collect::<Result<Vec<_>>>()?;
    let plans: Vec<&Plan> = all_plans.iter().filter(|p| !p.is_empty()).collect();
    if plans.is_empty() {
        let what = match all_plans.as_slice() {
            [one] => format!("{} is already the stub from {}", one.src().display(), one.origin),
            _ => "every exercise's src/ is already the stub".to_string(),
        };
        println!("{what}, and no progress is recorded: nothing to reset.");
        if all_plans.iter().any(|p| p.origin == Origin::GitHead) {
            println!(
                "  (in a git checkout the stub is what HEAD has: if you committed your work, \
                 `git log -- exercises` finds the course's own version)"
            );
        }
        return Ok(true);
    }

    for plan in &plans {
        plan.describe();
    }
    if !args.yes && !confirm(&question(&plans), args)? {
        println!("nothing changed.");
        return Ok(false);
    }

    for plan in &plans {
        plan.apply(&course.root)?;
        state.forget(&plan.exercise.name);
    }
    if plans.iter().any(|p| p.progress.is_some()) {
        state.save(&course.root)?;
    }
    for plan in &plans {
        plan.report();
    }
    match plans.as_slice() {
        [one] => println!("  next: cargo xtask check {}", one.exercise.name),
        _ => println!("  next: cargo xtask"),
    }
    Ok(true)
}

/// What resetting one exercise will change.
#[derive(Debug)]
struct Plan<'c> {
    exercise: &'c Exercise,
    origin: Origin,
    pristine: BTreeMap<PathBuf, Vec<u8>>,
    /// Files under src/ that differ from the stub (or were deleted).
    restore: Vec<PathBuf>,
    /// Files under src/ the course does not ship: the learner added them.
    remove: Vec<PathBuf>,
    /// What the progress file says of the exercise, if anything.
    progress: Option<&'static str>,
}

impl<'c> Plan<'c> {
    fn make(course: &Course, exercise: &'c Exercise, state: &State) -> Result<Plan<'c>> {
        let stubs::Pristine { origin, files: pristine } = stubs::pristine(course, exercise)?;
        let src = course.root.join(exercise.src());
        let current = if src.is_dir() {
            stage::collect(&src, &|_| false).with_context(|| format!("reading {}", src.display()))?
        } else {
            BTreeMap::new()
        };
        let restore =
            pristine.iter().filter(|(p, c)| current.get(*p) != Some(c)).map(|(p, _)| p.clone()).collect();
        let remove = current.keys().filter(|p| !pristine.contains_key(*p)).cloned().collect();
        let progress = match state.status(&exercise.name) {
            Some(Status::Done) => Some("done"),
            Some(Status::Failing) => Some("failing"),
            None if state.next_task.contains_key(&exercise.name) => Some("started"),
            None => None,
        };
        Ok(Plan { exercise, origin, pristine, restore, remove, progress })
    }

    fn is_empty(&self) -> bool {
        self.restore.is_empty() && self.remove.is_empty() && self.progress.is_none()
    }

    fn src(&self) -> PathBuf {
        self.exercise.src()
    }

    fn describe(&self) {
        let e = self.exercise;
        println!(
            "{} {}",
            style::bold(&format!("reset {:02} {}:", e.number, e.name)),
            style::dim(&format!("back to the stub from {}", self.origin))
        );
        for path in &self.restore {
            println!("  restore  {}", self.src().join(path).display());
        }
        for path in &self.remove {
            println!("  {}   {} (you added it)", style::red("delete"), self.src().join(path).display());
        }
        if let Some(status) = self.progress {
            println!("  forget   its progress ({status})");
        }
    }

    /// Makes src/ hold exactly the stub, then prunes folders left empty.
    fn apply(&self, root: &Path) -> Result<()> {
        let src = root.join(self.src());
        for rel in &self.remove {
            let path = src.join(rel);
            fs::remove_file(&path).with_context(|| format!("deleting {}", path.display()))?;
        }
        for rel in &self.restore {
            let path = src.join(rel);
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
            }
            fs::write(&path, &self.pristine[rel]).with_context(|| format!("writing {}", path.display()))?;
        }
        prune_empty_dirs(&src)
    }

    fn report(&self) {
        let e = self.exercise;
        let mut done = Vec::new();
        if !self.restore.is_empty() {
            done.push(format!("{} restored", files(self.restore.len())));
        }
        if !self.remove.is_empty() {
            done.push(format!("{} deleted", files(self.remove.len())));
        }
        if self.progress.is_some() {
            done.push("progress cleared".into());
        }
        println!(
            "{} {:02} {}: {} is the stub again ({})",
            style::green("✔"),
            e.number,
            e.name,
            self.src().display(),
            done.join(", ")
        );
    }
}

fn files(n: usize) -> String {
    if n == 1 { "1 file".into() } else { format!("{n} files") }
}

fn question(plans: &[&Plan]) -> String {
    let added = plans.iter().any(|p| !p.remove.is_empty());
    let deleted = if added { ", and the files you added deleted" } else { "" };
    match plans {
        [one] => format!(
            "reset {:02} {}? your changes to {} will be lost{deleted}",
            one.exercise.number,
            one.exercise.name,
            one.src().display()
        ),
        many => format!(
            "reset {} exercises? your changes to their src/ folders will be lost{deleted}",
            many.len()
        ),
    }
}

/// Asks on the terminal; y or yes (any case) is yes, anything else no.
/// With no terminal to ask on, a usage error that says how to skip asking.
fn confirm(question: &str, args: &ResetArgs) -> Result<bool> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        let again = match (&args.name, args.all) {
            (_, true) => "cargo xtask reset --all --yes".to_string(),
            (Some(name), false) => format!("cargo xtask reset {name} --yes"),
            (None, false) => "cargo xtask reset NAME --yes".to_string(),
        };
        return Err(UsageError(format!(
            "reset asks before it overwrites your work, and stdin is not a terminal to ask on: nothing changed.\n\
             to reset without being asked: {again}"
        ))
        .into());
    }
    print!("{question} [y/N] ");
    std::io::stdout().flush().context("writing to the terminal")?;
    let mut answer = String::new();
    stdin.lock().read_line(&mut answer).context("reading the answer")?;
    Ok(matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes"))
}
