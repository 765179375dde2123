//! `cargo xtask gradescope-bundle`: the course as a Gradescope autograder.
//!
//! The zip holds `setup.sh` (install Rust, pre-build, self-test on the
//! reference solutions), `run_autograder` (grade `/autograder/submission`
//! into `/autograder/results/results.json`) and `course/`, the instructor's
//! course without build output or the tool's own tests. Grading limits given
//! here are baked into both scripts.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::course::Course;
use crate::limits::LimitArgs;
use crate::stage;
use crate::zip::{self, Entry};

const SETUP: &str = include_str!("bundle/setup.sh");
const RUN: &str = include_str!("bundle/run_autograder");

/// What the course folder of the bundle leaves out.
fn left_out(rel: &Path) -> bool {
    crate::course::not_copied(rel) || rel.starts_with("xtask/tests")
}

/// `cargo xtask gradescope-bundle [-o FILE] [limits]`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct BundleArgs {
    /// Where to write the zip.
    #[arg(long, short, value_name = "FILE", default_value = "autograder.zip")]
    pub output: PathBuf,
    /// Limits baked into every grading the bundle runs.
    #[command(flatten)]
    pub limits: LimitArgs,
    /// Grade every test, even the rest of a task whose first two tests hung.
    #[arg(long)]
    pub no_fail_fast: bool,
}

pub fn run(course: &Course, args: &BundleArgs) -> Result<bool> {
    let mut flags = args.limits.as_flags();
    if args.no_fail_fast {
        flags.push("--no-fail-fast".into());
    }
    let grade_args = flags.join(" ");

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
    // The manifest the course keeps once setup.sh has removed solutions/
    // after its self-test: the workspace must still load without them.
    if let Some(manifest) = files.get(Path::new("Cargo.toml")) {
        let (graded, _) = crate::commands::dist::manifest::student(&String::from_utf8_lossy(manifest))
            .context("writing the manifest without solutions/")?;
        entries.push(Entry {
            name: "course/Cargo.graded.toml".into(),
            data: graded.into_bytes(),
            mode: 0o644,
        });
    }
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
