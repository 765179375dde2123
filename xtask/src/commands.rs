//! One module per subcommand.

pub mod bench;
pub mod bundle;
pub mod check;
pub mod dist;
pub mod grade;
pub mod hint;
pub mod list;
pub mod mutant;
pub mod new;
pub mod reset;
pub mod solution;
pub mod status;
pub mod tryout;
pub mod verify;
pub mod watch;

use anyhow::Result;

use crate::course::{Course, Exercise};
use crate::suggest;

/// A mistake in what the user typed (exit code 2), as opposed to a failure
/// of the course or the tool.
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// The exercise called `name`, or a usage error that suggests the closest.
pub fn find<'c>(course: &'c Course, name: &str) -> Result<&'c Exercise> {
    if let Some(exercise) = course.find(name) {
        return Ok(exercise);
    }
    let names = course.exercises.iter().map(|e| e.name.as_str());
    let message = match suggest::closest(name, names) {
        Some(close) => format!("no exercise '{name}'; did you mean '{close}'?"),
        None => format!(
            "no exercise '{name}'. The exercises are: {}.\nrun `cargo xtask list` to see them all",
            course.exercises.iter().map(|e| e.name.as_str()).collect::<Vec<_>>().join(", ")
        ),
    };
    Err(UsageError(message).into())
}
