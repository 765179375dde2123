//! `cargo xtask list`: every exercise, with its number, topic and status.

use anyhow::Result;

use crate::course::Course;
use crate::state::{State, Status};
use crate::style;

pub fn run(course: &Course) -> Result<bool> {
    let state = State::load(&course.root);
    let current = state.current(course).map(|e| e.name.clone());
    println!("   {:<3} {:<20} {:<40} status", "#", "exercise", "mirrors");
    for e in &course.exercises {
        let marker = if current.as_deref() == Some(&e.name) { style::bold("▸") } else { " ".into() };
        let status = match state.status(&e.name) {
            Some(Status::Done) => style::green("done"),
            Some(Status::Failing) => style::red("failing"),
            None => style::dim("not started"),
        };
        println!(" {marker} {:<3} {:<20} {:<40} {status}", format!("{:02}", e.number), e.name, e.idiom);
    }
    let done = state.done_count(course);
    println!(
        "\n   {} {done} of {} done",
        style::bar(done, course.exercises.len(), 20),
        course.exercises.len()
    );
    Ok(true)
}
