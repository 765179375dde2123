//! The limit flags every command that runs tests takes, declared once.

use std::time::Duration;

use crate::runner::RunOptions;

/// `--wall-limit`, `--memory-limit`, `--jobs`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct LimitArgs {
    /// Real-time limit per test, in seconds (default 10).
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    pub wall_limit: Option<Duration>,
    /// Memory (address space) limit per test process, in MiB (default 4096).
    #[arg(long, value_name = "MIB")]
    pub memory_limit: Option<u64>,
    /// Tests run at once (default: the number of CPUs).
    #[arg(long, short, value_name = "N")]
    pub jobs: Option<usize>,
}

impl LimitArgs {
    /// The runner's options: the defaults, with what was given.
    pub fn run_options(&self) -> RunOptions {
        let mut options = RunOptions::default();
        if let Some(limit) = self.wall_limit {
            options.wall_limit = limit;
        }
        if let Some(mib) = self.memory_limit {
            options.memory_limit = Some(mib << 20);
        }
        if let Some(jobs) = self.jobs {
            options.jobs = jobs.max(1);
        }
        options
    }

    /// The same flags as words, to pass on to another `cargo xtask grade`
    /// (the Gradescope bundle's scripts).
    pub fn as_flags(&self) -> Vec<String> {
        let mut flags = Vec::new();
        if let Some(limit) = self.wall_limit {
            flags.push(format!("--wall-limit {}", limit.as_secs_f64()));
        }
        if let Some(mib) = self.memory_limit {
            flags.push(format!("--memory-limit {mib}"));
        }
        if let Some(jobs) = self.jobs {
            flags.push(format!("--jobs {jobs}"));
        }
        flags
    }
}

pub fn parse_secs(text: &str) -> Result<Duration, String> {
    let secs: f64 = text.parse().map_err(|_| format!("'{text}' is not a number of seconds"))?;
    if !(secs > 0.0 && secs <= 3600.0) {
        return Err("give a number of seconds between 0 and 3600".into());
    }
    Ok(Duration::from_secs_f64(secs))
}
