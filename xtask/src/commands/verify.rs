//! `cargo xtask verify [NAME...]`: proof that every test has teeth.
//!
//! For each exercise, in a staged copy of the course:
//! - the **stub** compiles and fails every test (a test that passes on the
//!   stub checks nothing);
//! - the **solution** and every **alternative** (a whole correct solution in
//!   another idiom), laid into the exercise's own crate, pass every test: a
//!   test that rejects a correct answer pins what the spec does not say;
//! - every **mutant** (a patch against the solution that makes one plausible
//!   mistake) applies, compiles and is caught by at least one test;
//! - every verdict is the same on every run (`--repeat`): tokio picks a
//!   random branch in an unbiased `select!`, and a verdict that rides on
//!   that choice is worth nothing.
//!
//! It also checks exercise.toml against the tests: every test belongs to a
//! task, every task has at least three hints, every `[points]` entry names
//! a real test.

use anyhow::{Context, Result};

use crate::answers::{Answers, Mutant};
use crate::compile::CompileOptions;
use crate::course::{Course, Exercise};
use crate::evaluate::{Build, Package, build};
use crate::limits::LimitArgs;
use crate::model::ExerciseResult;
use crate::runner::RunOptions;
use crate::stage::Stage;
use crate::style;

/// Hints each task needs, from a nudge to nearly the answer.
const MIN_HINTS: usize = 3;

/// Mutants each exercise needs: the plausible mistakes of every task.
pub const MIN_MUTANTS: usize = 10;

/// Alternatives each exercise needs: correct answers in other idioms.
pub const MIN_ALTERNATIVES: usize = 2;

/// Lines (removed plus added) past which a patch is no longer "the solution
/// with one mistake".
const MAX_MUTANT_LINES: usize = 80;

/// `cargo xtask verify [NAME...] [--repeat N]`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// Exercises to verify (all when none are named).
    pub names: Vec<String>,
    /// Run every solution, alternative and mutant N times: each verdict must be the same every time.
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub repeat: u16,
    /// Exercises verified at once, each in a stage of its own (default: 2 on a machine with 2 CPUs or more).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=16))]
    pub parallel: Option<u16>,
    #[command(flatten)]
    pub limits: LimitArgs,
}

pub fn run(course: &Course, args: &VerifyArgs) -> Result<bool> {
    let exercises = course.select(&args.names)?;
    let repeat = usize::from(args.repeat.max(1));
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let workers =
        usize::from(args.parallel.unwrap_or(if cores >= 2 { 2 } else { 1 })).clamp(1, exercises.len().max(1));
    let run_options = args.limits.run_options();

    // Each worker builds in a stage of its own (a target directory each:
    // cargo cannot share one between two copies of the course). One
    // exercise alone gets a stage named for it, so that maintainers (or
    // their helpers) can verify different exercises at once.
    let stage_name = |worker: usize| match (exercises.as_slice(), worker) {
        ([one], _) => format!("verify-{}", one.name),
        (_, 0) => "verify".to_string(),
        (_, n) => format!("verify-{}", n + 1),
    };
    let next = std::sync::Mutex::new(0usize);
    let done: std::sync::Mutex<Vec<Option<Verified>>> =
        std::sync::Mutex::new((0..exercises.len()).map(|_| None).collect());
    let printed = std::sync::Mutex::new(0usize);
    // Prints every finished exercise's report that all before it allow.
    let flush = || {
        let mut printed = printed.lock().unwrap_or_else(|e| e.into_inner());
        let done = done.lock().unwrap_or_else(|e| e.into_inner());
        while *printed < done.len() {
            match &done[*printed] {
                Some(Ok((_, text))) => print!("{text}"),
                Some(Err(_)) => {}
                None => break,
            }
            *printed += 1;
        }
    };
    std::thread::scope(|scope| -> Result<()> {
        let mut handles = Vec::new();
        for worker in 0..workers {
            let (next, done, exercises, run_options, flush, stage_name) =
                (&next, &done, &exercises, &run_options, &flush, &stage_name);
            handles.push(scope.spawn(move || -> Result<()> {
                let stage = Stage::prepare(
                    &course.root,
                    &course.root.join("target/awaitlings/stage").join(stage_name(worker)),
                )
                .context("staging a copy of the course")?;
                let compile_options = CompileOptions {
                    target_dir: Some(stage.target_dir()),
                    color: false,
                    show_progress: false,
                    sandbox: None,
                };
                loop {
                    let i = {
                        let mut next = next.lock().unwrap_or_else(|e| e.into_inner());
                        let i = *next;
                        *next += 1;
                        i
                    };
                    let Some(exercise) = exercises.get(i) else { return Ok(()) };
                    let (result, text) = crate::out::captured(|| {
                        println!("{}", crate::report::human::heading(exercise));
                        let verifier = Verifier {
                            course,
                            exercise,
                            stage: &stage,
                            compile_options: &compile_options,
                            run_options,
                            repeat,
                        };
                        verifier.verify()
                    });
                    let failed = result.is_err();
                    done.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(result.map(|p| (p, text)));
                    flush();
                    if failed {
                        return Ok(());
                    }
                }
            }));
        }
        for handle in handles {
            handle.join().map_err(|_| anyhow::anyhow!("a verify worker panicked"))??;
        }
        Ok(())
    })?;
    let mut problems = 0;
    for result in done.into_inner().unwrap_or_else(|e| e.into_inner()).into_iter().flatten() {
        problems += result?.0;
    }
    if problems == 0 {
        println!(
            "{}",
            style::green(&format!(
                "verify: every test fails on its stub, passes on its solution and alternatives, \
                 every mutant is caught, and every verdict was the same in {repeat} run(s)"
            ))
        );
    } else {
        println!("{}", style::red(&format!("verify: {problems} problem(s), listed above with ✘")));
    }
    Ok(problems == 0)
}

/// One exercise verified: its problems and its report, or why it could not be.
type Verified = Result<(usize, String)>;

struct Verifier<'a> {
    course: &'a Course,
    exercise: &'a Exercise,
    stage: &'a Stage,
    compile_options: &'a CompileOptions,
    run_options: &'a RunOptions,
    repeat: usize,
}

fn ok(text: &str) {
    println!("  {} {text}", style::green("✔"));
}

fn problem(text: &str) -> usize {
    println!("  {} {text}", style::red("✘"));
    1
}

/// What `repeat` runs of one candidate came to.
enum Runs {
    DidNotCompile(String),
    Ran(Vec<ExerciseResult>),
}

impl Runs {
    /// Tests whose verdict was not the same in every run, with how many
    /// runs they passed.
    fn flips(results: &[ExerciseResult]) -> Vec<(String, usize)> {
        let Some(first) = results.first() else { return Vec::new() };
        first
            .tests
            .iter()
            .filter_map(|t| {
                let passes = results
                    .iter()
                    .filter(|r| r.tests.iter().any(|u| u.name == t.name && u.kind.passed()))
                    .count();
                (passes != 0 && passes != results.len()).then(|| (t.name.clone(), passes))
            })
            .collect()
    }
}

impl Verifier<'_> {
    /// Lays `lib` (or the files of `src`) into the stage, builds once and
    /// runs `times` times.
    fn run_candidate(&self, src: &std::path::Path, lib: Option<&str>, times: usize) -> Result<Runs> {
        self.stage.lay_src(&self.exercise.dir, src, lib)?;
        let site = Package { workspace: self.stage.root.clone(), name: self.exercise.package.clone() };
        match build(self.exercise, &site, self.compile_options, self.run_options)? {
            Build::Failed(result) => {
                Ok(Runs::DidNotCompile(result.compile_error.unwrap_or_else(|| "it did not compile".into())))
            }
            Build::Ready(tests) => {
                let results =
                    (0..times).map(|_| tests.run(self.exercise, self.run_options)).collect::<Result<_>>()?;
                Ok(Runs::Ran(results))
            }
        }
    }

    fn flip_problems(&self, what: &str, results: &[ExerciseResult]) -> usize {
        let mut problems = 0;
        for (test, passes) in Runs::flips(results) {
            problems += problem(&format!(
                "{what}: {test} passed in {passes} of {} runs. A verdict must not depend on chance: \
                 does it ride on tokio's random choice in an unbiased select! (repeat the contested \
                 instant until the wrong choice is certain to show), or on real time?",
                results.len()
            ));
        }
        problems
    }

    fn verify(&self) -> Result<usize> {
        let (course, exercise) = (self.course, self.exercise);
        let mut problems = 0;
        let stub_src = course.root.join(exercise.src());
        let solution_dir = course.root.join(exercise.solution_dir());
        let solution_src = solution_dir.join("src");

        match self.run_candidate(&stub_src, None, 1)? {
            Runs::DidNotCompile(errors) => {
                problems += problem(&format!("the stub does not compile:\n{errors}"));
            }
            Runs::Ran(results) => {
                let stub = &results[0];
                let passing: Vec<&str> =
                    stub.tests.iter().filter(|t| t.kind.passed()).map(|t| t.name.as_str()).collect();
                if stub.tests.is_empty() {
                    problems += problem("the exercise has no tests");
                } else if passing.is_empty() {
                    ok(&format!("stub: all {} tests fail", stub.tests.len()));
                } else {
                    problems += problem(&format!(
                        "these tests pass on the stub, so they check nothing: {}",
                        passing.join(", ")
                    ));
                }
                problems += self.check_manifest(stub);
            }
        }

        if !solution_src.is_dir() {
            problems += problem(&format!("no solution at {}", exercise.solution_dir().display()));
            return Ok(problems);
        }
        let answers = Answers::load(&solution_dir)?;

        problems += self.expect_all_pass("solution", &solution_src, None)?;
        let mut alternatives_passed = 0;
        for alternative in &answers.alternatives {
            let found = self.expect_all_pass(
                &format!("alternative {}", alternative.name),
                &solution_src,
                Some(&alternative.text),
            )?;
            problems += found;
            alternatives_passed += usize::from(found == 0);
        }

        for stray in &answers.strays {
            problems += problem(&format!(
                "{} is not a patch: a mutant is a unified diff against the solution. Save it with \
                 `cargo xtask mutant {} NAME --from {}` and delete the copy",
                stray.strip_prefix(&course.root).unwrap_or(stray).display(),
                exercise.name,
                stray.strip_prefix(&course.root).unwrap_or(stray).display(),
            ));
        }
        let mut caught = 0;
        for mutant in &answers.mutants {
            let found = self.expect_caught(mutant, &solution_src)?;
            problems += found;
            caught += usize::from(found == 0);
        }

        let (mutants, alternatives) = (answers.mutants.len(), answers.alternatives.len());
        // A draft is told what it still lacks; a finished exercise fails on it.
        let shortfall = |text: String| {
            if exercise.draft {
                println!("  {} {text} (a draft: not counted as a problem yet)", style::yellow("!"));
                0
            } else {
                problem(&text)
            }
        };
        if mutants < MIN_MUTANTS {
            problems += shortfall(format!(
                "{mutants} mutant(s); an exercise needs at least {MIN_MUTANTS}: the plausible mistakes \
                 of every task (see the maintainers' guide in README.md)"
            ));
        }
        if alternatives < MIN_ALTERNATIVES {
            problems += shortfall(format!(
                "{alternatives} alternative(s); an exercise needs at least {MIN_ALTERNATIVES} correct \
                 solutions in other idioms, so the tests pin only what the spec says"
            ));
        }
        let summary = format!(
            "{caught} of {mutants} mutants caught · {alternatives_passed} of {alternatives} alternatives pass \
             · {} run(s) each",
            self.repeat
        );
        println!("  {}", if problems == 0 { style::green(&summary) } else { style::red(&summary) });

        // Leave the stage holding the stub again.
        self.stage.lay_src(&exercise.dir, &stub_src, None)?;
        Ok(problems)
    }

    /// A correct answer: every test passes, in every run.
    fn expect_all_pass(&self, what: &str, src: &std::path::Path, lib: Option<&str>) -> Result<usize> {
        let results = match self.run_candidate(src, lib, self.repeat)? {
            Runs::DidNotCompile(errors) => {
                return Ok(problem(&format!(
                    "the {what} does not compile inside the exercise's crate (does the exercise's \
                     Cargo.toml have its dependencies?):\n{}",
                    indent(&errors)
                )));
            }
            Runs::Ran(results) => results,
        };
        let mut problems = self.flip_problems(what, &results);
        if problems > 0 {
            return Ok(problems);
        }
        let first = &results[0];
        if first.all_passed() {
            ok(&format!("{what}: all {} tests pass", first.tests.len()));
        } else {
            for t in first.tests.iter().filter(|t| !t.kind.passed()) {
                problems += problem(&format!(
                    "the {what} fails {}: if the {what} is correct, the test pins something the spec \
                     does not say\n{}",
                    t.name,
                    indent(&t.message)
                ));
            }
        }
        Ok(problems)
    }

    /// A wrong answer: at least one test fails, and the same ones in every run.
    fn expect_caught(&self, mutant: &Mutant, solution_src: &std::path::Path) -> Result<usize> {
        let label = format!("mutant {} (−{} +{} lines)", mutant.name, mutant.removed, mutant.added);
        let text = match &mutant.applied {
            Err(why) => return Ok(problem(&format!("{label} cannot be tried: {why}"))),
            Ok(text) => text,
        };
        if mutant.removed + mutant.added > MAX_MUTANT_LINES {
            return Ok(problem(&format!(
                "{label} changes {} lines: a mutant is the solution with one mistake. Make it smaller, \
                 or split it into one patch per mistake",
                mutant.removed + mutant.added
            )));
        }
        // Some mistakes are the compiler's to catch (a std guard held across
        // an `.await` in a spawned future): such a mutant says so in its
        // first line, "(does not compile: ...)", and must then not compile.
        let rejected_by_rustc = text.lines().next().is_some_and(|l| l.contains("(does not compile"));
        let results = match self.run_candidate(solution_src, Some(text), self.repeat)? {
            Runs::DidNotCompile(errors) if rejected_by_rustc => {
                let first = errors.lines().find(|l| l.starts_with("error")).unwrap_or("an error");
                ok(&format!("{label}: caught by the compiler, as it says: {first}"));
                return Ok(0);
            }
            Runs::DidNotCompile(errors) => {
                return Ok(problem(&format!("{label} does not compile:\n{}", indent(&errors))));
            }
            Runs::Ran(_) if rejected_by_rustc => {
                return Ok(problem(&format!(
                    "{label} compiles, though its first line says it does not: the mistake it shows is not the \
                     compiler's to catch any more. Fix the patch or its first line"
                )));
            }
            Runs::Ran(results) => results,
        };
        let problems = self.flip_problems(&label, &results);
        if problems > 0 {
            return Ok(problems);
        }
        let caught: Vec<&str> =
            results[0].tests.iter().filter(|t| !t.kind.passed()).map(|t| t.name.as_str()).collect();
        if caught.is_empty() {
            return Ok(problem(&format!(
                "{label} survives: no test fails on it. Add a test that catches it."
            )));
        }
        let shown: Vec<&str> = caught.iter().take(3).copied().collect();
        let more = if caught.len() > 3 { format!(" and {} more", caught.len() - 3) } else { String::new() };
        ok(&format!("{label}: caught by {}{more}", shown.join(", ")));
        Ok(0)
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
