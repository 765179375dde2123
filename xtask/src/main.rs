//! `cargo xtask`: the awaitlings front end.
//!
//! One binary for the three people who use the course: the learner
//! (no arguments for "where am I", `list`, `check`, `watch`, `hint`,
//! `reset`), the instructor (`grade`, `gradescope-bundle`, `dist`) and the
//! maintainer (`verify`).

mod answers;
mod commands;
mod compile;
mod course;
mod evaluate;
mod grading;
mod model;
mod report;
mod runner;
mod stage;
mod state;
mod style;
mod submission;
mod suggest;
mod zip;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::commands::UsageError;
use crate::commands::bundle::BundleArgs;
use crate::commands::check::CheckArgs;
use crate::commands::dist::{DistArgs, edition};
use crate::commands::grade::{self, GradeArgs};
use crate::commands::reset::ResetArgs;
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
    Check {
        /// The exercise: its name (`gather`), number (`1`) or directory.
        name: String,
        /// Run the tests on the reference solution instead.
        #[arg(long)]
        solution: bool,
        /// Also show each failing test's own output.
        #[arg(long, short)]
        verbose: bool,
        /// Also draw each passing test's schedule on the virtual clock.
        #[arg(long, short)]
        timeline: bool,
        /// Real-time limit per test, in seconds.
        #[arg(long, value_name = "SECS", value_parser = parse_secs)]
        wall_limit: Option<Duration>,
    },
    /// Check the current exercise each time you save it; move on when it passes.
    Watch {
        /// The exercise to start with (default: the first one not done).
        name: Option<String>,
        /// Do not watch files: press Enter to check (where saves go unnoticed).
        #[arg(long, conflicts_with = "poll")]
        manual: bool,
        /// Look for changes every 0.5 s instead of waiting for file events.
        #[arg(long)]
        poll: bool,
    },
    /// Show hints for an exercise, from a nudge (level 1) to nearly the answer.
    Hint {
        name: String,
        /// How far to go: 1 is a nudge, 3 is nearly the answer.
        #[arg(long, short, default_value_t = 1)]
        level: usize,
        /// Only this task's hints.
        #[arg(long, short)]
        task: Option<String>,
    },
    /// Grade a submission (or the working tree): per-test points, in the format you need.
    Grade {
        /// A student's copy of the course (or its exercises/ folder). Only exercises/*/src is taken from it.
        #[arg(long, value_name = "DIR")]
        submission: Option<PathBuf>,
        /// Grade the reference solutions instead: a self-test of the grader (exit 1 unless full marks).
        #[arg(long, conflicts_with = "submission")]
        solutions: bool,
        /// Report format.
        #[arg(long, value_enum, default_value_t = grade::Format::Human)]
        format: grade::Format,
        /// Write the report here instead of to stdout.
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Real-time limit per test, in seconds (default 10).
        #[arg(long, value_name = "SECS", value_parser = parse_secs)]
        wall_limit: Option<Duration>,
        /// Memory (address space) limit per test process, in MiB (default 4096).
        #[arg(long, value_name = "MIB")]
        memory_limit: Option<u64>,
        /// Tests run at once (default: the number of CPUs).
        #[arg(long, short, value_name = "N")]
        jobs: Option<usize>,
        /// Exercises to grade (all when none are named).
        exercises: Vec<String>,
    },
    /// Write a Gradescope autograder (setup.sh, run_autograder and the course) as a zip.
    GradescopeBundle {
        /// Where to write the zip.
        #[arg(long, short, value_name = "FILE", default_value = "autograder.zip")]
        output: PathBuf,
        /// Real-time limit per test, in seconds, for every grading.
        #[arg(long, value_name = "SECS", value_parser = parse_secs)]
        wall_limit: Option<Duration>,
        /// Memory limit per test process, in MiB, for every grading.
        #[arg(long, value_name = "MIB")]
        memory_limit: Option<u64>,
        /// Tests run at once.
        #[arg(long, short, value_name = "N")]
        jobs: Option<usize>,
    },
    /// Prove every test has teeth: fails on the stub and on every mutant, passes on the solution.
    Verify {
        /// Exercises to verify (all when none are named).
        names: Vec<String>,
        /// Real-time limit per test, in seconds.
        #[arg(long, value_name = "SECS", value_parser = parse_secs)]
        wall_limit: Option<Duration>,
        /// Run every solution, alternative and mutant N times: each verdict must be the same every time.
        #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..=1000))]
        repeat: u16,
    },
    /// Run an exercise's tests on candidate answers (whole src/lib.rs files kept elsewhere): one line each.
    Try {
        /// The exercise.
        name: String,
        /// Files to lay in as the exercise's src/lib.rs, one at a time.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Real-time limit per test, in seconds.
        #[arg(long, value_name = "SECS", value_parser = parse_secs)]
        wall_limit: Option<Duration>,
    },
    /// Save a mutant (a copy of the solution with one mistake) as a patch in solutions/NAME/mutants/.
    Mutant {
        /// The exercise.
        name: String,
        /// The mutant's name: the mistake it makes (`awaits_in_turn`).
        bug: String,
        /// The mutated copy of the solution's src/lib.rs.
        #[arg(long, value_name = "FILE", required_unless_present = "show")]
        from: Option<PathBuf>,
        /// Print the saved mutant applied to the solution instead.
        #[arg(long, conflicts_with = "from")]
        show: bool,
    },
    /// Put an exercise's src/ back as shipped (asks first) and forget its progress.
    Reset {
        /// The exercise: its name (`gather`), number (`1`) or directory.
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        name: Option<String>,
        /// Reset every exercise (one question for all).
        #[arg(long)]
        all: bool,
        /// Do not ask (needed when stdin is not a terminal).
        #[arg(long, short)]
        yes: bool,
    },
    /// Write the student edition to DIR: exercises as stubs, no solutions, no mutants.
    Dist {
        /// A new (or empty) folder outside the course.
        #[arg(value_name = "DIR")]
        dir: PathBuf,
        /// Write into a non-empty DIR: what dist ships is replaced, the rest (.git, ...) left alone.
        #[arg(long)]
        force: bool,
    },
}

fn parse_secs(text: &str) -> Result<Duration, String> {
    let secs: f64 = text.parse().map_err(|_| format!("'{text}' is not a number of seconds"))?;
    if !(secs > 0.0 && secs <= 3600.0) {
        return Err("give a number of seconds between 0 and 3600".into());
    }
    Ok(Duration::from_secs_f64(secs))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
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
        Some(Command::Check { name, solution: true, .. }) => edition::require_solutions(
            &course,
            "check --solution",
            &format!("check your own code with: cargo xtask check {name} · stuck? cargo xtask hint {name}"),
        )?,
        Some(Command::Verify { .. } | Command::Mutant { .. }) => {
            edition::require_solutions(&course, "verify", "check your own code with: cargo xtask check NAME")?
        }
        Some(Command::GradescopeBundle { .. }) => edition::require_solutions(
            &course,
            "gradescope-bundle",
            "the autograder it writes grades the reference solutions first",
        )?,
        _ => {}
    }
    match cli.command {
        None => commands::status::run(&course),
        Some(Command::List) => commands::list::run(&course),
        Some(Command::Check { name, solution, verbose, timeline, wall_limit }) => {
            commands::check::run(&course, &CheckArgs { name, solution, verbose, timeline, wall_limit })
        }
        Some(Command::Watch { name, manual, poll }) => {
            commands::watch::run(&course, &commands::watch::WatchArgs { name, manual, poll })
        }
        Some(Command::Hint { name, level, task }) => {
            commands::hint::run(&course, &name, level, task.as_deref())
        }
        Some(Command::Grade {
            submission,
            solutions,
            format,
            output,
            wall_limit,
            memory_limit,
            jobs,
            exercises,
        }) => {
            let args = GradeArgs {
                submission,
                solutions,
                format,
                output,
                exercises,
                wall_limit,
                memory_limit_mib: memory_limit,
                jobs,
            };
            grade::run(&course, &args)
        }
        Some(Command::GradescopeBundle { output, wall_limit, memory_limit, jobs }) => {
            let args = BundleArgs { output, wall_limit, memory_limit_mib: memory_limit, jobs };
            commands::bundle::run(&course, &args)
        }
        Some(Command::Verify { names, wall_limit, repeat }) => commands::verify::run(
            &course,
            &commands::verify::VerifyArgs { names, wall_limit, repeat: usize::from(repeat) },
        ),
        Some(Command::Try { name, files, wall_limit }) => {
            commands::tryout::run(&course, &commands::tryout::TryArgs { name, files, wall_limit })
        }
        Some(Command::Mutant { name, bug, from, show }) => {
            commands::mutant::run(&course, &commands::mutant::MutantArgs { name, bug, from, show })
        }
        Some(Command::Reset { name, all, yes }) => {
            commands::reset::run(&course, &ResetArgs { name, all, yes })
        }
        Some(Command::Dist { dir, force }) => commands::dist::run(&course, &DistArgs { dir, force }),
    }
}
