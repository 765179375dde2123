//! `cargo xtask new NAME`: scaffold an exercise the way every exercise is
//! built, so that a maintainer starts from the method, not from a copy.
//!
//! It writes `exercises/NN-name/` (README with the six sections,
//! exercise.toml, a stub with one task, the one test file) and
//! `solutions/name/` (the manifest wired to that test file, a solution,
//! empty `mutants/` and `alternatives/`). The new exercise is a **draft**
//! (`draft = true` in exercise.toml): `verify` passes on it while it has
//! fewer than the required mutants and alternatives, and `dist` leaves it
//! out. Take the line out when the exercise is done.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result};

use crate::commands::UsageError;
use crate::course::Course;

/// `cargo xtask new NAME`.
#[derive(Debug, Clone, clap::Args)]
pub struct NewArgs {
    /// The exercise's name: lowercase words joined by dashes (`task-groups`).
    pub name: String,
    /// Its number (default: one after the last exercise).
    #[arg(long)]
    pub number: Option<u32>,
}

pub fn run(course: &Course, args: &NewArgs) -> Result<bool> {
    let name = args.name.trim();
    let valid = !name.is_empty()
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.ends_with('-')
        && !name.contains("--");
    if !valid {
        return Err(UsageError(format!(
            "'{name}' cannot name an exercise: use lowercase words joined by dashes, like task-groups"
        ))
        .into());
    }
    if let Some(existing) = course.exercises.iter().find(|e| e.name == name) {
        return Err(
            UsageError(format!("there is already an exercise '{name}': {}", existing.dir.display())).into()
        );
    }
    let number =
        args.number.unwrap_or_else(|| course.exercises.iter().map(|e| e.number + 1).max().unwrap_or(1));
    if let Some(taken) = course.exercises.iter().find(|e| e.number == number) {
        return Err(UsageError(format!(
            "number {number:02} is taken by {}: pick another with --number",
            taken.name
        ))
        .into());
    }
    let dir = format!("exercises/{number:02}-{name}");
    let solution = format!("solutions/{name}");
    for path in [&dir, &solution] {
        if course.root.join(path).exists() {
            return Err(UsageError(format!("{path} exists already: move it away first")).into());
        }
    }
    let krate = name.replace('-', "_");
    let inherited = inherited_package_keys(&course.root)?;
    let files = [
        (format!("{dir}/Cargo.toml"), exercise_manifest(name, number, &inherited)),
        (format!("{dir}/exercise.toml"), EXERCISE_TOML.to_string()),
        (format!("{dir}/README.md"), readme(name, number)),
        (format!("{dir}/src/lib.rs"), STUB.replace("@NAME@", name)),
        (format!("{dir}/tests/{krate}.rs"), TESTS.replace("@CRATE@", &krate).replace("@NAME@", name)),
        (
            format!("{solution}/Cargo.toml"),
            solution_manifest(name, number, &krate, &inherited, &lints_section(&course.root)),
        ),
        (format!("{solution}/src/lib.rs"), SOLUTION.replace("@NAME@", name)),
        (format!("{solution}/mutants/README.md"), MUTANTS_README.to_string()),
        (format!("{solution}/alternatives/README.md"), ALTERNATIVES_README.to_string()),
    ];
    for (rel, text) in &files {
        write(&course.root, rel, text)?;
    }
    println!("created {dir}/ and {solution}/ (a draft: see draft = true in exercise.toml)");
    println!("  next: write the spec in {dir}/README.md, the API in src/lib.rs, the tests, the solution;");
    println!("        cargo xtask verify {name}  proves the tests have teeth");
    Ok(true)
}

fn write(root: &Path, rel: &str, text: &str) -> Result<()> {
    let path = root.join(rel);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    fs::write(&path, text).with_context(|| format!("writing {}", path.display()))
}

/// `edition.workspace = true` and the like, for each key the course's
/// `[workspace.package]` sets (the edition defaults to 2024 otherwise).
fn inherited_package_keys(root: &Path) -> Result<String> {
    let path = root.join("Cargo.toml");
    let text = fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let manifest: toml::Table =
        toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    let package = manifest.get("workspace").and_then(|w| w.get("package")).and_then(|p| p.as_table());
    let mut lines = String::new();
    for key in ["edition", "version", "license", "publish"] {
        if package.is_some_and(|p| p.contains_key(key)) {
            lines.push_str(&format!("{key}.workspace = true\n"));
        } else if key == "edition" {
            lines.push_str("edition = \"2024\"\n");
        }
    }
    Ok(lines)
}

/// The solution follows the course's `[workspace.lints]`, if it has them.
fn lints_section(root: &Path) -> String {
    let text = fs::read_to_string(root.join("Cargo.toml")).unwrap_or_default();
    let has_lints = toml::from_str::<toml::Table>(&text)
        .ok()
        .is_some_and(|m| m.get("workspace").and_then(|w| w.get("lints")).is_some());
    if has_lints { "\n[lints]\nworkspace = true\n".to_string() } else { String::new() }
}

fn exercise_manifest(name: &str, number: u32, inherited: &str) -> String {
    format!(
        r#"[package]
name = "{name}"
description = "awaitlings {number:02}: {name}."
{inherited}
[lib]
# The tests live in tests/; the stub has no unit tests or doctests.
test = false
doctest = false

[dependencies]
tokio = {{ workspace = true }}

[dev-dependencies]
checker = {{ workspace = true }}
tokio = {{ workspace = true }}

[lints.rust]
# The stub names every parameter it does not use yet.
unused_variables = "allow"
# The learner's code cannot reach around the checker.
unsafe_code = "forbid"
"#
    )
}

fn solution_manifest(name: &str, number: u32, krate: &str, inherited: &str, lints: &str) -> String {
    format!(
        r#"[package]
name = "{name}-solution"
description = "The reference solution of awaitlings {number:02}-{name}."
{inherited}autotests = false

[lib]
name = "{krate}"
test = false
doctest = false

# The one test file, shared with the exercise.
[[test]]
name = "{krate}"
path = "../../exercises/{number:02}-{name}/tests/{krate}.rs"

[dependencies]
tokio = {{ workspace = true }}

[dev-dependencies]
checker = {{ workspace = true }}
tokio = {{ workspace = true }}
{lints}"#
    )
}

fn readme(name: &str, number: u32) -> String {
    format!(
        "# {number:02} · {name} · <the asyncio idiom it mirrors>\n\n\
         ## Concept\n\n- The mental model, in a few bullets.\n\n\
         ## Your task\n\n1. **`answer()`**: return 42 after exactly 1 s of (virtual) time.\n\n\
         ## Break it\n\n- Swap `tokio::time::sleep` for `std::thread::sleep` and see what `cargo xtask check {name}` says.\n\n\
         ## Explain it\n\n1. Why does the test take no real time?\n\n\
         ## Pitfalls\n\n- What learners get wrong here.\n\n\
         ## Mastery check\n\nYou can move on when you can:\n\n- predict ...\n"
    )
}

const EXERCISE_TOML: &str = r#"# What `cargo xtask` reads about this exercise. Tests belong to the task
# whose name starts their own. Hints go from a nudge to nearly the answer.

idiom = "<the asyncio idiom it mirrors>"
topics = ["tokio::time::sleep"]
# A draft: verify does not yet ask for 10 mutants and 2 alternatives, and
# dist leaves the exercise out. Delete this line when it is done.
draft = true

[[tasks]]
name = "answer"
summary = "return 42 after exactly 1 s"
hints = [
    "A nudge: what waits without blocking the thread?",
    "tokio::time::sleep takes a Duration and must be awaited.",
    "`tokio::time::sleep(Duration::from_secs(1)).await; 42`",
]
"#;

const STUB: &str = r#"//! # @NAME@
//!
//! Read README.md beside this file first, then replace each `todo!()`.

/// Task 1 · Return 42 after exactly 1 s.
pub async fn answer() -> u32 {
    todo!("task 1 (answer)")
}
"#;

const SOLUTION: &str = r#"//! # @NAME@ — reference solution

use std::time::Duration;

/// Task 1 · Return 42 after exactly 1 s.
pub async fn answer() -> u32 {
    tokio::time::sleep(Duration::from_secs(1)).await;
    42
}
"#;

const TESTS: &str = r#"//! Tests for @NAME@. The same file tests the stub (in exercises/) and the
//! solution (in solutions/). Test names start with the task they check.

use checker::{assert_elapsed, check_eq};

#[test]
fn answer_is_42_after_exactly_one_second() {
    checker::run(async {
        let value = @CRATE@::answer().await;
        check_eq(value, 42, "answer returns 42");
        assert_elapsed(checker::elapsed(), 1000, "answer()");
    });
}
"#;

const MUTANTS_README: &str = "Mutants: one plausible learner mistake each, as a patch against ../src/lib.rs.\n\
Copy ../src/lib.rs, make the mistake, then: cargo xtask mutant NAME BUG --from FILE\n";

const ALTERNATIVES_README: &str = "Alternatives: whole correct solutions in other idioms (*.rs), \
each a stand-in for ../src/lib.rs. They must pass every test.\n";
