//! alternative: `buffer_unordered` streams for the races, `timeout` for the hedge delay, `try_recv` then a biased `select!` for control, and a cancel-safe reader that keeps the partial frame outside the `select!`

use std::future::Future;
use std::time::Duration;

use futures::StreamExt;
use futures::stream::LocalBoxStream;
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TryRecvError;

/// Task 3 first: the other races are built on it.
pub fn as_completed<'a, F>(jobs: Vec<F>) -> LocalBoxStream<'a, (usize, F::Output)>
where
    F: Future + 'a,
{
    // `buffer_unordered(0)` would mean "no limit" too; say it plainly.
    let all = jobs.len().max(1);
    futures::stream::iter(jobs.into_iter().enumerate().map(|(i, job)| async move { (i, job.await) }))
        .buffer_unordered(all)
        .boxed_local()
}

/// Task 1.
pub async fn first_completed<F: Future>(jobs: Vec<F>) -> Option<(usize, F::Output)> {
    as_completed(jobs).next().await
}

/// Task 2.
pub async fn first_ok<F, T, E>(jobs: Vec<F>) -> Result<(usize, T), Vec<E>>
where
    F: Future<Output = Result<T, E>>,
{
    let mut stream = as_completed(jobs);
    let mut errors = std::collections::BTreeMap::new();
    while let Some((i, result)) = stream.next().await {
        match result {
            Ok(value) => return Ok((i, value)),
            Err(e) => {
                errors.insert(i, e);
            }
        }
    }
    Err(errors.into_values().collect())
}

/// Task 4.
pub async fn hedged<F, Fut, T, E>(mut request: F, hedge_after: Duration) -> Result<T, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut first = Box::pin(request());
    match tokio::time::timeout(hedge_after, &mut first).await {
        Ok(Ok(value)) => return Ok(value),
        Ok(Err(_)) => return request().await,
        Err(_elapsed) => {}
    }
    let mut second = Box::pin(request());
    let mut first_done = false;
    let mut second_done = false;
    let mut last = None;
    while !(first_done && second_done) {
        tokio::select! {
            result = &mut first, if !first_done => {
                first_done = true;
                match result { Ok(value) => return Ok(value), Err(e) => last = Some(e) }
            }
            result = &mut second, if !second_done => {
                second_done = true;
                match result { Ok(value) => return Ok(value), Err(e) => last = Some(e) }
            }
        }
    }
    Err(last.expect("both attempts failed"))
}

/// A message on the control channel of [`control_loop`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Stop taking data until `Resume`.
    Pause,
    /// Take data again.
    Resume,
    /// Return at once.
    Stop,
}

/// Task 5.
pub async fn control_loop<T>(
    mut control: mpsc::Receiver<Control>,
    mut data: mpsc::Receiver<T>,
    mut handle: impl FnMut(T),
) {
    let mut paused = false;
    loop {
        let message = match control.try_recv() {
            Ok(message) => Some(message),
            Err(TryRecvError::Disconnected) => return,
            Err(TryRecvError::Empty) if paused => control.recv().await,
            Err(TryRecvError::Empty) => {
                tokio::select! {
                    biased;
                    message = control.recv() => message,
                    item = data.recv() => match item {
                        Some(item) => { handle(item); continue; }
                        None => return,
                    },
                }
            }
        };
        match message {
            Some(Control::Pause) => paused = true,
            Some(Control::Resume) => paused = false,
            Some(Control::Stop) | None => return,
        }
    }
}

/// How many chunks make one frame.
pub const FRAME_CHUNKS: usize = 3;

/// Reads one frame (given).
pub async fn read_frame<T>(chunks: &mut mpsc::Receiver<T>) -> Vec<T> {
    let mut frame = Vec::with_capacity(FRAME_CHUNKS);
    while frame.len() < FRAME_CHUNKS {
        match chunks.recv().await {
            Some(chunk) => frame.push(chunk),
            None => break,
        }
    }
    frame
}

/// Task 6, without `read_frame`: the partial frame lives outside the
/// `select!`, and `recv` is cancel-safe, so a tick loses nothing.
pub async fn read_frame_ticking<T>(
    mut chunks: mpsc::Receiver<T>,
    every: Duration,
    mut on_tick: impl FnMut(),
) -> Vec<T> {
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    let mut frame = Vec::with_capacity(FRAME_CHUNKS);
    while frame.len() < FRAME_CHUNKS {
        tokio::select! {
            chunk = chunks.recv() => match chunk {
                Some(chunk) => frame.push(chunk),
                None => break,
            },
            _ = ticks.tick() => on_tick(),
        }
    }
    frame
}
