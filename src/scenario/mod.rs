//! Scenarios: the parameters of one run, read from TOML. Every scenario implicitly extends
//! `scenarios/defaults.toml` (embedded), may `extends` another file and override keys, and is
//! checked whole before anything runs: unknown keys, wrong types and out-of-range values are
//! errors that name the file, the key path, the value and what is allowed.
//!
//! Parameters live with the rule that uses them: `programs.dibao.*` is
//! [`crate::programs::dibao::DibaoParams`], `dynamics.*` is [`crate::dynamics::DynamicsParams`],
//! `population.*` is [`crate::population::PopulationParams`].

mod load;
pub mod uncertain;

pub use crate::check::Checker;
pub use crate::simulation::SimulationParams;
pub(crate) use load::defaults_table;
pub use load::{
    load, load_str, parse_override, resolve_microdata_paths, LoadedScenario, DEFAULTS_TOML,
};

use crate::dynamics::DynamicsParams;
use crate::metrics::params::MetricsParams;
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

impl Scenario {
    /// Check every value; the first problem is returned, attributed to the file that set it.
    pub fn validate(&self, c: &mut Checker) {
        self.simulation.validate(c);
        self.population.validate(c);
        self.population
            .demography
            .validate(c, &self.simulation, &self.population.members);
        self.dynamics.validate(c, &self.simulation);
        self.programs.validate(c, &self.simulation);
        self.metrics.validate(c, &self.simulation);
        self.payers.validate(c);
    }
}

impl<'a> From<&'a Scenario> for crate::population::PopulationInputs<'a> {
    fn from(s: &'a Scenario) -> Self {
        crate::population::PopulationInputs {
            population: &s.population,
            simulation: &s.simulation,
            persistent_initial_sd: s.dynamics.income.persistent_initial_sd,
            transitory_sd: s.dynamics.income.transitory_sd,
        }
    }
}
