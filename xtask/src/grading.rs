//! The grade of a whole submission: one result model that every report
//! format (terminal, JSON, Gradescope, JUnit) is a view of.

use serde::Serialize;

use crate::model::ExerciseResult;
use crate::sandbox::Protection;

/// Version of the JSON report's shape; bumped when a field changes meaning.
pub const SCHEMA: &str = "awaitlings-grade/1";

#[derive(Debug, Clone, Serialize)]
pub struct GradeReport {
    pub schema: &'static str,
    /// Points earned, over every exercise graded.
    pub score: f64,
    pub max_score: f64,
    /// Seconds of real time the grading took.
    pub execution_time: f64,
    /// What the grader has to say about the submission as a whole (no
    /// exercises found, an exercise not submitted, ...).
    pub notes: Vec<String>,
    /// The protection the tests ran under (see `sandbox.rs`), and what it
    /// did not enforce.
    pub sandbox: Protection,
    pub exercises: Vec<GradedExercise>,
}

#[derive(Debug, Clone, Serialize)]
pub struct GradedExercise {
    #[serde(flatten)]
    pub result: ExerciseResult,
    /// Whether the submission had this exercise's `src/`; if not, the stub
    /// was graded.
    pub submitted: bool,
}

impl GradeReport {
    pub fn new(
        exercises: Vec<GradedExercise>,
        notes: Vec<String>,
        sandbox: Protection,
        execution_time: f64,
    ) -> Self {
        let score = exercises.iter().map(|e| e.result.score).sum();
        let max_score = exercises.iter().map(|e| e.result.max_score).sum();
        GradeReport { schema: SCHEMA, score, max_score, execution_time, notes, sandbox, exercises }
    }
}

/// `12` or `1.5`: points without a needless `.0`.
pub fn points(p: f64) -> String {
    if p.fract() == 0.0 {
        format!("{}", p as i64)
    } else {
        format!("{p:.2}").trim_end_matches('0').to_string()
    }
}
