//! Linux: Landlock for files, TCP and signals; a network namespace; rlimits.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use landlock::{
    ABI, Access, AccessFs, AccessNet, LandlockStatus, Ruleset, RulesetAttr, RulesetCreatedAttr,
    RulesetStatus, Scope, path_beneath_rules,
};
use rustix::process::{Resource, Rlimit, getuid, setrlimit};
use rustix::thread::{UnshareFlags, unshare_unsafe};

use super::Protection;

/// The newest Landlock ABI whose rights we ask for; older kernels get what
/// they have (best effort), and the probe reports it.
const ABI_WANTED: ABI = ABI::V6;

/// What the system's loader and the Rust runtime read: shared libraries,
/// the loader's cache, time zones and locales, the CPU count.
const SYSTEM_READ: &[&str] = &[
    "/lib",
    "/lib32",
    "/lib64",
    "/usr/lib",
    "/usr/lib32",
    "/usr/lib64",
    "/usr/local/lib",
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/localtime",
    "/usr/share/zoneinfo",
    "/usr/share/locale",
    "/dev/urandom",
    "/dev/random",
    "/sys/devices/system/cpu",
    "/sys/fs/cgroup",
];

/// A file a test may write: at most this many bytes (SIGXFSZ past it).
const FILE_SIZE: u64 = 256 << 20;
/// Open descriptors a test may hold.
const OPEN_FILES: u64 = 256;
/// Open descriptors a build may hold.
const OPEN_FILES_BUILD: u64 = 8192;

/// Tasks (processes and threads) the real user runs now: RLIMIT_NPROC
/// counts them all, so a test's limit is this plus some room.
pub(super) fn user_tasks() -> Option<u64> {
    let uid = getuid().as_raw();
    let mut tasks = 0;
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let is_pid = entry.file_name().to_str().is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()));
        if !is_pid || entry.metadata().ok().map(|m| m.uid()) != Some(uid) {
            continue;
        }
        tasks += std::fs::read_dir(entry.path().join("task")).map(|d| d.count() as u64).unwrap_or(1);
    }
    Some(tasks)
}

/// Confines this process (and so whatever it execs) and says what held.
pub(super) fn confine(room: &Path, grant: &super::Grant, nproc: Option<u64>) -> Protection {
    let mut p = Protection::default();
    limits(&mut p, nproc, grant.build);
    let namespace = network_namespace();
    landlock(&mut p, room, grant, namespace);
    p
}

fn limits(p: &mut Protection, nproc: Option<u64>, build: bool) {
    let mut set = |resource: Resource, value: u64, name: &str| {
        let limit = Rlimit { current: Some(value), maximum: Some(value) };
        match setrlimit(resource, limit) {
            Ok(()) => p.limits.push(name.to_string()),
            Err(e) => p.not_enforced.push(format!("{name}: {e}")),
        }
    };
    set(Resource::Core, 0, "core");
    set(Resource::Fsize, FILE_SIZE, "fsize");
    // cargo and rustc keep many files open at once: a build gets more.
    set(Resource::Nofile, if build { OPEN_FILES_BUILD } else { OPEN_FILES }, "nofile");
    if getuid().is_root() {
        p.not_enforced.push(
            "nproc: grading runs as root, and the kernel does not limit root's processes (grade as an \
             unprivileged user)"
                .into(),
        );
    } else if let Some(n) = nproc {
        set(Resource::Nproc, n, "nproc");
    } else {
        p.not_enforced.push("nproc: the user's tasks could not be counted".into());
    }
}

/// A new network namespace: no interface but a loopback that is down.
/// Root may make one; another user needs a user namespace along with it.
fn network_namespace() -> bool {
    let unshare = |flags| {
        // SAFETY: NEWNET and NEWUSER change what this process sees of the
        // network and of user ids; neither shares or unshares memory or
        // descriptors (the flags rustix marks unsafe for), and this process
        // has one thread.
        unsafe { unshare_unsafe(flags) }.is_ok()
    };
    unshare(UnshareFlags::NEWNET) || unshare(UnshareFlags::NEWUSER | UnshareFlags::NEWNET)
}

fn landlock(p: &mut Protection, room: &Path, grant: &super::Grant, namespace: bool) {
    let read = AccessFs::from_read(ABI_WANTED);
    let all = AccessFs::from_all(ABI_WANTED);
    let status = Ruleset::default()
        .handle_access(all)
        .and_then(|r| r.handle_access(AccessNet::from_all(ABI_WANTED)))
        .and_then(|r| r.scope(Scope::from_all(ABI_WANTED)))
        .and_then(|r| r.create())
        .and_then(|r| r.add_rules(path_beneath_rules(SYSTEM_READ, read)))
        .and_then(|r| r.add_rules(path_beneath_rules(&grant.read, read)))
        // A test's own threads, read only: the blocking detector reads each
        // one's run-queue wait there (`schedstat`), without which a loaded
        // machine looks like blocking code. `/proc/self/mem`, `environ` and
        // `fd` stay denied; their copies under `task/` are readable, but no
        // secret is in the environment, and the result channel is a file
        // outside every allowed path: opening it anew is denied.
        .and_then(|r| {
            let tests_own = if grant.build { None } else { Some(Path::new("/proc/self/task")) };
            r.add_rules(path_beneath_rules(tests_own, AccessFs::ReadFile | AccessFs::ReadDir))
        })
        .and_then(|r| r.add_rules(path_beneath_rules(&grant.write, all)))
        .and_then(|r| r.add_rules(path_beneath_rules([room, Path::new("/dev/null")], all)))
        .and_then(|r| r.restrict_self());
    let mut net = Vec::new();
    if namespace {
        net.push("namespace");
    }
    match status {
        Ok(status) if status.ruleset != RulesetStatus::NotEnforced => {
            let abi = match status.landlock {
                LandlockStatus::Available { effective_abi, kernel_abi } => {
                    kernel_abi.unwrap_or(effective_abi as i32)
                }
                _ => 0,
            };
            p.filesystem = Some(format!("landlock ABI {abi}"));
            if abi >= 4 {
                net.push("landlock");
            } else {
                p.not_enforced.push(format!("TCP rules: Landlock ABI {abi} has none (Linux 6.7 adds them)"));
            }
            if abi < 6 {
                p.not_enforced.push(format!(
                    "signals: Landlock ABI {abi} cannot stop a test from signalling other processes of the user \
                     (Linux 6.12 can)"
                ));
            }
        }
        Ok(_) => p.not_enforced.push(
            "files: this kernel has no Landlock (Linux 5.13 or later, with landlock in its LSM list), so a \
             test can read and write whatever the grader's user can"
                .into(),
        ),
        Err(e) => p.not_enforced.push(format!("files: Landlock could not be applied ({e})")),
    }
    if net.is_empty() {
        p.not_enforced
            .push("network: neither a network namespace nor Landlock's TCP rules were available".into());
    } else {
        p.network = Some(net.join(", "));
    }
}
