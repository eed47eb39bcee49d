//! The engine: household-major and streaming. Each household is generated from its key, runs
//! its whole trajectory (burn-in, then every month of the horizon) in registers under every
//! scenario of the run back to back, and leaves only integer counters behind. No population
//! array is held, so memory does not grow with the sample. Chunks of households run in
//! parallel (rayon); counters are summed as integers, so results are bit-identical whatever
//! the thread count or chunk size.

use crate::dynamics::{DisasterTable, IncomeState, YearPaths};
use crate::error::{Error, Result};
use crate::metrics::{c, regions, Counters, RegionSet, SpellTracker, GAP_SCALE};
use crate::population::PopulationModel;
use crate::programs::dibao::{DibaoDraws, DibaoHousehold, DibaoState, StandardTable};
use crate::rng::{stream, Purpose};
use crate::scenario::{LoadedScenario, Scenario};
use indicatif::ProgressBar;
use rand::Rng;
use rand_distr::StandardNormal;
use rayon::prelude::*;

/// A scenario ready to simulate.
#[derive(Debug, Clone)]
pub struct Model {
    pub loaded: LoadedScenario,
    pub pop: PopulationModel,
    pub regions: Vec<RegionSet>,
}

impl Model {
    /// Build the population and reporting regions of a loaded scenario.
    pub fn new(loaded: &LoadedScenario) -> Result<Model> {
        // Sample-design errors are reported against the file (or --set) that set the size.
        let file = crate::scenario::Checker::new(&loaded.origin, &loaded.scenario.name)
            .file_of("simulation.households");
        let pop = PopulationModel::new(&loaded.scenario, &file)?;
        let regions = regions(&pop.strata, loaded.scenario.metrics.by_province);
        Ok(Model {
            loaded: loaded.clone(),
            pop,
            regions,
        })
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
    /// Logs of the standards, the lines and the income index (computed once, not per household).
    pub ln_standards: Vec<f64>,
    pub ln_lines: Vec<f64>,
    pub ln_income_index: Vec<f64>,
    pub disaster: DisasterTable,
}

impl RepTables {
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
        let ln_standards = (0..lines.len())
            .map(|i| standards.get(i / years, i % years).ln())
            .collect();
        let ln_lines = lines.iter().map(|l| l.ln()).collect();
        let ln_income_index = paths.income_index.iter().map(|x| x.ln()).collect();
        RepTables {
            paths,
            standards,
            lines,
            ln_standards,
            ln_lines,
            ln_income_index,
            disaster,
        }
    }
}

/// Counters of a run: `[scenario][replication]`.
#[derive(Debug, Clone, PartialEq)]
pub struct RunCounters {
    pub per_scenario: Vec<Vec<Counters>>,
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
            && m.pop.strata.strata.len() == models[0].pop.strata.strata.len();
        if !same {
            return Err(Error::Usage(format!(
                "scenarios `{}` and `{}` differ in their simulation settings (households, replications, seed, \
                 years, start_year, burn_in_months or strata); compared scenarios must share them",
                models[0].scenario().name,
                m.scenario().name
            )));
        }
    }
    Ok(())
}

/// Simulate every replication of every scenario on common households and shocks.
pub fn run(models: &[Model], opts: &RunOptions) -> Result<RunCounters> {
    if models.is_empty() {
        return Err(Error::Usage("no scenario to run".into()));
    }
    check_compatible(models)?;
    let sim = models[0].scenario().simulation.clone();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads)
        .build()
        .map_err(|e| Error::Internal(format!("thread pool: {e}")))?;
    let n = sim.households;
    let chunk = sim.chunk_size as u64;
    let chunks = n.div_ceil(chunk);
    let mut per_scenario: Vec<Vec<Counters>> = vec![Vec::new(); models.len()];
    for rep in 0..sim.replications {
        let tables: Vec<RepTables> = models.iter().map(|m| RepTables::new(m, rep)).collect();
        let zero = || -> Vec<Counters> {
            models
                .iter()
                .map(|m| Counters::new(m.pop.strata.strata.len(), sim.years as usize))
                .collect()
        };
        let acc = pool.install(|| {
            (0..chunks)
                .into_par_iter()
                .fold(zero, |mut acc, j| {
                    for i in j * chunk..((j + 1) * chunk).min(n) {
                        for (k, m) in models.iter().enumerate() {
                            simulate_household(m, &tables[k], rep, i, &mut acc[k]);
                        }
                    }
                    if let Some(pb) = &opts.progress {
                        pb.inc(1);
                    }
                    acc
                })
                .reduce(zero, |mut a, b| {
                    for (x, y) in a.iter_mut().zip(&b) {
                        x.merge(y);
                    }
                    a
                })
        });
        for (k, counters) in acc.into_iter().enumerate() {
            per_scenario[k].push(counters);
        }
    }
    Ok(RunCounters { per_scenario })
}

/// Work items of a run (for sizing a progress bar).
pub fn work_items(models: &[Model]) -> u64 {
    let sim = &models[0].scenario().simulation;
    sim.households.div_ceil(sim.chunk_size as u64) * sim.replications as u64
}

/// What a household-year's months share, for the out-of-line recording path.
struct YearFacts {
    standard: f64,
    ln_standard: f64,
    line: f64,
    ln_line: f64,
    /// Log of the higher of line and standard: below it, a month needs recording.
    ln_near: f64,
    size: f64,
    k: i64,
    medical_share: f64,
    /// Education spending, yuan per household per month.
    education: f64,
    /// Extra medical spending while ill, months of permanent per-capita income.
    ill_cost: f64,
    /// Log permanent per-capita income at this year's income level.
    log_income_perm: f64,
}

impl YearFacts {
    /// Record a month of a household that receives or is below a line; returns whether it is
    /// poor after transfers.
    #[inline(never)]
    fn record(
        &self,
        local: &mut [i64; c::N],
        dib: &crate::programs::dibao::DibaoParams,
        dh: &DibaoHousehold,
        ly: f64,
        paid: f64,
        ill: bool,
    ) -> bool {
        let k = self.k;
        let recipient = paid > 0.0;
        let eligible = dib.passes(dh, ly, self.ln_standard, self.standard);
        let poor = ly < self.ln_standard;
        let pre_poor = ly < self.ln_line;
        let y = ly.exp();
        let y_post = y + paid / self.size;
        let poor_post = y_post < self.line;
        if recipient {
            local[c::COST_DIBAO_FEN] += fen(paid);
            local[c::RECIP_HH_MONTHS] += 1;
        }
        local[c::POOR_HH_MONTHS] += poor as i64;
        local[c::POOR_RECIP_HH_MONTHS] += (poor && recipient) as i64;
        local[c::ELIG_HH_MONTHS] += eligible as i64;
        local[c::ELIG_RECIP_HH_MONTHS] += (eligible && recipient) as i64;
        local[c::INELIG_RECIP_HH_MONTHS] += (recipient && !eligible) as i64;
        if pre_poor {
            let g = (self.line - y) / self.line;
            local[c::PRE_POOR_HH_MONTHS] += 1;
            local[c::PRE_POOR_PERSON_MONTHS] += k;
            local[c::PRE_GAP1] += (g * GAP_SCALE).round() as i64 * k;
            local[c::PRE_GAP2] += (g * g * GAP_SCALE).round() as i64 * k;
            let ill_extra = if ill {
                self.ill_cost * self.log_income_perm.exp()
            } else {
                0.0
            };
            let essential = self.medical_share * y * self.size + self.education + ill_extra;
            local[c::ESSENTIAL_POOR_FEN] += fen(essential);
        }
        if poor_post {
            let g = (self.line - y_post) / self.line;
            local[c::POST_POOR_PERSON_MONTHS] += k;
            local[c::POST_GAP1] += (g * GAP_SCALE).round() as i64 * k;
            local[c::POST_GAP2] += (g * g * GAP_SCALE).round() as i64 * k;
        }
        poor_post
    }
}

#[inline]
fn fen(yuan: f64) -> i64 {
    (yuan * 100.0).round() as i64
}

/// Simulate household `index` of replication `rep` under one scenario, adding to `acc`.
///
/// Incomes stay in logs: the means test and the poverty line compare logs, and `exp` is taken
/// only for households below a line or receiving, a small minority, which keeps the inner loop
/// close to the cost of drawing its random numbers.
pub fn simulate_household(
    model: &Model,
    tables: &RepTables,
    rep: u32,
    index: u64,
    acc: &mut Counters,
) {
    let s = model.scenario();
    let sim = &s.simulation;
    let d = &s.dynamics;
    let dib = &s.programs.dibao;
    let members = &s.population.members;
    let spending = &s.population.spending;
    let mut hh = model.pop.household(sim, rep, index);
    let st_idx = hh.stratum as usize;
    let mut income = IncomeState::new(d, &hh, sim, rep);
    let mut behaviour = stream(sim.seed, rep, index, Purpose::Behaviour);
    let mut admin = stream(sim.seed, rep, index, Purpose::Admin);
    let take_up_u: f64 = behaviour.random();
    let draw_apply = dib.take_up.monthly_apply_prob < 1.0;
    let draw_error = dib.assessment.error_sd > 0.0;
    let mut draws = move || DibaoDraws {
        apply_u: if draw_apply { behaviour.random() } else { 0.0 },
        assess_z: if draw_error {
            admin.sample(StandardNormal)
        } else {
            0.0
        },
    };
    let mut dh = DibaoHousehold::new(dib, &hh, members, take_up_u, 1.0);
    let mut has_worker = hh.workers(members) > 0;
    let mut pupils = hh.pupils(members) as f64;
    let mut state = DibaoState::default();
    let disaster = tables.disaster.row(st_idx);
    let burn = sim.burn_in_months as i32;
    let years = sim.years as usize;
    let months = (years * 12) as i32;

    // Burn-in at start-year incomes and standards, so the caseload starts in its steady state.
    let standard0 = tables.standards.get(st_idx, 0);
    let ln_standard0 = standard0.ln();
    for b in 0..burn {
        let mi = income.step(d, &hh, has_worker, 0.0, disaster[b as usize]);
        let dr = draws();
        if dib.enabled {
            dib.month(
                &mut state,
                &dh,
                b - burn,
                mi.log_per_capita,
                standard0,
                ln_standard0,
                dr,
            );
        }
    }

    let k = hh.size as i64;
    let size = hh.size as f64;
    let mut assist = SpellTracker::new(false);
    let mut poverty = SpellTracker::new(false);
    for t in 0..years {
        if t > 0 {
            income.age_one_year(d, &mut hh, members);
            dh = DibaoHousehold::new(dib, &hh, members, take_up_u, tables.paths.price_index[t]);
            has_worker = hh.workers(members) > 0;
            pupils = hh.pupils(members) as f64;
        }
        let standard = tables.standards.get(st_idx, t);
        let ln_standard = tables.ln_standards[st_idx * years + t];
        let ln_index = tables.ln_income_index[t];
        let ln_line = tables.ln_lines[st_idx * years + t];
        let year = YearFacts {
            standard,
            ln_standard,
            line: tables.lines[st_idx * years + t],
            ln_line,
            ln_near: ln_line.max(ln_standard),
            size,
            k,
            medical_share: spending.medical_share_of_income,
            education: pupils * spending.education_per_pupil * tables.paths.price_index[t],
            ill_cost: d.shocks.illness.medical_cost_months,
            log_income_perm: hh.log_income_perm + ln_index,
        };
        let mut fall_base = false;
        let mut fell = false;
        for half in 0..2 {
            // Monthly counters gather on the stack and are added once per half-year.
            let mut local = [0i64; c::N];
            for mh in 0..6 {
                let mm = half * 6 + mh;
                let m = (t * 12 + mm) as i32;
                let mi = income.step(d, &hh, has_worker, ln_index, disaster[(burn + m) as usize]);
                let ly = mi.log_per_capita;
                let dr = draws();
                let paid = if dib.enabled {
                    dib.month(&mut state, &dh, m, ly, standard, ln_standard, dr)
                } else {
                    0.0
                };
                let recipient = paid > 0.0;
                // Most household-months are far above every line and receive nothing: they
                // touch no counter here. The rest take the out-of-line path.
                let poor_post = if recipient || ly < year.ln_near {
                    year.record(&mut local, dib, &dh, ly, paid, mi.ill)
                } else {
                    false
                };
                if m == 0 {
                    assist = SpellTracker::new(recipient);
                    poverty = SpellTracker::new(poor_post);
                } else {
                    assist.step(m, recipient, months, acc, st_idx, c::ASSIST);
                    poverty.step(m, poor_post, months, acc, st_idx, c::POVERTY);
                }
                if mm == 0 {
                    fall_base = !poor_post;
                } else if fall_base && poor_post {
                    fell = true;
                }
            }
            local[c::HH_MONTHS] = 6;
            local[c::PERSON_MONTHS] = 6 * k;
            local[c::RECIP_PERSON_MONTHS] = local[c::RECIP_HH_MONTHS] * k;
            local[c::STANDARD_PERSON_FEN] = 6 * k * fen(standard);
            let slot = acc.slot(st_idx, t, half);
            for (a, b) in slot.iter_mut().zip(&local) {
                *a += b;
            }
        }
        let slot = acc.slot(st_idx, t, 1);
        slot[c::FALL_BASE] += fall_base as i64;
        slot[c::FALL_IN] += fell as i64;
    }
}
