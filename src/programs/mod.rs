//! The programs of the tiered assistance system, one file each. A program's rule is pure: it
//! takes the household's facts for the month, its own state and the administrative draws the
//! engine hands it, and returns the award. Its parameters live beside it, under
//! `programs.<name>` in the scenario.

pub mod dibao;

use crate::scenario::{Checker, SimulationParams};
use serde::{Deserialize, Serialize};

/// `programs.*`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgramsParams {
    pub dibao: dibao::DibaoParams,
}

impl ProgramsParams {
    pub(crate) fn validate(&self, c: &mut Checker, sim: &SimulationParams) {
        self.dibao.validate(c, sim);
    }
}

/// The programs whose cost is reported separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Program {
    Dibao,
}

impl Program {
    /// Every program, in reporting order.
    pub const ALL: [Program; 1] = [Program::Dibao];

    /// Name used in metric names (`cost_<name>`).
    pub fn name(self) -> &'static str {
        match self {
            Program::Dibao => "dibao",
        }
    }
}
