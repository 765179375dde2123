//! The terminal while watching: single keys without Enter, and the
//! learner's settings given back on every way out.
//!
//! Only canonical mode (line editing) and echo are turned off; signals
//! stay on, so Ctrl-C still interrupts a build at once, as it does for
//! `cargo xtask check`. The settings come back when the guard drops (a
//! return, an error, a panic that unwinds) and, through a signal
//! handler, when Ctrl-C, a hang-up or a kill ends the process.

use std::io::{IsTerminal, Write};
use std::mem::MaybeUninit;
use std::sync::OnceLock;

use anyhow::{Context, Result};

/// The settings to give back, for the signal handler, which can reach
/// nothing else. Set once, before the first change.
static ORIGINAL: OnceLock<libc::termios> = OnceLock::new();

/// Signals that end the process and must not leave the terminal without
/// echo.
const FATAL: [libc::c_int; 4] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT];

/// Single-key input on stdin while alive. Drop it to give the terminal
/// back.
pub struct RawMode {
    original: libc::termios,
    previous_handlers: Vec<(libc::c_int, libc::sigaction)>,
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
        if !std::io::stdin().is_terminal() {
            return Ok(None);
        }
        let fd = libc::STDIN_FILENO;
        let mut settings = MaybeUninit::<libc::termios>::uninit();
        // SAFETY: tcgetattr fills the struct when it returns 0.
        if unsafe { libc::tcgetattr(fd, settings.as_mut_ptr()) } != 0 {
            return Err(std::io::Error::last_os_error()).context("reading the terminal's settings");
        }
        // SAFETY: initialised by the successful tcgetattr above.
        let original = unsafe { settings.assume_init() };
        let _ = ORIGINAL.set(original);
        let previous_handlers = FATAL.iter().filter_map(|&signal| install_restorer(signal)).collect();
        let mut raw = original;
        raw.c_lflag &= !(libc::ICANON | libc::ECHO);
        raw.c_cc[libc::VMIN] = 1;
        raw.c_cc[libc::VTIME] = 0;
        let guard = RawMode { original, previous_handlers };
        // SAFETY: `raw` is a valid termios derived from the current one.
        if unsafe { libc::tcsetattr(fd, libc::TCSANOW, &raw) } != 0 {
            return Err(std::io::Error::last_os_error())
                .context(
                "setting the terminal to read single keys; `cat | cargo xtask watch` reads whole lines instead",
            );
        }
        Ok(Some(guard))
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        // SAFETY: restores settings read from this terminal, and handlers
        // saved by sigaction.
        unsafe {
            libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &self.original);
            for (signal, handler) in &self.previous_handlers {
                libc::sigaction(*signal, handler, std::ptr::null_mut());
            }
        }
    }
}

/// Installs `restore_and_die` for `signal`; the handler it replaces, to
/// put back later.
fn install_restorer(signal: libc::c_int) -> Option<(libc::c_int, libc::sigaction)> {
    // SAFETY: a zeroed sigaction is a valid "no flags, empty mask" value;
    // the handler only makes async-signal-safe calls.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = restore_and_die as extern "C" fn(libc::c_int) as libc::sighandler_t;
        libc::sigemptyset(&mut action.sa_mask);
        let mut previous: libc::sigaction = std::mem::zeroed();
        (libc::sigaction(signal, &action, &mut previous) == 0).then_some((signal, previous))
    }
}

/// Gives the terminal back, then dies of the same signal, so the shell
/// sees an interrupted command (exit status 130 for Ctrl-C).
extern "C" fn restore_and_die(signal: libc::c_int) {
    // SAFETY: tcsetattr, signal and raise are async-signal-safe; ORIGINAL
    // was set before this handler was installed, so `get` only reads.
    unsafe {
        if let Some(original) = ORIGINAL.get() {
            libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, original);
        }
        libc::signal(signal, libc::SIG_DFL);
        libc::raise(signal);
    }
}

/// Clears the screen for a fresh verdict, on a terminal only: in a pipe
/// or a log every run stays readable one after another, a blank line
/// apart.
pub fn clear_screen() {
    let mut out = std::io::stdout();
    let _ = if out.is_terminal() { out.write_all(b"\x1b[H\x1b[2J\x1b[3J") } else { out.write_all(b"\n") };
    let _ = out.flush();
}
