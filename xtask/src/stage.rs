//! Staged copies of the course.
//!
//! `verify` and `grade` never build in the course itself: they build a copy
//! (under `target/awaitlings/stage/`) into which they lay one exercise's
//! `src/` from elsewhere (a solution, a mutant, a student's submission).
//! Tests, Cargo.toml and the checker always come from the course, so a
//! submission that edits them changes nothing.
//!
//! Copies are synced, not rewritten: a file whose content did not change
//! keeps its timestamp, so cargo rebuilds only what really changed. Each
//! stage keeps its own `target/`: cargo hashes path packages relative to
//! their workspace root, so two copies of the course sharing a target
//! directory would overwrite each other's artifacts and fingerprints.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// A synced copy of the course, held under an exclusive lock: two grades
/// of one course at once take turns instead of overwriting each other.
#[derive(Debug)]
pub struct Stage {
    pub root: PathBuf,
    /// Released when the stage is dropped (the file closes).
    _lock: File,
}

fn lock(dest: &Path) -> Result<File> {
    let parent = dest.parent().unwrap_or(dest);
    fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    let path = dest.with_extension("lock");
    let file = File::create(&path).with_context(|| format!("creating {}", path.display()))?;
    if file.try_lock().is_err() {
        eprintln!("waiting for another grade or verify of this course to finish ...");
        file.lock().with_context(|| format!("locking {}", path.display()))?;
    }
    Ok(file)
}

impl Stage {
    /// Syncs a copy of the course at `course_root` into `dest`.
    pub fn prepare(course_root: &Path, dest: &Path) -> Result<Stage> {
        let lock = lock(dest)?;
        let files = collect(course_root, &crate::course::not_copied)?;
        sync(dest, &files)?;
        Ok(Stage { root: dest.to_path_buf(), _lock: lock })
    }

    /// A stage for grading untrusted code: like [`Stage::prepare`], but
    /// without `solutions/`, so that nothing a submission does while it
    /// builds or runs can find a reference solution in the stage.
    ///
    /// The folders in `to_be_laid` (the graded exercises' `src/`, relative
    /// to the course) are left as they are: the submission is laid there
    /// next. Syncing the stubs into them first would give every file a new
    /// timestamp, and cargo would rebuild every exercise of a submission
    /// graded twice.
    pub fn prepare_for_grading(course_root: &Path, dest: &Path, to_be_laid: &[PathBuf]) -> Result<Stage> {
        let stage = Stage { root: dest.to_path_buf(), _lock: lock(dest)? };
        stage.restore_except(course_root, to_be_laid)?;
        Ok(stage)
    }

    /// Syncs the stage from the course again (without `solutions/`).
    pub fn restore(&self, course_root: &Path) -> Result<()> {
        self.restore_except(course_root, &[])
    }

    fn restore_except(&self, course_root: &Path, to_be_laid: &[PathBuf]) -> Result<()> {
        let solutions = self.root.join("solutions");
        if solutions.exists() {
            fs::remove_dir_all(&solutions).with_context(|| format!("removing {}", solutions.display()))?;
        }
        let skip = |rel: &Path| to_be_laid.iter().any(|dir| rel.starts_with(dir));
        let mut files = grading_files(course_root)?;
        files.retain(|rel, _| !skip(rel));
        sync_except(&self.root, &files, &skip)
    }

    /// Files of the stage that no longer match the course, other than the
    /// exercises' `src/` (where the submission goes): what the graded code
    /// changed, if the sandbox did not stop it. Checked after grading.
    pub fn tampered(&self, course_root: &Path) -> Result<Vec<PathBuf>> {
        let laid = |rel: &Path| {
            let parts: Vec<_> =
                rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
            parts.len() > 2 && parts[0] == "exercises" && parts[2] == "src"
        };
        // Cargo itself rewrites the lock file of a workspace without
        // solutions/: not the submission's doing.
        let lock = |rel: &Path| rel == Path::new("Cargo.lock");
        let mut course = grading_files(course_root)?;
        course.retain(|rel, _| !laid(rel) && !lock(rel));
        let here = collect(&self.root, &|rel: &Path| {
            rel.components().next().is_some_and(|c| c.as_os_str() == "target") || laid(rel) || lock(rel)
        })?;
        let mut changed: Vec<PathBuf> = here
            .iter()
            .filter(|(rel, content)| course.get(*rel) != Some(content))
            .map(|(rel, _)| rel.clone())
            .collect();
        changed.extend(course.keys().filter(|rel| !here.contains_key(*rel)).cloned());
        changed.sort();
        Ok(changed)
    }

    /// The stage's own target directory: set explicitly, so that a
    /// `CARGO_TARGET_DIR` in the environment cannot make two stages share one.
    pub fn target_dir(&self) -> PathBuf {
        self.root.join("target")
    }

    /// Makes `exercise_dir/src` in the stage hold exactly the files of
    /// `src_dir`, with `lib.rs` replaced by `lib_override` if given.
    pub fn lay_src(&self, exercise_dir: &Path, src_dir: &Path, lib_override: Option<&str>) -> Result<()> {
        let mut files = collect(src_dir, &|_| false)?;
        if let Some(lib) = lib_override {
            files.insert(PathBuf::from("lib.rs"), lib.as_bytes().to_vec());
        }
        sync(&self.root.join(exercise_dir).join("src"), &files)
    }

    /// [`Stage::lay_src`] without the paths (relative to `src_dir`) for
    /// which `skip` holds: what the grader does not take from a submission.
    pub fn lay_src_except(
        &self,
        exercise_dir: &Path,
        src_dir: &Path,
        skip: &dyn Fn(&Path) -> bool,
    ) -> Result<()> {
        sync(&self.root.join(exercise_dir).join("src"), &collect(src_dir, skip)?)
    }
}

/// What a grading stage holds: the course without `solutions/`, and a
/// root Cargo.toml that does not list them (the student edition's), so the
/// workspace loads.
fn grading_files(course_root: &Path) -> Result<BTreeMap<PathBuf, Vec<u8>>> {
    let mut files = collect(course_root, &|rel: &Path| crate::course::not_copied(rel) || is_solutions(rel))?;
    if let Some(manifest) = files.get_mut(Path::new("Cargo.toml")) {
        let text = String::from_utf8_lossy(manifest).into_owned();
        let (without, _) = crate::commands::dist::manifest::student(&text)
            .context("taking solutions/ out of the stage's Cargo.toml")?;
        *manifest = without.into_bytes();
    }
    Ok(files)
}

fn is_solutions(rel: &Path) -> bool {
    rel.components().next().is_some_and(|c| c.as_os_str() == "solutions")
}

/// Every file under `dir` (relative path → content), skipping what `skip`
/// says, and never following symbolic links.
pub fn collect(dir: &Path, skip: &dyn Fn(&Path) -> bool) -> Result<BTreeMap<PathBuf, Vec<u8>>> {
    let mut files = BTreeMap::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(rel) = pending.pop() {
        let abs = dir.join(&rel);
        for entry in fs::read_dir(&abs).with_context(|| format!("reading {}", abs.display()))? {
            let entry = entry.with_context(|| format!("reading {}", abs.display()))?;
            let rel = rel.join(entry.file_name());
            if skip(&rel) {
                continue;
            }
            let kind = entry.file_type().with_context(|| format!("inspecting {}", entry.path().display()))?;
            if kind.is_dir() {
                pending.push(rel);
            } else if kind.is_file() {
                let content =
                    fs::read(entry.path()).with_context(|| format!("reading {}", entry.path().display()))?;
                files.insert(rel, content);
            }
        }
    }
    Ok(files)
}

/// Makes `dest` hold exactly `files`: writes what differs, removes the rest.
pub fn sync(dest: &Path, files: &BTreeMap<PathBuf, Vec<u8>>) -> Result<()> {
    sync_except(dest, files, &|_| false)
}

/// [`sync`], leaving alone the files of `dest` for which `skip` holds.
fn sync_except(dest: &Path, files: &BTreeMap<PathBuf, Vec<u8>>, skip: &dyn Fn(&Path) -> bool) -> Result<()> {
    fs::create_dir_all(dest).with_context(|| format!("creating {}", dest.display()))?;
    let existing = collect(dest, &|rel: &Path| {
        rel.components().next().is_some_and(|c| c.as_os_str() == "target") || skip(rel)
    })?;
    for rel in existing.keys() {
        if !files.contains_key(rel) {
            fs::remove_file(dest.join(rel))
                .with_context(|| format!("removing {}", dest.join(rel).display()))?;
            // And the folders it leaves empty: a workspace glob such as
            // `solutions/*` must not find a folder without a Cargo.toml.
            let mut dir = rel.parent();
            while let Some(d) = dir.filter(|d| !d.as_os_str().is_empty()) {
                if fs::remove_dir(dest.join(d)).is_err() {
                    break;
                }
                dir = d.parent();
            }
        }
    }
    for (rel, content) in files {
        if existing.get(rel) == Some(content) {
            continue;
        }
        let path = dest.join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        }
        fs::write(&path, content).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, text: &str) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    #[test]
    fn a_grading_stage_has_no_solutions_and_tells_what_was_tampered_with() {
        let dir = std::env::temp_dir().join(format!("awaitlings-stage-test-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let course = dir.join("course");
        write(
            &course.join("Cargo.toml"),
            "[workspace]\nmembers = [\"exercises/*\", \"solutions/*\"]\ndefault-members = [\"solutions/*\"]\n",
        );
        write(&course.join("exercises/01-a/src/lib.rs"), "stub");
        write(&course.join("exercises/01-a/tests/a.rs"), "the tests");
        write(&course.join("solutions/a/src/lib.rs"), "the answer");
        let stage = Stage::prepare_for_grading(&course, &dir.join("stage"), &[]).unwrap();
        assert!(!stage.root.join("solutions").exists());
        let manifest = fs::read_to_string(stage.root.join("Cargo.toml")).unwrap();
        assert!(!manifest.contains("solutions"), "{manifest}");
        assert_eq!(stage.tampered(&course).unwrap(), Vec::<PathBuf>::new());

        // The submission's own src/ is not tampering; the tests are.
        write(&stage.root.join("exercises/01-a/src/lib.rs"), "the student's");
        write(&stage.root.join("exercises/01-a/tests/a.rs"), "#[test] fn nothing() {}");
        write(&stage.root.join("planted.rs"), "");
        let tampered = stage.tampered(&course).unwrap();
        assert_eq!(tampered, [PathBuf::from("exercises/01-a/tests/a.rs"), PathBuf::from("planted.rs")]);
        stage.restore(&course).unwrap();
        assert_eq!(stage.tampered(&course).unwrap(), Vec::<PathBuf>::new());
        drop(stage);
        let _ = fs::remove_dir_all(&dir);
    }

    /// The same submission graded twice builds nothing the second time:
    /// its src/ is not overwritten by the stub in between.
    #[test]
    fn a_src_about_to_be_laid_keeps_its_timestamp() {
        let dir = std::env::temp_dir().join(format!("awaitlings-stage-laid-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let course = dir.join("course");
        write(&course.join("Cargo.toml"), "[workspace]\nmembers = [\"exercises/*\"]\n");
        write(&course.join("exercises/01-a/src/lib.rs"), "stub");
        write(&course.join("exercises/02-b/src/lib.rs"), "stub");
        let laid = [PathBuf::from("exercises/01-a/src")];
        let stage = Stage::prepare_for_grading(&course, &dir.join("stage"), &laid).unwrap();
        let submission = dir.join("submission");
        write(&submission.join("lib.rs"), "the student's");
        write(&submission.join("extra.rs"), "more");
        stage.lay_src(Path::new("exercises/01-a"), &submission, None).unwrap();
        let lib = stage.root.join("exercises/01-a/src/lib.rs");
        let before = fs::metadata(&lib).unwrap().modified().unwrap();
        // A different submission's leftovers in another exercise are
        // replaced by the stub, as before.
        write(&stage.root.join("exercises/02-b/src/lib.rs"), "someone else's");
        drop(stage);

        std::thread::sleep(std::time::Duration::from_millis(20));
        let stage = Stage::prepare_for_grading(&course, &dir.join("stage"), &laid).unwrap();
        assert_eq!(fs::read_to_string(&lib).unwrap(), "the student's");
        assert!(stage.root.join("exercises/01-a/src/extra.rs").exists());
        assert_eq!(fs::read_to_string(stage.root.join("exercises/02-b/src/lib.rs")).unwrap(), "stub");
        stage.lay_src(Path::new("exercises/01-a"), &submission, None).unwrap();
        assert_eq!(fs::metadata(&lib).unwrap().modified().unwrap(), before, "lib.rs was rewritten");
        drop(stage);
        let _ = fs::remove_dir_all(&dir);
    }
}
