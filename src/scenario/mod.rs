//! Scenarios: the parameters of one run, read from TOML. Every scenario implicitly extends
//! `scenarios/defaults.toml` (embedded), may `extends` another file and override keys, and is
//! checked whole before anything runs: unknown keys, wrong types and out-of-range values are
//! errors that name the file, the key path, the value and what is allowed.
//!
//! Parameters live with the rule that uses them: `programs.dibao.*` is
//! [`crate::programs::dibao::DibaoParams`], `dynamics.*` is [`crate::dynamics::DynamicsParams`],
//! `population.*` is [`crate::population::PopulationParams`].

mod check;
mod load;
pub mod uncertain;

pub use check::Checker;
pub(crate) use load::defaults_table;
pub use load::{load, load_str, parse_override, LoadedScenario, DEFAULTS_TOML};

use crate::dynamics::DynamicsParams;
use crate::metrics::MetricsParams;
use crate::population::PopulationParams;
use crate::programs::ProgramsParams;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A fully resolved scenario.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Short name used in output rows.
    pub name: String,
    /// One line on what the scenario is.
    pub description: String,
    /// Optional sources: key path → where its value comes from.
    #[serde(default)]
    pub references: BTreeMap<String, String>,
    pub simulation: SimulationParams,
    pub population: PopulationParams,
    pub dynamics: DynamicsParams,
    pub programs: ProgramsParams,
    pub metrics: MetricsParams,
    /// Who pays: the central allocation rule (`payers.*`).
    pub payers: crate::payers::params::PayersParams,
}

/// `simulation.*`: size and randomness of a run.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimulationParams {
    /// First simulated calendar year.
    pub start_year: i32,
    /// Horizon in years (1–50).
    pub years: u32,
    /// Sample households per replication.
    pub households: u64,
    /// Monte Carlo replications (≥ 1).
    pub replications: u32,
    /// Master seed.
    pub seed: u64,
    /// Households per parallel work item; changes no output byte.
    pub chunk_size: u32,
    /// Months simulated before `start_year` so the caseload starts in its steady state.
    pub burn_in_months: u32,
}

impl SimulationParams {
    /// Number of simulated (reported) months.
    pub fn months(&self) -> u32 {
        self.years * 12
    }
    /// Calendar years of the horizon.
    pub fn calendar_years(&self) -> impl Iterator<Item = i32> + '_ {
        (0..self.years as i32).map(move |t| self.start_year + t)
    }

    fn validate(&self, c: &mut Checker) {
        c.int_range("simulation.start_year", self.start_year as i64, 1990, 2100);
        c.int_range("simulation.years", self.years as i64, 1, 50);
        c.int_range(
            "simulation.households",
            self.households as i64,
            1,
            2_000_000_000,
        );
        c.int_range(
            "simulation.replications",
            self.replications as i64,
            1,
            100_000,
        );
        c.int_range(
            "simulation.chunk_size",
            self.chunk_size as i64,
            1,
            1_000_000,
        );
        c.int_range(
            "simulation.burn_in_months",
            self.burn_in_months as i64,
            0,
            240,
        );
    }
}

impl Scenario {
    /// Check every value; the first problem is returned, attributed to the file that set it.
    pub fn validate(&self, c: &mut Checker) {
        self.simulation.validate(c);
        self.population.validate(c);
        self.dynamics.validate(c, &self.simulation);
        self.programs.validate(c, &self.simulation);
        self.metrics.validate(c, &self.simulation);
        self.payers.validate(c);
    }
}
