//! Unix: a process group of its own, a memory limit, and signals.

use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitStatus};

use std::os::fd::AsRawFd;

use super::{Exit, Handover, Limits, Signal};

/// Sets up `cmd` so that the process runs in its own group, under the
/// memory limit, with the result channel (if any) at descriptors 3 and 4.
pub(super) fn contain(cmd: &mut Command, limits: &Limits, handover: Option<&Handover>) {
    cmd.process_group(0);
    let memory = limits.memory;
    let channel = handover.map(|h| (h.report.as_raw_fd(), h.nonce.as_raw_fd()));
    if let Some((report, nonce)) = channel {
        cmd.env(protocol::CHANNEL_VAR, protocol::CHANNEL_FDS);
        debug_assert!(report > 2 && nonce > 2);
    }
    // SAFETY: between fork and exec only setrlimit, fcntl, dup2 and close
    // run, which are async-signal-safe; std has no API for resource limits
    // or for handing a child descriptors other than stdio.
    unsafe {
        cmd.pre_exec(move || {
            if let Some(bytes) = memory {
                let limit = libc::rlimit { rlim_cur: bytes as libc::rlim_t, rlim_max: bytes as libc::rlim_t };
                libc::setrlimit(libc::RLIMIT_AS, &limit);
            }
            if let Some((report, nonce)) = channel {
                // Out of the way first, so that dup2 onto 3 cannot close
                // the nonce pipe if it happens to be descriptor 3.
                let report = libc::fcntl(report, libc::F_DUPFD, 10);
                let nonce = libc::fcntl(nonce, libc::F_DUPFD, 10);
                if report < 0 || nonce < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                if libc::dup2(report, protocol::REPORT_FD) < 0 || libc::dup2(nonce, protocol::NONCE_FD) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                libc::close(report);
                libc::close(nonce);
            }
            Ok(())
        });
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

/// Something that becomes readable when `child` exits: a pidfd (Linux ≥
/// 5.3). None elsewhere, and the caller polls.
#[cfg(target_os = "linux")]
pub(super) fn exit_signal(child: &Child) -> Option<std::os::fd::OwnedFd> {
    use rustix::process::{Pid, PidfdFlags, pidfd_open};
    let pid = Pid::from_raw(i32::try_from(child.id()).ok()?)?;
    pidfd_open(pid, PidfdFlags::empty()).ok()
}

/// Waits until the pidfd is readable (the child exited), or `timeout`.
#[cfg(target_os = "linux")]
pub(super) fn wait_for(pidfd: &std::os::fd::OwnedFd, timeout: std::time::Duration) {
    use rustix::event::{PollFd, PollFlags, Timespec, poll};
    let timeout = Timespec {
        tv_sec: timeout.as_secs().min(i64::MAX as u64) as i64,
        tv_nsec: timeout.subsec_nanos().into(),
    };
    let _ = poll(&mut [PollFd::new(pidfd, PollFlags::IN)], Some(&timeout));
}

#[cfg(not(target_os = "linux"))]
pub(super) fn exit_signal(_child: &Child) -> Option<std::convert::Infallible> {
    None
}

#[cfg(not(target_os = "linux"))]
pub(super) fn wait_for(never: &std::convert::Infallible, _timeout: std::time::Duration) {
    match *never {}
}
