//! # 08 · select — `asyncio.wait(FIRST_COMPLETED)`, `as_completed` and `select!`
//!
//! Six small functions that race futures against each other. Read
//! README.md beside this file first, then replace each `todo!()` below.
//!
//! The one idea behind all of them: **a race is over when one side wins,
//! and the losers are dropped**. Dropping a future cancels it: it is never
//! polled again, and whatever it held (a half-read frame, a timer, a
//! request in flight) goes with it. Python cancels the other tasks of
//! `asyncio.wait` only if you ask; Rust drops them the moment you stop
//! holding them. The tests check *when* each loser is dropped, to the
//! millisecond, on tokio's paused clock.

use std::future::Future;
use std::time::Duration;

use futures::stream::LocalBoxStream;
use tokio::sync::mpsc;

/// Task 1 · `asyncio.wait(jobs, return_when=FIRST_COMPLETED)`: run every
/// job at once and return the **first one to finish**, as `(its index in
/// jobs, its output)`; every other job is dropped at that same instant.
///
/// Jobs of 2 s, 1 s and 3 s give `Some((1, b))` at 1 s, and the other two
/// are dropped then. No jobs: `None`, at once (careful:
/// `futures::future::select_all` panics on an empty list).
///
/// The signature does not ask for `Send + 'static`: the jobs cannot be
/// spawned. Race them on the current task.
pub async fn first_completed<F: Future>(jobs: Vec<F>) -> Option<(usize, F::Output)> {
    todo!("task 1 (first_completed)")
}

/// Task 2 · The **first job to succeed**, as `(its index, its value)`. A
/// failure is not an answer: keep waiting for the others. The instant one
/// succeeds, return it and drop the jobs still running.
///
/// When every job fails, return every error **in input order** (not in the
/// order they failed), once the last one has failed. No jobs: `Err` of no
/// errors, at once.
pub async fn first_ok<F, T, E>(jobs: Vec<F>) -> Result<(usize, T), Vec<E>>
where
    F: Future<Output = Result<T, E>>,
{
    todo!("task 2 (first_ok)")
}

/// Task 3 · `asyncio.as_completed`: a stream of `(index, output)`, one item
/// per job, **in the order the jobs finish**, each the instant its job
/// finishes. The stream ends once every job has.
///
/// The stream owns the jobs: dropping it drops every job still running, at
/// that instant. No jobs: the stream ends at once.
///
/// The return type is a boxed stream so that the signature can name it:
/// build any `Stream` of the right items and call
/// `futures::StreamExt::boxed_local` on it.
pub fn as_completed<'a, F>(jobs: Vec<F>) -> LocalBoxStream<'a, (usize, F::Output)>
where
    F: Future + 'a,
{
    todo!("task 3 (as_completed)")
}

/// Task 4 · Tail-latency **hedging**. Start attempt 1 (call `request()`)
/// at once. If it has not answered after `hedge_after`, start attempt 2
/// and race the two: the first `Ok` wins, and the other attempt is dropped
/// at that instant.
///
/// - Attempt 1 answers before `hedge_after`: no hedge is ever started.
/// - A failure is not an answer. If attempt 1 fails before `hedge_after`,
///   start attempt 2 at once (do not wait for the hedge delay). If one
///   attempt fails while both run, wait for the other.
/// - Both fail: return the **last** error (the one that came last in time).
/// - At most two attempts: `request()` is called once or twice.
/// - `hedge_after` may be huge (`Duration::MAX`): then no hedge is ever due.
///   Do not add it to an `Instant` yourself (that overflows).
///
/// An attempt starts when its future is first polled: a future you make
/// but never poll has not started.
pub async fn hedged<F, Fut, T, E>(request: F, hedge_after: Duration) -> Result<T, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    todo!("task 4 (hedged)")
}

/// A message on the control channel of [`control_loop`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Stop taking data until `Resume`. Data that arrives meanwhile waits
    /// in its channel: none is lost.
    Pause,
    /// Take data again.
    Resume,
    /// Return at once. No more data is handled, not even data waiting.
    Stop,
}

/// Task 5 · A `select!` loop over two channels: hand each item of `data`
/// to `handle`, as it arrives and in order, and obey `control`.
///
/// A control message that is waiting **always wins** over data that is
/// ready at the same instant. `tokio::select!` picks a ready branch *at
/// random* unless you say `biased;` (then it tries the branches in the
/// order written). While paused, do not take data at all (a branch can be
/// switched off with `, if !paused`), so that it waits in its channel.
///
/// The tests keep both channels open until the loop returns on `Stop`;
/// what you do when a channel closes is up to you (returning is simplest:
/// `recv()` on a closed channel is ready with `None` at once, forever).
pub async fn control_loop<T>(
    control: mpsc::Receiver<Control>,
    data: mpsc::Receiver<T>,
    handle: impl FnMut(T),
) {
    todo!("task 5 (control_loop)")
}

/// How many chunks make one frame.
pub const FRAME_CHUNKS: usize = 3;

/// Reads one frame: the next [`FRAME_CHUNKS`] chunks, in order (fewer if
/// the channel closes first). Given; do not change it.
///
/// It is **not cancel-safe**: the chunks read so far live in `frame`,
/// inside this future. Drop the future halfway and they are gone: read from
/// the channel, never delivered. (`mpsc::Receiver::recv` itself *is*
/// cancel-safe: a `recv` that is dropped before it returns takes nothing.)
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

/// Task 6 · **Cancel safety.** Read one frame (with [`read_frame`], or
/// chunk by chunk yourself, in a way no tick can lose) while
/// calling `on_tick` every `every` (`every > 0`): the first tick is due
/// `every` after the call, not at once. Return the frame the instant it is
/// complete; no tick is handled after that.
///
/// Chunks arriving at 0, 70 and 140 ms with a tick every 50 ms: ticks at
/// 50 and 100 ms, and the frame, with all three chunks, at 140 ms.
///
/// The trap: a `select!` in a loop that makes a new `read_frame(..)` on
/// each turn drops the old one whenever the tick wins, and the chunks it
/// had read with it.
pub async fn read_frame_ticking<T>(
    chunks: mpsc::Receiver<T>,
    every: Duration,
    on_tick: impl FnMut(),
) -> Vec<T> {
    todo!("task 6 (read_frame_ticking)")
}
