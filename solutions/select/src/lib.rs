//! # 08 · select — reference solution

use std::future::Future;
use std::time::Duration;

use futures::StreamExt;
use futures::stream::{FuturesUnordered, LocalBoxStream};
use tokio::sync::mpsc;

/// Task 1 · The first job to finish, with its index in `jobs`.
pub async fn first_completed<F: Future>(jobs: Vec<F>) -> Option<(usize, F::Output)> {
    let mut running: FuturesUnordered<_> =
        jobs.into_iter().enumerate().map(|(i, job)| async move { (i, job.await) }).collect();
    // Returning drops `running`, and with it every job still in it.
    running.next().await
}

/// Task 2 · The first job to succeed, or every error in input order.
pub async fn first_ok<F, T, E>(jobs: Vec<F>) -> Result<(usize, T), Vec<E>>
where
    F: Future<Output = Result<T, E>>,
{
    let count = jobs.len();
    let mut running: FuturesUnordered<_> =
        jobs.into_iter().enumerate().map(|(i, job)| async move { (i, job.await) }).collect();
    let mut errors: Vec<Option<E>> = (0..count).map(|_| None).collect();
    while let Some((i, result)) = running.next().await {
        match result {
            Ok(value) => return Ok((i, value)),
            Err(e) => errors[i] = Some(e),
        }
    }
    Err(errors.into_iter().flatten().collect())
}

/// Task 3 · A stream of `(index, output)` in completion order.
pub fn as_completed<'a, F>(jobs: Vec<F>) -> LocalBoxStream<'a, (usize, F::Output)>
where
    F: Future + 'a,
{
    jobs.into_iter()
        .enumerate()
        .map(|(i, job)| async move { (i, job.await) })
        .collect::<FuturesUnordered<_>>()
        .boxed_local()
}

/// Task 4 · Tail-latency hedging.
pub async fn hedged<F, Fut, T, E>(mut request: F, hedge_after: Duration) -> Result<T, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut first = std::pin::pin!(request());
    // tokio's `sleep` saturates a deadline past the end of time: a huge
    // `hedge_after` is "never".
    let hedge = tokio::time::sleep(hedge_after);
    let first_failed = tokio::select! {
        result = &mut first => match result {
            Ok(value) => return Ok(value),
            Err(e) => Some(e),
        },
        () = hedge => None,
    };
    let mut second = std::pin::pin!(request());
    if first_failed.is_some() {
        // Attempt 1 is over: attempt 2 is all that is left, its error the last.
        return second.await;
    }
    tokio::select! {
        result = &mut first => match result {
            Ok(value) => Ok(value),
            // A failure is not an answer: the other attempt may still give one.
            Err(_) => second.await,
        },
        result = &mut second => match result {
            Ok(value) => Ok(value),
            Err(_) => first.await,
        },
    }
}

/// A message on the control channel of [`control_loop`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Stop taking data until `Resume`.
    Pause,
    /// Take data again.
    Resume,
    /// Return at once; no more data is handled.
    Stop,
}

/// Task 5 · A loop that takes data, and obeys control messages first.
pub async fn control_loop<T>(
    mut control: mpsc::Receiver<Control>,
    mut data: mpsc::Receiver<T>,
    mut handle: impl FnMut(T),
) {
    let mut paused = false;
    loop {
        tokio::select! {
            biased;
            message = control.recv() => match message {
                Some(Control::Pause) => paused = true,
                Some(Control::Resume) => paused = false,
                Some(Control::Stop) | None => return,
            },
            item = data.recv(), if !paused => match item {
                Some(item) => handle(item),
                None => return,
            },
        }
    }
}

/// How many chunks make one frame.
pub const FRAME_CHUNKS: usize = 3;

/// Reads one frame: the next [`FRAME_CHUNKS`] chunks, in order (fewer if the
/// channel closes first). Not cancel-safe: the chunks read so far live
/// inside this future, and go with it if it is dropped.
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

/// Task 6 · Read one frame while a tick fires every `every`.
pub async fn read_frame_ticking<T>(
    mut chunks: mpsc::Receiver<T>,
    every: Duration,
    mut on_tick: impl FnMut(),
) -> Vec<T> {
    let start = tokio::time::Instant::now();
    let mut ticks = tokio::time::interval_at(start + every, every);
    // One read future for the whole frame: a tick only pauses it.
    let mut frame = std::pin::pin!(read_frame(&mut chunks));
    loop {
        tokio::select! {
            frame = &mut frame => return frame,
            _ = ticks.tick() => on_tick(),
        }
    }
}
