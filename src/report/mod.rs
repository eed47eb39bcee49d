//! `report.html`: one self-contained page (no network, no scripts, no external fonts or
//! styles) with charts and tables of a finished results folder. It reads only the folder's
//! files (`manifest.json`, `summary.csv`, and `deltas.csv` of a comparison), so it works on
//! any finished run, compare or sweep.
//!
//! ```no_run
//! let path = safetynet::report::write(std::path::Path::new("results/baseline")).unwrap();
//! println!("{}", path.display());
//! ```

pub mod backtest;
mod chart;
pub mod planning;
mod sections;

pub use chart::{line_chart, Point, Series, XAxis, PALETTE};
pub use sections::render;

use crate::error::{Error, Result};
use crate::metrics::{title_of, METRICS};
use crate::output::delta_cell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// One row of `summary.csv` or `deltas.csv` (`baseline` empty in summary rows).
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub baseline: String,
    pub scenario: String,
    pub year: i32,
    pub period: String,
    pub region: String,
    pub metric: String,
    pub unit: String,
    pub mean: f64,
    pub sd: f64,
    pub p05: f64,
    pub p50: f64,
    pub p95: f64,
}

/// What kind of run produced a folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Run,
    Compare,
    Sweep,
}

/// The files of a finished results folder.
#[derive(Debug, Clone)]
pub struct ResultsFolder {
    pub dir: PathBuf,
    pub kind: Kind,
    pub manifest: serde_json::Value,
    /// Scenario names in run order (for a comparison: baseline first).
    pub scenarios: Vec<String>,
    pub summary: Vec<Row>,
    pub deltas: Vec<Row>,
    /// solve.csv, overrun.csv and exceedance.csv when present (see [`planning`]).
    pub planning: planning::PlanningFiles,
    index: HashMap<(String, i32, String, String, String), usize>,
    delta_index: HashMap<(String, i32, String, String, String), usize>,
}

impl Row {
    /// The row as a chart point at `x`: mean and 90 % interval times `scale` (display units).
    fn point(&self, x: f64, scale: f64) -> Point {
        Point {
            x,
            mean: self.mean * scale,
            lo: self.p05 * scale,
            hi: self.p95 * scale,
        }
    }
}

/// The swept keys of a sweep's manifest, in grid order (none for other runs).
fn grid_keys(manifest: &serde_json::Value) -> Vec<String> {
    manifest
        .pointer("/grid/keys")
        .and_then(|k| k.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|k| k.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// Read a tidy CSV (summary.csv or deltas.csv), columns found by name.
fn read_rows(path: &Path, with_baseline: bool) -> Result<Vec<Row>> {
    let text = read_text(path)?;
    let file = path.display().to_string();
    let mut rd = csv::Reader::from_reader(text.as_bytes());
    let headers = rd
        .headers()
        .map_err(|e| Error::Parse {
            file: file.clone(),
            message: format!("malformed CSV header: {e}"),
        })?
        .clone();
    let mut need = vec![
        "scenario", "year", "period", "region", "metric", "unit", "mean", "sd", "p05", "p50", "p95",
    ];
    if with_baseline {
        need.push("baseline");
    }
    let mut col: HashMap<&str, usize> = HashMap::new();
    for n in need {
        let Some(i) = headers.iter().position(|h| h == n) else {
            return Err(Error::Parse {
                file,
                message: format!(
                    "no column `{n}` (found: {}); expected a results file written by safetynet",
                    headers.iter().collect::<Vec<_>>().join(", ")
                ),
            });
        };
        col.insert(n, i);
    }
    let mut rows = Vec::new();
    for (i, rec) in rd.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| Error::Parse {
            file: file.clone(),
            message: format!("row {line}: {e}"),
        })?;
        let get = |n: &str| rec.get(col[n]).unwrap_or("").to_string();
        // With microdata, disclosure control writes withheld cells with empty numbers and a
        // `suppressed` note: they are left out of the report, never shown.
        if headers.iter().any(|h| h == "note") && rec.iter().any(|c| c == "suppressed") {
            continue;
        }
        let num = |n: &str| -> Result<f64> {
            let v = get(n);
            v.parse::<f64>().map_err(|_| Error::BadCell {
                file: file.clone(),
                row: line,
                column: n.to_string(),
                value: v.clone(),
                allowed: "a number".into(),
            })
        };
        let year_s = get("year");
        let year = year_s.parse::<i32>().map_err(|_| Error::BadCell {
            file: file.clone(),
            row: line,
            column: "year".into(),
            value: year_s.clone(),
            allowed: "a calendar year".into(),
        })?;
        rows.push(Row {
            baseline: if with_baseline {
                get("baseline")
            } else {
                String::new()
            },
            scenario: get("scenario"),
            year,
            period: get("period"),
            region: get("region"),
            metric: get("metric"),
            unit: get("unit"),
            mean: num("mean")?,
            sd: num("sd")?,
            p05: num("p05")?,
            p50: num("p50")?,
            p95: num("p95")?,
        });
    }
    Ok(rows)
}

type Key = (String, i32, String, String, String);

fn index_of(rows: &[Row]) -> HashMap<Key, usize> {
    rows.iter()
        .enumerate()
        .map(|(i, r)| {
            (
                (
                    r.scenario.clone(),
                    r.year,
                    r.period.clone(),
                    r.region.clone(),
                    r.metric.clone(),
                ),
                i,
            )
        })
        .collect()
}

impl ResultsFolder {
    /// Read a results folder written by `run`, `compare` or `sweep`.
    pub fn read(dir: &Path) -> Result<ResultsFolder> {
        if !dir.is_dir() {
            return Err(Error::Usage(format!(
                "results folder {} does not exist; give the folder a `safetynet run`, `compare` \
                 or `sweep` wrote (it holds summary.csv and manifest.json)",
                dir.display()
            )));
        }
        let mpath = dir.join("manifest.json");
        let manifest: serde_json::Value =
            serde_json::from_str(&read_text(&mpath)?).map_err(|e| Error::Parse {
                file: mpath.display().to_string(),
                message: format!("malformed JSON: {e}"),
            })?;
        let kind = match manifest.get("kind").and_then(|k| k.as_str()) {
            Some("compare") => Kind::Compare,
            Some("sweep") => Kind::Sweep,
            _ => Kind::Run,
        };
        let summary = read_rows(&dir.join("summary.csv"), false)?;
        let mut scenarios: Vec<String> = manifest
            .get("scenarios")
            .and_then(|s| s.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.get("name").and_then(|n| n.as_str()).map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        for r in &summary {
            if !scenarios.contains(&r.scenario) {
                scenarios.push(r.scenario.clone());
            }
        }
        scenarios.retain(|s| summary.iter().any(|r| &r.scenario == s));
        let deltas = if kind == Kind::Compare {
            read_rows(&dir.join("deltas.csv"), true)?
        } else {
            Vec::new()
        };
        Ok(ResultsFolder {
            planning: planning::PlanningFiles::read(dir)?,
            dir: dir.to_path_buf(),
            kind,
            manifest,
            scenarios,
            index: index_of(&summary),
            delta_index: index_of(&deltas),
            summary,
            deltas,
        })
    }

    /// Restate the money figures of the summary, the deltas and the incidence gains in the
    /// prices of `year` (`report --prices`), by the price index of the run's first scenario
    /// (`dynamics.prices.inflation` in manifest.json): a figure of year y in nominal yuan
    /// times price_index(year) ÷ price_index(y); one already in the prices of year z times
    /// price_index(year) ÷ price_index(z). Refused when inflation was uncertain (each
    /// replication had its own path, which the summaries no longer hold: use `--prices` on the
    /// run) or when the folder holds solve, overrun or exceedance results (run them with
    /// `--prices`).
    pub fn restate_prices(&mut self, year: i32) -> Result<()> {
        let mpath = self.dir.join("manifest.json");
        let bad = |message: String| Error::Parse {
            file: mpath.display().to_string(),
            message,
        };
        let resolved = &self.manifest["scenarios"][0]["resolved"];
        let dynamics: crate::dynamics::DynamicsParams =
            serde_json::from_value(resolved["dynamics"].clone())
                .map_err(|e| bad(format!("key `scenarios[0].resolved.dynamics`: {e}")))?;
        let sim: crate::simulation::SimulationParams =
            serde_json::from_value(resolved["simulation"].clone())
                .map_err(|e| bad(format!("key `scenarios[0].resolved.simulation`: {e}")))?;
        crate::output::check_prices_year(year, sim.start_year, sim.years)?;
        let drawn = self.manifest["parameter_draws"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|s| s.as_array().into_iter().flatten())
            .flat_map(|d| d.as_object().into_iter().flat_map(|o| o.keys()))
            .any(|k| k.starts_with("dynamics.prices"));
        if drawn {
            return Err(Error::Usage(format!(
                "--prices {year}: inflation is uncertain in {} (each replication has its own \
                 price path, which the summaries no longer hold); give --prices to the run itself",
                self.dir.display()
            )));
        }
        let p = &self.planning;
        if p.solve.is_some() || p.overrun.is_some() || p.exceedance.is_some() {
            return Err(Error::Usage(format!(
                "--prices {year}: {} holds solve or overrun results, whose limits and budget \
                 lines were read in the run's prices; give --prices to the run itself",
                self.dir.display()
            )));
        }
        let index = crate::dynamics::YearPaths::new(&dynamics, &sim).price_index;
        let at = |y: i32| index.get((y - sim.start_year) as usize).copied();
        // (unit without prices, the year whose prices it is in: None = nominal)
        let base = |unit: &str| -> (String, Option<i32>) {
            match unit.rsplit_once(", ") {
                Some((u, p)) if p.ends_with(" prices") => {
                    (u.to_string(), p.trim_end_matches(" prices").parse().ok())
                }
                _ => (unit.to_string(), None),
            }
        };
        let factor = |unit: &mut String, y: i32| -> Result<f64> {
            let (u, from) = base(unit);
            if !crate::output::is_money(&u) {
                return Ok(1.0);
            }
            let from_year = from.unwrap_or(y);
            let (Some(a), Some(b)) = (at(year), at(from_year)) else {
                return Err(bad(format!(
                    "year {from_year} of a money figure is outside the run's years"
                )));
            };
            *unit = crate::output::unit_in(&u, Some(year));
            Ok(a / b)
        };
        for r in self.summary.iter_mut().chain(self.deltas.iter_mut()) {
            let k = factor(&mut r.unit, r.year)?;
            for x in [&mut r.mean, &mut r.sd, &mut r.p05, &mut r.p50, &mut r.p95] {
                *x *= k;
            }
        }
        if let Some(rows) = &mut self.planning.incidence {
            let head = rows[0].clone();
            let pos = |n: &str| head.iter().position(|h| h == n);
            if let (Some(ui), Some(yi)) = (pos("unit"), pos("year")) {
                for rec in rows[1..].iter_mut() {
                    let mut unit = rec.get(ui).unwrap_or("").to_string();
                    let y: i32 = rec.get(yi).and_then(|v| v.parse().ok()).unwrap_or(year);
                    let k = factor(&mut unit, y)?;
                    let cells: Vec<String> = rec
                        .iter()
                        .enumerate()
                        .map(|(i, v)| match head.get(i) {
                            Some("mean" | "sd" | "p05" | "p50" | "p95") if k != 1.0 => v
                                .parse::<f64>()
                                .map(|x| (x * k).to_string())
                                .unwrap_or_else(|_| v.to_string()),
                            Some("unit") => unit.clone(),
                            _ => v.to_string(),
                        })
                        .collect();
                    *rec = csv::StringRecord::from(cells);
                }
            }
        }
        Ok(())
    }

    /// The summary row of a figure.
    pub fn get(
        &self,
        scenario: &str,
        year: i32,
        period: &str,
        region: &str,
        metric: &str,
    ) -> Option<&Row> {
        self.index
            .get(&(
                scenario.to_string(),
                year,
                period.to_string(),
                region.to_string(),
                metric.to_string(),
            ))
            .map(|&i| &self.summary[i])
    }

    /// The delta row of a reform's figure.
    pub fn delta(
        &self,
        scenario: &str,
        year: i32,
        period: &str,
        region: &str,
        metric: &str,
    ) -> Option<&Row> {
        self.delta_index
            .get(&(
                scenario.to_string(),
                year,
                period.to_string(),
                region.to_string(),
                metric.to_string(),
            ))
            .map(|&i| &self.deltas[i])
    }

    /// Calendar years covered.
    pub fn years(&self) -> Vec<i32> {
        let m = &self.manifest;
        if let (Some(s), Some(n)) = (
            m.get("start_year").and_then(|v| v.as_i64()),
            m.get("years").and_then(|v| v.as_i64()),
        ) {
            return (s as i32..(s + n) as i32).collect();
        }
        let mut y: Vec<i32> = self.summary.iter().map(|r| r.year).collect();
        y.sort();
        y.dedup();
        y
    }

    /// The baseline of a comparison.
    pub fn baseline(&self) -> Option<&str> {
        self.manifest
            .get("comparison")
            .and_then(|c| c.get("baseline"))
            .and_then(|b| b.as_str())
            .or_else(|| self.deltas.first().map(|r| r.baseline.as_str()))
    }

    /// Reforms of a comparison, in run order.
    pub fn reforms(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for s in &self.scenarios {
            if self.deltas.iter().any(|r| &r.scenario == s) {
                out.push(s.clone());
            }
        }
        out
    }

    fn metrics(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for r in &self.summary {
            if !out.contains(&r.metric) {
                out.push(r.metric.clone());
            }
        }
        out
    }

    /// Program cost metrics present (`cost_<program>`, not `cost_total`), catalogue order.
    fn program_costs(&self) -> Vec<String> {
        let present = self.metrics();
        let mut out: Vec<String> = METRICS
            .iter()
            .map(|m| m.name.to_string())
            .filter(|n| n.starts_with("cost_") && n != "cost_total" && present.contains(n))
            .collect();
        for n in present {
            if n.starts_with("cost_") && n != "cost_total" && !out.contains(&n) {
                out.push(n);
            }
        }
        out
    }

    fn unit(&self, metric: &str) -> String {
        self.summary
            .iter()
            .find(|r| r.metric == metric)
            .map(|r| r.unit.clone())
            .or_else(|| {
                METRICS
                    .iter()
                    .find(|m| m.name == metric)
                    .map(|m| m.unit.to_string())
            })
            .unwrap_or_default()
    }

    /// Colour index of a scenario (its run order), shared by every chart.
    fn color(&self, scenario: &str) -> usize {
        self.scenarios
            .iter()
            .position(|s| s == scenario)
            .unwrap_or(0)
    }

    /// Legend label of a scenario: for a sweep, its point and values.
    fn label(&self, scenario: &str) -> String {
        if self.kind == Kind::Sweep {
            let vals = sweep_values(&self.manifest, scenario);
            if !vals.is_empty() {
                let text = vals
                    .iter()
                    .map(|(k, v)| format!("{} = {v}", short_key(k)))
                    .collect::<Vec<_>>()
                    .join(", ");
                if text.chars().count() <= 48 {
                    return format!("{scenario}: {text}");
                }
            }
        }
        scenario.to_string()
    }
}

/// `(key, value)` of a sweep point, from the manifest.
fn sweep_values(manifest: &serde_json::Value, point: &str) -> Vec<(String, String)> {
    let keys = grid_keys(manifest);
    let Some(p) = manifest
        .pointer("/grid/points")
        .and_then(|p| p.as_array())
        .and_then(|a| {
            a.iter()
                .find(|p| p.get("name").and_then(|n| n.as_str()) == Some(point))
        })
    else {
        return vec![];
    };
    keys.iter()
        .map(|k| {
            let v = p
                .get("values")
                .and_then(|v| v.get(k))
                .map(|v| match v {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .unwrap_or_default();
            (k.clone(), v)
        })
        .collect()
}

/// The last one or two segments of a dotted key, enough to recognise it in a legend.
fn short_key(k: &str) -> String {
    let parts: Vec<&str> = k.split('.').collect();
    if parts.len() >= 2 {
        parts[parts.len() - 2..].join(".")
    } else {
        k.to_string()
    }
}

/// Display of a unit: scale, level unit, change unit.
fn display_unit(unit: &str) -> (f64, String, String) {
    match unit {
        "share" => (100.0, "%".into(), "percentage points".into()),
        u => (1.0, u.to_string(), u.to_string()),
    }
}

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Digits for a level (`delta` = false) or change of a metric in display units.
fn digits(unit: &str, delta: bool) -> usize {
    match (unit, delta) {
        ("million persons" | "million households", _) => 2,
        ("share", false) => 1,
        ("share", true) => 2,
        (_, false) => 1,
        (_, true) => 2,
    }
}

fn level_cell(r: Option<&Row>, scale: f64, d: usize) -> String {
    match r {
        Some(r) => format!(
            "{:.d$} <span class=\"iv\">[{:.d$}–{:.d$}]</span>",
            r.mean * scale,
            r.p05 * scale,
            r.p95 * scale
        ),
        None => "–".into(),
    }
}

fn delta_html(r: Option<&Row>, scale: f64, d: usize) -> String {
    let st = r.map(|r| crate::metrics::Stats {
        mean: r.mean,
        sd: r.sd,
        p05: r.p05,
        p50: r.p50,
        p95: r.p95,
        n: 0,
    });
    let s = delta_cell(st.as_ref(), scale, d);
    match s.split_once(' ') {
        Some((m, iv)) => format!("{} <span class=\"iv\">{}</span>", esc(m), esc(iv)),
        None => esc(&s),
    }
}

const STYLE: &str = r#"
body { font-family: "Liberation Sans", "DejaVu Sans", Arial, Helvetica, sans-serif; color: #1d1d1f;
  margin: 0; background: #f4f5f7; }
main { max-width: 1340px; margin: 0 auto; padding: 24px 28px 40px; background: #fff; }
h1 { font-size: 28px; margin: 0 0 6px; }
h2 { font-size: 22px; margin: 34px 0 8px; padding-bottom: 4px; border-bottom: 2px solid #d9dce1; }
h3 { font-size: 17px; margin: 20px 0 6px; }
p { line-height: 1.45; max-width: 70em; }
.lead { font-size: 17px; color: #333; }
.facts { display: flex; flex-wrap: wrap; gap: 10px 28px; margin: 14px 0; padding: 12px 16px;
  background: #eef3f8; border-radius: 6px; }
.facts div { font-size: 14px; } .facts b { display: block; font-size: 18px; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(640px, 1fr)); gap: 14px; }
.chart { border: 1px solid #e1e4e8; border-radius: 6px; padding: 4px; background: #fff; }
.chart svg { display: block; max-width: 100%; height: auto; }
table { border-collapse: collapse; font-size: 13.5px; margin: 8px 0 18px; }
th, td { padding: 5px 8px; border-bottom: 1px solid #e6e8eb; text-align: right; white-space: nowrap; }
th { background: #f0f2f5; font-weight: 600; vertical-align: bottom; white-space: normal;
  min-width: 4.5em; max-width: 9em; }
th.l, td.l { text-align: left; }
tr:nth-child(even) td { background: #fafbfc; }
.tw { overflow-x: auto; max-width: 100%; }
.iv { display: block; color: #666; font-size: 12px; }
.note .iv { display: inline; }
table.wrap td { white-space: normal; }
th.key { max-width: none; }
th.key code { word-break: normal; white-space: nowrap; }
.unit { display: block; font-weight: normal; color: #555; font-size: 12px; }
.note { color: #555; font-size: 14px; }
code { font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 12.5px;
  word-break: break-all; }
pre { background: #f6f8fa; padding: 10px; overflow: auto; font-size: 12px; max-height: 40em; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px; margin-right: 6px;
  vertical-align: -1px; }
footer { margin-top: 30px; color: #666; font-size: 13px; }
"#;

/// Write `report.html` into a finished results folder and return its path.
pub fn write(dir: &Path) -> Result<PathBuf> {
    let folder = ResultsFolder::read(dir)?;
    let html = render(&folder)?;
    let path = dir.join("report.html");
    crate::output::write_atomic(&path, html.as_bytes())?;
    Ok(path)
}

/// Charts of a sweep's figures against the first swept key with numeric values: one line
/// per combination of the other keys. Returns (key, svg) pairs; none when no key is numeric.
fn sweep_charts(f: &ResultsFolder, reach: &[&str]) -> Result<Vec<(String, String)>> {
    let m = &f.manifest;
    let keys = grid_keys(m);
    let points: Vec<(String, Vec<(String, String)>)> = f
        .scenarios
        .iter()
        .map(|s| (s.clone(), sweep_values(m, s)))
        .collect();
    let numeric = |k: usize| {
        points.iter().all(|(_, v)| {
            v.get(k)
                .map(|x| x.1.parse::<f64>().is_ok())
                .unwrap_or(false)
        })
    };
    let Some(xk) = (0..keys.len()).find(|&k| numeric(k)) else {
        return Ok(vec![]);
    };
    // Lines: the distinct combinations of the other keys, in point order.
    let rest = |v: &[(String, String)]| -> String {
        v.iter()
            .enumerate()
            .filter(|(k, _)| *k != xk)
            .map(|(_, (key, val))| format!("{} = {val}", short_key(key)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut lines: Vec<String> = Vec::new();
    for (_, v) in &points {
        let r = rest(v);
        if !lines.contains(&r) {
            lines.push(r);
        }
    }
    let years = f.years();
    let mut metrics = vec!["cost_total".to_string()];
    metrics.extend(reach.iter().map(|s| s.to_string()));
    let mut out = Vec::new();
    for metric in &metrics {
        // The latest year in which every point has this figure.
        let Some(&year) = years.iter().rev().find(|&&y| {
            points
                .iter()
                .all(|(s, _)| f.get(s, y, "FY", "national", metric).is_some())
        }) else {
            continue;
        };
        let unit = f.unit(metric);
        let (scale, ulabel, _) = display_unit(&unit);
        let series: Vec<Series> = lines
            .iter()
            .enumerate()
            .map(|(i, line)| Series {
                label: if line.is_empty() {
                    format!("national, {year}")
                } else {
                    format!("{line} ({year})")
                },
                color: i,
                points: points
                    .iter()
                    .filter(|(_, v)| &rest(v) == line)
                    .filter_map(|(s, v)| {
                        let x = v[xk].1.parse::<f64>().ok()?;
                        let r = f.get(s, year, "FY", "national", metric)?;
                        Some(r.point(x, scale))
                    })
                    .collect(),
            })
            .collect();
        let svg = line_chart(
            &format!("{}, {year}", title_of(metric)),
            XAxis::Values(&short_key(&keys[xk])),
            &ulabel,
            &series,
            false,
        )?;
        out.push((keys[xk].clone(), svg));
    }
    Ok(out)
}

/// `200000` → `200,000` (non-numbers unchanged).
fn thousands(s: &str) -> String {
    if s.is_empty() || !s.chars().all(|c| c.is_ascii_digit()) {
        return s.to_string();
    }
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Quote a command-line word for display when it needs it.
fn shell_word(w: &str) -> String {
    if !w.is_empty()
        && w.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c))
    {
        w.to_string()
    } else {
        format!("'{}'", w.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers_format_for_people() {
        assert_eq!(thousands("200000"), "200,000");
        assert_eq!(thousands("999"), "999");
        assert_eq!(thousands("?"), "?");
        assert_eq!(shell_word("--set"), "--set");
        assert_eq!(shell_word("a b"), "'a b'");
        assert_eq!(esc("<a & 'b'>"), "&lt;a &amp; &#39;b&#39;&gt;");
        assert_eq!(
            short_key("programs.dibao.take_up.ever_apply"),
            "take_up.ever_apply"
        );
        assert_eq!(display_unit("share").0, 100.0);
    }
}
