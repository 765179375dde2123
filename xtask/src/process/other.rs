//! Platforms without process groups or resource limits: the wall limit
//! still holds (the child is killed), nothing more.

use std::process::{Child, Command, ExitStatus};

use super::{Exit, Limits};

pub(super) fn contain(_cmd: &mut Command, _limits: &Limits, _handover: Option<&super::Handover>) {}

pub(super) fn kill_group(_child: &Child) {}

pub(super) fn exit_of(status: ExitStatus) -> Exit {
    match status.code() {
        Some(0) => Exit::Success,
        Some(code) => Exit::Code(code),
        None => Exit::Killed,
    }
}

/// No way to be woken at the child's exit: the caller polls.
pub(super) fn exit_signal(_child: &Child) -> Option<std::convert::Infallible> {
    None
}

pub(super) fn wait_for(never: &std::convert::Infallible, _timeout: std::time::Duration) {
    match *never {}
}
