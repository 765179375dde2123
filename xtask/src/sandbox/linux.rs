//! Linux: Landlock for files, TCP and signals; a network namespace; rlimits.
//!
//! Confinement comes in two halves, so that a test needs no trampoline:
//! - [`prepare`] runs in the grader. It opens the allowed paths and builds
//!   the Landlock ruleset: allocations, and errors in words.
//! - [`apply`] runs in the process to be confined; for a test, between
//!   `fork` and `exec`. It makes system calls only (async-signal-safe, no
//!   allocation) and says what held as plain data.
//!
//! The probe and the build (one trampoline process each per grade) run the
//! very same two halves in one process, so what the probe reports is what
//! every test gets.

use std::cell::Cell;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

use landlock::{
    ABI, Access, AccessFs, AccessNet, Ruleset, RulesetAttr, RulesetCreatedAttr, Scope, path_beneath_rules,
};
use rustix::io::Errno;
use rustix::process::{Resource, Rlimit, getuid, setrlimit};
use rustix::thread::{UnshareFlags, unshare_unsafe};

use super::{Grant, Protection};

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
/// Address space of each process of a build (cargo, every rustc). A
/// submission can make the compiler itself eat memory or time:
/// `include_bytes!("/dev/urandom")` reads until memory runs out (measured:
/// 2 minutes and many GiB before rustc gave up; under this limit, 6 s), and
/// a const evaluation with `long_running_const_eval` allowed never ends
/// (the CPU limit, `grade --compile-limit`). Under these limits that rustc
/// fails alone, its exercise does not compile, and the others build. A
/// whole new submission's build peaks at 0.3 GiB resident and builds within
/// 2 GiB of address space.
pub(super) const BUILD_MEMORY: u64 = 4 << 30;
/// How the report names what confines a build (with its CPU seconds).
pub(super) const BUILD_PROTECTION: &str = "landlock (the stage, the toolchain and cargo's home only; no network); \
                                           each compiler at most 4 GiB of memory and {cpu} s of CPU";

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

/// One resource limit to set.
#[derive(Debug, Clone, Copy)]
struct Limit {
    resource: Resource,
    value: u64,
    name: &'static str,
}

/// The most limits [`prepare`] asks for (core, fsize, nofile, nproc; and
/// for a build, as and cpu).
const LIMITS: usize = 6;

/// Everything [`apply`] needs, made ahead of time.
#[derive(Debug)]
pub(super) struct Prepared {
    /// The Landlock ruleset, all rules in but one: `/proc/self/task` names
    /// a different directory in every process, so the confined process adds
    /// it itself. None where the kernel has no Landlock.
    ruleset: Option<OwnedFd>,
    /// Why there is no ruleset, when making it failed.
    ruleset_error: Option<String>,
    limits: [Option<Limit>; LIMITS],
    /// A test reads its own threads' `schedstat` (the blocking detector).
    own_threads: bool,
    /// Make a network namespace (false: this thread is in one already, and
    /// the process inherits it).
    namespace: bool,
    /// Root: the kernel does not limit root's processes.
    root: bool,
}

/// What held when [`apply`] ran, as plain data.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Held {
    /// Per limit of [`Prepared::limits`]: None if set, else the error.
    limits: [Option<Errno>; LIMITS],
    namespace: bool,
    /// The ruleset was enforced; else the error (None: there was none).
    landlock: Option<Result<(), Errno>>,
}

/// Builds what confining a process to `room` and `grant` takes. `namespace`
/// false: the process will inherit a private network from this thread.
pub(super) fn prepare(room: &Path, grant: &Grant, nproc: Option<u64>, namespace: bool) -> Prepared {
    let root = getuid().is_root();
    let limit = |resource, value, name| Some(Limit { resource, value, name });
    let limits = [
        limit(Resource::Core, 0, "core"),
        limit(Resource::Fsize, FILE_SIZE, "fsize"),
        // cargo and rustc keep many files open at once: a build gets more.
        limit(Resource::Nofile, if grant.build { OPEN_FILES_BUILD } else { OPEN_FILES }, "nofile"),
        nproc.filter(|_| !root).and_then(|n| limit(Resource::Nproc, n, "nproc")),
        if grant.build { limit(Resource::As, BUILD_MEMORY, "as") } else { None },
        grant.cpu_seconds.filter(|_| grant.build).and_then(|secs| limit(Resource::Cpu, secs, "cpu")),
    ];
    let read = AccessFs::from_read(ABI_WANTED);
    let all = AccessFs::from_all(ABI_WANTED);
    let ruleset = Ruleset::default()
        .handle_access(all)
        .and_then(|r| r.handle_access(AccessNet::from_all(ABI_WANTED)))
        .and_then(|r| r.scope(Scope::from_all(ABI_WANTED)))
        .and_then(|r| r.create())
        .and_then(|r| r.add_rules(path_beneath_rules(SYSTEM_READ, read)))
        .and_then(|r| r.add_rules(path_beneath_rules(&grant.read, read)))
        .and_then(|r| r.add_rules(path_beneath_rules(&grant.write, all)))
        .and_then(|r| r.add_rules(path_beneath_rules([room, Path::new("/dev/null")], all)));
    let (ruleset, ruleset_error) = match ruleset {
        Ok(created) => (Option::<OwnedFd>::from(created), None),
        Err(e) => (None, Some(e.to_string())),
    };
    Prepared { ruleset, ruleset_error, limits, own_threads: !grant.build, namespace, root }
}

/// `struct landlock_path_beneath_attr` of `<linux/landlock.h>`.
#[repr(C, packed)]
struct PathBeneath {
    allowed_access: u64,
    parent_fd: i32,
}

/// `LANDLOCK_RULE_PATH_BENEATH`.
const RULE_PATH_BENEATH: libc::c_long = 1;
/// `LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR`.
const READ_FILE_AND_DIR: u64 = (1 << 2) | (1 << 3);
/// `LANDLOCK_CREATE_RULESET_VERSION`.
const CREATE_RULESET_VERSION: libc::c_long = 1;

fn errno() -> Errno {
    Errno::from_io_error(&std::io::Error::last_os_error()).unwrap_or(Errno::INVAL)
}

/// Confines the calling process (and so whatever it execs). System calls
/// only: this runs between `fork` and `exec`.
pub(super) fn apply(prepared: &Prepared) -> Held {
    let mut held = Held::default();
    for (slot, limit) in held.limits.iter_mut().zip(&prepared.limits) {
        if let Some(Limit { resource, value, .. }) = *limit {
            let limit = Rlimit { current: Some(value), maximum: Some(value) };
            *slot = setrlimit(resource, limit).err();
        }
    }
    // Root may make a network namespace; another user needs a user
    // namespace along with it. SAFETY: NEWNET and NEWUSER change what this
    // process sees of the network and of user ids; neither shares or
    // unshares memory or descriptors (the flags rustix marks unsafe for),
    // and this process has one thread.
    held.namespace = prepared.namespace
        && unsafe {
            unshare_unsafe(UnshareFlags::NEWNET).is_ok()
                || unshare_unsafe(UnshareFlags::NEWUSER | UnshareFlags::NEWNET).is_ok()
        };
    if let Some(ruleset) = &prepared.ruleset {
        held.landlock = Some(restrict(ruleset.as_raw_fd(), prepared.own_threads));
    }
    held
}

/// Adds this process's own `/proc/self/task` (read only: the blocking
/// detector reads each thread's run-queue wait there, without which a
/// loaded machine looks like blocking code), then enforces the ruleset.
/// `/proc/self/mem`, `environ` and `fd` stay denied; their copies under
/// `task/` are readable, but no secret is in the environment, and the
/// result channel is a file outside every allowed path: opening it anew is
/// denied.
fn restrict(ruleset: i32, own_threads: bool) -> Result<(), Errno> {
    // SAFETY: plain system calls on descriptors this process owns, with a
    // struct laid out as the kernel's; nothing allocates.
    unsafe {
        if own_threads {
            let dir = libc::open(c"/proc/self/task".as_ptr(), libc::O_PATH | libc::O_CLOEXEC);
            if dir < 0 {
                return Err(errno());
            }
            let rule = PathBeneath { allowed_access: READ_FILE_AND_DIR, parent_fd: dir };
            let added = libc::syscall(libc::SYS_landlock_add_rule, ruleset, RULE_PATH_BENEATH, &rule, 0);
            let added = if added < 0 { Err(errno()) } else { Ok(()) };
            libc::close(dir);
            added?;
        }
        if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0
            || libc::syscall(libc::SYS_landlock_restrict_self, ruleset, 0) < 0
        {
            return Err(errno());
        }
    }
    Ok(())
}

/// The Landlock ABI this kernel speaks, if any.
fn landlock_abi() -> Option<i64> {
    // SAFETY: the version query takes no attribute and creates nothing.
    let abi = unsafe {
        libc::syscall(libc::SYS_landlock_create_ruleset, std::ptr::null::<u8>(), 0, CREATE_RULESET_VERSION)
    };
    (abi > 0).then_some(abi)
}

/// Confines this process (the probe, a build) and says what held.
pub(super) fn confine(room: &Path, grant: &Grant, nproc: Option<u64>) -> Protection {
    let prepared = prepare(room, grant, nproc, true);
    let held = apply(&prepared);
    describe(&prepared, &held)
}

/// What held, in a report's words. It never claims what was not there.
fn describe(prepared: &Prepared, held: &Held) -> Protection {
    let mut p = Protection::default();
    for (limit, error) in prepared.limits.iter().zip(held.limits) {
        match (limit, error) {
            (Some(limit), None) => p.limits.push(limit.name.to_string()),
            (Some(limit), Some(e)) => {
                p.not_enforced.push(format!("{}: {}", limit.name, std::io::Error::from(e)))
            }
            (None, _) => {}
        }
    }
    if prepared.root {
        p.not_enforced.push(
            "nproc: grading runs as root, and the kernel does not limit root's processes (grade as an \
             unprivileged user)"
                .into(),
        );
    } else if !prepared.limits.iter().flatten().any(|l| l.name == "nproc") {
        p.not_enforced.push("nproc: the user's tasks could not be counted".into());
    }
    let mut net = Vec::new();
    if held.namespace {
        net.push("namespace");
    }
    match (held.landlock, landlock_abi()) {
        (Some(Ok(())), Some(abi)) => {
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
        (Some(Err(e)), _) => {
            p.not_enforced.push(format!("files: Landlock could not be applied ({})", std::io::Error::from(e)))
        }
        _ => p.not_enforced.push(match &prepared.ruleset_error {
            Some(e) => format!("files: Landlock could not be applied ({e})"),
            None => {
                "files: this kernel has no Landlock (Linux 5.13 or later, with landlock in its LSM list), so \
                     a test can read and write whatever the grader's user can"
                    .into()
            }
        }),
    }
    if net.is_empty() {
        p.not_enforced
            .push("network: neither a network namespace nor Landlock's TCP rules were available".into());
    } else {
        p.network = Some(net.join(", "));
    }
    p
}

thread_local! {
    /// This thread has a network namespace of its own (see
    /// [`enter_private_network`]).
    static PRIVATE_NETWORK: Cell<bool> = const { Cell::new(false) };
}

/// Moves the calling thread (only it: namespaces belong to threads) into a
/// new network namespace, so that the processes it starts inherit one
/// instead of each making its own, which costs more than the rest of the
/// sandbox together. Only root may do this in a threaded process; for
/// anyone else each test still makes its own.
pub(super) fn enter_private_network() {
    if PRIVATE_NETWORK.get() || !getuid().is_root() {
        return;
    }
    // SAFETY: NEWNET shares or unshares no memory and no descriptors; it
    // changes only which network this thread, and what it starts, sees.
    if unsafe { unshare_unsafe(UnshareFlags::NEWNET) }.is_ok() {
        PRIVATE_NETWORK.set(true);
    }
}

/// Confines the process `cmd` will start, between `fork` and `exec`, as
/// the probe found this machine can: if any part the probe saw hold fails
/// for this process, it does not start (the spawn fails), so no test ever
/// runs with less than the report says.
pub(super) fn confine_command(
    cmd: &mut Command,
    room: &Path,
    grant: &Grant,
    nproc: Option<u64>,
    promised: &Protection,
) {
    let inherited_network = PRIVATE_NETWORK.get();
    let prepared = prepare(room, grant, nproc, !inherited_network);
    let want_landlock = promised.filesystem.is_some();
    let want_namespace =
        !inherited_network && promised.network.as_deref().is_some_and(|n| n.contains("namespace"));
    let want_limits = prepared.limits.map(|l| l.is_some_and(|l| promised.limits.iter().any(|n| n == l.name)));
    // SAFETY: `apply` makes system calls only (see its comment), and the
    // checks below compare plain data.
    unsafe {
        cmd.pre_exec(move || {
            let held = apply(&prepared);
            if let Some(e) = held.limits.iter().zip(want_limits).find_map(|(e, want)| e.filter(|_| want)) {
                return Err(e.into());
            }
            if want_namespace && !held.namespace {
                return Err(Errno::PERM.into());
            }
            match held.landlock {
                Some(Err(e)) if want_landlock => Err(e.into()),
                None if want_landlock => Err(Errno::NOSYS.into()),
                _ => Ok(()),
            }
        });
    }
}
