//! Tekun: support for the severely impoverished. A household in which no member can work
//! (elderly, severely disabled, minors), with no one outside it legally obliged and able to
//! support it, whose income is below the local dibao standard and whose assets pass, is
//! supported as a whole: every member gets a basic-living standard of at least 1.3 × the local
//! dibao standard plus a care subsidy by self-care level, in cash or in an institution with its
//! own unit cost. Tekun and dibao are exclusive: a tekun household gets no dibao.

use super::{dibao::DibaoParams, MAX_PROPENSITIES};
use super::{fen, month_draws, HouseholdKey, Ledger, MonthCtx, ProgramsParams, Record, Step, YearCtx};
use crate::check::Checker;
use crate::counters::c;
use crate::population::{can_work, Household, MemberParams, STAT_ELDERLY_AGE};
use crate::rng::Purpose;
use crate::schedule::Schedule;
use crate::simulation::SimulationParams;
use rand::Rng;
use serde::{Deserialize, Serialize};

/// `programs.tekun.*`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TekunParams {
    /// Switch the program on or off.
    pub enabled: bool,
    /// Basic-living standard as a multiple of the local dibao standard (rule: at least 1.3).
    pub standard_multiple: f64,
    /// Share 0–1 of urban households with no member able to work that have no supporter able
    /// and obliged to support them (outside the household) and no income source of their own
    /// beyond the means test (urban elderly mostly draw a pension or have children who can
    /// support them, so the urban share is far below the rural one).
    pub no_supporter_share_urban: f64,
    /// The same for rural households.
    pub no_supporter_share_rural: f64,
    /// Chance per month, 0–1, that an eligible household is identified and enrolled.
    pub monthly_identify_prob: f64,
    /// Months between reviews.
    pub review_interval_months: u8,
    /// Age (years) from which a person is partially dependent in daily living.
    pub partial_dependency_age: u8,
    /// Care subsidy per partially dependent person, share of the dibao standard.
    pub care_share_partial: f64,
    /// Care subsidy per fully dependent (severely disabled) person, share of the standard.
    pub care_share_full: f64,
    /// Share 0–1 of tekun households cared for in an institution.
    pub institutional_share: f64,
    /// Institutional care, yuan per person per month in the start year (replaces cash); it
    /// then grows as `institutional_cost_indexation` says.
    pub institutional_cost: f64,
    /// What the institutional cost grows with after the start year: `"prices"` or
    /// `"standard"` (the local dibao standard, as the basic-living part of tekun does).
    pub institutional_cost_indexation: CostIndexation,
    /// Calendar year from which a supported minor keeps tekun to 18 (民发〔2021〕43号 art. 24,
    /// in force 1 July 2021): at review, members aged `working_age_min` to 17 do not count as
    /// able to work. 0: never (a member turning `working_age_min` ends the support).
    #[serde(default)]
    pub minors_kept_to_18_from: i32,
    /// Years between an elderly household's oldest member and the supporter obliged to
    /// support it (their child), for the supporter's age in `unable_supporter_share_60` and
    /// `_70`. 0: the supporter's age is not read (no supporter counts as unable for age).
    #[serde(default)]
    pub supporter_age_gap: f64,
    /// The no-supporter share's fall per later year of birth, log points a year (0–0.2): for
    /// a household whose oldest member is aged [`STAT_ELDERLY_AGE`] or more, the region's
    /// `no_supporter_share_*` is multiplied by exp(−trend × (the oldest member's year of birth
    /// − `no_supporter_cohort_reference`)), at most 1 in all. Older cohorts more often have
    /// no child able to support them. 0 (the default): no cohort effect. Known limits: the
    /// factor starts when the oldest member turns 60 (a household whose oldest is younger keeps
    /// the region's share, so a propensity between the two crosses on that birthday), and a
    /// member held at `population.members.max_age` is taken as born a year later each year.
    #[serde(default)]
    pub no_supporter_cohort_trend: f64,
    /// The year of birth at which the cohort factor is 1 (read with a trend above 0).
    #[serde(default)]
    pub no_supporter_cohort_reference: i32,
    /// Share 0–1 of urban supporters aged 60–69 who count as unable to support (民发〔2021〕43号
    /// art. 8 (二), and 民发〔2016〕178号 before it: a dibao recipient aged 60 or more), by
    /// calendar year; before its first key, 0.
    #[serde(default)]
    pub unable_supporter_share_60_urban: Schedule,
    /// The same for rural supporters.
    #[serde(default)]
    pub unable_supporter_share_60_rural: Schedule,
    /// Share 0–1 of urban supporters aged 70 or more who count as unable to support
    /// (民发〔2021〕43号 art. 8 (三): own income below the local per-capita disposable income of
    /// the year before, assets within the local limit; the 60+ dibao recipients included), by
    /// calendar year; before its first key, 0.
    #[serde(default)]
    pub unable_supporter_share_70_urban: Schedule,
    /// The same for rural supporters.
    #[serde(default)]
    pub unable_supporter_share_70_rural: Schedule,
}

/// What an amount grows with after the start year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CostIndexation {
    /// The price level (`dynamics.prices`).
    Prices,
    /// The local dibao standard where the household applies.
    Standard,
}

impl TekunParams {
    pub(crate) fn validate(&self, c: &mut Checker, _sim: &SimulationParams) {
        let k = "programs.tekun";
        c.range(
            &format!("{k}.standard_multiple"),
            self.standard_multiple,
            1.3,
            5.0,
            "a multiple of the dibao standard (the rule sets at least 1.3)",
        );
        c.share(
            &format!("{k}.no_supporter_share_urban"),
            self.no_supporter_share_urban,
        );
        c.share(
            &format!("{k}.no_supporter_share_rural"),
            self.no_supporter_share_rural,
        );
        c.share(
            &format!("{k}.monthly_identify_prob"),
            self.monthly_identify_prob,
        );
        c.int_range(
            &format!("{k}.review_interval_months"),
            self.review_interval_months as i64,
            1,
            120,
        );
        c.range(
            &format!("{k}.care_share_partial"),
            self.care_share_partial,
            0.0,
            5.0,
            "a share of the standard",
        );
        c.range(
            &format!("{k}.care_share_full"),
            self.care_share_full,
            0.0,
            5.0,
            "a share of the standard",
        );
        c.share(
            &format!("{k}.institutional_share"),
            self.institutional_share,
        );
        let from = self.minors_kept_to_18_from;
        if from != 0 && !(1990..=2100).contains(&from) {
            c.fail(
                &format!("{k}.minors_kept_to_18_from"),
                from,
                "allowed: 0 (never) or a calendar year from 1990 to 2100",
            );
        }
        c.range(
            &format!("{k}.supporter_age_gap"),
            self.supporter_age_gap,
            0.0,
            60.0,
            "years between the oldest member and the supporter",
        );
        for (name, sch) in [
            (
                "unable_supporter_share_60_urban",
                &self.unable_supporter_share_60_urban,
            ),
            (
                "unable_supporter_share_60_rural",
                &self.unable_supporter_share_60_rural,
            ),
            (
                "unable_supporter_share_70_urban",
                &self.unable_supporter_share_70_urban,
            ),
            (
                "unable_supporter_share_70_rural",
                &self.unable_supporter_share_70_rural,
            ),
        ] {
            for (_, v) in sch.iter() {
                c.share(&format!("{k}.{name}"), v);
            }
        }
        c.range(
            &format!("{k}.no_supporter_cohort_trend"),
            self.no_supporter_cohort_trend,
            0.0,
            0.2,
            "log points of the no-supporter share per year of birth",
        );
        let r = self.no_supporter_cohort_reference;
        if self.no_supporter_cohort_trend > 0.0 && !(1900..=2100).contains(&r) {
            c.fail(
                &format!("{k}.no_supporter_cohort_reference"),
                r,
                "allowed: a year of birth from 1900 to 2100 when no_supporter_cohort_trend is \
                 above 0",
            );
        }
        c.range(
            &format!("{k}.institutional_cost"),
            self.institutional_cost,
            0.0,
            1e6,
            "yuan per person per month",
        );
    }

    /// Self-care level of a person: 2 fully dependent (severe disability), 1 partially
    /// dependent (from `partial_dependency_age`), 0 able.
    pub fn care_level(&self, age: u8, severe_disability: bool) -> u8 {
        if severe_disability {
            2
        } else if age >= self.partial_dependency_age {
            1
        } else {
            0
        }
    }

    /// Sum over members of the care-subsidy shares, and the number needing care.
    pub fn care(&self, hh: &Household) -> (f64, u8) {
        let mut share = 0.0;
        let mut needing = 0;
        for p in hh.members() {
            match self.care_level(p.age, p.severe_disability) {
                2 => {
                    share += self.care_share_full;
                    needing += 1;
                }
                1 => {
                    share += self.care_share_partial;
                    needing += 1;
                }
                _ => {}
            }
        }
        (share, needing)
    }

    /// Monthly cash support of a household of `size` members, yuan: the basic-living standard
    /// for each member plus the care subsidy (`care_share` summed over members), with
    /// `care_replaced` (0–1) of the care subsidy given as services instead.
    pub fn cash(&self, size: f64, care_share: f64, standard: f64, care_replaced: f64) -> f64 {
        self.standard_multiple * standard * size + (1.0 - care_replaced) * care_share * standard
    }
}

/// Whether a household could be tekun: nobody in it can work.
pub fn no_one_can_work(hh: &Household, m: &MemberParams) -> bool {
    !hh.members().iter().any(|p| can_work(p, m))
}

/// Whether a supported household stays unable to work when its minors keep tekun to 18:
/// nobody in it can work, members under 18 not counted. 18 is the rule's own legal age (the
/// age of majority under 民发〔2021〕43号: a tekun minor is supported until 18 even if of
/// working age), not a modelling choice, so it is fixed here rather than a key.
pub fn no_one_can_work_minors_kept(hh: &Household, m: &MemberParams) -> bool {
    !hh.members().iter().any(|p| p.age >= 18 && can_work(p, m))
}

/// Whether a household has no supporter able and obliged to support it: its propensity `u`
/// below the region's `share`, and no member who left for the towns (they remain supporters).
pub fn no_supporter(u: f64, share: f64, hh: &Household) -> bool {
    u < share && hh.left == 0
}

impl TekunParams {
    /// Share 0–1 of the supporters of `hh` (in an urban household when `urban`) who count as
    /// unable to support in `year` for their age (民发〔2021〕43号 art. 8): the supporter's age is
    /// the oldest member's less `supporter_age_gap`, read only for a household whose oldest
    /// member is 60 or more; the region's `unable_supporter_share_70_*` from 70, `_60_*` from
    /// 60, else 0.
    pub fn unable_supporter_share(&self, hh: &Household, urban: bool, year: i32) -> f64 {
        if self.supporter_age_gap <= 0.0 {
            return 0.0;
        }
        let oldest = hh.oldest_age() as f64;
        if oldest < 60.0 {
            return 0.0;
        }
        let age = oldest - self.supporter_age_gap;
        let s = match (age >= 70.0, age >= 60.0, urban) {
            (true, _, true) => &self.unable_supporter_share_70_urban,
            (true, _, false) => &self.unable_supporter_share_70_rural,
            (false, true, true) => &self.unable_supporter_share_60_urban,
            (false, true, false) => &self.unable_supporter_share_60_rural,
            _ => return 0.0,
        };
        s.at(year).unwrap_or(0.0)
    }

    /// Share 0–1 of households like `hh` (in an urban household when `urban`) in `year` that
    /// have no supporter able and obliged to support them: the region's
    /// `no_supporter_share_*`, times the cohort factor of an elderly household
    /// (`no_supporter_cohort_trend`), widened by the supporters counted unable for their age
    /// ([`Self::unable_supporter_share`], [`widened_share`]). Compared with the household's
    /// one propensity, so a household crosses only as its facts change (no new draw).
    pub fn no_supporter_share(&self, hh: &Household, urban: bool, year: i32) -> f64 {
        let mut share = if urban {
            self.no_supporter_share_urban
        } else {
            self.no_supporter_share_rural
        };
        if self.no_supporter_cohort_trend > 0.0 {
            let oldest = hh.oldest_age();
            if oldest >= STAT_ELDERLY_AGE {
                let born = year - oldest as i32;
                let f = (-self.no_supporter_cohort_trend
                    * (born - self.no_supporter_cohort_reference) as f64)
                    .exp();
                share = (share * f).min(1.0);
            }
        }
        let unable = self.unable_supporter_share(hh, urban, year);
        if unable > 0.0 {
            widened_share(share, unable)
        } else {
            share
        }
    }
}

/// The no-supporter share of the region `share` widened by the share `unable` of supporters
/// counted unable (art. 8): a household has no able supporter when it has none (`share`) or
/// when the one it has is unable, `share + (1 − share) × unable`, so the same propensity
/// decides both and a household crosses as its supporter ages (no new draw).
#[inline]
pub fn widened_share(share: f64, unable: f64) -> f64 {
    share + (1.0 - share) * unable
}

/// A household's standing with tekun.
#[derive(Debug, Clone, Copy, Default)]
pub struct TekunState {
    /// Supported this month.
    pub on: bool,
    next_review: i32,
}

impl TekunState {
    /// One month: enrol an eligible household with the identification chance `u`, review on
    /// schedule and leave when no longer eligible. Returns whether supported this month.
    #[inline]
    pub fn month(&mut self, p: &TekunParams, m: i32, eligible: bool, u: f64) -> bool {
        if self.on {
            if m >= self.next_review {
                self.next_review = m + p.review_interval_months as i32;
                if !eligible {
                    self.on = false;
                }
            }
        } else if eligible && u < p.monthly_identify_prob {
            self.on = true;
            self.next_review = m + p.review_interval_months as i32;
        }
        self.on
    }
}

/// Tekun as a step. It comes before dibao, which it excludes.
#[derive(Debug, Clone)]
pub struct Tekun {
    p: TekunParams,
    /// Dibao's asset test and means test apply to tekun too.
    dibao: DibaoParams,
    ln_counted: f64,
    /// A monthly identification draw (the chance is below 1).
    draw: bool,
}

/// A household's standing with tekun, its stream and its yearly facts.
#[derive(Debug, Clone)]
pub struct TekunHouse {
    state: TekunState,
    /// Key of its monthly identification stream (see [`super::month_draws`]).
    rng: Option<u64>,
    /// Propensity to have no supporter (compared with the share of the household's region).
    no_supporter_u: f64,
    no_supporter: bool,
    institutional: bool,
    no_one_can_work: bool,
    /// The same at review of a supported household (minors kept to 18 when the rule holds).
    no_one_can_work_kept: bool,
    assets_ok: bool,
    care_share: f64,
    care_needing: f64,
}

impl TekunParams {
    /// Whether household `hh` of key `key` (in an urban stratum when `urban`) has a supporter
    /// able and obliged to support it in `year`: its no-supporter propensity
    /// ([`super::SUPPORTER_SLOT`] of its propensity stream, the draw [`Step::household`] reads) against
    /// [`TekunParams::no_supporter_share`], members who left for the towns counting as
    /// supporters. For the population's rule of a household that retires
    /// (`population.demography.retirement_supported_low_income_multiple_*`): the stream is
    /// drawn again here, so the household's standing with the programs is not needed. It reads
    /// these parameters whether or not tekun pays: who has a supporter is a fact of the
    /// household, and switching the program off does not change the population.
    pub fn has_supporter(&self, key: &HouseholdKey, hh: &Household, urban: bool, year: i32) -> bool {
        let u = super::propensity_draws(key, super::SUPPORTER_SLOT + 1)[super::SUPPORTER_SLOT];
        !no_supporter(u, self.no_supporter_share(hh, urban, year), hh)
    }
}

impl Step for Tekun {
    type Household = TekunHouse;
    const QUIET: bool = true;
    /// Slot 1: no supporter; slot 2: institutional care.
    const PROPENSITIES: usize = 3;

    fn new(p: &ProgramsParams) -> Option<Tekun> {
        p.tekun.enabled.then(|| Tekun {
            p: p.tekun.clone(),
            dibao: p.dibao.clone(),
            ln_counted: p.dibao.assessment.income_counted_share.ln(),
            draw: p.tekun.monthly_identify_prob < 1.0,
        })
    }

    fn household(&self, key: &HouseholdKey, u: &[f64; MAX_PROPENSITIES]) -> TekunHouse {
        TekunHouse {
            state: TekunState::default(),
            rng: self.draw.then(|| key.stream_key(Purpose::Tekun)),
            no_supporter_u: u[super::SUPPORTER_SLOT],
            no_supporter: false,
            institutional: u[2] < self.p.institutional_share,
            no_one_can_work: false,
            no_one_can_work_kept: false,
            assets_ok: false,
            care_share: 0.0,
            care_needing: 0.0,
        }
    }

    fn year(&self, h: &mut TekunHouse, y: &YearCtx) -> f64 {
        h.no_one_can_work = no_one_can_work(y.hh, y.members);
        // A household not supported now with someone able to work cannot become eligible this
        // year (nor, then, supported): its step reads no other fact, so they are not made
        // (most households; a supported one reads them all).
        if !h.state.on && !h.no_one_can_work {
            return f64::NEG_INFINITY;
        }
        let from = self.p.minors_kept_to_18_from;
        h.no_one_can_work_kept = if from != 0 && y.year >= from {
            no_one_can_work_minors_kept(y.hh, y.members)
        } else {
            h.no_one_can_work
        };
        let share = self.p.no_supporter_share(y.hh, y.urban, y.year);
        h.no_supporter = no_supporter(h.no_supporter_u, share, y.hh);
        h.assets_ok = self
            .dibao
            .assets_pass(y.hh.assets_per_capita * self.dibao.asset_index(y), y.standard);
        let (share, needing) = self.p.care(y.hh);
        h.care_share = share;
        h.care_needing = needing as f64;
        // Eligibility needs counted income below the standard, and no one able to work, no
        // supporter and assets within the limit: a household without them this year cannot
        // become eligible (a supported one is busy).
        if h.no_one_can_work && h.no_supporter && h.assets_ok {
            y.ln_standard - self.ln_counted
        } else {
            f64::NEG_INFINITY
        }
    }

    /// The standard over the counted share (the line of a household that can be eligible).
    fn line_bound(&self, y: &YearCtx) -> f64 {
        y.ln_standard - self.ln_counted
    }

    #[inline(always)]
    fn busy(&self, h: &TekunHouse) -> bool {
        h.state.on
    }

    // In line in the month's pipeline (`Rules::month_into`): a call per stepped month cost
    // more than the step's own tests.
    #[inline(always)]
    fn step(
        &self,
        h: &mut TekunHouse,
        y: &YearCtx,
        mo: &MonthCtx,
        led: &mut Ledger,
        rec: &mut Record,
    ) {
        let eligible = self.eligible(h, y, mo);
        // The identification draw is read only for an eligible household not supported yet;
        // keyed by month, so leaving it undrawn in other months shifts no draw.
        let u = if eligible && !h.state.on {
            h.rng.map_or(0.0, |k| month_draws(k, mo.m).random())
        } else {
            0.0
        };
        if mo.enrol && eligible && !h.state.on {
            // The stationary start: identified, the months to its review uniform.
            h.state.on = true;
            let interval = self.p.review_interval_months as i32;
            h.state.next_review = mo.m + super::review_phase(u, interval);
        }
        if !h.state.month(&self.p, mo.m, eligible, u) {
            return;
        }
        led.tekun = true;
        led.care_share = h.care_share;
        led.care_needing = h.care_needing;
        if h.institutional {
            led.tekun_institutional = true;
            let index = match self.p.institutional_cost_indexation {
                CostIndexation::Prices => y.price_index,
                CostIndexation::Standard => y.standard_index,
            };
            led.tekun_cash = y.size * self.p.institutional_cost * index;
            rec[c::TEKUN_INSTITUTION_PERSON_MONTHS] += y.k;
        } else {
            led.tekun_cash = self.p.cash(y.size, h.care_share, y.standard, 0.0);
        }
        rec[c::COST_TEKUN_FEN] += fen(led.tekun_cash);
        rec[c::TEKUN_HH_MONTHS] += 1;
        rec[c::TEKUN_PERSON_MONTHS] += y.k;
    }

    /// Not supported: the step does nothing unless the household is eligible.
    #[inline(always)]
    fn quiet(&self, h: &TekunHouse, y: &YearCtx, mo: &MonthCtx, _: &mut Ledger) -> bool {
        debug_assert!(!self.busy(h));
        !self.eligible(h, y, mo)
    }
}

impl Tekun {
    /// Eligible this month: no one able to work (minors kept at a supported household's
    /// review), no supporter, counted income below the standard and assets within the limit.
    #[inline(always)]
    fn eligible(&self, h: &TekunHouse, y: &YearCtx, mo: &MonthCtx) -> bool {
        let unable = if h.state.on {
            h.no_one_can_work_kept
        } else {
            h.no_one_can_work
        };
        unable && h.no_supporter && mo.lm < y.ln_standard && h.assets_ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> TekunParams {
        crate::scenario::load_str("", "t")
            .unwrap()
            .scenario
            .programs
            .tekun
    }

    #[test]
    fn a_supporter_counts_as_unable_by_age_from_the_rules_year() {
        let mut p = params();
        let mut hh = crate::population::Household::blank(0, 2, false);
        hh.members[0].age = 86;
        hh.members[1].age = 80;
        assert_eq!(
            p.unable_supporter_share(&hh, false, 2023),
            0.0,
            "gap 0: not read"
        );
        p.supporter_age_gap = 24.0;
        p.unable_supporter_share_60_rural = Schedule::constant(2016, 0.07);
        p.unable_supporter_share_60_urban = Schedule::constant(2016, 0.01);
        p.unable_supporter_share_70_rural =
            Schedule(std::collections::BTreeMap::from([(2016, 0.07), (2021, 0.9)]));
        // Supporter 62: the region's 60+ share.
        assert_eq!(p.unable_supporter_share(&hh, false, 2023), 0.07);
        assert_eq!(p.unable_supporter_share(&hh, true, 2023), 0.01);
        assert_eq!(
            p.unable_supporter_share(&hh, false, 2015),
            0.0,
            "before the rule"
        );
        // Supporter 57: none.
        hh.members[0].age = 81;
        assert_eq!(p.unable_supporter_share(&hh, false, 2023), 0.0);
        // Supporter 70: the 70+ share from 2021.
        hh.members[0].age = 94;
        assert_eq!(p.unable_supporter_share(&hh, false, 2020), 0.07);
        assert_eq!(p.unable_supporter_share(&hh, false, 2021), 0.9);
        // The widened share nests the region's: same propensity, more households.
        let w = widened_share(0.3, 0.1);
        assert!((w - 0.37).abs() < 1e-12);
        assert_eq!(widened_share(0.3, 0.0), 0.3);
    }

    /// The population's question (does a household that retires have a supporter?) reads the
    /// propensity tekun's own standing reads: for every key the answer is the one tekun's
    /// propensity gives at the region's share; over 4,000 keys the share without one is
    /// within 4 binomial se of the rural share (se 0.0072 at 0.3); a member who left for the
    /// towns is a supporter whatever the draw; with tekun off the answers are the same (who has a
    /// supporter is the household's, not the program's).
    #[test]
    fn a_retiring_households_supporter_is_the_one_tekun_reads() {
        let mut sc = crate::scenario::load_str("", "t").unwrap().scenario;
        sc.programs.tekun.no_supporter_share_rural = 0.3;
        let rules = crate::programs::Rules::new(&sc.programs);
        sc.programs.tekun.enabled = false;
        let off = crate::programs::Rules::new(&sc.programs);
        let mut hh = crate::population::Household::blank(0, 1, false);
        hh.members[0].age = 70;
        let n = 4_000;
        let mut without = 0;
        for i in 0..n {
            let key = HouseholdKey::new(9, 0, i);
            let own = rules.household(&key).tekun.unwrap().no_supporter_u;
            let has = rules.has_supporter(&key, &hh, false, 2023);
            assert_eq!(has, own >= 0.3, "key {i}");
            without += !has as u32;
            hh.left = 1;
            assert!(rules.has_supporter(&key, &hh, false, 2023));
            hh.left = 0;
            assert_eq!(off.has_supporter(&key, &hh, false, 2023), has, "off, key {i}");
        }
        let share = without as f64 / n as f64;
        let se = (0.3f64 * 0.7 / n as f64).sqrt();
        assert!((share - 0.3).abs() < 4.0 * se, "share {share}, se {se}");
    }

    #[test]
    fn the_no_supporter_share_falls_with_the_oldest_members_year_of_birth() {
        let mut p = params();
        p.no_supporter_share_rural = 0.3;
        p.no_supporter_share_urban = 0.05;
        let mut hh = crate::population::Household::blank(0, 2, false);
        hh.members[0].age = 75;
        hh.members[1].age = 40;
        // Off: the region's share.
        assert_eq!(p.no_supporter_share(&hh, false, 2023), 0.3);
        p.no_supporter_cohort_trend = 0.05;
        p.no_supporter_cohort_reference = 1948;
        // Born 1948: factor 1; born 1958 (65 in 2023): e^{-0.5}; born 1938: e^{0.5}.
        assert!((p.no_supporter_share(&hh, false, 2023) - 0.3).abs() < 1e-12);
        assert!((p.no_supporter_share(&hh, true, 2023) - 0.05).abs() < 1e-12);
        hh.members[0].age = 65;
        assert!((p.no_supporter_share(&hh, false, 2023) - 0.3 * (-0.5f64).exp()).abs() < 1e-12);
        hh.members[0].age = 85;
        assert!((p.no_supporter_share(&hh, false, 2023) - 0.3 * 0.5f64.exp()).abs() < 1e-12);
        // The same person ten years on: the same cohort, the same share.
        hh.members[0].age = 75;
        let a = p.no_supporter_share(&hh, false, 2013);
        hh.members[0].age = 85;
        assert!((p.no_supporter_share(&hh, false, 2023) - a).abs() < 1e-12);
        // At most 1.
        p.no_supporter_cohort_trend = 0.2;
        hh.members[0].age = 90;
        assert_eq!(p.no_supporter_share(&hh, false, 2023), 1.0);
        // No member 60 or older: no cohort factor.
        hh.members[0].age = 59;
        assert_eq!(p.no_supporter_share(&hh, false, 2023), 0.3);
    }

    #[test]
    fn a_cohort_trend_needs_a_reference_year_of_birth() {
        let t = "[programs.tekun]\nno_supporter_cohort_trend = 0.03\nno_supporter_cohort_reference = 0\n";
        let e = crate::scenario::load_str(t, "t").unwrap_err().to_string();
        assert!(e.contains("programs.tekun.no_supporter_cohort_reference"), "{e}");
        let t = "[programs.tekun]\nno_supporter_cohort_trend = 0.5\n";
        let e = crate::scenario::load_str(t, "t").unwrap_err().to_string();
        assert!(e.contains("programs.tekun.no_supporter_cohort_trend"), "{e}");
        let t = "[programs.tekun]\nno_supporter_cohort_trend = 0.03\n";
        assert!(crate::scenario::load_str(t, "t").is_ok());
    }

    #[test]
    fn single_elderly_tekun_person_gets_the_multiple_of_the_standard_plus_care() {
        let p = params();
        // An 82-year-old living alone: partially dependent.
        assert_eq!(p.care_level(82, false), 1);
        let cash = p.cash(1.0, p.care_share_partial, 601.0, 0.0);
        assert!((cash - 601.0 * (p.standard_multiple + p.care_share_partial)).abs() < 1e-9);
        assert!(cash >= 1.3 * 601.0);
    }

    #[test]
    fn services_replace_part_of_the_care_subsidy_only() {
        let p = params();
        let full = p.cash(1.0, p.care_share_full, 769.0, 0.0);
        let half = p.cash(1.0, p.care_share_full, 769.0, 0.5);
        assert!((full - half - 0.5 * p.care_share_full * 769.0).abs() < 1e-9);
    }

    #[test]
    fn a_household_whose_children_left_for_the_towns_has_a_supporter() {
        let s = crate::scenario::load_str("", "t").unwrap().scenario;
        let mut hh = crate::population::PopulationModel::new(&s, "t")
            .unwrap()
            .household(&s.simulation, 0, 0);
        hh.left = 0;
        assert!(no_supporter(0.1, 0.3, &hh));
        assert!(!no_supporter(0.4, 0.3, &hh));
        hh.left = 1;
        assert!(!no_supporter(0.1, 0.3, &hh));
    }

    #[test]
    fn a_supported_minor_keeps_the_household_unable_to_work_until_18() {
        let s = crate::scenario::load_str("", "t").unwrap().scenario;
        let m = &s.population.members;
        let mut hh = crate::population::PopulationModel::new(&s, "t")
            .unwrap()
            .household(&s.simulation, 0, 0);
        hh.size = 2;
        for (i, a) in [72u8, 16].into_iter().enumerate() {
            hh.members[i] = crate::population::Member {
                age: a,
                ..Default::default()
            };
        }
        // At 16 the grandchild can work by the entry rule, not for a supported household.
        assert!(!no_one_can_work(&hh, m));
        assert!(no_one_can_work_minors_kept(&hh, m));
        hh.members[1].age = 18;
        assert!(!no_one_can_work_minors_kept(&hh, m));
    }

    #[test]
    fn a_minors_rule_year_outside_the_calendar_is_refused_naming_the_key() {
        let e = crate::scenario::load_str("[programs.tekun]\nminors_kept_to_18_from = 21\n", "t")
            .unwrap_err()
            .to_string();
        assert!(e.contains("programs.tekun.minors_kept_to_18_from"), "{e}");
        assert!(e.contains("21") && e.contains("1990 to 2100"), "{e}");
        assert!(crate::scenario::load_str(
            "[programs.tekun]\nminors_kept_to_18_from = 2021\n",
            "t"
        )
        .is_ok());
    }

    /// The step, a grandparent of 72 and a grandchild of `minor_age` (no one else), and a
    /// month of income far below the standard. Identification is certain (`monthly_identify_prob
    /// = 1`), no supporter (propensity 0) and no institutional care (propensity 0.99).
    struct Case {
        step: Tekun,
        house: TekunHouse,
        hh: Household,
        members: MemberParams,
    }

    impl Case {
        fn new(from: i32) -> Case {
            let toml = format!(
                "[programs.tekun]\nenabled = true\nmonthly_identify_prob = 1.0\n\
                 review_interval_months = 12\ninstitutional_share = 0.25\n\
                 minors_kept_to_18_from = {from}\n"
            );
            let s = crate::scenario::load_str(&toml, "t").unwrap().scenario;
            let step = Tekun::new(&s.programs).unwrap();
            let mut u = [0.0; MAX_PROPENSITIES];
            u[2] = 0.99;
            let house = step.household(&HouseholdKey::new(1, 0, 0), &u);
            let mut hh = crate::population::PopulationModel::new(&s, "t")
                .unwrap()
                .household(&s.simulation, 0, 0);
            hh.size = 2;
            hh.left = 0;
            hh.assets_per_capita = 0.0;
            for (i, a) in [72u8, 15].into_iter().enumerate() {
                hh.members[i] = crate::population::Member {
                    age: a,
                    ..Default::default()
                };
            }
            Case {
                step,
                house,
                hh,
                members: s.population.members,
            }
        }

        /// Year `year` (the yearly facts), then month `m` of it: whether tekun supports.
        fn month(&mut self, year: i32, m: i32) -> bool {
            let y = YearCtx {
                hh: &self.hh,
                members: &self.members,
                t: 0,
                year,
                standard: 600.0,
                ln_standard: 600f64.ln(),
                local_standard: 600.0,
                ln_local_standard: 600f64.ln(),
                price_index: 1.0,
                standard_index: 1.0,
                income_index: 1.0,
                mean_income: 2000.0,
                education: 0.0,
                medical_share: 0.0,
                quota_cut: None,
                quota_record: false,
                size: self.hh.size as f64,
                k: self.hh.size as i64,
                urban: false,
            };
            self.step.year(&mut self.house, &y);
            let mo = MonthCtx {
                m,
                ly: 100f64.ln(),
                y: 100.0,
                lm: 100f64.ln(),
                kinds: 0,
                essential: 0.0,
                poor: true,
                newly_poor: false,
                enrol: false,
                replay: &None,
            };
            let mut led = Ledger::default();
            let mut rec = [0i64; c::N];
            self.step
                .step(&mut self.house, &y, &mo, &mut led, &mut rec);
            led.tekun
        }
    }

    #[test]
    fn a_supported_household_with_a_16_year_old_stays_on_at_review_from_the_rules_year() {
        let mut k = Case::new(2021);
        // At 15 no one can work: admitted in month 0 (2022).
        assert!(k.month(2022, 0));
        // A year on the grandchild is 16, of working age by the entry rule; at review the
        // minors rule keeps the household unable to work.
        k.hh.members[1].age = 16;
        assert!(k.month(2023, 12));
        // At 18 the grandchild counts: the next review ends the support.
        k.hh.members[1].age = 18;
        assert!(!k.month(2025, 24));
    }

    #[test]
    fn the_same_household_leaves_at_review_in_a_year_before_the_rule() {
        let mut k = Case::new(2024);
        assert!(k.month(2022, 0));
        k.hh.members[1].age = 16;
        assert!(!k.month(2023, 12));
    }

    #[test]
    fn an_unsupported_household_with_a_16_year_old_is_not_admitted_by_the_rule() {
        let mut k = Case::new(2021);
        k.hh.members[1].age = 16;
        // The rule keeps supported households only; entry still needs no one able to work.
        assert!(!k.month(2023, 0));
        assert!(!k.month(2023, 1));
        // The same household without the 16-year-old's capacity (15) is admitted: the test
        // can fail for the right reason only.
        k.hh.members[1].age = 15;
        assert!(k.month(2023, 2));
    }

    #[test]
    fn enrolment_needs_identification_and_review_removes_the_ineligible() {
        let mut p = params();
        p.review_interval_months = 12;
        let mut st = TekunState::default();
        assert!(!st.month(&p, 0, true, 1.0)); // not identified yet
        assert!(st.month(&p, 1, true, 0.0)); // identified
        assert!(st.month(&p, 5, false, 0.0)); // no longer eligible, but no review yet
        assert!(!st.month(&p, 13, false, 0.0)); // review: leaves
    }
}
