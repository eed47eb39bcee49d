//! safetynet: a parallel Monte Carlo microsimulation of China's tiered and classified social
//! assistance. It generates synthetic household populations, applies a scenario's standards
//! and rules month by month over many years, and estimates budget cost, coverage and
//! fall-back-into-poverty rates, with uncertainty over replications.
//!
//! Everything the CLI does is callable from here:
//! ```no_run
//! use safetynet::{engine, output, scenario};
//! let loaded = scenario::load(std::path::Path::new("scenarios/baseline.toml")).unwrap();
//! let model = engine::Model::new(&loaded).unwrap();
//! let counters = engine::run(&[model.clone()], &engine::RunOptions::default()).unwrap();
//! let results = output::collect(&[model], &counters);
//! print!("{}", output::summary_table(&results[0], 2023, 10));
//! ```

pub mod backtest;
pub mod calibrate;
pub mod check;
pub mod cli;
pub mod compare;
pub mod counters;
pub mod dynamics;
pub mod engine;
pub mod error;
pub mod folder;
pub mod incidence;
pub mod metrics;
pub mod output;
pub mod overrun;
pub mod payers;
pub mod population;
pub mod programs;
pub mod reference;
pub mod report;
pub mod rng;
pub mod scenario;
pub mod schedule;
pub mod shard;
pub mod simulation;
pub mod solve;

pub use error::{Error, Result};
