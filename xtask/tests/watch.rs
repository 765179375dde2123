//! `cargo xtask watch`, driven the way a learner drives it: through a pipe
//! (whole lines: `h`, `l`, `q`, an empty line to check), and on a real
//! pseudo-terminal (single keys, Ctrl-C, the terminal given back).
//!
//! Every wait is bounded and the child is killed on every way out of a
//! test (`Watch` kills it when dropped), so a broken watch fails the test
//! instead of hanging it. The first verdict may wait for a cold build of
//! the fixture's dependencies; later ones rebuild one small crate.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use predicates::str::contains;

#[path = "support/fixture.rs"]
mod support;

use support::{Fixture, workspace};

/// The first verdict of a test: may include a cold build of tokio and the
/// checker.
const FIRST_VERDICT: Duration = Duration::from_secs(420);
/// A verdict after a save: one small crate to rebuild, its tests to run.
const VERDICT: Duration = Duration::from_secs(120);
/// Output that needs no build (a hint, a list, a note).
const PROMPT: Duration = Duration::from_secs(20);

/// The fixture copies share one target directory, where an exercise's
/// artifacts do not depend on which copy built them, and cargo judges
/// them fresh by modification times. These tests edit an exercise's
/// sources while others build it from their own copy, so two at once
/// could run each other's build: they take turns.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn take_turn() -> MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// What a reader thread has collected so far.
#[derive(Default)]
struct Collected {
    bytes: Vec<u8>,
    closed: bool,
}

type Shared = Arc<(Mutex<Collected>, Condvar)>;

/// Reads `from` on a thread of its own until it ends.
fn collect(mut from: impl Read + Send + 'static) -> Shared {
    let shared: Shared = Arc::default();
    let writer = shared.clone();
    std::thread::spawn(move || {
        let mut buffer = [0u8; 4096];
        loop {
            let read = match from.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let (lock, ready) = &*writer;
            lock.lock().unwrap().bytes.extend_from_slice(&buffer[..read]);
            ready.notify_all();
        }
        let (lock, ready) = &*writer;
        lock.lock().unwrap().closed = true;
        ready.notify_all();
    });
    shared
}

fn position(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A running `xtask watch`, killed when dropped.
struct Watch {
    child: Child,
    /// Where keys go: the pipe, or the terminal's master side.
    input: Option<Box<dyn Write + Send>>,
    output: Shared,
    /// Output already matched by `wait_for`.
    seen: usize,
    /// For failure messages.
    args: String,
}

fn watch_command(course: &Fixture, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_xtask"));
    cmd.arg("watch")
        .args(args)
        .current_dir(&course.dir)
        .env("CARGO_TARGET_DIR", workspace().join("target/xtask-fixture-watch"))
        .env("NO_COLOR", "1")
        .env_remove("AWAITLINGS_ROOT");
    cmd
}

impl Watch {
    /// `xtask watch ARGS` with stdin and stdout piped.
    fn piped(course: &Fixture, args: &[&str]) -> Watch {
        let mut child = watch_command(course, args)
            .process_group(0)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting xtask watch");
        let stdin: ChildStdin = child.stdin.take().unwrap();
        let output = collect(child.stdout.take().unwrap());
        // Build progress and diagnostics go to stderr: drain it so the
        // child never blocks on a full pipe.
        collect(child.stderr.take().unwrap());
        Watch { child, input: Some(Box::new(stdin)), output, seen: 0, args: args.join(" ") }
    }

    /// Waits until the output since the last match holds `needle`; that
    /// output, up to the needle's end.
    fn wait_for(&mut self, needle: &str, limit: Duration) -> String {
        let deadline = Instant::now() + limit;
        let (lock, ready) = &*self.output;
        let mut collected = lock.lock().unwrap();
        loop {
            if let Some(at) = position(&collected.bytes[self.seen..], needle.as_bytes()) {
                let end = self.seen + at + needle.len();
                let chunk = String::from_utf8_lossy(&collected.bytes[self.seen..end]).into_owned();
                self.seen = end;
                return chunk;
            }
            let now = Instant::now();
            if collected.closed || now >= deadline {
                let why = if collected.closed { "the output ended" } else { "timed out" };
                let all = String::from_utf8_lossy(&collected.bytes).into_owned();
                drop(collected);
                panic!(
                    "{why} waiting for {needle:?} (after {limit:?}) from `xtask watch {}` (pid {}); the whole output:\n{all}",
                    self.args,
                    self.child.id()
                );
            }
            collected = ready.wait_timeout(collected, deadline - now).unwrap().0;
        }
    }

    /// Everything printed since the last match, after waiting `quiet`.
    fn output_after(&self, quiet: Duration) -> String {
        std::thread::sleep(quiet);
        let collected = self.output.0.lock().unwrap();
        String::from_utf8_lossy(&collected.bytes[self.seen..]).into_owned()
    }

    fn all_output(&self) -> String {
        String::from_utf8_lossy(&self.output.0.lock().unwrap().bytes).into_owned()
    }

    /// Types `text` (a line through a pipe, keys on a terminal).
    fn type_in(&mut self, text: &str) {
        let input = self.input.as_mut().expect("input is open");
        input.write_all(text.as_bytes()).expect("typing into xtask watch");
        input.flush().unwrap();
    }

    fn close_input(&mut self) {
        self.input = None;
    }

    /// How the child ended, within `limit`.
    fn exit(&mut self, limit: Duration) -> ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("waiting for xtask watch") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "xtask watch still runs {limit:?} later:\n{}",
                self.all_output()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Watch {
    /// Kills the watch and the builds it started (its process group), so
    /// a failed test leaves nothing running into the next one.
    fn drop(&mut self) {
        // SAFETY: a signal to the group this test created for the child.
        unsafe { libc::kill(-(self.child.id() as libc::pid_t), libc::SIGKILL) };
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn solve_racing(course: &Fixture) {
    let solution = fs::read_to_string(course.dir.join("solutions/racing/src/lib.rs")).unwrap();
    fs::write(course.dir.join("exercises/02-racing/src/lib.rs"), solution).unwrap();
}

/// Replaces racing's `src/` with a new directory holding the solution:
/// the old watch goes on watching the directory moved away, so no event
/// reports the change, as on a file system that sends none.
fn solve_racing_behind_the_watchers_back(course: &Fixture) {
    let exercise = course.dir.join("exercises/02-racing");
    fs::rename(exercise.join("src"), course.dir.join("old-racing-src")).unwrap();
    fs::create_dir(exercise.join("src")).unwrap();
    fs::copy(course.dir.join("solutions/racing/src/lib.rs"), exercise.join("src/lib.rs")).unwrap();
}

#[test]
fn watch_checks_again_on_save_and_moves_on_when_the_exercise_passes() {
    let _turn = take_turn();
    let course = Fixture::copy("course");
    let mut watch = Watch::piped(&course, &[]);
    // No progress yet: the first exercise, which already passes.
    watch.wait_for("01 passing", FIRST_VERDICT);
    watch.wait_for("all 1 pass", FIRST_VERDICT);
    watch.wait_for("→ moving on to 02 racing", PROMPT);
    watch.wait_for("0 of 2 pass", FIRST_VERDICT);
    watch.wait_for("watching exercises/02-racing/src · h hint · l list · c check · q quit", PROMPT);

    solve_racing(&course);
    let verdict = watch.wait_for("all 2 pass", VERDICT);
    assert!(verdict.contains("02 racing") && verdict.contains("✔ both_run_at_once"), "{verdict}");
    watch.wait_for("→ moving on to 03 broken", PROMPT);
    watch.wait_for("does not compile", VERDICT);
    let advice = watch.wait_for("watching exercises/03-broken/src", PROMPT);
    // Saving is enough: no command to run.
    assert!(advice.contains("fix the errors above and save"), "{advice}");
    assert!(!advice.contains("then run: cargo xtask check"), "{advice}");

    watch.type_in("q\n");
    watch.wait_for("stopped watching", PROMPT);
    assert_eq!(watch.exit(PROMPT).code(), Some(0));
    assert!(!watch.all_output().contains('\x1b'), "no screen clearing or colour in a pipe");
    course.xtask().arg("list").assert().success().stdout(contains("2 of 5 done"));
}

#[test]
fn watch_gives_the_next_hint_on_each_h_lists_on_l_and_quits_at_end_of_input() {
    let _turn = take_turn();
    let course = Fixture::copy("course");
    let mut watch = Watch::piped(&course, &["racing"]);
    watch.wait_for("0 of 2 pass", FIRST_VERDICT);
    watch.wait_for("q quit (then Enter)", PROMPT);

    watch.type_in("h\n");
    let first = watch.wait_for("h next hint", PROMPT);
    assert!(first.contains("hint 1: first nudge") && !first.contains("hint 2"), "{first}");
    // The task to do next only, as `cargo xtask hint racing` gives it.
    assert!(first.contains("task 1 · both: run two jobs at once") && !first.contains("task 2"), "{first}");
    watch.type_in("h\n");
    let second = watch.wait_for("h next hint", PROMPT);
    assert!(second.contains("hint 1: first nudge") && second.contains("hint 2: second nudge"), "{second}");
    assert!(!second.contains("hint 3"), "{second}");
    watch.type_in("h\n");
    watch.type_in("h\n");
    let last = watch.wait_for("that was the last hint", PROMPT);
    assert!(last.contains("hint 3: third: futures::join!(a, b)"), "{last}");
    let capped = watch.wait_for("that was the last hint", PROMPT);
    assert!(capped.contains("hint 3: third"), "a fourth press shows the last level again:\n{capped}");

    watch.type_in("l\n");
    let list = watch.wait_for("0 of 5 done", PROMPT);
    assert!(list.contains("02  racing") && list.contains("failing"), "{list}");
    watch.type_in("what\n");
    watch.wait_for("'what' is not a key here", PROMPT);

    watch.close_input();
    watch.wait_for("stopped watching", PROMPT);
    assert_eq!(watch.exit(PROMPT).code(), Some(0));
}

#[test]
fn watch_manual_checks_on_an_empty_line_and_never_on_save() {
    let _turn = take_turn();
    let course = Fixture::copy("course");
    let mut watch = Watch::piped(&course, &["racing", "--manual"]);
    watch.wait_for("0 of 2 pass", FIRST_VERDICT);
    watch.wait_for(
        "manual: save, then press c or Enter to check · h hint · l list · q quit (then Enter)\n",
        PROMPT,
    );

    solve_racing(&course);
    // Longer than the debounce and a poll: nothing happens by itself.
    let meanwhile = watch.output_after(Duration::from_secs(2));
    assert!(meanwhile.trim().is_empty(), "--manual checked on its own:\n{meanwhile}");

    watch.type_in("\n");
    watch.wait_for("all 2 pass", VERDICT);
    // racing was picked by name; the first exercise not done is next.
    watch.wait_for("→ moving on to 01 passing", PROMPT);
    watch.wait_for("all 1 pass", VERDICT);
    watch.wait_for("→ moving on to 03 broken", PROMPT);
    watch.wait_for("does not compile", VERDICT);
    watch.type_in("q\n");
    assert_eq!(watch.exit(PROMPT).code(), Some(0));
}

#[test]
fn watch_poll_sees_a_save_without_file_events() {
    let _turn = take_turn();
    let course = Fixture::copy("course");
    let mut watch = Watch::piped(&course, &["racing", "--poll"]);
    watch.wait_for("0 of 2 pass", FIRST_VERDICT);
    watch.wait_for("watching exercises/02-racing/src (polling)", PROMPT);
    solve_racing_behind_the_watchers_back(&course);
    watch.wait_for("all 2 pass", VERDICT);
    watch.type_in("q\n");
    assert_eq!(watch.exit(PROMPT).code(), Some(0));
}

#[test]
fn watch_switches_to_polling_when_enter_finds_a_change_no_event_announced() {
    let _turn = take_turn();
    let course = Fixture::copy("course");
    let mut watch = Watch::piped(&course, &["racing"]);
    watch.wait_for("0 of 2 pass", FIRST_VERDICT);
    watch.wait_for("watching exercises/02-racing/src · ", PROMPT);
    solve_racing_behind_the_watchers_back(&course);
    watch.type_in("\n");
    watch.wait_for("all 2 pass", VERDICT);
    let note = watch.wait_for("cargo xtask watch --manual", VERDICT);
    assert!(note.contains("note: src/ changed, but no file event said so"), "{note}");
    assert!(note.contains("checking for changes every 0.5 s instead"), "{note}");
    watch.wait_for("(polling)", PROMPT);
    watch.type_in("q\n");
    assert_eq!(watch.exit(PROMPT).code(), Some(0));
}

#[test]
fn watch_notices_by_itself_when_a_save_sends_no_event() {
    let _turn = take_turn();
    let course = Fixture::copy("course");
    let mut watch = Watch::piped(&course, &["racing"]);
    watch.wait_for("0 of 2 pass", FIRST_VERDICT);
    watch.wait_for("watching exercises/02-racing/src · ", PROMPT);
    solve_racing_behind_the_watchers_back(&course);
    // Two audits three seconds apart, then the check.
    watch.wait_for("all 2 pass", VERDICT);
    let note = watch.wait_for("cargo xtask watch --manual", VERDICT);
    assert!(note.contains("note: src/ changed a few seconds ago, and no file event said so"), "{note}");
    watch.type_in("q\n");
    assert_eq!(watch.exit(PROMPT).code(), Some(0));
}

#[test]
fn watch_a_misspelled_name_gets_a_suggestion_and_exit_2() {
    let course = Fixture::copy("course");
    course
        .xtask()
        .args(["watch", "racin"])
        .assert()
        .code(2)
        .stderr(contains("no exercise 'racin'; did you mean 'racing'?"));
    course.xtask().args(["watch", "--manual", "--poll"]).assert().code(2);
}

/// A pseudo-terminal: the master side the test types into and reads, the
/// slave side the child gets as its controlling terminal.
struct Pty {
    master: OwnedFd,
    slave: OwnedFd,
}

impl Pty {
    fn open() -> Pty {
        // SAFETY: plain libc calls on descriptors this function owns.
        unsafe {
            // Close-on-exec: other tests spawn children at the same time.
            let master = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC);
            assert!(master >= 0, "posix_openpt: {}", std::io::Error::last_os_error());
            let master = OwnedFd::from_raw_fd(master);
            assert_eq!(libc::grantpt(master.as_raw_fd()), 0);
            assert_eq!(libc::unlockpt(master.as_raw_fd()), 0);
            // ptsname_r: ptsname's buffer is shared by every thread.
            let mut name = [0 as libc::c_char; 128];
            assert_eq!(libc::ptsname_r(master.as_raw_fd(), name.as_mut_ptr(), name.len()), 0);
            let slave = libc::open(name.as_ptr(), libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC);
            assert!(slave >= 0, "opening the pty's slave: {}", std::io::Error::last_os_error());
            Pty { master, slave: OwnedFd::from_raw_fd(slave) }
        }
    }

    /// The terminal's local flags (ICANON, ECHO, ...).
    fn local_flags(&self) -> libc::tcflag_t {
        // SAFETY: tcgetattr fills the struct on success, checked.
        unsafe {
            let mut settings: libc::termios = std::mem::zeroed();
            assert_eq!(libc::tcgetattr(self.slave.as_raw_fd(), &mut settings), 0);
            settings.c_lflag
        }
    }

    /// `xtask watch ARGS` in a session of its own, this terminal its
    /// controlling terminal, so Ctrl-C typed here reaches it as SIGINT.
    fn spawn(&self, course: &Fixture, args: &[&str]) -> Watch {
        let slave = |pty: &Pty| Stdio::from(pty.slave.try_clone().unwrap());
        let mut cmd = watch_command(course, args);
        cmd.stdin(slave(self)).stdout(slave(self)).stderr(slave(self));
        // SAFETY: setsid and ioctl are async-signal-safe.
        unsafe {
            cmd.pre_exec(|| {
                if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().expect("starting xtask watch on a pty");
        let reader = File::from(self.master.try_clone().unwrap());
        let writer = File::from(self.master.try_clone().unwrap());
        Watch { child, input: Some(Box::new(writer)), output: collect(reader), seen: 0, args: args.join(" ") }
    }
}

fn assert_cooked(flags: libc::tcflag_t, when: &str) {
    assert!(flags & libc::ICANON != 0 && flags & libc::ECHO != 0, "{when}: the terminal was not given back");
}

#[test]
fn watch_on_a_terminal_acts_on_single_keys_and_gives_the_terminal_back_on_q() {
    let _turn = take_turn();
    let course = Fixture::copy("course");
    let pty = Pty::open();
    assert_cooked(pty.local_flags(), "before");
    let mut watch = pty.spawn(&course, &["racing"]);
    watch.wait_for("0 of 2 pass", FIRST_VERDICT);
    let footer = watch.wait_for("q quit", PROMPT);
    assert!(!watch.output_after(Duration::from_millis(100)).contains("then Enter"), "{footer}");
    let flags = pty.local_flags();
    assert!(flags & libc::ICANON == 0 && flags & libc::ECHO == 0, "single keys, no echo while watching");

    watch.type_in("h");
    watch.wait_for("hint 1: first nudge", PROMPT);
    watch.wait_for("h next hint", PROMPT);
    solve_racing(&course);
    let verdict = watch.wait_for("all 2 pass", VERDICT);
    assert!(verdict.contains("\x1b[2J"), "a terminal is cleared between runs:\n{verdict:?}");
    watch.wait_for("watching exercises/03-broken/src", VERDICT);
    // The screen is cleared, never the scrollback; cargo's own lines stay
    // out of the watch's screen.
    let all = watch.all_output();
    assert!(!all.contains("\x1b[3J"), "the scrollback was cleared:\n{all:?}");
    for cargo in ["Compiling", "Finished `", "Executable", "Blocking waiting", "could not compile"] {
        assert!(!all.contains(cargo), "cargo's {cargo:?} leaked into watch:\n{all}");
    }

    watch.type_in("q");
    watch.wait_for("stopped watching", PROMPT);
    assert_eq!(watch.exit(PROMPT).code(), Some(0));
    assert_cooked(pty.local_flags(), "after q");
}

#[test]
fn watch_on_a_terminal_gives_the_terminal_back_on_ctrl_c() {
    let _turn = take_turn();
    let course = Fixture::copy("course");
    let pty = Pty::open();
    let mut watch = pty.spawn(&course, &["racing"]);
    watch.wait_for("0 of 2 pass", FIRST_VERDICT);
    watch.wait_for("q quit", PROMPT);
    assert!(pty.local_flags() & libc::ICANON == 0);

    watch.type_in("\x03");
    let status = watch.exit(PROMPT);
    assert_eq!(status.signal(), Some(libc::SIGINT), "Ctrl-C interrupts, as for any command: {status:?}");
    assert_cooked(pty.local_flags(), "after Ctrl-C");
}

#[test]
fn watch_with_everything_done_says_so_and_exits_0() {
    let course = Fixture::copy("course");
    let done = r#"{"exercises": {"passing": "done", "racing": "done", "broken": "done", "hanging": "done", "cheating": "done"}}"#;
    fs::write(course.dir.join(".awaitlings-state.json"), done).unwrap();
    course.xtask().arg("watch").assert().success().stdout(contains("every exercise is done"));
}
