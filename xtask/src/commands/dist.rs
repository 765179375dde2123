//! `cargo xtask dist DIR`: the student edition of the course.
//!
//! Everything a learner needs and nothing they should not have: the
//! workspace (its Cargo.toml rewritten without `solutions/`), the lock
//! file, the checker, the tool (without its own tests and fixtures: those
//! are the maintainers'), the exercises as stubs, and a pristine copy of
//! every stub under `.awaitlings/stubs/` so that `cargo xtask reset` works
//! where there is no git history to restore from. No solution, no mutant.
//!
//! In the edition, `list`, `check`, `watch`, `hint`, `reset` and `grade`
//! work as in the full course; `check --solution` and `verify` say that
//! the solutions stay with the instructor (see `edition`).

pub mod edition;
pub mod manifest;
pub mod stubs;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Component, Path, PathBuf};
use std::process::Stdio;

use anyhow::{Context, Result, bail};

use crate::answers::Answers;
use crate::commands::UsageError;
use crate::compile;
use crate::course::{Course, Exercise};
use crate::stage;
use crate::style;

#[derive(Debug, Clone, clap::Args)]
pub struct DistArgs {
    /// A new (or empty) folder outside the course.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Write into a non-empty DIR: what dist ships is replaced, the rest (.git, ...) left alone.
    #[arg(long)]
    pub force: bool,
}

/// Top-level files a learner needs, shipped as they are when the course
/// has them (Cargo.toml and README.md are shipped edited, apart).
const FILES: &[&str] = &[
    "Cargo.lock",
    ".cargo/config.toml",
    ".cargo/config",
    "rustfmt.toml",
    ".rustfmt.toml",
    "rust-toolchain.toml",
    "rust-toolchain",
    ".gitignore",
    "LICENSE",
    "LICENSE-MIT",
    "LICENSE-APACHE",
];

/// Top-level folders a learner needs, shipped when the course has them.
/// (Of `.cargo/`, only the config is shipped: never credentials.)
const DIRS: &[&str] = &["checker", "protocol", "xtask", "exercises"];

/// The tool's own tests and fixtures: the maintainers', not the learners'.
const XTASK_TESTS: &str = "xtask/tests";

/// Never shipped from the course: what is never copied, and the edition's
/// own `.awaitlings/` (dist writes it anew).
fn never_shipped(name: &str) -> bool {
    crate::course::NOT_COPIED.contains(&name) || name == ".awaitlings"
}

/// Said at the top of the edition's README.
const README_NOTE: &str = "\
> **Student edition.** Everything you need for the exercises is here. The
> solutions stay with your instructor, so `cargo xtask check NAME --solution`
> and `cargo xtask verify` are not available here; `cargo xtask reset NAME`
> puts an exercise back as it was shipped.
";

pub fn run(course: &Course, args: &DistArgs) -> Result<bool> {
    let dest = resolve(&args.dir)?;
    check_destination(course, &dest, args)?;
    for exercise in &course.exercises {
        refuse_leaked_solution(course, exercise)?;
        warn_uncommitted_stub(course, exercise)?;
    }

    let edition = Edition::gather(course)?;
    edition.write(&dest)?;
    validate(&dest)?;
    edition.report(course, &args.dir);
    Ok(true)
}

/// The student edition, in memory (a course is a few hundred kilobytes).
#[derive(Debug, Default)]
struct Edition {
    /// Path in the edition → content.
    files: BTreeMap<PathBuf, Vec<u8>>,
    /// The folders written whole: in a non-empty DIR (`--force`), each is
    /// made to hold exactly the edition's files.
    dirs: Vec<PathBuf>,
    workspace: Option<manifest::Workspace>,
}

impl Edition {
    fn gather(course: &Course) -> Result<Edition> {
        let root = &course.root;
        let mut edition = Edition::default();

        let cargo_toml = read_text(&root.join("Cargo.toml"))?;
        let (cargo_toml, workspace) =
            manifest::student(&cargo_toml).context("writing the student edition's Cargo.toml")?;
        edition.files.insert("Cargo.toml".into(), cargo_toml.into_bytes());
        edition.workspace = Some(workspace);

        if root.join("README.md").is_file() {
            let readme = read_text(&root.join("README.md"))?;
            edition.files.insert("README.md".into(), with_note(&readme).into_bytes());
        }
        for name in FILES {
            let path = root.join(name);
            if path.is_file() {
                let content = fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
                edition.files.insert(name.into(), content);
            }
        }
        // A draft exercise is still being written: it stays behind.
        let drafts: Vec<&Path> =
            course.exercises.iter().filter(|e| e.draft).map(|e| e.dir.as_path()).collect();
        for name in DIRS {
            let dir = root.join(name);
            if !dir.is_dir() {
                continue;
            }
            let files = stage::collect(&dir, &|rel: &Path| {
                let in_course = Path::new(name).join(rel);
                in_course == Path::new(XTASK_TESTS)
                    || drafts.iter().any(|d| in_course.starts_with(d))
                    || (dir.join(rel).is_dir() && rel.ends_with("target"))
            })?;
            edition.add_dir(Path::new(name), files);
        }
        for exercise in course.exercises.iter().filter(|e| !e.draft) {
            let src = root.join(exercise.src());
            let files =
                stage::collect(&src, &|_| false).with_context(|| format!("reading {}", src.display()))?;
            edition.add_dir(&stubs::snapshot_dir(exercise), files);
        }
        Ok(edition)
    }

    fn add_dir(&mut self, dir: &Path, files: BTreeMap<PathBuf, Vec<u8>>) {
        self.files.extend(files.into_iter().map(|(rel, content)| (dir.join(rel), content)));
        self.dirs.push(dir.to_path_buf());
    }

    /// Writes the edition into `dest`: each shipped folder synced (so a
    /// second `dist --force` also removes what the course no longer has),
    /// each top-level file written; anything else in `dest` is left alone.
    fn write(&self, dest: &Path) -> Result<()> {
        fs::create_dir_all(dest).with_context(|| format!("creating {}", dest.display()))?;
        for dir in &self.dirs {
            let files: BTreeMap<PathBuf, Vec<u8>> = self
                .files
                .iter()
                .filter_map(|(path, content)| {
                    Some((path.strip_prefix(dir).ok()?.to_path_buf(), content.clone()))
                })
                .collect();
            let target = dest.join(dir);
            stage::sync(&target, &files).with_context(|| format!("writing {}", target.display()))?;
            prune_empty_dirs(&target)?;
        }
        for (path, content) in self.files.iter().filter(|(p, _)| !self.dirs.iter().any(|d| p.starts_with(d)))
        {
            let target = dest.join(path);
            if let Some(parent) = target.parent() {
                fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
            }
            fs::write(&target, content).with_context(|| format!("writing {}", target.display()))?;
        }
        Ok(())
    }

    fn count_under(&self, dir: &str) -> usize {
        self.files.keys().filter(|p| p.starts_with(dir)).count()
    }

    fn report(&self, course: &Course, shown_dir: &Path) {
        let row = |what: &str, text: &str| println!("  {what:<19} {text}");
        println!("{} {}", style::green("✔ student edition written to"), shown_dir.display());
        if let Some(ws) = &self.workspace {
            let runs = match &ws.default_members {
                Some(d) => format!(" · `cargo test` runs {}", d.join(", ")),
                None => String::new(),
            };
            row("Cargo.toml", &format!("members {}{runs} (no solutions/)", ws.members.join(", ")));
        }
        if self.files.contains_key(Path::new("README.md")) {
            row("README.md", "with a note at the top that this is the student edition");
        }
        row(
            "exercises/",
            &format!(
                "{} exercises, as stubs ({} files)",
                course.exercises.len(),
                self.count_under("exercises")
            ),
        );
        row(&format!("{}/", stubs::DIR), "a pristine copy of every stub, for `cargo xtask reset`");
        for dir in ["checker", "xtask"] {
            if self.files.keys().any(|p| p.starts_with(dir)) {
                let note =
                    if dir == "xtask" { " (without its tests: they are the maintainers')" } else { "" };
                row(&format!("{dir}/"), &format!("{} files{note}", self.count_under(dir)));
            }
        }
        let also: Vec<&str> =
            FILES.iter().copied().filter(|f| self.files.contains_key(Path::new(f))).collect();
        if !also.is_empty() {
            row("also", &also.join(", "));
        }
        let left_out = left_out(course);
        if !left_out.is_empty() {
            row("left out", &left_out.join(", "));
        }
        let cd = shell_word(&shown_dir.display().to_string());
        println!("\n  next, for the student: cd {cd} && cargo xtask");
    }
}

/// What the full course has that the edition does not: said, so that the
/// instructor sees the solutions stayed behind.
fn left_out(course: &Course) -> Vec<String> {
    let root = &course.root;
    let mut out: Vec<String> = course
        .exercises
        .iter()
        .filter(|e| e.draft)
        .map(|e| format!("{}/ (a draft)", e.dir.display()))
        .collect();
    let solutions = root.join(edition::SOLUTIONS);
    if solutions.is_dir() {
        let count = |path: &Path| fs::read_dir(path).map(|d| d.flatten().count()).unwrap_or(0);
        let names: Vec<PathBuf> =
            fs::read_dir(&solutions).map(|d| d.flatten().map(|e| e.path()).collect()).unwrap_or_default();
        let mutants: usize = names.iter().map(|n| count(&n.join("mutants"))).sum();
        let plural = |n: usize, what: &str| if n == 1 { format!("1 {what}") } else { format!("{n} {what}s") };
        out.push(format!(
            "{}/ ({}, {})",
            edition::SOLUTIONS,
            plural(names.len(), "solution"),
            plural(mutants, "mutant")
        ));
    }
    if root.join(XTASK_TESTS).is_dir() {
        out.push(format!("{XTASK_TESTS}/"));
    }
    let shipped = |name: &str| {
        ["Cargo.toml", "README.md", ".cargo"].contains(&name) || FILES.contains(&name) || DIRS.contains(&name)
    };
    let mut others: Vec<String> = fs::read_dir(root)
        .map(|d| {
            d.flatten()
                .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path().is_dir()))
                .filter(|(n, _)| n != edition::SOLUTIONS && !shipped(n) && !never_shipped(n))
                .map(|(n, dir)| if dir { format!("{n}/") } else { n })
                .collect()
        })
        .unwrap_or_default();
    others.sort();
    out.extend(others);
    out
}

/// The README with a line saying this is the student edition, under its title.
fn with_note(readme: &str) -> String {
    match readme.split_once('\n') {
        Some((title, rest)) if title.starts_with("# ") => format!("{title}\n\n{README_NOTE}{rest}"),
        _ => format!("{README_NOTE}\n{readme}"),
    }
}

/// Refuses a destination that would mix the edition with the course, or
/// overwrite something by surprise.
fn check_destination(course: &Course, dest: &Path, args: &DistArgs) -> Result<()> {
    let shown = args.dir.display();
    let root = course.root.canonicalize().with_context(|| format!("resolving {}", course.root.display()))?;
    if dest.starts_with(&root) {
        return Err(UsageError(format!(
            "{shown} is inside the course ({}): the edition would become part of the workspace.\n\
             pick a folder outside it, for example: cargo xtask dist ../awaitlings-student",
            root.display()
        ))
        .into());
    }
    if root.starts_with(dest) {
        return Err(UsageError(format!("{shown} holds the course itself: pick a new, empty folder")).into());
    }
    if dest.exists() && !dest.is_dir() {
        return Err(UsageError(format!("{shown} is a file, not a folder: pick a new, empty folder")).into());
    }
    if dest.join(edition::SOLUTIONS).exists() {
        return Err(UsageError(format!(
            "{shown} has a solutions/ folder (a full copy of the course?): dist will not write a student \
             edition beside solutions.\npick a new, empty folder, or delete {shown}/solutions first"
        ))
        .into());
    }
    let empty = !dest.exists()
        || fs::read_dir(dest).with_context(|| format!("reading {}", dest.display()))?.next().is_none();
    if !empty && !args.force {
        return Err(UsageError(format!(
            "{shown} is not empty.\npick a new folder, or pass --force to write the edition over it \
             (what dist ships is replaced; anything else there, such as .git, is left alone)"
        ))
        .into());
    }
    Ok(())
}

/// A stub identical to the solution, an alternative or a mutant means a
/// maintainer left an answer in `exercises/` (laying a mutant in to try it,
/// say): shipping it would give the answer away.
fn refuse_leaked_solution(course: &Course, exercise: &Exercise) -> Result<()> {
    let root = &course.root;
    let Ok(stub) = fs::read_to_string(root.join(&exercise.dir).join("src/lib.rs")) else { return Ok(()) };
    let solution = root.join(exercise.solution_dir());
    let Ok(answers) = Answers::load(&solution) else { return Ok(()) };
    for (answer, text) in answers.texts() {
        if text == stub {
            bail!(
                "{}/src/lib.rs is the same as {}/{answer}: the student edition would give the answer away.\n\
                 put the stub back (cargo xtask reset {} restores it from git), then run dist again",
                exercise.dir.display(),
                exercise.solution_dir().display(),
                exercise.name
            );
        }
    }
    Ok(())
}

/// In a git checkout, a stub that differs from `HEAD` is worth a word:
/// the edition ships the working tree, which may hold an experiment.
fn warn_uncommitted_stub(course: &Course, exercise: &Exercise) -> Result<()> {
    let src = exercise.src();
    let stubs::GitLookup::Found(committed) = stubs::from_git(&course.root, &src)? else { return Ok(()) };
    let here = stage::collect(&course.root.join(&src), &|_| false)?;
    if here != committed {
        eprintln!(
            "{} {} differs from git HEAD; the edition ships it as it is in your working tree",
            style::yellow("warning:"),
            src.display()
        );
    }
    Ok(())
}

/// Cargo must load the edition's workspace: `cargo metadata` (offline,
/// from the lock file, which it also prunes of the solutions' packages);
/// when the dependencies' sources are not on this machine, at least the
/// manifests (`--no-deps`).
fn validate(dest: &Path) -> Result<()> {
    let mut last_error = String::new();
    for extra in ["--offline", "--no-deps"] {
        let out = compile::cargo()
            .current_dir(dest)
            .args(["metadata", "--format-version", "1", extra])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .context("running cargo metadata: is the Rust toolchain installed and on PATH?")?;
        if out.status.success() {
            return Ok(());
        }
        last_error = String::from_utf8_lossy(&out.stderr).trim().to_string();
    }
    bail!(
        "the student edition in {} does not load as a cargo workspace:\n{last_error}\n\
         if `cargo metadata --no-deps` works in the course itself, this is a bug in dist: please report it",
        dest.display()
    )
}

/// `path` made absolute, `..` resolved and symbolic links followed as far
/// as it exists, so that a roundabout path to the course is still seen.
fn resolve(path: &Path) -> Result<PathBuf> {
    let abs = std::path::absolute(path).with_context(|| format!("resolving {}", path.display()))?;
    let mut normal = PathBuf::new();
    for component in abs.components() {
        match component {
            Component::ParentDir => {
                normal.pop();
            }
            Component::CurDir => {}
            other => normal.push(other),
        }
    }
    let mut existing = normal.as_path();
    let mut missing = Vec::new();
    while !existing.exists() {
        let (Some(name), Some(parent)) = (existing.file_name(), existing.parent()) else { break };
        missing.push(name.to_os_string());
        existing = parent;
    }
    let mut resolved =
        existing.canonicalize().with_context(|| format!("resolving {}", existing.display()))?;
    resolved.extend(missing.iter().rev());
    Ok(resolved)
}

/// Removes the folders under `dir` (not `dir` itself) that hold nothing.
pub fn prune_empty_dirs(dir: &Path) -> Result<()> {
    let entries = fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("reading {}", dir.display()))?;
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            let sub = entry.path();
            prune_empty_dirs(&sub)?;
            if fs::read_dir(&sub).is_ok_and(|mut d| d.next().is_none()) {
                fs::remove_dir(&sub).with_context(|| format!("removing {}", sub.display()))?;
            }
        }
    }
    Ok(())
}

/// `dir` as a shell would need it typed.
fn shell_word(text: &str) -> String {
    if text.chars().all(|c| c.is_ascii_alphanumeric() || "/._-+~:@,".contains(c)) {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

fn read_text(path: &Path) -> Result<String> {
    fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_note_goes_under_the_title() {
        let out = with_note("# awaitlings\n\nSmall exercises.\n");
        assert!(out.starts_with("# awaitlings\n\n> **Student edition.**"), "{out}");
        assert!(out.ends_with("\n\nSmall exercises.\n"), "{out}");
        assert!(with_note("no title\n").starts_with("> **Student edition.**"));
    }

    #[test]
    fn paths_resolve_without_dot_dot() {
        let here = std::env::current_dir().unwrap().canonicalize().unwrap();
        assert_eq!(resolve(Path::new("a/../b/./c")).unwrap(), here.join("b/c"));
    }

    #[test]
    fn odd_paths_are_quoted_for_the_shell() {
        assert_eq!(shell_word("../student"), "../student");
        assert_eq!(shell_word("my course"), "'my course'");
    }
}
