//! Unix: a process group of its own, a memory limit, and signals.

use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitStatus};

use super::{Exit, Limits, Signal};

/// Sets up `cmd` so that the process runs in its own group, under the
/// memory limit.
pub(super) fn contain(cmd: &mut Command, limits: &Limits) {
    cmd.process_group(0);
    if let Some(bytes) = limits.memory {
        // SAFETY: between fork and exec only setrlimit runs, which is
        // async-signal-safe; std has no API for resource limits.
        unsafe {
            cmd.pre_exec(move || {
                let limit = libc::rlimit { rlim_cur: bytes as libc::rlim_t, rlim_max: bytes as libc::rlim_t };
                libc::setrlimit(libc::RLIMIT_AS, &limit);
                Ok(())
            });
        }
    }
}

/// SIGKILL to the child's whole process group (its id: `contain` made it
/// the leader).
pub(super) fn kill_group(child: &Child) {
    let Ok(group) = i32::try_from(child.id()) else { return };
    // SAFETY: a plain syscall on a process group we created; std can only
    // kill the child itself.
    unsafe {
        libc::kill(-group, libc::SIGKILL);
    }
}

pub(super) fn exit_of(status: ExitStatus) -> Exit {
    if status.success() {
        return Exit::Success;
    }
    if let Some(code) = status.code() {
        return Exit::Code(code);
    }
    Exit::Signal(match status.signal().unwrap_or(0) {
        libc::SIGABRT => Signal::Abort,
        libc::SIGKILL => Signal::Kill,
        libc::SIGSEGV => Signal::Segfault,
        other => Signal::Other(other),
    })
}
