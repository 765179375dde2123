//! `cargo xtask mutant NAME BUG --from FILE`: saves a mutant as a patch.
//!
//! The maintainer's loop: copy the solution's `src/lib.rs` somewhere, make
//! one mistake in it, and save it here. The patch lands in
//! `solutions/NAME/mutants/BUG.patch`; `cargo xtask verify NAME` then tries
//! it. `--show` prints a saved mutant applied, to start from it again.

use std::fs;
use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::answers::{self, Answers};
use crate::commands::UsageError;
use crate::course::Course;

/// `cargo xtask mutant NAME BUG (--from FILE | --show)`.
#[derive(Debug, clap::Args)]
pub struct MutantArgs {
    /// The exercise.
    pub name: String,
    /// The mutant's name: the mistake it makes (`awaits_in_turn`).
    pub bug: String,
    /// The mutated copy of the solution's src/lib.rs.
    #[arg(long, value_name = "FILE", required_unless_present = "show")]
    pub from: Option<PathBuf>,
    /// Print the saved mutant applied to the solution instead.
    #[arg(long, conflicts_with = "from")]
    pub show: bool,
}

pub fn run(course: &Course, args: &MutantArgs) -> Result<bool> {
    let exercise = crate::commands::find(course, &args.name)?;
    if args.bug.is_empty() || !args.bug.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        return Err(UsageError(format!(
            "'{}' cannot name a mutant: use letters, digits and _ (say what the mistake is: awaits_in_turn)",
            args.bug
        ))
        .into());
    }
    let solution_dir = course.root.join(exercise.solution_dir());
    let answers = Answers::load(&solution_dir)?;
    let patch_path = solution_dir.join("mutants").join(format!("{}.patch", args.bug));
    let shown = patch_path.strip_prefix(&course.root).unwrap_or(&patch_path).display().to_string();

    if args.show {
        let mutant = answers.mutants.iter().find(|m| m.name == args.bug).ok_or_else(|| {
            UsageError(format!(
                "no mutant {shown}; `cargo xtask mutant {} BUG --from FILE` saves one",
                exercise.name
            ))
        })?;
        match &mutant.applied {
            Ok(text) => print!("{text}"),
            Err(why) => anyhow::bail!("{shown}: {why}"),
        }
        return Ok(true);
    }

    let Some(from) = &args.from else {
        return Err(UsageError(format!(
            "say where the mutated file is: cargo xtask mutant {} {} --from FILE\n\
             (FILE is a copy of {}/src/lib.rs with one mistake made in it)",
            exercise.name,
            args.bug,
            exercise.solution_dir().display()
        ))
        .into());
    };
    let mutated = fs::read_to_string(from).with_context(|| format!("reading {}", from.display()))?;
    if mutated == answers.solution {
        return Err(UsageError(format!(
            "{} is the solution itself: make the mistake the mutant is named for first",
            from.display()
        ))
        .into());
    }
    let patch = answers::make_patch(&answers.solution, &mutated);
    if let Some(dir) = patch_path.parent() {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    fs::write(&patch_path, &patch).with_context(|| format!("writing {}", patch_path.display()))?;
    println!("saved {shown}; try it with: cargo xtask verify {}", exercise.name);
    Ok(true)
}
