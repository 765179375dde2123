//! `cargo xtask check NAME`: build and run one exercise's tests, and say
//! what each one found.

use std::io::IsTerminal;
use std::time::Duration;

use anyhow::Result;

use crate::commands::find;
use crate::compile::CompileOptions;
use crate::course::Course;
use crate::evaluate::{Site, evaluate};
use crate::model::ExerciseResult;
use crate::model::Kind;
use crate::report::human;
use crate::runner::RunOptions;
use crate::state::{State, Status};
use crate::style;

#[derive(Debug, Clone, Default)]
pub struct CheckArgs {
    pub name: String,
    /// Run the tests on the reference solution instead.
    pub solution: bool,
    /// Show each failing test's own output too.
    pub verbose: bool,
    /// Show each passing test's schedule on the virtual clock.
    pub timeline: bool,
    pub wall_limit: Option<Duration>,
}

/// Checks one exercise and prints the verdicts; true when all pass.
pub fn run(course: &Course, args: &CheckArgs) -> Result<bool> {
    let exercise = find(course, &args.name)?;
    let package = if args.solution { exercise.solution_package() } else { exercise.package.clone() };
    let site = Site { root: course.root.clone(), package };
    let result = check_at(exercise, &site, args.wall_limit)?;
    let view = human::View { verbose: args.verbose, timeline: args.timeline };
    print!("{}", human::render(exercise, &result, view));

    if args.solution {
        return Ok(result.all_passed());
    }
    let mut state = State::load(&course.root);
    state.record(&exercise.name, if result.all_passed() { Status::Done } else { Status::Failing });
    let unfinished = exercise.tasks.iter().find(|task| {
        result.tests.iter().any(|t| t.task.as_deref() == Some(task.name.as_str()) && !t.kind.passed())
    });
    state.record_next_task(&exercise.name, unfinished.map(|t| t.name.as_str()));
    state.save(&course.root)?;
    if result.all_passed() {
        match state.current(course) {
            Some(next) => println!("  {} next: cargo xtask check {}", style::green("✔ done ·"), next.name),
            None => println!("  {}", style::green("✔ done · that was every exercise: well done!")),
        }
    } else if result.compile_error.is_none() {
        match unfinished {
            // Nothing written yet for this task: say where to start.
            Some(task)
                if result
                    .tests
                    .iter()
                    .filter(|t| t.task.as_deref() == Some(task.name.as_str()))
                    .all(|t| t.kind == Kind::NotImplemented) =>
            {
                let number = exercise.tasks.iter().position(|t| t.name == task.name).unwrap_or(0) + 1;
                println!(
                    "  next: write task {number} ({}) in {}/src/lib.rs",
                    task.name,
                    exercise.dir.display()
                );
                println!("        ({}/README.md explains it)", exercise.dir.display());
                println!("        stuck? cargo xtask hint {} --task {}", exercise.name, task.name);
            }
            _ => println!(
                "  next: read the messages above, or ask for a hint: cargo xtask hint {}",
                exercise.name
            ),
        }
    }
    Ok(result.all_passed())
}

/// Builds and runs an exercise's tests with the learner's settings.
pub fn check_at(
    exercise: &crate::course::Exercise,
    site: &Site,
    wall_limit: Option<Duration>,
) -> Result<ExerciseResult> {
    let compile_options = CompileOptions {
        target_dir: None,
        color: style::enabled(),
        show_progress: std::io::stderr().is_terminal(),
    };
    let mut run_options = RunOptions::default();
    if let Some(limit) = wall_limit {
        run_options.wall_limit = limit;
    }
    evaluate(exercise, site, &compile_options, &run_options)
}
