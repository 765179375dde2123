//! The reference answers of an exercise, as `verify` and `dist` need them.
//!
//! - the **solution**: `solutions/NAME/src/`;
//! - **alternatives**: `solutions/NAME/alternatives/*.rs`, whole correct
//!   solutions in other idioms (a `JoinSet` where the solution joins, a GCRA
//!   where it keeps a bucket). They guard the tests against over-constraint:
//!   a test that rejects one pins something the spec does not say;
//! - **mutants**: `solutions/NAME/mutants/*.patch`, each a small unified diff
//!   against the solution's `src/lib.rs` that makes one plausible mistake.
//!   A patch, not a copy: it states the mistake in a few lines, and when the
//!   solution changes under it, it stops applying and `verify` says so,
//!   instead of silently testing a stale file.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// A whole `lib.rs` that should pass every test.
#[derive(Debug)]
pub struct Alternative {
    pub name: String,
    pub text: String,
}

/// A patch that should be caught by at least one test.
#[derive(Debug)]
pub struct Mutant {
    pub name: String,
    /// The solution with the patch applied, or why it could not be.
    pub applied: Result<String, String>,
    /// Lines the patch removes and adds.
    pub removed: usize,
    pub added: usize,
}

/// Everything under `solutions/NAME/` that `verify` runs.
#[derive(Debug)]
pub struct Answers {
    /// The solution's `src/lib.rs`.
    pub solution: String,
    pub alternatives: Vec<Alternative>,
    pub mutants: Vec<Mutant>,
    /// Files in `mutants/` that are not patches (a full copy left from the
    /// time mutants were copies).
    pub strays: Vec<PathBuf>,
}

impl Answers {
    /// Reads the answers in `solution_dir` (`solutions/NAME`).
    pub fn load(solution_dir: &Path) -> Result<Answers> {
        let lib = solution_dir.join("src/lib.rs");
        let solution = fs::read_to_string(&lib).with_context(|| format!("reading {}", lib.display()))?;
        let mut alternatives = Vec::new();
        for path in files(&solution_dir.join("alternatives"), "rs")? {
            let text = fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
            alternatives.push(Alternative { name: stem(&path), text });
        }
        let mut mutants = Vec::new();
        for path in files(&solution_dir.join("mutants"), "patch")? {
            let text = fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
            mutants.push(Mutant::from_patch(stem(&path), &solution, &text));
        }
        let strays = all_files(&solution_dir.join("mutants"))?
            .into_iter()
            .filter(|p| p.extension().is_none_or(|e| e != "patch"))
            // A note for maintainers is not a stray copy.
            .filter(|p| {
                p.file_name().is_some_and(|n| n != "README.md" && !n.to_string_lossy().starts_with('.'))
            })
            .collect();
        Ok(Answers { solution, alternatives, mutants, strays })
    }

    /// Every text a learner must never be shipped as a stub: the solution,
    /// the alternatives and each mutant that applies.
    pub fn texts(&self) -> impl Iterator<Item = (String, &str)> {
        let solution = std::iter::once(("src/lib.rs".to_string(), self.solution.as_str()));
        let alternatives =
            self.alternatives.iter().map(|a| (format!("alternatives/{}.rs", a.name), a.text.as_str()));
        let mutants = self.mutants.iter().filter_map(|m| {
            m.applied.as_deref().ok().map(|text| (format!("mutants/{}.patch", m.name), text))
        });
        solution.chain(alternatives).chain(mutants)
    }
}

impl Mutant {
    fn from_patch(name: String, solution: &str, patch_text: &str) -> Mutant {
        let (removed, added) = patch_text
            .lines()
            .filter(|l| !l.starts_with("---") && !l.starts_with("+++"))
            .fold((0, 0), |(r, a), l| match l.as_bytes().first() {
                Some(b'-') => (r + 1, a),
                Some(b'+') => (r, a + 1),
                _ => (r, a),
            });
        let applied = apply(solution, patch_text);
        Mutant { name, applied, removed, added }
    }
}

/// Applies a unified diff to `base`, exactly: a hunk whose context is not
/// in `base` as written is an error, never a guess.
pub fn apply(base: &str, patch_text: &str) -> Result<String, String> {
    let patch = diffy::Patch::from_str(patch_text)
        .map_err(|e| format!("it is not a unified diff ({e}); make it with `cargo xtask mutant`"))?;
    if patch.hunks().is_empty() {
        return Err("it changes nothing: make the mistake it is named for".into());
    }
    diffy::apply(base, &patch).map_err(|e| {
        format!(
            "it no longer applies to the solution ({e}): the solution changed under it. \
             Make the mistake again on the current solution and save it with `cargo xtask mutant`"
        )
    })
}

/// A unified diff from the solution to `mutated`, labelled as the
/// solution's `src/lib.rs` on both sides.
pub fn make_patch(solution: &str, mutated: &str) -> String {
    let mut options = diffy::DiffOptions::new();
    options.set_context_len(3);
    let patch = options.create_patch(solution, mutated);
    let text = patch.to_string();
    // diffy labels the sides "original" and "modified".
    text.replacen("--- original", "--- a/src/lib.rs", 1).replacen("+++ modified", "+++ b/src/lib.rs", 1)
}

fn stem(path: &Path) -> String {
    path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
}

/// Files in `dir` ending in `.ext`, sorted; none if `dir` does not exist.
fn files(dir: &Path, ext: &str) -> Result<Vec<PathBuf>> {
    Ok(all_files(dir)?.into_iter().filter(|p| p.extension().is_some_and(|e| e == ext)).collect())
}

fn all_files(dir: &Path) -> Result<Vec<PathBuf>> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut found: Vec<PathBuf> = fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    found.sort();
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOLUTION: &str = "fn a() {\n    join(x, y);\n}\n\nfn b() {}\n";

    #[test]
    fn a_patch_made_here_applies_back() {
        let mutated = SOLUTION.replace("    join(x, y);\n", "    x.await;\n    y.await;\n");
        let patch = make_patch(SOLUTION, &mutated);
        assert!(patch.starts_with("--- a/src/lib.rs\n+++ b/src/lib.rs\n"), "{patch}");
        assert_eq!(apply(SOLUTION, &patch).unwrap(), mutated);
        let mutant = Mutant::from_patch("m".into(), SOLUTION, &patch);
        assert_eq!((mutant.removed, mutant.added), (1, 2));
    }

    #[test]
    fn a_patch_of_a_changed_solution_says_it_no_longer_applies() {
        let patch = make_patch(SOLUTION, &SOLUTION.replace("join(x, y)", "x.await"));
        let changed = SOLUTION.replace("join(x, y)", "try_join(x, y)");
        let err = apply(&changed, &patch).unwrap_err();
        assert!(err.contains("no longer applies"), "{err}");
    }

    #[test]
    fn a_patch_from_diff_u_applies() {
        let patch = "--- a/src/lib.rs\t2026-01-01 00:00:00\n+++ b/src/lib.rs\t2026-01-01 00:00:00\n\
                     @@ -1,3 +1,3 @@\n fn a() {\n-    join(x, y);\n+    x.await;\n }\n";
        assert_eq!(apply(SOLUTION, patch).unwrap(), SOLUTION.replace("join(x, y)", "x.await"));
    }

    #[test]
    fn an_empty_or_broken_patch_is_an_error() {
        assert!(apply(SOLUTION, "").is_err());
        assert!(apply(SOLUTION, "not a patch at all\n").is_err());
    }
}
