//! A student's submission: where its exercises are, and which `src/`
//! directories it brings.
//!
//! Submissions arrive in every shape: the course root, the course inside a
//! folder named after the repository (a zip of a GitHub repo), or just the
//! `exercises/` folder. We look for `exercises/` at the top and one or two
//! levels down, and take nothing from a submission but `exercises/*/src/`,
//! and never follow a symbolic link in it: the grader reads a submission as
//! its own user, so a link to the course's `solutions/` or to a classmate's
//! folder would hand the student someone else's work.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::course::Exercise;

/// What a submission may put in one exercise's `src/`, at most.
pub const MAX_SRC_BYTES: u64 = 4 * 1024 * 1024;
/// Files and folders in one exercise's `src/`, at most: a library has a
/// few dozen; a million empty files would cost minutes to copy.
pub const MAX_SRC_ENTRIES: usize = 1000;
/// The longest path (bytes) under `src/`. A deeper tree cannot be laid in
/// the grader's copy of the course (its path would be over the system's
/// limit) and would stop the whole grade, not just this exercise's.
pub const MAX_SRC_PATH: usize = 512;

#[derive(Debug)]
pub struct Submission {
    /// Its `exercises/` directory, if it has one.
    pub exercises: Option<PathBuf>,
}

/// What the submission has for one exercise.
#[derive(Debug)]
pub enum Provided {
    /// Its `src/` (`shown` as the submission names it,
    /// `exercises/01-gather/src`), and what in it the grader leaves out.
    Src { dir: PathBuf, shown: PathBuf, left_out: Vec<LeftOut> },
    /// Nothing: the exercise is graded on its stub.
    Missing,
    /// A `src/` too large to take, and why, in words: `src/ holds 5120 KiB,
    /// over the 4096 KiB limit`.
    TooLarge(String),
    /// A `src/` without a `lib.rs`, named as the submission has it: the
    /// library, which the tests use, starts there. Taken, it would break
    /// the whole workspace's build, not just this exercise's.
    NoLib(PathBuf),
    /// The exercise's folder, its `src/` or its `src/lib.rs` is a symbolic
    /// link, named here as the submission has it. The grader reads a
    /// submission as its own user, outside any sandbox: a link could bring
    /// in the course's solutions or a classmate's work. It is never
    /// followed; the exercise is graded on its stub.
    Linked(PathBuf),
}

/// A path in a submitted `src/` that the grader does not take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeftOut {
    /// Relative to `src/`: `lib.rs`, `bin`.
    pub rel: PathBuf,
    pub why: &'static str,
}

impl LeftOut {
    /// A symbolic link: for the same reason as [`Provided::Linked`].
    const LINK: &str = "a symbolic link";
    /// Neither a file nor a folder: a FIFO would block the grader reading it.
    const SPECIAL: &str = "not a regular file";
    /// `src/main.rs` or `src/bin/`, which the course does not have: cargo
    /// would make programs of them, which the tests do not use, and a
    /// program named as cargo forbids (`src/bin/deps.rs`) would stop the
    /// whole workspace from loading.
    const PROGRAM: &str = "a program; the tests use only the library";
}

/// What is at a path, without following a symbolic link there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Entry {
    Absent,
    Dir,
    Link,
    Other,
}

fn entry(path: &Path) -> Entry {
    match fs::symlink_metadata(path) {
        Err(_) => Entry::Absent,
        Ok(m) if m.file_type().is_symlink() => Entry::Link,
        Ok(m) if m.is_dir() => Entry::Dir,
        Ok(_) => Entry::Other,
    }
}

impl Submission {
    pub fn open(root: &Path) -> Result<Submission> {
        let meta = fs::metadata(root).with_context(|| format!("no submission at {}", root.display()))?;
        anyhow::ensure!(meta.is_dir(), "the submission {} is not a directory", root.display());
        Ok(Submission { exercises: find_exercises(root, 2) })
    }

    /// The submission's `src/` for `exercise`: by directory (`01-gather`),
    /// else by name under any number (`3-gather` after a renumbering).
    /// Nothing on the way is a symbolic link the grader followed. `stub`
    /// is the course's own `src/` for it: the programs it has are taken.
    pub fn provided(&self, exercise: &Exercise, stub: &Path) -> Provided {
        let Some(dir) = &self.exercises else { return Provided::Missing };
        let exact = dir.join(exercise.dir.file_name().unwrap_or_default());
        let mut renumbered: Vec<PathBuf> = fs::read_dir(dir)
            .ok()
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.file_name().and_then(|n| n.to_str()).and_then(|n| n.split_once('-')).is_some_and(
                    |(number, name)| number.bytes().all(|b| b.is_ascii_digit()) && name == exercise.name,
                )
            })
            .collect();
        renumbered.sort();
        // The first folder that brings a `src/`, or is (or has) a link in its place.
        let found = std::iter::once(exact).chain(renumbered).find(|folder| {
            entry(folder) == Entry::Link || matches!(entry(&folder.join("src")), Entry::Dir | Entry::Link)
        });
        let Some(folder) = found else { return Provided::Missing };
        let shown = Path::new("exercises").join(folder.file_name().unwrap_or_default()).join("src");
        let src = folder.join("src");
        for (path, shown) in [(&folder, shown.parent().unwrap_or(&shown)), (&src, &shown)] {
            if entry(path) == Entry::Link {
                return Provided::Linked(shown.to_path_buf());
            }
        }
        match fs::symlink_metadata(src.join("lib.rs")) {
            Ok(m) if m.file_type().is_symlink() => return Provided::Linked(shown.join("lib.rs")),
            Ok(m) if m.is_file() => {}
            _ => return Provided::NoLib(shown),
        }
        let survey = survey(&src, stub);
        match survey.too_large() {
            Some(why) => Provided::TooLarge(why),
            None => Provided::Src { dir: src, shown, left_out: survey.left_out },
        }
    }
}

/// What is in a submitted `src/`, seen from metadata alone.
#[derive(Debug, Default)]
struct Survey {
    /// The total size of its regular files (a huge file is not read to be
    /// refused).
    size: u64,
    /// Its files and folders, counted until there are too many.
    entries: usize,
    /// A path under it longer than [`MAX_SRC_PATH`], if one was seen.
    long_path: Option<PathBuf>,
    /// What the grader leaves out (see [`LeftOut`]).
    left_out: Vec<LeftOut>,
}

impl Survey {
    /// Why the grader does not take this `src/`, if it does not.
    fn too_large(&self) -> Option<String> {
        if self.size > MAX_SRC_BYTES {
            Some(format!("src/ holds {} KiB, over the {} KiB limit", self.size / 1024, MAX_SRC_BYTES / 1024))
        } else if self.entries > MAX_SRC_ENTRIES {
            Some(format!("src/ holds more than {MAX_SRC_ENTRIES} files and folders"))
        } else {
            self.long_path.as_ref().map(|path| {
                let start: String = path.to_string_lossy().chars().take(60).collect();
                format!("src/ has a path longer than {MAX_SRC_PATH} bytes ({start}...)")
            })
        }
    }
}

/// Walks `src` without following a link, and stops as soon as what it
/// found is too large to take (see [`Survey::too_large`]).
fn survey(src: &Path, stub: &Path) -> Survey {
    let mut survey = Survey::default();
    let mut pending = vec![PathBuf::new()];
    while let Some(rel) = pending.pop() {
        let Ok(entries) = fs::read_dir(src.join(&rel)) else { continue };
        for e in entries.flatten() {
            let rel = rel.join(e.file_name());
            survey.entries += 1;
            if rel.as_os_str().len() > MAX_SRC_PATH {
                survey.long_path = Some(rel.clone());
            }
            if survey.too_large().is_some() {
                return survey;
            }
            let Ok(kind) = e.file_type() else { continue };
            let program =
                (rel == Path::new("main.rs") || rel == Path::new("bin")) && !stub.join(&rel).exists();
            if program {
                survey.left_out.push(LeftOut { rel, why: LeftOut::PROGRAM });
            } else if kind.is_dir() {
                pending.push(rel);
            } else if kind.is_file() {
                survey.size += e.metadata().map(|m| m.len()).unwrap_or(0);
            } else {
                let why = if kind.is_symlink() { LeftOut::LINK } else { LeftOut::SPECIAL };
                survey.left_out.push(LeftOut { rel, why });
            }
        }
    }
    survey.left_out.sort_by(|a, b| a.rel.cmp(&b.rel));
    survey
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

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    /// A FIFO would block the grader reading it; a link is not followed;
    /// a program is left out unless the course has one there; the size
    /// counts only what is taken.
    #[test]
    fn the_survey_leaves_out_what_the_grader_must_not_read() {
        let dir = std::env::temp_dir().join(format!("awaitlings-survey-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let (src, stub) = (dir.join("src"), dir.join("stub"));
        fs::create_dir_all(src.join("bin")).unwrap();
        fs::create_dir_all(src.join("net")).unwrap();
        fs::create_dir_all(stub.join("bin")).unwrap();
        fs::write(src.join("lib.rs"), "pub mod net;").unwrap();
        fs::write(src.join("net/mod.rs"), "").unwrap();
        fs::write(src.join("main.rs"), "fn main() {}").unwrap();
        fs::write(src.join("bin/demo.rs"), "fn main() {}").unwrap();
        std::os::unix::fs::symlink("/etc/hostname", src.join("net/secret.rs")).unwrap();
        let made = std::process::Command::new("mkfifo").arg(src.join("pipe")).status();
        let Survey { size, left_out, .. } = survey(&src, &stub);
        assert_eq!(size, "pub mod net;".len() as u64 + "fn main() {}".len() as u64, "lib.rs and bin/demo.rs");
        let mut expected = vec![
            LeftOut { rel: "main.rs".into(), why: LeftOut::PROGRAM },
            LeftOut { rel: "net/secret.rs".into(), why: LeftOut::LINK },
        ];
        if made.is_ok_and(|s| s.success()) {
            expected.push(LeftOut { rel: "pipe".into(), why: LeftOut::SPECIAL });
        }
        assert_eq!(left_out, expected);
        let _ = fs::remove_dir_all(&dir);
    }
}
