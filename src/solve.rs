//! Planning (DESIGN section 4): the value of one scenario key that makes a figure meet a
//! limit with a stated probability, e.g. "the largest yearly growth of rural standards that
//! keeps government cost over 2024–2028 under 2,000 bn yuan in 95 % of replications".
//!
//! Every evaluation of the key runs the scenario with the same seed, so all evaluations see
//! the same households, shocks and parameter draws in each replication (common random
//! numbers): the figure of each replication is then a fixed, usually monotone function of the
//! key, and so is any statistic over replications (their mean, or a quantile). The search is a
//! safeguarded false position (Illinois) on that statistic minus the limit. Parameters given
//! as distributions are drawn per replication, so they widen the spread of the figure and move
//! a quantile answer honestly.
//!
//! The answer's interval is a bootstrap over replications: the replications are resampled
//! with replacement, the statistic is recomputed at every evaluated value of the key, and its
//! crossing of the limit is interpolated linearly between evaluated values; the 5th and 95th
//! percentiles of those roots are the interval. It measures the Monte Carlo error of the
//! answer from the finite number of replications (not the risk itself, which the probability
//! already states).

use crate::engine::{self, Model, RunOptions};
use crate::error::{Error, Result};
use crate::metrics::{quantile, Period, Stats};
use crate::output::{self, ScenarioResults};
use crate::scenario::LoadedScenario;
use rand::{Rng, SeedableRng};
use toml::Value;

/// How the per-year values of a figure are combined over its years.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Agg {
    Sum,
    Mean,
    Max,
    Min,
}

/// A figure over a span of years, e.g. `cost_government:2024-2028:sum` (national, full year)
/// or `recipients_persons@rural:2025:mean`.
#[derive(Debug, Clone, PartialEq)]
pub struct FigureSpec {
    /// Metric name (see `summary.csv`).
    pub metric: &'static str,
    /// Unit of the metric.
    pub unit: &'static str,
    /// Reporting region: `national` unless given after `@`.
    pub region: String,
    /// First and last calendar year, inclusive.
    pub years: (i32, i32),
    pub agg: Agg,
}

/// Direction of a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    /// The figure must stay at or below the limit.
    AtMost,
    /// The figure must reach at least the limit.
    AtLeast,
}

/// `FIGURE <= VALUE` or `FIGURE >= VALUE`, the value in the metric's unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Limit {
    pub figure: FigureSpec,
    pub cmp: Cmp,
    pub value: f64,
}

const AGGS: &str = "sum, mean, max or min";

impl FigureSpec {
    /// Parse `METRIC[@REGION]:YEAR[-YEAR]:AGG`; `what` names the option in errors.
    pub fn parse(text: &str, what: &str) -> Result<FigureSpec> {
        let bad = |why: String| Error::Usage(format!("{what} `{text}`: {why}"));
        let parts: Vec<&str> = text.trim().split(':').map(str::trim).collect();
        if parts.len() != 3 {
            return Err(bad(
                "expected METRIC[@REGION]:YEARS:AGG, e.g. cost_government:2024-2028:sum".into(),
            ));
        }
        let (name, region) = match parts[0].split_once('@') {
            Some((m, r)) => (m.trim(), r.trim().to_string()),
            None => (parts[0], "national".to_string()),
        };
        let def = crate::metrics::find(name).map_err(bad)?;
        let year = |s: &str| {
            s.trim()
                .parse::<i32>()
                .map_err(|_| bad(format!("year `{s}` is not a whole year such as 2025")))
        };
        let years = match parts[1].split_once('-') {
            Some((a, b)) => (year(a)?, year(b)?),
            None => (year(parts[1])?, year(parts[1])?),
        };
        if years.1 < years.0 {
            return Err(bad(format!(
                "years {}-{} run backwards: give FIRST-LAST",
                years.0, years.1
            )));
        }
        let agg = match parts[2].to_ascii_lowercase().as_str() {
            "sum" => Agg::Sum,
            "mean" => Agg::Mean,
            "max" => Agg::Max,
            "min" => Agg::Min,
            other => return Err(bad(format!("aggregate `{other}`: allowed: {AGGS}"))),
        };
        Ok(FigureSpec {
            metric: def.name,
            unit: def.unit,
            region,
            years,
            agg,
        })
    }

    /// Check the years and region against a scenario's horizon and reporting regions.
    pub fn check(&self, regions: &[String], first: i32, last: i32, what: &str) -> Result<()> {
        if self.years.0 < first || self.years.1 > last {
            return Err(Error::Usage(format!(
                "{what} `{}`: years {}-{} are outside the simulated years {first}-{last}",
                self.text(),
                self.years.0,
                self.years.1
            )));
        }
        if !regions.iter().any(|r| r == &self.region) {
            return Err(Error::Usage(format!(
                "{what} `{}`: region `{}` is not reported; allowed: {} (provinces need --by-province)",
                self.text(),
                self.region,
                regions.join(", ")
            )));
        }
        Ok(())
    }

    /// Per-replication values of every year of the span: `[year][replication]`.
    pub fn per_year(&self, results: &ScenarioResults) -> Vec<Vec<f64>> {
        (self.years.0..=self.years.1)
            .map(|y| results.values(y, Period::FullYear, &self.region, self.metric))
            .collect()
    }

    /// Per-replication values of the figure (years combined by the aggregate).
    pub fn per_rep(&self, results: &ScenarioResults) -> Vec<f64> {
        combine(&self.per_year(results), self.agg)
    }

    /// The figure as written on the command line (canonical form).
    pub fn text(&self) -> String {
        let region = if self.region == "national" {
            String::new()
        } else {
            format!("@{}", self.region)
        };
        let years = if self.years.0 == self.years.1 {
            self.years.0.to_string()
        } else {
            format!("{}-{}", self.years.0, self.years.1)
        };
        let agg = match self.agg {
            Agg::Sum => "sum",
            Agg::Mean => "mean",
            Agg::Max => "max",
            Agg::Min => "min",
        };
        format!("{}{region}:{years}:{agg}", self.metric)
    }
}

fn combine(per_year: &[Vec<f64>], agg: Agg) -> Vec<f64> {
    let reps = per_year.first().map_or(0, Vec::len);
    (0..reps)
        .map(|r| {
            let vals = per_year.iter().map(|y| y[r]);
            match agg {
                Agg::Sum => vals.sum(),
                Agg::Mean => vals.sum::<f64>() / per_year.len() as f64,
                Agg::Max => vals.fold(f64::NEG_INFINITY, f64::max),
                Agg::Min => vals.fold(f64::INFINITY, f64::min),
            }
        })
        .collect()
}

impl Limit {
    /// Parse `METRIC[@REGION]:YEARS:AGG <= VALUE` (or `>=`).
    pub fn parse(text: &str) -> Result<Limit> {
        let (fig, cmp, val) = if let Some((a, b)) = text.split_once("<=") {
            (a, Cmp::AtMost, b)
        } else if let Some((a, b)) = text.split_once(">=") {
            (a, Cmp::AtLeast, b)
        } else {
            return Err(Error::Usage(format!(
                "--limit `{text}`: expected FIGURE <= VALUE or FIGURE >= VALUE, e.g. \
                 'cost_government:2024-2028:sum <= 2000'"
            )));
        };
        let value: f64 = val.trim().parse().ok().filter(|v: &f64| v.is_finite()).ok_or_else(|| {
            Error::Usage(format!(
                "--limit `{text}`: value `{}` is not a number (give it in the metric's unit, e.g. bn yuan)",
                val.trim()
            ))
        })?;
        Ok(Limit {
            figure: FigureSpec::parse(fig, "--limit")?,
            cmp,
            value,
        })
    }

    fn op(&self) -> &'static str {
        match self.cmp {
            Cmp::AtMost => "<=",
            Cmp::AtLeast => ">=",
        }
    }
}

/// The statistic over replications that must meet the limit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Target {
    /// The expected figure (mean over replications) meets the limit.
    Mean,
    /// The figure meets the limit with this probability: for `<=` its `p` quantile over
    /// replications is at most the limit; for `>=` its `1 − p` quantile is at least it.
    Probability(f64),
}

/// What to solve.
#[derive(Debug, Clone)]
pub struct SolveSpec {
    /// Dotted scenario key, numeric (a year schedule is set to the value in each of its years).
    pub key: String,
    /// Search range of the key.
    pub range: (f64, f64),
    pub limit: Limit,
    pub target: Target,
    /// The converse problem: report this figure (a cost) at the answer and pick the cheaper of
    /// the boundary and the feasible end of the range.
    pub minimise: Option<FigureSpec>,
    /// `--prices YEAR`: money figures (and the limit's value) in that year's prices; `None`:
    /// nominal yuan.
    pub prices: Option<i32>,
}

/// Parse `LO..HI`.
pub fn parse_range(text: &str) -> Result<(f64, f64)> {
    let bad = || {
        Error::Usage(format!(
            "--range `{text}`: expected LO..HI with LO < HI, e.g. 0..0.15"
        ))
    };
    let (a, b) = text.split_once("..").ok_or_else(bad)?;
    let lo: f64 = a.trim().parse().map_err(|_| bad())?;
    let hi: f64 = b.trim().parse().map_err(|_| bad())?;
    if !(lo.is_finite() && hi.is_finite() && lo < hi) {
        return Err(bad());
    }
    Ok((lo, hi))
}

/// One evaluated value of the key.
#[derive(Debug, Clone)]
pub struct Point {
    pub x: f64,
    /// The limited figure per replication.
    pub values: Vec<f64>,
    /// The statistic of [`Target`] over `values`.
    pub statistic: f64,
    /// The minimised figure per replication, when asked for.
    pub minimised: Option<Vec<f64>>,
}

/// The answer.
#[derive(Debug, Clone)]
pub struct Solution {
    pub spec: SolveSpec,
    /// The value of the key.
    pub value: f64,
    /// 90 % bootstrap interval of `value` over replications.
    pub interval: (f64, f64),
    /// Bootstrap resamples whose root fell outside the range (their root is set to the end).
    pub censored: usize,
    /// The limit holds for values of the key below the answer (`true`) or above it.
    pub feasible_below: bool,
    /// The year whose figure is nearest to breaking the limit at the answer, and its figure.
    pub binding_year: (i32, Stats),
    /// The limited figure at the answer, over replications.
    pub at_answer: Stats,
    /// The statistic at the answer (should be the limit, up to the search tolerance).
    pub statistic_at_answer: f64,
    /// The minimised figure at the answer.
    pub minimised: Option<Stats>,
    /// With `minimise`: the answer is the feasible end of the range, not the boundary.
    pub at_range_end: bool,
    /// Every evaluation, in the order made (the answer's run last).
    pub points: Vec<Point>,
    /// Replications whose figure was not monotone over the evaluated values.
    pub non_monotone_reps: usize,
    /// Results of the run at the answer.
    pub results: ScenarioResults,
    /// The scenario at the answer.
    pub model: Model,
}

fn statistic(values: &[f64], target: Target, cmp: Cmp) -> f64 {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    match target {
        Target::Mean => v.iter().sum::<f64>() / v.len() as f64,
        Target::Probability(p) => {
            v.sort_by(f64::total_cmp);
            quantile(&v, if cmp == Cmp::AtMost { p } else { 1.0 - p })
        }
    }
}

/// The numeric value of `key` in a loaded scenario, and whether it is a whole number or a
/// year schedule (whose years are all set to the solved value).
#[derive(Debug, Clone)]
enum KeyKind {
    Float,
    Integer,
    Schedule(Vec<String>),
}

fn key_kind(base: &LoadedScenario, key: &str) -> Result<KeyKind> {
    if key == "name" || key.starts_with("simulation.") || key.starts_with("population.microdata") {
        return Err(Error::Usage(format!(
            "--key `{key}`: simulation settings, the name and microdata paths cannot be solved \
             for (they change the households and draws, not the policy)"
        )));
    }
    let mut v: Option<&Value> = None;
    let mut t = &base.table;
    let parts: Vec<&str> = key.split('.').collect();
    for (i, p) in parts.iter().enumerate() {
        let Some(x) = t.get(*p) else {
            return Err(Error::Usage(format!(
                "--key `{key}`: no such scenario key (see scenarios/README.md for the key list)"
            )));
        };
        if i + 1 == parts.len() {
            v = Some(x);
        } else if let Value::Table(sub) = x {
            t = sub;
        } else {
            return Err(Error::Usage(format!(
                "--key `{key}`: `{}` is a value, not a table",
                parts[..=i].join(".")
            )));
        }
    }
    let v = v.expect("the loop sets the last part");
    match v {
        Value::Float(_) => Ok(KeyKind::Float),
        Value::Integer(_) => Ok(KeyKind::Integer),
        Value::Table(t) if t.contains_key("dist") => Err(Error::Usage(format!(
            "--key `{key}` is a distribution ({v}); solve needs a plain number: set it with \
             --set to a number first, or solve another key"
        ))),
        Value::Table(t) if !t.is_empty() && t.values().all(|x| x.is_float() || x.is_integer()) => {
            Ok(KeyKind::Schedule(t.keys().cloned().collect()))
        }
        other => Err(Error::Usage(format!(
            "--key `{key}` = {other} is not numeric; solve needs a number or a year schedule \
             of numbers"
        ))),
    }
}

fn key_value(kind: &KeyKind, x: f64) -> Value {
    match kind {
        KeyKind::Float => Value::Float(x),
        KeyKind::Integer => Value::Integer(x.round() as i64),
        KeyKind::Schedule(years) => {
            Value::Table(years.iter().map(|y| (y.clone(), Value::Float(x))).collect())
        }
    }
}

/// Search state shared by the evaluations.
struct Search<'a> {
    base: &'a LoadedScenario,
    spec: &'a SolveSpec,
    kind: KeyKind,
    opts: &'a RunOptions,
    points: Vec<Point>,
}

impl Search<'_> {
    /// Run the scenario at every value of `xs` together (common random numbers).
    fn run(&self, xs: &[f64]) -> Result<Vec<(Model, ScenarioResults)>> {
        let mut models = Vec::with_capacity(xs.len());
        for &x in xs {
            let sets = [(self.spec.key.clone(), key_value(&self.kind, x))];
            let loaded = self
                .base
                .with_overrides(&sets, &format!("solve ({} = {x})", self.spec.key))?;
            models.push(Model::new(&loaded)?);
        }
        let counters = engine::run(&models, self.opts)?;
        let mut results = output::collect(&models, &counters);
        if let Some(y) = self.spec.prices {
            output::restate_prices(&mut results, &models, y)?;
        }
        Ok(models.into_iter().zip(results).collect())
    }

    fn point(&self, x: f64, r: &ScenarioResults) -> Point {
        let values = self.spec.limit.figure.per_rep(r);
        Point {
            x,
            statistic: statistic(&values, self.spec.target, self.spec.limit.cmp),
            values,
            minimised: self.spec.minimise.as_ref().map(|f| f.per_rep(r)),
        }
    }

    /// Evaluated points sorted by the key.
    fn sorted(&self) -> Vec<&Point> {
        let mut v: Vec<&Point> = self.points.iter().collect();
        v.sort_by(|a, b| a.x.total_cmp(&b.x));
        v.dedup_by(|a, b| a.x == b.x);
        v
    }

    /// Fail when the statistic is not monotone over the values evaluated so far.
    fn check_monotone(&self, increasing: bool) -> Result<()> {
        let s = self.sorted();
        for w in s.windows(2) {
            let (a, b) = (w[0], w[1]);
            let wrong = if increasing {
                b.statistic < a.statistic
            } else {
                b.statistic > a.statistic
            };
            if wrong {
                return Err(Error::Usage(format!(
                    "`{}` is not monotone in `{}` over the range: {} at {} but {} at {} \
                     (it {} between the range ends); narrow --range to a part where it only {}",
                    self.spec.limit.figure.text(),
                    self.spec.key,
                    a.statistic,
                    a.x,
                    b.statistic,
                    b.x,
                    if increasing { "rises" } else { "falls" },
                    if increasing { "rises" } else { "falls" },
                )));
            }
        }
        Ok(())
    }
}

/// Root of `stat(x) − limit` by linear interpolation between sorted evaluated values; `None`
/// when it does not cross the limit over them.
fn interpolate_root(xs: &[f64], gs: &[f64]) -> Option<f64> {
    for i in 0..xs.len().saturating_sub(1) {
        let (g0, g1) = (gs[i], gs[i + 1]);
        if g0 == 0.0 {
            return Some(xs[i]);
        }
        if g0.signum() != g1.signum() || g1 == 0.0 {
            return Some(xs[i] + (xs[i + 1] - xs[i]) * g0 / (g0 - g1));
        }
    }
    None
}

/// Bootstrap resamples of the replications for the answer's interval.
pub const BOOTSTRAP: usize = 1000;

/// Find the value of `spec.key` in `spec.range` at which the statistic of the limited figure
/// equals the limit. Errors (exit code 2) when the key is not numeric, the range does not
/// bracket the limit, or the statistic is not monotone over the values evaluated.
pub fn solve(base: &LoadedScenario, spec: &SolveSpec, opts: &RunOptions) -> Result<Solution> {
    if let Target::Probability(p) = spec.target {
        if !(p > 0.0 && p < 1.0) {
            return Err(Error::Usage(format!(
                "--prob {p}: allowed: a probability strictly between 0 and 1"
            )));
        }
    }
    let kind = key_kind(base, &spec.key)?;
    let integer = matches!(kind, KeyKind::Integer);
    let (lo, hi) = spec.range;
    let mut s = Search {
        base,
        spec,
        kind,
        opts,
        points: Vec::new(),
    };
    // The figures' years and regions are checked before the first simulation.
    {
        let sim = &base.scenario.simulation;
        let last = sim.start_year + sim.years as i32 - 1;
        let model = Model::new(base)?;
        let regions: Vec<String> = model.regions.iter().map(|r| r.name.clone()).collect();
        let payer = crate::metrics::payers::check_payer_region;
        spec.limit
            .figure
            .check(&regions, sim.start_year, last, "--limit")?;
        let f = &spec.limit.figure;
        payer(&model, f.metric, &f.region, "--limit")?;
        if let Some(f) = &spec.minimise {
            f.check(&regions, sim.start_year, last, "--minimise")?;
            payer(&model, f.metric, &f.region, "--minimise")?;
        }
        if let Some(y) = spec.prices {
            output::check_prices_year(y, sim.start_year, sim.years)?;
        }
    }
    // Both ends in one run.
    let ends = s.run(&[lo, hi])?;
    for (x, (_, r)) in [lo, hi].into_iter().zip(&ends) {
        let p = s.point(x, r);
        if p.statistic.is_nan() {
            return Err(Error::Usage(format!(
                "`{}` is undefined at {} = {x} (an empty denominator in every replication)",
                spec.limit.figure.text(),
                spec.key
            )));
        }
        s.points.push(p);
    }
    drop(ends);
    let limit = spec.limit.value;
    let (g_lo, g_hi) = (s.points[0].statistic - limit, s.points[1].statistic - limit);
    let what = match spec.target {
        Target::Mean => "mean over replications".to_string(),
        Target::Probability(p) => format!(
            "{} quantile over replications",
            if spec.limit.cmp == Cmp::AtMost {
                p
            } else {
                1.0 - p
            }
        ),
    };
    if g_lo.signum() == g_hi.signum() && g_lo != 0.0 && g_hi != 0.0 {
        return Err(Error::Usage(format!(
            "--range {lo}..{hi} does not bracket the limit: `{}` ({what}) is {} at {} = {lo} and \
             {} at {hi}, both {} the limit {limit}; widen or move the range",
            spec.limit.figure.text(),
            s.points[0].statistic,
            spec.key,
            s.points[1].statistic,
            if g_lo > 0.0 { "above" } else { "below" },
        )));
    }
    let increasing = s.points[1].statistic > s.points[0].statistic;
    // Illinois false position on g(x) = statistic(x) − limit.
    let (mut a, mut ga, mut b, mut gb) = (lo, g_lo, hi, g_hi);
    let mut side = 0i8;
    let xtol = 1e-5 * (hi - lo);
    let ftol = 1e-5 * limit.abs().max(1e-12);
    for _ in 0..40 {
        if integer && b - a <= 1.0 {
            break;
        }
        if (b - a).abs() <= xtol || ga.abs() <= ftol || gb.abs() <= ftol {
            break;
        }
        let mut x = if ga != gb {
            b - gb * (b - a) / (gb - ga)
        } else {
            0.5 * (a + b)
        };
        // Keep away from the bracket's ends so it shrinks even when the secant stalls.
        let margin = 0.01 * (b - a);
        x = x.clamp(a + margin, b - margin);
        if integer {
            x = x.round().clamp(a + 1.0, b - 1.0);
        }
        let r = s.run(&[x])?;
        let p = s.point(x, &r[0].1);
        let gx = p.statistic - limit;
        s.points.push(p);
        s.check_monotone(increasing)?;
        if gx.signum() == gb.signum() {
            b = x;
            gb = gx;
            if side == 1 {
                ga *= 0.5;
            }
            side = 1;
        } else {
            a = x;
            ga = gx;
            if side == -1 {
                gb *= 0.5;
            }
            side = -1;
        }
    }
    s.check_monotone(increasing)?;
    // The limit holds where g ≤ 0 for `<=` and g ≥ 0 for `>=`.
    let holds = |g: f64| match spec.limit.cmp {
        Cmp::AtMost => g <= 0.0,
        Cmp::AtLeast => g >= 0.0,
    };
    let feasible_below = holds(g_lo);
    // The boundary: interpolated over every value evaluated (whole numbers: the feasible end
    // of the final bracket).
    let sorted = s.sorted();
    let xs: Vec<f64> = sorted.iter().map(|p| p.x).collect();
    let gs: Vec<f64> = sorted.iter().map(|p| p.statistic - limit).collect();
    let mut value = if integer {
        let feasible: Vec<f64> = sorted
            .iter()
            .filter(|p| holds(p.statistic - limit))
            .map(|p| p.x)
            .collect();
        if feasible_below {
            feasible.iter().copied().fold(f64::NEG_INFINITY, f64::max)
        } else {
            feasible.iter().copied().fold(f64::INFINITY, f64::min)
        }
    } else {
        interpolate_root(&xs, &gs).unwrap_or(if feasible_below { hi } else { lo })
    };

    // Bootstrap over replications.
    let reps = sorted[0].values.len();
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(crate::rng::mix64(
        base.scenario.simulation.seed ^ 0x5017_E5EE_D000_0001,
    ));
    let mut roots = Vec::with_capacity(BOOTSTRAP);
    let mut censored = 0;
    let mut idx = vec![0usize; reps];
    for _ in 0..BOOTSTRAP {
        for i in idx.iter_mut() {
            *i = rng.random_range(0..reps);
        }
        let gs_b: Vec<f64> = sorted
            .iter()
            .map(|p| {
                let v: Vec<f64> = idx.iter().map(|&i| p.values[i]).collect();
                statistic(&v, spec.target, spec.limit.cmp) - limit
            })
            .collect();
        match interpolate_root(&xs, &gs_b) {
            Some(r) => roots.push(r),
            None => {
                censored += 1;
                // Whole range feasible or infeasible in this resample.
                let all_hold = holds(gs_b[0]);
                roots.push(if all_hold == feasible_below { hi } else { lo });
            }
        }
    }
    roots.sort_by(f64::total_cmp);
    let mut interval = (quantile(&roots, 0.05), quantile(&roots, 0.95));
    if integer {
        interval = (interval.0.floor(), interval.1.ceil());
    }

    // The converse: the cheaper of the boundary and the feasible end.
    let mut at_range_end = false;
    if let Some(_f) = &spec.minimise {
        let end = if feasible_below { lo } else { hi };
        let end_point = s.points.iter().find(|p| p.x == end);
        let mean = |v: &[f64]| Stats::of(v).map_or(f64::NAN, |st| st.mean);
        let at_value = sorted
            .iter()
            .min_by(|p, q| (p.x - value).abs().total_cmp(&(q.x - value).abs()))
            .and_then(|p| p.minimised.as_deref().map(mean));
        if let (Some(e), Some(v)) = (end_point.and_then(|p| p.minimised.as_deref()), at_value) {
            if mean(e) < v {
                value = end;
                at_range_end = true;
            }
        }
    }

    // The run at the answer: its figures, the binding year and the minimised figure.
    let mut r = s.run(&[value])?;
    let (model, results) = r.remove(0);
    let p = s.point(value, &results);
    let at_answer = Stats::of(&p.values)
        .ok_or_else(|| Error::Internal("the limited figure is undefined at the answer".into()))?;
    let statistic_at_answer = p.statistic;
    let minimised = p.minimised.as_deref().and_then(Stats::of);
    s.points.push(p);
    let per_year = spec.limit.figure.per_year(&results);
    let mut binding: Option<(i32, f64, Stats)> = None;
    for (i, vals) in per_year.iter().enumerate() {
        let y = spec.limit.figure.years.0 + i as i32;
        let st = statistic(vals, spec.target, spec.limit.cmp);
        let Some(stats) = Stats::of(vals) else {
            continue;
        };
        let better = match (&binding, spec.limit.cmp) {
            (None, _) => true,
            (Some((_, b, _)), Cmp::AtMost) => st > *b,
            (Some((_, b, _)), Cmp::AtLeast) => st < *b,
        };
        if better {
            binding = Some((y, st, stats));
        }
    }
    let binding_year = binding
        .map(|(y, _, st)| (y, st))
        .ok_or_else(|| Error::Internal("no year of the limited figure is defined".into()))?;

    // Replications whose figure is not monotone over the values evaluated (a note: the
    // statistic itself was checked above).
    let sorted = s.sorted();
    let non_monotone_reps = (0..reps)
        .filter(|&r| {
            sorted.windows(2).any(|w| {
                let (a, b) = (w[0].values[r], w[1].values[r]);
                if increasing {
                    b < a
                } else {
                    b > a
                }
            })
        })
        .count();

    Ok(Solution {
        spec: spec.clone(),
        value,
        interval,
        censored,
        feasible_below,
        binding_year,
        at_answer,
        statistic_at_answer,
        minimised,
        at_range_end,
        points: s.points,
        non_monotone_reps,
        results,
        model,
    })
}

/// `solve.csv`: every evaluation of the key (kind `evaluated`, in the order made) and the
/// answer (kind `answer`, with its 90 % bootstrap interval in value_p05/value_p95).
pub fn solve_csv(sol: &Solution) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let stat_name = match sol.spec.target {
        Target::Mean => "mean".to_string(),
        Target::Probability(p) => match sol.spec.limit.cmp {
            Cmp::AtMost => format!("p{}", fmt_pct(p)),
            Cmp::AtLeast => format!("p{}", fmt_pct(1.0 - p)),
        },
    };
    w.write_record([
        "kind",
        "key",
        "value",
        "value_p05",
        "value_p95",
        "figure",
        "unit",
        "statistic",
        "statistic_value",
        "limit_op",
        "limit",
        "figure_mean",
        "figure_p05",
        "figure_p95",
        "binding_year",
        "minimised_figure",
        "minimised_mean",
        "minimised_p05",
        "minimised_p95",
    ])
    .map_err(csv_err)?;
    let fig = sol.spec.limit.figure.text();
    let min_name = sol
        .spec
        .minimise
        .as_ref()
        .map(|f| f.text())
        .unwrap_or_default();
    let n = sol.points.len();
    for (i, p) in sol.points.iter().enumerate() {
        let answer = i + 1 == n;
        let st = Stats::of(&p.values);
        let ms = p.minimised.as_deref().and_then(Stats::of);
        let num = |x: Option<f64>| x.map(|v| v.to_string()).unwrap_or_default();
        w.write_record([
            if answer { "answer" } else { "evaluated" }.to_string(),
            sol.spec.key.clone(),
            p.x.to_string(),
            if answer {
                sol.interval.0.to_string()
            } else {
                String::new()
            },
            if answer {
                sol.interval.1.to_string()
            } else {
                String::new()
            },
            fig.clone(),
            output::unit_in(sol.spec.limit.figure.unit, sol.spec.prices),
            stat_name.clone(),
            p.statistic.to_string(),
            sol.spec.limit.op().to_string(),
            sol.spec.limit.value.to_string(),
            num(st.map(|s| s.mean)),
            num(st.map(|s| s.p05)),
            num(st.map(|s| s.p95)),
            if answer {
                sol.binding_year.0.to_string()
            } else {
                String::new()
            },
            min_name.clone(),
            num(ms.map(|s| s.mean)),
            num(ms.map(|s| s.p05)),
            num(ms.map(|s| s.p95)),
        ])
        .map_err(csv_err)?;
    }
    w.into_inner()
        .map_err(|e| Error::Internal(format!("solve.csv: {e}")))
}

fn csv_err(e: csv::Error) -> Error {
    Error::Internal(format!("solve.csv: {e}"))
}

fn fmt_pct(p: f64) -> String {
    let s = format!("{:.4}", p * 100.0);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The readable answer.
pub fn solution_text(sol: &Solution, scenario: &str, reps: u32) -> String {
    let spec = &sol.spec;
    let f = &spec.limit.figure;
    let unit = output::unit_in(f.unit, spec.prices);
    let target = match spec.target {
        Target::Mean => "on average over replications".to_string(),
        Target::Probability(p) => format!("with probability {p}"),
    };
    let mut t = format!(
        "Solve `{scenario}`: {} in [{}, {}] so that {} ({}, {}, {} {}–{}) {} {} {} {target} ({reps} replications)\n",
        spec.key,
        spec.range.0,
        spec.range.1,
        f.metric,
        unit,
        f.region,
        match f.agg {
            Agg::Sum => "sum over",
            Agg::Mean => "mean over",
            Agg::Max => "largest of",
            Agg::Min => "smallest of",
        },
        f.years.0,
        f.years.1,
        spec.limit.op(),
        spec.limit.value,
        unit,
    );
    let side = if sol.feasible_below {
        "at most"
    } else {
        "at least"
    };
    t.push_str(&format!(
        "answer: {} = {} [90 % interval {}–{}, bootstrap over replications]; the limit holds for values {side} this\n",
        spec.key,
        sig(sol.value),
        sig(sol.interval.0),
        sig(sol.interval.1),
    ));
    if sol.at_range_end {
        t.push_str(
            "  (the minimised figure is lower at this end of the range than at the boundary)\n",
        );
    }
    t.push_str(&format!(
        "at the answer: {} mean {} [90 % interval {}–{}] {}; the statistic solved for is {}\n",
        f.text(),
        sig(sol.at_answer.mean),
        sig(sol.at_answer.p05),
        sig(sol.at_answer.p95),
        unit,
        sig(sol.statistic_at_answer),
    ));
    let (y, st) = sol.binding_year;
    t.push_str(&format!(
        "binding year: {y} ({} {} {} [{}–{}] {}: the year nearest to breaking the limit)\n",
        f.metric,
        f.region,
        sig(st.mean),
        sig(st.p05),
        sig(st.p95),
        unit
    ));
    if let (Some(m), Some(ms)) = (&spec.minimise, &sol.minimised) {
        t.push_str(&format!(
            "minimised: {} = {} [90 % interval {}–{}] {}\n",
            m.text(),
            sig(ms.mean),
            sig(ms.p05),
            sig(ms.p95),
            output::unit_in(m.unit, spec.prices)
        ));
    }
    if sol.censored > 0 {
        t.push_str(&format!(
            "note: in {} of {BOOTSTRAP} bootstrap resamples the limit is not crossed inside the range; their root is set to the range end\n",
            sol.censored
        ));
    }
    if sol.non_monotone_reps > 0 {
        t.push_str(&format!(
            "note: in {} replication(s) the figure is not monotone over the values evaluated (the statistic is)\n",
            sol.non_monotone_reps
        ));
    }
    t.push_str(&format!(
        "{} evaluations (the last at the answer)\n",
        sol.points.len()
    ));
    t
}

/// Six significant digits, without trailing zeros.
fn sig(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return x.to_string();
    }
    let d = (5 - x.abs().log10().floor() as i32).max(0) as usize;
    let s = format!("{x:.d$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_parses_figure_years_aggregate_and_value() {
        let l = Limit::parse("cost_government:2024-2028:sum <= 2000").unwrap();
        assert_eq!(l.figure.metric, "cost_government");
        assert_eq!(l.figure.years, (2024, 2028));
        assert_eq!(l.figure.agg, Agg::Sum);
        assert_eq!((l.cmp, l.value), (Cmp::AtMost, 2000.0));
        let l = Limit::parse("recipients_persons@rural:2025:mean >= 30").unwrap();
        assert_eq!(l.figure.region, "rural");
        assert_eq!(l.cmp, Cmp::AtLeast);
        assert_eq!(l.figure.text(), "recipients_persons@rural:2025:mean");
    }

    #[test]
    fn bad_limits_say_what_is_wrong() {
        let e = Limit::parse("cost_govt:2024:sum <= 1")
            .unwrap_err()
            .to_string();
        assert!(e.contains("cost_government"), "{e}");
        let e = Limit::parse("cost_total:2024:median <= 1")
            .unwrap_err()
            .to_string();
        assert!(e.contains("sum, mean, max or min"), "{e}");
        let e = Limit::parse("cost_total:2024:sum < 1")
            .unwrap_err()
            .to_string();
        assert!(e.contains("<="), "{e}");
        let e = Limit::parse("cost_total:2024:sum <= lots")
            .unwrap_err()
            .to_string();
        assert!(e.contains("lots"), "{e}");
        assert!(parse_range("0.2..0.1").is_err());
        assert_eq!(parse_range("-0.1..0.15").unwrap(), (-0.1, 0.15));
    }

    #[test]
    fn root_is_interpolated_between_the_values_that_straddle_it() {
        let xs = [0.0, 1.0, 2.0, 4.0];
        let gs = [-3.0, -1.0, 1.0, 5.0];
        assert_eq!(interpolate_root(&xs, &gs), Some(1.5));
        assert_eq!(interpolate_root(&xs, &[1.0, 2.0, 3.0, 4.0]), None);
    }

    #[test]
    fn statistic_takes_the_quantile_on_the_side_of_the_limit() {
        let v: Vec<f64> = (0..=100).map(f64::from).collect();
        assert_eq!(statistic(&v, Target::Probability(0.95), Cmp::AtMost), 95.0);
        assert!((statistic(&v, Target::Probability(0.95), Cmp::AtLeast) - 5.0).abs() < 1e-9);
        assert_eq!(statistic(&v, Target::Mean, Cmp::AtMost), 50.0);
    }
}
