//! The JSON report: the result model as it is (`awaitlings-grade/1`, see
//! README.md for the schema).

use anyhow::{Context, Result};

use crate::grading::GradeReport;

pub fn render(report: &GradeReport) -> Result<String> {
    Ok(serde_json::to_string_pretty(report).context("encoding the report")? + "\n")
}
