//! # 14 · shutdown — reference solution
//!
//! One root `CancellationToken` with a child per phase of the shutdown, a
//! `TaskTracker` for the handlers, and the background tasks' `JoinHandle`s.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{Instant, interval_at};
use tokio_util::sync::{CancellationToken, DropGuard};
use tokio_util::task::TaskTracker;

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

#[derive(Debug, Clone, Copy)]
enum Fate {
    Finished(Duration),
    Aborted(Duration),
    Refused(Duration),
}

/// A connection's name, and its fate once it has one.
type Slot = (String, Option<Fate>);

/// What every task of the service shares.
#[derive(Clone)]
struct Shared {
    started: Instant,
    sink: Arc<dyn Sink>,
    lines: Arc<Mutex<Vec<String>>>,
    /// Each connection in arrival order, with its fate once it has one.
    fates: Arc<Mutex<Vec<Slot>>>,
}

impl Shared {
    fn now(&self) -> Duration {
        self.started.elapsed()
    }

    fn log(&self, line: String) {
        self.lines.lock().unwrap().push(line);
    }

    fn flush(&self) {
        let lines = std::mem::take(&mut *self.lines.lock().unwrap());
        self.sink.flush(lines);
    }

    /// A new connection; its slot in the report.
    fn arrived(&self, name: &str) -> usize {
        let mut fates = self.fates.lock().unwrap();
        fates.push((name.to_string(), None));
        fates.len() - 1
    }

    fn settle(&self, slot: usize, fate: Fate) {
        self.fates.lock().unwrap()[slot].1 = Some(fate);
    }

    fn report(&self) -> Report {
        let mut report = Report::default();
        for (name, fate) in self.fates.lock().unwrap().iter() {
            match *fate {
                Some(Fate::Finished(at)) => report.finished.push((name.clone(), at)),
                Some(Fate::Aborted(at)) => report.aborted.push((name.clone(), at)),
                Some(Fate::Refused(at)) => report.refused.push(Refused { connection: name.clone(), at }),
                None => {}
            }
        }
        report
    }
}

/// The tokens of the shutdown's phases, children of one root.
#[derive(Clone)]
struct Phases {
    /// Cancelled when the shutdown begins: stop accepting, stop beating.
    draining: CancellationToken,
    /// Cancelled when the grace is over: abort the handlers left.
    abort: CancellationToken,
    /// Cancelled when the handlers are gone: last flush, stop refusing.
    closed: CancellationToken,
}

/// A running service.
pub struct Service {
    shared: Shared,
    phases: Phases,
    handlers: TaskTracker,
    background: Vec<JoinHandle<()>>,
    /// Cancels the root token, so every phase, when the service is dropped.
    _stop_all: DropGuard,
}

impl fmt::Debug for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Service").field("handlers", &self.handlers).finish_non_exhaustive()
    }
}

impl Service {
    /// Task 1 · Starts the accept loop, the flusher and the health ticker.
    pub fn start(connections: mpsc::Receiver<Connection>, sink: Arc<dyn Sink>) -> Service {
        let root = CancellationToken::new();
        let phases =
            Phases { draining: root.child_token(), abort: root.child_token(), closed: root.child_token() };
        let shared = Shared { started: Instant::now(), sink, lines: Arc::default(), fates: Arc::default() };
        let handlers = TaskTracker::new();
        let background = vec![
            tokio::spawn(accept_loop(connections, shared.clone(), phases.clone(), handlers.clone())),
            tokio::spawn(flusher(shared.clone(), phases.closed.clone())),
            tokio::spawn(ticker(shared.clone(), phases.draining.clone())),
        ];
        Service { shared, phases, handlers, background, _stop_all: root.drop_guard() }
    }

    /// Task 2 · Shuts down gracefully, with `grace` for the handlers in
    /// flight.
    pub async fn shutdown(self, grace: Duration) -> Report {
        self.shutdown_until(tokio::time::sleep(grace)).await
    }

    /// The shutdown, with the end of the grace as a future: a sleep, or a
    /// sleep raced with a second signal.
    async fn shutdown_until(self, grace_over: impl Future<Output = ()>) -> Report {
        self.phases.draining.cancel();
        self.handlers.close();
        tokio::select! {
            biased;
            () = self.handlers.wait() => {}
            () = grace_over => {
                self.phases.abort.cancel();
                self.handlers.wait().await;
            }
        }
        self.phases.closed.cancel();
        for task in self.background {
            let _ = task.await;
        }
        self.shared.report()
    }
}

/// Task 3 · Runs a service until `signal()` fires, then shuts it down with
/// `grace`; a second `signal()` during the grace cuts it short.
pub async fn serve<S, F>(
    connections: mpsc::Receiver<Connection>,
    sink: Arc<dyn Sink>,
    mut signal: S,
    grace: Duration,
) -> Report
where
    S: FnMut() -> F + Send + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    let service = Service::start(connections, sink);
    signal().await;
    let second = signal();
    service
        .shutdown_until(async move {
            tokio::select! {
                () = tokio::time::sleep(grace) => {}
                () = second => {}
            }
        })
        .await
}

async fn accept_loop(
    mut connections: mpsc::Receiver<Connection>,
    shared: Shared,
    phases: Phases,
    handlers: TaskTracker,
) {
    loop {
        let connection = tokio::select! {
            biased;
            () = phases.draining.cancelled() => break,
            next = connections.recv() => match next {
                Some(connection) => connection,
                None => return,
            },
        };
        let slot = shared.arrived(&connection.name);
        shared.log(format!("accepted {}", connection.name));
        handlers.spawn(handle(connection, slot, shared.clone(), phases.abort.clone()));
    }
    // Draining: every connection that still comes is turned away, until
    // the shutdown is over (then the channel is dropped with this task).
    loop {
        tokio::select! {
            biased;
            () = phases.closed.cancelled() => return,
            next = connections.recv() => match next {
                Some(connection) => {
                    let slot = shared.arrived(&connection.name);
                    shared.settle(slot, Fate::Refused(shared.now()));
                    shared.log(format!("refused {}", connection.name));
                }
                None => return,
            },
        }
    }
}

async fn handle(connection: Connection, slot: usize, shared: Shared, abort: CancellationToken) {
    tokio::select! {
        biased;
        () = abort.cancelled() => shared.settle(slot, Fate::Aborted(shared.now())),
        () = connection.work => {
            shared.settle(slot, Fate::Finished(shared.now()));
            shared.log(format!("finished {}", connection.name));
        }
    }
}

async fn flusher(shared: Shared, closed: CancellationToken) {
    // `interval` ticks at once; the first flush is due one period in.
    let mut every = interval_at(Instant::now() + FLUSH_EVERY, FLUSH_EVERY);
    loop {
        tokio::select! {
            biased;
            () = closed.cancelled() => {
                shared.flush();
                return;
            }
            _ = every.tick() => shared.flush(),
        }
    }
}

async fn ticker(shared: Shared, draining: CancellationToken) {
    let mut every = interval_at(Instant::now() + HEARTBEAT_EVERY, HEARTBEAT_EVERY);
    loop {
        tokio::select! {
            biased;
            () = draining.cancelled() => return,
            _ = every.tick() => shared.sink.heartbeat(),
        }
    }
}
