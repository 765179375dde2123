//! Colour for the terminal, and only for the terminal: off when stdout is
//! not a terminal, when NO_COLOR is set (no-color.org), or when asked.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};

static ENABLED: AtomicBool = AtomicBool::new(false);

/// Decides once, at start-up.
pub fn init(never: bool) {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    ENABLED.store(!never && !no_color && std::io::stdout().is_terminal(), Ordering::Relaxed);
}

pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

fn paint(code: &str, text: &str) -> String {
    if enabled() { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_string() }
}

pub fn green(text: &str) -> String {
    paint("32", text)
}

pub fn red(text: &str) -> String {
    paint("31", text)
}

pub fn yellow(text: &str) -> String {
    paint("33", text)
}

pub fn dim(text: &str) -> String {
    paint("2", text)
}

pub fn bold(text: &str) -> String {
    paint("1", text)
}

/// A progress bar of `width` cells.
pub fn bar(done: usize, total: usize, width: usize) -> String {
    let filled = (done * width).checked_div(total).unwrap_or(0);
    format!("{}{}", green(&"█".repeat(filled)), dim(&"░".repeat(width - filled)))
}
