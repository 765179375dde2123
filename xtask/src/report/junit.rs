//! JUnit XML: one `<testsuite>` per exercise, for CI dashboards.
//!
//! An assertion that failed (or a `todo!()`, or blocking) is a
//! `<failure>`; a test that could not run to a verdict (compile error,
//! timeout, crash, early exit) is an `<error>`.

use std::fmt::Write;

use crate::grading::GradeReport;
use crate::model::Verdict;

/// Escapes text for XML, dropping characters XML 1.0 cannot hold.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

pub fn render(report: &GradeReport) -> String {
    let all: Vec<_> = report.exercises.iter().flat_map(|e| e.result.tests.iter()).collect();
    let errors = |k: Verdict| {
        matches!(
            k,
            Verdict::CompileError
                | Verdict::TimedOut
                | Verdict::Crashed
                | Verdict::ExitedEarly
                | Verdict::OutOfMemory
                | Verdict::NotRun
        )
    };
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"awaitlings\" tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"{:.3}\">",
        all.len(),
        all.iter().filter(|t| !t.kind.passed() && !errors(t.kind)).count(),
        all.iter().filter(|t| errors(t.kind)).count(),
        report.execution_time
    );
    for graded in &report.exercises {
        let e = &graded.result;
        let time: f64 = e.tests.iter().map(|t| t.wall_ms).sum::<f64>() / 1000.0;
        let _ = writeln!(
            out,
            "  <testsuite name=\"{:02}-{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"{time:.3}\">",
            e.number,
            escape(&e.name),
            e.tests.len(),
            e.tests.iter().filter(|t| !t.kind.passed() && !errors(t.kind)).count(),
            e.tests.iter().filter(|t| errors(t.kind)).count(),
        );
        let _ = writeln!(
            out,
            "    <properties>\n      <property name=\"score\" value=\"{}\"/>\n      <property name=\"max_score\" value=\"{}\"/>\n      <property name=\"sandbox\" value=\"{}\"/>\n    </properties>",
            e.score,
            e.max_score,
            escape(&report.sandbox.summary())
        );
        for t in &e.tests {
            let _ = write!(
                out,
                "    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\"",
                escape(&e.name),
                escape(&t.name),
                t.wall_ms / 1000.0
            );
            if t.kind.passed() {
                out.push_str("/>\n");
                continue;
            }
            let tag = if errors(t.kind) { "error" } else { "failure" };
            let kind = serde_json::to_value(t.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            let first = t.message.lines().next().unwrap_or_default();
            let _ = writeln!(
                out,
                ">\n      <{tag} type=\"{kind}\" message=\"{}\">{}</{tag}>\n    </testcase>",
                escape(first),
                escape(&t.message)
            );
        }
        if let Some(errors) = &e.compile_error {
            let _ = writeln!(out, "    <system-err>{}</system-err>", escape(errors));
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_drops_control_characters() {
        assert_eq!(escape("a < b & \"c\"\u{1b}[31m"), "a &lt; b &amp; &quot;c&quot;[31m");
    }
}
