//! The contract between the checker and the runner.
//!
//! A test process (the checker, inside it) proves what became of its test
//! by writing one [`Record`] into a file the runner (`cargo xtask check`,
//! `grade`, `verify`) named, carrying the per-run nonce the runner chose.
//! Both sides use the types here, so a field or an outcome cannot be
//! renamed on one side only: a record that does not parse is an error the
//! runner reports, never a verdict it guesses.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Set (to [`CHANNEL_FDS`]) when the runner hands the channel over as
/// inherited descriptors, as it does on Unix: the record goes to
/// [`REPORT_FD`], and the nonce is read once from [`NONCE_FD`] (a pipe)
/// before the learner's code runs. Neither the nonce nor the report's path
/// ever appears in the environment, where `/proc/self/environ` would show it.
pub const CHANNEL_VAR: &str = "AWAITLINGS_CHANNEL";
/// The value of [`CHANNEL_VAR`] that means "descriptors 3 and 4".
pub const CHANNEL_FDS: &str = "fd";
/// The report file, open for appending.
pub const REPORT_FD: i32 = 3;
/// The read end of a pipe that holds the nonce.
pub const NONCE_FD: i32 = 4;
/// Where there are no inherited descriptors (not Unix): the report file's
/// path. The nonce then travels in [`NONCE_VAR`], which the checker removes
/// at once; the README says what that leaves open.
pub const REPORT_VAR: &str = "AWAITLINGS_REPORT";
/// The per-run secret a record must carry to count (not Unix only).
pub const NONCE_VAR: &str = "AWAITLINGS_NONCE";
/// The checker's own wall-clock limit, in ms (the runner sets it a little
/// under its kill, so the checker can say *why* a test hung).
pub const WALL_LIMIT_VAR: &str = "AWAITLINGS_WALL_LIMIT_MS";

/// How long (ms of real time) one poll may hold the executor before the
/// checker's watchdog ends the test (default 1 000). The grader lowers it
/// for the rest of a submission once one of its tests hung.
pub const STUCK_VAR: &str = "AWAITLINGS_STUCK_MS";

/// Exit code of a test process that the checker's watchdog ended.
pub const EXIT_HUNG: i32 = 124;

/// What a test came to, in the checker's judgement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Pass,
    /// An assertion failed, or the learner's code panicked.
    Fail,
    /// A `todo!()` is still in the way.
    Todo,
    /// The learner's code held the executor thread.
    Blocking,
    /// The watchdog ended it: a spin, or a deadlock with nothing scheduled.
    Hang,
}

/// The one line a test process writes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    pub nonce: String,
    pub outcome: Outcome,
    /// What happened and what should have, for the learner (empty on a pass).
    pub message: String,
    /// Virtual time the test body took.
    pub virtual_ms: f64,
    /// The test's own schedule, drawn as a chart (empty if none).
    pub timeline: String,
}

/// A line carried the nonce but is not a record this runner can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Garbled(pub String);

impl fmt::Display for Garbled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the checker's record could not be read ({}): are the checker and the xtask from the same \
             version of the course?",
            self.0
        )
    }
}

impl std::error::Error for Garbled {}

impl Record {
    /// The record as one line of JSON, newline included.
    pub fn to_line(&self) -> String {
        let mut line = serde_json::to_string(self).unwrap_or_default();
        line.push('\n');
        line
    }

    /// The record in `text` that carries `nonce`, if any. Lines without the
    /// nonce (a forgery, noise) are ignored; a line with it that does not
    /// parse is an error.
    pub fn find(text: &str, nonce: &str) -> Result<Option<Record>, Garbled> {
        for line in text.lines().filter(|l| l.contains(nonce)) {
            let record: Record = serde_json::from_str(line).map_err(|e| Garbled(e.to_string()))?;
            if record.nonce == nonce {
                return Ok(Some(record));
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(outcome: Outcome) -> Record {
        Record {
            nonce: "n0nce".into(),
            outcome,
            message: "m".into(),
            virtual_ms: 1250.0,
            timeline: String::new(),
        }
    }

    #[test]
    fn a_record_goes_there_and_back() {
        for outcome in [Outcome::Pass, Outcome::Fail, Outcome::Todo, Outcome::Blocking, Outcome::Hang] {
            let line = record(outcome).to_line();
            assert_eq!(Record::find(&line, "n0nce"), Ok(Some(record(outcome))));
        }
        assert!(record(Outcome::Blocking).to_line().contains(r#""outcome":"blocking""#));
    }

    #[test]
    fn lines_without_the_nonce_are_ignored() {
        let text = format!(
            "{{\"nonce\":\"forged\",\"outcome\":\"pass\"}}\ngarbage\n{}",
            record(Outcome::Fail).to_line()
        );
        assert_eq!(Record::find(&text, "n0nce").unwrap().unwrap().outcome, Outcome::Fail);
        assert_eq!(Record::find("garbage\n", "n0nce"), Ok(None));
    }

    #[test]
    fn an_unknown_outcome_is_an_error_not_a_verdict() {
        let line = r#"{"nonce":"n0nce","outcome":"passed-ish","message":"","virtual_ms":0.0,"timeline":""}"#;
        let err = Record::find(line, "n0nce").unwrap_err();
        assert!(err.to_string().contains("could not be read"), "{err}");
    }
}
