//! Outputs: the tidy `summary.csv` and `replications.csv`, `manifest.json`, and the readable
//! summary table. A results folder is written whole (see [`crate::folder`]), so an
//! interrupted run never leaves a half-written or mixed result.

use crate::engine::{Model, RunCounters};
use crate::error::{Error, Result};
use crate::metrics::disclosure::CellKey;
use crate::metrics::{figures, Period, Stats, METRICS};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Figures of one scenario.
#[derive(Debug, Clone)]
pub struct ScenarioResults {
    pub name: String,
    /// Region names, indexed by `Figure::region`.
    pub regions: Vec<String>,
    /// `[replication] -> figures`, each in the fixed order of [`figures`].
    pub reps: Vec<Vec<crate::metrics::Figure>>,
    /// With microdata: cells withheld by disclosure control (their values are NaN in `reps`);
    /// `None` without microdata.
    pub suppressed: Option<BTreeSet<CellKey>>,
    /// `--prices YEAR`: money figures are in that year's prices ([`restate_prices`]);
    /// `None`: nominal yuan.
    pub prices: Option<i32>,
}

/// Key of one figure.
pub type FigureKey = (i32, &'static str, String, &'static str);

impl ScenarioResults {
    /// Whether disclosure control withheld a figure (microdata only).
    pub fn is_suppressed(&self, year: i32, period: Period, region: &str, metric: &str) -> bool {
        self.suppressed_key(year, period.as_str(), region, metric)
    }

    fn suppressed_key(&self, year: i32, period: &str, region: &str, metric: &str) -> bool {
        let Some(set) = &self.suppressed else {
            return false;
        };
        let r = self.regions.iter().position(|x| x == region);
        let mi = METRICS.iter().position(|m| m.name == metric);
        let (Some(r), Some(mi)) = (r, mi) else {
            return false;
        };
        set.contains(&(year, period, r, mi))
    }

    /// Values of every figure over replications, keyed by (year, period, region, metric).
    pub fn by_key(&self) -> BTreeMap<FigureKey, Vec<f64>> {
        let mut out: BTreeMap<FigureKey, Vec<f64>> = BTreeMap::new();
        for figs in &self.reps {
            for f in figs {
                out.entry((
                    f.year,
                    f.period.as_str(),
                    self.regions[f.region].clone(),
                    METRICS[f.metric].name,
                ))
                .or_default()
                .push(f.value);
            }
        }
        out
    }

    /// Summary of one figure over replications.
    pub fn stats(&self, year: i32, period: Period, region: &str, metric: &str) -> Option<Stats> {
        let r = self.regions.iter().position(|x| x == region)?;
        let mi = METRICS.iter().position(|m| m.name == metric)?;
        let vals: Vec<f64> = self
            .reps
            .iter()
            .filter_map(|figs| {
                figs.iter().find(|f| {
                    f.year == year && f.period == period && f.region == r && f.metric == mi
                })
            })
            .map(|f| f.value)
            .collect();
        Stats::of(&vals)
    }

    /// Per-replication values of one figure (NaN where undefined).
    pub fn values(&self, year: i32, period: Period, region: &str, metric: &str) -> Vec<f64> {
        let r = self.regions.iter().position(|x| x == region);
        let mi = METRICS.iter().position(|m| m.name == metric);
        let (Some(r), Some(mi)) = (r, mi) else {
            return vec![];
        };
        self.reps
            .iter()
            .filter_map(|figs| {
                figs.iter().find(|f| {
                    f.year == year && f.period == period && f.region == r && f.metric == mi
                })
            })
            .map(|f| f.value)
            .collect()
    }
}

/// Turn a run's counters into figures: those of [`figures`], then the payer figures of
/// [`crate::payers`] (national and by province, when the population has provinces).
pub fn collect(models: &[Model], rc: &RunCounters) -> Vec<ScenarioResults> {
    models
        .iter()
        .zip(&rc.per_scenario)
        .map(|(m, reps)| {
            let s = m.scenario();
            let mut figs: Vec<Vec<crate::metrics::Figure>> = reps
                .iter()
                .map(|k| {
                    let w = m.pop.year_weights(&s.simulation, k);
                    figures(k, &w, &m.regions, s.simulation.start_year)
                })
                .collect();
            // Disclosure control: a withheld cell has no number in any replication.
            let suppressed = m.pop.microdata.as_ref().map(|md| {
                let set = crate::metrics::disclosure::suppressed_cells(
                    md,
                    &m.pop,
                    &m.regions,
                    &s.simulation,
                    reps,
                );
                for f in figs.iter_mut().flatten() {
                    if set.contains(&(f.year, f.period.as_str(), f.region, f.metric)) {
                        f.value = f64::NAN;
                    }
                }
                set
            });
            // Payer figures (central/local split): after the counters' figures of each
            // replication. The strata table gives every province a class (payers unit test)
            // and `Model::new` refuses an inline province without one, so this cannot fail.
            let payer = crate::metrics::payers::payer_figures(m, reps)
                .expect("Model::new checked every province's region class");
            for (f, p) in figs.iter_mut().zip(payer) {
                f.extend(p);
            }
            ScenarioResults {
                name: s.name.clone(),
                regions: m.regions.iter().map(|r| r.name.clone()).collect(),
                reps: figs,
                suppressed,
                prices: None,
            }
        })
        .collect()
}

/// Whether a unit is money (yuan), which `--prices` restates.
pub fn is_money(unit: &str) -> bool {
    unit.contains("yuan")
}

/// A unit as outputs label it: a money unit with `--prices YEAR` says so
/// (`billion yuan, 2023 prices`); nominal money and every other unit as declared.
pub fn unit_in(unit: &str, prices: Option<i32>) -> String {
    match prices {
        Some(y) if is_money(unit) => format!("{unit}, {y} prices"),
        _ => unit.to_string(),
    }
}

/// `" in 2023 prices"` with `--prices 2023`; empty for nominal money.
pub fn prices_note(prices: Option<i32>) -> String {
    prices
        .map(|y| format!(" in {y} prices"))
        .unwrap_or_default()
}

/// `--prices YEAR` must be one of the run's years `start..start + years`.
pub fn check_prices_year(year: i32, start: i32, years: u32) -> Result<()> {
    let last = start + years as i32 - 1;
    if (start..=last).contains(&year) {
        Ok(())
    } else {
        Err(Error::Usage(format!(
            "--prices {year}: not a year of the run; allowed: {start} to {last} (the price \
             index `dynamics.prices.inflation` is known for the simulated years only)"
        )))
    }
}

/// The price level of every year of replication `rep` relative to the start year (the
/// replication's own draws of `dynamics.prices.inflation` when it is uncertain).
pub fn price_index(model: &Model, rep: u32) -> Result<Vec<f64>> {
    let (loaded, _) = model.loaded.for_replication(rep)?;
    let s = &loaded.scenario;
    Ok(crate::dynamics::YearPaths::new(&s.dynamics, &s.simulation).price_index)
}

/// Restate every money figure of `results` (one per model, replications in order) in the
/// prices of `year`: the figure of year y times price_index(year) ÷ price_index(y), with each
/// replication's own price path. Counts, shares and other units are left as they are.
pub fn restate_prices(results: &mut [ScenarioResults], models: &[Model], year: i32) -> Result<()> {
    for (r, m) in results.iter_mut().zip(models) {
        let sim = &m.scenario().simulation;
        check_prices_year(year, sim.start_year, sim.years)?;
        let money: Vec<bool> = METRICS.iter().map(|d| is_money(d.unit)).collect();
        for (rep, figs) in r.reps.iter_mut().enumerate() {
            let index = price_index(m, rep as u32)?;
            let at = |y: i32| index[(y - sim.start_year) as usize];
            for f in figs.iter_mut().filter(|f| money[f.metric]) {
                f.value *= at(year) / at(f.year);
            }
        }
        r.prices = Some(year);
    }
    Ok(())
}

fn unit_of(metric: &str) -> &'static str {
    METRICS
        .iter()
        .find(|m| m.name == metric)
        .map(|m| m.unit)
        .unwrap_or("")
}

/// `summary.csv`: scenario, year, period, region, metric, unit, mean, sd, p05, p50, p95; with
/// microdata also `note`, which is `suppressed` on cells withheld by disclosure control (their
/// numbers are empty).
pub fn summary_csv(results: &[ScenarioResults]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let noted = results.iter().any(|r| r.suppressed.is_some());
    let mut head = vec![
        "scenario", "year", "period", "region", "metric", "unit", "mean", "sd", "p05", "p50", "p95",
    ];
    if noted {
        head.push("note");
    }
    w.write_record(&head).map_err(csv_err)?;
    for r in results {
        for ((year, period, region, metric), vals) in ordered(r) {
            let mut row = vec![
                r.name.clone(),
                year.to_string(),
                period.to_string(),
                region.clone(),
                metric.to_string(),
                unit_in(unit_of(metric), r.prices),
            ];
            if r.suppressed_key(year, period, &region, metric) {
                row.extend(["", "", "", "", "", "suppressed"].map(String::from));
            } else {
                let Some(st) = Stats::of(&vals) else { continue };
                row.extend(st.cells());
                if noted {
                    row.push(String::new());
                }
            }
            w.write_record(&row).map_err(csv_err)?;
        }
    }
    w.into_inner().map_err(|e| Error::Internal(e.to_string()))
}

/// Figures in the order of the metric catalogue (not alphabetical), per year/period/region.
fn ordered(r: &ScenarioResults) -> Vec<(FigureKey, Vec<f64>)> {
    let mut order: Vec<(i32, &'static str, usize, usize)> = Vec::new();
    let mut values: BTreeMap<(i32, &'static str, usize, usize), Vec<f64>> = BTreeMap::new();
    for figs in &r.reps {
        for f in figs {
            let key = (f.year, f.period.as_str(), f.region, f.metric);
            let e = values.entry(key).or_default();
            if e.is_empty() {
                order.push(key);
            }
            e.push(f.value);
        }
    }
    order
        .into_iter()
        .map(|k| {
            let v = values.remove(&k).unwrap_or_default();
            ((k.0, k.1, r.regions[k.2].clone(), METRICS[k.3].name), v)
        })
        .collect()
}

/// `replications.csv`: scenario, replication, year, period, region, metric, unit, value; with
/// microdata also `note` (`suppressed`, with an empty value, as in `summary.csv`).
pub fn replications_csv(results: &[ScenarioResults]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let noted = results.iter().any(|r| r.suppressed.is_some());
    let mut head = vec![
        "scenario",
        "replication",
        "year",
        "period",
        "region",
        "metric",
        "unit",
        "value",
    ];
    if noted {
        head.push("note");
    }
    w.write_record(&head).map_err(csv_err)?;
    for r in results {
        for (rep, figs) in r.reps.iter().enumerate() {
            for f in figs {
                let withheld = r.suppressed.as_ref().is_some_and(|set| {
                    set.contains(&(f.year, f.period.as_str(), f.region, f.metric))
                });
                if f.value.is_nan() && !withheld {
                    continue;
                }
                let m = &METRICS[f.metric];
                let unit = unit_in(m.unit, r.prices);
                let (value, note) = if withheld {
                    (String::new(), "suppressed")
                } else {
                    (f.value.to_string(), "")
                };
                let (rep_s, year_s) = (rep.to_string(), f.year.to_string());
                let mut row = vec![
                    r.name.as_str(),
                    &rep_s,
                    &year_s,
                    f.period.as_str(),
                    &r.regions[f.region],
                    m.name,
                    &unit,
                    &value,
                ];
                if noted {
                    row.push(note);
                }
                w.write_record(&row).map_err(csv_err)?;
            }
        }
    }
    w.into_inner().map_err(|e| Error::Internal(e.to_string()))
}

fn csv_err(e: csv::Error) -> Error {
    Error::Internal(format!("csv: {e}"))
}

/// What was run: enough to reproduce it bit for bit.
#[derive(Debug, Serialize)]
pub struct Manifest {
    pub safetynet_version: String,
    pub command: Vec<String>,
    pub seed: u64,
    pub replications: u32,
    pub households_per_replication: u64,
    pub start_year: i32,
    pub years: u32,
    pub scenarios: Vec<ManifestScenario>,
    /// Parameters drawn per replication: `[scenario][replication] -> {key: value}` (absent
    /// when no parameter is a distribution).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parameter_draws: Vec<Vec<BTreeMap<String, f64>>>,
}

/// One scenario in the manifest.
#[derive(Debug, Serialize)]
pub struct ManifestScenario {
    pub name: String,
    pub files: Vec<String>,
    pub hash: String,
    pub strata: usize,
    pub resolved: serde_json::Value,
    /// With microdata: the files read, their SHA-256 and the disclosure threshold.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub microdata: Option<serde_json::Value>,
}

/// Parameter draws as JSON for a manifest, or `None` when no parameter was a distribution.
pub fn draws_json(draws: &[Vec<Vec<(String, f64)>>]) -> Option<serde_json::Value> {
    if !draws.iter().any(|reps| reps.iter().any(|d| !d.is_empty())) {
        return None;
    }
    let maps: Vec<Vec<BTreeMap<String, f64>>> = draws
        .iter()
        .map(|reps| reps.iter().map(|d| d.iter().cloned().collect()).collect())
        .collect();
    serde_json::to_value(maps).ok()
}

impl Manifest {
    /// Record the parameter draws of a run.
    pub fn with_draws(mut self, rc: &RunCounters) -> Manifest {
        if rc
            .draws
            .iter()
            .any(|reps| reps.iter().any(|d| !d.is_empty()))
        {
            self.parameter_draws = rc
                .draws
                .iter()
                .map(|reps| reps.iter().map(|d| d.iter().cloned().collect()).collect())
                .collect();
        }
        self
    }

    /// Describe a run.
    pub fn new(models: &[Model], command: Vec<String>) -> Manifest {
        let sim = &models[0].scenario().simulation;
        Manifest {
            safetynet_version: env!("CARGO_PKG_VERSION").to_string(),
            command,
            seed: sim.seed,
            replications: sim.replications,
            households_per_replication: sim.households,
            start_year: sim.start_year,
            years: sim.years,
            scenarios: models
                .iter()
                .map(|m| ManifestScenario {
                    name: m.scenario().name.clone(),
                    files: m
                        .loaded
                        .files
                        .iter()
                        .map(|f| f.display().to_string())
                        .collect(),
                    hash: m.loaded.hash.clone(),
                    strata: m.pop.strata.strata.len(),
                    resolved: serde_json::to_value(m.scenario()).unwrap_or(serde_json::Value::Null),
                    microdata: m.pop.microdata.as_ref().map(|md| {
                        let mut files = vec![md.households_file.clone()];
                        files.extend(md.persons_file.clone());
                        serde_json::json!({
                            "files": files,
                            "sha256": md.sha256,
                            "records": md.records.len(),
                            "min_cell_households": md.min_cell,
                        })
                    }),
                })
                .collect(),
            parameter_draws: Vec::new(),
        }
    }
}

/// Create the results folder and check it is writable, before any long work starts.
pub fn prepare_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|source| Error::Write {
        path: dir.to_path_buf(),
        source,
    })?;
    let probe = dir.join(".safetynet-write-check.tmp");
    std::fs::write(&probe, b"ok").map_err(|source| Error::Write {
        path: dir.to_path_buf(),
        source,
    })?;
    let _ = std::fs::remove_file(probe);
    Ok(())
}

/// Write `bytes` to `path` through a temporary file and a rename; on failure the temporary
/// file is removed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    if path.is_dir() {
        return Err(Error::Usage(format!(
            "{}: is a folder; give a file path",
            path.display()
        )));
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let tmp: PathBuf = path.with_file_name(format!(".{name}.tmp"));
    crate::folder::fault_point();
    let written = std::fs::write(&tmp, bytes).and_then(|_| {
        crate::folder::fault_point();
        std::fs::rename(&tmp, path)
    });
    written.map_err(|source| {
        let _ = std::fs::remove_file(&tmp);
        Error::Write {
            path: path.to_path_buf(),
            source,
        }
    })
}

/// Write summary.csv, replications.csv and manifest.json as the whole folder `dir` (any
/// file a former run left there is gone; see [`crate::folder`]). A folder holding files
/// safetynet does not write is refused, never replaced.
pub fn write_results(dir: &Path, results: &[ScenarioResults], manifest: &Manifest) -> Result<()> {
    let staged = crate::folder::Staged::begin(dir, false)?;
    staged.write("summary.csv", &summary_csv(results)?)?;
    staged.write("replications.csv", &replications_csv(results)?)?;
    let json = serde_json::to_vec_pretty(manifest).map_err(|e| Error::Internal(e.to_string()))?;
    staged.write("manifest.json", &json)?;
    staged.commit()
}

fn cell(st: Option<Stats>, scale: f64, digits: usize) -> String {
    match st {
        Some(s) => format!(
            "{:.d$} [{:.d$}–{:.d$}]",
            s.mean * scale,
            s.p05 * scale,
            s.p95 * scale,
            d = digits
        ),
        None => "–".to_string(),
    }
}

/// One column of a readable table: header, unit, region, metric, period, scale, digits.
type Column = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Period,
    f64,
    usize,
);

/// Align a table of cells: first column left, the rest right; a rule under `header_rows`.
pub fn align(rows: &[Vec<String>], header_rows: usize) -> String {
    let cols = rows.iter().map(|r| r.len()).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .map(|r| r.get(c).map(|v| v.chars().count()).unwrap_or(0))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for (i, row) in rows.iter().enumerate() {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(c, (v, w))| {
                if c == 0 {
                    format!("{v:<w$}")
                } else {
                    format!("{v:>w$}")
                }
            })
            .collect();
        let _ = writeln!(out, "{}", line.join("  ").trim_end());
        if i + 1 == header_rows {
            let total: usize = widths.iter().sum::<usize>() + 2 * widths.len().saturating_sub(1);
            let _ = writeln!(out, "{}", "-".repeat(total));
        }
    }
    out
}

/// Lay out a per-year table of figures, mean [90 % interval].
fn year_table(
    r: &ScenarioResults,
    title: &str,
    cols: &[Column],
    start_year: i32,
    years: u32,
) -> String {
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut head = vec!["year".to_string()];
    head.extend(cols.iter().map(|c| c.0.to_string()));
    rows.push(head);
    let mut units = vec!["".to_string()];
    units.extend(cols.iter().map(|c| c.1.to_string()));
    rows.push(units);
    for y in start_year..start_year + years as i32 {
        let mut row = vec![y.to_string()];
        for (_, _, region, metric, period, scale, digits) in cols {
            if r.is_suppressed(y, *period, region, metric) {
                row.push("suppressed".to_string());
                continue;
            }
            row.push(cell(r.stats(y, *period, region, metric), *scale, *digits));
        }
        rows.push(row);
    }
    let mut out = String::new();
    let _ = writeln!(out, "{title}");
    out.push_str(&align(&rows, 2));
    out
}

/// The readable summary: the budget by program and the reach of assistance, per year,
/// nationally, mean [90 % interval] over replications.
pub fn summary_table(r: &ScenarioResults, start_year: i32, years: u32) -> String {
    use Period::{FirstHalf as H1, FullYear as FY};
    let budget: [Column; 9] = [
        ("dibao urban", "bn yuan", "urban", "cost_dibao", FY, 1.0, 1),
        ("dibao rural", "bn yuan", "rural", "cost_dibao", FY, 1.0, 1),
        ("tekun", "bn yuan", "national", "cost_tekun", FY, 1.0, 1),
        ("special", "bn yuan", "national", "cost_special", FY, 1.0, 1),
        (
            "temporary",
            "bn yuan",
            "national",
            "cost_temporary",
            FY,
            1.0,
            1,
        ),
        (
            "services",
            "bn yuan",
            "national",
            "cost_services",
            FY,
            1.0,
            1,
        ),
        ("charity", "bn yuan", "national", "cost_charity", FY, 1.0, 1),
        ("total", "bn yuan", "national", "cost_total", FY, 1.0, 1),
        (
            "total Jan-Jun",
            "bn yuan",
            "national",
            "cost_total",
            H1,
            1.0,
            1,
        ),
    ];
    let reach: [Column; 7] = [
        (
            "dibao persons",
            "million",
            "national",
            "recipients_persons",
            FY,
            1.0,
            2,
        ),
        (
            "dibao households",
            "million",
            "national",
            "recipients_households",
            FY,
            1.0,
            2,
        ),
        (
            "tekun persons",
            "million",
            "national",
            "tekun_persons",
            FY,
            1.0,
            2,
        ),
        (
            "temporary cases",
            "million",
            "national",
            "temporary_cases",
            FY,
            1.0,
            2,
        ),
        (
            "cov. of poor",
            "%",
            "national",
            "coverage_poor",
            FY,
            100.0,
            1,
        ),
        ("poor after", "%", "national", "fgt0_post", FY, 100.0, 2),
        (
            "fall-back 12m",
            "%",
            "national",
            "fallback_assist_12m",
            FY,
            100.0,
            1,
        ),
    ];
    let mut out = year_table(
        r,
        &format!(
            "Scenario `{}`: budget{}, full year unless marked, mean [90 % interval] over replications",
            r.name,
            prices_note(r.prices)
        ),
        &budget,
        start_year,
        years,
    );
    out.push('\n');
    out.push_str(&year_table(
        r,
        "Reach: recipients as monthly averages; coverage of the poor by dibao or tekun; poverty after transfers (FGT0)",
        &reach,
        start_year,
        years,
    ));
    out
}

/// `x` with its sign, `d` decimals.
pub fn signed(x: f64, d: usize) -> String {
    // A delta that rounds to zero is shown unsigned (never "-0.00").
    let s = format!("{x:+.d$}");
    let zero = format!("{:.d$}", 0.0);
    if s[1..] == zero {
        zero
    } else {
        s
    }
}

/// `mean [p05, p95]` of a delta, signed; "–" when undefined.
pub fn delta_cell(st: Option<&Stats>, scale: f64, digits: usize) -> String {
    match st {
        Some(s) => format!(
            "{} [{}, {}]",
            signed(s.mean * scale, digits),
            signed(s.p05 * scale, digits),
            signed(s.p95 * scale, digits)
        ),
        None => "–".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_cells_never_show_minus_zero() {
        assert_eq!(signed(-0.0001, 2), "0.00");
        assert_eq!(signed(1.234, 2), "+1.23");
        assert_eq!(signed(-1.0, 1), "-1.0");
    }
}
