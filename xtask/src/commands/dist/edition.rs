//! Which copy of the course this is: the full one (instructors and
//! maintainers: solutions and mutants in `solutions/`) or the student
//! edition `cargo xtask dist` writes (no `solutions/` at all).

use std::path::Path;

use anyhow::Result;

use crate::commands::UsageError;
use crate::course::Course;

/// The folder only the full course has.
pub const SOLUTIONS: &str = "solutions";

/// Where a student edition keeps the reference solutions, when the
/// instructor ships them (`dist --with-solutions`): out of the workspace,
/// so that the edition stays an edition.
pub const SHIPPED_SOLUTIONS: &str = ".awaitlings/solutions";

/// `.awaitlings/solutions/gather`, relative to the course root.
pub fn shipped_solution_dir(exercise: &crate::course::Exercise) -> std::path::PathBuf {
    Path::new(SHIPPED_SOLUTIONS).join(&exercise.name)
}

/// True in a copy of the course without solutions (the student edition).
pub fn is_student_edition(root: &Path) -> bool {
    !root.join(SOLUTIONS).is_dir()
}

/// A usage error when `command` needs the solutions and this copy of the
/// course has none: said plainly, instead of the cargo error ("package
/// ID specification `gather-solution` did not match any packages") the
/// command would otherwise end in.
pub fn require_solutions(course: &Course, command: &str, instead: &str) -> Result<()> {
    if !is_student_edition(&course.root) {
        return Ok(());
    }
    Err(UsageError(format!(
        "the student edition has no solutions; {command} runs in the instructor's copy of the course.\n{instead}"
    ))
    .into())
}
