//! `safetynet backtest SCENARIO`: start the model in a past year, drive it with the observed
//! standards, incomes and prices of the history file, and compare it with every official
//! figure from then to 2023; print the table, write backtest.csv and report.html beside the
//! usual results.

use super::{print_out, progress_bar, SimArgs};
use crate::backtest::{self, History, DEFAULT_HISTORY, END_YEAR};
use crate::engine::{self, Model, RunOptions};
use crate::error::{Error, Result};
use crate::output::{self, Manifest};
use clap::Args;
use std::path::{Path, PathBuf};

/// Arguments of `backtest`.
#[derive(Debug, Args)]
pub struct BacktestArgs {
    /// Scenario file set in 2023 (TOML), e.g. scenarios/baseline.toml.
    pub scenario: PathBuf,
    /// First simulated year (the burn-in runs before it at its values).
    #[arg(long, default_value_t = 2017)]
    pub from: i32,
    /// History file: key,date,unit,value,source,confirmed.
    #[arg(long, default_value = DEFAULT_HISTORY)]
    pub history: PathBuf,
    /// Figures dated after this year are marked out of sample.
    #[arg(long, value_name = "YEAR")]
    pub fit_until: Option<i32>,
    /// Results folder (default: results/<scenario name>-backtest-<from>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Write the driven scenario (a file extending SCENARIO) to FILE and stop, e.g.
    /// scenarios/backtest-2017.toml.
    #[arg(long, value_name = "FILE")]
    pub write_scenario: Option<PathBuf>,
    /// Run SCENARIO as it is, from its own start year on its own schedules (no observed
    /// drivers; `--years` allowed), and compare it with every official figure dated in its
    /// horizon: the check of the projection against figures later than its start year, which
    /// are marked out of sample.
    #[arg(long, conflicts_with_all = ["write_scenario", "from"])]
    pub projection: bool,
    #[command(flatten)]
    pub sim: SimArgs,
}

/// `base` relative to the folder of `file` (both as given), for `extends`.
fn relative_to(base: &Path, file: &Path) -> String {
    let abs = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let (b, dir) = (abs(base), abs(file.parent().unwrap_or(Path::new("."))));
    let bc: Vec<_> = b.components().collect();
    let dc: Vec<_> = dir.components().collect();
    let common = bc.iter().zip(&dc).take_while(|(a, b)| a == b).count();
    let mut rel = PathBuf::new();
    for _ in common..dc.len() {
        rel.push("..");
    }
    for c in &bc[common..] {
        rel.push(c.as_os_str());
    }
    rel.display().to_string().replace('\\', "/")
}

pub(super) fn run(a: BacktestArgs, argv: Vec<String>) -> Result<()> {
    if a.projection {
        let history = History::load(&a.history)?;
        let loaded = a.sim.load(&a.scenario)?;
        let from = loaded.scenario.simulation.start_year;
        let fit_until = Some(a.fit_until.unwrap_or(from));
        let drivers = "the scenario's own schedules (a projection: no observed drivers)";
        return simulate_and_compare(
            &a,
            argv,
            &history,
            &loaded,
            loaded.clone(),
            from,
            fit_until,
            drivers,
        );
    }
    if a.sim.years.is_some() {
        return Err(Error::Usage(format!(
            "--years: not with backtest: the years run from --from to {END_YEAR}"
        )));
    }
    let history = History::load(&a.history)?;
    let loaded = a.sim.load(&a.scenario)?;
    let hfile = a.history.display().to_string();
    let ov = backtest::overlay(&history, &loaded, a.from)?;
    let driven = ov.apply(&loaded, &hfile)?;

    if let Some(path) = &a.write_scenario {
        let command = format!("safetynet {}", argv.get(1..).unwrap_or_default().join(" "));
        // Never over an existing file: it could be the input or a file it extends.
        if path.exists() {
            return Err(Error::Usage(format!(
                "--write-scenario {}: the file exists; safetynet does not overwrite a scenario \
                 (remove it or name a new file)",
                path.display()
            )));
        }
        let text = ov.scenario_toml(&relative_to(&a.scenario, path), &command)?;
        output::write_atomic(path, text.as_bytes())?;
        // The written file, loaded with the same command-line keys, must resolve to the very
        // scenario the backtest runs.
        let check = a.sim.load(path);
        if check.as_ref().map_or(true, |c| c.hash != driven.hash) {
            // Leave nothing behind that does not reproduce the backtest.
            let _ = std::fs::remove_file(path);
            check?;
            return Err(Error::Internal(format!(
                "{} does not reproduce the backtest scenario",
                path.display()
            )));
        }
        return print_out(&format!("wrote {}\n", path.display()));
    }

    let drivers = format!("{hfile} (standards, incomes, prices)");
    simulate_and_compare(
        &a,
        argv,
        &history,
        &loaded,
        driven,
        a.from,
        a.fit_until,
        &drivers,
    )
}

/// Run `driven` from `from`, write the usual results with backtest.csv, backtest-changes.csv
/// and report.html, and print the comparison with every official figure in its horizon.
#[allow(clippy::too_many_arguments)]
fn simulate_and_compare(
    a: &BacktestArgs,
    argv: Vec<String>,
    history: &History,
    loaded: &crate::scenario::LoadedScenario,
    driven: crate::scenario::LoadedScenario,
    from: i32,
    fit_until: Option<i32>,
    drivers: &str,
) -> Result<()> {
    let model = Model::new(&driven)?;
    let s = driven.scenario.simulation.clone();
    let last = from + s.years as i32 - 1;
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("results").join(&driven.scenario.name));
    // A bad output path fails now, before the first simulated month; the folder appears whole.
    let staged = crate::folder::Staged::begin(&out, false)?;
    let models = vec![model];
    let pb = progress_bar(engine::work_items(&models), a.sim.quiet, "simulating");
    let counters = engine::run(
        &models,
        &RunOptions {
            threads: a.sim.threads,
            progress: Some(pb.clone()),
        },
    )?;
    pb.finish_and_clear();
    let results = output::collect(&models, &counters);
    let manifest = Manifest::new(&models, argv).with_draws(&counters);
    // The same summary.csv as `run` of the written scenario (payer rows included).
    let (summary, _) = crate::payers::run_summary_csv(&models, &counters, &results)?;
    staged.write("summary.csv", &summary)?;
    staged.write("replications.csv", &output::replications_csv(&results)?)?;
    let json = serde_json::to_vec_pretty(&manifest).map_err(|e| Error::Internal(e.to_string()))?;
    staged.write("manifest.json", &json)?;
    let (rows, skipped) = backtest::compare(
        history,
        &results[0],
        from,
        s.years,
        fit_until,
        backtest::Season::of(&driven),
    );
    staged.write("backtest.csv", &backtest::backtest_csv(&rows)?)?;
    let changes = backtest::changes(&rows);
    staged.write("backtest-changes.csv", &backtest::changes_csv(&changes)?)?;

    // Population is the scenario's own: its `population.demography` schedules (the NBS series).
    let population = if loaded.scenario.population.demography.enabled {
        "population by the scenario's population.demography series"
    } else {
        "population not driven: population.demography is off"
    };
    let mut text = format!(
        "Backtest of `{}` from {from} to {last}, driven by {drivers} ({population}): official against model mean [90 % interval]\n",
        loaded.scenario.name
    );
    text.push_str(&backtest::table(&rows));
    text.push_str(&format!(
        "\nChange of dibao persons (national) between official dates, within each replication (every figure's changes in backtest-changes.csv):\n{}",
        backtest::changes_table(&changes, "dibao_persons_total")
    ));
    if !skipped.unmapped.is_empty() {
        let keys: Vec<String> = skipped
            .unmapped
            .iter()
            .map(|(k, n)| format!("{k} ({n})"))
            .collect();
        text.push_str(&format!(
            "Not compared (no model figure): {}\n",
            keys.join(", ")
        ));
    }
    if skipped.out_of_range > 0 {
        text.push_str(&format!(
            "{} official figures dated outside {from}–{last} left aside.\n",
            skipped.out_of_range
        ));
    }
    let about = format!(
        "Scenario `{}` started in {from} ({} burn-in months at {from} values), {} households × {} replications, seed {}; drivers: {drivers}.",
        loaded.scenario.name, s.burn_in_months, s.households, s.replications, s.seed
    );
    // The page's table is backtest.csv itself, header included.
    let cells: Vec<Vec<String>> = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(backtest::backtest_csv(&rows)?.as_slice())
        .into_records()
        .filter_map(|r| r.ok())
        .map(|r| r.iter().map(String::from).collect())
        .collect();
    let html = crate::report::backtest::render(
        &format!("Backtest: {} from {from}", loaded.scenario.name),
        &about,
        &backtest::charts(&rows),
        &cells,
    )?;
    staged.write("report.html", html.as_bytes())?;
    staged.commit()?;
    text.push_str(&format!(
        "\n{} households x {} replications x {} months from {}; results in {} (backtest.csv, backtest-changes.csv, report.html)\n",
        s.households,
        s.replications,
        s.months(),
        from,
        out.display()
    ));
    print_out(&text)
}
