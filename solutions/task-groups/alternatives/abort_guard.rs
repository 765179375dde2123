//! alternative: tokio::spawn + a guard of AbortHandles and a FuturesUnordered; catch_unwind in place; a hand-made tracker on a watch channel
//!
//! `group` spawns every job with `tokio::spawn` and keeps their
//! `AbortHandle`s in a guard that aborts them all when it goes out of scope
//! (on return, or when the group's future is dropped); results come from a
//! `FuturesUnordered` of handles tagged with their slot. `supervise` runs
//! each attempt in place under `catch_unwind`: dropping `supervise` drops
//! the attempt. `Background` counts its live tasks itself, in a `watch`
//! channel that every waiter watches.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use futures::stream::FuturesUnordered;
use futures::{FutureExt, StreamExt};
use tokio::sync::watch;
use tokio::task::{AbortHandle, JoinHandle};

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

fn panic_text(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&'static str>() {
        (*text).to_string()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "a panic that carries no text".to_string()
    }
}

/// Aborts every task it holds when it is dropped.
struct AbortAll(Vec<AbortHandle>);

impl Drop for AbortAll {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

pub async fn group<F, T, E>(jobs: Vec<(String, F)>) -> Result<Vec<T>, GroupError<E>>
where
    F: Future<Output = Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
{
    let (names, handles): (Vec<String>, Vec<JoinHandle<Result<T, E>>>) =
        jobs.into_iter().map(|(name, job)| (name, tokio::spawn(job))).unzip();
    let guard = AbortAll(handles.iter().map(JoinHandle::abort_handle).collect());
    let mut running: FuturesUnordered<_> =
        handles.into_iter().enumerate().map(|(i, handle)| handle.map(move |joined| (i, joined))).collect();
    let mut slots: Vec<Option<T>> = names.iter().map(|_| None).collect();
    while let Some((i, joined)) = running.next().await {
        let failure = match joined {
            Ok(Ok(value)) => {
                slots[i] = Some(value);
                continue;
            }
            Ok(Err(error)) => Failure::Failed(error),
            Err(err) if err.is_panic() => Failure::Panicked(panic_text(&*err.into_panic())),
            Err(_) => Failure::Panicked("cancelled".to_string()),
        };
        // Abort the others, and wait until each is really gone: aborting
        // only asks.
        for handle in &guard.0 {
            handle.abort();
        }
        while running.next().await.is_some() {}
        return Err(GroupError { job: names[i].clone(), failure });
    }
    Ok(slots.into_iter().flatten().collect())
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
    for restart in 0..=max_restarts {
        if restart > 0 {
            tokio::time::sleep(backoff).await;
        }
        let failure = match AssertUnwindSafe(factory()).catch_unwind().await {
            Ok(Ok(value)) => return Ok(value),
            Ok(Err(error)) => Failure::Failed(error),
            Err(payload) => Failure::Panicked(panic_text(&*payload)),
        };
        if restart == max_restarts {
            return Err(failure);
        }
    }
    unreachable!("the last turn of the loop returns")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Closed;

impl fmt::Display for Closed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("closed")
    }
}

impl std::error::Error for Closed {}

/// How many tasks are alive, and whether the set is closed.
#[derive(Debug, Clone, Copy, Default)]
struct State {
    alive: usize,
    closed: bool,
}

#[derive(Debug, Clone)]
pub struct Background {
    state: std::sync::Arc<watch::Sender<State>>,
}

impl Default for Background {
    fn default() -> Self {
        Self::new()
    }
}

/// Counts one task alive until it is dropped: when the task ends, panics or
/// is aborted.
struct Alive(std::sync::Arc<watch::Sender<State>>);

impl Drop for Alive {
    fn drop(&mut self) {
        self.0.send_modify(|s| s.alive -= 1);
    }
}

impl Background {
    pub fn new() -> Self {
        Background { state: std::sync::Arc::new(watch::Sender::new(State::default())) }
    }

    pub fn spawn<F>(&self, job: F) -> Result<JoinHandle<F::Output>, Closed>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let mut refused = false;
        self.state.send_modify(|s| {
            refused = s.closed;
            if !s.closed {
                s.alive += 1;
            }
        });
        if refused {
            return Err(Closed);
        }
        let alive = Alive(self.state.clone());
        Ok(tokio::spawn(async move {
            let _alive = alive;
            job.await
        }))
    }

    pub fn close(&self) {
        self.state.send_modify(|s| s.closed = true);
    }

    pub async fn wait(&self) {
        let mut rx = self.state.subscribe();
        let _ = rx.wait_for(|s| s.closed && s.alive == 0).await;
    }
}
