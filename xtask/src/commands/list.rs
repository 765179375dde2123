//! `cargo xtask list`: every exercise, with its number, topic and status.

use anyhow::Result;

use crate::course::Course;
use crate::state::{State, Status};
use crate::style;

pub fn run(course: &Course) -> Result<bool> {
    let state = State::load(&course.root);
    let current = state.current(course).map(|e| e.name.clone());
    println!("   {:<3} {:<20} {:<40} {:<12} status", "#", "exercise", "mirrors", "tests pass");
    for e in &course.exercises {
        let marker = if current.as_deref() == Some(&e.name) { style::bold("▸") } else { " ".into() };
        let tally = state.tally(course, e);
        // "failing" only once a check has said so; until then, the count.
        let (tests, status) = match state.status(&e.name) {
            Some(Status::Done) => (format!("{} of {}", tally.passed, tally.total), style::green("done")),
            Some(Status::Failing) => (format!("{} of {}", tally.passed, tally.total), style::red("failing")),
            None => (format!("– of {}", tally.total), style::dim("not started")),
        };
        println!(
            " {marker} {:<3} {:<20} {:<40} {tests:<12} {status}",
            format!("{:02}", e.number),
            e.name,
            e.idiom
        );
    }
    let done = state.done_count(course);
    let tests = state.total_tally(course);
    println!(
        "\n   {} {done} of {} done · {} of {} tests pass",
        style::bar(done, course.exercises.len(), 20),
        course.exercises.len(),
        tests.passed,
        tests.total
    );
    Ok(true)
}
