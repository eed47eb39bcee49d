//! Population change (`population.demography.*`): deaths by age from the 2020 life table
//! (`synthetic-data/mortality-2020.csv`), a household whose last member died replaced by a new
//! one drawn from its stratum (so the sample stays the same size), and the yearly urban and
//! rural population totals that the sample's weights follow (NBS year-end series through 2025,
//! then a stated projection; see `scenarios/defaults.toml`).
//!
//! Migration from village to town is carried by the weights (rural strata's weights shrink and
//! urban strata's grow with the two series) and, with `rural_migration`, also by members: able
//! adults leave rural households each January, so the villages keep their old, young and
//! disabled. With `urban_arrivals`, the urban growth is carried by arriving households of able
//! working adults that replace a random few urban sample households each January (the others'
//! weights grow by as much), not by every urban household alike. With `birth_rate`, children
//! are born into households with members of parental age. Households do not move between
//! strata; the reweighting keeps each region's
//! weighted persons on its series. Known limitation: a
//! household's income does not change when an earner leaves (the no-worker income shift
//! applies only when a household is drawn), unless `retirement_income` is on.

use crate::check::Checker;
use crate::population::{
    can_work, Household, Member, MemberParams, Region, StrataTable, Stratum, MAX_MEMBERS,
};
use crate::schedule::Schedule;
use crate::simulation::SimulationParams;
use rand::Rng;
use serde::{Deserialize, Serialize};

/// The 2020 model life table, one row per age band (see `synthetic-data/SOURCES.md`).
pub const MORTALITY_CSV: &str = include_str!("../../synthetic-data/mortality-2020.csv");

/// Oldest age with its own death probability; older ages use this one.
const TOP_AGE: usize = 120;

/// `population.demography.*`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemographyParams {
    /// Population change on: deaths each January (with `population.members.ageing`) and
    /// weights that follow the urban and rural totals. Off: the population of the start year,
    /// every weight fixed (no output byte differs from a model without this section).
    pub enabled: bool,
    /// Multiplier of the 2020 life table's yearly death probabilities, by year (1 = 2020).
    pub mortality_factor: Schedule,
    /// Growth of the urban resident population from year y−1 to y (share per year).
    pub urban_growth: Schedule,
    /// Growth of the rural resident population from year y−1 to y (share per year).
    pub rural_growth: Schedule,
    /// The calendar year whose population the strata table's persons are (2023 for the
    /// embedded table). Set, the population index is 1 in that year, so a run starting earlier
    /// (a backtest) starts from that year's population moved back by the growth schedules
    /// rather than from that year's population itself. 0: the index is 1 in the start year.
    pub table_year: i32,
    /// The rural decline is carried by able adults leaving for the towns: each January
    /// (with `population.members.ageing`, required) every rural member who can work and is
    /// 18 or older leaves their household with the yearly probability
    /// −(the rural growth followed, `rural_basis`) / (the stratum's share of such persons, [`migrant_share`]), drawn from the
    /// demography stream after the deaths; those who left stay their household's supporters
    /// (`Household::left`). The rural elderly then stay in the villages while the weights
    /// still follow both regions' totals. False: every age shrinks alike (weights only).
    /// Read only with `enabled` (population change off: no migration either).
    #[serde(default)]
    pub rural_migration: bool,
    /// The rural back-step of a run starting before `table_year` is the inverse of
    /// `rural_migration` (required, with `table_year` after the start): the start population
    /// is the table's with the able adults who left between the start year and `table_year`
    /// added back ([`Demography::returned_per_able_adult`]), and the rural weights put the
    /// region's moved-back persons on that sample, so the rural elderly are the table's, not
    /// scaled up with the whole rural population. False: every rural household alike is
    /// scaled by the moved-back index. Read only with `enabled`.
    #[serde(default)]
    pub rural_back_step_migrants: bool,
    /// The urban growth is carried by arrivals, not by every urban household alike: each
    /// January (with `population.members.ageing`, required) every urban sample household is
    /// replaced, with the yearly probability [`Demography::arrival_prob`], by an arriving
    /// household of able working adults (and children) drawn from its stratum
    /// ([`crate::population::PopulationModel::draw_arrival`]), registered elsewhere. The
    /// households that stay then carry a growing weight, so the weighted households that were
    /// there change only by deaths and the part of the growth that is not arrivals, while the
    /// arrivals carry `urban_arrival_share` of it. False: every urban household alike grows
    /// with the urban weights. Read only with `enabled`.
    #[serde(default)]
    pub urban_arrivals: bool,
    /// Share 0–1 of the urban population's yearly growth carried by arriving households (net
    /// rural-to-urban migration), with `urban_arrivals`; the rest (natural increase and areas
    /// reclassified as urban, whose people keep their household type) is carried by the
    /// weights of every urban household alike.
    #[serde(default = "default_urban_arrival_share")]
    pub urban_arrival_share: f64,
    /// Which rural population the rural strata (their weights and, with `rural_migration`,
    /// the able adults who leave) follow: the resident one (`rural_growth`, the default) or
    /// the registered (hukou) one (`rural_registered_growth`). Dibao is granted at the place of
    /// registration, so with `registered` the rural sample is the rural-registered
    /// population: those who leave the villages but keep their rural registration stay in
    /// their registered household (counted, with their income, where they are registered),
    /// and only the registered decline (deaths and moves of registration to the towns) thins
    /// it. Read only with `enabled`.
    #[serde(default)]
    pub rural_basis: RuralBasis,
    /// Growth of the registered (hukou) rural population from year y−1 to y (share per
    /// year), read with `rural_basis = "registered"`.
    #[serde(default)]
    pub rural_registered_growth: Schedule,
    /// Births (with `population.members.ageing`, required): yearly probability 0–1, per
    /// member aged `birth_age_min` to `birth_age_max`, of a child born into their household,
    /// by year. Each January a household with n such members gains one member aged 0 with
    /// probability 1 − (1 − rate)^n (at most one a year, none in a household of
    /// `MAX_MEMBERS`), decided by the same uniform as the rest of its January (no other draw
    /// moves). Empty or 0 in every year (the default): no one is born into the sample. Read
    /// only with `enabled`.
    #[serde(default)]
    pub birth_rate: Schedule,
    /// A run starting before `table_year` starts from the table's households with every
    /// member made younger by the years between the two, those not yet born then (younger
    /// than that) left out ([`make_younger`]): the table's ages are its year's, and without
    /// this a backtest from 2017 would start from 2023's ages and end six years older than
    /// 2023. False: the table's ages as they are. Read only with `enabled`.
    #[serde(default)]
    pub age_back_step: bool,
    /// The ages of a run starting before `table_year`: "table" (the table's, or its
    /// back-step with `age_back_step`) or "census": ages within the bands from the census aged
    /// to the end of the start year (`synthetic-data/ages-2013-2023.csv`, needs
    /// `population.members.age_shape = "census"`), and every stratum's 60+ share scaled by the
    /// census's persons aged 60+ in the start year over the table's year, divided by the
    /// model's persons in the start year over the table's year. Read only with `enabled`.
    #[serde(default)]
    pub start_ages: StartAges,
    /// A household that a January's events (a member ageing past working age, dying, leaving
    /// for the towns or severely disabled) leave with members but none able to work, where
    /// one could work before, takes the permanent income the generator gives a household
    /// drawn without one ([`crate::population::PopulationModel::retire`]): with chance
    /// `population.income.low_income_share` the basic-pension level, else its own income
    /// shifted by `population.income.no_worker_log_shift`; its assets follow its income, as
    /// the generator ties them. Without it the household keeps its worker's income, so a
    /// population evolved from an earlier start has richer no-worker households than one
    /// drawn in the same year. False (the default): it keeps it. Read only with `enabled`
    /// (and needs `population.members.ageing`).
    #[serde(default)]
    pub retirement_income: bool,
    /// Multiplier 0–1 of the basic-pension chance of a household that retires
    /// (`retirement_income`): the cohorts losing their last worker during the run reach old
    /// age with more pension rights and family support than the stock of no-worker households
    /// the generator draws, so fewer of them fall to the basic pension alone. 1 (the default):
    /// the generator's chance (`population.income.low_income_share` and its factors).
    #[serde(default = "default_retirement_low_income_multiple")]
    pub retirement_low_income_multiple: f64,
    /// A further multiplier 0–1 of that chance for a retiring household in an urban stratum
    /// that has a supporter (a child able and obliged to support it, by tekun's rule: its
    /// no-supporter propensity against `programs.tekun.no_supporter_share_*` with their cohort
    /// factor and widening, and members who left for the towns count as supporters): family
    /// transfers keep such a household off the basic pension alone, while one without a
    /// supporter has nothing else. Anything but 1 needs tekun on (the scenario refuses it
    /// otherwise). 1 (the default): supported or not, the same chance.
    #[serde(default = "default_retirement_low_income_multiple")]
    pub retirement_supported_low_income_multiple_urban: f64,
    /// The same for a rural stratum (urban retirees mostly draw an employee pension, rural
    /// ones the basic pension and their children's transfers, so the two differ).
    #[serde(default = "default_retirement_low_income_multiple")]
    pub retirement_supported_low_income_multiple_rural: f64,
    /// Youngest age (years) counted as a possible parent by `birth_rate`.
    #[serde(default = "default_birth_age_min")]
    pub birth_age_min: u8,
    /// Oldest age (years) counted as a possible parent by `birth_rate`.
    #[serde(default = "default_birth_age_max")]
    pub birth_age_max: u8,
}

/// `population.demography.start_ages`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StartAges {
    /// The table's ages (or their back-step, `age_back_step`).
    #[default]
    Table,
    /// The census aged to the start year.
    Census,
}

/// The table's household `hh` `years` earlier: every member `years` younger, and those
/// younger than `years` (born since) left out, the others keeping their order. A household of
/// such members only is left as it is (it cannot have been without an adult: the generator
/// gives every household one).
pub fn make_younger(hh: &mut Household, years: u8) {
    let size = hh.size as usize;
    if hh.members().iter().all(|p| p.age < years) {
        return;
    }
    let mut kept = 0;
    for i in 0..size {
        let p = hh.members[i];
        if p.age >= years {
            hh.members[kept] = Member {
                age: p.age - years,
                ..p
            };
            kept += 1;
        }
    }
    for m in hh.members[kept..size].iter_mut() {
        *m = Default::default();
    }
    hh.size = kept as u8;
}

fn default_retirement_low_income_multiple() -> f64 {
    1.0
}

/// The ages of parents at birth that `birth_rate` counts: 20–44 (NBS: nine births in ten in
/// 2020 were to mothers of these ages; see `scenarios/README.md`).
fn default_birth_age_min() -> u8 {
    20
}
fn default_birth_age_max() -> u8 {
    44
}

/// `population.demography.rural_basis`: the rural population the rural strata follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuralBasis {
    /// The resident (常住) rural population, `rural_growth`.
    #[default]
    Resident,
    /// The registered (户籍) rural population, `rural_registered_growth`.
    Registered,
}

/// Net migration's share of the growth of the urban population, 1991–2010 (see
/// `scenarios/README.md`, `population.demography.urban_arrival_share`).
fn default_urban_arrival_share() -> f64 {
    0.56
}

impl DemographyParams {
    /// Whether anyone can be born: `birth_rate` above 0 in some year.
    pub fn births(&self) -> bool {
        self.birth_rate.iter().any(|(_, v)| v > 0.0)
    }

    /// The key and schedule of the rural growth the rural strata follow (`rural_basis`).
    pub fn rural_series(&self) -> (&'static str, &Schedule) {
        match self.rural_basis {
            RuralBasis::Resident => ("population.demography.rural_growth", &self.rural_growth),
            RuralBasis::Registered => (
                "population.demography.rural_registered_growth",
                &self.rural_registered_growth,
            ),
        }
    }

    /// Growth of the rural population the rural strata follow from year y−1 to `year`
    /// (share; 0 before its first key).
    #[inline]
    pub fn rural_growth_at(&self, year: i32) -> f64 {
        self.rural_series().1.at(year).unwrap_or(0.0)
    }

    /// The schedules must cover the horizon only when population change is on (a scenario
    /// starting before their first year runs without it).
    /// `ageing` is `population.members.ageing`: the January step that moves migrants runs only
    /// with it, so migration asked for without it would be silently inert.
    /// A supported retiree's multiplier is set in some region (not 1): only then does the
    /// January step ask whether a retiring household has a supporter.
    pub fn supported_retirees_differ(&self) -> bool {
        self.retirement_supported_low_income_multiple_urban != 1.0
            || self.retirement_supported_low_income_multiple_rural != 1.0
    }

    pub(crate) fn validate(&self, c: &mut Checker, sim: &SimulationParams, members: &MemberParams) {
        let ageing = members.ageing;
        if !self.enabled {
            return;
        }
        if self.start_ages == StartAges::Census && self.table_year > sim.start_year {
            if members.age_shape != super::AgeShape::Census {
                c.fail(
                    "population.demography.start_ages",
                    "census",
                    "allowed: \"census\" only with population.members.age_shape = \"census\" \
                     (the start year's ages are single years); set it to \"table\" or the shape to \
                     \"census\"",
                );
            }
            if self.age_back_step {
                c.fail(
                    "population.demography.start_ages",
                    "census",
                    "allowed: \"census\" or age_back_step = true, not both (two ways to give \
                     the start year's ages)",
                );
            }
            // The start's ages are the census's of its year, and its 60+ shares are scaled from
            // the table's year: the ages file must hold both.
            for (key, year) in [
                ("simulation.start_year", sim.start_year),
                ("population.demography.table_year", self.table_year),
            ] {
                if let Err(have) = super::AgeTable::census_at(year) {
                    c.fail(
                        key,
                        year,
                        format!(
                            "allowed with population.demography.start_ages = \"census\": a year \
                             synthetic-data/ages-2013-2023.csv holds ({have})"
                        ),
                    );
                }
            }
        }
        // Switches that act in the yearly ageing step, and what they do there.
        for (on, key, what) in [
            (self.rural_migration, "rural_migration", "migrants leave"),
            (
                self.retirement_income,
                "retirement_income",
                "households retire",
            ),
            (self.urban_arrivals, "urban_arrivals", "households arrive"),
        ] {
            if on && !ageing {
                c.fail(
                    &format!("population.demography.{key}"),
                    true,
                    format!(
                        "allowed: true only with population.members.ageing = true ({what} in \
                         the yearly ageing step); set it to false or turn ageing on"
                    ),
                );
            }
        }
        if self.rural_back_step_migrants && !self.rural_migration {
            c.fail(
                "population.demography.rural_back_step_migrants",
                true,
                "allowed: true only with rural_migration = true (the back-step is the inverse of \
                 the migration); set it to false or turn rural_migration on",
            );
        }
        if self.births() && !ageing {
            c.fail(
                "population.demography.birth_rate",
                "(a rate above 0)",
                "allowed: a rate above 0 only with population.members.ageing = true (children \
                 are born in the yearly ageing step); set it to 0 or turn ageing on",
            );
        }
        if self.birth_age_min > self.birth_age_max || self.birth_age_max > 120 {
            c.fail(
                "population.demography.birth_age_max",
                self.birth_age_max,
                format!(
                    "allowed: from birth_age_min ({}) to 120",
                    self.birth_age_min
                ),
            );
        }
        c.share(
            "population.demography.urban_arrival_share",
            self.urban_arrival_share,
        );
        c.share(
            "population.demography.retirement_low_income_multiple",
            self.retirement_low_income_multiple,
        );
        c.share(
            "population.demography.retirement_supported_low_income_multiple_urban",
            self.retirement_supported_low_income_multiple_urban,
        );
        c.share(
            "population.demography.retirement_supported_low_income_multiple_rural",
            self.retirement_supported_low_income_multiple_rural,
        );
        let years = sim.start_year + 1..=sim.start_year + sim.years as i32 - 1;
        if self.births() {
            c.schedule(
                "population.demography.birth_rate",
                &self.birth_rate,
                years.clone(),
                0.0,
                0.5,
                "a yearly probability per member of parental age",
            );
        }
        c.schedule(
            "population.demography.mortality_factor",
            &self.mortality_factor,
            years.clone(),
            0.0,
            10.0,
            "a multiplier of the 2020 death probabilities",
        );
        for (key, s) in [
            ("population.demography.urban_growth", &self.urban_growth),
            self.rural_series(),
        ] {
            c.schedule(key, s, years.clone(), -0.5, 1.0, "a yearly growth rate");
        }
        if self.table_year != 0 {
            let ty = self.table_year;
            let key = "population.demography.table_year";
            if !(1990..=2100).contains(&ty) {
                c.fail(
                    key,
                    ty,
                    "allowed: 0 (the start year) or a calendar year from 1990 to 2100",
                );
                return;
            }
            // The index is moved to that year through the growth of the years in between.
            let (a, b) = (ty.min(sim.start_year) + 1, ty.max(sim.start_year));
            for (k, s) in [
                ("population.demography.urban_growth", &self.urban_growth),
                self.rural_series(),
            ] {
                c.schedule(k, s, a..=b, -0.5, 1.0, "a yearly growth rate");
            }
        }
    }
}

/// Youngest age (years) at which a member can leave for the towns: adults only, since a
/// 16- or 17-year-old who left would still count as a supporter (`Household::left`) while
/// being a minor kept on tekun (`programs.tekun.minors_kept_to_18_from`, 民发〔2021〕43号).
pub const MIGRANT_MIN_AGE: u8 = 18;

/// Share 0–1 of a stratum's persons who may migrate: able to work (`can_work`) and at least
/// `MIGRANT_MIN_AGE`, as the population generator draws them: the working-age share
/// (1 − `share_60plus` − `share_under16`), times the part of the working-age band aged 18+
/// (by `population.members.age_shape`, as ages are drawn), times those neither severely
/// disabled (`severe_disability`) nor severely ill (`severe_illness_prevalence`), drawn
/// independently.
pub fn migrant_share(st: &Stratum, m: &MemberParams) -> f64 {
    let adult = super::AgeTable::of(m.age_shape).share_from(
        MIGRANT_MIN_AGE,
        m.working_age_min,
        m.working_age_max,
    );
    let working = (1.0 - st.share_60plus - st.share_under16).max(0.0);
    working * adult * (1.0 - st.severe_disability) * (1.0 - m.severe_illness_prevalence)
}

/// Yearly probability 0–1 that an able adult of stratum `st` leaves for the towns when the
/// rural population followed grows by `growth` (a share): −`growth` / [`migrant_share`], at
/// most 1; 0 where no one may migrate (no floor).
#[inline]
fn migration_prob_at(growth: f64, st: &Stratum, m: &MemberParams) -> f64 {
    let share = migrant_share(st, m);
    if share > 0.0 {
        ((-growth) / share).clamp(0.0, 1.0)
    } else {
        0.0
    }
}

/// The values of one calendar year that population change reads, taken once
/// ([`Demography::year_values`]; the engine makes them once per run, not per household).
#[derive(Debug, Clone)]
pub struct DemogYear {
    /// The calendar year.
    pub year: i32,
    /// Growth of the rural population followed (`rural_basis`), a share; 0 before its first key.
    rural_growth: f64,
    /// [`Demography::arrival_prob`] of the year, 0–1.
    arrival: f64,
    /// `birth_rate` of the year, 0–1 (0 when the schedule is empty).
    birth: f64,
    /// (1 − `birth`)^k for k parents, k = 0..=MAX_MEMBERS: the chance that none has a child,
    /// taken once a year (the same `powi`, so the same bits, as per household).
    no_birth: [f64; MAX_MEMBERS + 1],
    /// For a household of n members, the lowest of `no_birth[1..=n]` (+∞ for none): below
    /// `stays` × it no count of parents it may have gives a child.
    no_birth_floor: [f64; MAX_MEMBERS + 1],
    /// Yearly death probability at each age in the year, 0–1 (the 2020 table times the
    /// year's `mortality_factor`, at most 1; ages above TOP_AGE at TOP_AGE's), indexed by the
    /// age itself, so a member's costs one look-up.
    q: [f64; 256],
    /// 1 − `q`, the yearly survival probability at each age, 0–1.
    survive: [f64; 256],
    /// [`Demography::migration_prob`] of the year by stratum index, when the engine made it
    /// ([`DemogYear::with_leave`]; empty: [`Demography::age_and_step`] works it out).
    leave: Vec<f64>,
}

impl DemogYear {
    /// With the year's departure chance of each stratum of `strata` taken once, for the
    /// member rules `m` that every January of the run is then given: a rural January works
    /// out [`migrant_share`] no more.
    pub fn with_leave(mut self, d: &Demography, strata: &[Stratum], m: &MemberParams) -> Self {
        self.leave = strata
            .iter()
            .map(|st| d.migration_prob(&self, m, st))
            .collect();
        self
    }
}

/// Disability onset as the January step draws it with population change on
/// (`dynamics.shocks.disability_onset`, handed down by the dynamics layer): a member aged
/// `elderly_age` or more who is not severely disabled becomes so with probability `prob`
/// (0–1, per year).
#[derive(Debug, Clone, Copy, Default)]
pub struct Onset {
    /// Age (years) from which the risk applies.
    pub elderly_age: u8,
    /// Chance per year, 0–1 (0: no onset).
    pub prob: f64,
}

/// What one January did to a household ([`Demography::year_step`]). Aligned to 8 bytes, so
/// that it is made, copied and returned as one word, not field by field.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[repr(align(8))]
pub struct YearOutcome {
    /// Members who became severely disabled (those who then died included).
    pub onsets: u8,
    /// Members who died.
    pub died: u8,
    /// Members who left for the towns (`rural_migration`).
    pub left: u8,
    /// An arriving household replaces this one (`urban_arrivals`; the caller draws it).
    pub arrives: bool,
    /// Children born into the household (`birth_rate`; 0 or 1).
    pub born: u8,
}

impl YearOutcome {
    /// Nothing happened: no onset, death, departure, arrival or birth.
    pub fn is_quiet(&self) -> bool {
        *self == YearOutcome::default()
    }
}

/// One member's yearly risks along the path on which nothing has happened to them yet, each
/// 0–1: onset, death, and leaving for the towns (given no onset and survival).
#[derive(Debug, Clone, Copy)]
struct Risks {
    onset: f64,
    death: f64,
    leave: f64,
}

impl Risks {
    /// Probability 0–1 that none of the three happens.
    #[inline(always)]
    fn stay(&self) -> f64 {
        (1.0 - self.onset) * (1.0 - self.death) * (1.0 - self.leave)
    }
}

/// What the population layer precomputes for population change.
#[derive(Debug, Clone)]
pub struct Demography {
    /// A copy of the scenario's keys.
    pub params: DemographyParams,
    /// Yearly death probability at each age 0..=TOP_AGE, 2020 level.
    pub q: Vec<f64>,
}

impl Demography {
    /// Read the embedded life table.
    pub fn new(params: &DemographyParams) -> Demography {
        Demography {
            params: params.clone(),
            q: yearly_q(MORTALITY_CSV).expect("the embedded life table parses"),
        }
    }

    /// Yearly death probability at `age` in calendar year `year`, 0–1.
    pub fn death_prob(&self, age: u8, year: i32) -> f64 {
        self.death_prob_by(age, self.mortality_factor(year))
    }

    /// The factor on the 2020 death probabilities in calendar year `year`.
    #[inline]
    fn mortality_factor(&self, year: i32) -> f64 {
        self.params.mortality_factor.at(year).unwrap_or(1.0)
    }

    /// [`Self::death_prob`] with the year's [`Self::mortality_factor`] `f` taken once.
    #[inline]
    fn death_prob_by(&self, age: u8, f: f64) -> f64 {
        (self.q[(age as usize).min(TOP_AGE)] * f).min(1.0)
    }

    /// Deaths of one January: member `i` dies when `u[i]` is below its death probability
    /// (the per-member law, one uniform each; the engine draws the same law in one uniform
    /// per household, [`Self::year_step`]).
    /// The survivors keep their order; returns how many died. A household whose members all
    /// died is left with size 0 (the caller replaces it).
    pub fn deaths(&self, hh: &mut Household, year: i32, u: &[f64; MAX_MEMBERS]) -> u8 {
        self.deaths_in(hh, &self.year_values(year), u)
    }

    /// The values of calendar year `year` that [`Self::deaths_in`], [`Self::migrate_in`] and
    /// [`Self::arrives_in`] read.
    pub fn year_values(&self, year: i32) -> DemogYear {
        let f = self.mortality_factor(year);
        let q: [f64; 256] = std::array::from_fn(|a| self.death_prob_by(a as u8, f));
        let birth = self.params.birth_rate.at(year).unwrap_or(0.0);
        // An exponent the optimiser cannot fold: the same `__powidf2` call a household's
        // count of parents made.
        let no_birth: [f64; MAX_MEMBERS + 1] =
            std::array::from_fn(|k| (1.0 - birth).powi(std::hint::black_box(k as i32)));
        let mut floor = f64::INFINITY;
        let no_birth_floor = std::array::from_fn(|n| {
            if n > 0 {
                floor = floor.min(no_birth[n]);
            }
            floor
        });
        DemogYear {
            year,
            rural_growth: self.params.rural_growth_at(year),
            arrival: self.arrival_prob(year),
            birth,
            no_birth,
            no_birth_floor,
            q,
            survive: q.map(|x| 1.0 - x),
            leave: Vec::new(),
        }
    }

    /// [`Self::deaths`] in the year of `yv`.
    #[inline]
    pub fn deaths_in(&self, hh: &mut Household, yv: &DemogYear, u: &[f64; MAX_MEMBERS]) -> u8 {
        let size = hh.size as usize;
        let mut kept = 0;
        for (i, &ui) in u.iter().enumerate().take(size) {
            if ui >= yv.q[hh.members[i].age as usize] {
                hh.members[kept] = hh.members[i];
                kept += 1;
            }
        }
        for m in hh.members[kept..size].iter_mut() {
            *m = Default::default();
        }
        let died = (size - kept) as u8;
        hh.size = kept as u8;
        died
    }

    /// Rural migration of one January (`rural_migration`): each member of a rural household
    /// who can work (`can_work`) and is at least `MIGRANT_MIN_AGE` leaves when its uniform
    /// (MAX_MEMBERS drawn from `rng`, whatever the size and whoever is eligible, so no other
    /// draw moves) is below −(the rural growth followed in `year`, `rural_basis`) / [`migrant_share`]. The others keep their
    /// order; returns how many left. No draw when the key is off or the household is urban.
    pub fn migrate(
        &self,
        hh: &mut Household,
        year: i32,
        m: &MemberParams,
        st: &Stratum,
        rng: &mut crate::rng::StreamRng,
    ) -> u8 {
        self.migrate_in(hh, &self.year_values(year), m, st, rng)
    }

    /// [`Self::migrate`] in the year of `yv`.
    #[inline]
    pub fn migrate_in(
        &self,
        hh: &mut Household,
        yv: &DemogYear,
        m: &MemberParams,
        st: &Stratum,
        rng: &mut crate::rng::StreamRng,
    ) -> u8 {
        if !self.params.rural_migration || st.region != Region::Rural {
            return 0;
        }
        let u: [f64; MAX_MEMBERS] = std::array::from_fn(|_| rng.random());
        let p = self.migration_prob(yv, m, st);
        let size = hh.size as usize;
        let mut kept = 0;
        for (i, &ui) in u.iter().enumerate().take(size) {
            let p_i = &hh.members[i];
            let goes = p_i.age >= MIGRANT_MIN_AGE && can_work(p_i, m) && ui < p;
            if !goes {
                hh.members[kept] = hh.members[i];
                kept += 1;
            }
        }
        for mem in hh.members[kept..size].iter_mut() {
            *mem = Default::default();
        }
        let left = (size - kept) as u8;
        hh.size = kept as u8;
        hh.left = hh.left.saturating_add(left);
        left
    }

    /// Yearly probability 0–1 that a member of a household of stratum `st` who may migrate
    /// (able, `MIGRANT_MIN_AGE` or older) leaves in the year of `yv`: −(the rural growth
    /// followed) / [`migrant_share`] with `rural_migration` in a rural stratum, else 0.
    #[inline]
    fn migration_prob(&self, yv: &DemogYear, m: &MemberParams, st: &Stratum) -> f64 {
        if !self.params.rural_migration || st.region != Region::Rural {
            return 0.0;
        }
        migration_prob_at(yv.rural_growth, st, m)
    }

    /// Able adults (can work, `MIGRANT_MIN_AGE` or older) added back to a rural household of
    /// stratum `st` at the start, per such adult of the table's household, with
    /// `rural_back_step_migrants`: 1 / Π (1 − p_y) − 1 over the years y after the start up to
    /// `table_year`, p_y the stratum's yearly migration probability
    /// (−rural growth / [`migrant_share`]): the table's able adults are the start's who did not
    /// leave, so the start had 1 / Π (1 − p_y) of them. Deaths and ageing across the working-age
    /// band in those years are not inverted. 0 for an urban stratum, with the key, migration or
    /// population change off, or a run not starting before the table's year.
    pub fn returned_per_able_adult(
        &self,
        sim: &SimulationParams,
        st: &Stratum,
        m: &MemberParams,
    ) -> f64 {
        let ty = self.params.table_year;
        if !self.enabled()
            || !self.params.rural_migration
            || !self.params.rural_back_step_migrants
            || st.region != Region::Rural
            || ty <= sim.start_year
        {
            return 0.0;
        }
        let stay: f64 = (sim.start_year + 1..=ty)
            .map(|y| 1.0 - migration_prob_at(self.params.rural_growth_at(y), st, m))
            .product();
        if stay > 0.0 {
            1.0 / stay - 1.0
        } else {
            0.0
        }
    }

    /// The start's persons of stratum `st` over the table's in expectation: 1 +
    /// [`Self::returned_per_able_adult`] × [`migrant_share`] (the added adults per person). The
    /// rural weights divide the moved-back index by it, so the region's start persons stay on
    /// the moved-back total while the households that were not given adults keep the table's
    /// weight. 1 when nothing is added.
    pub fn start_person_factor(
        &self,
        sim: &SimulationParams,
        st: &Stratum,
        m: &MemberParams,
    ) -> f64 {
        1.0 + self.returned_per_able_adult(sim, st, m) * migrant_share(st, m)
    }

    /// Add back to `hh` (drawn from the table) the able adults who left it between the start
    /// and `table_year`: for each member who can work and is `MIGRANT_MIN_AGE` or older,
    /// ⌊`q`⌋ adults plus one more with the chance of `q`'s fraction (one uniform per such
    /// member from `rng`, the household's own stream), up to `MAX_MEMBERS`; each able, aged
    /// from `MIGRANT_MIN_AGE` (or `working_age_min` if older) to `working_age_max` by
    /// `population.members.age_shape` (one more uniform). Returns how many were added.
    pub fn add_returned(
        &self,
        hh: &mut Household,
        q: f64,
        m: &MemberParams,
        rng: &mut crate::rng::StreamRng,
    ) -> u8 {
        if q <= 0.0 {
            return 0;
        }
        let (whole, frac) = (q.floor(), q - q.floor());
        let lo = m.working_age_min.max(MIGRANT_MIN_AGE);
        let hi = m.working_age_max.max(lo);
        let able = hh
            .members()
            .iter()
            .filter(|p| p.age >= MIGRANT_MIN_AGE && can_work(p, m))
            .count();
        let mut added = 0u8;
        for _ in 0..able {
            let u: f64 = rng.random();
            let n = whole as usize + (u < frac) as usize;
            for _ in 0..n {
                let u_age: f64 = rng.random();
                if (hh.size as usize) < MAX_MEMBERS {
                    let age = super::AgeTable::of(m.age_shape).draw(lo, hi, u_age);
                    hh.members[hh.size as usize] = Member {
                        age,
                        ..Default::default()
                    };
                    hh.size += 1;
                    added += 1;
                }
            }
        }
        added
    }

    /// The risks of member `p` (aged already) on the path on which nothing has happened to
    /// them this year: onset, death, and leaving with probability `leave` when able and an
    /// adult.
    #[inline(always)]
    fn risks(&self, p: &Member, yv: &DemogYear, m: &MemberParams, on: Onset, leave: f64) -> Risks {
        Risks {
            onset: if p.age >= on.elderly_age && !p.severe_disability {
                on.prob
            } else {
                0.0
            },
            death: yv.q[p.age as usize],
            leave: if leave > 0.0 && p.age >= MIGRANT_MIN_AGE && can_work(p, m) {
                leave
            } else {
                0.0
            },
        }
    }

    /// One January of a household whose members have aged, in one uniform from `rng` (the
    /// household's demography stream) when nothing happens: each member's disability onset
    /// (`on`), death and, in a rural stratum with `rural_migration`, departure for the towns
    /// (an able adult), then, in an urban stratum with `urban_arrivals`, whether an arriving
    /// household replaces it (the caller draws that one). The events have the law of
    /// independent draws, member by member in that order (onset before death, departure only
    /// for a survivor who can still work), then the arrival.
    ///
    /// Exact, by first events: with T_k the probability that nothing happens to members
    /// before k nor to k, the first member something happens to is k when T_k <= u < T_(k−1)
    /// (u uniform on [0, 1)), and nothing happens when u < T_n (1 − arrival): nothing costs
    /// one uniform and a product over the members. That member's events are drawn from their
    /// law given that something happens (fresh uniforms), and the members after it from a fresh
    /// uniform the same way. The arrival is the last event, so whether arrivals are on moves
    /// no member's draw of a household that does not arrive (common random numbers). The
    /// survivors and stayers keep their order; a household emptied is left with size 0.
    pub fn year_step(
        &self,
        hh: &mut Household,
        yv: &DemogYear,
        m: &MemberParams,
        st: &Stratum,
        on: Onset,
        rng: &mut crate::rng::StreamRng,
    ) -> YearOutcome {
        self.walk::<false>(hh, yv, m, st, on, self.migration_prob(yv, m, st), rng)
    }

    /// The yearly ageing (each member one year older, at most `population.members.max_age`),
    /// then [`year_step`](Demography::year_step), in one walk over the members: a member ages
    /// when the walk reaches it, before its events are drawn, and every member is reached
    /// exactly once before the year ends (the same ages, draws and events as ageing them all
    /// first).
    #[inline(always)]
    pub fn age_and_step(
        &self,
        hh: &mut Household,
        yv: &DemogYear,
        m: &MemberParams,
        st: &Stratum,
        on: Onset,
        rng: &mut crate::rng::StreamRng,
    ) -> YearOutcome {
        // The engine's table (`DemogYear::with_leave`, its stratum and member rules the ones
        // given here), else worked out.
        let leave = match yv.leave.get(hh.stratum as usize) {
            Some(&p) => p,
            None => self.migration_prob(yv, m, st),
        };
        self.walk::<true>(hh, yv, m, st, on, leave, rng)
    }

    /// [`year_step`](Demography::year_step); with `AGE`, each member aged as the walk reaches
    /// it ([`age_and_step`](Demography::age_and_step)). `leave` is the stratum's
    /// [`migration_prob`](Demography::migration_prob) in the year.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn walk<const AGE: bool>(
        &self,
        hh: &mut Household,
        yv: &DemogYear,
        m: &MemberParams,
        st: &Stratum,
        on: Onset,
        leave: f64,
        rng: &mut crate::rng::StreamRng,
    ) -> YearOutcome {
        let arrival = if self.params.urban_arrivals && st.region == Region::Urban {
            yv.arrival
        } else {
            0.0
        };
        let mut out = YearOutcome::default();
        // The factors of `Risks::stay` when onset or departure applies (1.0 when not: the
        // same product, bit for bit).
        let (keep_onset, keep_leave) = (1.0 - on.prob, 1.0 - leave);
        // The first member whose year is not yet drawn.
        let mut i = 0;
        loop {
            let u: f64 = rng.random();
            // P(nothing to members i..k), above u so far.
            let mut t = 1.0;
            let mut first = false;
            while i < hh.size as usize {
                if AGE {
                    // Reached once: a member the walk stops at is drawn below and then passed
                    // or removed (the next one moving down is not yet aged).
                    let a = &mut hh.members[i].age;
                    *a = a.saturating_add(1).min(m.max_age);
                }
                let p = &hh.members[i];
                // `risks(p, ..).stay()`, from the year's survival table.
                let f_onset = if p.age >= on.elderly_age && !p.severe_disability {
                    keep_onset
                } else {
                    1.0
                };
                let f_leave = if leave > 0.0 && p.age >= MIGRANT_MIN_AGE && can_work(p, m) {
                    keep_leave
                } else {
                    1.0
                };
                let next = t * (f_onset * yv.survive[p.age as usize] * f_leave);
                if u >= next {
                    first = true;
                    break;
                }
                t = next;
                i += 1;
            }
            if !first {
                // Given nothing happened to the members, u / t is uniform: an arrival above
                // 1 − arrival, and below it (u / (t (1 − arrival)) uniform again) a birth
                // above the chance that none of the parents has a child.
                let stays = t * (1.0 - arrival);
                out.arrives = u >= stays;
                // Below `stays` × the household's floor no count of its parents gives a child
                // (u < stays × (1 − rate)^parents whatever their number): most households are
                // not counted.
                if yv.birth > 0.0
                    && !out.arrives
                    && (hh.size as usize) < MAX_MEMBERS
                    && u >= stays * yv.no_birth_floor[hh.size as usize]
                {
                    self.birth(hh, u, stays, &yv.no_birth, &mut out);
                }
                return out;
            }
            let r = self.risks(&hh.members[i], yv, m, on, leave);
            if self.member_event(hh, i, r, yv, m, on, leave, rng, &mut out) {
                hh.members.copy_within(i + 1..hh.size as usize, i);
                hh.size -= 1;
                hh.members[hh.size as usize] = Default::default();
            } else {
                i += 1;
            }
        }
    }

    /// A child born into `hh` when `u` (uniform on [0, `stays`)) is at or above `stays` × the
    /// chance that none of its members of parental age has one (`no_birth`, by their number:
    /// [`DemogYear`]'s).
    #[inline(never)]
    fn birth(
        &self,
        hh: &mut Household,
        u: f64,
        stays: f64,
        no_birth: &[f64; MAX_MEMBERS + 1],
        out: &mut YearOutcome,
    ) {
        let (lo, hi) = (self.params.birth_age_min, self.params.birth_age_max);
        let parents = hh
            .members()
            .iter()
            .filter(|p| (lo..=hi).contains(&p.age))
            .count();
        if parents > 0 && u >= stays * no_birth[parents] {
            hh.members[hh.size as usize] = Member::default();
            hh.size += 1;
            out.born = 1;
        }
    }

    /// The events of member `i` given that something happens to them (risks `r`): onset with
    /// probability onset / (1 − stay), then death and departure as they fall; or, with no
    /// onset, death with probability death / P(death or departure), else departure. Counts
    /// them in `out`; true when the member is gone (died or left).
    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    fn member_event(
        &self,
        hh: &mut Household,
        i: usize,
        r: Risks,
        yv: &DemogYear,
        m: &MemberParams,
        on: Onset,
        leave: f64,
        rng: &mut crate::rng::StreamRng,
        out: &mut YearOutcome,
    ) -> bool {
        let some = 1.0 - r.stay();
        if r.onset > 0.0 && rng.random::<f64>() * some < r.onset {
            out.onsets += 1;
            hh.members[i].severe_disability = true;
            // Death and departure as they fall, given the onset.
            if rng.random::<f64>() < r.death {
                out.died += 1;
                return true;
            }
            let after = self.risks(&hh.members[i], yv, m, on, leave);
            if after.leave > 0.0 && rng.random::<f64>() < after.leave {
                out.left += 1;
                hh.left = hh.left.saturating_add(1);
                return true;
            }
            return false;
        }
        // No onset: death or departure (at least one), death first.
        let either = 1.0 - (1.0 - r.death) * (1.0 - r.leave);
        if r.death > 0.0 && (r.leave <= 0.0 || rng.random::<f64>() * either < r.death) {
            out.died += 1;
            true
        } else if r.leave > 0.0 {
            out.left += 1;
            hh.left = hh.left.saturating_add(1);
            true
        } else {
            // Only by rounding (an onset risk whose 1 − stay exceeds it): nothing.
            false
        }
    }

    /// The start year when its ages are the census's (`start_ages = "census"`, population
    /// change on, a start before `table_year`); `None` otherwise.
    pub fn census_start_year(&self, sim: &SimulationParams) -> Option<i32> {
        (self.enabled()
            && self.params.start_ages == StartAges::Census
            && self.params.table_year > sim.start_year)
            .then_some(sim.start_year)
    }

    /// Years by which the start's households are younger than the table's
    /// (`age_back_step`): `table_year` − the start year when population change is on and the
    /// run starts before the table's year; 0 otherwise.
    pub fn start_age_back(&self, sim: &SimulationParams) -> u8 {
        let ty = self.params.table_year;
        if self.enabled() && self.params.age_back_step && ty > sim.start_year {
            (ty - sim.start_year).min(u8::MAX as i32) as u8
        } else {
            0
        }
    }

    /// Yearly probability 0–1 that an urban sample household is replaced by an arriving one in
    /// January of `year` (`urban_arrivals`): `urban_arrival_share` × g / (1 + g), g the urban
    /// growth of `year`, so that the arrivals are that share of the growth as a share of the
    /// year's urban persons when they are as large as the households they replace (both are
    /// drawn from the stratum's sizes; the weights then put the total on the series exactly).
    /// 0 when the key is off or the urban population does not grow.
    pub fn arrival_prob(&self, year: i32) -> f64 {
        if !self.params.urban_arrivals {
            return 0.0;
        }
        let g = self.params.urban_growth.at(year).unwrap_or(0.0);
        if g > 0.0 {
            (self.params.urban_arrival_share * g / (1.0 + g)).clamp(0.0, 1.0)
        } else {
            0.0
        }
    }

    /// Whether an urban household is replaced by an arriving one in January of `year`: one
    /// uniform from `rng` (the household's arrival stream of the year, `Purpose::Arrival`)
    /// when `urban_arrivals` is on and the stratum is urban; no draw otherwise.
    pub fn arrives(&self, year: i32, st: &Stratum, rng: &mut crate::rng::StreamRng) -> bool {
        self.arrives_in(&self.year_values(year), st, rng)
    }

    /// [`Self::arrives`] in the year of `yv`.
    #[inline]
    pub fn arrives_in(
        &self,
        yv: &DemogYear,
        st: &Stratum,
        rng: &mut crate::rng::StreamRng,
    ) -> bool {
        if !self.params.urban_arrivals || st.region != Region::Urban {
            return false;
        }
        let u: f64 = rng.random();
        u < yv.arrival
    }

    /// Share 0–1 of an urban stratum's households in `table_year` that arrived after the start
    /// year: 1 − Π (1 − [`Self::arrival_prob`]) over the years after the start up to the
    /// table's year. 0 when arrivals or population change are off or the run does not start
    /// before the table's year.
    pub fn arrived_since_start(&self, sim: &SimulationParams) -> f64 {
        let ty = self.params.table_year;
        if !self.enabled() || !self.params.urban_arrivals || ty <= sim.start_year {
            return 0.0;
        }
        let stay: f64 = (sim.start_year + 1..=ty)
            .map(|y| 1.0 - self.arrival_prob(y))
            .product();
        1.0 - stay
    }

    /// Population index of each region in year t of the horizon relative to the start year
    /// (urban, rural): the compounded growth schedules.
    pub fn region_index(&self, sim: &SimulationParams) -> [Vec<f64>; 2] {
        let n = sim.years as usize;
        let mut out = [vec![1.0; n], vec![1.0; n]];
        for t in 1..n {
            let y = sim.start_year + t as i32;
            let g = [
                self.params.urban_growth.at(y).unwrap_or(0.0),
                self.params.rural_growth_at(y),
            ];
            for r in 0..2 {
                out[r][t] = out[r][t - 1] * (1.0 + g[r]);
            }
        }
        if self.params.table_year != 0 {
            let ty = self.params.table_year;
            // Index of the table's year relative to the start year: growth compounded from the
            // start year to it (or its inverse when it comes before the start).
            let mut at = [1.0f64; 2];
            let (lo, hi) = (ty.min(sim.start_year), ty.max(sim.start_year));
            for y in lo + 1..=hi {
                let g = [
                    self.params.urban_growth.at(y).unwrap_or(0.0),
                    self.params.rural_growth_at(y),
                ];
                for r in 0..2 {
                    at[r] *= 1.0 + g[r];
                }
            }
            for r in 0..2 {
                let f = if ty >= sim.start_year {
                    1.0 / at[r]
                } else {
                    at[r]
                };
                out[r].iter_mut().for_each(|v| *v *= f);
            }
        }
        out
    }

    /// Weights per (stratum, year), `s * years + t`: the start weight `w[s]` scaled so that the
    /// stratum's weighted persons in year t are its start-year weighted persons times its
    /// region's population index. `persons(s, t)` is the sample's persons (any fixed unit, such
    /// as person-months) of stratum s in year t. `start_factor[s]` (empty: 1 for every stratum)
    /// is the sample's start persons over the table's ([`Self::start_person_factor`]): the
    /// weighted persons are the index times the start persons over it. Disabled, every year's
    /// weight is `w[s]`.
    pub fn year_weights(
        &self,
        strata: &StrataTable,
        w: &[f64],
        sim: &SimulationParams,
        start_factor: &[f64],
        persons: impl Fn(usize, usize) -> f64,
    ) -> Vec<f64> {
        let n = sim.years as usize;
        let mut out = Vec::with_capacity(w.len() * n);
        let index = self.enabled().then(|| self.region_index(sim));
        for (s, &ws) in w.iter().enumerate() {
            let Some(index) = &index else {
                out.extend(std::iter::repeat(ws).take(n));
                continue;
            };
            let r = match strata.strata[s].region {
                Region::Urban => 0,
                Region::Rural => 1,
            };
            let p0 = persons(s, 0) / start_factor.get(s).copied().unwrap_or(1.0);
            for (t, ix) in index[r].iter().enumerate() {
                let pt = persons(s, t);
                let follow = if p0 > 0.0 && pt > 0.0 {
                    p0 / pt
                } else {
                    1.0 / start_factor.get(s).copied().unwrap_or(1.0)
                };
                out.push(ws * ix * follow);
            }
        }
        out
    }

    /// Population change is on.
    pub fn enabled(&self) -> bool {
        self.params.enabled
    }
}

/// Yearly death probabilities by single year of age from the life table's `total` rows:
/// within a band of n years, 1 − (1 − nqx)^(1/n); the open band (q = 1) from its rate,
/// 1 − exp(−m).
pub fn yearly_q(csv_text: &str) -> Result<Vec<f64>, String> {
    let mut rdr = csv::Reader::from_reader(csv_text.as_bytes());
    let headers = rdr.headers().map_err(|e| e.to_string())?.clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or(format!("mortality table: no column `{name}`"))
    };
    let (c_from, c_to, c_sex, c_m, c_q) = (
        col("age_from")?,
        col("age_to")?,
        col("sex")?,
        col("m_2020_model_per_mille")?,
        col("q_2020_model")?,
    );
    let mut q = vec![f64::NAN; TOP_AGE + 1];
    for (row, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| e.to_string())?;
        if &rec[c_sex] != "total" {
            continue;
        }
        let num = |c: usize| -> Result<f64, String> {
            rec[c]
                .trim()
                .parse::<f64>()
                .map_err(|_| format!("mortality table row {}: `{}`", row + 2, &rec[c]))
        };
        let from = num(c_from)? as usize;
        let to = if rec[c_to].trim().is_empty() {
            TOP_AGE
        } else {
            num(c_to)? as usize
        };
        let nqx = num(c_q)?;
        let yearly = if nqx >= 1.0 {
            1.0 - (-num(c_m)? / 1000.0).exp()
        } else {
            1.0 - (1.0 - nqx).powf(1.0 / (to - from + 1) as f64)
        };
        for v in q.iter_mut().take(to.min(TOP_AGE) + 1).skip(from) {
            *v = yearly;
        }
    }
    if let Some(a) = q.iter().position(|v| v.is_nan()) {
        return Err(format!("mortality table: no `total` row covers age {a}"));
    }
    Ok(q)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The default scenario and its strata table.
    fn defaults() -> (crate::scenario::Scenario, StrataTable) {
        let s = crate::scenario::load_str("", "t").unwrap().scenario;
        let t = StrataTable::from_scenario(&s, "t").unwrap();
        (s, t)
    }

    /// The table's first stratum of `region`.
    fn first(t: &StrataTable, region: Region) -> &crate::population::Stratum {
        t.strata.iter().find(|st| st.region == region).unwrap()
    }

    fn demog(enabled: bool) -> Demography {
        let s = crate::scenario::load_str("", "t").unwrap().scenario;
        let mut p = s.population.demography.clone();
        p.enabled = enabled;
        Demography::new(&p)
    }

    /// The default scenario, its population and a demography in which every event counts:
    /// rural migration on (rural decline 3 % a year), arrivals as `arrivals` says (urban growth
    /// 5 % a year), deaths three times the table's.
    fn busy_year(
        arrivals: bool,
    ) -> (
        crate::scenario::Scenario,
        crate::population::PopulationModel,
        Demography,
    ) {
        let s = crate::scenario::load_str("", "t").unwrap().scenario;
        let pm = crate::population::PopulationModel::new(&s, "t").unwrap();
        let mut d = demog(true);
        d.params.rural_migration = true;
        d.params.urban_arrivals = arrivals;
        d.params.rural_growth = Schedule::constant(2020, -0.03);
        d.params.urban_growth = Schedule::constant(2020, 0.05);
        d.params.mortality_factor = Schedule::constant(2020, 3.0);
        (s, pm, d)
    }

    /// [`Demography::year_step`] draws the per-member law in one uniform per quiet
    /// household-year. Over 200,000 households of the default population (urban and rural;
    /// migration and arrivals on, deaths three times the table's and onset at 5 % a year so
    /// that every event counts), the onsets, deaths, departures, arrivals and quiet
    /// household-years are each within four standard errors of their closed-form expectation:
    /// sums of independent Bernoulli probabilities, se = sqrt of the sum of p(1 − p) (the
    /// quiet ones and arrivals per household, the others per member).
    #[test]
    fn one_draw_per_household_year_has_the_per_member_law() {
        let (s, pm, d) = busy_year(true);
        let m = &s.population.members;
        let yv = d.year_values(2024);
        let on = Onset {
            elderly_age: 60,
            prob: 0.05,
        };
        assert!(yv.arrival > 0.02);
        let mut rng = crate::rng::stream(11, 0, 0, crate::rng::Purpose::Demography);
        // Onsets, deaths, departures, arrivals, quiet household-years.
        let (mut want, mut var, mut got) = ([0.0f64; 5], [0.0f64; 5], [0u64; 5]);
        let mut add = |k: usize, p: f64| {
            want[k] += p;
            var[k] += p * (1.0 - p);
        };
        for i in 0..200_000 {
            let mut hh = pm.household(&s.simulation, 0, i);
            let before = hh.clone();
            let st = &pm.strata.strata[hh.stratum as usize];
            let leave = d.migration_prob(&yv, m, st);
            let arrival = if st.region == Region::Urban {
                yv.arrival
            } else {
                0.0
            };
            let mut quiet = 1.0 - arrival;
            for p in hh.members() {
                let r = d.risks(p, &yv, m, on, leave);
                // A departure after an onset: as the member who is then disabled.
                let disabled = Member {
                    severe_disability: true,
                    ..*p
                };
                let after = d.risks(&disabled, &yv, m, on, leave).leave;
                add(0, r.onset);
                add(1, r.death);
                add(
                    2,
                    (1.0 - r.death) * ((1.0 - r.onset) * r.leave + r.onset * after),
                );
                quiet *= r.stay();
            }
            add(3, arrival);
            add(4, quiet);
            let out = d.year_step(&mut hh, &yv, m, st, on, &mut rng);
            got[0] += out.onsets as u64;
            got[1] += out.died as u64;
            got[2] += out.left as u64;
            got[3] += out.arrives as u64;
            got[4] += out.is_quiet() as u64;
            // Those who died or left are gone; the others keep their order.
            assert_eq!(hh.size + out.died + out.left, before.size);
            assert_eq!(hh.left, before.left + out.left);
            let mut rest = before.members().iter();
            for p in hh.members() {
                assert!(rest.any(|b| b.age == p.age && b.severe_illness == p.severe_illness));
            }
        }
        for (k, name) in ["onsets", "deaths", "departures", "arrivals", "quiet"]
            .iter()
            .enumerate()
        {
            let se = var[k].sqrt();
            assert!(want[k] > 100.0, "{name}: {} expected", want[k]);
            assert!(
                (got[k] as f64 - want[k]).abs() < 4.0 * se,
                "{name}: {} against {:.1} (se {se:.1})",
                got[k],
                want[k]
            );
        }
    }

    /// A check independent of the helpers (`risks`, `migration_prob`) that the closed forms
    /// above share with [`Demography::year_step`]: the per-member draws the engine used before
    /// it (`deaths_in`, one uniform a member, then `migrate_in` for the survivors) and
    /// `year_step` (no onset, no arrivals) give the same deaths, departures and quiet
    /// household-years over 200,000 default households (deaths three times the table's, rural
    /// decline 3 % a year), each difference of the two independent samples' totals within four
    /// standard errors (se = sqrt of the sum of the two samples' variances of the total, each
    /// n times the sample variance per household).
    #[test]
    fn one_draw_step_matches_the_old_per_member_draws() {
        let (sc, pm, d) = busy_year(false);
        let m = &sc.population.members;
        let yv = d.year_values(2024);
        let on = Onset {
            elderly_age: 60,
            prob: 0.0,
        };
        let mut r_old = crate::rng::stream(12, 0, 0, crate::rng::Purpose::Demography);
        let mut r_new = crate::rng::stream(13, 0, 0, crate::rng::Purpose::Demography);
        let n = 200_000;
        // Per sample (old, new) and event (deaths, departures, quiet): sum and sum of squares.
        let (mut sum, mut sq) = ([[0.0f64; 3]; 2], [[0.0f64; 3]; 2]);
        for i in 0..n {
            let start = pm.household(&sc.simulation, 0, i);
            let st = &pm.strata.strata[start.stratum as usize];
            let mut a = start.clone();
            let u: [f64; MAX_MEMBERS] = std::array::from_fn(|_| r_old.random());
            let died = d.deaths_in(&mut a, &yv, &u);
            let left = d.migrate_in(&mut a, &yv, m, st, &mut r_old);
            let mut b = start.clone();
            let out = d.year_step(&mut b, &yv, m, st, on, &mut r_new);
            assert_eq!(out.onsets, 0);
            let counts = [
                [died, left, (died + left == 0) as u8],
                [out.died, out.left, out.is_quiet() as u8],
            ];
            for (k, c) in counts.iter().enumerate() {
                for (e, &x) in c.iter().enumerate() {
                    sum[k][e] += x as f64;
                    sq[k][e] += (x as f64).powi(2);
                }
            }
        }
        let nf = n as f64;
        for (e, name) in ["deaths", "departures", "quiet"].iter().enumerate() {
            let var = |k: usize| sq[k][e] - sum[k][e].powi(2) / nf;
            let se = (var(0) + var(1)).sqrt();
            assert!(
                sum[0][e] > 1000.0,
                "{name}: only {} in the old draws",
                sum[0][e]
            );
            assert!(
                (sum[0][e] - sum[1][e]).abs() < 4.0 * se,
                "{name}: old draws {} against one draw {} (se of the difference {se:.1})",
                sum[0][e],
                sum[1][e]
            );
        }
    }

    /// Births alone (no deaths, migration, arrivals or onset): over 200,000 default households
    /// with a birth rate of 5 % per member of parental age, the births are within four standard
    /// errors of their closed form, the sum over households of 1 − (1 − 0.05)^n (n the members
    /// aged 20–44 after the year's ageing; none in a household of `MAX_MEMBERS`), se = sqrt of
    /// the sum of p(1 − p); each child is one member aged 0 added at the end.
    #[test]
    fn births_follow_the_parents_of_the_household() {
        let (s, pm, mut d) = busy_year(false);
        d.params.rural_migration = false;
        d.params.mortality_factor = Schedule::constant(2020, 0.0);
        d.params.birth_rate = Schedule::constant(2020, 0.05);
        let m = &s.population.members;
        let yv = d.year_values(2024);
        let on = Onset::default();
        let mut rng = crate::rng::stream(14, 0, 0, crate::rng::Purpose::Demography);
        let (mut want, mut var, mut got) = (0.0f64, 0.0f64, 0u64);
        for i in 0..200_000 {
            let mut hh = pm.household(&s.simulation, 0, i);
            let before = hh.clone();
            let st = &pm.strata.strata[hh.stratum as usize];
            let n = hh
                .members()
                .iter()
                .filter(|p| (19..=43).contains(&p.age))
                .count();
            let p = if (hh.size as usize) < MAX_MEMBERS {
                1.0 - 0.95f64.powi(n as i32)
            } else {
                0.0
            };
            want += p;
            var += p * (1.0 - p);
            let out = d.age_and_step(&mut hh, &yv, m, st, on, &mut rng);
            got += out.born as u64;
            assert_eq!(hh.size, before.size + out.born);
            if out.born == 1 {
                assert_eq!(hh.members[hh.size as usize - 1], Member::default());
            }
            for (a, b) in hh.members().iter().zip(before.members()) {
                assert_eq!(a.age, (b.age + 1).min(m.max_age));
            }
        }
        let se = var.sqrt();
        assert!(want > 1000.0);
        assert!(
            (got as f64 - want).abs() < 4.0 * se,
            "births {got} against {want:.1} (se {se:.1})"
        );
    }

    /// Turning births on moves no other event: with every event on, each household's deaths,
    /// departures, onsets and arrival are the same with and without births (same stream),
    /// and only households that had a child differ in their members.
    #[test]
    fn births_move_no_other_draw() {
        let (s, pm, d0) = busy_year(true);
        let mut d1 = d0.clone();
        d1.params.birth_rate = Schedule::constant(2020, 0.05);
        let m = &s.population.members;
        let (y0, y1) = (d0.year_values(2024), d1.year_values(2024));
        let on = Onset {
            elderly_age: 60,
            prob: 0.05,
        };
        let mut born = 0;
        for i in 0..50_000 {
            let start = pm.household(&s.simulation, 0, i);
            let st = &pm.strata.strata[start.stratum as usize];
            let (mut a, mut b) = (start.clone(), start.clone());
            let mut ra = crate::rng::stream(15, 0, i, crate::rng::Purpose::Demography);
            let mut rb = ra.clone();
            let oa = d0.year_step(&mut a, &y0, m, st, on, &mut ra);
            let ob = d1.year_step(&mut b, &y1, m, st, on, &mut rb);
            assert_eq!(oa.born, 0);
            assert_eq!(YearOutcome { born: 0, ..ob }, oa);
            born += ob.born as u32;
            if ob.born == 0 {
                assert_eq!(a, b);
            } else {
                assert_eq!(&b.members()[..a.size as usize], a.members());
            }
        }
        assert!(born > 500, "{born} births");
    }

    #[test]
    fn yearly_probabilities_compound_to_the_tables_band_probabilities() {
        let d = demog(true);
        // Band 1-4: nqx = 0.002579 over 4 years.
        let four = 1.0 - (1.0 - d.q[2]).powi(4);
        assert!((four - 0.002579).abs() < 1e-9, "{four}");
        assert!((d.q[0] - 0.003811).abs() < 1e-12);
        // Band 85-89: nqx = 0.484013.
        let five = 1.0 - (1.0 - d.q[87]).powi(5);
        assert!((five - 0.484013).abs() < 1e-9);
        // Death risk rises with age past childhood.
        assert!(d.q[10] < d.q[40] && d.q[40] < d.q[70] && d.q[70] < d.q[95]);
        assert!(d.q[TOP_AGE] > 0.3 && d.q[TOP_AGE] < 1.0);
    }

    #[test]
    fn a_dead_member_leaves_and_the_survivors_keep_their_order() {
        let d = demog(true);
        let mut hh = crate::population::PopulationModel::new(
            &crate::scenario::load_str("", "t").unwrap().scenario,
            "t",
        )
        .unwrap()
        .household(
            &crate::scenario::load_str("", "t")
                .unwrap()
                .scenario
                .simulation,
            0,
            0,
        );
        hh.size = 3;
        hh.members[0] = Member {
            age: 80,
            ..Default::default()
        };
        hh.members[1] = Member {
            age: 50,
            ..Default::default()
        };
        hh.members[2] = Member {
            age: 20,
            ..Default::default()
        };
        // The 80-year-old draws 0 (dies), the others 0.999 (survive).
        let mut u = [0.999; MAX_MEMBERS];
        u[0] = 0.0;
        assert_eq!(d.deaths(&mut hh, 2023, &u), 1);
        assert_eq!(hh.size, 2);
        assert_eq!((hh.members[0].age, hh.members[1].age), (50, 20));
        // Everyone dies: size 0, for the caller to replace.
        assert_eq!(d.deaths(&mut hh, 2023, &[0.0; MAX_MEMBERS]), 2);
        assert_eq!(hh.size, 0);
    }

    #[test]
    fn rural_migration_takes_working_age_members_and_leaves_the_old_and_the_young() {
        let (s, t) = defaults();
        let m = &s.population.members;
        let rural = first(&t, Region::Rural);
        let urban = first(&t, Region::Urban);
        let ages = |hh: &Household| hh.members().iter().map(|p| p.age).collect::<Vec<_>>();
        let mut hh = crate::population::PopulationModel::new(&s, "t")
            .unwrap()
            .household(&s.simulation, 0, 0);
        hh.size = 4;
        for (i, a) in [75u8, 40, 30, 10].into_iter().enumerate() {
            hh.members[i] = Member {
                age: a,
                ..Default::default()
            };
        }
        let mut d = demog(true);
        // A decline so steep that every able adult leaves (p clamps to 1).
        d.params.rural_growth = Schedule::constant(2020, -1.0);
        let mut rng = crate::rng::stream(1, 0, 0, crate::rng::Purpose::Demography);
        // Off: nothing moves and nothing is drawn.
        let (before, fresh) = (hh.clone(), rng.clone());
        assert_eq!(d.migrate(&mut hh, 2024, m, rural, &mut rng), 0);
        assert_eq!(
            (&hh, rng.random::<u64>()),
            (&before, fresh.clone().random::<u64>())
        );
        d.params.rural_migration = true;
        let mut rng = fresh.clone();
        // Urban households stay, undrawn.
        assert_eq!(d.migrate(&mut hh, 2024, m, urban, &mut rng), 0);
        assert_eq!(rng.random::<u64>(), fresh.clone().random::<u64>());
        assert_eq!(d.migrate(&mut hh, 2024, m, rural, &mut rng), 2);
        assert_eq!((ages(&hh), hh.left), (vec![75, 10], 2));
        // No decline, no migration.
        d.params.rural_growth = Schedule::constant(2020, 0.01);
        hh.members[1].age = 30;
        hh.size = 2;
        assert_eq!(d.migrate(&mut hh, 2024, m, rural, &mut rng), 0);
        assert_eq!(hh.left, 2);
    }

    #[test]
    fn rural_migration_leaves_with_the_decline_over_the_share_who_may_migrate() {
        let (s, t) = defaults();
        let m = &s.population.members;
        let st = first(&t, Region::Rural);
        let mut d = demog(true);
        d.params.rural_migration = true;
        d.params.rural_growth = Schedule::constant(2020, -0.02);
        let p = 0.02 / migrant_share(st, m);
        let mut rng = crate::rng::stream(7, 0, 0, crate::rng::Purpose::Demography);
        let n = 20_000;
        let mut left = 0u32;
        for _ in 0..n {
            let mut hh = crate::population::PopulationModel::new(&s, "t")
                .unwrap()
                .household(&s.simulation, 0, 0);
            hh.size = 1;
            hh.members[0] = Member {
                age: 35,
                ..Default::default()
            };
            left += d.migrate(&mut hh, 2024, m, st, &mut rng) as u32;
        }
        // Binomial: tolerance four standard errors.
        let share = left as f64 / n as f64;
        let se = (p * (1.0 - p) / n as f64).sqrt();
        assert!(
            (share - p).abs() < 4.0 * se,
            "{share} against {p} (se {se})"
        );
    }

    #[test]
    fn a_severely_disabled_or_ill_adult_and_a_16_year_old_never_leave() {
        let (s, t) = defaults();
        let m = &s.population.members;
        assert!(
            m.working_age_min <= 16,
            "the test needs 16 to be of working age"
        );
        let rural = first(&t, Region::Rural);
        let mut d = demog(true);
        d.params.rural_migration = true;
        // So steep a decline that every eligible member leaves (p clamps to 1).
        d.params.rural_growth = Schedule::constant(2020, -1.0);
        let base = crate::population::PopulationModel::new(&s, "t")
            .unwrap()
            .household(&s.simulation, 0, 0);
        let mut rng = crate::rng::stream(3, 0, 0, crate::rng::Purpose::Demography);
        for _ in 0..200 {
            let mut hh = base.clone();
            hh.size = 5;
            hh.left = 0;
            let who = [
                (40u8, true, false),
                (40, false, true),
                (16, false, false),
                (17, false, false),
                (35, false, false),
            ];
            for (i, (age, dis, ill)) in who.into_iter().enumerate() {
                hh.members[i] = Member {
                    age,
                    severe_disability: dis,
                    severe_illness: ill,
                };
            }
            let before = rng.clone();
            assert_eq!(d.migrate(&mut hh, 2024, m, rural, &mut rng), 1);
            let left: Vec<_> = hh
                .members()
                .iter()
                .map(|p| (p.age, p.severe_disability, p.severe_illness))
                .collect();
            assert_eq!(left, who[..4].to_vec());
            assert_eq!(hh.left, 1);
            // MAX_MEMBERS draws whoever is eligible.
            let mut b = before;
            for _ in 0..MAX_MEMBERS {
                let _: f64 = b.random();
            }
            assert_eq!(rng.clone().random::<u64>(), b.random::<u64>());
        }
        // A single disabled person never empties the household by leaving.
        let mut hh = base.clone();
        hh.size = 1;
        hh.members[0] = Member {
            age: 40,
            severe_disability: true,
            ..Default::default()
        };
        assert_eq!(d.migrate(&mut hh, 2024, m, rural, &mut rng), 0);
        assert_eq!(hh.size, 1);
    }

    /// Scenario text `text` is refused, and the message names every one of `names`.
    fn refused(text: &str, names: &[&str]) {
        let e = crate::scenario::load_str(text, "t")
            .unwrap_err()
            .to_string();
        for name in names {
            assert!(e.contains(name), "{name} not in: {e}");
        }
    }

    /// `population.demography.KEY = true` loads with ageing, and without it is refused naming
    /// the key and ageing; returns the scenario text with the key on.
    fn refused_without_ageing(key: &str) -> String {
        let on = format!("[population.demography]\nenabled = true\n{key} = true\n");
        refused(
            &format!("{on}[population.members]\nageing = false\n"),
            &[
                &format!("population.demography.{key}"),
                "population.members.ageing",
            ],
        );
        assert!(crate::scenario::load_str(&on, "t").is_ok());
        on
    }

    #[test]
    fn migration_without_ageing_is_refused_naming_the_key() {
        refused_without_ageing("rural_migration");
    }

    #[test]
    fn retirement_income_without_ageing_is_refused_naming_the_key() {
        let on = refused_without_ageing("retirement_income");
        // Its multipliers outside 0-1 are refused, naming the key and the value.
        for (key, v) in [
            ("retirement_low_income_multiple", "1.5"),
            ("retirement_supported_low_income_multiple_urban", "-0.1"),
            ("retirement_supported_low_income_multiple_rural", "1.2"),
        ] {
            refused(
                &format!("{on}{key} = {v}\n"),
                &[&format!("population.demography.{key}"), v],
            );
        }
        // The supported retirees' multiplier reads tekun's parameters, with tekun on or off.
        let supported = format!("{on}retirement_supported_low_income_multiple_rural = 0.5\n");
        assert!(crate::scenario::load_str(&supported, "t").is_ok());
        assert!(crate::scenario::load_str(
            &format!("{supported}[programs.tekun]\nenabled = false\n"),
            "t"
        )
        .is_ok());
    }

    #[test]
    fn arrivals_replace_urban_households_at_the_arrival_share_of_the_growth() {
        let (_, t) = defaults();
        let (urban, rural) = (first(&t, Region::Urban), first(&t, Region::Rural));
        let mut d = demog(true);
        d.params.urban_growth = Schedule::constant(2020, 0.02);
        d.params.urban_arrival_share = 0.5;
        // Off: no arrivals and no draw.
        let mut rng = crate::rng::stream(5, 0, 0, crate::rng::Purpose::Demography);
        let fresh = rng.clone();
        assert_eq!(d.arrival_prob(2024), 0.0);
        assert!(!d.arrives(2024, urban, &mut rng));
        assert_eq!(rng.random::<u64>(), fresh.clone().random::<u64>());
        d.params.urban_arrivals = true;
        let p = 0.5 * 0.02 / 1.02;
        assert!((d.arrival_prob(2024) - p).abs() < 1e-15);
        // Rural households never arrive and draw nothing.
        let mut rng = fresh.clone();
        assert!(!d.arrives(2024, rural, &mut rng));
        assert_eq!(rng.random::<u64>(), fresh.clone().random::<u64>());
        // A shrinking or flat urban population has no arrivals.
        let mut flat = d.clone();
        flat.params.urban_growth = Schedule::constant(2020, -0.01);
        assert_eq!(flat.arrival_prob(2024), 0.0);
        // Binomial: the share replaced is p within four standard errors.
        let mut rng = fresh.clone();
        let n = 200_000;
        let hits = (0..n).filter(|_| d.arrives(2024, urban, &mut rng)).count();
        let share = hits as f64 / n as f64;
        let se = (p * (1.0 - p) / n as f64).sqrt();
        assert!(
            (share - p).abs() < 4.0 * se,
            "{share} against {p} (se {se})"
        );
    }

    #[test]
    fn an_arriving_household_is_able_working_adults_registered_elsewhere() {
        let (s, _) = defaults();
        let pm = crate::population::PopulationModel::new(&s, "t").unwrap();
        let m = &s.population.members;
        let urban = pm
            .strata
            .strata
            .iter()
            .position(|st| st.region == Region::Urban)
            .unwrap();
        let (mut adults, mut children, mut persons) = (0u32, 0u32, 0u32);
        for i in 0..5_000u64 {
            let mut rng = crate::rng::stream(9, 1, i, crate::rng::Purpose::Demography);
            let hh = pm.draw_arrival(&mut rng.clone(), 77, urban);
            // A pure function of its stream.
            assert_eq!(hh, pm.draw_arrival(&mut rng, 77, urban));
            assert!(hh.migrant && hh.left == 0 && hh.size >= 1);
            assert_eq!((hh.index, hh.stratum as usize), (77, urban));
            assert!(
                hh.members()[0].age >= MIGRANT_MIN_AGE,
                "the head is an adult"
            );
            assert!(hh.workers(m) >= 1);
            for p in hh.members() {
                assert!(!p.severe_disability && !p.severe_illness);
                assert!(p.age <= m.working_age_max, "no one past working age");
                if p.age >= MIGRANT_MIN_AGE {
                    assert!(can_work(p, m));
                    adults += 1;
                } else {
                    children += 1;
                }
                persons += 1;
            }
        }
        // Sizes come from the stratum (mean size within 5 %), and some bring children.
        let mean = persons as f64 / 5_000.0;
        let want = pm.strata.strata[urban].mean_size;
        assert!((mean / want - 1.0).abs() < 0.05, "{mean} against {want}");
        assert!(children > 0 && adults > children);
    }

    #[test]
    fn arrivals_without_ageing_or_a_share_outside_0_1_are_refused_naming_the_key() {
        let on = refused_without_ageing("urban_arrivals");
        refused(
            &format!("{on}urban_arrival_share = 1.5\n"),
            &["population.demography.urban_arrival_share", "1.5"],
        );
    }

    #[test]
    fn the_migrant_share_counts_able_adults_only() {
        let (s, t) = defaults();
        let m = &s.population.members;
        for st in &t.strata {
            let working = 1.0 - st.share_60plus - st.share_under16;
            let share = migrant_share(st, m);
            assert!(share > 0.0 && share < working, "{}: {share}", st.name);
        }
        let mut m0 = m.clone();
        m0.severe_illness_prevalence = 1.0;
        assert_eq!(migrant_share(&t.strata[0], &m0), 0.0);
    }

    #[test]
    fn mortality_factor_scales_the_probabilities() {
        let mut d = demog(true);
        d.params.mortality_factor = Schedule::constant(2020, 1.5);
        assert!((d.death_prob(70, 2025) - 1.5 * d.q[70]).abs() < 1e-15);
    }

    #[test]
    fn weights_follow_the_region_index_and_the_samples_persons() {
        let (s, t) = defaults();
        let mut sim = s.simulation.clone();
        sim.years = 3;
        let mut d = demog(true);
        d.params.urban_growth = Schedule::constant(2023, 0.02);
        d.params.rural_growth = Schedule::constant(2023, -0.03);
        let w = vec![2.0; t.strata.len()];
        // The sample loses a tenth of its persons each year.
        let persons = |_s: usize, y: usize| 100.0 * 0.9f64.powi(y as i32);
        let yw = d.year_weights(&t, &w, &sim, &[], persons);
        for (s, st) in t.strata.iter().enumerate() {
            let g = if st.region == Region::Urban {
                1.02f64
            } else {
                0.97
            };
            for y in 0..3 {
                // Weighted persons = start weighted persons x the region's index.
                let weighted = yw[s * 3 + y] * persons(s, y);
                assert!((weighted - 200.0 * g.powi(y as i32)).abs() < 1e-9);
            }
        }
        // Disabled: the start weights, bit for bit.
        let off = demog(false).year_weights(&t, &w, &sim, &[], persons);
        assert!(off.iter().all(|&x| x == 2.0));
    }

    /// A run from 2017 over 8 years, with population change on, urban growth +2 % and
    /// resident rural growth −3 % a year.
    fn backtest_2017() -> (SimulationParams, Demography) {
        let mut sim = defaults().0.simulation;
        sim.start_year = 2017;
        sim.years = 8;
        let mut d = demog(true);
        d.params.urban_growth = Schedule::constant(2013, 0.02);
        d.params.rural_growth = Schedule::constant(2013, -0.03);
        (sim, d)
    }

    #[test]
    fn a_table_year_after_the_start_puts_the_tables_population_in_that_year() {
        // A backtest from 2017 of a table of 2023: the index is 1 in 2023 and the start year's
        // population is 2023's moved back by the growth of 2018..=2023.
        let (sim, mut d) = backtest_2017();
        let plain = d.region_index(&sim);
        d.params.table_year = 2023;
        let ix = d.region_index(&sim);
        for (r, g) in [(0, 1.02f64), (1, 0.97)] {
            assert!((ix[r][6] - 1.0).abs() < 1e-12, "1 in the table's year");
            assert!((ix[r][0] - g.powi(-6)).abs() < 1e-12);
            for t in 0..8 {
                // Only the level moves: the path's year-to-year growth is the schedule's.
                assert!((ix[r][t] / plain[r][t] - ix[r][0]).abs() < 1e-12);
            }
        }
        // A table year before the start: the start year is that population grown since.
        d.params.table_year = 2015;
        let ix = d.region_index(&sim);
        assert!((ix[1][0] - 0.97f64.powi(2)).abs() < 1e-12);
        // 0: the start year's population is the table's (no byte differs).
        d.params.table_year = 0;
        assert_eq!(d.region_index(&sim), plain);
    }

    #[test]
    fn the_migrants_back_step_adds_back_the_able_adults_who_left_and_keeps_the_region_total() {
        // A backtest from 2017 of a 2023 table, rural growth −3 % a year: the start's able
        // adults are the table's over Π (1 − p), p = 0.03 / share, and the weights put the
        // moved-back persons on the larger sample.
        let (s, t) = defaults();
        let m = &s.population.members;
        let (sim, mut d) = backtest_2017();
        d.params.table_year = 2023;
        d.params.rural_migration = true;
        let st = first(&t, Region::Rural);
        assert_eq!(d.returned_per_able_adult(&sim, st, m), 0.0, "key off");
        d.params.rural_back_step_migrants = true;
        let share = migrant_share(st, m);
        let q = d.returned_per_able_adult(&sim, st, m);
        assert!(
            (q - ((1.0 - 0.03 / share).powi(-6) - 1.0)).abs() < 1e-12,
            "{q}"
        );
        assert_eq!(
            d.returned_per_able_adult(&sim, first(&t, Region::Urban), m),
            0.0
        );
        let f = d.start_person_factor(&sim, st, m);
        assert!((f - (1.0 + q * share)).abs() < 1e-12);
        // Weights: the start's weighted persons are the index times the table's persons.
        let w = vec![2.0; t.strata.len()];
        let factor: Vec<f64> = t
            .strata
            .iter()
            .map(|st| d.start_person_factor(&sim, st, m))
            .collect();
        let persons = |s: usize, _y: usize| 100.0 * factor[s];
        let yw = d.year_weights(&t, &w, &sim, &factor, persons);
        let ix = d.region_index(&sim);
        for (k, st) in t.strata.iter().enumerate() {
            let r = (st.region == Region::Rural) as usize;
            let weighted = yw[k * 8] * persons(k, 0);
            assert!((weighted - 200.0 * ix[r][0]).abs() < 1e-9);
        }
        // The adults added: ⌊q⌋ or one more per able adult, able and 18 to 59.
        let mut hh = Household::blank(0, 3, false);
        for (i, a) in [70u8, 40, 10].iter().enumerate() {
            hh.members[i].age = *a;
        }
        let mut rng = crate::rng::stream(4, 0, 0, crate::rng::Purpose::Returns);
        let (mut n, mut added) = (0u32, 0u32);
        for _ in 0..20_000 {
            let mut h = hh.clone();
            let a = d.add_returned(&mut h, 0.3, m, &mut rng);
            assert!(a <= 1 && h.size == 3 + a);
            for p in &h.members()[3..] {
                assert!(p.age >= MIGRANT_MIN_AGE && p.age <= m.working_age_max && can_work(p, m));
            }
            n += 1;
            added += a as u32;
        }
        let rate = added as f64 / n as f64;
        assert!((rate - 0.3).abs() < 0.015, "{rate}");
        // A run starting in the table's year adds nothing.
        let mut sim23 = sim.clone();
        sim23.start_year = 2023;
        assert_eq!(d.returned_per_able_adult(&sim23, st, m), 0.0);
    }

    #[test]
    fn a_migrants_back_step_without_migration_is_refused_naming_the_key() {
        let on = "[population.demography]\nenabled = true\nrural_back_step_migrants = true\n";
        let e = crate::scenario::load_str(on, "t").unwrap_err().to_string();
        assert!(
            e.contains("population.demography.rural_back_step_migrants"),
            "{e}"
        );
    }

    /// Census start ages need single-year ages, exclude the back-step, and need a start year and
    /// a table year the ages file holds; each refusal names its key, value and what is allowed.
    #[test]
    fn census_start_ages_are_refused_without_their_conditions_naming_the_key() {
        let (s, _) = defaults();
        let mut sim = s.simulation.clone();
        sim.start_year = 2017;
        let mut p = s.population.demography.clone();
        p.enabled = true;
        p.table_year = 2023;
        p.start_ages = StartAges::Census;
        let mut m = s.population.members.clone();
        let origin = std::collections::BTreeMap::new();
        let check = |p: &DemographyParams, sim: &SimulationParams, m: &MemberParams| {
            let mut c = Checker::new(&origin, "t");
            p.validate(&mut c, sim, m);
            c.error.map(|e| e.to_string())
        };
        let e = check(&p, &sim, &m).expect("uniform ages refused");
        assert!(
            e.contains("population.demography.start_ages") && e.contains("age_shape"),
            "{e}"
        );
        m.age_shape = crate::population::AgeShape::Census;
        assert_eq!(check(&p, &sim, &m), None);
        p.age_back_step = true;
        let e = check(&p, &sim, &m).expect("both refused");
        assert!(e.contains("start_ages") && e.contains("not both"), "{e}");
        p.age_back_step = false;
        sim.start_year = 2011;
        let e = check(&p, &sim, &m).expect("2011 refused");
        assert!(
            e.contains("simulation.start_year") && e.contains("2011") && e.contains("2013-2023"),
            "{e}"
        );
        // The table's year is read too: one the file does not hold is refused by its key.
        sim.start_year = 2017;
        p.table_year = 2024;
        let e = check(&p, &sim, &m).expect("table year 2024 refused");
        assert!(
            e.contains("population.demography.table_year") && e.contains("2024"),
            "{e}"
        );
        p.table_year = 2023;
        // A start in the table's year reads no start-year ages: nothing to refuse.
        sim.start_year = 2023;
        m.age_shape = crate::population::AgeShape::Uniform;
        assert_eq!(check(&p, &sim, &m), None);
    }

    /// A 2017 start with census start ages: each stratum's 60+ share is the table's times one
    /// national factor, below 1 (fewer elderly in 2017), the same for every stratum; a 2023
    /// start is untouched.
    #[test]
    fn census_start_ages_scale_every_strata_60plus_share_by_one_factor() {
        let (mut s, table) = defaults();
        s.population.members.age_shape = crate::population::AgeShape::Census;
        let d = &mut s.population.demography;
        d.enabled = true;
        d.table_year = 2023;
        d.start_ages = StartAges::Census;
        d.urban_growth = Schedule::constant(2013, 0.02);
        d.rural_growth = Schedule::constant(2013, -0.02);
        let s23 = s.clone();
        s.simulation.start_year = 2017;
        let pm = crate::population::PopulationModel::new(&s, "t").unwrap();
        let f: Vec<f64> = pm
            .strata
            .strata
            .iter()
            .zip(&table.strata)
            .map(|(a, b)| a.share_60plus / b.share_60plus)
            .collect();
        assert!(f[0] > 0.7 && f[0] < 0.95, "factor {}", f[0]);
        assert!(f.iter().all(|x| (x - f[0]).abs() < 1e-12));
        // The model's 60+ persons, each stratum's persons moved by its region's index, keep
        // the census's ratio of 2017 to 2023 when the rural strata are older (and, as the
        // rural index falls, larger in 2017).
        let mut older_rural = table.clone();
        for st in older_rural.strata.iter_mut() {
            st.share_60plus = if st.region == Region::Rural {
                0.3
            } else {
                0.15
            };
        }
        let at_table: f64 = older_rural
            .strata
            .iter()
            .map(|x| x.persons * x.share_60plus)
            .sum();
        let mut started = older_rural.clone();
        crate::population::PopulationModel::start_year_ages(
            &mut started,
            &pm.demography,
            &s.simulation,
            2017,
            "t",
        )
        .unwrap();
        let index = pm.demography.region_index(&s.simulation);
        assert!(index[1][0] > 1.05 && index[0][0] < 0.95, "{index:?}");
        let start: f64 = started
            .strata
            .iter()
            .map(|x| x.persons * x.share_60plus * index[usize::from(x.region == Region::Rural)][0])
            .sum();
        let model = start / at_table;
        let census = crate::population::ages::AgeTable::census_at(2017)
            .unwrap()
            .persons_from(60)
            / crate::population::ages::AgeTable::census_at(2023)
                .unwrap()
                .persons_from(60);
        assert!((model - census).abs() < 1e-9, "{model} against {census}");
        let pm23 = crate::population::PopulationModel::new(&s23, "t").unwrap();
        assert_eq!(
            pm23.strata.strata[0].share_60plus,
            table.strata[0].share_60plus
        );
    }

    #[test]
    fn a_registered_basis_moves_the_rural_index_and_migration_by_the_registered_series() {
        // The same backtest as above, the rural strata following the registered series.
        let (s, t) = defaults();
        let (sim, mut d) = backtest_2017();
        d.params.rural_registered_growth = Schedule::constant(2013, -0.01);
        d.params.table_year = 2023;
        let resident = d.region_index(&sim);
        d.params.rural_basis = RuralBasis::Registered;
        let registered = d.region_index(&sim);
        assert_eq!(
            registered[0], resident[0],
            "urban keeps the resident series"
        );
        assert!(
            (registered[1][6] - 1.0).abs() < 1e-12,
            "1 in the table's year"
        );
        assert!((registered[1][0] - 0.99f64.powi(-6)).abs() < 1e-12);
        assert!((registered[1][7] - 0.99).abs() < 1e-12);
        // Migration's rate follows the same series: with a decline of 1 % a year a rural
        // household's able adult leaves with probability 0.01 / share, three times fewer.
        let st = first(&t, Region::Rural);
        let share = migrant_share(st, &s.population.members);
        let yv = d.year_values(2020);
        assert!(
            (yv.rural_growth + 0.01).abs() < 1e-15,
            "{}",
            yv.rural_growth
        );
        assert!(share > 0.0);
        // Validation asks for the followed series only: an empty registered schedule fails,
        // an empty resident one does not.
        let origin = std::collections::BTreeMap::new();
        let mut c = Checker::new(&origin, "t");
        d.params.rural_registered_growth = Schedule::default();
        d.params.validate(&mut c, &sim, &s.population.members);
        let e = c
            .error
            .expect("an empty registered schedule fails")
            .to_string();
        assert!(
            e.contains("population.demography.rural_registered_growth"),
            "{e}"
        );
        d.params.rural_registered_growth = Schedule::constant(2013, -0.01);
        d.params.rural_growth = Schedule::default();
        let mut c = Checker::new(&origin, "t");
        d.params.validate(&mut c, &sim, &s.population.members);
        assert!(c.error.is_none(), "{:?}", c.error);
    }
}
