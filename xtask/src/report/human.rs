//! The terminal view: what a learner reads after `cargo xtask check`.

use std::fmt::Write;

use crate::compile::Warning;
use crate::course::Exercise;
use crate::model::{ExerciseResult, TestResult, Verdict};
use crate::style;

fn indent(text: &str, by: usize) -> String {
    let pad = " ".repeat(by);
    text.lines()
        .map(|l| if l.is_empty() { String::new() } else { format!("{pad}{l}") })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Virtual time, the one way it is written everywhere: `1.250 s`.
pub fn seconds(ms: f64) -> String {
    format!("{:.3} s", ms / 1000.0)
}

fn virtual_time(t: &TestResult) -> String {
    t.virtual_ms.map(|ms| format!("{} virtual", seconds(ms))).unwrap_or_default()
}

/// Said under the "in flight" row of a chart, which is otherwise a row of
/// bare digits.
pub const IN_FLIGHT_LEGEND: &str = "in flight: how many jobs were running at each moment; + is ten or more";

/// `text` with a one-line legend under the last "in flight" row of each
/// chart in it.
fn with_legends(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::with_capacity(lines.len() + 1);
    let is_load_row = |line: &str| {
        line.trim_start().strip_prefix("in flight").is_some_and(|rest| {
            rest.starts_with(' ') && rest.trim().chars().all(|c| c.is_ascii_digit() || c == '+' || c == ' ')
        })
    };
    for (i, line) in lines.iter().enumerate() {
        out.push(line.to_string());
        let next_is_load = lines[i + 1..].iter().take_while(|l| !l.trim().is_empty()).any(|l| is_load_row(l));
        if is_load_row(line) && !next_is_load {
            let pad = line.len() - line.trim_start().len();
            out.push(format!("{}{}", " ".repeat(pad), style::dim(&format!("({IN_FLIGHT_LEGEND})"))));
        }
    }
    out.join("\n")
}

/// The item a task is about, as `src/lib.rs` writes it, and its line:
/// `fn concurrent`, `struct Limiter` for the task `limiter`, `fn new` in
/// `impl RateLimiter` as `RateLimiter::new`.
/// The line of the learner's `lib.rs` where the checker saw their code
/// panic ("your code panicked at exercises/01-gather/src/lib.rs:71:30").
fn panicked_line(message: &str, lib: &std::path::Path) -> Option<usize> {
    let lib = lib.to_string_lossy().replace('\\', "/");
    let at = message.find(&format!("panicked at {lib}:"))?;
    let rest = &message[at + "panicked at ".len() + lib.len() + 1..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

pub fn find_item(lib_rs: &str, task: &str) -> Option<(String, usize)> {
    let camel: String = task
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_uppercase().chain(c).collect::<String>()).unwrap_or_default()
        })
        .collect();
    let lines: Vec<&str> = lib_rs.lines().collect();
    fn code(l: &str) -> Option<&str> {
        let l = l.trim_start();
        if l.starts_with("//") { None } else { Some(l) }
    }
    let declares = |line: &str, keyword: &str, name: &str| {
        let Some(line) = code(line) else { return false };
        let words = ["pub ", "pub(crate) ", "async ", "const ", "unsafe "];
        let mut rest = line;
        while let Some(after) = words.iter().find_map(|w| rest.strip_prefix(w)) {
            rest = after;
        }
        rest.strip_prefix(keyword)
            .and_then(|r| r.strip_prefix(' '))
            .and_then(|r| r.strip_prefix(name))
            .is_some_and(|r| r.starts_with(['(', '<', ' ', '{', ';']) || r.is_empty())
    };
    for (i, line) in lines.iter().enumerate() {
        if declares(line, "fn", task) {
            // A method: name it with its type.
            let owner = lines[..i].iter().rev().find_map(|l| {
                let l = l.strip_prefix("impl")?;
                let l = if l.starts_with('<') { &l[l.find('>')? + 1..] } else { l };
                let ty = l.trim().split(" for ").last()?;
                let ty: String = ty.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                (!ty.is_empty()).then_some(ty)
            });
            let indented = line.starts_with(' ') || line.starts_with('\t');
            return Some(match owner {
                Some(ty) if indented => (format!("{ty}::{task}"), i + 1),
                _ => (task.to_string(), i + 1),
            });
        }
    }
    for (i, line) in lines.iter().enumerate() {
        for keyword in ["struct", "enum", "trait", "type"] {
            if declares(line, keyword, &camel) {
                return Some((camel.clone(), i + 1));
            }
        }
    }
    None
}

/// The lines (from 1, end excluded) of the item `find_item` finds for
/// `task`: from its declaration to the next item at its level.
fn item_lines(lib_rs: &str, task: &str) -> Option<(usize, usize)> {
    let (_, start) = find_item(lib_rs, task)?;
    let lines: Vec<&str> = lib_rs.lines().collect();
    let indent = |l: &str| l.len() - l.trim_start().len();
    let level = indent(lines[start - 1]);
    let starts_item = |l: &str| {
        let l = l.trim_start();
        [
            "pub ", "pub(", "fn ", "async ", "impl", "struct ", "enum ", "trait ", "type ", "const ",
            "static ", "mod ", "///", "#[",
        ]
        .iter()
        .any(|k| l.starts_with(k))
    };
    let end = lines
        .iter()
        .enumerate()
        .skip(start)
        .find(|(_, l)| !l.trim().is_empty() && (indent(l) < level || (indent(l) == level && starts_item(l))))
        .map_or(lines.len() + 1, |(i, _)| i + 1);
    Some((start, end))
}

/// rustc's rendering of a warning, for a learner: for a future that is
/// never awaited, rustc's `help: use \`let _ = ...\`` would silence the
/// bug, not fix it; the help says to await it instead.
fn for_learner(w: &Warning) -> String {
    if !w.rendered.contains("futures do nothing unless you `.await`") {
        return w.rendered.clone();
    }
    let kept: Vec<&str> =
        w.rendered.lines().take_while(|l| !l.starts_with("help: use `let _ = ...`")).collect();
    format!(
        "{}\n  = help: add `.await` to it: a future does nothing until it is awaited (`let _ =` would only hide this)",
        kept.join("\n").trim_end()
    )
}

/// Lines of `lib_rs` that block the executor's thread, with their number.
fn blocking_calls(lib_rs: &str) -> Vec<(usize, &'static str)> {
    let mut found = Vec::new();
    for (i, line) in lib_rs.lines().enumerate() {
        let code = line.split("//").next().unwrap_or_default();
        if code.contains("thread::sleep(") {
            found.push((i + 1, "std::thread::sleep"));
        }
    }
    found
}

/// The heading: `01 gather · asyncio.gather / asyncio.create_task`.
pub fn heading(exercise: &Exercise) -> String {
    let idiom = if exercise.idiom.is_empty() { String::new() } else { format!(" · {}", exercise.idiom) };
    style::bold(&format!("{:02} {}{idiom}", exercise.number, exercise.name))
}

/// What to show besides the verdicts.
#[derive(Debug, Clone, Default)]
pub struct View {
    /// Each failing test's own output.
    pub verbose: bool,
    /// Each passing test's schedule on the virtual clock.
    pub timeline: bool,
    /// The learner's `src/lib.rs` as it was checked: a failure points at
    /// the function it is about, with its line.
    pub lib_rs: Option<String>,
    /// Shown by `watch`, where saving the file checks again.
    pub watching: bool,
}

/// Everything about one exercise's run, for the terminal, with the chosen
/// extras.
pub fn render(exercise: &Exercise, result: &ExerciseResult, view: View) -> String {
    let verbose = view.verbose;
    let lib = exercise.src().join("lib.rs");
    let mut out = String::new();
    let _ = writeln!(out, "{}", heading(exercise));
    if let Some(errors) = &result.compile_error {
        let _ = writeln!(out, "  {} does not compile:\n", style::red("✘"));
        let _ = writeln!(out, "{}", indent(errors.trim_end(), 4));
        if view.watching {
            let _ = writeln!(out, "\n  fix the errors above and save: it is checked again");
        } else {
            let _ = writeln!(out, "\n  fix the errors above, then run: cargo xtask check {}", exercise.name);
        }
        return out;
    }
    if !result.warnings.is_empty() {
        let count = result.warnings.len();
        let what = if count == 1 { "a warning".to_string() } else { format!("{count} warnings") };
        let _ = writeln!(
            out,
            "  {} rustc has {what} about your code; it may be the bug (a future not awaited does nothing):\n",
            style::yellow("⚠")
        );
        for w in &result.warnings {
            let _ = writeln!(out, "{}\n", indent(&for_learner(w), 4));
        }
    }
    // For a failing test: the warning inside its task's function first,
    // else the first one.
    let warning_for = |task: Option<&str>| {
        let range = task.zip(view.lib_rs.as_deref()).and_then(|(task, lib_rs)| item_lines(lib_rs, task));
        let inside =
            |w: &&Warning| range.is_some_and(|(from, to)| (from as u64..to as u64).contains(&w.line));
        let more = if result.warnings.len() > 1 { " (and the others above)" } else { "" };
        if let Some(w) =
            result.warnings.iter().find(inside).or(result.warnings.first().filter(|_| range.is_none()))
        {
            return Some(style::yellow(&format!(
                "⚠ a warning may explain this: look first at {}:{}, {}{more}",
                w.file, w.line, w.message
            )));
        }
        // Warned about elsewhere: a helper this task calls may be it.
        let w = result.warnings.first()?;
        Some(style::dim(&format!(
            "⚠ rustc also warned at {}:{}{more}: it may explain this too",
            w.file, w.line
        )))
    };

    // A task whose every test hits its todo!() is one line, not five.
    let mut shown_todo: Vec<&str> = Vec::new();
    for t in &result.tests {
        let task_tests: Vec<&TestResult> =
            result.tests.iter().filter(|o| o.task.is_some() && o.task == t.task).collect();
        if t.kind == Verdict::NotImplemented && task_tests.iter().all(|o| o.kind == Verdict::NotImplemented) {
            let task = t.task.as_deref().unwrap_or_default();
            if !shown_todo.contains(&task) {
                shown_todo.push(task);
                let count = task_tests.len();
                let tests = if count == 1 { "1 test".to_string() } else { format!("{count} tests") };
                let _ = writeln!(out, "  {} {:<56} {}", style::yellow("○"), t.message, style::dim(&tests));
            }
            continue;
        }
        let name = &t.name;
        match t.kind {
            Verdict::Passed => {
                let _ = writeln!(out, "  {} {name:<56} {}", style::green("✔"), style::dim(&virtual_time(t)));
                if view.timeline && !t.timeline.trim().is_empty() {
                    let _ = writeln!(out, "{}\n", indent(&with_legends(t.timeline.trim_end()), 6));
                }
            }
            Verdict::NotImplemented => {
                let _ = writeln!(out, "  {} {name}: {}", style::yellow("○"), t.message);
            }
            _ => {
                let _ = writeln!(out, "  {} {name}", style::red("✘"));
                if let Some(warning) = warning_for(t.task.as_deref()) {
                    let _ = writeln!(out, "{}", indent(&warning, 6));
                }
                let _ = writeln!(out, "{}", indent(&with_legends(t.message.trim_end()), 6));
                let blocking = view.lib_rs.as_deref().map(blocking_calls).unwrap_or_default();
                if matches!(t.kind, Verdict::TimedOut | Verdict::Blocking)
                    && let Some((line, call)) = blocking.first()
                {
                    let said = if t.kind == Verdict::TimedOut { "this looks like blocking: " } else { "" };
                    let note = format!(
                        "{said}{}:{line} calls {call}, which holds the executor's only thread \
                         (no other task runs, the clock does not move): use tokio::time::sleep(..).await",
                        lib.display()
                    );
                    let _ = writeln!(out, "{}", indent(&style::yellow(&note), 6));
                }
                if let Some(task) = &t.task {
                    let item = view.lib_rs.as_deref().and_then(|lib_rs| find_item(lib_rs, task));
                    let panicked = panicked_line(&t.message, &lib);
                    let at = match (item, panicked) {
                        (Some((item, _)), Some(line)) => {
                            format!(
                                "→ look at {}:{line}, in `{item}`: your code panicked there",
                                lib.display()
                            )
                        }
                        (None, Some(line)) => {
                            format!("→ look at {}:{line}: your code panicked there", lib.display())
                        }
                        (Some((item, line)), None) => {
                            format!("→ look at `{item}` in {}:{line}", lib.display())
                        }
                        (None, None) => format!("→ look at task `{task}` in {}", lib.display()),
                    };
                    let _ = writeln!(out, "{}", indent(&style::dim(&at), 6));
                }
                let unexplained =
                    matches!(t.kind, Verdict::ExitedEarly | Verdict::Crashed | Verdict::OutOfMemory);
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

#[cfg(test)]
mod tests {
    use super::*;

    const LIB: &str = "use std::fmt;\n\n/// Docs.\npub async fn concurrent(x: u32) -> u32 {\n    todo!()\n}\n\n\
                       pub struct Limiter {\n    n: usize,\n}\n\nimpl<T> fmt::Debug for Limiter {\n}\n\n\
                       impl RateLimiter {\n    pub fn new(r: u32) -> Self {\n        todo!()\n    }\n}\n";

    #[test]
    fn a_task_points_at_its_function_or_type() {
        assert_eq!(find_item(LIB, "concurrent"), Some(("concurrent".into(), 4)));
        assert_eq!(find_item(LIB, "limiter"), Some(("Limiter".into(), 8)));
        assert_eq!(find_item(LIB, "new"), Some(("RateLimiter::new".into(), 16)));
        assert_eq!(find_item(LIB, "gone"), None);
        assert_eq!(item_lines(LIB, "concurrent"), Some((4, 8)));
        assert_eq!(item_lines(LIB, "new"), Some((16, 19)));
    }

    #[test]
    fn the_in_flight_row_gets_a_legend_once_per_chart() {
        let chart =
            "            0s  1s\nexpected  A ████\n   in flight 11\nyours     A ████\n   in flight 1\n\nnext";
        let out = with_legends(chart);
        assert_eq!(out.matches(IN_FLIGHT_LEGEND).count(), 1, "{out}");
        assert!(out.contains("   in flight 1\n   (in flight: how many"), "{out}");
    }

    #[test]
    fn virtual_times_have_three_decimals() {
        assert_eq!(seconds(1000.0), "1.000 s");
        assert_eq!(seconds(0.25), "0.000 s");
        assert_eq!(seconds(1250.4), "1.250 s");
    }
}
