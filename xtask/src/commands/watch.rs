//! `cargo xtask watch [NAME]`: check the current exercise again each time
//! the learner saves it, and move on when it passes.
//!
//! The loop waits for one thing at a time on a single channel: a key
//! (`keys`), a change under the exercise's `src/` (`changes`, debounced by
//! `debounce`), or the end of the input. Every check goes through
//! `commands::check::run`, so a verdict, the progress file and the "next"
//! line are exactly those of `cargo xtask check`.

mod changes;
mod debounce;
mod keys;
mod snapshot;
mod terminal;

use std::io::Write;
use std::path::PathBuf;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use anyhow::Result;

use crate::commands::check::{self, CheckArgs};
use crate::commands::{find, hint, list};
use crate::course::{Course, Exercise};
use crate::report::human;
use crate::state::State;
use crate::style;

use changes::{Changes, Mode};
use debounce::Debounce;
use keys::Key;
use snapshot::Snapshot;
use terminal::RawMode;

/// How often, while file events are relied on, the sources are compared
/// with the last check's, in case events do not arrive here.
const AUDIT_EVERY: Duration = Duration::from_secs(3);

/// Where file events are known to go missing.
const NO_EVENTS_HERE: &str = "network mounts, Docker on macOS and WSL often send none";

/// What the watch loop waits for.
#[derive(Debug)]
pub enum Event {
    Key(Key),
    /// Source files changed (the paths, or the polled directory).
    Changed(Vec<PathBuf>),
    /// The file event source broke down; polling takes over.
    WatchFailed(String),
    /// Standard input ended: the learner (or the test) is gone.
    InputClosed,
}

#[derive(Debug, Clone, Default, clap::Args)]
pub struct WatchArgs {
    /// The exercise to start with (default: the first one not done).
    pub name: Option<String>,
    /// Do not watch files: press Enter to check (where saves go unnoticed).
    #[arg(long, conflicts_with = "poll")]
    pub manual: bool,
    /// Look for changes every 0.5 s instead of waiting for file events.
    #[arg(long)]
    pub poll: bool,
}

/// Watches until the learner quits or finishes the course; true then.
pub fn run(course: &Course, args: &WatchArgs) -> Result<bool> {
    let first = match &args.name {
        Some(name) => find(course, name)?,
        None => match State::load(&course.root).current(course) {
            Some(exercise) => exercise,
            None => {
                println!("{}", style::green("✔ every exercise is done: well done!"));
                println!("  to go over one again: cargo xtask watch NAME");
                return Ok(true);
            }
        },
    };
    // Held to the end of this function: the terminal is given back on
    // every way out of it, a panic included.
    let raw_mode = RawMode::enable()?;
    let (sender, events) = mpsc::channel();
    keys::spawn_reader(sender.clone(), raw_mode.is_some())?;
    let mode = match (args.manual, args.poll) {
        (true, _) => Mode::Manual,
        (false, true) => Mode::Poll,
        (false, false) => Mode::Events,
    };
    let (changes, note) = Changes::start(mode, sender);
    let mut session = Session {
        course,
        exercise: first,
        changes,
        single_keys: raw_mode.is_some(),
        hint_level: 0,
        hint_task: String::new(),
        checked: Snapshot::default(),
        saw_event: false,
        next_audit: Instant::now() + AUDIT_EVERY,
        suspect: false,
        notes: note.into_iter().collect(),
    };
    session.follow();
    terminal::clear_screen();
    if session.check_until_failing()? == Flow::Finished {
        return Ok(true);
    }

    let mut debounce = Debounce::default();
    loop {
        let wake = [debounce.due(), session.audit_due()].into_iter().flatten().min();
        let event = match wake {
            Some(at) => match events.recv_timeout(at.saturating_duration_since(Instant::now())) {
                Ok(event) => event,
                Err(RecvTimeoutError::Timeout) => {
                    let now = Instant::now();
                    if debounce.due().is_some_and(|due| due <= now) {
                        debounce.clear();
                        terminal::clear_screen();
                        if session.check_until_failing()? == Flow::Finished {
                            return Ok(true);
                        }
                    } else if session.audit_due().is_some_and(|due| due <= now) && session.audit() {
                        debounce.poke(Instant::now());
                    }
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => return Ok(true),
            },
            None => match events.recv() {
                Ok(event) => event,
                Err(_) => return Ok(true),
            },
        };
        match event {
            Event::Changed(paths) => {
                let src = session.src();
                if paths.iter().any(|p| p.starts_with(&src)) {
                    session.saw_event = true;
                    debounce.poke(Instant::now());
                }
            }
            Event::WatchFailed(reason) => {
                if session.changes.mode() == Mode::Events {
                    let note = session.changes.fall_back(&format!("file events stopped ({reason})"));
                    session.notes.push(note);
                    session.footer();
                }
            }
            Event::Key(Key::Check) => {
                session.notice_missed_events();
                debounce.clear();
                terminal::clear_screen();
                if session.check_until_failing()? == Flow::Finished {
                    return Ok(true);
                }
            }
            Event::Key(Key::Hint) => session.hint()?,
            Event::Key(Key::List) => {
                println!();
                list::run(course)?;
                session.footer();
            }
            Event::Key(Key::Unknown(text)) => {
                println!("  '{text}' is not a key here");
                session.footer();
            }
            Event::Key(Key::Quit) | Event::InputClosed => {
                println!("  {}", style::dim("stopped watching. `cargo xtask watch` picks up where you are."));
                let _ = std::io::stdout().flush();
                return Ok(true);
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    /// The exercise still fails: wait for the next save.
    Watching,
    /// Every exercise is done.
    Finished,
}

/// The watch's state between events.
struct Session<'c> {
    course: &'c Course,
    /// The exercise being watched.
    exercise: &'c Exercise,
    changes: Changes,
    /// Keys act at once (a terminal) rather than on Enter (a pipe).
    single_keys: bool,
    /// The hint level shown last for this exercise (0: none yet).
    hint_level: usize,
    /// The task those hints were for.
    hint_task: String,
    /// The sources as the last check saw them.
    checked: Snapshot,
    /// A file event arrived since the last check.
    saw_event: bool,
    /// When to look whether the sources changed without an event.
    next_audit: Instant,
    /// The last audit found a change no event announced.
    suspect: bool,
    /// Said once, above the next footer (a check may clear the screen).
    notes: Vec<String>,
}

impl Session<'_> {
    /// The watched exercise's `src/`, absolute.
    fn src(&self) -> PathBuf {
        self.course.root.join(self.exercise.src())
    }

    fn follow(&mut self) {
        let src = self.src();
        if let Some(note) = self.changes.follow(&src) {
            self.notes.push(note);
        }
    }

    /// Checks the exercise; while it passes, announces the next one and
    /// checks that too (a learner may have solved it already).
    fn check_until_failing(&mut self) -> Result<Flow> {
        loop {
            self.checked = Snapshot::take(&self.src());
            self.saw_event = false;
            self.suspect = false;
            let args = CheckArgs { name: self.exercise.name.clone(), watching: true, ..CheckArgs::default() };
            println!("  {}", style::dim(&format!("checking {} …", self.exercise.name)));
            let _ = std::io::stdout().flush();
            let checked = match check::check(self.course, &args) {
                Ok(checked) => checked,
                Err(err) => {
                    println!("{} could not check {}: {err:#}", style::red("error:"), self.exercise.name);
                    println!("  fix that, then save or press c to try again");
                    check::Checked { all_passed: false, next: None }
                }
            };
            if !checked.all_passed {
                self.next_audit = Instant::now() + AUDIT_EVERY;
                self.footer();
                return Ok(Flow::Watching);
            }
            let Some(next) = checked.next.and_then(|name| self.course.find(&name)) else {
                println!("\n  {}", style::green("that was the whole course. Well done!"));
                let _ = std::io::stdout().flush();
                return Ok(Flow::Finished);
            };
            self.exercise = next;
            self.hint_level = 0;
            self.follow();
            println!(
                "\n{} {}  {}\n",
                style::green("→ moving on to"),
                human::heading(next),
                style::dim(&format!("read {}/README.md", next.dir.display()))
            );
        }
    }

    /// Shows the next level of hints for the task to do next, up to the
    /// last one (as `cargo xtask hint NAME --level N` would).
    fn hint(&mut self) -> Result<()> {
        let selection = hint::Selection::Next;
        let most = hint::levels(self.course, self.exercise, &selection).unwrap_or(0);
        // The levels start again for each task.
        let task = hint::tasks(self.course, self.exercise, &selection)
            .ok()
            .and_then(|t| t.first().map(|(_, t)| t.name.clone()))
            .unwrap_or_default();
        if task != self.hint_task {
            self.hint_task = task;
            self.hint_level = 0;
        }
        println!();
        if most == 0 {
            println!(
                "  {} has no hints here; its README explains each task: {}/README.md",
                self.exercise.name,
                self.exercise.dir.display()
            );
        } else {
            self.hint_level = (self.hint_level + 1).min(most);
            hint::show(self.course, self.exercise, self.hint_level, &selection)?;
        }
        self.footer();
        Ok(())
    }

    /// A check was asked for by hand: if the sources changed since the
    /// last check and no file event said so, events do not arrive on this
    /// file system, and polling takes over.
    fn notice_missed_events(&mut self) {
        if self.changes.mode() == Mode::Events
            && !self.saw_event
            && Snapshot::take(&self.src()) != self.checked
        {
            let note = self
                .changes
                .fall_back(&format!("src/ changed, but no file event said so ({NO_EVENTS_HERE})"));
            self.notes.push(note);
        }
    }

    /// When `audit` should run next: while file events are relied on and
    /// none has arrived since the last check.
    fn audit_due(&self) -> Option<Instant> {
        (self.changes.mode() == Mode::Events && !self.saw_event).then_some(self.next_audit)
    }

    /// Looks whether the sources changed without a file event, for a
    /// learner who saves and waits rather than pressing Enter. A change
    /// must be seen on two audits in a row, so an event that is merely on
    /// its way never counts as missing. True when polling took over (and
    /// a check is due).
    fn audit(&mut self) -> bool {
        self.next_audit = Instant::now() + AUDIT_EVERY;
        if self.saw_event || Snapshot::take(&self.src()) == self.checked {
            self.suspect = false;
            return false;
        }
        if !self.suspect {
            self.suspect = true;
            return false;
        }
        self.suspect = false;
        let note = self.changes.fall_back(&format!(
            "src/ changed a few seconds ago, and no file event said so ({NO_EVENTS_HERE})"
        ));
        self.notes.push(note);
        true
    }

    /// Notes, then what is watched and which keys do what.
    fn footer(&mut self) {
        for note in self.notes.drain(..) {
            println!("\n  {} {note}", style::yellow("note:"));
        }
        let src = self.exercise.src();
        let watching = match self.changes.mode() {
            Mode::Events => format!("watching {}", src.display()),
            Mode::Poll => format!("watching {} (polling)", src.display()),
            Mode::Manual => "manual: save, then press c or Enter to check".to_string(),
        };
        let more = hint::levels(self.course, self.exercise, &hint::Selection::Next)
            .is_ok_and(|most| most > self.hint_level);
        let hint = if self.hint_level > 0 && more { "h next hint" } else { "h hint" };
        let enter = if self.single_keys { "" } else { " (then Enter)" };
        let keys = match self.changes.mode() {
            Mode::Manual => format!("{hint} · l list · q quit"),
            _ => format!("{hint} · l list · c check · q quit"),
        };
        println!("\n  {}", style::dim(&format!("{watching} · {keys}{enter}")));
        let _ = std::io::stdout().flush();
    }
}
