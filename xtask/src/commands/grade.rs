//! `cargo xtask grade`: a score an instructor can trust.
//!
//! Only `exercises/*/src/**` is taken from the submission and laid over a
//! staged copy of the course (the instructor's own tests, Cargo.toml and
//! checker); nothing in the submission directory is written. One cargo run
//! builds every exercise, a compile error confined to its own; each test
//! runs in its own process under a wall-clock and a memory limit, in rounds
//! (see `runner/rounds.rs`), and a pass counts only through the checker's
//! nonce channel. A results file is written whatever happens to the
//! submission.

mod class;

use std::fs;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};

use crate::commands::UsageError;
use crate::compile::{self, CompileOptions};
use crate::course::{Course, Exercise};
use crate::evaluate::{self, Build, Package};
use crate::grading::{GradeReport, GradedExercise};
use crate::limits::LimitArgs;
use crate::report::{self, Format};
use crate::sandbox::{Mode, Protection, Sandbox};
use crate::stage::Stage;
use crate::submission::{Provided, Submission};

/// `cargo xtask grade [--submission DIR | --solutions] [--format F] [-o FILE] [EXERCISE...]`.
#[derive(Debug, Clone, clap::Args)]
pub struct GradeArgs {
    /// A student's copy of the course (or its exercises/ folder). Only exercises/*/src is taken from it.
    #[arg(long, value_name = "DIR")]
    pub submission: Option<PathBuf>,
    /// Grade the reference solutions instead: a self-test of the grader (exit 1 unless full marks).
    #[arg(long, conflicts_with = "submission")]
    pub solutions: bool,
    /// Grade a whole class: DIR holds one submission per student (or a Gradescope export, or a GitHub Classroom clone-all).
    #[arg(long, value_name = "DIR", conflicts_with_all = ["submission", "solutions"])]
    pub class: Option<PathBuf>,
    /// With --class: keep the students already graded in the output folder, grade the rest.
    #[arg(long, requires = "class")]
    pub resume: bool,
    /// The stage to build in (target/awaitlings/stage/NAME): `grade --class` gives each worker its own.
    #[arg(long, hide = true, value_name = "NAME")]
    pub stage: Option<String>,
    /// Also write the JSON report here (`grade --class` reads it).
    #[arg(long, hide = true, value_name = "FILE")]
    pub also_json: Option<PathBuf>,
    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Write the report here instead of to stdout (with --class: the folder for gradebook.csv, summary.md and reports/; default grades).
    #[arg(long, short, value_name = "PATH")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub limits: LimitArgs,
    /// Run every test, even the rest of a task whose first two tests hung (slower on a submission that hangs).
    #[arg(long)]
    pub no_fail_fast: bool,
    /// CPU seconds each compiler process may use when building the submission (default 180): code that makes
    /// rustc work without end (an endless const evaluation) fails its own exercise, and the others are graded.
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub compile_limit: Option<u64>,
    /// The sandbox tests run in: `auto` applies what the platform can and
    /// says what it could not, `require` refuses to grade without all of it,
    /// `off` is for debugging the grader.
    #[arg(long, value_enum, default_value_t = Mode::Auto)]
    pub sandbox: Mode,
    /// Exercises to grade (all when none are named).
    pub exercises: Vec<String>,
}

pub fn run(course: &Course, args: &GradeArgs) -> Result<bool> {
    if let Some(class) = &args.class {
        return class::run(course, args, class);
    }
    let started = Instant::now();
    let exercises = course.select(&args.exercises)?;
    let submission_root = if args.solutions {
        solutions_submission(course, &exercises)?
    } else {
        args.submission.clone().unwrap_or_else(|| course.root.clone())
    };
    let submission = Submission::open(&submission_root).map_err(|e| UsageError(format!("{e:#}")))?;

    let mut notes = Vec::new();
    if submission.exercises.is_none() {
        notes.push(format!(
            "the submission at {} has no exercises/ directory: nothing was graded but the stubs. \
             A submission holds the course's exercises/NN-name/src/ folders.",
            submission_root.display()
        ));
    }

    let stage_name = args.stage.as_deref().unwrap_or("grade");
    if stage_name.is_empty() || !stage_name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(
            UsageError(format!("--stage takes letters, digits and dashes, not {stage_name:?}")).into()
        );
    }
    let to_be_laid: Vec<PathBuf> = exercises.iter().map(|e| e.src()).collect();
    let stage = Stage::prepare_for_grading(
        &course.root,
        &course.root.join("target/awaitlings/stage").join(stage_name),
        &to_be_laid,
    )
    .context("staging a copy of the course")?;
    let compile_options = CompileOptions {
        target_dir: Some(stage.target_dir()),
        color: false,
        show_progress: false,
        sandbox: None,
    };
    let mut run_options = args.limits.run_options();
    run_options.sandbox = Sandbox::prepare(args.sandbox)?
        .map(|s| s.with_compile_limit(args.compile_limit.unwrap_or(crate::sandbox::COMPILE_CPU_SECONDS)));
    let compile_options = CompileOptions { sandbox: run_options.sandbox.clone(), ..compile_options };
    run_options.impatience = Some(Default::default());
    run_options.stop_early = !args.no_fail_fast;
    let protection = run_options.sandbox.as_ref().map_or_else(Protection::off, |s| s.protection.clone());

    // Every exercise's src/ first, then one cargo run builds them all.
    let mut laid = Vec::new();
    for exercise in &exercises {
        let stub = course.root.join(exercise.src());
        let on_the_stub = |notes: &mut Vec<String>, why: String| {
            notes.push(format!("{:02} {}: {why}; graded on the stub", exercise.number, exercise.name));
            (stub.clone(), Vec::new(), false)
        };
        let (src, left_out, submitted) = match submission.provided(exercise, &stub) {
            Provided::Src { dir, shown, left_out } => {
                if !left_out.is_empty() {
                    let paths: Vec<String> = left_out
                        .iter()
                        .map(|l| format!("{} ({})", shown.join(&l.rel).display(), l.why))
                        .collect();
                    notes.push(format!(
                        "{:02} {}: not taken from the submission: {}",
                        exercise.number,
                        exercise.name,
                        paths.join(", ")
                    ));
                }
                (dir, left_out, true)
            }
            Provided::Missing if submission.exercises.is_some() => {
                on_the_stub(&mut notes, "not in the submission".to_string())
            }
            Provided::Missing => (stub.clone(), Vec::new(), false),
            Provided::TooLarge(why) => on_the_stub(&mut notes, why),
            Provided::NoLib(shown) => on_the_stub(
                &mut notes,
                format!("{} has no lib.rs, where the library the tests use starts", shown.display()),
            ),
            Provided::Linked(link) => on_the_stub(
                &mut notes,
                format!(
                    "{} is a symbolic link, which the grader does not follow (submit the files themselves)",
                    link.display()
                ),
            ),
        };
        stage.lay_src_except(&exercise.dir, &src, &|rel| left_out.iter().any(|l| rel.starts_with(&l.rel)))?;
        laid.push(submitted);
    }
    let packages: Vec<(String, PathBuf)> =
        exercises.iter().map(|e| (e.package.clone(), e.dir.clone())).collect();
    let builds = compile::build_many(&stage.root, &packages, &compile_options)?;
    let mut graded = Vec::new();
    for ((exercise, built), submitted) in exercises.iter().zip(builds).zip(laid) {
        let site = Package { workspace: stage.root.clone(), name: exercise.package.clone() };
        let mut result = match evaluate::ready(exercise, &site, built, &run_options) {
            Build::Failed(result) => result,
            Build::Ready(tests) => tests.run(exercise, &run_options)?,
        };
        if let Some(errors) = &mut result.compile_error {
            // The stage is an implementation detail: show the student paths
            // as they are in their own copy of the course.
            let prefix = format!("{}/", stage.root.display());
            *errors = errors.replace(&prefix, "");
        }
        notes.extend(given_up_tasks(&result));
        graded.push(GradedExercise { result, submitted });
    }

    let tampered = stage.tampered(&course.root).context("checking the stage after grading")?;
    if !tampered.is_empty() {
        let names: Vec<String> = tampered.iter().take(10).map(|p| p.display().to_string()).collect();
        notes.push(format!(
            "tampering: while it was graded, the submission changed {} file(s) of the grader's copy of the \
             course ({}{}). They were restored before anything else was graded, and the grade above is from \
             the course's own tests.",
            tampered.len(),
            names.join(", "),
            if tampered.len() > 10 { ", ..." } else { "" }
        ));
        stage.restore(&course.root).context("restoring the grader's copy of the course")?;
    }
    let mut protection = protection;
    for exercise in &exercises {
        let manifest =
            fs::read_to_string(course.root.join(&exercise.dir).join("Cargo.toml")).unwrap_or_default();
        if !manifest.lines().any(|l| l.replace(' ', "") == "unsafe_code=\"forbid\"") {
            protection.not_enforced.push(format!(
                "unsafe code: {:02} {}'s Cargo.toml does not forbid it (add unsafe_code = \"forbid\" under \
                 [lints.rust]), so its code could reach the result channel",
                exercise.number, exercise.name
            ));
        }
    }
    let report = GradeReport::new(graded, notes, protection, started.elapsed().as_secs_f64());
    let text = report::render(&report, args.format)?;
    if let Some(path) = &args.also_json {
        fs::write(path, report::render(&report, Format::Json)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if args.format == Format::GithubClassroom
        && let Some(outputs) = std::env::var_os("GITHUB_OUTPUT").filter(|o| !o.is_empty())
    {
        use std::io::Write;
        let lines = report::github_classroom::github_output(&text);
        fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(&outputs)
            .and_then(|mut f| f.write_all(lines.as_bytes()))
            .with_context(|| {
                format!("writing the runners' results to GITHUB_OUTPUT ({})", outputs.to_string_lossy())
            })?;
    }
    match &args.output {
        Some(path) => {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
            }
            fs::write(path, &text).with_context(|| format!("writing {}", path.display()))?;
            eprintln!(
                "graded: {}/{} points; report written to {}",
                crate::grading::points(report.score),
                crate::grading::points(report.max_score),
                path.display()
            );
        }
        None => print!("{text}"),
    }
    if args.solutions && report.score < report.max_score {
        eprintln!(
            "the reference solutions score {}/{}: fix them (cargo xtask verify shows which tests fail) before grading students",
            crate::grading::points(report.score),
            crate::grading::points(report.max_score)
        );
        return Ok(false);
    }
    Ok(true)
}

/// A note for each task whose first tests hung, so that the rest of it was
/// not run: the instructor sees at once why those tests have no verdict.
fn given_up_tasks(result: &crate::model::ExerciseResult) -> Vec<String> {
    // (task, tests not run), in the order the tasks come.
    let mut tasks: Vec<(&str, usize)> = Vec::new();
    for t in result.tests.iter().filter(|t| t.kind == crate::model::Verdict::NotRun) {
        let task = t.task.as_deref().unwrap_or_default();
        match tasks.iter_mut().find(|(name, _)| *name == task) {
            Some((_, count)) => *count += 1,
            None => tasks.push((task, 1)),
        }
    }
    tasks
        .into_iter()
        .map(|(task, not_run)| {
            format!(
                "{:02} {}: the first {} tests of task `{task}` hung, so its other {not_run} were not run \
                 (--no-fail-fast runs them)",
                result.number,
                result.name,
                crate::runner::PROBES,
            )
        })
        .collect()
}

/// A submission made of the reference solutions, for `grade --solutions`.
fn solutions_submission(course: &Course, exercises: &[&Exercise]) -> Result<PathBuf> {
    if !course.root.join("solutions").is_dir() {
        return Err(UsageError(
            "this copy of the course has no solutions/ (is it a student edition?): grade --solutions runs in the \
             instructor's copy"
                .into(),
        )
        .into());
    }
    let dir = course.root.join("target/awaitlings/solutions-submission");
    for exercise in exercises {
        let files = crate::stage::collect(&course.root.join(exercise.solution_dir()).join("src"), &|_| false)
            .with_context(|| format!("reading the solution of {}", exercise.name))?;
        crate::stage::sync(&dir.join(exercise.src()), &files)?;
    }
    Ok(dir)
}
