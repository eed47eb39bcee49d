//! Dibao, the minimum living allowance. A household whose assessed per-capita income is below
//! the local standard (yuan per person per month, per province and urban/rural) and whose
//! assets pass the test receives the gap for every member, with a floor, plus classified
//! add-ons (elderly, severely disabled, severely ill, children) as shares of the standard.
//! Take-up is a once-per-household propensity and a monthly application chance; assessment
//! has log-normal error; recipients are reviewed periodically and, once above the standard,
//! keep the benefit for a gradual-exit period.

use super::{fen, month_draws, HouseholdKey, Ledger, MonthCtx, ProgramsParams, Record, Step, YearCtx};
use super::{residence::ResidenceParams, MAX_PROPENSITIES};
use crate::check::Checker;
use crate::counters::c;
use crate::dynamics::YearPaths;
use crate::population::{can_work, Household, Member, MemberParams, Region, StrataTable};
use crate::rng::Purpose;
use crate::schedule::Schedule;
use crate::simulation::SimulationParams;
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};
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
    /// How standards grow: by their own schedules, with prices, or with nominal incomes.
    pub indexation: Indexation,
    /// Yearly growth of urban standards from year y−1 to y, share.
    pub growth_urban: Schedule,
    /// Yearly growth of rural standards, share.
    pub growth_rural: Schedule,
    /// Year by which rural standards reach `convergence_ratio` × the province's urban one (0 = off).
    pub convergence_year: i32,
    /// Target rural/urban ratio.
    pub convergence_ratio: f64,
}

/// `programs.dibao.standard.indexation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Indexation {
    /// `growth_urban` and `growth_rural`.
    Schedule,
    /// `dynamics.prices.inflation`.
    Prices,
    /// Nominal per-capita incomes.
    Income,
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
                let g = match s.indexation {
                    Indexation::Prices => inflation.at(y).expect("validated"),
                    Indexation::Income => paths.income_index[t] / paths.income_index[t - 1] - 1.0,
                    Indexation::Schedule => sched.at(y).expect("validated"),
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
        let mut addon_share = 0.0;
        let mut workers = 0;
        for mem in hh.members() {
            addon_share = p.add_addons(addon_share, mem);
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

/// The administrative draws of one month (from its month's streams, see
/// [`super::month_draws`]).
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

impl DibaoParams {
    /// A member's classified add-ons, as a share of the standard: elderly, child, severely
    /// disabled, severely ill (each that applies).
    #[inline]
    pub fn member_addon_share(&self, mem: &Member) -> f64 {
        self.add_addons(0.0, mem)
    }

    /// `share` plus a member's add-ons, added one by one (a household's sum adds its members'
    /// add-ons in this order).
    #[inline]
    fn add_addons(&self, mut share: f64, mem: &Member) -> f64 {
        let a = &self.addons;
        if mem.age >= a.elderly_age {
            share += a.elderly_share;
        }
        if mem.age < a.child_age {
            share += a.child_share;
        }
        if mem.severe_disability {
            share += a.severe_disability_share;
        }
        if mem.severe_illness {
            share += a.severe_illness_share;
        }
        share
    }

    /// Dibao of a member covered alone (single-person inclusion, see `programs.marginal`): a
    /// unit of one with no income of its own, so the full standard (at least the floor) plus
    /// the member's own add-ons, yuan per month.
    pub fn single_person(&self, mem: &Member, standard: f64) -> f64 {
        let unit = DibaoHousehold {
            size: 1.0,
            addon_share: self.member_addon_share(mem),
            would_apply: true,
            apply_prob: 1.0,
            review_interval: 1,
            assets_per_capita: 0.0,
            ln_quota: 0.0,
        };
        self.benefit(&unit, 0.0, standard)
    }

    /// Whether financial assets of `assets_per_capita` yuan per person (nominal) pass the
    /// asset test at `standard` yuan per person per month (tekun and marginal families use it
    /// too).
    #[inline]
    pub fn assets_pass(&self, assets_per_capita: f64, standard: f64) -> bool {
        !self.assets.enabled || assets_per_capita <= self.assets.limit_months * standard
    }
}

/// How the means test counts a month's income: a share of true income
/// (`assessment.income_counted_share`), net of essential spending when
/// `programs.rigid.deduct_in_means_test` is on.
#[derive(Debug, Clone, Copy)]
pub struct MeansTest {
    /// Log of the share of income counted.
    pub ln_counted: f64,
    /// Essential spending is deducted first.
    pub deduct: bool,
}

impl MeansTest {
    pub fn new(p: &ProgramsParams) -> MeansTest {
        MeansTest {
            ln_counted: p.dibao.assessment.income_counted_share.ln(),
            deduct: p.rigid.deduct_in_means_test,
        }
    }

    /// Log of counted per-capita income, for true per-capita income `y` (log `ly`) and
    /// `essential` spending (yuan per household per month) of a household of `size`.
    #[inline]
    pub fn log_income(&self, ly: f64, y: f64, essential: f64, size: f64) -> f64 {
        self.ln_counted
            + if self.deduct {
                super::rigid::RigidParams::net_income(y, essential, size).ln()
            } else {
                ly
            }
    }
}

/// Dibao as a step: its parameters, the residence rule of where and how migrants apply, and
/// which monthly draws it needs.
#[derive(Debug, Clone)]
pub struct Dibao {
    p: DibaoParams,
    residence: ResidenceParams,
    ln_counted: f64,
    /// A monthly application draw (the chance is below 1, or monitoring may raise it).
    draw_apply: bool,
    /// A monthly assessment-error draw.
    draw_error: bool,
}

/// A household's standing with dibao, its streams and its yearly facts.
#[derive(Debug, Clone)]
pub struct DibaoHouse {
    state: DibaoState,
    facts: DibaoHousehold,
    take_up_u: f64,
    /// Keys of its monthly streams (see [`super::month_draws`]).
    behaviour: Option<u64>,
    admin: Option<u64>,
}

impl Step for Dibao {
    type Household = DibaoHouse;
    /// Slot 0: the take-up propensity.
    const PROPENSITIES: usize = 1;

    fn new(p: &ProgramsParams) -> Option<Dibao> {
        p.dibao.enabled.then(|| Dibao {
            p: p.dibao.clone(),
            residence: p.residence.clone(),
            ln_counted: p.dibao.assessment.income_counted_share.ln(),
            draw_apply: p.dibao.take_up.monthly_apply_prob < 1.0 || p.monitoring.enabled,
            draw_error: p.dibao.assessment.error_sd > 0.0,
        })
    }

    fn household(&self, key: &HouseholdKey, u: &[f64; MAX_PROPENSITIES]) -> DibaoHouse {
        DibaoHouse {
            state: DibaoState::default(),
            facts: DibaoHousehold {
                size: 0.0,
                addon_share: 0.0,
                would_apply: false,
                apply_prob: 0.0,
                review_interval: 1,
                assets_per_capita: 0.0,
                ln_quota: 0.0,
            },
            take_up_u: u[0],
            behaviour: self.draw_apply.then(|| key.stream_key(Purpose::Behaviour)),
            admin: self.draw_error.then(|| key.stream_key(Purpose::Admin)),
        }
    }

    fn year(&self, h: &mut DibaoHouse, y: &YearCtx) -> f64 {
        let factor = self.residence.take_up_factor(y.hh.migrant);
        h.facts = DibaoHousehold::new(&self.p, y.hh, y.members, h.take_up_u, factor, y.price_index);
        if let Some(cut) = y.quota_cut {
            h.facts.ln_quota = (1.0 - cut).ln();
        }
        // Nobody applies, and no review passes, with counted income at or above the standard.
        y.ln_standard - self.ln_counted
    }

    #[inline(always)]
    fn busy(&self, h: &DibaoHouse) -> bool {
        h.state.busy()
    }

    fn step(
        &self,
        h: &mut DibaoHouse,
        y: &YearCtx,
        mo: &MonthCtx,
        led: &mut Ledger,
        rec: &mut Record,
    ) {
        let f = h.facts;
        let dr = DibaoDraws {
            apply_u: h.behaviour.map_or(0.0, |k| month_draws(k, mo.m).random()),
            assess_z: h
                .admin
                .map_or(0.0, |k| StandardNormal.sample(&mut month_draws(k, mo.m))),
        };
        let mut paid = 0.0;
        if led.tekun {
            // A tekun household gets no dibao: it leaves the roll (or its application lapses).
            if h.state.busy() {
                h.state = DibaoState::default();
            }
        } else {
            // An early warning helps the household apply (see `programs.monitoring`).
            let dh = if led.warned {
                DibaoHousehold {
                    would_apply: f.would_apply || led.reached,
                    apply_prob: f.apply_prob.max(led.proactive_apply_prob),
                    ..f
                }
            } else {
                f
            };
            paid = self.p.month(
                &mut h.state,
                &dh,
                mo.m,
                mo.lm,
                y.standard,
                y.ln_standard,
                dr,
            );
        }
        let on = paid > 0.0;
        led.dibao = paid;
        led.dibao_on = h.state.on;
        led.dibao_assessed_pc = h.state.assessed_pc;
        led.log_assessed = mo.lm + self.p.assessment.error_sd * dr.assess_z;
        led.would_apply_dibao = f.would_apply;
        rec[c::COST_DIBAO_FEN] += fen(paid);
        rec[c::RECIP_HH_MONTHS] += on as i64;
        rec[c::RECIP_PERSON_MONTHS] += if on { y.k } else { 0 };
        // Targeting: eligible by the rule (true counted income) against who receives.
        let eligible = self.p.passes(&f, mo.lm, y.ln_standard, y.standard);
        rec[c::ELIG_HH_MONTHS] += eligible as i64;
        rec[c::ELIG_RECIP_HH_MONTHS] += (eligible && led.regular()) as i64;
        rec[c::INELIG_RECIP_HH_MONTHS] += (on && !eligible) as i64;
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
    fn severely_ill_member_covered_alone_gets_the_full_standard_plus_own_addons() {
        let p = params("");
        let ill = Member {
            age: 40,
            severe_disability: false,
            severe_illness: true,
        };
        let b = p.single_person(&ill, 601.0);
        assert!((b - 601.0 * (1.0 + p.addons.severe_illness_share)).abs() < 1e-9);
        // A severely disabled child gets the child add-on too, as any dibao child would.
        let child = Member {
            age: 8,
            severe_disability: true,
            severe_illness: false,
        };
        let share = p.addons.child_share + p.addons.severe_disability_share;
        assert!((p.single_person(&child, 601.0) - 601.0 * (1.0 + share)).abs() < 1e-9);
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
