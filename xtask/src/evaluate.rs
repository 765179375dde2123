//! Build one package's tests, run them, and judge the results: the single
//! code path behind `check`, `check --solution`, `verify` and `grade`.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::compile::{self, Built, CompileOptions, Warning};
use crate::course::Exercise;
use crate::model::ExerciseResult;
use crate::runner::{self, RunOptions};

/// The cargo package an exercise is built as, and the workspace it is
/// built in (the course itself, or a stage).
#[derive(Debug, Clone)]
pub struct Package {
    /// The workspace root.
    pub workspace: PathBuf,
    /// `gather` or `gather-solution`.
    pub name: String,
}

/// Builds and runs every test of `exercise` at `site`.
pub fn evaluate(
    exercise: &Exercise,
    site: &Package,
    compile_options: &CompileOptions,
    run_options: &RunOptions,
) -> Result<ExerciseResult> {
    match build(exercise, site, compile_options, run_options)? {
        Build::Failed(result) => Ok(result),
        Build::Ready(tests) => tests.run(exercise, run_options),
    }
}

/// An exercise built and its tests listed: ready to run, as often as
/// `verify --repeat` asks, without building again.
#[derive(Debug)]
pub enum Build {
    /// It did not compile: the result says so, every test at 0.
    Failed(ExerciseResult),
    Ready(Tests),
}

/// The tests of one build, each with the binary that holds it.
#[derive(Debug)]
pub struct Tests {
    tests: Vec<(PathBuf, String)>,
    /// Tests the source has but no binary listed, with why.
    missing: Vec<(String, String)>,
    /// What rustc warned about in the learner's `src/`.
    warnings: Vec<Warning>,
    /// The package's own programs, which its tests may run.
    programs: Vec<PathBuf>,
}

impl Tests {
    /// Runs every test once, each in its own process.
    pub fn run(&self, exercise: &Exercise, run_options: &RunOptions) -> Result<ExerciseResult> {
        let with_programs;
        let run_options = match &run_options.sandbox {
            Some(sandbox) if !self.programs.is_empty() => {
                with_programs = RunOptions {
                    sandbox: Some(sandbox.with_programs(&self.programs)),
                    ..run_options.clone()
                };
                &with_programs
            }
            _ => run_options,
        };
        // A grade runs in rounds (see runner/rounds.rs): a hang makes it
        // impatient from the next round on, and a task whose first tests
        // hung is not run further. Elsewhere every test gets its full due.
        let runs = if run_options.impatience.is_some() || run_options.stop_early {
            let tasks: Vec<Option<usize>> =
                self.tests.iter().map(|(_, name)| exercise.task_of(name).map(|(i, _)| i)).collect();
            runner::run_in_rounds(&self.tests, &tasks, run_options)?
        } else {
            runner::run_all(&self.tests, run_options)?
        };
        let mut result =
            ExerciseResult::from_runs(exercise, runs, self.missing.clone(), run_options.wall_limit);
        result.warnings = self.warnings.clone();
        Ok(result)
    }

    /// Whether every test passes, running them one at a time and stopping
    /// at the first that does not: enough to know a stub is not an answer.
    pub fn all_pass(&self, exercise: &Exercise, run_options: &RunOptions) -> Result<bool> {
        if !self.missing.is_empty() || self.tests.is_empty() {
            return Ok(false);
        }
        for test in &self.tests {
            let runs = runner::run_all(std::slice::from_ref(test), run_options)?;
            let result = ExerciseResult::from_runs(exercise, runs, Vec::new(), run_options.wall_limit);
            if !result.all_passed() {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

/// Builds the tests of `exercise` at `site` and lists them.
pub fn build(
    exercise: &Exercise,
    site: &Package,
    compile_options: &CompileOptions,
    run_options: &RunOptions,
) -> Result<Build> {
    let built = compile::build_tests(&site.workspace, &site.name, compile_options)?;
    Ok(ready(exercise, site, built, run_options))
}

/// What cargo `built` for `exercise` at `site`, its tests listed.
pub fn ready(exercise: &Exercise, site: &Package, built: Built, run_options: &RunOptions) -> Build {
    match built {
        Built::Failed(diagnostics) => {
            let names = test_names_in_source(&site.workspace.join(&exercise.dir).join("tests"));
            Build::Failed(ExerciseResult::compile_failed(exercise, diagnostics, names))
        }
        Built::Binaries(binaries, warnings, programs) => {
            let mut tests = Vec::new();
            let mut trouble = None;
            for binary in &binaries {
                match runner::list_tests(binary, run_options.wall_limit, run_options.sandbox.as_ref()) {
                    Ok(names) => tests.extend(names.into_iter().map(|name| (binary.clone(), name))),
                    Err(reason) => trouble = Some(reason),
                }
            }
            // The test files say which tests there are; a binary tampered
            // with from the inside cannot add to them or make them vanish.
            let expected = test_names_in_source(&site.workspace.join(&exercise.dir).join("tests"));
            let mut missing = Vec::new();
            if !expected.is_empty() {
                tests.retain(|(_, name)| expected.contains(name));
                for name in &expected {
                    if !tests.iter().any(|(_, listed)| listed == name) {
                        let why = trouble.clone().unwrap_or_else(|| "the test binary did not list it".into());
                        missing.push((name.clone(), why));
                    }
                }
            }
            // Present tests task by task, in the order exercise.toml gives,
            // and within a task in the order of the test file, where the
            // task's main property comes first.
            tests.sort_by_key(|(_, name)| {
                (
                    exercise.task_of(name).map_or(usize::MAX, |(i, _)| i),
                    expected.iter().position(|e| e == name).unwrap_or(usize::MAX),
                    name.clone(),
                )
            });
            // The learner's own warnings only: those of the checker or the
            // tests are the course's business.
            let src = exercise.src();
            let warnings = warnings.into_iter().filter(|w| w.is_under(&src)).collect();
            Build::Ready(Tests { tests, missing, warnings, programs })
        }
    }
}

/// Test names read from the source, for an exercise that did not compile:
/// its tests still count, with 0 points each.
pub fn test_names_in_source(tests_dir: &Path) -> Vec<String> {
    let mut names = Vec::new();
    let Ok(entries) = fs::read_dir(tests_dir) else { return names };
    let mut files: Vec<PathBuf> =
        entries.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "rs")).collect();
    files.sort();
    for file in files {
        let Ok(text) = fs::read_to_string(&file) else { continue };
        let mut after_test_attr = false;
        for line in text.lines().map(str::trim) {
            if line.starts_with("#[test]") {
                after_test_attr = true;
            } else if after_test_attr
                && let Some(rest) = line.strip_prefix("fn ").or_else(|| line.strip_prefix("async fn "))
            {
                let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                names.push(name);
                after_test_attr = false;
            }
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_test_functions_in_source() {
        let dir = std::env::temp_dir().join(format!("awaitlings-names-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("t.rs"), "#[test]\nfn a_b() {}\nfn helper() {}\n#[test]\n#[ignore]\nfn c() {}\n")
            .unwrap();
        assert_eq!(test_names_in_source(&dir), vec!["a_b", "c"]);
        fs::remove_dir_all(&dir).unwrap();
    }
}
