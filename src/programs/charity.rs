//! Charitable linkage: a secondary payer with a yearly budget that tops up households whose
//! income after government programs is still below `target_multiple` × the standard, in an
//! order of priority, and stops when its budget is spent.
//!
//! The budget needs the whole year's demand, so charity is settled after the run, in one pass:
//! each month a household records its claim by priority rank (exactly, in fen) and what paying
//! it in full would take off post-transfer poverty; after the reduction, [`CharityParams::settle`]
//! fills the ranks in order from the year's weighted national demand and pays exactly
//! min(budget, demand). The rank where the budget runs out is served in a random order, each
//! claim paid in full while money lasts, so a share `fill` of its claims is paid; the settled
//! figures (cost, household-months paid, post-transfer poverty headcount and gaps) are the
//! expectation over that order. What charity pays is not in the monthly poverty status the
//! spell and fall-into-poverty counters follow, nor in the incidence tables' cash: those count
//! government transfers.

use super::MAX_PROPENSITIES;
use super::{fen, HouseholdKey, Ledger, MonthCtx, ProgramsParams, Record, Step, YearCtx};
use crate::check::Checker;
use crate::counters::{c, Counters, GapSums};
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
    /// Every claim alike (one rank, served in a random order while the budget lasts).
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
    /// the rank where it runs out gets the share of its demand the rest of the budget pays;
    /// later ranks get nothing.
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

    /// Settle one replication's charity in `acc` (counters summed over every household) and
    /// return the fill shares per year and rank: each year's budget (yuan) fills the ranks in
    /// order from the weighted national demand (`weights`: households per sample household, by
    /// stratum); every (stratum, year, half) slot then gets the paid share of its claims'
    /// cost (fen), household-months and effect on post-transfer poverty. Sums of integers
    /// scaled after the reduction, so the result is the same whatever the thread count.
    pub fn settle(&self, weights: &[f64], start_year: i32, acc: &mut Counters) -> Vec<[f64; 3]> {
        let years = acc.years;
        let fills: Vec<[f64; 3]> = (0..years)
            .map(|t| {
                let mut d = [0.0; 3];
                for (st, w) in weights.iter().enumerate() {
                    for half in 0..2 {
                        let slot = acc.get(st, t, half);
                        for (r, x) in d.iter_mut().enumerate() {
                            *x += w * slot[c::CHARITY_DEMAND_0 + r] as f64 / 100.0;
                        }
                    }
                }
                let budget = self.budget.at(start_year + t as i32).unwrap_or(0.0);
                CharityParams::fill(budget, d)
            })
            .collect();
        for st in 0..acc.strata {
            for (t, f) in fills.iter().enumerate() {
                for half in 0..2 {
                    let slot = acc.slot(st, t, half);
                    // The paid share of a rank's counter, to the nearest unit.
                    let part = |slot: &[i64; c::N], first: usize| -> i64 {
                        (0..3)
                            .map(|r| (f[r] * slot[first + r] as f64).round() as i64)
                            .sum()
                    };
                    let cost = part(slot, c::CHARITY_DEMAND_0);
                    let months = part(slot, c::CHARITY_MONTHS_0);
                    let lifted = part(slot, c::CHARITY_LIFTED_0);
                    let gap1 = part(slot, c::CHARITY_GAP1_0);
                    let gap2 = part(slot, c::CHARITY_GAP2_0);
                    slot[c::COST_CHARITY_FEN] += cost;
                    slot[c::CHARITY_HH_MONTHS] += months;
                    slot[c::POST_POOR_PERSON_MONTHS] -= lifted;
                    slot[c::POST_GAP1] -= gap1;
                    slot[c::POST_GAP2] -= gap2;
                }
            }
        }
        fills
    }
}

/// Record what paying in full a claim of rank bit `rank_bit` (a single bit) would take off
/// post-transfer poverty, for a month poor after government transfers (its gap already in
/// `gaps.post`): `y_post` per-capita income after them, `pay_pc` the claim per person, `line`
/// the poverty line (all yuan per person per month), `k` members. The gaps are rounded from
/// the period's sums (`GapSums::flush`), so a rank paid in full settles to the rounded sums
/// of the period with its claims paid, never below zero.
#[inline]
pub fn record_if_paid(
    y_post: f64,
    pay_pc: f64,
    line: f64,
    k: i64,
    rank_bit: u8,
    rec: &mut Record,
    gaps: &mut GapSums,
) {
    let r = rank_bit.trailing_zeros() as usize;
    let g0 = (line - y_post) / line;
    let y1 = y_post + pay_pc;
    let g1 = if y1 < line { (line - y1) / line } else { 0.0 };
    rec[c::CHARITY_LIFTED_0 + r] += if y1 < line { 0 } else { k };
    gaps.paid[r][0] += g0 - g1;
    gaps.paid[r][1] += g0 * g0 - g1 * g1;
    gaps.ranks |= rank_bit | GapSums::ANY;
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

    // In line in the month's pipeline (`Rules::month_into`), as every step: a call takes the
    // ledger's address, which keeps the ledger in memory (zeroed and stored) in every month.
    #[inline(always)]
    fn step(&self, _h: &mut (), y: &YearCtx, mo: &MonthCtx, led: &mut Ledger, rec: &mut Record) {
        let claim = self
            .p
            .claim(mo.y + led.government() / y.size, y.standard, y.size);
        if claim <= 0.0 {
            return;
        }
        let rank = self.p.rank(class_of(led, mo.poor));
        led.claimed = 1 << rank;
        // Demand now; paid when the year is settled (`settle`).
        led.charity = claim;
        rec[c::CHARITY_DEMAND_0 + rank] += fen(claim);
        rec[c::CHARITY_MONTHS_0 + rank] += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// A half-year of post-transfer poor months, some with a charity claim of some rank,
        /// rounded once (`GapSums::flush`) and settled with any budget: the post-charity gaps
        /// are never negative, and never above the gaps without charity. Month by month
        /// rounding, subtracted from a sum rounded once, could leave them at -1.
        #[test]
        fn settled_gaps_are_never_negative(
            months in proptest::collection::vec((0.0f64..1.0, 0.0f64..1.5, 0u8..4), 1..7),
            k in 1i64..8,
            budget in 0.0f64..2000.0,
            full in proptest::bool::ANY,
        ) {
            // Half the cases fill every rank: there a gap rounded once from the total less
            // claims' effects rounded rank by rank would go below zero.
            let budget = if full { 1e12 } else { budget };
            let line = 700.0;
            let mut rec = [0i64; c::N];
            let mut gaps = GapSums::default();
            for &(g, paid, rank) in &months {
                let y_post = line * (1.0 - g);
                // As the engine's steps: every poor month's gap, then the claim's effect.
                let g = (line - y_post) / line;
                gaps.post[0] += g;
                gaps.post[1] += g * g;
                gaps.ranks |= GapSums::ANY;
                if rank < 3 {
                    let pay = paid * line;
                    rec[c::CHARITY_DEMAND_0 + rank as usize] += super::fen(pay * k as f64);
                    record_if_paid(y_post, pay, line, k, 1 << rank, &mut rec, &mut gaps);
                }
            }
            gaps.flush(k, &mut rec);
            let mut acc = Counters::new(1, 1);
            *acc.slot(0, 0, 0) = rec;
            let mut p = crate::scenario::load_str("", "t").unwrap().scenario.programs.charity;
            p.budget = crate::schedule::Schedule::constant(2023, budget);
            p.settle(&[1.0], 2023, &mut acc);
            let s = acc.get(0, 0, 0);
            for (gap, charity) in [(c::POST_GAP1, c::CHARITY_GAP1_0), (c::POST_GAP2, c::CHARITY_GAP2_0)] {
                proptest::prop_assert!(s[gap] >= 0, "{} < 0", s[gap]);
                proptest::prop_assert!(s[gap] <= rec[gap]);
                for r in 0..3 {
                    proptest::prop_assert!(rec[charity + r] >= 0);
                }
            }
        }
    }

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
