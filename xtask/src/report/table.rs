//! The terminal view of a grade: per exercise, per test, and the total.

use std::fmt::Write;

use crate::grading::{GradeReport, points};
use crate::style;

pub fn render(report: &GradeReport) -> String {
    let mut out = String::new();
    for note in &report.notes {
        let _ = writeln!(out, "{} {note}", style::yellow("note:"));
    }
    for graded in &report.exercises {
        let e = &graded.result;
        let mark =
            if e.score == e.max_score && e.max_score > 0.0 { style::green("✔") } else { style::red("✘") };
        let status = match (&e.compile_error, graded.submitted) {
            (Some(_), _) => " · did not compile".to_string(),
            (None, false) => " · not submitted (graded on the stub)".to_string(),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "{mark} {} {:>6}{status}",
            style::bold(&format!("{:02} {:<24}", e.number, e.name)),
            format!("{}/{}", points(e.score), points(e.max_score)),
        );
        if let Some(errors) = &e.compile_error {
            for line in errors.lines().take(12) {
                let _ = writeln!(out, "      {line}");
            }
        }
        for t in &e.tests {
            if t.kind.passed() || e.compile_error.is_some() {
                continue;
            }
            let first = t.message.lines().next().unwrap_or("failed");
            let _ = writeln!(
                out,
                "    {} {:<52} {:>5}  {}",
                style::red("✘"),
                t.name.replace('_', " "),
                format!("0/{}", points(t.max_score)),
                style::dim(first)
            );
        }
    }
    let _ = writeln!(out, "{} {}", style::dim("sandbox:"), style::dim(&report.sandbox.summary()));
    let _ = writeln!(
        out,
        "{} {}/{} points · graded in {:.1} s",
        style::bold("total"),
        points(report.score),
        points(report.max_score),
        report.execution_time
    );
    out
}
