//! Dibao, the minimum living allowance. A household whose assessed per-capita income is below
//! the local standard (yuan per person per month, per province and urban/rural) and whose
//! assets pass the test receives the gap for every member, with a floor, plus classified
//! add-ons (elderly, severely disabled, severely ill, children) as shares of the standard.
//! Take-up is a once-per-household propensity and a monthly application chance; assessment
//! has log-normal error; recipients are reviewed periodically and, once above the standard,
//! keep the benefit for a gradual-exit period.

use crate::check::Checker;
use crate::dynamics::YearPaths;
use crate::population::{can_work, Household, MemberParams, Region, StrataTable};
use crate::schedule::Schedule;
use crate::simulation::SimulationParams;
use serde::{Deserialize, Serialize};

/// `programs.dibao.*`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DibaoParams {
    /// Switch the program on or off.
    pub enabled: bool,
    pub standard: StandardParams,
    pub benefit: BenefitParams,
    pub addons: AddonParams,
    pub assets: AssetTestParams,
    pub take_up: TakeUpParams,
    pub assessment: AssessmentParams,
    pub review: ReviewParams,
}

/// `programs.dibao.standard.*`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StandardParams {
    /// National person-weighted average urban standard in the start year, yuan/person/month.
    pub urban: f64,
    /// The same for rural areas.
    pub rural: f64,
    /// "schedule" (growth_urban/growth_rural), "prices" (inflation) or "income" (nominal incomes).
    pub indexation: String,
    /// Yearly growth of urban standards from year y−1 to y, share.
    pub growth_urban: Schedule,
    /// Yearly growth of rural standards, share.
    pub growth_rural: Schedule,
    /// Year by which rural standards reach `convergence_ratio` × the province's urban one (0 = off).
    pub convergence_year: i32,
    /// Target rural/urban ratio.
    pub convergence_ratio: f64,
}

/// `programs.dibao.benefit.*`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BenefitParams {
    /// Minimum benefit per covered member, share 0–1 of the standard.
    pub floor_share: f64,
}

/// `programs.dibao.addons.*`: classified add-ons, shares of the standard per qualifying member.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddonParams {
    /// Age (years) from which the elderly add-on applies.
    pub elderly_age: u8,
    pub elderly_share: f64,
    pub severe_disability_share: f64,
    pub severe_illness_share: f64,
    /// Members younger than this (years) get the child add-on.
    pub child_age: u8,
    pub child_share: f64,
}

/// `programs.dibao.assets.*`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssetTestParams {
    /// Apply the asset test.
    pub enabled: bool,
    /// Financial assets per person allowed, in months of the standard.
    pub limit_months: f64,
}

/// `programs.dibao.take_up.*`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TakeUpParams {
    /// Share 0–1 of households that would ever apply when eligible.
    pub ever_apply: f64,
    /// Chance per month, 0–1, that such an eligible household applies.
    pub monthly_apply_prob: f64,
}

/// `programs.dibao.assessment.*`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssessmentParams {
    /// Sd of log assessment error: assessed = true × exp(error_sd × Z).
    pub error_sd: f64,
    /// Share (0–1] of true income the means test counts: employment costs are deducted and
    /// assistance payments and the basic pension are not income (rule text).
    pub income_counted_share: f64,
    /// Months from application to decision and first payment.
    pub processing_months: u8,
}

/// `programs.dibao.review.*`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewParams {
    /// Months between reviews for households with no member able to work.
    pub interval_months_stable: u8,
    /// Months between reviews for households with a member able to work.
    pub interval_months_unstable: u8,
    /// Months the benefit continues after a review finds income above the standard.
    pub gradual_exit_months: u8,
}

impl DibaoParams {
    pub(crate) fn validate(&self, c: &mut Checker, sim: &SimulationParams) {
        let k = "programs.dibao";
        let s = &self.standard;
        c.range(
            &format!("{k}.standard.urban"),
            s.urban,
            0.0,
            1e6,
            "yuan per person per month",
        );
        c.range(
            &format!("{k}.standard.rural"),
            s.rural,
            0.0,
            1e6,
            "yuan per person per month",
        );
        c.one_of(
            &format!("{k}.standard.indexation"),
            &s.indexation,
            &["schedule", "prices", "income"],
        );
        let years = sim.start_year + 1..=sim.start_year + sim.years as i32 - 1;
        c.schedule(
            &format!("{k}.standard.growth_urban"),
            &s.growth_urban,
            years.clone(),
            -0.5,
            2.0,
            "a yearly growth rate",
        );
        c.schedule(
            &format!("{k}.standard.growth_rural"),
            &s.growth_rural,
            years,
            -0.5,
            2.0,
            "a yearly growth rate",
        );
        if s.convergence_year != 0 && s.convergence_year <= sim.start_year {
            c.fail(
                &format!("{k}.standard.convergence_year"),
                s.convergence_year,
                format!(
                    "allowed: 0 (off) or a year after simulation.start_year ({})",
                    sim.start_year
                ),
            );
        }
        c.range(
            &format!("{k}.standard.convergence_ratio"),
            s.convergence_ratio,
            0.0,
            2.0,
            "a rural/urban ratio",
        );
        c.share(
            &format!("{k}.benefit.floor_share"),
            self.benefit.floor_share,
        );
        let a = &self.addons;
        for (name, v) in [
            ("elderly_share", a.elderly_share),
            ("severe_disability_share", a.severe_disability_share),
            ("severe_illness_share", a.severe_illness_share),
            ("child_share", a.child_share),
        ] {
            c.range(
                &format!("{k}.addons.{name}"),
                v,
                0.0,
                5.0,
                "a share of the standard",
            );
        }
        c.range(
            &format!("{k}.assets.limit_months"),
            self.assets.limit_months,
            0.0,
            1200.0,
            "months of the standard",
        );
        c.share(&format!("{k}.take_up.ever_apply"), self.take_up.ever_apply);
        c.share(
            &format!("{k}.take_up.monthly_apply_prob"),
            self.take_up.monthly_apply_prob,
        );
        c.range(
            &format!("{k}.assessment.income_counted_share"),
            self.assessment.income_counted_share,
            0.05,
            1.0,
            "a share of true income",
        );
        c.range(
            &format!("{k}.assessment.error_sd"),
            self.assessment.error_sd,
            0.0,
            3.0,
            "log points",
        );
        c.int_range(
            &format!("{k}.assessment.processing_months"),
            self.assessment.processing_months as i64,
            0,
            24,
        );
        c.int_range(
            &format!("{k}.review.interval_months_stable"),
            self.review.interval_months_stable as i64,
            1,
            120,
        );
        c.int_range(
            &format!("{k}.review.interval_months_unstable"),
            self.review.interval_months_unstable as i64,
            1,
            120,
        );
        c.int_range(
            &format!("{k}.review.gradual_exit_months"),
            self.review.gradual_exit_months as i64,
            0,
            60,
        );
    }

    /// Standards per (stratum, year), yuan per person per month: each stratum's relative level
    /// scaled to the scenario's national averages, then grown by the indexation rule, with
    /// rural standards lifted towards the province's urban one when convergence is on.
    pub fn standard_table(
        &self,
        strata: &StrataTable,
        sim: &SimulationParams,
        paths: &YearPaths,
        inflation: &Schedule,
    ) -> StandardTable {
        let years = sim.years as usize;
        let n = strata.strata.len();
        let s = &self.standard;
        let mean_u = strata.mean_standard_level(Region::Urban);
        let mean_r = strata.mean_standard_level(Region::Rural);
        let mut values = vec![0.0; n * years];
        for (i, st) in strata.strata.iter().enumerate() {
            let (base, mean, sched) = match st.region {
                Region::Urban => (s.urban, mean_u, &s.growth_urban),
                Region::Rural => (s.rural, mean_r, &s.growth_rural),
            };
            values[i * years] = base * st.standard_level / mean;
            for t in 1..years {
                let y = sim.start_year + t as i32;
                let g = match s.indexation.as_str() {
                    "prices" => inflation.at(y).expect("validated"),
                    "income" => paths.income_index[t] / paths.income_index[t - 1] - 1.0,
                    _ => sched.at(y).expect("validated"),
                };
                values[i * years + t] = values[i * years + t - 1] * (1.0 + g);
            }
        }
        if s.convergence_year > sim.start_year {
            for (i, st) in strata.strata.iter().enumerate() {
                if st.region != Region::Rural {
                    continue;
                }
                let Some(u) = strata
                    .strata
                    .iter()
                    .position(|o| o.region == Region::Urban && o.province == st.province)
                else {
                    continue;
                };
                let r0 = values[i * years] / values[u * years];
                for t in 1..years {
                    let y = sim.start_year + t as i32;
                    let frac = ((y - sim.start_year) as f64
                        / (s.convergence_year - sim.start_year) as f64)
                        .min(1.0);
                    let ratio = r0 + (s.convergence_ratio - r0) * frac;
                    let lifted = ratio * values[u * years + t];
                    if lifted > values[i * years + t] {
                        values[i * years + t] = lifted;
                    }
                }
            }
        }
        StandardTable { years, values }
    }
}

/// Standards per (stratum, year), yuan per person per month.
#[derive(Debug, Clone)]
pub struct StandardTable {
    years: usize,
    values: Vec<f64>,
}

impl StandardTable {
    /// The standard of stratum `s` in year index `t`.
    #[inline]
    pub fn get(&self, s: usize, t: usize) -> f64 {
        self.values[s * self.years + t]
    }
}

/// What the rule needs to know about a household, refreshed every year (members age).
#[derive(Debug, Clone, Copy)]
pub struct DibaoHousehold {
    /// Members covered.
    pub size: f64,
    /// Sum over members of their add-on shares of the standard.
    pub addon_share: f64,
    /// The household would apply when it believes itself eligible.
    pub would_apply: bool,
    /// Its chance per month of applying when eligible.
    pub apply_prob: f64,
    /// Months between reviews.
    pub review_interval: i32,
    /// Financial assets per person, yuan (nominal).
    pub assets_per_capita: f64,
    /// With a quota, ln(1 − the stratum's need cut-off): assessed income must be below the
    /// standard times (1 − cut-off). 0 without a quota.
    pub ln_quota: f64,
}

impl DibaoHousehold {
    /// Facts of `hh` for the rule; `take_up_u` is the household's once-drawn propensity and
    /// `take_up_factor` multiplies the share that would apply (applying from afar, see
    /// `programs.residence`).
    pub fn new(
        p: &DibaoParams,
        hh: &Household,
        m: &MemberParams,
        take_up_u: f64,
        take_up_factor: f64,
        price_index: f64,
    ) -> DibaoHousehold {
        let a = &p.addons;
        let mut addon_share = 0.0;
        let mut workers = 0;
        for mem in hh.members() {
            if mem.age >= a.elderly_age {
                addon_share += a.elderly_share;
            }
            if mem.age < a.child_age {
                addon_share += a.child_share;
            }
            if mem.severe_disability {
                addon_share += a.severe_disability_share;
            }
            if mem.severe_illness {
                addon_share += a.severe_illness_share;
            }
            workers += can_work(mem, m) as u32;
        }
        DibaoHousehold {
            size: hh.size as f64,
            addon_share,
            would_apply: take_up_u < p.take_up.ever_apply * take_up_factor,
            apply_prob: p.take_up.monthly_apply_prob,
            review_interval: if workers > 0 {
                p.review.interval_months_unstable
            } else {
                p.review.interval_months_stable
            } as i32,
            assets_per_capita: hh.assets_per_capita * price_index,
            ln_quota: 0.0,
        }
    }
}

const NEVER: i32 = i32::MAX;

/// A household's standing with the dibao office.
#[derive(Debug, Clone, Copy)]
pub struct DibaoState {
    /// Receiving this month.
    pub on: bool,
    /// Assessed per-capita income at the last assessment, yuan per person per month.
    pub assessed_pc: f64,
    next_review: i32,
    exit_at: i32,
    decision_at: i32,
}

impl DibaoState {
    /// Receiving, or an application is being processed.
    #[inline]
    pub fn busy(&self) -> bool {
        self.on || self.decision_at != NEVER
    }
}

impl Default for DibaoState {
    fn default() -> Self {
        DibaoState {
            on: false,
            assessed_pc: 0.0,
            next_review: NEVER,
            exit_at: NEVER,
            decision_at: NEVER,
        }
    }
}

/// The administrative draws of one month, made by the engine whatever the state.
#[derive(Debug, Clone, Copy, Default)]
pub struct DibaoDraws {
    /// Uniform for the monthly application decision.
    pub apply_u: f64,
    /// Standard normal for the assessment error.
    pub assess_z: f64,
}

impl DibaoParams {
    /// Whether log per-capita income `log_y` and the household's assets pass the means test
    /// at `standard` (yuan per person per month; `ln_standard` is its log).
    #[inline]
    pub fn passes(&self, hh: &DibaoHousehold, log_y: f64, ln_standard: f64, standard: f64) -> bool {
        log_y < ln_standard + hh.ln_quota
            && (!self.assets.enabled || hh.assets_per_capita <= self.assets.limit_months * standard)
    }

    /// The monthly benefit, yuan per household, for assessed per-capita income `assessed`.
    #[inline]
    pub fn benefit(&self, hh: &DibaoHousehold, assessed: f64, standard: f64) -> f64 {
        let per_person = (standard - assessed).max(self.benefit.floor_share * standard);
        per_person * hh.size + hh.addon_share * standard
    }

    /// One month of the rule for a household whose true per-capita income in month `m` has
    /// log `log_y`, at `standard` yuan per person per month (`ln_standard` its log). Returns the
    /// benefit paid this month, yuan per household (0 when not receiving). Comparisons are in
    /// logs; the assessed income itself is computed only when an assessment passes.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub fn month(
        &self,
        st: &mut DibaoState,
        hh: &DibaoHousehold,
        m: i32,
        log_y: f64,
        standard: f64,
        ln_standard: f64,
        d: DibaoDraws,
    ) -> f64 {
        let log_assessed = if self.assessment.error_sd > 0.0 {
            log_y + self.assessment.error_sd * d.assess_z
        } else {
            log_y
        };
        if st.on {
            if m >= st.next_review {
                st.next_review = m + hh.review_interval;
                if self.passes(hh, log_assessed, ln_standard, standard) {
                    st.assessed_pc = log_assessed.exp();
                    st.exit_at = NEVER;
                } else if st.exit_at == NEVER {
                    st.exit_at = m + self.review.gradual_exit_months as i32;
                }
            }
            if m >= st.exit_at {
                st.on = false;
                st.exit_at = NEVER;
                return 0.0;
            }
            return self.benefit(hh, st.assessed_pc, standard);
        }
        if st.decision_at == NEVER {
            if hh.would_apply && log_y < ln_standard && d.apply_u < hh.apply_prob {
                st.decision_at = m + self.assessment.processing_months as i32;
            } else {
                return 0.0;
            }
        }
        if m < st.decision_at {
            return 0.0;
        }
        st.decision_at = NEVER;
        if self.passes(hh, log_assessed, ln_standard, standard) {
            let assessed = log_assessed.exp();
            st.on = true;
            st.assessed_pc = assessed;
            st.next_review = m + hh.review_interval;
            return self.benefit(hh, assessed, standard);
        }
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(extra: &str) -> DibaoParams {
        crate::scenario::load_str(extra, "t")
            .unwrap()
            .scenario
            .programs
            .dibao
    }

    /// One month with no administrative randomness, income given in yuan.
    fn month(
        p: &DibaoParams,
        st: &mut DibaoState,
        h: &DibaoHousehold,
        m: i32,
        y: f64,
        standard: f64,
        d: DibaoDraws,
    ) -> f64 {
        p.month(st, h, m, y.ln(), standard, standard.ln(), d)
    }

    fn hh(size: f64, addon_share: f64) -> DibaoHousehold {
        DibaoHousehold {
            size,
            addon_share,
            would_apply: true,
            apply_prob: 1.0,
            review_interval: 6,
            assets_per_capita: 0.0,
            ln_quota: 0.0,
        }
    }

    const IMMEDIATE: &str = "[programs.dibao.take_up]\nmonthly_apply_prob = 1.0\n[programs.dibao.assessment]\nerror_sd = 0.0\nprocessing_months = 0\n";

    #[test]
    fn single_elderly_person_with_no_income_gets_the_full_standard_plus_addon() {
        let p = params(IMMEDIATE);
        let mut st = DibaoState::default();
        let paid = month(
            &p,
            &mut st,
            &hh(1.0, p.addons.elderly_share),
            0,
            0.0,
            601.0,
            DibaoDraws::default(),
        );
        assert!((paid - 601.0 * (1.0 + p.addons.elderly_share)).abs() < 1e-9);
        assert!(st.on);
    }

    #[test]
    fn family_of_three_gets_the_gap_times_members() {
        let p = params(IMMEDIATE);
        let mut st = DibaoState::default();
        let paid = month(
            &p,
            &mut st,
            &hh(3.0, 0.0),
            0,
            500.0,
            769.0,
            DibaoDraws::default(),
        );
        assert!((paid - 3.0 * 269.0).abs() < 1e-9);
    }

    #[test]
    fn small_gap_is_lifted_to_the_floor() {
        let p = params(IMMEDIATE);
        let mut st = DibaoState::default();
        let paid = month(
            &p,
            &mut st,
            &hh(2.0, 0.0),
            0,
            760.0,
            769.0,
            DibaoDraws::default(),
        );
        assert!((paid - 2.0 * p.benefit.floor_share * 769.0).abs() < 1e-9);
    }

    #[test]
    fn household_above_the_standard_gets_nothing() {
        let p = params(IMMEDIATE);
        let mut st = DibaoState::default();
        assert_eq!(
            month(
                &p,
                &mut st,
                &hh(2.0, 0.5),
                0,
                800.0,
                769.0,
                DibaoDraws::default()
            ),
            0.0
        );
        assert!(!st.on);
    }

    #[test]
    fn assets_above_the_limit_fail_the_test() {
        let p = params(IMMEDIATE);
        let mut rich = hh(1.0, 0.0);
        rich.assets_per_capita = p.assets.limit_months * 769.0 + 1.0;
        let mut st = DibaoState::default();
        assert_eq!(
            month(&p, &mut st, &rich, 0, 0.0, 769.0, DibaoDraws::default()),
            0.0
        );
    }

    #[test]
    fn processing_delays_the_first_payment() {
        let p = params("[programs.dibao.take_up]\nmonthly_apply_prob = 1.0\n[programs.dibao.assessment]\nerror_sd = 0.0\nprocessing_months = 2\n");
        let mut st = DibaoState::default();
        let h = hh(1.0, 0.0);
        assert_eq!(
            month(&p, &mut st, &h, 0, 100.0, 769.0, DibaoDraws::default()),
            0.0
        );
        assert_eq!(
            month(&p, &mut st, &h, 1, 100.0, 769.0, DibaoDraws::default()),
            0.0
        );
        assert!(month(&p, &mut st, &h, 2, 100.0, 769.0, DibaoDraws::default()) > 0.0);
    }

    #[test]
    fn income_above_the_standard_at_review_starts_a_gradual_exit() {
        let p = params(IMMEDIATE);
        let g = p.review.gradual_exit_months as i32;
        let h = hh(1.0, 0.0);
        let mut st = DibaoState::default();
        assert!(month(&p, &mut st, &h, 0, 100.0, 769.0, DibaoDraws::default()) > 0.0);
        // Income rises at month 1; the review at month 6 finds it; the benefit (at the old
        // assessed income) runs for `gradual_exit_months` more months.
        for m in 1..6 + g {
            let paid = month(&p, &mut st, &h, m, 2000.0, 769.0, DibaoDraws::default());
            assert!((paid - 669.0).abs() < 1e-9, "month {m}: {paid}");
        }
        assert_eq!(
            month(&p, &mut st, &h, 6 + g, 2000.0, 769.0, DibaoDraws::default()),
            0.0
        );
        assert!(!st.on);
    }

    #[test]
    fn household_that_would_never_apply_is_not_covered() {
        let p = params(IMMEDIATE);
        let mut h = hh(1.0, 0.0);
        h.would_apply = false;
        let mut st = DibaoState::default();
        assert_eq!(
            month(&p, &mut st, &h, 0, 0.0, 769.0, DibaoDraws::default()),
            0.0
        );
    }
}
