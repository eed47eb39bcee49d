//! Dynamic monitoring, early warning and proactive identification. The monitored population
//! (households in any program, and at-risk households below an alert line) is screened every
//! few months; a shock, or income below the alert line at a screening, raises a warning for a
//! household not yet on dibao or tekun. For some months after, the platform helps it apply:
//! its monthly application chance rises, and households that would never apply alone are
//! reached with some probability. Dated by its year (`from_year`): before it the platform
//! does nothing, so a take-up fitted to years before monitoring is the take-up without it and
//! monitoring adds to it only from its year.

use super::MAX_PROPENSITIES;
use super::{
    check_from_year, in_force, in_force_in_year, HouseholdKey, Ledger, MonthCtx, ProgramsParams,
    Record, Step, YearCtx,
};
use crate::check::Checker;
use crate::counters::c;
use crate::simulation::SimulationParams;
use serde::{Deserialize, Serialize};

/// `programs.monitoring.*`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonitoringParams {
    /// Switch monitoring and early warning on or off.
    pub enabled: bool,
    /// Alert line as a multiple of the dibao standard (the relapse-monitoring line is about 1.5 × the poverty line).
    pub alert_multiple: f64,
    /// Months between screenings (3 = quarterly).
    pub screen_interval_months: u8,
    /// A shock to a monitored household raises a warning at once (data sharing).
    pub shock_warning: bool,
    /// Months a warning stays active.
    pub response_months: u8,
    /// Monthly application chance of a warned eligible household.
    pub proactive_apply_prob: f64,
    /// Share 0–1 of warned households that would never apply alone which the platform reaches.
    pub reach_share: f64,
    /// A newly poor household counts as caught if warned within this many months.
    pub catch_window_months: u8,
    /// First calendar year in which the platform screens, warns and counts its database.
    pub from_year: i32,
}

impl MonitoringParams {
    pub(crate) fn validate(&self, c: &mut Checker, _sim: &SimulationParams) {
        let k = "programs.monitoring";
        c.range(
            &format!("{k}.alert_multiple"),
            self.alert_multiple,
            1.0,
            5.0,
            "a multiple of the standard",
        );
        c.int_range(
            &format!("{k}.screen_interval_months"),
            self.screen_interval_months as i64,
            1,
            24,
        );
        c.int_range(
            &format!("{k}.response_months"),
            self.response_months as i64,
            1,
            24,
        );
        c.share(
            &format!("{k}.proactive_apply_prob"),
            self.proactive_apply_prob,
        );
        c.share(&format!("{k}.reach_share"), self.reach_share);
        c.int_range(
            &format!("{k}.catch_window_months"),
            self.catch_window_months as i64,
            0,
            24,
        );
        check_from_year(c, &format!("{k}.from_year"), self.from_year);
    }

    /// Whether a household is in the monitored population (the platform's database): on dibao
    /// or tekun, registered as a marginal or rigid-expenditure family (all last month), or
    /// with counted income below the alert line this month.
    #[inline]
    pub fn monitored(prev: &Ledger, below_alert: bool) -> bool {
        below_alert || prev.dibao_on || prev.tekun || prev.marginal || prev.rigid
    }

    /// Whether a warning is raised this month for a household in the monitored population not
    /// yet on dibao or tekun: a shock started, or a screening finds income below the alert line.
    #[inline]
    pub fn warns(&self, m: i32, shock_started: bool, below_alert: bool) -> bool {
        let screening = m.rem_euclid(self.screen_interval_months as i32) == 0;
        (self.shock_warning && shock_started) || (screening && below_alert)
    }
}

/// A household's standing with the monitoring platform.
#[derive(Debug, Clone, Copy)]
pub struct MonitoringState {
    /// Last month of the active warning (i32::MIN: none).
    pub warned_until: i32,
    /// Month the household last became poor and is not yet caught (i32::MIN: none).
    pub new_poor_since: i32,
}

impl Default for MonitoringState {
    fn default() -> Self {
        MonitoringState {
            warned_until: i32::MIN,
            new_poor_since: i32::MIN,
        }
    }
}

impl MonitoringState {
    /// Whether a warning is active in month `m`.
    #[inline]
    pub fn warned(&self, m: i32) -> bool {
        m <= self.warned_until
    }
}

/// Monitoring as the first step: it warns before anyone applies, and a warning helps the
/// household's dibao application (dibao reads `ledger.warned`).
#[derive(Debug, Clone)]
pub struct Monitoring {
    p: MonitoringParams,
    ln_alert: f64,
    ln_counted: f64,
}

/// A household's standing with the platform, its reach propensity and the year's alert line.
#[derive(Debug, Clone)]
pub struct MonitoringHouse {
    state: MonitoringState,
    reached: bool,
    ln_alert: f64,
}

impl Step for Monitoring {
    type Household = MonitoringHouse;
    /// Slot 6: reached by the platform when warned.
    const PROPENSITIES: usize = 7;

    fn new(p: &ProgramsParams) -> Option<Monitoring> {
        p.monitoring.enabled.then(|| Monitoring {
            p: p.monitoring.clone(),
            ln_alert: p.monitoring.alert_multiple.ln(),
            ln_counted: p.dibao.assessment.income_counted_share.ln(),
        })
    }

    fn household(&self, _key: &HouseholdKey, u: &[f64; MAX_PROPENSITIES]) -> MonitoringHouse {
        MonitoringHouse {
            state: MonitoringState::default(),
            reached: u[6] < self.p.reach_share,
            ln_alert: 0.0,
        }
    }

    fn year(&self, h: &mut MonitoringHouse, y: &YearCtx) -> f64 {
        if !in_force_in_year(self.p.from_year, y.year) {
            // Not yet in force: no month needs the platform.
            return f64::NEG_INFINITY;
        }
        h.ln_alert = y.ln_standard + self.ln_alert;
        // Screening compares counted income with the alert line.
        h.ln_alert - self.ln_counted
    }

    fn step(
        &self,
        h: &mut MonitoringHouse,
        y: &YearCtx,
        mo: &MonthCtx,
        led: &mut Ledger,
        rec: &mut Record,
    ) {
        let m = mo.m;
        if !in_force(self.p.from_year, y.year, m) {
            return;
        }
        let st = &mut h.state;
        let mut warned = st.warned(m);
        let below_alert = mo.lm < h.ln_alert;
        let monitored = MonitoringParams::monitored(mo.prev, below_alert);
        if monitored {
            rec[c::MONITORED_PERSON_MONTHS] += y.k;
        }
        // Warnings go to the monitored population not yet on dibao or tekun.
        if !warned
            && !mo.prev.dibao_on
            && !mo.prev.tekun
            && monitored
            && self.p.warns(m, mo.kinds != 0, below_alert)
        {
            st.warned_until = m + self.p.response_months as i32 - 1;
            warned = true;
            rec[c::WARNINGS] += 1;
        }
        // A newly poor household is caught if warned within the window.
        let window = self.p.catch_window_months as i32;
        if mo.newly_poor {
            if warned {
                rec[c::NEW_POOR_CAUGHT] += 1;
                st.new_poor_since = i32::MIN;
            } else {
                st.new_poor_since = m;
            }
        } else if st.new_poor_since != i32::MIN {
            if m - st.new_poor_since > window {
                st.new_poor_since = i32::MIN;
            } else if warned {
                rec[c::NEW_POOR_CAUGHT] += 1;
                st.new_poor_since = i32::MIN;
            }
        }
        led.warned = warned;
        led.reached = h.reached;
        led.proactive_apply_prob = self.p.proactive_apply_prob;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> MonitoringParams {
        crate::scenario::load_str("", "t")
            .unwrap()
            .scenario
            .programs
            .monitoring
    }

    #[test]
    fn screening_months_catch_low_income_and_shocks_warn_at_once() {
        let mut p = params();
        p.screen_interval_months = 3;
        p.shock_warning = true;
        assert!(p.warns(3, false, true));
        assert!(!p.warns(4, false, true));
        assert!(p.warns(4, true, false));
        p.shock_warning = false;
        assert!(!p.warns(4, true, false));
    }

    #[test]
    fn database_holds_recipients_registered_families_and_those_below_the_alert_line() {
        let none = Ledger::default();
        assert!(!MonitoringParams::monitored(&none, false));
        assert!(MonitoringParams::monitored(&none, true));
        for set in [
            |l: &mut Ledger| l.dibao_on = true,
            |l: &mut Ledger| l.tekun = true,
            |l: &mut Ledger| l.marginal = true,
            |l: &mut Ledger| l.rigid = true,
        ] {
            let mut l = Ledger::default();
            set(&mut l);
            assert!(MonitoringParams::monitored(&l, false), "{l:?}");
        }
    }

    #[test]
    fn a_rule_dated_from_the_start_year_does_not_act_in_burn_in() {
        // Burn-in months (m < 0) carry the start year but stand for the years before it.
        assert!(!in_force(2023, 2023, -1));
        assert!(in_force(2023, 2023, 0));
        assert!(in_force(2023, 2024, 12));
        assert!(in_force(2022, 2023, -1));
        assert!(!in_force(2024, 2023, 11));
        assert!(in_force_in_year(2023, 2023) && !in_force_in_year(2024, 2023));
    }
}
