//! The command-line interface: one subcommand, one file. Raw arguments become a checked
//! scenario before any work starts; errors carry exit codes (2 bad input, 1 internal).

mod backtest;
mod calibrate;
mod compare;
mod merge;
mod population;
mod report;
mod run;
mod slurm;
mod solve;
mod sweep;
mod validate;

use crate::error::{Error, Result};
use crate::scenario::{self, LoadedScenario};
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

/// safetynet: cost, coverage and fall-back into poverty of China's social assistance, by
/// Monte Carlo microsimulation.
#[derive(Debug, Parser)]
#[command(name = "safetynet", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Simulate a scenario and write summary.csv, replications.csv and manifest.json.
    Run(run::RunArgs),
    /// Generate, describe or export the synthetic population.
    #[command(subcommand)]
    Population(population::PopulationCmd),
    /// Check scenario files without running them.
    Validate(validate::ValidateArgs),
    /// Fit free parameters to official figures; write the calibrated scenario and a fit table.
    Calibrate(calibrate::CalibrateArgs),
    /// Compare reforms with a baseline on the same households and shocks; write deltas.csv.
    Compare(compare::CompareArgs),
    /// Run a grid of values of scenario keys together; write sweep.csv.
    Sweep(sweep::SweepArgs),
    /// Write report.html (charts and tables) for a finished results folder.
    Report(report::ReportArgs),
    /// Combine the shards of a run (`run --shard i/n`) into its results folder.
    Merge(merge::MergeArgs),
    /// Write (or submit) a Slurm job array of shards and a dependent merge job.
    Slurm(slurm::SlurmArgs),
    /// Start in a past year, drive with observed series, compare with official figures.
    Backtest(backtest::BacktestArgs),
    /// Find the value of a key that makes a figure meet a limit with a stated probability.
    Solve(solve::SolveArgs),
}

/// Options shared by commands that load a scenario and simulate.
#[derive(Debug, Args, Clone)]
pub struct SimArgs {
    /// Sample households per replication (overrides simulation.households).
    #[arg(long)]
    pub households: Option<u64>,
    /// Replications (overrides simulation.replications).
    #[arg(long)]
    pub reps: Option<u32>,
    /// Master seed, 0 to 9223372036854775807 (overrides simulation.seed).
    #[arg(long, value_parser = clap::value_parser!(u64).range(..=9_223_372_036_854_775_807))]
    pub seed: Option<u64>,
    /// Horizon in years (overrides simulation.years).
    #[arg(long)]
    pub years: Option<u32>,
    /// Households per parallel work item (changes no output byte).
    #[arg(long)]
    pub chunk_size: Option<u32>,
    /// Set any scenario key, e.g. --set programs.dibao.take_up.ever_apply=0.7 (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    /// Worker threads (0 = all cores; changes no output byte).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Microdata: a household CSV to use in place of the synthetic population (see
    /// scenarios/README.md for the schema).
    #[arg(long, value_name = "FILE")]
    pub population: Option<PathBuf>,
    /// Microdata: the person CSV of --population (default: members drawn).
    #[arg(long, value_name = "FILE")]
    pub persons: Option<PathBuf>,
    /// Microdata: suppress output cells resting on fewer than N records (default 10).
    #[arg(long, value_name = "N")]
    pub min_cell: Option<u64>,
    /// No progress bars.
    #[arg(long, short)]
    pub quiet: bool,
}

impl SimArgs {
    /// These options, with `metrics.by_province=true` added when `by_province` (the
    /// `--by-province` flag of the commands that report results).
    pub(super) fn with_provinces(&self, by_province: bool) -> SimArgs {
        let mut sim = self.clone();
        if by_province {
            sim.sets.push("metrics.by_province=true".into());
        }
        sim
    }

    /// Load a scenario and apply the command-line overrides, all checked like file keys.
    pub fn load(&self, path: &Path) -> Result<LoadedScenario> {
        let loaded = scenario::load(path)?;
        let mut sets = Vec::new();
        let mut num = |key: &str, v: Option<String>| {
            if let Some(v) = v {
                sets.push((
                    key.to_string(),
                    toml::Value::Integer(v.parse::<i64>().unwrap_or(i64::MAX)),
                ));
            }
        };
        num(
            "simulation.households",
            self.households.map(|v| v.to_string()),
        );
        num("simulation.replications", self.reps.map(|v| v.to_string()));
        num("simulation.years", self.years.map(|v| v.to_string()));
        num(
            "simulation.chunk_size",
            self.chunk_size.map(|v| v.to_string()),
        );
        if let Some(seed) = self.seed {
            sets.push(("simulation.seed".into(), toml::Value::Integer(seed as i64)));
        }
        for s in &self.sets {
            sets.push(scenario::parse_override(s)?);
        }
        sets.extend(self.microdata_sets());
        // Microdata paths in a scenario file are relative to that file.
        let loaded = crate::scenario::resolve_microdata_paths(loaded)?;
        if sets.is_empty() {
            return Ok(loaded);
        }
        loaded.with_overrides(&sets, "command line")
    }

    /// The scenario keys set by --population, --persons and --min-cell.
    pub fn microdata_sets(&self) -> Vec<(String, toml::Value)> {
        let path = |p: &PathBuf| toml::Value::String(p.display().to_string());
        let mut sets = Vec::new();
        if let Some(p) = &self.population {
            sets.push(("population.source".into(), "microdata".into()));
            sets.push(("population.microdata.households".into(), path(p)));
            let persons = self.persons.as_ref().map(path).unwrap_or("".into());
            sets.push(("population.microdata.persons".into(), persons));
        } else if let Some(p) = &self.persons {
            sets.push(("population.microdata.persons".into(), path(p)));
        }
        if let Some(k) = self.min_cell {
            sets.push((
                "population.microdata.min_cell_households".into(),
                toml::Value::Integer(k.min(i64::MAX as u64) as i64),
            ));
        }
        sets
    }
}

/// A progress bar on stderr, hidden when stderr is not a terminal or with --quiet.
pub fn progress_bar(len: u64, quiet: bool, msg: &str) -> ProgressBar {
    let pb = ProgressBar::new(len);
    if quiet || !std::io::stderr().is_terminal() {
        pb.set_draw_target(ProgressDrawTarget::hidden());
    } else {
        pb.set_draw_target(ProgressDrawTarget::stderr());
    }
    pb.set_style(
        ProgressStyle::with_template(
            "{msg:>12} [{bar:40}] {pos}/{len} chunks  {elapsed_precise} eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    pb.set_message(msg.to_string());
    pb
}

/// Print to stdout; a closed pipe (e.g. `| head`) is not an error.
pub fn print_out(s: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(s.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Error::Write {
            path: PathBuf::from("<stdout>"),
            source: e,
        }),
    }
}

/// Run a parsed command line.
pub fn execute(cli: Cli, argv: Vec<String>) -> Result<()> {
    match cli.command {
        Command::Run(a) => run::run(a, argv),
        Command::Population(p) => population::run(p),
        Command::Validate(v) => validate::run(v),
        Command::Calibrate(c) => calibrate::run(c),
        Command::Compare(a) => compare::run(a, argv),
        Command::Sweep(a) => sweep::run(a, argv),
        Command::Report(a) => report::run(a),
        Command::Merge(a) => merge::run(a, argv),
        Command::Slurm(a) => slurm::run(a),
        Command::Backtest(a) => backtest::run(a, argv),
        Command::Solve(a) => solve::run(a, argv),
    }
}
