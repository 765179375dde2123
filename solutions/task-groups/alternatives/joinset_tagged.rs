//! alternative: a JoinSet of slot-tagged jobs left to abort on drop; supervise through an abort-on-drop JoinHandle, counting restarts down; TaskTracker::track_future
//!
//! `group` spawns each job tagged with its slot, so a value or an error
//! says where it goes by itself; only a panic needs the task id to find
//! its job. It returns at the first failure and lets the `JoinSet`'s own
//! `Drop` abort the rest. `supervise` counts the restarts left down,
//! each attempt a `tokio::spawn` whose handle aborts its task when dropped. `Background` spawns
//! `tracker.track_future(job)` with a plain `tokio::spawn`.

use std::any::Any;
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::time::Duration;

use tokio::task::{JoinHandle, JoinSet};
use tokio_util::task::TaskTracker;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure<E> {
    Failed(E),
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupError<E> {
    pub job: String,
    pub failure: Failure<E>,
}

impl<E: fmt::Display> fmt::Display for GroupError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "job '{}' {}", self.job, self.failure)
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for GroupError<E> {}

fn panic_text(payload: Box<dyn Any + Send>) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "non-text panic".into())
}

pub async fn group<F, T, E>(jobs: Vec<(String, F)>) -> Result<Vec<T>, GroupError<E>>
where
    F: Future<Output = Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
{
    let mut set = JoinSet::new();
    let mut names = Vec::new();
    let mut slot_of_task = HashMap::new();
    for (name, job) in jobs {
        let slot = names.len();
        names.push(name);
        let task = set.spawn(async move { (slot, job.await) });
        slot_of_task.insert(task.id(), slot);
    }
    let mut values: Vec<Option<T>> = std::iter::repeat_with(|| None).take(names.len()).collect();
    while let Some(joined) = set.join_next().await {
        let (slot, failure) = match joined {
            Ok((slot, Ok(value))) => {
                values[slot] = Some(value);
                continue;
            }
            Ok((slot, Err(error))) => (slot, Failure::Failed(error)),
            Err(err) => {
                let slot = slot_of_task[&err.id()];
                let text = if err.is_panic() { panic_text(err.into_panic()) } else { "cancelled".into() };
                (slot, Failure::Panicked(text))
            }
        };
        // A dropped JoinSet aborts its tasks, but only asks them to stop:
        // abort them, then drain the set, so that none is alive on return.
        set.abort_all();
        while set.join_next().await.is_some() {}
        return Err(GroupError { job: std::mem::take(&mut names[slot]), failure });
    }
    Ok(values.into_iter().map(Option::unwrap).collect())
}

/// A JoinHandle that aborts its task when dropped.
struct Owned<T>(JoinHandle<T>);

impl<T> Drop for Owned<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

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
    let mut restarts_left = max_restarts;
    loop {
        let mut task = Owned(tokio::spawn(factory()));
        let failure = match (&mut task.0).await {
            Ok(Ok(value)) => return Ok(value),
            Ok(Err(error)) => Failure::Failed(error),
            Err(err) => Failure::Panicked(if err.is_panic() {
                panic_text(err.into_panic())
            } else {
                "cancelled".into()
            }),
        };
        if restarts_left == 0 {
            return Err(failure);
        }
        restarts_left -= 1;
        tokio::time::sleep(backoff).await;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Closed;

impl fmt::Display for Closed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("closed")
    }
}

impl std::error::Error for Closed {}

#[derive(Debug, Clone, Default)]
pub struct Background {
    tracker: TaskTracker,
}

impl Background {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn spawn<F>(&self, job: F) -> Result<JoinHandle<F::Output>, Closed>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        match self.tracker.is_closed() {
            true => Err(Closed),
            false => Ok(tokio::spawn(self.tracker.track_future(job))),
        }
    }

    pub fn close(&self) {
        self.tracker.close();
    }

    pub async fn wait(&self) {
        self.tracker.wait().await
    }
}
