//! `cargo xtask try NAME FILE...`: an exercise's tests on candidate answers.
//!
//! For a maintainer with answers written elsewhere (a held-out corpus of
//! correct and wrong solutions, a student's file sent by mail): each FILE
//! is laid in as the exercise's `src/lib.rs` in a stage of its own, and one
//! line says how it fared. Nothing in the course is touched.

use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::commands::UsageError;
use crate::compile::CompileOptions;
use crate::course::Course;
use crate::evaluate::{Package, evaluate};
use crate::limits::LimitArgs;
use crate::stage::Stage;
use crate::style;

/// `cargo xtask try NAME FILE...`.
#[derive(Debug, clap::Args)]
pub struct TryArgs {
    /// The exercise.
    pub name: String,
    /// Files to lay in as the exercise's src/lib.rs, one at a time.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub limits: LimitArgs,
}

pub fn run(course: &Course, args: &TryArgs) -> Result<bool> {
    let exercise = crate::commands::find(course, &args.name)?;
    let mut texts = Vec::new();
    for file in &args.files {
        let text = std::fs::read_to_string(file)
            .map_err(|e| UsageError(format!("cannot read {}: {e}", file.display())))?;
        texts.push((file, text));
    }
    let stage = Stage::prepare(
        &course.root,
        &course.root.join("target/awaitlings/stage").join(format!("try-{}", exercise.name)),
    )
    .context("staging a copy of the course")?;
    let compile_options = CompileOptions {
        target_dir: Some(stage.target_dir()),
        color: false,
        show_progress: false,
        sandbox: None,
    };
    let run_options = args.limits.run_options();
    let src = course.root.join(exercise.src());
    let site = Package { workspace: stage.root.clone(), name: exercise.package.clone() };
    let mut all_passed = true;
    for (file, text) in &texts {
        stage.lay_src(&exercise.dir, &src, Some(text))?;
        let result = evaluate(exercise, &site, &compile_options, &run_options)?;
        let failed: Vec<String> = result
            .tests
            .iter()
            .filter(|t| !t.kind.passed())
            .map(|t| format!("{} [{}]", t.name, t.kind.label()))
            .collect();
        let score = format!("{}/{}", result.passed(), result.tests.len());
        if failed.is_empty() {
            println!("{} {}: {score}", style::green("✔"), file.display());
        } else {
            all_passed = false;
            println!("{} {}: {score} · failed: {}", style::red("✘"), file.display(), failed.join(", "));
        }
    }
    stage.lay_src(&exercise.dir, &src, None)?;
    Ok(all_passed)
}
