//! alternative: `select_all` for the races, `stream::unfold` for the stream, `future::select` for the hedge, a hand-written `poll_fn` priority for the control loop, and a `sleep` made anew after each tick

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use futures::StreamExt;
use futures::future::{Either, select, select_all};
use futures::stream::LocalBoxStream;
use tokio::sync::mpsc;

type Boxed<'a, T> = Pin<Box<dyn Future<Output = (usize, T)> + 'a>>;

fn tagged<'a, F: Future + 'a>(jobs: Vec<F>) -> Vec<Boxed<'a, F::Output>> {
    jobs.into_iter()
        .enumerate()
        .map(|(i, job)| Box::pin(async move { (i, job.await) }) as Boxed<'a, F::Output>)
        .collect()
}

/// Task 1.
pub async fn first_completed<F: Future>(jobs: Vec<F>) -> Option<(usize, F::Output)> {
    if jobs.is_empty() {
        return None;
    }
    let ((i, output), _, rest) = select_all(tagged(jobs)).await;
    drop(rest);
    Some((i, output))
}

/// Task 2.
pub async fn first_ok<F, T, E>(jobs: Vec<F>) -> Result<(usize, T), Vec<E>>
where
    F: Future<Output = Result<T, E>>,
{
    let mut errors: Vec<(usize, E)> = Vec::new();
    let mut running = tagged(jobs);
    while !running.is_empty() {
        let ((i, result), _, rest) = select_all(running).await;
        match result {
            Ok(value) => return Ok((i, value)),
            Err(e) => errors.push((i, e)),
        }
        running = rest;
    }
    errors.sort_by_key(|(i, _)| *i);
    Err(errors.into_iter().map(|(_, e)| e).collect())
}

/// Task 3.
pub fn as_completed<'a, F>(jobs: Vec<F>) -> LocalBoxStream<'a, (usize, F::Output)>
where
    F: Future + 'a,
{
    futures::stream::unfold(tagged(jobs), |running| async move {
        if running.is_empty() {
            return None;
        }
        let (item, _, rest) = select_all(running).await;
        Some((item, rest))
    })
    .boxed_local()
}

/// Task 4.
pub async fn hedged<F, Fut, T, E>(mut request: F, hedge_after: Duration) -> Result<T, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let first = Box::pin(request());
    let hedge = Box::pin(tokio::time::sleep(hedge_after));
    let first = match select(first, hedge).await {
        Either::Left((Ok(value), _)) => return Ok(value),
        Either::Left((Err(_), _)) => return request().await,
        Either::Right(((), first)) => first,
    };
    let second = Box::pin(request());
    match select(first, second).await {
        Either::Left((Ok(value), _)) | Either::Right((Ok(value), _)) => Ok(value),
        Either::Left((Err(_), second)) => second.await,
        Either::Right((Err(_), first)) => first.await,
    }
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

enum Next<T> {
    Control(Option<Control>),
    Data(Option<T>),
}

/// Task 5.
pub async fn control_loop<T>(
    mut control: mpsc::Receiver<Control>,
    mut data: mpsc::Receiver<T>,
    mut handle: impl FnMut(T),
) {
    let mut paused = false;
    loop {
        // Control is always looked at first: the priority is in the order of the polls.
        let next = std::future::poll_fn(|cx| {
            if let Poll::Ready(message) = control.poll_recv(cx) {
                return Poll::Ready(Next::Control(message));
            }
            if !paused && let Poll::Ready(item) = data.poll_recv(cx) {
                return Poll::Ready(Next::Data(item));
            }
            Poll::Pending
        })
        .await;
        match next {
            Next::Control(Some(Control::Pause)) => paused = true,
            Next::Control(Some(Control::Resume)) => paused = false,
            Next::Control(Some(Control::Stop) | None) | Next::Data(None) => return,
            Next::Data(Some(item)) => handle(item),
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

/// Task 6.
pub async fn read_frame_ticking<T>(
    mut chunks: mpsc::Receiver<T>,
    every: Duration,
    mut on_tick: impl FnMut(),
) -> Vec<T> {
    let mut frame = Box::pin(read_frame(&mut chunks));
    loop {
        // A new sleep each turn: the frame only ends once, so each sleep
        // runs from the tick before it.
        tokio::select! {
            frame = &mut frame => return frame,
            () = tokio::time::sleep(every) => on_tick(),
        }
    }
}
