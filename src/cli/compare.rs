//! `safetynet compare BASELINE REFORM...`: simulate every scenario on common households and
//! shocks, print the key deltas per year, write deltas.csv and the results folder.

use super::{print_out, progress_bar, SimArgs};
use crate::compare;
use crate::engine::{self, Model, RunOptions};
use crate::error::{Error, Result};
use crate::folder::Staged;
use crate::output::{self, Manifest, ScenarioResults};
use clap::Args;
use std::path::{Path, PathBuf};

/// Arguments of `compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Baseline scenario file (TOML), e.g. scenarios/baseline.toml.
    pub baseline: PathBuf,
    /// One or more reform scenario files, each compared with the baseline.
    #[arg(required = true, value_name = "REFORM")]
    pub reforms: Vec<PathBuf>,
    #[command(flatten)]
    pub results: ResultsArgs,
}

/// The options of the commands that simulate and write a results folder (compare, sweep,
/// solve): where the results go, what they include, the prices of money and the simulation.
#[derive(Debug, Args)]
pub struct ResultsArgs {
    /// Results folder (default: under results/, named after the scenario and the command:
    /// <baseline>-vs-<reform>..., <scenario>-sweep, <scenario>-solve). It is replaced whole;
    /// a folder holding other files is refused.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Also write report.html (charts and tables) into the results folder.
    #[arg(long)]
    pub report: bool,
    /// Also report every province (needed for a province in solve's --limit).
    #[arg(long)]
    pub by_province: bool,
    /// Money (every yuan figure, delta and table) in the prices of YEAR, a simulated year,
    /// by the scenario's price index (dynamics.prices.inflation); default: nominal yuan.
    #[arg(long, value_name = "YEAR")]
    pub prices: Option<i32>,
    #[command(flatten)]
    pub sim: SimArgs,
}

impl ResultsArgs {
    /// The simulation options, with --by-province as the scenario key.
    pub fn sim(&self) -> SimArgs {
        self.sim.clone().with_provinces(self.by_province)
    }

    /// --prices must name a simulated year: checked before the first simulated month.
    pub fn check_prices(&self, s: &crate::simulation::SimulationParams) -> Result<()> {
        match self.prices {
            Some(y) => output::check_prices_year(y, s.start_year, s.years),
            None => Ok(()),
        }
    }
}

pub(super) fn run(a: CompareArgs, argv: Vec<String>) -> Result<()> {
    let sim = a.results.sim();
    let mut models = Vec::new();
    for path in std::iter::once(&a.baseline).chain(&a.reforms) {
        models.push(Model::new(&sim.load(path)?)?);
    }
    compare::check_distinct_names(&models)?;
    check_same_settings(&models, &a)?;
    let names: Vec<String> = models.iter().map(|m| m.scenario().name.clone()).collect();
    a.results.check_prices(&models[0].scenario().simulation)?;
    let out = a.results.out.clone().unwrap_or_else(|| {
        PathBuf::from("results").join(format!("{}-vs-{}", names[0], names[1..].join("-")))
    });
    // A bad output path fails now, before the first simulated month.
    let staged = Staged::begin(&out, false)?;
    let pb = progress_bar(engine::work_items(&models), sim.quiet, "simulating");
    let mut c = compare::compare(
        &models,
        &RunOptions {
            threads: sim.threads,
            progress: Some(pb.clone()),
        },
    )?;
    pb.finish_and_clear();
    if let Some(y) = a.results.prices {
        c.restate_prices(&models, y)?;
    }
    let mut manifest = manifest_json(&models, argv)?;
    if let Some(d) = output::draws_json(&c.draws) {
        manifest["parameter_draws"] = d;
    }
    manifest["kind"] = "compare".into();
    manifest["comparison"] = serde_json::json!({
        "baseline": names[0],
        "reforms": names[1..],
        "deltas": "reform minus baseline, per replication (common random numbers), then summarised",
    });
    write_folder(
        staged,
        &c.results,
        &manifest,
        &[
            ("deltas.csv", compare::deltas_csv(&c.deltas)?),
            (
                "incidence.csv",
                crate::incidence::incidence_csv(&c.incidence)?,
            ),
        ],
        a.results.report,
    )?;
    let s = &models[0].scenario().simulation;
    let mut text = String::new();
    for name in &names[1..] {
        text.push_str(&compare::delta_table(
            &c.deltas,
            name,
            s.start_year,
            s.years,
        ));
        text.push('\n');
        let last = s.start_year + s.years as i32 - 1;
        if !c.incidence.is_empty() {
            text.push_str(&crate::incidence::incidence_table(&c.incidence, name, last));
            text.push('\n');
        }
    }
    text.push_str(&footer(&models, &out, a.results.report)?);
    print_out(&text)
}

/// Compared scenarios share households and shocks, so their run settings must agree: name
/// the first that differs, with both values and the files that set them.
fn check_same_settings(models: &[Model], a: &CompareArgs) -> Result<()> {
    let paths: Vec<&PathBuf> = std::iter::once(&a.baseline).chain(&a.reforms).collect();
    let settings = |m: &Model| {
        let s = &m.scenario().simulation;
        [
            ("simulation.seed", s.seed.to_string()),
            ("simulation.households", s.households.to_string()),
            ("simulation.replications", s.replications.to_string()),
            ("simulation.start_year", s.start_year.to_string()),
            ("simulation.years", s.years.to_string()),
            ("simulation.burn_in_months", s.burn_in_months.to_string()),
            ("simulation.start", format!("{:?}", s.start).to_lowercase()),
            ("simulation.replay_months", s.replay_months.to_string()),
            ("simulation.replay_band", s.replay_band.to_string()),
            ("strata", m.pop.strata.strata.len().to_string()),
        ]
    };
    let base = settings(&models[0]);
    for (m, path) in models.iter().zip(&paths).skip(1) {
        for ((key, a_val), (_, b_val)) in base.iter().zip(settings(m)) {
            if *a_val != b_val {
                let origin = |m: &Model| {
                    crate::scenario::Checker::new(&m.loaded.origin, "the embedded defaults")
                        .file_of(key)
                };
                return Err(Error::Usage(format!(
                    "{}: `{key}` = {b_val} (set in {}), but the baseline {} has {a_val} (set in \
                     {}); compared scenarios must share the seed, sample, horizon and strata \
                     (set it in one place, or with --{} on the command line)",
                    path.display(),
                    origin(m),
                    paths[0].display(),
                    origin(&models[0]),
                    match *key {
                        "simulation.replications" => "reps",
                        "simulation.seed" => "seed",
                        "simulation.years" => "years",
                        _ => "households",
                    }
                )));
            }
        }
    }
    Ok(())
}

/// The manifest of a run as JSON, ready for extra fields.
pub(super) fn manifest_json(models: &[Model], argv: Vec<String>) -> Result<serde_json::Value> {
    serde_json::to_value(Manifest::new(models, argv)).map_err(|e| Error::Internal(e.to_string()))
}

/// Write summary.csv, replications.csv, manifest.json, `extra` files and, if asked for,
/// report.html into the staged folder, then put it in place whole (so a reused folder never
/// mixes runs).
pub(super) fn write_folder(
    staged: Staged,
    results: &[ScenarioResults],
    manifest: &serde_json::Value,
    extra: &[(&str, Vec<u8>)],
    report: bool,
) -> Result<()> {
    staged.write("summary.csv", &output::summary_csv(results)?)?;
    staged.write("replications.csv", &output::replications_csv(results)?)?;
    for (name, bytes) in extra {
        staged.write(name, bytes)?;
    }
    let json = serde_json::to_vec_pretty(manifest).map_err(|e| Error::Internal(e.to_string()))?;
    staged.write("manifest.json", &json)?;
    if report {
        super::run::write_report(&staged)?;
    }
    staged.commit()
}

/// The closing lines: run size, where the results are, and the report if asked for.
pub(super) fn footer(models: &[Model], out: &Path, report: bool) -> Result<String> {
    let s = &models[0].scenario().simulation;
    let mut text = format!(
        "{} scenarios x {} households x {} replications x {} months (common random numbers); results in {}\n",
        models.len(),
        s.households,
        s.replications,
        s.months(),
        out.display()
    );
    if report {
        text.push_str(&format!("report: {}\n", out.join("report.html").display()));
    }
    Ok(text)
}
