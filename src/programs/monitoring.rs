//! Dynamic monitoring, early warning and proactive identification. The platform keeps a
//! database of registered low-income households (the national platform's 66 m persons in
//! October 2023: dibao and tekun recipients, marginal families, rigid-expenditure families
//! and others who applied or were identified). A household is registered while it is on
//! dibao, tekun, marginal or rigid-expenditure support, while a dibao application is in
//! process or a marginal-family application is assessed, or once cross-department data reveal
//! a shock to it while its income is below the alert line (identification); it stays
//! registered until a screening finds it off every program and above the alert line.
//! Registered households are screened every few months; a shock, or income below the alert
//! line at a screening, raises a warning. For some months after, the platform helps a warned
//! household apply for dibao: its monthly application chance rises, and households that would
//! never apply alone are reached with some probability. Dated by its year (`from_year`):
//! before it the platform warns and counts nothing, so a take-up fitted to years before
//! monitoring is the take-up without it and monitoring adds to it only from its year. The
//! database itself predates the rule (58 m persons at end 2021), so registration runs from the
//! first simulated month, burn-in included, and the database is full when the rule starts.

use super::MAX_PROPENSITIES;
use super::{
    check_from_year, in_force, month_draws, HouseholdKey, Ledger, MonthCtx, ProgramsParams, Record,
    Step, YearCtx,
};
use crate::check::Checker;
use crate::counters::c;
use crate::rng::Purpose;
use crate::simulation::SimulationParams;
use rand::Rng;
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
    /// Data sharing reveals shocks: a shock registers a household below the alert line and
    /// warns a registered household at once.
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
    /// Months a household stays in the database after its last registering event (a
    /// program, an application, a shock revealed below the alert line), unless a screening
    /// finds it above the alert line first.
    pub registry_months: u8,
    /// Share 0–1 of shocks to a household off the database and below the alert line that
    /// cross-department data reveal (with `shock_warning`): it is identified, registered and
    /// warned.
    pub identify_share: f64,
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
        c.share(&format!("{k}.identify_share"), self.identify_share);
        c.int_range(
            &format!("{k}.registry_months"),
            self.registry_months as i64,
            1,
            120,
        );
    }

    /// Whether last month's ledger registers a household in the platform's database: on
    /// dibao or tekun, a marginal or rigid-expenditure family, a dibao application in process
    /// or decided, or a marginal-family application assessed.
    #[inline]
    pub fn registers(prev: &Ledger) -> bool {
        prev.dibao_on
            || prev.tekun
            || prev.marginal
            || prev.rigid
            || prev.dibao_applied
            || prev.marginal_applied
    }

    /// Whether month `m` is a screening month.
    #[inline]
    pub fn screening(&self, m: i32) -> bool {
        m.rem_euclid(self.screen_interval_months as i32) == 0
    }

    /// The last month of registration after month `m`, from `until` before it (i32::MIN:
    /// not registered): programs and applications register (see
    /// [`MonitoringParams::registers`]), and a shock revealed by data sharing
    /// (`shock_warning`; `revealed` when off the database: see `identify_share`) to a
    /// household below the alert line identifies it, each for
    /// `registry_months` from the month; a screening that finds a household off every program
    /// and above the alert line removes it.
    #[inline]
    pub fn registered_until(
        &self,
        until: i32,
        m: i32,
        by_program: bool,
        revealed: bool,
        below_alert: bool,
    ) -> i32 {
        if by_program || (self.shock_warning && revealed && below_alert) {
            until.max(m + self.registry_months as i32 - 1)
        } else if m > until || (self.screening(m) && !below_alert) {
            i32::MIN
        } else {
            until
        }
    }

    /// Whether a warning is raised this month for a registered household: a shock started,
    /// or a screening finds income below the alert line.
    #[inline]
    pub fn warns(&self, m: i32, shock_started: bool, below_alert: bool) -> bool {
        (self.shock_warning && shock_started) || (self.screening(m) && below_alert)
    }
}

/// A household's standing with the monitoring platform.
#[derive(Debug, Clone, Copy)]
pub struct MonitoringState {
    /// Last month of the active warning (i32::MIN: none).
    pub warned_until: i32,
    /// Month the household last became poor and is not yet caught (i32::MIN: none).
    pub new_poor_since: i32,
    /// Last month in the platform's database (i32::MIN: not in it).
    pub registered_until: i32,
}

impl Default for MonitoringState {
    fn default() -> Self {
        MonitoringState {
            warned_until: i32::MIN,
            new_poor_since: i32::MIN,
            registered_until: i32::MIN,
        }
    }
}

impl MonitoringState {
    /// Whether a warning is active in month `m`.
    #[inline]
    pub fn warned(&self, m: i32) -> bool {
        m <= self.warned_until
    }

    /// Whether the household is in the database in month `m`.
    #[inline]
    pub fn registered(&self, m: i32) -> bool {
        m <= self.registered_until
    }
}

/// Monitoring as the first step: it warns before anyone applies, and a warning helps the
/// household's dibao application (dibao reads `ledger.warned`).
#[derive(Debug, Clone)]
pub struct Monitoring {
    p: MonitoringParams,
    ln_alert: f64,
}

/// A household's standing with the platform, its reach propensity and the year's alert line.
#[derive(Debug, Clone)]
pub struct MonitoringHouse {
    state: MonitoringState,
    reached: bool,
    ln_alert: f64,
    /// Key of its monthly stream: whether data sharing reveals a shock (see
    /// [`super::month_draws`]).
    reveal: u64,
    /// Last month's ledger registers the household ([`MonitoringParams::registers`]), and it
    /// was on dibao or tekun: set after every month that took the steps ([`Step::after`]),
    /// so the registration does not depend on whether this month's income is near a line.
    by_program: bool,
    was_regular: bool,
}

impl Step for Monitoring {
    type Household = MonitoringHouse;
    const QUIET: bool = true;
    /// Slot 6: reached by the platform when warned.
    const PROPENSITIES: usize = 7;

    fn new(p: &ProgramsParams) -> Option<Monitoring> {
        p.monitoring.enabled.then(|| Monitoring {
            p: p.monitoring.clone(),
            ln_alert: p.monitoring.alert_multiple.ln(),
        })
    }

    fn household(&self, key: &HouseholdKey, u: &[f64; MAX_PROPENSITIES]) -> MonitoringHouse {
        MonitoringHouse {
            state: MonitoringState::default(),
            reached: u[6] < self.p.reach_share,
            ln_alert: 0.0,
            reveal: key.stream_key(Purpose::Monitoring),
            by_program: false,
            was_regular: false,
        }
    }

    fn year(&self, h: &mut MonitoringHouse, y: &YearCtx) -> f64 {
        h.ln_alert = y.ln_standard + self.ln_alert;
        // No line: off the database the platform acts only in a month a shock starts (always
        // stepped) or after a month whose programs register the household; in the database,
        // and in that month, it is busy. A warning still active off the database only helps a
        // dibao application, below dibao's own line.
        f64::NEG_INFINITY
    }

    fn line(&self, _y: &YearCtx) -> Option<f64> {
        Some(f64::NEG_INFINITY)
    }

    /// A registered household is screened whatever its income: a screening above the alert
    /// line is what removes it; last month's programs register it this month.
    #[inline(always)]
    fn busy(&self, h: &MonitoringHouse) -> bool {
        h.state.registered_until != i32::MIN || h.by_program
    }

    #[inline(always)]
    fn after(&self, h: &mut MonitoringHouse, led: &Ledger) {
        h.by_program = MonitoringParams::registers(led);
        h.was_regular = led.dibao_on || led.tekun;
    }

    // In line in the month's pipeline (`Rules::month_into`): a call per stepped month cost
    // more than the step's own tests.
    #[inline(always)]
    fn step(
        &self,
        h: &mut MonitoringHouse,
        y: &YearCtx,
        mo: &MonthCtx,
        led: &mut Ledger,
        rec: &mut Record,
    ) {
        let m = mo.m;
        let st = &mut h.state;
        let below_alert = mo.lm < h.ln_alert;
        let shock = mo.kinds != 0;
        // A shock to a registered household is seen; one to a household off the database is
        // revealed with `identify_share` (a draw only in such a month, from its own stream).
        let share = self.p.identify_share;
        let revealed = shock
            && (st.registered(m)
                || share >= 1.0
                || (share > 0.0
                    && below_alert
                    && month_draws(h.reveal, m).random::<f64>() < share));
        st.registered_until = self.p.registered_until(
            st.registered_until,
            m,
            h.by_program,
            revealed,
            below_alert,
        );
        if !in_force(self.p.from_year, y.year, m) {
            return;
        }
        let mut warned = st.warned(m);
        let registered = st.registered(m);
        if registered {
            rec[c::MONITORED_PERSON_MONTHS] += y.k;
        }
        // Warnings go to the registered households (the database) not yet on dibao or tekun.
        // A warning (re)starts the response window of every registered household, recipients
        // included, and a new one extends a running one. So who is warned in a month depends
        // only on registration, the alert line and shocks, never on when an earlier warning
        // fell: under common random numbers a higher standard registers and warns a superset
        // of households (registration by program, by a shock below the alert line, and its
        // end above the alert line are each monotone in the standard), and dibao's "higher
        // standard never lowers recipients" holds (tests/invariants.rs). A warning only acts
        // on a household not on dibao (its application chance), and only such warnings are
        // counted.
        if registered && self.p.warns(m, shock, below_alert) {
            if !warned && !h.was_regular {
                rec[c::WARNINGS] += 1;
            }
            st.warned_until = m + self.p.response_months as i32 - 1;
            warned = true;
        }
        self.catch(st, mo, warned, rec);
        led.warned = warned;
        led.reached = h.reached;
        led.proactive_apply_prob = self.p.proactive_apply_prob;
    }

    /// Off the database and without a shock (not busy), the platform only tells dibao of a
    /// warning still running.
    #[inline(always)]
    fn quiet(&self, h: &MonitoringHouse, y: &YearCtx, mo: &MonthCtx, led: &mut Ledger) -> bool {
        debug_assert!(mo.kinds == 0 && !self.busy(h));
        if in_force(self.p.from_year, y.year, mo.m) {
            led.warned = h.state.warned(mo.m);
            led.reached = h.reached;
            led.proactive_apply_prob = self.p.proactive_apply_prob;
        }
        true
    }

    /// The step of such a month: registration stays off (no program, no shock), and a newly
    /// poor household may be caught by a warning still running.
    #[inline(always)]
    fn idle(&self, h: &mut MonitoringHouse, y: &YearCtx, mo: &MonthCtx, _: &Ledger, rec: &mut Record) {
        if in_force(self.p.from_year, y.year, mo.m) {
            let warned = h.state.warned(mo.m);
            self.catch(&mut h.state, mo, warned, rec);
        }
    }
}

impl Monitoring {
    /// A newly poor household is caught if warned within the window.
    #[inline(always)]
    fn catch(&self, st: &mut MonitoringState, mo: &MonthCtx, warned: bool, rec: &mut Record) {
        let m = mo.m;
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::programs::in_force_in_year;

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
    fn programs_and_applications_register_a_household_in_the_database() {
        let none = Ledger::default();
        assert!(!MonitoringParams::registers(&none));
        for set in [
            |l: &mut Ledger| l.dibao_on = true,
            |l: &mut Ledger| l.tekun = true,
            |l: &mut Ledger| l.marginal = true,
            |l: &mut Ledger| l.rigid = true,
            |l: &mut Ledger| l.dibao_applied = true,
            |l: &mut Ledger| l.marginal_applied = true,
        ] {
            let mut l = Ledger::default();
            set(&mut l);
            assert!(MonitoringParams::registers(&l), "{l:?}");
        }
    }

    #[test]
    fn a_shock_below_the_alert_line_registers_for_a_while_and_a_screening_above_it_removes() {
        let mut p = params();
        p.screen_interval_months = 6;
        p.registry_months = 6;
        p.shock_warning = true;
        let none = i32::MIN;
        // Low income alone does not register: the platform does not see every income.
        assert_eq!(p.registered_until(none, 6, false, false, true), none);
        // A shock revealed below the alert line registers for registry_months; above it, no.
        assert_eq!(p.registered_until(none, 1, false, true, true), 6);
        assert_eq!(p.registered_until(none, 1, false, true, false), none);
        // A program registers and extends a running registration.
        assert_eq!(p.registered_until(3, 2, true, false, false), 7);
        assert_eq!(p.registered_until(9, 2, true, false, false), 9);
        // Kept until its last month between screenings, removed after it.
        assert_eq!(p.registered_until(6, 5, false, false, false), 6);
        assert_eq!(p.registered_until(6, 7, false, false, true), none);
        // A screening above the alert line removes it early; below the line it stays.
        assert_eq!(p.registered_until(8, 6, false, false, false), none);
        assert_eq!(p.registered_until(8, 6, false, false, true), 8);
        // Without data sharing a shock identifies nobody.
        p.shock_warning = false;
        assert_eq!(p.registered_until(none, 1, false, true, true), none);
    }

    #[test]
    fn registry_keys_out_of_range_are_rejected_naming_the_key() {
        for (text, key) in [
            (
                "[programs.monitoring]\nidentify_share = -0.1\n",
                "programs.monitoring.identify_share",
            ),
            (
                "[programs.monitoring]\nregistry_months = 0\n",
                "programs.monitoring.registry_months",
            ),
        ] {
            let Err(err) = crate::scenario::load_str(text, "t") else {
                panic!("accepted: {text}")
            };
            assert!(err.to_string().contains(key), "{err}");
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
