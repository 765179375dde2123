//! # 14 · shutdown — background tasks and graceful shutdown, in tokio
//!
//! A server is a handful of tasks that run for as long as it does: a loop
//! that accepts connections, a handler per connection, and background
//! chores (flush the log every second, beat a health ticker). Starting
//! them is one line each. *Stopping* them well is the exercise: in order,
//! at exact instants, losing nothing. Read README.md beside this file
//! first, then replace each `todo!()` below.
//!
//! The tools are tokio-util's: a `CancellationToken` says "stop" to every
//! task that listens (a `child_token()` per phase of the shutdown; a
//! `drop_guard()` cancels when its owner is dropped), and a `TaskTracker`
//! counts the handlers so you can `close()` it and `wait()` for the last.
//!
//! The tests read your service from outside: when each connection's work
//! started and ended (a timeline), every flush and heartbeat (the sink),
//! the report, and the runtime's count of live tasks.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

/// How often the flusher writes the log out.
pub const FLUSH_EVERY: Duration = Duration::from_secs(1);

/// How often the health ticker beats.
pub const HEARTBEAT_EVERY: Duration = Duration::from_millis(400);

/// One incoming connection: a name, and the work its handler does.
pub struct Connection {
    /// The connection's name, as the logs and the report give it.
    pub name: String,
    /// What handling it takes.
    pub work: Pin<Box<dyn Future<Output = ()> + Send>>,
}

impl Connection {
    /// A connection called `name` whose handler runs `work`.
    pub fn new(name: impl Into<String>, work: impl Future<Output = ()> + Send + 'static) -> Self {
        Connection { name: name.into(), work: Box::pin(work) }
    }
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection").field("name", &self.name).finish_non_exhaustive()
    }
}

/// Where the service's output goes. The tests' sink records the instant of
/// every call. It is shared by the flusher and the ticker (`Arc<dyn Sink>`):
/// its methods take `&self` and return at once.
pub trait Sink: Send + Sync + 'static {
    /// One flush: every line logged since the last flush, in order.
    fn flush(&self, lines: Vec<String>);
    /// One heartbeat of the health ticker.
    fn heartbeat(&self);
}

/// A connection turned away because the service is shutting down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// The connection's name.
    pub connection: String,
    /// When it arrived (and was refused), since the service started.
    pub at: Duration,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "connection {} refused at {:?}: the service is shutting down", self.connection, self.at)
    }
}

impl std::error::Error for Refused {}

/// What became of every connection, as `shutdown` returns it. Each list is
/// in the order the connections **arrived** (not the order they ended);
/// every instant is the time since `Service::start`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// The handlers that ran to their end: (name, when it finished).
    pub finished: Vec<(String, Duration)>,
    /// The handlers aborted when the grace was over: (name, when).
    pub aborted: Vec<(String, Duration)>,
    /// The connections refused because they arrived during the shutdown.
    pub refused: Vec<Refused>,
}

/// A running service: the accept loop, a handler task per connection, the
/// flusher and the health ticker.
///
/// Its fields are yours to design. What the tasks share (the log's
/// buffer, the sink, what became of each connection) lives behind `Arc`s;
/// what stops them is a `CancellationToken` per phase of the shutdown,
/// children of one root; the handlers are spawned on a `TaskTracker`.
#[derive(Debug)]
pub struct Service {
    // Replace this with your own fields.
    _yours: (),
}

impl Service {
    /// Task 1 · Starts the service at once (this is not an async fn: it
    /// spawns its tasks and returns):
    ///
    /// - an **accept loop** that takes each connection off `connections`
    ///   the instant it arrives, logs `"accepted {name}"` and spawns its
    ///   handler: a task of its own (on a `TaskTracker`) that runs the
    ///   connection's `work` and, when it is done, logs
    ///   `"finished {name}"`;
    /// - a **flusher**: every [`FLUSH_EVERY`] (at 1 s, 2 s, 3 s, ... from
    ///   the start; not at 0) it hands the sink every line logged since the
    ///   last flush, in the order they were logged, in one
    ///   [`Sink::flush`] call, even when there is nothing (an empty `Vec`);
    /// - a **health ticker**: [`Sink::heartbeat`] every
    ///   [`HEARTBEAT_EVERY`] (at 400 ms, 800 ms, ...).
    ///
    /// Dropping the `Service` stops all of it at that instant: the handlers
    /// in flight are cancelled (their work dropped then), the flusher and
    /// the ticker do nothing more, no connection is accepted, and no task
    /// of it is left alive. (A `DropGuard` of the root token does it.)
    pub fn start(connections: mpsc::Receiver<Connection>, sink: Arc<dyn Sink>) -> Service {
        todo!("task 1 (start)")
    }

    /// Task 2 · Shuts the service down gracefully; the instant it is
    /// called is S.
    ///
    /// - From S, **no connection is accepted**: one that arrives while the
    ///   shutdown lasts is refused at its arrival (its work never runs),
    ///   logged `"refused {name}"` and listed in the report. The health
    ///   ticker stops at S (a draining service is not healthy).
    /// - The handlers in flight get until S + `grace` to finish; the
    ///   shutdown ends the instant the last one does (at S if none is in
    ///   flight). The ones still running at S + `grace` are **aborted**
    ///   then (their work dropped at that instant) and the shutdown ends.
    ///   `grace` may be `Duration::ZERO` (abort at once) or
    ///   `Duration::MAX` (wait as long as it takes: no overflow).
    /// - Then **one last flush** writes every line not yet flushed (no
    ///   logged line is lost; aborting logs nothing), the flusher stops,
    ///   and `shutdown` returns the [`Report`]. When it returns, no task
    ///   of the service is alive, and nothing of it runs again.
    ///
    /// Task 3 needs the same shutdown with another end for the grace (a
    /// sleep, *or* a second signal): write the shutdown once, in a private
    /// `async fn` that takes the end of the grace as a future, and call it
    /// from here with `tokio::time::sleep(grace)`.
    pub async fn shutdown(self, grace: Duration) -> Report {
        todo!("task 2 (shutdown)")
    }
}

/// Task 3 · What `main` does: start a service, run it until the first
/// `signal()`, then shut it down with `grace`; a **second** `signal()`
/// during the grace cuts it short (the handlers still running are aborted
/// at that instant, and the shutdown ends as in task 2). A second signal
/// never comes in most runs: nothing waits for it once the handlers are
/// done.
///
/// Each call of `signal()` gives a future that completes at the next
/// signal. In a real program it is Ctrl-C:
///
/// ```ignore
/// let report = serve(rx, sink, || async { let _ = tokio::signal::ctrl_c().await; }, Duration::from_secs(10)).await;
/// ```
pub async fn serve<S, F>(
    connections: mpsc::Receiver<Connection>,
    sink: Arc<dyn Sink>,
    signal: S,
    grace: Duration,
) -> Report
where
    S: FnMut() -> F + Send + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    todo!("task 3 (serve)")
}
