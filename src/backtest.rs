//! Backtest: the model started in a past year, driven by the observed standards, incomes and
//! prices of the history file, and compared with every official figure dated from the start
//! year to 2023 (model mean, 90 % interval, error).
//!
//! Layer: compare/calibrate, above the engine and the outputs. The history file
//! (`synthetic-data/history.csv`) has the columns `key,date,unit,value,source,confirmed`; a date
//! is `YYYY`, `YYYY-MM` (a stock at the end of that month) or `YYYY-MM/YYYY-MM` (a flow over
//! those months, both included).
//!
//! How a date meets the model, which reports each year's first half (H1) and whole year (FY):
//! - the model's half-years are H1 and H2 = FY − H1 for flows (totals), H2 = 2 FY − H1 for
//!   stocks (monthly averages);
//! - a **stock at the end of month m** is the linear interpolation between the two half-year
//!   averages whose centres surround it: a half-year's average of month-end stocks sits at its
//!   centre (end of month 3.5 or 9.5). Before the first centre or after the last, the nearest
//!   half-year's average is taken;
//! - a **stock or level dated by a year** is the figure published for the year, its year-end
//!   (December);
//! - a **level dated by a span** (a standard's average over a quarter) is the average of the
//!   month-end matches over those months;
//! - a **flow over months** is the sum over half-years of the share of the half's months it
//!   covers × the half's total (months pro rata within a half-year; for temporary assistance,
//!   whose October–December months weigh `programs.temporary.q4_multiple` times the others,
//!   [`Season`], with those weights);
//! - a **flow dated by a year** is January–December.
//!
//! Each match is a weighted sum of half-year values, computed per replication, so the interval
//! is that of the matched figure itself.

use crate::error::{Error, Result};
use crate::metrics::{Period, Stats, METRICS};
use crate::output::ScenarioResults;
use crate::population::{Region, StrataTable};
use crate::scenario::LoadedScenario;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use toml::{Table, Value};

/// Default history file, relative to the working directory.
pub const DEFAULT_HISTORY: &str = "synthetic-data/history.csv";
/// The year of the embedded strata table (incomes, structure) and of the scenarios the
/// backtest starts from: prices and incomes of the scenario are this year's.
pub const TABLE_YEAR: i32 = 2023;
/// The last year backtested.
pub const END_YEAR: i32 = 2023;

/// A date of the history file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum HistDate {
    /// `YYYY`: a year.
    Year(i32),
    /// `YYYY-MM`: the end of that month (month 1–12).
    Month(i32, u32),
    /// `YYYY-MM/YYYY-MM`: the months from the first to the second, both included.
    Span(i32, u32, i32, u32),
}

impl HistDate {
    /// Parse `YYYY`, `YYYY-MM` or `YYYY-MM/YYYY-MM` (years 1900–2200, months 01–12, a span
    /// not running backwards).
    pub fn parse(s: &str) -> Option<HistDate> {
        fn year(s: &str) -> Option<i32> {
            if s.len() != 4 || !s.chars().all(|c| c.is_ascii_digit()) {
                return None;
            }
            let y: i32 = s.parse().ok()?;
            (1900..=2200).contains(&y).then_some(y)
        }
        fn month(s: &str) -> Option<(i32, u32)> {
            let (y, m) = s.split_once('-')?;
            if m.len() != 2 || !m.chars().all(|c| c.is_ascii_digit()) {
                return None;
            }
            let m: u32 = m.parse().ok()?;
            (1..=12).contains(&m).then_some((year(y)?, m))
        }
        let s = s.trim();
        if let Some((a, b)) = s.split_once('/') {
            let (y1, m1) = month(a)?;
            let (y2, m2) = month(b)?;
            return ((y1, m1) <= (y2, m2)).then_some(HistDate::Span(y1, m1, y2, m2));
        }
        if s.contains('-') {
            let (y, m) = month(s)?;
            return Some(HistDate::Month(y, m));
        }
        year(s).map(HistDate::Year)
    }

    /// The year the date ends in.
    pub fn end_year(self) -> i32 {
        match self {
            HistDate::Year(y) | HistDate::Month(y, _) | HistDate::Span(_, _, y, _) => y,
        }
    }

    /// Position on a time axis in years: the end of the year, month or span.
    pub fn axis(self) -> f64 {
        match self {
            HistDate::Year(y) => y as f64 + 1.0,
            HistDate::Month(y, m) | HistDate::Span(_, _, y, m) => y as f64 + m as f64 / 12.0,
        }
    }

    /// Months covered by a span or a year (1 for a month).
    pub fn months(self) -> u32 {
        match self {
            HistDate::Year(_) => 12,
            HistDate::Month(..) => 1,
            HistDate::Span(y1, m1, y2, m2) => ((y2 - y1) * 12) as u32 + m2 - m1 + 1,
        }
    }
}

impl std::fmt::Display for HistDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            HistDate::Year(y) => write!(f, "{y}"),
            HistDate::Month(y, m) => write!(f, "{y}-{m:02}"),
            HistDate::Span(y1, m1, y2, m2) => write!(f, "{y1}-{m1:02}/{y2}-{m2:02}"),
        }
    }
}

/// What a unit measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dim {
    /// Canonical: million persons.
    Persons,
    /// Canonical: million households.
    Households,
    /// Canonical: million person-times (cases).
    Cases,
    /// Canonical: billion yuan.
    Money,
    /// Canonical: yuan per person per month (standards, incomes).
    PerPersonMonth,
    /// A yearly index, the previous year = 100 (canonical: that).
    PrevYear100,
    /// Canonical: percent.
    Percent,
}

/// Units the history file may use: (unit as written, what it measures, factor to the
/// canonical unit of that dimension).
pub const UNITS: &[(&str, Dim, f64)] = &[
    ("million persons", Dim::Persons, 1.0),
    ("10k persons", Dim::Persons, 0.01),
    ("persons", Dim::Persons, 1e-6),
    ("million households", Dim::Households, 1.0),
    ("10k households", Dim::Households, 0.01),
    ("million person-times", Dim::Cases, 1.0),
    ("10k person-times", Dim::Cases, 0.01),
    ("billion yuan", Dim::Money, 1.0),
    ("100 million yuan", Dim::Money, 0.1),
    ("million yuan", Dim::Money, 0.001),
    ("yuan/person/month", Dim::PerPersonMonth, 1.0),
    ("yuan/person/year", Dim::PerPersonMonth, 1.0 / 12.0),
    ("yuan/year", Dim::PerPersonMonth, 1.0 / 12.0),
    ("previous year = 100", Dim::PrevYear100, 1.0),
    ("percent", Dim::Percent, 1.0),
];

fn unit_factor(unit: &str, dim: Dim) -> Option<f64> {
    UNITS
        .iter()
        .find(|(u, d, _)| *d == dim && u.eq_ignore_ascii_case(unit.trim()))
        .map(|&(_, _, f)| f)
}

fn units_of(dim: Dim) -> String {
    UNITS
        .iter()
        .filter(|(_, d, _)| *d == dim)
        .map(|(u, _, _)| format!("`{u}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether an official figure is a stock (a count at a date), a level (a standard in force) or
/// a flow (a total over months).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Dated `YYYY-MM` (end of month) or `YYYY` (the figure published for the year: its
    /// year-end).
    Stock,
    /// As a stock, or dated by a span: the average over those months.
    Level,
    /// Dated `YYYY-MM/YYYY-MM` (those months) or `YYYY` (January–December).
    Flow,
    /// A flow of whole calendar years (`YYYY` or `YYYY-01/YYYY-12`) that the model counts in
    /// January (births and deaths): none in the start year, so that year is not compared.
    Yearly,
}

impl Kind {
    /// A total over months (`Flow` or `Yearly`).
    pub fn is_flow(self) -> bool {
        matches!(self, Kind::Flow | Kind::Yearly)
    }
}

/// One official key and the model figure it is compared with.
#[derive(Debug, Clone, Copy)]
pub struct FigureMap {
    /// Key in the history file.
    pub key: &'static str,
    /// Metric id in `summary.csv`.
    pub metric: &'static str,
    /// `national`, `urban` or `rural`.
    pub region: &'static str,
    pub dim: Dim,
    pub kind: Kind,
}

macro_rules! fig {
    ($key:literal, $metric:literal, $region:literal, $dim:ident, $kind:ident) => {
        FigureMap {
            key: $key,
            metric: $metric,
            region: $region,
            dim: Dim::$dim,
            kind: Kind::$kind,
        }
    };
}

/// The declared table: every official key the backtest compares, and its model figure.
/// Recipient households are the model's dibao households (units are not yet modelled apart
/// from households). Standards are drivers too: their rows check that the drive took.
#[rustfmt::skip]
pub const FIGURES: &[FigureMap] = &[
    fig!("dibao_persons_total",    "recipients_persons",    "national", Persons,    Stock),
    fig!("dibao_persons_urban",    "recipients_persons",    "urban",    Persons,    Stock),
    fig!("dibao_persons_rural",    "recipients_persons",    "rural",    Persons,    Stock),
    fig!("dibao_persons_elderly",  "recipients_persons_60plus", "national", Persons, Stock),
    fig!("dibao_households_total", "recipients_households", "national", Households, Stock),
    fig!("dibao_households_urban", "recipients_households", "urban",    Households, Stock),
    fig!("dibao_households_rural", "recipients_households", "rural",    Households, Stock),
    fig!("dibao_std_urban",        "standard_average",      "urban",    PerPersonMonth, Level),
    fig!("dibao_std_rural",        "standard_average",      "rural",    PerPersonMonth, Level),
    fig!("dibao_spend_total",      "cost_dibao",            "national", Money,      Flow),
    fig!("dibao_spend_urban",      "cost_dibao",            "urban",    Money,      Flow),
    fig!("dibao_spend_rural",      "cost_dibao",            "rural",    Money,      Flow),
    fig!("tekun_persons_total",    "tekun_persons",         "national", Persons,    Stock),
    fig!("tekun_persons_urban",    "tekun_persons",         "urban",    Persons,    Stock),
    fig!("tekun_persons_rural",    "tekun_persons",         "rural",    Persons,    Stock),
    fig!("tekun_persons_institutional", "tekun_institutional_persons", "national", Persons, Stock),
    fig!("tekun_spend_total",      "cost_tekun",            "national", Money,      Flow),
    fig!("tekun_spend_urban",      "cost_tekun",            "urban",    Money,      Flow),
    fig!("tekun_spend_rural",      "cost_tekun",            "rural",    Money,      Flow),
    fig!("temp_assist_cases",      "temporary_cases",       "national", Cases,      Flow),
    fig!("temp_assist_spend",      "cost_temporary",        "national", Money,      Flow),
    fig!("assist_spend_dibao_tekun_temp", "cost_dibao_tekun_temporary", "national", Money, Flow),
    fig!("marginal_persons",       "marginal_persons",      "national", Persons,    Stock),
    // Population change: the age structure and the January's events.
    fig!("population_60plus",      "population_60plus",     "national", Persons,    Stock),
    fig!("births",                 "births",                "national", Persons,    Yearly),
    fig!("deaths",                 "deaths",                "national", Persons,    Yearly),
    // Churn: the model's entries and exits are of regular assistance (dibao or tekun, whose
    // own churn is small) by household, the official ones of dibao by unit.
    fig!("dibao_entries_households", "assist_entries",      "national", Households, Flow),
    fig!("dibao_exits_households",   "assist_exits",        "national", Households, Flow),
];

/// Figures of population change, compared but never fitted by `calibrate --history`: the
/// demography's schedules drive them, and no calibrated key moves them.
pub const NOT_FITTED: &[&str] = &["population_60plus", "births", "deaths"];

/// Driver keys: series that set the scenario's inputs rather than being compared.
/// (key, dimension, what it drives).
#[rustfmt::skip]
pub const DRIVERS: &[(&str, Dim, &str)] = &[
    ("dibao_std_urban", Dim::PerPersonMonth, "programs.dibao.standard.urban, growth_urban"),
    ("dibao_std_rural", Dim::PerPersonMonth, "programs.dibao.standard.rural, growth_rural"),
    ("income_pc_urban", Dim::PerPersonMonth, "population.income.level_urban, dynamics.income.growth (growth_urban with by_region)"),
    ("income_pc_rural", Dim::PerPersonMonth, "population.income.level_rural, dynamics.income.growth (growth_rural with by_region)"),
    ("income_pc_poor_area_rural_growth", Dim::Percent, "dynamics.income.poor_area.growth_gap (less the nominal growth of income_pc_rural), with poor_area on"),
    ("income_pc_poor_area_rural", Dim::PerPersonMonth, "nothing: the level beside the growth rows, which drive"),
    ("cpi_index", Dim::PrevYear100, "dynamics.prices.inflation (and amounts at start-year prices)"),
    ("cpi_inflation", Dim::Percent, "dynamics.prices.inflation, when cpi_index is absent"),
];

/// Series in the history file the model cannot take yet (it has no population change).
pub const NOT_DRIVEN: &[&str] = &["population_urban", "population_rural", "population_total"];

/// One row of the history file.
#[derive(Debug, Clone, PartialEq)]
pub struct HistRow {
    pub key: String,
    pub date: HistDate,
    pub unit: String,
    /// As written, in `unit`.
    pub value: f64,
    pub source: String,
    pub confirmed: bool,
    /// Row number in the file, the header being row 1.
    pub row: usize,
}

/// The history file, checked.
#[derive(Debug, Clone)]
pub struct History {
    pub file: String,
    pub rows: Vec<HistRow>,
}

const COLUMNS: [&str; 6] = ["key", "date", "unit", "value", "source", "confirmed"];

fn dim_of(key: &str) -> Option<(Dim, Option<Kind>)> {
    if let Some(f) = FIGURES.iter().find(|f| f.key == key) {
        return Some((f.dim, Some(f.kind)));
    }
    DRIVERS
        .iter()
        .find(|d| d.0 == key)
        .map(|&(_, dim, _)| (dim, None))
}

impl History {
    /// Read and check a history file.
    pub fn load(path: &Path) -> Result<History> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
            path: path.to_path_buf(),
            source,
        })?;
        History::parse(&text, &path.display().to_string())
    }

    /// Check history text; errors name `file`, the row (header = row 1), the column, the
    /// value and what is allowed.
    pub fn parse(text: &str, file: &str) -> Result<History> {
        let mut rdr = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(text.as_bytes());
        let headers = rdr
            .headers()
            .map_err(|e| Error::Parse {
                file: file.into(),
                message: format!("row 1: {e}"),
            })?
            .clone();
        let mut col = [0usize; 6];
        for (i, name) in COLUMNS.iter().enumerate() {
            col[i] = headers
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case(name))
                .ok_or_else(|| Error::BadCell {
                    file: file.into(),
                    row: 1,
                    column: name.to_string(),
                    value: headers.iter().collect::<Vec<_>>().join(","),
                    allowed: format!("a header with the columns {}", COLUMNS.join(",")),
                })?;
        }
        let mut rows: Vec<HistRow> = Vec::new();
        let mut seen: BTreeMap<(String, HistDate), usize> = BTreeMap::new();
        for (i, rec) in rdr.records().enumerate() {
            let row = i + 2;
            let rec = rec.map_err(|e| Error::Parse {
                file: file.into(),
                message: format!("row {row}: {e}"),
            })?;
            let bad = |c: usize, allowed: String| Error::BadCell {
                file: file.into(),
                row,
                column: COLUMNS[c].into(),
                value: rec.get(col[c]).unwrap_or("").to_string(),
                allowed,
            };
            if rec.len() != headers.len() {
                return Err(Error::Parse {
                    file: file.into(),
                    message: format!(
                        "row {row}: {} fields where the header has {} (quote a value holding a comma)",
                        rec.len(),
                        headers.len()
                    ),
                });
            }
            let get = |c: usize| rec.get(col[c]).unwrap_or("").trim();
            let key = get(0);
            if key.is_empty()
                || !key
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            {
                return Err(bad(0, "a key of lower-case letters, digits and `_`".into()));
            }
            let date = HistDate::parse(get(1)).ok_or_else(|| {
                bad(
                    1,
                    "YYYY, YYYY-MM (a stock at the end of the month) or YYYY-MM/YYYY-MM (a flow over those months, in order)"
                        .into(),
                )
            })?;
            let unit = get(2);
            let value: f64 = get(3)
                .parse()
                .ok()
                .filter(|v: &f64| v.is_finite())
                .ok_or_else(|| bad(3, "a finite number".into()))?;
            let source = get(4);
            if source.is_empty() {
                return Err(bad(
                    4,
                    "a source for every number (a page or a document)".into(),
                ));
            }
            let confirmed = match get(5).to_ascii_lowercase().as_str() {
                "yes" | "true" => true,
                "no" | "false" => false,
                _ => return Err(bad(5, "yes or no".into())),
            };
            if let Some((dim, kind)) = dim_of(key) {
                if unit_factor(unit, dim).is_none() {
                    return Err(bad(2, format!("for `{key}`: one of {}", units_of(dim))));
                }
                if dim != Dim::Percent && value < 0.0 {
                    return Err(bad(3, format!("for `{key}`: a number ≥ 0")));
                }
                match (kind, date) {
                    (Some(Kind::Stock), HistDate::Span(..)) => {
                        return Err(bad(
                            1,
                            format!("`{key}` is a stock: YYYY (the year's average) or YYYY-MM (end of month)"),
                        ))
                    }
                    (Some(Kind::Flow | Kind::Yearly), HistDate::Month(..)) => {
                        return Err(bad(
                            1,
                            format!("`{key}` is a flow: YYYY (January–December) or YYYY-MM/YYYY-MM (those months)"),
                        ))
                    }
                    _ => {}
                }
            }
            if let Some(first) = seen.insert((key.to_string(), date), row) {
                return Err(bad(
                    1,
                    format!("a date not already given for `{key}` (row {first} has it)"),
                ));
            }
            rows.push(HistRow {
                key: key.to_string(),
                date,
                unit: unit.to_string(),
                value,
                source: source.to_string(),
                confirmed,
                row,
            });
        }
        Ok(History {
            file: file.to_string(),
            rows,
        })
    }

    /// The yearly value of `key` (incomes, prices): the row dated `year`, in the canonical
    /// unit, with the row.
    pub fn annual(&self, key: &str, year: i32) -> Option<(f64, &HistRow)> {
        let (dim, _) = dim_of(key)?;
        let row = self
            .rows
            .iter()
            .find(|r| r.key == key && r.date == HistDate::Year(year))?;
        Some((row.value * unit_factor(&row.unit, dim)?, row))
    }

    /// The level of a standard in force on average over `year`: its level at mid-year,
    /// interpolated linearly in time between the dated values around it (a year's figure is
    /// its year-end level, a month's the level at its end, a span's the level at its middle);
    /// with values on one side only, the nearest, if within a year. With the rows used.
    pub fn mid_year_level(&self, key: &str, year: i32) -> Option<(f64, Vec<&HistRow>)> {
        let (dim, _) = dim_of(key)?;
        let mut pts: Vec<(f64, f64, &HistRow)> = self
            .rows
            .iter()
            .filter(|r| r.key == key)
            .filter_map(|r| Some((level_time(r.date), r.value * unit_factor(&r.unit, dim)?, r)))
            .collect();
        pts.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.2.row.cmp(&b.2.row)));
        let t = year as f64 + 0.5;
        let before = pts.iter().rev().find(|p| p.0 <= t);
        let after = pts.iter().find(|p| p.0 > t);
        match (before, after) {
            (Some(a), Some(b)) if b.0 - a.0 <= 3.0 => {
                let f = (t - a.0) / (b.0 - a.0);
                Some((a.1 + f * (b.1 - a.1), vec![a.2, b.2]))
            }
            (Some(a), _) if t - a.0 <= 1.0 => Some((a.1, vec![a.2])),
            (_, Some(b)) if b.0 - t <= 1.0 => Some((b.1, vec![b.2])),
            _ => None,
        }
    }

    fn need(&self, key: &str, year: i32, why: &str) -> Result<(f64, &HistRow)> {
        self.annual(key, year).ok_or_else(|| Error::Parse {
            file: self.file.clone(),
            message: format!(
                "no value of `{key}` dated {year}: the backtest needs it to set {why}"
            ),
        })
    }
}

/// Where a level's date sits in time, in years: a year's figure at its end, a month at its
/// end, a span at its middle.
fn level_time(d: HistDate) -> f64 {
    let end = |y: i32, m: u32| y as f64 + m as f64 / 12.0;
    match d {
        HistDate::Year(y) => end(y, 12),
        HistDate::Month(y, m) => end(y, m),
        HistDate::Span(y1, m1, y2, m2) => (end(y1, m1) - 1.0 / 12.0 + end(y2, m2)) / 2.0,
    }
}

/// The scenario keys a backtest sets, and what drove each.
#[derive(Debug, Clone)]
pub struct Overlay {
    pub from: i32,
    /// (key path, value) pairs, applied like `--set`.
    pub sets: Vec<(String, Value)>,
    /// Key path → the series and rows that set it (also written to the scenario's
    /// `references`).
    pub drivers: BTreeMap<String, String>,
}

fn schedule(values: &BTreeMap<i32, f64>) -> Value {
    Value::Table(
        values
            .iter()
            .map(|(y, v)| (y.to_string(), Value::Float(*v)))
            .collect(),
    )
}

/// Round to 6 significant decimals so the written scenario stays readable; the run uses the
/// same rounded values, so the file reproduces it.
/// The "in 90 %" cell of a printed table: yes, no, or – without a model figure.
fn interval_cell(inside: Option<bool>) -> String {
    inside.map(yes_no).unwrap_or("–").into()
}

/// "yes" or "no", as the tables and CSV files write a flag.
fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

/// The "sample" cell of a printed table: in (fitted) or out of sample.
fn sample_cell(out_of_sample: bool) -> String {
    if out_of_sample { "out" } else { "in" }.into()
}

fn r6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// Build the overlay that starts `loaded` (a scenario set in [`TABLE_YEAR`]) in `from` and
/// drives it to [`END_YEAR`] with the observed series:
/// - standards: the urban and rural national averages of `from`, then each year's observed
///   growth (the value of a year: dated by the year, else its latest month);
/// - prices: inflation from `cpi_index` (or `cpi_inflation`, percent);
/// - incomes: the strata's 2023 incomes scaled to `from` by the observed urban and rural
///   ratios, then real growth each year: the urban and rural nominal growth weighted by the
///   model's person shares, deflated by inflation (the national index); with
///   `dynamics.income.by_region`, each region's own deflated growth as well, which its strata follow;
/// - amounts the scenario gives at 2023 prices (tekun institutional cost, services cost,
///   education spending) deflated to `from` by prices; the low-income mass's level by rural
///   income and the relative-line median by the weighted income.
///
/// Population: with `population.demography` on, the scenario's own schedules (the NBS urban
/// and rural series, year by year) drive it from `from` on; `population.demography.table_year`
/// (2023 in `baseline.toml`) puts the strata table's population in the table's year.
pub fn overlay(h: &History, loaded: &LoadedScenario, from: i32) -> Result<Overlay> {
    let s = &loaded.scenario;
    let file = loaded
        .files
        .last()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "scenario".into());
    if s.simulation.start_year != TABLE_YEAR {
        return Err(Error::bad_key(
            file,
            "simulation.start_year",
            s.simulation.start_year,
            format!("a backtest starts from a scenario set in {TABLE_YEAR} (the year of the strata table and of its amounts)"),
        ));
    }
    if s.population.source == crate::population::microdata::Source::Microdata {
        // `population.income.level_*` rescales the strata's incomes, not a survey's records.
        return Err(Error::bad_key(
            file,
            "population.source",
            "\"microdata\"",
            "allowed: \"synthetic\" or \"inline\" in a backtest (a survey's incomes are not moved back to the start year)",
        ));
    }
    if !(1990..END_YEAR).contains(&from) {
        return Err(Error::Usage(format!(
            "--from {from}: allowed: a year from 1990 to {}",
            END_YEAR - 1
        )));
    }
    let strata = StrataTable::from_scenario(s, &file)?;
    let persons = |r: Region| -> f64 {
        strata
            .strata
            .iter()
            .filter(|st| st.region == r)
            .map(|st| st.persons)
            .sum()
    };
    let w_urban = persons(Region::Urban) / (persons(Region::Urban) + persons(Region::Rural));

    let mut sets: Vec<(String, Value)> = Vec::new();
    let mut drivers: BTreeMap<String, String> = BTreeMap::new();
    let hf = Path::new(&h.file)
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| h.file.clone());
    let cite = |key: &str, rows: &[&HistRow]| -> String {
        let list: Vec<String> = rows
            .iter()
            .map(|r| format!("{} (row {})", r.date, r.row))
            .collect();
        format!("{hf}: `{key}` {}", list.join(", "))
    };
    let years: Vec<i32> = (from..=END_YEAR).collect();
    // Rural standard of `from` relative to the table's year (tekun cost indexed to it).
    let mut rural_std_ratio = 1.0;

    // Standards.
    for (region, key) in [("urban", "dibao_std_urban"), ("rural", "dibao_std_rural")] {
        let mut vals = BTreeMap::new();
        let mut rows = Vec::new();
        let mut first = Vec::new();
        for &y in &years {
            let (v, r) = h.mid_year_level(key, y).ok_or_else(|| Error::Parse {
                file: h.file.clone(),
                message: format!(
                    "no value of `{key}` around mid-{y} (dated values on both sides within 3 years, or one within a year): the backtest needs it to set the {region} dibao standard"
                ),
            })?;
            vals.insert(y, v);
            if y == from {
                first = r.clone();
            }
            rows.extend(r);
        }
        rows.sort_by_key(|r| r.row);
        rows.dedup_by_key(|r| r.row);
        if region == "rural" && vals.contains_key(&TABLE_YEAR) {
            rural_std_ratio = vals[&from] / vals[&TABLE_YEAR];
        }
        let k0 = format!("programs.dibao.standard.{region}");
        sets.push((k0.clone(), Value::Float(r6(vals[&from]))));
        let growth: BTreeMap<i32, f64> = years[1..]
            .iter()
            .map(|&y| (y, r6(vals[&y] / vals[&(y - 1)] - 1.0)))
            .collect();
        let kg = format!("programs.dibao.standard.growth_{region}");
        sets.push((kg.clone(), schedule(&growth)));
        drivers.insert(
            k0,
            format!("mid-{from} level interpolated from {}", cite(key, &first)),
        );
        drivers.insert(
            kg,
            format!("mid-year levels interpolated from {}", cite(key, &rows)),
        );
    }
    sets.push((
        "programs.dibao.standard.indexation".into(),
        Value::String("schedule".into()),
    ));

    // Prices: the index of each year relative to `from`.
    let mut price = BTreeMap::new();
    let mut price_rows = Vec::new();
    // Both series give the change from the year before: `cpi_index` with the previous year
    // = 100, `cpi_inflation` in percent.
    let price_key = if h.rows.iter().any(|r| r.key == "cpi_index") {
        "cpi_index"
    } else {
        "cpi_inflation"
    };
    price.insert(from, 1.0);
    for &y in &years[1..] {
        let (v, r) = h.need(price_key, y, "inflation")?;
        let change = if price_key == "cpi_index" {
            v / 100.0 - 1.0
        } else {
            v / 100.0
        };
        price.insert(y, price[&(y - 1)] * (1.0 + change));
        price_rows.push(r);
    }
    let inflation: BTreeMap<i32, f64> = years[1..]
        .iter()
        .map(|&y| (y, r6(price[&y] / price[&(y - 1)] - 1.0)))
        .collect();
    sets.push(("dynamics.prices.inflation".into(), schedule(&inflation)));
    drivers.insert(
        "dynamics.prices.inflation".into(),
        cite(price_key, &price_rows),
    );

    // Incomes.
    let mut inc: BTreeMap<(&str, i32), f64> = BTreeMap::new();
    let mut inc_rows: BTreeMap<&str, Vec<&HistRow>> = BTreeMap::new();
    for (region, key) in [("urban", "income_pc_urban"), ("rural", "income_pc_rural")] {
        let mut ys = years.clone();
        if !ys.contains(&TABLE_YEAR) {
            ys.push(TABLE_YEAR);
        }
        for y in ys {
            let (v, r) = h.need(key, y, &format!("{region} incomes"))?;
            inc.insert((region, y), v);
            inc_rows.entry(region).or_default().push(r);
        }
        let level = r6(inc[&(region, from)] / inc[&(region, TABLE_YEAR)]);
        let k = format!("population.income.level_{region}");
        sets.push((k.clone(), Value::Float(level)));
        let rows = &inc_rows[region];
        drivers.insert(
            k,
            format!(
                "{} / {} (the strata's incomes are {TABLE_YEAR} figures)",
                cite(key, &rows[..1]),
                rows.last().map(|r| r.date.to_string()).unwrap_or_default()
            ),
        );
    }
    let growth: BTreeMap<i32, f64> = years[1..]
        .iter()
        .map(|&y| {
            let g = |r: &str| inc[&(r, y)] / inc[&(r, y - 1)] - 1.0;
            let nominal = w_urban * g("urban") + (1.0 - w_urban) * g("rural");
            (y, r6((1.0 + nominal) / (1.0 + inflation[&y]) - 1.0))
        })
        .collect();
    sets.push(("dynamics.income.growth".into(), schedule(&growth)));
    drivers.insert(
        "dynamics.income.growth".into(),
        format!(
            "{hf}: `income_pc_urban` and `income_pc_rural`, nominal growth weighted {:.3}/{:.3} (the model's urban/rural persons), deflated by `{price_key}`",
            w_urban,
            1.0 - w_urban
        ),
    );
    // With `dynamics.income.by_region` each region's households follow its own observed
    // growth (the weighted series above still drives the national figures).
    if s.dynamics.income.by_region {
        for region in ["urban", "rural"] {
            let growth: BTreeMap<i32, f64> = years[1..]
                .iter()
                .map(|&y| {
                    let nominal = inc[&(region, y)] / inc[&(region, y - 1)] - 1.0;
                    (y, r6((1.0 + nominal) / (1.0 + inflation[&y]) - 1.0))
                })
                .collect();
            let k = format!("dynamics.income.growth_{region}");
            sets.push((k.clone(), schedule(&growth)));
            drivers.insert(
                k,
                format!("{hf}: `income_pc_{region}`, nominal growth deflated by `{price_key}`"),
            );
        }
    }

    // The poor areas' rural incomes grew faster than all rural (NBS rural poverty
    // monitoring): with `dynamics.income.poor_area` on, their households follow the observed
    // difference of the nominal growth rates, relative to the strata table's year.
    if s.dynamics.income.poor_area.on() {
        let key = "income_pc_poor_area_rural_growth";
        let mut rows = Vec::new();
        let mut gap = BTreeMap::new();
        for &y in &years[1..] {
            let (v, r) = h.need(key, y, "the poor areas' income growth")?;
            rows.push(r);
            let rural = inc[&("rural", y)] / inc[&("rural", y - 1)] - 1.0;
            gap.insert(y, r6(v / 100.0 - rural));
        }
        let k = "dynamics.income.poor_area.growth_gap";
        sets.push((k.into(), schedule(&gap)));
        drivers.insert(
            k.into(),
            format!(
                "{}, less the nominal growth of `income_pc_rural`",
                cite(key, &rows)
            ),
        );
        let k = "dynamics.income.poor_area.table_year";
        sets.push((k.into(), Value::Integer(TABLE_YEAR as i64)));
        drivers.insert(
            k.into(),
            format!("the strata's incomes are {TABLE_YEAR} figures"),
        );
    }

    // Amounts the scenario gives at 2023 prices, moved to `from`.
    if years.contains(&TABLE_YEAR) {
        let deflate = price[&from] / price[&TABLE_YEAR];
        let income_ratio =
            |y: i32| w_urban * inc[&("urban", y)] + (1.0 - w_urban) * inc[&("rural", y)];
        let by_income = income_ratio(from) / income_ratio(TABLE_YEAR);
        let rural_ratio = inc[&("rural", from)] / inc[&("rural", TABLE_YEAR)];
        // Tekun's institutional cost follows prices, or (indexed to the standard) the rural
        // standard: tekun persons are 93 % rural.
        let (tekun_f, tekun_why) = match s.programs.tekun.institutional_cost_indexation {
            crate::programs::tekun::CostIndexation::Prices => (deflate, price_key),
            crate::programs::tekun::CostIndexation::Standard => {
                (rural_std_ratio, "dibao_std_rural")
            }
        };
        for (key, v, f, why) in [
            (
                "programs.tekun.institutional_cost",
                s.programs.tekun.institutional_cost,
                tekun_f,
                tekun_why,
            ),
            (
                "programs.services.cost_per_month",
                s.programs.services.cost_per_month,
                deflate,
                price_key,
            ),
            (
                "population.spending.education_per_pupil",
                s.population.spending.education_per_pupil,
                deflate,
                price_key,
            ),
            (
                "population.income.low_income_level",
                s.population.income.low_income_level,
                rural_ratio,
                "income_pc_rural",
            ),
            (
                "metrics.relative_median_income",
                s.metrics.relative_median_income,
                by_income,
                "income_pc_urban and income_pc_rural, weighted",
            ),
        ] {
            sets.push((key.into(), Value::Float(r6(v * f))));
            drivers.insert(
                key.into(),
                format!("the scenario's {TABLE_YEAR} value × {f:.4}, {from} relative to {TABLE_YEAR} by {hf} `{why}`"),
            );
        }
    }
    sets.push((
        "name".into(),
        Value::String(format!("{}-backtest-{from}", s.name)),
    ));
    sets.push((
        "description".into(),
        Value::String(format!(
            "`{}` started in {from} and driven to {END_YEAR} by observed standards, incomes and prices",
            s.name
        )),
    ));
    sets.push(("simulation.start_year".into(), Value::Integer(from as i64)));
    sets.push((
        "simulation.years".into(),
        Value::Integer((END_YEAR - from + 1) as i64),
    ));
    drivers.insert(
        "backtest.not_driven".into(),
        format!(
            "{}: not overlaid; with population.demography on, the scenario's own growth schedules (the same NBS series) move the weights, from the table year's population moved back (population.demography.table_year)",
            NOT_DRIVEN.join(", ")
        ),
    );
    Ok(Overlay {
        from,
        sets,
        drivers,
    })
}

impl Overlay {
    /// The scenario with the overlay applied; the drivers recorded in its `references`.
    pub fn apply(&self, loaded: &LoadedScenario, history_file: &str) -> Result<LoadedScenario> {
        let mut base = loaded.clone();
        base.table
            .entry("references")
            .or_insert_with(|| Value::Table(Table::new()));
        let mut sets = self.sets.clone();
        let refs: Table = self
            .drivers
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        sets.push(("references".into(), Value::Table(refs)));
        base.with_overrides(&sets, &format!("backtest drivers from {history_file}"))
    }

    /// A scenario file that `extends` `base_rel` (a path relative to the written file) with
    /// the overlay: the generated `scenarios/backtest-<from>.toml`.
    pub fn scenario_toml(&self, base_rel: &str, command: &str) -> Result<String> {
        let mut root = Table::new();
        let refs: Table = self
            .drivers
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        root.insert("references".into(), Value::Table(refs));
        for (key, v) in &self.sets {
            let parts: Vec<&str> = key.split('.').collect();
            let mut t = &mut root;
            for p in &parts[..parts.len() - 1] {
                let e = t
                    .entry(p.to_string())
                    .or_insert_with(|| Value::Table(Table::new()));
                t = match e {
                    Value::Table(sub) => sub,
                    _ => return Err(Error::Internal(format!("overlay key {key}"))),
                };
            }
            t.insert(parts[parts.len() - 1].to_string(), v.clone());
        }
        let body = toml::to_string(&root).map_err(|e| Error::Internal(e.to_string()))?;
        Ok(format!(
            "# Generated by `{command}`: do not edit, regenerate.\n# The scenario below starts in {} and is driven to {END_YEAR} by observed series; `references` says which.\nextends = \"{base_rel}\"\n{body}",
            self.from
        ))
    }
}

/// The weight of each calendar month within its half-year, for the figures that have a season
/// in the model: temporary assistance, whose October–December months weigh
/// `programs.temporary.q4_multiple` times the others.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Season {
    /// `programs.temporary.q4_multiple` of the scenario compared.
    pub temporary_q4: f64,
}

/// Metrics the temporary-assistance step records, in the season of its applications.
const TEMPORARY_METRICS: &[&str] = &["temporary_cases", "cost_temporary"];

impl Season {
    /// The season of a scenario's rules.
    pub fn of(loaded: &LoadedScenario) -> Season {
        Season {
            temporary_q4: loaded.scenario.programs.temporary.q4_multiple,
        }
    }

    /// October–December's weight, relative to the other months, for `metric`.
    pub fn q4(&self, metric: &str) -> f64 {
        if TEMPORARY_METRICS.contains(&metric) {
            self.temporary_q4
        } else {
            1.0
        }
    }
}

/// A match of an official date to the model: weights on half-year values (index 2 t + h,
/// t the year index from the start year, h = 0 for January–June).
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    pub weights: Vec<(usize, f64)>,
}

impl Match {
    /// How the date meets the model's half-years, for `from`, over `years` simulated years;
    /// `None` when the date is outside the simulated months.
    pub fn of(kind: Kind, date: HistDate, from: i32, years: u32) -> Option<Match> {
        Match::seasonal(kind, date, from, years, 1.0)
    }

    /// As [`Match::of`], with October–December weighing `q4` times the other months when a flow
    /// covers part of a second half-year.
    pub fn seasonal(kind: Kind, date: HistDate, from: i32, years: u32, q4: f64) -> Option<Match> {
        let halves = 2 * years as usize;
        let month = |y: i32, m: u32| (y - from) * 12 + m as i32; // 1 = end of January of `from`
        let last = 12 * years as i32;
        // The stock at month-end p (1..=last): between the centres (6 k + 3.5) of the two
        // half-years around it, or the nearest half-year beyond the first or last centre.
        let at = |p: i32, w: f64, out: &mut Vec<f64>| {
            let p = p as f64;
            let centre = |k: usize| 6.0 * k as f64 + 3.5;
            if p <= centre(0) {
                out[0] += w;
            } else if p >= centre(halves - 1) {
                out[halves - 1] += w;
            } else {
                let k = ((p - 3.5) / 6.0).floor() as usize;
                let f = (p - centre(k)) / 6.0;
                out[k] += w * (1.0 - f);
                out[k + 1] += w * f;
            }
        };
        let mut w = vec![0.0; halves];
        match (kind, date) {
            (Kind::Flow | Kind::Yearly, HistDate::Month(..)) => return None, // rejected when the file is read
            (Kind::Stock, HistDate::Span(..)) => return None,
            // Whole years after the start only (the start year has no January step).
            (Kind::Yearly, _) => {
                let y = match date {
                    HistDate::Year(y) => y,
                    HistDate::Span(y1, 1, y2, 12) if y1 == y2 => y1,
                    _ => return None,
                };
                let t = y - from;
                if t < 1 || t >= years as i32 {
                    return None;
                }
                w[2 * t as usize] = 1.0;
                w[2 * t as usize + 1] = 1.0;
            }
            (Kind::Flow, HistDate::Year(y)) => {
                let t = y - from;
                if t < 0 || t >= years as i32 {
                    return None;
                }
                w[2 * t as usize] = 1.0;
                w[2 * t as usize + 1] = 1.0;
            }
            // A stock or level published for a year is its year-end figure.
            (_, HistDate::Year(y)) | (_, HistDate::Month(y, _)) => {
                let m = match date {
                    HistDate::Month(_, m) => m,
                    _ => 12,
                };
                let p = month(y, m);
                if p < 1 || p > last {
                    return None;
                }
                at(p, 1.0, &mut w);
            }
            (Kind::Level, HistDate::Span(y1, m1, y2, m2)) => {
                let (a, b) = (month(y1, m1), month(y2, m2));
                if a < 1 || b > last {
                    return None;
                }
                let n = (b - a + 1) as f64;
                for p in a..=b {
                    at(p, 1.0 / n, &mut w);
                }
            }
            (Kind::Flow, HistDate::Span(y1, m1, y2, m2)) => {
                let (a, b) = (month(y1, m1), month(y2, m2));
                if a < 1 || b > last {
                    return None;
                }
                // Month p's share of its half: its weight over the half's (1 for every month
                // of a first half; 1 for July–September and q4 for October–December).
                let weight = |p: i32| {
                    if crate::programs::temporary::in_q4((p - 1) % 12) {
                        q4
                    } else {
                        1.0
                    }
                };
                for p in a..=b {
                    let half = if (p - 1) % 12 < 6 {
                        6.0
                    } else {
                        3.0 + 3.0 * q4
                    };
                    w[((p - 1) / 6) as usize] += weight(p) / half;
                }
            }
        }
        Some(Match {
            weights: w
                .into_iter()
                .enumerate()
                .filter(|&(_, x)| x > 0.0)
                .collect(),
        })
    }

    /// The matched value from half-year values.
    pub fn value(&self, halves: &[f64]) -> f64 {
        self.weights.iter().map(|&(k, w)| w * halves[k]).sum()
    }

    /// Readable form, e.g. `0.58 H2 2017 + 0.42 H1 2018`.
    pub fn describe(&self, from: i32) -> String {
        self.weights
            .iter()
            .map(|&(k, w)| {
                let half = if k % 2 == 0 { "H1" } else { "H2" };
                let y = from + (k / 2) as i32;
                if w == 1.0 {
                    format!("{half} {y}")
                } else {
                    format!("{w:.2} {half} {y}")
                }
            })
            .collect::<Vec<_>>()
            .join(" + ")
    }
}

/// Half-year values of a figure in every replication: `[rep][2 t + h]`. Stocks' H2 is
/// 2 FY − H1 (FY is the 12-month average), flows' H2 is FY − H1.
pub fn half_years(
    r: &ScenarioResults,
    metric: &str,
    region: &str,
    kind: Kind,
    from: i32,
    years: u32,
) -> Vec<Vec<f64>> {
    let mut out: Vec<Vec<f64>> = Vec::new();
    for t in 0..years as i32 {
        let fy = r.values(from + t, Period::FullYear, region, metric);
        let h1 = r.values(from + t, Period::FirstHalf, region, metric);
        if out.is_empty() {
            out = vec![Vec::new(); fy.len()];
        }
        for (i, slot) in out.iter_mut().enumerate() {
            let (f, a) = (
                fy.get(i).copied().unwrap_or(f64::NAN),
                h1.get(i).copied().unwrap_or(f64::NAN),
            );
            let b = match kind {
                Kind::Stock | Kind::Level => 2.0 * f - a,
                Kind::Flow | Kind::Yearly => f - a,
            };
            slot.push(a);
            slot.push(b);
        }
    }
    out
}

/// One official figure against the model.
#[derive(Debug, Clone)]
pub struct BacktestRow {
    pub key: String,
    pub date: HistDate,
    pub metric: &'static str,
    pub region: &'static str,
    /// The metric's unit; `official` is converted to it.
    pub unit: &'static str,
    pub official: f64,
    /// Model mean and 90 % interval over replications (`None`: undefined in every one).
    pub model: Option<Stats>,
    /// Dated after `--fit-until`.
    pub out_of_sample: bool,
    pub confirmed: bool,
    pub kind: Kind,
    pub matched: String,
    /// Row in the history file.
    pub row: usize,
    /// The matched model value in each replication.
    pub per_rep: Vec<f64>,
}

impl BacktestRow {
    /// (model mean − official) / official, in percent.
    pub fn error_pct(&self) -> Option<f64> {
        self.model
            .map(|m| (m.mean - self.official) / self.official * 100.0)
            .filter(|e| e.is_finite())
    }
    /// Whether the official figure lies within the model's 90 % interval.
    pub fn in_interval(&self) -> Option<bool> {
        self.model
            .map(|m| self.official >= m.p05 && self.official <= m.p95)
    }
}

/// What the comparison left aside: keys without a model figure, and mapped rows outside the
/// simulated months.
#[derive(Debug, Clone, Default)]
pub struct Skipped {
    /// Keys neither compared nor driving (with their row counts).
    pub unmapped: BTreeMap<String, usize>,
    /// Mapped rows dated outside the simulated months.
    pub out_of_range: usize,
}

/// Compare every mapped official figure dated within the run with the model.
pub fn compare(
    h: &History,
    r: &ScenarioResults,
    from: i32,
    years: u32,
    fit_until: Option<i32>,
    season: Season,
) -> (Vec<BacktestRow>, Skipped) {
    let mut rows = Vec::new();
    let mut skipped = Skipped::default();
    let mut cache: BTreeMap<(&str, &str), Vec<Vec<f64>>> = BTreeMap::new();
    for hr in &h.rows {
        let Some(map) = FIGURES.iter().find(|f| f.key == hr.key) else {
            if !DRIVERS.iter().any(|d| d.0 == hr.key) {
                *skipped.unmapped.entry(hr.key.clone()).or_default() += 1;
            }
            continue;
        };
        let Some(m) = Match::seasonal(map.kind, hr.date, from, years, season.q4(map.metric)) else {
            skipped.out_of_range += 1;
            continue;
        };
        let factor = unit_factor(&hr.unit, map.dim).unwrap_or(f64::NAN);
        let halves = cache
            .entry((map.metric, map.region))
            .or_insert_with(|| half_years(r, map.metric, map.region, map.kind, from, years));
        let per_rep: Vec<f64> = halves.iter().map(|hv| m.value(hv)).collect();
        rows.push(BacktestRow {
            key: hr.key.clone(),
            date: hr.date,
            metric: map.metric,
            region: map.region,
            unit: METRICS
                .iter()
                .find(|d| d.name == map.metric)
                .map(|d| d.unit)
                .unwrap_or(""),
            official: hr.value * factor,
            model: Stats::of(&per_rep),
            out_of_sample: fit_until.is_some_and(|y| hr.date.end_year() > y),
            confirmed: hr.confirmed,
            kind: map.kind,
            matched: m.describe(from),
            row: hr.row,
            per_rep,
        });
    }
    rows.sort_by(|a, b| {
        let ia = FIGURES.iter().position(|f| f.key == a.key);
        let ib = FIGURES.iter().position(|f| f.key == b.key);
        ia.cmp(&ib)
            .then(a.date.axis().total_cmp(&b.date.axis()))
            .then(a.row.cmp(&b.row))
    });
    (rows, skipped)
}

/// The change of a figure between two official dates, official against model.
#[derive(Debug, Clone)]
pub struct ChangeRow {
    pub key: String,
    pub from: HistDate,
    pub to: HistDate,
    /// Official change, percent.
    pub official_pct: f64,
    /// Model change in percent, taken within each replication, then summarised.
    pub model: Option<Stats>,
    /// The later date is after `--fit-until`.
    pub out_of_sample: bool,
    /// Both figures confirmed.
    pub confirmed: bool,
}

impl ChangeRow {
    /// Model mean − official, in percentage points.
    pub fn error_pp(&self) -> Option<f64> {
        self.model.map(|m| m.mean - self.official_pct)
    }
    /// Whether the official change lies within the model's 90 % interval.
    pub fn in_interval(&self) -> Option<bool> {
        self.model
            .map(|m| self.official_pct >= m.p05 && self.official_pct <= m.p95)
    }
}

/// Changes between official dates of the same figure: from each date to the next and to the
/// last (so "September 2021 to September 2023" is there when 2023-09 is the last). Flows are
/// compared only with flows over as many months. Rows as sorted by [`compare`].
pub fn changes(rows: &[BacktestRow]) -> Vec<ChangeRow> {
    let mut out = Vec::new();
    let mut groups: Vec<Vec<&BacktestRow>> = Vec::new();
    for r in rows {
        let span = if r.kind.is_flow() { r.date.months() } else { 0 };
        match groups.iter_mut().find(|g| {
            let g0 = g[0];
            g0.key == r.key
                && (if g0.kind.is_flow() {
                    g0.date.months()
                } else {
                    0
                }) == span
        }) {
            Some(g) => g.push(r),
            None => groups.push(vec![r]),
        }
    }
    for g in groups {
        let n = g.len();
        for i in 0..n.saturating_sub(1) {
            let mut to = vec![i + 1];
            if n - 1 > i + 1 {
                to.push(n - 1);
            }
            for j in to {
                let (a, b) = (g[i], g[j]);
                let per_rep: Vec<f64> = a
                    .per_rep
                    .iter()
                    .zip(&b.per_rep)
                    .map(|(x, y)| (y / x - 1.0) * 100.0)
                    .collect();
                out.push(ChangeRow {
                    key: a.key.clone(),
                    from: a.date,
                    to: b.date,
                    official_pct: (b.official / a.official - 1.0) * 100.0,
                    model: Stats::of(&per_rep),
                    out_of_sample: b.out_of_sample,
                    confirmed: a.confirmed && b.confirmed,
                });
            }
        }
    }
    out
}

/// `backtest-changes.csv`: figure, from, to, official_change_pct, model_mean_pct,
/// model_p05_pct, model_p95_pct, error_pp, in_interval, sample (of the later date), confirmed
/// (both).
pub fn changes_csv(rows: &[ChangeRow]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| Error::Internal(format!("backtest-changes.csv: {e}"));
    w.write_record([
        "figure",
        "from",
        "to",
        "official_change_pct",
        "model_mean_pct",
        "model_p05_pct",
        "model_p95_pct",
        "error_pp",
        "in_interval",
        "sample",
        "confirmed",
    ])
    .map_err(io)?;
    for r in rows {
        w.write_record([
            r.key.clone(),
            r.from.to_string(),
            r.to.to_string(),
            r.official_pct.to_string(),
            num(r.model.map(|m| m.mean)),
            num(r.model.map(|m| m.p05)),
            num(r.model.map(|m| m.p95)),
            num(r.error_pp()),
            r.in_interval().map(yes_no).unwrap_or("").to_string(),
            sample_cell(r.out_of_sample),
            yes_no(r.confirmed).to_string(),
        ])
        .map_err(io)?;
    }
    w.into_inner()
        .map_err(|e| Error::Internal(format!("backtest-changes.csv: {e}")))
}

/// The readable table of the changes of one figure.
pub fn changes_table(rows: &[ChangeRow], key: &str) -> String {
    let mut t: Vec<Vec<String>> = vec![vec![
        "from".into(),
        "to".into(),
        "official".into(),
        "model [90 % interval]".into(),
        "error".into(),
        "in 90 %".into(),
        "sample".into(),
    ]];
    for r in rows.iter().filter(|r| r.key == key) {
        let star = if r.confirmed { "" } else { "*" };
        t.push(vec![
            r.from.to_string(),
            r.to.to_string(),
            format!("{:+.1} %{star}", r.official_pct),
            r.model
                .map(|m| format!("{:+.1} % [{:+.1}, {:+.1}]", m.mean, m.p05, m.p95))
                .unwrap_or_else(|| "–".into()),
            r.error_pp()
                .map(|e| format!("{e:+.1} pp"))
                .unwrap_or_else(|| "–".into()),
            interval_cell(r.in_interval()),
            sample_cell(r.out_of_sample),
        ]);
    }
    crate::output::align(&t, 1)
}

fn num(x: Option<f64>) -> String {
    x.map(|v| v.to_string()).unwrap_or_default()
}

/// `backtest.csv`: figure, date, metric, region, unit, official, model_mean, model_p05,
/// model_p95, error_pct, in_interval, sample (in/out), confirmed (yes/no), matched (the
/// half-years and weights), history_row.
pub fn backtest_csv(rows: &[BacktestRow]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| Error::Internal(format!("backtest.csv: {e}"));
    w.write_record([
        "figure",
        "date",
        "metric",
        "region",
        "unit",
        "official",
        "model_mean",
        "model_p05",
        "model_p95",
        "error_pct",
        "in_interval",
        "sample",
        "confirmed",
        "matched",
        "history_row",
    ])
    .map_err(io)?;
    for r in rows {
        w.write_record([
            r.key.clone(),
            r.date.to_string(),
            r.metric.to_string(),
            r.region.to_string(),
            r.unit.to_string(),
            r.official.to_string(),
            num(r.model.map(|m| m.mean)),
            num(r.model.map(|m| m.p05)),
            num(r.model.map(|m| m.p95)),
            num(r.error_pct()),
            r.in_interval().map(yes_no).unwrap_or("").to_string(),
            sample_cell(r.out_of_sample),
            yes_no(r.confirmed).to_string(),
            r.matched.clone(),
            r.row.to_string(),
        ])
        .map_err(io)?;
    }
    w.into_inner()
        .map_err(|e| Error::Internal(format!("backtest.csv: {e}")))
}

fn digits(unit: &str) -> usize {
    match unit {
        "yuan/person/month" => 0,
        "billion yuan" => 1,
        _ => 2,
    }
}

/// The readable table: one line per official figure; recalled figures marked `*`.
pub fn table(rows: &[BacktestRow]) -> String {
    let mut t: Vec<Vec<String>> = vec![vec![
        "figure".into(),
        "date".into(),
        "unit".into(),
        "official".into(),
        "model [90 % interval]".into(),
        "error".into(),
        "in 90 %".into(),
        "sample".into(),
    ]];
    for r in rows {
        let d = digits(r.unit);
        let star = if r.confirmed { "" } else { "*" };
        t.push(vec![
            r.key.clone(),
            r.date.to_string(),
            r.unit.into(),
            format!("{:.d$}{star}", r.official),
            r.model
                .map(|m| format!("{:.d$} [{:.d$}–{:.d$}]", m.mean, m.p05, m.p95))
                .unwrap_or_else(|| "–".into()),
            r.error_pct()
                .map(|e| format!("{e:+.1} %"))
                .unwrap_or_else(|| "–".into()),
            interval_cell(r.in_interval()),
            sample_cell(r.out_of_sample),
        ]);
    }
    let mut out = crate::output::align(&t, 1);
    let n = rows.len();
    let inside = rows
        .iter()
        .filter(|r| r.in_interval() == Some(true))
        .count();
    let errs: Vec<f64> = rows.iter().filter_map(|r| r.error_pct()).collect();
    let mae = if errs.is_empty() {
        f64::NAN
    } else {
        errs.iter().map(|e| e.abs()).sum::<f64>() / errs.len() as f64
    };
    let _ = writeln!(
        out,
        "{n} official figures; {inside} inside the model's 90 % interval; mean absolute error {mae:.1} %. * recalled (confirmed = no)."
    );
    out
}

/// The figures as charts for `report.html`: one per official key and span length (a
/// January–June flow is not drawn on the same line as a whole year's).
pub fn charts(rows: &[BacktestRow]) -> Vec<crate::report::backtest::Chart> {
    use crate::report::backtest::{Chart, ChartPoint};
    let mut out: Vec<Chart> = Vec::new();
    for r in rows {
        let span = match r.kind {
            Kind::Stock | Kind::Level => String::new(),
            Kind::Flow | Kind::Yearly => format!(", {} months", r.date.months()),
        };
        let title = format!("{} ({}{span}; {} {})", r.key, r.region, r.metric, r.unit);
        let p = ChartPoint {
            x: r.date.axis(),
            official: r.official,
            confirmed: r.confirmed,
            mean: r.model.map(|m| m.mean).unwrap_or(f64::NAN),
            lo: r.model.map(|m| m.p05).unwrap_or(f64::NAN),
            hi: r.model.map(|m| m.p95).unwrap_or(f64::NAN),
        };
        match out.iter_mut().find(|c| c.title == title) {
            Some(c) => c.points.push(p),
            None => out.push(Chart {
                title,
                unit: r.unit.to_string(),
                points: vec![p],
            }),
        }
    }
    for c in &mut out {
        c.points.sort_by(|a, b| a.x.total_cmp(&b.x));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_in_their_three_forms_and_reject_the_rest() {
        assert_eq!(HistDate::parse("2017"), Some(HistDate::Year(2017)));
        assert_eq!(HistDate::parse("2018-02"), Some(HistDate::Month(2018, 2)));
        assert_eq!(
            HistDate::parse("2023-01/2023-09"),
            Some(HistDate::Span(2023, 1, 2023, 9))
        );
        for bad in [
            "2018-13",
            "2018-2",
            "18",
            "2023-09/2023-01",
            "2014-Q3",
            "",
            "2018-00",
        ] {
            assert_eq!(HistDate::parse(bad), None, "{bad}");
        }
        assert_eq!(HistDate::parse("2022-07/2023-06").unwrap().months(), 12);
    }

    #[test]
    fn a_stock_at_year_end_lies_between_the_two_half_years_around_it() {
        // From 2017 over 7 years: end of December 2017 is month-end 12, between the centres of
        // H2 2017 (9.5) and H1 2018 (15.5).
        let m = Match::of(Kind::Stock, HistDate::Month(2017, 12), 2017, 7).unwrap();
        assert_eq!(m.weights.len(), 2);
        assert_eq!(m.weights[0].0, 1);
        assert_eq!(m.weights[1].0, 2);
        assert!((m.weights[0].1 - 3.5 / 6.0).abs() < 1e-12);
        assert!((m.weights[1].1 - 2.5 / 6.0).abs() < 1e-12);
        // September 2023: 5.5/6 of the way from H1 2023 to H2 2023.
        let m = Match::of(Kind::Stock, HistDate::Month(2023, 9), 2017, 7).unwrap();
        assert_eq!(m.weights[0].0, 12);
        assert!((m.weights[1].1 - 5.5 / 6.0).abs() < 1e-12);
        // A linear path of monthly stocks is matched exactly: value = month-end index.
        let halves: Vec<f64> = (0..14).map(|k| 6.0 * k as f64 + 3.5).collect();
        for (y, mo) in [(2018, 2), (2019, 5), (2021, 2), (2022, 3)] {
            let m = Match::of(Kind::Stock, HistDate::Month(y, mo), 2017, 7).unwrap();
            let want = ((y - 2017) * 12 + mo as i32) as f64;
            assert!((m.value(&halves) - want).abs() < 1e-9, "{y}-{mo}");
        }
        // Before the first centre and after the last: the nearest half-year.
        let m = Match::of(Kind::Stock, HistDate::Month(2017, 2), 2017, 7).unwrap();
        assert_eq!(m.weights, vec![(0, 1.0)]);
        // A level averaged over July–September 2019 is the stock of mid-August 2019.
        let m = Match::of(Kind::Level, HistDate::Span(2019, 7, 2019, 9), 2017, 7).unwrap();
        assert!((m.value(&halves) - (24.0 + 8.0)).abs() < 1e-9);
        assert!(Match::of(Kind::Stock, HistDate::Span(2019, 7, 2019, 9), 2017, 7).is_none());
        let m = Match::of(Kind::Stock, HistDate::Month(2023, 12), 2017, 7).unwrap();
        assert_eq!(m.weights, vec![(13, 1.0)]);
        // A stock dated by a year is its year-end figure.
        assert_eq!(
            Match::of(Kind::Stock, HistDate::Year(2020), 2017, 7),
            Match::of(Kind::Stock, HistDate::Month(2020, 12), 2017, 7)
        );
        // Outside the run.
        assert!(Match::of(Kind::Stock, HistDate::Month(2016, 12), 2017, 7).is_none());
        assert!(Match::of(Kind::Stock, HistDate::Month(2024, 1), 2017, 7).is_none());
    }

    #[test]
    fn a_seasonal_flow_weighs_october_to_december_by_its_multiple() {
        // 10 a month in January–September, 16 in October–December (q4 = 1.6): H1 60, H2 78.
        let halves = vec![60.0, 78.0];
        let jan_sep =
            Match::seasonal(Kind::Flow, HistDate::Span(2023, 1, 2023, 9), 2023, 1, 1.6).unwrap();
        assert!((jan_sep.value(&halves) - 90.0).abs() < 1e-9, "{jan_sep:?}");
        let q4 =
            Match::seasonal(Kind::Flow, HistDate::Span(2023, 10, 2023, 12), 2023, 1, 1.6).unwrap();
        assert!((q4.value(&halves) - 48.0).abs() < 1e-9);
        let year = Match::seasonal(Kind::Flow, HistDate::Year(2023), 2023, 1, 1.6).unwrap();
        assert!((year.value(&halves) - 138.0).abs() < 1e-9);
        // Pro rata, January–September would read 99; a first half is never weighted.
        let plain = Match::of(Kind::Flow, HistDate::Span(2023, 1, 2023, 9), 2023, 1).unwrap();
        assert!((plain.value(&halves) - 99.0).abs() < 1e-9);
        let h1 = Match::seasonal(Kind::Flow, HistDate::Span(2023, 1, 2023, 6), 2023, 1, 1.6);
        assert_eq!(
            h1,
            Match::of(Kind::Flow, HistDate::Span(2023, 1, 2023, 6), 2023, 1)
        );
        // Without a season the weights are the plain ones, bit for bit.
        for date in [
            HistDate::Span(2023, 1, 2023, 9),
            HistDate::Span(2023, 8, 2023, 11),
        ] {
            assert_eq!(
                Match::seasonal(Kind::Flow, date, 2023, 1, 1.0),
                Match::of(Kind::Flow, date, 2023, 1)
            );
        }
        // Only temporary assistance has the season.
        let s = Season { temporary_q4: 1.6 };
        assert_eq!(s.q4("temporary_cases"), 1.6);
        assert_eq!(s.q4("cost_temporary"), 1.6);
        assert_eq!(s.q4("cost_dibao"), 1.0);
    }

    #[test]
    fn a_flow_is_summed_over_its_months_pro_rata_within_half_years() {
        // January–September 2023: all of H1 2023 and half of H2 2023.
        let m = Match::of(Kind::Flow, HistDate::Span(2023, 1, 2023, 9), 2017, 7).unwrap();
        assert_eq!(m.weights.len(), 2);
        assert_eq!(m.weights[0].0, 12);
        assert!((m.weights[0].1 - 1.0).abs() < 1e-12);
        assert_eq!(m.weights[1].0, 13);
        assert!((m.weights[1].1 - 0.5).abs() < 1e-12);
        // A flow of 10 a month in every month: January–September is 90.
        let halves = vec![60.0; 14];
        assert!((m.value(&halves) - 90.0).abs() < 1e-9);
        // July 2022 – June 2023 crosses a year: H2 2022 and H1 2023 whole.
        let m = Match::of(Kind::Flow, HistDate::Span(2022, 7, 2023, 6), 2017, 7).unwrap();
        let w: Vec<(usize, f64)> = m
            .weights
            .iter()
            .map(|&(k, w)| (k, (w * 1e9).round() / 1e9))
            .collect();
        assert_eq!(w, vec![(11, 1.0), (12, 1.0)]);
        // A year is January–December.
        let m = Match::of(Kind::Flow, HistDate::Year(2018), 2017, 7).unwrap();
        assert_eq!(m.weights, vec![(2, 1.0), (3, 1.0)]);
        assert!(Match::of(Kind::Flow, HistDate::Span(2016, 12, 2017, 6), 2017, 7).is_none());
    }

    #[test]
    fn yearly_events_match_whole_years_after_the_start_only() {
        // Births and deaths are counted in January: none in the start year.
        assert!(Match::of(Kind::Yearly, HistDate::Year(2017), 2017, 7).is_none());
        assert!(Match::of(Kind::Yearly, HistDate::Span(2017, 1, 2017, 12), 2017, 7).is_none());
        let m = Match::of(Kind::Yearly, HistDate::Span(2018, 1, 2018, 12), 2017, 7).unwrap();
        assert_eq!(m.weights, vec![(2, 1.0), (3, 1.0)]);
        assert_eq!(
            Match::of(Kind::Yearly, HistDate::Year(2023), 2017, 7)
                .unwrap()
                .weights,
            vec![(12, 1.0), (13, 1.0)]
        );
        // Part of a year, or past the horizon: not compared.
        assert!(Match::of(Kind::Yearly, HistDate::Span(2018, 1, 2018, 6), 2017, 7).is_none());
        assert!(Match::of(Kind::Yearly, HistDate::Year(2024), 2017, 7).is_none());
    }

    const HEAD: &str = "key,date,unit,value,source,confirmed\n";

    #[test]
    fn units_convert_to_the_metrics_units() {
        let h = History::parse(
            &format!(
                "{HEAD}dibao_persons_total,2018-02,10k persons,5160,s,yes\n\
                 dibao_spend_total,2018,100 million yuan,1632,s,no\n\
                 dibao_std_rural,2018,yuan/person/year,4833,s,yes\n\
                 dibao_std_urban,2018,yuan/person/month,580,s,yes\n"
            ),
            "h.csv",
        )
        .unwrap();
        let conv: Vec<f64> = h
            .rows
            .iter()
            .map(|r| {
                let f = FIGURES.iter().find(|f| f.key == r.key).unwrap();
                r.value * unit_factor(&r.unit, f.dim).unwrap()
            })
            .collect();
        assert!((conv[0] - 51.6).abs() < 1e-9);
        assert!((conv[1] - 163.2).abs() < 1e-9);
        assert!((conv[2] - 402.75).abs() < 1e-9);
        assert_eq!(conv[3], 580.0);
        assert!(!h.rows[1].confirmed);
        assert_eq!(h.annual("dibao_std_rural", 2018).unwrap().0, 4833.0 / 12.0);
    }

    #[test]
    fn a_standard_drives_a_year_at_its_mid_year_level() {
        // Year-end 2018 (600), end of 2019 (624), July–September 2020 (650, at mid-August).
        let h = History::parse(
            &format!(
                "{HEAD}dibao_std_urban,2018,yuan/person/month,600,s,yes\n\
                 dibao_std_urban,2019-12,yuan/person/month,624,s,yes\n\
                 dibao_std_urban,2020-07/2020-09,yuan/person/month,650,s,yes\n"
            ),
            "h.csv",
        )
        .unwrap();
        let at = |y| h.mid_year_level("dibao_std_urban", y).map(|x| x.0);
        assert!((at(2019).unwrap() - 612.0).abs() < 1e-9);
        assert!((at(2020).unwrap() - 644.8).abs() < 1e-9);
        assert_eq!(at(2021), Some(650.0)); // the last value, under a year before
        assert_eq!(at(2018), Some(600.0)); // the first value, half a year after
        assert_eq!(at(2017), None);
        assert_eq!(at(2022), None);
        assert_eq!(
            h.mid_year_level("dibao_std_urban", 2019).unwrap().1.len(),
            2
        );
    }

    /// Standards, incomes and prices for 2022 and 2023: the drivers two overlay tests share.
    const DRIVERS_2022_2023: &str = "dibao_std_urban,2022,yuan/person/month,740,s,yes\n\
        dibao_std_urban,2023,yuan/person/month,780,s,yes\n\
        dibao_std_rural,2022,yuan/person/month,550,s,yes\n\
        dibao_std_rural,2023,yuan/person/month,600,s,yes\n\
        income_pc_urban,2022,yuan/person/year,48000,s,yes\n\
        income_pc_urban,2023,yuan/person/year,50000,s,yes\n\
        income_pc_rural,2022,yuan/person/year,20000,s,yes\n\
        income_pc_rural,2023,yuan/person/year,21000,s,yes\n\
        cpi_index,2023,previous year = 100,102,s,yes\n";

    #[test]
    fn the_overlay_sets_standards_incomes_and_prices_from_the_history() {
        let h = History::parse(
            &format!(
                "{HEAD}dibao_std_urban,2021,yuan/person/month,700,s,yes\n\
                 dibao_std_rural,2021,yuan/person/month,500,s,yes\n{DRIVERS_2022_2023}"
            ),
            "h.csv",
        )
        .unwrap();
        let loaded = crate::scenario::load_str("", "t").unwrap();
        let ov = overlay(&h, &loaded, 2022).unwrap();
        let get = |k: &str| {
            ov.sets
                .iter()
                .find(|s| s.0 == k)
                .map(|s| s.1.clone())
                .unwrap()
        };
        let f = |v: Value| v.as_float().unwrap();
        let sched = |v: Value, y: &str| v.as_table().unwrap()[y].as_float().unwrap();
        // Mid-2022: halfway between the year-ends of 2021 and 2022.
        assert_eq!(f(get("programs.dibao.standard.urban")), 720.0);
        assert_eq!(f(get("programs.dibao.standard.rural")), 525.0);
        assert_eq!(
            sched(get("programs.dibao.standard.growth_urban"), "2023"),
            r6(760.0 / 720.0 - 1.0)
        );
        assert_eq!(sched(get("dynamics.prices.inflation"), "2023"), 0.02);
        assert_eq!(
            f(get("population.income.level_urban")),
            r6(48000.0 / 50000.0)
        );
        assert_eq!(
            f(get("population.income.level_rural")),
            r6(20000.0 / 21000.0)
        );
        // Real growth: urban and rural nominal growth weighted by the model's persons.
        let t = StrataTable::from_scenario(&loaded.scenario, "t").unwrap();
        let p = |r| {
            t.strata
                .iter()
                .filter(|s| s.region == r)
                .map(|s| s.persons)
                .sum::<f64>()
        };
        let w = p(Region::Urban) / (p(Region::Urban) + p(Region::Rural));
        let nominal = w * (50000.0 / 48000.0 - 1.0) + (1.0 - w) * (21000.0 / 20000.0 - 1.0);
        assert_eq!(
            sched(get("dynamics.income.growth"), "2023"),
            r6((1.0 + nominal) / 1.02 - 1.0)
        );
        // Amounts at 2023 prices are deflated to 2022.
        assert_eq!(
            f(get("programs.tekun.institutional_cost")),
            r6(loaded.scenario.programs.tekun.institutional_cost / 1.02)
        );
        let applied = ov.apply(&loaded, "h.csv").unwrap();
        assert_eq!(applied.scenario.simulation.start_year, 2022);
        assert_eq!(applied.scenario.simulation.years, 2);
        assert!(applied.scenario.references["dynamics.prices.inflation"].contains("cpi_index"));
        // A missing year of a driver is named.
        let e = overlay(&h, &loaded, 2021).unwrap_err().to_string();
        assert!(e.contains("`cpi_index` dated 2022"), "{e}");
    }

    #[test]
    fn the_overlay_sets_the_poor_areas_gap_only_when_they_are_on() {
        let rows = DRIVERS_2022_2023;
        let h = History::parse(
            &format!("{HEAD}{rows}income_pc_poor_area_rural_growth,2023,percent,7.0,s,no\n"),
            "h.csv",
        )
        .unwrap();
        let key = "dynamics.income.poor_area.growth_gap";
        let off = crate::scenario::load_str("", "t").unwrap();
        let ov = overlay(&h, &off, 2022).unwrap();
        assert!(!ov.sets.iter().any(|s| s.0 == key));
        let on = crate::scenario::load_str(
            "[dynamics.income.poor_area]\nshare = 0.3\ngrowth_gap = { 2024 = 0.0 }\n",
            "t",
        )
        .unwrap();
        let ov = overlay(&h, &on, 2022).unwrap();
        let gap = ov.sets.iter().find(|s| s.0 == key).unwrap().1.clone();
        // 7 % against all rural's 5 %: 2 points.
        assert_eq!(
            gap.as_table().unwrap()["2023"].as_float(),
            Some(r6(0.07 - 0.05))
        );
        let applied = ov.apply(&on, "h.csv").unwrap();
        assert!(applied.scenario.references[key].contains("income_pc_poor_area_rural_growth"));
        assert_eq!(
            applied.scenario.dynamics.income.poor_area.table_year,
            TABLE_YEAR
        );
        // On, a missing year of the series is named.
        let h = History::parse(&format!("{HEAD}{rows}"), "h.csv").unwrap();
        let e = overlay(&h, &on, 2022).unwrap_err().to_string();
        assert!(
            e.contains("`income_pc_poor_area_rural_growth` dated 2023"),
            "{e}"
        );
    }

    #[test]
    fn changes_are_taken_within_each_replication_between_like_dates() {
        let row = |date: HistDate, kind: Kind, official: f64, per_rep: Vec<f64>| BacktestRow {
            key: "k".into(),
            date,
            metric: "m",
            region: "national",
            unit: "u",
            official,
            model: Stats::of(&per_rep),
            out_of_sample: date.end_year() > 2021,
            confirmed: true,
            kind,
            matched: String::new(),
            row: 0,
            per_rep,
        };
        let rows = vec![
            row(
                HistDate::Month(2021, 9),
                Kind::Stock,
                100.0,
                vec![50.0, 40.0],
            ),
            row(
                HistDate::Month(2022, 3),
                Kind::Stock,
                98.0,
                vec![55.0, 40.0],
            ),
            row(
                HistDate::Month(2023, 9),
                Kind::Stock,
                94.0,
                vec![60.0, 42.0],
            ),
        ];
        let c = changes(&rows);
        // Consecutive pairs and each date to the last: 2021-09→2022-03, 2021-09→2023-09,
        // 2022-03→2023-09.
        assert_eq!(c.len(), 3);
        let long = c
            .iter()
            .find(|r| r.from == HistDate::Month(2021, 9) && r.to == HistDate::Month(2023, 9))
            .unwrap();
        assert!((long.official_pct + 6.0).abs() < 1e-9);
        // Within replications: +20 % and +5 %, mean +12.5 % (not the change of the means).
        assert!((long.model.unwrap().mean - 12.5).abs() < 1e-9);
        assert!((long.error_pp().unwrap() - 18.5).abs() < 1e-9);
        assert!(long.out_of_sample);
        // Flows over different spans are not compared with each other.
        let flows = vec![
            row(
                HistDate::Span(2022, 1, 2022, 3),
                Kind::Flow,
                10.0,
                vec![1.0],
            ),
            row(
                HistDate::Span(2022, 1, 2022, 6),
                Kind::Flow,
                20.0,
                vec![2.0],
            ),
        ];
        assert!(changes(&flows).is_empty());
    }

    fn err(text: &str) -> String {
        History::parse(&format!("{HEAD}{text}"), "h.csv")
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn bad_rows_name_the_row_the_column_and_what_is_allowed() {
        let e = err("dibao_persons_total,2018-13,million persons,51.6,s,yes\n");
        assert!(
            e.contains("h.csv: row 2, column `date`: value `2018-13`"),
            "{e}"
        );
        let e = err("dibao_persons_total,2018-02,million persons,51.6,s,yes\ndibao_persons_total,2018-03,million persons,lots,s,yes\n");
        assert!(e.contains("row 3, column `value`: value `lots`"), "{e}");
        let e = err("dibao_persons_total,2018-02,million yuan,51.6,s,yes\n");
        assert!(
            e.contains("row 2, column `unit`") && e.contains("million persons"),
            "{e}"
        );
        let e = err("dibao_persons_total,2018-02,million persons,51.6,s,maybe\n");
        assert!(
            e.contains("column `confirmed`") && e.contains("yes or no"),
            "{e}"
        );
        let e = err("dibao_persons_total,2018-02,million persons,51.6,,yes\n");
        assert!(e.contains("column `source`"), "{e}");
        let e = err("dibao_persons_total,2018-01/2018-06,million persons,51.6,s,yes\n");
        assert!(e.contains("is a stock"), "{e}");
        let e = err("dibao_spend_total,2018-06,billion yuan,51.6,s,yes\n");
        assert!(e.contains("is a flow"), "{e}");
        let e = err("tekun_persons_total,2018-06,million persons,4,s,yes\ntekun_persons_total,2018-06,million persons,4.1,s,yes\n");
        assert!(
            e.contains("row 3, column `date`") && e.contains("row 2 has it"),
            "{e}"
        );
        let e = History::parse("key,date,value,source,confirmed\n", "h.csv")
            .unwrap_err()
            .to_string();
        assert!(e.contains("row 1, column `unit`"), "{e}");
        // Keys the backtest does not use keep any unit.
        assert!(
            History::parse(&format!("{HEAD}gdp,2018,trillion yuan,90,s,yes\n"), "h.csv").is_ok()
        );
    }
}
