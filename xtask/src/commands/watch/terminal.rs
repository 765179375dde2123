//! The terminal while watching: single keys without Enter, and the
//! learner's settings given back on every way out.
//!
//! Only canonical mode (line editing) and echo are turned off; signals
//! stay on, so Ctrl-C still interrupts a build at once, as it does for
//! `cargo xtask check`. The settings come back when the guard drops (a
//! return, an error, a panic that unwinds) and, through a signal
//! handler, when Ctrl-C, a hang-up or a kill ends the process.

use std::io::{IsTerminal, Write};

use anyhow::{Context, Result};
use rustix::termios::{self, LocalModes, OptionalActions, SpecialCodeIndex, Termios};
use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM};
use signal_hook::iterator::{Handle, Signals};

/// Signals that end the process and must not leave the terminal without
/// echo.
const FATAL: [i32; 4] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT];

/// Single-key input on stdin while alive. Drop it to give the terminal
/// back.
pub struct RawMode {
    original: Termios,
    /// Stops the thread that restores the terminal on a fatal signal.
    signals: Handle,
}

impl std::fmt::Debug for RawMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawMode").finish_non_exhaustive()
    }
}

impl RawMode {
    /// Turns off line editing and echo when stdin is a terminal; `None`
    /// when it is not (a pipe reads lines instead).
    pub fn enable() -> Result<Option<RawMode>> {
        let stdin = std::io::stdin();
        if !stdin.is_terminal() {
            return Ok(None);
        }
        let original = termios::tcgetattr(&stdin).context("reading the terminal's settings")?;
        // A signal that ends the process gives the terminal back first,
        // then ends it as the signal would have (exit status 130 for
        // Ctrl-C), so the shell sees an interrupted command.
        let mut signals = Signals::new(FATAL).context("watching for Ctrl-C")?;
        let handle = signals.handle();
        let restore = original.clone();
        std::thread::Builder::new()
            .name("awaitlings-terminal".into())
            .spawn(move || {
                if let Some(signal) = signals.forever().next() {
                    let _ = termios::tcsetattr(std::io::stdin(), OptionalActions::Now, &restore);
                    let _ = signal_hook::low_level::emulate_default_handler(signal);
                }
            })
            .context("starting the terminal's signal watcher")?;
        let mut raw = original.clone();
        raw.local_modes.remove(LocalModes::ICANON | LocalModes::ECHO);
        raw.special_codes[SpecialCodeIndex::VMIN] = 1;
        raw.special_codes[SpecialCodeIndex::VTIME] = 0;
        let guard = RawMode { original, signals: handle };
        termios::tcsetattr(&stdin, OptionalActions::Now, &raw).context(
            "setting the terminal to read single keys; `cat | cargo xtask watch` reads whole lines instead",
        )?;
        Ok(Some(guard))
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = termios::tcsetattr(std::io::stdin(), OptionalActions::Now, &self.original);
        // The watcher thread ends, and the handlers go with it.
        self.signals.close();
    }
}

/// Clears the screen for a fresh verdict, on a terminal only: in a pipe
/// or a log every run stays readable one after another, a blank line
/// apart. The screen only: the terminal's scrollback (`ESC [3J`) is the
/// learner's, with the verdicts before this one.
pub fn clear_screen() {
    let mut out = std::io::stdout();
    let _ = if out.is_terminal() { out.write_all(b"\x1b[H\x1b[2J") } else { out.write_all(b"\n") };
    let _ = out.flush();
}
