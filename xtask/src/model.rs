//! One result model for every view (terminal, JSON, Gradescope, JUnit).

use std::time::Duration;

use serde::Serialize;

use crate::compile::Warning;
use crate::course::Exercise;
use protocol::Outcome;

use crate::process::{Exit, Signal};
use crate::runner::{Ended, TestRun};

/// What became of one test, in the learner's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Passed,
    /// A `todo!()` is still in the way.
    NotImplemented,
    /// An assertion failed: the message says what and why.
    Failed,
    /// The code held the executor without yielding.
    Blocking,
    /// Ran past the wall-clock limit (the checker's watchdog or our kill).
    TimedOut,
    /// Exited (even with code 0) before the test finished.
    ExitedEarly,
    /// Aborted or killed by a signal.
    Crashed,
    /// Went past the memory limit.
    OutOfMemory,
    /// The exercise did not compile.
    CompileError,
    /// Not run: the first tests of its task hung (`grade` only).
    NotRun,
}

impl Verdict {
    pub fn passed(self) -> bool {
        self == Verdict::Passed
    }

    /// The name the JSON report gives it (`timed_out`).
    pub fn label(self) -> String {
        serde_json::to_value(self).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
    }
}

/// One test's result.
#[derive(Debug, Clone, Serialize)]
pub struct TestResult {
    pub name: String,
    /// The task it belongs to (from exercise.toml), if any.
    pub task: Option<String>,
    pub kind: Verdict,
    /// What happened and what should have, for the learner. Empty on a pass.
    pub message: String,
    pub score: f64,
    pub max_score: f64,
    /// Virtual time the test took.
    pub virtual_ms: Option<f64>,
    /// Real time the test process took.
    pub wall_ms: f64,
    /// The process's own output, capped; kept for the cases our message
    /// cannot explain by itself.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub output: String,
    /// The test's own schedule on the virtual clock, drawn as a chart.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub timeline: String,
}

impl TestResult {
    /// A test that never ran (its exercise did not compile, its binary did
    /// not list it): no points, and `message` says why.
    fn unrun(exercise: &Exercise, name: String, kind: Verdict, message: String) -> Self {
        TestResult {
            task: exercise.task_of(&name).map(|(_, t)| t.name.clone()),
            kind,
            message,
            score: 0.0,
            max_score: exercise.points(&name),
            virtual_ms: None,
            wall_ms: 0.0,
            output: String::new(),
            timeline: String::new(),
            name,
        }
    }
}

/// One exercise's results.
#[derive(Debug, Clone, Serialize)]
pub struct ExerciseResult {
    pub number: u32,
    pub name: String,
    pub idiom: String,
    /// rustc's errors when it did not compile.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compile_error: Option<String>,
    /// What rustc warned about in the learner's `src/` (it compiled).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Warning>,
    pub tests: Vec<TestResult>,
    pub score: f64,
    pub max_score: f64,
}

impl ExerciseResult {
    pub fn passed(&self) -> usize {
        self.tests.iter().filter(|t| t.kind.passed()).count()
    }

    pub fn all_passed(&self) -> bool {
        self.compile_error.is_none() && !self.tests.is_empty() && self.tests.iter().all(|t| t.kind.passed())
    }

    /// Builds the result from the runs of its tests, and the tests that
    /// could not run at all (name, why).
    pub fn from_runs(
        exercise: &Exercise,
        runs: Vec<TestRun>,
        missing: Vec<(String, String)>,
        wall_limit: Duration,
    ) -> Self {
        let mut tests: Vec<TestResult> =
            runs.into_iter().map(|run| judge(exercise, run, wall_limit)).collect();
        tests.extend(missing.into_iter().map(|(name, why)| {
            TestResult::unrun(exercise, name, Verdict::Crashed, format!("this test did not run: {why}."))
        }));
        Self::with_tests(exercise, None, tests)
    }

    /// An exercise that did not compile: every test scores 0.
    pub fn compile_failed(exercise: &Exercise, diagnostics: String, test_names: Vec<String>) -> Self {
        let message = "the exercise did not compile, so this test could not run.";
        let tests = test_names
            .into_iter()
            .map(|name| TestResult::unrun(exercise, name, Verdict::CompileError, message.into()))
            .collect();
        Self::with_tests(exercise, Some(diagnostics), tests)
    }

    fn with_tests(exercise: &Exercise, compile_error: Option<String>, tests: Vec<TestResult>) -> Self {
        let score = tests.iter().map(|t| t.score).sum();
        let max_score = tests.iter().map(|t| t.max_score).sum();
        ExerciseResult {
            number: exercise.number,
            name: exercise.name.clone(),
            idiom: exercise.idiom.clone(),
            compile_error,
            warnings: Vec::new(),
            tests,
            score,
            max_score,
        }
    }
}

/// Turns how a process ended into a verdict and words a learner
/// understands.
fn judge(exercise: &Exercise, run: TestRun, wall_limit: Duration) -> TestResult {
    let secs = wall_limit.as_secs_f64();
    let (kind, message) = match &run.ending {
        Ended::Reported { outcome, message, exit } => match (outcome, exit) {
            (Outcome::Pass, Exit::Success) => (Verdict::Passed, String::new()),
            (Outcome::Pass, exit) => (
                Verdict::Crashed,
                format!("the test passed, but then the process {}.", describe_exit(*exit, secs)),
            ),
            (Outcome::Todo, _) if message.is_empty() => {
                (Verdict::NotImplemented, "not yet implemented".to_string())
            }
            (Outcome::Todo, _) => (Verdict::NotImplemented, format!("not yet implemented: {message}")),
            (Outcome::Blocking, _) => (Verdict::Blocking, message.clone()),
            (Outcome::Hang, _) => (Verdict::TimedOut, message.clone()),
            (Outcome::Fail, _) => (Verdict::Failed, message.clone()),
        },
        // The checker's watchdog ends a process with this code right after
        // it writes its record; without the record, it still hung.
        Ended::Unreported { exit: Exit::Code(protocol::EXIT_HUNG) } => (
            Verdict::TimedOut,
            "timed out: the checker's watchdog ended the test (an endless loop, a blocking call or a deadlock), \
             but its explanation was lost."
                .to_string(),
        ),
        Ended::Unreported { exit: Exit::Killed } => (
            Verdict::TimedOut,
            format!(
                "timed out after {secs:.0} s of real time: an endless loop or a deadlock with nothing scheduled."
            ),
        ),
        Ended::Unreported { .. } if run.out_of_memory => (
            Verdict::OutOfMemory,
            "ran out of memory: the test process went past its memory limit. Is something growing without bound \
             (a queue nobody drains, a Vec pushed to in a loop)?"
                .to_string(),
        ),
        Ended::Unreported { exit: Exit::Success } => (
            Verdict::ExitedEarly,
            "exited before the test finished (with exit code 0): does your code call std::process::exit?".to_string(),
        ),
        Ended::Unreported { exit: exit @ Exit::Signal(_) } => {
            (Verdict::Crashed, format!("the test process {}.", describe_exit(*exit, secs)))
        }
        Ended::NotRun { probes } => (
            Verdict::NotRun,
            format!(
                "not run: the first {} tests of task `{}` hung, so its other tests were not run.\n\
                 {} hung; the others would most likely hang as well, each holding up the grade.\n\
                 fix the hang and grade again: they will all run.",
                probes.len(),
                exercise.task_of(&run.name).map_or("?", |(_, t)| t.name.as_str()),
                probes.join(" and ")
            ),
        ),
        Ended::Unreported { exit } => (
            if run.output.contains("stack overflow") { Verdict::Crashed } else { Verdict::ExitedEarly },
            format!("the test process {} before the test finished.", describe_exit(*exit, secs)),
        ),
    };
    let passed = kind.passed();
    let mut message = message;
    if run.impatient && matches!(kind, Verdict::TimedOut | Verdict::Blocking) {
        message.push_str(&format!(
            "\n(an earlier test of this submission hung, so this one was stopped sooner: after {} ms in one poll \
             or {} s in all, not 1 s and {secs:.0} s.)",
            crate::runner::IMPATIENT_STUCK_MS,
            crate::runner::IMPATIENT_WALL.as_secs()
        ));
    }
    let max_score = exercise.points(&run.name);
    TestResult {
        task: exercise.task_of(&run.name).map(|(_, t)| t.name.clone()),
        kind,
        message,
        score: if passed { max_score } else { 0.0 },
        max_score,
        virtual_ms: run.virtual_ms,
        wall_ms: run.wall.as_secs_f64() * 1000.0,
        output: if passed { String::new() } else { capped_note(run.output, run.truncated) },
        timeline: run.timeline,
        name: run.name,
    }
}

fn capped_note(mut output: String, truncated: bool) -> String {
    if truncated {
        output.push_str("\n[output truncated: the test printed more than the runner keeps]\n");
    }
    output
}

fn describe_exit(exit: Exit, secs: f64) -> String {
    match exit {
        Exit::Success => "exited with code 0".into(),
        Exit::Code(code) => format!("exited with code {code}"),
        Exit::Signal(Signal::Abort) => {
            "aborted (std::process::abort, a panic while panicking, or a failed allocation)".into()
        }
        Exit::Signal(Signal::Kill) => "was killed (SIGKILL)".into(),
        Exit::Signal(Signal::Segfault) => "crashed with a segmentation fault (a stack overflow?)".into(),
        Exit::Signal(Signal::Other(signal)) => format!("was killed by signal {signal}"),
        Exit::Killed => format!("was killed after {secs:.0} s of real time"),
    }
}
