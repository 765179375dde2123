//! Tests for 00-hello-async. The same file tests the stub (in exercises/)
//! and the solution (in solutions/): both build a library called
//! `hello_async`, and a `demo` binary from the same source.
//!
//! Every test body runs on tokio's paused clock, so "B is done at 1.000 s"
//! is an `==` that never flakes. Test names start with the task they check.
//! Nothing here looks at the real clock: `block_on_anywhere` outside a
//! runtime and the demo binary run on threads (and a process) of their own,
//! and only what they return or print is checked.

use std::future::Future;
use std::process::Command;
use std::time::Duration;

use checker::{
    End, Fate, Span, Timeline, assert_never_started, assert_returned_at, catch_panic, chart_of_spans,
    check_eq, fail, first_difference, fmt_duration, ms, panic_text,
};
use hello_async::{
    InsideRuntime, Log, PREDICT_FUTURE_NEVER_AWAITED, PREDICT_JOIN_ZERO_SLEEP, PREDICT_SPAWN_NEVER_AWAITED,
    PREDICT_YIELD_IN_TURN, block_on_anywhere, concurrent_demo, say_after, sequential_demo, timed,
};

// ---- the jobs of the spec -------------------------------------------------

/// The classic demo: A 2 s, B 1 s, C 3 s. At once they finish B, A, C.
const ABC: &[(&str, f64)] = &[("A", 2.0), ("B", 1.0), ("C", 3.0)];

/// The classic demo with a fourth job of a second and a half.
const ABCD: &[(&str, f64)] = &[("A", 2.0), ("B", 1.0), ("C", 3.0), ("D", 1.5)];

// ---- checks -------------------------------------------------------------

/// `0.000 s  A starting`, one line of a log as the failures show it.
fn fmt_entry(at_ms: u64, line: &str) -> String {
    format!("{:>9}  {line}", fmt_duration(ms(at_ms)))
}

/// The two logs side by side, the first difference marked.
fn logs_side_by_side(yours: &[(u64, String)], expected: &[(u64, String)]) -> String {
    let width =
        expected.iter().chain(yours).map(|(t, l)| fmt_entry(*t, l).chars().count()).max().unwrap_or(0);
    let first = first_difference(yours, expected);
    let mut out = format!("      {:<width$}    {}\n", "expected", "yours");
    for i in 0..expected.len().max(yours.len()) {
        let cell = |log: &[(u64, String)]| log.get(i).map_or("-".to_string(), |(t, l)| fmt_entry(*t, l));
        let mark = if Some(i) == first { "✘" } else { " " };
        out.push_str(&format!("  {mark} {:<width$}    {}\n", cell(expected), cell(yours)));
    }
    out
}

/// Each job's life as its log tells it: from `"{name} starting"` to
/// `"{name} done after ..."`.
fn spans_of(log: &[(u64, String)], jobs: &[(&str, f64)]) -> Vec<Span> {
    let at = |line: &dyn Fn(&str) -> bool| log.iter().find(|(_, l)| line(l)).map(|(t, _)| ms(*t));
    jobs.iter()
        .map(|&(name, _)| {
            let started = at(&|l| l == format!("{name} starting"));
            let ended = at(&|l| l.starts_with(&format!("{name} done after"))).map(End::Completed);
            Span { name: name.to_string(), fate: Fate { started, ended } }
        })
        .collect()
}

/// Asserts that `log` holds exactly `expected`, line for line and instant
/// for instant. `what` names the call, `advice` says what usually breaks
/// it. With `jobs`, the failure also draws each job's life on the clock.
fn assert_log(log: &Log, expected: &[(u64, &str)], what: &str, advice: &str, jobs: Option<&[(&str, f64)]>) {
    let yours = log.entries();
    let expected: Vec<(u64, String)> = expected.iter().map(|&(t, l)| (t, l.to_string())).collect();
    if yours == expected {
        return;
    }
    let mut message = format!("{what}: the log is not the one the task asks for.\n");
    match first_difference(&yours, &expected) {
        Some(i) if i < yours.len() && i < expected.len() => {
            let ((t, line), (want_t, want_line)) = (&yours[i], &expected[i]);
            message.push_str(&format!(
                "line {} of your log is \"{line}\" at {}; it should be \"{want_line}\" at {}.\n",
                i + 1,
                fmt_duration(ms(*t)),
                fmt_duration(ms(*want_t))
            ));
            if line.starts_with("total") && want_line.starts_with("total") && t == want_t {
                message.push_str(
                    "the total is the virtual time from the start of the demo to its end, read on the \
                     runtime's clock (tokio::time::Instant, or your timed once its own tests pass); \
                     std::time::Instant reads the real clock, which hardly moves in these tests.\n",
                );
            }
        }
        Some(i) if i >= yours.len() => message.push_str(&format!(
            "your log stops after {} line(s), when the call returned; {} should be there by then.\n",
            yours.len(),
            expected.len()
        )),
        _ => message.push_str(&format!(
            "your log has {} line(s) where {} are expected.\n",
            yours.len(),
            expected.len()
        )),
    }
    message.push_str(advice);
    message.push_str("\n\n");
    message.push_str(&logs_side_by_side(&yours, &expected));
    if let Some(jobs) = jobs {
        message.push('\n');
        message.push_str(&chart_of_spans(&spans_of(&expected, jobs), &spans_of(&yours, jobs)));
    }
    fail(message)
}

/// What `sequential_demo` logs for `jobs`: each job after the one before.
fn sequential_log(jobs: &[(&str, f64)]) -> Vec<(u64, String)> {
    let mut log = Vec::new();
    let mut now = 0;
    for &(name, secs) in jobs {
        log.push((now, format!("{name} starting")));
        now += (secs * 1000.0) as u64;
        log.push((now, format!("{name} done after {secs} second(s)")));
    }
    log.push((now, format!("total {}", fmt_duration(ms(now)))));
    log
}

/// What `concurrent_demo` logs for `jobs`: every start at 0 in input order,
/// then each end at its own instant (no two jobs here end together).
fn concurrent_log(jobs: &[(&str, f64)]) -> Vec<(u64, String)> {
    let mut log: Vec<(u64, String)> = jobs.iter().map(|&(name, _)| (0, format!("{name} starting"))).collect();
    let mut ends: Vec<(u64, String)> = jobs
        .iter()
        .map(|&(name, secs)| ((secs * 1000.0) as u64, format!("{name} done after {secs} second(s)")))
        .collect();
    ends.sort();
    let total = ends.last().map_or(0, |(t, _)| *t);
    log.extend(ends);
    log.push((total, format!("total {}", fmt_duration(ms(total)))));
    log
}

fn as_expected(log: &[(u64, String)]) -> Vec<(u64, &str)> {
    log.iter().map(|(t, l)| (*t, l.as_str())).collect()
}

fn describe(jobs: &[(&str, f64)]) -> String {
    jobs.iter().map(|(name, secs)| format!("{name} {secs} s")).collect::<Vec<_>>().join(", ")
}

// ---- task 1: say_after --------------------------------------------------

const SAY_AFTER: &str = "say_after logs \"{name} starting\", sleeps `secs` with tokio::time::sleep, \
     then logs \"{name} done after {secs} second(s)\", with {secs} printed as Rust prints an f64 (2.0 as 2).";

#[test]
fn say_after_logs_starting_then_done_after_the_sleep() {
    checker::run(async {
        let log = Log::new();
        say_after(&log, "A", 2.0).await;
        assert_log(
            &log,
            &[(0, "A starting"), (2000, "A done after 2 second(s)")],
            "say_after(&log, \"A\", 2.0)",
            SAY_AFTER,
            None,
        );
        assert_returned_at(
            checker::elapsed(),
            2000,
            "say_after(&log, \"A\", 2.0)",
            "it waited longer than its sleep.",
            "it returned before its sleep was over.",
        );
    });
}

#[test]
fn say_after_sleeps_a_fraction_of_a_second() {
    checker::run(async {
        let log = Log::new();
        say_after(&log, "D", 1.5).await;
        assert_log(
            &log,
            &[(0, "D starting"), (1500, "D done after 1.5 second(s)")],
            "say_after(&log, \"D\", 1.5)",
            "1.5 s is 1 500 ms: `Duration::from_secs(secs as u64)` cuts it to 1 s. \
             Duration::from_secs_f64 keeps the half. And {secs} prints 1.5 as 1.5.",
            None,
        );
    });
}

#[test]
fn say_after_starts_when_first_awaited() {
    checker::run(async {
        let log = Log::new();
        // Made at 0 s, first awaited at 1 s.
        let job = say_after(&log, "A", 0.5);
        tokio::time::sleep(ms(1000)).await;
        job.await;
        assert_log(
            &log,
            &[(1000, "A starting"), (1500, "A done after 0.5 second(s)")],
            "say_after(&log, \"A\", 0.5), made at 0 s and first awaited at 1 s",
            "futures are lazy: calling say_after must run nothing. \"A starting\" belongs to its first poll \
             (the first line of the async fn's body), not to the call.",
            None,
        );
    });
}

// ---- task 2: sequential_demo --------------------------------------------

const SEQUENTIAL: &str = "sequential_demo awaits each job's say_after before it starts the next, \
     then logs total_line(time since the demo started).";

#[test]
fn sequential_demo_prints_the_classic_output_line_for_line() {
    checker::run(async {
        let log = Log::new();
        sequential_demo(&log, ABC).await;
        let what = format!("sequential_demo({})", describe(ABC));
        assert_log(&log, &as_expected(&sequential_log(ABC)), &what, SEQUENTIAL, Some(ABC));
        assert_returned_at(checker::elapsed(), 6000, &what, "it waited after its last line.", "");
    });
}

#[test]
fn sequential_demo_with_a_fourth_job_takes_seven_and_a_half_seconds() {
    checker::run(async {
        let log = Log::new();
        sequential_demo(&log, ABCD).await;
        let what = format!("sequential_demo({})", describe(ABCD));
        assert_log(&log, &as_expected(&sequential_log(ABCD)), &what, SEQUENTIAL, Some(ABCD));
        assert_returned_at(checker::elapsed(), 7500, &what, "it waited after its last line.", "");
    });
}

// ---- task 3: concurrent_demo --------------------------------------------

const CONCURRENT: &str = "concurrent_demo runs every job's say_after at once (join_all), waits for all of them, \
     then logs total_line(time since the demo started): as long as the longest job. \
     If the jobs ran one after another, each was awaited before the next one was polled.";

#[test]
fn concurrent_demo_starts_every_job_at_once() {
    checker::run(async {
        let log = Log::new();
        concurrent_demo(&log, ABC).await;
        let what = format!("concurrent_demo({})", describe(ABC));
        assert_log(&log, &as_expected(&concurrent_log(ABC)), &what, CONCURRENT, Some(ABC));
        assert_returned_at(checker::elapsed(), 3000, &what, "it waited after its last line.", "");
    });
}

#[test]
fn concurrent_demo_with_a_fourth_job_still_takes_three_seconds() {
    checker::run(async {
        let log = Log::new();
        concurrent_demo(&log, ABCD).await;
        let what = format!("concurrent_demo({})", describe(ABCD));
        assert_log(&log, &as_expected(&concurrent_log(ABCD)), &what, CONCURRENT, Some(ABCD));
        assert_returned_at(checker::elapsed(), 3000, &what, "it waited after its last line.", "");
    });
}

/// The demo binary (demo.rs, beside src/) prints both demos. It runs here on a
/// paused clock (`--paused`), so it takes no real time; only the lines it
/// prints are checked, in order, whatever else it prints around them.
#[test]
fn concurrent_demo_and_sequential_demo_run_in_the_demo_binary() {
    checker::run(async {
        // The exercise's `demo`, or the same file built by the solution's
        // package under another name (two `demo`s in one target directory
        // would collide).
        let demo = option_env!("CARGO_BIN_EXE_demo")
            .or(option_env!("CARGO_BIN_EXE_demo-solution"))
            .expect("cargo builds the package's demo binary for its tests");
        let output = tokio::task::spawn_blocking(move || Command::new(demo).arg("--paused").output())
            .await
            .expect("the thread that runs the demo ends")
            .unwrap_or_else(|e| fail(format!("the demo binary ({demo}) did not start: {e}")));
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        if !output.status.success() {
            // A task not written yet, in the demo's process: say so as the
            // other tests do.
            if let Some(todo) = stderr.lines().find(|l| l.starts_with("not yet implemented")) {
                std::panic::panic_any(todo.to_string());
            }
            fail(format!(
                "`cargo run -p hello-async --bin demo -- --paused` failed ({}).\nwhat it printed:\n{stdout}\n{stderr}",
                output.status
            ));
        }
        let printed: Vec<&str> = stdout.lines().map(str::trim).collect();
        let mut next = 0;
        for (demo, log) in
            [("sequential_demo", sequential_log(ABC)), ("concurrent_demo", concurrent_log(ABC))]
        {
            for (i, (t, line)) in log.iter().enumerate() {
                match printed[next..].iter().position(|p| p.ends_with(&format!("  {line}"))) {
                    Some(at) => next += at + 1,
                    None => fail(format!(
                        "the demo binary (exercises/00-hello-async/demo.rs, run with --paused) prints \
                         sequential_demo's lines, then concurrent_demo's, each with its time. {demo}'s line {}, \
                         \"{line}\" (at {}), is missing or out of order.\nwhat it printed:\n{stdout}",
                        i + 1,
                        fmt_duration(ms(*t))
                    )),
                }
            }
        }
    });
}

// ---- task 4: timed ------------------------------------------------------

/// Why `timed` reported `took` for a job that took `expected_ms`, when the
/// job was first polled at `first_poll_ms` and made at 0 s.
fn timed_advice(took: Duration, expected_ms: u64, first_poll_ms: u64) -> String {
    if took == ms(expected_ms + first_poll_ms) && first_poll_ms > 0 {
        "that counts from when the future was made, not from its first poll: start the stopwatch inside \
         the async fn, where the body runs at the first poll."
            .into()
    } else if took < ms(1) || !took.subsec_nanos().is_multiple_of(1_000_000) {
        "that is real time, not virtual time: std::time::Instant reads the real clock, which hardly moves \
         while the paused clock jumps. Use tokio::time::Instant."
            .into()
    } else {
        "measure from the first poll (the start of the async fn's body) to the end of the .await.".into()
    }
}

#[test]
fn timed_counts_from_the_first_poll() {
    checker::run(async {
        let tl = Timeline::new();
        // Made at 0 s, first awaited at 1 s, then it sleeps 0.5 s.
        let stopwatch = timed(tl.job("A", 500, 'a'));
        tokio::time::sleep(ms(1000)).await;
        let (value, took) = stopwatch.await;
        check_eq(value, 'a', "timed gives back the output of the future it timed");
        if took != ms(500) {
            fail(format!(
                "timed(A), made at 0 s and first awaited at 1.000 s, where A sleeps 0.500 s: it reported {}; \
                 it should report exactly 0.500 s.\n{}",
                fmt_duration(took),
                timed_advice(took, 500, 1000)
            ));
        }
    });
}

#[test]
fn timed_reports_the_output_and_the_virtual_time() {
    checker::run(async {
        let tl = Timeline::new();
        let (value, took) = timed(tl.job("B", 2000, 'b')).await;
        check_eq(value, 'b', "timed gives back the output of the future it timed");
        if took != ms(2000) {
            fail(format!(
                "timed(B), where B sleeps 2.000 s: it reported {}; it should report exactly 2.000 s.\n{}",
                fmt_duration(took),
                timed_advice(took, 2000, 0)
            ));
        }
        let (value, took) = timed(tl.ready_job("R", 7)).await;
        check_eq(value, 7, "timed gives back the output of the future it timed");
        if took != Duration::ZERO {
            fail(format!(
                "timed(R), where R is ready at once: it reported {}; it should report exactly 0 s \
                 (no virtual time passes in it).\n{}",
                fmt_duration(took),
                timed_advice(took, 0, 0)
            ));
        }
    });
}

// ---- task 5: block_on_anywhere ------------------------------------------

#[test]
fn block_on_anywhere_inside_a_runtime_returns_an_error() {
    checker::run(async {
        let tl = Timeline::new();
        let job = tl.job("A", 1000, 'a');
        // This test body is async code: it runs inside the test's runtime.
        let outcome = catch_panic(async { block_on_anywhere(job) }).await;
        match outcome {
            Err(text) => fail(format!(
                "block_on_anywhere, called from async code, panicked: \"{text}\".\n\
                 inside a runtime it must return Err(InsideRuntime) instead of tokio's panic: \
                 ask tokio::runtime::Handle::try_current() first, and build a runtime only when there is none."
            )),
            Ok(Ok(value)) => fail(format!(
                "block_on_anywhere, called from async code, returned Ok({value:?}): it ran the future while \
                 inside a runtime.\nthere it must return Err(InsideRuntime) at once and run nothing: blocking a \
                 runtime's thread freezes every task on it."
            )),
            Ok(Err(InsideRuntime)) => {}
        }
        assert_never_started(
            &tl,
            "A",
            "block_on_anywhere returned Err(InsideRuntime), but it polled the future first: inside a runtime \
             it must not run the future at all.",
        );
    });
}

/// Calls `block_on_anywhere(make())` on a thread of its own, outside any
/// runtime (the blocking pool's threads know the test's runtime; a plain
/// thread does not), and gives back what it returned or panicked with.
async fn block_on_a_plain_thread<F, T>(make: fn() -> F) -> Result<Result<T, InsideRuntime>, String>
where
    F: Future<Output = T> + 'static,
    T: Send + 'static,
{
    let joined =
        tokio::task::spawn_blocking(move || std::thread::spawn(move || block_on_anywhere(make())).join())
            .await
            .expect("the test's helper thread ends");
    joined.map_err(|payload| {
        let text = panic_text(payload.as_ref());
        if text.starts_with("not yet implemented") {
            std::panic::resume_unwind(payload);
        }
        text
    })
}

#[test]
fn block_on_anywhere_outside_a_runtime_runs_the_future_to_its_end() {
    checker::run(async {
        // A future that needs a runtime with timers: it spawns a task that
        // sleeps 1 ms (of real time, on the runtime it builds) and awaits it.
        let outcome = block_on_a_plain_thread(|| async {
            let half = tokio::spawn(async {
                tokio::time::sleep(ms(1)).await;
                21
            });
            half.await.expect("the spawned half ends") * 2
        })
        .await;
        match outcome {
            Ok(Ok(42)) => {}
            Ok(Ok(other)) => fail(format!(
                "block_on_anywhere, on a plain thread, returned Ok({other}); the future returns 42."
            )),
            Ok(Err(InsideRuntime)) => fail(
                "block_on_anywhere, called on a plain thread outside any runtime, returned Err(InsideRuntime).\n\
                 outside a runtime it must build one and run the future to its end: \
                 tokio::runtime::Handle::try_current() is an Err there.",
            ),
            Err(text) => {
                let mut message = format!(
                    "block_on_anywhere, on a plain thread outside any runtime, panicked: \"{text}\".\n\
                     it must build a current-thread runtime, with its timers on, and block_on the future."
                );
                if text.contains("timers are disabled") {
                    message.push_str(
                        "\nthe runtime it built has no timers: call .enable_all() (or .enable_time()) on the Builder.",
                    );
                }
                fail(message)
            }
        }
    });
}

// ---- task 6: predict ----------------------------------------------------

/// One of the four programs of README.md's task 6.
struct Program {
    number: u8,
    name: &'static str,
    /// Where the learner writes the prediction.
    constant: &'static str,
    /// Every line the program's source can log, for spotting a typo.
    can_log: &'static [&'static str],
    /// What happens, step by step: the teaching text shown on a wrong guess.
    why: &'static str,
}

/// Runs `program` as the `main` of its own current-thread runtime on a
/// paused clock, as `#[tokio::main(flavor = "current_thread", start_paused
/// = true)]` would, and gives back what it logged. When `main` returns the
/// runtime is dropped, with every task still in it, as at the end of a real
/// program.
async fn run_program<F: Future<Output = ()> + 'static>(program: fn(Log) -> F) -> Vec<(u64, String)> {
    tokio::task::spawn_blocking(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .expect("the program's runtime builds");
        let log = runtime.block_on(async move {
            let log = Log::new();
            program(log.clone()).await;
            log
        });
        drop(runtime);
        log.entries()
    })
    .await
    .expect("the program runs to its end")
}

/// Runs the program and compares its log with the prediction.
async fn check_prediction<F: Future<Output = ()> + 'static>(
    program: &Program,
    run: fn(Log) -> F,
    predicted: &[&str],
) {
    if predicted.is_empty() {
        todo!("task 6 (predict)");
    }
    let logged = run_program(run).await;
    let lines: Vec<&str> = logged.iter().map(|(_, l)| l.as_str()).collect();
    if lines == predicted {
        return;
    }
    let width = predicted.iter().map(|l| l.chars().count()).max().unwrap_or(0).max("you predicted".len());
    let real_width = lines.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    let first = first_difference(predicted, &lines);
    let mut table = format!("        {:<width$}    it logged\n", "you predicted");
    for i in 0..predicted.len().max(lines.len()) {
        let mark = if Some(i) == first { "✘" } else { " " };
        let yours = predicted.get(i).copied().unwrap_or("-");
        let real = logged
            .get(i)
            .map_or("-".to_string(), |(t, l)| format!("{l:<real_width$}  at {}", fmt_duration(ms(*t))));
        table.push_str(&format!("  {mark} {:>2}  {yours:<width$}    {real}\n", i + 1));
    }
    let mut message = format!(
        "predict: program {} ({}) does not log what you predicted in {}.\n\n{table}",
        program.number, program.name, program.constant
    );
    for typo in predicted.iter().filter(|l| !program.can_log.contains(l)) {
        message.push_str(&format!(
            "\n\"{typo}\" is not a line program {} can log: copy the lines exactly as the program in README.md \
             writes them.\n",
            program.number
        ));
    }
    message.push_str(&format!(
        "\nwhat happened, step by step:\n{}\n\nfix {} in src/lib.rs (a line that is never logged is left out).",
        program.why, program.constant
    ));
    fail(message)
}

// Program 1 ------------------------------------------------------------------

async fn spawn_never_awaited(log: Log) {
    log.say("main: spawning");
    let task_log = log.clone();
    tokio::spawn(async move {
        task_log.say("task: started");
        tokio::time::sleep(Duration::from_millis(200)).await;
        task_log.say("task: finished");
    });
    log.say("main: spawned");
    tokio::time::sleep(Duration::from_millis(100)).await;
    log.say("main: returning");
}

const SPAWN_NEVER_AWAITED: Program = Program {
    number: 1,
    name: "a spawned task, never awaited, and a sleep",
    constant: "PREDICT_SPAWN_NEVER_AWAITED",
    can_log: &["main: spawning", "task: started", "task: finished", "main: spawned", "main: returning"],
    why: "  1. main runs alone on the runtime's one thread: it logs \"main: spawning\".
  2. tokio::spawn hands the task to the runtime and returns at once: the task is queued, it does not
     run yet. main has not reached an .await, so nothing else can run: it logs \"main: spawned\".
  3. main awaits sleep(100 ms): not ready, so main yields to the runtime, and the runtime runs the
     next ready task, the spawned one. It logs \"task: started\" (still at 0 ms), then awaits its own
     sleep (200 ms) and yields in turn.
  4. Nothing is ready; the clock moves to 100 ms. main wakes up and logs \"main: returning\".
  5. main returns, and that ends the program: the runtime shuts down and drops the task, still asleep
     until 200 ms. \"task: finished\" is never logged. A spawned task runs without being awaited,
     but only as long as the runtime does (asyncio.run cancels the tasks left over in the same way).",
};

#[test]
fn predict_spawn_never_awaited() {
    checker::run(check_prediction(&SPAWN_NEVER_AWAITED, spawn_never_awaited, PREDICT_SPAWN_NEVER_AWAITED));
}

// Program 2 ------------------------------------------------------------------

async fn yield_in_turn(log: Log) {
    let task_log = log.clone();
    let task = tokio::spawn(async move {
        for round in 1..=2 {
            task_log.say(format!("task: round {round}"));
            tokio::task::yield_now().await;
        }
    });
    for round in 1..=2 {
        log.say(format!("main: round {round}"));
        tokio::task::yield_now().await;
    }
    task.await.unwrap();
    log.say("main: joined the task");
}

const YIELD_IN_TURN: Program = Program {
    number: 2,
    name: "two tasks that yield in turn",
    constant: "PREDICT_YIELD_IN_TURN",
    can_log: &["task: round 1", "task: round 2", "main: round 1", "main: round 2", "main: joined the task"],
    why:
        "  1. main spawns the task: it is queued, not run. main logs \"main: round 1\" and awaits yield_now():
     main steps aside, and the runtime runs the other ready task.
  2. The task runs for the first time: \"task: round 1\", then yield_now(): it steps aside, and main,
     ready again, runs.
  3. \"main: round 2\", yield; \"task: round 2\", yield. Each yield_now hands the thread to the other
     one: nothing is ever interrupted, a task only lets go at an .await.
  4. main's loop is over: it awaits the task's JoinHandle. The task is not finished, so main waits.
     The task resumes after its last yield, leaves its loop and ends; that wakes main, which logs
     \"main: joined the task\". All of it at 0 ms: yielding takes no time.",
};

#[test]
fn predict_yield_in_turn() {
    checker::run(check_prediction(&YIELD_IN_TURN, yield_in_turn, PREDICT_YIELD_IN_TURN));
}

// Program 3 ------------------------------------------------------------------

async fn greet(log: Log) {
    log.say("greet: hello");
}

async fn future_never_awaited(log: Log) {
    log.say("main: making the future");
    let _greeting = greet(log.clone());
    log.say("main: made it");
    tokio::time::sleep(Duration::from_millis(100)).await;
    log.say("main: returning");
}

const FUTURE_NEVER_AWAITED: Program = Program {
    number: 3,
    name: "a future made and never awaited",
    constant: "PREDICT_FUTURE_NEVER_AWAITED",
    can_log: &["greet: hello", "main: making the future", "main: made it", "main: returning"],
    why: "  1. main logs \"main: making the future\".
  2. greet(log.clone()) builds a future and runs none of its body: an async fn's body runs when the
     future is polled (awaited, joined, or spawned), and nobody polls this one. main logs
     \"main: made it\".
  3. main sleeps 100 ms and logs \"main: returning\". When main returns, _greeting is dropped,
     never polled: \"greet: hello\" is never logged. Program 1's task ran without an .await because
     it was spawned; a plain future is only a recipe. (Without the _ in its name, rustc warns:
     futures do nothing unless you `.await` or poll them.)",
};

#[test]
fn predict_future_never_awaited() {
    checker::run(check_prediction(&FUTURE_NEVER_AWAITED, future_never_awaited, PREDICT_FUTURE_NEVER_AWAITED));
}

// Program 4 ------------------------------------------------------------------

async fn join_zero_sleep(log: Log) {
    let sleeper = async {
        log.say("sleeper: sleeping 0 ms");
        tokio::time::sleep(Duration::ZERO).await;
        log.say("sleeper: awake");
    };
    let ready = async {
        log.say("ready: 42");
        42
    };
    let ((), answer) = tokio::join!(sleeper, ready);
    log.say(format!("main: joined, got {answer}"));
}

const JOIN_ZERO_SLEEP: Program = Program {
    number: 4,
    name: "join! of a 0 ms sleep and a ready value",
    constant: "PREDICT_JOIN_ZERO_SLEEP",
    can_log: &["sleeper: sleeping 0 ms", "sleeper: awake", "ready: 42", "main: joined, got 42"],
    why: "  1. join! polls its two futures on main's own task (nothing is spawned), the first one first. The
     sleeper logs \"sleeper: sleeping 0 ms\" and awaits sleep(Duration::ZERO).
  2. A 0 ms sleep is due now, and now has already come: here, on the paused clock, tokio's sleep is
     ready at its very first poll, so that .await does not yield at all. The sleeper goes straight on: \"sleeper: awake\",
     and it is done.
  3. Only then does join! poll the second future: \"ready: 42\".
  4. Both are done, so join! returns both outputs, in order, and main logs
     \"main: joined, got 42\". In Python, `await asyncio.sleep(0)` is how a task yields to the
     others; a zero sleep in tokio promises no such thing. To give the others a turn, use
     tokio::task::yield_now().",
};

#[test]
fn predict_join_zero_sleep() {
    checker::run(check_prediction(&JOIN_ZERO_SLEEP, join_zero_sleep, PREDICT_JOIN_ZERO_SLEEP));
}
