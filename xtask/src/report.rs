//! Views of the result model: one [`GradeReport`], five formats.

pub mod github_classroom;
pub mod gradescope;
pub mod human;
pub mod json;
pub mod junit;
pub mod table;

use anyhow::Result;

use crate::grading::GradeReport;

/// How a report is written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// For a person at a terminal.
    #[default]
    Human,
    /// awaitlings' own schema (`awaitlings-grade/1`).
    Json,
    /// Gradescope's results.json.
    Gradescope,
    /// JUnit XML, for CI dashboards.
    Junit,
    /// GitHub Classroom's autograding reporter: one runner per exercise
    /// (and points value). Inside a workflow (GITHUB_OUTPUT set), each
    /// runner's result is also written there, base64, for the reporter.
    GithubClassroom,
}

/// The report in `format`; `Human` is the grader's table.
pub fn render(report: &GradeReport, format: Format) -> Result<String> {
    Ok(match format {
        Format::Human => table::render(report),
        Format::Json => json::render(report)?,
        Format::Gradescope => gradescope::render(report),
        Format::Junit => junit::render(report),
        Format::GithubClassroom => github_classroom::render(report),
    })
}
