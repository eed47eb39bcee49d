//! Marginal families: not dibao-eligible, per-capita income between the standard and
//! `income_multiple` × the standard (1.5 by default; some localities 2), assets within limits.
//! They are recognised on application, as in the rules: a household among the `take_up` share
//! that finds its income in the band applies with a monthly chance, is assessed (the band on
//! dibao's assessment of the month, and the asset test), and once recognised keeps the status
//! until a review (every `review_months`) finds it out of the band, or it moves to dibao or
//! tekun. A recognised family gets special assistance (medical, education, housing) as a
//! monthly amount; and with single-person inclusion, its severely ill or severely disabled
//! members may be covered by dibao individually, as single-person households.

use super::{dibao::DibaoParams, MAX_PROPENSITIES};
use super::{
    check_from_year, fen, in_force, month_draws, HouseholdKey, Ledger, MonthCtx, ProgramsParams, Record, Step,
    YearCtx,
};
use crate::check::Checker;
use crate::counters::c;
use crate::rng::Purpose;
use crate::simulation::SimulationParams;
use rand::Rng;
use serde::{Deserialize, Serialize};

/// `programs.marginal.*`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarginalParams {
    /// Switch the program on or off.
    pub enabled: bool,
    /// Upper income limit as a multiple of the dibao standard.
    pub income_multiple: f64,
    /// Share 0–1 of households that would apply when their income is in the band.
    pub take_up: f64,
    /// Chance per month, 0–1, that such a household applies while its income is in the band.
    pub monthly_apply_prob: f64,
    /// Months between reviews of a recognised family.
    pub review_months: u8,
    /// Special assistance, yuan per person per month as a share of the dibao standard.
    pub special_share: f64,
    /// Cover severely ill or disabled members of marginal families by dibao individually.
    pub single_person_inclusion: bool,
    /// First calendar year in which single-person inclusion applies (a rule dated by its year).
    pub single_person_from_year: i32,
}

impl MarginalParams {
    pub(crate) fn validate(&self, c: &mut Checker, _sim: &SimulationParams) {
        let k = "programs.marginal";
        c.range(
            &format!("{k}.income_multiple"),
            self.income_multiple,
            1.0,
            5.0,
            "a multiple of the dibao standard",
        );
        c.share(&format!("{k}.take_up"), self.take_up);
        c.share(
            &format!("{k}.monthly_apply_prob"),
            self.monthly_apply_prob,
        );
        c.int_range(
            &format!("{k}.review_months"),
            self.review_months as i64,
            1,
            60,
        );
        c.range(
            &format!("{k}.special_share"),
            self.special_share,
            0.0,
            5.0,
            "a share of the standard per person",
        );
        let _ = self.single_person_inclusion;
        check_from_year(
            c,
            &format!("{k}.single_person_from_year"),
            self.single_person_from_year,
        );
    }

    /// Whether log per-capita income `log_y` is in the marginal band [standard, multiple × standard).
    #[inline]
    pub fn in_band(&self, log_y: f64, ln_standard: f64) -> bool {
        log_y >= ln_standard && log_y < ln_standard + self.income_multiple.ln()
    }

    /// Special assistance of a marginal family of `size`, yuan per month.
    #[inline]
    pub fn special(&self, size: f64, standard: f64) -> f64 {
        self.special_share * standard * size
    }

}

/// Marginal families as a step, after dibao: a household on dibao or tekun is not marginal,
/// and the band is judged on dibao's assessment of the month.
#[derive(Debug, Clone)]
pub struct Marginal {
    p: MarginalParams,
    /// Dibao's asset test, and its rule for a member covered alone.
    dibao: DibaoParams,
    /// Single-person inclusion is on and dibao exists to pay it.
    single: bool,
    ln_multiple: f64,
    ln_counted: f64,
    /// Essential spending is deducted in the means test (`programs.rigid.deduct_in_means_test`).
    deduct: bool,
}

/// A household's application propensity, standing and yearly facts.
#[derive(Debug, Clone)]
pub struct MarginalHouse {
    /// Would apply when its income is in the band.
    applies: bool,
    /// Key of its monthly application stream (see [`super::month_draws`]).
    behaviour: u64,
    /// Recognised as a marginal family, and the month of its next review.
    recognised: bool,
    next_review: i32,
    /// Applied last month (its step runs this month, so the database sees the application).
    applied: bool,
    assets_ok: bool,
    /// Severely disabled or ill members, and their dibao as units of one this year, yuan.
    n_severe: f64,
    /// Of them, those aged `population::STAT_ELDERLY_AGE` or more.
    n_severe_elderly: i64,
    single: f64,
}

impl Marginal {
    /// [`MarginalParams::in_band`] with the multiple's log taken once.
    #[inline(always)]
    fn in_band(&self, log_y: f64, ln_standard: f64) -> bool {
        log_y >= ln_standard && log_y < ln_standard + self.ln_multiple
    }
}

impl Step for Marginal {
    type Household = MarginalHouse;
    const QUIET: bool = true;
    /// Slot 3: would apply when in the band.
    const PROPENSITIES: usize = 4;

    fn new(p: &ProgramsParams) -> Option<Marginal> {
        p.marginal.enabled.then(|| Marginal {
            p: p.marginal.clone(),
            dibao: p.dibao.clone(),
            single: p.marginal.single_person_inclusion && p.dibao.enabled,
            ln_multiple: p.marginal.income_multiple.ln(),
            ln_counted: p.dibao.assessment.income_counted_share.ln(),
            deduct: p.rigid.deduct_in_means_test,
        })
    }

    fn household(&self, key: &HouseholdKey, u: &[f64; MAX_PROPENSITIES]) -> MarginalHouse {
        MarginalHouse {
            applies: u[3] < self.p.take_up,
            behaviour: key.stream_key(Purpose::Marginal),
            recognised: false,
            next_review: 0,
            applied: false,
            assets_ok: false,
            n_severe: 0.0,
            n_severe_elderly: 0,
            single: 0.0,
        }
    }

    fn year(&self, h: &mut MarginalHouse, y: &YearCtx) -> f64 {
        // A family that would not apply is never recognised (only an application recognises
        // one), so its step reads none of the facts below: they are not made.
        if !h.applies {
            debug_assert!(!h.recognised && !h.applied);
            return f64::NEG_INFINITY;
        }
        h.assets_ok = self
            .dibao
            .assets_pass(y.hh.assets_per_capita * self.dibao.asset_index(y), y.standard);
        h.n_severe = 0.0;
        h.n_severe_elderly = 0;
        h.single = 0.0;
        for m in y.hh.members() {
            if m.severe_disability || m.severe_illness {
                h.n_severe += 1.0;
                h.n_severe_elderly += (m.age >= crate::population::STAT_ELDERLY_AGE) as i64;
                h.single += self.dibao.single_person(m, y.standard);
            }
        }
        // The top of the band, on counted income, for a household that would apply: one that
        // would not is never recognised (a recognised one, or one that applied, is busy).
        // With essential spending deducted (outside illness months, which take the steps)
        // counted income is the share counted of y (1 - medical share) - education / size.
        if self.deduct {
            let top = (y.ln_standard + self.ln_multiple - self.ln_counted).exp();
            ((top + y.education / y.size) / (1.0 - y.medical_share)).ln()
        } else {
            y.ln_standard + self.ln_multiple - self.ln_counted
        }
    }

    /// The top of the band on counted income; none with essential spending deducted (it
    /// depends on the household's education spending).
    fn line_bound(&self, y: &YearCtx) -> f64 {
        if self.deduct {
            f64::INFINITY
        } else {
            y.ln_standard + self.ln_multiple - self.ln_counted
        }
    }

    /// A family that would not apply has no line (see `year`).
    #[inline(always)]
    fn inert(&self, h: &MarginalHouse) -> bool {
        !h.applies
    }

    /// A recognised family is paid whatever its income until a review.
    #[inline(always)]
    fn busy(&self, h: &MarginalHouse) -> bool {
        h.recognised || h.applied
    }

    // In line in the month's pipeline (`Rules::month_into`): a call per stepped month cost
    // more than the step's own tests.
    #[inline(always)]
    fn step(
        &self,
        h: &mut MarginalHouse,
        y: &YearCtx,
        mo: &MonthCtx,
        led: &mut Ledger,
        rec: &mut Record,
    ) {
        let m = mo.m;
        h.applied = false;
        // Dibao and tekun are the higher tier: a family on either is not marginal.
        let regular = led.on_dibao() || led.tekun;
        // Whether the family passes the assessment, read only at a review or an application
        // (dibao's assessment error is drawn when read, `Assessment::log`).
        let passes = |assets_ok: bool, assessment: &super::Assessment| {
            !regular && assets_ok && self.in_band(assessment.log(), y.ln_standard)
        };
        if h.recognised {
            if regular {
                h.recognised = false;
            } else if m >= h.next_review {
                h.recognised = passes(h.assets_ok, &led.assessment);
                h.next_review = m + self.p.review_months as i32;
            }
        } else if h.applies
            && !regular
            && self.in_band(mo.lm, y.ln_standard)
            && (mo.enrol || month_draws(h.behaviour, m).random::<f64>() < self.p.monthly_apply_prob)
        {
            // The household applies on its own counted income; the office assesses it.
            h.applied = true;
            led.marginal_applied = true;
            if passes(h.assets_ok, &led.assessment) {
                h.recognised = true;
                h.next_review = m + self.p.review_months as i32;
                if mo.enrol {
                    // The stationary start: the months to the next review are uniform.
                    let u: f64 = month_draws(h.behaviour, m).random();
                    h.next_review = m + super::review_phase(u, self.p.review_months as i32);
                }
            }
        }
        if !h.recognised {
            return;
        }
        let special = self.p.special(y.size, y.standard);
        let single = if self.single
            && h.n_severe > 0.0
            && led.would_apply_dibao
            && in_force(self.p.single_person_from_year, y.year, mo.m)
        {
            h.single
        } else {
            0.0
        };
        led.marginal = true;
        led.special_marginal = special;
        led.single = single;
        let n_single = if single > 0.0 { h.n_severe as i64 } else { 0 };
        led.n_single = n_single;
        rec[c::COST_MARGINAL_FEN] += fen(special);
        // Members covered alone are dibao recipients, each a unit of one person.
        rec[c::COST_DIBAO_FEN] += fen(single);
        rec[c::COST_DIBAO_SINGLE_FEN] += fen(single);
        rec[c::RECIP_HH_MONTHS] += n_single;
        rec[c::RECIP_UNIT_MONTHS] += n_single;
        rec[c::RECIP_PERSON_MONTHS] += n_single;
        rec[c::RECIP_ELDERLY_PERSON_MONTHS] += if single > 0.0 {
            h.n_severe_elderly
        } else {
            0
        };
        rec[c::SINGLE_PERSON_MONTHS] += n_single;
        rec[c::MARGINAL_HH_MONTHS] += 1;
        rec[c::MARGINAL_PERSON_MONTHS] += y.k;
    }

    /// Neither recognised nor applying (not busy), and not on dibao or tekun: the step does
    /// nothing unless a family that would apply has income in the band.
    #[inline(always)]
    fn quiet(&self, h: &MarginalHouse, y: &YearCtx, mo: &MonthCtx, led: &mut Ledger) -> bool {
        debug_assert!(!self.busy(h) && !led.on_dibao() && !led.tekun);
        !(h.applies && self.in_band(mo.lm, y.ln_standard))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> MarginalParams {
        crate::scenario::load_str("", "t")
            .unwrap()
            .scenario
            .programs
            .marginal
    }

    #[test]
    fn band_runs_from_the_standard_to_the_multiple() {
        let p = params();
        let s: f64 = 769.0;
        assert!(!p.in_band(700f64.ln(), s.ln()));
        assert!(p.in_band(769f64.ln(), s.ln()));
        assert!(p.in_band((s * p.income_multiple - 1.0).ln(), s.ln()));
        assert!(!p.in_band((s * p.income_multiple + 1.0).ln(), s.ln()));
    }

    #[test]
    fn application_keys_out_of_range_are_rejected_naming_the_key() {
        for (text, key) in [
            (
                "[programs.marginal]\nmonthly_apply_prob = 1.5\n",
                "programs.marginal.monthly_apply_prob",
            ),
            (
                "[programs.marginal]\nreview_months = 0\n",
                "programs.marginal.review_months",
            ),
        ] {
            let Err(err) = crate::scenario::load_str(text, "t") else {
                panic!("accepted: {text}")
            };
            assert!(err.to_string().contains(key), "{err}");
        }
    }

    #[test]
    fn special_assistance_scales_with_members() {
        let p = params();
        assert!((p.special(3.0, 769.0) - 3.0 * p.special_share * 769.0).abs() < 1e-9);
    }
}
