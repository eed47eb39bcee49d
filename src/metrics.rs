//! Metrics: exact integer counters filled by the engine, the figures computed from them per
//! replication (cost, recipients, coverage, targeting errors, FGT poverty, entries, exits,
//! fall-back and fall-into-poverty rates, spell lengths), and their summary over replications
//! (mean, sd, p05, p50, p95).
//!
//! Counters hold money in fen and counts as whole numbers per (stratum, year, half-year), so
//! sums are exact and identical whatever the thread count or chunk size; survey weights are
//! applied only after the reduction, in a fixed order.

use crate::population::{Region, StrataTable};
use crate::scenario::{Checker, SimulationParams};
use crate::schedule::Schedule;
use serde::{Deserialize, Serialize};

/// `metrics.*`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsParams {
    /// Poverty line for FGT and poverty dynamics: "dibao_standard", "absolute" or "relative".
    pub poverty_line: String,
    /// Absolute line, yuan per person per month (nominal), by year.
    pub absolute_line: Schedule,
    /// Relative line as a share 0–1 of the reference median income.
    pub relative_share: f64,
    /// Reference median per-capita income in the start year, yuan per person per month; it
    /// grows with nominal incomes.
    pub relative_median_income: f64,
    /// Also report every province.
    pub by_province: bool,
}

impl MetricsParams {
    pub(crate) fn validate(&self, c: &mut Checker, sim: &SimulationParams) {
        c.one_of(
            "metrics.poverty_line",
            &self.poverty_line,
            &["dibao_standard", "absolute", "relative"],
        );
        if self.poverty_line == "absolute" {
            let years = sim.start_year..=sim.start_year + sim.years as i32 - 1;
            c.schedule(
                "metrics.absolute_line",
                &self.absolute_line,
                years,
                0.0,
                1e6,
                "yuan per person per month",
            );
        }
        c.share("metrics.relative_share", self.relative_share);
        c.range(
            "metrics.relative_median_income",
            self.relative_median_income,
            0.0,
            1e7,
            "yuan per person per month",
        );
    }

    /// The poverty line of year index `t`, given the stratum's standard and the income index.
    #[inline]
    pub fn line(
        &self,
        kind: LineKind,
        start_year: i32,
        t: usize,
        standard: f64,
        income_index: f64,
    ) -> f64 {
        match kind {
            LineKind::Standard => standard,
            LineKind::Absolute => self.absolute_line.at(start_year + t as i32).unwrap_or(0.0),
            LineKind::Relative => self.relative_share * self.relative_median_income * income_index,
        }
    }

    /// The kind of line, resolved once.
    pub fn line_kind(&self) -> LineKind {
        match self.poverty_line.as_str() {
            "absolute" => LineKind::Absolute,
            "relative" => LineKind::Relative,
            _ => LineKind::Standard,
        }
    }
}

/// Which poverty line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    Standard,
    Absolute,
    Relative,
}

/// Declares consecutive counter indices.
macro_rules! counters {
    ($($name:ident),* $(,)?) => { counters!(@ 0usize; $($name),*); };
    (@ $i:expr; $name:ident $(, $rest:ident)*) => {
        pub const $name: usize = $i;
        counters!(@ $i + 1; $($rest),*);
    };
    (@ $i:expr;) => {
        /// Offset of the assistance spell block (dibao or tekun), after the need histogram.
        pub const ASSIST: usize = $i - 1 + crate::programs::quota::NEED_BINS;
        /// Offset of the poverty spell block.
        pub const POVERTY: usize = ASSIST + super::SPELL_COUNTERS;
        /// Number of counters.
        pub const N: usize = POVERTY + super::SPELL_COUNTERS;
    };
}

/// Counter indices. Money in fen; gaps scaled by [`GAP_SCALE`]; everything else whole counts
/// (household-months, person-months, events).
pub mod c {
    counters!(
        HH_MONTHS,
        PERSON_MONTHS,
        // Costs by payer, fen.
        COST_DIBAO_FEN,
        COST_DIBAO_SINGLE_FEN,
        COST_TEKUN_FEN,
        COST_MARGINAL_FEN,
        COST_RIGID_FEN,
        COST_TEMPORARY_FEN,
        COST_SERVICES_FEN,
        COST_CHARITY_FEN,
        // Dibao recipients (single-person units included), and those covered alone.
        RECIP_HH_MONTHS,
        RECIP_PERSON_MONTHS,
        SINGLE_PERSON_MONTHS,
        TEKUN_HH_MONTHS,
        TEKUN_PERSON_MONTHS,
        TEKUN_INSTITUTION_PERSON_MONTHS,
        MARGINAL_HH_MONTHS,
        MARGINAL_PERSON_MONTHS,
        RIGID_HH_MONTHS,
        TEMP_CASES_PERSONS,
        TEMP_CASES_HH,
        SERVICE_PERSON_MONTHS,
        CHARITY_HH_MONTHS,
        // Charity claims by priority rank, fen (the first pass's demand).
        CHARITY_DEMAND_0,
        CHARITY_DEMAND_1,
        CHARITY_DEMAND_2,
        // Household-months on dibao and tekun at once: must stay 0.
        OVERLAP_DIBAO_TEKUN,
        STANDARD_PERSON_FEN,
        POOR_HH_MONTHS,
        POOR_RECIP_HH_MONTHS,
        ELIG_HH_MONTHS,
        ELIG_RECIP_HH_MONTHS,
        INELIG_RECIP_HH_MONTHS,
        PRE_POOR_HH_MONTHS,
        PRE_POOR_PERSON_MONTHS,
        PRE_GAP1,
        PRE_GAP2,
        POST_POOR_PERSON_MONTHS,
        POST_GAP1,
        POST_GAP2,
        // Essential (medical and education) spending of pre-transfer poor households, fen.
        ESSENTIAL_POOR_FEN,
        FALL_BASE,
        FALL_IN,
        WARNINGS,
        NEW_POOR,
        NEW_POOR_CAUGHT,
        SHOCK_ASSIST_MONTHS,
        SHOCK_ASSISTED,
        // Dibao household-months by assessed need (the quota's first pass), NEED_BINS bins.
        QUOTA_NEED_0,
    );
    /// First counter after the need histogram.
    pub const QUOTA_NEED_END: usize = QUOTA_NEED_0 + crate::programs::quota::NEED_BINS;
}

/// Counters per spell kind (assistance, poverty), at offsets from the block start.
pub mod spell {
    pub const ENTRIES: usize = 0;
    pub const EXITS: usize = 1;
    /// Re-entries within 12 months, windows cut at the horizon (the reference definition).
    pub const RE12_ALL: usize = 2;
    /// Exits whose 12/24/36-month window is fully observed, and their re-entries.
    pub const EXITS_OBS: [usize; 3] = [3, 4, 5];
    pub const RE_OBS: [usize; 3] = [6, 7, 8];
    pub const SPELLS_DONE: usize = 9;
    pub const SPELL_MONTHS: usize = 10;
}
/// Size of a spell block.
pub const SPELL_COUNTERS: usize = 11;
/// Fall-back windows, months.
pub const WINDOWS: [i32; 3] = [12, 24, 36];
/// Scale of poverty-gap counters (1e6 = a full gap for one person-month).
pub const GAP_SCALE: f64 = 1e6;

/// `x.round() as i64` (half away from zero), without a call: on a baseline x86-64 target
/// `f64::round` is a library function, and counters round several values every slow month.
/// Exact: for |x| < 2^52 the fraction `x - trunc(x)` is representable; above, x is whole.
#[inline(always)]
pub fn round_i64(x: f64) -> i64 {
    let t = x as i64;
    let f = x - t as f64;
    // Comparisons as integers, not branches: the fraction of a money amount is a coin toss.
    t.saturating_add((f >= 0.5) as i64 - (f <= -0.5) as i64)
}

/// Exact counters for one scenario: `[stratum][year][half] -> [i64; c::N]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Counters {
    pub strata: usize,
    pub years: usize,
    pub data: Vec<[i64; c::N]>,
    /// Benefit-incidence counters (empty unless asked for), see [`inc`].
    pub inc: Vec<i64>,
}

/// Benefit-incidence counters per (stratum, year, decile), fields at these offsets.
pub mod inc {
    /// Household-years.
    pub const HOUSEHOLDS: usize = 0;
    /// Person-years.
    pub const PERSONS: usize = 1;
    /// Cash received from every payer, fen.
    pub const CASH_FEN: usize = 2;
    /// Cash received minus what the same household received under the first scenario, fen.
    pub const GAIN_FEN: usize = 3;
    /// Household-years better off / worse off than under the first scenario.
    pub const GAINERS: usize = 4;
    pub const LOSERS: usize = 5;
    /// Person-months poor after transfers.
    pub const POOR_PERSON_MONTHS: usize = 6;
    /// Number of fields.
    pub const F: usize = 7;
    /// Deciles.
    pub const DECILES: usize = 10;
}

impl Counters {
    /// Turn on the benefit-incidence counters.
    pub fn with_incidence(mut self) -> Counters {
        self.inc = vec![0; self.strata * self.years * inc::DECILES * inc::F];
        self
    }

    /// Incidence field `f` of (stratum, year, decile).
    #[inline]
    pub fn inc_mut(&mut self, s: usize, t: usize, d: usize, f: usize) -> &mut i64 {
        &mut self.inc[((s * self.years + t) * inc::DECILES + d) * inc::F + f]
    }

    /// Incidence field `f` of (stratum, year, decile).
    pub fn inc_get(&self, s: usize, t: usize, d: usize, f: usize) -> i64 {
        self.inc[((s * self.years + t) * inc::DECILES + d) * inc::F + f]
    }

    /// Zeroed counters.
    pub fn new(strata: usize, years: usize) -> Counters {
        Counters {
            strata,
            years,
            data: vec![[0; c::N]; strata * years * 2],
            inc: Vec::new(),
        }
    }

    /// Slot of (stratum, year, half).
    #[inline]
    pub fn slot(&mut self, s: usize, t: usize, half: usize) -> &mut [i64; c::N] {
        &mut self.data[(s * self.years + t) * 2 + half]
    }

    /// Add another set of counters (exact: integer addition).
    pub fn merge(&mut self, other: &Counters) {
        for (x, y) in self.inc.iter_mut().zip(&other.inc) {
            *x += y;
        }
        for (a, b) in self.data.iter_mut().zip(&other.data) {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
    }

    /// Zeroed counters of the same shape.
    pub fn zeroed(&self) -> Counters {
        let c = Counters::new(self.strata, self.years);
        if self.inc.is_empty() {
            c
        } else {
            c.with_incidence()
        }
    }

    /// Move stratum `s`'s slots into `dst` (added), leaving them zero here. Incidence counters
    /// are not moved.
    pub fn drain_stratum_into(&mut self, s: usize, dst: &mut Counters) {
        let range = s * self.years * 2..(s + 1) * self.years * 2;
        for (a, b) in dst.data[range.clone()]
            .iter_mut()
            .zip(&mut self.data[range])
        {
            for (x, y) in a.iter_mut().zip(b.iter_mut()) {
                *x += *y;
                *y = 0;
            }
        }
    }

    fn get(&self, s: usize, t: usize, half: usize) -> &[i64; c::N] {
        &self.data[(s * self.years + t) * 2 + half]
    }

    /// Every counter as one flat list with its shape `[strata, years, halves, counters,
    /// incidence length]` (row-major, incidence last): the exact integers, for shard and
    /// checkpoint files.
    pub fn to_flat(&self) -> (Vec<usize>, Vec<i64>) {
        let mut v = Vec::with_capacity(self.data.len() * c::N + self.inc.len());
        for slot in &self.data {
            v.extend_from_slice(slot);
        }
        v.extend_from_slice(&self.inc);
        (vec![self.strata, self.years, 2, c::N, self.inc.len()], v)
    }

    /// The inverse of [`Counters::to_flat`]; `None` when the shape is not this build's (other
    /// counter count, no incidence of the expected size) or the length does not match it.
    pub fn from_flat(shape: &[usize], values: &[i64]) -> Option<Counters> {
        let &[strata, years, 2, n, inc_len] = shape else {
            return None;
        };
        let cells = strata.checked_mul(years)?.checked_mul(2)?;
        let expected_inc = strata * years * inc::DECILES * inc::F;
        if n != c::N
            || (inc_len != 0 && inc_len != expected_inc)
            || values.len() != cells.checked_mul(n)?.checked_add(inc_len)?
        {
            return None;
        }
        let mut out = Counters::new(strata, years);
        for (slot, chunk) in out.data.iter_mut().zip(values.chunks_exact(n)) {
            slot.copy_from_slice(chunk);
        }
        out.inc = values[cells * n..].to_vec();
        Some(out)
    }
}

/// Tracks one household's spells in a state (receiving assistance, or poor) month by month.
#[derive(Debug, Clone, Copy)]
pub struct SpellTracker {
    in_state: bool,
    start: i32,
    start_known: bool,
    last_exit: i32,
}

const NO_EXIT: i32 = i32::MIN;

impl SpellTracker {
    /// Start tracking at month 0 in the given state (a spell already running is left-censored).
    pub fn new(in_state: bool) -> SpellTracker {
        SpellTracker {
            in_state,
            start: 0,
            start_known: false,
            last_exit: NO_EXIT,
        }
    }

    /// Observe month `m` (≥ 1) of `months` and record entries, exits, re-entries and spells in
    /// the counters of block `base`. Exits and re-entries count in the year of the exit (the
    /// last month in the state).
    #[inline(always)]
    pub fn step(
        &mut self,
        m: i32,
        now: bool,
        months: i32,
        counters: &mut Counters,
        s: usize,
        base: usize,
    ) {
        if now != self.in_state {
            self.change(m, now, months, counters, s, base);
        }
    }

    #[inline(never)]
    fn change(
        &mut self,
        m: i32,
        now: bool,
        months: i32,
        counters: &mut Counters,
        s: usize,
        base: usize,
    ) {
        self.in_state = now;
        if now {
            let (t, h) = year_half(m);
            counters.slot(s, t, h)[base + spell::ENTRIES] += 1;
            if self.last_exit != NO_EXIT {
                let e = self.last_exit;
                let gap = m - e;
                let (te, he) = year_half(e);
                let slot = counters.slot(s, te, he);
                if gap <= 12 {
                    slot[base + spell::RE12_ALL] += 1;
                }
                for (i, w) in WINDOWS.iter().enumerate() {
                    if e + w < months && gap <= *w {
                        slot[base + spell::RE_OBS[i]] += 1;
                    }
                }
                self.last_exit = NO_EXIT;
            }
            self.start = m;
            self.start_known = true;
        } else {
            let e = m - 1;
            let (te, he) = year_half(e);
            let slot = counters.slot(s, te, he);
            slot[base + spell::EXITS] += 1;
            for (i, w) in WINDOWS.iter().enumerate() {
                if e + w < months {
                    slot[base + spell::EXITS_OBS[i]] += 1;
                }
            }
            if self.start_known {
                slot[base + spell::SPELLS_DONE] += 1;
                slot[base + spell::SPELL_MONTHS] += (e - self.start + 1) as i64;
            }
            self.last_exit = e;
        }
    }
}

/// Year index and half (0 = January–June) of month `m`.
#[inline]
pub fn year_half(m: i32) -> (usize, usize) {
    ((m / 12) as usize, ((m % 12) / 6) as usize)
}

/// Reporting period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// January to June.
    FirstHalf,
    /// The whole year.
    FullYear,
}

impl Period {
    /// Name in outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            Period::FirstHalf => "H1",
            Period::FullYear => "FY",
        }
    }
    fn months(self) -> f64 {
        match self {
            Period::FirstHalf => 6.0,
            Period::FullYear => 12.0,
        }
    }
}

/// A metric: its name, unit, whether it has a first-half figure, and how it is computed from
/// the weighted counters of a region and period.
pub struct MetricDef {
    pub name: &'static str,
    pub unit: &'static str,
    pub first_half: bool,
    pub compute: fn(&[f64; c::N], f64) -> f64,
    /// Disclosure control: from the UNWEIGHTED counters of a cell and its months, a lower bound
    /// on the number of distinct sample households behind the figure (see [`support`]).
    pub support: fn(&[f64; c::N], f64) -> f64,
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 {
        a / b
    } else {
        f64::NAN
    }
}

fn fallback(w: &[f64; c::N], base: usize, i: usize) -> f64 {
    ratio(w[base + spell::RE_OBS[i]], w[base + spell::EXITS_OBS[i]])
}

macro_rules! metric {
    ($name:literal, $unit:literal, $h1:literal, $f:expr) => {
        MetricDef {
            name: $name,
            unit: $unit,
            first_half: $h1,
            compute: $f,
            support: |w, m| support($name, w, m),
        }
    };
}

const BN: f64 = 100.0 * 1e9;

/// Disclosure control (used with microdata): how many distinct sample households metric
/// `name` rests on, from unweighted counters `w` summed over a cell of `m` months. A figure is
/// built from components (a cost total from each program's cost, a share from its numerator
/// and denominator, ...); the result is a lower bound on the households behind its smallest
/// non-empty component (0 when every component is empty, i.e. the figure is 0 or undefined),
/// so a figure is withheld whenever one of its parts would be. Bounds: a household-month
/// counter over `m`; a person counter further divided by the largest household; a monthly
/// event over `m`; a spell entry or exit (at most one every two months) over `ceil(m / 2)`.
/// Metrics not listed rest on every household of the region.
pub fn support(name: &str, w: &[f64; c::N], m: f64) -> f64 {
    let per = |i: usize| w[i] / m;
    let persons = |i: usize| w[i] / m / crate::population::MAX_MEMBERS as f64;
    let spell = |i: usize| w[i] / (m / 2.0).ceil();
    let smallest = |xs: &[f64]| {
        xs.iter()
            .copied()
            .filter(|x| *x > 0.0)
            .fold(0.0, |a: f64, x| if a == 0.0 { x } else { a.min(x) })
    };
    let all = per(c::HH_MONTHS);
    // Dibao recipient units: households, plus members covered alone.
    let regular = per(c::RECIP_HH_MONTHS) - per(c::SINGLE_PERSON_MONTHS);
    let dibao = smallest(&[regular, persons(c::SINGLE_PERSON_MONTHS)]);
    let tekun = per(c::TEKUN_HH_MONTHS);
    let temporary = per(c::TEMP_CASES_HH);
    let (marginal, rigid) = (per(c::MARGINAL_HH_MONTHS), per(c::RIGID_HH_MONTHS));
    let (services, charity) = (persons(c::SERVICE_PERSON_MONTHS), per(c::CHARITY_HH_MONTHS));
    let (a, p) = (c::ASSIST, c::POVERTY);
    let fallback = |base: usize, i: usize| {
        smallest(&[
            spell(base + spell::RE_OBS[i]),
            spell(base + spell::EXITS_OBS[i]),
        ])
    };
    match name {
        "cost_dibao" | "recipients_households" | "recipients_persons" | "benefit_per_recipient" => {
            dibao
        }
        "cost_dibao_single_person" | "recipients_single_person" => persons(c::SINGLE_PERSON_MONTHS),
        "cost_tekun" | "tekun_persons" | "tekun_households" => tekun,
        "tekun_institutional_persons" => persons(c::TEKUN_INSTITUTION_PERSON_MONTHS),
        "cost_special_marginal" | "marginal_households" | "marginal_persons" => marginal,
        "cost_special_rigid" | "rigid_households" => rigid,
        "cost_special" => smallest(&[marginal, rigid]),
        "cost_temporary" | "temporary_cases" | "temporary_households" => temporary,
        "cost_services" | "service_persons" => services,
        "cost_charity" | "charity_households" => charity,
        "cost_total" | "cost_government" => {
            smallest(&[dibao, tekun, marginal, rigid, temporary, services, charity])
        }
        "cost_dibao_tekun_temporary" => smallest(&[dibao, tekun, temporary]),
        "coverage_population" => smallest(&[dibao, tekun, all]),
        "coverage_poor" => smallest(&[per(c::POOR_RECIP_HH_MONTHS), per(c::POOR_HH_MONTHS)]),
        "exclusion_error" => smallest(&[
            per(c::ELIG_RECIP_HH_MONTHS),
            per(c::ELIG_HH_MONTHS) - per(c::ELIG_RECIP_HH_MONTHS),
        ]),
        "inclusion_error" => smallest(&[per(c::INELIG_RECIP_HH_MONTHS), regular]),
        "poor_persons_pre" | "essential_spending_poor" | "fgt0_pre" | "fgt1_pre" | "fgt2_pre" => {
            smallest(&[per(c::PRE_POOR_HH_MONTHS), all])
        }
        "fgt0_post" | "fgt1_post" | "fgt2_post" => {
            smallest(&[persons(c::POST_POOR_PERSON_MONTHS), all])
        }
        "assist_entries" => spell(a + spell::ENTRIES),
        "poverty_entries" => spell(p + spell::ENTRIES),
        "assist_exits" => spell(a + spell::EXITS),
        "poverty_exits" => spell(p + spell::EXITS),
        "assist_reentries_12m" => spell(a + spell::RE12_ALL),
        "fallback_assist_12m_truncated" => {
            smallest(&[spell(a + spell::RE12_ALL), spell(a + spell::EXITS)])
        }
        "assist_spell_months" => spell(a + spell::SPELLS_DONE),
        "poverty_spell_months" => spell(p + spell::SPELLS_DONE),
        "fall_into_poverty" => smallest(&[w[c::FALL_IN], w[c::FALL_BASE]]),
        "warnings" => per(c::WARNINGS),
        "new_poor_caught" => smallest(&[per(c::NEW_POOR_CAUGHT), per(c::NEW_POOR)]),
        "shock_to_assistance_months" => per(c::SHOCK_ASSISTED),
        "fallback_assist_12m" => fallback(a, 0),
        "fallback_assist_24m" => fallback(a, 1),
        "fallback_assist_36m" => fallback(a, 2),
        "fallback_poverty_12m" => fallback(p, 0),
        "fallback_poverty_24m" => fallback(p, 1),
        "fallback_poverty_36m" => fallback(p, 2),
        _ => all,
    }
}

fn cost_all(w: &[f64; c::N]) -> f64 {
    w[c::COST_DIBAO_FEN]
        + w[c::COST_TEKUN_FEN]
        + w[c::COST_MARGINAL_FEN]
        + w[c::COST_RIGID_FEN]
        + w[c::COST_TEMPORARY_FEN]
        + w[c::COST_SERVICES_FEN]
        + w[c::COST_CHARITY_FEN]
}

/// Every metric, in output order. Costs are in billion yuan over the period; stocks (recipients)
/// are monthly averages over the period; flows (entries, cases, warnings) are totals.
pub const METRICS: &[MetricDef] = &[
    metric!("cost_dibao", "billion yuan", true, |w, _| w
        [c::COST_DIBAO_FEN]
        / BN),
    metric!("cost_tekun", "billion yuan", true, |w, _| w
        [c::COST_TEKUN_FEN]
        / BN),
    metric!("cost_special_marginal", "billion yuan", true, |w, _| w
        [c::COST_MARGINAL_FEN]
        / BN),
    metric!("cost_special_rigid", "billion yuan", true, |w, _| w
        [c::COST_RIGID_FEN]
        / BN),
    metric!("cost_temporary", "billion yuan", true, |w, _| w
        [c::COST_TEMPORARY_FEN]
        / BN),
    metric!("cost_services", "billion yuan", true, |w, _| w
        [c::COST_SERVICES_FEN]
        / BN),
    metric!("cost_charity", "billion yuan", true, |w, _| w
        [c::COST_CHARITY_FEN]
        / BN),
    metric!("cost_total", "billion yuan", true, |w, _| cost_all(w) / BN),
    metric!("cost_government", "billion yuan", true, |w, _| (cost_all(
        w
    ) - w
        [c::COST_CHARITY_FEN])
        / BN),
    metric!("cost_special", "billion yuan", true, |w, _| (w
        [c::COST_MARGINAL_FEN]
        + w[c::COST_RIGID_FEN])
        / BN),
    metric!(
        "cost_dibao_tekun_temporary",
        "billion yuan",
        true,
        |w, _| { (w[c::COST_DIBAO_FEN] + w[c::COST_TEKUN_FEN] + w[c::COST_TEMPORARY_FEN]) / BN }
    ),
    metric!("cost_dibao_single_person", "billion yuan", true, |w, _| w
        [c::COST_DIBAO_SINGLE_FEN]
        / BN),
    metric!(
        "recipients_households",
        "million households",
        true,
        |w, m| w[c::RECIP_HH_MONTHS] / m / 1e6
    ),
    metric!("recipients_persons", "million persons", true, |w, m| w
        [c::RECIP_PERSON_MONTHS]
        / m
        / 1e6),
    metric!(
        "recipients_single_person",
        "million persons",
        true,
        |w, m| w[c::SINGLE_PERSON_MONTHS] / m / 1e6
    ),
    metric!("tekun_persons", "million persons", true, |w, m| w
        [c::TEKUN_PERSON_MONTHS]
        / m
        / 1e6),
    metric!("tekun_households", "million households", true, |w, m| w
        [c::TEKUN_HH_MONTHS]
        / m
        / 1e6),
    metric!(
        "tekun_institutional_persons",
        "million persons",
        true,
        |w, m| { w[c::TEKUN_INSTITUTION_PERSON_MONTHS] / m / 1e6 }
    ),
    metric!("marginal_households", "million households", true, |w, m| w
        [c::MARGINAL_HH_MONTHS]
        / m
        / 1e6),
    metric!("marginal_persons", "million persons", true, |w, m| w
        [c::MARGINAL_PERSON_MONTHS]
        / m
        / 1e6),
    metric!("rigid_households", "million households", true, |w, m| w
        [c::RIGID_HH_MONTHS]
        / m
        / 1e6),
    metric!("temporary_cases", "million person-times", true, |w, _| w
        [c::TEMP_CASES_PERSONS]
        / 1e6),
    metric!(
        "temporary_households",
        "million households",
        true,
        |w, _| w[c::TEMP_CASES_HH] / 1e6
    ),
    metric!("service_persons", "million persons", true, |w, m| w
        [c::SERVICE_PERSON_MONTHS]
        / m
        / 1e6),
    metric!("charity_households", "million households", true, |w, m| w
        [c::CHARITY_HH_MONTHS]
        / m
        / 1e6),
    metric!("overlap_dibao_tekun", "million households", true, |w, m| w
        [c::OVERLAP_DIBAO_TEKUN]
        / m
        / 1e6),
    metric!("coverage_population", "share", true, |w, _| ratio(
        w[c::RECIP_PERSON_MONTHS] + w[c::TEKUN_PERSON_MONTHS],
        w[c::PERSON_MONTHS]
    )),
    metric!("coverage_poor", "share", true, |w, _| ratio(
        w[c::POOR_RECIP_HH_MONTHS],
        w[c::POOR_HH_MONTHS]
    )),
    metric!("exclusion_error", "share", true, |w, _| 1.0
        - ratio(w[c::ELIG_RECIP_HH_MONTHS], w[c::ELIG_HH_MONTHS])),
    metric!("inclusion_error", "share", true, |w, _| ratio(
        w[c::INELIG_RECIP_HH_MONTHS],
        w[c::RECIP_HH_MONTHS] - w[c::SINGLE_PERSON_MONTHS]
    )),
    metric!("standard_average", "yuan/person/month", true, |w, _| ratio(
        w[c::STANDARD_PERSON_FEN] / 100.0,
        w[c::PERSON_MONTHS]
    )),
    metric!(
        "benefit_per_recipient",
        "yuan/person/month",
        true,
        |w, _| ratio(w[c::COST_DIBAO_FEN] / 100.0, w[c::RECIP_PERSON_MONTHS])
    ),
    metric!("population_persons", "million persons", true, |w, m| w
        [c::PERSON_MONTHS]
        / m
        / 1e6),
    metric!("poor_persons_pre", "million persons", true, |w, m| w
        [c::PRE_POOR_PERSON_MONTHS]
        / m
        / 1e6),
    metric!(
        "essential_spending_poor",
        "yuan/household/month",
        true,
        |w, _| ratio(w[c::ESSENTIAL_POOR_FEN] / 100.0, w[c::PRE_POOR_HH_MONTHS])
    ),
    metric!("fgt0_pre", "share", true, |w, _| ratio(
        w[c::PRE_POOR_PERSON_MONTHS],
        w[c::PERSON_MONTHS]
    )),
    metric!("fgt1_pre", "share", true, |w, _| ratio(
        w[c::PRE_GAP1] / GAP_SCALE,
        w[c::PERSON_MONTHS]
    )),
    metric!("fgt2_pre", "share", true, |w, _| ratio(
        w[c::PRE_GAP2] / GAP_SCALE,
        w[c::PERSON_MONTHS]
    )),
    metric!("fgt0_post", "share", true, |w, _| ratio(
        w[c::POST_POOR_PERSON_MONTHS],
        w[c::PERSON_MONTHS]
    )),
    metric!("fgt1_post", "share", true, |w, _| ratio(
        w[c::POST_GAP1] / GAP_SCALE,
        w[c::PERSON_MONTHS]
    )),
    metric!("fgt2_post", "share", true, |w, _| ratio(
        w[c::POST_GAP2] / GAP_SCALE,
        w[c::PERSON_MONTHS]
    )),
    metric!("assist_entries", "million households", true, |w, _| w
        [c::ASSIST + spell::ENTRIES]
        / 1e6),
    metric!("assist_exits", "million households", true, |w, _| w
        [c::ASSIST + spell::EXITS]
        / 1e6),
    metric!(
        "assist_reentries_12m",
        "million households",
        false,
        |w, _| w[c::ASSIST + spell::RE12_ALL] / 1e6
    ),
    metric!("fallback_assist_12m_truncated", "share", false, |w, _| {
        ratio(w[c::ASSIST + spell::RE12_ALL], w[c::ASSIST + spell::EXITS])
    }),
    metric!("fallback_assist_12m", "share", false, |w, _| fallback(
        w,
        c::ASSIST,
        0
    )),
    metric!("fallback_assist_24m", "share", false, |w, _| fallback(
        w,
        c::ASSIST,
        1
    )),
    metric!("fallback_assist_36m", "share", false, |w, _| fallback(
        w,
        c::ASSIST,
        2
    )),
    metric!("assist_spell_months", "months", false, |w, _| ratio(
        w[c::ASSIST + spell::SPELL_MONTHS],
        w[c::ASSIST + spell::SPELLS_DONE]
    )),
    metric!("poverty_entries", "million households", true, |w, _| w
        [c::POVERTY + spell::ENTRIES]
        / 1e6),
    metric!("poverty_exits", "million households", true, |w, _| w
        [c::POVERTY + spell::EXITS]
        / 1e6),
    metric!("fallback_poverty_12m", "share", false, |w, _| fallback(
        w,
        c::POVERTY,
        0
    )),
    metric!("fallback_poverty_24m", "share", false, |w, _| fallback(
        w,
        c::POVERTY,
        1
    )),
    metric!("fallback_poverty_36m", "share", false, |w, _| fallback(
        w,
        c::POVERTY,
        2
    )),
    metric!("poverty_spell_months", "months", false, |w, _| ratio(
        w[c::POVERTY + spell::SPELL_MONTHS],
        w[c::POVERTY + spell::SPELLS_DONE]
    )),
    metric!("fall_into_poverty", "share", false, |w, _| ratio(
        w[c::FALL_IN],
        w[c::FALL_BASE]
    )),
    metric!("warnings", "million households", true, |w, _| w
        [c::WARNINGS]
        / 1e6),
    metric!("new_poor_caught", "share", false, |w, _| ratio(
        w[c::NEW_POOR_CAUGHT],
        w[c::NEW_POOR]
    )),
    metric!("shock_to_assistance_months", "months", false, |w, _| ratio(
        w[c::SHOCK_ASSIST_MONTHS],
        w[c::SHOCK_ASSISTED]
    )),
];

/// A reporting region: a name and its strata.
#[derive(Debug, Clone)]
pub struct RegionSet {
    pub name: String,
    pub strata: Vec<usize>,
}

/// National, urban, rural and, on request, every province.
pub fn regions(strata: &StrataTable, by_province: bool) -> Vec<RegionSet> {
    let all: Vec<usize> = (0..strata.strata.len()).collect();
    let of = |r: Region| {
        all.iter()
            .copied()
            .filter(|&i| strata.strata[i].region == r)
            .collect::<Vec<_>>()
    };
    let mut out = vec![
        RegionSet {
            name: "national".into(),
            strata: all.clone(),
        },
        RegionSet {
            name: "urban".into(),
            strata: of(Region::Urban),
        },
        RegionSet {
            name: "rural".into(),
            strata: of(Region::Rural),
        },
    ];
    if by_province {
        let mut seen: Vec<String> = Vec::new();
        for s in &strata.strata {
            if !s.province.is_empty() && !seen.contains(&s.province) {
                seen.push(s.province.clone());
            }
        }
        for p in seen {
            let idx = all
                .iter()
                .copied()
                .filter(|&i| strata.strata[i].province == p)
                .collect();
            out.push(RegionSet {
                name: format!("province:{p}"),
                strata: idx,
            });
        }
    }
    out
}

/// One figure of one replication.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    pub year: i32,
    pub period: Period,
    pub region: usize,
    pub metric: usize,
    /// NaN when undefined (an empty denominator).
    pub value: f64,
}

/// Every figure of one replication, in a fixed order: year, period, region, metric.
pub fn figures(
    counters: &Counters,
    weights: &[f64],
    regions: &[RegionSet],
    start_year: i32,
) -> Vec<Figure> {
    let mut out = Vec::new();
    for t in 0..counters.years {
        for period in [Period::FirstHalf, Period::FullYear] {
            for (ri, r) in regions.iter().enumerate() {
                let mut w = [0.0f64; c::N];
                for &s in &r.strata {
                    let halves: &[usize] = if period == Period::FirstHalf {
                        &[0]
                    } else {
                        &[0, 1]
                    };
                    for &h in halves {
                        let slot = counters.get(s, t, h);
                        for k in 0..c::N {
                            w[k] += weights[s] * slot[k] as f64;
                        }
                    }
                }
                for (mi, m) in METRICS.iter().enumerate() {
                    if period == Period::FirstHalf && !m.first_half {
                        continue;
                    }
                    out.push(Figure {
                        year: start_year + t as i32,
                        period,
                        region: ri,
                        metric: mi,
                        value: (m.compute)(&w, period.months()),
                    });
                }
            }
        }
    }
    out
}

/// Mean, standard deviation and quantiles of a figure over replications.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stats {
    pub mean: f64,
    pub sd: f64,
    pub p05: f64,
    pub p50: f64,
    pub p95: f64,
    /// Replications in which the figure was defined.
    pub n: usize,
}

impl Stats {
    /// The five summary cells of an output row: mean, sd, p05, p50, p95 (shortest exact text).
    pub fn cells(&self) -> [String; 5] {
        [self.mean, self.sd, self.p05, self.p50, self.p95].map(|x| x.to_string())
    }

    /// Summarise values, ignoring NaN; `None` when no value is defined.
    pub fn of(values: &[f64]) -> Option<Stats> {
        let mut v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
        if v.is_empty() {
            return None;
        }
        let n = v.len();
        let mean = v.iter().sum::<f64>() / n as f64;
        let sd = if n > 1 {
            (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
        } else {
            0.0
        };
        v.sort_by(f64::total_cmp);
        Some(Stats {
            mean,
            sd,
            p05: quantile(&v, 0.05),
            p50: quantile(&v, 0.5),
            p95: quantile(&v, 0.95),
            n,
        })
    }
}

/// Linear-interpolation quantile (type 7) of sorted values.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn round_i64_is_f64_round(x in -1e15f64..1e15, bits in any::<u64>()) {
            prop_assert_eq!(round_i64(x), x.round() as i64);
            // Any finite bit pattern in range, halves and near-halves included.
            let y = f64::from_bits(bits);
            if y.is_finite() && y.abs() < 9e18 {
                prop_assert_eq!(round_i64(y), y.round() as i64);
            }
        }
    }

    #[test]
    fn round_i64_at_the_halves() {
        for x in [
            0.5,
            -0.5,
            1.5,
            -2.5,
            0.49999999999999994,
            -0.49999999999999994,
            4503599627370495.5,
            0.0,
            -0.0,
        ] {
            assert_eq!(round_i64(x), x.round() as i64, "{x}");
        }
    }

    #[test]
    fn quantiles_and_sd_of_a_known_sample() {
        let s = Stats::of(&[1.0, 2.0, 3.0, 4.0, 5.0, f64::NAN]).unwrap();
        assert_eq!(s.mean, 3.0);
        assert!((s.sd - 2.5f64.sqrt()).abs() < 1e-12);
        assert_eq!(s.p50, 3.0);
        assert!((s.p05 - 1.2).abs() < 1e-12);
        assert!((s.p95 - 4.8).abs() < 1e-12);
        assert_eq!(s.n, 5);
        assert!(Stats::of(&[f64::NAN]).is_none());
    }

    #[test]
    fn spell_tracker_counts_exit_and_reentry_in_the_exit_year() {
        let mut k = Counters::new(1, 5);
        let mut tr = SpellTracker::new(true);
        // In state months 0..=10, out 11..=14, back at 15, out again at 50 and never back.
        for m in 1..60 {
            let now = m <= 10 || (15..50).contains(&m);
            tr.step(m, now, 60, &mut k, 0, c::ASSIST);
        }
        let y0: i64 = (0..2)
            .map(|h| k.get(0, 0, h)[c::ASSIST + spell::EXITS])
            .sum();
        let re0: i64 = (0..2)
            .map(|h| k.get(0, 0, h)[c::ASSIST + spell::RE12_ALL])
            .sum();
        assert_eq!((y0, re0), (1, 1));
        let y4: i64 = (0..2)
            .map(|h| k.get(0, 4, h)[c::ASSIST + spell::EXITS])
            .sum();
        let obs4: i64 = (0..2)
            .map(|h| k.get(0, 4, h)[c::ASSIST + spell::EXITS_OBS[0]])
            .sum();
        // Exit at month 49 (year 4): its 12-month window ends at 61 > 59, so not observed.
        assert_eq!((y4, obs4), (1, 0));
        // Only the second spell (15..=49) is complete with a known start: 35 months.
        let months: i64 = k
            .data
            .iter()
            .map(|s| s[c::ASSIST + spell::SPELL_MONTHS])
            .sum();
        assert_eq!(months, 35);
    }
}
