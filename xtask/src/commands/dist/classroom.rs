//! `.github/workflows/classroom.yml` for a GitHub Classroom assignment made
//! from the student edition: on every push it installs Rust, grades the
//! repository with `--format github-classroom` (which writes each runner's
//! result to the step's outputs), and hands them to Classroom's own
//! reporter, `classroom-resources/autograding-grading-reporter@v1`, one
//! `<RUNNER>_RESULTS` variable per runner. The runners are the course's
//! (one per exercise and points value): known when the edition is made,
//! because a workflow cannot name environment variables at run time.

use crate::course::{Course, Exercise};
use crate::evaluate::test_names_in_source;
use crate::report::github_classroom::{runner_id, runner_order, usual_points};

/// The course's runners, in course order: (exercise, runner ids).
pub fn runners(course: &Course, exercises: &[&Exercise]) -> Vec<String> {
    let mut out = Vec::new();
    for exercise in exercises {
        let names = test_names_in_source(&course.root.join(&exercise.dir).join("tests"));
        let mut points: Vec<f64> = names.iter().map(|n| exercise.points(n)).collect();
        let usual = usual_points(points.iter().copied());
        points.sort_by(|a, b| runner_order(*a, usual).total_cmp(&runner_order(*b, usual)));
        for p in points {
            let id = runner_id(&exercise.name, p, usual);
            if !out.contains(&id) {
                out.push(id);
            }
        }
    }
    out
}

/// The workflow, for these runners.
pub fn workflow(runners: &[String]) -> String {
    let mut env = String::new();
    for runner in runners {
        env.push_str(&format!(
            "          {}_RESULTS: \"${{{{ steps.grade.outputs.{runner} }}}}\"\n",
            runner.to_uppercase()
        ));
    }
    format!(
        r#"# GitHub Classroom autograding for this awaitlings course, written by
# `cargo xtask dist --github-classroom`. Each exercise (and points value) is
# a runner of Classroom's reporter, so the student's table shows every
# exercise, and the points sent to Classroom equal the table's total.
name: Autograding Tests
on:
  - push
  - repository_dispatch
permissions:
  checks: write
  actions: read
  contents: read
jobs:
  run-autograding-tests:
    runs-on: ubuntu-latest
    if: github.actor != 'github-classroom[bot]'
    timeout-minutes: 30
    steps:
      - name: Checkout code
        uses: actions/checkout@v4
      - name: Install Rust
        run: |
          rustup toolchain install stable --profile minimal
          rustup default stable
      - name: Grade
        id: grade
        env:
          NO_COLOR: "1"
        run: cargo xtask grade --format github-classroom --output classroom-results.json
      - name: Autograding Reporter
        uses: classroom-resources/autograding-grading-reporter@v1
        env:
{env}        with:
          runners: {runners}
"#,
        runners = runners.join(",")
    )
}
