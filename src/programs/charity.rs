//! Charitable linkage: a secondary payer with a yearly budget that tops up households whose
//! income after government programs is still below `target_multiple` × the standard, in an
//! order of priority, and stops when its budget is spent. The budget needs the whole year's
//! demand: the engine first adds up demand by priority class (exactly, in fen) over every
//! household, then runs the claimant households again over the same regenerated trajectories
//! to pay the share the budget fills (`engine::run_split`).

use super::MAX_PROPENSITIES;
use super::{fen, HouseholdKey, Ledger, MonthCtx, ProgramsParams, Record, Step, YearCtx};
use crate::check::Checker;
use crate::counters::c;
use crate::schedule::Schedule;
use crate::simulation::SimulationParams;
use serde::{Deserialize, Serialize};

/// `programs.charity.*`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CharityParams {
    /// Switch the payer on or off.
    pub enabled: bool,
    /// Yearly budget, yuan (national), by year.
    pub budget: Schedule,
    /// Order in which claimant classes are served.
    pub priority: Priority,
    /// Households are topped up to this multiple of the dibao standard.
    pub target_multiple: f64,
}

/// `programs.charity.priority`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    /// Marginal families, then the excluded poor, then everyone else.
    MarginalFirst,
    /// The excluded poor first, then marginal families, then everyone else.
    PoorFirst,
    /// Every claim alike.
    ProRata,
}

/// Claimant classes.
pub mod class {
    /// Registered marginal families.
    pub const MARGINAL: usize = 0;
    /// Poor (income below the standard) but receiving neither dibao nor tekun.
    pub const EXCLUDED_POOR: usize = 1;
    /// Anyone else still below the target (recipients, unregistered near-poor).
    pub const OTHER: usize = 2;
}

impl CharityParams {
    pub(crate) fn validate(&self, c: &mut Checker, sim: &SimulationParams) {
        let k = "programs.charity";
        c.range(
            &format!("{k}.target_multiple"),
            self.target_multiple,
            0.0,
            5.0,
            "a multiple of the standard",
        );
        if self.enabled {
            let years = sim.start_year..=sim.start_year + sim.years as i32 - 1;
            c.schedule(
                &format!("{k}.budget"),
                &self.budget,
                years,
                0.0,
                1e13,
                "yuan per year",
            );
        }
    }

    /// Priority rank (0 = first) of a claimant class.
    pub fn rank(&self, class: usize) -> usize {
        match self.priority {
            Priority::MarginalFirst => class,
            Priority::PoorFirst => [1, 0, 2][class],
            Priority::ProRata => 0,
        }
    }

    /// The household's claim this month, yuan: the gap to the target, for every member.
    #[inline]
    pub fn claim(&self, y_post: f64, standard: f64, size: f64) -> f64 {
        ((self.target_multiple * standard - y_post) * size).max(0.0)
    }

    /// Fill fractions per rank: ranks are served in order, each fully while the budget lasts;
    /// the rank where it runs out is paid pro rata; later ranks get nothing.
    pub fn fill(budget: f64, demand: [f64; 3]) -> [f64; 3] {
        let mut left = budget;
        let mut f = [0.0; 3];
        for r in 0..3 {
            if demand[r] <= 0.0 {
                f[r] = 1.0;
                continue;
            }
            f[r] = (left / demand[r]).clamp(0.0, 1.0);
            left = (left - demand[r]).max(0.0);
        }
        f
    }
}

/// The claimant class of a household whose month's awards are in `led`; `poor`: its true
/// income is below the local standard.
pub fn class_of(led: &Ledger, poor: bool) -> usize {
    if led.marginal {
        class::MARGINAL
    } else if poor && !led.on_dibao() && !led.tekun {
        class::EXCLUDED_POOR
    } else {
        class::OTHER
    }
}

/// Charity as the last step: it tops up what every government program left.
#[derive(Debug, Clone)]
pub struct Charity {
    p: CharityParams,
    ln_target: f64,
}

impl Step for Charity {
    type Household = ();

    fn new(p: &ProgramsParams) -> Option<Charity> {
        p.charity.enabled.then(|| Charity {
            p: p.charity.clone(),
            ln_target: p.charity.target_multiple.ln(),
        })
    }

    fn household(&self, _key: &HouseholdKey, _u: &[f64; MAX_PROPENSITIES]) {}

    fn year(&self, _h: &mut (), y: &YearCtx) -> f64 {
        // A claim needs income (before transfers, a fortiori after) below the target.
        y.ln_standard + self.ln_target
    }

    fn step(&self, _h: &mut (), y: &YearCtx, mo: &MonthCtx, led: &mut Ledger, rec: &mut Record) {
        let claim = self
            .p
            .claim(mo.y + led.government() / y.size, y.standard, y.size);
        if claim <= 0.0 {
            return;
        }
        let rank = self.p.rank(class_of(led, mo.poor));
        led.claimed = 1 << rank;
        match y.charity_fill {
            // First pass: the claim is demand.
            None => rec[c::CHARITY_DEMAND_0 + rank] += fen(claim),
            Some(fill) => {
                led.charity = claim * fill[rank];
                if led.charity > 0.0 {
                    rec[c::CHARITY_HH_MONTHS] += 1;
                }
                rec[c::COST_CHARITY_FEN] += fen(led.charity);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charity_stops_at_its_budget_serving_priorities_in_order() {
        // Budget 100: the first rank (demand 60) in full, the second (80) half-filled, the third nothing.
        let f = CharityParams::fill(100.0, [60.0, 80.0, 50.0]);
        assert_eq!(f, [1.0, 0.5, 0.0]);
        let paid: f64 = f.iter().zip([60.0, 80.0, 50.0]).map(|(a, b)| a * b).sum();
        assert!((paid - 100.0).abs() < 1e-9);
    }

    #[test]
    fn ample_budget_fills_every_claim() {
        assert_eq!(
            CharityParams::fill(1e9, [60.0, 80.0, 50.0]),
            [1.0, 1.0, 1.0]
        );
    }

    #[test]
    fn priority_rules_order_the_classes() {
        let mut p = crate::scenario::load_str("", "t")
            .unwrap()
            .scenario
            .programs
            .charity;
        p.priority = Priority::PoorFirst;
        assert_eq!(p.rank(class::EXCLUDED_POOR), 0);
        assert_eq!(p.rank(class::MARGINAL), 1);
        p.priority = Priority::ProRata;
        assert_eq!(p.rank(class::OTHER), 0);
        assert!(
            (p.claim(500.0, 600.0, 2.0) - 2.0 * (p.target_multiple * 600.0 - 500.0)).abs() < 1e-9
        );
    }
}
