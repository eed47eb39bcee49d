//! `safetynet sweep SCENARIO --grid KEY=V1,V2,... [--grid ...]`: every combination of the
//! values is a grid point (a scenario named p0, p1, ...); all points run together on common
//! households and shocks; one tidy sweep.csv with the swept values as columns.

use super::compare::{footer, manifest_json, write_folder, ResultsArgs};
use super::{print_out, progress_bar};
use crate::compare::{self, Grid};
use crate::engine::{self, RunOptions};
use crate::error::Result;
use crate::metrics::Period;
use crate::output;
use clap::Args;
use std::path::PathBuf;

/// Arguments of `sweep`.
#[derive(Debug, Args)]
pub struct SweepArgs {
    /// Scenario file (TOML) the grid varies, e.g. scenarios/baseline.toml.
    pub scenario: PathBuf,
    /// A swept key and its values, e.g. --grid programs.dibao.take_up.ever_apply=0.5,0.7,0.9
    /// (repeatable: the grid is every combination). Values are read like --set values;
    /// commas inside { } or quotes do not split.
    #[arg(long = "grid", value_name = "KEY=V1,V2,...")]
    pub grid: Vec<String>,
    #[command(flatten)]
    pub results: ResultsArgs,
}

pub(super) fn run(a: SweepArgs, argv: Vec<String>) -> Result<()> {
    let sim = a.results.sim();
    let grid = Grid::parse(&a.grid)?;
    let base = sim.load(&a.scenario)?;
    a.results.check_prices(&base.scenario.simulation)?;
    let models = compare::sweep_models(&base, &grid)?;
    let out =
        a.results.out.clone().unwrap_or_else(|| {
            PathBuf::from("results").join(format!("{}-sweep", base.scenario.name))
        });
    // A bad output path fails now, before the first simulated month.
    let staged = crate::folder::Staged::begin(&out, false)?;
    let pb = progress_bar(engine::work_items(&models), sim.quiet, "simulating");
    let counters = engine::run(
        &models,
        &RunOptions {
            threads: sim.threads,
            progress: Some(pb.clone()),
        },
    )?;
    pb.finish_and_clear();
    let mut results = output::collect(&models, &counters);
    if let Some(y) = a.results.prices {
        output::restate_prices(&mut results, &models, y)?;
    }
    let mut manifest = manifest_json(&models, argv)?;
    if let Some(d) = crate::output::draws_json(&counters.draws) {
        manifest["parameter_draws"] = d;
    }
    manifest["kind"] = "sweep".into();
    manifest["base_scenario"] = base.scenario.name.clone().into();
    manifest["grid"] = grid.manifest_json();
    write_folder(
        staged,
        &results,
        &manifest,
        &[("sweep.csv", compare::sweep_csv(&grid, &results)?)],
        a.results.report,
    )?;

    // The readable table: one row per point, national figures of the last year.
    let s = &base.scenario.simulation;
    let last = s.start_year + s.years as i32 - 1;
    let cost_unit = format!("bn yuan{}", output::prices_note(a.results.prices));
    let cols: [(&str, &str, &str, f64, usize); 4] = [
        ("cost total", &cost_unit, "cost_total", 1.0, 1),
        (
            "recipients",
            "million persons",
            "recipients_persons",
            1.0,
            2,
        ),
        ("cov. of poor", "%", "coverage_poor", 100.0, 1),
        ("FGT0 after", "%", "fgt0_post", 100.0, 2),
    ];
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut head = vec!["point".to_string()];
    head.extend(grid.keys.iter().cloned());
    head.extend(cols.iter().map(|c| c.0.to_string()));
    rows.push(head);
    let mut units = vec![String::new(); 1 + grid.keys.len()];
    units.extend(cols.iter().map(|c| c.1.to_string()));
    rows.push(units);
    for (p, r) in results.iter().enumerate() {
        let mut row = vec![r.name.clone()];
        row.extend(grid.point_texts(p).into_iter().map(String::from));
        for (_, _, metric, scale, d) in cols {
            row.push(match r.stats(last, Period::FullYear, "national", metric) {
                Some(st) => format!(
                    "{:.d$} [{:.d$}–{:.d$}]",
                    st.mean * scale,
                    st.p05 * scale,
                    st.p95 * scale
                ),
                None => "–".into(),
            });
        }
        rows.push(row);
    }
    let mut text = format!(
        "Sweep of `{}` over {} grid points: national, full year {last}; mean [90 % interval] over replications\n",
        base.scenario.name,
        grid.len()
    );
    text.push_str(&crate::output::align(&rows, 2));
    text.push('\n');
    text.push_str(&footer(&models, &out, a.results.report)?);
    print_out(&text)
}
