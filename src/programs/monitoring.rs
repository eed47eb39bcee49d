//! Dynamic monitoring, early warning and proactive identification. The monitored population
//! (households in any program, and at-risk households below an alert line) is screened every
//! few months; a shock, or income below the alert line at a screening, raises a warning for a
//! household not yet on dibao or tekun. For some months after, the platform helps it apply:
//! its monthly application chance rises, and households that would never apply alone are
//! reached with some probability.

use super::MAX_PROPENSITIES;
use super::{HouseholdKey, Ledger, MonthCtx, ProgramsParams, Record, Step, YearCtx};
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
        h.ln_alert = y.ln_standard + self.ln_alert;
        // Screening compares counted income with the alert line.
        h.ln_alert - self.ln_counted
    }

    fn step(
        &self,
        h: &mut MonitoringHouse,
        _y: &YearCtx,
        mo: &MonthCtx,
        led: &mut Ledger,
        rec: &mut Record,
    ) {
        let m = mo.m;
        let st = &mut h.state;
        let mut warned = st.warned(m);
        // The monitored population not yet on dibao or tekun: below the alert line, or
        // registered as marginal or rigid-expenditure last month.
        if !warned && !mo.prev.dibao_on && !mo.prev.tekun {
            let below_alert = mo.lm < h.ln_alert;
            let monitored = below_alert || mo.prev.marginal || mo.prev.rigid;
            if monitored && self.p.warns(m, mo.kinds != 0, below_alert) {
                st.warned_until = m + self.p.response_months as i32 - 1;
                warned = true;
                rec[c::WARNINGS] += 1;
            }
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
}
