//! Tests for 10-blocking. The same file tests the stub (in exercises/) and
//! the solution (in solutions/): both build a library called `blocking`.
//!
//! Blocking work happens in *real* time, on real threads, so these tests
//! never time it: they count. A ticker task on the executor's thread
//! answers pings from the blocking job (three pings, three ticks: the
//! executor ran meanwhile); the jobs of `offload_all` follow a script that
//! decides the order in which they finish, whatever the machine's speed.
//! Real CPU work is measured on the thread's CPU clock (`burn_cpu`), so a
//! loaded machine makes it slower, never smaller. Virtual time is pinned
//! with `==` where the spec gives a number (the service: 1.000 s).
//!
//! While a blocking job runs, tokio's paused clock stands still (it does
//! not skip ahead while real work is in flight), so a job on the blocking
//! pool takes no virtual time at all.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

use blocking::service::{Request, Response, Service};
use blocking::{Panicked, bridge, legacy_report, offload, offload_all};
use checker::{Gauge, Timeline, assert_schedule, burn_cpu, catch_panic, check_eq, done, fail, ms};
use tokio::sync::{mpsc, oneshot};

// ---- offload --------------------------------------------------------------

/// How long each ping waits for the ticker's answer, in real time: far
/// more than a free executor needs, and short enough that a closure run on
/// the executor's own thread (which can never be answered) ends soon.
const ACK_PATIENCE: Duration = Duration::from_millis(200);

/// A ticker task on the executor's thread: it answers each ping (and
/// counts it) as soon as the executor polls it.
fn start_ticker() -> (mpsc::UnboundedSender<std::sync::mpsc::Sender<()>>, Arc<AtomicUsize>) {
    let (pings, mut pinged) = mpsc::unbounded_channel::<std::sync::mpsc::Sender<()>>();
    let ticks = Arc::new(AtomicUsize::new(0));
    let counted = ticks.clone();
    tokio::spawn(async move {
        while let Some(ack) = pinged.recv().await {
            counted.fetch_add(1, Ordering::SeqCst);
            let _ = ack.send(());
        }
    });
    (pings, ticks)
}

/// The CPU-bound closure: three rounds of 50 ms of real computation, each
/// followed by a ping to the ticker. It returns how many pings were
/// answered while it ran.
fn crunch(
    pings: mpsc::UnboundedSender<std::sync::mpsc::Sender<()>>,
) -> impl FnOnce() -> usize + Send + 'static {
    move || {
        let mut answered = 0;
        for _ in 0..3 {
            burn_cpu(ms(50));
            let (ack, acked) = std::sync::mpsc::channel();
            let _ = pings.send(ack);
            if acked.recv_timeout(ACK_PATIENCE).is_ok() {
                answered += 1;
            }
        }
        answered
    }
}

#[test]
fn offload_keeps_the_executor_running_while_the_closure_computes() {
    checker::run(async {
        let (pings, ticks) = start_ticker();
        let tl = Timeline::new();
        let answered = tl.job_from("offload", offload(crunch(pings))).await;
        let answered = answered.unwrap_or_else(|e| {
            fail(format!("offload returned Err({e:?}) for a closure that does not panic; it should be Ok."))
        });
        if answered != 3 || ticks.load(Ordering::SeqCst) != 3 {
            fail(format!(
                "while the closure computed (3 rounds of 50 ms of real CPU work, each followed by a ping), \
                 the ticker task on the executor's thread answered {answered} of its 3 pings.\n\
                 the executor must keep running meanwhile: run the closure on tokio's blocking pool \
                 (tokio::task::spawn_blocking) and await its JoinHandle, in offload."
            ));
        }
    });
}

/// Runs `offload` on a closure that panics, and checks the error's text.
async fn check_offload_panic(panics: impl FnOnce() -> u32 + Send + 'static, payload: &str, text: &str) {
    let result = catch_panic(offload(panics)).await.unwrap_or_else(|caught| {
        fail(format!(
            "offload panicked when the closure panicked with {payload}: {caught}\n\
             a panic on the blocking pool comes back as Err(JoinError) from the JoinHandle; turn it into \
             Err(Panicked) instead of unwrapping it."
        ))
    });
    match result {
        Err(Panicked { message }) if message == text => {}
        Err(Panicked { message }) => fail(format!(
            "the closure panicked with {payload}; offload's Panicked has the message {message:?}, \
             it should be the panic's own text, {text:?}.\n\
             JoinError::into_panic() gives the payload, a Box<dyn Any + Send>: panic!(\"boom\") puts a \
             &'static str in it, panic!(\"disk {{n}} is full\") a String. read both: downcast_ref::<&str>(), \
             then downcast_ref::<String>()."
        )),
        Ok(value) => fail(format!(
            "offload returned Ok({value}) for a closure that panicked; it should be Err(Panicked)."
        )),
    }
}

#[test]
fn offload_returns_a_str_panic_as_an_error() {
    checker::run(async {
        check_offload_panic(|| std::panic::panic_any("boom"), "\"boom\" (a &'static str payload)", "boom")
            .await;
    });
}

#[test]
fn offload_returns_a_string_panic_as_an_error() {
    checker::run(async {
        let n = 7;
        check_offload_panic(
            move || panic!("disk {n} is full"),
            "\"disk 7 is full\" (a String payload)",
            "disk 7 is full",
        )
        .await;
    });
}

// ---- offload_all ------------------------------------------------------------

/// The limit the script is written for.
const K: usize = 3;
/// The items, in input order.
const ITEMS: [char; 6] = ['A', 'B', 'C', 'D', 'E', 'F'];
/// The order in which the script lets the jobs finish. With 3 at a time:
/// A, B, C start; C ends, D starts; A ends, E starts; E ends, F starts;
/// then B, D, F. Every job whose turn comes is already running.
const FINISH_ORDER: [char; 6] = ['C', 'A', 'E', 'B', 'D', 'F'];
/// How long the first job waits, once 3 run, before it ends: time for any
/// job beyond the limit to show up on the gauge.
const GRACE: Duration = Duration::from_millis(100);
/// Real time with nothing starting or ending after which a waiting job
/// gives up its turn: nothing in a correct run comes near it.
const STALL: Duration = Duration::from_millis(1000);

#[derive(Debug, Default)]
struct Script {
    started: Vec<char>,
    finished: Vec<char>,
    /// Each stall: jobs running, started and finished when it happened.
    stalls: Vec<(usize, String, String)>,
    last_change: Option<Instant>,
}

/// The jobs' shared stage: a gauge of how many run, and the script.
#[derive(Debug, Default)]
struct Stage {
    gauge: Gauge,
    script: Mutex<Script>,
    changed: Condvar,
}

impl Stage {
    fn lock(&self) -> std::sync::MutexGuard<'_, Script> {
        self.script.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// One job: it waits for its turn to finish, then returns its item in
    /// lower case, twice ('C' gives "cc").
    fn job(&self, item: char) -> String {
        let _running = self.gauge.enter();
        let mut script = self.lock();
        script.started.push(item);
        script.last_change = Some(Instant::now());
        self.changed.notify_all();
        loop {
            let turn = FINISH_ORDER.iter().find(|c| !script.finished.contains(c)).copied();
            // The first job also waits until the pool is full.
            let my_turn = turn == Some(item) && (!script.finished.is_empty() || self.gauge.current() >= K);
            if my_turn {
                break;
            }
            let since = script.last_change.map_or(Duration::ZERO, |at| at.elapsed());
            if since >= STALL {
                let running = self.gauge.current();
                let (started, finished) = (script.started.iter().collect(), script.finished.iter().collect());
                script.stalls.push((running, started, finished));
                break;
            }
            script = self.changed.wait_timeout(script, STALL - since).unwrap_or_else(|e| e.into_inner()).0;
        }
        let first = script.finished.is_empty();
        drop(script);
        if first {
            std::thread::sleep(GRACE);
        }
        let mut script = self.lock();
        script.finished.push(item);
        script.last_change = Some(Instant::now());
        self.changed.notify_all();
        item.to_ascii_lowercase().to_string().repeat(2)
    }
}

/// Runs `offload_all` on the six scripted items with k = 3.
async fn run_script() -> (Vec<Result<String, Panicked>>, Arc<Stage>) {
    let stage = Arc::new(Stage::default());
    let on_stage = stage.clone();
    let results = catch_panic(offload_all(ITEMS.to_vec(), K, move |item| on_stage.job(item)))
        .await
        .unwrap_or_else(|caught| fail(format!("offload_all panicked on jobs that do not panic: {caught}")));
    (results, stage)
}

fn expected_results() -> Vec<Result<String, Panicked>> {
    ITEMS.iter().map(|c| Ok(c.to_ascii_lowercase().to_string().repeat(2))).collect()
}

#[test]
fn offload_all_runs_at_most_k_jobs_at_once() {
    checker::run(async {
        let (_, stage) = run_script().await;
        let peak = stage.gauge.peak();
        if peak > K {
            fail(format!(
                "offload_all(6 items, k = 3) ran {peak} jobs at once; at most 3 may run at a time.\n\
                 tokio's blocking pool starts every job it is given at once: take a slot (a Semaphore permit) \
                 before you hand a job to spawn_blocking, and free it when that job ends."
            ));
        }
        if peak < K {
            fail(format!(
                "offload_all(6 items, k = 3) never ran more than {peak} job(s) at once: 3 jobs should run \
                 whenever 3 are left. check how many slots you give (Semaphore::new(k)) and that the jobs \
                 are started before any of them is awaited."
            ));
        }
    });
}

#[test]
fn offload_all_returns_results_in_input_order() {
    checker::run(async {
        let (results, stage) = run_script().await;
        let finished: String = stage.lock().finished.iter().collect();
        check_eq(
            results,
            expected_results(),
            &format!(
                "offload_all(A..F, k = 3) with jobs that finished in the order {finished}: one result per item, \
                 in input order (remember each job's index and put its result back in its place)"
            ),
        );
    });
}

#[test]
fn offload_all_starts_the_next_job_as_soon_as_one_ends() {
    checker::run(async {
        let (_, stage) = run_script().await;
        let script = stage.lock();
        if let Some((running, started, finished)) = script.stalls.first() {
            let not_started = ITEMS.len() - started.len();
            let finished = if finished.is_empty() { "none" } else { finished };
            fail(format!(
                "offload_all(A..F, k = 3) stalled: for {:.1} s of real time nothing started or ended, \
                 while {running} job(s) ran and {not_started} had not started (started by then: {started}; \
                 finished by then: {finished}).\n\
                 a new job must start as soon as one ends, whichever one it is: do not wait for a whole batch \
                 of k to finish (or for the jobs in input order) before starting the next.",
                STALL.as_secs_f64()
            ));
        }
    });
}

#[test]
fn offload_all_returns_each_panic_in_its_place() {
    checker::run(async {
        let n = 7;
        // All five run at once and end last to first (E, D, C, B, A): each
        // waits until the one after it in the input has ended. So a result
        // (or a panic) put anywhere but in its own place shows every time.
        let next_to_end = Arc::new((Mutex::new(4usize), Condvar::new()));
        let job = move |item: char| -> char {
            let index = (item as u8 - b'A') as usize;
            let (turn, ended) = &*next_to_end;
            let mut next = turn.lock().unwrap_or_else(|e| e.into_inner());
            while *next != index {
                next = ended.wait(next).unwrap_or_else(|e| e.into_inner());
            }
            *next = index.saturating_sub(1);
            ended.notify_all();
            drop(next);
            match item {
                'B' => std::panic::panic_any("boom"),
                'D' => panic!("disk {n} is full"),
                other => other.to_ascii_lowercase(),
            }
        };
        let results =
            catch_panic(offload_all(vec!['A', 'B', 'C', 'D', 'E'], 5, job)).await.unwrap_or_else(|caught| {
                fail(format!(
                    "offload_all panicked when one of its jobs panicked: {caught}\n\
                 a job's panic must come back as Err(Panicked) in its place, and the others carry on."
                ))
            });
        let panicked = |text: &str| Err(Panicked { message: text.to_string() });
        check_eq(
            results,
            vec![Ok('a'), panicked("boom"), Ok('c'), panicked("disk 7 is full"), Ok('e')],
            "offload_all(A..E, k = 5), ending E, D, C, B, A, where B panics with \"boom\" (a &'static str) and D \
             with \"disk 7 is full\" (a String): each panic's text in its place, the other results as they were",
        );
    });
}

#[test]
fn offload_all_of_no_items_returns_at_once() {
    checker::run(async {
        let results =
            checker::at_once(offload_all(Vec::<u32>::new(), 3, |x| x), "offload_all(no items, k = 3)", "")
                .await;
        check_eq(results, vec![], "offload_all(no items, k = 3)");
    });
}

// ---- bridge -----------------------------------------------------------------

/// The async side of the bridge: each lookup spawns a task on the runtime
/// it runs in and awaits it. The task notes the thread it ran on (the
/// test's runtime runs it on the executor's thread); the lookup notes the
/// thread that polled it.
#[derive(Debug, Default)]
struct Lookups {
    polled_on: Mutex<Vec<ThreadId>>,
    served_on: Mutex<Vec<ThreadId>>,
}

fn lookup_through(
    lookups: Arc<Lookups>,
) -> impl Fn(u32) -> std::pin::Pin<Box<dyn Future<Output = String>>> + Send + 'static {
    move |id| {
        let lookups = lookups.clone();
        Box::pin(async move {
            lookups.polled_on.lock().unwrap().push(std::thread::current().id());
            let served = lookups.clone();
            let (reply, answer) = oneshot::channel();
            tokio::spawn(async move {
                served.served_on.lock().unwrap().push(std::thread::current().id());
                let _ = reply.send(format!("item #{id}"));
            });
            answer.await.unwrap_or_else(|_| "no answer".to_string())
        })
    }
}

#[test]
fn bridge_answers_the_legacy_code_through_the_runtime() {
    checker::run(async {
        let executor = std::thread::current().id();
        let lookups = Arc::new(Lookups::default());
        let report = catch_panic(bridge(vec![3, 1, 2], lookup_through(lookups.clone()))).await.unwrap_or_else(|caught| {
            fail(format!(
                "bridge panicked: {caught}\n\
                 the legacy code must run on the blocking pool (spawn_blocking), and each lookup there through a \
                 Handle to the test's runtime (Handle::current(), taken before you leave the executor, \
                 then handle.block_on(lookup(id)))."
            ))
        });
        let expected = legacy_report(&[3, 1, 2], &mut |id| format!("item #{id}"));
        check_eq(report, Ok(expected), "bridge(ids 3, 1, 2): the legacy report, with each lookup's answer");
        let polled_on = lookups.polled_on.lock().unwrap().clone();
        if polled_on.contains(&executor) {
            fail(
                "bridge ran a lookup on the executor's own thread: the legacy code (and the lookups it makes) \
                 must run on the blocking pool, with tokio::task::spawn_blocking.",
            );
        }
        let served_on = lookups.served_on.lock().unwrap().clone();
        if served_on.len() != 3 || served_on.iter().any(|t| *t != executor) {
            fail(format!(
                "the lookups' tasks ran {} time(s), {} of them on another runtime than the test's.\n\
                 run each lookup on the test's runtime: take its Handle (Handle::current()) and call \
                 handle.block_on(lookup(id)) on the blocking thread; a new Runtime would run them elsewhere.",
                served_on.len(),
                served_on.iter().filter(|t| **t != executor).count()
            ));
        }
    });
}

#[test]
fn bridge_returns_a_panic_as_an_error() {
    checker::run(async {
        let lookup = |id: u32| async move {
            if id == 7 {
                panic!("no item {id}");
            }
            format!("item #{id}")
        };
        let result = catch_panic(bridge(vec![1, 7], lookup)).await.unwrap_or_else(|caught| {
            fail(format!(
                "bridge panicked when a lookup panicked with \"no item 7\": {caught}\n\
                 a panic on the blocking pool must come back as Err(Panicked) (offload does that)."
            ))
        });
        check_eq(
            result,
            Err(Panicked { message: "no item 7".to_string() }),
            "bridge(ids 1, 7) where the lookup of 7 panics with \"no item 7\" (a String payload)",
        );
    });
}

// ---- service ------------------------------------------------------------------

/// A log file for the `Errors` request, in a directory of its own that is
/// removed when this is dropped.
struct LogFile {
    dir: std::path::PathBuf,
    path: std::path::PathBuf,
    errors: usize,
}

impl Drop for LogFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Blocks of 97 lines in the log, one of them an ERROR: large enough
/// (about 15 MB) that reading and scanning it is real work, about 0.17 s of
/// CPU time in a debug build, which belongs off the executor.
const LOG_BLOCKS: usize = 4_000;

/// Writes the log file (on the blocking pool, so that the test's own setup
/// never holds the executor): every 97th line is an ERROR.
async fn log_file(test: &str) -> LogFile {
    let dir = std::env::temp_dir().join(format!("awaitlings-blocking-{}-{test}", std::process::id()));
    tokio::task::spawn_blocking(move || {
        std::fs::create_dir_all(&dir).expect("the test can create its temp dir");
        let mut block = String::from("12:00:00 ERROR upstream timed out after 30 s\n");
        for i in 1..97 {
            block.push_str(&format!("12:00:{:02} INFO  GET /home 200 in 3 ms\n", i % 60));
        }
        let path = dir.join("service.log");
        std::fs::write(&path, block.repeat(LOG_BLOCKS)).expect("the test can write its log file");
        LogFile { dir, path, errors: LOG_BLOCKS }
    })
    .await
    .expect("the log file is written")
}

/// Serves every request at once, each as a job named after it, and checks
/// that all are answered at exactly 1.000 s with the expected responses.
async fn serve_at_once<N: ToString>(
    service: &Service,
    requests: Vec<(N, Request)>,
    what: &str,
) -> Vec<Response> {
    let tl = Timeline::new();
    let names: Vec<String> = requests.iter().map(|(name, _)| name.to_string()).collect();
    let jobs =
        requests.into_iter().map(|(name, request)| tl.track(name.to_string(), service.handle(request)));
    let responses = futures::future::join_all(jobs).await;
    let expected: Vec<_> = names.iter().map(|name| done(name, 0, 1000)).collect();
    assert_schedule(
        &tl,
        &expected,
        &format!(
            "{what}: every request takes 1 s of virtual time, and they run at once. a request that waits \
             for another one, or that skips a wait, is in the wrong place"
        ),
    );
    responses
}

#[test]
fn service_greets_without_blocking() {
    checker::run(async {
        let log = log_file("greet").await;
        let service = Service::new(&log.path);
        let requests = ["ann", "bob", "cy"].map(|n| (format!("greet {n}"), Request::Greet(n.to_string())));
        let responses = serve_at_once(&service, requests.to_vec(), "three Greet requests at once").await;
        check_eq(
            responses,
            ["ann", "bob", "cy"].map(|n| Response::Greeting(format!("hello, {n}!"))).to_vec(),
            "the greetings",
        );
    });
}

#[test]
fn service_counts_visits_without_blocking() {
    checker::run(async {
        let log = log_file("visit").await;
        let service = Service::new(&log.path);
        let requests = ["visit 1", "visit 2", "visit 3"].map(|n| (n, Request::Visit("/home".to_string())));
        let responses =
            serve_at_once(&service, requests.to_vec(), "three Visit(\"/home\") requests at once").await;
        let mut counts = responses;
        counts.sort_by_key(|r| match r {
            Response::Visits(n) => *n,
            _ => u64::MAX,
        });
        check_eq(
            counts,
            (1..=3).map(Response::Visits).collect(),
            "the counts three visits of one page get (in any order): 1, 2 and 3",
        );
    });
}

#[test]
fn service_counts_errors_without_blocking() {
    checker::run(async {
        let log = log_file("errors").await;
        let service = Service::new(&log.path);
        let responses = serve_at_once(
            &service,
            vec![("errors", Request::Errors), ("greet", Request::Greet("ann".to_string()))],
            "an Errors request and a Greet request at once",
        )
        .await;
        check_eq(
            responses,
            vec![Response::Errors(log.errors), Response::Greeting("hello, ann!".to_string())],
            "the count of ERROR lines in the log, and the greeting",
        );
    });
}

#[test]
fn service_counts_the_errors_logged_until_the_flush() {
    checker::run(async {
        // The log's errors, and 2 more written at 500 ms, before the flush
        // at 1 s: counted after the flush, as the service says, all of them
        // are there. Counted before waiting for it, 2 are missing.
        let log = log_file("flush").await;
        let line = "12:00:00 ERROR upstream timed out after 30 s\n";
        let service = Service::new(&log.path);
        let append_path = log.path.clone();
        let late_errors = async move {
            tokio::time::sleep(ms(500)).await;
            tokio::task::spawn_blocking(move || {
                use std::io::Write;
                let mut file =
                    std::fs::OpenOptions::new().append(true).open(&append_path).expect("the log opens");
                file.write_all(line.repeat(2).as_bytes()).expect("the log takes 2 more errors");
            })
            .await
            .expect("the errors are appended");
        };
        let (response, ()) = tokio::join!(service.handle(Request::Errors), late_errors);
        let before = log.errors;
        if response == Response::Errors(before) {
            fail(format!(
                "Errors answered {before}, the errors in the log when the request came; 2 more were logged at \
                 500 ms, before the flush at 1 s.\n\
                 the service waits for the log flush first, then counts: the answer is {}.\n\
                 → look at `errors` in exercises/10-blocking/src/service.rs",
                before + 2
            ));
        }
        check_eq(
            response,
            Response::Errors(before + 2),
            "Errors, with the log's errors before it and 2 more logged during its wait",
        );
    });
}

#[test]
fn service_answers_three_requests_at_once() {
    checker::run(async {
        let log = log_file("three").await;
        let service = Service::new(&log.path);
        let responses = serve_at_once(
            &service,
            vec![
                ("greet", Request::Greet("ann".to_string())),
                ("visit", Request::Visit("/home".to_string())),
                ("errors", Request::Errors),
            ],
            "a Greet, a Visit and an Errors request at once",
        )
        .await;
        check_eq(
            responses,
            vec![
                Response::Greeting("hello, ann!".to_string()),
                Response::Visits(1),
                Response::Errors(log.errors),
            ],
            "the three answers",
        );
    });
}
