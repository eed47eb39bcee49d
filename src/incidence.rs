//! Benefit incidence by decile (the CEQ-style tables planners know): for each reform against
//! the baseline, by decile of pre-transfer per-capita income, the share of spending each decile
//! receives, the average gain, the shares of households that gain or lose, and the change in
//! each decile's poverty rate. Households are paired across scenarios (common random numbers),
//! so gains and losses are per household, not differences of averages.
//!
//! Deciles are person-weighted deciles of annual pre-transfer per-capita income under the
//! baseline, estimated each replication from a pilot of at most 20,000 of its households.

use crate::engine::{Model, RunCounters};
use crate::error::{Error, Result};
use crate::metrics::{inc, Stats};
use std::fmt::Write as _;

/// One figure of the incidence table, summarised over replications.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidenceRow {
    pub baseline: String,
    pub scenario: String,
    pub year: i32,
    /// 1 (poorest tenth of persons) to 10.
    pub decile: usize,
    pub metric: &'static str,
    /// As outputs label it (`yuan/household/year, 2023 prices` with `--prices 2023`).
    pub unit: String,
    pub stats: Stats,
}

/// The incidence metrics, in output order.
pub const INCIDENCE_METRICS: [(&str, &str); 8] = [
    ("persons_share", "share"),
    ("spending_share_baseline", "share"),
    ("spending_share_reform", "share"),
    ("avg_gain", "yuan/household/year"),
    ("share_gain", "share"),
    ("share_lose", "share"),
    ("poverty_rate_baseline", "share"),
    ("poverty_rate_change", "share"),
];

/// National incidence sums of one scenario, one replication, one year: `[decile][field]`.
fn national(
    model: &Model,
    counters: &crate::metrics::Counters,
    t: usize,
) -> [[f64; inc::F]; inc::DECILES] {
    let mut out = [[0.0; inc::F]; inc::DECILES];
    for (s, w) in model.pop.alloc.weight.iter().enumerate() {
        for (d, row) in out.iter_mut().enumerate() {
            for (f, x) in row.iter_mut().enumerate() {
                *x += w * counters.inc_get(s, t, d, f) as f64;
            }
        }
    }
    out
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 {
        a / b
    } else {
        f64::NAN
    }
}

/// Incidence of every reform (`models[1..]`) against the baseline (`models[0]`), from a run
/// made with `engine::run_with(.., true)`.
pub fn incidence(models: &[Model], rc: &RunCounters) -> Result<Vec<IncidenceRow>> {
    if rc
        .per_scenario
        .first()
        .and_then(|r| r.first())
        .is_some_and(|c| c.inc.is_empty())
    {
        return Err(Error::Internal(
            "incidence asked of a run made without incidence counters".into(),
        ));
    }
    let sim = &models[0].scenario().simulation;
    let mut rows = Vec::new();
    for k in 1..models.len() {
        for t in 0..sim.years as usize {
            // values[decile][metric] over replications
            let mut values = vec![vec![Vec::new(); INCIDENCE_METRICS.len()]; inc::DECILES];
            for rep in 0..rc.per_scenario[0].len() {
                let b = national(&models[0], &rc.per_scenario[0][rep], t);
                let r = national(&models[k], &rc.per_scenario[k][rep], t);
                let persons: f64 = b.iter().map(|x| x[inc::PERSONS]).sum();
                let cash_b: f64 = b.iter().map(|x| x[inc::CASH_FEN]).sum();
                let cash_r: f64 = r.iter().map(|x| x[inc::CASH_FEN]).sum();
                for d in 0..inc::DECILES {
                    let hh = r[d][inc::HOUSEHOLDS];
                    let v = [
                        ratio(b[d][inc::PERSONS], persons),
                        ratio(b[d][inc::CASH_FEN], cash_b),
                        ratio(r[d][inc::CASH_FEN], cash_r),
                        ratio(r[d][inc::GAIN_FEN] / 100.0, hh),
                        ratio(r[d][inc::GAINERS], hh),
                        ratio(r[d][inc::LOSERS], hh),
                        ratio(b[d][inc::POOR_PERSON_MONTHS], 12.0 * b[d][inc::PERSONS]),
                        ratio(
                            r[d][inc::POOR_PERSON_MONTHS] - b[d][inc::POOR_PERSON_MONTHS],
                            12.0 * b[d][inc::PERSONS],
                        ),
                    ];
                    for (m, x) in v.into_iter().enumerate() {
                        values[d][m].push(x);
                    }
                }
            }
            for (d, per_metric) in values.iter().enumerate() {
                for (m, vals) in per_metric.iter().enumerate() {
                    if let Some(stats) = Stats::of(vals) {
                        rows.push(IncidenceRow {
                            baseline: models[0].scenario().name.clone(),
                            scenario: models[k].scenario().name.clone(),
                            year: sim.start_year + t as i32,
                            decile: d + 1,
                            metric: INCIDENCE_METRICS[m].0,
                            unit: INCIDENCE_METRICS[m].1.to_string(),
                            stats,
                        });
                    }
                }
            }
        }
    }
    Ok(rows)
}

/// Restate the money rows (`avg_gain`) in the prices of `year`: the row of year y times
/// price_index(year) ÷ price_index(y) along the scenario's price path
/// (`dynamics.prices.inflation`; its central value when it is uncertain, since the rows keep
/// only summaries over replications).
pub fn restate_prices(rows: &mut [IncidenceRow], model: &Model, year: i32) -> Result<()> {
    let s = model.scenario();
    crate::output::check_prices_year(year, s.simulation.start_year, s.simulation.years)?;
    let index = crate::dynamics::YearPaths::new(&s.dynamics, &s.simulation).price_index;
    let at = |y: i32| index[(y - s.simulation.start_year) as usize];
    for r in rows.iter_mut().filter(|r| crate::output::is_money(&r.unit)) {
        let k = at(year) / at(r.year);
        let st = &mut r.stats;
        (st.mean, st.sd, st.p05, st.p50, st.p95) =
            (st.mean * k, st.sd * k, st.p05 * k, st.p50 * k, st.p95 * k);
        r.unit = crate::output::unit_in(&r.unit, Some(year));
    }
    Ok(())
}

/// `incidence.csv`: baseline, scenario, year, decile, metric, unit, mean, sd, p05, p50, p95.
pub fn incidence_csv(rows: &[IncidenceRow]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let err = |e: csv::Error| Error::Internal(e.to_string());
    w.write_record([
        "baseline", "scenario", "year", "decile", "metric", "unit", "mean", "sd", "p05", "p50",
        "p95",
    ])
    .map_err(err)?;
    for r in rows {
        let mut rec = vec![
            r.baseline.clone(),
            r.scenario.clone(),
            r.year.to_string(),
            r.decile.to_string(),
            r.metric.to_string(),
            r.unit.to_string(),
        ];
        rec.extend(r.stats.cells());
        w.write_record(&rec).map_err(err)?;
    }
    w.into_inner().map_err(|e| Error::Internal(e.to_string()))
}

/// A readable incidence table of one reform in one year (means over replications).
pub fn incidence_table(rows: &[IncidenceRow], reform: &str, year: i32) -> String {
    let get = |d: usize, m: &str| {
        rows.iter()
            .find(|r| r.scenario == reform && r.year == year && r.decile == d && r.metric == m)
            .map(|r| r.stats.mean)
            .unwrap_or(f64::NAN)
    };
    let mut out = String::new();
    let prices = rows
        .iter()
        .find(|r| r.scenario == reform && crate::output::is_money(&r.unit))
        .and_then(|r| r.unit.split_once(", "))
        .map(|(_, p)| format!("; gains in {p}"))
        .unwrap_or_default();
    let _ = writeln!(out, "Benefit incidence of `{reform}` in {year}, by decile of pre-transfer income per person (means over replications{prices})");
    let _ = writeln!(
        out,
        "{:>6}  {:>16}  {:>16}  {:>14}  {:>9}  {:>9}  {:>14}",
        "decile",
        "spending % base",
        "spending % new",
        "gain yuan/hh/yr",
        "% gain",
        "% lose",
        "poverty Δ pts"
    );
    for d in 1..=inc::DECILES {
        let _ = writeln!(
            out,
            "{:>6}  {:>16.1}  {:>16.1}  {:>14.0}  {:>9.1}  {:>9.1}  {:>14.2}",
            d,
            100.0 * get(d, "spending_share_baseline"),
            100.0 * get(d, "spending_share_reform"),
            get(d, "avg_gain"),
            100.0 * get(d, "share_gain"),
            100.0 * get(d, "share_lose"),
            100.0 * get(d, "poverty_rate_change"),
        );
    }
    out
}
