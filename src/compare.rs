//! Comparisons and sweeps under common random numbers (DESIGN section 5).
//!
//! All scenarios of a comparison or a sweep run in one [`engine::run`], so in each replication
//! they see the same households and the same shocks. A delta (reform − baseline) is taken
//! within each replication and only then summarised over replications: the sampling and shock
//! noise the two scenarios share cancels, and the interval of the delta is far narrower than
//! the difference of two independent runs would give.
//!
//! ```no_run
//! use safetynet::{compare, engine, scenario};
//! use std::path::Path;
//! let base = scenario::load(Path::new("scenarios/baseline.toml")).unwrap();
//! let reform = scenario::load(Path::new("scenarios/rural-catch-up.toml")).unwrap();
//! let models = vec![engine::Model::new(&base).unwrap(), engine::Model::new(&reform).unwrap()];
//! let c = compare::compare(&models, &engine::RunOptions::default()).unwrap();
//! print!("{}", compare::delta_table(&c.deltas, &c.results[1].name, 2023, 10));
//! ```

use crate::engine::{self, Model, RunOptions};
use crate::error::{Error, Result};
use crate::metrics::{Stats, METRICS};
use crate::output::{self, delta_cell, FigureKey, ScenarioResults};
use crate::scenario::{self, LoadedScenario};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

/// The summary over replications of one delta (reform − baseline).
#[derive(Debug, Clone, PartialEq)]
pub struct DeltaRow {
    pub baseline: String,
    pub scenario: String,
    pub year: i32,
    /// "H1" or "FY".
    pub period: &'static str,
    pub region: String,
    pub metric: &'static str,
    /// As outputs label it (`billion yuan, 2023 prices` with `--prices 2023`).
    pub unit: String,
    /// Mean, sd, p05, p50, p95 of the per-replication deltas (undefined replications skipped).
    pub stats: Stats,
}

/// Per-replication deltas `reform − baseline` of every figure the two scenarios share, in the
/// baseline's figure order (year, period, region, metric catalogue). A delta is NaN in a
/// replication where either figure is undefined.
pub fn delta_values(
    base: &ScenarioResults,
    reform: &ScenarioResults,
) -> Result<Vec<(FigureKey, Vec<f64>)>> {
    if base.reps.len() != reform.reps.len() {
        return Err(Error::Usage(format!(
            "`{}` has {} replications and `{}` {}; a comparison pairs replications, so they must match",
            base.name,
            base.reps.len(),
            reform.name,
            reform.reps.len()
        )));
    }
    // Region index in the reform for each region of the baseline (by name: one of them may
    // report provinces and the other not).
    let region_map: Vec<Option<usize>> = base
        .regions
        .iter()
        .map(|r| reform.regions.iter().position(|x| x == r))
        .collect();
    let mut out: Vec<(FigureKey, Vec<f64>)> = Vec::new();
    let mut slot: HashMap<(i32, &'static str, usize, usize), usize> = HashMap::new();
    for (rep, (bf, rf)) in base.reps.iter().zip(&reform.reps).enumerate() {
        let theirs: HashMap<(i32, &'static str, usize, usize), f64> = rf
            .iter()
            .map(|f| ((f.year, f.period.as_str(), f.region, f.metric), f.value))
            .collect();
        for f in bf {
            let Some(ri) = region_map[f.region] else {
                continue;
            };
            let Some(&v) = theirs.get(&(f.year, f.period.as_str(), ri, f.metric)) else {
                continue;
            };
            let key = (f.year, f.period.as_str(), f.region, f.metric);
            let i = *slot.entry(key).or_insert_with(|| {
                out.push((
                    (
                        f.year,
                        f.period.as_str(),
                        base.regions[f.region].clone(),
                        METRICS[f.metric].name,
                    ),
                    vec![f64::NAN; base.reps.len()],
                ));
                out.len() - 1
            });
            // NaN − x and x − NaN are NaN: undefined stays undefined.
            out[i].1[rep] = v - f.value;
        }
    }
    Ok(out)
}

/// Deltas `reform − baseline` summarised over replications, one row per figure with at least
/// one defined delta, in the baseline's figure order.
pub fn deltas(base: &ScenarioResults, reform: &ScenarioResults) -> Result<Vec<DeltaRow>> {
    Ok(delta_values(base, reform)?
        .into_iter()
        .filter_map(|((year, period, region, metric), vals)| {
            Some(DeltaRow {
                baseline: base.name.clone(),
                scenario: reform.name.clone(),
                year,
                period,
                region,
                metric,
                unit: output::unit_in(unit_of(metric), base.prices),
                stats: Stats::of(&vals)?,
            })
        })
        .collect())
}

fn unit_of(metric: &str) -> &'static str {
    METRICS
        .iter()
        .find(|m| m.name == metric)
        .map(|m| m.unit)
        .unwrap_or("")
}

/// A comparison: the results of every scenario and the deltas of each reform against the
/// baseline (the first scenario).
#[derive(Debug, Clone)]
pub struct Comparison {
    pub results: Vec<ScenarioResults>,
    pub deltas: Vec<DeltaRow>,
    /// Parameter draws per scenario and replication (see `engine::RunCounters::draws`).
    pub draws: Vec<Vec<Vec<(String, f64)>>>,
    /// Benefit incidence by decile of every reform against the baseline.
    pub incidence: Vec<crate::incidence::IncidenceRow>,
}

/// Simulate `models` together (common random numbers) and take the deltas of `models[1..]`
/// against `models[0]`. Scenario names must differ (they label the output rows).
pub fn compare(models: &[Model], opts: &RunOptions) -> Result<Comparison> {
    if models.len() < 2 {
        return Err(Error::Usage(
            "a comparison needs a baseline and at least one reform".into(),
        ));
    }
    check_distinct_names(models)?;
    // Decile cells of a survey rest on a handful of records: no incidence with microdata
    // (disclosure control covers the summary figures only).
    let with_incidence = models.iter().all(|m| m.pop.microdata.is_none());
    let counters = engine::run_with(models, opts, with_incidence)?;
    let results = output::collect(models, &counters);
    let incidence = if with_incidence {
        crate::incidence::incidence(models, &counters)?
    } else {
        Vec::new()
    };
    let mut all = Vec::new();
    for r in &results[1..] {
        all.extend(deltas(&results[0], r)?);
    }
    Ok(Comparison {
        results,
        deltas: all,
        draws: counters.draws,
        incidence,
    })
}

impl Comparison {
    /// Restate every money figure, delta and incidence gain in the prices of `year` (see
    /// [`output::restate_prices`]); the deltas are taken again from the restated figures.
    pub fn restate_prices(&mut self, models: &[Model], year: i32) -> Result<()> {
        output::restate_prices(&mut self.results, models, year)?;
        let mut all = Vec::new();
        for r in &self.results[1..] {
            all.extend(deltas(&self.results[0], r)?);
        }
        self.deltas = all;
        crate::incidence::restate_prices(&mut self.incidence, &models[0], year)
    }
}

/// Output rows are labelled by scenario name, so two scenarios of one run may not share one.
pub fn check_distinct_names(models: &[Model]) -> Result<()> {
    for (i, a) in models.iter().enumerate() {
        for b in &models[..i] {
            if a.scenario().name == b.scenario().name {
                let files = |m: &Model| {
                    m.loaded
                        .files
                        .last()
                        .map(|f| f.display().to_string())
                        .unwrap_or_else(|| "<text>".into())
                };
                return Err(Error::Usage(format!(
                    "{} and {} are both named `{}`; scenarios in one run need distinct names \
                     (set `name` in one of the files)",
                    files(b),
                    files(a),
                    a.scenario().name
                )));
            }
        }
    }
    Ok(())
}

/// `deltas.csv`: baseline, scenario, year, period, region, metric, unit, mean, sd, p05, p50,
/// p95.
pub fn deltas_csv(rows: &[DeltaRow]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "baseline", "scenario", "year", "period", "region", "metric", "unit", "mean", "sd", "p05",
        "p50", "p95",
    ])
    .map_err(csv_err)?;
    for r in rows {
        let mut rec = vec![
            r.baseline.clone(),
            r.scenario.clone(),
            r.year.to_string(),
            r.period.to_string(),
            r.region.clone(),
            r.metric.to_string(),
            r.unit.to_string(),
        ];
        rec.extend(r.stats.cells());
        w.write_record(&rec).map_err(csv_err)?;
    }
    w.into_inner().map_err(|e| Error::Internal(e.to_string()))
}

fn csv_err(e: csv::Error) -> Error {
    Error::Internal(format!("csv: {e}"))
}

/// Columns of the readable delta table: header, unit, metric, scale, digits.
const DELTA_COLUMNS: [(&str, &str, &str, f64, usize); 5] = [
    ("cost total", "bn yuan", "cost_total", 1.0, 2),
    (
        "recipients",
        "million persons",
        "recipients_persons",
        1.0,
        2,
    ),
    ("cov. of poor", "% points", "coverage_poor", 100.0, 2),
    ("FGT0 after transfers", "% points", "fgt0_post", 100.0, 2),
    ("fall-back 12m", "% points", "fallback_assist_12m", 100.0, 2),
];

/// The readable per-year table of key national full-year deltas of `reform` (a scenario name
/// in `rows`) against its baseline: mean change [90 % interval] over paired replications.
pub fn delta_table(rows: &[DeltaRow], reform: &str, start_year: i32, years: u32) -> String {
    let index: BTreeMap<(i32, &str), &Stats> = rows
        .iter()
        .filter(|r| r.scenario == reform && r.period == "FY" && r.region == "national")
        .map(|r| ((r.year, r.metric), &r.stats))
        .collect();
    let baseline = rows
        .iter()
        .find(|r| r.scenario == reform)
        .map(|r| r.baseline.as_str())
        .unwrap_or("baseline");
    let mut table: Vec<Vec<String>> = Vec::new();
    let mut head = vec!["year".to_string()];
    head.extend(DELTA_COLUMNS.iter().map(|c| c.0.to_string()));
    table.push(head);
    let mut units = vec![String::new()];
    units.extend(DELTA_COLUMNS.iter().map(|c| c.1.to_string()));
    table.push(units);
    for y in start_year..start_year + years as i32 {
        let mut row = vec![y.to_string()];
        for (_, _, metric, scale, digits) in DELTA_COLUMNS {
            row.push(delta_cell(index.get(&(y, metric)).copied(), scale, digits));
        }
        table.push(row);
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "`{reform}` minus `{baseline}`: national, full year; mean change [90 % interval] over paired replications{}",
        rows.iter()
            .find(|r| r.metric == "cost_total")
            .and_then(|r| r.unit.split_once(", "))
            .map(|(_, p)| format!("; money in {p}"))
            .unwrap_or_default()
    );
    out.push_str(&output::align(&table, 2));
    out
}

// ---------------------------------------------------------------------------------------------
// Sweeps
// ---------------------------------------------------------------------------------------------

/// Simulation settings every grid point must share (they define the households and shocks).
const SHARED_KEYS: [&str; 9] = [
    "simulation.households",
    "simulation.replications",
    "simulation.seed",
    "simulation.years",
    "simulation.start_year",
    "simulation.burn_in_months",
    "simulation.start",
    "simulation.replay_months",
    "simulation.replay_band",
];

/// A grid over scenario keys: every combination of the listed values is one point.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    /// Swept keys, in the order given.
    pub keys: Vec<String>,
    /// Values of each key as written (trimmed), e.g. `0.7` or `{ 2027 = 0.06 }`.
    pub texts: Vec<Vec<String>>,
    /// The same values read as TOML.
    pub values: Vec<Vec<toml::Value>>,
}

impl Grid {
    /// Parse `KEY=V1,V2,...` specifications (one per swept key). Values are read as TOML like
    /// `--set` values; commas inside `{...}`, `[...]` or quotes do not split.
    pub fn parse(specs: &[String]) -> Result<Grid> {
        if specs.is_empty() {
            return Err(Error::Usage(
                "sweep: no grid given; add --grid KEY=V1,V2,... (repeatable), e.g. \
                 --grid programs.dibao.take_up.ever_apply=0.5,0.7,0.9"
                    .into(),
            ));
        }
        let mut g = Grid {
            keys: vec![],
            texts: vec![],
            values: vec![],
        };
        for spec in specs {
            let Some((k, v)) = spec.split_once('=') else {
                return Err(Error::Usage(format!(
                    "--grid `{spec}`: expected KEY=V1,V2,..., e.g. \
                     programs.dibao.take_up.ever_apply=0.5,0.7,0.9"
                )));
            };
            let key = k.trim().to_string();
            if key.is_empty() {
                return Err(Error::Usage(format!("--grid `{spec}`: the key is empty")));
            }
            if g.keys.contains(&key) {
                return Err(Error::Usage(format!(
                    "--grid: key `{key}` is given twice; list all its values in one --grid"
                )));
            }
            if key == "name" || key == "extends" {
                return Err(Error::Usage(format!(
                    "--grid: key `{key}` cannot be swept (grid points are named p0, p1, ...)"
                )));
            }
            if SHARED_KEYS.contains(&key.as_str()) {
                return Err(Error::Usage(format!(
                    "--grid: key `{key}` cannot be swept: all grid points share households, \
                     replications, seed and horizon (common random numbers); set it with --set \
                     or run separate sweeps"
                )));
            }
            let texts: Vec<String> = split_values(v)
                .into_iter()
                .map(|t| t.trim().to_string())
                .collect();
            if texts.iter().all(|t| t.is_empty()) {
                return Err(Error::Usage(format!(
                    "--grid `{spec}`: key `{key}` has no values; expected KEY=V1,V2,..."
                )));
            }
            if let Some(i) = texts.iter().position(|t| t.is_empty()) {
                return Err(Error::Usage(format!(
                    "--grid `{spec}`: value {} of key `{key}` is empty",
                    i + 1
                )));
            }
            for (i, t) in texts.iter().enumerate() {
                if texts[..i].contains(t) {
                    return Err(Error::Usage(format!(
                        "--grid `{spec}`: value `{t}` of key `{key}` is listed twice"
                    )));
                }
            }
            let mut values = Vec::new();
            for t in &texts {
                values.push(scenario::parse_override(&format!("{key}={t}"))?.1);
            }
            g.keys.push(key);
            g.texts.push(texts);
            g.values.push(values);
        }
        Ok(g)
    }

    /// Number of grid points.
    pub fn len(&self) -> usize {
        self.values.iter().map(|v| v.len()).product()
    }

    /// True when the grid has no point.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Value index of each key at point `p`; the first key varies slowest.
    pub fn indices(&self, p: usize) -> Vec<usize> {
        let mut idx = vec![0; self.keys.len()];
        let mut rest = p;
        for k in (0..self.keys.len()).rev() {
            let n = self.values[k].len();
            idx[k] = rest % n;
            rest /= n;
        }
        idx
    }

    /// Name of point `p`: `p0`, `p1`, ...
    pub fn name(p: usize) -> String {
        format!("p{p}")
    }

    /// The overrides of point `p`.
    pub fn overrides(&self, p: usize) -> Vec<(String, toml::Value)> {
        self.indices(p)
            .into_iter()
            .enumerate()
            .map(|(k, i)| (self.keys[k].clone(), self.values[k][i].clone()))
            .collect()
    }

    /// The values of point `p` as written.
    pub fn point_texts(&self, p: usize) -> Vec<&str> {
        self.indices(p)
            .into_iter()
            .enumerate()
            .map(|(k, i)| self.texts[k][i].as_str())
            .collect()
    }

    /// `{ "keys": [...], "points": [{ "name": "p0", "values": { key: value } }, ...] }` for
    /// the manifest; values as written.
    pub fn manifest_json(&self) -> serde_json::Value {
        let points: Vec<serde_json::Value> = (0..self.len())
            .map(|p| {
                let values: serde_json::Map<String, serde_json::Value> = self
                    .keys
                    .iter()
                    .zip(self.point_texts(p))
                    .map(|(k, t)| (k.clone(), serde_json::Value::String(t.to_string())))
                    .collect();
                serde_json::json!({ "name": Grid::name(p), "values": values })
            })
            .collect();
        serde_json::json!({ "keys": self.keys, "points": points })
    }
}

/// Split `a,b,{ x = 1, y = 2 },"c,d"` at top-level commas.
fn split_values(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    for ch in s.chars() {
        match quote {
            Some(q) => {
                if ch == q {
                    quote = None;
                }
                cur.push(ch);
            }
            None => match ch {
                '"' | '\'' => {
                    quote = Some(ch);
                    cur.push(ch);
                }
                '{' | '[' => {
                    depth += 1;
                    cur.push(ch);
                }
                '}' | ']' => {
                    depth -= 1;
                    cur.push(ch);
                }
                ',' if depth == 0 => out.push(std::mem::take(&mut cur)),
                _ => cur.push(ch),
            },
        }
    }
    out.push(cur);
    out
}

/// One scenario per grid point: `base` with the point's overrides, named `p0`, `p1`, ...
/// Every point is checked like a scenario file (unknown keys and ranges are errors).
pub fn sweep_models(base: &LoadedScenario, grid: &Grid) -> Result<Vec<Model>> {
    let mut models = Vec::with_capacity(grid.len());
    for p in 0..grid.len() {
        let mut sets = grid.overrides(p);
        sets.push(("name".into(), toml::Value::String(Grid::name(p))));
        let loaded = base.with_overrides(&sets, "--grid")?;
        models.push(Model::new(&loaded)?);
    }
    Ok(models)
}

/// Simulate every grid point together (common random numbers across the grid).
pub fn sweep(
    base: &LoadedScenario,
    grid: &Grid,
    opts: &RunOptions,
) -> Result<Vec<ScenarioResults>> {
    let models = sweep_models(base, grid)?;
    let counters = engine::run(&models, opts)?;
    Ok(output::collect(&models, &counters))
}

/// `sweep.csv`: point, one column per swept key (its value as written), then year, period,
/// region, metric, unit, mean, sd, p05, p50, p95; one row per grid point × figure with a
/// defined value. `results[p]` must be grid point `p`.
pub fn sweep_csv(grid: &Grid, results: &[ScenarioResults]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut head: Vec<&str> = vec!["point"];
    head.extend(grid.keys.iter().map(|k| k.as_str()));
    head.extend([
        "year", "period", "region", "metric", "unit", "mean", "sd", "p05", "p50", "p95",
    ]);
    w.write_record(&head).map_err(csv_err)?;
    for (p, r) in results.iter().enumerate() {
        let texts = grid.point_texts(p);
        for ((year, period, region, metric), vals) in ordered(r) {
            let Some(st) = Stats::of(&vals) else { continue };
            let mut rec: Vec<String> = vec![r.name.clone()];
            rec.extend(texts.iter().map(|t| t.to_string()));
            rec.extend([
                year.to_string(),
                period.to_string(),
                region,
                metric.to_string(),
                output::unit_in(unit_of(metric), r.prices),
            ]);
            rec.extend(st.cells());
            w.write_record(&rec).map_err(csv_err)?;
        }
    }
    w.into_inner().map_err(|e| Error::Internal(e.to_string()))
}

/// Per-replication values of every figure, in the engine's figure order.
fn ordered(r: &ScenarioResults) -> Vec<(FigureKey, Vec<f64>)> {
    let mut out: Vec<(FigureKey, Vec<f64>)> = Vec::new();
    let mut slot: HashMap<(i32, &'static str, usize, usize), usize> = HashMap::new();
    for figs in &r.reps {
        for f in figs {
            let key = (f.year, f.period.as_str(), f.region, f.metric);
            let i = *slot.entry(key).or_insert_with(|| {
                out.push((
                    (
                        f.year,
                        f.period.as_str(),
                        r.regions[f.region].clone(),
                        METRICS[f.metric].name,
                    ),
                    Vec::new(),
                ));
                out.len() - 1
            });
            out[i].1.push(f.value);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_split_at_top_level_commas_only() {
        assert_eq!(split_values("0.5,0.7"), vec!["0.5", "0.7"]);
        assert_eq!(
            split_values("{ 2027 = 0.06, 2028 = 0.07 },{ 2027 = 0.1 }"),
            vec!["{ 2027 = 0.06, 2028 = 0.07 }", "{ 2027 = 0.1 }"]
        );
        assert_eq!(split_values("\"a,b\",c"), vec!["\"a,b\"", "c"]);
    }

    #[test]
    fn grid_points_vary_the_last_key_fastest() {
        let g = Grid::parse(&["a.x=1,2".into(), "b.y=0.5,0.6,0.7".into()]).unwrap();
        assert_eq!(g.len(), 6);
        assert_eq!(g.point_texts(0), vec!["1", "0.5"]);
        assert_eq!(g.point_texts(1), vec!["1", "0.6"]);
        assert_eq!(g.point_texts(3), vec!["2", "0.5"]);
        assert_eq!(g.point_texts(5), vec!["2", "0.7"]);
        assert_eq!(g.overrides(4)[1].1, toml::Value::Float(0.6));
    }

    #[test]
    fn bad_grids_are_usage_errors_naming_the_key() {
        for (spec, needle) in [
            ("a.x=", "a.x"),
            ("a.x", "KEY=V1"),
            ("a.x=1,,2", "a.x"),
            ("a.x=1,1", "listed twice"),
            ("simulation.seed=1,2", "simulation.seed"),
        ] {
            let e = Grid::parse(&[spec.to_string()]).unwrap_err();
            assert_eq!(e.exit_code(), 2);
            assert!(e.to_string().contains(needle), "{spec}: {e}");
        }
        assert!(Grid::parse(&[]).is_err());
        assert!(Grid::parse(&["a.x=1".into(), "a.x=2".into()]).is_err());
    }
}
