//! Who pays: cost split between the central transfer (the "subsidy funds for people in
//! difficulty") and local budgets, by province and program (DESIGN section 4).
//!
//! The central allocation of year t is made in advance, from the province's expected need:
//! for each province and covered program (dibao, tekun, temporary assistance), the mean over
//! replications of the modelled cost of year t − 1 (year t itself for the first year, which
//! has no simulated prior year), grown by `payers.allocation_growth`, times the central share
//! of the province's region class (`payers.central_share.*`, larger in the west and centre).
//! In each replication the central fund pays the actual cost up to its allocation; the local
//! budget pays the rest, so an overrun lands on it. Special assistance and care services are
//! local. The split is computed from the province × program cost figures after the
//! reduction; the engine is not involved.

pub mod params;

use crate::engine::{Model, RunCounters};
use crate::error::{Error, Result};
use crate::metrics::{figures, Period, RegionSet, Stats, METRICS};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// Region class of every province (`synthetic-data/central-allocation.csv`).
pub const ALLOCATION_CSV: &str = include_str!("../../synthetic-data/central-allocation.csv");

/// Programs: (name in metric ids, cost metric, covered by the central fund).
pub const PROGRAMS: [(&str, &str, bool); 5] = [
    ("dibao", "cost_dibao", true),
    ("tekun", "cost_tekun", true),
    ("temporary", "cost_temporary", true),
    ("special", "cost_special", false),
    ("services", "cost_services", false),
];

fn classes() -> &'static BTreeMap<String, String> {
    static MAP: OnceLock<BTreeMap<String, String>> = OnceLock::new();
    MAP.get_or_init(|| {
        let mut r = csv::Reader::from_reader(ALLOCATION_CSV.as_bytes());
        r.records()
            .filter_map(|rec| rec.ok())
            .map(|rec| (rec[0].to_string(), rec[1].to_string()))
            .collect()
    })
}

/// The region class of a province: `east`, `centre`, `northeast` or `west`.
pub fn region_class(province: &str) -> Result<&'static str> {
    classes().get(province).map(|s| s.as_str()).ok_or_else(|| {
        Error::Usage(format!(
            "province `{province}` has no region class in synthetic-data/central-allocation.csv"
        ))
    })
}

/// One payer figure of one scenario over replications.
#[derive(Debug, Clone)]
pub struct PayerRow {
    pub scenario: String,
    pub year: i32,
    /// `national` or `province:NAME`.
    pub region: String,
    pub metric: String,
    /// Per-replication values, bn yuan.
    pub values: Vec<f64>,
    pub stats: Stats,
}

/// The payer split of one scenario: `[replication][year][province][program]`, bn yuan.
#[derive(Debug, Clone)]
pub struct PayerSplit {
    pub scenario: String,
    pub provinces: Vec<String>,
    pub cost: Vec<Vec<Vec<[f64; 5]>>>,
    pub central: Vec<Vec<Vec<[f64; 5]>>>,
    /// `[year][province][program]`, the allocation made in advance, bn yuan.
    pub allocation: Vec<Vec<[f64; 5]>>,
    pub start_year: i32,
    pub by_province: bool,
}

/// The split of every scenario of a run; `None` for a scenario without provinces (an inline
/// population) or with microdata (province cells rest on few records).
pub fn split(models: &[Model], rc: &RunCounters) -> Result<Vec<Option<PayerSplit>>> {
    let mut out = Vec::new();
    for (m, reps) in models.iter().zip(&rc.per_scenario) {
        out.push(split_one(m, reps)?);
    }
    Ok(out)
}

fn split_one(m: &Model, reps: &[crate::metrics::Counters]) -> Result<Option<PayerSplit>> {
    let s = m.scenario();
    if m.pop.microdata.is_some() {
        return Ok(None);
    }
    let regions: Vec<RegionSet> = crate::metrics::regions(&m.pop.strata, true)
        .into_iter()
        .filter(|r| r.name.starts_with("province:"))
        .collect();
    if regions.is_empty() {
        return Ok(None);
    }
    let provinces: Vec<String> = regions
        .iter()
        .map(|r| r.name["province:".len()..].to_string())
        .collect();
    let shares: Vec<f64> = provinces
        .iter()
        .map(|p| Ok(s.payers.central_share.of(region_class(p)?)))
        .collect::<Result<_>>()?;
    let years = s.simulation.years as usize;
    let start = s.simulation.start_year;
    let metric_idx: Vec<usize> = PROGRAMS
        .iter()
        .map(|(_, name, _)| {
            METRICS
                .iter()
                .position(|d| d.name == *name)
                .expect("program cost metrics exist")
        })
        .collect();
    // Actual cost per replication, from the province figures of the reduced counters.
    let mut cost = vec![vec![vec![[0.0f64; 5]; provinces.len()]; years]; reps.len()];
    for (r, k) in reps.iter().enumerate() {
        let w = m.pop.year_weights(&m.scenario().simulation, k);
        for f in figures(k, &w, &regions, start) {
            if f.period != Period::FullYear {
                continue;
            }
            if let Some(j) = metric_idx.iter().position(|&i| i == f.metric) {
                cost[r][(f.year - start) as usize][f.region][j] = f.value;
            }
        }
    }
    let n = reps.len() as f64;
    let growth = 1.0 + s.payers.allocation_growth;
    let mut allocation = vec![vec![[0.0f64; 5]; provinces.len()]; years];
    for (t, at) in allocation.iter_mut().enumerate() {
        let basis = t.saturating_sub(1);
        for (p, ap) in at.iter_mut().enumerate() {
            for (j, (_, _, covered)) in PROGRAMS.iter().enumerate() {
                if *covered {
                    let expected = cost.iter().map(|c| c[basis][p][j]).sum::<f64>() / n;
                    ap[j] = shares[p] * expected * growth;
                }
            }
        }
    }
    let central = cost
        .iter()
        .map(|c| {
            c.iter()
                .zip(&allocation)
                .map(|(ct, at)| {
                    ct.iter()
                        .zip(at)
                        .map(|(cp, ap)| std::array::from_fn(|j| cp[j].min(ap[j])))
                        .collect()
                })
                .collect()
        })
        .collect();
    Ok(Some(PayerSplit {
        scenario: s.name.clone(),
        provinces,
        cost,
        central,
        allocation,
        start_year: start,
        by_province: s.metrics.by_province,
    }))
}

impl PayerSplit {
    /// Every payer figure: national, then every province when the scenario reports
    /// provinces; by year. Metrics: `cost_central_<program>` (covered programs),
    /// `cost_central_total`, `cost_local_<program>`, `cost_local_total`, `central_allocation`.
    pub fn rows(&self) -> Vec<PayerRow> {
        let years = self.allocation.len();
        let mut out = Vec::new();
        let mut regions: Vec<(String, Vec<usize>)> =
            vec![("national".into(), (0..self.provinces.len()).collect())];
        if self.by_province {
            regions.extend(
                self.provinces
                    .iter()
                    .enumerate()
                    .map(|(i, p)| (format!("province:{p}"), vec![i])),
            );
        }
        for t in 0..years {
            for (name, ps) in &regions {
                let per_rep = |f: &dyn Fn(usize) -> f64| -> Vec<f64> {
                    (0..self.cost.len()).map(f).collect()
                };
                let mut push = |metric: String, values: Vec<f64>| {
                    if let Some(stats) = Stats::of(&values) {
                        out.push(PayerRow {
                            scenario: self.scenario.clone(),
                            year: self.start_year + t as i32,
                            region: name.clone(),
                            metric,
                            values,
                            stats,
                        });
                    }
                };
                let sum = |m: &Vec<Vec<Vec<[f64; 5]>>>, r: usize, j: usize| {
                    ps.iter().map(|&p| m[r][t][p][j]).sum::<f64>()
                };
                for (j, (prog, _, covered)) in PROGRAMS.iter().enumerate() {
                    if *covered {
                        push(
                            format!("cost_central_{prog}"),
                            per_rep(&|r| sum(&self.central, r, j)),
                        );
                    }
                }
                push(
                    "cost_central_total".into(),
                    per_rep(&|r| (0..5).map(|j| sum(&self.central, r, j)).sum()),
                );
                for (j, (prog, _, _)) in PROGRAMS.iter().enumerate() {
                    push(
                        format!("cost_local_{prog}"),
                        per_rep(&|r| sum(&self.cost, r, j) - sum(&self.central, r, j)),
                    );
                }
                push(
                    "cost_local_total".into(),
                    per_rep(&|r| {
                        (0..5)
                            .map(|j| sum(&self.cost, r, j) - sum(&self.central, r, j))
                            .sum()
                    }),
                );
                let alloc: f64 = ps
                    .iter()
                    .map(|&p| self.allocation[t][p].iter().sum::<f64>())
                    .sum();
                push("central_allocation".into(), vec![alloc; self.cost.len()]);
            }
        }
        out
    }
}

/// Payer rows in the layout of `summary.csv` (no header): scenario, year, period, region,
/// metric, unit, mean, sd, p05, p50, p95.
pub fn summary_rows_csv(rows: &[PayerRow]) -> Result<Vec<u8>> {
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    for r in rows {
        let mut rec = vec![
            r.scenario.clone(),
            r.year.to_string(),
            "FY".into(),
            r.region.clone(),
            r.metric.clone(),
            "billion yuan".into(),
        ];
        rec.extend(r.stats.cells());
        w.write_record(&rec)
            .map_err(|e| Error::Internal(format!("payer rows: {e}")))?;
    }
    w.into_inner()
        .map_err(|e| Error::Internal(format!("payer rows: {e}")))
}

/// The printed payer table: national, by year, mean [90 % interval].
pub fn payer_table(rows: &[PayerRow]) -> String {
    let cols: [(&str, &str); 6] = [
        ("central allocation", "central_allocation"),
        ("central paid", "cost_central_total"),
        ("of which dibao", "cost_central_dibao"),
        ("local paid", "cost_local_total"),
        ("of which dibao", "cost_local_dibao"),
        ("local special", "cost_local_special"),
    ];
    let mut years: Vec<i32> = rows.iter().map(|r| r.year).collect();
    years.dedup();
    let mut table = vec![
        std::iter::once("year".to_string())
            .chain(cols.iter().map(|c| c.0.to_string()))
            .collect::<Vec<_>>(),
        std::iter::once(String::new())
            .chain(cols.iter().map(|_| "bn yuan".to_string()))
            .collect(),
    ];
    for y in years {
        let mut row = vec![y.to_string()];
        for (_, m) in cols {
            let cell = rows
                .iter()
                .find(|r| r.year == y && r.region == "national" && r.metric == m)
                .map(|r| {
                    if r.stats.sd <= 1e-9 * r.stats.mean.abs() {
                        format!("{:.1}", r.stats.mean)
                    } else {
                        format!(
                            "{:.1} [{:.1}–{:.1}]",
                            r.stats.mean, r.stats.p05, r.stats.p95
                        )
                    }
                })
                .unwrap_or_else(|| "–".into());
            row.push(cell);
        }
        table.push(row);
    }
    let scenario = rows.first().map(|r| r.scenario.as_str()).unwrap_or("");
    format!(
        "Payers, `{scenario}`: central transfer (allocated in advance from the prior year's expected need) and local budgets; national, full year, mean [90 % interval]\n{}",
        crate::output::align(&table, 2)
    )
}

/// summary.csv of a one-scenario run as `safetynet run` writes it: the summary rows, then the
/// payer rows (`cost_central_*`, `cost_local_*`, `central_allocation`) when the population has
/// provinces; and the printed payer table (empty without provinces).
pub fn run_summary_csv(
    models: &[Model],
    rc: &RunCounters,
    results: &[crate::output::ScenarioResults],
) -> Result<(Vec<u8>, String)> {
    let mut summary = crate::output::summary_csv(results)?;
    let mut text = String::new();
    if let Some(p) = &split(models, rc)?[0] {
        let rows = p.rows();
        summary.extend(summary_rows_csv(&rows)?);
        text.push('\n');
        text.push_str(&payer_table(&rows));
    }
    Ok((summary, text))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The split covers every government cost of the metric table, so central + local is
    /// the government's whole cost: a program added to `metrics::COSTS` without a row here
    /// fails (a cost is covered by its own metric or by an aggregate whose id prefixes it,
    /// as `cost_special` covers `cost_special_marginal`).
    #[test]
    fn every_government_cost_of_the_metric_table_is_split() {
        use crate::metrics::{Payer, COSTS};
        for cost in COSTS.iter().filter(|c| c.payer == Payer::Government) {
            assert!(
                PROGRAMS.iter().any(|(_, m, _)| cost.metric == *m
                    || cost.metric.starts_with(&format!("{m}_"))),
                "`{}` is paid by government but payers::PROGRAMS does not split it",
                cost.metric
            );
        }
    }

    #[test]
    fn every_province_of_the_strata_table_has_a_region_class() {
        let strata = include_str!("../../synthetic-data/strata-2023.csv");
        let mut r = csv::Reader::from_reader(strata.as_bytes());
        for rec in r.records() {
            let rec = rec.unwrap();
            let class = region_class(&rec[0]).unwrap();
            assert!(["east", "centre", "northeast", "west"].contains(&class));
        }
        assert_eq!(classes().len(), 31);
    }
}
