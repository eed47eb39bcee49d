//! The population: strata with their public statistics, the sample allocation, and the
//! household generator. A household is a pure function of (seed, replication, household
//! index): it is regenerated identically on any thread, shard or machine, and never stored.

pub mod ages;
pub mod demography;
pub mod microdata;
pub mod regions;
mod strata;

pub use ages::{AgeShape, AgeTable};
pub use demography::{Demography, DemographyParams, StartAges};
pub use microdata::{Microdata, MicrodataParams, Source};
pub use strata::{Region, StrataTable, Stratum, STRATA_CSV};

use crate::check::Checker;
use crate::error::{Error, Result};
use crate::rng::{standard_normal, Purpose};
use crate::simulation::SimulationParams;
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Largest household simulated; larger sizes in a distribution are cut to this.
pub const MAX_MEMBERS: usize = 8;

/// Age (years) from which the statistics count a person as elderly: the NBS's "60 and over"
/// (`population_60plus` in `synthetic-data/history.csv`). A definition of a published figure,
/// read by no rule.
pub const STAT_ELDERLY_AGE: u8 = 60;

/// `population.*`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PopulationParams {
    /// "synthetic" (the embedded strata table), "inline" (`strata` below) or "microdata"
    /// (`microdata` below: households from CSV files).
    pub source: Source,
    /// Inline only: households represented by the whole population (0 = the sample itself,
    /// every household with weight 1).
    pub households_total: f64,
    /// Inline only: the strata.
    pub strata: Vec<InlineStratum>,
    /// Microdata only: the files and disclosure control.
    pub microdata: MicrodataParams,
    pub income: IncomeParams,
    pub members: MemberParams,
    pub assets: AssetParams,
    pub spending: SpendingParams,
    pub demography: DemographyParams,
}

/// One inline stratum (`[[population.strata]]`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InlineStratum {
    pub name: String,
    /// Province the stratum belongs to; pairs rural with urban strata for convergence.
    #[serde(default)]
    pub province: String,
    /// "urban" or "rural".
    pub region: String,
    /// Share of all households (0–1); shares sum to 1.
    pub share: f64,
    /// Median of permanent per-capita income, yuan per person per month.
    pub income_median: f64,
    /// Sd of log permanent per-capita income.
    pub income_log_sd: f64,
    /// Probabilities of household sizes 1, 2, 3, ...
    pub size_probs: Vec<f64>,
    /// Relative level of the dibao standard (1 = the regional average).
    #[serde(default = "one")]
    pub standard_factor: f64,
    /// Shares 0–1 of persons aged 60+ and under 16, severely disabled, and households migrant.
    pub share_age_60plus: f64,
    pub share_age_under16: f64,
    pub severe_disability_prevalence: f64,
    pub migrant_share: f64,
}

fn one() -> f64 {
    1.0
}

/// `population.income.*`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncomeParams {
    /// Multiplies every stratum's income spread.
    pub log_sd_scale: f64,
    /// Shift of log per-capita income for households where no member can work.
    pub no_worker_log_shift: f64,
    /// Share 0–1 of households where no member can work that live on a basic pension and small
    /// transfers alone: the near-zero mass of income a log-normal lacks, where most dibao
    /// recipients are (elderly, severely disabled or ill people living alone or together).
    pub low_income_share: f64,
    /// Share 0–1 of households with someone able to work and a severely disabled or ill member
    /// that live at the same low income (`low_income_level`) when formed: care and a lost
    /// earner keep such households far below the line whatever the standard (0 = none; off).
    pub low_income_severe_share: f64,
    /// Multiplier of `low_income_share` in urban strata (the result capped at 1): the share
    /// of urban no-worker households on the basic pension alone relative to the rural one.
    /// 1 = one share for both regions.
    pub low_income_urban_multiple: f64,
    /// Their permanent per-capita income, yuan per person per month at start-year prices.
    pub low_income_level: f64,
    /// Sd of their log permanent income around that level.
    pub low_income_log_sd: f64,
    /// Fall of `low_income_share` per later year of birth of the oldest member of a household
    /// whose oldest member is 60 or more, log points per year of birth (0 = none): later cohorts
    /// reached old age with more pension rights, so fewer of them live on the basic pension
    /// alone ([`PopulationModel::low_income_share`]).
    pub low_income_cohort_trend: f64,
    /// The year of birth at which the cohort factor is 1.
    pub low_income_cohort_reference: i32,
    /// Years past `population.members.working_age_max` that a member otherwise able to work
    /// still earns the household's income in urban strata: the household counts as one with
    /// no one able to work, for its income (the generator's `no_worker_log_shift` and
    /// low-income share, and `retirement_income`), only when no member is below that age. The
    /// programs' rules (tekun's incapacity, job loss) keep `working_age_max`. 0 = the same age.
    pub earning_past_working_age_urban: u8,
    /// The same for rural strata (rural elderly farm on long after 60).
    pub earning_past_working_age_rural: u8,
    /// Multiplier on the strata's per-capita incomes in urban strata (the embedded table holds
    /// 2023 incomes): a run starting before 2023 sets the observed ratio of its start year's
    /// income to 2023's (`safetynet backtest` does). 1 = the table as it is.
    pub level_urban: f64,
    /// The same for rural strata.
    pub level_rural: f64,
}

impl IncomeParams {
    /// The income level multiplier of a region's strata (`level_urban` or `level_rural`).
    pub fn level(&self, region: Region) -> f64 {
        match region {
            Region::Urban => self.level_urban,
            Region::Rural => self.level_rural,
        }
    }
}

/// `population.members.*`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberParams {
    /// Share 0–1 of persons with a severe illness.
    pub severe_illness_prevalence: f64,
    /// Ages (years) between which a person without severe disability or illness can work.
    pub working_age_min: u8,
    pub working_age_max: u8,
    /// Ages (years) of school attendance.
    pub school_age_min: u8,
    pub school_age_max: u8,
    /// Oldest simulated age (years).
    pub max_age: u8,
    /// Members age one year each January (and may become disabled); false freezes them, for
    /// steady-state checks with demography frozen.
    pub ageing: bool,
    /// How an age is drawn within its band: "uniform", or "census" (single years from
    /// `synthetic-data/ages-2013-2023.csv` for the working-age and elderly bands; children uniform).
    pub age_shape: AgeShape,
    /// Multiplier of every urban stratum's 60+ share in the embedded strata table (whose
    /// strata all carry the national share), so the towns can be younger than the villages; 1:
    /// the table's share. Capped at 1 − the stratum's under-16 share.
    pub share_60plus_factor_urban: f64,
    /// The same for rural strata.
    pub share_60plus_factor_rural: f64,
}

/// `population.assets.*`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssetParams {
    /// Median financial assets per person, in months of the household's per-capita income.
    pub median_months_of_income: f64,
    /// Sd of log assets around that median.
    pub log_sd: f64,
}

/// `population.spending.*`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpendingParams {
    /// Routine medical spending, share 0–1 of income.
    pub medical_share_of_income: f64,
    /// Education spending, yuan per pupil per month (start-year prices).
    pub education_per_pupil: f64,
}

impl PopulationParams {
    pub(crate) fn validate(&self, c: &mut Checker) {
        self.microdata.validate(c, self.source);
        c.range(
            "population.income.log_sd_scale",
            self.income.log_sd_scale,
            0.0,
            5.0,
            "a multiplier",
        );
        c.range(
            "population.income.no_worker_log_shift",
            self.income.no_worker_log_shift,
            -5.0,
            5.0,
            "log points",
        );
        c.share(
            "population.income.low_income_share",
            self.income.low_income_share,
        );
        c.share(
            "population.income.low_income_severe_share",
            self.income.low_income_severe_share,
        );
        c.range(
            "population.income.low_income_urban_multiple",
            self.income.low_income_urban_multiple,
            0.0,
            100.0,
            "a multiplier of low_income_share",
        );
        for (key, v) in [
            (
                "population.members.share_60plus_factor_urban",
                self.members.share_60plus_factor_urban,
            ),
            (
                "population.members.share_60plus_factor_rural",
                self.members.share_60plus_factor_rural,
            ),
        ] {
            c.range(key, v, 0.0, 4.0, "a multiplier of the table's 60+ share");
        }
        c.range(
            "population.income.low_income_level",
            self.income.low_income_level,
            1.0,
            100_000.0,
            "yuan per person per month",
        );
        c.range(
            "population.income.low_income_log_sd",
            self.income.low_income_log_sd,
            0.0,
            3.0,
            "log points",
        );
        for (key, v) in [
            (
                "population.income.earning_past_working_age_urban",
                self.income.earning_past_working_age_urban,
            ),
            (
                "population.income.earning_past_working_age_rural",
                self.income.earning_past_working_age_rural,
            ),
        ] {
            c.range(key, v as f64, 0.0, 40.0, "years past working_age_max");
        }
        c.range(
            "population.income.low_income_cohort_trend",
            self.income.low_income_cohort_trend,
            0.0,
            0.2,
            "log points per year of birth",
        );
        c.range(
            "population.income.low_income_cohort_reference",
            self.income.low_income_cohort_reference as f64,
            1900.0,
            2100.0,
            "a year of birth",
        );
        for (key, v) in [
            ("population.income.level_urban", self.income.level_urban),
            ("population.income.level_rural", self.income.level_rural),
        ] {
            c.range(key, v, 0.01, 100.0, "a multiplier of the strata's incomes");
        }
        c.share(
            "population.members.severe_illness_prevalence",
            self.members.severe_illness_prevalence,
        );
        let m = &self.members;
        if m.working_age_min > m.working_age_max {
            c.fail(
                "population.members.working_age_min",
                m.working_age_min,
                "allowed: at most working_age_max",
            );
        }
        if m.school_age_min > m.school_age_max {
            c.fail(
                "population.members.school_age_min",
                m.school_age_min,
                "allowed: at most school_age_max",
            );
        }
        c.int_range(
            "population.members.max_age",
            m.max_age as i64,
            m.working_age_max as i64 + 1,
            120,
        );
        c.range(
            "population.assets.median_months_of_income",
            self.assets.median_months_of_income,
            0.0,
            1200.0,
            "months",
        );
        c.range(
            "population.assets.log_sd",
            self.assets.log_sd,
            0.0,
            5.0,
            "log points",
        );
        c.share(
            "population.spending.medical_share_of_income",
            self.spending.medical_share_of_income,
        );
        c.range(
            "population.spending.education_per_pupil",
            self.spending.education_per_pupil,
            0.0,
            1e5,
            "yuan per pupil per month",
        );
        if self.source == Source::Inline {
            if self.strata.is_empty() {
                c.fail(
                    "population.strata",
                    "[]",
                    "allowed: at least one [[population.strata]] with source = \"inline\"",
                );
            }
            c.range(
                "population.households_total",
                self.households_total,
                0.0,
                1e10,
                "households (0 = the sample is the population)",
            );
            let mut total = 0.0;
            for (i, s) in self.strata.iter().enumerate() {
                let k = |f: &str| format!("population.strata.{i}.{f}");
                c.one_of(&k("region"), &s.region, &["urban", "rural"]);
                c.share(&k("share"), s.share);
                total += s.share;
                c.range(
                    &k("income_median"),
                    s.income_median,
                    1e-6,
                    1e9,
                    "yuan per person per month",
                );
                c.range(&k("income_log_sd"), s.income_log_sd, 0.0, 5.0, "log points");
                c.range(
                    &k("standard_factor"),
                    s.standard_factor,
                    1e-6,
                    100.0,
                    "a relative level",
                );
                for f in [
                    "share_age_60plus",
                    "share_age_under16",
                    "severe_disability_prevalence",
                    "migrant_share",
                ] {
                    let v = match f {
                        "share_age_60plus" => s.share_age_60plus,
                        "share_age_under16" => s.share_age_under16,
                        "severe_disability_prevalence" => s.severe_disability_prevalence,
                        _ => s.migrant_share,
                    };
                    c.share(&k(f), v);
                }
                if s.size_probs.is_empty() || s.size_probs.len() > MAX_MEMBERS {
                    c.fail(
                        &k("size_probs"),
                        format!("{:?}", s.size_probs),
                        format!("allowed: 1 to {MAX_MEMBERS} probabilities"),
                    );
                }
                for (j, p) in s.size_probs.iter().enumerate() {
                    c.share(&format!("{}.{j}", k("size_probs")), *p);
                }
                let sum: f64 = s.size_probs.iter().sum();
                if (sum - 1.0).abs() > 1e-6 {
                    c.fail(
                        &k("size_probs"),
                        format!("{:?} (sum {sum})", s.size_probs),
                        "allowed: probabilities that sum to 1",
                    );
                }
            }
            if (total - 1.0).abs() > 1e-6 && !self.strata.is_empty() {
                c.fail(
                    "population.strata",
                    format!("shares summing to {total}"),
                    "allowed: shares that sum to 1",
                );
            }
        }
    }
}

/// One person.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Member {
    /// Age in whole years.
    pub age: u8,
    /// Disability grade 1–2.
    pub severe_disability: bool,
    /// Severe (chronic or critical) illness.
    pub severe_illness: bool,
}

impl Member {
    /// Severely disabled or severely ill: unable to work, and in need of care.
    pub fn severe(&self) -> bool {
        self.severe_disability || self.severe_illness
    }
}

/// One household at the start of the horizon.
#[derive(Debug, Clone, PartialEq)]
pub struct Household {
    /// Index in the replication's sample.
    pub index: u64,
    /// Stratum (index into the strata table).
    pub stratum: u16,
    /// Number of members (1..=MAX_MEMBERS).
    pub size: u8,
    /// Members; only the first `size` are meaningful.
    pub members: [Member; MAX_MEMBERS],
    /// Lives away from its registered (hukou) place.
    pub migrant: bool,
    /// Permanent log per-capita income (log yuan per person per month, start-year prices).
    pub log_income_perm: f64,
    /// Starting value of the persistent income component (log points).
    pub persistent0: f64,
    /// Financial assets per person, yuan (start-year prices).
    pub assets_per_capita: f64,
    /// Members who left for the towns (`population.demography.rural_migration`): no longer
    /// simulated, they remain supporters able and obliged to support those who stayed.
    pub left: u8,
    /// Its permanent income is already that of a household without a member able to work:
    /// drawn (or read from microdata) with none, or cut by [`PopulationModel::retire`]. A
    /// household that gains a worker later keeps its income (the model has no rise for it), so
    /// `retire` leaves such a household alone rather than cut it twice.
    pub no_worker_income: bool,
    /// Calendar year whose ages it was drawn at: the start year, or the year it replaced a
    /// household whose members all died, or arrived (0 before it is drawn). Read by dibao's
    /// dated unit split (`programs.dibao.units.dated`).
    pub formed: i16,
}

impl Household {
    /// A household of `size` default members in `stratum` with nothing drawn yet: index 0,
    /// zero incomes (log points) and assets (yuan), nobody left. The start of a drawn household,
    /// of the engine's per-stratum tables and of tests.
    pub fn blank(stratum: u16, size: u8, migrant: bool) -> Household {
        Household {
            index: 0,
            stratum,
            size,
            members: [Member::default(); MAX_MEMBERS],
            migrant,
            log_income_perm: 0.0,
            persistent0: 0.0,
            assets_per_capita: 0.0,
            left: 0,
            no_worker_income: false,
            formed: 0,
        }
    }
    /// Members in use.
    pub fn members(&self) -> &[Member] {
        &self.members[..self.size as usize]
    }
    /// Age of the oldest member, years (0 for a household with no members).
    pub fn oldest_age(&self) -> u8 {
        self.members().iter().map(|p| p.age).max().unwrap_or(0)
    }
    /// Members who earn the household's income: able to work (not severely disabled or ill, at
    /// least `working_age_min`) and at most `extra` years older than `working_age_max`
    /// (`population.income.earning_past_working_age_*`). With `extra` 0, [`Self::workers`].
    pub fn earners(&self, m: &MemberParams, extra: u8) -> u8 {
        let top = m.working_age_max.saturating_add(extra);
        self.members()
            .iter()
            .filter(|p| able_between(p, m.working_age_min, top))
            .count() as u8
    }
    /// Members able to work: of working age, not severely disabled or ill.
    pub fn workers(&self, m: &MemberParams) -> u8 {
        self.members().iter().filter(|p| can_work(p, m)).count() as u8
    }
    /// Members aged [`STAT_ELDERLY_AGE`] or more.
    pub fn elderly(&self) -> u8 {
        self.members()
            .iter()
            .filter(|p| p.age >= STAT_ELDERLY_AGE)
            .count() as u8
    }
    /// Members of school age.
    pub fn pupils(&self, m: &MemberParams) -> u8 {
        self.members()
            .iter()
            .filter(|p| p.age >= m.school_age_min && p.age <= m.school_age_max)
            .count() as u8
    }
}

/// Whether a person can work under the member rules.
pub fn can_work(p: &Member, m: &MemberParams) -> bool {
    able_between(p, m.working_age_min, m.working_age_max)
}

/// Whether a person aged `min` to `max` (years) is neither severely disabled nor ill: the
/// test of [`can_work`] with other ages ([`Household::earners`]).
#[inline]
fn able_between(p: &Member, min: u8, max: u8) -> bool {
    p.age >= min && p.age <= max && !p.severe_disability && !p.severe_illness
}

/// Sample allocation: how many sample households each stratum gets and what each represents.
#[derive(Debug, Clone)]
pub struct Allocation {
    /// Sample households per stratum.
    pub n: Vec<u64>,
    /// First household index of each stratum (cumulative `n`).
    pub start: Vec<u64>,
    /// Households represented by one sample household, per stratum.
    pub weight: Vec<f64>,
}

impl Allocation {
    /// Proportional allocation by largest remainder, at least one household per stratum.
    pub fn proportional(households: &[f64], n: u64, file: &str) -> Result<Allocation> {
        let k = households.len() as u64;
        if n < k {
            return Err(Error::bad_key(
                file,
                "simulation.households",
                n,
                format!("allowed: at least {k}, one sample household per stratum"),
            ));
        }
        let total: f64 = households.iter().sum();
        let spare = (n - k) as f64;
        let quotas: Vec<f64> = households.iter().map(|h| spare * h / total).collect();
        let mut alloc: Vec<u64> = quotas.iter().map(|q| 1 + q.floor() as u64).collect();
        let mut left = n - alloc.iter().sum::<u64>();
        let mut order: Vec<usize> = (0..quotas.len()).collect();
        // Largest remainder first; ties by stratum order, so the allocation is deterministic.
        order.sort_by(|&a, &b| {
            let ra = quotas[a] - quotas[a].floor();
            let rb = quotas[b] - quotas[b].floor();
            rb.total_cmp(&ra).then(a.cmp(&b))
        });
        for &i in order.iter().cycle() {
            if left == 0 {
                break;
            }
            alloc[i] += 1;
            left -= 1;
        }
        let mut start = Vec::with_capacity(alloc.len());
        let mut acc = 0;
        for a in &alloc {
            start.push(acc);
            acc += a;
        }
        let weight = households
            .iter()
            .zip(&alloc)
            .map(|(h, a)| h / *a as f64)
            .collect();
        Ok(Allocation {
            n: alloc,
            start,
            weight,
        })
    }

    /// The stratum of a household index.
    #[inline]
    pub fn stratum_of(&self, index: u64) -> usize {
        self.start.partition_point(|&s| s <= index) - 1
    }

    /// Total sample households.
    pub fn total(&self) -> u64 {
        self.n.iter().sum()
    }
}

/// What the population layer reads of a scenario: its own keys, the run's size, and the
/// income spreads its start values are drawn with (keys of `dynamics.income`). A scenario
/// converts into it (`&Scenario: Into<PopulationInputs>`, in `scenario`, the layer above).
#[derive(Debug, Clone, Copy)]
pub struct PopulationInputs<'a> {
    pub population: &'a PopulationParams,
    pub simulation: &'a SimulationParams,
    /// `dynamics.income.persistent_initial_sd`, log points.
    pub persistent_initial_sd: f64,
    /// `dynamics.income.transitory_sd`, log points.
    pub transitory_sd: f64,
}

/// Everything needed to generate households for one scenario.
#[derive(Debug, Clone)]
pub struct PopulationModel {
    pub strata: StrataTable,
    pub alloc: Allocation,
    pub params: PopulationParams,
    /// With `population.source = "microdata"`: the records households are drawn from.
    pub microdata: Option<Arc<Microdata>>,
    /// Deaths, replacement households and the yearly population totals.
    pub demography: Demography,
    /// Share 0–1 of an urban stratum's households in `population.demography.table_year` that
    /// arrived after the start year (`urban_arrivals`, a run starting before the table's year):
    /// the start population is the table's less them ([`Self::household`]). 0 otherwise.
    pub start_arrivals: f64,
    /// Able adults added back per able adult of a drawn household at the start, per stratum
    /// ([`Demography::returned_per_able_adult`], `rural_back_step_migrants`; 0 otherwise).
    pub start_returns: Vec<f64>,
    /// The start's persons over the table's per stratum ([`Demography::start_person_factor`]).
    pub start_factor: Vec<f64>,
    /// Years by which a drawn household's members are made younger at the start
    /// ([`Demography::start_age_back`], `age_back_step`; 0 otherwise).
    pub start_age_back: u8,
    /// Ages within a band (`population.members.age_shape`).
    pub ages: &'static AgeTable,
    /// The calendar year whose ages the start population is drawn at: the start year, or the
    /// table's year with `age_back_step` (the members are made younger after the draw). Read
    /// by the low-income share's cohort factor.
    pub draw_year: i32,
}

impl PopulationModel {
    /// Build strata and allocation from a scenario.
    pub fn new<'a>(s: impl Into<PopulationInputs<'a>>, file: &str) -> Result<PopulationModel> {
        let s: PopulationInputs = s.into();
        let mut strata = StrataTable::from_scenario(s, file)?;
        if s.population.source == Source::Microdata {
            let (md, strata) = Microdata::load(s, &strata)?;
            let hh: Vec<f64> = strata.strata.iter().map(|s| s.households).collect();
            let alloc = Allocation::proportional(&hh, s.simulation.households, file)?;
            return Ok(PopulationModel {
                strata,
                alloc,
                params: s.population.clone(),
                microdata: Some(Arc::new(md)),
                demography: Demography::new(&s.population.demography),
                // A survey's records are the population itself: nothing is taken out.
                start_arrivals: 0.0,
                start_returns: Vec::new(),
                start_factor: Vec::new(),
                start_age_back: 0,
                ages: AgeTable::of(s.population.members.age_shape),
                draw_year: s.simulation.start_year,
            });
        }
        let hh: Vec<f64> = strata.strata.iter().map(|s| s.households).collect();
        let mut alloc = Allocation::proportional(&hh, s.simulation.households, file)?;
        if s.population.source == Source::Inline && s.population.households_total == 0.0 {
            // The sample is the population: every household stands for itself.
            for (st, n) in strata.strata.iter_mut().zip(&alloc.n) {
                st.households = *n as f64;
                st.persons = st.households * st.mean_size;
            }
            alloc.weight = vec![1.0; alloc.n.len()];
        }
        let demography = Demography::new(&s.population.demography);
        let start_age_back = demography.start_age_back(s.simulation);
        let m = &s.population.members;
        let ages = match demography.census_start_year(s.simulation) {
            None => AgeTable::of(m.age_shape),
            Some(year) => {
                Self::start_year_ages(&mut strata, &demography, s.simulation, year, file)?
            }
        };
        let start_returns: Vec<f64> = strata
            .strata
            .iter()
            .map(|st| demography.returned_per_able_adult(s.simulation, st, m))
            .collect();
        let start_factor = strata
            .strata
            .iter()
            .map(|st| demography.start_person_factor(s.simulation, st, m))
            .collect();
        Ok(PopulationModel {
            strata,
            alloc,
            params: s.population.clone(),
            microdata: None,
            start_arrivals: demography.arrived_since_start(s.simulation),
            demography,
            start_returns,
            start_factor,
            start_age_back,
            ages,
            draw_year: s.simulation.start_year + start_age_back as i32,
        })
    }

    /// The census's ages at the end of `year` (`start_ages = "census"`), and every stratum's
    /// 60+ share scaled to that year by one national factor, so that the model's persons aged
    /// 60+ in `year` over `table_year` are the census's: the census's ratio divided by the
    /// ratio the regions' population indices alone give the table's 60+ persons. The indices
    /// are weighted by each stratum's 60+ persons, not its persons, so that a table whose
    /// rural strata are older (and larger before the table year) keeps the census's ratio too
    /// (the embedded table's strata share one 60+ share). The child share of non-heads follows.
    fn start_year_ages(
        strata: &mut StrataTable,
        demography: &Demography,
        sim: &SimulationParams,
        year: i32,
        file: &str,
    ) -> Result<&'static AgeTable> {
        let at = |y: i32| {
            AgeTable::census_at(y).map_err(|have| {
                Error::bad_key(
                    file,
                    "population.demography.start_ages",
                    "\"census\"",
                    format!("the census's ages are needed for {y}; allowed: {have}"),
                )
            })
        };
        let (start, table) = (at(year)?, at(demography.params.table_year)?);
        let index = demography.region_index(sim);
        let (mut e_table, mut e_start) = (0.0, 0.0);
        for st in &strata.strata {
            let r = match st.region {
                Region::Urban => 0,
                Region::Rural => 1,
            };
            e_table += st.persons * st.share_60plus;
            e_start += st.persons * st.share_60plus * index[r][0];
        }
        let ratio = (start.persons_from(STAT_ELDERLY_AGE) / table.persons_from(STAT_ELDERLY_AGE))
            / (e_start / e_table);
        // The urban start population is the table's less the households that arrived since
        // (`urban_arrivals`), able adults and children only, drawn out by rejection
        // (`household_of_unit`): what is left is older by 1 / (1 − a), so its strata's share
        // is lowered by 1 − a first (without it a 2017 start had 5.5 % more urban elderly
        // than the census: 0.192 against 0.182).
        let arrived = demography.arrived_since_start(sim);
        for st in strata.strata.iter_mut() {
            let kept = if st.region == Region::Urban {
                1.0 - arrived
            } else {
                1.0
            };
            st.share_60plus = (st.share_60plus * ratio * kept).min(1.0 - st.share_under16);
            st.child_share_nonhead =
                strata::child_share_nonhead(st.share_under16, st.share_60plus, st.mean_size);
        }
        Ok(start)
    }

    /// Weights of one replication per (stratum, year), `s * years + t`: with population change
    /// on, each stratum's start weight scaled so that its weighted persons follow its region's
    /// population index (`population.demography`), given the sample's persons in `k`
    /// (person-months, exact integers); off, the start weights.
    pub fn year_weights(&self, sim: &SimulationParams, k: &crate::counters::Counters) -> Vec<f64> {
        let v = k.view();
        let pm = crate::counters::c::PERSON_MONTHS;
        self.demography.year_weights(
            &self.strata,
            &self.alloc.weight,
            sim,
            &self.start_factor,
            |s, t| (v[[s, t, 0, pm]] + v[[s, t, 1, pm]]) as f64,
        )
    }

    /// Generate household `index` of replication `rep`: a pure function of its arguments.
    pub fn household(&self, sim: &SimulationParams, rep: u32, index: u64) -> Household {
        let unit = crate::rng::unit_key(sim.seed, rep, index);
        self.household_of_unit(sim, rep, index, unit, true)
    }

    /// [`Self::household`] for a run that knows the household's `unit`
    /// (`rng::unit_key(sim.seed, rep, index)`, taken once for all its streams). Without
    /// `assets` (no enabled rule reads them), the asset draw is made, so every later draw is
    /// the same, but its two `exp` are not taken: `assets_per_capita` is NaN, which fails any
    /// asset test that would read it by mistake.
    #[inline]
    pub fn household_of_unit(
        &self,
        sim: &SimulationParams,
        rep: u32,
        index: u64,
        unit: u64,
        assets: bool,
    ) -> Household {
        // Every way of drawing it ends here, where the year it formed is set.
        let mut hh = 'drawn: {
            if let Some(md) = &self.microdata {
                break 'drawn md.household(self, sim, rep, index);
            }
            let s_idx = self.alloc.stratum_of(index);
            let mut rng = crate::rng::unit_stream(unit, Purpose::Population);
            let st = &self.strata.strata[s_idx];
            let (m, y) = (&self.params.members, self.draw_year);
            let mut hh = self.draw_from(&mut rng, index, s_idx, st, m, assets, y);
            if let Some(&q) = self.start_returns.get(s_idx).filter(|&&q| q > 0.0) {
                // The rural back-step as the inverse of the migration: the able adults who left
                // between the start and the table's year added back, from a stream of their own
                // (every other draw unchanged).
                let mut r = crate::rng::unit_stream(unit, Purpose::Returns);
                // The table's members at the start's ages first: those added back are drawn at
                // the start's.
                self.at_start_ages(&mut hh);
                self.demography
                    .add_returned(&mut hh, q, &self.params.members, &mut r);
                break 'drawn hh;
            }
            let a = self.start_arrivals;
            if a == 0.0 || self.strata.strata[s_idx].region != Region::Urban {
                self.at_start_ages(&mut hh);
                break 'drawn hh;
            }
            // The table's urban population holds the households that arrived after the start
            // year, a share `a`: the start population is the table's less them, drawn by
            // rejection. A household is kept with the chance 1 − a r, r = f_arrival / f_table
            // its density ratio ([`Self::arrival_ratio`]), so the kept ones have density
            // (f_table − a f_arrival) / (1 − a); r = 0 (no arrival could look like it, most
            // households) is kept with no draw. Where a r > 1 (large households of able adults
            // only) every such draw is refused, taking out less than `a` of them.
            for _ in 0..1000 {
                let r = self.arrival_ratio(&hh);
                if r == 0.0 || rng.random::<f64>() >= a * r {
                    break;
                }
                hh = self.draw_from(&mut rng, index, s_idx, st, m, assets, y);
            }
            // After the rejection, whose densities are the table's at its ages.
            self.at_start_ages(&mut hh);
            hh
        };
        hh.formed = sim.start_year as i16;
        hh
    }

    /// A household drawn from the table at the start's ages (`age_back_step`,
    /// [`demography::make_younger`]); as it is otherwise.
    #[inline(always)]
    fn at_start_ages(&self, hh: &mut Household) {
        if self.start_age_back > 0 {
            demography::make_younger(hh, self.start_age_back);
        }
    }

    /// Density of `hh` under [`Self::draw_arrival`] over its density under
    /// [`Self::draw_household`] (the same draws, in the same order): the size, income and
    /// asset draws are alike (a household with a worker has no low-income draw that matters),
    /// so the ratio is the product over members of (age class and age, disability, illness)
    /// and the registration. 0 for any household an arrival cannot be.
    pub fn arrival_ratio(&self, hh: &Household) -> f64 {
        let st = &self.strata.strata[hh.stratum as usize];
        let m = &self.params.members;
        if !hh.migrant || st.migrant_share <= 0.0 {
            return 0.0;
        }
        let amin = m.working_age_min.max(demography::MIGRANT_MIN_AGE);
        let mut r = 1.0 / st.migrant_share;
        for (i, p) in hh.members().iter().enumerate() {
            if p.severe_disability || p.severe_illness || p.age > m.working_age_max {
                return 0.0;
            }
            let p_child = if i == 0 { 0.0 } else { st.child_share_nonhead };
            let ages = self.ages;
            let (wlo, whi) = (m.working_age_min, m.working_age_max);
            let f_arr = if p.age < amin {
                p_child / ages.inv_density(p.age, 0, amin - 1)
            } else {
                (1.0 - p_child) / ages.inv_density(p.age, amin, whi)
            };
            let f_tab = if p.age < wlo {
                p_child / ages.inv_density(p.age, 0, wlo - 1)
            } else {
                (1.0 - p_child - st.share_60plus) / ages.inv_density(p.age, wlo, whi)
            } * (1.0 - st.severe_disability)
                * (1.0 - m.severe_illness_prevalence);
            if f_arr == 0.0 || f_tab <= 0.0 {
                return 0.0;
            }
            r *= f_arr / f_tab;
        }
        r
    }

    /// A new household of stratum `s_idx` drawn from `rng` (the generator's draws in their
    /// fixed order): household `index` itself, or one replacing it when its last member died,
    /// at the ages of calendar `year`.
    pub fn draw_household(
        &self,
        rng: &mut crate::rng::StreamRng,
        index: u64,
        s_idx: usize,
        year: i32,
    ) -> Household {
        let st = &self.strata.strata[s_idx];
        let mut hh = self.draw_from(rng, index, s_idx, st, &self.params.members, true, year);
        hh.formed = year as i16;
        hh
    }

    /// Members of `hh` who earn its income ([`Household::earners`] at its region's
    /// `population.income.earning_past_working_age_*`).
    #[inline]
    pub fn earners(&self, hh: &Household) -> u8 {
        hh.earners(&self.params.members, self.earning_extra(hh))
    }

    /// Years past the working age that `hh`'s region still earns
    /// (`population.income.earning_past_working_age_{urban,rural}`).
    #[inline]
    fn earning_extra(&self, hh: &Household) -> u8 {
        let inc = &self.params.income;
        match self.strata.strata[hh.stratum as usize].region {
            Region::Urban => inc.earning_past_working_age_urban,
            Region::Rural => inc.earning_past_working_age_rural,
        }
    }

    /// Whether some of `members` (of `hh`, or its members at another time) would earn in
    /// `hh`'s region: [`Self::earners`] > 0, stopping at the first.
    #[inline]
    pub fn any_earner(&self, hh: &Household, members: &[Member]) -> bool {
        let m = &self.params.members;
        let top = m.working_age_max.saturating_add(self.earning_extra(hh));
        members
            .iter()
            .any(|p| able_between(p, m.working_age_min, top))
    }

    /// Share 0–1 of the households with no one able to work that live on the basic pension
    /// alone, for `hh` at its ages in calendar `year`: `population.income.low_income_share`
    /// (times `low_income_urban_multiple` in an urban stratum), times
    /// exp(−`low_income_cohort_trend` × (year of birth − `low_income_cohort_reference`)) for a
    /// household whose oldest member is 60 or more (at most 1).
    #[inline]
    pub fn low_income_share(&self, hh: &Household, year: i32) -> f64 {
        let inc = &self.params.income;
        let share = if inc.low_income_urban_multiple != 1.0
            && self.strata.strata[hh.stratum as usize].region == Region::Urban
        {
            (inc.low_income_share * inc.low_income_urban_multiple).min(1.0)
        } else {
            inc.low_income_share
        };
        if inc.low_income_cohort_trend == 0.0 {
            return share;
        }
        let oldest = hh.oldest_age();
        if oldest < STAT_ELDERLY_AGE {
            return share;
        }
        let born = year - oldest as i32;
        let f =
            (-inc.low_income_cohort_trend * (born - inc.low_income_cohort_reference) as f64).exp();
        (share * f).min(1.0)
    }

    /// The permanent income of a household that has just lost its last member able to work
    /// (`population.demography.retirement_income`), from `rng` (a uniform, then a normal
    /// when it is needed): the generator's rule for a household drawn without one. With
    /// chance `population.income.low_income_share` (times
    /// `population.demography.retirement_low_income_multiple`, and
    /// `retirement_supported_low_income_multiple_*` of its region when `supported`) it lives on
    /// the basic pension
    /// (`low_income_level`, yuan per person per month at start-year prices, log sd
    /// `low_income_log_sd`), unless its income is already lower; else its log per-capita
    /// income moves by `no_worker_log_shift`. Assets per person move in proportion, as the
    /// generator draws them in proportion to income.
    /// A household whose income is already a no-worker one (`Household::no_worker_income`)
    /// is left as it is (no draw).
    pub fn retire(
        &self,
        hh: &mut Household,
        rng: &mut crate::rng::StreamRng,
        year: i32,
        supported: bool,
    ) {
        if hh.no_worker_income {
            return;
        }
        hh.no_worker_income = true;
        let inc = &self.params.income;
        let u: f64 = rng.random();
        let before = hh.log_income_perm;
        let dem = &self.params.demography;
        let mut chance = self.low_income_share(hh, year) * dem.retirement_low_income_multiple;
        if supported {
            chance *= match self.strata.strata[hh.stratum as usize].region {
                Region::Urban => dem.retirement_supported_low_income_multiple_urban,
                Region::Rural => dem.retirement_supported_low_income_multiple_rural,
            };
        }
        let after = if u < chance {
            let z = standard_normal(rng);
            (inc.low_income_level.ln() + inc.low_income_log_sd * z).min(before)
        } else {
            before + inc.no_worker_log_shift
        };
        hh.log_income_perm = after;
        hh.assets_per_capita *= (after - before).exp();
    }

    /// An arriving urban household (`population.demography.urban_arrivals`) for stratum
    /// `s_idx`, drawn from `rng` as [`Self::draw_household`] draws one, from the stratum's
    /// household sizes and incomes but with able working adults only: no one aged 60+, no
    /// severe disability or illness, adults 18 or older (`MIGRANT_MIN_AGE`, as the rural
    /// leavers), children (under 18) at the stratum's share of non-head members; registered
    /// elsewhere (`migrant`: rural-to-urban movers keep their hukou where they came from).
    /// Drawn from the urban stratum rather than made of the rural leavers because a household
    /// is a pure function of its own key: a leaver belongs to another sample household.
    pub fn draw_arrival(
        &self,
        rng: &mut crate::rng::StreamRng,
        index: u64,
        s_idx: usize,
    ) -> Household {
        let mut st = self.strata.strata[s_idx].clone();
        st.share_60plus = 0.0;
        st.severe_disability = 0.0;
        let mut m = self.params.members.clone();
        m.severe_illness_prevalence = 0.0;
        m.working_age_min = m.working_age_min.max(demography::MIGRANT_MIN_AGE);
        // Arrivals have no one aged 60 or more, so the year is not read.
        let mut hh = self.draw_from(rng, index, s_idx, &st, &m, true, 0);
        hh.migrant = true;
        hh
    }

    /// The generator's draws in their fixed order, from stratum facts `st` and member rules
    /// `m` (the scenario's own for every household but an arriving one); without `assets`,
    /// `assets_per_capita` is NaN (the draw is made, its `exp` not taken).
    /// `year` is the calendar year of the drawn ages (the low-income share's cohort factor).
    #[inline]
    #[allow(clippy::too_many_arguments)] // private: the stratum's facts and rules differ for arrivals
    fn draw_from(
        &self,
        rng: &mut crate::rng::StreamRng,
        index: u64,
        s_idx: usize,
        st: &Stratum,
        m: &MemberParams,
        assets: bool,
        year: i32,
    ) -> Household {
        let p = &self.params;
        let u: f64 = rng.random();
        // The first size whose cumulative share exceeds u, as the count of shares at or
        // below u (they rise, and the last is 1 > u): no branch on the drawn size.
        let below: usize = st.size_cdf.iter().map(|&c| (u >= c) as usize).sum();
        let size = below.min(st.size_cdf.len() - 1) as u8 + 1;
        let z_alpha = standard_normal(rng);
        let z_persistent = standard_normal(rng);
        let migrant = rng.random::<f64>() < st.migrant_share;
        let z_assets = standard_normal(rng);

        let members = draw_members(rng, st, m, self.ages, size);
        // Drawn last, so that every earlier draw stays what it was before this key existed.
        let u_low: f64 = rng.random();
        let mut hh = Household {
            index,
            members,
            ..Household::blank(s_idx as u16, size, migrant)
        };
        // Read at the scenario's member rules, not `m`: an arrival (other rules) always has
        // an able adult, so it has an earner either way.
        hh.no_worker_income = self.earners(&hh) == 0;
        let shift = if hh.no_worker_income {
            p.income.no_worker_log_shift
        } else {
            0.0
        };
        let inc = &p.income;
        // The same uniform decides a household with an earner and a severely disabled or ill
        // member (`low_income_severe_share`): no draw is added, so at 0 nothing moves.
        let low = if hh.no_worker_income {
            u_low < self.low_income_share(&hh, year)
        } else {
            u_low < inc.low_income_severe_share && hh.members().iter().any(Member::severe)
        };
        hh.log_income_perm = if low {
            inc.low_income_level.ln() + inc.low_income_log_sd * z_alpha
        } else {
            st.income_mu + st.income_perm_sd * z_alpha + shift
        };
        hh.persistent0 = st.persistent_initial_sd * z_persistent;
        hh.assets_per_capita = if assets {
            p.assets.median_months_of_income
                * hh.log_income_perm.exp()
                * (p.assets.log_sd * z_assets).exp()
        } else {
            f64::NAN
        };
        hh
    }
}

/// Draw `size` members from a stratum's age structure and prevalences (four draws each).
pub(crate) fn draw_members(
    rng: &mut crate::rng::StreamRng,
    st: &Stratum,
    m: &MemberParams,
    ages: &AgeTable,
    size: u8,
) -> [Member; MAX_MEMBERS] {
    let mut members = [Member::default(); MAX_MEMBERS];
    for (i, mem) in members.iter_mut().enumerate().take(size as usize) {
        let u_class: f64 = rng.random();
        let u_age: f64 = rng.random();
        let u_dis: f64 = rng.random();
        let u_ill: f64 = rng.random();
        // The head is an adult; other members carry the child share so that the
        // population shares match the stratum's age structure.
        let (p_child, p_old) = if i == 0 {
            (0.0, st.share_60plus)
        } else {
            (st.child_share_nonhead, st.share_60plus)
        };
        let (lo, hi) = if u_class < p_child {
            (0u8, m.working_age_min.saturating_sub(1))
        } else if u_class < p_child + p_old {
            (m.working_age_max.saturating_add(1), m.max_age)
        } else {
            (m.working_age_min, m.working_age_max)
        };
        mem.age = ages.draw(lo, hi, u_age);
        mem.severe_disability = u_dis < st.severe_disability;
        mem.severe_illness = u_ill < m.severe_illness_prevalence;
    }
    members
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocation_is_proportional_with_a_floor_of_one_and_exact_total() {
        let a = Allocation::proportional(&[1000.0, 10.0, 1.0], 100, "t").unwrap();
        assert_eq!(a.total(), 100);
        assert!(a.n.iter().all(|&n| n >= 1));
        assert!(a.n[0] > 90);
        assert_eq!(a.stratum_of(0), 0);
        assert_eq!(a.stratum_of(a.start[1]), 1);
        assert_eq!(a.stratum_of(99), 2);
        let represented: f64 = a.n.iter().zip(&a.weight).map(|(n, w)| *n as f64 * w).sum();
        assert!((represented - 1011.0).abs() < 1e-9);
    }

    #[test]
    fn too_few_households_for_the_strata_is_an_error() {
        assert!(Allocation::proportional(&[1.0, 1.0, 1.0], 2, "t").is_err());
    }

    #[test]
    fn a_household_is_a_pure_function_of_its_key() {
        let s = crate::scenario::load_str("", "t").unwrap().scenario;
        let pm = PopulationModel::new(&s, "t").unwrap();
        let a = pm.household(&s.simulation, 3, 12345);
        let b = pm.household(&s.simulation, 3, 12345);
        let c = pm.household(&s.simulation, 4, 12345);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert!(a.size >= 1 && a.members()[0].age >= 16);
    }

    /// A household that retires takes the generator's no-worker income: the shift alone
    /// without a basic-pension share (assets in proportion), the pension level with a share of
    /// 1 (never above the income it had), and over many households the pension in the share
    /// `low_income_share` (binomial se of 2,000 draws at 0.25: 0.0097, band 4 se).
    #[test]
    fn retiring_takes_the_no_worker_income_of_a_drawn_household() {
        let mut s = crate::scenario::load_str("", "t").unwrap().scenario;
        s.population.income.no_worker_log_shift = -0.4;
        s.population.income.low_income_share = 0.0;
        s.population.income.low_income_level = 200.0;
        s.population.income.low_income_log_sd = 0.0;
        let pm = PopulationModel::new(&s, "t").unwrap();
        let mut hh = Household::blank(0, 1, false);
        hh.log_income_perm = 1000f64.ln();
        hh.assets_per_capita = 5000.0;
        let mut rng = crate::rng::stream(1, 0, 7, Purpose::Retirement);
        pm.retire(&mut hh, &mut rng, 2023, false);
        assert!((hh.log_income_perm - (1000f64.ln() - 0.4)).abs() < 1e-12);
        assert!((hh.assets_per_capita - 5000.0 * (-0.4f64).exp()).abs() < 1e-9);

        s.population.income.low_income_share = 1.0;
        let pm = PopulationModel::new(&s, "t").unwrap();
        hh.no_worker_income = false;
        hh.log_income_perm = 1000f64.ln();
        hh.assets_per_capita = 5000.0;
        pm.retire(&mut hh, &mut rng, 2023, false);
        assert!((hh.log_income_perm - 200f64.ln()).abs() < 1e-12);
        assert!((hh.assets_per_capita - 1000.0).abs() < 1e-9);
        // Already poorer than the pension: it keeps its income.
        hh.no_worker_income = false;
        hh.log_income_perm = 150f64.ln();
        pm.retire(&mut hh, &mut rng, 2023, false);
        assert!((hh.log_income_perm - 150f64.ln()).abs() < 1e-12);

        // The share of n retirements that end on the pension, within 4 binomial se of `want`.
        let n = 2000;
        let was = hh.stratum;
        let mut in_stratum =
            |stratum: u16, pm: &PopulationModel, supported: bool, want: f64, what: &str| {
                hh.stratum = stratum;
                let on_pension = (0..n)
                    .filter(|_| {
                        hh.log_income_perm = 1000f64.ln();
                        hh.no_worker_income = false;
                        pm.retire(&mut hh, &mut rng, 2023, supported);
                        (hh.log_income_perm - 200f64.ln()).abs() < 1e-12
                    })
                    .count();
                let share = on_pension as f64 / n as f64;
                let se = (want * (1.0 - want) / n as f64).sqrt();
                assert!(
                    (share - want).abs() <= 4.0 * se,
                    "{what}: share {share}, want {want}, se {se}"
                );
            };
        let mut pension_share = |pm: &PopulationModel, supported: bool, want: f64, what: &str| {
            in_stratum(was, pm, supported, want, what)
        };
        s.population.income.low_income_share = 0.25;
        pension_share(
            &PopulationModel::new(&s, "t").unwrap(),
            false,
            0.25,
            "the share",
        );
        // The retirees' multiplier scales that chance: 0.4 × 0.25 = 0.1 (se 0.0067 at 2,000),
        // and at 0 no one takes the pension.
        for (mult, want) in [(0.4, 0.1), (0.0, 0.0)] {
            s.population.demography.retirement_low_income_multiple = mult;
            pension_share(
                &PopulationModel::new(&s, "t").unwrap(),
                false,
                want,
                "multiplier",
            );
        }
        s.population.demography.retirement_low_income_multiple = 1.0;
        // The supported retirees' multiplier of the household's region acts only on a
        // household with a supporter: at 0 (rural) none of them takes the pension, while those
        // without keep the share, and so do supported urban ones (urban multiple 1).
        s.population
            .demography
            .retirement_supported_low_income_multiple_rural = 0.0;
        let pm = PopulationModel::new(&s, "t").unwrap();
        let stratum_of = |r: Region| {
            pm.strata
                .strata
                .iter()
                .position(|st| st.region == r)
                .unwrap() as u16
        };
        let (urban, rural) = (stratum_of(Region::Urban), stratum_of(Region::Rural));
        in_stratum(rural, &pm, true, 0.0, "rural, supported");
        in_stratum(rural, &pm, false, 0.25, "rural, not supported");
        in_stratum(urban, &pm, true, 0.25, "urban, supported");
        s.population
            .demography
            .retirement_supported_low_income_multiple_rural = 1.0;
        let pm = PopulationModel::new(&s, "t").unwrap();

        // Once retired, or drawn without a worker, it is not cut again (no draw either).
        hh.log_income_perm = 1000f64.ln();
        hh.no_worker_income = false;
        pm.retire(&mut hh, &mut rng, 2023, false);
        let once = hh.log_income_perm;
        let before = rng.clone();
        pm.retire(&mut hh, &mut rng, 2023, false);
        assert_eq!(hh.log_income_perm, once);
        assert_eq!(rng, before);
        let drawn = pm.household(&s.simulation, 0, 77);
        assert_eq!(
            drawn.no_worker_income,
            drawn.workers(&s.population.members) == 0
        );
    }

    /// With `age_back_step`, a run starting in 2017 from the 2023 table draws each household as
    /// the table's (same streams) with every member six years younger and those under six left
    /// out, in order; without it, or starting in the table's year, the table's ages.
    #[test]
    fn the_age_back_step_starts_the_tables_households_younger() {
        let text = "[population.demography]\nenabled = true\ntable_year = 2023\n\
                    age_back_step = true\n";
        let mut s = crate::scenario::load_str(text, "t").unwrap().scenario;
        s.simulation.start_year = 2017;
        let pm = PopulationModel::new(&s, "t").unwrap();
        assert_eq!(pm.start_age_back, 6);
        let mut off = s.clone();
        off.population.demography.age_back_step = false;
        let p_off = PopulationModel::new(&off, "t").unwrap();
        assert_eq!(p_off.start_age_back, 0);
        let mut s23 = s.clone();
        s23.simulation.start_year = 2023;
        assert_eq!(PopulationModel::new(&s23, "t").unwrap().start_age_back, 0);
        let (mut dropped, mut kept) = (0, 0);
        for i in 0..20_000 {
            let a = pm.household(&s.simulation, 0, i);
            let t = p_off.household(&off.simulation, 0, i);
            let want: Vec<u8> = t
                .members()
                .iter()
                .filter(|p| p.age >= 6)
                .map(|p| p.age - 6)
                .collect();
            let got: Vec<u8> = a.members().iter().map(|p| p.age).collect();
            assert_eq!(got, want, "household {i}");
            assert_eq!(a.log_income_perm, t.log_income_perm);
            dropped += (t.size - a.size) as u32;
            kept += a.size as u32;
        }
        // Children under six are a few percent of the table's persons.
        let share = dropped as f64 / (dropped + kept) as f64;
        assert!(share > 0.01 && share < 0.15, "{share}");
    }

    /// The regions' 60+ factors multiply the embedded table's share stratum by stratum (capped
    /// at 1 − the under-16 share), and the child share of non-heads follows.
    #[test]
    fn regional_60plus_factors_move_each_regions_strata_share() {
        let base = crate::scenario::load_str("", "t").unwrap().scenario;
        let text = "[population.members]\nshare_60plus_factor_urban = 0.846\n\
                    share_60plus_factor_rural = 1.273\n";
        let s = crate::scenario::load_str(text, "t").unwrap().scenario;
        let (a, b) = (
            PopulationModel::new(&base, "t").unwrap(),
            PopulationModel::new(&s, "t").unwrap(),
        );
        for (x, y) in a.strata.strata.iter().zip(&b.strata.strata) {
            let f = if x.region == Region::Urban {
                0.846
            } else {
                1.273
            };
            assert!((y.share_60plus - x.share_60plus * f).abs() < 1e-12);
            assert_eq!(
                y.child_share_nonhead,
                strata::child_share_nonhead(y.share_under16, y.share_60plus, y.mean_size)
            );
        }
        let capped = crate::scenario::load_str(
            "[population.members]\nshare_60plus_factor_rural = 4.0\n",
            "t",
        )
        .unwrap()
        .scenario;
        let c = PopulationModel::new(&capped, "t").unwrap();
        let st = c
            .strata
            .strata
            .iter()
            .find(|x| x.region == Region::Rural)
            .unwrap();
        assert_eq!(st.share_60plus, 1.0 - st.share_under16);
        let e = crate::scenario::load_str(
            "[population.members]\nshare_60plus_factor_urban = -1.0\n",
            "t",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("share_60plus_factor_urban"), "{e}");
    }

    /// With census start ages and arrivals, the urban households of a 2017 start (drawn by
    /// rejection without the arrivals since) have the 60+ share the census's ratio asks, not
    /// 1 / (1 − a) of it. Persons aged 60+ over persons, within four standard errors of a
    /// ratio of sums (households as clusters), over the urban households.
    #[test]
    fn census_start_ages_give_the_urban_start_its_census_elderly_share_after_the_arrivals() {
        let text = "[population.demography]\nenabled = true\ntable_year = 2023\n\
                    urban_arrivals = true\nstart_ages = \"census\"\n\
                    [population.members]\nage_shape = \"census\"\n";
        let mut s = crate::scenario::load_str(text, "t").unwrap().scenario;
        s.simulation.start_year = 2017;
        s.simulation.households = 100_000;
        let pm = PopulationModel::new(&s, "t").unwrap();
        let a = pm.start_arrivals;
        assert!(a > 0.03, "{a}");
        assert_eq!(pm.strata.strata[0].region, Region::Urban);
        // The share the census asks: the table's (a 2023 start's), times the census's ratio of
        // 60+ persons 2017 / 2023, over the ratio the regions' indices give the table's 60+
        // persons (the default table's strata share one 60+ share, so persons weigh).
        let mut s23 = s.clone();
        s23.simulation.start_year = 2023;
        let table = PopulationModel::new(&s23, "t").unwrap().strata;
        let index = pm.demography.region_index(&s.simulation);
        let (mut p_start, mut p_table) = (0.0, 0.0);
        for st in &table.strata {
            p_table += st.persons;
            p_start += st.persons * index[usize::from(st.region == Region::Rural)][0];
        }
        let census = AgeTable::census_at(2017).unwrap().persons_from(60)
            / AgeTable::census_at(2023).unwrap().persons_from(60);
        let want = table.strata[0].share_60plus * census / (p_start / p_table);
        let (mut old, mut persons, mut sq) = (0.0f64, 0.0f64, Vec::new());
        for i in 0..pm.alloc.total() {
            let st = &pm.strata.strata[pm.alloc.stratum_of(i)];
            if st.region != Region::Urban {
                continue;
            }
            // The default table's urban strata share one 60+ share.
            assert_eq!(st.share_60plus, pm.strata.strata[0].share_60plus);
            let hh = pm.household(&s.simulation, 0, i);
            let o = hh.members().iter().filter(|p| p.age >= 60).count() as f64;
            old += o;
            persons += hh.size as f64;
            sq.push((o, hh.size as f64));
        }
        let share = old / persons;
        let n = sq.len() as f64;
        let mean_size = persons / n;
        let var: f64 = sq.iter().map(|(o, m)| (o - share * m).powi(2)).sum::<f64>() / (n - 1.0);
        let se = (var / n).sqrt() / mean_size;
        assert!(
            (share - want).abs() < 4.0 * se,
            "{share} against {want} (se {se}, {n} households)"
        );
        // Without the correction the share would be 1 / (1 − a) higher: far outside.
        assert!(want / (1.0 - a) - want > 8.0 * se, "the test can tell");
    }

    #[test]
    fn a_run_before_the_tables_year_starts_without_the_arrivals_since() {
        // The baseline's population change with arrivals, started in 2017 with the 2023 table.
        let text = "[population.demography]\nenabled = true\ntable_year = 2023\n\
                    urban_arrivals = true\n";
        let mut s = crate::scenario::load_str(text, "t").unwrap().scenario;
        // The population layer alone (the other layers' schedules would need 2018 on).
        s.simulation.start_year = 2017;
        let pm = PopulationModel::new(&s, "t").unwrap();
        let a = pm.start_arrivals;
        // 1 − Π(1 − 0.56 g/(1 + g)) over 2018..=2023: about 5 % of the households.
        let want: f64 = 1.0
            - (2018..=2023)
                .map(|y| 1.0 - pm.demography.arrival_prob(y))
                .product::<f64>();
        assert!((a - want).abs() < 1e-15 && a > 0.03 && a < 0.08, "{a}");
        // Arrivals are all registered elsewhere, so the start's migrant share of urban
        // households is (m − a) / (1 − a), m the table's; the 2023 start keeps m. Binomial:
        // within four standard errors.
        let mut s23 = s.clone();
        s23.simulation.start_year = 2023;
        let p23 = PopulationModel::new(&s23, "t").unwrap();
        assert_eq!(p23.start_arrivals, 0.0);
        let (mut n, mut mig, mut n23, mut mig23, mut refused_outright) = (0u32, 0u32, 0, 0, 0);
        for i in 0..pm.alloc.total() {
            let s_idx = pm.alloc.stratum_of(i);
            let st = &pm.strata.strata[s_idx];
            if st.region != Region::Urban {
                // The same draws; only the year each formed differs.
                let mut h17 = pm.household(&s.simulation, 0, i);
                assert_eq!(h17.formed, 2017);
                h17.formed = 2023;
                assert_eq!(
                    h17,
                    p23.household(&s23.simulation, 0, i),
                    "rural households are the table's"
                );
                continue;
            }
            let hh = pm.household(&s.simulation, 0, i);
            n += 1;
            mig += hh.migrant as u32;
            let h23 = p23.household(&s23.simulation, 0, i);
            n23 += 1;
            mig23 += h23.migrant as u32;
            if a * p23.arrival_ratio(&h23) > 1.0 {
                refused_outright += 1;
            }
        }
        let m = pm.strata.strata[0].migrant_share;
        let expect = (m - a) / (1.0 - a);
        let (share, share23) = (mig as f64 / n as f64, mig23 as f64 / n23 as f64);
        let se = (expect * (1.0 - expect) / n as f64).sqrt();
        assert!(
            (share - expect).abs() < 4.0 * se,
            "{share} against {expect} (se {se}; {refused_outright} of {n23} refused outright)"
        );
        let se23 = (m * (1.0 - m) / n23 as f64).sqrt();
        assert!((share23 - m).abs() < 4.0 * se23, "{share23} against {m}");
    }

    /// Draw `n` households at the default scenario and with `set` applied (the low-income level
    /// at 150 yuan, sd 0): every draw but the income is the same, households outside `group`
    /// keep their income, and the share of the group moved to the level is `share` within 4
    /// binomial standard errors, over more than `min_group` households of the group.
    fn assert_low_income_moves(
        set: impl Fn(&mut crate::scenario::Scenario),
        group: impl Fn(&Household, &MemberParams) -> bool,
        share: f64,
        n: u64,
        min_group: usize,
    ) {
        let s0 = crate::scenario::load_str("", "t").unwrap().scenario;
        let mut s1 = s0.clone();
        set(&mut s1);
        s1.population.income.low_income_level = 150.0;
        s1.population.income.low_income_log_sd = 0.0;
        let (p0, p1) = (
            PopulationModel::new(&s0, "t").unwrap(),
            PopulationModel::new(&s1, "t").unwrap(),
        );
        let (mut in_group, mut low) = (0, 0);
        for i in 0..n {
            let a = p0.household(&s0.simulation, 1, i);
            let b = p1.household(&s1.simulation, 1, i);
            // Members, size, migrant status and the noise are drawn as before.
            assert_eq!(
                (a.size, a.members, a.migrant, a.persistent0),
                (b.size, b.members, b.migrant, b.persistent0)
            );
            if !group(&a, &s0.population.members) {
                assert_eq!(a.log_income_perm, b.log_income_perm);
                continue;
            }
            in_group += 1;
            if a.log_income_perm != b.log_income_perm {
                low += 1;
                assert!((b.log_income_perm - 150f64.ln()).abs() < 1e-12);
            }
        }
        let moved = low as f64 / in_group as f64;
        let se = (share * (1.0 - share) / in_group as f64).sqrt();
        assert!(in_group > min_group, "{in_group} households in the group");
        assert!((moved - share).abs() < 4.0 * se, "share {moved}, se {se}");
    }

    /// `low_income_share` moves no-worker households to the low-income level, in that share.
    #[test]
    fn low_income_households_sit_at_their_level_and_leave_the_others_alone() {
        assert_low_income_moves(
            |s| s.population.income.low_income_share = 0.4,
            |h, m| h.workers(m) == 0,
            0.4,
            20_000,
            1000,
        );
    }

    /// `low_income_severe_share` moves households with an earner and a severely disabled or
    /// ill member to the low-income level, in that share, and no other household: no-worker
    /// ones keep `low_income_share` (0 here), the rest their income.
    #[test]
    fn households_with_an_earner_and_a_severe_member_take_the_severe_low_income_share() {
        assert_low_income_moves(
            |s| s.population.income.low_income_severe_share = 0.3,
            |h, m| h.workers(m) > 0 && h.members().iter().any(Member::severe),
            0.3,
            40_000,
            500,
        );
    }

    /// `low_income_urban_multiple` scales the share in urban strata only, capped at 1.
    #[test]
    fn the_urban_multiple_scales_the_low_income_share_in_urban_strata_only() {
        let mut s = crate::scenario::load_str("", "t").unwrap().scenario;
        s.population.income.low_income_share = 0.3;
        s.population.income.low_income_urban_multiple = 2.0;
        let pm = PopulationModel::new(&s, "t").unwrap();
        let urban = (0..pm.strata.strata.len())
            .find(|&i| pm.strata.strata[i].region == Region::Urban)
            .unwrap();
        let rural = (0..pm.strata.strata.len())
            .find(|&i| pm.strata.strata[i].region == Region::Rural)
            .unwrap();
        let hh = |i: usize| Household::blank(i as u16, 1, false);
        assert_eq!(pm.low_income_share(&hh(urban), 2023), 0.6);
        assert_eq!(pm.low_income_share(&hh(rural), 2023), 0.3);
        // Capped at 1.
        s.population.income.low_income_urban_multiple = 5.0;
        let pm = PopulationModel::new(&s, "t").unwrap();
        assert_eq!(pm.low_income_share(&hh(urban), 2023), 1.0);
        assert_eq!(pm.low_income_share(&hh(rural), 2023), 0.3);
    }

    /// The low-income share's cohort factor: 1 at the reference year of birth, exp(−trend) a
    /// later year, capped at 1, not read below 60 or at a trend of 0; the generator's drawn
    /// households follow it (binomial se, band 4 se).
    #[test]
    fn the_low_income_share_falls_with_the_oldest_members_year_of_birth() {
        let mut s = crate::scenario::load_str("", "t").unwrap().scenario;
        s.population.income.low_income_share = 0.3;
        s.population.income.low_income_cohort_reference = 1950;
        let mut hh = Household::blank(0, 2, false);
        hh.members[0].age = 70;
        hh.members[1].age = 40;
        let pm0 = PopulationModel::new(&s, "t").unwrap();
        assert_eq!(pm0.low_income_share(&hh, 2030), 0.3);
        s.population.income.low_income_cohort_trend = 0.05;
        let pm = PopulationModel::new(&s, "t").unwrap();
        assert!((pm.low_income_share(&hh, 2020) - 0.3).abs() < 1e-12);
        let later = pm.low_income_share(&hh, 2030);
        assert!((later - 0.3 * (-0.5f64).exp()).abs() < 1e-12);
        assert_eq!(pm.low_income_share(&hh, 1900), 1.0);
        hh.members[0].age = 59;
        assert_eq!(pm.low_income_share(&hh, 2030), 0.3);

        // Drawn: among households whose oldest member is 60 or more, the low-income share
        // follows the factor of its draw year.
        s.population.income.low_income_log_sd = 0.0;
        s.population.income.low_income_cohort_trend = 0.1;
        let pm = PopulationModel::new(&s, "t").unwrap();
        let level = s.population.income.low_income_level.ln();
        let (mut n, mut low, mut expected) = (0u32, 0u32, 0.0);
        for i in 0..40_000 {
            let mut rng = crate::rng::stream(3, 0, i, Purpose::Population);
            let st = &pm.strata.strata[0];
            let h = pm.draw_from(&mut rng, i, 0, st, &s.population.members, true, 2023);
            if !h.no_worker_income || h.oldest_age() < STAT_ELDERLY_AGE {
                continue;
            }
            n += 1;
            expected += pm.low_income_share(&h, 2023);
            low += ((h.log_income_perm - level).abs() < 1e-12) as u32;
        }
        let (p, n) = (expected / n as f64, n as f64);
        let se = (p * (1.0 - p) / n).sqrt();
        assert!(n > 1000.0, "{n} elderly no-worker households");
        assert!(
            (low as f64 / n - p).abs() < 4.0 * se,
            "low-income share {} against {p} (se {se})",
            low as f64 / n
        );
    }

    /// Members past working age still earn where the region's `earning_past_working_age_*`
    /// says so: the count, and the generator's no-worker income, follow the region's age; at 0
    /// the count is `workers`.
    #[test]
    fn members_past_working_age_earn_to_their_regions_age() {
        let mut s = crate::scenario::load_str("", "t").unwrap().scenario;
        let m = s.population.members.clone();
        let mut hh = Household::blank(0, 2, false);
        hh.members[0].age = 62;
        hh.members[1].age = 66;
        assert_eq!(hh.earners(&m, 0), hh.workers(&m));
        assert_eq!(hh.earners(&m, 0), 0);
        assert_eq!(hh.earners(&m, 3), 1);
        assert_eq!(hh.earners(&m, 8), 2);
        hh.members[1].severe_illness = true;
        assert_eq!(hh.earners(&m, 8), 1);

        s.population.income.earning_past_working_age_rural = 8;
        let pm = PopulationModel::new(&s, "t").unwrap();
        let rural = (0..pm.strata.strata.len())
            .find(|&i| pm.strata.strata[i].region == Region::Rural)
            .unwrap();
        let urban = (0..pm.strata.strata.len())
            .find(|&i| pm.strata.strata[i].region == Region::Urban)
            .unwrap();
        let (mut seen_rural, mut seen_urban) = (0, 0);
        for i in 0..20_000u64 {
            for (s_idx, extra) in [(rural, 8), (urban, 0)] {
                let mut rng = crate::rng::stream(5, 0, i, Purpose::Population);
                let st = &pm.strata.strata[s_idx];
                let h = pm.draw_from(&mut rng, i, s_idx, st, &m, true, 2023);
                assert_eq!(h.no_worker_income, h.earners(&m, extra) == 0);
                if h.workers(&m) == 0 && h.earners(&m, extra) > 0 {
                    seen_rural += 1;
                }
                if extra == 0 && h.workers(&m) == 0 {
                    seen_urban += 1;
                }
            }
        }
        assert!(
            seen_rural > 100,
            "{seen_rural} rural households earning past 59"
        );
        assert!(
            seen_urban > 100,
            "{seen_urban} urban households with no one working"
        );
    }
}
