//! Views of the result model: one [`GradeReport`], four formats.

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
}

/// The report in `format`; `Human` is the grader's table.
pub fn render(report: &GradeReport, format: Format) -> Result<String> {
    Ok(match format {
        Format::Human => table::render(report),
        Format::Json => json::render(report)?,
        Format::Gradescope => gradescope::render(report),
        Format::Junit => junit::render(report),
    })
}
