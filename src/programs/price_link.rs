//! Price-linked temporary subsidies (价格临时补贴): the linkage of assistance standards to price
//! rises (社会救助和保障标准与物价上涨挂钩联动机制). In a month whose price index, `lag_months`
//! before, rose year on year by at least a threshold (the national CPI, or its food prices),
//! every person on dibao and every tekun person is paid the local dibao standard times the
//! rate of rise (CPI's, or from a dated month on the rate of the index that started it, the
//! higher when both do), times a multiple (the 2020 doubling). It reads dibao's, single-person
//! inclusion's and tekun's awards of the month and pays from their budgets: its cost is counted
//! in `cost_dibao` and `cost_tekun`, where the ministry's yearly spending figures are read to
//! hold it (docs/history-notes.md, "Price-linked subsidies").
//!
//! The indices are data: `synthetic-data/cpi-monthly.csv` (NBS, each month's page cited), and
//! after its last month the scenario's stated `projected_*` rates. The linkage is applied to
//! the national indices: localities start it on their own prices, which straddle the threshold
//! when the national rate is near it (a limit the notes measure).

use super::MAX_PROPENSITIES;
use super::{HouseholdKey, Ledger, MonthCtx, ProgramsParams, Record, Step, YearCtx};
use crate::check::Checker;
use crate::schedule::{month_name, month_number, parse_month, MonthSchedule};
use crate::simulation::SimulationParams;
use serde::{Deserialize, Serialize};

/// The monthly national price indices, year-on-year percent (NBS; sources in the file).
pub const CPI_CSV: &str = include_str!("../../synthetic-data/cpi-monthly.csv");

/// `programs.price_link.*`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceLinkParams {
    /// Switch the linkage on or off.
    pub enabled: bool,
    /// By payment month: the CPI's year-on-year rise (percent) in the index month at or above
    /// which the subsidy is paid.
    pub cpi_threshold_pct: MonthSchedule,
    /// By payment month: the same for the CPI's food prices (percent).
    pub food_threshold_pct: MonthSchedule,
    /// Months from the index month to the month paid on it (a month's index is published in
    /// the next).
    pub lag_months: i32,
    /// First payment month (`YYYY-MM`) whose amount is the rate of the index that started the
    /// linkage (the higher when both did); before it, the CPI's rate whichever started it.
    pub trigger_rate_from: String,
    /// By payment month: multiple of the amount (1: the rule's; 2 in the 2020 doubling).
    pub multiple: MonthSchedule,
    /// Index months after the table's last: the CPI's and its food prices' year-on-year rise
    /// assumed, percent.
    pub projected_cpi_yoy_pct: f64,
    pub projected_food_yoy_pct: f64,
}

impl PriceLinkParams {
    pub(crate) fn validate(&self, c: &mut Checker, sim: &SimulationParams) {
        let k = "programs.price_link";
        let first = month_number(sim.start_year, 0);
        for (name, s, lo, hi, what) in [
            ("cpi_threshold_pct", &self.cpi_threshold_pct, -50.0, 100.0, "percent"),
            ("food_threshold_pct", &self.food_threshold_pct, -50.0, 100.0, "percent"),
            ("multiple", &self.multiple, 0.0, 100.0, "a multiple"),
        ] {
            for (m, v) in s.iter() {
                c.range(&format!("{k}.{name}.{}", month_name(m)), v, lo, hi, what);
            }
            if s.first_month().is_some_and(|f| f > first) {
                c.fail(
                    &format!("{k}.{name}"),
                    format!("{{ first month {} }}", month_name(s.first_month().unwrap())),
                    format!(
                        "a value for {} (the first simulated month) or earlier: a month \
                         schedule holds from its first key on",
                        month_name(first)
                    ),
                );
            }
        }
        c.int_range(&format!("{k}.lag_months"), self.lag_months as i64, 0, 24);
        if parse_month(&self.trigger_rate_from).is_none() {
            c.fail(
                &format!("{k}.trigger_rate_from"),
                format!("\"{}\"", self.trigger_rate_from),
                "a month \"YYYY-MM\" from 1900-01 to 2200-12",
            );
        }
        c.range(
            &format!("{k}.projected_cpi_yoy_pct"),
            self.projected_cpi_yoy_pct,
            -50.0,
            100.0,
            "percent",
        );
        c.range(
            &format!("{k}.projected_food_yoy_pct"),
            self.projected_food_yoy_pct,
            -50.0,
            100.0,
            "percent",
        );
    }

    /// The subsidy of payment month `n` (a [`month_number`]) as a share of the local dibao
    /// standard, per person: 0 when neither index's rise reached its threshold. `indices`
    /// gives the index month's (CPI, food) year-on-year rises, percent; an index not known
    /// (`None`) starts nothing, and a CPI not known pays nothing under the CPI's rate.
    pub fn share(&self, n: i32, indices: impl Fn(i32) -> Indices) -> f64 {
        let (cpi, food) = indices(n - self.lag_months);
        let (Some(cpi_at), Some(food_at), Some(multiple)) = (
            self.cpi_threshold_pct.at(n),
            self.food_threshold_pct.at(n),
            self.multiple.at(n),
        ) else {
            return 0.0;
        };
        let by_cpi = cpi.filter(|&x| x >= cpi_at);
        let by_food = food.filter(|&x| x >= food_at);
        if by_cpi.is_none() && by_food.is_none() {
            return 0.0;
        }
        let trigger_rate = parse_month(&self.trigger_rate_from).is_some_and(|f| n >= f);
        let rate = if trigger_rate {
            by_cpi.into_iter().chain(by_food).fold(f64::NEG_INFINITY, f64::max)
        } else {
            cpi.unwrap_or(0.0)
        };
        (rate / 100.0).max(0.0) * multiple
    }
}

/// A month's (CPI, food) year-on-year rises, percent; `None`: not found.
pub type Indices = (Option<f64>, Option<f64>);

/// One row of `synthetic-data/cpi-monthly.csv`.
#[derive(Debug, Deserialize)]
struct IndexRow {
    month: String,
    cpi_yoy_pct: Option<f64>,
    food_yoy_pct: Option<f64>,
    source: String,
}

/// The monthly indices of [`CPI_CSV`]: its first month and the (CPI, food) rises of each
/// month from it, percent (`None`: not found; the row's source says so). Panics on a
/// malformed table (it is embedded; a test reads it).
pub fn index_table() -> (i32, Vec<Indices>) {
    let mut first = None;
    let mut rows = Vec::new();
    for (i, r) in csv::Reader::from_reader(CPI_CSV.as_bytes())
        .deserialize::<IndexRow>()
        .enumerate()
    {
        let r = r.unwrap_or_else(|e| panic!("synthetic-data/cpi-monthly.csv row {}: {e}", i + 2));
        let n = parse_month(&r.month).unwrap_or_else(|| {
            panic!("synthetic-data/cpi-monthly.csv row {}: month `{}`", i + 2, r.month)
        });
        let f = *first.get_or_insert(n);
        assert!(
            n == f + rows.len() as i32 && !r.source.trim().is_empty(),
            "synthetic-data/cpi-monthly.csv row {}: months must follow each other, each with its source",
            i + 2
        );
        rows.push((r.cpi_yoy_pct, r.food_yoy_pct));
    }
    (first.expect("synthetic-data/cpi-monthly.csv has no month"), rows)
}

/// First and last payment month of the precomputed shares (the run's months lie within them:
/// `simulation.start_year` is 1990–2100). Index months before the table pay nothing, after it
/// the projected rates.
const FIRST_MONTH: i32 = 1990 * 12;
const LAST_MONTH: i32 = 2201 * 12 - 1;

/// The linkage as a step. It never acts on a household of its own accord (no line):
/// recipients of dibao and tekun take every month's steps.
#[derive(Debug, Clone)]
pub struct PriceLink {
    /// Share of the standard per person, by payment month from [`FIRST_MONTH`].
    shares: Box<[f64]>,
}

impl Step for PriceLink {
    type Household = ();
    const QUIET: bool = true;

    fn new(p: &ProgramsParams) -> Option<PriceLink> {
        let q = &p.price_link;
        if !q.enabled {
            return None;
        }
        let (first, table) = index_table();
        let last = first + table.len() as i32 - 1;
        let indices = |i: i32| {
            if i < first {
                (None, None)
            } else if i > last {
                (Some(q.projected_cpi_yoy_pct), Some(q.projected_food_yoy_pct))
            } else {
                table[(i - first) as usize]
            }
        };
        let shares = (FIRST_MONTH..=LAST_MONTH)
            .map(|n| q.share(n, indices))
            .collect();
        Some(PriceLink { shares })
    }

    fn household(&self, _key: &HouseholdKey, _u: &[f64; MAX_PROPENSITIES]) {}

    fn year(&self, _h: &mut (), _y: &YearCtx) -> f64 {
        f64::NEG_INFINITY
    }

    fn line(&self, _y: &YearCtx) -> Option<f64> {
        Some(f64::NEG_INFINITY)
    }

    fn step(&self, _h: &mut (), y: &YearCtx, mo: &MonthCtx, led: &mut Ledger, rec: &mut Record) {
        let share = self.share_in(y, mo);
        if share == 0.0 {
            return;
        }
        led.pay_dibao_and_tekun_persons(share * y.standard, y.size, rec);
    }

    /// In a month that pays nothing the step does nothing.
    #[inline(always)]
    fn quiet(&self, _h: &(), y: &YearCtx, mo: &MonthCtx, _: &mut Ledger) -> bool {
        self.share_in(y, mo) == 0.0
    }
}

impl PriceLink {
    /// The month's share of the standard. Burn-in months (m < 0) stand for the years before
    /// the start and pay nothing.
    #[inline(always)]
    fn share_in(&self, y: &YearCtx, mo: &MonthCtx) -> f64 {
        if mo.m < 0 {
            return 0.0;
        }
        let n = month_number(y.year, mo.m.rem_euclid(12)).clamp(FIRST_MONTH, LAST_MONTH);
        self.shares[(n - FIRST_MONTH) as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> PriceLinkParams {
        crate::scenario::load_str("", "t")
            .unwrap()
            .scenario
            .programs
            .price_link
    }

    fn m(s: &str) -> i32 {
        parse_month(s).unwrap()
    }

    /// A table of two index months: food 20 % and CPI 5 % in 2020-01, food 6.3 % and CPI 2.7 %
    /// in 2022-07; nothing else.
    fn indices(i: i32) -> Indices {
        if i == m("2020-01") {
            (Some(5.0), Some(20.0))
        } else if i == m("2022-07") {
            (Some(2.7), Some(6.3))
        } else {
            (Some(1.0), Some(1.0))
        }
    }

    #[test]
    fn the_rule_pays_the_cpi_rate_then_the_starting_index_one_month_later() {
        let mut p = params();
        p.cpi_threshold_pct = MonthSchedule([(m("2000-01"), 3.5)].into());
        p.food_threshold_pct = MonthSchedule([(m("2000-01"), 6.0)].into());
        p.lag_months = 1;
        p.trigger_rate_from = "2021-11".into();
        p.multiple = MonthSchedule([(m("2000-01"), 1.0)].into());
        let share = |s: &str| p.share(m(s), indices);
        // Food started it in January 2020; paid in February at the CPI's rate (before
        // trigger_rate_from).
        assert_eq!(share("2020-01"), 0.0);
        assert!((share("2020-02") - 0.05).abs() < 1e-12);
        // Food alone started it in July 2022: paid in August at food's rate (from
        // trigger_rate_from on).
        assert!((share("2022-08") - 0.063).abs() < 1e-12);
        assert_eq!(share("2022-09"), 0.0);
        // The doubling multiplies; a threshold above the rate stops it.
        p.multiple = MonthSchedule([(m("2000-01"), 1.0), (m("2020-02"), 2.0)].into());
        assert!((p.share(m("2020-02"), indices) - 0.10).abs() < 1e-12);
        p.food_threshold_pct = MonthSchedule([(m("2000-01"), 25.0)].into());
        p.cpi_threshold_pct = MonthSchedule([(m("2000-01"), 5.5)].into());
        assert_eq!(p.share(m("2020-02"), indices), 0.0);
        p.cpi_threshold_pct = MonthSchedule([(m("2000-01"), 5.5), (m("2020-02"), 3.0)].into());
        assert!((p.share(m("2020-02"), indices) - 0.10).abs() < 1e-12);
        // No index for the month before: nothing paid; food unknown, the CPI alone decides.
        assert_eq!(p.share(m("2020-02"), |_| (None, None)), 0.0);
        assert!((p.share(m("2020-02"), |_| (Some(5.0), None)) - 0.10).abs() < 1e-12);
        assert_eq!(p.share(m("2020-02"), |_| (Some(2.0), None)), 0.0);
    }

    #[test]
    fn the_embedded_table_runs_month_by_month_and_is_sourced() {
        let (first, rows) = index_table();
        assert_eq!(month_name(first), "2017-01");
        assert_eq!(rows.len(), 84, "2017-01 to 2023-12");
        for (cpi, food) in &rows {
            assert!(cpi.is_none_or(|x| (-5.0..=10.0).contains(&x)));
            assert!(food.is_none_or(|x| (-20.0..=40.0).contains(&x)));
        }
        // Three gaps, each said in its row's source: 2017-02, 2018-01, 2019-05's food.
        let gaps = rows.iter().filter(|(a, b)| a.is_none() || b.is_none()).count();
        assert_eq!(gaps, 3);
    }

    #[test]
    fn bad_keys_are_refused_naming_key_and_value() {
        for (toml, key, value) in [
            ("trigger_rate_from = \"2021-13\"", "trigger_rate_from", "2021-13"),
            ("lag_months = 30", "lag_months", "30"),
            ("multiple = { \"2020-03\" = -2.0 }", "multiple", "-2"),
            ("cpi_threshold_pct = { \"2000-01\" = 300.0 }", "cpi_threshold_pct", "300"),
        ] {
            let e = crate::scenario::load_str(&format!("[programs.price_link]\n{toml}\n"), "t.toml")
                .unwrap_err()
                .to_string();
            assert!(
                e.contains(&format!("programs.price_link.{key}")) && e.contains(value),
                "{e}"
            );
        }
    }
}
