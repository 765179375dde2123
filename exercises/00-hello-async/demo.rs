//! The playground: both demos of this exercise on a real clock, printed as
//! they happen, with their timestamps.
//!
//! ```text
//! cargo run -p hello-async --bin demo               # about 9 s of real time
//! cargo run -p hello-async --bin demo -- --paused   # the same on a paused clock: at once
//! ```
//!
//! Here `println!` and real clocks live; the tests never look at either.
//! Change it as you like: try a fourth job, or `std::thread::sleep` in
//! `say_after`, and watch what the concurrent demo does then. (One test runs
//! this binary with `--paused` and only checks that both demos' lines are
//! printed.)

use hello_async::{Log, concurrent_demo, sequential_demo};

/// The jobs of the classic demo: A 2 s, B 1 s, C 3 s.
const JOBS: &[(&str, f64)] = &[("A", 2.0), ("B", 1.0), ("C", 3.0)];

fn main() {
    // On a paused clock a sleep takes no real time: the runtime jumps the
    // clock straight to the next timer, and the timestamps come out exact.
    let paused = std::env::args().skip(1).any(|arg| arg == "--paused");
    // What `#[tokio::main(flavor = "current_thread")]` writes for you (and
    // what task 5, `block_on_anywhere`, does): a runtime on this thread,
    // running one future to its end.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(paused)
        .build()
        .expect("a current-thread runtime builds");
    runtime.block_on(async {
        println!("sequential_demo: one after another");
        sequential_demo(&Log::printing(), JOBS).await;
        println!();
        println!("concurrent_demo: all at once");
        concurrent_demo(&Log::printing(), JOBS).await;
    });
}
