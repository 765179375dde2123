//! Getting a workspace ready for a build without network: its
//! dependencies fetched beforehand, and the path packages outside it that
//! the sandboxed build must be allowed to read.
//!
//! Both take a cargo run each (≈100 ms warm, and more on a cold machine),
//! which used to be a fifth of re-grading one exercise. The manifests and
//! the lock file decide both, and a grade lays only `src/` folders over the
//! stage, so the answer is remembered beside the stage, keyed by those
//! files' contents. It is kept outside the folder the build may write:
//! nothing a submission compiles can forge it.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::cargo;

/// What was found the last time, and for which manifests.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Remembered {
    /// Of the workspace's manifests and lock file.
    key: String,
    /// Of the outside packages' manifests.
    outside_key: String,
    outside: Vec<PathBuf>,
}

/// Fetches the dependencies of the workspace at `root` (unless its
/// manifests are those of the last fetch) and returns the folders outside
/// it that its build reads.
pub(super) fn prepare(root: &Path) -> Result<Vec<PathBuf>> {
    let memo = memo_path(root);
    let key = workspace_key(root);
    if let Some(memo) = &memo
        && let Ok(text) = std::fs::read_to_string(memo)
        && let Ok(remembered) = serde_json::from_str::<Remembered>(&text)
        && remembered.key == key
        && remembered.outside_key == files_key(&remembered.outside)
    {
        return Ok(remembered.outside);
    }
    let fetched = cargo()
        .current_dir(root)
        .args(["fetch", "--quiet"])
        .stdin(Stdio::null())
        .output()
        .context("starting cargo fetch: is the Rust toolchain installed and on PATH?")?;
    if !fetched.status.success() {
        bail!("cargo fetch failed in {}: {}", root.display(), String::from_utf8_lossy(&fetched.stderr));
    }
    let outside = path_packages_outside(root);
    if let Some(memo) = &memo {
        let remembered = Remembered { key, outside_key: files_key(&outside), outside: outside.clone() };
        // Only a cache: a grade without it fetches again.
        let _ = std::fs::write(memo, serde_json::to_string(&remembered).unwrap_or_default());
    }
    Ok(outside)
}

/// Forgets what was fetched for `root`, for a build that failed in a way
/// a missing dependency could explain.
pub(super) fn forget(root: &Path) {
    if let Some(memo) = memo_path(root) {
        let _ = std::fs::remove_file(memo);
    }
}

/// `STAGE/grade` → `STAGE/grade.offline.json`: beside the workspace, not in it.
fn memo_path(root: &Path) -> Option<PathBuf> {
    let name = root.file_name()?.to_str()?;
    Some(root.parent()?.join(format!("{name}.offline.json")))
}

/// The lock file and every manifest of the workspace (not under `target/`
/// or a hidden folder), hashed with their paths.
fn workspace_key(root: &Path) -> String {
    let mut files = vec![root.join("Cargo.lock")];
    let mut folders = vec![root.to_path_buf()];
    while let Some(dir) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                if !name.starts_with('.') && name != "target" && name != "src" && name != "tests" {
                    folders.push(path);
                }
            } else if name == "Cargo.toml" {
                files.push(path);
            }
        }
    }
    // A `.cargo/config.toml` may name another registry or vendor folder.
    files.extend(root.ancestors().map(|dir| dir.join(".cargo").join("config.toml")));
    files_key(&files)
}

/// The contents of `files` (or their absence), with their paths, hashed.
fn files_key(files: &[PathBuf]) -> String {
    let mut sorted: Vec<&PathBuf> = files.iter().collect();
    sorted.sort();
    let mut hasher = DefaultHasher::new();
    for file in sorted {
        file.hash(&mut hasher);
        let manifest = if file.is_dir() { file.join("Cargo.toml") } else { file.clone() };
        std::fs::read(&manifest).ok().hash(&mut hasher);
    }
    format!("{:016x}", hasher.finish())
}

/// Folders of path dependencies that lie outside the workspace at `root`
/// (a course whose checker lives elsewhere): the sandboxed build must read
/// them. Registry packages are in cargo's home, already readable.
fn path_packages_outside(root: &Path) -> Vec<PathBuf> {
    let Ok(out) =
        cargo().current_dir(root).args(["metadata", "--format-version", "1"]).stdin(Stdio::null()).output()
    else {
        return Vec::new();
    };
    let Ok(metadata) = serde_json::from_slice::<Value>(&out.stdout) else { return Vec::new() };
    let dirs: Vec<PathBuf> = metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["source"].is_null())
        .filter_map(|p| Path::new(p["manifest_path"].as_str()?).parent().map(Path::to_path_buf))
        .filter(|dir| !dir.starts_with(root))
        .collect();
    // And the manifests above them, which such a package may inherit from
    // (`edition.workspace = true`).
    let manifests: Vec<PathBuf> = dirs
        .iter()
        .flat_map(|dir| dir.ancestors().skip(1).map(|a| a.join("Cargo.toml")))
        .filter(|m| m.is_file())
        .collect();
    dirs.into_iter().chain(manifests).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workspace(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("awaitlings-offline-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("ws/exercises/01-a/src")).unwrap();
        std::fs::write(dir.join("ws/Cargo.toml"), "[workspace]\n").unwrap();
        std::fs::write(dir.join("ws/exercises/01-a/Cargo.toml"), "[package]\n").unwrap();
        std::fs::write(dir.join("ws/exercises/01-a/src/lib.rs"), "").unwrap();
        dir.join("ws")
    }

    #[test]
    fn the_key_changes_with_a_manifest_and_not_with_a_source() {
        let root = workspace("key");
        let before = workspace_key(&root);
        std::fs::write(root.join("exercises/01-a/src/lib.rs"), "pub fn learner() {}").unwrap();
        assert_eq!(workspace_key(&root), before, "a submission's source is not a dependency");
        std::fs::write(root.join("exercises/01-a/Cargo.toml"), "[package]\n[dependencies]\nx = \"1\"\n")
            .unwrap();
        assert_ne!(workspace_key(&root), before, "a new dependency must be fetched");
        let after_manifest = workspace_key(&root);
        std::fs::write(root.join("Cargo.lock"), "version = 4\n").unwrap();
        assert_ne!(workspace_key(&root), after_manifest, "a new lock file must be fetched");
        let _ = std::fs::remove_dir_all(root.parent().unwrap());
    }

    #[test]
    fn the_memo_lies_beside_the_workspace_where_its_build_cannot_write() {
        let memo = memo_path(Path::new("/x/stage/grade")).unwrap();
        assert_eq!(memo, Path::new("/x/stage/grade.offline.json"));
        assert!(!memo.starts_with("/x/stage/grade/"));
    }

    #[test]
    fn a_remembered_fetch_is_used_only_for_the_same_manifests() {
        let root = workspace("memo");
        let memo = memo_path(&root).unwrap();
        let remembered =
            Remembered { key: workspace_key(&root), outside_key: files_key(&[]), outside: vec![] };
        std::fs::write(&memo, serde_json::to_string(&remembered).unwrap()).unwrap();
        // No cargo workspace here: reaching cargo would fail.
        assert_eq!(prepare(&root).unwrap(), Vec::<PathBuf>::new());
        // Changed manifests are fetched again: here cargo refuses them.
        std::fs::write(root.join("Cargo.toml"), "not a manifest [").unwrap();
        assert!(prepare(&root).is_err(), "a changed manifest must not reuse the memo");
        forget(&root);
        assert!(!memo.exists());
        let _ = std::fs::remove_dir_all(root.parent().unwrap());
    }
}
