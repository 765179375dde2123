//! # 09 · task groups — reference solution

use std::any::Any;
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::time::Duration;

use tokio::task::{JoinError, JoinHandle, JoinSet};
use tokio_util::task::TaskTracker;

/// How one job failed: it returned an error, or it panicked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure<E> {
    /// The job returned `Err(error)`.
    Failed(E),
    /// The job panicked with this text.
    Panicked(String),
}

impl<E: fmt::Display> fmt::Display for Failure<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Failed(error) => write!(f, "failed: {error}"),
            Failure::Panicked(message) => write!(f, "panicked: {message}"),
        }
    }
}

/// The first failure of a group, and the job it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupError<E> {
    /// The name the failing job was given.
    pub job: String,
    /// How it failed.
    pub failure: Failure<E>,
}

impl<E: fmt::Display> fmt::Display for GroupError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "job '{}' {}", self.job, self.failure)
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for GroupError<E> {}

/// The text of a panic payload: `panic!("boom")` carries a `&'static str`,
/// `panic!("{x}")` a `String`. Both occur.
fn panic_text(payload: Box<dyn Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(text) => *text,
        Err(payload) => match payload.downcast::<&'static str>() {
            Ok(text) => text.to_string(),
            Err(_) => "a panic with a non-text payload".to_string(),
        },
    }
}

/// What a `JoinError` says about a task of ours: nobody but us aborts our
/// tasks, so it is a panic (or the runtime shutting down).
fn failure_of<E>(err: JoinError) -> Failure<E> {
    if err.is_panic() {
        Failure::Panicked(panic_text(err.into_panic()))
    } else {
        Failure::Panicked("the task was cancelled".to_string())
    }
}

/// Task 1 · `asyncio.TaskGroup`: every job a task of one `JoinSet`,
/// results in input order, the first failure in time cancels the rest.
///
/// The `JoinSet` owns the tasks: whichever way this function ends (it
/// returns, or its own future is dropped), the set goes with it, and a
/// `JoinSet` aborts every task still in it when it is dropped. That is
/// structured concurrency: no task outlives the call that made it.
pub async fn group<F, T, E>(jobs: Vec<(String, F)>) -> Result<Vec<T>, GroupError<E>>
where
    F: Future<Output = Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
{
    let mut set = JoinSet::new();
    let mut names = Vec::with_capacity(jobs.len());
    let mut slot_of = HashMap::with_capacity(jobs.len());
    for (i, (name, job)) in jobs.into_iter().enumerate() {
        let id = set.spawn(job).id();
        slot_of.insert(id, i);
        names.push(name);
    }
    let mut slots: Vec<Option<T>> = names.iter().map(|_| None).collect();
    // join_next gives the tasks as they end, so the first failure in time
    // is seen at its instant, whatever its place in the input.
    while let Some(joined) = set.join_next_with_id().await {
        let (id, failure) = match joined {
            Ok((id, Ok(value))) => {
                slots[slot_of[&id]] = Some(value);
                continue;
            }
            Ok((id, Err(error))) => (id, Failure::Failed(error)),
            Err(err) => (err.id(), failure_of(err)),
        };
        // Like a TaskGroup, cancel the others and wait until they are gone
        // before raising: when this returns, none of them is alive.
        set.shutdown().await;
        return Err(GroupError { job: names[slot_of[&id]].clone(), failure });
    }
    Ok(slots.into_iter().map(|slot| slot.expect("every job ended with a value")).collect())
}

/// Task 3 · Run a job made by `factory`; when it fails or panics, wait
/// `backoff` and run a fresh one, up to `max_restarts` times; give up with
/// the last failure.
///
/// Each attempt is a task in a `JoinSet` of one: its panic comes back as a
/// `JoinError` instead of unwinding through us, and if `supervise` itself is
/// dropped, the set goes with it and aborts the attempt in flight.
pub async fn supervise<F, Fut, T, E>(
    mut factory: F,
    max_restarts: u32,
    backoff: Duration,
) -> Result<T, Failure<E>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
{
    let mut restarts = 0;
    loop {
        let mut attempt = JoinSet::new();
        attempt.spawn(factory());
        let failure = match attempt.join_next().await.expect("the set holds the attempt") {
            Ok(Ok(value)) => return Ok(value),
            Ok(Err(error)) => Failure::Failed(error),
            Err(err) => failure_of(err),
        };
        // No sleep after the last failure: giving up is not worth a wait.
        if restarts == max_restarts {
            return Err(failure);
        }
        restarts += 1;
        tokio::time::sleep(backoff).await;
    }
}

/// `Background::spawn` after `close`: the job was not started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Closed;

impl fmt::Display for Closed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the background set is closed: no new task may start")
    }
}

impl std::error::Error for Closed {}

/// Task 4 · Fire-and-forget tasks that are still accounted for: the
/// "keep a reference in a set" idiom of asyncio, on tokio-util's
/// `TaskTracker`.
#[derive(Debug, Clone, Default)]
pub struct Background {
    tracker: TaskTracker,
}

impl Background {
    /// An open, empty set of background tasks.
    pub fn new() -> Self {
        Background { tracker: TaskTracker::new() }
    }

    /// Starts `job` as a tracked task, unless the set is closed.
    ///
    /// A `TaskTracker` would happily track a task spawned after `close`;
    /// refusing it is our rule, so it is checked here.
    pub fn spawn<F>(&self, job: F) -> Result<JoinHandle<F::Output>, Closed>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        if self.tracker.is_closed() {
            return Err(Closed);
        }
        Ok(self.tracker.spawn(job))
    }

    /// No new task may start from now on.
    pub fn close(&self) {
        self.tracker.close();
    }

    /// Returns once the set is closed and its last task has ended.
    pub async fn wait(&self) {
        self.tracker.wait().await;
    }
}
