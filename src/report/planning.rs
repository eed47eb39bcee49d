//! The planning sections of the report, each present only when its results are in the folder:
//! who pays (payer rows of summary.csv), the solve answer (solve.csv) and the overrun risk
//! (overrun.csv, exceedance.csv).

use super::chart::{line_chart, Point, Series, XAxis};
use super::{esc, ResultsFolder};
use crate::error::{Error, Result};
use plotters::prelude::*;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// Title of the payers chart (checked by tests/report.rs).
pub const PAYERS_TITLE: &str = "Who pays: central transfer and local budgets";
/// Title of the tornado chart.
pub const TORNADO_TITLE: &str = "Which uncertain parameter drives the cost";
/// Title of the solve chart, before the figure's name.
pub const SOLVE_TITLE: &str = "Solve: the statistic against the key";
/// Title of the benefit incidence chart (compare), before the year.
pub const INCIDENCE_TITLE: &str = "Benefit incidence by decile: average gain per household";
/// Title of each overrun chart, before the figure's name.
pub const OVERRUN_TITLE: &str = "Overrun risk: share of replications above a value";

fn read_csv(path: &Path) -> Result<Option<Vec<csv::StringRecord>>> {
    if !path.is_file() {
        return Ok(None);
    }
    let mut r = csv::Reader::from_path(path).map_err(|e| Error::Parse {
        file: path.display().to_string(),
        message: e.to_string(),
    })?;
    let headers = r
        .headers()
        .map_err(|e| Error::Parse {
            file: path.display().to_string(),
            message: e.to_string(),
        })?
        .clone();
    let mut rows = vec![headers];
    for rec in r.records() {
        rows.push(rec.map_err(|e| Error::Parse {
            file: path.display().to_string(),
            message: e.to_string(),
        })?);
    }
    Ok(Some(rows))
}

/// The planning files of a results folder, read with it (each `None` when absent): header row
/// first, then the records.
#[derive(Debug, Clone, Default)]
pub struct PlanningFiles {
    pub solve: Option<Vec<csv::StringRecord>>,
    pub overrun: Option<Vec<csv::StringRecord>>,
    pub exceedance: Option<Vec<csv::StringRecord>>,
    /// Benefit incidence of each reform by decile (incidence.csv of `compare`).
    pub incidence: Option<Vec<csv::StringRecord>>,
    /// Per replication of the first scenario: full-year national total cost by year (from
    /// replications.csv), for the tornado chart of the parameter draws.
    pub rep_costs: BTreeMap<(i32, u32), f64>,
}

impl PlanningFiles {
    /// Read whichever of solve.csv, overrun.csv, exceedance.csv and incidence.csv `dir` holds.
    pub fn read(dir: &Path) -> Result<PlanningFiles> {
        Ok(PlanningFiles {
            solve: read_csv(&dir.join("solve.csv"))?,
            overrun: read_csv(&dir.join("overrun.csv"))?,
            exceedance: read_csv(&dir.join("exceedance.csv"))?,
            incidence: read_csv(&dir.join("incidence.csv"))?,
            rep_costs: rep_costs(&dir.join("replications.csv"))?,
        })
    }
}

/// `cost_total` (full year, national) of the first scenario by (year, replication).
fn rep_costs(path: &Path) -> Result<BTreeMap<(i32, u32), f64>> {
    let mut out = BTreeMap::new();
    let Some(rows) = read_csv(path)? else {
        return Ok(out);
    };
    let head = &rows[0];
    let first = rows.get(1).map(|r| col(head, r, "scenario").to_string());
    for r in &rows[1..] {
        if Some(col(head, r, "scenario")) == first.as_deref()
            && col(head, r, "metric") == "cost_total"
            && col(head, r, "period") == "FY"
            && col(head, r, "region") == "national"
        {
            if let (Ok(y), Ok(rep)) = (
                col(head, r, "year").parse::<i32>(),
                col(head, r, "replication").parse::<u32>(),
            ) {
                out.insert((y, rep), num(head, r, "value"));
            }
        }
    }
    Ok(out)
}

/// Column `name` of a record, by the header row.
fn col<'a>(head: &csv::StringRecord, rec: &'a csv::StringRecord, name: &str) -> &'a str {
    head.iter()
        .position(|h| h == name)
        .and_then(|i| rec.get(i))
        .unwrap_or("")
}

fn num(head: &csv::StringRecord, rec: &csv::StringRecord, name: &str) -> f64 {
    col(head, rec, name).parse().unwrap_or(f64::NAN)
}

/// The planning sections, numbered from `section` (advanced past each one written).
pub fn sections(f: &ResultsFolder, section: &mut usize) -> Result<String> {
    let mut h = String::new();
    tornado(f, section, &mut h)?;
    incidence(f, section, &mut h)?;
    payers(f, section, &mut h)?;
    solve(f, section, &mut h)?;
    overrun(f, section, &mut h)?;
    Ok(h)
}

/// The average gain per household by decile of pre-transfer income in the last year, one
/// line per reform with its p05–p95 band over paired replications (incidence.csv).
fn incidence(f: &ResultsFolder, section: &mut usize, h: &mut String) -> Result<()> {
    let Some(rows) = &f.planning.incidence else {
        return Ok(());
    };
    let head = &rows[0];
    let gains: Vec<&csv::StringRecord> = rows[1..]
        .iter()
        .filter(|r| col(head, r, "metric") == "avg_gain")
        .collect();
    let Some(year) = gains
        .iter()
        .filter_map(|r| col(head, r, "year").parse::<i32>().ok())
        .max()
    else {
        return Ok(());
    };
    let unit = gains
        .first()
        .map(|r| col(head, r, "unit").to_string())
        .unwrap_or_default();
    let mut reforms: Vec<String> = Vec::new();
    for r in &gains {
        let s = col(head, r, "scenario").to_string();
        if !reforms.contains(&s) {
            reforms.push(s);
        }
    }
    let series: Vec<Series> = reforms
        .iter()
        .map(|reform| Series {
            label: f.label(reform),
            color: f.color(reform),
            points: gains
                .iter()
                .filter(|r| {
                    col(head, r, "scenario") == reform && col(head, r, "year") == year.to_string()
                })
                .map(|r| Point {
                    x: num(head, r, "decile"),
                    mean: num(head, r, "mean"),
                    lo: num(head, r, "p05"),
                    hi: num(head, r, "p95"),
                })
                .collect(),
        })
        .collect();
    let svg = line_chart(
        &format!("{INCIDENCE_TITLE}, {year}"),
        XAxis::Values("decile of pre-transfer income per person (1 = poorest)"),
        &unit,
        &series,
        true,
    )?;
    let _ = writeln!(
        h,
        "<h2 id=\"incidence\">{section}. Benefit incidence by decile</h2>\n<p class=\"note\">The \
         change in transfers per household against the baseline in {year}, by decile of \
         pre-transfer income per person, mean and 90&nbsp;% interval over paired replications \
         ({}). Spending shares, winners and losers and poverty by decile are in \
         <code>incidence.csv</code>.</p>\n<div class=\"charts\"><div class=\"chart\">{svg}</div></div>",
        esc(&unit)
    );
    *section += 1;
    Ok(())
}

fn payers(f: &ResultsFolder, section: &mut usize, h: &mut String) -> Result<()> {
    let years = f.years();
    let Some(s) = f.scenarios.first() else {
        return Ok(());
    };
    let series_of = |metric: &str, label: &str, color: usize| Series {
        label: label.to_string(),
        color,
        points: years
            .iter()
            .filter_map(|&y| f.get(s, y, "FY", "national", metric))
            .map(|r| r.point(r.year as f64, 1.0))
            .collect(),
    };
    let series = vec![
        series_of("cost_central_total", "central transfer paid", 0),
        series_of("cost_local_total", "local budgets paid", 1),
        series_of(
            "central_allocation",
            "central allocation (set in advance)",
            2,
        ),
    ];
    if series[0].points.is_empty() {
        return Ok(());
    }
    let unit = f.unit("cost_central_total");
    let svg = line_chart(PAYERS_TITLE, XAxis::Years, &unit, &series, false)?;
    let _ = writeln!(
        h,
        "<h2 id=\"payers\">{section}. Who pays</h2>\n<p class=\"note\">Scenario {}. The central \
         transfer is allocated in advance from each province's expected need of the year before \
         (a share by region class, larger in the centre and west: <code>payers.*</code>); it pays \
         up to that allocation and local budgets pay the rest, so an overrun lands on local \
         budgets. Special assistance and care services are local. By province and program in \
         <code>summary.csv</code> (<code>cost_central_*</code>, <code>cost_local_*</code>).</p>\n\
         <div class=\"charts\"><div class=\"chart\">{svg}</div></div>",
        esc(s)
    );
    *section += 1;
    Ok(())
}

fn solve(f: &ResultsFolder, section: &mut usize, h: &mut String) -> Result<()> {
    let Some(rows) = &f.planning.solve else {
        return Ok(());
    };
    let head = &rows[0];
    let recs = &rows[1..];
    let Some(answer) = recs.iter().find(|r| col(head, r, "kind") == "answer") else {
        return Ok(());
    };
    let key = col(head, answer, "key").to_string();
    let figure = col(head, answer, "figure").to_string();
    let unit = col(head, answer, "unit").to_string();
    let stat = col(head, answer, "statistic").to_string();
    let limit = num(head, answer, "limit");
    let value = num(head, answer, "value");
    let (lo, hi) = (
        num(head, answer, "value_p05"),
        num(head, answer, "value_p95"),
    );
    let mut pts: Vec<(f64, f64)> = recs
        .iter()
        .map(|r| (num(head, r, "value"), num(head, r, "statistic_value")))
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .collect();
    pts.sort_by(|a, b| a.0.total_cmp(&b.0));
    pts.dedup_by(|a, b| a.0 == b.0);
    let (x0, x1) = (
        pts.first().map_or(value, |p| p.0),
        pts.last().map_or(value, |p| p.0),
    );
    let flat = |x: f64, y: f64| Point {
        x,
        mean: y,
        lo: y,
        hi: y,
    };
    let stat_y = num(head, answer, "statistic_value");
    let series = vec![
        Series {
            label: format!("{stat} of {figure} at the values evaluated"),
            color: 0,
            points: pts.iter().map(|&(x, y)| flat(x, y)).collect(),
        },
        Series {
            label: format!("limit {} {limit}", col(head, answer, "limit_op")),
            color: 3,
            points: vec![flat(x0, limit), flat(x1, limit)],
        },
        Series {
            label: "answer: 90 % interval".into(),
            color: 2,
            points: vec![flat(lo, stat_y), flat(hi, stat_y)],
        },
    ];
    let svg = line_chart(
        &format!("{SOLVE_TITLE}: {figure}"),
        XAxis::Values(&key),
        &unit,
        &series,
        false,
    )?;
    let binding = col(head, answer, "binding_year");
    let _ = writeln!(
        h,
        "<h2 id=\"solve\">{section}. Solve</h2>\n<p><b>{} = {value}</b> [90&nbsp;% interval \
         {lo}–{hi}, bootstrap over replications] makes the {} of <code>{}</code> equal the \
         limit {} {limit} {}; binding year {}. Every evaluation ran on the same households, \
         shocks and parameter draws (common random numbers); <code>summary.csv</code> holds the \
         run at the answer.</p>\n<div class=\"charts\"><div class=\"chart\">{svg}</div></div>",
        esc(&key),
        esc(&stat),
        esc(&figure),
        esc(col(head, answer, "limit_op")),
        esc(&unit),
        esc(binding),
    );
    *section += 1;
    Ok(())
}

fn overrun(f: &ResultsFolder, section: &mut usize, h: &mut String) -> Result<()> {
    let Some(curve) = &f.planning.exceedance else {
        return Ok(());
    };
    let table = f.planning.overrun.clone().unwrap_or_default();
    let head = &curve[0];
    let mut figures: Vec<String> = curve[1..]
        .iter()
        .map(|r| col(head, r, "figure").to_string())
        .collect();
    figures.dedup();
    let _ = writeln!(
        h,
        "<h2 id=\"overrun\">{section}. Overrun risk</h2>\n<p class=\"note\">Each curve is one \
         year: the share of replications in which the figure is above a value (the exceedance \
         curve). The table gives the probability of exceeding the budget line ± its Monte Carlo \
         standard error, and the same net of sampling noise (common shocks and parameter \
         uncertainty only), with the standard deviation split into its sampling and common \
         parts.</p>\n<div class=\"charts\">"
    );
    *section += 1;
    for fig in &figures {
        let recs: Vec<&csv::StringRecord> = curve[1..]
            .iter()
            .filter(|r| col(head, r, "figure") == fig)
            .collect();
        let unit = recs
            .first()
            .map(|r| col(head, r, "unit").to_string())
            .unwrap_or_default();
        let mut years: Vec<String> = recs.iter().map(|r| col(head, r, "year").into()).collect();
        years.dedup();
        let series: Vec<Series> = years
            .iter()
            .enumerate()
            .map(|(i, y)| Series {
                label: y.clone(),
                color: i,
                points: recs
                    .iter()
                    .filter(|r| col(head, r, "year") == y)
                    .map(|r| {
                        let p = 100.0 * num(head, r, "p_exceed");
                        Point {
                            x: num(head, r, "value"),
                            mean: p,
                            lo: p,
                            hi: p,
                        }
                    })
                    .collect(),
            })
            .collect();
        let svg = line_chart(
            &format!("{OVERRUN_TITLE}: {fig}"),
            XAxis::Values(&unit),
            "% of replications above",
            &series,
            false,
        )?;
        let _ = writeln!(h, "<div class=\"chart\">{svg}</div>");
    }
    h.push_str("</div>\n");
    if table.len() > 1 {
        let th = &table[0];
        h.push_str(
            "<table><tr><th class=\"l\">figure</th><th>year</th><th>budget</th><th>mean</th>\
             <th>P(exceed)</th><th>net of sampling</th><th>sd all</th><th>sd sampling</th>\
             <th>sd common</th></tr>\n",
        );
        let pct = |p: f64, se: f64| {
            if p.is_nan() {
                "–".to_string()
            } else {
                format!("{:.1}&nbsp;% ± {:.1}", 100.0 * p, 100.0 * se)
            }
        };
        let n1 = |x: f64| {
            if x.is_nan() {
                "–".to_string()
            } else {
                format!("{x:.1}")
            }
        };
        for r in &table[1..] {
            let _ = writeln!(
                h,
                "<tr><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
                 <td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(col(th, r, "figure")),
                esc(col(th, r, "year")),
                n1(num(th, r, "budget")),
                n1(num(th, r, "mean")),
                pct(num(th, r, "p_exceed"), num(th, r, "p_exceed_se")),
                pct(num(th, r, "p_exceed_common"), num(th, r, "p_exceed_common_se")),
                n1(num(th, r, "sd_total")),
                n1(num(th, r, "sd_sampling")),
                n1(num(th, r, "sd_common")),
            );
        }
        h.push_str("</table>\n");
    }
    Ok(())
}

/// One uncertain parameter's effect on cost: the linear fit of cost on its draws over
/// replications, evaluated at the draws' 10th and 90th percentiles, and the share of the
/// variance of cost it explains alone (r²).
#[derive(Debug, Clone)]
pub struct Swing {
    pub key: String,
    pub low: f64,
    pub high: f64,
    pub r2: f64,
}

/// Swings of every drawn parameter on `costs` (per replication), largest first.
pub fn swings(draws: &[BTreeMap<String, f64>], costs: &[f64]) -> Vec<Swing> {
    let n = costs.len().min(draws.len());
    if n < 3 {
        return Vec::new();
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let my = mean(&costs[..n]);
    let mut out = Vec::new();
    for key in draws[0].keys() {
        let xs: Vec<f64> = draws[..n]
            .iter()
            .map(|d| d.get(key).copied().unwrap_or(f64::NAN))
            .collect();
        if xs.iter().any(|x| !x.is_finite()) {
            continue;
        }
        let mx = mean(&xs);
        let sxx: f64 = xs.iter().map(|x| (x - mx).powi(2)).sum();
        let syy: f64 = costs[..n].iter().map(|y| (y - my).powi(2)).sum();
        let sxy: f64 = xs.iter().zip(costs).map(|(x, y)| (x - mx) * (y - my)).sum();
        if sxx <= 0.0 {
            continue;
        }
        let slope = sxy / sxx;
        let mut sorted = xs.clone();
        sorted.sort_by(f64::total_cmp);
        let (q10, q90) = (
            crate::metrics::quantile(&sorted, 0.1),
            crate::metrics::quantile(&sorted, 0.9),
        );
        out.push(Swing {
            key: key.clone(),
            low: my + slope * (q10 - mx),
            high: my + slope * (q90 - mx),
            r2: if syy > 0.0 {
                sxy * sxy / (sxx * syy)
            } else {
                0.0
            },
        });
    }
    out.sort_by(|a, b| (b.high - b.low).abs().total_cmp(&(a.high - a.low).abs()));
    out
}

fn tornado(f: &ResultsFolder, section: &mut usize, h: &mut String) -> Result<()> {
    let Some(draws) = f
        .manifest
        .get("parameter_draws")
        .and_then(|d| d.get(0))
        .and_then(|d| serde_json::from_value::<Vec<BTreeMap<String, f64>>>(d.clone()).ok())
    else {
        return Ok(());
    };
    if draws.iter().all(|d| d.is_empty()) {
        return Ok(());
    }
    let Some(&(year, _)) = f.planning.rep_costs.keys().next_back() else {
        return Ok(());
    };
    let costs: Vec<f64> = (0..draws.len() as u32)
        .map_while(|r| f.planning.rep_costs.get(&(year, r)).copied())
        .collect();
    let sw = swings(&draws, &costs);
    if sw.is_empty() {
        return Ok(());
    }
    let mean = costs.iter().sum::<f64>() / costs.len() as f64;
    let svg = tornado_svg(&format!("{TORNADO_TITLE}, {year}"), &sw, mean)?;
    let _ = writeln!(
        h,
        "<h2 id=\"tornado\">{section}. Parameter uncertainty</h2>\n<p class=\"note\">Total cost in \
         {year} against each parameter drawn per replication: a bar runs from the cost the linear \
         fit gives at the parameter's 10th percentile (light) to its 90th (dark); r² is the share \
         of the variance of cost over replications that parameter explains alone. The draws are \
         in <code>manifest.json</code>.</p>\n<div class=\"charts\"><div class=\"chart\">{svg}</div></div>"
    );
    *section += 1;
    Ok(())
}

fn tornado_svg(title: &str, sw: &[Swing], mean: f64) -> Result<String> {
    let err = |e: &dyn std::fmt::Debug| Error::Internal(format!("chart: {e:?}"));
    let rows = sw.len().min(12);
    let height = 90 + 34 * rows as u32;
    let (lo, hi) = sw[..rows].iter().fold((mean, mean), |(a, b), s| {
        (a.min(s.low).min(s.high), b.max(s.low).max(s.high))
    });
    let pad = ((hi - lo) * 0.08).max(1e-9 * mean.abs().max(1.0));
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (640, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(&e))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 19).into_font().style(FontStyle::Bold))
            .margin(12)
            .margin_right(22)
            .x_label_area_size(34)
            .y_label_area_size(0)
            .build_cartesian_2d(lo - pad..hi + pad, 0f64..rows as f64)
            .map_err(|e| err(&e))?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .x_desc("total cost, billion yuan")
            .axis_desc_style(("sans-serif", 15))
            .label_style(("sans-serif", 14))
            .draw()
            .map_err(|e| err(&e))?;
        let (r, g, b) = super::chart::PALETTE[0];
        let dark = RGBColor(r, g, b);
        for (i, s) in sw[..rows].iter().enumerate() {
            let y = (rows - 1 - i) as f64;
            chart
                .draw_series([
                    Rectangle::new([(mean, y + 0.2), (s.low, y + 0.8)], dark.mix(0.35).filled()),
                    Rectangle::new([(mean, y + 0.2), (s.high, y + 0.8)], dark.filled()),
                ])
                .map_err(|e| err(&e))?;
            chart
                .draw_series(std::iter::once(Text::new(
                    format!("{} (r² {:.2})", s.key, s.r2),
                    (lo - pad * 0.9, y + 0.95),
                    ("sans-serif", 13),
                )))
                .map_err(|e| err(&e))?;
        }
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(mean, 0.0), (mean, rows as f64)],
                BLACK.stroke_width(1),
            )))
            .map_err(|e| err(&e))?;
    }
    Ok(svg)
}
