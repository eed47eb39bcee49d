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

pub use chart::{line_chart, Point, Series, XAxis, PALETTE};

use crate::error::{Error, Result};
use crate::metrics::{label_of, short_of, title_of, METRICS};
use crate::output::delta_cell;
use std::collections::HashMap;
use std::fmt::Write as _;
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
    let keys: Vec<String> = manifest
        .pointer("/grid/keys")
        .and_then(|k| k.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|k| k.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
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

/// The report of a results folder as one HTML page.
pub fn render(f: &ResultsFolder) -> Result<String> {
    let years = f.years();
    let (first, last) = (
        years.first().copied().unwrap_or(0),
        years.last().copied().unwrap_or(0),
    );
    let m = &f.manifest;
    let num = |k: &str| {
        m.get(k)
            .map(|v| v.to_string().trim_matches('"').to_string())
            .unwrap_or_else(|| "?".into())
    };
    let reforms = f.reforms();
    let baseline = f.baseline().unwrap_or("baseline").to_string();
    let title = match f.kind {
        Kind::Compare => format!("{} compared with {}", reforms.join(", "), baseline),
        Kind::Sweep => format!(
            "sweep of {} over {} grid points",
            m.get("base_scenario")
                .and_then(|v| v.as_str())
                .unwrap_or("a scenario"),
            f.scenarios.len()
        ),
        Kind::Run => format!("Scenario {}", f.scenarios.join(", ")),
    };
    let against = if baseline == "baseline" {
        "the baseline".to_string()
    } else {
        format!("the baseline, {}", esc(&baseline))
    };
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>safetynet report: {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n",
        esc(&title)
    );
    let _ = writeln!(h, "<h1>Social assistance projection: {}</h1>", esc(&title));
    let lead = match f.kind {
        Kind::Run => "Projected budget cost, reach and fall-back into poverty of China's social \
                      assistance under one scenario, year by year."
            .to_string(),
        Kind::Compare => format!(
            "What the reform{} would change against {}: budget cost, reach and \
             fall-back into poverty, year by year. Every scenario was simulated on the same \
             households and the same shocks, so the changes are measured precisely.",
            if reforms.len() > 1 { "s" } else { "" },
            against
        ),
        Kind::Sweep => "How budget cost, reach and fall-back into poverty respond to the swept \
                        parameters. Every grid point was simulated on the same households and \
                        the same shocks, so differences between points are differences of policy, \
                        not of sampling."
            .to_string(),
    };
    let _ = writeln!(h, "<p class=\"lead\">{lead}</p>");
    let _ = writeln!(
        h,
        "<div class=\"facts\"><div><b>{first}–{last}</b>years projected</div>\
         <div><b>{}</b>sample households per replication</div>\
         <div><b>{}</b>replications</div><div><b>{}</b>seed</div>\
         <div><b>{}</b>safetynet version</div></div>",
        esc(&thousands(&num("households_per_replication"))),
        esc(&num("replications")),
        esc(&num("seed")),
        esc(&num("safetynet_version")),
    );
    h.push_str(
        "<h2 id=\"read\">How to read this report</h2>\n<p>All figures are national, for the full calendar \
         year, in nominal yuan. Each line is the mean over the Monte Carlo replications; the \
         shaded band around it is the 90&nbsp;% interval (from the 5th to the 95th percentile \
         of the replications): the range the model considers likely given sampling, income \
         shocks and disasters. Tables show <i>mean [90&nbsp;% interval]</i>. Costs are in \
         billion yuan, recipients in million persons, rates in percent. The full detail (urban \
         and rural, first half-year, every metric) is in <code>summary.csv</code> next to this \
         file.</p>\n",
    );
    if f.kind == Kind::Compare {
        h.push_str(
            "<p>Changes are <i>reform minus baseline</i>, computed within each replication \
             and then summarised, so their bands show how sure we are of the change itself. \
             Changes in rates are in percentage points.</p>\n",
        );
    }

    // Levels.
    let scen: Vec<&str> = f.scenarios.iter().map(|s| s.as_str()).collect();
    let level_chart = |metric: &str| -> Result<Option<String>> {
        let unit = f.unit(metric);
        let (scale, ulabel, _) = display_unit(&unit);
        let series: Vec<Series> = scen
            .iter()
            .map(|s| Series {
                label: f.label(s),
                color: f.color(s),
                points: years
                    .iter()
                    .filter_map(|&y| f.get(s, y, "FY", "national", metric))
                    .map(|r| Point {
                        x: r.year as f64,
                        mean: r.mean * scale,
                        lo: r.p05 * scale,
                        hi: r.p95 * scale,
                    })
                    .collect(),
            })
            .collect();
        if series.iter().all(|s| s.points.is_empty()) {
            return Ok(None);
        }
        Ok(Some(line_chart(
            &title_of(metric),
            XAxis::Years,
            &ulabel,
            &series,
            false,
        )?))
    };
    h.push_str("<h2 id=\"budget\">1. Budget: cost by program</h2>\n<div class=\"charts\">\n");
    let mut idle = Vec::new();
    let mut costs = vec!["cost_total".to_string()];
    for p in f.program_costs() {
        let zero = f
            .summary
            .iter()
            .filter(|r| r.metric == p)
            .all(|r| r.mean == 0.0 && r.p95 == 0.0);
        if zero {
            idle.push(label_of(&p));
        } else {
            costs.push(p);
        }
    }
    for metric in &costs {
        if let Some(svg) = level_chart(metric)? {
            let _ = writeln!(h, "<div class=\"chart\">{svg}</div>");
        }
    }
    h.push_str("</div>\n");
    if !idle.is_empty() {
        let _ = writeln!(
            h,
            "<p class=\"note\">Not charted, zero cost in every scenario: {}.</p>",
            esc(&idle.join(", "))
        );
    }
    let reach = [
        "recipients_persons",
        "coverage_poor",
        "fgt0_post",
        "fallback_assist_12m",
    ];
    h.push_str("<h2 id=\"reach\">2. Reach, poverty and fall-back</h2>\n<div class=\"charts\">\n");
    for metric in reach {
        if let Some(svg) = level_chart(metric)? {
            let _ = writeln!(h, "<div class=\"chart\">{svg}</div>");
        }
    }
    h.push_str("</div>\n");
    h.push_str(
        "<p class=\"note\">Coverage of the poor: share of households below the poverty line \
         (before transfers) that receive assistance. Fall-back: of the households that left \
         assistance in a year, the share back on assistance within 12 months; it is shown only \
         for years whose 12-month window ends within the horizon.</p>\n",
    );

    // Changes against the baseline.
    let mut section = 3;
    if f.kind == Kind::Compare {
        let _ = writeln!(
            h,
            "<h2 id=\"changes\">{section}. Changes against {against}</h2>\n<div class=\"charts\">"
        );
        section += 1;
        let mut delta_metrics: Vec<String> = vec!["cost_total".into()];
        let mut unchanged = Vec::new();
        for p in f.program_costs() {
            let zero = f
                .deltas
                .iter()
                .filter(|r| r.metric == p)
                .all(|r| r.mean == 0.0 && r.p05 == 0.0 && r.p95 == 0.0);
            if zero {
                unchanged.push(label_of(&p));
            } else {
                delta_metrics.push(p);
            }
        }
        delta_metrics.extend(reach.iter().map(|s| s.to_string()));
        for metric in &delta_metrics {
            let unit = f.unit(metric);
            let (scale, _, dlabel) = display_unit(&unit);
            let series: Vec<Series> = reforms
                .iter()
                .map(|s| Series {
                    label: format!("{s} minus {baseline}"),
                    color: f.color(s),
                    points: years
                        .iter()
                        .filter_map(|&y| f.delta(s, y, "FY", "national", metric))
                        .map(|r| Point {
                            x: r.year as f64,
                            mean: r.mean * scale,
                            lo: r.p05 * scale,
                            hi: r.p95 * scale,
                        })
                        .collect(),
                })
                .collect();
            if series.iter().all(|s| s.points.is_empty()) {
                continue;
            }
            let svg = line_chart(
                &format!("Change: {}", title_of(metric)),
                XAxis::Years,
                &dlabel,
                &series,
                true,
            )?;
            let _ = writeln!(h, "<div class=\"chart\">{svg}</div>");
        }
        h.push_str("</div>\n");
        if !unchanged.is_empty() {
            let _ = writeln!(
                h,
                "<p class=\"note\">Not charted, no change in any replication: cost of {}.</p>",
                esc(&unchanged.join(", "))
            );
        }
    }

    // Sweep: figures against the swept value.
    if f.kind == Kind::Sweep {
        let charts = sweep_charts(f, &reach)?;
        if !charts.is_empty() {
            let _ = writeln!(
                h,
                "<h2 id=\"response\">{section}. Response to the swept values</h2>\n<p class=\"note\">\
                 National figures against the value of <code>{}</code>, in the latest year \
                 where every point has one; each line holds the other swept keys fixed.</p>\n\
                 <div class=\"charts\">",
                esc(&charts[0].0)
            );
            section += 1;
            for (_, svg) in &charts {
                let _ = writeln!(h, "<div class=\"chart\">{svg}</div>");
            }
            h.push_str("</div>\n");
        }
    }

    h.push_str(&planning::sections(f, &mut section)?);

    // Tables.
    let _ = writeln!(h, "<h2 id=\"tables\">{section}. Key figures by year</h2>");
    section += 1;
    h.push_str(
        "<p class=\"note\">National; full year unless marked H1 (January–June, the period of \
         the half-year budget figures). Mean <span class=\"iv\">[90&nbsp;% interval]</span>.</p>\n",
    );
    // (metric, header, period)
    let mut budget: Vec<(String, String, &str)> = costs
        .iter()
        .map(|c| (c.clone(), short_of(c), "FY"))
        .collect();
    budget.push(("cost_total".into(), "H1 total cost".into(), "H1"));
    let reach_cols: Vec<(String, String, &str)> = [
        "recipients_persons",
        "recipients_households",
        "coverage_poor",
        "fgt0_post",
        "fallback_assist_12m",
    ]
    .iter()
    .map(|m| (m.to_string(), short_of(m), "FY"))
    .collect();
    let table = |h: &mut String, s: &str, cols: &[(String, String, &str)], delta: bool| {
        h.push_str("<div class=\"tw\"><table>\n<tr><th class=\"l\">year</th>");
        for (metric, head, _) in cols {
            let (_, level, change) = display_unit(&f.unit(metric));
            let u = if delta { change } else { level };
            let _ = write!(
                h,
                "<th>{}<span class=\"unit\">{}</span></th>",
                esc(head),
                esc(&u)
            );
        }
        h.push_str("</tr>\n");
        for &y in &years {
            let _ = write!(h, "<tr><td class=\"l\">{y}</td>");
            for (metric, _, period) in cols {
                let unit = f.unit(metric);
                let (scale, _, _) = display_unit(&unit);
                let cell = if delta {
                    delta_html(
                        f.delta(s, y, period, "national", metric),
                        scale,
                        digits(&unit, true),
                    )
                } else {
                    level_cell(
                        f.get(s, y, period, "national", metric),
                        scale,
                        digits(&unit, false),
                    )
                };
                let _ = write!(h, "<td>{cell}</td>");
            }
            h.push_str("</tr>\n");
        }
        h.push_str("</table></div>\n");
    };
    let mut blocks: Vec<(String, &str, bool)> =
        scen.iter().map(|s| (f.label(s), *s, false)).collect();
    if f.kind == Kind::Compare {
        for s in &reforms {
            blocks.push((format!("Change: {s} minus {baseline}"), s.as_str(), true));
        }
    }
    for (head, s, delta) in blocks {
        let _ = writeln!(
            h,
            "<h3><span class=\"swatch\" style=\"background:{}\"></span>{}</h3>",
            chart::css_color(f.color(s)),
            esc(&head)
        );
        table(&mut h, s, &budget, delta);
        table(&mut h, s, &reach_cols, delta);
    }

    // Sweep grid.
    if f.kind == Kind::Sweep {
        let keys: Vec<String> = m
            .pointer("/grid/keys")
            .and_then(|k| k.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|k| k.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        let _ = writeln!(
            h,
            "<h2 id=\"grid\">{section}. Grid points, {last}</h2>\n<p class=\"note\">Each point is the base \
             scenario with the values below; national, full year {last}.</p>"
        );
        section += 1;
        h.push_str("<div class=\"tw\"><table>\n<tr><th class=\"l\">point</th>");
        for k in &keys {
            let _ = write!(h, "<th class=\"l key\"><code>{}</code></th>", esc(k));
        }
        let gcols = [
            "cost_total",
            "recipients_persons",
            "coverage_poor",
            "fgt0_post",
        ];
        for c in gcols {
            let (_, u, _) = display_unit(&f.unit(c));
            let _ = write!(
                h,
                "<th>{}<span class=\"unit\">{}</span></th>",
                esc(&short_of(c)),
                esc(&u)
            );
        }
        h.push_str("</tr>\n");
        for s in &scen {
            let _ = write!(
                h,
                "<tr><td class=\"l\"><span class=\"swatch\" style=\"background:{}\"></span>{}</td>",
                chart::css_color(f.color(s)),
                esc(s)
            );
            for (_, v) in sweep_values(m, s) {
                let _ = write!(h, "<td class=\"l\"><code>{}</code></td>", esc(&v));
            }
            for c in gcols {
                let unit = f.unit(c);
                let (scale, _, _) = display_unit(&unit);
                let _ = write!(
                    h,
                    "<td>{}</td>",
                    level_cell(
                        f.get(s, last, "FY", "national", c),
                        scale,
                        digits(&unit, false)
                    )
                );
            }
            h.push_str("</tr>\n");
        }
        h.push_str("</table></div>\n");
    }

    // Manifest.
    let _ = writeln!(h, "<h2 id=\"manifest\">{section}. What was run</h2>");
    h.push_str("<div class=\"tw\"><table class=\"wrap\">\n");
    let command = m
        .get("command")
        .and_then(|c| c.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str())
                .map(shell_word)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default();
    for (k, v) in [
        ("command", command),
        ("safetynet version", num("safetynet_version")),
        ("seed", num("seed")),
        ("replications", num("replications")),
        (
            "sample households per replication",
            thousands(&num("households_per_replication")),
        ),
        ("first year", num("start_year")),
        ("years", num("years")),
    ] {
        let _ = writeln!(
            h,
            "<tr><th class=\"l\">{}</th><td class=\"l\"><code>{}</code></td></tr>",
            esc(k),
            esc(&v)
        );
    }
    h.push_str("</table></div>\n");
    h.push_str(
        "<div class=\"tw\"><table class=\"wrap\">\n<tr><th class=\"l\">scenario</th><th class=\"l\">files (base first)</th>\
         <th class=\"l\">SHA-256 of the resolved scenario</th></tr>\n",
    );
    if let Some(list) = m.get("scenarios").and_then(|s| s.as_array()) {
        for s in list {
            let name = s.get("name").and_then(|n| n.as_str()).unwrap_or("?");
            let files = s
                .get("files")
                .and_then(|f| f.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str())
                        .collect::<Vec<_>>()
                        .join(" → ")
                })
                .unwrap_or_default();
            let hash = s.get("hash").and_then(|x| x.as_str()).unwrap_or("");
            let _ =
                writeln!(
                h,
                "<tr><td class=\"l\"><span class=\"swatch\" style=\"background:{}\"></span>{}</td>\
                 <td class=\"l\"><code>{}</code></td><td class=\"l\"><code>{}</code></td></tr>",
                chart::css_color(f.color(name)),
                esc(name),
                esc(if files.is_empty() { "(embedded defaults only)" } else { &files }),
                esc(hash)
            );
        }
    }
    h.push_str("</table></div>\n");
    let pretty = serde_json::to_string_pretty(m).unwrap_or_default();
    let _ = writeln!(
        h,
        "<details><summary>Full manifest (resolved scenarios, JSON)</summary><pre>{}</pre></details>",
        esc(&pretty)
    );
    let _ = writeln!(
        h,
        "<footer>Generated by safetynet {} from the files in <code>{}</code>: manifest.json, \
         summary.csv{}. Self-contained: no network access, scripts or external files are \
         needed to view or print this page.</footer>",
        esc(env!("CARGO_PKG_VERSION")),
        esc(&f.dir.display().to_string()),
        if f.kind == Kind::Compare {
            ", deltas.csv"
        } else {
            ""
        }
    );
    h.push_str("</main>\n</body>\n</html>\n");
    Ok(h)
}

/// Charts of a sweep's figures against the first swept key with numeric values: one line
/// per combination of the other keys. Returns (key, svg) pairs; none when no key is numeric.
fn sweep_charts(f: &ResultsFolder, reach: &[&str]) -> Result<Vec<(String, String)>> {
    let m = &f.manifest;
    let keys: Vec<String> = m
        .pointer("/grid/keys")
        .and_then(|k| k.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|k| k.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
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
                        Some(Point {
                            x,
                            mean: r.mean * scale,
                            lo: r.p05 * scale,
                            hi: r.p95 * scale,
                        })
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
