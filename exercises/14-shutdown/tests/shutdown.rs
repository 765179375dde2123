//! Tests for 14-shutdown. The same file tests the stub (in exercises/) and
//! the solution (in solutions/): both build a library called `shutdown`.
//!
//! Connections arrive on a channel at fixed instants of the paused virtual
//! clock; each one's work is a job on a `checker::Timeline`, so the test
//! sees when its handler started and whether it finished or was aborted.
//! The sink records every flush and heartbeat with its instant. When a
//! check fails, the whole shutdown is drawn: the handlers (finished, or
//! aborted ✕), the flushes, the heartbeats, the refused connections and
//! the signal, expected above yours.
//!
//! No two events of these plans fall on one instant unless one causes the
//! other: arrivals, handler ends, the signals and the end of the grace
//! never fall on a flush (every 1 s) or a heartbeat (every 400 ms).

use std::future::Future;
use std::pin::pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use checker::{
    End, Fate, Limits, Marks, Span, Timeline, chart_with_marks, fail, fmt_duration, ms, sleep_until_ms,
};
use shutdown::{Connection, Refused, Report, Service, Sink, serve};
use tokio::sync::mpsc;

// ---- the world around the service ---------------------------------------

/// The sink: every flush (with its lines) and heartbeat, with its instant.
#[derive(Debug, Default)]
struct Recorder {
    flushes: Mutex<Vec<(Duration, Vec<String>)>>,
    heartbeats: Mutex<Vec<Duration>>,
}

impl Sink for Recorder {
    fn flush(&self, lines: Vec<String>) {
        self.flushes.lock().unwrap().push((checker::elapsed(), lines));
    }

    fn heartbeat(&self) {
        self.heartbeats.lock().unwrap().push(checker::elapsed());
    }
}

/// A connection of a plan: its name, when it arrives, how long its work
/// takes (`None`: it never ends by itself).
#[derive(Debug, Clone, Copy)]
struct Client {
    name: &'static str,
    at: u64,
    work: Option<u64>,
}

const fn client(name: &'static str, at: u64, work: u64) -> Client {
    Client { name, at, work: Some(work) }
}

const fn endless(name: &'static str, at: u64) -> Client {
    Client { name, at, work: None }
}

/// The plan of most tests. A 100 ms + 2 s, B 300 ms + 300 ms (ends before
/// A), C 1.3 s + 1.5 s, D 1.7 s + 2.5 s, E at 2.3 s never ends, F at 2.7 s
/// + 200 ms, G at 3.3 s + 100 ms.
const PLAN: &[Client] = &[
    client("A", 100, 2000),
    client("B", 300, 300),
    client("C", 1300, 1500),
    client("D", 1700, 2500),
    endless("E", 2300),
    client("F", 2700, 200),
    client("G", 3300, 100),
];

/// A plan whose handlers all end by 2.8 s: A ends at 2.1 s, B at 0.6 s, C
/// at 2.8 s.
const QUICK: &[Client] = &[client("A", 100, 2000), client("B", 300, 300), client("C", 1300, 1500)];

/// How long a shutdown may run before the test calls it a hang, and how
/// long the test keeps watching once it has returned.
const HANG: Duration = ms(10_000);
const QUIET: Duration = ms(3_000);

/// The connections' side: a channel, the plan, a timeline of the work.
struct World {
    tl: Timeline,
    sink: Arc<Recorder>,
    tx: mpsc::Sender<Connection>,
    plan: &'static [Client],
}

/// What the test saw.
#[derive(Debug, Default)]
struct Seen {
    /// When the call returned; `None` if it had not after [`HANG`].
    returned: Option<Duration>,
    report: Option<Report>,
    spans: Vec<Span>,
    flushes: Vec<(Duration, Vec<String>)>,
    heartbeats: Vec<Duration>,
    /// Tasks alive at the moment the call returned.
    live_after: Option<usize>,
}

impl World {
    fn new(plan: &'static [Client]) -> (World, mpsc::Receiver<Connection>) {
        let (tx, rx) = mpsc::channel(64);
        (World { tl: Timeline::new(), sink: Arc::default(), tx, plan }, rx)
    }

    fn sink(&self) -> Arc<dyn Sink> {
        self.sink.clone()
    }

    /// Sends each connection at its instant. Once the service has let go
    /// of the channel, a send fails: the connection is dropped unhandled.
    async fn feed(&self) {
        for c in self.plan {
            sleep_until_ms(c.at).await;
            let work = match c.work {
                Some(took) => self.tl.job(c.name, took, ()),
                None => self.tl.endless_job(c.name),
            };
            let _ = self.tx.send(Connection::new(c.name, work)).await;
        }
    }

    fn snapshot(&self) -> Seen {
        Seen {
            spans: self.tl.spans(),
            flushes: self.sink.flushes.lock().unwrap().clone(),
            heartbeats: self.sink.heartbeats.lock().unwrap().clone(),
            ..Seen::default()
        }
    }

    /// Awaits a call that ends in a report (a shutdown), then watches
    /// [`QUIET`] longer. A call still running after [`HANG`] is seen as it
    /// was then, before it is dropped.
    async fn watch(&self, call: impl Future<Output = Report>) -> Seen {
        let mut call = pin!(call);
        match tokio::time::timeout(HANG, &mut call).await {
            Ok(report) => {
                let returned = checker::elapsed();
                // At the very moment it returns, not a tick later: a task
                // aborted or told to stop but not yet gone is still alive.
                let live = checker::live_tasks();
                tokio::time::sleep(QUIET).await;
                Seen {
                    returned: Some(returned),
                    report: Some(report),
                    live_after: Some(live),
                    ..self.snapshot()
                }
            }
            Err(_) => self.snapshot(),
        }
    }

    /// The plan fed to a service started now and shut down with `grace` at
    /// `at_ms`.
    async fn shutdown_at(&self, rx: mpsc::Receiver<Connection>, at_ms: u64, grace: Duration) -> Seen {
        let service = Service::start(rx, self.sink());
        let call = async {
            sleep_until_ms(at_ms).await;
            self.watch(service.shutdown(grace)).await
        };
        tokio::join!(self.feed(), call).1
    }
}

/// Drops the service: how it stops its tasks then (a `DropGuard`, a `Drop`
/// impl, a channel that closes) is its own business.
#[allow(clippy::drop_non_drop)]
fn stop(service: Service) {
    drop(service);
}

/// A signal source for `serve`: the n-th call gives a future that fires
/// at the n-th instant of `at`, or never when there is none.
fn signals(at: &'static [u64]) -> impl FnMut() -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>> + Send {
    let mut calls = 0;
    move || {
        let next = at.get(calls).copied();
        calls += 1;
        Box::pin(async move {
            match next {
                Some(t) => sleep_until_ms(t).await,
                None => std::future::pending().await,
            }
        })
    }
}

// ---- what the spec asks for ---------------------------------------------

fn finished(name: &str, from: u64, to: u64) -> Span {
    Span { name: name.into(), fate: Fate { started: Some(ms(from)), ended: Some(End::Completed(ms(to))) } }
}

fn aborted(name: &str, from: u64, at: u64) -> Span {
    Span { name: name.into(), fate: Fate { started: Some(ms(from)), ended: Some(End::Cancelled(ms(at))) } }
}

fn running(name: &str, from: u64) -> Span {
    Span { name: name.into(), fate: Fate { started: Some(ms(from)), ended: None } }
}

/// Everything a scenario should show.
#[derive(Debug, Default)]
struct Want {
    /// The call, for the messages: "shutdown(1 s) at 2.5 s".
    call: String,
    /// The signal's instants (drawn on the chart).
    signals: Vec<u64>,
    /// The handlers, in arrival order.
    handlers: Vec<Span>,
    /// The connections refused, and when.
    refused: Vec<(&'static str, u64)>,
    returns_at: u64,
    /// Each flush: its instant and lines.
    flushes: Vec<(u64, Vec<&'static str>)>,
    heartbeats: Vec<u64>,
}

fn heartbeats_before(end_ms: u64) -> Vec<u64> {
    (1..).map(|n| n * 400).take_while(|&t| t < end_ms).collect()
}

fn flush(at: u64, lines: &[&'static str]) -> (u64, Vec<&'static str>) {
    (at, lines.to_vec())
}

impl Want {
    fn report(&self) -> Report {
        let end = |fate: &Fate| fate.ended;
        Report {
            finished: self
                .handlers
                .iter()
                .filter_map(|s| match end(&s.fate) {
                    Some(End::Completed(t)) => Some((s.name.clone(), t)),
                    _ => None,
                })
                .collect(),
            aborted: self
                .handlers
                .iter()
                .filter_map(|s| match end(&s.fate) {
                    Some(End::Cancelled(t)) => Some((s.name.clone(), t)),
                    _ => None,
                })
                .collect(),
            refused: self
                .refused
                .iter()
                .map(|&(name, at)| Refused { connection: name.into(), at: ms(at) })
                .collect(),
        }
    }
}

/// `shutdown(1 s)` at 2.5 s on [`PLAN`]: C finishes in the grace, D and E
/// are aborted when it ends at 3.5 s, F and G are refused.
fn main_scenario() -> Want {
    Want {
        call: "shutdown(1 s) called at 2.500 s".into(),
        signals: vec![2500],
        handlers: vec![
            finished("A", 100, 2100),
            finished("B", 300, 600),
            finished("C", 1300, 2800),
            aborted("D", 1700, 3500),
            aborted("E", 2300, 3500),
        ],
        refused: vec![("F", 2700), ("G", 3300)],
        returns_at: 3500,
        flushes: vec![
            flush(1000, &["accepted A", "accepted B", "finished B"]),
            flush(2000, &["accepted C", "accepted D"]),
            flush(3000, &["finished A", "accepted E", "refused F", "finished C"]),
            flush(3500, &["refused G"]),
        ],
        heartbeats: heartbeats_before(2500),
    }
}

async fn main_scenario_seen() -> (Want, Seen) {
    let (world, rx) = World::new(PLAN);
    let seen = world.shutdown_at(rx, 2500, ms(1000)).await;
    (main_scenario(), seen)
}

// ---- checks that draw the whole shutdown ---------------------------------

const LEGEND: &str = "a bar is a handler, from its accept to its end; ✕: aborted; …: still running when the test \
                      looked.\n▏: an instant event (a flush, a heartbeat, a refused connection, a signal).";

struct Scene<'a> {
    want: &'a Want,
    seen: &'a Seen,
    /// Where to look, for every message.
    look: &'static str,
}

fn describe(fate: Option<Fate>) -> String {
    let Some(fate) = fate.filter(|f| f.started.is_some()) else {
        return "never handled".into();
    };
    let from = fmt_duration(fate.started.unwrap_or_default());
    match fate.ended {
        Some(End::Completed(t)) => format!("handled from {from}, finished at {}", fmt_duration(t)),
        Some(End::Cancelled(t)) => format!("handled from {from}, aborted at {}", fmt_duration(t)),
        Some(End::Panicked(t)) => format!("handled from {from}, panicked at {}", fmt_duration(t)),
        None => format!("handled from {from}, still running"),
    }
}

fn instants(at: &[Duration]) -> String {
    let all: Vec<String> = at.iter().map(|t| fmt_duration(*t)).collect();
    if all.is_empty() { "none".into() } else { all.join(", ") }
}

impl Scene<'_> {
    fn new<'a>(want: &'a Want, seen: &'a Seen, look: &'static str) -> Scene<'a> {
        Scene { want, seen, look }
    }

    fn chart(&self) -> String {
        let signal = if self.want.call.starts_with("serve") { "signal" } else { "shutdown" };
        let mut want_marks = vec![
            Marks::at_ms("flush", self.want.flushes.iter().map(|f| f.0)),
            Marks::at_ms("heartbeat", self.want.heartbeats.iter().copied()),
        ];
        let mut your_marks = vec![
            Marks::new("flush", self.seen.flushes.iter().map(|f| f.0)),
            Marks::new("heartbeat", self.seen.heartbeats.iter().copied()),
        ];
        if !self.want.signals.is_empty() {
            let signals = Marks::at_ms(signal, self.want.signals.iter().copied());
            want_marks.push(signals.clone());
            your_marks.push(signals);
        }
        let your_refused: Vec<Refused> =
            self.seen.report.as_ref().map(|r| r.refused.clone()).unwrap_or_default();
        for (name, at) in &self.want.refused {
            want_marks.push(Marks::at_ms(format!("refused {name}"), [*at]));
        }
        let mut names: Vec<&str> = self.want.refused.iter().map(|r| r.0).collect();
        for name in your_refused.iter().map(|r| r.connection.as_str()) {
            if !names.contains(&name) {
                names.push(name);
            }
        }
        for name in names {
            let at = your_refused.iter().filter(|r| r.connection == name).map(|r| r.at);
            your_marks.push(Marks::new(format!("refused {name}"), at));
        }
        let yours: Vec<Span> = self
            .seen
            .spans
            .iter()
            .filter(|s| s.fate.started.is_some() || self.want.handlers.iter().any(|h| h.name == s.name))
            .cloned()
            .collect();
        chart_with_marks(&self.want.handlers, &want_marks, &yours, &your_marks)
    }

    fn fail(&self, message: String) -> ! {
        fail(format!("{message}\n{}\n\n{}{LEGEND}", self.look, self.chart()))
    }

    fn span(&self, name: &str) -> Option<Fate> {
        self.seen.spans.iter().find(|s| s.name == name).map(|s| s.fate)
    }

    /// Each handler started at its connection's arrival and ended as it
    /// should; no refused connection was handled.
    fn check_handlers(&self) {
        let mut off = Vec::new();
        let (mut late, mut unhandled, mut why) = (Vec::new(), Vec::new(), Vec::new());
        for want in &self.want.handlers {
            let yours = self.span(&want.name);
            if yours == Some(want.fate) {
                continue;
            }
            off.push(format!(
                "  {}: {} (expected: {})",
                want.name,
                describe(yours),
                describe(Some(want.fate))
            ));
            let yours = yours.unwrap_or_default();
            let name = want.name.as_str();
            match (yours.started, yours.ended, want.fate.ended) {
                (None, ..) => unhandled.push(name),
                (Some(t), ..) if Some(t) > want.fate.started => late.push(name),
                (_, Some(End::Completed(t)), Some(End::Cancelled(cut))) => why.push(format!(
                    "{name} ran to its end at {}: the grace was over at {}, and a handler still running then is \
                     aborted at that instant.",
                    fmt_duration(t),
                    fmt_duration(cut)
                )),
                (_, Some(End::Cancelled(t)), Some(End::Completed(end))) => why.push(format!(
                    "{name} was aborted at {}, though it would have finished at {}: a handler in flight gets until \
                     the grace is over to finish.",
                    fmt_duration(t),
                    fmt_duration(end)
                )),
                (_, Some(End::Cancelled(t)), Some(End::Cancelled(at))) if t > at => why.push(format!(
                    "{name} was aborted at {}, {} after the grace was over.",
                    fmt_duration(t),
                    fmt_duration(t - at)
                )),
                (_, Some(End::Cancelled(t)), Some(End::Cancelled(at))) => why.push(format!(
                    "{name} was aborted at {}, before the grace was over at {}: a handler in flight gets the \
                     whole grace.",
                    fmt_duration(t),
                    fmt_duration(at)
                )),
                (_, None, Some(End::Cancelled(at))) => why.push(format!(
                    "{name} was still running when the test looked: it should have been aborted at {}.",
                    fmt_duration(at)
                )),
                _ => {}
            }
        }
        if !late.is_empty() {
            why.insert(
                0,
                format!(
                    "{} started only after their arrival: each connection's handler should be a task of its own, \
                     spawned the instant the connection is accepted (does the accept loop await each handler?).",
                    late.join(", ")
                ),
            );
        }
        if !unhandled.is_empty() {
            why.push(format!(
                "{} arrived and were never handled: does the accept loop take each connection as it comes?",
                unhandled.join(", ")
            ));
        }
        for c in PLAN.iter().filter(|c| self.want.refused.iter().any(|r| r.0 == c.name)) {
            if let Some(t) = self.span(c.name).and_then(|f| f.started) {
                off.push(format!(
                    "  {}: {} (expected: refused, never handled)",
                    c.name,
                    describe(self.span(c.name))
                ));
                why.push(format!(
                    "{} arrived at {}, after the shutdown began: it should be refused, and its work never run \
                     (it started at {}).",
                    c.name,
                    fmt_duration(ms(c.at)),
                    fmt_duration(t)
                ));
            }
        }
        if !off.is_empty() {
            self.fail(format!(
                "{}: the handlers did not run as they should.\n{}\n{}",
                self.want.call,
                off.join("\n"),
                why.join("\n")
            ));
        }
    }

    fn returned(&self) -> Duration {
        self.seen.returned.unwrap_or_else(|| {
            self.fail(format!(
                "{}: it never returned; it was still running {} after it was called.\n\
                 once the grace is over, the handlers left are aborted and the shutdown ends: does something \
                 wait for a task that never ends?",
                self.want.call,
                fmt_duration(HANG)
            ))
        })
    }

    fn check_returned(&self, late: &str, early: &str) {
        let (returned, want) = (self.returned(), ms(self.want.returns_at));
        if returned != want {
            let (by, advice) =
                if returned > want { (returned - want, late) } else { (want - returned, early) };
            self.fail(format!(
                "{}: it returned at {}; it should return at exactly {}.\nit returned {} {}: {advice}",
                self.want.call,
                fmt_duration(returned),
                fmt_duration(want),
                fmt_duration(by),
                if returned > want { "late" } else { "early" },
            ));
        }
    }

    fn check_report(&self) {
        self.returned();
        let yours = self.seen.report.clone().unwrap_or_default();
        let want = self.want.report();
        if yours == want {
            return;
        }
        let sorted = |mut v: Vec<(String, Duration)>| {
            v.sort();
            v
        };
        let mut lines = vec![format!("{}: the report is not the one asked for.", self.want.call)];
        for (field, y, w) in
            [("finished", &yours.finished, &want.finished), ("aborted", &yours.aborted, &want.aborted)]
        {
            if y != w {
                lines.push(format!("  {field}: {y:?}\n  expected: {w:?}"));
                if sorted(y.clone()) == sorted(w.clone()) {
                    lines.push(format!(
                        "  the same entries in another order: list them in the order the connections arrived \
                         ({field} in arrival order)."
                    ));
                }
            }
        }
        if yours.refused != want.refused {
            lines.push(format!("  refused: {:?}\n  expected: {:?}", yours.refused, want.refused));
        }
        self.fail(lines.join("\n"));
    }

    fn check_flushes(&self) {
        let want: Vec<(Duration, Vec<String>)> = self
            .want
            .flushes
            .iter()
            .map(|(t, lines)| (ms(*t), lines.iter().map(|l| l.to_string()).collect()))
            .collect();
        let yours = &self.seen.flushes;
        if *yours == want {
            return;
        }
        let mut lines = vec![format!("{}: the log was not flushed as it should be.", self.want.call)];
        let written: Vec<&String> = yours.iter().flat_map(|f| &f.1).collect();
        let lost: Vec<&String> = want.iter().flat_map(|f| &f.1).filter(|l| !written.contains(l)).collect();
        if !lost.is_empty() {
            let lost: Vec<&str> = lost.iter().map(|l| l.as_str()).collect();
            lines.push(format!("lines LOST, logged but never flushed: {lost:?}."));
        }
        let (at_yours, at_want): (Vec<Duration>, Vec<Duration>) =
            (yours.iter().map(|f| f.0).collect(), want.iter().map(|f| f.0).collect());
        if at_yours != at_want {
            lines.push(format!(
                "your flushes were at {}; expected at {}.",
                instants(&at_yours),
                instants(&at_want)
            ));
            if at_yours.first() == Some(&Duration::ZERO) {
                lines.push(
                    "a flush at 0 s: tokio's `interval` completes its first tick at once; the first flush is \
                     due one period in (`interval_at(start + period, period)`)."
                        .into(),
                );
            }
            if let (Some(last), Some(want_last)) = (at_yours.last(), at_want.last())
                && last < want_last
            {
                lines.push(format!(
                    "no flush after {}: the last flush comes once the last handler is gone, as the shutdown ends.",
                    fmt_duration(*last)
                ));
            }
        } else if let Some(((t, y), (_, w))) = yours.iter().zip(&want).find(|(y, w)| y != w) {
            lines.push(format!("the flush at {} wrote {y:?}; it should write {w:?}.", fmt_duration(*t)));
        }
        self.fail(lines.join("\n"));
    }

    fn check_heartbeats(&self) {
        let want: Vec<Duration> = self.want.heartbeats.iter().map(|t| ms(*t)).collect();
        let yours = &self.seen.heartbeats;
        if *yours == want {
            return;
        }
        let mut message = format!(
            "{}: the health ticker beat at {}; it should beat every 400 ms from 0.400 s until the shutdown \
             begins: at {}.",
            self.want.call,
            instants(yours),
            instants(&want)
        );
        if let Some(&begins) = self.want.signals.first()
            && let Some(late) = yours.iter().find(|t| **t > ms(begins))
        {
            message.push_str(&format!(
                "\nit still beat at {}, after the shutdown began at {}: a service that is draining is no longer \
                 healthy; stop the ticker when the shutdown begins.",
                fmt_duration(*late),
                fmt_duration(ms(begins))
            ));
        }
        if yours.first() == Some(&Duration::ZERO) {
            message.push_str("\na beat at 0 s: `interval`'s first tick completes at once.");
        }
        self.fail(message);
    }

    /// Nothing of the service runs once the call has returned.
    fn check_quiet(&self) {
        let returned = self.returned();
        let flushes: Vec<Duration> =
            self.seen.flushes.iter().map(|f| f.0).filter(|t| *t > returned).collect();
        let beats: Vec<Duration> = self.seen.heartbeats.iter().copied().filter(|t| *t > returned).collect();
        if !flushes.is_empty() || !beats.is_empty() {
            self.fail(format!(
                "{}: it returned at {}, but the service went on: flushes at {}, heartbeats at {}.\n\
                 when the shutdown returns, the flusher and the ticker must have stopped.",
                self.want.call,
                fmt_duration(returned),
                instants(&flushes),
                instants(&beats)
            ));
        }
        let live = self.seen.live_after.unwrap_or_default();
        if live != 0 {
            self.fail(format!(
                "{}: {live} task(s) still alive at the moment it returned; there should be none.\n\
                 a task you spawn runs on until it ends or is aborted, and an aborted one is gone only once \
                 the runtime has dropped it: every task of the service (accept loop, handlers, flusher, \
                 ticker) must be gone when the shutdown returns. wait for them (TaskTracker::wait, or their \
                 JoinHandles) before returning.",
                self.want.call
            ));
        }
    }
}

// ---- task 1: start --------------------------------------------------------

/// [`PLAN`] with no shutdown, watched until 6.5 s.
fn started_scenario() -> Want {
    Want {
        call: "Service::start, no shutdown, watched until 6.500 s".into(),
        handlers: vec![
            finished("A", 100, 2100),
            finished("B", 300, 600),
            finished("C", 1300, 2800),
            finished("D", 1700, 4200),
            running("E", 2300),
            finished("F", 2700, 2900),
            finished("G", 3300, 3400),
        ],
        flushes: vec![
            flush(1000, &["accepted A", "accepted B", "finished B"]),
            flush(2000, &["accepted C", "accepted D"]),
            flush(3000, &["finished A", "accepted E", "accepted F", "finished C", "finished F"]),
            flush(4000, &["accepted G", "finished G"]),
            flush(5000, &["finished D"]),
            flush(6000, &[]),
        ],
        heartbeats: heartbeats_before(6500),
        ..Want::default()
    }
}

/// Runs [`PLAN`] on a started service until 6.5 s; `probe` runs beside it.
async fn started_seen(probe: impl Future<Output = ()>) -> (Want, Seen) {
    let (world, rx) = World::new(PLAN);
    let service = Service::start(rx, world.sink());
    tokio::join!(world.feed(), probe, sleep_until_ms(6500));
    let seen = world.snapshot();
    stop(service);
    (started_scenario(), seen)
}

const LOOK_START: &str = "look at `Service::start` in src/lib.rs.";

#[test]
fn start_accepts_each_connection_at_its_arrival_and_handles_them_at_once() {
    checker::run(async {
        let (want, seen) = started_seen(async {}).await;
        Scene::new(&want, &seen, LOOK_START).check_handlers();
    });
}

#[test]
fn start_runs_each_handler_as_a_task_of_its_own() {
    checker::run(async {
        let counts = Mutex::new(Vec::new());
        let probe = async {
            for at in [50, 650, 1800, 2900] {
                sleep_until_ms(at).await;
                let live = checker::settled_live_tasks().await;
                counts.lock().unwrap().push(live);
            }
        };
        let (want, seen) = started_seen(probe).await;
        let counts = counts.into_inner().unwrap();
        let base = counts[0];
        // In flight: at 0.65 s A; at 1.8 s A, C, D; at 2.9 s D, E.
        let want_counts = vec![base, base + 1, base + 3, base + 2];
        if counts != want_counts {
            Scene::new(&want, &seen, LOOK_START).fail(format!(
                "Service::start: the runtime counted {counts:?} live tasks at 0.05, 0.65, 1.8 and 2.9 s; with \
                 {base} before any connection came, it should count {want_counts:?}: one more task per handler \
                 in flight (1 at 0.65 s, 3 at 1.8 s, 2 at 2.9 s).\n\
                 each connection is handled by a task of its own (on the handlers' TaskTracker), which ends \
                 with its handler."
            ));
        }
    });
}

#[test]
fn start_flushes_the_log_every_second() {
    checker::run(async {
        let (want, seen) = started_seen(async {}).await;
        Scene::new(&want, &seen, LOOK_START).check_flushes();
    });
}

#[test]
fn start_beats_every_400_ms() {
    checker::run(async {
        let (want, seen) = started_seen(async {}).await;
        Scene::new(&want, &seen, LOOK_START).check_heartbeats();
    });
}

#[test]
fn start_then_drop_stops_every_task_at_that_instant() {
    checker::run(async {
        let (world, rx) = World::new(PLAN);
        let service = Service::start(rx, world.sink());
        let dropper = async {
            sleep_until_ms(1800).await;
            stop(service);
            checker::settled_live_tasks().await
        };
        let ((), live, ()) = tokio::join!(world.feed(), dropper, sleep_until_ms(6500));
        let seen = world.snapshot();
        let want = Want {
            call: "Service::start, dropped at 1.800 s".into(),
            handlers: vec![
                aborted("A", 100, 1800),
                finished("B", 300, 600),
                aborted("C", 1300, 1800),
                aborted("D", 1700, 1800),
            ],
            flushes: vec![flush(1000, &["accepted A", "accepted B", "finished B"])],
            heartbeats: heartbeats_before(1800),
            ..Want::default()
        };
        let scene = Scene::new(
            &want,
            &seen,
            "dropping the Service must stop all of it (a DropGuard of the root CancellationToken does): look at \
             `Service::start` in src/lib.rs.",
        );
        scene.check_handlers();
        if let Some(c) =
            PLAN.iter().find(|c| c.at > 1800 && scene.span(c.name).is_some_and(|f| f.started.is_some()))
        {
            scene.fail(format!(
                "Service::start, dropped at 1.800 s: {} arrived at {} and was handled; a dropped service accepts \
                 nothing more.",
                c.name,
                fmt_duration(ms(c.at))
            ));
        }
        let late_flush: Vec<Duration> = seen.flushes.iter().map(|f| f.0).filter(|t| *t > ms(1800)).collect();
        let late_beat: Vec<Duration> = seen.heartbeats.iter().copied().filter(|t| *t > ms(1800)).collect();
        if !late_flush.is_empty() || !late_beat.is_empty() {
            scene.fail(format!(
                "Service::start, dropped at 1.800 s: the service went on after it was dropped: flushes at {}, \
                 heartbeats at {}.",
                instants(&late_flush),
                instants(&late_beat)
            ));
        }
        if live != 0 {
            scene.fail(format!(
                "Service::start, dropped at 1.800 s: {live} task(s) still alive right after the drop; there should \
                 be none."
            ));
        }
    });
}

// ---- task 2: shutdown ----------------------------------------------------

const LOOK_SHUTDOWN: &str = "look at `Service::shutdown` in src/lib.rs.";

#[test]
fn shutdown_lets_handlers_finish_in_the_grace_and_aborts_the_rest_when_it_ends() {
    checker::run_with(Limits::one_minute(), async {
        let (want, seen) = main_scenario_seen().await;
        let scene = Scene::new(&want, &seen, LOOK_SHUTDOWN);
        scene.check_handlers();
        scene.check_returned(
            "the handlers still running when the grace is over are aborted then, and the shutdown ends.",
            "the handlers in flight get the whole grace to finish.",
        );
    });
}

#[test]
fn shutdown_refuses_the_connections_that_arrive_after_it_began() {
    checker::run_with(Limits::one_minute(), async {
        let (want, seen) = main_scenario_seen().await;
        let scene = Scene::new(&want, &seen, LOOK_SHUTDOWN);
        scene.check_handlers();
        scene.returned();
        let yours = seen.report.as_ref().map(|r| r.refused.clone()).unwrap_or_default();
        if yours != want.report().refused {
            scene.fail(format!(
                "{}: F arrived at 2.700 s and G at 3.300 s, during the grace: each should be refused at its \
                 arrival and listed in the report's `refused`.\n  yours:    {yours:?}\n  expected: {:?}\n\
                 keep reading the channel while the shutdown lasts, and turn each connection away as it comes.",
                want.call,
                want.report().refused
            ));
        }
    });
}

#[test]
fn shutdown_reports_each_connection_in_arrival_order() {
    checker::run_with(Limits::one_minute(), async {
        let (want, seen) = main_scenario_seen().await;
        Scene::new(&want, &seen, LOOK_SHUTDOWN).check_report();
    });
}

#[test]
fn shutdown_flushes_every_logged_line_one_last_time() {
    checker::run_with(Limits::one_minute(), async {
        let (want, seen) = main_scenario_seen().await;
        Scene::new(&want, &seen, LOOK_SHUTDOWN).check_flushes();
    });
}

#[test]
fn shutdown_stops_the_ticker_when_it_begins() {
    checker::run_with(Limits::one_minute(), async {
        let (want, seen) = main_scenario_seen().await;
        Scene::new(&want, &seen, LOOK_SHUTDOWN).check_heartbeats();
    });
}

#[test]
fn shutdown_leaves_nothing_running() {
    checker::run_with(Limits::one_minute(), async {
        let (want, seen) = main_scenario_seen().await;
        Scene::new(&want, &seen, LOOK_SHUTDOWN).check_quiet();
    });
}

/// [`QUICK`] shut down with `grace` at 2.5 s: C finishes at 2.8 s, in
/// the grace, and the shutdown ends then.
fn quick_scenario(call: &str) -> Want {
    Want {
        call: call.into(),
        signals: vec![2500],
        handlers: vec![finished("A", 100, 2100), finished("B", 300, 600), finished("C", 1300, 2800)],
        returns_at: 2800,
        flushes: vec![
            flush(1000, &["accepted A", "accepted B", "finished B"]),
            flush(2000, &["accepted C"]),
            flush(2800, &["finished A", "finished C"]),
        ],
        heartbeats: heartbeats_before(2500),
        ..Want::default()
    }
}

#[test]
fn shutdown_returns_the_instant_the_last_handler_finishes() {
    checker::run_with(Limits::one_minute(), async {
        let (world, rx) = World::new(QUICK);
        let seen = world.shutdown_at(rx, 2500, ms(1000)).await;
        let want = quick_scenario("shutdown(1 s) called at 2.500 s, the last handler ending at 2.800 s");
        let scene = Scene::new(&want, &seen, LOOK_SHUTDOWN);
        scene.check_handlers();
        scene.check_returned(
            "the grace is a limit, not a wait: once the last handler has finished, the shutdown ends.",
            "it should wait for C, in flight until 2.8 s.",
        );
        scene.check_flushes();
        scene.check_report();
        scene.check_quiet();
    });
}

#[test]
fn shutdown_with_nothing_in_flight_ends_at_once() {
    checker::run_with(Limits::one_minute(), async {
        const IDLE: &[Client] = &[client("B", 300, 300), client("H", 2200, 100)];
        let (world, rx) = World::new(IDLE);
        let seen = world.shutdown_at(rx, 2500, ms(1000)).await;
        let want = Want {
            call: "shutdown(1 s) called at 2.500 s, no handler in flight".into(),
            signals: vec![2500],
            handlers: vec![finished("B", 300, 600), finished("H", 2200, 2300)],
            returns_at: 2500,
            flushes: vec![
                flush(1000, &["accepted B", "finished B"]),
                flush(2000, &[]),
                flush(2500, &["accepted H", "finished H"]),
            ],
            heartbeats: heartbeats_before(2500),
            ..Want::default()
        };
        let scene = Scene::new(&want, &seen, LOOK_SHUTDOWN);
        scene.check_returned("no handler was in flight: there is nothing to wait for.", "");
        scene.check_flushes();
        scene.check_quiet();
    });
}

#[test]
fn shutdown_with_no_grace_aborts_every_handler_at_once() {
    checker::run_with(Limits::one_minute(), async {
        let (world, rx) = World::new(PLAN);
        let seen = world.shutdown_at(rx, 2500, Duration::ZERO).await;
        let want = Want {
            call: "shutdown(0 s) called at 2.500 s".into(),
            signals: vec![2500],
            handlers: vec![
                finished("A", 100, 2100),
                finished("B", 300, 600),
                aborted("C", 1300, 2500),
                aborted("D", 1700, 2500),
                aborted("E", 2300, 2500),
            ],
            returns_at: 2500,
            flushes: vec![
                flush(1000, &["accepted A", "accepted B", "finished B"]),
                flush(2000, &["accepted C", "accepted D"]),
                flush(2500, &["finished A", "accepted E"]),
            ],
            heartbeats: heartbeats_before(2500),
            ..Want::default()
        };
        let scene = Scene::new(&want, &seen, LOOK_SHUTDOWN);
        scene.check_handlers();
        scene.check_returned("a grace of 0 s is over at once.", "");
        scene.check_report();
        scene.check_flushes();
        scene.check_quiet();
    });
}

#[test]
fn shutdown_with_an_endless_grace_waits_for_the_last_handler() {
    checker::run_with(Limits::one_minute(), async {
        let (world, rx) = World::new(QUICK);
        let service = Service::start(rx, world.sink());
        let call = async {
            sleep_until_ms(2500).await;
            let shutdown =
                checker::without_panic(service.shutdown(Duration::MAX), "shutdown(Duration::MAX)", |_| {
                    "a grace of Duration::MAX means \"wait as long as it takes\": `Instant::now() + grace` \
                     overflows there; `tokio::time::sleep(grace)` or `timeout(grace, ..)` does not."
                        .into()
                });
            world.watch(shutdown).await
        };
        let seen = tokio::join!(world.feed(), call).1;
        let want = quick_scenario("shutdown(Duration::MAX) called at 2.500 s");
        let scene = Scene::new(&want, &seen, LOOK_SHUTDOWN);
        scene.check_handlers();
        scene.check_returned("", "it should wait for C, in flight until 2.8 s.");
        scene.check_report();
    });
}

// ---- task 3: serve -------------------------------------------------------

const LOOK_SERVE: &str = "look at `serve` in src/lib.rs.";

async fn serve_seen(plan: &'static [Client], at: &'static [u64], grace: Duration) -> Seen {
    let (world, rx) = World::new(plan);
    let call = world.watch(serve(rx, world.sink(), signals(at), grace));
    tokio::join!(world.feed(), call).1
}

#[test]
fn serve_begins_the_shutdown_at_the_first_signal() {
    checker::run_with(Limits::one_minute(), async {
        let seen = serve_seen(PLAN, &[2500], ms(1000)).await;
        let want = Want { call: "serve(grace 1 s), a signal at 2.500 s".into(), ..main_scenario() };
        let scene = Scene::new(&want, &seen, LOOK_SERVE);
        scene.check_handlers();
        scene.check_returned(
            "the handlers still running when the grace is over are aborted then, and serve returns.",
            "the shutdown begins at the signal, and lasts until the grace is over or every handler is done.",
        );
        scene.check_report();
        scene.check_flushes();
        scene.check_heartbeats();
        scene.check_quiet();
    });
}

#[test]
fn serve_second_signal_cuts_the_grace_short() {
    checker::run_with(Limits::one_minute(), async {
        let seen = serve_seen(PLAN, &[2500, 3100], ms(1000)).await;
        let want = Want {
            call: "serve(grace 1 s), signals at 2.500 s and 3.100 s".into(),
            signals: vec![2500, 3100],
            handlers: vec![
                finished("A", 100, 2100),
                finished("B", 300, 600),
                finished("C", 1300, 2800),
                aborted("D", 1700, 3100),
                aborted("E", 2300, 3100),
            ],
            refused: vec![("F", 2700)],
            returns_at: 3100,
            flushes: vec![
                flush(1000, &["accepted A", "accepted B", "finished B"]),
                flush(2000, &["accepted C", "accepted D"]),
                flush(3000, &["finished A", "accepted E", "refused F", "finished C"]),
                flush(3100, &[]),
            ],
            heartbeats: heartbeats_before(2500),
        };
        let scene = Scene::new(&want, &seen, LOOK_SERVE);
        scene.check_handlers();
        scene.check_returned(
            "the second signal ends the grace at once: listen for it while the handlers drain.",
            "",
        );
        scene.check_report();
        scene.check_flushes();
        scene.check_quiet();
    });
}

#[test]
fn serve_does_not_wait_for_a_second_signal() {
    checker::run_with(Limits::one_minute(), async {
        let seen = serve_seen(QUICK, &[2500, 9000], ms(1000)).await;
        let want = quick_scenario(
            "serve(grace 1 s), signals at 2.500 s and 9.000 s, the last handler ending at 2.800 s",
        );
        let scene = Scene::new(&want, &seen, LOOK_SERVE);
        scene.check_handlers();
        scene.check_returned(
            "once every handler is done the shutdown is over: a second signal only cuts the grace short, \
             nothing waits for it.",
            "",
        );
        scene.check_report();
        scene.check_quiet();
    });
}
