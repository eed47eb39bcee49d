//! The programs of the tiered assistance system, one file each. A program's rule is pure: it
//! takes the household's facts for the month, its own state and the administrative draws the
//! engine hands it, and returns the award. Its parameters live beside it, under
//! `programs.<name>` in the scenario.

pub mod charity;
pub mod dibao;
pub mod marginal;
pub mod monitoring;
pub mod quota;
pub mod residence;
pub mod rigid;
pub mod services;
pub mod tekun;
pub mod temporary;

use crate::check::Checker;
use crate::simulation::SimulationParams;
use serde::{Deserialize, Serialize};

/// `programs.*`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgramsParams {
    pub dibao: dibao::DibaoParams,
    pub tekun: tekun::TekunParams,
    pub marginal: marginal::MarginalParams,
    pub rigid: rigid::RigidParams,
    pub temporary: temporary::TemporaryParams,
    pub charity: charity::CharityParams,
    pub monitoring: monitoring::MonitoringParams,
    pub residence: residence::ResidenceParams,
    pub services: services::ServicesParams,
    pub quota: quota::QuotaParams,
}

impl ProgramsParams {
    pub(crate) fn validate(&self, c: &mut Checker, sim: &SimulationParams) {
        self.dibao.validate(c, sim);
        self.tekun.validate(c);
        self.marginal.validate(c);
        self.rigid.validate(c);
        self.temporary.validate(c);
        self.charity.validate(c, sim);
        self.monitoring.validate(c);
        self.residence.validate(c);
        self.services.validate(c);
        self.quota.validate(c);
    }
}

/// The payers whose costs are reported separately; their costs sum to `cost_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Program {
    Dibao,
    Tekun,
    SpecialMarginal,
    SpecialRigid,
    Temporary,
    Services,
    Charity,
}

impl Program {
    /// Every payer, in reporting order.
    pub const ALL: [Program; 7] = [
        Program::Dibao,
        Program::Tekun,
        Program::SpecialMarginal,
        Program::SpecialRigid,
        Program::Temporary,
        Program::Services,
        Program::Charity,
    ];

    /// Name used in metric names (`cost_<name>`).
    pub fn name(self) -> &'static str {
        match self {
            Program::Dibao => "dibao",
            Program::Tekun => "tekun",
            Program::SpecialMarginal => "special_marginal",
            Program::SpecialRigid => "special_rigid",
            Program::Temporary => "temporary",
            Program::Services => "services",
            Program::Charity => "charity",
        }
    }
}
