//! The engine: household-major and streaming. Each household is generated from its key, runs
//! its whole trajectory (burn-in, then every month of the horizon) in registers under every
//! scenario of the run back to back, and leaves only integer counters behind. No population
//! array is held, so memory does not grow with the sample. Chunks of households run in
//! parallel (rayon); counters are summed as integers, so results are bit-identical whatever
//! the thread count or chunk size.

mod household;

pub use household::{
    annual_poor, simulate_household, simulate_household_summary, NearPart, Trajectory, YearSummary,
};

use crate::counters::{c, Counters};
use crate::dynamics::{DisasterTable, Windows, YearPaths};
use crate::error::{Error, Result};
use crate::population::regions::{regions, RegionSet};
use crate::population::PopulationModel;
use crate::programs::dibao::StandardTable;
use crate::programs::quota::QuotaBasis;
use crate::programs::temporary::shock;
use crate::programs::{HouseholdKey, Rules};
use crate::scenario::{LoadedScenario, Scenario};
use indicatif::ProgressBar;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// A scenario ready to simulate.
#[derive(Debug, Clone)]
pub struct Model {
    pub loaded: LoadedScenario,
    pub pop: PopulationModel,
    pub regions: Vec<RegionSet>,
    /// For each stratum, the stratum whose dibao standard its migrants apply at.
    pub application_strata: Vec<usize>,
    /// The rules of the enabled programs, in the order their steps run.
    pub rules: Rules,
}

impl Model {
    /// Build the population and reporting regions of a loaded scenario.
    pub fn new(loaded: &LoadedScenario) -> Result<Model> {
        // Sample-design errors are reported against the file (or --set) that set the size.
        let file = crate::scenario::Checker::new(&loaded.origin, &loaded.scenario.name)
            .file_of("simulation.households");
        let pop = PopulationModel::new(&loaded.scenario, &file)?;
        // The payer split after the run needs every inline province's region class: a
        // province the allocation table lacks is bad input now, not a failure after the run.
        let p = &loaded.scenario.population;
        if p.source == crate::population::Source::Inline {
            let mut ck = crate::scenario::Checker::new(&loaded.origin, &loaded.scenario.name);
            crate::payers::params::check_provinces(
                &mut ck,
                p.strata.iter().enumerate().map(|(i, st)| {
                    (
                        format!("population.strata.{i}.province"),
                        st.province.as_str(),
                    )
                }),
            );
            if let Some(e) = ck.error {
                return Err(e);
            }
        }
        // The poor areas' income ratio must be reachable in every rural stratum: at most the
        // stratum's poorest `share` (ρ = 1), so the smallest permanent sd binds.
        let pa = &loaded.scenario.dynamics.income.poor_area;
        if pa.on() {
            let rural = pop.strata.strata.iter();
            let rural = rural.filter(|st| st.region == crate::population::Region::Rural);
            if let Some(st) = rural.min_by(|a, b| a.income_perm_sd.total_cmp(&b.income_perm_sd)) {
                let min = pa.min_income_ratio(st.income_perm_sd);
                if pa.income_ratio < min {
                    let mut ck =
                        crate::scenario::Checker::new(&loaded.origin, &loaded.scenario.name);
                    ck.fail(
                        "dynamics.income.poor_area.income_ratio",
                        pa.income_ratio,
                        format!(
                            "at least {min:.4}, the lowest a share of {} reaches in rural \
                             stratum `{}` (permanent log-income sd {:.3}: its poorest {})",
                            pa.share, st.name, st.income_perm_sd, pa.share
                        ),
                    );
                    return Err(ck.error.expect("just failed"));
                }
            }
        }
        let regions = regions(&pop.strata, loaded.scenario.metrics.by_province);
        let application_strata = loaded
            .scenario
            .programs
            .residence
            .application_strata(&pop.strata);
        Ok(Model {
            rules: Rules::new(&loaded.scenario.programs),
            loaded: loaded.clone(),
            pop,
            regions,
            application_strata,
        })
    }

    /// The model of replication `rep`, with every distribution drawn, and the draws.
    pub fn for_replication(&self, rep: u32) -> Result<(Model, Vec<(String, f64)>)> {
        let (loaded, draws) = self.loaded.for_replication(rep)?;
        let values = draws
            .into_iter()
            .map(|(k, v)| {
                (
                    k,
                    v.as_float()
                        .or_else(|| v.as_integer().map(|i| i as f64))
                        .unwrap_or(f64::NAN),
                )
            })
            .collect();
        Ok((Model::new(&loaded)?, values))
    }

    /// The scenario.
    pub fn scenario(&self) -> &Scenario {
        &self.loaded.scenario
    }
}

/// How to run (changes no output byte).
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Worker threads; 0 = all cores.
    pub threads: usize,
    /// Progress bar to advance by one per chunk.
    pub progress: Option<ProgressBar>,
}

/// Tables shared by every household of one replication of one scenario.
#[derive(Debug, Clone)]
pub struct RepTables {
    pub paths: YearPaths,
    pub standards: StandardTable,
    /// Poverty line per (stratum, year), yuan per person per month.
    pub lines: Vec<f64>,
    /// Logs of the standards and the lines (computed once, not per household).
    pub ln_standards: Vec<f64>,
    /// The standards in fen (`programs::fen`), per (stratum, year), for the yearly counters.
    pub fen_standards: Vec<i64>,
    pub ln_lines: Vec<f64>,
    /// Log of the nominal income multiplier per (stratum, year): its region's
    /// (`dynamics.income.by_region`), else the national one.
    pub ln_stratum_income_index: Vec<f64>,
    pub disaster: DisasterTable,
    /// Per (stratum, month from the start of burn-in): `shock::DISASTER` when a disaster
    /// spell starts that month, else 0 (laid out as the disaster table's rows).
    pub disaster_start: Vec<u8>,
    /// The persistent income term's windows and the bound on which quiet ones are skipped.
    pub windows: Windows,
    /// The household shocks' rates, per month (`dynamics::shock_rates`), taken once.
    pub shock_rates: crate::dynamics::ShockRates,
    /// Population change's values of each year of the horizon
    /// (`Demography::year_values`), taken once.
    pub demog_years: Vec<crate::population::demography::DemogYear>,
    /// The set of programs the households' months are compiled for (`Rules::compiled`); only
    /// ever widened ([`RepTables::compile_for_every_program`]), so it holds every enabled
    /// program.
    compiled: u16,
    /// Some enabled rule reads a household's financial assets (`DibaoParams::assets_read`):
    /// without, the population draw takes no `exp` for them.
    pub assets_read: bool,
    /// Per (stratum, month from the start of burn-in), laid out as `disaster_start`: the end
    /// (first month after) of a window opening that month: the next calendar-year boundary
    /// (in the burn-in, counted back from its end) or disaster start; the month after a
    /// disaster start (a window of its own). Household shocks end windows too (`IncomeState`).
    pub window_end: Vec<u32>,
    /// Quota: `None` in the first pass (recipients are counted by need); then the need cut-off
    /// per (stratum, year).
    pub quota_cut: Option<Vec<f64>>,
    /// Quota: this pass counts recipients by need (the first pass, and the pass that refines a
    /// held cap); the run's own pass does not, as nothing reads them there.
    pub quota_record: bool,
    /// Incidence: upper edges of deciles 1–9 of pre-transfer per-capita income per year.
    pub decile_cuts: Option<Vec<[f64; 9]>>,
    /// The fast path's line, log yuan per person per month, per (stratum, migrant or not,
    /// year), when every enabled program's line follows from the year's context alone
    /// (`programs::Step::line`): the engine then makes a household-year's context and
    /// yearly facts only when one of its months needs the steps.
    pub static_near: Option<Vec<f64>>,
    /// Per (stratum, migrant or not, year): the part of the fast path's line that follows from
    /// the year's context alone (the highest of the poverty line, the local standard and the
    /// lines of the programs whose line follows from the context, log yuan per person per
    /// month), the mask of the programs whose line does not (`Rules::line_part`) and their
    /// bounds (`Rules::line_bounds`): their yearly facts are made at the first month of a
    /// household-year that fails the fast path's test (at its start when the household's
    /// bounds are above the part), the others' at the first month that takes the steps. `None`: each household-year derives it (for tests
    /// that check the table).
    pub near_parts: Option<Vec<household::NearPart>>,
    /// The part of a household-year's context that follows from its stratum, migrant or not,
    /// and year (`YearCtx`), per (stratum, migrant or not, year).
    pub ctx_rows: Vec<household::CtxRow>,
    /// `lines`, `ln_lines`, `ln_stratum_income_index` and `fen_standards` per (stratum, year)
    /// in one row, as the engine reads them (`household::YearRow`).
    pub year_rows: Vec<household::YearRow>,
    /// Every month takes the steps (no fast path, no skipped window): for tests that check
    /// the programs' lines, which must leave the same counters. Off in runs.
    pub step_every_month: bool,
    /// A household the programs have not met yet is busy with none (`Rules::busy` of a new
    /// standing): with `static_near`, the engine then makes a household's standing with the
    /// programs only at its first month that takes the steps.
    pub fresh_idle: bool,
}

impl RepTables {
    /// The set of programs the households' months are compiled for
    /// (`programs::compiled`, `Rules::compiled`).
    pub fn compiled(&self) -> u16 {
        self.compiled
    }

    /// Run the households' months in the copy compiled for every program
    /// (`programs::compiled::ALL`), whatever is enabled: the same outputs, byte for byte, at
    /// the cost of every program's checks (for tests that compare the copies).
    pub fn compile_for_every_program(&mut self) {
        self.compiled = crate::programs::compiled::ALL;
    }

    /// Draw and compute the tables of replication `rep`.
    pub fn new(model: &Model, rep: u32) -> RepTables {
        let s = model.scenario();
        let sim = &s.simulation;
        let paths = YearPaths::new(&s.dynamics, sim);
        let standards = s.programs.dibao.standard_table(
            &model.pop.strata,
            sim,
            &paths,
            &s.dynamics.prices.inflation,
        );
        let years = sim.years as usize;
        let kind = s.metrics.line_kind();
        let mut lines = vec![0.0; model.pop.strata.strata.len() * years];
        for st in 0..model.pop.strata.strata.len() {
            for t in 0..years {
                lines[st * years + t] = s.metrics.line(
                    kind,
                    sim.start_year,
                    t,
                    standards.get(st, t),
                    paths.income_index[t],
                );
            }
        }
        let disaster =
            DisasterTable::draw(&s.dynamics.shocks.disaster, &model.pop.strata, sim, rep);
        let disaster_start = (0..model.pop.strata.strata.len())
            .flat_map(|st| {
                let row = disaster.row(st);
                (0..row.len()).map(move |mb| {
                    if row[mb] < 0.0 && (mb == 0 || row[mb - 1] == 0.0) {
                        shock::DISASTER
                    } else {
                        0
                    }
                })
            })
            .collect::<Vec<u8>>();
        let window_end = window_grid(&disaster_start, disaster.row(0).len(), sim.burn_in_months);
        let ln_standards = (0..lines.len())
            .map(|i| standards.get(i / years, i % years).ln())
            .collect();
        let fen_standards = (0..lines.len())
            .map(|i| crate::programs::fen(standards.get(i / years, i % years)))
            .collect();
        let ln_lines = lines.iter().map(|l| l.ln()).collect();
        let ln_stratum_income_index = model
            .pop
            .strata
            .strata
            .iter()
            .flat_map(|st| (0..years).map(|t| paths.region_index(st.region, t).ln()))
            .collect();
        let mut tables = RepTables {
            paths,
            standards,
            lines,
            ln_standards,
            fen_standards,
            ln_lines,
            ln_stratum_income_index,
            disaster,
            disaster_start,
            windows: Windows::new(&s.dynamics.income, sim.skip_tolerance),
            shock_rates: crate::dynamics::shock_rates(&s.dynamics.shocks),
            demog_years: (0..sim.years as i32)
                .map(|t| {
                    let d = &model.pop.demography;
                    // The strata and member rules the household loop hands the January step.
                    d.year_values(sim.start_year + t).with_leave(
                        d,
                        &model.pop.strata.strata,
                        &s.population.members,
                    )
                })
                .collect(),
            assets_read: s.programs.dibao.assets_read(),
            compiled: model.rules.compiled(),
            window_end,
            quota_cut: None,
            quota_record: true,
            decile_cuts: None,
            static_near: None,
            near_parts: None,
            ctx_rows: Vec::new(),
            year_rows: Vec::new(),
            step_every_month: false,
            fresh_idle: !model
                .rules
                .busy(&model.rules.household(&HouseholdKey::new(sim.seed, rep, 0))),
        };
        tables.ctx_rows = household::ctx_rows(model, &tables);
        tables.year_rows = household::year_rows(&tables);
        let parts = household::near_parts(model, &tables);
        tables.static_near = household::static_near(&parts);
        tables.near_parts = Some(parts);
        tables
    }
}

/// The window grid (see [`RepTables::window_end`]) of every stratum's row of `starts`
/// (`months` per row, the first `burn` of them burn-in).
fn window_grid(starts: &[u8], months: usize, burn: u32) -> Vec<u32> {
    let mut out = vec![0u32; starts.len()];
    for (row, ends) in starts.chunks(months).zip(out.chunks_mut(months)) {
        // The first boundary after the month at hand.
        let mut next = months;
        for mb in (0..months).rev() {
            ends[mb] = if row[mb] != 0 { mb + 1 } else { next } as u32;
            let year_starts = (mb as i64 - burn as i64).rem_euclid(12) == 0;
            if row[mb] != 0 || year_starts {
                next = mb;
            }
        }
    }
    out
}

/// Counters of a run: `[scenario][replication]`.
#[derive(Debug, Clone, PartialEq)]
pub struct RunCounters {
    pub per_scenario: Vec<Vec<Counters>>,
    /// Parameter draws `[scenario][replication] -> (key, value)`; empty lists when a scenario
    /// has no distributions.
    pub draws: Vec<Vec<Vec<(String, f64)>>>,
}

/// Check that scenarios can share households (same sample design and horizon).
fn check_compatible(models: &[Model]) -> Result<()> {
    let a = &models[0].scenario().simulation;
    for m in &models[1..] {
        let b = &m.scenario().simulation;
        let same = a.households == b.households
            && a.replications == b.replications
            && a.seed == b.seed
            && a.years == b.years
            && a.start_year == b.start_year
            && a.burn_in_months == b.burn_in_months
            && a.start == b.start
            && a.replay_months == b.replay_months
            && a.replay_band == b.replay_band
            && m.pop.strata.strata.len() == models[0].pop.strata.strata.len();
        if !same {
            return Err(Error::Usage(format!(
                "scenarios `{}` and `{}` differ in their simulation settings (households, replications, seed, \
                 years, start_year, burn_in_months, start, replay_months, replay_band or strata); compared scenarios \
                 must share them",
                models[0].scenario().name,
                m.scenario().name
            )));
        }
    }
    Ok(())
}

/// Simulate every replication of every scenario on common households and shocks.
///
/// A scenario whose charity is on needs the whole year's demand before it can pay: its
/// claims are counted by priority rank (exactly, in fen) in the one pass over every household
/// and settled after the reduction (`CharityParams::settle`).
pub fn run(models: &[Model], opts: &RunOptions) -> Result<RunCounters> {
    run_with(models, opts, false)
}

/// As [`run`]; with `incidence`, also fill benefit-incidence counters by decile of
/// pre-transfer per-capita income (the deciles of the first scenario, from a pilot sample).
pub fn run_with(models: &[Model], opts: &RunOptions, incidence: bool) -> Result<RunCounters> {
    let all: Vec<u32> = models
        .first()
        .map(|m| (0..m.scenario().simulation.replications).collect())
        .unwrap_or_default();
    run_replications(models, opts, incidence, &all)
}

/// As [`run_with`], for the replications `reps` only, in that order (`per_scenario[k][j]` is
/// replication `reps[j]`): the hook for shards and checkpointed, resumable runs. A replication
/// depends only on its index, so any subset gives the same counters as in a whole run.
pub fn run_replications(
    models: &[Model],
    opts: &RunOptions,
    incidence: bool,
    reps: &[u32],
) -> Result<RunCounters> {
    if models.is_empty() {
        return Err(Error::Usage("no scenario to run".into()));
    }
    check_compatible(models)?;
    let sim = models[0].scenario().simulation.clone();
    let pool = Workers::new(opts.threads)?;
    let mut per_scenario: Vec<Vec<Counters>> = vec![Vec::new(); models.len()];
    let mut draws: Vec<Vec<Vec<(String, f64)>>> = vec![Vec::new(); models.len()];
    let uncertain = models.iter().any(|m| !m.loaded.uncertain.is_empty());
    for &rep in reps {
        // Distributions are drawn once per replication; without any, the models serve as they are.
        let drawn: Vec<Model>;
        let models: &[Model] = if uncertain {
            let mut v = Vec::with_capacity(models.len());
            for (k, m) in models.iter().enumerate() {
                let (model, d) = m.for_replication(rep)?;
                draws[k].push(d);
                v.push(model);
            }
            drawn = v;
            &drawn
        } else {
            for d in draws.iter_mut() {
                d.push(Vec::new());
            }
            models
        };
        let mut tables: Vec<RepTables> = models.iter().map(|m| RepTables::new(m, rep)).collect();
        // Budget- and cap-limited rules first run to learn the year's demand: quotas first
        // (they change who is on dibao), then charity (it tops up what the rest leave).
        let quota = pick(models, |s| s.programs.quota.enabled);
        if !quota.is_empty() {
            let counters = simulate_rep(&pool, models, &tables, &quota, rep, &sim, None);
            for (&k, demand) in quota.iter().zip(&counters) {
                tables[k].quota_cut = Some(quota_cut(&models[k], demand, None));
            }
            // A cap held from the first year is refined once: a pass at the first cut-offs
            // shows where the capped count lands, and the cut-offs are set again on the first
            // pass's need, aimed at cap × cap / count (households kept to their review and
            // through the gradual exit make the capped count miss the cap by an amount that
            // moves with the standard).
            let held = pick(models, |s| {
                s.programs.quota.enabled && s.programs.quota.basis == QuotaBasis::StartYear
            });
            if !held.is_empty() {
                let second = simulate_rep(&pool, models, &tables, &held, rep, &sim, None);
                for (&k, landed) in held.iter().zip(&second) {
                    let first = &counters[quota.iter().position(|&q| q == k).unwrap()];
                    tables[k].quota_cut = Some(quota_cut(&models[k], first, Some(landed)));
                }
            }
            for &k in &quota {
                tables[k].quota_record = false;
            }
        }
        if incidence {
            let cuts = decile_cuts(&pool, &models[0], &tables[0], rep);
            for t in tables.iter_mut() {
                t.decile_cuts = Some(cuts.clone());
            }
        }
        let every: Vec<usize> = (0..models.len()).collect();
        let mut acc = simulate_rep(
            &pool,
            models,
            &tables,
            &every,
            rep,
            &sim,
            opts.progress.as_ref(),
        );
        // Charity pays its budget once the year's demand is known.
        for (m, counters) in models.iter().zip(acc.iter_mut()) {
            let charity = &m.scenario().programs.charity;
            if charity.enabled {
                charity.settle(&m.pop.alloc.weight, sim.start_year, counters);
            }
        }
        for (k, counters) in acc.into_iter().enumerate() {
            per_scenario[k].push(counters);
        }
    }
    Ok(RunCounters {
        per_scenario,
        draws,
    })
}

/// Indices of the models whose scenario `which` picks.
fn pick(models: &[Model], which: impl Fn(&Scenario) -> bool) -> Vec<usize> {
    (0..models.len())
        .filter(|&k| which(models[k].scenario()))
        .collect()
}

/// Positions of parallel work item `j` of `chunk` households out of `n`.
fn chunk_range(j: u64, chunk: u64, n: u64) -> std::ops::Range<u64> {
    j * chunk..((j + 1) * chunk).min(n)
}

/// The work items of one replication: the chunks of `simulation.chunk_size` households in
/// order, the last [`TAIL_CHUNKS`] per thread each cut in [`TAIL_SPLIT`] parts when more than
/// one thread works, so that the threads finish within a fraction of a chunk of each other
/// (a thread that claims the last whole chunk as another finishes would leave it idle for up
/// to a chunk's time). The counters are integer sums, so the cut changes no output byte.
#[derive(Debug, Clone, Copy)]
struct Items {
    /// Households in the replication.
    n: u64,
    /// Households per chunk.
    chunk: u64,
    /// Chunks run whole (the first ones).
    whole: u64,
    /// Parts each chunk after them is cut in.
    split: u64,
    /// Work items in all.
    count: u64,
}

/// Chunks per thread at the end of a replication that are cut in parts ([`Items`]).
const TAIL_CHUNKS: u64 = 2;
/// Parts each of those chunks is cut in.
const TAIL_SPLIT: u64 = 8;

impl Items {
    fn new(n: u64, chunk: u64, threads: usize) -> Items {
        let chunks = n.div_ceil(chunk);
        let (tail, split) = if threads > 1 {
            ((TAIL_CHUNKS * threads as u64).min(chunks), TAIL_SPLIT)
        } else {
            (0, 1)
        };
        let whole = chunks - tail;
        Items {
            n,
            chunk,
            whole,
            split,
            count: whole + tail * split,
        }
    }

    /// The households of item `j`, and whether it is the last part of its chunk (for the
    /// progress bar, which counts chunks).
    fn range(&self, j: u64) -> (std::ops::Range<u64>, bool) {
        if j < self.whole {
            return (chunk_range(j, self.chunk, self.n), true);
        }
        let q = j - self.whole;
        let (c, part) = (self.whole + q / self.split, q % self.split);
        let r = chunk_range(c, self.chunk, self.n);
        let len = r.end - r.start;
        let at = |p: u64| r.start + len * p / self.split;
        (at(part)..at(part + 1), part + 1 == self.split)
    }
}

/// Zeroed counters for `model` (with incidence counters when asked for).
fn zero_counters(model: &Model, years: usize, incidence: bool) -> Counters {
    let c = Counters::new(model.pop.strata.strata.len(), years);
    if incidence {
        c.with_incidence()
    } else {
        c
    }
}

/// The threads a run works on: the calling thread, and a pool of the others (none for one
/// thread). Every thread claims the next work item from a shared counter and adds it into
/// its own accumulator, so no thread waits while items are left (at the end, for at most the
/// item each is finishing) and each thread makes one accumulator per region, not one per split.
struct Workers {
    /// Threads in all, the calling one included.
    threads: usize,
    /// The other `threads - 1` threads, kept for the process ([`shared_pool`]).
    pool: Option<Arc<rayon::ThreadPool>>,
}

/// The pool of `others` worker threads, made at the first run that asks for it and kept for
/// the process: a run does not start and stop its threads (a serial phase of every run, the
/// short runs of a bench or a sweep included). Runs on the same pool at once stay correct:
/// each run's calling thread claims its own items too, and a job finds none left when it
/// comes late.
fn shared_pool(others: usize) -> Result<Arc<rayon::ThreadPool>> {
    static POOLS: Mutex<Vec<(usize, Arc<rayon::ThreadPool>)>> = Mutex::new(Vec::new());
    let mut pools = POOLS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, pool)) = pools.iter().find(|(n, _)| *n == others) {
        return Ok(pool.clone());
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(others)
        .build()
        .map_err(|e| Error::Internal(format!("thread pool: {e}")))?;
    let pool = Arc::new(pool);
    pools.push((others, pool.clone()));
    Ok(pool)
}

impl Workers {
    /// `threads` in all; 0 = all cores (`RAYON_NUM_THREADS` when set, as rayon reads it).
    fn new(threads: usize) -> Result<Workers> {
        let threads = match threads {
            0 => std::env::var("RAYON_NUM_THREADS")
                .ok()
                .and_then(|v| v.parse::<usize>().ok())
                .filter(|&n| n > 0)
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
            n => n,
        };
        let pool = if threads > 1 {
            Some(shared_pool(threads - 1)?)
        } else {
            None
        };
        Ok(Workers { threads, pool })
    }

    /// Run `item(acc, j)` for every `j` in `0..items`, each on some thread into that thread's
    /// accumulator (made by `init`); the accumulators, one per thread, in no set order.
    fn each<A: Send>(
        &self,
        items: u64,
        init: impl Fn() -> A,
        item: impl Fn(&mut A, u64) + Sync,
    ) -> Vec<A> {
        let next = AtomicU64::new(0);
        let work = |acc: &mut A| loop {
            let j = next.fetch_add(1, Ordering::Relaxed);
            if j >= items {
                break;
            }
            item(acc, j);
        };
        let mut accs: Vec<A> = (0..self.threads).map(|_| init()).collect();
        let (mine, others) = accs.split_first_mut().expect("at least one thread");
        match &self.pool {
            None => work(mine),
            Some(pool) => pool.in_place_scope(|s| {
                let work = &work;
                for acc in others {
                    s.spawn(move |_| work(acc));
                }
                work(mine);
            }),
        }
        accs
    }
}

/// One replication of the models `picked`, in parallel over chunks, summed exactly; counters
/// in the order of `picked`.
fn simulate_rep(
    pool: &Workers,
    models: &[Model],
    tables: &[RepTables],
    picked: &[usize],
    rep: u32,
    sim: &crate::scenario::SimulationParams,
    progress: Option<&ProgressBar>,
) -> Vec<Counters> {
    let items = Items::new(sim.households, sim.chunk_size as u64, pool.threads);
    let years = sim.years as usize;
    let incidence = tables.first().is_some_and(|t| t.decile_cuts.is_some());
    let zero = || -> Vec<Counters> {
        picked
            .iter()
            .map(|&k| zero_counters(&models[k], years, incidence))
            .collect()
    };
    // Poverty on the year's income wants each household's years too; a quota's demand passes
    // only count need, so nothing would read them there.
    let annual: Vec<bool> = picked
        .iter()
        .map(|&k| {
            let s = models[k].scenario();
            s.metrics.annual_poverty && !(s.programs.quota.enabled && tables[k].quota_record)
        })
        .collect();
    let chunk_of = |acc: &mut Vec<Counters>, j: u64| {
        let (households, ends_chunk) = items.range(j);
        // Only incidence and the annual reading read the years' summaries (none made without).
        let mut sums = if incidence || annual.contains(&true) {
            vec![vec![YearSummary::default(); years]; picked.len()]
        } else {
            Vec::new()
        };
        for i in households {
            for (pos, (a, &k)) in acc.iter_mut().zip(picked).enumerate() {
                let summary = if incidence || annual[pos] {
                    sums.get_mut(pos).map(|v| v.as_mut_slice())
                } else {
                    None
                };
                simulate_household_summary(&models[k], &tables[k], rep, i, a, summary);
                if annual[pos] {
                    record_annual(&sums[pos], &tables[k].lines, a);
                }
            }
            if incidence {
                record_incidence(&sums, &tables[0], acc);
            }
        }
        if let (Some(pb), true) = (progress, ends_chunk) {
            pb.inc(1);
        }
    };
    // The integer sums are the same whichever thread added which chunk.
    let mut accs = pool.each(items.count, zero, chunk_of).into_iter();
    let mut total = accs.next().expect("at least one thread");
    for other in accs {
        for (x, y) in total.iter_mut().zip(&other) {
            x.merge(y);
        }
    }
    for (x, &k) in total.iter_mut().zip(picked) {
        // Without population change the households recorded the persons who reach 60 in
        // each year, not each year's total (`household::elderly_from_start_ages`).
        let s = models[k].scenario();
        if !(s.population.members.ageing && models[k].pop.demography.enabled()) {
            x.cumulate_years(crate::counters::c::ELDERLY_PERSON_MONTHS);
        }
    }
    total
}

/// Most households a pilot sample for decile cut-offs holds (memory stays bounded).
const PILOT_HOUSEHOLDS: u64 = 20_000;

/// Decile cut-offs of pre-transfer per-capita income per year, from a pilot: every
/// `stride`-th household of the replication (at most [`PILOT_HOUSEHOLDS`]) under the first
/// scenario, weighted, collected in household order so the result is thread-independent.
fn decile_cuts(pool: &Workers, model: &Model, tables: &RepTables, rep: u32) -> Vec<[f64; 9]> {
    let sim = &model.scenario().simulation;
    let years = sim.years as usize;
    let stride = sim.households.div_ceil(PILOT_HOUSEHOLDS).max(1);
    // Collected on any thread, then put back in household order.
    let scratch = || {
        (
            Counters::new(model.pop.strata.strata.len(), years),
            Vec::new(),
        )
    };
    let mut pilot: Vec<(u64, Vec<YearSummary>)> = pool
        .each(
            sim.households.div_ceil(stride),
            scratch,
            |(counters, out), j| {
                let mut sum = vec![YearSummary::default(); years];
                simulate_household_summary(
                    model,
                    tables,
                    rep,
                    j * stride,
                    counters,
                    Some(&mut sum),
                );
                out.push((j, sum));
            },
        )
        .into_iter()
        .flat_map(|(_, out)| out)
        .collect();
    pilot.sort_unstable_by_key(|(j, _)| *j);
    (0..years)
        .map(|t| {
            let mut v: Vec<(f64, f64)> = pilot
                .iter()
                .map(|(_, s)| {
                    (
                        s[t].income_pc,
                        model.pop.alloc.weight[s[t].stratum as usize] * s[t].size as f64,
                    )
                })
                .collect();
            v.sort_by(|a, b| a.0.total_cmp(&b.0));
            let total: f64 = v.iter().map(|x| x.1).sum();
            let mut cuts = [0.0; 9];
            let mut acc = 0.0;
            let mut d = 0;
            for (x, w) in &v {
                acc += w;
                while d < 9 && acc >= total * (d + 1) as f64 / 10.0 {
                    cuts[d] = *x;
                    d += 1;
                }
            }
            cuts
        })
        .collect()
}

/// Add one household's years, read on the year's income, to its counters (`c::ANNUAL_*`, in
/// each year's second half): a household replaced as a year began starts afresh.
/// `lines`: the poverty line per (stratum, year), `RepTables::lines`.
fn record_annual(sums: &[YearSummary], lines: &[f64], acc: &mut Counters) {
    let years = sums.len();
    let post_poor = |t: usize| {
        let s = &sums[t];
        annual_poor(s, lines[s.stratum as usize * years + t])
    };
    let mut before = false;
    for (t, s) in sums.iter().enumerate() {
        let (post, pre) = post_poor(t);
        let k = s.size as i64;
        let slot = acc.slot(s.stratum as usize, t, 1);
        slot[c::ANNUAL_PERSONS] += k;
        slot[c::ANNUAL_PRE_POOR_PERSONS] += k * pre as i64;
        slot[c::ANNUAL_POST_POOR_PERSONS] += k * post as i64;
        if before && !s.replaced {
            slot[c::ANNUAL_POOR_BEFORE_HH] += 1;
            if !post {
                slot[c::ANNUAL_EXITS_HH] += 1;
                // Poor again the next year, if that year is simulated and the same household's.
                if t + 1 < years && !sums[t + 1].replaced {
                    slot[c::ANNUAL_EXITS_OBS_HH] += 1;
                    slot[c::ANNUAL_BACK_HH] += post_poor(t + 1).0 as i64;
                }
            }
        }
        before = post;
    }
}

/// Add one household's years to the incidence counters of every scenario; its decile is that
/// of its pre-transfer income under the first scenario.
fn record_incidence(sums: &[Vec<YearSummary>], tables: &RepTables, acc: &mut [Counters]) {
    use crate::counters::inc;
    let Some(cuts) = &tables.decile_cuts else {
        return;
    };
    for (t, base) in sums[0].iter().enumerate() {
        let d = cuts[t].partition_point(|c| *c < base.income_pc);
        let s = base.stratum as usize;
        for (k, sum) in sums.iter().enumerate() {
            let y = &sum[t];
            let a = &mut acc[k];
            *a.inc_mut(s, t, d, inc::HOUSEHOLDS) += 1;
            *a.inc_mut(s, t, d, inc::PERSONS) += y.size as i64;
            *a.inc_mut(s, t, d, inc::CASH_FEN) += y.cash_fen;
            *a.inc_mut(s, t, d, inc::GAIN_FEN) += y.cash_fen - base.cash_fen;
            *a.inc_mut(s, t, d, inc::GAINERS) += (y.cash_fen > base.cash_fen) as i64;
            *a.inc_mut(s, t, d, inc::LOSERS) += (y.cash_fen < base.cash_fen) as i64;
            *a.inc_mut(s, t, d, inc::POOR_PERSON_MONTHS) += y.poor_months as i64 * y.size as i64;
        }
    }
}

/// Need cut-offs per (stratum, year) from the first pass's recipients by need; with `landed`
/// (the counters of a pass at the cut-offs set before), aimed at cap × cap / the count it
/// landed at, so that a pass at the new cut-offs lands nearer the cap.
fn quota_cut(model: &Model, first: &Counters, landed: Option<&Counters>) -> Vec<f64> {
    use crate::programs::quota::{cut_off, NEED_BINS};
    let s = model.scenario();
    let years = s.simulation.years as usize;
    let mut cuts = vec![0.0; model.pop.strata.strata.len() * years];
    let q = &s.programs.quota;
    // With a cap held by administration the counts are weighted as the outputs weight them
    // (the year's population weights), so that the cap is a number of households.
    let yw =
        (q.basis == QuotaBasis::StartYear).then(|| model.pop.year_weights(&s.simulation, first));
    for (st, stratum) in model.pop.strata.strata.iter().enumerate() {
        let by_need = |k: &Counters, t: usize| {
            let w = match &yw {
                Some(yw) => yw[st * years + t],
                None => model.pop.alloc.weight[st],
            };
            let mut by_need = [0.0; NEED_BINS];
            for half in 0..2 {
                let slot = k.get(st, t, half);
                for (b, x) in by_need.iter_mut().enumerate() {
                    *x += w * slot[c::QUOTA_NEED_0 + b] as f64 / 12.0;
                }
            }
            by_need
        };
        let first_year: f64 = by_need(first, 0).iter().sum();
        for t in 0..years {
            let mut cap = match q.basis {
                QuotaBasis::Households => q.share * stratum.households,
                QuotaBasis::StartYear => {
                    q.share * first_year * q.growth_factor(s.simulation.start_year, t)
                }
            };
            if let Some(landed) = landed {
                let n: f64 = by_need(landed, t).iter().sum();
                if n > 0.0 {
                    cap *= cap / n;
                }
            }
            cuts[st * years + t] = cut_off(&by_need(first, t), cap);
        }
    }
    cuts
}

/// Work items of a run (for sizing a progress bar).
pub fn work_items(models: &[Model]) -> u64 {
    let sim = &models[0].scenario().simulation;
    sim.households.div_ceil(sim.chunk_size as u64) * sim.replications as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The year's income against twelve months of the line; exits, and returns the next year,
    /// counted in the exit's year; a replaced household starts afresh.
    #[test]
    fn annual_poverty_counts_persons_exits_and_returns_by_year() {
        // One stratum, four years, a line of 100 yuan a month; a household of 2 at 50 (poor)
        // or 150 (not poor) yuan a month, no cash.
        let year = |poor: bool, replaced: bool| YearSummary {
            stratum: 0,
            size: 2,
            income_pc: 12.0 * if poor { 50.0 } else { 150.0 },
            replaced,
            ..YearSummary::default()
        };
        let lines = [100.0; 4];
        let count = |sums: &[YearSummary]| {
            let mut acc = Counters::new(1, 4);
            record_annual(sums, &lines, &mut acc);
            let f = |k: usize| (0..4).map(|t| acc.get(0, t, 1)[k]).collect::<Vec<_>>();
            [
                f(c::ANNUAL_PERSONS),
                f(c::ANNUAL_POST_POOR_PERSONS),
                f(c::ANNUAL_POOR_BEFORE_HH),
                f(c::ANNUAL_EXITS_HH),
                f(c::ANNUAL_EXITS_OBS_HH),
                f(c::ANNUAL_BACK_HH),
            ]
        };
        let kept = [
            year(true, false),
            year(false, false),
            year(true, false),
            year(false, false),
        ];
        assert_eq!(
            count(&kept),
            [
                vec![2, 2, 2, 2],
                vec![2, 0, 2, 0],
                vec![0, 1, 0, 1],
                vec![0, 1, 0, 1],
                // The last year's exit has no next year to return in.
                vec![0, 1, 0, 0],
                vec![0, 1, 0, 0],
            ]
        );
        // Replaced in the second year: the first year's poverty was another household's, so
        // no exit; the exit of the fourth year is the new household's.
        let renewed = [
            year(true, false),
            year(false, true),
            year(true, false),
            year(false, false),
        ];
        let got = count(&renewed);
        assert_eq!(got[2], vec![0, 0, 0, 1]);
        assert_eq!(got[3], vec![0, 0, 0, 1]);
        // Cash counts per person: 60 yuan a month each lifts 50 above a line of 100.
        let helped = YearSummary {
            cash_fen: 2 * 12 * 60 * 100,
            ..year(true, false)
        };
        assert_eq!(annual_poor(&helped, 100.0), (false, true));
        // Topped up to a line of 100.002 yuan a month: the household's gap of 100.004 yuan is
        // paid as 100.00 (whole fen) each month; the year's shortfall is the roundings, not
        // poverty.
        let topped = YearSummary {
            cash_fen: 12 * 10_000,
            ..year(true, false)
        };
        assert_eq!(annual_poor(&topped, 100.002), (false, true));
        // A fen a month less for the household is poverty (0.7 fen a person-month short).
        let short = YearSummary {
            cash_fen: 12 * 9_999,
            ..year(true, false)
        };
        assert!(annual_poor(&short, 100.002).0);
    }

    /// The items cover every household once, in order, whatever the thread count, and the
    /// parts of a cut chunk end it once.
    #[test]
    fn items_cover_every_household_once() {
        for threads in [1, 2, 3] {
            for (n, chunk) in [
                (1u64, 256u64),
                (10, 3),
                (1000, 256),
                (100_000, 256),
                (5, 10),
            ] {
                let items = Items::new(n, chunk, threads);
                let mut next = 0;
                let mut ends = 0;
                for j in 0..items.count {
                    let (r, end) = items.range(j);
                    assert_eq!(r.start, next, "{threads} threads, {n} households");
                    next = r.end;
                    ends += end as u64;
                }
                assert_eq!(next, n);
                assert_eq!(ends, n.div_ceil(chunk));
            }
        }
    }

    /// Every item runs exactly once, one accumulator per thread, whatever the thread count
    /// (more threads than items included).
    #[test]
    fn each_item_runs_once_on_any_thread_count() {
        for threads in [1, 2, 3, 5] {
            let workers = Workers::new(threads).unwrap();
            for items in [0u64, 1, 2, 7, 1000] {
                let accs = workers.each(items, Vec::new, |acc: &mut Vec<u64>, j| acc.push(j));
                assert_eq!(accs.len(), threads);
                let mut all = accs.concat();
                all.sort_unstable();
                assert_eq!(all, (0..items).collect::<Vec<_>>(), "{threads} threads");
            }
        }
    }
}
