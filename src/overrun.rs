//! Overrun risk (DESIGN section 4): the probability that a figure exceeds a budget line, by
//! year, with the risk a finance department faces (common shocks and parameter uncertainty)
//! separated from the Monte Carlo sampling noise of a finite household sample.
//!
//! Each replication draws fresh households, fresh common shocks and fresh parameter values,
//! so the spread of a figure over replications has two parts (law of total variance):
//! `Var = E[Var(F | common)] + Var(E[F | common])`. The first, within-replication part is the
//! sampling variance of a weighted total over the sample households; it shrinks as the sample
//! grows and is no risk to anyone. The second, between-replication part comes from the common
//! shocks and parameter draws. The within part is estimated in every replication from a
//! systematic subsample of households simulated one by one (the stratified-sample variance
//! `Σ_s n_s · var_s(weight_s · x)`, `n_s` sample households in stratum `s`); the common part
//! is the rest. The exceedance probability is given over the raw replications (the share
//! above the line, Monte Carlo standard error √(p (1 − p) / R)) and net of sampling noise (a
//! normal law with the figure's mean and the common sd; its standard error by the delta method
//! from the errors of the mean and of the common sd).
//!
//! Only totals (money and counts, additive over households) get the split; for ratios and
//! the payer figures (capped at an allocation) the sampling part is left out (shown as NaN).
//! So it is for scenarios with a budget-limited rule (charity, dibao quotas): a household's
//! award there depends on the whole sample's demand (charity is settled on the replication's
//! total demand after the reduction, the quota's first pass sets its cut-offs), which a
//! subsample simulated one by one does not have, so the estimate would be of another figure. [`budget_limited`] names them.

use crate::engine::{simulate_household, Model, RepTables};
use crate::error::{Error, Result};
use crate::metrics::{c, Counters, Period, METRICS};
use crate::output::ScenarioResults;
use std::fmt::Write as _;

/// A budget line: `METRIC[@REGION]=V1,V2,...` (values per year from the first simulated year)
/// or `METRIC[@REGION]=YEAR:V,YEAR:V,...`, values in the metric's unit (bn yuan for costs).
#[derive(Debug, Clone, PartialEq)]
pub struct BudgetLine {
    pub metric: &'static str,
    pub unit: &'static str,
    pub region: String,
    /// (calendar year, line).
    pub lines: Vec<(i32, f64)>,
}

impl BudgetLine {
    /// Parse a `--budget` value against the simulated years `first..first + years`.
    pub fn parse(text: &str, first: i32, years: u32) -> Result<BudgetLine> {
        let bad = |why: String| Error::Usage(format!("--budget `{text}`: {why}"));
        let Some((fig, vals)) = text.split_once('=') else {
            return Err(bad(
                "expected METRIC=V1,V2,... e.g. cost_government=300,320,340 (bn yuan per year)"
                    .into(),
            ));
        };
        let (name, region) = match fig.trim().split_once('@') {
            Some((m, r)) => (m.trim(), r.trim().to_string()),
            None => (fig.trim(), "national".to_string()),
        };
        let def = crate::metrics::find(name).map_err(bad)?;
        let last = first + years as i32 - 1;
        let mut lines = Vec::new();
        for (i, v) in vals.split(',').enumerate() {
            let v = v.trim();
            let (year, value) = match v.split_once(':') {
                Some((y, x)) => (
                    y.trim()
                        .parse::<i32>()
                        .map_err(|_| bad(format!("`{y}` is not a year")))?,
                    x.trim(),
                ),
                None => (first + i as i32, v),
            };
            let value: f64 = value
                .parse()
                .ok()
                .filter(|x: &f64| x.is_finite())
                .ok_or_else(|| bad(format!("`{value}` is not a number")))?;
            if !(first..=last).contains(&year) {
                return Err(bad(format!(
                    "year {year} is outside the simulated years {first}-{last} (plain values \
                     start at {first}; {} given)",
                    vals.split(',').count()
                )));
            }
            if lines.iter().any(|(y, _)| *y == year) {
                return Err(bad(format!("year {year} is given twice")));
            }
            lines.push((year, value));
        }
        lines.sort_by_key(|(y, _)| *y);
        Ok(BudgetLine {
            metric: def.name,
            unit: def.unit,
            region,
            lines,
        })
    }

    /// The metric with its region, as in outputs.
    pub fn label(&self) -> String {
        if self.region == "national" {
            self.metric.to_string()
        } else {
            format!("{}@{}", self.metric, self.region)
        }
    }

    /// Whether the metric is a total over households (the sampling split applies).
    /// Payer figures are not: the central part is capped at an allocation set from the
    /// mean over replications, so their sampling part is left out as for ratios.
    pub fn additive(&self) -> bool {
        let payer = crate::metrics::find(self.metric).is_ok_and(|m| m.is_payer());
        !payer && (self.unit == "billion yuan" || self.unit.starts_with("million"))
    }
}

/// The overrun risk of one year.
#[derive(Debug, Clone, PartialEq)]
pub struct OverrunRow {
    pub figure: String,
    /// As outputs label it (`billion yuan, 2023 prices` with `--prices 2023`).
    pub unit: String,
    pub year: i32,
    pub budget: f64,
    pub mean: f64,
    pub p05: f64,
    pub p95: f64,
    /// Share of replications above the line, and its Monte Carlo standard error.
    pub p_exceed: f64,
    pub p_exceed_se: f64,
    /// Standard deviation over replications, and its parts.
    pub sd_total: f64,
    pub sd_sampling: f64,
    pub sd_common: f64,
    /// The probability net of sampling noise (common shocks and parameters only), and its
    /// Monte Carlo standard error.
    pub p_exceed_common: f64,
    pub p_exceed_common_se: f64,
    pub replications: usize,
}

/// The budget-limited rules a scenario enables (`charity`, `quota`), whose awards depend on
/// the whole sample's demand: the sampling split is not estimated for them (see the module
/// documentation).
pub fn budget_limited(model: &Model) -> Vec<&'static str> {
    let p = &model.scenario().programs;
    [("charity", p.charity.enabled), ("quota", p.quota.enabled)]
        .into_iter()
        .filter(|(_, on)| *on)
        .map(|(name, _)| name)
        .collect()
}

/// Within-replication sampling variance of a budget line's figure per year (mean over
/// replications), from `per_stratum` subsample households per stratum and replication.
/// An error for a scenario with a budget-limited rule ([`budget_limited`]).
pub fn sampling_variance(model: &Model, line: &BudgetLine, per_stratum: u64) -> Result<Vec<f64>> {
    let limited = budget_limited(model);
    if !limited.is_empty() {
        return Err(Error::Usage(format!(
            "the sampling variance of `{}` cannot be estimated from a subsample: `{}` enables \
             {}, whose awards depend on the whole sample's demand",
            line.label(),
            model.scenario().name,
            limited.join(" and ")
        )));
    }
    let s = model.scenario();
    let sim = &s.simulation;
    let years = sim.years as usize;
    let region = model
        .regions
        .iter()
        .find(|r| r.name == line.region)
        .ok_or_else(|| {
            Error::Usage(format!(
                "--budget: region `{}` is not reported; allowed: {} (provinces need --by-province)",
                line.region,
                model
                    .regions
                    .iter()
                    .map(|r| r.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
    let mi = METRICS
        .iter()
        .position(|m| m.name == line.metric)
        .expect("parsed metric");
    let alloc = &model.pop.alloc;
    let mut total = vec![0.0; years];
    for rep in 0..sim.replications {
        let (m, _) = model.for_replication(rep)?;
        let tables = RepTables::new(&m, rep);
        let mut k = Counters::new(m.pop.strata.strata.len(), years);
        let mut var = vec![0.0; years];
        for &st in &region.strata {
            let n = alloc.n[st];
            let take = n.min(per_stratum.max(2));
            if take < 2 {
                continue;
            }
            let w = alloc.weight[st];
            // Systematic subsample: evenly spaced indices of the stratum.
            let mut xs: Vec<Vec<f64>> = vec![Vec::with_capacity(take as usize); years];
            for j in 0..take {
                let index = alloc.start[st] + j * n / take;
                let tr = simulate_household(&m, &tables, rep, index, &mut k);
                for (t, x) in xs.iter_mut().enumerate() {
                    let mut cell = [0.0f64; c::N];
                    for h in 0..2 {
                        let slot = k.slot(tr.stratum, t, h);
                        for (a, b) in cell.iter_mut().zip(slot.iter()) {
                            *a += w * *b as f64;
                        }
                        *slot = [0; c::N];
                    }
                    x.push(METRICS[mi].compute(&cell, 12.0));
                }
            }
            for (t, x) in xs.iter().enumerate() {
                let mean = x.iter().sum::<f64>() / x.len() as f64;
                let v = x.iter().map(|y| (y - mean).powi(2)).sum::<f64>() / (x.len() - 1) as f64;
                var[t] += n as f64 * v;
            }
        }
        for (a, v) in total.iter_mut().zip(var) {
            *a += v;
        }
    }
    Ok(total
        .into_iter()
        .map(|v| v / sim.replications as f64)
        .collect())
}

/// The overrun rows of one budget line. `sampling` is the within-replication variance per
/// year (see [`sampling_variance`]), `None` for a ratio.
pub fn overrun(
    results: &ScenarioResults,
    line: &BudgetLine,
    start_year: i32,
    sampling: Option<&[f64]>,
) -> Vec<OverrunRow> {
    let mut out = Vec::new();
    for &(year, budget) in &line.lines {
        let vals: Vec<f64> = results
            .values(year, Period::FullYear, &line.region, line.metric)
            .into_iter()
            .filter(|x| !x.is_nan())
            .collect();
        let Some(st) = crate::metrics::Stats::of(&vals) else {
            continue;
        };
        let r = vals.len() as f64;
        let share =
            |xs: &mut dyn Iterator<Item = f64>| xs.filter(|x| *x > budget).count() as f64 / r;
        let se = |p: f64| (p * (1.0 - p) / r).sqrt();
        let p = share(&mut vals.iter().copied());
        let total_var = st.sd * st.sd;
        let within = sampling.map_or(f64::NAN, |s| s[(year - start_year) as usize]);
        let common_var = (total_var - within).max(0.0);
        // Net of sampling noise: normal theory around the mean with the common sd. Its Monte
        // Carlo error (delta method) comes from the error of the mean, sd/√R, and of the
        // common sd, about sd_c/√(2(R − 1)).
        let sd_c = common_var.sqrt();
        let se_mean = st.sd / r.sqrt();
        let (pc, pc_se) = if within.is_nan() {
            (f64::NAN, f64::NAN)
        } else if sd_c > 1e-12 * st.mean.abs().max(1e-300) {
            let z = (st.mean - budget) / sd_c;
            let dens = (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt();
            let se_sd = sd_c / (2.0 * (r - 1.0)).max(1.0).sqrt();
            let se = dens / sd_c * (se_mean * se_mean + z * z * se_sd * se_sd).sqrt();
            (crate::reference::normal_cdf(z), se.min(0.5))
        } else {
            // No common spread: the figure is its mean; only the mean's error is left.
            let p = if st.mean > budget { 1.0 } else { 0.0 };
            let z = (st.mean - budget).abs() / se_mean.max(1e-300);
            (p, crate::reference::normal_cdf(-z).min(0.5))
        };
        out.push(OverrunRow {
            figure: line.label(),
            unit: crate::output::unit_in(line.unit, results.prices),
            year,
            budget,
            mean: st.mean,
            p05: st.p05,
            p95: st.p95,
            p_exceed: p,
            p_exceed_se: se(p),
            sd_total: st.sd,
            sd_sampling: within.sqrt(),
            sd_common: if within.is_nan() {
                f64::NAN
            } else {
                common_var.sqrt()
            },
            p_exceed_common: pc,
            p_exceed_common_se: pc_se,
            replications: vals.len(),
        });
    }
    out
}

/// `overrun.csv`: one row per budget line and year.
pub fn overrun_csv(rows: &[OverrunRow]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let err = |e: csv::Error| Error::Internal(format!("overrun.csv: {e}"));
    w.write_record([
        "figure",
        "unit",
        "year",
        "budget",
        "mean",
        "p05",
        "p95",
        "p_exceed",
        "p_exceed_se",
        "sd_total",
        "sd_sampling",
        "sd_common",
        "p_exceed_common",
        "p_exceed_common_se",
        "replications",
    ])
    .map_err(err)?;
    for r in rows {
        w.write_record([
            r.figure.clone(),
            r.unit.clone(),
            r.year.to_string(),
            r.budget.to_string(),
            r.mean.to_string(),
            r.p05.to_string(),
            r.p95.to_string(),
            r.p_exceed.to_string(),
            r.p_exceed_se.to_string(),
            r.sd_total.to_string(),
            r.sd_sampling.to_string(),
            r.sd_common.to_string(),
            r.p_exceed_common.to_string(),
            r.p_exceed_common_se.to_string(),
            r.replications.to_string(),
        ])
        .map_err(err)?;
    }
    w.into_inner()
        .map_err(|e| Error::Internal(format!("overrun.csv: {e}")))
}

/// `exceedance.csv`: the exceedance curve of each budget line's figure by year: every
/// replication's value with the share of replications above it.
pub fn exceedance_csv(results: &ScenarioResults, lines: &[BudgetLine]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let err = |e: csv::Error| Error::Internal(format!("exceedance.csv: {e}"));
    w.write_record(["figure", "unit", "year", "value", "p_exceed"])
        .map_err(err)?;
    for line in lines {
        for &(year, _) in &line.lines {
            let mut v: Vec<f64> = results
                .values(year, Period::FullYear, &line.region, line.metric)
                .into_iter()
                .filter(|x| !x.is_nan())
                .collect();
            v.sort_by(f64::total_cmp);
            let r = v.len() as f64;
            for x in &v {
                let above = v.iter().filter(|y| *y > x).count();
                w.write_record([
                    line.label(),
                    crate::output::unit_in(line.unit, results.prices),
                    year.to_string(),
                    x.to_string(),
                    (above as f64 / r).to_string(),
                ])
                .map_err(err)?;
            }
        }
    }
    w.into_inner()
        .map_err(|e| Error::Internal(format!("exceedance.csv: {e}")))
}

/// Subsample households per stratum and replication for the sampling variance.
pub const SUBSAMPLE_PER_STRATUM: u64 = 64;

/// Parse every `--budget` value against a scenario's horizon (before anything runs).
pub fn parse_all(texts: &[String], first: i32, years: u32) -> Result<Vec<BudgetLine>> {
    texts
        .iter()
        .map(|t| BudgetLine::parse(t, first, years))
        .collect()
}

/// Check every line's region against the regions `model` reports, before any simulation
/// (an unreported region would otherwise give an empty result after the whole run).
pub fn check_regions(lines: &[BudgetLine], model: &Model) -> Result<()> {
    for line in lines {
        if !model.regions.iter().any(|r| r.name == line.region) {
            let names: Vec<&str> = model.regions.iter().map(|r| r.name.as_str()).collect();
            return Err(Error::Usage(format!(
                "--budget {}@{}: region `{}` is not reported; allowed: {} (provinces need \
                 --by-province)",
                line.metric,
                line.region,
                line.region,
                names.join(", ")
            )));
        }
        crate::metrics::payers::check_payer_region(model, line.metric, &line.region, "--budget")?;
    }
    Ok(())
}

/// A file for the results folder: its name and bytes.
pub type NamedFile = (&'static str, Vec<u8>);

/// Everything `--budget` adds to a run: the printed tables and `overrun.csv` and
/// `exceedance.csv` for the results folder.
pub fn assess(
    model: &Model,
    results: &ScenarioResults,
    lines: &[BudgetLine],
) -> Result<(String, Vec<NamedFile>)> {
    let start = model.scenario().simulation.start_year;
    let mut rows = Vec::new();
    // With --prices, money figures were restated by a factor per replication and year; the
    // sampling variance (of nominal figures) scales by the mean of its square.
    let sim = &model.scenario().simulation;
    let mut factor2 = vec![1.0; sim.years as usize];
    if let Some(y) = results.prices {
        let n = results.reps.len() as f64;
        factor2.fill(0.0);
        for rep in 0..results.reps.len() {
            let index = crate::output::price_index(model, rep as u32)?;
            let at = index[(y - start) as usize];
            for (f, p) in factor2.iter_mut().zip(&index) {
                *f += (at / p).powi(2) / n;
            }
        }
    }
    let limited = budget_limited(model);
    for line in lines {
        let sampling = if line.additive() && limited.is_empty() {
            let v = sampling_variance(model, line, SUBSAMPLE_PER_STRATUM)?;
            let money = crate::output::is_money(line.unit);
            Some(
                v.iter()
                    .zip(&factor2)
                    .map(|(v, f)| if money { v * f } else { *v })
                    .collect::<Vec<f64>>(),
            )
        } else {
            None
        };
        rows.extend(overrun(results, line, start, sampling.as_deref()));
    }
    let mut table = overrun_table(&rows);
    if !limited.is_empty() {
        table.push_str(&format!(
            "sampling noise is not separated: `{}` enables {}, whose awards depend on the whole \
             sample's demand (a subsample cannot reproduce them); the probability over \
             replications includes it\n",
            model.scenario().name,
            limited.join(" and ")
        ));
    }
    Ok((
        table,
        vec![
            ("overrun.csv", overrun_csv(&rows)?),
            ("exceedance.csv", exceedance_csv(results, lines)?),
        ],
    ))
}

/// The printed table.
pub fn overrun_table(rows: &[OverrunRow]) -> String {
    let mut t = String::new();
    let mut figures: Vec<&str> = rows.iter().map(|r| r.figure.as_str()).collect();
    figures.dedup();
    for f in figures {
        let rs: Vec<&OverrunRow> = rows.iter().filter(|r| r.figure == f).collect();
        let unit = &rs[0].unit;
        let n = rs[0].replications;
        let _ = writeln!(
            t,
            "Overrun risk: `{f}` ({unit}) above the budget line; probability over {n} replications ± its Monte Carlo standard error; \
             net of sampling noise = common shocks and parameter uncertainty only"
        );
        let pct = |p: f64, se: f64| {
            if p.is_nan() {
                "–".to_string()
            } else {
                format!("{:.0} % ± {:.0}", 100.0 * p, 100.0 * se)
            }
        };
        let num = |x: f64| {
            if x.is_nan() {
                "–".to_string()
            } else {
                format!("{x:.1}")
            }
        };
        let mut table = vec![
            vec![
                "year".to_string(),
                "budget".into(),
                "figure".into(),
                "P(exceed)".into(),
                "net of sampling".into(),
                "sd all".into(),
                "sd sampling".into(),
                "sd common+param".into(),
            ],
            vec![
                String::new(),
                unit.into(),
                format!("{unit}, mean [90 %]"),
                "%".into(),
                "%".into(),
                unit.into(),
                unit.into(),
                unit.into(),
            ],
        ];
        for r in rs {
            table.push(vec![
                r.year.to_string(),
                num(r.budget),
                format!("{} [{}–{}]", num(r.mean), num(r.p05), num(r.p95)),
                pct(r.p_exceed, r.p_exceed_se),
                pct(r.p_exceed_common, r.p_exceed_common_se),
                num(r.sd_total),
                num(r.sd_sampling),
                num(r.sd_common),
            ]);
        }
        t.push_str(&crate::output::align(&table, 2));
        t.push('\n');
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_lines_parse_plain_and_dated_values() {
        let b = BudgetLine::parse("cost_government=300,320,340", 2023, 10).unwrap();
        assert_eq!(b.lines, vec![(2023, 300.0), (2024, 320.0), (2025, 340.0)]);
        let b = BudgetLine::parse("cost_dibao@rural=2026:150,2025:140", 2023, 10).unwrap();
        assert_eq!(b.lines, vec![(2025, 140.0), (2026, 150.0)]);
        assert_eq!(b.label(), "cost_dibao@rural");
        assert!(b.additive());
        for bad in [
            "cost_government",
            "cost_govt=1",
            "cost_government=1,x",
            "cost_government=2040:1",
            "cost_government=2024:1,2024:2",
            "cost_government=1,2,3",
        ] {
            let e = BudgetLine::parse(bad, 2023, 2).unwrap_err();
            assert!(e.to_string().contains("--budget"), "{bad}: {e}");
        }
    }
}
