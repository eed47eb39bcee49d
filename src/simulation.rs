//! `simulation.*`: the size and randomness of a run, shared by every layer (a primitive: it
//! imports nothing but the checker).

use crate::check::Checker;
use serde::{Deserialize, Serialize};

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
    /// How the programs' take-up states start, at the first burn-in month (README "Steady
    /// state").
    pub start: Start,
    /// Months of each household's past income through which dibao's roll is replayed at a
    /// `start = "replayed"` (1–240); read by no other start.
    pub replay_months: u32,
    /// `start = "replayed"`: a household whose declared income in the first month (the part
    /// of its counted income the means test sees) is this far or more above the standard is
    /// taken as off dibao's roll without a replay, log points (0–5): to be on it would have
    /// had to rise that far since its last review.
    pub replay_band: f64,
    /// Probability per skipped window (up to a year of a household's quiet months) that some
    /// month of it would have reached a line that matters: a window whose bound is at most
    /// this is skipped whole. 0 = never skip (every month stepped). 0 ≤ x < 1e-3.
    pub skip_tolerance: f64,
}

/// `simulation.start`: the programs' take-up states at the first month simulated (the first
/// burn-in month, or the start year's first with no burn-in).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Start {
    /// Nobody is on any program: the burn-in fills the caseload at the application chances'
    /// pace (a time constant of about a year in the baseline).
    Empty,
    /// Every household eligible and willing in the first month applies to dibao and marginal
    /// families and is identified by tekun in it (its chance that month is 1): the stationary
    /// law of a household whose eligibility has lasted, which is most of them; the months to
    /// each one's next review are uniform, and with hidden-income spells matching's bars start
    /// at their stationary chance (`programs::dibao`). The burn-in then only settles the fast
    /// states (processing, reviews, gradual exits, shocks) and the few recently eligible
    /// households taken up early.
    Enrolled,
    /// As `Enrolled`, except that dibao's roll in the first month is the end of a replay: the
    /// household's persistent income term is drawn backward `replay_months` months from its
    /// first month's value (a stationary AR(1) runs the same law backward), with transitory
    /// noise, shocks and disasters drawn at their chances, and dibao's monthly rule
    /// (applications at their chance, decisions, reviews, gradual exits) runs over those
    /// months from an enrolled start in the oldest. So who is on reflects how the household's
    /// income moved: one that applied when poorer and is still below the standard is on (a
    /// cost of applying keeps it off at `Enrolled`), and one eligible for only a few months
    /// may not have applied yet. The past keeps the first month's standard and composition
    /// (a stationary start); the burn-in (at least a month) settles the rest.
    /// `docs/history-notes.md`, "A stationary start by replay".
    Replayed,
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

    pub(crate) fn validate(&self, c: &mut Checker) {
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
        c.int_range(
            "simulation.replay_months",
            self.replay_months as i64,
            1,
            240,
        );
        if self.start == Start::Replayed && self.burn_in_months == 0 {
            c.fail(
                "simulation.burn_in_months",
                "0",
                "allowed with start = \"replayed\": at least 1 (the replay ends in the first burn-in month)",
            );
        }
        let b = self.replay_band;
        if !(b.is_finite() && (0.0..=5.0).contains(&b)) {
            c.fail(
                "simulation.replay_band",
                format!("{b}"),
                "allowed: log points above the standard, from 0 to 5",
            );
        }
        let t = self.skip_tolerance;
        if !(t.is_finite() && (0.0..1e-3).contains(&t)) {
            c.fail(
                "simulation.skip_tolerance",
                format!("{t:e}"),
                "allowed: a probability per skipped window, at least 0 and below 1e-3 (0 = never skip)",
            );
        }
    }
}
