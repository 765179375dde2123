//! Where news of a save comes from: the operating system's file events
//! (inotify, kqueue, through `notify`), a poller that compares snapshots
//! every half second, or nothing at all (`--manual`).
//!
//! File events are instant and cost nothing, but some file systems never
//! send them: network mounts, Docker bind mounts on macOS, Windows drives
//! under WSL. So the watcher falls back to polling when events cannot be
//! set up, when the event source reports an error, and when the learner
//! asks for a check after a change no event announced.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use notify::event::{AccessKind, AccessMode, EventKind, MetadataKind, ModifyKind};
use notify::{RecommendedWatcher, RecursiveMode, Watcher as _};

use super::Event;
use super::snapshot::{Snapshot, is_source};

/// How often the poller looks.
pub const POLL_EVERY: Duration = Duration::from_millis(500);

/// How the learner asked to be told of changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// File events, falling back to polling.
    Events,
    /// Polling from the start (`--poll`).
    Poll,
    /// No watching: the learner presses Enter (`--manual`).
    Manual,
}

/// Tells the watch loop, through `Event::Changed`, when a source file
/// under the followed directory changes.
pub struct Changes {
    source: Source,
    events: Sender<Event>,
    dir: Option<PathBuf>,
}

enum Source {
    Events(RecommendedWatcher),
    Poll(Poller),
    Manual,
}

impl std::fmt::Debug for Changes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Changes").field("mode", &self.mode()).field("dir", &self.dir).finish()
    }
}

impl Changes {
    /// Starts the source `mode` asks for. The text, when there is one,
    /// tells the learner that file events are not available and polling
    /// is used instead.
    pub fn start(mode: Mode, events: Sender<Event>) -> (Changes, Option<String>) {
        let (source, note) = match mode {
            Mode::Manual => (Source::Manual, None),
            Mode::Poll => (Source::Poll(Poller::start(events.clone())), None),
            Mode::Events => match event_watcher(events.clone()) {
                Ok(watcher) => (Source::Events(watcher), None),
                Err(err) => (
                    Source::Poll(Poller::start(events.clone())),
                    Some(format!("file events are not available here ({err})")),
                ),
            },
        };
        (Changes { source, events, dir: None }, note.map(polling_note))
    }

    pub fn mode(&self) -> Mode {
        match self.source {
            Source::Events(_) => Mode::Events,
            Source::Poll(_) => Mode::Poll,
            Source::Manual => Mode::Manual,
        }
    }

    /// Watches `dir` (an exercise's `src/`) instead of the one before. The
    /// text, when there is one, says that polling took over.
    pub fn follow(&mut self, dir: &Path) -> Option<String> {
        let previous = self.dir.replace(dir.to_path_buf());
        match &mut self.source {
            Source::Manual => None,
            Source::Poll(poller) => {
                poller.follow(dir);
                None
            }
            Source::Events(watcher) => {
                if let Some(previous) = previous {
                    let _ = watcher.unwatch(&previous);
                }
                match watcher.watch(dir, RecursiveMode::Recursive) {
                    Ok(()) => None,
                    Err(err) => Some(self.fall_back(&format!("cannot watch {} ({err})", dir.display()))),
                }
            }
        }
    }

    /// Switches to polling, for `reason`; what to tell the learner.
    pub fn fall_back(&mut self, reason: &str) -> String {
        let poller = Poller::start(self.events.clone());
        if let Some(dir) = &self.dir {
            poller.follow(dir);
        }
        self.source = Source::Poll(poller);
        polling_note(reason.to_string())
    }
}

fn polling_note(reason: String) -> String {
    format!(
        "{reason}: checking for changes every {:.1} s instead.\n  \
         if saves still go unnoticed, `cargo xtask watch --manual` checks when you press Enter",
        POLL_EVERY.as_secs_f64()
    )
}

/// The platform's file events, each sent on as `Event::Changed` when it
/// says a source file was written, created, renamed or removed.
fn event_watcher(events: Sender<Event>) -> notify::Result<RecommendedWatcher> {
    notify::recommended_watcher(move |result: notify::Result<notify::Event>| {
        let event = match result {
            Ok(event) if is_a_change(&event.kind) => {
                let paths: Vec<PathBuf> = event.paths.into_iter().filter(|p| is_source(p)).collect();
                if paths.is_empty() {
                    return;
                }
                Event::Changed(paths)
            }
            Ok(_) => return,
            Err(err) => Event::WatchFailed(err.to_string()),
        };
        let _ = events.send(event);
    })
}

/// Whether an event kind means the contents may have changed. Reads do
/// not count: the build opens every source file, and re-checking on
/// that would never stop.
fn is_a_change(kind: &EventKind) -> bool {
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        EventKind::Modify(ModifyKind::Metadata(MetadataKind::AccessTime)) => false,
        EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_) | EventKind::Any => true,
        EventKind::Other => false,
    }
}

/// Compares snapshots of the followed directory every `POLL_EVERY`, on a
/// thread of its own that ends when the poller drops.
struct Poller {
    /// The directory and what it held when last looked at.
    followed: Arc<Mutex<Option<(PathBuf, Snapshot)>>>,
    stop: Arc<AtomicBool>,
}

impl Poller {
    fn start(events: Sender<Event>) -> Poller {
        let followed: Arc<Mutex<Option<(PathBuf, Snapshot)>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (shared, stopped) = (followed.clone(), stop.clone());
        let spawned = std::thread::Builder::new().name("watch-poll".into()).spawn(move || {
            while !stopped.load(Ordering::Relaxed) {
                std::thread::sleep(POLL_EVERY);
                let Some(dir) = shared.lock().ok().and_then(|f| f.as_ref().map(|(dir, _)| dir.clone()))
                else {
                    continue;
                };
                let now = Snapshot::take(&dir);
                let mut followed = match shared.lock() {
                    Ok(followed) => followed,
                    Err(_) => return,
                };
                // Compare only if the directory was not switched meanwhile.
                if let Some((current, before)) = followed.as_mut()
                    && *current == dir
                    && *before != now
                {
                    *before = now;
                    drop(followed);
                    if events.send(Event::Changed(vec![dir])).is_err() {
                        return;
                    }
                }
            }
        });
        if spawned.is_err() {
            // Without a thread there is no polling; the learner can still
            // press Enter, and the footer says so.
            stop.store(true, Ordering::Relaxed);
        }
        Poller { followed, stop }
    }

    /// Polls `dir` from now on, against what it holds now: a change made
    /// from this moment is seen.
    fn follow(&self, dir: &Path) {
        let snapshot = Snapshot::take(dir);
        if let Ok(mut followed) = self.followed.lock() {
            *followed = Some((dir.to_path_buf(), snapshot));
        }
    }
}

impl Drop for Poller {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify::event::{CreateKind, DataChange, RenameMode};

    #[test]
    fn reads_are_not_changes_but_writes_are() {
        assert!(!is_a_change(&EventKind::Access(AccessKind::Open(AccessMode::Any))));
        assert!(!is_a_change(&EventKind::Access(AccessKind::Close(AccessMode::Read))));
        assert!(is_a_change(&EventKind::Access(AccessKind::Close(AccessMode::Write))));
        assert!(is_a_change(&EventKind::Modify(ModifyKind::Data(DataChange::Any))));
        assert!(is_a_change(&EventKind::Modify(ModifyKind::Name(RenameMode::To))));
        assert!(is_a_change(&EventKind::Create(CreateKind::File)));
        assert!(!is_a_change(&EventKind::Modify(ModifyKind::Metadata(MetadataKind::AccessTime))));
    }
}
