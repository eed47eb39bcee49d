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
use crate::population::{can_work, Household, MemberParams};
use crate::rng::Purpose;
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

/// Whether a household has no supporter able and obliged to support it: its propensity `u`
/// below the region's `share`, and no member who left for the towns (they remain supporters).
pub fn no_supporter(u: f64, share: f64, hh: &Household) -> bool {
    u < share && hh.left == 0
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
    assets_ok: bool,
    care_share: f64,
    care_needing: f64,
}

impl Step for Tekun {
    type Household = TekunHouse;
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
            no_supporter_u: u[1],
            no_supporter: false,
            institutional: u[2] < self.p.institutional_share,
            no_one_can_work: false,
            assets_ok: false,
            care_share: 0.0,
            care_needing: 0.0,
        }
    }

    fn year(&self, h: &mut TekunHouse, y: &YearCtx) -> f64 {
        h.no_one_can_work = no_one_can_work(y.hh, y.members);
        let share = if y.urban {
            self.p.no_supporter_share_urban
        } else {
            self.p.no_supporter_share_rural
        };
        h.no_supporter = no_supporter(h.no_supporter_u, share, y.hh);
        h.assets_ok = self
            .dibao
            .assets_pass(y.hh.assets_per_capita * self.dibao.asset_index(y), y.standard);
        let (share, needing) = self.p.care(y.hh);
        h.care_share = share;
        h.care_needing = needing as f64;
        // Eligibility needs counted income below the standard.
        y.ln_standard - self.ln_counted
    }

    #[inline(always)]
    fn busy(&self, h: &TekunHouse) -> bool {
        h.state.on
    }

    fn step(
        &self,
        h: &mut TekunHouse,
        y: &YearCtx,
        mo: &MonthCtx,
        led: &mut Ledger,
        rec: &mut Record,
    ) {
        let eligible = h.no_one_can_work && h.no_supporter && mo.lm < y.ln_standard && h.assets_ok;
        let u = h.rng.map_or(0.0, |k| month_draws(k, mo.m).random());
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
