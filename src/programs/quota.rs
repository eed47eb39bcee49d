//! Quotas: an optional cap on dibao recipients per stratum (a share of its households), filled
//! by assessed need, highest first. The cap needs the year's whole distribution of need, so the
//! engine runs a replication once to record recipients by need (exact integer histograms), then
//! again admitting only households whose assessed need reaches the stratum's cut-off.
//!
//! Need is the assessed shortfall as a share of the standard, 1 − assessed income / standard.
//! The second run admits fewer households, whose own dynamics differ slightly, so the cap holds
//! approximately (the cut-off is set on the first run's distribution); the tests bound it.
//!
//! The cap is a share of the stratum's households (`basis = "households"`), or a number of
//! households held by administration (`basis = "start_year"`): a share of the stratum's own
//! uncapped caseload in the first simulated year, moved each later year by `growth`, whatever
//! the standard or incomes do (a county's quota, 指标, issue 10: history's caseload does not
//! follow the standard-to-income ratio, docs/history-notes.md "The caseload's response to the standard").
//! Such a cap is refined once: a second pass at the first cut-offs shows where the capped count
//! lands, and the cut-offs are set again on the first pass's need aimed at cap × cap / count
//! (`engine::quota_cut`); the run itself is the third pass.

use super::MAX_PROPENSITIES;
use super::{HouseholdKey, Ledger, MonthCtx, ProgramsParams, Record, Step, YearCtx};
use crate::check::Checker;
use crate::counters::c;
use crate::schedule::Schedule;
use crate::simulation::SimulationParams;
use serde::{Deserialize, Serialize};

pub use crate::counters::NEED_BINS;

/// `programs.quota.*`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotaParams {
    /// Switch the cap on or off.
    pub enabled: bool,
    /// Cap on dibao households (monthly average), share 0–1 of what `basis` names.
    pub share: f64,
    /// What the cap is a share of.
    pub basis: QuotaBasis,
    /// With `basis = "start_year"`: the cap's growth from year y−1 to y, share (a year
    /// schedule; the first simulated year's value is not used).
    pub growth: Schedule,
}

/// `programs.quota.basis`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuotaBasis {
    /// The stratum's households (sample weight), each year.
    Households,
    /// The stratum's uncapped dibao households (monthly average, weighted by the year's
    /// population weights) in the first simulated year, moved by `growth` after it: a number of
    /// households, not a share of the population.
    StartYear,
}

impl QuotaParams {
    pub(crate) fn validate(&self, c: &mut Checker, sim: &SimulationParams) {
        c.share("programs.quota.share", self.share);
        if self.basis == QuotaBasis::StartYear {
            let years = sim.start_year + 1..=sim.start_year + sim.years as i32 - 1;
            c.schedule(
                "programs.quota.growth",
                &self.growth,
                years,
                -0.5,
                1.0,
                "a yearly growth rate",
            );
        }
    }

    /// The cap of year index `t` (0 = the first simulated year) as a multiple of the first
    /// year's, with `basis = "start_year"`: the product of (1 + growth) over the years after it.
    pub fn growth_factor(&self, start_year: i32, t: usize) -> f64 {
        (1..=t as i32)
            .map(|k| 1.0 + self.growth.at(start_year + k).unwrap_or(0.0))
            .product()
    }
}

/// Histogram bin of a need in [0, 1].
#[inline]
pub fn bin(need: f64) -> usize {
    ((need.clamp(0.0, 1.0) * NEED_BINS as f64) as usize).min(NEED_BINS - 1)
}

/// The smallest need admitted when `cap` households (monthly average) may be on dibao and
/// `recipients[b]` households of need bin `b` were (monthly average) without a cap: bins are
/// admitted from the neediest down while they fit. 0 when everyone fits.
pub fn cut_off(recipients: &[f64; NEED_BINS], cap: f64) -> f64 {
    let mut total = 0.0;
    for b in (0..NEED_BINS).rev() {
        total += recipients[b];
        if total > cap {
            return (b + 1) as f64 / NEED_BINS as f64;
        }
    }
    0.0
}

/// The quota as a step after dibao: it counts dibao's recipients by assessed need. (In a pass
/// with cut-offs, dibao admits by the cut-off, read in its yearly facts.)
#[derive(Debug, Clone)]
pub struct Quota;

impl Step for Quota {
    type Household = ();
    const QUIET: bool = true;

    fn new(p: &ProgramsParams) -> Option<Quota> {
        p.quota.enabled.then_some(Quota)
    }

    fn household(&self, _key: &HouseholdKey, _u: &[f64; MAX_PROPENSITIES]) {}

    fn year(&self, _h: &mut (), _y: &YearCtx) -> f64 {
        f64::NEG_INFINITY
    }

    fn step(&self, _h: &mut (), y: &YearCtx, _mo: &MonthCtx, led: &mut Ledger, rec: &mut Record) {
        // Recorded in the passes whose counts set the cut-offs: the first, and the one at given
        // cut-offs that shows where a held cap's count lands (`engine::quota_cut`).
        if y.quota_record && led.on_dibao() {
            let need = 1.0 - led.dibao_assessed_pc / y.standard;
            rec[c::QUOTA_NEED_0 + bin(need)] += 1;
        }
    }

    /// It counts dibao's recipients only.
    #[inline(always)]
    fn quiet(&self, _h: &(), _y: &YearCtx, _mo: &MonthCtx, led: &mut Ledger) -> bool {
        !led.on_dibao()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_off_admits_the_neediest_bins_that_fit() {
        let mut r = [0.0; NEED_BINS];
        r[NEED_BINS - 1] = 10.0; // the neediest
        r[NEED_BINS / 2] = 10.0;
        r[0] = 10.0;
        assert_eq!(cut_off(&r, 100.0), 0.0);
        // 25 fit the two neediest groups but not the least needy: the cut-off is the upper edge
        // of the lowest bin (the empty bins between cost nothing).
        assert_eq!(cut_off(&r, 25.0), 1.0 / NEED_BINS as f64);
        r[1] = 10.0;
        assert_eq!(cut_off(&r, 25.0), 2.0 / NEED_BINS as f64);
        assert_eq!(cut_off(&r, 5.0), 1.0);
        assert_eq!(bin(1.0), NEED_BINS - 1);
        assert_eq!(bin(0.0), 0);
    }

    #[test]
    fn the_start_year_cap_moves_by_its_growth_only_after_the_first_year() {
        let q = QuotaParams {
            enabled: true,
            share: 0.8,
            basis: QuotaBasis::StartYear,
            growth: Schedule([(2023, 0.5), (2024, -0.1), (2026, 0.2)].into()),
        };
        assert_eq!(q.growth_factor(2023, 0), 1.0);
        assert!((q.growth_factor(2023, 1) - 0.9).abs() < 1e-12);
        // 2025 carries 2024's value forward (a schedule holds until its next key).
        assert!((q.growth_factor(2023, 2) - 0.81).abs() < 1e-12);
        assert!((q.growth_factor(2023, 3) - 0.81 * 1.2).abs() < 1e-12);
    }
}
