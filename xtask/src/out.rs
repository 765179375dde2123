//! Printing that never panics.
//!
//! std's `println!` panics when stdout is a closed pipe ("failed printing
//! to stdout: Broken pipe"), which is what `cargo xtask check gather |
//! head -1` does to it once `head` has its line. The crate's `println!`,
//! `print!` and `eprintln!` (macros in main.rs, in scope in
//! every module) come here instead: what a closed pipe cannot take is
//! dropped, and the command goes on to its end (progress is still
//! recorded, the exit code still says how it went).

use std::cell::RefCell;
use std::fmt::{self, Write as _};
use std::io::Write;

thread_local! {
    /// Where this thread's stdout goes while [`captured`] runs.
    static CAPTURE: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Runs `f` with this thread's stdout kept in a string instead (work done
/// on several threads at once, printed in order afterwards).
pub fn captured<T>(f: impl FnOnce() -> T) -> (T, String) {
    CAPTURE.set(Some(String::new()));
    let value = f();
    (value, CAPTURE.take().unwrap_or_default())
}

/// Writes to stdout, ignoring a reader that has gone away.
pub fn stdout(args: fmt::Arguments<'_>, newline: bool) {
    let kept = CAPTURE.with_borrow_mut(|capture| match capture {
        Some(text) => {
            let _ = text.write_fmt(args);
            if newline {
                text.push('\n');
            }
            true
        }
        None => false,
    });
    if kept {
        return;
    }
    let mut out = std::io::stdout().lock();
    let _ = out.write_fmt(args).and_then(|()| if newline { out.write_all(b"\n") } else { Ok(()) });
}

/// Writes to stderr, ignoring a reader that has gone away.
pub fn stderr(args: fmt::Arguments<'_>, newline: bool) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_fmt(args).and_then(|()| if newline { err.write_all(b"\n") } else { Ok(()) });
}
