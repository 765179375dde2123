//! `cargo xtask`: the awaitlings front end.
//!
//! One binary for the three people who use the course: the learner
//! (no arguments for "where am I", `list`, `check`, `watch`, `hint`,
//! `solution`, `reset`), the instructor (`grade`, `gradescope-bundle`,
//! `dist`) and the maintainer (`verify`, `try`, `mutant`, `new`). A student
//! edition's `--help` shows the learner's commands only.

// Shadow std's line-printing macros in every module below: std's panic when
// stdout is a closed pipe (`cargo xtask check gather | head -1`). See out.rs.
macro_rules! println {
    () => { $crate::out::stdout(format_args!(""), true) };
    ($($arg:tt)*) => { $crate::out::stdout(format_args!($($arg)*), true) };
}
macro_rules! print {
    ($($arg:tt)*) => { $crate::out::stdout(format_args!($($arg)*), false) };
}
macro_rules! eprintln {
    () => { $crate::out::stderr(format_args!(""), true) };
    ($($arg:tt)*) => { $crate::out::stderr(format_args!($($arg)*), true) };
}

mod answers;
mod commands;
mod compile;
mod course;
mod evaluate;
mod grading;
mod limits;
mod model;
mod out;
mod process;
mod report;
mod runner;
mod sandbox;
mod stage;
mod state;
mod style;
mod submission;
mod suggest;
mod zip;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::commands::UsageError;
use crate::commands::bundle::BundleArgs;
use crate::commands::check::CheckArgs;
use crate::commands::dist::{DistArgs, edition};
use crate::commands::grade::GradeArgs;
use crate::commands::hint::HintArgs;
use crate::commands::mutant::MutantArgs;
use crate::commands::new::NewArgs;
use crate::commands::reset::ResetArgs;
use crate::commands::solution::SolutionArgs;
use crate::commands::tryout::TryArgs;
use crate::commands::verify::VerifyArgs;
use crate::commands::watch::WatchArgs;
use crate::course::Course;

/// awaitlings: async Rust exercises, graded on a virtual clock.
///
/// Run with no command to see where you are and what to do next.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask", version)]
struct Cli {
    /// Never colour the output (NO_COLOR=1 does the same).
    #[arg(long, global = true)]
    no_color: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List every exercise with its status.
    List,
    /// Build and run an exercise's tests and explain each verdict.
    Check(CheckArgs),
    /// Check the current exercise each time you save it; move on when it passes.
    Watch(WatchArgs),
    /// Show a hint for the task to do next, from a nudge (level 1) to nearly the answer.
    Hint(HintArgs),
    /// Once an exercise passes: the reference solution, to compare with yours.
    Solution(SolutionArgs),
    /// Grade a submission (or the working tree): per-test points, in the format you need.
    Grade(GradeArgs),
    /// Write a Gradescope autograder (setup.sh, run_autograder and the course) as a zip.
    GradescopeBundle(BundleArgs),
    /// Prove every test has teeth: fails on the stub and on every mutant, passes on the solution.
    Verify(VerifyArgs),
    /// Run an exercise's tests on candidate answers (whole src/lib.rs files kept elsewhere): one line each.
    Try(TryArgs),
    /// Save a mutant (a copy of the solution with one mistake) as a patch in solutions/NAME/mutants/.
    Mutant(MutantArgs),
    /// Put an exercise's src/ back as shipped (asks first) and forget its progress.
    Reset(ResetArgs),
    /// Write the student edition to DIR: exercises as stubs, no solutions, no mutants.
    Dist(DistArgs),
    /// Scaffold a new exercise (a draft) and its solution, wired to one test file.
    New(NewArgs),
    /// Measure how long grading takes (a new submission, a spinning one, a class) against its goals.
    Bench(commands::bench::BenchArgs),
}

/// Commands of the instructor's and the maintainers' copy of the course: a
/// student edition leaves them out of `--help` (those that work there,
/// such as `grade`, still do).
const NOT_FOR_LEARNERS: &[&str] =
    &["grade", "gradescope-bundle", "verify", "try", "mutant", "dist", "new", "bench"];

/// The command line, as this copy of the course offers it: in a student
/// edition, `--help` lists the learner's commands only.
fn parse() -> Cli {
    let mut command = Cli::command();
    if let Ok(course) = Course::discover()
        && edition::is_student_edition(&course.root)
    {
        command =
            command.about("awaitlings: async Rust exercises, graded on a virtual clock (student edition).");
        for name in NOT_FOR_LEARNERS {
            command = command.mut_subcommand(*name, |c| c.hide(true));
        }
        command = command.mut_subcommand("check", |c| c.mut_arg("solution", |a| a.hide(true)));
        if !commands::solution::offered(&course) {
            command = command.mut_subcommand("solution", |c| c.hide(true));
        }
    }
    let matches = command.get_matches();
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == sandbox::ENTRY) {
        sandbox::trampoline(&args[2..]);
    }
    let cli = parse();
    style::init(cli.no_color);
    match run(cli) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(err) => {
            if let Some(usage) = err.downcast_ref::<UsageError>() {
                eprintln!("{} {usage}", style::red("error:"));
                return ExitCode::from(2);
            }
            eprintln!("{} {err:#}", style::red("error:"));
            ExitCode::from(3)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<bool> {
    let course = Course::discover()?;
    // The student edition ships no solutions: say so, instead of a cargo error.
    match &cli.command {
        Some(Command::Check(CheckArgs { name, solution: true, .. })) => edition::require_solutions(
            &course,
            "check --solution",
            &format!("check your own code with: cargo xtask check {name} · stuck? cargo xtask hint {name}"),
        )?,
        Some(
            Command::Verify(_) | Command::Mutant(_) | Command::Try(_) | Command::New(_) | Command::Bench(_),
        ) => {
            edition::require_solutions(&course, "verify", "check your own code with: cargo xtask check NAME")?
        }
        Some(Command::GradescopeBundle(_)) => edition::require_solutions(
            &course,
            "gradescope-bundle",
            "the autograder it writes grades the reference solutions first",
        )?,
        _ => {}
    }
    match cli.command {
        None => commands::status::run(&course),
        Some(Command::List) => commands::list::run(&course),
        Some(Command::Check(args)) => commands::check::run(&course, &args),
        Some(Command::Watch(args)) => commands::watch::run(&course, &args),
        Some(Command::Hint(args)) => commands::hint::run(&course, &args),
        Some(Command::Solution(args)) => commands::solution::run(&course, &args),
        Some(Command::Grade(args)) => commands::grade::run(&course, &args),
        Some(Command::GradescopeBundle(args)) => commands::bundle::run(&course, &args),
        Some(Command::Verify(args)) => commands::verify::run(&course, &args),
        Some(Command::Try(args)) => commands::tryout::run(&course, &args),
        Some(Command::Mutant(args)) => commands::mutant::run(&course, &args),
        Some(Command::Reset(args)) => commands::reset::run(&course, &args),
        Some(Command::Dist(args)) => commands::dist::run(&course, &args),
        Some(Command::New(args)) => commands::new::run(&course, &args),
        Some(Command::Bench(args)) => commands::bench::run(&course, &args),
    }
}
