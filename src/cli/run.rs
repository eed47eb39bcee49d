//! `safetynet run SCENARIO`: simulate, print the summary table, write the results folder.

use super::{print_out, progress_bar, SimArgs};
use crate::engine::{self, Model, RunOptions};
use crate::error::Result;
use crate::output::{self, Manifest};
use clap::Args;
use std::path::PathBuf;

/// Arguments of `run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario file (TOML), e.g. scenarios/baseline.toml.
    pub scenario: PathBuf,
    /// Results folder (default: results/<scenario name>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Also report every province.
    #[arg(long)]
    pub by_province: bool,
    /// Also write report.html (charts and tables) into the results folder.
    #[arg(long)]
    pub report: bool,
    /// Overrun risk against a budget line, e.g. --budget 'cost_government=300,320,340' (bn
    /// yuan per year from the first year; or YEAR:VALUE pairs; METRIC@REGION for a region);
    /// repeatable; writes overrun.csv and exceedance.csv.
    #[arg(long, value_name = "METRIC=V1,V2,...")]
    pub budget: Vec<String>,
    #[command(flatten)]
    pub sim: SimArgs,
}

pub(super) fn run(a: RunArgs, argv: Vec<String>) -> Result<()> {
    let mut sim = a.sim.clone();
    if a.by_province {
        sim.sets.push("metrics.by_province=true".into());
    }
    let loaded = sim.load(&a.scenario)?;
    let model = Model::new(&loaded)?;
    let budget = crate::overrun::parse_all(
        &a.budget,
        loaded.scenario.simulation.start_year,
        loaded.scenario.simulation.years,
    )?;
    let out = a
        .out
        .unwrap_or_else(|| PathBuf::from("results").join(&loaded.scenario.name));
    // A bad output path fails now, not after the run.
    output::prepare_dir(&out)?;
    let models = vec![model];
    let pb = progress_bar(engine::work_items(&models), sim.quiet, "simulating");
    let counters = engine::run(
        &models,
        &RunOptions {
            threads: sim.threads,
            progress: Some(pb.clone()),
        },
    )?;
    pb.finish_and_clear();
    let results = output::collect(&models, &counters);
    output::write_results(
        &out,
        &results,
        &Manifest::new(&models, argv).with_draws(&counters),
    )?;
    let s = &loaded.scenario.simulation;
    let mut text = output::summary_table(&results[0], s.start_year, s.years);
    let payers = crate::payers::split(&models, &counters)?;
    if let Some(p) = &payers[0] {
        let rows = p.rows();
        crate::payers::append_to_summary(&out, &rows)?;
        text.push('\n');
        text.push_str(&crate::payers::payer_table(&rows));
    }
    crate::overrun::clear_stale(&out)?;
    if !budget.is_empty() {
        let (table, files) = crate::overrun::assess(&models[0], &results[0], &budget)?;
        for (name, bytes) in files {
            output::write_atomic(&out.join(name), &bytes)?;
        }
        text.push('\n');
        text.push_str(&table);
    }
    text.push_str(&format!(
        "\n{} households x {} replications x {} months; results in {}\n",
        s.households,
        s.replications,
        s.months(),
        out.display()
    ));
    if a.report {
        let path = crate::report::write(&out)?;
        text.push_str(&format!("report: {}\n", path.display()));
    }
    print_out(&text)
}
