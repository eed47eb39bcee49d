//! The sections of `report.html`, one function each, in page order (see [`render`]).

use super::chart::{self, line_chart, Series, XAxis};
use super::{
    delta_html, digits, display_unit, esc, grid_keys, level_cell, shell_word, sweep_charts,
    sweep_values, thousands, Kind, ResultsFolder, STYLE,
};
use crate::error::Result;
use crate::metrics::{label_of, short_of, title_of};
use std::fmt::Write as _;

/// National full-year figures charted and tabled beside the costs.
const REACH: [&str; 4] = [
    "recipients_persons",
    "coverage_poor",
    "fgt0_post",
    "fallback_assist_12m",
];

/// What every section reads: the folder and the facts derived from it once.
struct Page<'a> {
    f: &'a ResultsFolder,
    m: &'a serde_json::Value,
    years: Vec<i32>,
    first: i32,
    last: i32,
    reforms: Vec<String>,
    baseline: String,
    /// "the baseline" or "the baseline, <name>".
    against: String,
    scen: Vec<&'a str>,
}

impl Page<'_> {
    /// A manifest value as text ("?" when absent).
    fn num(&self, k: &str) -> String {
        self.m
            .get(k)
            .map(|v| v.to_string().trim_matches('"').to_string())
            .unwrap_or_else(|| "?".into())
    }
}

/// The report of a results folder as one HTML page: the sections in order, numbered as
/// they appear (the changes, response and grid sections only for comparisons and sweeps).
pub fn render(f: &ResultsFolder) -> Result<String> {
    let years = f.years();
    let (first, last) = (
        years.first().copied().unwrap_or(0),
        years.last().copied().unwrap_or(0),
    );
    let baseline = f.baseline().unwrap_or("baseline").to_string();
    let against = if baseline == "baseline" {
        "the baseline".to_string()
    } else {
        format!("the baseline, {}", esc(&baseline))
    };
    let p = Page {
        f,
        m: &f.manifest,
        years,
        first,
        last,
        reforms: f.reforms(),
        baseline,
        against,
        scen: f.scenarios.iter().map(|s| s.as_str()).collect(),
    };
    let mut h = String::new();
    head(&p, &mut h);
    let costs = budget(&p, &mut h)?;
    reach(&p, &mut h)?;
    let mut section = 3;
    if f.kind == Kind::Compare {
        changes(&p, &mut h, &mut section)?;
    }
    if f.kind == Kind::Sweep {
        response(&p, &mut h, &mut section)?;
    }
    h.push_str(&super::planning::sections(f, &mut section)?);
    tables(&p, &mut h, &mut section, &costs);
    if f.kind == Kind::Sweep {
        grid(&p, &mut h, &mut section);
    }
    what_was_run(&p, &mut h, section);
    h.push_str("</main>\n</body>\n</html>\n");
    Ok(h)
}

/// Title, lead, the run's facts and how to read the page.
fn head(p: &Page, h: &mut String) {
    let (f, m) = (p.f, p.m);
    let (first, last) = (p.first, p.last);
    let reforms = &p.reforms;
    let (baseline, against) = (&p.baseline, &p.against);
    let num = |k: &str| p.num(k);
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
}

/// The national full-year chart of `metric` for every scenario, with its band (`None` when
/// no scenario has the figure).
fn level_chart(p: &Page, metric: &str) -> Result<Option<String>> {
    let (f, years, scen) = (p.f, &p.years, &p.scen);
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
                .map(|r| r.point(r.year as f64, scale))
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
}

/// Section 1, budget: a chart per program with a cost; returns the cost metrics charted,
/// the total first.
fn budget(p: &Page, h: &mut String) -> Result<Vec<String>> {
    let f = p.f;
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
        if let Some(svg) = level_chart(p, metric)? {
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
    Ok(costs)
}

/// Section 2: reach, poverty and fall-back.
fn reach(p: &Page, h: &mut String) -> Result<()> {
    h.push_str("<h2 id=\"reach\">2. Reach, poverty and fall-back</h2>\n<div class=\"charts\">\n");
    for metric in REACH {
        if let Some(svg) = level_chart(p, metric)? {
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

    Ok(())
}

/// Changes of every reform against the baseline (comparisons).
fn changes(p: &Page, h: &mut String, section: &mut usize) -> Result<()> {
    let (f, years) = (p.f, &p.years);
    let (reforms, baseline, against) = (&p.reforms, &p.baseline, &p.against);
    let _ = writeln!(
        h,
        "<h2 id=\"changes\">{section}. Changes against {against}</h2>\n<div class=\"charts\">"
    );
    *section += 1;
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
    delta_metrics.extend(REACH.iter().map(|s| s.to_string()));
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
                    .map(|r| r.point(r.year as f64, scale))
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
    Ok(())
}

/// Figures against the swept values (sweeps).
fn response(p: &Page, h: &mut String, section: &mut usize) -> Result<()> {
    let f = p.f;
    let charts = sweep_charts(f, &REACH)?;
    if !charts.is_empty() {
        let _ = writeln!(
            h,
            "<h2 id=\"response\">{section}. Response to the swept values</h2>\n<p class=\"note\">\
             National figures against the value of <code>{}</code>, in the latest year \
             where every point has one; each line holds the other swept keys fixed.</p>\n\
             <div class=\"charts\">",
            esc(&charts[0].0)
        );
        *section += 1;
        for (_, svg) in &charts {
            let _ = writeln!(h, "<div class=\"chart\">{svg}</div>");
        }
        h.push_str("</div>\n");
    }
    Ok(())
}

/// Key figures by year: each scenario's levels, and each reform's changes.
fn tables(p: &Page, h: &mut String, section: &mut usize, costs: &[String]) {
    let (f, years, scen) = (p.f, &p.years, &p.scen);
    let (reforms, baseline) = (&p.reforms, &p.baseline);
    let _ = writeln!(h, "<h2 id=\"tables\">{section}. Key figures by year</h2>");
    *section += 1;
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
        for &y in years.iter() {
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
        for s in reforms.iter() {
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
        table(h, s, &budget, delta);
        table(h, s, &reach_cols, delta);
    }
}

/// The grid points of a sweep and their figures in the last year.
fn grid(p: &Page, h: &mut String, section: &mut usize) {
    let (f, m, last, scen) = (p.f, p.m, p.last, &p.scen);
    let keys = grid_keys(m);
    let _ = writeln!(
        h,
        "<h2 id=\"grid\">{section}. Grid points, {last}</h2>\n<p class=\"note\">Each point is the base \
         scenario with the values below; national, full year {last}.</p>"
    );
    *section += 1;
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
    for s in scen.iter() {
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

/// What was run: command, sizes, files and hashes, the full manifest, and the footer.
fn what_was_run(p: &Page, h: &mut String, section: usize) {
    let (f, m) = (p.f, p.m);
    let num = |k: &str| p.num(k);
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
}
