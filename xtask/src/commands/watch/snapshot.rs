//! What an exercise's `src/` holds right now: every source file with its
//! size, modification time and a hash of its contents.
//!
//! Two snapshots that differ mean the learner changed something. The
//! polling fallback compares them every half second, and the watcher
//! compares one taken at the last check with one taken when the learner
//! asks for a check, to notice file events that never arrived. The hash
//! matters on network mounts, whose modification times can be as coarse
//! as a second or two: an edit that keeps the size would go unseen.

use std::collections::BTreeMap;
use std::fs;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// Files a learner edits: `.rs` files, but not an editor's hidden swap or
/// lock files (`.lib.rs.swp`, emacs's `.#lib.rs`), which change on every
/// keystroke of some editors and would re-check for nothing.
pub fn is_source(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else { return false };
    !name.starts_with('.') && !name.starts_with('#') && name.ends_with(".rs")
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
    hash: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    files: BTreeMap<PathBuf, Stamp>,
}

impl Snapshot {
    /// The source files under `dir`, at any depth. Unreadable entries are
    /// left out: a file that cannot be read now is compared again next time.
    pub fn take(dir: &Path) -> Snapshot {
        let mut snapshot = Snapshot::default();
        snapshot.add_dir(dir, 0);
        snapshot
    }

    fn add_dir(&mut self, dir: &Path, depth: usize) {
        // A symlink loop must not hang the watcher.
        const MAX_DEPTH: usize = 16;
        let Ok(entries) = fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else { continue };
            if kind.is_dir() && depth < MAX_DEPTH {
                self.add_dir(&path, depth + 1);
            } else if is_source(&path)
                && let Ok(meta) = fs::metadata(&path)
                && let Ok(bytes) = fs::read(&path)
            {
                let mut hasher = DefaultHasher::new();
                bytes.hash(&mut hasher);
                let stamp = Stamp { len: meta.len(), modified: meta.modified().ok(), hash: hasher.finish() };
                self.files.insert(path, stamp);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_visible_rust_files_are_sources() {
        assert!(is_source(Path::new("src/lib.rs")));
        assert!(is_source(Path::new("src/a/b.rs")));
        assert!(!is_source(Path::new("src/.lib.rs.swp")));
        assert!(!is_source(Path::new("src/.#lib.rs")));
        assert!(!is_source(Path::new("src/#lib.rs#")));
        assert!(!is_source(Path::new("src/lib.rs~")));
        assert!(!is_source(Path::new("src/4913")));
    }

    #[test]
    fn an_edit_that_keeps_the_size_changes_the_snapshot() {
        let dir = std::env::temp_dir().join(format!("awaitlings-snapshot-{}", std::process::id()));
        fs::create_dir_all(dir.join("nested")).unwrap();
        fs::write(dir.join("lib.rs"), "fn a() {}").unwrap();
        fs::write(dir.join("nested/m.rs"), "x").unwrap();
        fs::write(dir.join(".lib.rs.swp"), "swap").unwrap();
        let before = Snapshot::take(&dir);
        assert_eq!(before.files.len(), 2);
        assert_eq!(before, Snapshot::take(&dir));
        fs::write(dir.join(".lib.rs.swp"), "other swap").unwrap();
        assert_eq!(before, Snapshot::take(&dir), "swap files are not sources");
        fs::write(dir.join("lib.rs"), "fn b() {}").unwrap();
        assert_ne!(before, Snapshot::take(&dir));
        fs::remove_dir_all(&dir).unwrap();
    }
}
