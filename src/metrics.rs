//! Metrics: the figures computed per replication from the counters the engine filled
//! ([`crate::counters`]): cost, recipients, coverage, targeting errors, FGT poverty, entries,
//! exits, fall-back and fall-into-poverty rates, spell lengths; and their summary over
//! replications (mean, sd, p05, p50, p95).
//!
//! Every metric is declared once, in [`METRICS`]: id, unit, the counters of its numerator and
//! denominator, payer, disclosure class and labels; the program costs and their payers in
//! [`COSTS`]. Summary, deltas, sweep, incidence, disclosure control and the report's titles
//! read them from there. Survey weights are applied only after the exact integer reduction,
//! in a fixed order.

pub use crate::counters::{
    c, inc, round_i64, spell, year_half, Counters, SpellTracker, GAP_SCALE, SPELL_COUNTERS, WINDOWS,
};
pub use crate::population::regions::{regions, RegionSet};
use ndarray::{s, ArrayViewMut1, Zip};

pub mod disclosure;
pub mod params;
pub mod payers;
pub use params::{LineKind, MetricsParams};

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

/// Who pays a cost: the payer dimension of every cost (a central/local split of government
/// is a new value here and a cost row per payer, not new plumbing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payer {
    /// Central and local budgets together.
    Government,
    /// Charitable linkage: a secondary, non-government payer.
    Charity,
}

/// The payer dimension of government cost (issue 13): which budget pays it. The central
/// transfer pays a co-financed cost up to the allocation it made in advance; local budgets pay
/// the rest, so an overrun lands on them ([`crate::payers`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Funder {
    /// The central transfer.
    Central,
    /// Local (provincial and lower) budgets.
    Local,
}

impl Funder {
    /// Name in metric ids (`cost_central_dibao`).
    pub fn as_str(self) -> &'static str {
        match self {
            Funder::Central => "central",
            Funder::Local => "local",
        }
    }
}

/// A component a figure rests on, for disclosure control: from UNWEIGHTED counters summed over
/// a cell of `m` months, a lower bound on the distinct sample households behind it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Base {
    /// A household-month counter (or a monthly event, at most one per household-month): ÷ m.
    HouseholdMonths(usize),
    /// A person-month counter: ÷ m, further ÷ the largest household.
    PersonMonths(usize),
    /// The household-months of one counter less those of another (both ÷ m).
    HouseholdMonthsLess(usize, usize),
    /// A spell entry, exit or re-entry (at most one every two months): ÷ ceil(m / 2).
    Spell(usize),
    /// Households counted once per cell: the counter itself.
    Households(usize),
    /// Persons counted once per cell: ÷ the largest household.
    Persons(usize),
    /// Every household of the region (the population's own figures).
    All,
}

/// Dibao recipient units: households (less members covered alone), and members covered alone.
const DIBAO_UNITS: &[Base] = &[DIBAO_REGULAR, DIBAO_SINGLE];

/// Counters summed into a figure's numerator or denominator, in this order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Terms {
    /// One counter.
    One(usize),
    /// The sum of these counters.
    Sum(&'static [usize]),
    /// The first counter less the second.
    Less(usize, usize),
    /// Every cost of [`COSTS`] (`None`), or those of one payer: the sum of every cost less the
    /// costs of the other payers.
    Costs(Option<Payer>),
}

impl Terms {
    fn sum(self, w: &[f64; c::N]) -> f64 {
        match self {
            Terms::One(k) => w[k],
            Terms::Sum(ks) => ks[1..].iter().fold(w[ks[0]], |a, &k| a + w[k]),
            Terms::Less(a, b) => w[a] - w[b],
            Terms::Costs(payer) => {
                let all = COSTS[1..]
                    .iter()
                    .fold(w[COSTS[0].counter], |a, k| a + w[k.counter]);
                COSTS
                    .iter()
                    .filter(|k| payer.is_some_and(|p| k.payer != p))
                    .fold(all, |a, k| a - w[k.counter])
            }
        }
    }
}

/// How a figure is computed from the weighted counters of a region and period.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    /// Σ num ÷ scale: a total over the period (money, events).
    Total { num: Terms, scale: f64 },
    /// Σ num ÷ months ÷ scale: a monthly average over the period (stocks).
    Average { num: Terms, scale: f64 },
    /// (Σ num ÷ scale) ÷ Σ den; undefined (NaN) when Σ den ≤ 0.
    Ratio { num: Terms, scale: f64, den: Terms },
    /// 1 − Σ num ÷ Σ den (a complement share).
    OneMinus { num: Terms, den: Terms },
    /// A payer figure, bn yuan: the part of the cost `COSTS[cost]` (every government cost when
    /// `None`) that `funder` pays, or the central allocation (`funder` `None`). The allocation
    /// is made from the mean over replications, so this is no function of one replication's
    /// counters: [`figures`] leaves it out, [`crate::payers`] computes it, `compute` gives NaN.
    Payer {
        funder: Option<Funder>,
        cost: Option<usize>,
    },
}

/// A cost: one program's money, its payer, and what it rests on for disclosure.
pub struct CostDef {
    /// Metric id (`cost_<program>`).
    pub metric: &'static str,
    /// Counter of the money, fen.
    pub counter: usize,
    pub payer: Payer,
    /// Whether the central transfer (the "subsidy funds for people in difficulty") co-finances
    /// it; a government cost it does not is paid by local budgets alone (see [`Funder`]).
    pub central: bool,
    /// What it pays for, in words (report titles).
    pub label: &'static str,
    /// Short column header.
    pub short: &'static str,
    /// Disclosure control: the recipients it rests on.
    pub rests_on: &'static [Base],
}

/// Every program's cost, in reporting order: the cost metrics, `cost_total`,
/// `cost_government` and their disclosure classes all derive from this table.
pub const COSTS: &[CostDef] = &[
    CostDef {
        metric: "cost_dibao",
        counter: c::COST_DIBAO_FEN,
        payer: Payer::Government,
        central: true,
        label: "dibao (minimum living allowance)",
        short: "dibao",
        rests_on: DIBAO_UNITS,
    },
    CostDef {
        metric: "cost_tekun",
        counter: c::COST_TEKUN_FEN,
        payer: Payer::Government,
        central: true,
        label: "tekun (support for the severely impoverished)",
        short: "tekun",
        rests_on: &[Base::HouseholdMonths(c::TEKUN_HH_MONTHS)],
    },
    CostDef {
        metric: "cost_special_marginal",
        counter: c::COST_MARGINAL_FEN,
        payer: Payer::Government,
        central: false,
        label: "special assistance, marginal families",
        short: "special: marginal",
        rests_on: &[Base::HouseholdMonths(c::MARGINAL_HH_MONTHS)],
    },
    CostDef {
        metric: "cost_special_rigid",
        counter: c::COST_RIGID_FEN,
        payer: Payer::Government,
        central: false,
        label: "special assistance, rigid expenditure",
        short: "special: rigid exp.",
        rests_on: &[Base::HouseholdMonths(c::RIGID_HH_MONTHS)],
    },
    CostDef {
        metric: "cost_temporary",
        counter: c::COST_TEMPORARY_FEN,
        payer: Payer::Government,
        central: true,
        label: "temporary assistance",
        short: "temporary",
        rests_on: &[Base::HouseholdMonths(c::TEMP_CASES_HH)],
    },
    CostDef {
        metric: "cost_services",
        counter: c::COST_SERVICES_FEN,
        payer: Payer::Government,
        central: false,
        label: "care services",
        short: "services",
        rests_on: &[Base::PersonMonths(c::SERVICE_PERSON_MONTHS)],
    },
    CostDef {
        metric: "cost_charity",
        counter: c::COST_CHARITY_FEN,
        payer: Payer::Charity,
        central: false,
        label: "charitable linkage",
        short: "charity",
        rests_on: &[Base::HouseholdMonths(c::CHARITY_HH_MONTHS)],
    },
];

/// A metric: id, unit, how it is computed from the counters, its payer (costs), its disclosure
/// class and its labels. Every output (summary, deltas, sweep, tables, the report's titles)
/// takes these from [`METRICS`]; nothing else lists metrics.
pub struct MetricDef {
    /// Id in outputs.
    pub name: &'static str,
    pub unit: &'static str,
    /// Whether it has a first-half (January–June) figure.
    pub first_half: bool,
    /// Made only when `metrics.annual_poverty` recorded its counters (poverty on the year's
    /// income); otherwise absent, not undefined.
    pub annual: bool,
    pub value: Value,
    /// Who pays (costs only; `None` for a sum over payers and for every other figure).
    pub payer: Option<Payer>,
    /// Disclosure class (required, no default): the components the figure rests on; it is
    /// withheld whenever one of them would be (see [`MetricDef::support`]).
    pub rests_on: Vec<Base>,
    /// What it measures, in words.
    pub label: String,
    /// Chart title.
    pub title: String,
    /// Short column header.
    pub short: String,
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 {
        a / b
    } else {
        f64::NAN
    }
}

impl MetricDef {
    /// The figure from the weighted counters `w` of a region over `months` months.
    #[inline]
    pub fn compute(&self, w: &[f64; c::N], months: f64) -> f64 {
        match self.value {
            Value::Total { num, scale } => num.sum(w) / scale,
            Value::Average { num, scale } => num.sum(w) / months / scale,
            Value::Ratio { num, scale, den } => ratio(num.sum(w) / scale, den.sum(w)),
            Value::OneMinus { num, den } => 1.0 - ratio(num.sum(w), den.sum(w)),
            Value::Payer { .. } => f64::NAN,
        }
    }

    /// Whether it is a payer figure ([`Value::Payer`]), computed by [`crate::payers`] after
    /// the run rather than from one replication's counters.
    pub fn is_payer(&self) -> bool {
        matches!(self.value, Value::Payer { .. })
    }

    /// Disclosure control (used with microdata): from UNWEIGHTED counters `w` summed over a
    /// cell of `m` months, a lower bound on the distinct sample households behind the figure's
    /// smallest non-empty component (0 when every component is empty, i.e. the figure is 0 or
    /// undefined), so a figure is withheld whenever one of its parts would be.
    pub fn support(&self, w: &[f64; c::N], m: f64) -> f64 {
        let per = |i: usize| w[i] / m;
        self.rests_on
            .iter()
            .map(|b| match *b {
                Base::HouseholdMonths(i) => per(i),
                Base::PersonMonths(i) => per(i) / crate::population::MAX_MEMBERS as f64,
                Base::HouseholdMonthsLess(i, j) => per(i) - per(j),
                Base::Spell(i) => w[i] / (m / 2.0).ceil(),
                Base::Households(i) => w[i],
                Base::Persons(i) => w[i] / crate::population::MAX_MEMBERS as f64,
                Base::All => per(c::HH_MONTHS),
            })
            .filter(|x| *x > 0.0)
            .fold(0.0, |a: f64, x| if a == 0.0 { x } else { a.min(x) })
    }
}

/// [`MetricDef::support`] of metric `name` (`None` for an unknown metric).
pub fn support(name: &str, w: &[f64; c::N], m: f64) -> Option<f64> {
    METRICS
        .iter()
        .find(|d| d.name == name)
        .map(|d| d.support(w, m))
}

/// What a cost metric covers, in words, from [`METRICS`] (unknown ones: the name with spaces).
pub fn label_of(metric: &str) -> String {
    match METRICS.iter().find(|d| d.name == metric) {
        Some(d) => d.label.clone(),
        None => metric.trim_start_matches("cost_").replace('_', " "),
    }
}

/// Chart title of a metric, from [`METRICS`] (unknown ones: the name with spaces).
pub fn title_of(metric: &str) -> String {
    match METRICS.iter().find(|d| d.name == metric) {
        Some(d) => d.title.clone(),
        None => metric.replace('_', " "),
    }
}

/// Short column header of a metric, from [`METRICS`] (unknown ones: as `title_of`, without
/// `cost_`).
pub fn short_of(metric: &str) -> String {
    match METRICS.iter().find(|d| d.name == metric) {
        Some(d) => d.short.clone(),
        None => metric.trim_start_matches("cost_").replace('_', " "),
    }
}

const BN: f64 = 100.0 * 1e9;
const M: f64 = 1e6;

/// A row of the metric table. `rests_on` has no default: a metric without a disclosure class
/// does not compile.
struct Row {
    name: &'static str,
    unit: &'static str,
    first_half: bool,
    /// See [`MetricDef::annual`].
    annual: bool,
    value: Value,
    rests_on: Vec<Base>,
    /// Chart title and short header when not derived from the name.
    title: Option<&'static str>,
    short: Option<&'static str>,
}

fn row(
    name: &'static str,
    unit: &'static str,
    first_half: bool,
    value: Value,
    rests_on: &[Base],
) -> Row {
    Row {
        name,
        unit,
        first_half,
        annual: false,
        value,
        rests_on: rests_on.to_vec(),
        title: None,
        short: None,
    }
}

/// A row of poverty on the year's income ([`MetricDef::annual`]).
fn annual(mut r: Row) -> Row {
    r.annual = true;
    r
}

fn titled(mut r: Row, title: &'static str, short: &'static str) -> Row {
    r.title = Some(title);
    r.short = Some(short);
    r
}

const fn one(k: usize) -> Terms {
    Terms::One(k)
}
const fn total(num: Terms, scale: f64) -> Value {
    Value::Total { num, scale }
}
const fn average(num: Terms, scale: f64) -> Value {
    Value::Average { num, scale }
}
const fn share(num: Terms, den: Terms) -> Value {
    Value::Ratio {
        num,
        scale: 1.0,
        den,
    }
}
/// (counter `num` ÷ `scale`) ÷ counter `den`.
const fn per(num: usize, scale: f64, den: usize) -> Value {
    Value::Ratio {
        num: Terms::One(num),
        scale,
        den: Terms::One(den),
    }
}
/// Share of the exits whose window `i` is observed that came back within it.
const fn fallback(base: usize, i: usize) -> Value {
    per(base + spell::RE_OBS[i], 1.0, base + spell::EXITS_OBS[i])
}
/// What a fall-back rate rests on: its re-entries and its exits.
fn fallback_base(base: usize, i: usize) -> [Base; 2] {
    [
        Base::Spell(base + spell::RE_OBS[i]),
        Base::Spell(base + spell::EXITS_OBS[i]),
    ]
}

const ASSIST: usize = c::ASSIST;
const POVERTY: usize = c::POVERTY;
const DIBAO_REGULAR: Base = Base::HouseholdMonthsLess(c::RECIP_HH_MONTHS, c::SINGLE_PERSON_MONTHS);
const DIBAO_SINGLE: Base = Base::PersonMonths(c::SINGLE_PERSON_MONTHS);
const TEKUN: &[Base] = &[Base::HouseholdMonths(c::TEKUN_HH_MONTHS)];
const MARGINAL: &[Base] = &[Base::HouseholdMonths(c::MARGINAL_HH_MONTHS)];
const RIGID: &[Base] = &[Base::HouseholdMonths(c::RIGID_HH_MONTHS)];
const TEMPORARY: &[Base] = &[Base::HouseholdMonths(c::TEMP_CASES_HH)];
const SINGLE: &[Base] = &[DIBAO_SINGLE];
const ALL: &[Base] = &[Base::All];
const PRE_POOR: &[Base] = &[Base::HouseholdMonths(c::PRE_POOR_HH_MONTHS), Base::All];
const POST_POOR: &[Base] = &[Base::PersonMonths(c::POST_POOR_PERSON_MONTHS), Base::All];

/// The metrics after the per-program costs, `cost_total` and `cost_government`, in output
/// order. Costs are in billion yuan over the period; stocks (recipients) are monthly averages
/// over the period; flows (entries, cases, warnings) are totals.
fn rows() -> Vec<Row> {
    vec![
        row(
            "cost_special",
            "billion yuan",
            true,
            total(Terms::Sum(&[c::COST_MARGINAL_FEN, c::COST_RIGID_FEN]), BN),
            &[
                Base::HouseholdMonths(c::MARGINAL_HH_MONTHS),
                Base::HouseholdMonths(c::RIGID_HH_MONTHS),
            ],
        ),
        titled(
            row(
                "cost_dibao_tekun_temporary",
                "billion yuan",
                true,
                total(
                    Terms::Sum(&[c::COST_DIBAO_FEN, c::COST_TEKUN_FEN, c::COST_TEMPORARY_FEN]),
                    BN,
                ),
                &[
                    DIBAO_REGULAR,
                    DIBAO_SINGLE,
                    Base::HouseholdMonths(c::TEKUN_HH_MONTHS),
                    Base::HouseholdMonths(c::TEMP_CASES_HH),
                ],
            ),
            "Cost of dibao, tekun and temporary assistance",
            "dibao + tekun + temporary",
        ),
        titled(
            row(
                "cost_dibao_single_person",
                "billion yuan",
                true,
                total(one(c::COST_DIBAO_SINGLE_FEN), BN),
                SINGLE,
            ),
            "Cost of dibao for individually covered members",
            "dibao, single-person",
        ),
        titled(
            row(
                "recipients_households",
                "million households",
                true,
                average(one(c::RECIP_UNIT_MONTHS), M),
                DIBAO_UNITS,
            ),
            "Recipient households",
            "recipient households",
        ),
        titled(
            row(
                "recipients_persons",
                "million persons",
                true,
                average(one(c::RECIP_PERSON_MONTHS), M),
                DIBAO_UNITS,
            ),
            "Recipients (persons)",
            "recipients",
        ),
        row(
            "recipients_persons_60plus",
            "million persons",
            true,
            average(one(c::RECIP_ELDERLY_PERSON_MONTHS), M),
            DIBAO_UNITS,
        ),
        row(
            "recipients_single_person",
            "million persons",
            true,
            average(one(c::SINGLE_PERSON_MONTHS), M),
            SINGLE,
        ),
        row(
            "tekun_persons",
            "million persons",
            true,
            average(one(c::TEKUN_PERSON_MONTHS), M),
            TEKUN,
        ),
        row(
            "tekun_households",
            "million households",
            true,
            average(one(c::TEKUN_HH_MONTHS), M),
            TEKUN,
        ),
        row(
            "tekun_institutional_persons",
            "million persons",
            true,
            average(one(c::TEKUN_INSTITUTION_PERSON_MONTHS), M),
            &[Base::PersonMonths(c::TEKUN_INSTITUTION_PERSON_MONTHS)],
        ),
        row(
            "marginal_households",
            "million households",
            true,
            average(one(c::MARGINAL_HH_MONTHS), M),
            MARGINAL,
        ),
        row(
            "marginal_persons",
            "million persons",
            true,
            average(one(c::MARGINAL_PERSON_MONTHS), M),
            MARGINAL,
        ),
        row(
            "rigid_households",
            "million households",
            true,
            average(one(c::RIGID_HH_MONTHS), M),
            RIGID,
        ),
        row(
            "temporary_cases",
            "million person-times",
            true,
            total(one(c::TEMP_CASES_PERSONS), M),
            TEMPORARY,
        ),
        row(
            "temporary_households",
            "million households",
            true,
            total(one(c::TEMP_CASES_HH), M),
            TEMPORARY,
        ),
        row(
            "service_persons",
            "million persons",
            true,
            average(one(c::SERVICE_PERSON_MONTHS), M),
            &[Base::PersonMonths(c::SERVICE_PERSON_MONTHS)],
        ),
        row(
            "charity_households",
            "million households",
            true,
            average(one(c::CHARITY_HH_MONTHS), M),
            &[Base::HouseholdMonths(c::CHARITY_HH_MONTHS)],
        ),
        row(
            "overlap_dibao_tekun",
            "million households",
            true,
            average(one(c::OVERLAP_DIBAO_TEKUN), M),
            ALL,
        ),
        row(
            "coverage_population",
            "share",
            true,
            share(
                Terms::Sum(&[c::RECIP_PERSON_MONTHS, c::TEKUN_PERSON_MONTHS]),
                one(c::PERSON_MONTHS),
            ),
            &[
                DIBAO_REGULAR,
                DIBAO_SINGLE,
                Base::HouseholdMonths(c::TEKUN_HH_MONTHS),
                Base::All,
            ],
        ),
        titled(
            row(
                "coverage_poor",
                "share",
                true,
                per(c::POOR_RECIP_HH_MONTHS, 1.0, c::POOR_HH_MONTHS),
                &[
                    Base::HouseholdMonths(c::POOR_RECIP_HH_MONTHS),
                    Base::HouseholdMonths(c::POOR_HH_MONTHS),
                ],
            ),
            "Coverage of the poor (poor households receiving)",
            "coverage of the poor",
        ),
        row(
            "eligible_unassisted_persons",
            "million persons",
            true,
            average(one(c::ELIG_UNASSISTED_PERSON_MONTHS), M),
            &[Base::HouseholdMonthsLess(
                c::ELIG_HH_MONTHS,
                c::ELIG_RECIP_HH_MONTHS,
            )],
        ),
        row(
            "exclusion_error",
            "share",
            true,
            Value::OneMinus {
                num: one(c::ELIG_RECIP_HH_MONTHS),
                den: one(c::ELIG_HH_MONTHS),
            },
            &[
                Base::HouseholdMonths(c::ELIG_RECIP_HH_MONTHS),
                Base::HouseholdMonthsLess(c::ELIG_HH_MONTHS, c::ELIG_RECIP_HH_MONTHS),
            ],
        ),
        row(
            "inclusion_error",
            "share",
            true,
            Value::Ratio {
                num: one(c::INELIG_RECIP_HH_MONTHS),
                scale: 1.0,
                den: Terms::Less(c::RECIP_HH_MONTHS, c::SINGLE_PERSON_MONTHS),
            },
            &[
                Base::HouseholdMonths(c::INELIG_RECIP_HH_MONTHS),
                DIBAO_REGULAR,
            ],
        ),
        row(
            "standard_average",
            "yuan/person/month",
            true,
            per(c::STANDARD_PERSON_FEN, 100.0, c::PERSON_MONTHS),
            ALL,
        ),
        row(
            "benefit_per_recipient",
            "yuan/person/month",
            true,
            per(c::COST_DIBAO_FEN, 100.0, c::RECIP_PERSON_MONTHS),
            DIBAO_UNITS,
        ),
        row(
            "population_persons",
            "million persons",
            true,
            average(one(c::PERSON_MONTHS), M),
            ALL,
        ),
        row(
            "population_60plus",
            "million persons",
            true,
            average(one(c::ELDERLY_PERSON_MONTHS), M),
            ALL,
        ),
        // The January's events of population change (`population.demography`): the year's,
        // none in a run's first year (it starts from that year's population).
        row("births", "million persons", true, total(one(c::BIRTHS), M), ALL),
        row("deaths", "million persons", true, total(one(c::DEATHS), M), ALL),
        row(
            "poor_persons_pre",
            "million persons",
            true,
            average(one(c::PRE_POOR_PERSON_MONTHS), M),
            PRE_POOR,
        ),
        row(
            "essential_spending_poor",
            "yuan/household/month",
            true,
            per(c::ESSENTIAL_POOR_FEN, 100.0, c::PRE_POOR_HH_MONTHS),
            PRE_POOR,
        ),
        row(
            "fgt0_pre",
            "share",
            true,
            per(c::PRE_POOR_PERSON_MONTHS, 1.0, c::PERSON_MONTHS),
            PRE_POOR,
        ),
        row(
            "fgt1_pre",
            "share",
            true,
            per(c::PRE_GAP1, GAP_SCALE, c::PERSON_MONTHS),
            PRE_POOR,
        ),
        row(
            "fgt2_pre",
            "share",
            true,
            per(c::PRE_GAP2, GAP_SCALE, c::PERSON_MONTHS),
            PRE_POOR,
        ),
        titled(
            row(
                "fgt0_post",
                "share",
                true,
                per(c::POST_POOR_PERSON_MONTHS, 1.0, c::PERSON_MONTHS),
                POST_POOR,
            ),
            "Poverty rate after transfers (FGT0)",
            "poverty rate after transfers",
        ),
        row(
            "fgt1_post",
            "share",
            true,
            per(c::POST_GAP1, GAP_SCALE, c::PERSON_MONTHS),
            POST_POOR,
        ),
        row(
            "fgt2_post",
            "share",
            true,
            per(c::POST_GAP2, GAP_SCALE, c::PERSON_MONTHS),
            POST_POOR,
        ),
        row(
            "assist_entries",
            "million households",
            true,
            total(one(ASSIST + spell::ENTRIES), M),
            &[Base::Spell(ASSIST + spell::ENTRIES)],
        ),
        row(
            "assist_exits",
            "million households",
            true,
            total(one(ASSIST + spell::EXITS), M),
            &[Base::Spell(ASSIST + spell::EXITS)],
        ),
        row(
            "assist_reentries_12m",
            "million households",
            false,
            total(one(ASSIST + spell::RE12_ALL), M),
            &[Base::Spell(ASSIST + spell::RE12_ALL)],
        ),
        row(
            "fallback_assist_12m_truncated",
            "share",
            false,
            per(ASSIST + spell::RE12_ALL, 1.0, ASSIST + spell::EXITS),
            &[
                Base::Spell(ASSIST + spell::RE12_ALL),
                Base::Spell(ASSIST + spell::EXITS),
            ],
        ),
        titled(
            row(
                "fallback_assist_12m",
                "share",
                false,
                fallback(ASSIST, 0),
                &fallback_base(ASSIST, 0),
            ),
            "Fall-back: leavers back on assistance within 12 months",
            "fall-back 12 months",
        ),
        row(
            "fallback_assist_24m",
            "share",
            false,
            fallback(ASSIST, 1),
            &fallback_base(ASSIST, 1),
        ),
        row(
            "fallback_assist_36m",
            "share",
            false,
            fallback(ASSIST, 2),
            &fallback_base(ASSIST, 2),
        ),
        row(
            "assist_spell_months",
            "months",
            false,
            per(
                ASSIST + spell::SPELL_MONTHS,
                1.0,
                ASSIST + spell::SPELLS_DONE,
            ),
            &[Base::Spell(ASSIST + spell::SPELLS_DONE)],
        ),
        row(
            "poverty_entries",
            "million households",
            true,
            total(one(POVERTY + spell::ENTRIES), M),
            &[Base::Spell(POVERTY + spell::ENTRIES)],
        ),
        row(
            "poverty_exits",
            "million households",
            true,
            total(one(POVERTY + spell::EXITS), M),
            &[Base::Spell(POVERTY + spell::EXITS)],
        ),
        row(
            "fallback_poverty_12m",
            "share",
            false,
            fallback(POVERTY, 0),
            &fallback_base(POVERTY, 0),
        ),
        row(
            "fallback_poverty_24m",
            "share",
            false,
            fallback(POVERTY, 1),
            &fallback_base(POVERTY, 1),
        ),
        row(
            "fallback_poverty_36m",
            "share",
            false,
            fallback(POVERTY, 2),
            &fallback_base(POVERTY, 2),
        ),
        row(
            "poverty_spell_months",
            "months",
            false,
            per(
                POVERTY + spell::SPELL_MONTHS,
                1.0,
                POVERTY + spell::SPELLS_DONE,
            ),
            &[Base::Spell(POVERTY + spell::SPELLS_DONE)],
        ),
        // Poverty on the year's income (`metrics.annual_poverty`; absent when it is off).
        annual(row(
            "fgt0_pre_annual",
            "share",
            false,
            per(c::ANNUAL_PRE_POOR_PERSONS, 1.0, c::ANNUAL_PERSONS),
            &[Base::Persons(c::ANNUAL_PRE_POOR_PERSONS), Base::All],
        )),
        annual(row(
            "fgt0_post_annual",
            "share",
            false,
            per(c::ANNUAL_POST_POOR_PERSONS, 1.0, c::ANNUAL_PERSONS),
            &[Base::Persons(c::ANNUAL_POST_POOR_PERSONS), Base::All],
        )),
        annual(row(
            "poverty_exit_rate_annual",
            "share",
            false,
            per(c::ANNUAL_EXITS_HH, 1.0, c::ANNUAL_POOR_BEFORE_HH),
            &[
                Base::Households(c::ANNUAL_EXITS_HH),
                Base::Households(c::ANNUAL_POOR_BEFORE_HH),
            ],
        )),
        annual(row(
            "fallback_poverty_annual",
            "share",
            false,
            per(c::ANNUAL_BACK_HH, 1.0, c::ANNUAL_EXITS_OBS_HH),
            &[
                Base::Households(c::ANNUAL_BACK_HH),
                Base::Households(c::ANNUAL_EXITS_OBS_HH),
            ],
        )),
        row(
            "fall_into_poverty",
            "share",
            false,
            per(c::FALL_IN, 1.0, c::FALL_BASE),
            &[Base::Households(c::FALL_IN), Base::Households(c::FALL_BASE)],
        ),
        titled(
            row(
                "monitored_persons",
                "million persons",
                true,
                average(one(c::MONITORED_PERSON_MONTHS), M),
                &[Base::PersonMonths(c::MONITORED_PERSON_MONTHS)],
            ),
            "Persons in the monitoring database (registered: recipients, families, applicants, identified)",
            "monitoring database",
        ),
        row(
            "warnings",
            "million households",
            true,
            total(one(c::WARNINGS), M),
            &[Base::HouseholdMonths(c::WARNINGS)],
        ),
        row(
            "new_poor_caught",
            "share",
            false,
            per(c::NEW_POOR_CAUGHT, 1.0, c::NEW_POOR),
            &[
                Base::HouseholdMonths(c::NEW_POOR_CAUGHT),
                Base::HouseholdMonths(c::NEW_POOR),
            ],
        ),
        row(
            "shock_to_assistance_months",
            "months",
            false,
            per(c::SHOCK_ASSIST_MONTHS, 1.0, c::SHOCK_ASSISTED),
            &[Base::HouseholdMonths(c::SHOCK_ASSISTED)],
        ),
    ]
}

fn build() -> Vec<MetricDef> {
    let mut out = Vec::new();
    for k in COSTS {
        out.push(MetricDef {
            name: k.metric,
            unit: "billion yuan",
            first_half: true,
            annual: false,
            value: total(one(k.counter), BN),
            payer: Some(k.payer),
            rests_on: k.rests_on.to_vec(),
            label: k.label.to_string(),
            title: format!("Cost of {}", k.label),
            short: k.short.to_string(),
        });
    }
    // Sums over the cost table: every payer, then government alone; each rests on every cost.
    let every: Vec<Base> = COSTS.iter().flat_map(|k| k.rests_on.to_vec()).collect();
    for (name, payer, label, title, short) in [
        (
            "cost_total",
            None,
            "all programs",
            "Total cost, all programs",
            "total cost",
        ),
        (
            "cost_government",
            Some(Payer::Government),
            "government programs (all but charity)",
            "Cost of government programs (all but charity)",
            "government",
        ),
    ] {
        out.push(MetricDef {
            name,
            unit: "billion yuan",
            first_half: true,
            annual: false,
            value: Value::Total {
                num: Terms::Costs(payer),
                scale: BN,
            },
            payer,
            rests_on: every.clone(),
            label: label.to_string(),
            title: title.to_string(),
            short: short.to_string(),
        });
    }
    for r in rows() {
        let spaced = r.name.replace('_', " ");
        let label = match r.name {
            "cost_special" => "special assistance (marginal and rigid expenditure)".to_string(),
            "cost_dibao_tekun_temporary" => "dibao, tekun and temporary assistance".to_string(),
            "cost_dibao_single_person" => "dibao for individually covered members".to_string(),
            n => n.trim_start_matches("cost_").replace('_', " "),
        };
        let title = match r.title {
            Some(t) => t.to_string(),
            None if r.name.starts_with("cost_") => format!("Cost of {label}"),
            None => spaced.clone(),
        };
        let short = match r.short {
            Some(s) => s.to_string(),
            None => r.name.trim_start_matches("cost_").replace('_', " "),
        };
        out.push(MetricDef {
            name: r.name,
            unit: r.unit,
            first_half: r.first_half,
            annual: r.annual,
            value: r.value,
            payer: None,
            rests_on: r.rests_on,
            label,
            title,
            short,
        });
    }
    out.extend(payer_rows());
    out
}

/// A metric id made at start-up (the payer rows), kept for the life of the process.
fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// The payer rows, derived from [`COSTS`] × [`Funder`]: for each funder, the part of every
/// government cost it pays (`cost_central_<program>` for co-financed costs only,
/// `cost_local_<program>` for every one), its total, then `central_allocation`. Full year
/// only: the allocation is yearly.
fn payer_rows() -> Vec<MetricDef> {
    let gov: Vec<(usize, &CostDef)> = COSTS
        .iter()
        .enumerate()
        .filter(|(_, k)| k.payer == Payer::Government)
        .collect();
    let every: Vec<Base> = gov.iter().flat_map(|(_, k)| k.rests_on.to_vec()).collect();
    let mut out = Vec::new();
    for (funder, who) in [
        (Funder::Central, "the central transfer"),
        (Funder::Local, "local budgets"),
    ] {
        let f = funder.as_str();
        for &(i, k) in gov
            .iter()
            .filter(|(_, k)| funder == Funder::Local || k.central)
        {
            let program = k.metric.trim_start_matches("cost_");
            out.push(MetricDef {
                name: leak(format!("cost_{f}_{program}")),
                unit: "billion yuan",
                first_half: false,
                annual: false,
                value: Value::Payer {
                    funder: Some(funder),
                    cost: Some(i),
                },
                payer: None,
                rests_on: k.rests_on.to_vec(),
                label: format!("{}, paid by {who}", k.label),
                title: format!("Cost of {} paid by {who}", k.label),
                short: format!("{f}: {}", k.short),
            });
        }
        out.push(MetricDef {
            name: leak(format!("cost_{f}_total")),
            unit: "billion yuan",
            first_half: false,
            annual: false,
            value: Value::Payer {
                funder: Some(funder),
                cost: None,
            },
            payer: None,
            rests_on: every.clone(),
            label: format!("government programs, paid by {who}"),
            title: format!("Cost of government programs paid by {who}"),
            short: format!("{f} total"),
        });
    }
    out.push(MetricDef {
        name: "central_allocation",
        unit: "billion yuan",
        first_half: false,
        annual: false,
        value: Value::Payer {
            funder: None,
            cost: None,
        },
        payer: None,
        rests_on: every,
        label: "central allocation, made in advance".into(),
        title: "Central allocation (made in advance from the prior year's expected need, the first year from its own)".into(),
        short: "central allocation".into(),
    });
    out
}

/// Every metric, in output order: the costs of [`COSTS`], their totals, then the rest.
pub static METRICS: std::sync::LazyLock<Vec<MetricDef>> = std::sync::LazyLock::new(build);

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

/// The declared metric called `name`, or an error text naming it with the nearest metric
/// id (for the option or file that gave the name to wrap).
pub fn find(name: &str) -> std::result::Result<&'static MetricDef, String> {
    METRICS.iter().find(|m| m.name == name).ok_or_else(|| {
        let best = METRICS
            .iter()
            .map(|m| (strsim::jaro_winkler(name, m.name), m.name))
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, n)| format!("; did you mean `{n}`?"))
            .unwrap_or_default();
        format!("unknown metric `{name}`{best} (the metric column of summary.csv)")
    })
}

/// Every figure of one replication, in a fixed order: year, period, region, metric.
/// `weights` are households represented per sample household, per (stratum, year) at
/// `s * years + t` (`PopulationModel::year_weights`).
pub fn figures(
    counters: &Counters,
    weights: &[f64],
    regions: &[RegionSet],
    start_year: i32,
) -> Vec<Figure> {
    let mut out = Vec::new();
    let all = counters.view();
    // Poverty on the year's income is recorded only with `metrics.annual_poverty`: without
    // it its rows are absent, not undefined (so disclosure control has nothing to withhold).
    let annual_on = all
        .slice(s![.., .., .., c::ANNUAL_PERSONS])
        .iter()
        .any(|&x| x != 0);
    for t in 0..counters.years {
        for period in [Period::FirstHalf, Period::FullYear] {
            for (ri, r) in regions.iter().enumerate() {
                // The region's weighted counters: a weighted sum over the stratum and half axes
                // (strata in order, then halves, so the float sums are fixed).
                let mut w = [0.0f64; c::N];
                let halves: &[usize] = if period == Period::FirstHalf {
                    &[0]
                } else {
                    &[0, 1]
                };
                let mut acc = ArrayViewMut1::from(&mut w[..]);
                for &s in &r.strata {
                    for &h in halves {
                        // Axes: stratum, year, half, counter.
                        let lane = all.slice(s![s, t, h, ..]);
                        Zip::from(&mut acc)
                            .and(&lane)
                            .for_each(|a, &b| *a += weights[s * counters.years + t] * b as f64);
                    }
                }
                for (mi, m) in METRICS.iter().enumerate() {
                    if (period == Period::FirstHalf && !m.first_half)
                        || m.is_payer()
                        || (m.annual && !annual_on)
                    {
                        continue;
                    }
                    out.push(Figure {
                        year: start_year + t as i32,
                        period,
                        region: ri,
                        metric: mi,
                        value: m.compute(&w, period.months()),
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
    fn every_metric_is_declared_once_with_a_disclosure_class() {
        let mut names: Vec<&str> = METRICS.iter().map(|m| m.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), METRICS.len(), "a metric id is declared twice");
        for m in METRICS.iter() {
            assert!(!m.rests_on.is_empty(), "{}: no disclosure class", m.name);
            assert!(!m.unit.is_empty() && !m.title.is_empty() && !m.short.is_empty());
        }
        // Every cost of the cost table is a metric with its payer, in the table's order.
        let costs: Vec<&str> = METRICS
            .iter()
            .filter(|m| m.payer.is_some() && m.name != "cost_government")
            .map(|m| m.name)
            .collect();
        let table: Vec<&str> = COSTS.iter().map(|k| k.metric).collect();
        assert_eq!(costs, table);
    }

    #[test]
    fn cost_sums_follow_the_cost_table_and_its_payers() {
        let mut w = [0.0f64; c::N];
        for (i, k) in COSTS.iter().enumerate() {
            w[k.counter] = (i as f64 + 1.0) * 1e11; // 1, 2, ... bn yuan
        }
        let get = |name: &str| {
            METRICS
                .iter()
                .find(|m| m.name == name)
                .unwrap()
                .compute(&w, 12.0)
        };
        let n = COSTS.len() as f64;
        assert_eq!(get("cost_total"), n * (n + 1.0) / 2.0);
        let private: f64 = COSTS
            .iter()
            .enumerate()
            .filter(|(_, k)| k.payer != Payer::Government)
            .map(|(i, _)| i as f64 + 1.0)
            .sum();
        assert_eq!(get("cost_government"), n * (n + 1.0) / 2.0 - private);
        // A cell resting on one program's recipients is withheld with that program: the total
        // rests on the smallest non-empty component.
        let mut u = [0.0f64; c::N];
        u[c::HH_MONTHS] = 1200.0;
        u[c::TEKUN_HH_MONTHS] = 24.0;
        u[c::TEMP_CASES_HH] = 120.0;
        let total = METRICS.iter().find(|m| m.name == "cost_total").unwrap();
        assert_eq!(total.support(&u, 12.0), 2.0);
        assert_eq!(support("cost_temporary", &u, 12.0), Some(10.0));
        assert_eq!(support("population_persons", &u, 12.0), Some(100.0));
        assert_eq!(support("no_such_metric", &u, 12.0), None);
    }

    #[test]
    fn counters_merge_by_adding_arrays_over_named_axes() {
        use crate::counters::axis;
        let mut a = Counters::new(2, 3);
        let mut b = Counters::new(2, 3);
        a.slot(1, 2, 1)[c::WARNINGS] = 5;
        b.slot(1, 2, 1)[c::WARNINGS] = 7;
        b.slot(0, 0, 0)[c::HH_MONTHS] = 1;
        a.merge(&b);
        let v = a.view();
        assert_eq!(v.shape(), &[2, 3, 2, c::N]);
        assert_eq!(v[[1, 2, 1, c::WARNINGS]], 12);
        assert_eq!(v[[0, 0, 0, c::HH_MONTHS]], 1);
        // A region is a reduction over the stratum axis, a year over the half axis.
        let by_year = v.sum_axis(axis::HALF).sum_axis(axis::STRATUM);
        assert_eq!(by_year[[2, c::WARNINGS]], 12);
    }
}
