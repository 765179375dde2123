//! `cargo xtask` with no arguments: where the learner is and what is next.

use anyhow::Result;

use crate::course::Course;
use crate::state::State;
use crate::style;

pub fn run(course: &Course) -> Result<bool> {
    let state = State::load(&course.root);
    let (done, total) = (state.done_count(course), course.exercises.len());
    println!("{}", style::bold("awaitlings · async Rust, graded on a virtual clock"));
    let tests = state.total_tally(course);
    println!(
        "  progress  {} {done} of {total} done · {} of {} tests pass",
        style::bar(done, total, 24),
        tests.passed,
        tests.total
    );
    match state.current(course) {
        Some(e) => {
            let tally = state.tally(course, e);
            let checked = if state.tests.contains_key(&e.name) {
                format!(" · {} of {} tests pass", tally.passed, tally.total)
            } else {
                format!(" · {} tests", tally.total)
            };
            println!("  current   {:02} {} · {}{checked}", e.number, e.name, e.idiom);
            if !e.topics.is_empty() {
                println!("  topics    {}", e.topics.join(" · "));
            }
            let next = state.next_task.get(&e.name);
            let position = next.and_then(|n| e.tasks.iter().position(|t| &t.name == n)).unwrap_or(0);
            if let Some(task) = e.tasks.get(position) {
                println!("  {:<9} {}: {}", format!("task {}", position + 1), task.name, task.summary);
            }
            println!("  read      {}/README.md, then edit {}/src/lib.rs", e.dir.display(), e.dir.display());
            println!("\n  next: cargo xtask check {}", e.name);
        }
        None if total == 0 => println!("  this course has no exercises yet."),
        None => println!("\n  every exercise is done. `cargo xtask list` shows them all."),
    }
    println!("  more: cargo xtask list · hint NAME · check NAME · --help");
    Ok(true)
}
