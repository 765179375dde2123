//! A grade runs an exercise's tests in rounds, so that a hang costs once.
//!
//! A submission that spins makes each of its tests wait out the stuck
//! limit: some 340 tests × 100 ms, after the first hang. But a task whose
//! first two tests both hung almost always hangs in the rest too (it is
//! one function, and the stub's `todo!()` turned into a loop hangs in all
//! of them), so a grade stops there: the task's other tests are not run,
//! and the report says why. The tests of every other task still run, so a
//! learner whose one function spins loses nothing else.
//!
//! The rounds: the first test of every task (and every test that belongs
//! to no task), then the second of every task, then the rest. A round
//! starts when the one before it has ended, so which tests run, and with
//! which limits ([`super::Impatience`]), depends only on how the earlier
//! rounds ended: never on which of two tests running side by side was
//! faster, so the same submission gets the same grade with any `--jobs`,
//! graded alone or in a class.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Result;

use super::{RunOptions, TestRun, run_all};

/// The tests of a task that are run before the rest of it: if they all
/// hang, the rest are not run. Two, so that one hang (a test that hangs on
/// purpose-built input) is never enough.
pub const PROBES: usize = 2;

/// Runs `tests`, where `tasks[i]` is the task `tests[i]` belongs to (its
/// index in exercise.toml), in rounds (see the module's doc). With
/// `options.stop_early`, the tests of a task whose [`PROBES`] first tests
/// all hung are not run but reported as such. Results come back in the
/// order given.
pub fn run_in_rounds(
    tests: &[(PathBuf, String)],
    tasks: &[Option<usize>],
    options: &RunOptions,
) -> Result<Vec<TestRun>> {
    let rounds = round_of_each(tasks);
    let mut runs: Vec<Option<TestRun>> = vec![None; tests.len()];
    for round in 0..=PROBES {
        if let Some(impatience) = &options.impatience {
            impatience.next_round();
        }
        let given_up = if round == PROBES && options.stop_early {
            hung_probes(tasks, &rounds, &runs)
        } else {
            BTreeMap::new()
        };
        let mut picked = Vec::new();
        for (i, test) in tests.iter().enumerate().filter(|(i, _)| rounds[*i] == round) {
            match tasks[i].and_then(|task| given_up.get(&task)) {
                Some(probes) => runs[i] = Some(TestRun::not_run(&test.1, probes.clone())),
                None => picked.push(i),
            }
        }
        let chosen: Vec<(PathBuf, String)> = picked.iter().map(|&i| tests[i].clone()).collect();
        for (i, run) in picked.into_iter().zip(run_all(&chosen, options)?) {
            runs[i] = Some(run);
        }
    }
    Ok(runs.into_iter().flatten().collect())
}

/// The round each test runs in: its place in its task, up to [`PROBES`]
/// (the rest); a test of no task runs in the first.
fn round_of_each(tasks: &[Option<usize>]) -> Vec<usize> {
    let mut seen: BTreeMap<usize, usize> = BTreeMap::new();
    tasks
        .iter()
        .map(|task| match task {
            None => 0,
            Some(task) => {
                let place = seen.entry(*task).or_default();
                *place += 1;
                (*place - 1).min(PROBES)
            }
        })
        .collect()
}

/// The tasks whose probes all ran and all hung, each with their names.
fn hung_probes(
    tasks: &[Option<usize>],
    rounds: &[usize],
    runs: &[Option<TestRun>],
) -> BTreeMap<usize, Vec<String>> {
    let mut probes: BTreeMap<usize, Vec<&TestRun>> = BTreeMap::new();
    for (i, task) in tasks.iter().enumerate() {
        if let (Some(task), true) = (task, rounds[i] < PROBES) {
            let entry = probes.entry(*task).or_default();
            if let Some(run) = &runs[i] {
                entry.push(run);
            }
        }
    }
    probes
        .into_iter()
        .filter(|(_, runs)| runs.len() == PROBES && runs.iter().all(|r| r.hung()))
        .map(|(task, runs)| (task, runs.iter().map(|r| r.name.clone()).collect()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process::Exit;
    use crate::runner::Ended;
    use protocol::Outcome;

    fn run(name: &str, outcome: Outcome) -> Option<TestRun> {
        let mut run = TestRun::not_run(name, Vec::new());
        let exit = if outcome == Outcome::Hang { Exit::Code(protocol::EXIT_HUNG) } else { Exit::Code(101) };
        run.ending = Ended::Reported { outcome, message: String::new(), exit };
        Some(run)
    }

    #[test]
    fn each_task_s_first_tests_go_first_and_tests_of_no_task_with_them() {
        let tasks = [Some(0), Some(0), Some(0), Some(0), None, Some(1), Some(1), None];
        assert_eq!(round_of_each(&tasks), [0, 1, 2, 2, 0, 0, 1, 0]);
    }

    #[test]
    fn a_task_is_given_up_only_when_every_probe_hung() {
        let tasks = [Some(0), Some(0), Some(0), Some(1), Some(1), Some(1), Some(2), Some(2)];
        let rounds = round_of_each(&tasks);
        let runs = [
            run("a1", Outcome::Hang),
            run("a2", Outcome::Hang),
            None,
            run("b1", Outcome::Hang),
            run("b2", Outcome::Fail),
            None,
            run("c1", Outcome::Hang),
            None,
        ];
        let given_up = hung_probes(&tasks, &rounds, &runs);
        assert_eq!(given_up.len(), 1, "{given_up:?}");
        assert_eq!(given_up[&0], ["a1", "a2"]);
    }

    #[test]
    fn a_test_stopped_asleep_by_the_watchdog_hung_and_one_that_merely_blocked_did_not() {
        let mut asleep = run("a", Outcome::Blocking).unwrap();
        asleep.ending = Ended::Reported {
            outcome: Outcome::Blocking,
            message: String::new(),
            exit: Exit::Code(protocol::EXIT_HUNG),
        };
        assert!(asleep.hung());
        assert!(!run("b", Outcome::Blocking).unwrap().hung());
        let mut killed = run("c", Outcome::Fail).unwrap();
        killed.ending = Ended::Unreported { exit: Exit::Killed };
        assert!(killed.hung());
    }
}
