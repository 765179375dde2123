//! The learner's progress: a small JSON file at the course root, ignored
//! by git. Losing it loses nothing but the record; an exercise renamed or
//! removed since is simply forgotten.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::course::Course;

pub const FILE: &str = ".awaitlings-state.json";

/// Where an exercise stands for the learner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Done,
    Failing,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct State {
    /// By exercise name; not started when absent.
    #[serde(default)]
    pub exercises: BTreeMap<String, Status>,
    /// By exercise name: the first task whose tests did not all pass at the
    /// last check, so `cargo xtask` can point at it.
    #[serde(default)]
    pub next_task: BTreeMap<String, String>,
    /// By exercise name: how many of its tests passed at the last check.
    #[serde(default)]
    pub tests: BTreeMap<String, Tally>,
}

/// Tests passed out of the exercise's tests, at the last check.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub passed: usize,
    pub total: usize,
}

fn path(root: &Path) -> PathBuf {
    root.join(FILE)
}

impl State {
    /// The saved state; a missing or unreadable file is a fresh start.
    pub fn load(root: &Path) -> State {
        let Ok(text) = fs::read_to_string(path(root)) else { return State::default() };
        serde_json::from_str(&text).unwrap_or_else(|_| {
            eprintln!(
                "note: {FILE} could not be read, so progress starts afresh; it is only a record, \
                 and `cargo xtask check NAME` marks an exercise done again"
            );
            State::default()
        })
    }

    pub fn save(&self, root: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self).context("encoding the progress file")?;
        fs::write(path(root), text + "\n").with_context(|| format!("writing {}", path(root).display()))
    }

    pub fn status(&self, name: &str) -> Option<Status> {
        self.exercises.get(name).copied()
    }

    pub fn record(&mut self, name: &str, status: Status) {
        self.exercises.insert(name.to_string(), status);
        if status == Status::Done {
            self.next_task.remove(name);
        }
    }

    /// Remembers how many tests passed at this check.
    pub fn record_tests(&mut self, name: &str, tally: Tally) {
        self.tests.insert(name.to_string(), tally);
    }

    /// Forgets everything about an exercise: not started again.
    pub fn forget(&mut self, name: &str) {
        self.exercises.remove(name);
        self.next_task.remove(name);
        self.tests.remove(name);
    }

    /// Remembers the first unfinished task of an exercise (or forgets it).
    pub fn record_next_task(&mut self, name: &str, task: Option<&str>) {
        match task {
            Some(task) => self.next_task.insert(name.to_string(), task.to_string()),
            None => self.next_task.remove(name),
        };
    }

    /// The first exercise, in course order, that is not done.
    pub fn current<'c>(&self, course: &'c Course) -> Option<&'c crate::course::Exercise> {
        course.exercises.iter().find(|e| self.status(&e.name) != Some(Status::Done))
    }

    pub fn done_count(&self, course: &Course) -> usize {
        course.exercises.iter().filter(|e| self.status(&e.name) == Some(Status::Done)).count()
    }

    /// Tests of `exercise` passed at its last check, out of how many it has:
    /// the count read from its test files when it was never checked.
    pub fn tally(&self, course: &Course, exercise: &crate::course::Exercise) -> Tally {
        match self.tests.get(&exercise.name) {
            Some(tally) => *tally,
            None => {
                let names =
                    crate::evaluate::test_names_in_source(&course.root.join(&exercise.dir).join("tests"));
                let total = names.len();
                let passed = if self.status(&exercise.name) == Some(Status::Done) { total } else { 0 };
                Tally { passed, total }
            }
        }
    }

    /// Tests passed over the whole course, out of how many it has.
    pub fn total_tally(&self, course: &Course) -> Tally {
        course.exercises.iter().map(|e| self.tally(course, e)).fold(Tally::default(), |sum, t| Tally {
            passed: sum.passed + t.passed,
            total: sum.total + t.total,
        })
    }
}
