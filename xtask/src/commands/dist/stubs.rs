//! Pristine stubs: each exercise's `src/` exactly as the course ships it,
//! so that `cargo xtask reset` can put it back.
//!
//! Two places can hold one. A student edition (written by `cargo xtask
//! dist`) may not be a git repository, and a learner who commits their
//! work moves git's `HEAD` along with it, so the edition carries its own
//! copy under `.awaitlings/stubs/NN-name/src/`, which is preferred. The
//! instructor's and the maintainers' copies are git checkouts: there,
//! `HEAD` has the stub.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

use crate::course::{Course, Exercise};
use crate::stage;

/// Where a student edition keeps its pristine stubs, under the course root.
pub const DIR: &str = ".awaitlings/stubs";

/// Where a pristine stub was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The student edition's own copy, `.awaitlings/stubs/NN-name/src`.
    Snapshot(PathBuf),
    /// The last commit of the git checkout.
    GitHead,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Snapshot(dir) => write!(f, "{}", dir.display()),
            Origin::GitHead => f.write_str("git HEAD"),
        }
    }
}

/// An exercise's `src/` as the course ships it: path under `src/` → content.
#[derive(Debug)]
pub struct Pristine {
    pub origin: Origin,
    pub files: BTreeMap<PathBuf, Vec<u8>>,
}

/// `.awaitlings/stubs/01-gather/src`, relative to the course root.
pub fn snapshot_dir(exercise: &Exercise) -> PathBuf {
    let dir_name = exercise.dir.file_name().unwrap_or(exercise.dir.as_os_str());
    Path::new(DIR).join(dir_name).join("src")
}

/// The pristine `src/` of `exercise`: the student edition's copy when
/// there is one, else git's `HEAD`; with neither, an error that says how
/// to get the stub back by hand.
pub fn pristine(course: &Course, exercise: &Exercise) -> Result<Pristine> {
    let snapshot = snapshot_dir(exercise);
    let abs = course.root.join(&snapshot);
    if abs.is_dir() {
        let files = stage::collect(&abs, &|_| false)
            .with_context(|| format!("reading the pristine stub in {}", snapshot.display()))?;
        return Ok(Pristine { origin: Origin::Snapshot(snapshot), files });
    }
    let src = exercise.src();
    match from_git(&course.root, &src)? {
        GitLookup::Found(files) => Ok(Pristine { origin: Origin::GitHead, files }),
        GitLookup::NotInHead => bail!(
            "git's HEAD has no {}: the exercise was never committed, so there is no stub to go back to.\n\
             commit the exercise first, or copy its src/ from a fresh copy of the course",
            src.display()
        ),
        GitLookup::NoRepository => bail!(
            "no pristine copy of {src} here: this course is neither a git checkout nor a student edition \
             (with {DIR}/).\n\
             get a fresh copy of the course (git clone, or the student edition from your instructor) \
             and copy {src} from it",
            src = src.display()
        ),
    }
}

/// What git knows about a folder.
#[derive(Debug)]
pub enum GitLookup {
    /// Its files at `HEAD`, by path under the folder.
    Found(BTreeMap<PathBuf, Vec<u8>>),
    /// A git checkout, but `HEAD` has nothing there.
    NotInHead,
    /// Not a git checkout (or no git installed, or no commit yet).
    NoRepository,
}

/// The files under `rel` (relative to the course root) in git's `HEAD`.
pub fn from_git(root: &Path, rel: &Path) -> Result<GitLookup> {
    let head = git(root).args(["rev-parse", "--verify", "--quiet", "HEAD^{commit}"]).output();
    match head {
        Ok(out) if out.status.success() => {}
        _ => return Ok(GitLookup::NoRepository),
    }
    // Paths of ls-tree are relative to the directory git runs in (the
    // course root), which need not be the top of the repository.
    let prefix = format!("{}/", rel.to_string_lossy().trim_end_matches('/'));
    let listing = git(root)
        .args(["ls-tree", "-r", "-z", "HEAD", "--", &prefix])
        .output()
        .context("running git ls-tree")?;
    if !listing.status.success() {
        bail!("git ls-tree {prefix} failed: {}", String::from_utf8_lossy(&listing.stderr).trim());
    }
    let mut files = BTreeMap::new();
    for entry in listing.stdout.split(|&b| b == 0).filter(|e| !e.is_empty()) {
        // "<mode> <type> <object>\t<path>"
        let entry = String::from_utf8_lossy(entry);
        let Some((meta, path)) = entry.split_once('\t') else { continue };
        let mut meta = meta.split(' ');
        let (_mode, kind, object) = (meta.next(), meta.next(), meta.next());
        let (Some("blob"), Some(object)) = (kind, object) else { continue };
        let Some(under) = path.strip_prefix(&prefix) else { continue };
        let blob = git(root)
            .args(["cat-file", "blob", object])
            .output()
            .with_context(|| format!("reading {path} from git"))?;
        if !blob.status.success() {
            bail!("git cat-file {path} failed: {}", String::from_utf8_lossy(&blob.stderr).trim());
        }
        files.insert(PathBuf::from(under), blob.stdout);
    }
    Ok(if files.is_empty() { GitLookup::NotInHead } else { GitLookup::Found(files) })
}

fn git(root: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.current_dir(root).stdin(Stdio::null()).stderr(Stdio::piped());
    cmd
}
