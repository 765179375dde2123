//! `cargo xtask gradescope-bundle`: the course as a Gradescope autograder.
//!
//! The zip holds `setup.sh` (install Rust, pre-build, self-test on the
//! reference solutions), `run_autograder` (grade `/autograder/submission`
//! into `/autograder/results/results.json`) and `course/`, the instructor's
//! course without build output or the tool's own tests. Grading limits given
//! here are baked into both scripts.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};

use crate::course::Course;
use crate::stage;
use crate::zip::{self, Entry};

const SETUP: &str = include_str!("bundle/setup.sh");
const RUN: &str = include_str!("bundle/run_autograder");

/// What the course folder of the bundle leaves out.
fn left_out(rel: &Path) -> bool {
    let first =
        rel.components().next().map(|c| c.as_os_str().to_string_lossy().into_owned()).unwrap_or_default();
    matches!(first.as_str(), "target" | ".git" | crate::state::FILE) || rel.starts_with("xtask/tests")
}

#[derive(Debug, Clone, Default)]
pub struct BundleArgs {
    pub output: PathBuf,
    pub wall_limit: Option<Duration>,
    pub memory_limit_mib: Option<u64>,
    pub jobs: Option<usize>,
}

pub fn run(course: &Course, args: &BundleArgs) -> Result<bool> {
    let mut grade_args = Vec::new();
    if let Some(limit) = args.wall_limit {
        grade_args.push(format!("--wall-limit {}", limit.as_secs_f64()));
    }
    if let Some(mib) = args.memory_limit_mib {
        grade_args.push(format!("--memory-limit {mib}"));
    }
    if let Some(jobs) = args.jobs {
        grade_args.push(format!("--jobs {jobs}"));
    }
    let grade_args = grade_args.join(" ");

    let mut entries = vec![
        Entry {
            name: "setup.sh".into(),
            data: SETUP.replace("@GRADE_ARGS@", &grade_args).into_bytes(),
            mode: 0o755,
        },
        Entry {
            name: "run_autograder".into(),
            data: RUN.replace("@GRADE_ARGS@", &grade_args).into_bytes(),
            mode: 0o755,
        },
    ];
    let files = stage::collect(&course.root, &left_out).context("reading the course")?;
    for (rel, data) in files {
        let name = format!("course/{}", rel.to_string_lossy().replace('\\', "/"));
        let executable = fs::metadata(course.root.join(&rel))
            .map(|m| std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o111 != 0)
            .unwrap_or(false);
        entries.push(Entry { name, data, mode: if executable { 0o755 } else { 0o644 } });
    }

    if let Some(parent) = args.output.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    let mut file =
        fs::File::create(&args.output).with_context(|| format!("creating {}", args.output.display()))?;
    zip::write(&mut file, &entries).with_context(|| format!("writing {}", args.output.display()))?;
    println!("wrote {} ({} files)", args.output.display(), entries.len());
    println!(
        "next: on Gradescope, create a programming assignment, choose \"Zip file upload\" as the autograder,\n\
         upload this file, and let it build (setup.sh installs Rust and grades the reference solutions).\n\
         Students submit their course folder (or just its exercises/ folder)."
    );
    Ok(true)
}
