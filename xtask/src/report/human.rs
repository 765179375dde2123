//! The terminal view: what a learner reads after `cargo xtask check`.

use std::fmt::Write;

use crate::course::Exercise;
use crate::model::{ExerciseResult, Kind, TestResult};
use crate::style;

fn indent(text: &str, by: usize) -> String {
    let pad = " ".repeat(by);
    text.lines()
        .map(|l| if l.is_empty() { String::new() } else { format!("{pad}{l}") })
        .collect::<Vec<_>>()
        .join("\n")
}

fn humanize(test: &str) -> String {
    test.replace('_', " ")
}

fn virtual_time(t: &TestResult) -> String {
    match t.virtual_ms {
        Some(ms) if ms.fract() == 0.0 => format!("{}.{:03} s virtual", ms as u64 / 1000, ms as u64 % 1000),
        Some(ms) => format!("{:.6} s virtual", ms / 1000.0),
        None => String::new(),
    }
}

/// The heading: `01 gather · asyncio.gather / asyncio.create_task`.
pub fn heading(exercise: &Exercise) -> String {
    let idiom = if exercise.idiom.is_empty() { String::new() } else { format!(" · {}", exercise.idiom) };
    style::bold(&format!("{:02} {}{idiom}", exercise.number, exercise.name))
}

/// What to show besides the verdicts.
#[derive(Debug, Clone, Copy, Default)]
pub struct View {
    /// Each failing test's own output.
    pub verbose: bool,
    /// Each passing test's schedule on the virtual clock.
    pub timeline: bool,
}

/// Everything about one exercise's run, for the terminal, with the chosen
/// extras.
pub fn render(exercise: &Exercise, result: &ExerciseResult, view: View) -> String {
    let verbose = view.verbose;
    let mut out = String::new();
    let _ = writeln!(out, "{}", heading(exercise));
    if let Some(errors) = &result.compile_error {
        let _ = writeln!(out, "  {} does not compile:\n", style::red("✘"));
        let _ = writeln!(out, "{}", indent(errors.trim_end(), 4));
        let _ = writeln!(out, "\n  fix the errors above, then run: cargo xtask check {}", exercise.name);
        return out;
    }

    // A task whose every test hits its todo!() is one line, not five.
    let mut shown_todo: Vec<&str> = Vec::new();
    for t in &result.tests {
        let task_tests: Vec<&TestResult> =
            result.tests.iter().filter(|o| o.task.is_some() && o.task == t.task).collect();
        if t.kind == Kind::NotImplemented && task_tests.iter().all(|o| o.kind == Kind::NotImplemented) {
            let task = t.task.as_deref().unwrap_or_default();
            if !shown_todo.contains(&task) {
                shown_todo.push(task);
                let count = task_tests.len();
                let tests = if count == 1 { "1 test".to_string() } else { format!("{count} tests") };
                let _ = writeln!(out, "  {} {:<56} {}", style::yellow("○"), t.message, style::dim(&tests));
            }
            continue;
        }
        let name = humanize(&t.name);
        match t.kind {
            Kind::Passed => {
                let _ = writeln!(out, "  {} {name:<56} {}", style::green("✔"), style::dim(&virtual_time(t)));
                if view.timeline && !t.timeline.trim().is_empty() {
                    let _ = writeln!(out, "{}\n", indent(t.timeline.trim_end(), 6));
                }
            }
            Kind::NotImplemented => {
                let _ = writeln!(out, "  {} {name}: {}", style::yellow("○"), t.message);
            }
            _ => {
                let _ = writeln!(out, "  {} {name}", style::red("✘"));
                let _ = writeln!(out, "{}", indent(t.message.trim_end(), 6));
                if let Some(task) = &t.task {
                    let at = format!("→ look at `{task}` in {}/src/lib.rs", exercise.dir.display());
                    let _ = writeln!(out, "{}", indent(&style::dim(&at), 6));
                }
                let unexplained = matches!(t.kind, Kind::ExitedEarly | Kind::Crashed | Kind::OutOfMemory);
                if (verbose || unexplained) && !t.output.trim().is_empty() {
                    let _ = writeln!(out, "{}", indent(&style::dim("its output:"), 6));
                    let _ = writeln!(out, "{}", indent(&style::dim(tail(&t.output, 20).trim_end()), 8));
                }
            }
        }
    }
    let (passed, total) = (result.passed(), result.tests.len());
    let summary = if result.all_passed() {
        style::green(&format!("all {total} pass"))
    } else {
        format!("{passed} of {total} pass")
    };
    let _ = writeln!(out, "  {summary}");
    out
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
