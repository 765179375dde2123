//! `cargo xtask dist DIR`: the student edition of the course.
//!
//! Everything a learner needs and nothing they should not have: the
//! workspace (its Cargo.toml rewritten without `solutions/`), the lock
//! file, the checker, the tool (without its own tests and fixtures: those
//! are the maintainers'), the exercises as stubs, and a pristine copy of
//! every stub under `.awaitlings/stubs/` so that `cargo xtask reset` works
//! where there is no git history to restore from. No solution, no mutant
//! (unless `--with-solutions`: then the reference solutions, for
//! `cargo xtask solution NAME` once an exercise passes).
//!
//! An instructor who solved the exercises in their own copy must not ship
//! the answers: each exercise's `src/` is shipped as committed (git's
//! `HEAD`), never the working tree's edits. With no git, or when the
//! working tree differs, dist refuses, naming the files, unless
//! `--allow-dirty`. And before anything is written, every stub it ships
//! is built and run, in a stage of its own: a stub that passes its tests
//! is refused, `--allow-dirty` or not.
//!
//! In the edition, `list`, `check`, `watch`, `hint`, `reset` and `grade`
//! work as in the full course; `check --solution` and `verify` say that
//! the solutions stay with the instructor (see `edition`).

pub mod classroom;
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
use crate::compile::{self, CompileOptions};
use crate::course::{Course, Exercise};
use crate::evaluate::{self, Build, Package};
use crate::limits::LimitArgs;
use crate::stage::{self, Stage};
use crate::style;

#[derive(Debug, Clone, clap::Args)]
pub struct DistArgs {
    /// A new (or empty) folder outside the course.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Write into a non-empty DIR: what dist ships is replaced, the rest (.git, ...) left alone.
    #[arg(long)]
    pub force: bool,
    /// Go on when exercises/*/src differs from git HEAD (HEAD's is still what ships) or there is no git (the working tree ships).
    #[arg(long)]
    pub allow_dirty: bool,
    /// Also ship the reference solutions, for `cargo xtask solution NAME` once an exercise passes.
    #[arg(long)]
    pub with_solutions: bool,
    /// Also write .github/workflows/classroom.yml: GitHub Classroom autograding, one runner per exercise.
    #[arg(long)]
    pub github_classroom: bool,
    /// Limits for running the stubs' tests (every stub must fail them).
    #[command(flatten)]
    pub limits: LimitArgs,
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
> **Student edition.** Everything you need for the exercises is here.
> `cargo xtask` says where you are and what to do next; `cargo xtask reset
> NAME` puts an exercise back as it was shipped.
";

/// Added to the note when the reference solutions are shipped.
const README_NOTE_SOLUTIONS: &str = "\
> Once an exercise passes, `cargo xtask solution NAME` shows the reference
> solution, to compare with yours.
";

pub fn run(course: &Course, args: &DistArgs) -> Result<bool> {
    let dest = resolve(&args.dir)?;
    check_destination(course, &dest, args)?;
    let shipped = committed_stubs(course, args.allow_dirty)?;
    for stub in &shipped {
        refuse_leaked_solution(course, stub)?;
    }
    refuse_passing_stubs(course, &shipped, &args.limits)?;

    let mut edition = Edition::gather(course, &shipped, args.with_solutions)?;
    if args.github_classroom {
        let exercises: Vec<&Exercise> = shipped.iter().map(|s| s.exercise).collect();
        let runners = classroom::runners(course, &exercises);
        edition
            .files
            .insert(".github/workflows/classroom.yml".into(), classroom::workflow(&runners).into_bytes());
    }
    edition.write(&dest)?;
    validate(&dest)?;
    edition.report(course, &args.dir);
    Ok(true)
}

/// One exercise's `src/` as the edition ships it: path under `src/` → content.
#[derive(Debug)]
struct Stub<'c> {
    exercise: &'c Exercise,
    files: BTreeMap<PathBuf, Vec<u8>>,
}

/// Every exercise's `src/` as committed; a usage error naming the files
/// that differ from git's `HEAD` (or saying there is no git), unless
/// `allow_dirty`. Drafts stay behind, so they are not asked about.
fn committed_stubs(course: &Course, allow_dirty: bool) -> Result<Vec<Stub<'_>>> {
    let root = &course.root;
    let mut stubs = Vec::new();
    let mut differ: Vec<String> = Vec::new();
    let mut no_git = false;
    for exercise in course.exercises.iter().filter(|e| !e.draft) {
        let src = exercise.src();
        let here = stage::collect(&root.join(&src), &|_| false)
            .with_context(|| format!("reading {}", src.display()))?;
        match stubs::from_git(root, &src)? {
            stubs::GitLookup::Found(committed) => {
                let paths: std::collections::BTreeSet<&PathBuf> =
                    here.keys().chain(committed.keys()).collect();
                for path in paths {
                    let what = match (here.get(path), committed.get(path)) {
                        (Some(a), Some(b)) if a == b => continue,
                        (Some(_), Some(_)) => "edited",
                        (Some(_), None) => "not committed",
                        (None, _) => "deleted",
                    };
                    differ.push(format!("{} ({what})", src.join(path).display()));
                }
                stubs.push(Stub { exercise, files: committed });
            }
            stubs::GitLookup::NotInHead => {
                differ.push(format!("{}/ (not committed)", src.display()));
                stubs.push(Stub { exercise, files: here });
            }
            stubs::GitLookup::NoRepository => {
                no_git = true;
                stubs.push(Stub { exercise, files: here });
            }
        }
    }
    if no_git && !allow_dirty {
        return Err(UsageError(
            "this course is not a git checkout (or git is not installed), so dist cannot tell the stubs as \
             committed from answers written since.\n\
             commit the course to git and run dist again, or pass --allow-dirty to ship exercises/*/src as \
             they are here (every stub is still checked to fail its tests)"
                .into(),
        )
        .into());
    }
    if !differ.is_empty() {
        let list = differ.iter().map(|d| format!("  {d}")).collect::<Vec<_>>().join("\n");
        if !allow_dirty {
            return Err(UsageError(format!(
                "the working tree differs from git HEAD in the exercises' src/:\n{list}\n\
                 dist ships each exercise's src/ as committed, never your edits (a solved exercise would give \
                 the answer away).\ncommit the stubs you mean to ship, or put them back (cargo xtask reset \
                 NAME), or pass --allow-dirty to ship what HEAD has and leave these edits out"
            ))
            .into());
        }
        eprintln!(
            "{} the working tree differs from git HEAD; the edition ships HEAD's src/, without:\n{list}",
            style::yellow("warning:")
        );
    }
    Ok(stubs)
}

/// Builds and runs every shipped stub's tests in a stage of its own
/// (`target/awaitlings/stage/dist`); a usage error naming each stub that
/// passes them all. A stub that does not compile fails, and is shipped.
fn refuse_passing_stubs(course: &Course, stubs: &[Stub<'_>], limits: &LimitArgs) -> Result<()> {
    let stage_dir = course.root.join("target/awaitlings/stage/dist");
    eprintln!(
        "checking that every stub fails its tests, in {} (the first time builds the course: a minute or more)…",
        stage_dir.strip_prefix(&course.root).unwrap_or(&stage_dir).display()
    );
    let stage = Stage::prepare(&course.root, &stage_dir).context("staging a copy of the course")?;
    let compile_options = CompileOptions {
        target_dir: Some(stage.target_dir()),
        color: false,
        show_progress: false,
        sandbox: None,
    };
    let run_options = limits.run_options();
    let mut passing = Vec::new();
    for stub in stubs {
        let exercise = stub.exercise;
        let src = stage.root.join(exercise.src());
        stage::sync(&src, &stub.files).with_context(|| format!("writing {}", src.display()))?;
        let site = Package { workspace: stage.root.clone(), name: exercise.package.clone() };
        match evaluate::build(exercise, &site, &compile_options, &run_options)? {
            Build::Failed(_) => {}
            Build::Ready(tests) => {
                if tests.all_pass(exercise, &run_options)? {
                    passing.push(format!(
                        "  {}/ ({:02} {})",
                        exercise.src().display(),
                        exercise.number,
                        exercise.name
                    ));
                }
            }
        }
    }
    if passing.is_empty() {
        return Ok(());
    }
    Err(UsageError(format!(
        "these stubs pass every test, as the edition would ship them:\n{}\n\
         a stub that passes gives the answer away. Put the todo!() bodies back, commit them, and run dist again",
        passing.join("\n")
    ))
    .into())
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
    /// Reference solutions shipped (`--with-solutions`).
    solutions: usize,
}

impl Edition {
    fn gather(course: &Course, stubs: &[Stub<'_>], with_solutions: bool) -> Result<Edition> {
        let root = &course.root;
        let mut edition = Edition::default();

        let cargo_toml = read_text(&root.join("Cargo.toml"))?;
        let (cargo_toml, workspace) =
            manifest::student(&cargo_toml).context("writing the student edition's Cargo.toml")?;
        edition.files.insert("Cargo.toml".into(), cargo_toml.into_bytes());
        edition.workspace = Some(workspace);

        if root.join("README.md").is_file() {
            let readme = read_text(&root.join("README.md"))?;
            let readme = with_note(&student_readme(&readme, with_solutions), with_solutions);
            edition.files.insert("README.md".into(), readme.into_bytes());
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
            // The exercises' src/ comes from `stubs`, as committed.
            let files = stage::collect(&dir, &|rel: &Path| {
                let in_course = Path::new(name).join(rel);
                in_course == Path::new(XTASK_TESTS)
                    || drafts.iter().any(|d| in_course.starts_with(d))
                    || stubs.iter().any(|s| in_course == s.exercise.src())
                    || (dir.join(rel).is_dir() && rel.ends_with("target"))
            })?;
            edition.add_dir(Path::new(name), files);
        }
        for stub in stubs {
            let src = stub.exercise.src();
            edition.files.extend(stub.files.iter().map(|(rel, content)| (src.join(rel), content.clone())));
            edition.add_dir(&stubs::snapshot_dir(stub.exercise), stub.files.clone());
        }
        if with_solutions {
            for stub in stubs {
                let src = root.join(stub.exercise.solution_dir()).join("src");
                if !src.is_dir() {
                    continue;
                }
                let files =
                    stage::collect(&src, &|_| false).with_context(|| format!("reading {}", src.display()))?;
                edition.add_dir(&edition::shipped_solution_dir(stub.exercise).join("src"), files);
                edition.solutions += 1;
            }
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
            row(
                "README.md",
                "the learner's sections, with a note at the top that this is the student edition",
            );
        }
        row(
            "exercises/",
            &format!(
                "{} exercises, as stubs as committed, each checked to fail its tests ({} files)",
                course.exercises.iter().filter(|e| !e.draft).count(),
                self.count_under("exercises")
            ),
        );
        row(&format!("{}/", stubs::DIR), "a pristine copy of every stub, for `cargo xtask reset`");
        if self.solutions > 0 {
            row(
                &format!("{}/", edition::SHIPPED_SOLUTIONS),
                &format!(
                    "{} reference solutions, for `cargo xtask solution NAME` once an exercise passes",
                    self.solutions
                ),
            );
        }
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
fn with_note(readme: &str, with_solutions: bool) -> String {
    let note =
        if with_solutions { format!("{README_NOTE}>\n{README_NOTE_SOLUTIONS}") } else { README_NOTE.into() };
    match readme.split_once('\n') {
        Some((title, rest)) if title.starts_with("# ") => format!("{title}\n\n{note}{rest}"),
        _ => format!("{note}\n{readme}"),
    }
}

/// Sections of the README that speak to instructors and maintainers.
const NOT_FOR_STUDENTS: &[&str] = &["## For instructors", "## For maintainers"];

/// The course's README as students read it. The instructors' and
/// maintainers' sections are left out, and so is what the README marks:
///
/// - `<!-- course-only -->` … `<!-- /course-only -->`: left out;
/// - a line ending in `<!-- course-only -->` (a table row): left out;
/// - `<!-- solutions -->` … `<!-- /solutions -->`, or a line ending in
///   `<!-- solutions -->`: kept only with the solutions;
/// - `<!-- student-edition` … `-->`: a comment in the course, shown here.
fn student_readme(readme: &str, with_solutions: bool) -> String {
    let mut out = String::new();
    let mut skipping_section = false;
    let mut skipping_block = false;
    let mut in_student_block = false;
    // A `# comment` in a fenced shell block is not a heading.
    let mut in_code = false;
    for line in readme.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("```") {
            in_code = !in_code;
        }
        if in_code {
        } else if line.starts_with("## ") {
            skipping_section = NOT_FOR_STUDENTS.iter().any(|h| line.trim_end() == *h);
        } else if line.starts_with("# ") {
            skipping_section = false;
        }
        if skipping_section {
            continue;
        }
        if trimmed == "<!-- course-only -->" || (trimmed == "<!-- solutions -->" && !with_solutions) {
            skipping_block = true;
            continue;
        }
        if ["<!-- /course-only -->", "<!-- solutions -->", "<!-- /solutions -->"].contains(&trimmed) {
            skipping_block = false;
            continue;
        }
        if skipping_block {
            continue;
        }
        if trimmed == "<!-- student-edition" {
            in_student_block = true;
            continue;
        }
        if in_student_block && trimmed == "-->" {
            in_student_block = false;
            continue;
        }
        if trimmed.ends_with("<!-- course-only -->") {
            continue;
        }
        if let Some(kept) = trimmed.strip_suffix("<!-- solutions -->") {
            if with_solutions {
                out.push_str(kept.trim_end());
                out.push('\n');
            }
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    // Sections left out leave their blank lines behind: at most one.
    while out.contains("\n\n\n") {
        out = out.replace("\n\n\n", "\n\n");
    }
    out
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
fn refuse_leaked_solution(course: &Course, stub: &Stub<'_>) -> Result<()> {
    let exercise = stub.exercise;
    let Some(lib) = stub.files.get(Path::new("lib.rs")) else { return Ok(()) };
    let lib = String::from_utf8_lossy(lib);
    let solution = course.root.join(exercise.solution_dir());
    let Ok(answers) = Answers::load(&solution) else { return Ok(()) };
    for (answer, text) in answers.texts() {
        if text == lib {
            return Err(UsageError(format!(
                "{}/src/lib.rs is the same as {}/{answer}: the student edition would give the answer away.\n\
                 put the stub back (cargo xtask reset {} restores it from git), then run dist again",
                exercise.dir.display(),
                exercise.solution_dir().display(),
                exercise.name
            ))
            .into());
        }
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
        let out = with_note("# awaitlings\n\nSmall exercises.\n", false);
        assert!(out.starts_with("# awaitlings\n\n> **Student edition.**"), "{out}");
        assert!(out.ends_with("\n\nSmall exercises.\n"), "{out}");
        assert!(with_note("no title\n", false).starts_with("> **Student edition.**"));
        assert!(with_note("# t\n", true).contains("cargo xtask solution NAME"));
    }

    #[test]
    fn the_students_readme_keeps_the_learners_sections() {
        let readme = "# course\n\nintro\n<!-- course-only -->\nfor authors\n<!-- /course-only -->\n\
                      <!-- student-edition\nfor students\n-->\n\n## Quick start\n\n| a | b |\n\
                      | `check --solution` | x | <!-- course-only -->\n| `solution` | y | <!-- solutions -->\n\n\
                      <!-- solutions -->\nonce it passes\n<!-- /solutions -->\n\
                      ## For instructors\n\ngrade\n\n```sh\n# a comment, not a heading\n```\n\n### A student edition\n\ndist\n\n## For maintainers\n\nverify\n";
        let out = student_readme(readme, false);
        assert_eq!(out, "# course\n\nintro\nfor students\n\n## Quick start\n\n| a | b |\n\n");
        let out = student_readme(readme, true);
        assert!(out.contains("| `solution` | y |\n") && out.contains("\nonce it passes\n"), "{out}");
        assert!(!out.contains("<!--"), "{out}");
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
