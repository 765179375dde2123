//! The student edition's root Cargo.toml: the course's own, with
//! `solutions/*` taken out of `members` and `default-members`, so that the
//! workspace loads without `solutions/` and `cargo test` runs the checker
//! and the tool.
//!
//! Edited as text, not re-serialised: the comments and layout the course
//! authors wrote stay as they are. The result is parsed again and checked
//! against what was meant, so an edit that went wrong is an error here and
//! not a broken workspace in a student's hands.

use std::ops::Range;

use anyhow::{Context, Result, bail};

use crate::commands::dist::edition::SOLUTIONS;

/// What the student edition's workspace lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workspace {
    pub members: Vec<String>,
    /// `None` when the manifest has no `default-members` (or has none left).
    pub default_members: Option<Vec<String>>,
}

/// Said above `default-members` in place of a comment that spoke of the solutions.
const DEFAULT_MEMBERS_NOTE: &str = "\
# The student edition has no solutions/: `cargo test` at the root runs the
# checker and the tool. The exercises are left out because their stubs fail
# until you have done them: check those with `cargo xtask check NAME`.
";

/// The course's root Cargo.toml, rewritten for the student edition.
pub fn student(text: &str) -> Result<(String, Workspace)> {
    let before = workspace(text).context("reading [workspace] in the course's Cargo.toml")?;
    let members: Vec<String> = before.members.iter().filter(|m| !is_solution(m)).cloned().collect();
    if members.is_empty() {
        bail!("the course's workspace has no members besides solutions/: there is nothing to give students");
    }
    let default_members = before
        .default_members
        .as_ref()
        .map(|d| d.iter().filter(|m| !is_solution(m)).cloned().collect::<Vec<_>>())
        .filter(|d| !d.is_empty());
    let wanted = Workspace { members, default_members };

    let mut text = text.to_string();
    if wanted.members != before.members {
        let range = find_key(&text, "workspace", "members").context("finding members in [workspace]")?;
        text.replace_range(range, &format!("members = {}", array(&wanted.members)));
    }
    if wanted.default_members != before.default_members {
        let range = find_key(&text, "workspace", "default-members")
            .context("finding default-members in [workspace]")?;
        let range = with_comment_about_solutions(&text, range);
        match &wanted.default_members {
            Some(list) => {
                text.replace_range(range, &format!("{DEFAULT_MEMBERS_NOTE}default-members = {}", array(list)))
            }
            // Nothing left to run by default: drop the key (and its newline).
            None => {
                let end = text[range.end..].find('\n').map_or(text.len(), |n| range.end + n + 1);
                text.replace_range(range.start..end, "");
            }
        }
    }

    let after = workspace(&text).context("the rewritten Cargo.toml does not parse")?;
    if after != wanted {
        bail!(
            "rewriting the workspace's members went wrong: wanted {wanted:?}, got {after:?}.\n\
             edit the course's Cargo.toml to list members on one line each, then run dist again"
        );
    }
    Ok((text, wanted))
}

/// `solutions/*`, `solutions/gather`, `./solutions/gather`.
fn is_solution(member: &str) -> bool {
    member.trim_start_matches("./").split('/').next() == Some(SOLUTIONS)
}

fn workspace(text: &str) -> Result<Workspace> {
    let table: toml::Table = toml::from_str(text).context("Cargo.toml is not valid TOML")?;
    let ws = table.get("workspace").and_then(|w| w.as_table()).context("Cargo.toml has no [workspace]")?;
    let strings = |key: &str| -> Result<Option<Vec<String>>> {
        let Some(value) = ws.get(key) else { return Ok(None) };
        let items = value.as_array().with_context(|| format!("workspace.{key} is not an array"))?;
        items
            .iter()
            .map(|i| {
                i.as_str().map(str::to_string).with_context(|| format!("workspace.{key} holds a non-string"))
            })
            .collect::<Result<Vec<_>>>()
            .map(Some)
    };
    Ok(Workspace {
        members: strings("members")?.context("[workspace] has no members")?,
        default_members: strings("default-members")?,
    })
}

/// `["exercises/*", "checker"]`: JSON strings are valid TOML basic strings.
fn array(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| serde_json::Value::from(i.as_str()).to_string()).collect();
    format!("[{}]", quoted.join(", "))
}

/// Widens `range` to take in the comment lines right above it, when they
/// speak of the solutions (they would no longer be true).
fn with_comment_about_solutions(text: &str, range: Range<usize>) -> Range<usize> {
    let mut start = text[..range.start].rfind('\n').map_or(0, |n| n + 1);
    let mut mentions = false;
    while start > 0 {
        let line_start = text[..start - 1].rfind('\n').map_or(0, |n| n + 1);
        let line = text[line_start..start - 1].trim();
        if !line.starts_with('#') {
            break;
        }
        mentions |= line.contains("solution");
        start = line_start;
    }
    if mentions { start..range.end } else { range }
}

/// The byte range of `key = value` in `[table]`, from the key to the end
/// of the value (a trailing comment is left out).
fn find_key(text: &str, table: &str, key: &str) -> Option<Range<usize>> {
    let mut current = String::new();
    let mut pos = 0;
    while pos < text.len() {
        let line_end = text[pos..].find('\n').map_or(text.len(), |n| pos + n);
        let line = &text[pos..line_end];
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            pos = line_end + 1;
        } else if trimmed.starts_with('[') {
            let header = trimmed.trim_start_matches('[');
            current = header.split(']').next().unwrap_or_default().trim().to_string();
            pos = line_end + 1;
        } else {
            let eq = line.find('=')?;
            let this_key = line[..eq].trim().trim_matches('"');
            let value_end = skip_value(text, pos + eq + 1)?;
            if current == table && this_key == key {
                return Some(pos + indent..value_end);
            }
            pos = text[value_end..].find('\n').map_or(text.len(), |n| value_end + n + 1);
        }
    }
    None
}

/// Where the TOML value starting at `start` ends: strings, arrays and
/// inline tables over several lines included, a trailing comment not.
fn skip_value(text: &str, start: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = start;
    let mut end = start;
    while i < bytes.len() {
        match bytes[i] {
            b'"' | b'\'' => {
                let quote = bytes[i];
                let triple = bytes[i..].starts_with(&[quote; 3]);
                let delimiter = if triple { 3 } else { 1 };
                i += delimiter;
                loop {
                    if i >= bytes.len() {
                        return None;
                    }
                    if quote == b'"' && bytes[i] == b'\\' {
                        i += 2;
                    } else if bytes[i..].starts_with(&[quote; 3][..delimiter]) {
                        i += delimiter;
                        break;
                    } else if !triple && bytes[i] == b'\n' {
                        return None;
                    } else {
                        i += 1;
                    }
                }
                end = i;
                continue;
            }
            b'[' | b'{' => depth += 1,
            b']' | b'}' => depth = depth.checked_sub(1)?,
            b'#' => {
                i = text[i..].find('\n').map_or(text.len(), |n| i + n);
                continue;
            }
            b'\n' if depth == 0 && end > start => return Some(end),
            _ => {}
        }
        if !bytes[i].is_ascii_whitespace() {
            end = i + 1;
        }
        i += 1;
    }
    (depth == 0 && end > start).then_some(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    const COURSE: &str = r#"[workspace]
resolver = "3"
members = ["exercises/*", "solutions/*", "checker", "xtask"]
# `cargo test` at the root runs the solutions, the checker and the tool:
# the exercises are left out because their stubs fail until the learner is done.
default-members = ["solutions/*", "checker", "xtask"]

[workspace.package]
description = """a ] tricky # value
over lines"""

[workspace.dependencies]
checker = { path = "checker" } # members = ["x"]
"#;

    #[test]
    fn solutions_leave_members_and_default_members() {
        let (text, ws) = student(COURSE).unwrap();
        assert_eq!(ws.members, ["exercises/*", "checker", "xtask"]);
        assert_eq!(ws.default_members.as_deref(), Some(&["checker".to_string(), "xtask".to_string()][..]));
        assert!(text.contains("members = [\"exercises/*\", \"checker\", \"xtask\"]\n"));
        assert!(text.contains("# The student edition has no solutions/"));
        assert!(!text.contains("runs the solutions"), "{text}");
        assert!(text.contains("description = \"\"\"a ] tricky # value\nover lines\"\"\""));
        assert!(text.contains("checker = { path = \"checker\" } # members = [\"x\"]"));
    }

    #[test]
    fn members_over_several_lines_with_comments() {
        let text = "[workspace]\nmembers = [\n  \"exercises/*\", # the stubs\n  \"solutions/*\",\n]\n\n[profile.dev]\ndebug = 1\n";
        let (out, ws) = student(text).unwrap();
        assert_eq!(ws.members, ["exercises/*"]);
        assert_eq!(ws.default_members, None);
        assert_eq!(out, "[workspace]\nmembers = [\"exercises/*\"]\n\n[profile.dev]\ndebug = 1\n");
    }

    #[test]
    fn default_members_of_solutions_only_are_dropped() {
        let text = "[workspace]\nmembers = [\"exercises/*\", \"solutions/*\"]\ndefault-members = [\"./solutions/a\"]\n";
        let (out, ws) = student(text).unwrap();
        assert_eq!(ws.default_members, None);
        assert_eq!(out, "[workspace]\nmembers = [\"exercises/*\"]\n");
    }

    #[test]
    fn a_manifest_without_solutions_is_left_alone() {
        let text = "[workspace]\nmembers = [\"exercises/*\"] # all\n";
        assert_eq!(student(text).unwrap().0, text);
    }
}
