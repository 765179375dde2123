//! results.json as Gradescope's autograder specification describes it:
//! top-level `score`, `execution_time`, `output`, `tests[]`, each test with
//! `name`, `number`, `score`, `max_score`, `status`, `output`, `visibility`.

use serde_json::{Value, json};

use crate::grading::{GradeReport, points};
use crate::model::Verdict;

pub fn render(report: &GradeReport) -> String {
    let mut tests = Vec::new();
    for graded in &report.exercises {
        let e = &graded.result;
        for (i, t) in e.tests.iter().enumerate() {
            let mut output = if t.kind.passed() { String::new() } else { t.message.clone() };
            if t.kind == Verdict::CompileError && i == 0 {
                if let Some(errors) = &e.compile_error {
                    output = format!("the exercise did not compile:\n\n{errors}");
                }
            } else if t.kind == Verdict::CompileError {
                output =
                    "the exercise did not compile, so this test could not run (rustc's errors are in this \
                          exercise's first test)."
                        .into();
            }
            if matches!(t.kind, Verdict::Crashed | Verdict::ExitedEarly | Verdict::OutOfMemory)
                && !t.output.trim().is_empty()
            {
                output.push_str("\n\nthe test's own output (last lines):\n");
                output.push_str(&tail(&t.output, 30));
            }
            tests.push(json!({
                "name": format!("{:02} {} · {}", e.number, e.name, t.name.replace('_', " ")),
                "number": format!("{}.{}", e.number, i + 1),
                "score": t.score,
                "max_score": t.max_score,
                "status": if t.kind.passed() { "passed" } else { "failed" },
                "output": output,
                "output_format": "text",
                "visibility": "visible",
                "tags": t.task.iter().cloned().collect::<Vec<_>>(),
                "extra_data": { "kind": t.kind, "virtual_ms": t.virtual_ms },
            }));
        }
    }
    let mut summary: Vec<String> = report.notes.clone();
    for graded in &report.exercises {
        let e = &graded.result;
        summary.push(format!(
            "{:02} {}: {} of {} points{}",
            e.number,
            e.name,
            points(e.score),
            points(e.max_score),
            if e.compile_error.is_some() { " (did not compile)" } else { "" }
        ));
    }
    summary.push(format!("sandbox: {}", report.sandbox.summary()));
    let results: Value = json!({
        "score": report.score,
        "execution_time": report.execution_time.round() as u64,
        "output": summary.join("\n"),
        "output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": { "sandbox": report.sandbox },
    });
    serde_json::to_string_pretty(&results).unwrap_or_default() + "\n"
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
