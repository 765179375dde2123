//! A student's submission: where its exercises are, and which `src/`
//! directories it brings.
//!
//! Submissions arrive in every shape: the course root, the course inside a
//! folder named after the repository (a zip of a GitHub repo), or just the
//! `exercises/` folder. We look for `exercises/` at the top and one or two
//! levels down, and take nothing from a submission but `exercises/*/src/`.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::course::Exercise;
use crate::stage;

/// What a submission may put in one exercise's `src/`, at most.
pub const MAX_SRC_BYTES: u64 = 4 * 1024 * 1024;

#[derive(Debug)]
pub struct Submission {
    /// Its `exercises/` directory, if it has one.
    pub exercises: Option<PathBuf>,
}

/// What the submission has for one exercise.
#[derive(Debug)]
pub enum Provided {
    /// Its `src/` directory.
    Src(PathBuf),
    /// Nothing: the exercise is graded on its stub.
    Missing,
    /// A `src/` too large to take.
    TooLarge(u64),
}

impl Submission {
    pub fn open(root: &Path) -> Result<Submission> {
        let meta = fs::metadata(root).with_context(|| format!("no submission at {}", root.display()))?;
        anyhow::ensure!(meta.is_dir(), "the submission {} is not a directory", root.display());
        Ok(Submission { exercises: find_exercises(root, 2) })
    }

    /// The submission's `src/` for `exercise`: by directory (`01-gather`),
    /// else by name under any number (`3-gather` after a renumbering).
    pub fn provided(&self, exercise: &Exercise) -> Provided {
        let Some(dir) = &self.exercises else { return Provided::Missing };
        let exact = dir.join(exercise.dir.file_name().unwrap_or_default()).join("src");
        let src = if exact.is_dir() {
            Some(exact)
        } else {
            fs::read_dir(dir)
                .ok()
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.path())
                .find(|p| {
                    p.file_name().and_then(|n| n.to_str()).and_then(|n| n.split_once('-')).is_some_and(
                        |(number, name)| number.bytes().all(|b| b.is_ascii_digit()) && name == exercise.name,
                    ) && p.join("src").is_dir()
                })
                .map(|p| p.join("src"))
        };
        let Some(src) = src else { return Provided::Missing };
        let size =
            stage::collect(&src, &|_| false).map(|f| f.values().map(|c| c.len() as u64).sum()).unwrap_or(0);
        if size > MAX_SRC_BYTES { Provided::TooLarge(size) } else { Provided::Src(src) }
    }
}

/// `exercises/` at `root` or up to `depth` levels below (not following links).
fn find_exercises(root: &Path, depth: usize) -> Option<PathBuf> {
    let here = root.join("exercises");
    if fs::symlink_metadata(&here).is_ok_and(|m| m.is_dir()) {
        return Some(here);
    }
    if root.file_name().is_some_and(|n| n == "exercises") && has_exercise_dirs(root) {
        return Some(root.to_path_buf());
    }
    if depth == 0 {
        return None;
    }
    let mut children: Vec<PathBuf> = fs::read_dir(root)
        .ok()?
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path())
        .filter(|p| !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.') || n == "target"))
        .collect();
    children.sort();
    children.into_iter().find_map(|child| find_exercises(&child, depth - 1))
}

fn has_exercise_dirs(dir: &Path) -> bool {
    fs::read_dir(dir).ok().into_iter().flatten().flatten().any(|e| {
        e.file_name()
            .to_str()
            .and_then(|n| n.split_once('-'))
            .is_some_and(|(n, _)| n.bytes().all(|b| b.is_ascii_digit()))
    })
}
