//! One-off living subsidy: a payment of a fixed amount per person to the persons on dibao and
//! the tekun persons in one month (the 2022 一次性生活补贴 for 低保对象 and 特困人员, MCA and MOF;
//! `scenarios/baseline.toml` gives its amount and sources). It reads dibao's, single-person
//! inclusion's and tekun's awards of the month and pays from their budgets: its cost is
//! counted in `cost_dibao` and `cost_tekun`.

use super::MAX_PROPENSITIES;
use super::{HouseholdKey, Ledger, MonthCtx, ProgramsParams, Record, Step, YearCtx};
use crate::check::Checker;
use crate::simulation::SimulationParams;
use serde::{Deserialize, Serialize};

/// `programs.one_off.*`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OneOffParams {
    /// Switch the payment on or off.
    pub enabled: bool,
    /// Calendar year of the payment.
    pub year: i32,
    /// Month of that year (1–12) in which it is paid.
    pub month: i32,
    /// Yuan per person: per member of a household on dibao (or per member covered alone by
    /// single-person inclusion) and per member of a household supported by tekun.
    pub yuan_per_person: f64,
}

impl OneOffParams {
    pub(crate) fn validate(&self, c: &mut Checker, _sim: &SimulationParams) {
        let k = "programs.one_off";
        c.range(
            &format!("{k}.year"),
            self.year as f64,
            1990.0,
            2200.0,
            "a calendar year",
        );
        c.range(
            &format!("{k}.month"),
            self.month as f64,
            1.0,
            12.0,
            "a month of the year, 1-12",
        );
        c.range(
            &format!("{k}.yuan_per_person"),
            self.yuan_per_person,
            0.0,
            1e5,
            "yuan per person",
        );
    }
}

/// The one-off payment as a step. It never acts on a household of its own accord (no line):
/// recipients of dibao and tekun take every month's steps.
#[derive(Debug, Clone)]
pub struct OneOff {
    p: OneOffParams,
    /// The payment month as a month of the year, 0–11.
    month0: i32,
}

impl Step for OneOff {
    type Household = ();
    const QUIET: bool = true;

    fn new(p: &ProgramsParams) -> Option<OneOff> {
        let o = &p.one_off;
        (o.enabled && o.yuan_per_person > 0.0).then(|| OneOff {
            p: o.clone(),
            month0: o.month - 1,
        })
    }

    fn household(&self, _key: &HouseholdKey, _u: &[f64; MAX_PROPENSITIES]) {}

    fn year(&self, _h: &mut (), _y: &YearCtx) -> f64 {
        f64::NEG_INFINITY
    }

    fn line(&self, _y: &YearCtx) -> Option<f64> {
        Some(f64::NEG_INFINITY)
    }

    fn step(&self, _h: &mut (), y: &YearCtx, mo: &MonthCtx, led: &mut Ledger, rec: &mut Record) {
        if !self.pays_in(y, mo) {
            return;
        }
        led.pay_dibao_and_tekun_persons(self.p.yuan_per_person, y.size, rec);
    }

    /// Outside its month the step does nothing.
    #[inline(always)]
    fn quiet(&self, _h: &(), y: &YearCtx, mo: &MonthCtx, _: &mut Ledger) -> bool {
        !self.pays_in(y, mo)
    }
}

impl OneOff {
    /// Month `mo` is the payment's. Burn-in months (m < 0) stand for the years before the start.
    #[inline(always)]
    fn pays_in(&self, y: &YearCtx, mo: &MonthCtx) -> bool {
        y.year == self.p.year && mo.m >= 0 && mo.m.rem_euclid(12) == self.month0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::counters::c;

    fn params() -> OneOffParams {
        crate::scenario::load_str("", "t")
            .unwrap()
            .scenario
            .programs
            .one_off
    }

    #[test]
    fn off_by_default_and_paid_per_person_to_dibao_and_tekun() {
        let mut p = params();
        assert!(!p.enabled);
        p.yuan_per_person = 188.0;
        // (dibao paid, members covered alone, tekun, size) -> (cost_dibao, cost_tekun), fen.
        for (dibao, single, tekun, size, want) in [
            (500.0, 0, false, 3.0, (56_400, 0)),
            (0.0, 1, false, 3.0, (18_800, 0)),
            (0.0, 0, true, 2.0, (0, 37_600)),
            (0.0, 0, false, 4.0, (0, 0)),
        ] {
            let mut led = Ledger {
                dibao,
                n_single: single,
                tekun,
                ..Ledger::EMPTY
            };
            let mut rec = [0i64; c::N];
            led.pay_dibao_and_tekun_persons(p.yuan_per_person, size, &mut rec);
            assert_eq!((rec[c::COST_DIBAO_FEN], rec[c::COST_TEKUN_FEN]), want);
            assert_eq!(led.cash_other, (want.0 + want.1) as f64 / 100.0);
        }
    }

    #[test]
    fn a_month_outside_the_year_is_refused() {
        let e = crate::scenario::load_str("[programs.one_off]\nmonth = 13\n", "t.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("programs.one_off.month") && e.contains("13"), "{e}");
    }
}
