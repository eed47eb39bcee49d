//! Monthly dynamics: the income process (permanent + persistent AR(1) + transitory noise,
//! times the trend of incomes and prices), household shocks (hardship, illness, job loss,
//! disability onset) and the stratum-wide disaster shock that hits every household of a
//! stratum at once. Randomness comes only from the streams the engine hands in.

use crate::check::Checker;
use crate::population::demography::{DemogYear, Onset, YearOutcome};
use crate::population::{Household, MemberParams, PopulationModel, StrataTable};
use crate::rng::{
    month_stream, purpose_key, standard_normal, stream, unit_key, unit_stream, MonthRng, Purpose,
    StreamRng,
};
use crate::schedule::Schedule;
use crate::simulation::SimulationParams;
use rand::Rng;
use rand_distr::{Distribution, Exp1, StandardNormal};
use serde::{Deserialize, Serialize};

/// `dynamics.*`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DynamicsParams {
    pub income: IncomeProcess,
    pub prices: Prices,
    pub shocks: Shocks,
}

/// `dynamics.income.*`: log per-capita income = permanent + persistent + transitory + trend.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncomeProcess {
    /// Monthly AR(1) coefficient of the persistent component.
    pub persistent_rho: f64,
    /// Sd of its monthly innovation (log points).
    pub persistent_sd: f64,
    /// Sd of its starting value (log points).
    pub persistent_initial_sd: f64,
    /// Sd of monthly transitory noise (log points).
    pub transitory_sd: f64,
    /// Real per-capita income growth from year y−1 to y (share per year).
    pub growth: Schedule,
    /// Whether urban and rural strata follow their own growth (`growth_urban`,
    /// `growth_rural`) instead of the national `growth`, which still drives the national
    /// figures (income-indexed standards, the relative line).
    pub by_region: bool,
    /// Real per-capita income growth of urban strata from year y−1 to y (share per year),
    /// with `by_region`.
    pub growth_urban: Schedule,
    /// The same, rural strata.
    pub growth_rural: Schedule,
    /// Rural households of the poor areas and their own income growth.
    pub poor_area: PoorArea,
}

/// `dynamics.income.poor_area.*`: the rural households of the poor areas (the 832 formerly
/// poor counties), whose incomes grew faster than the rural mean (NBS rural poverty
/// monitoring). Being in them is a fixed trait of a rural household, drawn once, tilted to
/// the low end of its stratum's permanent incomes so that their mean is `income_ratio` of
/// the stratum's; they grow by `growth_gap` faster, the rest of the stratum so much slower
/// that the rural mean still follows `growth_rural` (or `growth`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoorArea {
    /// Share of each rural stratum's households in the poor areas, 0 to 0.99 (0 = off).
    pub share: f64,
    /// Their mean per-capita income relative to their stratum's in `table_year` (0.01–1).
    pub income_ratio: f64,
    /// Nominal per-capita income growth of the poor areas' rural residents less that of all
    /// rural residents, from year y−1 to y (share per year; with `share` > 0, a value for
    /// every year of the run after the first; no default, so that a run starting before a
    /// default's year cannot take it silently).
    #[serde(default)]
    pub growth_gap: Schedule,
    /// The year whose incomes the strata table holds: the poor areas stand at
    /// `income_ratio` then (at the run's first or last year when it lies outside the run).
    pub table_year: i32,
}

impl PoorArea {
    /// Whether the trait is drawn at all.
    pub fn on(&self) -> bool {
        self.share > 0.0
    }

    /// The lowest `income_ratio` a stratum of permanent log-income sd `sd` can reach:
    /// Φ(Φ⁻¹(share) − sd) / share, the poor areas then being its poorest `share` (ρ = 1).
    pub fn min_income_ratio(&self, sd: f64) -> f64 {
        normal_cdf(normal_quantile(self.share) - sd) / self.share
    }
}

/// `dynamics.prices.*`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prices {
    /// Price growth from year y−1 to y (share per year).
    pub inflation: Schedule,
}

/// `dynamics.shocks.*`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shocks {
    pub hardship: SpellShock,
    pub illness: IllnessShock,
    pub job_loss: SpellShock,
    pub disaster: SpellShock,
    pub disability_onset: DisabilityOnset,
}

/// A shock that multiplies income for a number of months.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpellShock {
    /// Chance per month (per household, or per stratum for disasters), 0–1.
    pub monthly_prob: f64,
    /// Income multiplier while the shock lasts (0–1).
    pub income_factor: f64,
    /// Months the shock lasts.
    pub duration_months: u8,
}

/// `dynamics.shocks.illness.*`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IllnessShock {
    /// Chance per household-month that a member falls severely ill, 0–1.
    pub monthly_prob: f64,
    /// Household income multiplier while ill (0–1).
    pub income_factor: f64,
    /// Months the illness lasts.
    pub duration_months: u8,
    /// Extra medical spending per month ill, in months of per-capita permanent income.
    pub medical_cost_months: f64,
}

/// `dynamics.shocks.disability_onset.*`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisabilityOnset {
    /// Chance per year that a person aged `elderly_age` or more becomes severely disabled.
    pub yearly_prob_elderly: f64,
    /// Age (years) from which the onset risk applies.
    pub elderly_age: u8,
}

fn check_spell(c: &mut Checker, key: &str, s: &SpellShock) {
    c.share(&format!("{key}.monthly_prob"), s.monthly_prob);
    c.share(&format!("{key}.income_factor"), s.income_factor);
    c.int_range(
        &format!("{key}.duration_months"),
        s.duration_months as i64,
        1,
        120,
    );
}

impl DynamicsParams {
    pub(crate) fn validate(&self, c: &mut Checker, sim: &SimulationParams) {
        let i = &self.income;
        c.range(
            "dynamics.income.persistent_rho",
            i.persistent_rho,
            -1.0,
            1.0,
            "an AR(1) coefficient",
        );
        c.range(
            "dynamics.income.persistent_sd",
            i.persistent_sd,
            0.0,
            5.0,
            "log points",
        );
        c.range(
            "dynamics.income.persistent_initial_sd",
            i.persistent_initial_sd,
            0.0,
            5.0,
            "log points",
        );
        c.range(
            "dynamics.income.transitory_sd",
            i.transitory_sd,
            0.0,
            5.0,
            "log points",
        );
        // The replay draws each household's past backward from its first month on the
        // stationary law (an AR(1) reversed in time has the same law only when stationary),
        // so the start's spread must be the stationary one.
        if sim.start == crate::simulation::Start::Replayed {
            let rho = i.persistent_rho;
            let stationary = i.persistent_sd / (1.0 - rho * rho).sqrt();
            let tol = STATIONARY_SD_TOLERANCE * stationary;
            if !(rho.abs() < 1.0 && (i.persistent_initial_sd - stationary).abs() <= tol) {
                c.fail(
                    "dynamics.income.persistent_initial_sd",
                    i.persistent_initial_sd,
                    format!(
                        "allowed with simulation.start = \"replayed\": the stationary sd \
                         persistent_sd / sqrt(1 - persistent_rho^2) = {stationary:.4} (within \
                         {:.0} %), with |persistent_rho| below 1: the replay draws the past on \
                         the stationary law",
                        100.0 * STATIONARY_SD_TOLERANCE
                    ),
                );
            }
        }
        let years = sim.start_year + 1..=sim.start_year + sim.years as i32 - 1;
        c.schedule(
            "dynamics.income.growth",
            &i.growth,
            years.clone(),
            -0.5,
            1.0,
            "a yearly growth rate",
        );
        if i.by_region {
            for (key, sched) in [
                ("dynamics.income.growth_urban", &i.growth_urban),
                ("dynamics.income.growth_rural", &i.growth_rural),
            ] {
                c.schedule(key, sched, years.clone(), -0.5, 1.0, "a yearly growth rate");
            }
        }
        let pa = &i.poor_area;
        c.range(
            "dynamics.income.poor_area.share",
            pa.share,
            0.0,
            0.99,
            "a share of the rural households (0 = off)",
        );
        if pa.on() {
            c.range(
                "dynamics.income.poor_area.income_ratio",
                pa.income_ratio,
                0.01,
                1.0,
                "their mean income relative to the stratum's",
            );
            c.schedule(
                "dynamics.income.poor_area.growth_gap",
                &pa.growth_gap,
                years.clone(),
                -0.5,
                0.5,
                "a yearly growth difference",
            );
            c.int_range(
                "dynamics.income.poor_area.table_year",
                pa.table_year as i64,
                1990,
                2100,
            );
        }
        c.schedule(
            "dynamics.prices.inflation",
            &self.prices.inflation,
            years,
            -0.5,
            1.0,
            "a yearly growth rate",
        );
        check_spell(c, "dynamics.shocks.hardship", &self.shocks.hardship);
        check_spell(c, "dynamics.shocks.job_loss", &self.shocks.job_loss);
        check_spell(c, "dynamics.shocks.disaster", &self.shocks.disaster);
        let il = &self.shocks.illness;
        c.share("dynamics.shocks.illness.monthly_prob", il.monthly_prob);
        c.share("dynamics.shocks.illness.income_factor", il.income_factor);
        c.int_range(
            "dynamics.shocks.illness.duration_months",
            il.duration_months as i64,
            1,
            120,
        );
        c.range(
            "dynamics.shocks.illness.medical_cost_months",
            il.medical_cost_months,
            0.0,
            120.0,
            "months of income",
        );
        c.share(
            "dynamics.shocks.disability_onset.yearly_prob_elderly",
            self.shocks.disability_onset.yearly_prob_elderly,
        );
    }
}

/// Year paths shared by all households of a replication.
#[derive(Debug, Clone)]
pub struct YearPaths {
    /// Nominal per-capita income multiplier of year t relative to the start year.
    pub income_index: Vec<f64>,
    /// Price level of year t relative to the start year.
    pub price_index: Vec<f64>,
    /// Nominal per-capita income multiplier of urban and rural strata (`[urban, rural]`):
    /// `income_index` itself unless `dynamics.income.by_region`.
    pub region_income_index: [Vec<f64>; 2],
    /// With `dynamics.income.poor_area`: who is in the poor areas, and their paths.
    pub poor_area: Option<PoorAreaPaths>,
}

/// The poor areas' trait and year paths (`dynamics.income.poor_area`).
#[derive(Debug, Clone)]
pub struct PoorAreaPaths {
    /// Φ⁻¹(share): the trait's threshold on its standard normal score.
    cut: f64,
    /// Φ⁻¹(share × income_ratio): where the threshold less ρσ must lie for their mean
    /// income to be `income_ratio` of the stratum's.
    cut_income: f64,
    /// Log multiplier of year t relative to the strata table: `[poor areas, rest of rural]`.
    pub ln: [Vec<f64>; 2],
}

impl PoorAreaPaths {
    /// The paths of `pa` over the run, given the rural nominal income index.
    fn new(pa: &PoorArea, sim: &SimulationParams, rural: &[f64]) -> PoorAreaPaths {
        let years = rural.len();
        let t0 = (pa.table_year - sim.start_year).clamp(0, years as i32 - 1) as usize;
        // The poor areas' income relative to the rural mean, 1 in the table's year: each
        // year it moves by (1 + g + gap) / (1 + g), g the rural nominal growth.
        let step = |t: usize| {
            let y = sim.start_year + t as i32;
            let g = rural[t] / rural[t - 1] - 1.0;
            1.0 + pa.growth_gap.at(y).expect("validated schedule") / (1.0 + g)
        };
        let mut rel = vec![1.0; years];
        for t in t0 + 1..years {
            rel[t] = rel[t - 1] * step(t);
        }
        for t in (0..t0).rev() {
            rel[t] = rel[t + 1] / step(t + 1);
        }
        // The rest keeps the rural mean: p ρ rel + (1 − p ρ) rest = 1, p ρ being the poor
        // areas' share of rural income in the table's year. That is the share they reach,
        // Φ(Φ⁻¹(p) − ρσ) in a stratum of permanent sd σ, in every stratum: `Model::new` refuses
        // a ratio below `min_income_ratio`, where ρ would have to exceed 1.
        let s = pa.share * pa.income_ratio;
        PoorAreaPaths {
            cut: normal_quantile(pa.share),
            cut_income: normal_quantile(s),
            ln: [
                rel.iter().map(|r| r.ln()).collect(),
                rel.iter()
                    .map(|r| ((1.0 - s * r) / (1.0 - s)).ln())
                    .collect(),
            ],
        }
    }

    /// Whether `hh` (of rural stratum `st`) is in the poor areas: w = ρ z + √(1 − ρ²) e < Φ⁻¹(share),
    /// z its permanent income's score in the stratum, e a normal of its own stream, and
    /// ρ = (Φ⁻¹(share) − Φ⁻¹(share × ratio)) / σ (at most 1 by validation), for which their mean
    /// permanent income is `ratio` of the stratum's (E[e^{σz} | w < c] = e^{σ²/2} Φ(c − ρσ) / Φ(c)).
    pub fn member(
        &self,
        hh: &Household,
        st: &crate::population::Stratum,
        seed: u64,
        rep: u32,
    ) -> bool {
        let sd = st.income_perm_sd.max(1e-9);
        let rho = ((self.cut - self.cut_income) / sd).clamp(0.0, 1.0);
        let z = (hh.log_income_perm - st.income_mu) / sd;
        let e: f64 = stream(seed, rep, hh.index, Purpose::PoorArea).sample(StandardNormal);
        rho * z + (1.0 - rho * rho).sqrt() * e < self.cut
    }

    /// The log multipliers by year of `hh`'s income relative to its stratum's index: `None`
    /// for urban households.
    pub fn of(
        &self,
        hh: &Household,
        st: &crate::population::Stratum,
        seed: u64,
        rep: u32,
    ) -> Option<&[f64]> {
        (st.region == crate::population::Region::Rural)
            .then(|| &self.ln[if self.member(hh, st, seed, rep) { 0 } else { 1 }][..])
    }
}

/// Φ(x), the standard normal distribution function.
fn normal_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
}

/// Φ⁻¹(p) for 0 < p < 1.
fn normal_quantile(p: f64) -> f64 {
    if p < 0.5 {
        -normal_upper_quantile(p)
    } else if p > 0.5 {
        normal_upper_quantile(1.0 - p)
    } else {
        0.0
    }
}

impl YearPaths {
    /// Compound the growth and inflation schedules over the horizon.
    pub fn new(d: &DynamicsParams, sim: &SimulationParams) -> YearPaths {
        let mut income_index = vec![1.0; sim.years as usize];
        let mut price_index = vec![1.0; sim.years as usize];
        for t in 1..sim.years as usize {
            let y = sim.start_year + t as i32;
            let g = d.income.growth.at(y).expect("validated schedule");
            let pi = d.prices.inflation.at(y).expect("validated schedule");
            price_index[t] = price_index[t - 1] * (1.0 + pi);
            income_index[t] = income_index[t - 1] * (1.0 + g) * (1.0 + pi);
        }
        let region_income_index = if d.income.by_region {
            [&d.income.growth_urban, &d.income.growth_rural].map(|g| {
                let mut index = vec![1.0; sim.years as usize];
                for t in 1..sim.years as usize {
                    let y = sim.start_year + t as i32;
                    let g = g.at(y).expect("validated schedule");
                    index[t] = index[t - 1]
                        * (1.0 + g)
                        * (1.0 + d.prices.inflation.at(y).expect("validated schedule"));
                }
                index
            })
        } else {
            [income_index.clone(), income_index.clone()]
        };
        let poor_area = d
            .income
            .poor_area
            .on()
            .then(|| PoorAreaPaths::new(&d.income.poor_area, sim, &region_income_index[1]));
        YearPaths {
            income_index,
            price_index,
            region_income_index,
            poor_area,
        }
    }

    /// The nominal income multiplier of year t for households of `region`.
    pub fn region_index(&self, region: crate::population::Region, t: usize) -> f64 {
        match region {
            crate::population::Region::Urban => self.region_income_index[0][t],
            crate::population::Region::Rural => self.region_income_index[1][t],
        }
    }
}

/// Logs of disaster income factors per (stratum, month), burn-in months first (0 = no disaster). Drawn once per
/// replication from each stratum's own common stream, so every household of a stratum sees
/// the same disaster: the common shock that widens real uncertainty.
#[derive(Debug, Clone)]
pub struct DisasterTable {
    months: usize,
    factor: Vec<f64>,
}

impl DisasterTable {
    /// Draw the table for replication `rep`.
    pub fn draw(
        d: &SpellShock,
        strata: &StrataTable,
        sim: &SimulationParams,
        rep: u32,
    ) -> DisasterTable {
        let months = (sim.burn_in_months + sim.months()) as usize;
        let mut factor = vec![0.0; months * strata.strata.len()];
        let ln_factor = d.income_factor.ln();
        if d.monthly_prob > 0.0 {
            for s in 0..strata.strata.len() {
                let mut rng = stream(sim.seed, rep, s as u64, Purpose::Common);
                let mut left = 0u8;
                for m in 0..months {
                    if rng.random::<f64>() < d.monthly_prob {
                        left = d.duration_months;
                    }
                    if left > 0 {
                        factor[s * months + m] = ln_factor;
                        left -= 1;
                    }
                }
            }
        }
        DisasterTable { months, factor }
    }

    /// The log factor for stratum `s`, month `m` counted from the start of burn-in.
    #[inline]
    pub fn ln_factor(&self, s: usize, m: usize) -> f64 {
        self.factor[s * self.months + m]
    }

    /// The row of log factors of stratum `s`.
    #[inline]
    pub fn row(&self, s: usize) -> &[f64] {
        &self.factor[s * self.months..(s + 1) * self.months]
    }
}

/// One household's income state as it moves month to month.
#[derive(Debug, Clone)]
pub struct IncomeState {
    persistent: f64,
    /// Months stepped so far, and the next month in which a shock starts or one in force
    /// ends (kept beside the clock, so the monthly test stays in registers). The first
    /// month always is one: it draws every kind's first waiting time.
    month: u32,
    next_change: u32,
    /// The window the persistent term is in (see [`Windows`]): the month it ends (first
    /// month after it), and per month, by the months k left after it, the persistent term
    /// on the bridge (a_k times the previous month's term plus b_k y + c_k z) and the
    /// transitory noise, drawn and chained when the window opened (so the monthly loop makes
    /// no call and waits on no multiply-add chain: it reads the month's term).
    win_end: u32,
    win_path: [f64; MAX_WINDOW],
    win_noise: [f64; MAX_WINDOW],
    /// Key of the windows' generators (`Purpose::Window`), one per (household, opening month).
    win_key: u64,
    clock: ShockClock,
    rng_income: StreamRng,
    rng_shocks: StreamRng,
    /// Deaths and replacement households (`population.demography`), so that turning
    /// population change on shifts no other draw. Seeded when first used: most scenarios
    /// never draw from it, and seeding costs as much as a few months.
    rng_demog: Option<StreamRng>,
    /// What the last January step did with population change on (deaths, births, ...);
    /// not reset without it.
    pub january: YearOutcome,
    /// The household's `rng::unit_key`, for seeding the demography and arrival streams.
    unit: u64,
}

/// What one month brings a household.
#[derive(Debug, Clone, Copy)]
pub struct MonthIncome {
    /// Log of true per-capita income, log yuan per person per month (nominal). Rules compare
    /// in logs and take `exp` only for households near a line, which most are not.
    pub log_per_capita: f64,
    /// Household shocks that started this month (bit flags of `programs::temporary::shock`).
    pub shock_kinds: u8,
    /// A member is severely ill this month (extra medical spending).
    pub ill: bool,
}

impl MonthIncome {
    /// True per-capita income, yuan per person per month.
    #[inline]
    pub fn per_capita(&self) -> f64 {
        self.log_per_capita.exp()
    }
}

impl IncomeState {
    /// Start a household's income process.
    pub fn new(
        _d: &DynamicsParams,
        hh: &Household,
        sim: &SimulationParams,
        rep: u32,
    ) -> IncomeState {
        // One key for the household's three streams here (one mix each after it).
        let unit = unit_key(sim.seed, rep, hh.index);
        let rates = ShockClock::rates(&_d.shocks);
        IncomeState::of_unit(hh, unit, rates)
    }

    /// [`IncomeState::new`] for a run that knows the household's `unit`
    /// (`rng::unit_key(sim.seed, rep, hh.index)`) and the shocks' rates ([`shock_rates`]),
    /// both taken once.
    #[inline]
    pub fn of_unit(hh: &Household, unit: u64, rates: ShockRates) -> IncomeState {
        IncomeState {
            persistent: hh.persistent0,
            month: 0,
            next_change: 0,
            win_end: 0,
            win_path: [0.0; MAX_WINDOW],
            win_noise: [0.0; MAX_WINDOW],
            win_key: purpose_key(unit, Purpose::Window),
            clock: ShockClock {
                rate: rates.rate,
                ln_factor: rates.ln_factor,
                ..ShockClock::default()
            },
            rng_income: unit_stream(unit, Purpose::Income),
            rng_shocks: unit_stream(unit, Purpose::Shocks),
            rng_demog: None,
            january: YearOutcome::default(),
            unit,
        }
    }

    /// Advance one month. `ln_index` is the log of the year's nominal income multiplier,
    /// `ln_disaster` the log of the stratum's disaster factor this month and `grid_end` the
    /// end of the window a month opening one here would open (see [`Windows`]: the next
    /// calendar year, disaster start or month after one). Draws per window: one normal from
    /// the income stream (the persistent term at the window's end); per month, from the
    /// window's own generator: one normal for the persistent term (none in a window's last
    /// month) and one if transitory noise is on. Household shocks carry their own waiting
    /// times (see [`ShockClock`]): one geometric draw per shock, none in the months between.
    /// The count of draws never depends on the household's income. `has_worker` (the
    /// household has someone able to work) is asked only in a month a job loss may start.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub fn step(
        &mut self,
        d: &DynamicsParams,
        w: &Windows,
        hh: &Household,
        has_worker: impl Fn() -> bool,
        ln_index: f64,
        ln_disaster: f64,
        grid_end: u32,
    ) -> MonthIncome {
        let n = self.month;
        let change = n == self.next_change;
        let started = if change {
            // `advance` reads it only when a job loss starts now (the first waiting times
            // not yet drawn, one may), so it is asked only then.
            let job_loss_now = !self.clock.drawn || self.clock.start[2] == n;
            let has_worker = job_loss_now && has_worker();
            let (started, next) =
                self.clock
                    .advance(n, &d.shocks, has_worker, &mut self.rng_shocks);
            self.next_change = next;
            started
        } else {
            0
        };
        if n == self.win_end {
            // A month of shock change is a window of its own, so the quiet months after it
            // start one that can be skipped.
            let end = if change {
                n + 1
            } else {
                grid_end.min(self.next_change)
            };
            let y = self.window_end_value(w, self.persistent, n, end);
            self.fill(d.income.transitory_sd, w, self.persistent, y, n, end);
            self.win_end = end;
        }
        self.income(hh, ln_index, ln_disaster, started)
    }

    /// The persistent term in the last month of the window `n..end` opening after `p`: one
    /// normal from the income stream.
    #[inline(always)]
    fn window_end_value(&mut self, w: &Windows, p: f64, n: u32, end: u32) -> f64 {
        let len = (end - n) as usize;
        let z = standard_normal(&mut self.rng_income);
        w.rho_pow[len] * p + w.s[len] * z
    }

    /// Draw the months of the window `n..end` from `p` (the term before it) to `y` from its
    /// own generator, month by month: the bridge's normal (none in the last month), then the
    /// transitory noise's (when it is on); the term's path is chained here, beside the
    /// draws, operation for operation as a month would step it.
    ///
    /// The last month (k = 0, no bridge normal) is peeled off the loop, so the loop's months
    /// test no `k > 0`; with no transitory noise the noise slots are left as they are: only
    /// this writes them, so they hold the 0.0 they started with.
    #[inline(never)]
    fn fill(&mut self, tsd: f64, w: &Windows, p: f64, y: f64, n: u32, end: u32) {
        let len = (end - n) as usize;
        if len == 0 {
            return;
        }
        let mut rng = month_stream(self.win_key, n as i32);
        // Slices of the window's length (at most `MAX_WINDOW`, as indexing checked before),
        // so the loop indexes them with no bounds check; the noise test taken once, outside.
        let bridge = &w.bridge[..len];
        let path = &mut self.win_path[..len];
        let noise = &mut self.win_noise[..len];
        let q = if tsd > 0.0 {
            chain::<true>(&mut rng, bridge, path, noise, tsd, p, y)
        } else {
            chain::<false>(&mut rng, bridge, path, noise, tsd, p, y)
        };
        // As a month of the loop with z = 0.0 (the same operations, so the same bits).
        let z = 0.0;
        let [a, b, c] = bridge[0];
        path[0] = a * q + (b * y + c * z);
        if tsd > 0.0 {
            let e = standard_normal(&mut rng);
            noise[0] = tsd * e;
        }
    }

    /// Step the quiet months of `range` (counted from the start of burn-in; `ln_disaster` and
    /// `grid_end` are indexed by them, as in [`step`](IncomeState::step)) while `fast(month,
    /// income)` holds: the numbers of `step`, month by month, with the state in locals.
    /// A window that opens here, is longer than one month and, on [`Windows::can_skip`]'s
    /// bound, stays at or above `ln_near` in every month with a probability of at least
    /// 1 − `simulation.skip_tolerance` (with no illness in force where `illness_matters`) is
    /// skipped whole: its months are taken as fast without drawing them (the window's end
    /// value was drawn when it opened, so the draws that follow are the same either way).
    /// Stops before the first month of shock change, or at the first month that is not
    /// fast, already stepped, which it returns with its income, and the months it skipped.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub fn run_quiet(
        &mut self,
        d: &DynamicsParams,
        w: &Windows,
        hh: &Household,
        ln_index: f64,
        ln_disaster: &[f64],
        grid_end: &[u32],
        range: std::ops::Range<usize>,
        ln_near: f64,
        illness_matters: bool,
        mut fast: impl FnMut(usize, &MonthIncome) -> bool,
    ) -> (usize, Option<MonthIncome>, u32) {
        let tsd = d.income.transitory_sd;
        let (shift, ill) = (self.clock.shift, self.clock.ill);
        let may_skip = w.skips && !(ill && illness_matters);
        // Log income less the persistent term, the disaster and the noise (as `income`).
        let level = hh.log_income_perm + ln_index + shift;
        // Quiet months left before the next change (none when this month is one).
        let quiet = self.next_change.saturating_sub(self.month) as usize;
        let end = range.end.min(range.start.saturating_add(quiet));
        // Cut to `end`, so the months below index them with no bounds check.
        let (ln_disaster, grid_end) = (&ln_disaster[..end], &grid_end[..end]);
        let mut p = self.persistent;
        let mut win_end = self.win_end as usize;
        let mut mb = range.start;
        let mut skipped = 0u32;
        let mut out = None;
        while mb < end {
            if mb == win_end {
                // No shock changes here: the window ends at the grid or the next change.
                let e = (grid_end[mb] as usize).min(self.next_change as usize);
                let y = self.window_end_value(w, p, mb as u32, e as u32);
                win_end = e;
                if may_skip && e <= end {
                    // Within a window the disaster factor can only rise (a start ends one).
                    let base = level + ln_disaster[mb].min(0.0) - ln_near;
                    if w.can_skip(e - mb, p, y, base) {
                        p = y;
                        skipped += (e - mb) as u32;
                        mb = e;
                        continue;
                    }
                }
                self.fill(tsd, w, p, y, mb as u32, e as u32);
            }
            // The window's months up to the end of the run: a loop with no call in it, that
            // reads each month's term (chained in `fill`).
            let stop = win_end.min(end);
            let mut q = p;
            while mb < stop {
                // As `income`.
                let k = (win_end - mb - 1).min(MAX_WINDOW - 1);
                q = self.win_path[k];
                let log_y = level + q + ln_disaster[mb] + self.win_noise[k];
                let mi = MonthIncome {
                    log_per_capita: log_y,
                    shock_kinds: 0,
                    ill,
                };
                if !fast(mb, &mi) {
                    out = Some(mi);
                    break;
                }
                mb += 1;
            }
            p = q;
            if out.is_some() {
                break;
            }
        }
        self.persistent = p;
        self.win_end = win_end as u32;
        self.month += (mb - range.start) as u32 + out.is_some() as u32;
        (mb, out, skipped)
    }

    /// The household's past as a replayed start (`simulation.start = "replayed"`) draws it
    /// ([`PastIncome`]), from the month last stepped: `has_worker` (job losses can start) and
    /// `ln_disaster_now` (this month's disaster factor, log) as they are now, and
    /// `simulation.replay_months` and `replay_band`.
    pub fn past_income<'a>(
        &self,
        d: &'a DynamicsParams,
        has_worker: bool,
        ln_disaster_now: f64,
        sim: &SimulationParams,
    ) -> PastIncome<'a> {
        let k = ((self.win_end - self.month) as usize).min(MAX_WINDOW - 1);
        let (p0, e0) = (self.persistent, self.win_noise[k]);
        PastIncome {
            d,
            unit: self.unit,
            rates: ShockRates {
                rate: self.clock.rate,
                ln_factor: self.clock.ln_factor,
            },
            persistent: p0,
            now: p0 + e0 + self.clock.shift + ln_disaster_now,
            has_worker,
            months: sim.replay_months,
            band: sim.replay_band,
        }
    }

    /// The month's income once the shocks are settled and its window is open: the
    /// persistent term steps on the bridge to the window's end value (its path chained when
    /// the window opened).
    #[inline(always)]
    fn income(
        &mut self,
        hh: &Household,
        ln_index: f64,
        ln_disaster: f64,
        started: u8,
    ) -> MonthIncome {
        let k = ((self.win_end - self.month - 1) as usize).min(MAX_WINDOW - 1);
        self.month += 1;
        self.persistent = self.win_path[k];
        // Adding 0.0 when no shock is in force leaves the income exact.
        let level = hh.log_income_perm + ln_index + self.clock.shift;
        let log_y = level + self.persistent + ln_disaster + self.win_noise[k];
        MonthIncome {
            log_per_capita: log_y,
            shock_kinds: started,
            ill: self.clock.ill,
        }
    }

    /// Yearly ageing, then, with `population.demography` off, disability onset (one uniform
    /// per member from the shocks stream when the risk is on); with it on, the year's events
    /// in the calendar year of `yv` (its values taken once, [`DemogYear`]) by
    /// [`Demography::year_step`](crate::population::demography::Demography::year_step): onset,
    /// deaths, in rural strata with `population.demography.rural_migration` able adults leaving
    /// for the towns, and in urban strata with `population.demography.urban_arrivals` whether an
    /// arriving household replaces it, all from the demography stream in one uniform when
    /// nothing happens (the arriving household from a stream of its own, `Purpose::Arrival`,
    /// per year). A household whose last
    /// member died is replaced by a new one drawn from its stratum (an arriving one by
    /// [`PopulationModel::draw_arrival`]), its persistent income drawn afresh: returns which
    /// ([`Renewal`]), so the caller starts its programs' standing anew; what happened is in
    /// [`IncomeState::january`] (with population change on). With
    /// `population.members.ageing` off, members stay as they are (no draw): the frozen
    /// demography of the steady-state check, where onset without deaths would only accumulate.
    /// `supported` says whether a household that retires has a supporter in a calendar year
    /// (`population.demography.retirement_supported_low_income_multiple_*`); asked of no other.
    #[inline]
    pub fn age_one_year(
        &mut self,
        d: &DynamicsParams,
        hh: &mut Household,
        m: &MemberParams,
        pop: &PopulationModel,
        yv: &DemogYear,
        supported: &dyn Fn(&Household, i32) -> bool,
    ) -> Renewal {
        if !m.ageing {
            return Renewal::Kept;
        }
        // Ageing alone (no onset risk, no population change), in line: most years of most
        // scenarios' households.
        if d.shocks.disability_onset.yearly_prob_elderly <= 0.0 && !pop.demography.enabled() {
            for p in hh.members[..hh.size as usize].iter_mut() {
                p.age = p.age.saturating_add(1).min(m.max_age);
            }
            return Renewal::Kept;
        }
        self.age_with_changes(d, hh, m, pop, yv, supported)
    }

    /// [`age_one_year`](IncomeState::age_one_year) with onset risk or population change.
    #[inline(never)]
    fn age_with_changes(
        &mut self,
        d: &DynamicsParams,
        hh: &mut Household,
        m: &MemberParams,
        pop: &PopulationModel,
        yv: &DemogYear,
        supported: &dyn Fn(&Household, i32) -> bool,
    ) -> Renewal {
        let on = &d.shocks.disability_onset;
        if !pop.demography.enabled() {
            let size = hh.size as usize;
            for p in hh.members[..size].iter_mut() {
                p.age = p.age.saturating_add(1).min(m.max_age);
                // Without population change, onset alone: one uniform per member.
                if on.yearly_prob_elderly > 0.0 {
                    let u: f64 = self.rng_shocks.random();
                    if p.age >= on.elderly_age && u < on.yearly_prob_elderly {
                        p.severe_disability = true;
                    }
                }
            }
            return Renewal::Kept;
        }
        // The streams of (seed, rep, hh.index): a replacing household keeps the index.
        let unit = self.unit;
        let rng = self
            .rng_demog
            .get_or_insert_with(|| unit_stream(unit, Purpose::Demography));
        let st = &pop.strata.strata[hh.stratum as usize];
        let onset = Onset {
            elderly_age: on.elderly_age,
            prob: on.yearly_prob_elderly.max(0.0),
        };
        // The members as the year started (with retirement income): whether the household had
        // earners is asked only of one left without any after the year, not of most.
        let before = pop
            .demography
            .params
            .retirement_income
            .then_some((hh.size, hh.members));
        // The members age as the year's walk reaches them.
        let year = pop.demography.age_and_step(hh, yv, m, st, onset, rng);
        self.january = year;
        // It retires when it had earners and has none after the year.
        let retires = before.is_some_and(|(size, members)| {
            hh.size > 0
                && !year.arrives
                && !pop.any_earner(hh, hh.members())
                && pop.any_earner(hh, &members[..size as usize])
        });
        if retires {
            // Its own stream per year, drawn only now: no other draw moves.
            let mut r = crate::rng::unit_year_stream(unit, Purpose::Retirement, yv.year);
            // Asked only of a household that retires: whether a supporter's transfers keep it
            // off the basic pension alone is the programs' fact (tekun's rule), not the
            // population's.
            let with_supporter = pop.demography.params.supported_retirees_differ()
                && !hh.no_worker_income
                && supported(hh, yv.year);
            pop.retire(hh, &mut r, yv.year, with_supporter);
        }
        let renewal = if year.arrives {
            // The arriving household from a stream of its own (per year).
            let mut a = crate::rng::unit_year_stream(unit, Purpose::Arrival, yv.year);
            *hh = pop.draw_arrival(&mut a, hh.index, hh.stratum as usize);
            hh.formed = yv.year as i16;
            Renewal::Arrived
        } else if hh.size > 0 {
            return Renewal::Kept;
        } else {
            *hh = pop.draw_household(rng, hh.index, hh.stratum as usize, yv.year);
            Renewal::Replaced
        };
        // The shock clock runs on: its waiting times are memoryless, so the new household's
        // next shocks are as likely as anyone's (a spell under way ends as scheduled).
        self.persistent = hh.persistent0;
        renewal
    }
}

/// What the January step did to a sample household (`IncomeState::age_one_year`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Renewal {
    /// The same household (members may have aged, died or left).
    Kept,
    /// Its last member died: a new household of its stratum took its place.
    Replaced,
    /// An arriving urban household took its place (`population.demography.urban_arrivals`);
    /// the household it replaced is still there, carried by the others' weights.
    Arrived,
}

/// Longest window of the persistent term: a calendar year (windows never cross one).
pub const MAX_WINDOW: usize = 12;

/// Relative tolerance 0–1 of `persistent_initial_sd` about the stationary sd at a replayed
/// start (the shipped defaults give it to four digits: 0.3291 against 0.32908).
const STATIONARY_SD_TOLERANCE: f64 = 0.01;

/// The months `len - 1` down to 1 of a window (`len` the slices' length) for
/// [`IncomeState::fill`]: the bridge's normal, the term chained from `p` to the window's end
/// value `y`, then (`NOISE`) the transitory noise's normal; returns the term at month 1.
#[inline(always)]
fn chain<const NOISE: bool>(
    rng: &mut MonthRng,
    bridge: &[[f64; 3]],
    path: &mut [f64],
    noise: &mut [f64],
    tsd: f64,
    p: f64,
    y: f64,
) -> f64 {
    let (path, noise) = (&mut path[..bridge.len()], &mut noise[..bridge.len()]);
    let mut q = p;
    for k in (1..bridge.len()).rev() {
        let z = standard_normal(rng);
        let [a, b, c] = bridge[k];
        q = a * q + (b * y + c * z);
        path[k] = q;
        if NOISE {
            let e = standard_normal(rng);
            noise[k] = tsd * e;
        }
    }
    q
}

/// The persistent income term drawn window by window, and the bound on which a quiet window
/// is skipped (`simulation.skip_tolerance`).
///
/// Months are grouped in windows that end at calendar-year boundaries (the burn-in in years
/// counted back from its end), at shock changes and disaster starts (each such month is a
/// window of its own): the grid depends on the household's shocks and the replication's
/// disasters, never on the scenario's programs. When a window of `w` months opens, the
/// persistent term's value in its last month is drawn first, y = rho^w p + S_w Z (one normal
/// from the income stream; S_w^2 = sd^2 (1 + rho^2 + ... + rho^(2(w-1)))); its months then
/// step on the AR(1) bridge to y, with normals from the window's own generator: given the
/// previous month's x and k months left after this one, v = a_k x + b_k y + c_k z. The path
/// has exactly the AR(1)'s law, and the draws after a window do not depend on whether its
/// months were stepped, so skipping a window changes no later draw and no other scenario's
/// (common random numbers hold) and an incidence pass that steps every month sees the same
/// incomes.
///
/// Skipping: given p and y, month j of the window has log income
/// base + m_j + (bridge deviation, variance V_j) + (transitory noise, tsd^2), with
/// m_j = A_j p + C_j y its conditional mean and base the household's other terms less
/// `ln_near`. By the union bound P(some month below `ln_near`) <=
/// sum_j Phi(-(base + m_j) / σ_j), σ_j = sqrt(V_j + tsd^2); the window is skipped when every
/// month clears its own margin, base + m_j >= z_w σ_j, with w Phi(-z_w) = tolerance solved
/// once per run, so the sum is at most the tolerance. (Each month's own margin, not the
/// largest one for every month: the months near the window's ends, whose bridge variance is
/// small, need less, which skips 3–4 % more household-months at the same tolerance.)
/// One-month windows are never skipped.
#[derive(Debug, Clone)]
pub struct Windows {
    /// rho^w, w = 0..=MAX_WINDOW.
    pub(crate) rho_pow: [f64; MAX_WINDOW + 1],
    /// S_w: sd of the persistent term after w months about its mean path (log points).
    pub(crate) s: [f64; MAX_WINDOW + 1],
    /// Bridge step (a_k, b_k, c_k) by the months k left after the step.
    pub(crate) bridge: [[f64; 3]; MAX_WINDOW],
    /// Per window length w and month j = 1..=w: (A_j, C_j) of the conditional mean.
    mean: [[[f64; 2]; MAX_WINDOW + 1]; MAX_WINDOW + 1],
    /// Per window length: the largest A_j (infinite when some A_j < 0: the quick test is off).
    a_max: [f64; MAX_WINDOW + 1],
    /// Per window length: the margin a skip needs (log points; infinite: never).
    need: [f64; MAX_WINDOW + 1],
    /// Per window length w and month j = 1..=w: the margin month j needs, z_w σ_j (log
    /// points; infinite: never).
    need_j: [[f64; MAX_WINDOW + 1]; MAX_WINDOW + 1],
    /// Some window may be skipped (the tolerance is above 0).
    pub(crate) skips: bool,
}

impl Windows {
    /// The tables of an income process; `tolerance` is the probability per skipped window
    /// that some month of it would have been below the line (0: never skip).
    pub fn new(inc: &IncomeProcess, tolerance: f64) -> Windows {
        let (rho, sd, tsd) = (inc.persistent_rho, inc.persistent_sd, inc.transitory_sd);
        let mut rho_pow = [1.0; MAX_WINDOW + 1];
        let mut var = [0.0; MAX_WINDOW + 1];
        for w in 1..=MAX_WINDOW {
            rho_pow[w] = rho_pow[w - 1] * rho;
            var[w] = rho * rho * var[w - 1] + sd * sd;
        }
        let s = var.map(f64::sqrt);
        let mut bridge = [[0.0, 1.0, 0.0]; MAX_WINDOW];
        for (k, b) in bridge.iter_mut().enumerate().skip(1) {
            *b = if var[k + 1] > 0.0 {
                [
                    rho * var[k] / var[k + 1],
                    rho_pow[k] * sd * sd / var[k + 1],
                    sd * s[k] / s[k + 1],
                ]
            } else {
                [rho, 0.0, 0.0]
            };
        }
        let mut mean = [[[0.0; 2]; MAX_WINDOW + 1]; MAX_WINDOW + 1];
        let mut need = [f64::INFINITY; MAX_WINDOW + 1];
        let mut need_j = [[f64::INFINITY; MAX_WINDOW + 1]; MAX_WINDOW + 1];
        let mut a_max = [0.0f64; MAX_WINDOW + 1];
        for w in 1..=MAX_WINDOW {
            let mut max_v: f64 = 0.0;
            // σ_j of the skip bound's month j.
            let mut sd_j = [0.0f64; MAX_WINDOW + 1];
            for j in 1..=w {
                // Cov(v_j, v_w) / Var(v_w) given p: rho^(w-j) S_j^2 / S_w^2.
                let c = if var[w] > 0.0 {
                    rho_pow[w - j] * var[j] / var[w]
                } else {
                    0.0
                };
                mean[w][j] = [rho_pow[j] - c * rho_pow[w], c];
                a_max[w] = if mean[w][j][0] < 0.0 || a_max[w] == f64::INFINITY {
                    f64::INFINITY
                } else {
                    a_max[w].max(mean[w][j][0])
                };
                let v = var[j] - c * rho_pow[w - j] * var[j];
                sd_j[j] = (v.max(0.0) + tsd * tsd).sqrt();
                max_v = max_v.max(v);
            }
            if tolerance > 0.0 && w >= 2 {
                let z = normal_upper_quantile(tolerance / w as f64);
                need[w] = z * (max_v + tsd * tsd).sqrt();
                for j in 1..=w {
                    // A month of no variance (the last, without transitory noise) is known:
                    // 1e-9 log points keep a rounding of its income from crossing the line.
                    need_j[w][j] = z * sd_j[j] + 1e-9;
                }
            }
        }
        Windows {
            rho_pow,
            s,
            bridge,
            mean,
            a_max,
            need,
            need_j,
            skips: tolerance > 0.0,
        }
    }

    /// A window of `w` months from persistent term `p` to `y` stays at or above the line, on
    /// the bound, when `base` (log income less the line, without the persistent term) is
    /// added to each month's conditional mean: every month j clears its own margin z_w σ_j.
    #[inline(always)]
    pub fn can_skip(&self, w: usize, p: f64, y: f64, base: f64) -> bool {
        // The middle month binds most often (its variance is the largest), the last (whose
        // mean is y itself) next: two comparisons turn most windows away. False when base is
        // NaN; a one-month window's margins are infinite.
        let h = w / 2;
        let [a, c] = self.mean[w][h];
        // One branch for both comparisons (`&`, not `&&`).
        if !((a * p + c * y + base >= self.need_j[w][h]) & (y + base >= self.need_j[w][w])) {
            return false;
        }
        // Sufficient on its own where every A_j >= 0 (rho >= 0): every month's mean clears
        // the largest margin, as m_j >= A_max min(p, 0) + min(y, 0) (C_j <= 1).
        let need = self.need[w] - base;
        if y >= need && self.a_max[w] * p.min(0.0) + y.min(0.0) >= need {
            return true;
        }
        self.mean[w][1..w]
            .iter()
            .zip(&self.need_j[w][1..w])
            .all(|(&[a, c], &n)| a * p + c * y + base >= n)
    }

    /// The margin over the line (log points) a window of `w` months needs to be skipped.
    pub fn need(&self, w: usize) -> f64 {
        self.need[w]
    }
}

/// z with P(Z > z) = q for a standard normal Z, 0 < q < 1/2 (bisection on libm's erfc:
/// done a dozen times per run).
fn normal_upper_quantile(q: f64) -> f64 {
    let (mut lo, mut hi) = (0.0f64, 40.0f64);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if 0.5 * libm::erfc(mid / std::f64::consts::SQRT_2) > q {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    hi
}

/// Per kind of household shock, what [`ShockClock`] would otherwise take per household: the
/// rate of its waiting times and the log of its income factor. Taken once per run
/// ([`shock_rates`]) and handed to [`IncomeState::of_unit`].
#[derive(Debug, Clone, Copy)]
pub struct ShockRates {
    rate: [f64; 3],
    ln_factor: [f64; 3],
}

/// A household's past before a replayed start's first month (`simulation.start = "replayed"`),
/// drawn only when a program asks for it ([`PastIncome::changes`]): a stationary past with
/// the household as it is now.
#[derive(Debug, Clone, Copy)]
pub struct PastIncome<'a> {
    d: &'a DynamicsParams,
    unit: u64,
    rates: ShockRates,
    /// The first month's persistent term, and its log income less the permanent part.
    persistent: f64,
    now: f64,
    has_worker: bool,
    months: u32,
    band: f64,
}

#[cfg(test)]
impl<'a> PastIncome<'a> {
    /// A past for the programs' unit tests: unit `unit`, the first month's persistent term
    /// `persistent` and log income less the permanent part `now`, a worker in the household.
    pub(crate) fn for_test(
        d: &'a DynamicsParams,
        unit: u64,
        persistent: f64,
        now: f64,
        months: u32,
        band: f64,
    ) -> PastIncome<'a> {
        PastIncome {
            d,
            unit,
            rates: shock_rates(&d.shocks),
            persistent,
            now,
            has_worker: true,
            months,
            band,
        }
    }
}

impl PastIncome<'_> {
    /// `simulation.replay_band`: log points above the standard beyond which a household's
    /// past is not replayed (it is taken as off the roll).
    pub fn band(&self) -> f64 {
        self.band
    }

    /// The log income of each past month less the first month's, the month before it first
    /// (`[j]` is the first month's index − 1 − j), `simulation.replay_months` of them. The
    /// persistent term is drawn backward from the first month's (a stationary AR(1) reversed
    /// in time has the same law), with fresh transitory noise; the household's shocks and its
    /// stratum's disasters are drawn forward over those months at their chances, from none in
    /// force and independently of the first month's, which are taken out. Draws from the
    /// household's replay stream only (`Purpose::Replay`), so no other draw moves.
    pub fn changes(&self) -> Box<[f64]> {
        let d = self.d;
        let n = self.months as usize;
        let mut rng = unit_stream(self.unit, Purpose::Replay);
        // This household's shocks, and disasters as its stratum's would come (at their
        // monthly chance, lasting their months), forward from the oldest month, with the run's
        // clock and waiting times: into `out` oldest last (`[j]` is month −1 − j).
        let mut out = vec![0.0; n].into_boxed_slice();
        let mut clock = ShockClock {
            rate: self.rates.rate,
            ln_factor: self.rates.ln_factor,
            ..ShockClock::default()
        };
        let dis = &d.shocks.disaster;
        let dis_rate = ShockClock::start_rate(dis.monthly_prob);
        let ln_dis = dis.income_factor.ln();
        let (mut next, mut dis_start, mut dis_end) =
            (0u32, ShockClock::next_start(&mut rng, dis_rate, 0), 0u32);
        for i in 0..n as u32 {
            if i == next {
                next = clock.advance(i, &d.shocks, self.has_worker, &mut rng).1;
            }
            if i == dis_start {
                dis_end = i + dis.duration_months as u32;
                dis_start = ShockClock::next_start(&mut rng, dis_rate, i + 1);
            }
            out[n - 1 - i as usize] = clock.shift + if i < dis_end { ln_dis } else { 0.0 };
        }
        // The persistent term backward from this month's, with fresh noise.
        let (rho, sd, tsd) = (
            d.income.persistent_rho,
            d.income.persistent_sd,
            d.income.transitory_sd,
        );
        let mut p = self.persistent;
        for o in out.iter_mut() {
            let z: f64 = StandardNormal.sample(&mut rng);
            let e: f64 = StandardNormal.sample(&mut rng);
            p = rho * p + sd * z;
            *o = p + tsd * e + *o - self.now;
        }
        out
    }
}

/// The [`ShockRates`] of `sh`.
pub fn shock_rates(sh: &Shocks) -> ShockRates {
    ShockClock::rates(sh)
}

/// When a household's shocks (hardship, illness, job loss) start and end. Each kind carries
/// its own waiting time to its next start, drawn from the shocks stream as a geometric
/// number of months (the months before the next start of a monthly chance `monthly_prob`,
/// exactly as a coin per month would give, for one draw per shock instead of one per month);
/// an ordinary month only compares its count with the next change.
#[derive(Debug, Clone, Default)]
struct ShockClock {
    /// The first waiting times are drawn.
    drawn: bool,
    /// Per kind: the rate of starts, -ln(1 - monthly chance) per month, and the log of its
    /// income factor (both taken once per run, [`shock_rates`]).
    rate: [f64; 3],
    ln_factor: [f64; 3],
    /// Per kind: month its next shock starts (`NEVER` when its chance is 0).
    start: [u32; 3],
    /// Per kind: first month after the shock in force (at or before the current month: none).
    end: [u32; 3],
    /// Sum of the log income factors of the shocks in force, in kind order.
    shift: f64,
    /// An illness is in force.
    ill: bool,
}

impl ShockClock {
    const NEVER: u32 = u32::MAX;

    /// Per kind (hardship, illness, job loss): the rate of starts, -ln(1 - monthly chance)
    /// per month (p = 1: an infinite rate, every month a start; p = 0: rate 0, never, with
    /// no `ln_1p` to take), and the log of the income factor.
    fn rates(sh: &Shocks) -> ShockRates {
        ShockRates {
            rate: [
                sh.hardship.monthly_prob,
                sh.illness.monthly_prob,
                sh.job_loss.monthly_prob,
            ]
            .map(Self::start_rate),
            ln_factor: [
                sh.hardship.income_factor,
                sh.illness.income_factor,
                sh.job_loss.income_factor,
            ]
            .map(f64::ln),
        }
    }

    /// The rate of starts of a monthly chance `p`: -ln(1 - p) per month (p = 1: infinite;
    /// p = 0: 0, with no `ln_1p` to take).
    #[inline(always)]
    fn start_rate(p: f64) -> f64 {
        if p == 0.0 {
            0.0
        } else {
            -(-p).ln_1p()
        }
    }

    /// The month of the next start at or after `from`, at `rate` starts a month: an
    /// exponential waiting time at rate -ln(1 - p), floored, is geometric with
    /// P(wait >= k) = (1 - p)^k, as a coin of chance p per month; NEVER for a rate of 0.
    #[inline(always)]
    fn next_start(rng: &mut StreamRng, rate: f64, from: u32) -> u32 {
        if rate <= 0.0 {
            return Self::NEVER;
        }
        let e: f64 = Exp1.sample(rng);
        // e / rate >= 0 (or +inf), so the cast's truncation is the floor (and `floor` is
        // a library call on the baseline target); NEVER is whole, so capping first is alike.
        let g = (e / rate).min(Self::NEVER as f64) as u64;
        (from as u64).saturating_add(g).min(Self::NEVER as u64) as u32
    }

    /// Month `n` is a month of change: start what starts (a job loss only with a worker in
    /// the household; the next one is drawn either way), draw the next waiting times, end
    /// what ends. Returns the kinds that start (bit flags of [`shock`]) and the next month of
    /// change.
    #[inline(never)]
    fn advance(&mut self, n: u32, sh: &Shocks, has_worker: bool, rng: &mut StreamRng) -> (u8, u32) {
        let kinds = [
            (
                sh.hardship.monthly_prob,
                sh.hardship.duration_months,
                shock::HARDSHIP,
            ),
            (
                sh.illness.monthly_prob,
                sh.illness.duration_months,
                shock::ILLNESS,
            ),
            (
                sh.job_loss.monthly_prob,
                sh.job_loss.duration_months,
                shock::JOB_LOSS,
            ),
        ];
        let wait = Self::next_start;
        if !self.drawn {
            self.drawn = true;
            for k in 0..kinds.len() {
                self.start[k] = wait(rng, self.rate[k], n);
            }
        }
        let mut started = 0u8;
        for (k, &(_, duration, flag)) in kinds.iter().enumerate() {
            if self.start[k] == n {
                if flag != shock::JOB_LOSS || has_worker {
                    self.end[k] = n + duration as u32;
                    started |= flag;
                }
                self.start[k] = wait(rng, self.rate[k], n + 1);
            }
        }
        self.shift = 0.0;
        let mut next = Self::NEVER;
        for ((&start, &end), &ln_f) in self.start.iter().zip(&self.end).zip(&self.ln_factor) {
            next = next.min(start);
            if n < end {
                self.shift += ln_f;
                next = next.min(end);
            }
        }
        self.ill = n < self.end[1];
        (started, next)
    }
}

/// Kinds of shock that start in a month, as bit flags.
pub mod shock {
    pub const HARDSHIP: u8 = 1;
    pub const ILLNESS: u8 = 2;
    pub const JOB_LOSS: u8 = 4;
    pub const DISASTER: u8 = 8;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A replayed start's past (`PastIncome::changes`) against closed forms, over 20,000
    /// households from a first month with persistent term p0 = 0 (and 0.5) and no noise, shock
    /// or disaster: without shocks, the change to month −1 − j has mean (ρ^(j+1) − 1) p0 and
    /// variance
    /// s² (1 − ρ^(2(j+1))) + σ_t² (s² = σ² / (1 − ρ²), the stationary variance: the AR(1)
    /// run backward); with shocks and disasters, months long after the oldest have mean
    /// Σ_k (1 − (1 − p_k)^(D_k)) ln f_k (a shock of chance p_k a month, lasting D_k months, in
    /// force). Tolerances: 4 Monte Carlo standard errors (of a mean, sd / √n; of a
    /// variance, var × √(2 / n)).
    #[test]
    fn a_replayed_past_has_the_laws_of_the_income_process_and_its_shocks() {
        let base = crate::scenario::load_str("", "t")
            .unwrap()
            .scenario
            .dynamics;
        let n = 20_000;
        // `p0`: this month's persistent term, also its log income (no noise, shock or
        // disaster now), so the change to month −1 − j has mean (ρ^(j+1) − 1) p0.
        let draw_from = |d: &DynamicsParams, j: usize, p0: f64| -> Vec<f64> {
            (0..n)
                .map(|u| {
                    let past = PastIncome {
                        d,
                        unit: unit_key(7, 0, u),
                        rates: shock_rates(&d.shocks),
                        persistent: p0,
                        now: p0,
                        has_worker: true,
                        months: 240,
                        band: 0.5,
                    };
                    past.changes()[j]
                })
                .collect()
        };
        let draw = |d: &DynamicsParams, j: usize| draw_from(d, j, 0.0);
        let mean_var = |x: &[f64]| {
            let m = x.iter().sum::<f64>() / x.len() as f64;
            let v = x.iter().map(|a| (a - m).powi(2)).sum::<f64>() / (x.len() - 1) as f64;
            (m, v)
        };
        let mut quiet = base.clone();
        for p in [
            &mut quiet.shocks.hardship.monthly_prob,
            &mut quiet.shocks.illness.monthly_prob,
            &mut quiet.shocks.job_loss.monthly_prob,
            &mut quiet.shocks.disaster.monthly_prob,
        ] {
            *p = 0.0;
        }
        let inc = &quiet.income;
        let (rho, tsd) = (inc.persistent_rho, inc.transitory_sd);
        let s2 = inc.persistent_sd.powi(2) / (1.0 - rho * rho);
        // From the mean (p0 = 0) and from a first month away from it (p0 = 0.5): the past is
        // drawn from this month's term (a replay that started every household at 0, or did
        // not take this month's income off, fails the second).
        for (p0, j) in [
            (0.0, 0usize),
            (0.0, 11),
            (0.0, 59),
            (0.0, 239),
            (0.5, 0),
            (0.5, 11),
            (0.5, 59),
        ] {
            let (m, v) = mean_var(&draw_from(&quiet, j, p0));
            let want_m = (rho.powi(j as i32 + 1) - 1.0) * p0;
            let want_v = s2 * (1.0 - rho.powi(2 * (j as i32 + 1))) + tsd * tsd;
            assert!(
                (m - want_m).abs() < 4.0 * (v / n as f64).sqrt(),
                "from {p0}, month -{}: mean {m}, closed form {want_m}",
                j + 1
            );
            assert!(
                (v - want_v).abs() < 4.0 * want_v * (2.0 / n as f64).sqrt(),
                "from {p0}, month -{}: variance {v}, closed form {want_v}",
                j + 1
            );
        }
        // With shocks: the most recent month, 239 months after the oldest (no shock lasts
        // that long, so the start's "none in force" is forgotten).
        let sh = &base.shocks;
        let in_force = |p: f64, d: u8| 1.0 - (1.0 - p).powi(d as i32);
        let want = in_force(sh.hardship.monthly_prob, sh.hardship.duration_months)
            * sh.hardship.income_factor.ln()
            + in_force(sh.illness.monthly_prob, sh.illness.duration_months)
                * sh.illness.income_factor.ln()
            + in_force(sh.job_loss.monthly_prob, sh.job_loss.duration_months)
                * sh.job_loss.income_factor.ln()
            + in_force(sh.disaster.monthly_prob, sh.disaster.duration_months)
                * sh.disaster.income_factor.ln();
        let (m, v) = mean_var(&draw(&base, 0));
        assert!(want < -0.005, "the shocks move the mean: {want}");
        assert!(
            (m - want).abs() < 4.0 * (v / n as f64).sqrt(),
            "mean {m}, closed form {want}"
        );
    }

    #[test]
    fn year_paths_compound_growth_and_prices() {
        let s = crate::scenario::load_str(
            "[dynamics.income]\ngrowth = { 2023 = 0.05 }\n[dynamics.prices]\ninflation = { 2023 = 0.02 }\n",
            "t",
        )
        .unwrap()
        .scenario;
        let p = YearPaths::new(&s.dynamics, &s.simulation);
        assert_eq!(p.income_index[0], 1.0);
        assert!((p.income_index[2] - (1.05f64 * 1.02).powi(2)).abs() < 1e-12);
        assert!((p.price_index[3] - 1.02f64.powi(3)).abs() < 1e-12);
    }

    #[test]
    fn regions_follow_their_own_growth_only_with_by_region() {
        let text = |on: bool| {
            format!("[dynamics.income]\nby_region = {on}\ngrowth = {{ 2023 = 0.05 }}\ngrowth_urban = {{ 2023 = 0.03 }}\ngrowth_rural = {{ 2023 = 0.08 }}\n[dynamics.prices]\ninflation = {{ 2023 = 0.02 }}\n")
        };
        let off = crate::scenario::load_str(&text(false), "t")
            .unwrap()
            .scenario;
        let p = YearPaths::new(&off.dynamics, &off.simulation);
        assert_eq!(
            p.region_income_index,
            [p.income_index.clone(), p.income_index.clone()]
        );
        let on = crate::scenario::load_str(&text(true), "t")
            .unwrap()
            .scenario;
        let p = YearPaths::new(&on.dynamics, &on.simulation);
        use crate::population::Region;
        assert!((p.region_index(Region::Urban, 2) - (1.03f64 * 1.02).powi(2)).abs() < 1e-12);
        assert!((p.region_index(Region::Rural, 2) - (1.08f64 * 1.02).powi(2)).abs() < 1e-12);
        assert!((p.income_index[2] - (1.05f64 * 1.02).powi(2)).abs() < 1e-12);
    }

    fn poor_area_scenario(extra: &str) -> crate::scenario::Scenario {
        crate::scenario::load_str(
            &format!(
                "[simulation]\nyears = 7\n[dynamics.income]\nby_region = true\ngrowth = {{ 2023 = 0.05 }}\ngrowth_urban = {{ 2023 = 0.04 }}\ngrowth_rural = {{ 2023 = 0.06 }}\n[dynamics.prices]\ninflation = {{ 2023 = 0.02 }}\n[dynamics.income.poor_area]\nshare = 0.3\nincome_ratio = 0.75\ngrowth_gap = {{ 2023 = 0.02 }}\ntable_year = 2026\n{extra}"
            ),
            "t",
        )
        .unwrap()
        .scenario
    }

    #[test]
    fn poor_areas_stand_at_the_ratio_in_the_table_year_and_keep_the_rural_mean() {
        let s = poor_area_scenario("");
        let p = YearPaths::new(&s.dynamics, &s.simulation);
        let pa = p.poor_area.as_ref().expect("on");
        // 2026 is t = 3: the table's incomes, for both groups.
        assert_eq!(pa.ln[0][3], 0.0);
        assert_eq!(pa.ln[1][3], 0.0);
        let step = (1.0 + 0.02 / (1.06 * 1.02f64)).ln();
        let share_income = 0.3 * 0.75;
        for t in 0..7 {
            // Before 2026 the poor areas were further behind, after it closer.
            assert!(
                (pa.ln[0][t] - (t as f64 - 3.0) * step).abs() < 1e-12,
                "t {t}"
            );
            // The rural mean is the stratum index's: p ρ rel + (1 − p ρ) rest = 1.
            let mean = share_income * pa.ln[0][t].exp() + (1.0 - share_income) * pa.ln[1][t].exp();
            assert!((mean - 1.0).abs() < 1e-12, "t {t}: {mean}");
        }
        // Off: no paths; a zero gap: every multiplier exactly 1.
        let off = poor_area_scenario("").dynamics.income.poor_area.clone();
        let mut d = s.dynamics.clone();
        d.income.poor_area = PoorArea { share: 0.0, ..off };
        assert!(YearPaths::new(&d, &s.simulation).poor_area.is_none());
        let zero = poor_area_scenario("").dynamics;
        let mut z = zero.clone();
        z.income.poor_area.growth_gap = Schedule::constant(2023, 0.0);
        let pz = YearPaths::new(&z, &s.simulation).poor_area.unwrap();
        assert!(pz.ln.iter().flatten().all(|&x| x == 0.0));
    }

    #[test]
    fn the_poor_area_trait_takes_its_share_from_the_low_end_of_a_stratum() {
        let s = poor_area_scenario("");
        let pop = PopulationModel::new(&s, "t").unwrap();
        let p = YearPaths::new(&s.dynamics, &s.simulation);
        let pa = p.poor_area.as_ref().unwrap();
        let (s_idx, st) = pop
            .strata
            .strata
            .iter()
            .enumerate()
            .find(|(_, st)| st.region == crate::population::Region::Rural)
            .unwrap();
        let n = 40_000u64;
        // The model's own expectation given each household's permanent score z:
        // P(member | z) = Φ((c − ρz) / √(1 − ρ²)). The count and the income inside are compared
        // with their expected sums, within 4 se of a sum of independent Bernoullis (the sample's
        // scores are not exactly the lognormal the threshold is set on: no-worker and
        // low-income households sit below it, which these expectations carry).
        let sd = st.income_perm_sd;
        let rho = (pa.cut - pa.cut_income) / sd;
        let (mut k, mut inc_in) = (0usize, 0.0);
        let (mut ek, mut vk, mut einc, mut vinc) = (0.0, 0.0, 0.0, 0.0);
        for i in 0..n {
            let mut rng = stream(7, 0, i, Purpose::Population);
            let hh = pop.draw_household(&mut rng, i, s_idx, 2023);
            let y = hh.log_income_perm.exp();
            let z = (hh.log_income_perm - st.income_mu) / sd;
            let p = normal_cdf((pa.cut - rho * z) / (1.0 - rho * rho).sqrt());
            ek += p;
            vk += p * (1.0 - p);
            einc += y * p;
            vinc += y * y * p * (1.0 - p);
            if pa.member(&hh, st, 7, 0) {
                k += 1;
                inc_in += y;
            }
            // Drawn once: the same household, the same answer.
            assert_eq!(pa.member(&hh, st, 7, 0), pa.member(&hh, st, 7, 0));
        }
        assert!(
            (k as f64 - ek).abs() < 4.0 * vk.sqrt(),
            "members {k}, expected {ek:.0} (se {:.0})",
            vk.sqrt()
        );
        assert!(
            (inc_in - einc).abs() < 4.0 * vinc.sqrt(),
            "their income {inc_in:.0}, expected {einc:.0} (se {:.0})",
            vinc.sqrt()
        );
        // That the formula's ρ gives the ratio on the lognormal is checked exactly in
        // `the_lowest_reachable_ratio_is_the_poorest_shares_and_the_cut_gives_it`.
        // An urban household is never in them.
        let (u_idx, ust) = pop
            .strata
            .strata
            .iter()
            .enumerate()
            .find(|(_, st)| st.region == crate::population::Region::Urban)
            .unwrap();
        let mut rng = stream(7, 0, 1, Purpose::Population);
        let hh = pop.draw_household(&mut rng, 1, u_idx, 2023);
        assert!(pa.of(&hh, ust, 7, 0).is_none());
    }

    #[test]
    fn the_lowest_reachable_ratio_is_the_poorest_shares_and_the_cut_gives_it() {
        let pa = |share, income_ratio| PoorArea {
            share,
            income_ratio,
            ..poor_area_scenario("").dynamics.income.poor_area
        };
        // The reviewer's cases at the baseline's rural sd 0.727: 0.35 at share 0.3, 0.467 at 0.5.
        assert!((pa(0.3, 0.75).min_income_ratio(0.727) - 0.3515).abs() < 1e-3);
        assert!((pa(0.5, 0.3).min_income_ratio(0.727) - 0.4671).abs() < 1e-3);
        // At the minimum, ρ = 1 exactly (the trait is the permanent score itself); above it
        // ρ < 1, and the share of income reached, Φ(c − ρσ), is share × ratio.
        for (share, sd) in [(0.3, 0.727), (0.5, 0.4), (0.1, 1.2)] {
            let min = pa(share, 0.5).min_income_ratio(sd);
            for (ratio, rho_max) in [(min, 1.0 + 1e-9), ((min + 1.0) / 2.0, 1.0)] {
                let p = PoorAreaPaths::new(
                    &pa(share, ratio),
                    &poor_area_scenario("").simulation,
                    &[1.0],
                );
                let rho = (p.cut - p.cut_income) / sd;
                assert!(
                    rho > 0.0 && rho <= rho_max,
                    "{share} {sd} {ratio}: rho {rho}"
                );
                let reached = normal_cdf(p.cut - rho * sd);
                assert!((reached - share * ratio).abs() < 1e-9, "{reached}");
            }
        }
    }

    #[test]
    fn bad_poor_area_keys_are_refused_naming_the_key() {
        let text = "[dynamics.income.poor_area]\nshare = 1.5\n";
        let e = crate::scenario::load_str(text, "t")
            .unwrap_err()
            .to_string();
        assert!(e.contains("dynamics.income.poor_area.share"), "{e}");
        // On, the gap needs a value for the year after the start (the defaults have no gap;
        // other keys fail too, the gap among them).
        let text = "[simulation]\nstart_year = 2020\n[dynamics.income]\ngrowth = { 2020 = 0.05 }\n[dynamics.prices]\ninflation = { 2020 = 0.02 }\n[dynamics.income.poor_area]\nshare = 0.3\n";
        let e = crate::scenario::load_str(text, "t")
            .unwrap_err()
            .to_string();
        assert!(e.contains("dynamics.income.poor_area.growth_gap"), "{e}");
        assert!(e.contains("2021"), "{e}");
        let off = text.replace("share = 0.3", "share = 0.0");
        let e = crate::scenario::load_str(&off, "t")
            .unwrap_err()
            .to_string();
        assert!(!e.contains("poor_area"), "checked only when on: {e}");
        // A 2023 start with no gap is refused (no default year is taken silently); given
        // one for 2024, accepted.
        let bare = "[dynamics.income.poor_area]\nshare = 0.3\n";
        let e = crate::scenario::load_str(bare, "t")
            .unwrap_err()
            .to_string();
        assert!(e.contains("dynamics.income.poor_area.growth_gap"), "{e}");
        assert!(e.contains("2024"), "{e}");
        let ok = "[dynamics.income.poor_area]\nshare = 0.3\ngrowth_gap = { 2024 = 0.0 }\n";
        assert!(crate::scenario::load_str(ok, "t").is_ok());
        let e = crate::scenario::load_str(&format!("{ok}income_ratio = 0.0\n"), "t")
            .unwrap_err()
            .to_string();
        assert!(e.contains("dynamics.income.poor_area.income_ratio"), "{e}");
    }

    #[test]
    fn regional_growth_needs_the_year_after_the_start_with_by_region() {
        // A 2020 start: the defaults' regional schedules begin in 2023, so 2021 has no value.
        let text = "[simulation]\nstart_year = 2020\n[dynamics.income]\nby_region = true\ngrowth = { 2020 = 0.05 }\ngrowth_urban = { 2020 = 0.05 }\n[dynamics.prices]\ninflation = { 2020 = 0.02 }\n";
        let e = crate::scenario::load_str(text, "t")
            .unwrap_err()
            .to_string();
        assert!(e.contains("dynamics.income.growth_rural"), "{e}");
        assert!(e.contains("2021"), "{e}");
        let off = text.replace("by_region = true", "by_region = false");
        let e = crate::scenario::load_str(&off, "t")
            .map(|_| String::new())
            .unwrap_or_else(|e| e.to_string());
        assert!(
            !e.contains("dynamics.income.growth_rural"),
            "checked only with by_region: {e}"
        );
    }

    /// Closed form: the expected deaths of a January are the sum over members of their death
    /// probability at their new age; the count of 40,000 households' deaths must fall within
    /// four binomial standard errors (sqrt of the sum of q(1 - q)) of it.
    #[test]
    fn deaths_in_a_year_match_the_sum_of_death_probabilities() {
        let s = crate::scenario::load_str("[population.demography]\nenabled = true\n", "t")
            .unwrap()
            .scenario;
        let pop = PopulationModel::new(&s, "t").unwrap();
        let m = &s.population.members;
        let (mut expected, mut var, mut died, mut replaced) = (0.0, 0.0, 0u64, 0u64);
        let mut persons = 0u64;
        for i in 0..40_000 {
            let mut hh = pop.household(&s.simulation, 0, i);
            let before = hh.size as u64;
            persons += before;
            for p in hh.members() {
                let q = pop
                    .demography
                    .death_prob(p.age.saturating_add(1).min(m.max_age), 2024);
                expected += q;
                var += q * (1.0 - q);
            }
            let mut inc = IncomeState::new(&s.dynamics, &hh, &s.simulation, 0);
            if inc.age_one_year(
                &s.dynamics,
                &mut hh,
                m,
                &pop,
                &pop.demography.year_values(2024),
                &|_, _| false,
            ) == Renewal::Replaced
            {
                died += before;
                replaced += 1;
                assert!(hh.size >= 1, "a replacement household has members");
                assert_eq!(hh.index, i);
            } else {
                died += before - hh.size as u64;
            }
        }
        let se = var.sqrt();
        assert!(
            (died as f64 - expected).abs() < 4.0 * se,
            "died {died}, expected {expected:.1} (se {se:.1})"
        );
        // The default mortality factor brings the start population's crude death rate to the
        // official 2024 rate, 7.76 per mille (history.csv), within 5 % (the divisor 14.61 was
        // computed from the strata table's age shares, not from this sample).
        let crude = expected / persons as f64;
        assert!(
            (crude / 0.00776 - 1.0).abs() < 0.05,
            "crude death rate {crude}"
        );
        assert!(replaced > 0, "some single elderly households die out");
    }

    #[test]
    fn no_deaths_without_population_change_or_ageing() {
        let s = crate::scenario::load_str(
            "[population.demography]\nenabled = true\n[population.members]\nageing = false\n",
            "t",
        )
        .unwrap()
        .scenario;
        let pop = PopulationModel::new(&s, "t").unwrap();
        let off = crate::scenario::load_str("", "t").unwrap().scenario;
        let pop_off = PopulationModel::new(&off, "t").unwrap();
        for i in 0..2_000 {
            for (s, pop) in [(&s, &pop), (&off, &pop_off)] {
                let mut hh = pop.household(&s.simulation, 0, i);
                let before = hh.clone();
                let mut inc = IncomeState::new(&s.dynamics, &hh, &s.simulation, 0);
                assert_eq!(
                    inc.age_one_year(
                        &s.dynamics,
                        &mut hh,
                        &s.population.members,
                        pop,
                        &pop.demography.year_values(2024),
                        &|_, _| false,
                    ),
                    Renewal::Kept
                );
                assert_eq!(hh.size, before.size);
            }
        }
    }

    /// The waiting times give each kind its monthly chance of a start, a spell of its
    /// duration, and no job loss without a worker. Tolerances: 5 binomial standard errors of
    /// the count of starts (about 1 %), so the test fails only on a real bias.
    #[test]
    fn shock_waiting_times_give_the_monthly_chance() {
        let s = crate::scenario::load_str(
            "[dynamics.shocks.hardship]\nmonthly_prob = 0.05\nincome_factor = 0.5\nduration_months = 1\n\
             [dynamics.shocks.illness]\nmonthly_prob = 0.02\nincome_factor = 0.8\nduration_months = 3\n\
             [dynamics.shocks.job_loss]\nmonthly_prob = 0.3\nincome_factor = 0.5\nduration_months = 2\n",
            "t",
        )
        .unwrap()
        .scenario;
        let sh = &s.dynamics.shocks;
        let n_months = 400_000u32;
        for has_worker in [true, false] {
            let r = shock_rates(sh);
            let mut clock = ShockClock {
                rate: r.rate,
                ln_factor: r.ln_factor,
                ..ShockClock::default()
            };
            let mut rng = stream(1, 0, 0, Purpose::Shocks);
            let (mut next, mut starts, mut ill) = (0u32, [0u32; 3], 0u32);
            for n in 0..n_months {
                if n == next {
                    let (started, nx) = clock.advance(n, sh, has_worker, &mut rng);
                    next = nx;
                    for (k, flag) in [shock::HARDSHIP, shock::ILLNESS, shock::JOB_LOSS]
                        .iter()
                        .enumerate()
                    {
                        starts[k] += (started & flag != 0) as u32;
                    }
                }
                ill += clock.ill as u32;
            }
            // `spell`: months are counted in runs of up to this many, which widens the sd of
            // the count by at most its square root.
            let close_in = |count: u32, p: f64, spell: f64| {
                let mean = p * n_months as f64;
                (count as f64 - mean).abs() < 5.0 * (spell * mean * (1.0 - p)).sqrt()
            };
            let close = |count: u32, p: f64| close_in(count, p, 1.0);
            assert!(close(starts[0], 0.05), "hardship {}", starts[0]);
            assert!(close(starts[1], 0.02), "illness {}", starts[1]);
            assert_eq!(starts[2] == 0, !has_worker, "job loss {}", starts[2]);
            if has_worker {
                assert!(close(starts[2], 0.3), "job loss {}", starts[2]);
            }
            // Ill in a month when a start fell in it or the two before: 1 - 0.98^3.
            let share = 1.0 - 0.98f64.powi(3);
            assert!(close_in(ill, share, 3.0), "ill months {ill}");
        }
    }

    /// One month of the AR(1) bridge to the window's end value `y`, `k` months before its end,
    /// from `v`: the bridge's normal (none in the last month), as `IncomeState::fill` draws it.
    fn bridge_next(w: &Windows, k: usize, v: f64, y: f64, rng: &mut StreamRng) -> f64 {
        let z: f64 = if k > 0 {
            StandardNormal.sample(rng)
        } else {
            0.0
        };
        let [a, b, c] = w.bridge[k];
        a * v + (b * y + c * z)
    }

    /// The persistent term drawn window by window (end value first, then the bridge) has the
    /// AR(1)'s law: from a fixed p, month j of a 12-month window has mean rho^j p, variance
    /// S_j^2 and covariance rho S_(j-1)^2 with the month before. 200,000 windows; tolerances
    /// 5 Monte Carlo standard errors (variance of a sample variance: 2 sigma^4 / n; of a
    /// sample covariance: (s_a^2 s_b^2 + c^2) / n).
    #[test]
    fn windows_give_the_ar1_path() {
        let mut inc = crate::scenario::load_str("", "t")
            .unwrap()
            .scenario
            .dynamics
            .income;
        (inc.persistent_rho, inc.persistent_sd, inc.transitory_sd) = (0.97, 0.08, 0.1);
        let w = Windows::new(&inc, 1e-9);
        let (n, len, p0) = (200_000usize, MAX_WINDOW, 0.4);
        let mut rng = stream(3, 0, 0, Purpose::Income);
        let mut sum = [0.0f64; MAX_WINDOW + 1];
        let mut sq = [0.0f64; MAX_WINDOW + 1];
        let mut cross = [0.0f64; MAX_WINDOW + 1];
        for _ in 0..n {
            let z: f64 = StandardNormal.sample(&mut rng);
            let y = w.rho_pow[len] * p0 + w.s[len] * z;
            let mut v = p0;
            for j in 1..=len {
                let prev = v;
                v = bridge_next(&w, len - j, v, y, &mut rng);
                let (dv, dp) = (v - w.rho_pow[j] * p0, prev - w.rho_pow[j - 1] * p0);
                sum[j] += dv;
                sq[j] += dv * dv;
                cross[j] += dv * dp;
            }
        }
        let nf = n as f64;
        for j in 1..=len {
            let var = w.s[j] * w.s[j];
            let mean = sum[j] / nf;
            assert!(
                mean.abs() < 5.0 * (var / nf).sqrt(),
                "month {j}: mean deviation {mean}"
            );
            let v = sq[j] / nf;
            assert!(
                (v - var).abs() < 5.0 * (2.0 * var * var / nf).sqrt(),
                "month {j}: variance {v}, AR(1) {var}"
            );
            let vp = w.s[j - 1] * w.s[j - 1];
            let cov = 0.97 * vp;
            let c = cross[j] / nf;
            assert!(
                (c - cov).abs() < 5.0 * ((var * vp + cov * cov) / nf).sqrt() + 1e-12,
                "month {j}: covariance {c}, AR(1) {cov}"
            );
        }
    }

    /// The skip bound holds: with a loose tolerance (1e-3), windows that `can_skip` lets
    /// through are run month by month from a stream of their own (the bridge and the
    /// transitory noise), and the share of them in which some month reaches the line must
    /// stay below the tolerance: at most tol + 4 binomial standard errors of the count.
    /// Starting points are spread so that many windows sit just above the bound (base drawn
    /// from need_w - 1 to need_w + 1 log points, p from the stationary law). Not vacuous:
    /// enough windows pass, and some that pass are near enough to the line that an
    /// unconditional walk would reach it.
    #[test]
    fn skipped_windows_reach_the_line_less_often_than_the_tolerance() {
        let defaults = crate::scenario::load_str("", "t")
            .unwrap()
            .scenario
            .dynamics
            .income;
        for (rho, sd, tsd) in [(0.97, 0.08, 0.1), (0.97, 0.08, 0.0), (0.5, 0.3, 0.2)] {
            let mut inc = defaults.clone();
            (inc.persistent_rho, inc.persistent_sd, inc.transitory_sd) = (rho, sd, tsd);
            let tol = 1e-3;
            let w = Windows::new(&inc, tol);
            let stationary = sd / (1.0f64 - rho * rho).sqrt();
            let mut rng = stream(5, 0, 0, Purpose::Income);
            let (mut passed, mut reached, mut tried) = (0u64, 0u64, 0u64);
            let mut close = 0u64;
            while passed < 300_000 {
                tried += 1;
                let len = 2 + (rng.random::<u32>() % (MAX_WINDOW as u32 - 1)) as usize;
                let zp: f64 = StandardNormal.sample(&mut rng);
                let p = stationary * zp;
                let z: f64 = StandardNormal.sample(&mut rng);
                let y = w.rho_pow[len] * p + w.s[len] * z;
                let base = w.need(len) + 2.0 * rng.random::<f64>() - 1.0 - p.min(y);
                if !w.can_skip(len, p, y, base) {
                    continue;
                }
                passed += 1;
                let mut v = p;
                let mut hit = false;
                let mut low = f64::INFINITY;
                for j in 1..=len {
                    v = bridge_next(&w, len - j, v, y, &mut rng);
                    let e: f64 = StandardNormal.sample(&mut rng);
                    let ly = base + v + tsd * e;
                    low = low.min(ly);
                    hit |= ly < 0.0;
                }
                reached += hit as u64;
                close += (low < 0.5 * w.need(len)) as u64;
            }
            let n = passed as f64;
            let limit = tol * n + 4.0 * (tol * n).sqrt();
            assert!(
                (reached as f64) <= limit,
                "rho {rho}, sd {sd}, tsd {tsd}: {reached} of {passed} skipped windows reached the line (limit {limit:.0})"
            );
            assert!(
                tried < 20 * passed,
                "too few windows pass: {passed} of {tried}"
            );
            assert!(close > 100, "no window came near the line: {close}");
        }
    }

    /// Each month's own margin skips every window the largest margin for every month did
    /// (min_j(base + m_j) >= need_w, the bound before), and more: random windows of every
    /// length from p, y and base spread around the margin.
    #[test]
    fn each_month_own_margin_skips_more_than_the_largest() {
        let inc = crate::scenario::load_str("", "t")
            .unwrap()
            .scenario
            .dynamics
            .income;
        let w = Windows::new(&inc, 1e-12);
        let mut rng = stream(9, 0, 0, Purpose::Income);
        let (mut old, mut new) = (0u32, 0u32);
        for _ in 0..200_000 {
            let len = 2 + (rng.random::<u32>() % (MAX_WINDOW as u32 - 1)) as usize;
            let p = 0.4 * rng.sample::<f64, _>(StandardNormal);
            let y = 0.4 * rng.sample::<f64, _>(StandardNormal);
            let base = w.need(len) + 0.6 * rng.sample::<f64, _>(StandardNormal);
            let low = (1..=len)
                .map(|j| w.mean[len][j][0] * p + w.mean[len][j][1] * y)
                .fold(f64::INFINITY, f64::min);
            let before = base + low >= w.need(len);
            let now = w.can_skip(len, p, y, base);
            assert!(now || !before, "len {len}, p {p}, y {y}, base {base}");
            old += before as u32;
            new += now as u32;
        }
        assert!(old > 1000 && new > old + old / 50, "{old} then, {new} now");
    }

    /// One-month windows and a tolerance of 0 never skip; the bound grows with the window.
    #[test]
    fn skip_bound_is_off_at_zero_and_grows_with_the_window() {
        let inc = crate::scenario::load_str("", "t")
            .unwrap()
            .scenario
            .dynamics
            .income;
        let off = Windows::new(&inc, 0.0);
        assert!(!off.can_skip(12, 0.0, 0.0, 1e6));
        let on = Windows::new(&inc, 1e-12);
        assert!(on.need(1).is_infinite() && !on.can_skip(1, 0.0, 0.0, 1e6));
        assert!(on.can_skip(12, 0.0, 0.0, 1e6));
        for w in 3..=MAX_WINDOW {
            assert!(on.need(w) > on.need(w - 1), "window {w}");
        }
        // 12 * Phi(-z) = 1e-12: z = 7.35 (tables), times sqrt(max bridge variance + 0.1^2).
        assert!(
            on.need(12) > 7.0 * 0.1 && on.need(12) < 7.5 * 0.3,
            "{}",
            on.need(12)
        );
    }

    #[test]
    fn disaster_hits_every_month_of_its_spell_and_is_reproducible() {
        let s = crate::scenario::load_str(
            "[dynamics.shocks.disaster]\nmonthly_prob = 0.05\nincome_factor = 0.5\nduration_months = 3\n",
            "t",
        )
        .unwrap()
        .scenario;
        let t = StrataTable::from_scenario(&s, "t").unwrap();
        let a = DisasterTable::draw(&s.dynamics.shocks.disaster, &t, &s.simulation, 0);
        let b = DisasterTable::draw(&s.dynamics.shocks.disaster, &t, &s.simulation, 0);
        assert_eq!(a.factor, b.factor);
        let hit = a.factor.iter().filter(|&&f| f < 0.0).count() as f64 / a.factor.len() as f64;
        // Stationary share of months under a 3-month spell with p = 0.05: about 1-(0.95)^3 = 0.14.
        assert!(hit > 0.10 && hit < 0.18, "{hit}");
    }
}
