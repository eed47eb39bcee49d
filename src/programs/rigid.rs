//! Families with rigid-expenditure difficulty: essential spending (medical, education) that
//! pushes income net of it below the line, or takes more than a set share of income. Two
//! switchable parts: the deduction of essential spending in the dibao means test, and special
//! assistance reimbursing a share of essential spending, up to a cap, for households with
//! income below the local mean per-capita income whose essential spending exceeds a share of it.

use super::MAX_PROPENSITIES;
use super::{
    check_from_year, fen, in_force, in_force_in_year, HouseholdKey, Ledger, MonthCtx,
    ProgramsParams, Record, Step, YearCtx,
};
use crate::check::Checker;
use crate::counters::c;
use crate::simulation::SimulationParams;
use serde::{Deserialize, Serialize};

/// `programs.rigid.*`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RigidParams {
    /// Special assistance on or off.
    pub enabled: bool,
    /// Deduct essential spending from income in the dibao means test.
    pub deduct_in_means_test: bool,
    /// Income limit: per-capita income below this multiple of the stratum's mean per-capita income.
    pub income_limit_multiple: f64,
    /// Essential spending must exceed this share 0–1 of household income.
    pub spending_share_threshold: f64,
    /// Share 0–1 of essential spending reimbursed.
    pub reimburse_share: f64,
    /// Cap, yuan per household per month at start-year prices.
    pub cap_per_month: f64,
    /// Share 0–1 of eligible households that apply.
    pub take_up: f64,
    /// First calendar year in which special assistance is paid (a rule dated by its year; the
    /// deduction in the means test is not dated).
    pub from_year: i32,
}

impl RigidParams {
    pub(crate) fn validate(&self, c: &mut Checker, _sim: &SimulationParams) {
        let k = "programs.rigid";
        c.range(
            &format!("{k}.income_limit_multiple"),
            self.income_limit_multiple,
            0.0,
            10.0,
            "a multiple of mean income",
        );
        c.share(
            &format!("{k}.spending_share_threshold"),
            self.spending_share_threshold,
        );
        c.share(&format!("{k}.reimburse_share"), self.reimburse_share);
        c.range(
            &format!("{k}.cap_per_month"),
            self.cap_per_month,
            0.0,
            1e6,
            "yuan per household per month",
        );
        c.share(&format!("{k}.take_up"), self.take_up);
        check_from_year(c, &format!("{k}.from_year"), self.from_year);
    }

    /// Per-capita income net of essential spending, yuan per person per month.
    #[inline]
    pub fn net_income(y: f64, essential: f64, size: f64) -> f64 {
        (y - essential / size).max(0.0)
    }

    /// Whether a household qualifies: per-capita income `y` below the limit (`mean_income` is
    /// the stratum's mean per-capita income) and essential spending over the threshold share.
    #[inline]
    pub fn qualifies(&self, y: f64, size: f64, essential: f64, mean_income: f64) -> bool {
        y < self.income_limit_multiple * mean_income
            && essential > self.spending_share_threshold * y * size
    }

    /// Reimbursement, yuan per household per month; `cap` is the cap at this year's prices.
    #[inline]
    pub fn reimbursement(&self, essential: f64, cap: f64) -> f64 {
        (self.reimburse_share * essential).min(cap)
    }
}

/// Rigid expenditure as a step. Its deduction in the means test is applied before any step
/// (see [`super::dibao::MeansTest`]); its line here keeps those months on the steps.
#[derive(Debug, Clone)]
pub struct Rigid {
    p: RigidParams,
    ln_counted: f64,
}

/// A household's application propensity and yearly facts.
#[derive(Debug, Clone)]
pub struct RigidHouse {
    applies: bool,
    /// Special assistance may be in force this year (each month checks [`in_force`]).
    in_force: bool,
    mean_income: f64,
    /// The cap at this year's prices, yuan per household per month.
    cap: f64,
}

impl Step for Rigid {
    type Household = RigidHouse;
    const QUIET: bool = true;
    /// Slot 4: applies when eligible.
    const PROPENSITIES: usize = 5;

    fn new(p: &ProgramsParams) -> Option<Rigid> {
        let r = &p.rigid;
        (r.enabled || r.deduct_in_means_test).then(|| Rigid {
            p: r.clone(),
            ln_counted: p.dibao.assessment.income_counted_share.ln(),
        })
    }

    fn household(&self, _key: &HouseholdKey, u: &[f64; MAX_PROPENSITIES]) -> RigidHouse {
        RigidHouse {
            applies: u[4] < self.p.take_up,
            in_force: false,
            mean_income: 0.0,
            cap: 0.0,
        }
    }

    fn illness_matters(&self) -> bool {
        // Medical spending of an illness month counts, both in the deduction and the assistance.
        true
    }

    /// Illness months count in the deduction, or in the assistance where it may pay.
    #[inline(always)]
    fn illness_matters_for(&self, h: &RigidHouse) -> bool {
        self.p.deduct_in_means_test || (h.in_force && h.applies)
    }

    /// The income limit where the rule is in force (the education test only lowers the
    /// line); none with essential spending deducted in the means test (the deduction's line
    /// depends on the household's education spending).
    fn line_bound(&self, y: &YearCtx) -> f64 {
        let r = &self.p;
        if r.deduct_in_means_test {
            f64::INFINITY
        } else if r.enabled && in_force_in_year(r.from_year, y.year) {
            (r.income_limit_multiple * y.mean_income).ln()
        } else {
            f64::NEG_INFINITY
        }
    }

    /// A household that would not apply, without the deduction, has no line and no illness
    /// month that matters.
    #[inline(always)]
    fn inert(&self, h: &RigidHouse) -> bool {
        !self.p.deduct_in_means_test && !h.applies
    }

    fn year(&self, h: &mut RigidHouse, y: &YearCtx) -> f64 {
        let r = &self.p;
        h.mean_income = y.mean_income;
        h.cap = r.cap_per_month * y.price_index;
        let ms = y.medical_share;
        let mut line = f64::NEG_INFINITY;
        h.in_force = r.enabled && in_force_in_year(r.from_year, y.year);
        // A household that would not apply is never paid.
        if h.in_force && h.applies {
            // Below the income limit, and (outside illness months) education spending over
            // the threshold share of income.
            let mut bound = r.income_limit_multiple * y.mean_income;
            if r.spending_share_threshold > ms {
                bound = bound.min(y.education / (y.size * (r.spending_share_threshold - ms)));
            }
            // A household with no school spending has a bound of 0, whose log is −∞: no
            // call.
            line = if bound == 0.0 {
                f64::NEG_INFINITY
            } else {
                bound.ln()
            };
        }
        if r.deduct_in_means_test {
            // Counted income net of essential spending below the standard.
            line =
                line.max(((y.standard + y.education / y.size) / (1.0 - ms)).ln() - self.ln_counted);
        }
        line
    }

    fn step(
        &self,
        h: &mut RigidHouse,
        y: &YearCtx,
        mo: &MonthCtx,
        led: &mut Ledger,
        rec: &mut Record,
    ) {
        if self.pays(h, y, mo) {
            led.rigid = true;
            led.special_rigid = self.p.reimbursement(mo.essential, h.cap);
            rec[c::COST_RIGID_FEN] += fen(led.special_rigid);
            rec[c::RIGID_HH_MONTHS] += 1;
        }
    }

    /// The step does nothing unless it pays.
    #[inline(always)]
    fn quiet(&self, h: &RigidHouse, y: &YearCtx, mo: &MonthCtx, _: &mut Ledger) -> bool {
        !self.pays(h, y, mo)
    }
}

impl Rigid {
    /// Special assistance in force this month, and a household that applies qualifies.
    #[inline(always)]
    fn pays(&self, h: &RigidHouse, y: &YearCtx, mo: &MonthCtx) -> bool {
        h.in_force
            && in_force(self.p.from_year, y.year, mo.m)
            && h.applies
            && self.p.qualifies(mo.y, y.size, mo.essential, h.mean_income)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> RigidParams {
        crate::scenario::load_str("", "t")
            .unwrap()
            .scenario
            .programs
            .rigid
    }

    #[test]
    fn household_with_large_medical_bills_and_modest_income_qualifies_and_is_capped() {
        let p = params();
        // Two persons at 1,500 yuan each, mean income 4,000, 2,000 yuan of medical bills.
        assert!(p.qualifies(1500.0, 2.0, 2000.0, 4000.0));
        let r = p.reimbursement(2000.0, p.cap_per_month);
        assert!((r - (p.reimburse_share * 2000.0).min(p.cap_per_month)).abs() < 1e-9);
        assert!(r <= p.cap_per_month);
    }

    #[test]
    fn routine_spending_or_high_income_does_not_qualify() {
        let p = params();
        assert!(!p.qualifies(1500.0, 2.0, 100.0, 4000.0));
        assert!(!p.qualifies(9000.0, 2.0, 9000.0, 4000.0));
    }

    #[test]
    fn deduction_lowers_per_capita_income_and_never_below_zero() {
        assert_eq!(RigidParams::net_income(1000.0, 600.0, 3.0), 800.0);
        assert_eq!(RigidParams::net_income(100.0, 600.0, 1.0), 0.0);
    }
}
