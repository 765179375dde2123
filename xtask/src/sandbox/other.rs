//! Not Linux: no sandbox but the limits every platform gets (wall clock,
//! output); the report says so.

use std::path::Path;
use std::process::Command;

use super::{Grant, Protection};

/// Never shown: a build is confined only where Landlock is.
pub(super) const BUILD_PROTECTION: &str = "";

pub(super) fn user_tasks() -> Option<u64> {
    None
}

pub(super) fn confine(_room: &Path, _grant: &Grant, _nproc: Option<u64>) -> Protection {
    Protection {
        not_enforced: vec![format!(
            "files, network and process limits: the sandbox needs Linux (Landlock); on {} a test can read, \
             write and connect wherever the grader's user can",
            std::env::consts::OS
        )],
        ..Protection::default()
    }
}

/// Nothing to apply: the report already says so.
pub(super) fn confine_command(
    _cmd: &mut Command,
    _room: &Path,
    _grant: &Grant,
    _nproc: Option<u64>,
    _promised: &Protection,
) {
}

pub(super) fn enter_private_network() {}
