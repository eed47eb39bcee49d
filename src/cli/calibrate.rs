//! `safetynet calibrate SCENARIO --targets FILE`: fit free parameters to official figures,
//! write the calibrated scenario (it `extends` SCENARIO) and the fit table.
//! `safetynet calibrate SCENARIO --history FILE --fit-until YEAR`: fit the path instead: every
//! official figure of the history file dated from the scenario's start year to YEAR, levels and
//! changes (SCENARIO is a backtest scenario, e.g. scenarios/backtest-2017.toml).

use super::{print_out, SimArgs};
use crate::calibrate::{self, FreeParam, Iteration, Options};
use crate::error::Result;
use clap::Args;
use std::path::{Path, PathBuf};

/// Arguments of `calibrate`.
#[derive(Debug, Args)]
pub struct CalibrateArgs {
    /// Scenario to calibrate (TOML); the calibrated file extends it.
    pub scenario: PathBuf,
    /// Targets file (TOML, [[target]] tables), e.g. synthetic-data/targets-2023.toml.
    #[arg(long, required_unless_present = "history", conflicts_with = "history")]
    pub targets: Option<PathBuf>,
    /// Fit the path: the history file's figures (key,date,unit,value,source,confirmed) dated
    /// from the scenario's start year to --fit-until, levels and changes between official
    /// dates, matched as `backtest` matches them; e.g. synthetic-data/history.csv.
    #[arg(long, requires = "fit_until")]
    pub history: Option<PathBuf>,
    /// With --history: the last year fitted (the run ends there).
    #[arg(long, value_name = "YEAR", requires = "history")]
    pub fit_until: Option<i32>,
    /// A free parameter and its bounds, e.g. programs.dibao.take_up.ever_apply=0.1..1
    /// (repeatable). Default: dibao ever_apply and monthly_apply_prob, income log_sd_scale and
    /// no_worker_log_shift.
    #[arg(long = "free", value_name = "KEY=LO..HI")]
    pub free: Vec<String>,
    /// Calibrated scenario to write (default: results/<scenario name>-calibrated/calibrated.toml).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Fit table CSV to write (default: fit.csv beside --out).
    #[arg(long)]
    pub fit: Option<PathBuf>,
    /// Cap on optimiser iterations.
    #[arg(long, default_value_t = 200)]
    pub max_iters: u64,
    /// Set aside (with a note) targets whose metrics this build does not have yet.
    #[arg(long)]
    pub skip_missing: bool,
    /// Fit only these targets (names, comma-separated or repeated; `dibao_*` matches a prefix).
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    pub only: Vec<String>,
    #[command(flatten)]
    pub sim: SimArgs,
}

pub(super) fn run(a: CalibrateArgs) -> Result<()> {
    // Everything the user typed is checked before the first simulation.
    let free: Vec<FreeParam> = if a.free.is_empty() {
        calibrate::default_free()
    } else {
        a.free
            .iter()
            .map(|s| FreeParam::parse(s))
            .collect::<Result<_>>()?
    };
    let mut loaded = a.sim.load(&a.scenario)?;
    let (targets, path) = match (&a.targets, &a.history, a.fit_until) {
        (_, Some(h), Some(until)) => {
            if !a.only.is_empty() || a.skip_missing {
                return Err(crate::error::Error::Usage(
                    "--only, --skip-missing: not with --history (every mapped figure dated up to --fit-until is fitted)".into(),
                ));
            }
            let history = crate::backtest::History::load(h)?;
            let (goal, short) = calibrate::PathGoal::new(history, &loaded, until)?;
            loaded = short;
            let set = calibrate::TargetSet {
                file: goal.describe(),
                description: String::new(),
                targets: Vec::new(),
                skipped: Vec::new(),
            };
            (set, Some(goal))
        }
        (Some(t), _, _) => {
            let mut targets = calibrate::load_targets(t, a.skip_missing)?;
            if !a.only.is_empty() {
                targets = targets.select(&a.only)?;
            }
            if a.sim.years.is_none() {
                loaded = calibrate::fit_horizon(&loaded, &targets)?;
            }
            loaded = calibrate::check_targets(&loaded, &targets)?;
            (targets, None)
        }
        _ => {
            return Err(crate::error::Error::Usage(
                "calibrate: allowed: --targets FILE, or --history FILE with --fit-until YEAR"
                    .into(),
            ))
        }
    };
    calibrate::check_free(&loaded, &free)?;
    let out = a.out.clone().unwrap_or_else(|| {
        PathBuf::from("results")
            .join(format!("{}-calibrated", loaded.scenario.name))
            .join("calibrated.toml")
    });
    let fit = a
        .fit
        .clone()
        .unwrap_or_else(|| parent_of(&out).join("fit.csv"));
    // Both output paths are checked now, before the first simulation; the files are written
    // together, or neither is (nothing is left when the run fails).
    let files =
        crate::folder::StagedFiles::check(&[("--out", out.as_path()), ("--fit", fit.as_path())])?;
    // The --set keys (not run sizes) are part of what is fitted, so the file carries them.
    let mut fixed = Vec::new();
    for s in &a.sim.sets {
        let (k, v) = crate::scenario::parse_override(s)?;
        if !k.starts_with("simulation.") && !free.iter().any(|f| f.key == k) {
            fixed.push((k, v));
        }
    }

    for k in &targets.skipped {
        eprintln!(
            "note: {}: target `{}` set aside: {}",
            targets.file, k.target.name, k.reason
        );
    }
    let show = !a.sim.quiet;
    let s = &loaded.scenario.simulation;
    if show {
        let n = match &path {
            Some(_) => "the levels and changes".to_string(),
            None => format!("{} target(s)", targets.targets.len()),
        };
        eprintln!(
            "calibrating {} parameter(s) to {n} of {}: {} households x {} replications x {} year(s) from {}, seed {} (common random numbers)",
            free.len(),
            targets.file,
            s.households,
            s.replications,
            s.years,
            s.start_year,
            s.seed
        );
    }
    let names: Vec<String> = free.iter().map(|f| f.short_name().to_string()).collect();
    let on_iteration = move |it: &Iteration| {
        let params: Vec<String> = names
            .iter()
            .zip(&it.params)
            .map(|(n, v)| format!("{n}={v:.6}"))
            .collect();
        eprintln!(
            "iter {:>4}  objective {:.6e}  sims {:>4}  {}",
            it.iter,
            it.objective,
            it.evaluations,
            params.join(" ")
        );
    };
    let opts = Options {
        max_iters: a.max_iters,
        threads: a.sim.threads,
        on_iteration: if show {
            Some(Box::new(on_iteration))
        } else {
            None
        },
        ..Options::default()
    };
    let cal = match &path {
        Some(goal) => calibrate::calibrate_path(&loaded, goal, &free, opts)?,
        None => calibrate::calibrate(&loaded, &targets, &free, opts)?,
    };

    let toml = calibrate::calibrated_toml(
        &cal,
        &a.scenario,
        &out,
        &targets.file,
        &targets.skipped,
        &fixed,
    )?;
    let fit_csv = calibrate::fit_csv(&cal.fit, &targets.skipped)?;
    files.write_all(&[toml.as_bytes(), &fit_csv])?;

    let mut text = format!(
        "Fit of `{}` to {}: objective {:.4e} (start {:.4e}); simulated mean [90 % interval] over {} replications\n",
        loaded.scenario.name,
        targets.file,
        cal.objective,
        cal.start_objective,
        s.replications
    );
    text.push_str(&calibrate::fit_table(&cal.fit, &targets.skipped));
    let fitted = cal.fit.iter().filter(|r| r.target.weight > 0.0).count();
    text.push_str(&format!(
        "{fitted} target(s) fitted ({} change(s) between official dates), {} free parameter(s)\n",
        cal.fit
            .iter()
            .filter(|r| r.target.weight > 0.0 && r.target.unit == "% change")
            .count(),
        free.len()
    ));
    text.push_str("\nfitted parameters [bounds]: start -> fitted\n");
    for ((f, x0), x) in free.iter().zip(&cal.start).zip(&cal.fitted) {
        text.push_str(&format!(
            "  {} [{}, {}]: {} -> {}\n",
            f.key, f.lo, f.hi, x0, x
        ));
    }
    text.push_str(&format!(
        "{} iterations, {} simulations; stopped: {}\n",
        cal.iterations, cal.evaluations, cal.stopped
    ));
    if cal.infeasible > 0 {
        text.push_str(&format!(
            "{} evaluation(s) fell where the scenario checks reject the parameters and were charged objective {:e}; first: {}\n",
            cal.infeasible,
            calibrate::INFEASIBLE,
            cal.first_infeasible.as_deref().unwrap_or("")
        ));
    }
    text.push_str(&format!(
        "calibrated scenario: {}\nfit table: {}\n",
        out.display(),
        fit.display()
    ));
    print_out(&text)
}

fn parent_of(p: &Path) -> PathBuf {
    match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}
