//! Tests for 13-context. The same file tests the stub (in exercises/) and
//! the solution (in solutions/): both build a library called `context`.
//!
//! Every request sleeps on the paused virtual clock, so each logged line
//! and each event has an exact instant, pinned with `==`. Several requests
//! log *at the same instants* on purpose: the order in which simultaneous
//! timers fire is not pinned (no check depends on it), but whichever order
//! it is, a request id kept anywhere but in the task's own context (a
//! `static`, a `thread_local!`) is seen by the wrong request.
//!
//! Events are captured by a `tracing-subscriber` layer of this file
//! ([`Capture`]): for each event, its message, its virtual instant and the
//! spans it was recorded in, outermost first, as `request{id=7}`. Test
//! names start with the task they check.

// Requests here return their children's `JoinHandle`s on purpose: the child
// must outlive the request that spawned it, and is awaited afterwards.
#![allow(clippy::async_yields_async)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use checker::{
    Timeline, assert_returned_at, assert_schedule, catch_panic, check_eq, done, fail, fmt_duration, ms,
};
use context::{Line, Log, RequestId, current_request_id, spawn_in_context, traced_request, with_request_id};
use tracing::Instrument;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

// ---- the log: what each line should carry ---------------------------------

/// One line as a test expects it: its text, its instant, its request.
type Want = (&'static str, u64, Option<RequestId>);

fn show_request(request: Option<RequestId>) -> String {
    match request {
        Some(id) => format!("request {id}"),
        None => "no request".to_string(),
    }
}

/// Checks that each expected line was logged exactly once, at its instant,
/// under its request. Lines are matched by text: the order of lines logged
/// at one instant is not pinned, and lines the test did not ask for are
/// not looked at. `what` names the situation, `advice` says where to look
/// when a line carries the wrong request.
fn check_lines(log: &Log, expected: &[Want], what: &str, advice: &str) {
    let lines = log.lines();
    let mut wrong = Vec::new();
    for &(text, at_ms, request) in expected {
        let found: Vec<&Line> = lines.iter().filter(|l| l.text == text).collect();
        match found.as_slice() {
            [] => wrong.push(format!(
                "  \"{text}\" was never logged (it should be, at {})",
                fmt_duration(ms(at_ms))
            )),
            [line] => {
                if line.request != request {
                    wrong.push(format!(
                        "  \"{text}\" at {} was logged under {}; it belongs to {}",
                        fmt_duration(line.at),
                        show_request(line.request),
                        show_request(request)
                    ));
                } else if line.at != ms(at_ms) {
                    wrong.push(format!(
                        "  \"{text}\" was logged at {}; it should be at exactly {}",
                        fmt_duration(line.at),
                        fmt_duration(ms(at_ms))
                    ));
                }
            }
            _ => wrong.push(format!("  \"{text}\" was logged {} times; once is right", found.len())),
        }
    }
    if wrong.is_empty() {
        return;
    }
    let all: Vec<String> = lines.iter().map(|l| format!("  {l}")).collect();
    fail(format!(
        "{what}: {} of the {} lines are wrong.\n{}\nyour log:\n{}\n{advice}",
        wrong.len(),
        expected.len(),
        wrong.join("\n"),
        all.join("\n")
    ))
}

/// What a line under the wrong request in interleaved requests means.
const MIXED: &str = "each request must see its own id, whatever the others do meanwhile. a `static` or a \
     `thread_local!` holds one value for every task on the thread: the request that set it last wins, and \
     between two awaits any other request may have run. keep the id in a `tokio::task_local!` and run the \
     future inside its scope (`REQUEST_ID.scope(id, fut)`): look at `with_request_id` in src/lib.rs.";

// ---- the capture layer: every event with its spans -------------------------

/// One event as the capture layer saw it.
#[derive(Debug, Clone)]
struct Seen {
    /// Its message (`tracing::info!("A start")` gives `A start`).
    text: String,
    /// Virtual time since the test began.
    at: Duration,
    /// The spans it was recorded in, outermost first: `["request{id=7}"]`.
    spans: Vec<String>,
    /// The outermost of them by its serial number (the order spans were
    /// made in): two events in the same span have the same one; two look-
    /// alike spans do not.
    root: Option<u64>,
}

/// The fields of a span or an event, as text: `id=7`, and the message.
#[derive(Default)]
struct Fields {
    message: Option<String>,
    pairs: Vec<String>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = Some(value.to_string());
        } else {
            self.pairs.push(format!("{}={value}", field.name()));
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.message = Some(format!("{value:?}"));
        } else {
            self.pairs.push(format!("{}={value:?}", field.name()));
        }
    }
}

/// A span's name and fields, kept in its extensions: `request{id=7}`.
struct SpanText {
    name: &'static str,
    pairs: Vec<String>,
    serial: u64,
}

impl SpanText {
    fn show(&self) -> String {
        format!("{}{{{}}}", self.name, self.pairs.join(","))
    }
}

/// The capture layer: every event, with its instant and its spans.
#[derive(Clone, Default)]
struct Capture {
    seen: Arc<Mutex<Vec<Seen>>>,
    spans_made: Arc<std::sync::atomic::AtomicU64>,
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Capture {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        if let Some(span) = ctx.span(id) {
            let serial = self.spans_made.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            span.extensions_mut().insert(SpanText {
                name: attrs.metadata().name(),
                pairs: fields.pairs,
                serial,
            });
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        values.record(&mut fields);
        if let Some(span) = ctx.span(id)
            && let Some(text) = span.extensions_mut().get_mut::<SpanText>()
        {
            text.pairs.extend(fields.pairs);
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let spans = ctx
            .event_scope(event)
            .map(|scope| {
                scope
                    .from_root()
                    .map(|span| {
                        span.extensions().get::<SpanText>().map_or_else(|| span.name().into(), SpanText::show)
                    })
                    .collect()
            })
            .unwrap_or_default();
        let root = ctx
            .event_scope(event)
            .and_then(|scope| scope.from_root().next())
            .and_then(|span| span.extensions().get::<SpanText>().map(|t| t.serial));
        let seen = Seen { text: fields.message.unwrap_or_default(), at: checker::elapsed(), spans, root };
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).push(seen);
    }
}

impl Capture {
    /// Captures every event of this thread (the test's runtime runs all its
    /// tasks here) until the guard is dropped.
    fn start() -> (Capture, tracing::subscriber::DefaultGuard) {
        let capture = Capture::default();
        let subscriber = tracing_subscriber::registry().with(capture.clone());
        (capture, tracing::subscriber::set_default(subscriber))
    }

    fn events(&self) -> Vec<Seen> {
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// One event as a test expects it: its message, its instant, its spans.
type WantEvent = (&'static str, u64, &'static [&'static str]);

fn show_spans(spans: &[String]) -> String {
    if spans.is_empty() { "no span".to_string() } else { spans.join(" > ") }
}

/// Checks that each expected event was recorded exactly once, at its
/// instant, in exactly its spans (outermost first). Matched by message,
/// as [`check_lines`] does.
fn check_events(capture: &Capture, expected: &[WantEvent], what: &str, advice: &str) {
    let events = capture.events();
    let mut wrong = Vec::new();
    for &(text, at_ms, spans) in expected {
        let want: Vec<String> = spans.iter().map(|s| s.to_string()).collect();
        let found: Vec<&Seen> = events.iter().filter(|e| e.text == text).collect();
        match found.as_slice() {
            [] => wrong.push(format!(
                "  event \"{text}\" was never recorded (it should be, at {})",
                fmt_duration(ms(at_ms))
            )),
            [event] => {
                if event.spans != want {
                    wrong.push(format!(
                        "  event \"{text}\" at {} was in {}; it should be in {}",
                        fmt_duration(event.at),
                        show_spans(&event.spans),
                        show_spans(&want)
                    ));
                } else if event.at != ms(at_ms) {
                    wrong.push(format!(
                        "  event \"{text}\" was recorded at {}; it should be at exactly {}",
                        fmt_duration(event.at),
                        fmt_duration(ms(at_ms))
                    ));
                }
            }
            _ => wrong.push(format!("  event \"{text}\" was recorded {} times; once is right", found.len())),
        }
    }
    if wrong.is_empty() {
        return;
    }
    let all: Vec<String> = events
        .iter()
        .map(|e| format!("  {:>9}  {:<16} in {}", fmt_duration(e.at), e.text, show_spans(&e.spans)))
        .collect();
    fail(format!(
        "{what}: {} of the {} events are wrong.\n{}\nthe events, as recorded:\n{}\n{advice}",
        wrong.len(),
        expected.len(),
        wrong.join("\n"),
        all.join("\n")
    ))
}

/// What an event outside its request span, or in another's, means.
const ENTERED: &str = "a span must be current exactly while its request's future is being polled. \
     `let _guard = span.enter();` held across an `.await` leaves the span entered while the task is \
     suspended and other requests run (they record their events in it), and `span.in_scope(|| fut)` only \
     enters it while the future is *made*. `fut.instrument(span)` enters it around every poll: look at \
     `traced_request` in src/lib.rs.";

// ---- requests -----------------------------------------------------------

/// A request handler as the tests write them: it logs `"{name} start"`,
/// then `"{name} middle"` 100 ms later, then `"{name} end"` 100 ms after
/// that, and returns its name. It never says which request it serves: the
/// log finds that out.
fn handler(tl: &Timeline, log: &Log, name: &'static str) -> checker::Job<&'static str> {
    let log = log.clone();
    tl.job_from(name, async move {
        log.line(format!("{name} start"));
        tokio::time::sleep(ms(100)).await;
        log.line(format!("{name} middle"));
        tokio::time::sleep(ms(100)).await;
        log.line(format!("{name} end"));
        name
    })
}

/// The same handler, recording `tracing` events instead of log lines.
fn traced_handler(tl: &Timeline, name: &'static str) -> checker::Job<&'static str> {
    tl.job_from(name, async move {
        tracing::info!("{name} start");
        tokio::time::sleep(ms(100)).await;
        tracing::info!("{name} middle");
        tokio::time::sleep(ms(100)).await;
        tracing::info!("{name} end");
        name
    })
}

// ---- task 1: with_request_id --------------------------------------------

#[test]
fn with_request_id_sets_the_id_for_the_whole_future_and_only_there() {
    checker::run(async {
        let outside = catch_panic(async { current_request_id() }).await.unwrap_or_else(|text| {
            fail(format!(
                "current_request_id() outside any request panicked: \"{text}\".\n\
                 outside any request there is no id: return None. `LocalKey::with` and `get` panic outside \
                 a scope, `try_with` does not: look at `current_request_id` in src/lib.rs."
            ))
        });
        check_eq(outside, None, "current_request_id() outside any request");

        let log = Log::new();
        let body = {
            let log = log.clone();
            async move {
                log.line("first poll");
                tokio::time::sleep(ms(100)).await;
                log.line("after one await");
                tokio::time::sleep(ms(150)).await;
                log.line("after two awaits");
                'v'
            }
        };
        let value = with_request_id(7, body).await;
        assert_returned_at(
            checker::elapsed(),
            250,
            "with_request_id(7, a future of 250 ms)",
            "it should take exactly as long as the future it runs.",
            "it returned before its future had ended.",
        );
        check_eq(value, 'v', "with_request_id(7, fut) returns fut's output");
        log.line("after the request");
        check_lines(
            &log,
            &[
                ("first poll", 0, Some(7)),
                ("after one await", 100, Some(7)),
                ("after two awaits", 250, Some(7)),
                ("after the request", 250, None),
            ],
            "with_request_id(7, fut): every line of fut carries 7, across its awaits, and none after it",
            "the id is current exactly while the future runs, across every .await, and gone once it returns: \
             look at `with_request_id` in src/lib.rs.",
        );
        check_eq(current_request_id(), None, "current_request_id() once with_request_id has returned");
    });
}

#[test]
fn with_request_id_keeps_interleaved_requests_apart() {
    checker::run(async {
        let (tl, log) = (Timeline::new(), Log::new());
        let outsider = {
            let log = log.clone();
            async move {
                for (i, at) in [0, 100, 200].into_iter().enumerate() {
                    checker::sleep_until_ms(at).await;
                    log.line(format!("outsider {i}"));
                }
            }
        };
        let (a, b, c, ()) = tokio::join!(
            with_request_id(1, handler(&tl, &log, "A")),
            with_request_id(2, handler(&tl, &log, "B")),
            with_request_id(3, handler(&tl, &log, "C")),
            outsider,
        );
        check_eq((a, b, c), ("A", "B", "C"), "each request returns its handler's value");
        let mut want = Vec::new();
        for (name, id) in [("A", 1), ("B", 2), ("C", 3)] {
            for (step, at) in [("start", 0), ("middle", 100), ("end", 200)] {
                let text: &'static str = format!("{name} {step}").leak();
                want.push((text, at, Some(id)));
            }
        }
        want.extend([("outsider 0", 0, None), ("outsider 1", 100, None), ("outsider 2", 200, None)]);
        check_lines(
            &log,
            &want,
            "requests A (id 1), B (id 2) and C (id 3) at once, logging at 0, 100 and 200 ms, beside code \
             outside any request logging at the same instants",
            MIXED,
        );
        assert_schedule(
            &tl,
            &[done("A", 0, 200), done("B", 0, 200), done("C", 0, 200)],
            "with_request_id runs each request as it is, at once with the others",
        );
    });
}

#[test]
fn with_request_id_nested_the_inner_id_wins_then_the_outer_is_back() {
    checker::run(async {
        let log = Log::new();
        let inner = {
            let log = log.clone();
            async move {
                log.line("inner start");
                tokio::time::sleep(ms(100)).await;
                log.line("inner end");
            }
        };
        let outer = {
            let log = log.clone();
            async move {
                log.line("outer start");
                with_request_id(2, inner).await;
                log.line("outer again");
                tokio::time::sleep(ms(50)).await;
                log.line("outer end");
            }
        };
        with_request_id(1, outer).await;
        check_lines(
            &log,
            &[
                ("outer start", 0, Some(1)),
                ("inner start", 0, Some(2)),
                ("inner end", 100, Some(2)),
                ("outer again", 100, Some(1)),
                ("outer end", 150, Some(1)),
            ],
            "with_request_id(1, ..) around with_request_id(2, ..): the inner id holds inside, the outer one \
             again after it",
            "the innermost with_request_id decides, and when it ends the id it replaced is back (a task-local's \
             scope does both): look at `with_request_id` in src/lib.rs.",
        );
    });
}

#[test]
fn with_request_id_is_not_inherited_by_a_plain_spawn() {
    checker::run(async {
        let log = Log::new();
        let body = {
            let log = log.clone();
            async move {
                log.line("parent start");
                let child_log = log.clone();
                let child = tokio::spawn(async move {
                    child_log.line("plain child start");
                    tokio::time::sleep(ms(50)).await;
                    child_log.line("plain child end");
                });
                tokio::time::sleep(ms(100)).await;
                log.line("parent end");
                child
            }
        };
        let child = with_request_id(5, body).await;
        let _ = child.await;
        check_lines(
            &log,
            &[
                ("parent start", 0, Some(5)),
                ("plain child start", 0, None),
                ("plain child end", 50, None),
                ("parent end", 100, Some(5)),
            ],
            "request 5 that spawns a child with plain tokio::spawn",
            "the id belongs to the task that runs with_request_id, not to the thread: a task spawned with \
             tokio::spawn is another task and starts without one (that is what task 2 is for). a `static` or \
             a `thread_local!` leaks the id into every task the thread runs: use a `tokio::task_local!` \
             (look at `with_request_id` in src/lib.rs).",
        );
    });
}

// ---- task 2: spawn_in_context -------------------------------------------

/// A request that spawns a child with `spawn_in_context` and returns at
/// 100 ms without waiting for it: the child logs at 0 and 150 ms and
/// returns its name. The request returns the child's handle.
fn spawning(tl: &Timeline, log: &Log, name: &'static str) -> checker::Job<tokio::task::JoinHandle<String>> {
    let (log, child_tl) = (log.clone(), tl.clone());
    tl.job_from(name, async move {
        log.line(format!("{name} start"));
        let child_log = log.clone();
        let child = child_tl.job_from(format!("{name} child"), async move {
            child_log.line(format!("{name} child start"));
            tokio::time::sleep(ms(150)).await;
            child_log.line(format!("{name} child end"));
            format!("{name} child")
        });
        let handle = spawn_in_context(child);
        tokio::time::sleep(ms(100)).await;
        log.line(format!("{name} end"));
        handle
    })
}

/// Awaits a child's handle: its value, or a failure that says it panicked.
async fn join_child<T>(handle: tokio::task::JoinHandle<T>, what: &str) -> T {
    handle.await.unwrap_or_else(|e| {
        let text = if e.is_panic() { checker::panic_text(e.into_panic().as_ref()) } else { e.to_string() };
        fail(format!(
            "{what}: the child task ended with an error instead of its value: {text}\n\
             the child must run the future it was given, in the spawner's context: look at \
             `spawn_in_context` in src/lib.rs."
        ))
    })
}

#[test]
fn spawn_in_context_child_carries_the_parents_id() {
    checker::run(async {
        let (tl, log) = (Timeline::new(), Log::new());
        let (a, b) = tokio::join!(
            with_request_id(7, spawning(&tl, &log, "A")),
            with_request_id(8, spawning(&tl, &log, "B")),
        );
        let a = join_child(a, "request 7's child").await;
        let b = join_child(b, "request 8's child").await;
        check_eq((a.as_str(), b.as_str()), ("A child", "B child"), "each child's handle gives its value");
        check_lines(
            &log,
            &[
                ("A start", 0, Some(7)),
                ("A end", 100, Some(7)),
                ("B start", 0, Some(8)),
                ("B end", 100, Some(8)),
            ],
            "requests 7 and 8 at once, each spawning a child: the requests' own lines",
            MIXED,
        );
        check_lines(
            &log,
            &[
                ("A child start", 0, Some(7)),
                ("A child end", 150, Some(7)),
                ("B child start", 0, Some(8)),
                ("B child end", 150, Some(8)),
            ],
            "requests 7 and 8 at once, each spawning a child with spawn_in_context that outlives it: the \
             children's lines",
            "a spawned task starts with no task-locals of its own: read the id where spawn_in_context is \
             called (the spawner's task), and run the child inside a scope of that id in the new task \
             (`tokio::spawn(REQUEST_ID.scope(id, fut))`). reading it inside the child is too late, and a \
             scope around the call to tokio::spawn ends before the child runs: look at `spawn_in_context` \
             in src/lib.rs.",
        );
        assert_schedule(
            &tl,
            &[done("A", 0, 100), done("A child", 0, 150), done("B", 0, 100), done("B child", 0, 150)],
            "spawn_in_context starts the child at once as a task of its own: its parent neither waits for it \
             nor stops it",
        );
    });
}

#[test]
fn spawn_in_context_outside_a_request_spawns_without_an_id() {
    checker::run(async {
        let (tl, log) = (Timeline::new(), Log::new());
        let child_log = log.clone();
        let child = tl.job_from("child", async move {
            child_log.line("lone child start");
            tokio::time::sleep(ms(50)).await;
            child_log.line("lone child end");
            'c'
        });
        let handle = catch_panic(async { spawn_in_context(child) }).await.unwrap_or_else(|text| {
            fail(format!(
                "spawn_in_context outside any request panicked: \"{text}\".\n\
                 outside a request there is no id to carry: spawn the child without one (current_request_id \
                 gives None there). look at `spawn_in_context` in src/lib.rs."
            ))
        });
        let value = join_child(handle, "a child spawned outside any request").await;
        check_eq(value, 'c', "the handle of a child spawned outside any request gives its value");
        check_lines(
            &log,
            &[("lone child start", 0, None), ("lone child end", 50, None)],
            "a child spawned with spawn_in_context outside any request",
            "outside a request, the child runs with no request id, exactly as under tokio::spawn: it must not \
             invent one. look at `spawn_in_context` in src/lib.rs.",
        );
    });
}

#[test]
fn spawn_in_context_grandchildren_keep_the_id_too() {
    checker::run(async {
        let log = Log::new();
        let body = {
            let log = log.clone();
            async move {
                log.line("parent");
                spawn_in_context(async move {
                    log.line("child");
                    let grand_log = log.clone();
                    spawn_in_context(async move {
                        tokio::time::sleep(ms(50)).await;
                        grand_log.line("grandchild");
                    })
                })
            }
        };
        let child = with_request_id(4, body).await;
        let grandchild = join_child(child, "request 4's child").await;
        join_child(grandchild, "request 4's grandchild").await;
        check_lines(
            &log,
            &[("parent", 0, Some(4)), ("child", 0, Some(4)), ("grandchild", 50, Some(4))],
            "request 4 spawns a child with spawn_in_context, which spawns a grandchild with spawn_in_context \
             and returns at once",
            "a child spawned in context is in the request too, so what it spawns in context carries the id \
             as well, even once the request and the child have ended: look at `spawn_in_context` in \
             src/lib.rs.",
        );
    });
}

// ---- task 3: traced_request ---------------------------------------------

#[test]
fn traced_request_keeps_one_span_for_the_whole_request() {
    checker::run(async {
        let (capture, _guard) = Capture::start();
        let request = |name: &'static str| async move {
            tracing::info!("{name} 1");
            tokio::time::sleep(ms(100)).await;
            tracing::info!("{name} 2");
            tokio::time::sleep(ms(150)).await;
            tracing::info!("{name} 3");
        };
        tokio::join!(
            with_request_id(7, traced_request(7, request("A"))),
            with_request_id(8, traced_request(8, request("B"))),
        );
        let events = capture.events();
        let roots = |who: &str| -> Vec<Option<u64>> {
            events.iter().filter(|e| e.text.starts_with(who)).map(|e| e.root).collect()
        };
        for (who, id) in [("A", 7), ("B", 8)] {
            let mut distinct = roots(who);
            distinct.dedup();
            if distinct.len() != 1 || distinct[0].is_none() {
                fail(format!(
                    "the events of request {id} (at 0, 100 and 250 ms) are in {} different spans, each \
                     named request{{id={id}}}: one request is one span, made once and entered at every poll \
                     (Instrument), not a new look-alike span each time.\n\
                     → look at `traced_request` in exercises/13-context/src/lib.rs",
                    distinct.len()
                ));
            }
        }
        if roots("A").first() == roots("B").first() {
            fail(
                "requests 7 and 8 share one span: each request gets a span of its own.\n\
                 → look at `traced_request` in exercises/13-context/src/lib.rs",
            );
        }
    });
}

#[test]
fn traced_request_puts_every_event_in_the_request_span() {
    checker::run(async {
        let (capture, _guard) = Capture::start();
        tracing::info!("before");
        let body = async {
            tracing::info!("first poll");
            tokio::time::sleep(ms(100)).await;
            tracing::info!("after one await");
            async {
                tracing::info!("in a step");
                tokio::time::sleep(ms(50)).await;
            }
            .instrument(tracing::info_span!("step", n = 1))
            .await;
            tracing::info!("after the step");
            'v'
        };
        let value = traced_request(7, body).await;
        assert_returned_at(
            checker::elapsed(),
            150,
            "traced_request(7, a future of 150 ms)",
            "it should take exactly as long as the future it runs.",
            "it returned before its future had ended.",
        );
        check_eq(value, 'v', "traced_request(7, fut) returns fut's output");
        tracing::info!("after");
        check_events(
            &capture,
            &[
                ("before", 0, &[]),
                ("first poll", 0, &["request{id=7}"]),
                ("after one await", 100, &["request{id=7}"]),
                ("in a step", 100, &["request{id=7}", "step{n=1}"]),
                ("after the step", 150, &["request{id=7}"]),
                ("after", 150, &[]),
            ],
            "traced_request(7, fut): every event of fut is in one span `request` with the field id=7, across \
             its awaits, and no event outside it is",
            "make one span named `request` with one field, `id` (`tracing::info_span!(\"request\", id)`), and \
             run the future in it. a span of fut's own nests inside it.",
        );
    });
}

#[test]
fn traced_request_keeps_interleaved_requests_apart() {
    checker::run(async {
        let (capture, _guard) = Capture::start();
        let tl = Timeline::new();
        let outsider = async {
            for (i, at) in [0, 100, 200].into_iter().enumerate() {
                checker::sleep_until_ms(at).await;
                tracing::info!("outsider {i}");
            }
        };
        let (a, b, c, ()) = tokio::join!(
            traced_request(1, traced_handler(&tl, "A")),
            traced_request(2, traced_handler(&tl, "B")),
            traced_request(3, traced_handler(&tl, "C")),
            outsider,
        );
        check_eq((a, b, c), ("A", "B", "C"), "each traced request returns its handler's value");
        const IN: [&[&str]; 3] = [&["request{id=1}"], &["request{id=2}"], &["request{id=3}"]];
        let mut want: Vec<WantEvent> = Vec::new();
        for (name, spans) in ["A", "B", "C"].into_iter().zip(IN) {
            for (step, at) in [("start", 0), ("middle", 100), ("end", 200)] {
                let text: &'static str = format!("{name} {step}").leak();
                want.push((text, at, spans));
            }
        }
        want.extend([("outsider 0", 0, &[][..]), ("outsider 1", 100, &[]), ("outsider 2", 200, &[])]);
        check_events(
            &capture,
            &want,
            "traced requests A (id 1), B (id 2) and C (id 3) at once, recording events at 0, 100 and 200 ms, \
             beside code outside any request recording at the same instants",
            ENTERED,
        );
    });
}

#[test]
fn traced_request_spawned_children_stay_in_its_span() {
    checker::run(async {
        let (capture, _guard) = Capture::start();
        let request = |name: &'static str| async move {
            tracing::info!("{name} start");
            let child = spawn_in_context(async move {
                tracing::info!("{name} child start");
                tokio::time::sleep(ms(150)).await;
                tracing::info!("{name} child end");
            });
            let in_step = async move {
                spawn_in_context(async move {
                    tokio::time::sleep(ms(20)).await;
                    tracing::info!("{name} step child");
                })
            }
            .instrument(tracing::info_span!("step", n = 2))
            .await;
            tokio::time::sleep(ms(100)).await;
            tracing::info!("{name} end");
            (child, in_step)
        };
        let ((a, a_step), (b, b_step)) = tokio::join!(
            with_request_id(7, traced_request(7, request("A"))),
            with_request_id(8, traced_request(8, request("B"))),
        );
        let lone = spawn_in_context(async {
            tokio::time::sleep(ms(30)).await;
            tracing::info!("lone child");
        });
        // In a span, but in no request: the span still goes with the child.
        let in_a_job = async {
            spawn_in_context(async {
                tokio::time::sleep(ms(40)).await;
                tracing::info!("job child");
            })
        }
        .instrument(tracing::info_span!("job", n = 1))
        .await;
        for (handle, who) in [
            (a, "request 7's child"),
            (a_step, "request 7's child in a step"),
            (b, "request 8's child"),
            (b_step, "request 8's child in a step"),
            (lone, "a child spawned outside any request"),
            (in_a_job, "a child spawned in a span `job`, outside any request"),
        ] {
            join_child(handle, who).await;
        }
        check_events(
            &capture,
            &[
                ("A start", 0, &["request{id=7}"]),
                ("A end", 100, &["request{id=7}"]),
                ("B start", 0, &["request{id=8}"]),
                ("B end", 100, &["request{id=8}"]),
            ],
            "requests 7 and 8 at once, each under with_request_id and traced_request, spawning children: the \
             requests' own events",
            ENTERED,
        );
        check_events(
            &capture,
            &[
                ("A child start", 0, &["request{id=7}"]),
                ("A step child", 20, &["request{id=7}", "step{n=2}"]),
                ("A child end", 150, &["request{id=7}"]),
                ("B child start", 0, &["request{id=8}"]),
                ("B step child", 20, &["request{id=8}", "step{n=2}"]),
                ("B child end", 150, &["request{id=8}"]),
                ("lone child", 130, &[]),
                ("job child", 140, &["job{n=1}"]),
            ],
            "requests 7 and 8 at once, each under with_request_id and traced_request, spawning children with \
             spawn_in_context (one inside a span `step` of its own) that outlive the request; then a child \
             spawned outside any span",
            "a spawned task starts outside every span. spawn_in_context must run the child in the span that \
             is current where it is called, the very same span (not a new one): `Span::current()` read there, \
             or `fut.in_current_span()`, which captures it at once. outside any span that is no span at all. \
             look at `spawn_in_context` in src/lib.rs.",
        );
    });
}
