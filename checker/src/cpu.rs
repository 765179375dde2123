//! Real CPU work of a known size, for the tests of code that must run it
//! off the executor (`spawn_blocking`).
//!
//! The amount is measured on the calling thread's CPU clock, not the wall
//! clock: on a loaded machine the work takes longer in real time but stays
//! the same work, so a blocking verdict about it never depends on the load.

use std::time::{Duration, Instant};

use crate::blocking::thread_cpu_ns;

/// Computes (a hash chain) for `cpu` of the calling thread's CPU time and
/// returns the hash, so the work cannot be optimised away. Where the
/// platform has no per-thread CPU clock, it counts wall time instead.
pub fn burn_cpu(cpu: Duration) -> u64 {
    let budget = cpu.as_nanos() as u64;
    let (start_cpu, start_wall) = (thread_cpu_ns(), Instant::now());
    let spent = || match (start_cpu, thread_cpu_ns()) {
        (Some(then), Some(now)) => now.saturating_sub(then),
        _ => start_wall.elapsed().as_nanos() as u64,
    };
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    loop {
        for byte in 0..4096u64 {
            hash = (hash ^ byte).wrapping_mul(0x0100_0000_01b3);
        }
        if spent() >= budget {
            return std::hint::black_box(hash);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burns_at_least_what_it_is_asked() {
        let start = Instant::now();
        burn_cpu(Duration::from_millis(20));
        assert!(start.elapsed() >= Duration::from_millis(20));
    }
}
