//! `cargo xtask solution NAME`: the reference solution, to compare with
//! yours once it passes (as rustlings does).
//!
//! Refused until the exercise passes: read before, it would be the answer,
//! not a comparison. The full course has it in `solutions/NAME/src/`; a
//! student edition only when the instructor shipped it on purpose
//! (`dist --with-solutions`, into `.awaitlings/solutions/NAME/src/`).

use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::commands::dist::edition;
use crate::commands::{UsageError, find};
use crate::course::{Course, Exercise};
use crate::state::{State, Status};
use crate::style;

#[derive(Debug, Clone, clap::Args)]
pub struct SolutionArgs {
    /// The exercise: its name (`gather`), number (`1`) or directory. It must pass first.
    pub name: String,
}

/// The reference solution's `lib.rs`, relative to the course root, in this
/// copy of the course.
pub fn path(course: &Course, exercise: &Exercise) -> PathBuf {
    if edition::is_student_edition(&course.root) {
        edition::shipped_solution_dir(exercise).join("src/lib.rs")
    } else {
        exercise.solution_dir().join("src/lib.rs")
    }
}

/// Whether this copy of the course has `exercise`'s reference solution.
pub fn available(course: &Course, exercise: &Exercise) -> bool {
    course.root.join(path(course, exercise)).is_file()
}

/// Whether `solution` is a command of this copy of the course (a student
/// edition without solutions does not have it).
pub fn offered(course: &Course) -> bool {
    !edition::is_student_edition(&course.root) || course.exercises.iter().any(|e| available(course, e))
}

pub fn run(course: &Course, args: &SolutionArgs) -> Result<bool> {
    let exercise = find(course, &args.name)?;
    if !offered(course) {
        return Err(UsageError(
            "this student edition has no reference solutions: your instructor keeps them.\n\
             your own code passing every test is the proof it works: cargo xtask check NAME"
                .into(),
        )
        .into());
    }
    if State::load(&course.root).status(&exercise.name) != Some(Status::Done) {
        return Err(UsageError(format!(
            "the reference solution of {name} is shown once your code passes every test: it is for comparing, \
             not for copying.\ncheck yours: cargo xtask check {name} · stuck? cargo xtask hint {name}",
            name = exercise.name
        ))
        .into());
    }
    let rel = path(course, exercise);
    if !available(course, exercise) {
        return Err(UsageError(format!(
            "{} has no reference solution here ({})",
            exercise.name,
            rel.display()
        ))
        .into());
    }
    let text = std::fs::read_to_string(course.root.join(&rel))
        .with_context(|| format!("reading {}", rel.display()))?;
    println!("{}", crate::report::human::heading(exercise));
    println!(
        "  {} {}, to compare with yours in {}/lib.rs:\n",
        style::green("the reference solution:"),
        rel.display(),
        exercise.src().display()
    );
    for line in text.lines() {
        println!("    {line}");
    }
    let alternatives = course.root.join(exercise.solution_dir()).join("alternatives");
    if alternatives.is_dir() && !edition::is_student_edition(&course.root) {
        println!(
            "\n  other correct answers, in other idioms: {}",
            exercise.solution_dir().join("alternatives").display()
        );
    }
    println!("\n  {}", style::dim("yours passes every test too: a different answer can be just as right."));
    Ok(true)
}
