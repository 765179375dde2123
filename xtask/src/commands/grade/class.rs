//! `cargo xtask grade --class DIR`: a whole class in one command.
//!
//! Each student is graded by a child `cargo xtask grade` of their own (the
//! very code path that grades one submission, so a student's grade in the
//! gradebook is the grade they would get alone), in a stage of its own per
//! worker. One student's hang, spin, crash or compile error stays in their
//! row; a grader that fails on a student marks that row "not graded" and
//! the class goes on. A finished student's JSON report is renamed into
//! place only once complete, so `--resume` after an interruption regrades
//! only the students without one.
//!
//! Writes into the output folder: `reports/<student>.json` (and the chosen
//! `--format` beside it), `gradebook.csv` and `summary.md`.

use std::collections::{BTreeMap, VecDeque};
use std::fs;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::Value;

use super::GradeArgs;
use crate::commands::UsageError;
use crate::course::{Course, Exercise};
use crate::grading::points;
use crate::report::Format;

/// A grade of one student may take this long before it is stopped (a
/// cold build of the course takes a few minutes on 2 cores).
const STUDENT_LIMIT: Duration = Duration::from_secs(30 * 60);

/// One student's submission, and what to call them.
#[derive(Debug, Clone)]
pub struct Student {
    pub name: String,
    pub dir: PathBuf,
}

/// A student's row: their JSON report, or why there is none.
#[derive(Debug)]
enum Row {
    Graded(Value),
    NotGraded(String),
}

pub fn run(course: &Course, args: &GradeArgs, class: &Path) -> Result<bool> {
    let exercises = course.select(&args.exercises)?;
    let students = discover(class)?;
    let out = args.output.clone().unwrap_or_else(|| PathBuf::from("grades"));
    let reports = out.join("reports");
    if !args.resume && reports.is_dir() {
        let earlier = fs::read_dir(&reports).map(|d| d.count()).unwrap_or(0);
        if earlier > 0 {
            eprintln!(
                "starting over: {earlier} earlier report(s) in {} are replaced (--resume keeps them)",
                reports.display()
            );
        }
        fs::remove_dir_all(&reports).with_context(|| format!("clearing {}", reports.display()))?;
    }
    fs::create_dir_all(&reports).with_context(|| format!("creating {}", reports.display()))?;

    let workers = args.limits.jobs.unwrap_or(1).clamp(1, students.len().max(1));
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    let test_jobs = cores.div_ceil(workers).max(1);
    let mut rows: BTreeMap<String, Row> = BTreeMap::new();
    let mut todo = VecDeque::new();
    for student in &students {
        match args.resume.then(|| read_report(&report_path(&reports, student))).flatten() {
            Some(report) => {
                rows.insert(student.name.clone(), Row::Graded(report));
            }
            None => todo.push_back(student.clone()),
        }
    }
    if args.resume && !rows.is_empty() {
        eprintln!("resuming: {} of {} students already graded", rows.len(), students.len());
    }

    let progress = Mutex::new(Progress::new(students.len(), rows.len()));
    let queue = Mutex::new(todo);
    let done = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for slot in 0..workers {
            let (queue, done, progress, reports) = (&queue, &done, &progress, &reports);
            scope.spawn(move || {
                loop {
                    let Some(student) = queue.lock().unwrap_or_else(|e| e.into_inner()).pop_front() else {
                        break;
                    };
                    progress.lock().unwrap_or_else(|e| e.into_inner()).starting(&student.name);
                    let started = Instant::now();
                    let row = grade_one(args, &student, reports, slot, test_jobs);
                    progress.lock().unwrap_or_else(|e| e.into_inner()).finished(
                        &student.name,
                        &row,
                        started.elapsed(),
                    );
                    done.lock().unwrap_or_else(|e| e.into_inner()).push((student.name.clone(), row));
                }
            });
        }
    });
    progress.lock().unwrap_or_else(|e| e.into_inner()).clear();
    rows.extend(done.into_inner().unwrap_or_else(|e| e.into_inner()));

    let ordered: Vec<(&Student, &Row)> =
        students.iter().filter_map(|s| rows.get(&s.name).map(|r| (s, r))).collect();
    let gradebook = gradebook(&ordered, &exercises);
    fs::write(out.join("gradebook.csv"), gradebook).context("writing gradebook.csv")?;
    let summary = summary(&ordered);
    fs::write(out.join("summary.md"), &summary).context("writing summary.md")?;
    println!("{}", terminal_summary(&summary));
    println!("wrote {} (gradebook.csv, summary.md, reports/)", out.display());
    Ok(true)
}

/// The students in `class`: a folder per student; a Gradescope export
/// (`submission_metadata.yml` names them); or a GitHub Classroom clone-all
/// (`<assignment>-<login>` folders, perhaps inside `<assignment>-submissions/`).
pub fn discover(class: &Path) -> Result<Vec<Student>> {
    let meta =
        fs::metadata(class).map_err(|_| UsageError(format!("no class folder at {}", class.display())))?;
    if !meta.is_dir() {
        bail!(UsageError(format!(
            "{} is not a folder: --class takes a folder with one submission per student",
            class.display()
        )));
    }
    let mut folders = subfolders(class);
    if folders.len() == 1
        && folders[0].file_name().is_some_and(|n| n.to_string_lossy().ends_with("-submissions"))
    {
        folders = subfolders(&folders[0]);
    }
    if folders.is_empty() {
        bail!(UsageError(format!(
            "{} holds no submissions: put one folder per student in it (a student's copy of the course, or its exercises/)",
            class.display()
        )));
    }
    let names = gradescope_names(class);
    let prefix = common_prefix(&folders);
    let mut students: Vec<Student> = folders
        .into_iter()
        .map(|dir| {
            let folder = dir.file_name().unwrap_or_default().to_string_lossy().into_owned();
            let name = names.get(&folder).cloned().unwrap_or_else(|| {
                folder.strip_prefix(prefix.as_str()).filter(|n| !n.is_empty()).unwrap_or(&folder).to_string()
            });
            Student { name, dir }
        })
        .collect();
    students.sort_by(|a, b| a.name.cmp(&b.name));
    // Two students with one name (two Gradescope submissions): tell apart.
    for i in 1..students.len() {
        if students[i].name == students[i - 1].name {
            let folder = students[i].dir.file_name().unwrap_or_default().to_string_lossy().into_owned();
            students[i].name = format!("{} ({folder})", students[i].name);
        }
    }
    Ok(students)
}

fn subfolders(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
                .map(|e| e.path())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// GitHub Classroom names each repository `<assignment>-<login>`: the part
/// every folder shares, up to its last `-`, is the assignment.
fn common_prefix(folders: &[PathBuf]) -> String {
    if folders.len() < 2 {
        return String::new();
    }
    let names: Vec<String> =
        folders.iter().map(|f| f.file_name().unwrap_or_default().to_string_lossy().into_owned()).collect();
    let first = &names[0];
    let mut len = first.len();
    for n in &names[1..] {
        len = len.min(first.bytes().zip(n.bytes()).take_while(|(a, b)| a == b).count());
    }
    match first[..len].rfind('-') {
        Some(dash) => first[..=dash].to_string(),
        None => String::new(),
    }
}

/// Gradescope's export: `submission_metadata.yml` maps `submission_<id>`
/// folders to their submitters' names.
fn gradescope_names(class: &Path) -> BTreeMap<String, String> {
    let mut names = BTreeMap::new();
    let Ok(text) = fs::read_to_string(class.join("submission_metadata.yml")) else { return names };
    let mut current: Option<String> = None;
    for line in text.lines() {
        if !line.starts_with(' ') && !line.starts_with('-') && line.trim_end().ends_with(':') {
            current = Some(line.trim_end().trim_end_matches(':').trim_matches(['"', '\'']).to_string());
        } else if let Some(folder) = &current
            && let Some(name) = line.trim().trim_start_matches("- ").strip_prefix(":name:")
        {
            names.entry(folder.clone()).or_insert_with(|| name.trim().trim_matches(['"', '\'']).to_string());
        }
    }
    names
}

/// A name fit for a file: letters, digits, `.`, `-`, `_`.
fn file_name(student: &str) -> String {
    student.chars().map(|c| if c.is_ascii_alphanumeric() || ".-_".contains(c) { c } else { '_' }).collect()
}

fn report_path(reports: &Path, student: &Student) -> PathBuf {
    reports.join(format!("{}.json", file_name(&student.name)))
}

fn read_report(path: &Path) -> Option<Value> {
    let value: Value = serde_json::from_str(&fs::read_to_string(path).ok()?).ok()?;
    value["score"].is_number().then_some(value)
}

/// Grades one student in a child `cargo xtask grade`.
fn grade_one(args: &GradeArgs, student: &Student, reports: &Path, slot: usize, test_jobs: usize) -> Row {
    let json = report_path(reports, student);
    let partial = json.with_extension("json.partial");
    let _ = fs::remove_file(&partial);
    let exe = match crate::process::this_program() {
        Ok(exe) => exe,
        Err(e) => return Row::NotGraded(format!("the grader could not find itself: {e}")),
    };
    let mut cmd = Command::new(exe);
    cmd.arg("grade").arg("--submission").arg(&student.dir).arg("--stage").arg(format!("class-{slot}"));
    cmd.arg("--sandbox").arg(match args.sandbox {
        crate::sandbox::Mode::Auto => "auto",
        crate::sandbox::Mode::Require => "require",
        crate::sandbox::Mode::Off => "off",
    });
    if args.format == Format::Json {
        cmd.arg("--format").arg("json").arg("--output").arg(&partial);
    } else {
        let extension = match args.format {
            Format::Human => "txt",
            Format::Junit => "xml",
            _ => "results.json",
        };
        let other = reports.join(format!("{}.{extension}", file_name(&student.name)));
        let format =
            format!("{:?}", args.format).to_lowercase().replace("githubclassroom", "github-classroom");
        cmd.arg("--format").arg(format).arg("--output").arg(other).arg("--also-json").arg(&partial);
    }
    if args.no_fail_fast {
        cmd.arg("--no-fail-fast");
    }
    if let Some(secs) = args.compile_limit {
        cmd.arg("--compile-limit").arg(secs.to_string());
    }
    for flag in args.limits.as_flags() {
        if !flag.starts_with("--jobs") {
            cmd.args(flag.split(' '));
        }
    }
    cmd.arg("--jobs").arg(test_jobs.to_string()).args(&args.exercises).env("NO_COLOR", "1");
    let limits = crate::process::Limits { wall: STUDENT_LIMIT, memory: None, output_cap: 64 * 1024 };
    let done = match crate::process::run(cmd, &limits) {
        Ok(done) => done,
        Err(e) => return Row::NotGraded(format!("the grader did not start: {e:#}")),
    };
    match read_report(&partial) {
        Some(report) if done.exit == crate::process::Exit::Success => {
            if let Err(e) = fs::rename(&partial, &json) {
                return Row::NotGraded(format!("its report could not be kept: {e}"));
            }
            Row::Graded(report)
        }
        _ => {
            let why = done
                .stderr
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("no report")
                .trim()
                .to_string();
            let _ = fs::remove_file(&partial);
            Row::NotGraded(format!("the grader failed on this submission ({:?}): {why}", done.exit))
        }
    }
}

/// The terminal's progress: a bar on a terminal, a line per student elsewhere.
struct Progress {
    total: usize,
    done: usize,
    at_start: usize,
    started: Instant,
    running: Vec<String>,
    tty: bool,
}

impl Progress {
    fn new(total: usize, done: usize) -> Progress {
        Progress {
            total,
            done,
            at_start: done,
            started: Instant::now(),
            running: Vec::new(),
            tty: std::io::stderr().is_terminal(),
        }
    }

    fn starting(&mut self, name: &str) {
        self.running.push(name.to_string());
        self.draw();
    }

    fn finished(&mut self, name: &str, row: &Row, took: Duration) {
        self.running.retain(|n| n != name);
        self.done += 1;
        let what = match row {
            Row::Graded(r) => format!(
                "{}/{}",
                points(r["score"].as_f64().unwrap_or(0.0)),
                points(r["max_score"].as_f64().unwrap_or(0.0))
            ),
            Row::NotGraded(why) => format!("not graded: {why}"),
        };
        if self.tty {
            eprint!("\r\x1b[2K");
        }
        eprintln!("[{}/{}] {name}: {what} ({:.1} s)", self.done, self.total, took.as_secs_f64());
        self.draw();
    }

    fn draw(&self) {
        if !self.tty {
            return;
        }
        let width = 24;
        let filled = (self.done * width).checked_div(self.total).unwrap_or(width);
        let graded_now = self.done - self.at_start;
        let eta = if graded_now == 0 {
            "ETA …".to_string()
        } else {
            let per = self.started.elapsed().as_secs_f64() / graded_now as f64;
            let left = (self.total - self.done) as f64 * per;
            format!("ETA {}m {:02}s", (left / 60.0) as u64, (left % 60.0) as u64)
        };
        eprint!(
            "\r\x1b[2K[{}{}] student {} of {} · {eta} · grading {}",
            "#".repeat(filled),
            "-".repeat(width - filled),
            (self.done + 1).min(self.total),
            self.total,
            self.running.join(", ")
        );
    }

    fn clear(&self) {
        if self.tty {
            eprint!("\r\x1b[2K");
        }
    }
}

fn csv(field: &str) -> String {
    if field.contains([',', '"', '\n']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

/// One row per student: total, and one column per exercise.
fn gradebook(rows: &[(&Student, &Row)], exercises: &[&Exercise]) -> String {
    let mut out = String::from("student,status,total,max");
    for e in exercises {
        out.push(',');
        out.push_str(&csv(&format!("{:02} {}", e.number, e.name)));
    }
    out.push('\n');
    for (student, row) in rows {
        out.push_str(&csv(&student.name));
        match row {
            Row::Graded(report) => {
                let by_name: BTreeMap<&str, &Value> = report["exercises"]
                    .as_array()
                    .map(|a| a.iter().map(|e| (e["name"].as_str().unwrap_or_default(), e)).collect())
                    .unwrap_or_default();
                out.push_str(&format!(
                    ",graded,{},{}",
                    points(report["score"].as_f64().unwrap_or(0.0)),
                    points(report["max_score"].as_f64().unwrap_or(0.0))
                ));
                for e in exercises {
                    let score = by_name.get(e.name.as_str()).and_then(|r| r["score"].as_f64());
                    out.push(',');
                    out.push_str(&score.map(points).unwrap_or_default());
                }
            }
            Row::NotGraded(why) => {
                out.push(',');
                out.push_str(&csv(&format!("not graded: {why}")));
                out.push_str(",,");
                out.push_str(&",".repeat(exercises.len()));
            }
        }
        out.push('\n');
    }
    out
}

/// How many students failed a test, and how often each first line of the
/// failure came up.
type Failures = (usize, BTreeMap<String, usize>);

/// The class summary in Markdown: the score distribution, then each test
/// by how many students failed it, with their most common first line.
fn summary(rows: &[(&Student, &Row)]) -> String {
    let graded: Vec<&Value> =
        rows.iter().filter_map(|(_, r)| if let Row::Graded(v) = r { Some(v) } else { None }).collect();
    let not_graded: Vec<(&Student, &String)> = rows
        .iter()
        .filter_map(|(s, r)| if let Row::NotGraded(w) = r { Some((*s, w)) } else { None })
        .collect();
    let mut out = format!("# Class summary\n\n{} students graded", graded.len());
    if !not_graded.is_empty() {
        out.push_str(&format!(
            ", {} not graded ({})",
            not_graded.len(),
            not_graded.iter().map(|(s, _)| s.name.as_str()).collect::<Vec<_>>().join(", ")
        ));
    }
    out.push_str(".\n\n");
    let max = graded.first().and_then(|r| r["max_score"].as_f64()).unwrap_or(0.0);
    let mut scores: Vec<f64> = graded.iter().filter_map(|r| r["score"].as_f64()).collect();
    scores.sort_by(f64::total_cmp);
    if !scores.is_empty() && max > 0.0 {
        let mean = scores.iter().sum::<f64>() / scores.len() as f64;
        let median = if scores.len() % 2 == 1 {
            scores[scores.len() / 2]
        } else {
            (scores[scores.len() / 2 - 1] + scores[scores.len() / 2]) / 2.0
        };
        out.push_str(&format!(
            "## Scores (out of {})\n\nmean {:.1} · median {} · lowest {} · highest {}\n\n```\n",
            points(max),
            mean,
            points(median),
            points(scores[0]),
            points(scores[scores.len() - 1])
        ));
        let mut buckets = [0usize; 11];
        for s in &scores {
            buckets[((s / max * 10.0).floor() as usize).min(10)] += 1;
        }
        for (i, count) in buckets.iter().enumerate() {
            let label =
                if i == 10 { "   100%".to_string() } else { format!("{:>3}–{:>2}%", i * 10, i * 10 + 9) };
            out.push_str(&format!("{label} {:>3} {}\n", count, "█".repeat(*count)));
        }
        out.push_str("```\n\n");
    }
    // Failures per test.
    let mut failures: BTreeMap<String, Failures> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    for report in &graded {
        for e in report["exercises"].as_array().into_iter().flatten() {
            for t in e["tests"].as_array().into_iter().flatten() {
                let key = format!(
                    "{:02} {} · {}",
                    e["number"].as_u64().unwrap_or(0),
                    e["name"].as_str().unwrap_or(""),
                    t["name"].as_str().unwrap_or("")
                );
                if !order.contains(&key) {
                    order.push(key.clone());
                }
                if t["kind"] == "passed" {
                    continue;
                }
                let first = if t["kind"] == "compile_error" {
                    "did not compile".to_string()
                } else {
                    t["message"].as_str().unwrap_or("").lines().next().unwrap_or("").trim().to_string()
                };
                let entry = failures.entry(key).or_default();
                entry.0 += 1;
                *entry.1.entry(first).or_default() += 1;
            }
        }
    }
    let mut ranked: Vec<(&String, &Failures)> = failures.iter().collect();
    ranked.sort_by(|a, b| {
        b.1.0.cmp(&a.1.0).then(order.iter().position(|k| k == a.0).cmp(&order.iter().position(|k| k == b.0)))
    });
    out.push_str("## Tests the class fails most\n\n| failed by | test | most common first line of the failure |\n|---:|---|---|\n");
    for (test, (count, messages)) in ranked {
        let common = messages
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
            .map(|(m, _)| m.as_str())
            .unwrap_or("");
        out.push_str(&format!("| {count} of {} | {test} | {} |\n", graded.len(), common.replace('|', "\\|")));
    }
    if !not_graded.is_empty() {
        out.push_str("\n## Not graded\n\n");
        for (s, why) in not_graded {
            out.push_str(&format!("- {}: {why}\n", s.name));
        }
    }
    out
}

/// The summary for the terminal: the distribution and the ten tests
/// failed most.
fn terminal_summary(markdown: &str) -> String {
    let mut out = Vec::new();
    let mut rows = 0;
    for line in markdown.lines() {
        if line.starts_with("| ") && !line.starts_with("| failed by") {
            rows += 1;
            if rows > 10 {
                continue;
            }
        }
        if line.starts_with("|---") || line == "```" {
            continue;
        }
        out.push(line.trim_start_matches("# ").trim_start_matches("## ").to_string());
    }
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_class_folder_names_its_students_in_each_layout() {
        let dir = std::env::temp_dir().join(format!("awaitlings-class-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        for layout in [
            "plain/alice",
            "plain/bob",
            "gh/hw-async-submissions/hw-async-carol",
            "gh/hw-async-submissions/hw-async-dan",
        ] {
            fs::create_dir_all(dir.join(layout).join("exercises")).unwrap();
        }
        fs::create_dir_all(dir.join("gs/submission_101")).unwrap();
        fs::create_dir_all(dir.join("gs/submission_102")).unwrap();
        fs::write(
            dir.join("gs/submission_metadata.yml"),
            "submission_101:\n  :submitters:\n  - :name: Erin Example\n    :sid: '1'\nsubmission_102:\n  :submitters:\n  - :name: Frank\n",
        )
        .unwrap();
        let names = |d: &str| discover(&dir.join(d)).unwrap().into_iter().map(|s| s.name).collect::<Vec<_>>();
        assert_eq!(names("plain"), ["alice", "bob"]);
        assert_eq!(names("gh"), ["carol", "dan"]);
        assert_eq!(names("gs"), ["Erin Example", "Frank"]);
        fs::create_dir_all(dir.join("empty")).unwrap();
        assert!(discover(&dir.join("empty")).unwrap_err().to_string().contains("holds no submissions"));
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn csv_fields_are_quoted_when_they_must_be() {
        assert_eq!(csv("plain"), "plain");
        assert_eq!(csv("a, b"), "\"a, b\"");
        assert_eq!(csv("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
