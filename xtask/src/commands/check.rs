//! `cargo xtask check NAME`: build and run one exercise's tests, and say
//! what each one found.

use std::io::IsTerminal;

use anyhow::Result;

use crate::commands::find;
use crate::compile::CompileOptions;
use crate::course::Course;
use crate::evaluate::{Site, evaluate};
use crate::grading::{GradeReport, GradedExercise};
use crate::limits::LimitArgs;
use crate::model::ExerciseResult;
use crate::model::Kind;
use crate::report::{self, Format, human};
use crate::state::{State, Status};
use crate::style;

/// `cargo xtask check NAME [--solution] [--verbose] [--timeline]`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct CheckArgs {
    /// The exercise: its name (`gather`), number (`1`) or directory.
    pub name: String,
    /// Run the tests on the reference solution instead.
    #[arg(long)]
    pub solution: bool,
    /// Also show each failing test's own output.
    #[arg(long, short)]
    pub verbose: bool,
    /// Also draw each passing test's schedule on the virtual clock.
    #[arg(long, short)]
    pub timeline: bool,
    /// Report format: human (the default) explains each verdict; json, gradescope and junit are the grader's.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// What a check found, for whoever asked (the command line, watch).
#[derive(Debug)]
pub struct Checked {
    pub all_passed: bool,
    /// When it passed: the exercise to do next (None: the course is done).
    pub next: Option<String>,
}

/// Checks one exercise and prints the verdicts; true when all pass.
pub fn run(course: &Course, args: &CheckArgs) -> Result<bool> {
    Ok(check(course, args)?.all_passed)
}

/// Checks one exercise, prints the verdicts and records the progress.
pub fn check(course: &Course, args: &CheckArgs) -> Result<Checked> {
    let exercise = find(course, &args.name)?;
    let package = if args.solution { exercise.solution_package() } else { exercise.package.clone() };
    let site = Site { root: course.root.clone(), package };
    let result = check_at(exercise, &site, &args.limits)?;
    if args.format != Format::Human {
        let report = GradeReport::new(vec![GradedExercise { result, submitted: true }], Vec::new(), 0.0);
        print!("{}", report::render(&report, args.format)?);
        let all_passed = report.score >= report.max_score;
        return Ok(Checked { all_passed, next: None });
    }
    let view = human::View { verbose: args.verbose, timeline: args.timeline };
    print!("{}", human::render(exercise, &result, view));

    if args.solution {
        return Ok(Checked { all_passed: result.all_passed(), next: None });
    }
    let mut state = State::load(&course.root);
    state.record(&exercise.name, if result.all_passed() { Status::Done } else { Status::Failing });
    let unfinished = exercise.tasks.iter().find(|task| {
        result.tests.iter().any(|t| t.task.as_deref() == Some(task.name.as_str()) && !t.kind.passed())
    });
    state.record_next_task(&exercise.name, unfinished.map(|t| t.name.as_str()));
    state.save(&course.root)?;
    let next = state.current(course).map(|e| e.name.clone());
    if result.all_passed() {
        match &next {
            Some(next) => println!("  {} next: cargo xtask check {next}", style::green("✔ done ·")),
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
    Ok(Checked { all_passed: result.all_passed(), next })
}

/// Builds and runs an exercise's tests with the learner's settings.
pub fn check_at(
    exercise: &crate::course::Exercise,
    site: &Site,
    limits: &LimitArgs,
) -> Result<ExerciseResult> {
    let compile_options = CompileOptions {
        target_dir: None,
        color: style::enabled(),
        show_progress: std::io::stderr().is_terminal(),
    };
    evaluate(exercise, site, &compile_options, &limits.run_options())
}
