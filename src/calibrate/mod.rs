//! Calibration: fit free scenario parameters so that the simulated start year reproduces
//! official figures.
//!
//! The objective is the weighted sum of squared relative errors of the simulated means
//! (over replications) against the targets: Σ wᵢ ((simᵢ − officialᵢ) / officialᵢ)². It is
//! minimised by argmin's Nelder–Mead simplex in an unbounded space: each free parameter
//! x ∈ (lo, hi) is searched as z = logit((x − lo) / (hi − lo)), so every evaluated point lies
//! strictly inside its bounds. Every evaluation runs the same seed, hence the same households
//! and shocks (common random numbers): the objective changes only through the parameters, never
//! through sampling noise. It is still a step function at the finest scale (each household's
//! decisions flip at thresholds), with steps of the order of one sample household's weight,
//! and the steps make small local minima. When the simplex collapses, it is restarted from
//! the best point (with a larger, then a smaller simplex), until restarts stop improving the
//! fit or the iterations run out. Larger samples make the steps finer.
//!
//! ```no_run
//! use safetynet::{calibrate, scenario};
//! use std::path::Path;
//! let base = scenario::load(Path::new("scenarios/baseline.toml")).unwrap();
//! let targets = calibrate::load_targets(Path::new("synthetic-data/targets-2023.toml"), true).unwrap();
//! let base = calibrate::fit_horizon(&base, &targets).unwrap();
//! let cal = calibrate::calibrate(&base, &targets, &calibrate::default_free(), calibrate::Options::default()).unwrap();
//! print!("{}", calibrate::fit_table(&cal.fit, &targets.skipped));
//! ```

mod path;
mod report;
mod targets;

pub use path::{PathGoal, WEIGHT_CONFIRMED, WEIGHT_RECALLED};

pub use report::{calibrated_toml, fit_csv, fit_table};
pub use targets::{load_targets, parse_targets, unit_of, Skipped, Target, TargetSet};

use crate::engine::{self, Model, RunOptions};
use crate::error::{Error, Result};
use crate::metrics::Stats;
use crate::output::{self, ScenarioResults};
use crate::scenario::LoadedScenario;
use argmin::core::observers::{Observe, ObserverMode};
use argmin::core::{CostFunction, Executor, IterState, State, TerminationReason, KV};
use argmin::solver::neldermead::NelderMead;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use toml::Value;

/// Objective value of a point where the scenario cannot be built (for example a parameter
/// combination the scenario checks reject): far above any real fit, so the simplex moves away.
pub const INFEASIBLE: f64 = 1e6;
/// Relative error charged for a target whose simulated figure is undefined (an empty
/// denominator in every replication).
pub const UNDEFINED_REL_ERROR: f64 = 10.0;
/// Significant digits of the fitted values written to the calibrated scenario; the fit table
/// is computed at these rounded values, so it describes exactly what the file sets.
pub const FITTED_DIGITS: i32 = 6;

/// A free parameter: a numeric scenario key and the open interval it is searched in.
#[derive(Debug, Clone, PartialEq)]
pub struct FreeParam {
    /// Full key path, e.g. `programs.dibao.take_up.ever_apply`.
    pub key: String,
    pub lo: f64,
    pub hi: f64,
}

impl FreeParam {
    /// A free parameter; `lo < hi`, both finite.
    pub fn new(key: &str, lo: f64, hi: f64) -> Result<FreeParam> {
        if !(lo.is_finite() && hi.is_finite() && lo < hi) {
            return Err(Error::Usage(format!(
                "--free {key}={lo}..{hi}: allowed: finite bounds with LO < HI"
            )));
        }
        if key.starts_with("simulation.") || key == "simulation" {
            return Err(Error::Usage(format!(
                "--free {key}: `simulation.*` keys (sizes, seed) cannot be calibrated; allowed: a numeric model parameter, e.g. programs.dibao.take_up.ever_apply"
            )));
        }
        Ok(FreeParam {
            key: key.into(),
            lo,
            hi,
        })
    }

    /// Parse `KEY=LO..HI`, e.g. `programs.dibao.take_up.ever_apply=0.1..1`.
    pub fn parse(s: &str) -> Result<FreeParam> {
        let usage = || {
            Error::Usage(format!(
                "--free `{s}`: expected KEY=LO..HI, e.g. programs.dibao.take_up.ever_apply=0.1..1"
            ))
        };
        let (k, range) = s.split_once('=').ok_or_else(usage)?;
        let (lo, hi) = range.split_once("..").ok_or_else(usage)?;
        let lo: f64 = lo.trim().parse().map_err(|_| usage())?;
        let hi: f64 = hi.trim().parse().map_err(|_| usage())?;
        let k = k.trim();
        if k.is_empty() {
            return Err(usage());
        }
        FreeParam::new(k, lo, hi)
    }

    /// The search coordinate of `x` (logit of its position in the interval).
    pub fn to_search(&self, x: f64) -> f64 {
        let u = ((x - self.lo) / (self.hi - self.lo)).clamp(1e-12, 1.0 - 1e-12);
        (u / (1.0 - u)).ln()
    }

    /// The parameter value of search coordinate `z`: always strictly inside (lo, hi) up to
    /// floating-point rounding, and never outside [lo, hi].
    pub fn from_search(&self, z: f64) -> f64 {
        let u = 1.0 / (1.0 + (-z).exp());
        (self.lo + (self.hi - self.lo) * u).clamp(self.lo, self.hi)
    }

    /// Last segment of the key, for progress lines.
    pub fn short_name(&self) -> &str {
        self.key.rsplit('.').next().unwrap_or(&self.key)
    }
}

/// The parameters fitted when none are given: take-up (the main source of exclusion) and the
/// income spread and level of households without a worker (which set how many are eligible).
pub fn default_free() -> Vec<FreeParam> {
    [
        ("programs.dibao.take_up.ever_apply", 0.1, 1.0),
        ("programs.dibao.take_up.monthly_apply_prob", 0.02, 1.0),
        ("population.income.log_sd_scale", 0.6, 1.6),
        ("population.income.no_worker_log_shift", -2.0, 0.5),
    ]
    .into_iter()
    .map(|(k, lo, hi)| FreeParam {
        key: k.into(),
        lo,
        hi,
    })
    .collect()
}

/// A progress callback, called after every iteration.
pub type OnIteration = Box<dyn FnMut(&Iteration) + Send>;

/// One iteration of the optimiser, as reported to [`Options::on_iteration`].
#[derive(Debug, Clone, PartialEq)]
pub struct Iteration {
    /// 1, 2, ...
    pub iter: u64,
    /// Best objective so far.
    pub objective: f64,
    /// Best parameters so far, in the order of the free parameters.
    pub params: Vec<f64>,
    /// Simulations run so far.
    pub evaluations: u64,
}

/// How to calibrate.
pub struct Options {
    /// Cap on Nelder–Mead iterations (each costs one or two simulations, a shrink n).
    pub max_iters: u64,
    /// Worker threads per simulation (0 = all cores; changes no result).
    pub threads: usize,
    /// Size of the initial simplex, in logit units of each parameter's interval (0.6 moves a
    /// parameter at the middle of its interval by about 15 % of the interval).
    pub initial_step: f64,
    /// Stop when the objectives at the simplex's vertices have a standard deviation below this.
    pub sd_tolerance: f64,
    /// When the simplex converges, start a fresh one (of 2, ½, 1 times the initial size in turn)
    /// from the best point; give up after this many restarts in a row that do not improve
    /// the fit (or when the iterations run out).
    pub restarts: u32,
    /// Stop as soon as the objective is at or below this (0: an exact fit).
    pub target_objective: f64,
    /// Called after every iteration (progress printing).
    pub on_iteration: Option<OnIteration>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_iters: 200,
            threads: 0,
            initial_step: 0.6,
            sd_tolerance: 1e-10,
            restarts: 3,
            target_objective: 0.0,
            on_iteration: None,
        }
    }
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("max_iters", &self.max_iters)
            .field("threads", &self.threads)
            .field("initial_step", &self.initial_step)
            .field("sd_tolerance", &self.sd_tolerance)
            .field("restarts", &self.restarts)
            .field("target_objective", &self.target_objective)
            .finish_non_exhaustive()
    }
}

/// A target next to its simulated figure.
#[derive(Debug, Clone, PartialEq)]
pub struct FitRow {
    pub target: Target,
    /// Summary of the simulated figure over replications; `None` when undefined.
    pub stats: Option<Stats>,
    /// (simulated mean − official) / official; NaN when undefined.
    pub rel_error: f64,
}

/// The outcome of a calibration.
#[derive(Debug, Clone)]
pub struct Calibration {
    pub free: Vec<FreeParam>,
    /// Starting values (the scenario's own, moved inside the bounds if needed).
    pub start: Vec<f64>,
    pub start_objective: f64,
    /// Fitted values, rounded to [`FITTED_DIGITS`] significant digits.
    pub fitted: Vec<f64>,
    /// Objective at the fitted values.
    pub objective: f64,
    pub iterations: u64,
    /// Simulations run (start, optimiser and the final fit table).
    pub evaluations: u64,
    /// Evaluations at points the scenario checks rejected, and the first such error.
    pub infeasible: u64,
    pub first_infeasible: Option<String>,
    /// Why the optimiser stopped.
    pub stopped: String,
    /// The fit table at the fitted values.
    pub fit: Vec<FitRow>,
    /// The best objective after each iteration.
    pub history: Vec<Iteration>,
    /// The input scenario with the fitted values set (same run sizes as the calibration).
    pub scenario: LoadedScenario,
}

impl Calibration {
    /// The fitted keys as `(key, value)` overrides, integers where the scenario has integers.
    pub fn overrides(&self) -> Vec<(String, Value)> {
        overrides_of(&self.scenario, &self.free, &self.fitted)
    }
}

/// Simulate a scenario (one run, its own seed) and summarise it.
pub fn simulate(loaded: &LoadedScenario, threads: usize) -> Result<ScenarioResults> {
    let model = Model::new(loaded)?;
    let models = vec![model];
    let counters = engine::run(
        &models,
        &RunOptions {
            threads,
            progress: None,
        },
    )?;
    output::collect(&models, &counters)
        .pop()
        .ok_or_else(|| Error::Internal("a run returned no scenario".into()))
}

/// The fit table of already simulated results.
pub fn fit_rows(results: &ScenarioResults, targets: &[Target]) -> Vec<FitRow> {
    targets
        .iter()
        .map(|t| {
            let stats = results.stats(t.year, t.period, &t.region, &t.metric);
            let rel_error = stats
                .map(|s| (s.mean - t.value) / t.value)
                .unwrap_or(f64::NAN);
            FitRow {
                target: t.clone(),
                stats,
                rel_error,
            }
        })
        .collect()
}

/// Weighted sum of squared relative errors; an undefined figure counts as a relative error of
/// [`UNDEFINED_REL_ERROR`].
pub fn objective(rows: &[FitRow]) -> f64 {
    rows.iter()
        .map(|r| {
            let e = if r.rel_error.is_finite() {
                r.rel_error
            } else {
                UNDEFINED_REL_ERROR
            };
            r.target.weight * e * e
        })
        .sum()
}

/// Simulate `loaded` and compare it with the targets (checked against the scenario first).
pub fn evaluate(
    loaded: &LoadedScenario,
    targets: &TargetSet,
    threads: usize,
) -> Result<Vec<FitRow>> {
    let loaded = check_targets(loaded, targets)?;
    Ok(fit_rows(&simulate(&loaded, threads)?, &targets.targets))
}

/// Shorten (or lengthen) the horizon to just cover the targets' years: calibration needs only
/// the years it compares.
pub fn fit_horizon(loaded: &LoadedScenario, targets: &TargetSet) -> Result<LoadedScenario> {
    let start = loaded.scenario.simulation.start_year;
    let Some(last) = targets.targets.iter().max_by_key(|t| t.year) else {
        return Ok(loaded.clone());
    };
    // A run covers at most 50 years (simulation.years); say so against the targets file.
    if last.year - start >= 50 {
        return Err(Error::Parse {
            file: targets.file.clone(),
            message: format!(
                "target `{}`: key `year` = {}: allowed: a year from {start} to {} (the scenario \
                 starts in {start}; a run covers at most 50 years)",
                last.name,
                last.year,
                start + 49
            ),
        });
    }
    let years = (last.year - start + 1).max(1);
    loaded.with_overrides(
        &[("simulation.years".into(), Value::Integer(years as i64))],
        "calibrate (horizon fitted to the targets)",
    )
}

/// Check every target against the scenario: its year within the horizon, its region reported
/// (province targets switch on `metrics.by_province`). Returns the scenario to simulate.
pub fn check_targets(loaded: &LoadedScenario, targets: &TargetSet) -> Result<LoadedScenario> {
    if targets.targets.is_empty() {
        return Err(Error::Parse {
            file: targets.file.clone(),
            message: "no target left to fit (all were set aside): allowed: at least one target whose metrics exist in this build".into(),
        });
    }
    let mut loaded = loaded.clone();
    if targets
        .targets
        .iter()
        .any(|t| t.region.starts_with("province:"))
        && !loaded.scenario.metrics.by_province
    {
        loaded = loaded.with_overrides(
            &[("metrics.by_province".into(), Value::Boolean(true))],
            "calibrate (province targets)",
        )?;
    }
    let sim = &loaded.scenario.simulation;
    let (first, last) = (sim.start_year, sim.start_year + sim.years as i32 - 1);
    let regions: Vec<String> = Model::new(&loaded)?
        .regions
        .iter()
        .map(|r| r.name.clone())
        .collect();
    for (i, t) in targets.targets.iter().enumerate() {
        let err = |message: String| Error::Parse {
            file: targets.file.clone(),
            message: format!("target `{}` ({} of those fitted): {message}", t.name, i + 1),
        };
        if t.year < first || t.year > last {
            return Err(err(format!(
                "key `year` = {}: allowed: a simulated year, {first} to {last} (simulation.start_year and simulation.years of the scenario)",
                t.year
            )));
        }
        if !regions.contains(&t.region) {
            let provinces: Vec<&str> = regions
                .iter()
                .filter(|r| r.starts_with("province:"))
                .map(|r| r.as_str())
                .collect();
            return Err(err(format!(
                "key `region` = \"{}\": allowed: national, urban, rural{}{}",
                t.region,
                if provinces.is_empty() { "" } else { ", " },
                provinces.join(", ")
            )));
        }
    }
    Ok(loaded)
}

/// A whole-number key: one the embedded defaults write as an integer (a `--set key=1800` on a
/// float key is still a float key), or, for keys the defaults lack, one the scenario does.
fn is_integer_key(loaded: &LoadedScenario, key: &str) -> bool {
    let find = |table: &toml::Table| -> Option<Value> {
        let mut parts = key.split('.');
        let mut v = parts.next().and_then(|p| table.get(p));
        for p in parts {
            v = match v {
                Some(Value::Table(t)) => t.get(p),
                _ => None,
            };
        }
        v.cloned()
    };
    let v = find(&crate::scenario::defaults_table()).or_else(|| find(&loaded.table));
    matches!(v, Some(Value::Integer(_)))
}

fn lookup_number(loaded: &LoadedScenario, key: &str) -> Option<f64> {
    let mut parts = key.split('.');
    let mut v = parts.next().and_then(|p| loaded.table.get(p));
    for p in parts {
        v = match v {
            Some(Value::Table(t)) => t.get(p),
            _ => None,
        };
    }
    match v {
        Some(Value::Float(x)) => Some(*x),
        Some(Value::Integer(i)) => Some(*i as f64),
        _ => None,
    }
}

fn overrides_of(loaded: &LoadedScenario, free: &[FreeParam], x: &[f64]) -> Vec<(String, Value)> {
    free.iter()
        .zip(x)
        .map(|(f, &v)| {
            let value = if is_integer_key(loaded, &f.key) {
                Value::Integer(v.round() as i64)
            } else {
                Value::Float(v)
            };
            (f.key.clone(), value)
        })
        .collect()
}

/// Check the free parameters against the scenario: each key exists and is a number, both
/// bounds are values the scenario accepts, no key twice. Returns the starting values.
pub fn check_free(loaded: &LoadedScenario, free: &[FreeParam]) -> Result<Vec<f64>> {
    if free.is_empty() {
        return Err(Error::Usage(
            "no free parameter: allowed: one or more --free KEY=LO..HI".into(),
        ));
    }
    let mut start = Vec::new();
    for (i, f) in free.iter().enumerate() {
        if free[..i].iter().any(|g| g.key == f.key) {
            return Err(Error::Usage(format!(
                "--free {}: the key is given twice; allowed: each key once",
                f.key
            )));
        }
        // Unknown keys get the scenario loader's message (with the nearest valid key).
        for bound in [f.lo, f.hi] {
            let v = if is_integer_key(loaded, &f.key) {
                Value::Integer(bound.round() as i64)
            } else {
                Value::Float(bound)
            };
            loaded.with_overrides(&[(f.key.clone(), v)], "--free (bounds)")?;
        }
        let Some(x) = lookup_number(loaded, &f.key) else {
            return Err(Error::Usage(format!(
                "--free {}: this key is not a single number in the scenario; allowed: a numeric key (see scenarios/README.md)",
                f.key
            )));
        };
        // Start where the scenario is, but not in the flat tails of the logit map.
        let span = f.hi - f.lo;
        start.push(x.clamp(f.lo + 0.05 * span, f.hi - 0.05 * span));
    }
    Ok(start)
}

/// Round to `digits` significant digits.
pub fn round_significant(x: f64, digits: i32) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let e = digits - 1 - x.abs().log10().floor() as i32;
    let s = 10f64.powi(e);
    let r = (x * s).round() / s;
    // Printing with `{}` then gives the short decimal form.
    format!("{r:.prec$}", prec = e.max(0) as usize)
        .parse()
        .unwrap_or(r)
}

/// Shared between the cost function and the progress observer.
struct Shared {
    evaluations: AtomicU64,
    infeasible: AtomicU64,
    first_infeasible: Mutex<Option<String>>,
    fatal: Mutex<Option<Error>>,
}

/// The fit rows of simulated results: the targets' or a path goal's.
type Score<'a> = dyn Fn(&ScenarioResults) -> Vec<FitRow> + Sync + 'a;

struct Problem<'a> {
    base: &'a LoadedScenario,
    free: &'a [FreeParam],
    score: &'a Score<'a>,
    threads: usize,
    shared: Arc<Shared>,
}

impl Problem<'_> {
    fn to_x(&self, z: &[f64]) -> Vec<f64> {
        self.free
            .iter()
            .zip(z)
            .map(|(f, &z)| f.from_search(z))
            .collect()
    }

    /// The fit table at parameter values `x` (an evaluation).
    fn rows_at(&self, x: &[f64]) -> Result<Vec<FitRow>> {
        self.shared.evaluations.fetch_add(1, Ordering::Relaxed);
        let loaded = self
            .base
            .with_overrides(&overrides_of(self.base, self.free, x), "calibrate")?;
        Ok((self.score)(&simulate(&loaded, self.threads)?))
    }
}

impl CostFunction for Problem<'_> {
    type Param = Vec<f64>;
    type Output = f64;

    fn cost(&self, z: &Vec<f64>) -> std::result::Result<f64, argmin::core::Error> {
        if self
            .shared
            .fatal
            .lock()
            .map(|f| f.is_some())
            .unwrap_or(true)
        {
            return Ok(INFEASIBLE);
        }
        match self.rows_at(&self.to_x(z)) {
            Ok(rows) => Ok(objective(&rows)),
            Err(Error::Internal(m)) => {
                if let Ok(mut f) = self.shared.fatal.lock() {
                    f.get_or_insert(Error::Internal(m));
                }
                Ok(INFEASIBLE)
            }
            Err(e) => {
                self.shared.infeasible.fetch_add(1, Ordering::Relaxed);
                if let Ok(mut first) = self.shared.first_infeasible.lock() {
                    first.get_or_insert(e.to_string());
                }
                Ok(INFEASIBLE)
            }
        }
    }
}

type NmState = IterState<Vec<f64>, (), (), (), (), f64>;

struct Progress {
    free: Vec<FreeParam>,
    shared: Arc<Shared>,
    history: Arc<Mutex<Vec<Iteration>>>,
    callback: Arc<Mutex<Option<OnIteration>>>,
    /// Iterations of earlier runs (restarts).
    offset: u64,
}

impl Observe<NmState> for Progress {
    fn observe_iter(
        &mut self,
        state: &NmState,
        _kv: &KV,
    ) -> std::result::Result<(), argmin::core::Error> {
        let z = state.get_best_param().cloned().unwrap_or_default();
        let it = Iteration {
            iter: self.offset + state.get_iter() + 1,
            objective: state.get_best_cost(),
            params: self
                .free
                .iter()
                .zip(&z)
                .map(|(f, &z)| f.from_search(z))
                .collect(),
            evaluations: self.shared.evaluations.load(Ordering::Relaxed),
        };
        if let Ok(mut cb) = self.callback.lock() {
            if let Some(cb) = cb.as_mut() {
                cb(&it);
            }
        }
        if let Ok(mut h) = self.history.lock() {
            h.push(it);
        }
        Ok(())
    }
}

/// The initial simplex: `z` and one step along each axis, towards the middle of the interval
/// (where the logit map is steepest).
fn simplex_around(z: &[f64], step: f64) -> Vec<Vec<f64>> {
    let mut simplex = vec![z.to_vec()];
    for i in 0..z.len() {
        let mut v = z.to_vec();
        v[i] += if z[i] > 0.0 { -step } else { step };
        simplex.push(v);
    }
    simplex
}

/// Fit `free` so that `base` reproduces `targets`. Every evaluation simulates `base` (its
/// sizes, horizon and seed) with the free keys set; the start is the scenario's own values.
pub fn calibrate(
    base: &LoadedScenario,
    targets: &TargetSet,
    free: &[FreeParam],
    opts: Options,
) -> Result<Calibration> {
    let base = check_targets(base, targets)?;
    fit(&base, &|r| fit_rows(r, &targets.targets), free, opts)
}

/// Fit `free` so that `base` (a backtest scenario: started in a past year, driven by the
/// observed series, as `safetynet backtest --write-scenario` writes it) reproduces the path of
/// the history rows in `goal` (levels and changes, see [`PathGoal`]). `base` must end in the
/// goal's `fit_until` ([`PathGoal::new`] returns it so).
pub fn calibrate_path(
    base: &LoadedScenario,
    goal: &PathGoal,
    free: &[FreeParam],
    opts: Options,
) -> Result<Calibration> {
    let s = &base.scenario.simulation;
    if s.start_year != goal.from || s.years != goal.years() {
        return Err(Error::Internal(format!(
            "calibrate_path: the scenario runs {} years from {}, the goal {} from {}",
            s.years,
            s.start_year,
            goal.years(),
            goal.from
        )));
    }
    // The goal matches temporary-assistance flows with the season of the scenario it was made
    // from, once: a season that moved during the fit would be matched with stale weights.
    if let Some(f) = free
        .iter()
        .find(|f| f.key == "programs.temporary.q4_multiple")
    {
        return Err(Error::Usage(format!(
            "--free {}: not allowed with --history (the backtest matches temporary-assistance \
             flows with the season of the scenario fitted, read once); set it with --set",
            f.key
        )));
    }
    if crate::backtest::Season::of(base) != goal.season {
        return Err(Error::Internal(
            "calibrate_path: the goal's season is not the scenario's".into(),
        ));
    }
    fit(base, &|r| goal.rows(r), free, opts)
}

fn fit(
    base: &LoadedScenario,
    score: &Score<'_>,
    free: &[FreeParam],
    mut opts: Options,
) -> Result<Calibration> {
    let base = base.clone();
    let start = check_free(&base, free)?;
    let shared = Arc::new(Shared {
        evaluations: AtomicU64::new(0),
        infeasible: AtomicU64::new(0),
        first_infeasible: Mutex::new(None),
        fatal: Mutex::new(None),
    });
    let problem = Problem {
        base: &base,
        free,
        score,
        threads: opts.threads,
        shared: shared.clone(),
    };
    // The start must be feasible: its errors are the user's to fix, reported as they are.
    let start_objective = objective(&problem.rows_at(&start)?);

    let z0: Vec<f64> = free
        .iter()
        .zip(&start)
        .map(|(f, &x)| f.to_search(x))
        .collect();
    let history = Arc::new(Mutex::new(Vec::new()));
    let callback = Arc::new(Mutex::new(opts.on_iteration.take()));
    let mut best_z = z0;
    let mut best = start_objective;
    let mut iterations = 0u64;
    let mut runs = 0usize;
    let mut stale = 0u32;
    let mut stopped;
    let mut problem = problem;
    loop {
        // Restarts alternate larger and smaller simplices: a larger one can step over a
        // local minimum made by the steps, a smaller one refines near the best point.
        let step = opts.initial_step * [1.0, 2.0, 0.5][runs % 3];
        let solver = NelderMead::new(simplex_around(&best_z, step))
            .with_sd_tolerance(opts.sd_tolerance)
            .map_err(|e| Error::Usage(format!("calibrate: {e}")))?;
        let observer = Progress {
            free: free.to_vec(),
            shared: shared.clone(),
            history: history.clone(),
            callback: callback.clone(),
            offset: iterations,
        };
        let max_iters = opts.max_iters.saturating_sub(iterations);
        let target = opts.target_objective;
        let mut result = Executor::new(problem, solver)
            .configure(|s| s.max_iters(max_iters).target_cost(target))
            .add_observer(observer, ObserverMode::Always)
            .run()
            .map_err(|e| Error::Internal(format!("Nelder–Mead: {e}")))?;
        if let Some(e) = shared.fatal.lock().ok().and_then(|mut f| f.take()) {
            return Err(e);
        }
        let state = result.state();
        iterations += state.get_iter();
        let converged = matches!(
            state.get_termination_reason(),
            Some(TerminationReason::SolverConverged)
        );
        stopped = state
            .get_termination_reason()
            .map(|r| r.text().to_string())
            .unwrap_or_else(|| "not stopped".into());
        let improved = state.get_best_cost() < best;
        if improved {
            best = state.get_best_cost();
            best_z = state
                .get_best_param()
                .cloned()
                .ok_or_else(|| Error::Internal("Nelder–Mead returned no parameters".into()))?;
        }
        problem = result
            .problem
            .problem
            .take()
            .ok_or_else(|| Error::Internal("Nelder–Mead kept the problem".into()))?;
        // A step function can hold the simplex on a flat patch away from the optimum: start
        // afresh from the best point while that still helps and the budget allows.
        stale = if improved { 0 } else { stale + 1 };
        runs += 1;
        if !converged || stale > opts.restarts || iterations >= opts.max_iters {
            break;
        }
    }
    if runs > 1 {
        stopped = format!("{stopped} ({} restart(s) of the simplex)", runs - 1);
    }

    // Round for the file, stay inside the bounds, and tabulate exactly what is written. The
    // start is kept if rounding made the fit worse than it.
    let mut fitted: Vec<f64> = free
        .iter()
        .zip(&best_z)
        .map(|(f, &z)| round_significant(f.from_search(z), FITTED_DIGITS).clamp(f.lo, f.hi))
        .collect();
    let mut fit = problem.rows_at(&fitted)?;
    let mut obj = objective(&fit);
    if obj > start_objective {
        fitted = start.clone();
        fit = problem.rows_at(&fitted)?;
        obj = objective(&fit);
    }
    let scenario = base.with_overrides(&overrides_of(&base, free, &fitted), "calibrate")?;
    let history = history.lock().map(|h| h.clone()).unwrap_or_default();
    let first_infeasible = shared.first_infeasible.lock().ok().and_then(|f| f.clone());
    Ok(Calibration {
        free: free.to_vec(),
        start,
        start_objective,
        fitted,
        objective: obj,
        iterations,
        evaluations: shared.evaluations.load(Ordering::Relaxed),
        infeasible: shared.infeasible.load(Ordering::Relaxed),
        first_infeasible,
        stopped,
        fit,
        history,
        scenario,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logit_map_round_trips_and_respects_bounds() {
        let f = FreeParam::new("a.b", 0.1, 1.0).unwrap();
        for x in [0.11, 0.3, 0.55, 0.99] {
            assert!((f.from_search(f.to_search(x)) - x).abs() < 1e-12);
        }
        for z in [-1e3, -40.0, 0.0, 40.0, 1e3] {
            let x = f.from_search(z);
            assert!((0.1..=1.0).contains(&x), "{z} -> {x}");
        }
    }

    #[test]
    fn free_parsing() {
        let f = FreeParam::parse("programs.dibao.take_up.ever_apply=0.1..0.9").unwrap();
        assert_eq!((f.lo, f.hi), (0.1, 0.9));
        assert_eq!(f.short_name(), "ever_apply");
        for bad in [
            "x",
            "x=1",
            "x=2..1",
            "=0..1",
            "x=a..b",
            "simulation.seed=0..9",
        ] {
            assert!(FreeParam::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rounding_to_significant_digits() {
        assert_eq!(round_significant(0.123456789, 6), 0.123457);
        assert_eq!(round_significant(-0.5000004, 6), -0.5);
        assert_eq!(round_significant(1234.56789, 6), 1234.57);
        assert_eq!(round_significant(0.0, 6), 0.0);
    }

    #[test]
    fn free_keys_are_checked_against_the_scenario() {
        let base = crate::scenario::load_str("", "b").unwrap();
        let ok = check_free(&base, &default_free()).unwrap();
        assert_eq!(ok.len(), 4);
        let typo = FreeParam::new("programs.dibao.take_up.ever_aply", 0.1, 0.9).unwrap();
        let e = check_free(&base, &[typo]).unwrap_err().to_string();
        assert!(e.contains("did you mean `ever_apply`"), "{e}");
        let out = FreeParam::new("programs.dibao.take_up.ever_apply", 0.1, 1.5).unwrap();
        let e = check_free(&base, &[out]).unwrap_err().to_string();
        assert!(e.contains("1.5") && e.contains("from 0 to 1"), "{e}");
        let text = FreeParam::new("metrics.poverty_line", 0.0, 1.0).unwrap();
        assert!(check_free(&base, &[text]).is_err());
    }

    #[test]
    fn a_float_key_set_to_a_whole_number_is_still_fitted_as_a_float() {
        // `--set programs.tekun.institutional_cost=1800` parses as an integer; the key is a
        // float in the defaults, so the fit must not round it.
        let base = crate::scenario::load_str("", "b").unwrap();
        let set =
            crate::scenario::parse_override("programs.tekun.institutional_cost=1800").unwrap();
        let loaded = base.with_overrides(&[set], "test").unwrap();
        assert!(!is_integer_key(
            &loaded,
            "programs.tekun.institutional_cost"
        ));
        let free = [FreeParam::new("programs.tekun.institutional_cost", 600.0, 3000.0).unwrap()];
        let o = overrides_of(&loaded, &free, &[1051.83]);
        assert_eq!(o[0].1, Value::Float(1051.83));
        assert!(is_integer_key(
            &loaded,
            "programs.dibao.assessment.processing_months"
        ));
    }
}
