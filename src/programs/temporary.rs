//! Temporary assistance: a one-off payment to households hit by an emergency or sudden
//! hardship (the shock process: hardship, illness, job loss, disaster), paid where it happened
//! (migrants included, as local rules now do without registration restriction), of k months of
//! the local dibao standard per member, k by the kind of shock; also for households already on
//! dibao.

use super::MAX_PROPENSITIES;
use super::{
    fen, month_draws, HouseholdKey, Ledger, MonthCtx, ProgramsParams, Record, Step, YearCtx,
};
use crate::check::Checker;
use crate::counters::c;
use crate::rng::{mix64, Purpose, StreamRng};
use crate::schedule::Schedule;
use crate::simulation::SimulationParams;
use rand::Rng;
use serde::{Deserialize, Serialize};

/// `programs.temporary.*`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemporaryParams {
    /// Switch the program on or off.
    pub enabled: bool,
    /// Share 0–1 of eligible shocked households that apply.
    pub take_up: f64,
    /// Eligible when per-capita income after the shock is below this multiple of the standard.
    pub income_threshold_multiple: f64,
    /// Months of the local standard paid per member, by kind of shock.
    pub months_hardship: f64,
    pub months_illness: f64,
    pub months_job_loss: f64,
    pub months_disaster: f64,
    /// Migrants apply where the emergency happened, like residents (local rules that dropped the
    /// registration and residence restriction; the 2014 rule, 国发〔2014〕47号, took only local
    /// hukou or residence-permit holders); when false they apply with the registered-place
    /// take-up factor of `programs.residence`.
    pub migrants_included: bool,
    /// Epidemic-era temporary assistance (2020–2022: help for households in difficulty because
    /// of the epidemic, 因疫遇困), by year: yearly chance 0–1 that a household whose income is
    /// below the line (`income_threshold_multiple`) is helped in one month of the year, drawn
    /// from a stream of its own. 0 in a year: nothing drawn (no output byte differs).
    pub epidemic_yearly_prob: Schedule,
    /// Months of the local standard paid per member for an epidemic hardship.
    pub months_epidemic: f64,
    /// The season: the chance that a shocked household applies in October–December, as a
    /// multiple of its chance in January–September (`take_up`), 0–10 with `take_up` × this at
    /// most 1; 1 = no season. Official counts have a heavier fourth quarter (2023: 4.818 m
    /// person-times in January–September, 7.40 m in the year). Epidemic-era help
    /// (`epidemic_yearly_prob`) has no season: the backtest's matching of a flow within a
    /// second half-year assumes a year without it (the epidemic rows are first halves).
    pub q4_multiple: f64,
}

pub use crate::dynamics::shock;

/// Whether calendar month `month` (0 = January) is in October–December, the months
/// `q4_multiple` weighs (the backtest's matching reads the same months).
#[inline]
pub fn in_q4(month: i32) -> bool {
    month >= 9
}

impl TemporaryParams {
    pub(crate) fn validate(&self, c: &mut Checker, sim: &SimulationParams) {
        let k = "programs.temporary";
        c.share(&format!("{k}.take_up"), self.take_up);
        c.range(
            &format!("{k}.income_threshold_multiple"),
            self.income_threshold_multiple,
            0.0,
            10.0,
            "a multiple of the standard",
        );
        for (y, v) in self.epidemic_yearly_prob.iter() {
            c.share(&format!("{k}.epidemic_yearly_prob.{y}"), v);
        }
        let first = self.epidemic_yearly_prob.first_year();
        if first.map_or(true, |f| f > sim.start_year) {
            c.fail(
                &format!("{k}.epidemic_yearly_prob"),
                format!("{{ first year {} }}", first.unwrap_or(0)),
                format!(
                    "a value is needed for {} (the start year; 0 where there was no epidemic rule)",
                    sim.start_year
                ),
            );
        }
        c.range(
            &format!("{k}.q4_multiple"),
            self.q4_multiple,
            0.0,
            10.0,
            "a multiple of the January–September chance to apply",
        );
        // A chance above 1 would be capped, and the backtest's weights of October–December
        // (`backtest::Season`) would no longer be the model's.
        if self.take_up * self.q4_multiple > 1.0 {
            c.fail(
                &format!("{k}.q4_multiple"),
                self.q4_multiple,
                format!(
                    "at most 1 / {k}.take_up = {:.3} (take_up x q4_multiple = {:.3} is the \
                     October–December chance to apply, a share 0–1)",
                    1.0 / self.take_up,
                    self.take_up * self.q4_multiple
                ),
            );
        }
        for (name, v) in [
            ("months_epidemic", self.months_epidemic),
            ("months_hardship", self.months_hardship),
            ("months_illness", self.months_illness),
            ("months_job_loss", self.months_job_loss),
            ("months_disaster", self.months_disaster),
        ] {
            c.range(
                &format!("{k}.{name}"),
                v,
                0.0,
                24.0,
                "months of the standard",
            );
        }
    }

    /// Months of the standard for the shocks that started (`kinds`, bit flags): the largest.
    pub fn months(&self, kinds: u8) -> f64 {
        let mut k: f64 = 0.0;
        if kinds & shock::HARDSHIP != 0 {
            k = k.max(self.months_hardship);
        }
        if kinds & shock::ILLNESS != 0 {
            k = k.max(self.months_illness);
        }
        if kinds & shock::JOB_LOSS != 0 {
            k = k.max(self.months_job_loss);
        }
        if kinds & shock::DISASTER != 0 {
            k = k.max(self.months_disaster);
        }
        k
    }

    /// The one-off payment, yuan, for a household of `size` at the local `standard`.
    pub fn payment(&self, kinds: u8, standard: f64, size: f64) -> f64 {
        self.months(kinds) * standard * size
    }

    /// Multiple of `take_up` in calendar month `month` (0 = January): `q4_multiple` in
    /// October–December, 1 before.
    #[inline]
    pub fn season(&self, month: i32) -> f64 {
        if in_q4(month) {
            self.q4_multiple
        } else {
            1.0
        }
    }
}

/// Temporary assistance as a step. It reads no other award: households on dibao or tekun are
/// helped too.
#[derive(Debug, Clone)]
pub struct Temporary {
    p: TemporaryParams,
    ln_threshold: f64,
    /// `q4_multiple` is not 1: the month is looked up.
    seasonal: bool,
    /// Take-up factor of a migrant household (the residence rule, unless migrants are
    /// included where the emergency happened).
    migrant_factor: f64,
    /// Some year of the epidemic rule has a chance above 0.
    epidemic: bool,
    /// Calendar years `from..until` hold every year whose epidemic chance is above 0.
    epidemic_years: std::ops::Range<i32>,
}

/// Salt of the epidemic stream (derived from the temporary-assistance key, so the application
/// stream keeps its draws).
const EPIDEMIC_SALT: u64 = 0xE91D_E41C_0000_2020;

/// A household's application stream and yearly facts.
#[derive(Debug, Clone)]
pub struct TemporaryHouse {
    rng: StreamRng,
    ln_line: f64,
    /// Key of the epidemic stream (one draw set per year), when the rule is on.
    epidemic_key: Option<u64>,
    /// Month of the year (0–11) of this year's epidemic hardship, if any.
    epidemic_month: Option<i32>,
}

impl Step for Temporary {
    type Household = TemporaryHouse;
    const QUIET: bool = true;

    fn new(p: &ProgramsParams) -> Option<Temporary> {
        let t = &p.temporary;
        t.enabled.then(|| Temporary {
            p: t.clone(),
            ln_threshold: t.income_threshold_multiple.ln(),
            seasonal: t.q4_multiple != 1.0,
            migrant_factor: if t.migrants_included {
                1.0
            } else {
                p.residence.take_up_factor(true)
            },
            epidemic: t.epidemic_yearly_prob.iter().any(|(_, v)| v > 0.0),
            epidemic_years: {
                // From the first key above 0 to the key after the last one above 0.
                let keys: Vec<(i32, f64)> = t.epidemic_yearly_prob.iter().collect();
                let first = keys.iter().position(|&(_, v)| v > 0.0);
                let last = keys.iter().rposition(|&(_, v)| v > 0.0);
                match (first, last) {
                    (Some(f), Some(l)) => keys[f].0..keys.get(l + 1).map_or(i32::MAX, |k| k.0),
                    _ => 0..0,
                }
            },
        })
    }

    fn household(&self, key: &HouseholdKey, _u: &[f64; MAX_PROPENSITIES]) -> TemporaryHouse {
        TemporaryHouse {
            rng: key.stream(Purpose::Temporary),
            ln_line: 0.0,
            epidemic_key: self
                .epidemic
                .then(|| mix64(key.stream_key(Purpose::Temporary) ^ EPIDEMIC_SALT)),
            epidemic_month: None,
        }
    }

    fn year(&self, h: &mut TemporaryHouse, y: &YearCtx) -> f64 {
        h.ln_line = y.ln_local_standard + self.ln_threshold;
        h.epidemic_month = None;
        // Outside `epidemic_years` every key in force is 0 or below: no schedule look-up.
        if let Some(k) = h.epidemic_key.filter(|_| self.epidemic_years.contains(&y.year)) {
            let p = self.p.epidemic_yearly_prob.at(y.year).unwrap_or(0.0);
            if p > 0.0 {
                let mut r = month_draws(k, y.year);
                if r.random::<f64>() < p {
                    h.epidemic_month = Some(r.random_range(0..12));
                }
            }
        }
        // It acts in months a shock starts, which always take the steps, and in the month of
        // an epidemic hardship when income is below its line.
        if h.epidemic_month.is_some() {
            h.ln_line
        } else {
            f64::NEG_INFINITY
        }
    }

    /// No line in a year without the epidemic rule (its facts then wait for a month that
    /// takes the steps); in a year with it, the line depends on the household's draw.
    fn line(&self, y: &YearCtx) -> Option<f64> {
        let quiet = !self.epidemic_years.contains(&y.year)
            || self.p.epidemic_yearly_prob.at(y.year).unwrap_or(0.0) <= 0.0;
        quiet.then_some(f64::NEG_INFINITY)
    }

    /// Its line in an epidemic year: the local standard times the income threshold.
    fn line_bound(&self, y: &YearCtx) -> f64 {
        y.ln_local_standard + self.ln_threshold
    }

    // In line in the month's pipeline (`Rules::month_into`): a call per stepped month cost
    // more than the step's own tests.
    #[inline(always)]
    fn step(
        &self,
        h: &mut TemporaryHouse,
        y: &YearCtx,
        mo: &MonthCtx,
        led: &mut Ledger,
        rec: &mut Record,
    ) {
        if self.epidemic_pays(h, mo) {
            // Epidemic hardship: paid where the household lives, without the application draw
            // (the yearly chance is that of being helped).
            let paid = self.p.months_epidemic * y.local_standard * y.size;
            led.temporary += paid;
            rec[c::COST_TEMPORARY_FEN] += fen(paid);
            rec[c::TEMP_CASES_PERSONS] += y.k;
            rec[c::TEMP_CASES_HH] += 1;
        }
        if mo.kinds == 0 {
            return;
        }
        // One draw per shock month, whatever the income.
        let u: f64 = h.rng.random();
        let mut factor = if y.hh.migrant {
            self.migrant_factor
        } else {
            1.0
        };
        if self.seasonal {
            // Burn-in months (m < 0) keep their calendar month.
            factor *= self.p.season(mo.m.rem_euclid(12));
        }
        if mo.ly < h.ln_line && u < self.p.take_up * factor {
            // Paid where the shock happened, at the local standard.
            let paid = self.p.payment(mo.kinds, y.local_standard, y.size);
            led.temporary += paid;
            rec[c::COST_TEMPORARY_FEN] += fen(paid);
            rec[c::TEMP_CASES_PERSONS] += y.k;
            rec[c::TEMP_CASES_HH] += 1;
        }
    }

    /// Without a shock the step does nothing unless it pays an epidemic hardship.
    #[inline(always)]
    fn quiet(&self, h: &TemporaryHouse, _: &YearCtx, mo: &MonthCtx, _: &mut Ledger) -> bool {
        mo.kinds == 0 && !self.epidemic_pays(h, mo)
    }
}

impl Temporary {
    /// The month of the household's epidemic hardship this year, with income below its line.
    /// Burn-in months (m < 0) stand for the years before the start, which the dated rule does
    /// not reach (as `in_force`): a run starting in an epidemic year pays from its start.
    #[inline(always)]
    fn epidemic_pays(&self, h: &TemporaryHouse, mo: &MonthCtx) -> bool {
        mo.m >= 0 && h.epidemic_month == Some(mo.m.rem_euclid(12)) && mo.ly < h.ln_line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> TemporaryParams {
        crate::scenario::load_str("", "t")
            .unwrap()
            .scenario
            .programs
            .temporary
    }

    #[test]
    fn family_hit_by_illness_gets_k_months_of_the_local_standard_per_member() {
        let p = params();
        let paid = p.payment(shock::ILLNESS, 769.0, 3.0);
        assert!((paid - p.months_illness * 769.0 * 3.0).abs() < 1e-9);
    }

    #[test]
    fn several_shocks_at_once_pay_the_largest_not_the_sum() {
        let p = params();
        let both = p.months(shock::ILLNESS | shock::DISASTER);
        assert_eq!(both, p.months_illness.max(p.months_disaster));
        assert_eq!(p.months(0), 0.0);
    }

    #[test]
    fn the_season_raises_the_fourth_quarter_only() {
        let mut p = params();
        assert_eq!(p.q4_multiple, 1.0, "no season by default");
        p.q4_multiple = 1.6;
        for m in 0..12 {
            assert_eq!(p.season(m), if m >= 9 { 1.6 } else { 1.0 }, "month {m}");
        }
        let e = crate::scenario::load_str("[programs.temporary]\nq4_multiple = -1.0\n", "t.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("programs.temporary.q4_multiple") && e.contains("-1"), "{e}");
        // take_up 0.3 (the default) x 4 is a chance above 1.
        let e = crate::scenario::load_str("[programs.temporary]\nq4_multiple = 4.0\n", "t.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("programs.temporary.q4_multiple") && e.contains("3.333"), "{e}");
    }

    #[test]
    fn no_epidemic_rule_by_default_and_a_bad_chance_is_refused() {
        let p = params();
        assert!(p.epidemic_yearly_prob.iter().all(|(_, v)| v == 0.0));
        let e = crate::scenario::load_str(
            "[programs.temporary]\nepidemic_yearly_prob = { 2000 = 0.0, 2022 = 1.5 }\n",
            "t.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("programs.temporary.epidemic_yearly_prob.2022") && e.contains("1.5"),
            "{e}"
        );
    }
}
