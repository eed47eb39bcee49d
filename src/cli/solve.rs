//! `safetynet solve SCENARIO --key KEY --range LO..HI --limit 'FIGURE <= VALUE' [--prob P]
//! [--minimise FIGURE]`: the value of one key at which a figure meets a limit (see
//! [`crate::solve`]); prints the answer with its interval and binding year, and writes
//! solve.csv beside the results of the run at the answer.

use super::compare::{manifest_json, write_folder, ResultsArgs};
use super::print_out;
use crate::engine::RunOptions;
use crate::error::Result;
use crate::solve::{self, FigureSpec, Limit, SolveSpec, Target};
use clap::Args;
use std::path::PathBuf;

/// Arguments of `solve`.
#[derive(Debug, Args)]
pub struct SolveArgs {
    /// Scenario file (TOML), e.g. scenarios/baseline.toml.
    pub scenario: PathBuf,
    /// The numeric scenario key to solve for, e.g. programs.dibao.standard.growth_rural (a
    /// year schedule takes the value in every year it lists).
    #[arg(long)]
    pub key: String,
    /// Search range LO..HI of the key, e.g. 0..0.15; the limit must be met at one end and
    /// broken at the other.
    #[arg(long, allow_hyphen_values = true)]
    pub range: String,
    /// The limit: 'METRIC[@REGION]:YEAR[-YEAR]:AGG <= VALUE' (or >=), AGG one of sum, mean,
    /// max, min over the years, VALUE in the metric's unit (summary.csv), e.g.
    /// 'cost_government:2024-2028:sum <= 2000' or 'fgt0_post:2025:mean <= 0.05'.
    #[arg(long)]
    pub limit: String,
    /// Probability with which the limit must hold over replications (e.g. 0.95); without it,
    /// the expected figure (mean over replications) meets the limit.
    #[arg(long)]
    pub prob: Option<f64>,
    /// The converse: a cost 'METRIC[@REGION]:YEARS:AGG' to minimise while reaching a
    /// `>=`/`<=` target on another figure (e.g. --limit 'fgt0_post:2025:mean <= 0.05'
    /// --minimise cost_government:2025:sum); reports it at the answer.
    #[arg(long, value_name = "FIGURE")]
    pub minimise: Option<String>,
    #[command(flatten)]
    pub results: ResultsArgs,
}

pub(super) fn run(a: SolveArgs, argv: Vec<String>) -> Result<()> {
    let sim = a.results.sim();
    // Every argument is checked before the first simulation.
    let spec = SolveSpec {
        key: a.key.trim().to_string(),
        range: solve::parse_range(&a.range)?,
        limit: Limit::parse(&a.limit)?,
        target: match a.prob {
            Some(p) => Target::Probability(p),
            None => Target::Mean,
        },
        minimise: a
            .minimise
            .as_deref()
            .map(|m| FigureSpec::parse(m, "--minimise"))
            .transpose()?,
        prices: a.results.prices,
    };
    let base = sim.load(&a.scenario)?;
    let out =
        a.results.out.clone().unwrap_or_else(|| {
            PathBuf::from("results").join(format!("{}-solve", base.scenario.name))
        });
    // A bad output path fails now, before the first simulated month.
    let staged = crate::folder::Staged::begin(&out, false)?;
    let sol = solve::solve(
        &base,
        &spec,
        &RunOptions {
            threads: sim.threads,
            progress: None,
        },
    )?;
    let models = vec![sol.model.clone()];
    let mut manifest = manifest_json(&models, argv)?;
    manifest["kind"] = "solve".into();
    manifest["solve"] = serde_json::json!({
        "key": spec.key,
        "range": [spec.range.0, spec.range.1],
        "limit": a.limit,
        "probability": a.prob,
        "minimise": spec.minimise.as_ref().map(|f| f.text()),
        "value": sol.value,
        "interval_90": [sol.interval.0, sol.interval.1],
        "interval_method": "bootstrap over replications (1000 resamples), root interpolated between evaluated values",
        "binding_year": sol.binding_year.0,
        "summary": "summary.csv and replications.csv hold the run at the answer",
    });
    write_folder(
        staged,
        std::slice::from_ref(&sol.results),
        &manifest,
        &[("solve.csv", solve::solve_csv(&sol)?)],
        a.results.report,
    )?;
    let s = &base.scenario.simulation;
    let mut text = solve::solution_text(&sol, &base.scenario.name, s.replications);
    text.push_str(&format!(
        "{} households x {} replications x {} months per evaluation; results in {}\n",
        s.households,
        s.replications,
        s.months(),
        out.display()
    ));
    if a.results.report {
        text.push_str(&format!("report: {}\n", out.join("report.html").display()));
    }
    print_out(&text)
}
