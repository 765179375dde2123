//! The course on disk: where the workspace is and which exercises it has.
//!
//! The exercise list comes from the workspace itself: every directory
//! `exercises/NN-name` with an `exercise.toml`, in the order of NN. Nothing
//! else has to be kept in sync when an exercise is added.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Deserialize;

/// Top-level entries of a course that are never copied anywhere (a stage,
/// the Gradescope bundle, the student edition): build output, history and
/// a learner's progress.
pub const NOT_COPIED: &[&str] = &["target", ".git", crate::state::FILE];

/// Whether `rel` (relative to the course root) lies under one of them.
pub fn not_copied(rel: &Path) -> bool {
    rel.components().next().is_some_and(|c| NOT_COPIED.iter().any(|s| c.as_os_str() == *s))
}

/// One task of an exercise, as exercise.toml describes it.
#[derive(Debug, Clone, Deserialize)]
pub struct Task {
    /// The function the task is about; tests whose name starts with it
    /// belong to it.
    pub name: String,
    /// One line: what to do.
    #[serde(default)]
    pub summary: String,
    /// From a nudge to nearly the answer.
    #[serde(default)]
    pub hints: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Manifest {
    #[serde(default)]
    idiom: String,
    #[serde(default)]
    draft: bool,
    #[serde(default)]
    topics: Vec<String>,
    #[serde(default)]
    tasks: Vec<Task>,
    #[serde(default)]
    points: BTreeMap<String, f64>,
}

/// An exercise of the course.
#[derive(Debug, Clone)]
pub struct Exercise {
    /// NN of `exercises/NN-name`.
    pub number: u32,
    /// The name a learner types: `gather`.
    pub name: String,
    /// `exercises/01-gather`, relative to the course root.
    pub dir: PathBuf,
    /// The cargo package of the exercise (its Cargo.toml says).
    pub package: String,
    /// The Python idiom it mirrors.
    pub idiom: String,
    /// What it teaches, in a few words each.
    pub topics: Vec<String>,
    pub tasks: Vec<Task>,
    /// Still being written (`cargo xtask new` makes drafts): verify does
    /// not ask for the full set of mutants and alternatives yet, and the
    /// student edition leaves it out.
    pub draft: bool,
    points: BTreeMap<String, f64>,
}

impl Exercise {
    /// `solutions/gather`, relative to the course root.
    pub fn solution_dir(&self) -> PathBuf {
        Path::new("solutions").join(&self.name)
    }

    /// `exercises/01-gather/src`, relative to the course root: what the
    /// learner edits.
    pub fn src(&self) -> PathBuf {
        self.dir.join("src")
    }

    /// The solution's package: `gather-solution`.
    pub fn solution_package(&self) -> String {
        format!("{}-solution", self.package)
    }

    /// Points a test is worth (1 unless exercise.toml says otherwise).
    pub fn points(&self, test: &str) -> f64 {
        self.points.get(test).copied().unwrap_or(1.0)
    }

    /// Tests named in `[points]`, to check they exist.
    pub fn pointed_tests(&self) -> impl Iterator<Item = &str> {
        self.points.keys().map(String::as_str)
    }

    /// The task a test belongs to: the longest task name that starts it.
    pub fn task_of(&self, test: &str) -> Option<(usize, &Task)> {
        self.tasks
            .iter()
            .enumerate()
            .filter(|(_, t)| test == t.name || test.starts_with(&format!("{}_", t.name)))
            .max_by_key(|(_, t)| t.name.len())
    }
}

/// The course: a workspace root and its exercises.
#[derive(Debug, Clone)]
pub struct Course {
    pub root: PathBuf,
    pub exercises: Vec<Exercise>,
}

impl Course {
    /// Finds the course from the current directory upwards (or at
    /// `AWAITLINGS_ROOT`): the first directory with a Cargo.toml and an
    /// `exercises/` directory.
    pub fn discover() -> Result<Course> {
        let start = match std::env::var_os("AWAITLINGS_ROOT") {
            Some(root) => PathBuf::from(root),
            None => std::env::current_dir().context("reading the current directory")?,
        };
        let root = start
            .ancestors()
            .find(|dir| dir.join("Cargo.toml").is_file() && dir.join("exercises").is_dir())
            .with_context(|| {
                format!(
                    "{} is not inside an awaitlings course (no Cargo.toml with an exercises/ directory above it).\n\
                     cd into the course you cloned, then run cargo xtask again",
                    start.display()
                )
            })?;
        Course::load(root)
    }

    /// Reads the exercises of the course at `root`.
    pub fn load(root: &Path) -> Result<Course> {
        let mut exercises = Vec::new();
        let dir = root.join("exercises");
        let entries = fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))?;
        for entry in entries {
            let entry = entry.with_context(|| format!("reading {}", dir.display()))?;
            let file_name = entry.file_name().to_string_lossy().into_owned();
            let Some((number, name)) = parse_dir_name(&file_name) else { continue };
            if !entry.path().join("exercise.toml").is_file() {
                continue;
            }
            exercises.push(load_exercise(root, &file_name, number, name)?);
        }
        exercises.sort_by_key(|e| e.number);
        for pair in exercises.windows(2) {
            if pair[0].number == pair[1].number {
                bail!(
                    "two exercises are numbered {:02}: {} and {}. Give each its own number.",
                    pair[0].number,
                    pair[0].dir.display(),
                    pair[1].dir.display()
                );
            }
        }
        Ok(Course { root: root.to_path_buf(), exercises })
    }

    /// The exercises named (all of them when none are), or a usage error
    /// for the first name that matches none, suggesting the closest.
    pub fn select(&self, names: &[String]) -> anyhow::Result<Vec<&Exercise>> {
        if names.is_empty() {
            return Ok(self.exercises.iter().collect());
        }
        names.iter().map(|n| crate::commands::find(self, n)).collect()
    }

    /// The exercise a learner named, by name, `NN` or `NN-name`.
    pub fn find(&self, wanted: &str) -> Option<&Exercise> {
        let wanted = wanted.trim().trim_end_matches('/');
        let wanted = wanted.rsplit('/').next().unwrap_or(wanted);
        self.exercises.iter().find(|e| {
            e.name == wanted
                || e.package == wanted
                || e.dir.file_name().is_some_and(|d| d == wanted)
                || wanted.parse::<u32>().is_ok_and(|n| n == e.number)
        })
    }
}

/// `01-gather` gives (1, "gather").
fn parse_dir_name(dir: &str) -> Option<(u32, &str)> {
    let (number, name) = dir.split_once('-')?;
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) || name.is_empty() {
        return None;
    }
    Some((number.parse().ok()?, name))
}

fn load_exercise(root: &Path, dir_name: &str, number: u32, name: &str) -> Result<Exercise> {
    let dir = Path::new("exercises").join(dir_name);
    let manifest_path = root.join(&dir).join("exercise.toml");
    let text =
        fs::read_to_string(&manifest_path).with_context(|| format!("reading {}", manifest_path.display()))?;
    let manifest: Manifest =
        toml::from_str(&text).with_context(|| format!("parsing {}", manifest_path.display()))?;
    let cargo_path = root.join(&dir).join("Cargo.toml");
    let cargo =
        fs::read_to_string(&cargo_path).with_context(|| format!("reading {}", cargo_path.display()))?;
    let package =
        package_name(&cargo).with_context(|| format!("no [package] name in {}", cargo_path.display()))?;
    Ok(Exercise {
        number,
        name: name.to_string(),
        dir,
        package,
        idiom: manifest.idiom,
        topics: manifest.topics,
        tasks: manifest.tasks,
        draft: manifest.draft,
        points: manifest.points,
    })
}

fn package_name(cargo_toml: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct Package {
        name: String,
    }
    #[derive(Deserialize)]
    struct CargoToml {
        package: Package,
    }
    toml::from_str::<CargoToml>(cargo_toml).ok().map(|c| c.package.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exercise_dirs_are_number_dash_name() {
        assert_eq!(parse_dir_name("01-gather"), Some((1, "gather")));
        assert_eq!(parse_dir_name("05-producer-consumer"), Some((5, "producer-consumer")));
        assert_eq!(parse_dir_name("gather"), None);
        assert_eq!(parse_dir_name("x1-gather"), None);
    }
}
