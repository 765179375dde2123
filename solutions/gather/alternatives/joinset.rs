//! alternative: JoinSet everywhere a task is spawned (ids map results back to their slots), FuturesOrdered joins
//!
//! `spawn_all` and `try_all` run each job as a task of a `tokio::task::JoinSet`
//! and take the results as they finish, putting each back in its input slot
//! by task id. Dropping a `JoinSet` aborts every task still in it: that is
//! `try_all`'s cancellation. `concurrent` and `settle_all` use a
//! `FuturesOrdered`, which yields in input order by itself.

use std::any::Any;
use std::collections::HashMap;
use std::fmt;
use std::future::Future;

use futures::StreamExt;
use futures::stream::FuturesOrdered;
use tokio::task::{Id, JoinSet};

pub async fn sequential<F, T>(jobs: Vec<F>) -> Vec<T>
where
    F: Future<Output = T>,
{
    let mut results = Vec::new();
    for job in jobs {
        results.push(job.await);
    }
    results
}

pub async fn concurrent<F, T>(jobs: Vec<F>) -> Vec<T>
where
    F: Future<Output = T>,
{
    jobs.into_iter().collect::<FuturesOrdered<_>>().collect().await
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobPanicked {
    pub job: String,
    pub message: String,
}

impl fmt::Display for JobPanicked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "job '{}' panicked: {}", self.job, self.message)
    }
}

impl std::error::Error for JobPanicked {}

fn panic_text(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic that carries no text".to_string()
    }
}

pub async fn spawn_all<F, T>(jobs: Vec<(String, F)>) -> Vec<Result<T, JobPanicked>>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let mut set = JoinSet::new();
    let mut slot_of: HashMap<Id, (usize, String)> = HashMap::new();
    for (i, (name, job)) in jobs.into_iter().enumerate() {
        let id = set.spawn(job).id();
        slot_of.insert(id, (i, name));
    }
    let mut slots: Vec<Option<Result<T, JobPanicked>>> = (0..slot_of.len()).map(|_| None).collect();
    while let Some(joined) = set.join_next_with_id().await {
        let (id, result) = match joined {
            Ok((id, value)) => (id, Ok(value)),
            Err(err) => {
                let id = err.id();
                let message = if err.is_panic() { panic_text(&*err.into_panic()) } else { "cancelled".into() };
                (id, Err(message))
            }
        };
        let (i, name) = slot_of.remove(&id).expect("a task of this set");
        slots[i] = Some(result.map_err(|message| JobPanicked { job: name, message }));
    }
    slots.into_iter().map(|r| r.expect("every task joined")).collect()
}

pub async fn settle_all<F, T, E>(jobs: Vec<F>) -> Vec<Result<T, E>>
where
    F: Future<Output = Result<T, E>>,
{
    concurrent(jobs).await
}

pub async fn try_all<F, T, E>(jobs: Vec<F>) -> Result<Vec<T>, E>
where
    F: Future<Output = Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
{
    let mut set = JoinSet::new();
    let mut slot_of = HashMap::new();
    for (i, job) in jobs.into_iter().enumerate() {
        slot_of.insert(set.spawn(job).id(), i);
    }
    let mut slots: Vec<Option<T>> = (0..slot_of.len()).map(|_| None).collect();
    while let Some(joined) = set.join_next_with_id().await {
        match joined {
            Ok((id, Ok(value))) => slots[slot_of[&id]] = Some(value),
            // Returning drops `set`, which aborts every task still in it.
            Ok((_, Err(e))) => return Err(e),
            Err(err) => std::panic::resume_unwind(err.into_panic()),
        }
    }
    Ok(slots.into_iter().map(|v| v.expect("every task joined")).collect())
}
