//! `cargo xtask check NAME`: build and run one exercise's tests, and say
//! what each one found.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::Result;

use crate::commands::{find, solution};
use crate::compile::CompileOptions;
use crate::course::Course;
use crate::evaluate::{Package, evaluate};
use crate::grading::{GradeReport, GradedExercise};
use crate::limits::LimitArgs;
use crate::model::ExerciseResult;
use crate::model::Verdict;
use crate::report::{self, Format, human};
use crate::state::{State, Status, Tally};
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
    /// Checked by `watch`: cargo's own lines stay hidden, and the advice
    /// speaks of saving and keys rather than of commands.
    #[arg(skip)]
    pub watching: bool,
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
    let site = Package { workspace: course.root.clone(), name: package };
    let result = check_at(exercise, &site, &args.limits, args.watching)?;
    if args.format != Format::Human {
        let report = GradeReport::new(
            vec![GradedExercise { result, submitted: true }],
            Vec::new(),
            crate::sandbox::Protection::unsandboxed("cargo xtask check runs your own code without a sandbox"),
            0.0,
        );
        print!("{}", report::render(&report, args.format)?);
        let all_passed = report.score >= report.max_score;
        return Ok(Checked { all_passed, next: None });
    }
    let src = if args.solution { exercise.solution_dir().join("src") } else { exercise.src() };
    let view = human::View {
        verbose: args.verbose,
        timeline: args.timeline,
        lib_rs: std::fs::read_to_string(course.root.join(src).join("lib.rs")).ok(),
        watching: args.watching,
    };
    print!("{}", human::render(exercise, &result, view));

    if args.solution {
        return Ok(Checked { all_passed: result.all_passed(), next: None });
    }
    let mut state = State::load(&course.root);
    state.record(&exercise.name, if result.all_passed() { Status::Done } else { Status::Failing });
    state.record_tests(&exercise.name, Tally { passed: result.passed(), total: result.tests.len() });
    let unfinished = exercise.tasks.iter().find(|task| {
        result.tests.iter().any(|t| t.task.as_deref() == Some(task.name.as_str()) && !t.kind.passed())
    });
    state.record_next_task(&exercise.name, unfinished.map(|t| t.name.as_str()));
    state.save(&course.root)?;
    let next = state.current(course).map(|e| e.name.clone());
    if result.all_passed() {
        if solution::available(course, exercise) {
            println!(
                "  {} compare yours with the reference solution: cargo xtask solution {}",
                style::green("✔ done ·"),
                exercise.name
            );
        }
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
                    .all(|t| t.kind == Verdict::NotImplemented) =>
            {
                let number = exercise.tasks.iter().position(|t| t.name == task.name).unwrap_or(0) + 1;
                println!(
                    "  next: write task {number} ({}) in {}/src/lib.rs",
                    task.name,
                    exercise.dir.display()
                );
                println!("        ({}/README.md explains it)", exercise.dir.display());
                if !args.watching {
                    println!("        stuck? cargo xtask hint {} --task {}", exercise.name, task.name);
                }
            }
            _ if args.watching => println!("  next: read the messages above, fix, and save (h: a hint)"),
            _ => println!(
                "  next: read the messages above, or ask for a hint: cargo xtask hint {}",
                exercise.name
            ),
        }
    }
    Ok(Checked { all_passed: result.all_passed(), next })
}

/// Builds and runs an exercise's tests with the learner's settings.
///
/// The first build of a course takes a minute or more (tokio, the
/// checker): it is announced at once, and cargo's progress is let through
/// even where stderr is not a terminal, so that nobody waits in silence.
/// `watch` keeps cargo's lines out of its screen and says it is building.
pub fn check_at(
    exercise: &crate::course::Exercise,
    site: &Package,
    limits: &LimitArgs,
    watching: bool,
) -> Result<ExerciseResult> {
    let marker = first_build_marker(&site.workspace);
    let first = !marker.is_file();
    if first {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let line = format!(
            "building the course the first time, about a minute on 2 cores (this machine has {cores})…"
        );
        if watching {
            println!("  {}", style::dim(&line));
        } else {
            eprintln!("{line}");
        }
    }
    let compile_options = CompileOptions {
        target_dir: None,
        color: style::enabled(),
        show_progress: !watching && (first || std::io::stderr().is_terminal()),
        sandbox: None,
    };
    let result = evaluate(exercise, site, &compile_options, &limits.run_options())?;
    if first && result.compile_error.is_none() {
        // Only a record that the dependencies are built: losing it costs
        // one more line on the next check.
        if let Some(dir) = marker.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = std::fs::write(&marker, "the course's dependencies are built\n");
    }
    Ok(result)
}

/// A file that exists once a check has built the course's dependencies
/// in the target directory cargo uses.
fn first_build_marker(root: &std::path::Path) -> PathBuf {
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => std::path::absolute(PathBuf::from(dir)).unwrap_or_else(|_| root.join("target")),
        None => root.join("target"),
    };
    target.join("awaitlings").join("built")
}
