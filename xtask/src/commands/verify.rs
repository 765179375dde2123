//! `cargo xtask verify [NAME...]`: proof that every test has teeth.
//!
//! For each exercise, in a staged copy of the course:
//! - the **stub** compiles and fails every test (a test that passes on the
//!   stub checks nothing);
//! - the **solution**, laid into the exercise's own crate, passes every test
//!   (so the exercise's Cargo.toml has everything a solution needs);
//! - every **mutant** (`solutions/NAME/mutants/*.rs`, a stand-in for the
//!   solution's `src/lib.rs` with one plausible mistake) compiles and is
//!   caught by at least one test.
//!
//! It also checks exercise.toml against the tests: every test belongs to a
//! task, every task has at least three hints, every `[points]` entry names
//! a real test.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};

use crate::compile::CompileOptions;
use crate::course::{Course, Exercise};
use crate::evaluate::{Site, evaluate};
use crate::linediff;
use crate::model::ExerciseResult;
use crate::runner::RunOptions;
use crate::stage::Stage;
use crate::style;

/// Hints each task needs, from a nudge to nearly the answer.
const MIN_HINTS: usize = 3;

/// Lines (removed plus added) past which a mutant is no longer "the
/// solution with one mistake": most likely the solution changed and the
/// mutant, a full copy, was left behind.
const MAX_MUTANT_LINES: usize = 80;

pub fn run(course: &Course, names: &[String], wall_limit: Option<Duration>) -> Result<bool> {
    let exercises: Vec<&Exercise> = if names.is_empty() {
        course.exercises.iter().collect()
    } else {
        names.iter().map(|n| crate::commands::find(course, n)).collect::<Result<_>>()?
    };
    let stage = Stage::prepare(&course.root, &course.root.join("target/awaitlings/stage/verify"))
        .context("staging a copy of the course")?;
    let compile_options =
        CompileOptions { target_dir: Some(stage.target_dir()), color: false, show_progress: false };
    let mut run_options = RunOptions::default();
    if let Some(limit) = wall_limit {
        run_options.wall_limit = limit;
    }

    let mut problems = 0;
    for exercise in exercises {
        println!("{}", crate::report::human::heading(exercise));
        let verifier = Verifier {
            course,
            exercise,
            stage: &stage,
            compile_options: &compile_options,
            run_options: &run_options,
        };
        let found = verifier.verify()?;
        problems += found;
    }
    if problems == 0 {
        println!(
            "{}",
            style::green(
                "verify: every test fails on its stub, passes on its solution, and every mutant is caught"
            )
        );
    } else {
        println!("{}", style::red(&format!("verify: {problems} problem(s), listed above with ✘")));
    }
    Ok(problems == 0)
}

struct Verifier<'a> {
    course: &'a Course,
    exercise: &'a Exercise,
    stage: &'a Stage,
    compile_options: &'a CompileOptions,
    run_options: &'a RunOptions,
}

fn ok(text: &str) {
    println!("  {} {text}", style::green("✔"));
}

fn problem(text: &str) -> usize {
    println!("  {} {text}", style::red("✘"));
    1
}

impl Verifier<'_> {
    fn evaluate_with(&self, src: &Path, lib: Option<&Path>) -> Result<ExerciseResult> {
        self.stage.lay_src(&self.exercise.dir, src, lib)?;
        let site = Site { root: self.stage.root.clone(), package: self.exercise.package.clone() };
        evaluate(self.exercise, &site, self.compile_options, self.run_options)
    }

    fn verify(&self) -> Result<usize> {
        let (course, exercise) = (self.course, self.exercise);
        let mut problems = 0;
        let stub_src = course.root.join(&exercise.dir).join("src");
        let solution_src = course.root.join(exercise.solution_dir()).join("src");

        let stub = self.evaluate_with(&stub_src, None)?;
        if let Some(errors) = &stub.compile_error {
            problems += problem(&format!("the stub does not compile:\n{errors}"));
        } else {
            let passing: Vec<&str> =
                stub.tests.iter().filter(|t| t.kind.passed()).map(|t| t.name.as_str()).collect();
            if passing.is_empty() && !stub.tests.is_empty() {
                ok(&format!("stub: all {} tests fail", stub.tests.len()));
            } else if stub.tests.is_empty() {
                problems += problem("the exercise has no tests");
            } else {
                problems += problem(&format!(
                    "these tests pass on the stub, so they check nothing: {}",
                    passing.join(", ")
                ));
            }
        }
        problems += self.check_manifest(&stub);

        if !solution_src.is_dir() {
            problems += problem(&format!("no solution at {}", exercise.solution_dir().display()));
            return Ok(problems);
        }
        let solution = self.evaluate_with(&solution_src, None)?;
        if let Some(errors) = &solution.compile_error {
            problems += problem(&format!(
                "the solution does not compile inside the exercise's crate (does the exercise's Cargo.toml have its dependencies?):\n{errors}"
            ));
        } else if solution.all_passed() {
            ok(&format!("solution: all {} tests pass", solution.tests.len()));
        } else {
            for t in solution.tests.iter().filter(|t| !t.kind.passed()) {
                problems += problem(&format!("the solution fails {}:\n{}", t.name, indent(&t.message)));
            }
        }

        let mutants = mutants(&course.root.join(exercise.solution_dir()).join("mutants"))?;
        if mutants.is_empty() {
            problems +=
                problem("no mutants in solutions/NAME/mutants/: add wrong answers a learner would write");
        }
        let solution_lib = fs::read_to_string(solution_src.join("lib.rs")).unwrap_or_default();
        for mutant in &mutants {
            let name = mutant.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            let text = fs::read_to_string(mutant).with_context(|| format!("reading {}", mutant.display()))?;
            let (removed, added) = linediff::removed_added(&solution_lib, &text);
            let label = format!("{name} (−{removed} +{added} lines)");
            if removed + added > MAX_MUTANT_LINES {
                problems += problem(&format!(
                    "mutant {label} is {} lines away from the solution: a mutant is the solution with one \
                     mistake. Has the solution changed since it was written? Copy the solution again and \
                     make the one mistake.",
                    removed + added
                ));
                continue;
            }
            if removed + added == 0 {
                problems += problem(&format!(
                    "mutant {name} is the solution itself: make the mistake it is named for"
                ));
                continue;
            }
            let result = self.evaluate_with(&solution_src, Some(mutant))?;
            if let Some(errors) = &result.compile_error {
                problems += problem(&format!("mutant {label} does not compile:\n{}", indent(errors)));
                continue;
            }
            let caught: Vec<&str> =
                result.tests.iter().filter(|t| !t.kind.passed()).map(|t| t.name.as_str()).collect();
            if caught.is_empty() {
                problems += problem(&format!(
                    "mutant {label} survives: no test fails on it. Add a test that catches it."
                ));
            } else {
                let shown: Vec<&str> = caught.iter().take(3).copied().collect();
                let more =
                    if caught.len() > 3 { format!(" and {} more", caught.len() - 3) } else { String::new() };
                ok(&format!("mutant {label}: caught by {}{more}", shown.join(", ")));
            }
        }
        // Leave the stage holding the stub again.
        self.stage.lay_src(&exercise.dir, &stub_src, None)?;
        Ok(problems)
    }

    /// exercise.toml against the tests the stub build listed.
    fn check_manifest(&self, stub: &ExerciseResult) -> usize {
        let exercise = self.exercise;
        let mut problems = 0;
        if exercise.tasks.is_empty() {
            problems += problem("exercise.toml lists no [[tasks]]");
        }
        for task in &exercise.tasks {
            if task.hints.len() < MIN_HINTS {
                problems += problem(&format!(
                    "task {} has {} hint(s); give at least {MIN_HINTS}, from a nudge to nearly the answer",
                    task.name,
                    task.hints.len()
                ));
            }
            if !stub.tests.iter().any(|t| t.task.as_deref() == Some(task.name.as_str())) {
                problems +=
                    problem(&format!("task {} has no test (test names start with the task name)", task.name));
            }
        }
        for t in stub.tests.iter().filter(|t| t.task.is_none()) {
            problems +=
                problem(&format!("test {} belongs to no task: start its name with a task's name", t.name));
        }
        for name in exercise.pointed_tests() {
            if !stub.tests.iter().any(|t| t.name == name) {
                problems += problem(&format!("[points] names {name}, which is not a test"));
            }
        }
        problems
    }
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("      {l}")).collect::<Vec<_>>().join("\n")
}

fn mutants(dir: &Path) -> Result<Vec<PathBuf>> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut found: Vec<PathBuf> = fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    found.sort();
    Ok(found)
}
