//! Residence-based application. When on, migrants apply for dibao where they live, at that
//! place's standard and with residents' take-up. When off, only at their registered (hukou)
//! place: at that place's standard (by default the rural stratum of their province, where most
//! migrants are registered) and with the far lower take-up of applying from afar.

use super::MAX_PROPENSITIES;
use super::{HouseholdKey, Ledger, MonthCtx, ProgramsParams, Record, Step, YearCtx};
use crate::check::Checker;
use crate::population::{Region, StrataTable};
use crate::simulation::SimulationParams;
use serde::{Deserialize, Serialize};

/// `programs.residence.*`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResidenceParams {
    /// Migrants apply where they live.
    pub based_application: bool,
    /// Multiplies a migrant household's propensity to apply when it must apply at its
    /// registered place (0–1).
    pub registered_take_up_factor: f64,
    /// The stratum of the own province where migrants are registered.
    pub registered_region: Region,
}

impl ResidenceParams {
    pub(crate) fn validate(&self, c: &mut Checker, _sim: &SimulationParams) {
        c.share(
            "programs.residence.registered_take_up_factor",
            self.registered_take_up_factor,
        );
    }

    /// For each stratum, the stratum whose standard a migrant living there applies at.
    pub fn application_strata(&self, strata: &StrataTable) -> Vec<usize> {
        let region = self.registered_region;
        (0..strata.strata.len())
            .map(|i| {
                if self.based_application {
                    return i;
                }
                let own = &strata.strata[i];
                strata
                    .strata
                    .iter()
                    .position(|o| o.province == own.province && o.region == region)
                    .unwrap_or(i)
            })
            .collect()
    }

    /// Take-up factor of a household.
    pub fn take_up_factor(&self, migrant: bool) -> f64 {
        if migrant && !self.based_application {
            self.registered_take_up_factor
        } else {
            1.0
        }
    }
}

/// Residence is a rule without a step of its own: dibao applies it to the standard and the
/// take-up of migrants, temporary assistance to their take-up. It never runs as a step.
#[derive(Debug, Clone)]
pub enum Residence {}

impl Step for Residence {
    type Household = ();

    fn new(_p: &ProgramsParams) -> Option<Residence> {
        None
    }

    fn household(&self, _key: &HouseholdKey, _u: &[f64; MAX_PROPENSITIES]) {
        match *self {}
    }

    fn year(&self, _h: &mut (), _y: &YearCtx) -> f64 {
        match *self {}
    }

    fn step(&self, _h: &mut (), _y: &YearCtx, _mo: &MonthCtx, _l: &mut Ledger, _r: &mut Record) {
        match *self {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrants_in_a_city_apply_at_home_unless_residence_based() {
        let s = crate::scenario::load_str("", "t").unwrap().scenario;
        let t = StrataTable::from_scenario(&s, "t").unwrap();
        let mut p = s.programs.residence.clone();
        p.based_application = false;
        let urban = t
            .strata
            .iter()
            .position(|x| x.region == Region::Urban)
            .unwrap();
        let map = p.application_strata(&t);
        assert_eq!(t.strata[map[urban]].region, Region::Rural);
        assert_eq!(t.strata[map[urban]].province, t.strata[urban].province);
        assert!(p.take_up_factor(true) < 1.0 || p.registered_take_up_factor == 1.0);
        p.based_application = true;
        assert_eq!(p.application_strata(&t)[urban], urban);
        assert_eq!(p.take_up_factor(true), 1.0);
    }
}
