//! alternative: an actor — one task owns the whole service (a JoinSet of handlers, both intervals, the log) and a command channel; no tokens, no tracker

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::{Instant, interval_at};

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

type GraceOver = Pin<Box<dyn Future<Output = ()> + Send>>;

/// The one thing the service can be told: shut down, with this end for the
/// grace, and send the report back.
struct Shutdown {
    grace_over: GraceOver,
    reply: oneshot::Sender<Report>,
}

/// A running service: a handle on its actor. Dropping it drops the command
/// channel; the actor sees that and returns, and its `JoinSet` aborts every
/// handler as it goes.
#[derive(Debug)]
pub struct Service {
    commands: mpsc::Sender<ShutdownCommand>,
    actor: JoinHandle<()>,
}

/// `Shutdown`, with a Debug for `Service`'s derive.
struct ShutdownCommand(Shutdown);

impl fmt::Debug for ShutdownCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Shutdown")
    }
}

impl Service {
    /// Task 1.
    pub fn start(connections: mpsc::Receiver<Connection>, sink: Arc<dyn Sink>) -> Service {
        let (commands, inbox) = mpsc::channel(1);
        let actor = tokio::spawn(Actor::new(sink).run(connections, inbox));
        Service { commands, actor }
    }

    /// Task 2.
    pub async fn shutdown(self, grace: Duration) -> Report {
        self.shutdown_until(Box::pin(tokio::time::sleep(grace))).await
    }

    async fn shutdown_until(self, grace_over: GraceOver) -> Report {
        let (reply, report) = oneshot::channel();
        let sent = self.commands.send(ShutdownCommand(Shutdown { grace_over, reply })).await;
        assert!(sent.is_ok(), "the actor runs until it is told to stop");
        let report = report.await.expect("the actor replies before it returns");
        let _ = self.actor.await;
        report
    }
}

/// Task 3.
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
        .shutdown_until(Box::pin(async move {
            tokio::select! {
                () = tokio::time::sleep(grace) => {}
                () = second => {}
            }
        }))
        .await
}

enum Fate {
    InFlight,
    Finished(Duration),
    Aborted(Duration),
    Refused(Duration),
}

struct Actor {
    started: Instant,
    sink: Arc<dyn Sink>,
    lines: Vec<String>,
    connections: Vec<(String, Fate)>,
    handlers: JoinSet<usize>,
}

impl Actor {
    fn new(sink: Arc<dyn Sink>) -> Actor {
        Actor {
            started: Instant::now(),
            sink,
            lines: Vec::new(),
            connections: Vec::new(),
            handlers: JoinSet::new(),
        }
    }

    fn now(&self) -> Duration {
        self.started.elapsed()
    }

    fn flush(&mut self) {
        self.sink.flush(std::mem::take(&mut self.lines));
    }

    fn accept(&mut self, connection: Connection) {
        let slot = self.connections.len();
        self.lines.push(format!("accepted {}", connection.name));
        self.connections.push((connection.name, Fate::InFlight));
        let work = connection.work;
        self.handlers.spawn(async move {
            work.await;
            slot
        });
    }

    fn refuse(&mut self, connection: Connection) {
        self.lines.push(format!("refused {}", connection.name));
        let at = self.now();
        self.connections.push((connection.name, Fate::Refused(at)));
    }

    fn finished(&mut self, joined: Result<usize, tokio::task::JoinError>) {
        if let Ok(slot) = joined {
            let at = self.now();
            let (name, fate) = &mut self.connections[slot];
            *fate = Fate::Finished(at);
            self.lines.push(format!("finished {name}"));
        }
    }

    async fn run(
        mut self,
        mut connections: mpsc::Receiver<Connection>,
        mut inbox: mpsc::Receiver<ShutdownCommand>,
    ) {
        let mut flush = interval_at(self.started + FLUSH_EVERY, FLUSH_EVERY);
        let mut beat = interval_at(self.started + HEARTBEAT_EVERY, HEARTBEAT_EVERY);
        let mut open = true;
        let Shutdown { mut grace_over, reply } = loop {
            tokio::select! {
                biased;
                command = inbox.recv() => match command {
                    Some(ShutdownCommand(shutdown)) => break shutdown,
                    // The Service was dropped: stop here; the JoinSet goes too.
                    None => return,
                },
                Some(joined) = self.handlers.join_next() => self.finished(joined),
                next = connections.recv(), if open => match next {
                    Some(connection) => self.accept(connection),
                    None => open = false,
                },
                _ = flush.tick() => self.flush(),
                _ = beat.tick() => self.sink.heartbeat(),
            }
        };
        while !self.handlers.is_empty() {
            tokio::select! {
                biased;
                Some(joined) = self.handlers.join_next() => self.finished(joined),
                () = &mut grace_over => {
                    self.handlers.abort_all();
                    while self.handlers.join_next().await.is_some() {}
                    let at = self.now();
                    for (_, fate) in &mut self.connections {
                        if matches!(fate, Fate::InFlight) {
                            *fate = Fate::Aborted(at);
                        }
                    }
                }
                next = connections.recv(), if open => match next {
                    Some(connection) => self.refuse(connection),
                    None => open = false,
                },
                _ = flush.tick() => self.flush(),
            }
        }
        self.flush();
        let mut report = Report::default();
        for (name, fate) in self.connections {
            match fate {
                Fate::Finished(at) => report.finished.push((name, at)),
                Fate::Aborted(at) => report.aborted.push((name, at)),
                Fate::Refused(at) => report.refused.push(Refused { connection: name, at }),
                Fate::InFlight => {}
            }
        }
        let _ = reply.send(report);
    }
}
