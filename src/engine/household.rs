//! One household's whole trajectory under one scenario: generated from its key, a burn-in,
//! then every month of the horizon, the enabled programs' steps in their declared order
//! (`programs::Rules`), counters left behind.
//!
//! Incomes stay in logs. A month in which the household is above every line that matters to
//! the scenario (the poverty line, the local standard and each enabled program's own line),
//! is in no program's procedure and has no shock takes the fast path: it only draws its random
//! numbers (so streams stay aligned across scenarios) and updates its spell trackers.
//! Everything else goes through `steps`, out of line. A run of fast months that fills a whole
//! window of the persistent income term, far enough above `ln_near` on the bound of
//! `simulation.skip_tolerance`, is skipped without drawing its months (`dynamics::Windows`).

use super::{Model, RepTables};
use crate::counters::{c, Counters, GapSums, SpellTracker};
use crate::dynamics::{DynamicsParams, IncomeState, MonthIncome, PastIncome, Renewal, Windows};
use crate::population::Household;
use crate::programs::{
    charity, compiled, fen, HouseholdKey, Households, Ledger, MonthCtx, Rules, YearCtx, PROGRAMS,
};

/// What the engine keeps per household-year beside the programs' own facts.
struct Year {
    /// Poverty line where the household lives, yuan per person per month, and its log.
    line: f64,
    ln_line: f64,
    /// At or above this log income a month needs no step: the highest of the poverty line,
    /// the local standard (coverage of the poor) and every enabled program's line.
    ln_near: f64,
    /// Extra medical spending in a month of illness is this many months of permanent
    /// per-capita income, whose log is `ln_ill_base` (taken only in an illness month).
    ill_months: f64,
    ln_ill_base: f64,
    /// An illness month needs the steps this year (`Rules::illness_matters_for`).
    illness_matters: bool,
    /// The programs' yearly facts wait for the first month that takes the steps (their
    /// lines follow from the year's context alone, `Rules::line`).
    facts_due: bool,
    /// The programs whose yearly facts are made before the others' (`Rules::line_part`'s
    /// mask): the others' are the ones due.
    made: u16,
    /// Those facts wait too, for the first month below `ln_near` (or with a shock, an illness
    /// that may matter, or a busy program), and `ln_near` and `illness_matters` are the
    /// bounds of `Rules::line_bound` until then; `part` is the line's part from the year's
    /// context (`RepTables::near_parts`).
    lines_due: bool,
    part: f64,
}

impl Year {
    /// The lines `lines_due` left: the yearly facts of the programs in `made` and the fast
    /// path's line and illness test they give (at or below the bounds used until now).
    #[inline(never)]
    fn make_lines<const SET: u16>(&mut self, rules: &Rules, progs: &mut Households, yc: &YearCtx) {
        self.ln_near = self.part.max(rules.year_lines::<SET>(progs, yc, self.made));
        self.illness_matters =
            rules.illness_matters && rules.illness_matters_for::<SET>(progs, self.made);
        self.lines_due = false;
    }
}

/// The household's standing beside the programs': what the metrics track across months.
struct Standing<'a> {
    was_poor: bool,
    regular_last: bool,
    /// Month of the last shock not yet followed by regular assistance (i32::MIN: none).
    last_shock: i32,
    /// Some program is busy with the household (see `Step::busy`): set after the steps, the
    /// only place a program's standing changes.
    busy: bool,
    /// The month the programs take up whoever is eligible and willing (`simulation.start`),
    /// or `i32::MIN`.
    enrol_at: i32,
    /// At `simulation.start = "replayed"`, the past dibao replays in the month `enrol_at`,
    /// set in that month before the steps.
    replay: Option<PastIncome<'a>>,
}

/// What a month leaves for the trackers.
struct MonthEnd {
    regular: bool,
    poor_post: bool,
    /// Cash received this month from government programs, yuan per household (charity is
    /// settled after the run).
    cash: f64,
    /// Bit `r` set: the household had a charity claim of priority rank `r` this month.
    claimed: u8,
}

/// What a simulated household tells its caller.
#[derive(Debug, Clone, Copy)]
pub struct Trajectory {
    /// Its stratum: every counter it left is in this stratum's slots.
    pub stratum: usize,
    /// Bit `r` set: it had a charity claim of priority rank `r` in some month of the horizon.
    pub charity_ranks: u8,
    /// Months (burn-in included) skipped on the bound of `simulation.skip_tolerance`.
    pub skipped_months: u32,
}

/// One household-year, for benefit-incidence tables and poverty on the year's income (filled
/// only when asked for).
#[derive(Debug, Clone, Copy, Default)]
pub struct YearSummary {
    /// Stratum of the household.
    pub stratum: u16,
    /// Members.
    pub size: u8,
    /// Pre-transfer per-capita income over the year, yuan per person.
    pub income_pc: f64,
    /// Cash received over the year from the programs that pay in the month, fen, each month
    /// rounded to the fen (charity, settled after the run, is not in it).
    pub cash_fen: i64,
    /// Months poor after transfers.
    pub poor_months: u8,
    /// The household was replaced as the year began (everyone died, or an arriving household
    /// took its place): the year before was another household's.
    pub replaced: bool,
}

/// Half a fen, yuan: each month's cash is rounded to the fen (`programs::fen`) before it is
/// summed, so a year's cash can fall short of what was paid by up to this much a month.
const HALF_FEN: f64 = 0.005;

/// (poor after transfers, poor before) on the year's income: the year's per-capita income,
/// plus the year's cash per person, against twelve months of `line` (yuan per person per
/// month; the engine holds one line per stratum and year). A household topped up to the line
/// every month is not poor: the cash's roundings (half a fen a month at most) are allowed for.
pub fn annual_poor(s: &YearSummary, line: f64) -> (bool, bool) {
    let k = s.size.max(1) as f64;
    let post = s.income_pc + (s.cash_fen as f64 / 100.0 + 12.0 * HALF_FEN) / k;
    (post < 12.0 * line, s.income_pc < 12.0 * line)
}

/// Simulate household `index` of replication `rep` under one scenario, adding to `acc`.
pub fn simulate_household(
    model: &Model,
    tables: &RepTables,
    rep: u32,
    index: u64,
    acc: &mut Counters,
) -> Trajectory {
    simulate_household_summary(model, tables, rep, index, acc, None)
}

/// As [`simulate_household`], also filling one [`YearSummary`] per year when `summary` is given
/// (this takes `exp` of income every month, so it is only done for incidence tables and
/// `metrics.annual_poverty`).
pub fn simulate_household_summary(
    model: &Model,
    tables: &RepTables,
    rep: u32,
    index: u64,
    acc: &mut Counters,
    summary: Option<&mut [YearSummary]>,
) -> Trajectory {
    // Copies: without a summary, the monthly `exp` is not even there to be speculated (the
    // optimiser hoists a pure call out of its branch); either way, the month is compiled for
    // the smallest set of programs that holds the enabled ones (`Rules::compiled`), so it
    // carries nothing of the others.
    macro_rules! by_set {
        ($want:literal, $summary:expr) => {
            match tables.compiled() {
                compiled::DIBAO => {
                    simulate::<$want, { compiled::DIBAO }>(model, tables, rep, index, acc, $summary)
                }
                compiled::SYSTEM_2023 => simulate::<$want, { compiled::SYSTEM_2023 }>(
                    model, tables, rep, index, acc, $summary,
                ),
                compiled::FULL_SYSTEM_2023 => simulate::<$want, { compiled::FULL_SYSTEM_2023 }>(
                    model, tables, rep, index, acc, $summary,
                ),
                _ => simulate::<$want, { compiled::ALL }>(model, tables, rep, index, acc, $summary),
            }
        };
    }
    if summary.is_some() {
        by_set!(true, summary)
    } else {
        by_set!(false, None)
    }
}

#[inline(always)]
fn simulate<const WANT_INCOME: bool, const SET: u16>(
    model: &Model,
    tables: &RepTables,
    rep: u32,
    index: u64,
    acc: &mut Counters,
    mut summary: Option<&mut [YearSummary]>,
) -> Trajectory {
    let want_income = WANT_INCOME;
    let s = model.scenario();
    let sim = &s.simulation;
    let d = &s.dynamics;
    let members = &s.population.members;
    let rules = &model.rules;
    // One key for every stream of the household.
    let key = HouseholdKey::new(sim.seed, rep, index);
    let mut hh = model
        .pop
        .household_of_unit(sim, rep, index, key.unit(), tables.assets_read);
    let st_idx = hh.stratum as usize;
    // The poor areas' log income multipliers by year (`dynamics.income.poor_area`), if any.
    let poor_area = |hh: &crate::population::Household| {
        let pa = tables.paths.poor_area.as_ref()?;
        pa.of(hh, &model.pop.strata.strata[st_idx], sim.seed, rep)
    };
    let mut pa_ln = poor_area(&hh);
    let pa_ln0 = pa_ln.map_or(0.0, |v| v[0]);
    let mut income = IncomeState::of_unit(&hh, key.unit(), tables.shock_rates);
    // Its standing with the programs. When every line follows from the year's context
    // (`RepTables::static_near`: no year reads the household's facts before a month takes the
    // steps) and a household the programs have not met is busy with none
    // (`RepTables::fresh_idle`), it is made at the first month that takes the steps: most
    // households of the reference model never take one. The same either way: the standing
    // is a pure function of the household's key, and nothing reads it before.
    let lazy = tables.fresh_idle && tables.static_near.is_some();
    let fresh = || (!lazy).then(|| rules.household_in::<SET>(&key));
    let mut progs = fresh();
    // Its programs whose line counts for nothing in the bound of `year_facts` (`Rules::inert`;
    // read only where some line does not follow from the context, where `progs` is made).
    let inert_of = |progs: &Option<Households>| progs.as_ref().map_or(0, |p| rules.inert::<SET>(p));
    let mut inert = inert_of(&progs);
    // Whether the household has a worker is asked only when a job loss starts (`ShockClock`),
    // of the household as it is that month (it changes only in January): none can start
    // without its chance.
    let job_loss = d.shocks.job_loss.monthly_prob > 0.0;
    // Births and deaths are recorded only where population change can make them; without
    // it the members' ages are a function of their start ages (`elderly_from_start_ages`).
    let demography_on = members.ageing && model.pop.demography.enabled();
    let start_members = (hh.size, hh.members);
    let mut standing = Standing {
        was_poor: false,
        regular_last: false,
        last_shock: i32::MIN,
        busy: false,
        enrol_at: match sim.start {
            crate::simulation::Start::Empty => i32::MIN,
            crate::simulation::Start::Enrolled | crate::simulation::Start::Replayed => {
                -(sim.burn_in_months as i32)
            }
        },
        replay: None,
    };
    let replaying = sim.start == crate::simulation::Start::Replayed;
    let disaster = tables.disaster.row(st_idx);
    let burn = sim.burn_in_months as i32;
    let years = sim.years as usize;
    let months = (years * 12) as i32;
    let mut last_income = 0.0f64;

    let dstart = &tables.disaster_start[st_idx * disaster.len()..(st_idx + 1) * disaster.len()];
    let grid = &tables.window_end[st_idx * disaster.len()..(st_idx + 1) * disaster.len()];
    let windows = &tables.windows;
    let mut skipped = 0u32;
    // The household's stratum's rows of the year table (`RepTables::year_rows`) and, when the
    // fast path's line follows from the context, of the line table (per migrant or not: made
    // again when a renewal draws a new household).
    let rows = &tables.year_rows[st_idx * years..(st_idx + 1) * years];
    let near_of = |hh: &Household| {
        let r = (st_idx * 2 + hh.migrant as usize) * years;
        tables.static_near.as_ref().map(|n| &n[r..r + years])
    };
    let mut near = near_of(&hh);

    // One month's income and the shocks that start in it.
    macro_rules! income_month {
        ($mb:expr, $ln_index:expr) => {{
            let mb: usize = $mb;
            let mi = income.step(
                d,
                windows,
                &hh,
                || job_loss && hh.workers(members) > 0,
                $ln_index,
                disaster[mb],
                grid[mb],
            );
            (mi, mi.shock_kinds | dstart[mb])
        }};
    }

    // A month's steps: the replayed start's first month (`$first`) has a copy of its own, so
    // that the other months' steps carry no replay (`steps`' `REPLAY`; a function pointer
    // chosen per month instead cost 3 instructions a household-month).
    // A month that may take the programs' idle forms (`$idle`: `Rules::quiet_month`)
    // has a copy too, so that the others' code carries none of them (with the idle forms in
    // the one copy, the full system, which has none, ran 2.4 % more instructions; dispatched
    // at the top of `steps` instead, the baseline ran 0.6 % more than here).
    macro_rules! steps_of {
        ($first:expr, $idle:expr; $($arg:expr),*) => {
            if $first {
                steps::<SET, true, false>($($arg),*)
            } else if $idle {
                steps::<SET, false, true>($($arg),*)
            } else {
                steps::<SET, false, false>($($arg),*)
            }
        };
    }

    // The rest of a month: the fast path or the steps.
    macro_rules! month_rest {
        ($mi:expr, $kinds:expr, $yc:expr, $t:expr, $year:expr, $m:expr, $local:expr, $gaps:expr) => {{
            let mi: MonthIncome = $mi;
            let kinds: u8 = $kinds;
            let ly = mi.log_per_capita;
            if want_income {
                last_income = ly.exp();
            }
            let year: &mut Year = $year;
            // The fast-path test; a month that fails it on the bounds makes the year's lines.
            let fast = |year: &Year| {
                kinds == 0
                    && !(mi.ill && year.illness_matters)
                    && ly >= year.ln_near
                    && !standing.busy
            };
            let mut is_fast = fast(year);
            if !is_fast && year.lines_due {
                let yc: &YearCtx = $yc.get_or_insert_with(|| year_ctx(model, tables, &hh, $t));
                let p = progs.get_or_insert_with(|| {
                    let p = rules.household_in::<SET>(&key);
                    debug_assert!(
                        !rules.busy(&p),
                        "a new standing must not be busy (Step::busy)"
                    );
                    p
                });
                year.make_lines::<SET>(rules, p, yc);
                is_fast = fast(year);
            }
            if is_fast {
                standing.was_poor = false;
                MonthEnd {
                    regular: false,
                    poor_post: false,
                    cash: 0.0,
                    claimed: 0,
                }
            } else {
                // The year's context, when it was left for a month that needs it.
                let yc: &YearCtx = $yc.get_or_insert_with(|| year_ctx(model, tables, &hh, $t));
                let p = progs.get_or_insert_with(|| {
                    let p = rules.household_in::<SET>(&key);
                    debug_assert!(
                        !rules.busy(&p),
                        "a new standing must not be busy (Step::busy)"
                    );
                    p
                });
                if year.facts_due {
                    let _line = rules.facts::<SET>(p, yc, year.made);
                    // The line table's row is the household's own line; a line made with some
                    // facts left is at least the line of those left.
                    let _own = year.ln_line.max(yc.ln_local_standard).max(_line);
                    debug_assert!(
                        if tables.static_near.is_some() && !tables.step_every_month {
                            year.ln_near == _own
                        } else {
                            year.ln_near >= _own
                        },
                        "the line table's row differs from the household's own line"
                    );
                    year.facts_due = false;
                }
                // A month with no shock of a household no program is busy with may be quiet
                // for every program (`Step::quiet`).
                let end = steps_of!(
                    replaying && $m == standing.enrol_at, !standing.busy && kinds == 0;
                    rules,
                    p,
                    yc,
                    year,
                    &mut standing,
                    $m,
                    ly,
                    kinds,
                    mi.ill,
                    $local,
                    $gaps
                );
                // Only the steps change a program's standing.
                standing.busy = rules.busy_in::<SET>(p);
                end
            }
        }};
    }

    // The engine's facts of year `t` (`year_facts`), the household's log income index
    // `ln_index` that year.
    macro_rules! year_of {
        ($t:expr, $ln_index:expr, $yc:expr) => {{
            let t: usize = $t;
            year_facts::<SET>(
                model,
                tables,
                rules,
                &mut progs,
                inert,
                &hh,
                &rows[t],
                near.map(|n| n[t]),
                t,
                $ln_index,
                $yc,
            )
        }};
    }

    // Months that would take the fast path and leave nothing to record (no program is busy
    // with the household, no spell is running, no summary) run ahead
    // in `fast_run`; it stops at the first month that needs more, already stepped.
    macro_rules! quiet {
        () => {
            !WANT_INCOME && !standing.busy
        };
    }

    // Burn-in at start-year incomes and standards, so the caseload starts in its steady state.
    // Without one (the reference model) no year-0 facts are made here: the first year makes
    // its own (a program's yearly facts are made afresh each time, `Step::year`).
    if burn == 0 {
        standing.busy = busy_of::<SET>(rules, &progs);
    } else {
        let mut yc = None;
        let mut year0 = year_of!(0, pa_ln0, &mut yc);
        // A replayed start looks at every household in its first month: one far above every
        // line now may be on the roll after its past (awaiting a review or a gradual exit).
        standing.busy = replaying || busy_of::<SET>(rules, &progs);
        // The burn-in's steps count into a scratch slot.
        {
            let mut scratch = [0i64; c::N];
            let mut scratch_gaps = GapSums::default();
            let mut mb = 0usize;
            while mb < burn as usize {
                let (mi, kinds) = if quiet!() {
                    let (next, pending, skip) = fast_run(
                        &mut income,
                        d,
                        windows,
                        &hh,
                        pa_ln0,
                        disaster,
                        dstart,
                        grid,
                        mb..burn as usize,
                        year0.ln_near,
                        year0.illness_matters,
                    );
                    if next > mb {
                        standing.was_poor = false;
                    }
                    mb = next;
                    skipped += skip;
                    match pending {
                        Some(p) => p,
                        None if mb == burn as usize => break,
                        None => income_month!(mb, pa_ln0),
                    }
                } else {
                    income_month!(mb, pa_ln0)
                };
                // The replayed start's past, for the programs' first month (stepped, as
                // `busy` is set for it).
                if replaying && mb == 0 {
                    standing.replay = Some(income.past_income(
                        d,
                        job_loss && hh.workers(members) > 0,
                        disaster[0],
                        sim,
                    ));
                }
                month_rest!(
                    mi,
                    kinds,
                    yc,
                    0,
                    &mut year0,
                    mb as i32 - burn,
                    &mut scratch,
                    &mut scratch_gaps
                );
                mb += 1;
            }
        }
    }

    let mut assist = SpellTracker::new(false);
    let mut poverty = SpellTracker::new(false);
    let mut claimed = 0u8;
    // The half-years' gap sums, rounded once when the year closes (`GapSums::flush` leaves
    // them at zero for the next year, as a half-year with nothing recorded already is).
    let mut gaps = [GapSums::default(); 2];
    // Asked by the January step only of a household that retires (households keep their
    // stratum, so its region is the household's for good).
    let urban = model.pop.strata.strata[st_idx].region == crate::population::Region::Urban;
    let supported =
        |h: &crate::population::Household, year: i32| rules.has_supporter(&key, h, urban, year);
    for t in 0..years {
        let mut replaced = false;
        if t > 0 {
            let yv = &tables.demog_years[t];
            let renewal = income.age_one_year(d, &mut hh, members, &model.pop, yv, &supported);
            replaced = renewal != Renewal::Kept;
            if replaced {
                // Everyone died: a new household from the stratum, unknown to the programs.
                progs = fresh();
                inert = inert_of(&progs);
                standing.busy = busy_of::<SET>(rules, &progs);
                pa_ln = poor_area(&hh);
                near = near_of(&hh);
            }
            if renewal == Renewal::Arrived {
                // The household replaced by an arrival is still in town (the others' weights
                // carry it): its spells leave observation, they do not end, so no exit counts.
                assist = SpellTracker::new(false);
                poverty = SpellTracker::new(false);
            }
        }
        let row = &rows[t];
        let mut ln_index = row.ln_index;
        if let Some(v) = pa_ln {
            ln_index += v[t];
        }
        let mut yc = None;
        let mut year = year_of!(t, ln_index, &mut yc);
        let mut fall_base = false;
        let mut fell = false;
        if WANT_INCOME {
            if let Some(sum) = summary.as_deref_mut() {
                sum[t] = YearSummary {
                    stratum: hh.stratum,
                    size: hh.size,
                    replaced,
                    ..YearSummary::default()
                };
            }
        }
        // The months of the year in one run: a fast month counts nothing, so the quiet
        // months run ahead across the half-years; a month that takes the steps counts into
        // its half-year's slot.
        let mut mm = 0usize;
        while mm < 12 {
            let (mi, kinds) = if quiet!() && !assist.in_state() && !poverty.in_state() {
                // A fast month with no spell running changes no tracker (month 0 would
                // start them out of their state, as they are); it only sets the year's
                // fall-into-poverty base when it is the year's first month.
                let from = burn as usize + t * 12 + mm;
                let (next, pending, skip) = fast_run(
                    &mut income,
                    d,
                    windows,
                    &hh,
                    ln_index,
                    disaster,
                    dstart,
                    grid,
                    from..burn as usize + t * 12 + 12,
                    year.ln_near,
                    year.illness_matters,
                );
                if next > from {
                    standing.was_poor = false;
                    if mm == 0 {
                        fall_base = true;
                    }
                }
                mm += next - from;
                skipped += skip;
                match pending {
                    Some(p) => p,
                    None if mm == 12 => break,
                    None => income_month!(next, ln_index),
                }
            } else {
                income_month!(burn as usize + t * 12 + mm, ln_index)
            };
            let m = (t * 12 + mm) as i32;
            let half = mm / 6;
            let end = month_rest!(
                mi,
                kinds,
                yc,
                t,
                &mut year,
                m,
                acc.slot(st_idx, t, half),
                &mut gaps[half]
            );
            if WANT_INCOME {
                if let Some(sum) = summary.as_deref_mut() {
                    let ys = &mut sum[t];
                    ys.cash_fen += fen(end.cash);
                    ys.income_pc += last_income;
                    ys.poor_months += end.poor_post as u8;
                }
            }
            claimed |= end.claimed;
            if m == 0 {
                assist = SpellTracker::new(end.regular);
                poverty = SpellTracker::new(end.poor_post);
            } else {
                assist.step(m, end.regular, months, acc, st_idx, c::ASSIST);
                poverty.step(m, end.poor_post, months, acc, st_idx, c::POVERTY);
            }
            if mm == 0 {
                fall_base = !end.poor_post;
            } else if fall_base && end.poor_post {
                fell = true;
            }
            mm += 1;
        }
        // As `YearCtx::k` and `local_standard` (the context may not have been needed).
        let k = hh.size as i64;
        // The average standard where people live (as published), not where they apply.
        let standard_fen = 6 * k * row.fen_standard;
        // The year's two half-year slots (`Counters::slot`), taken together.
        let slots = acc.year_slots(st_idx, t);
        if demography_on {
            // Deaths, births and departures change who is there: the year's events and its
            // persons aged 60+, as the year started (the household and its January step's
            // events change only in January), recorded with the year's other counts.
            demography_counts(slots, t, &hh, &income);
        }
        for (slot, g) in slots.iter_mut().zip(gaps.iter_mut()) {
            g.flush(k, slot);
            slot[c::HH_MONTHS] += 6;
            slot[c::PERSON_MONTHS] += 6 * k;
            slot[c::STANDARD_PERSON_FEN] += standard_fen;
        }
        let slot = &mut slots[1];
        slot[c::FALL_BASE] += fall_base as i64;
        slot[c::FALL_IN] += fell as i64;
    }
    if !demography_on {
        elderly_from_start_ages(acc, st_idx, years, start_members, members);
    }
    Trajectory {
        stratum: st_idx,
        charity_ranks: claimed,
        skipped_months: skipped,
    }
}

/// Year `t`'s counts of population change as the year starts, after its January step, into
/// the year's two half-year `slots` (`Counters::year_slots`): that step's births and deaths
/// (`IncomeState::january`, in the first half: the year starts with them) and the
/// person-months aged 60 or more (`population::STAT_ELDERLY_AGE`). Out of line, as
/// [`elderly_from_start_ages`].
#[inline(never)]
fn demography_counts(slots: &mut [[i64; c::N]; 2], t: usize, hh: &Household, income: &IncomeState) {
    if t > 0 {
        let ev = income.january;
        let slot = &mut slots[0];
        slot[c::BIRTHS] += ev.born as i64;
        slot[c::DEATHS] += ev.died as i64;
    }
    let elderly = 6 * hh.elderly() as i64;
    for slot in slots.iter_mut() {
        slot[c::ELDERLY_PERSON_MONTHS] += elderly;
    }
}

/// Without population change no one joins or leaves, so each member's ages follow from their
/// start age (`start`: size and members), one year more each January with
/// `population.members.ageing` (up to `max_age`). Records, per member, 6 person-months in
/// each half of the first year in which they are 60 or more (`population::STAT_ELDERLY_AGE`):
/// the replication's sum over years ([`Counters::cumulate_years`]) then gives each year's
/// persons aged 60+. Per member, not per year: per year it cost the reference model about 2
/// instructions a household-month (callgrind). Out of line, after the household's years.
#[inline(never)]
fn elderly_from_start_ages(
    acc: &mut Counters,
    st_idx: usize,
    years: usize,
    start: (
        u8,
        [crate::population::Member; crate::population::MAX_MEMBERS],
    ),
    m: &crate::population::MemberParams,
) {
    let (size, members) = start;
    let line = crate::population::STAT_ELDERLY_AGE;
    for p in &members[..size as usize] {
        let first = if p.age >= line {
            0
        } else if m.ageing && m.max_age >= line {
            (line - p.age) as usize
        } else {
            continue;
        };
        if first < years {
            for slot in acc.year_slots(st_idx, first).iter_mut() {
                slot[c::ELDERLY_PERSON_MONTHS] += 6;
            }
        }
    }
}

/// [`Rules::busy_in`] of a household's standing, when it was made (one not made yet is busy
/// with no program, `RepTables::fresh_idle`).
#[inline(always)]
fn busy_of<const SET: u16>(rules: &Rules, progs: &Option<Households>) -> bool {
    progs.as_ref().is_some_and(|p| rules.busy_in::<SET>(p))
}

/// The facts of year `t` every program may read: the row of the household's stratum,
/// migrant or not, and year (`RepTables::ctx_rows`) with the household's own.
#[inline]
fn year_ctx<'a>(model: &'a Model, tables: &RepTables, hh: &'a Household, t: usize) -> YearCtx<'a> {
    let s = model.scenario();
    let years = s.simulation.years as usize;
    let st = hh.stratum as usize;
    let r = &tables.ctx_rows[(st * 2 + hh.migrant as usize) * years + t];
    let members = &s.population.members;
    YearCtx {
        hh,
        members,
        t,
        year: r.year,
        standard: r.standard,
        ln_standard: r.ln_standard,
        local_standard: r.local_standard,
        ln_local_standard: r.ln_local_standard,
        price_index: r.price_index,
        standard_index: r.standard_index,
        income_index: r.income_index,
        mean_income: r.mean_income,
        education: hh.pupils(members) as f64
            * s.population.spending.education_per_pupil
            * r.price_index,
        medical_share: s.population.spending.medical_share_of_income,
        quota_cut: tables.quota_cut.as_ref().map(|c| c[st * years + t]),
        quota_record: tables.quota_record,
        size: hh.size as f64,
        k: hh.size as i64,
        urban: r.urban,
    }
}

/// What the engine reads of a household-year beside the programs' context, per (stratum,
/// year), in one row (`RepTables::year_rows`): one look-up a household-year, not four.
#[derive(Debug, Clone, Copy)]
pub struct YearRow {
    /// Poverty line, yuan per person per month (`RepTables::lines`).
    line: f64,
    /// Its natural log (`RepTables::ln_lines`).
    ln_line: f64,
    /// Log of the nominal income multiplier (`RepTables::ln_stratum_income_index`).
    ln_index: f64,
    /// The dibao standard where the household lives, fen per person per month
    /// (`RepTables::fen_standards`).
    fen_standard: i64,
}

/// The rows of [`YearRow`] per (stratum, year).
pub(super) fn year_rows(tables: &RepTables) -> Vec<YearRow> {
    (0..tables.lines.len())
        .map(|i| YearRow {
            line: tables.lines[i],
            ln_line: tables.ln_lines[i],
            ln_index: tables.ln_stratum_income_index[i],
            fen_standard: tables.fen_standards[i],
        })
        .collect()
}

/// The part of a household-year's context that follows from its stratum, migrant or not, and
/// year (see [`CtxRow`]).
fn ctx_row(model: &Model, tables: &RepTables, st: usize, migrant: bool, t: usize) -> CtxRow {
    let s = model.scenario();
    let years = s.simulation.years as usize;
    let app = if migrant {
        model.application_strata[st]
    } else {
        st
    };
    let price_index = tables.paths.price_index[t];
    let region = model.pop.strata.strata[st].region;
    let prior = if t > 0 {
        tables.paths.region_index(region, t - 1)
    } else {
        1.0
    };
    CtxRow {
        year: s.simulation.start_year + t as i32,
        standard: tables.standards.get(app, t),
        ln_standard: tables.ln_standards[app * years + t],
        local_standard: tables.standards.get(st, t),
        ln_local_standard: tables.ln_standards[st * years + t],
        price_index,
        standard_index: tables.standards.get(app, t) / tables.standards.get(app, 0),
        income_index: tables.paths.region_index(region, t),
        mean_income: model.pop.strata.strata[st].target_income_mean * prior,
        urban: region == crate::population::Region::Urban,
    }
}

/// What `YearCtx` holds that is the same for every household of a stratum, migrant or not,
/// and year (units as `YearCtx`'s), made once per replication (`RepTables::ctx_rows`).
#[derive(Debug, Clone, Copy)]
pub struct CtxRow {
    year: i32,
    standard: f64,
    ln_standard: f64,
    local_standard: f64,
    ln_local_standard: f64,
    price_index: f64,
    standard_index: f64,
    income_index: f64,
    mean_income: f64,
    urban: bool,
}

/// The rows of [`CtxRow`] per (stratum, migrant or not, year).
pub(super) fn ctx_rows(model: &Model, tables: &RepTables) -> Vec<CtxRow> {
    let years = model.scenario().simulation.years as usize;
    let strata = model.pop.strata.strata.len();
    (0..strata * 2 * years)
        .map(|i| {
            ctx_row(
                model,
                tables,
                i / (2 * years),
                (i / years) % 2 == 1,
                i % years,
            )
        })
        .collect()
}

/// The fast path's line of year `t` and what a month that takes the steps needs. When every
/// enabled program's line follows from the year's context alone (`Rules::line`), it is read
/// from the replication's table (`RepTables::static_near`) and the year's context and the
/// programs' yearly facts wait for the first month that needs them (`yc` left `None`, and
/// `facts_due`); else both are made now (the context into `yc`).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn year_facts<'a, const SET: u16>(
    model: &'a Model,
    tables: &RepTables,
    rules: &Rules,
    progs: &mut Option<Households>,
    inert: u16,
    hh: &'a Household,
    row: &YearRow,
    static_near: Option<f64>,
    t: usize,
    ln_index: f64,
    yc: &mut Option<YearCtx<'a>>,
) -> Year {
    let s = model.scenario();
    let years = s.simulation.years as usize;
    let st = hh.stratum as usize;
    let ln_line = row.ln_line;
    let mut made = 0;
    let mut part = f64::NEG_INFINITY;
    let mut lines_due = false;
    let (ln_near, illness_matters) = match static_near {
        Some(near) => (near, rules.illness_matters),
        None => {
            // The facts of programs whose line follows from the context wait (`Rules::facts`);
            // the others' wait for a month below their bound, when each has one.
            let derived;
            let row = match &tables.near_parts {
                Some(parts) => &parts[(st * 2 + hh.migrant as usize) * years + t],
                None => {
                    derived = near_part(rules, ln_line, yc.insert(year_ctx(model, tables, hh, t)));
                    &derived
                }
            };
            made = row.mask;
            part = row.near;
            let (bound, ill) = rules.line_bound(inert, row.mask, &row.bounds);
            // Only when the bounds do not raise the line: a higher line (a family that would
            // apply for the marginal band, rigid expenditure's income limit) would skip fewer
            // windows than the household's own, which costs more than the facts.
            if bound <= part && !tables.step_every_month {
                lines_due = true;
                (part.max(bound), rules.illness_matters && ill)
            } else {
                let yc = yc.get_or_insert_with(|| year_ctx(model, tables, hh, t));
                let progs = progs
                    .as_mut()
                    .expect("made with the household where a line is not static");
                (
                    part.max(rules.year_lines::<SET>(progs, yc, row.mask)),
                    rules.illness_matters && rules.illness_matters_for::<SET>(progs, row.mask),
                )
            }
        }
    };
    Year {
        line: row.line,
        ln_line,
        // No month's income is at or above an infinite line.
        ln_near: if tables.step_every_month {
            f64::INFINITY
        } else {
            ln_near
        },
        ill_months: s.dynamics.shocks.illness.medical_cost_months,
        ln_ill_base: hh.log_income_perm + ln_index,
        illness_matters,
        facts_due: true,
        made,
        lines_due,
        part,
    }
}

/// The part of the fast path's line of a household-year that follows from the year's context
/// alone (per stratum, migrant or not, and year: `RepTables::near_parts`).
#[derive(Debug, Clone, Copy)]
pub struct NearPart {
    /// The highest of the poverty line, the local standard and the lines of the programs
    /// whose line follows from the context (`Rules::line_part`), log yuan per person per month.
    pub near: f64,
    /// The programs whose line does not (one bit each, `Rules::line_part`).
    pub mask: u16,
    /// Their bounds (`Rules::line_bounds`), log yuan per person per month.
    pub bounds: [f64; PROGRAMS],
}

/// The [`NearPart`] of the year of `yc` (`ln_line`: the log poverty line).
#[inline]
fn near_part(rules: &Rules, ln_line: f64, yc: &YearCtx) -> NearPart {
    let (line, mask) = rules.line_part(yc);
    NearPart {
        near: ln_line.max(yc.ln_local_standard).max(line),
        mask,
        bounds: rules.line_bounds(yc, mask),
    }
}

/// [`near_part`] per (stratum, migrant or not, year), as `year_facts` would derive it
/// household by household. The context is made for a household of the stratum with no
/// members, which a line that follows from the context alone does not read.
pub(super) fn near_parts(model: &Model, tables: &RepTables) -> Vec<NearPart> {
    let s = model.scenario();
    let years = s.simulation.years as usize;
    let strata = model.pop.strata.strata.len();
    let mut parts = Vec::with_capacity(strata * 2 * years);
    for st in 0..strata {
        for migrant in [false, true] {
            let hh = Household::blank(st as u16, 0, migrant);
            for t in 0..years {
                let yc = year_ctx(model, tables, &hh, t);
                parts.push(near_part(
                    &model.rules,
                    tables.ln_lines[st * years + t],
                    &yc,
                ));
            }
        }
    }
    parts
}

/// The fast path's line per (stratum, migrant or not, year) when every enabled program's line
/// follows from the year's context alone (`Rules::line`; no mask of [`near_parts`] has a bit),
/// `None` otherwise.
pub(super) fn static_near(parts: &[NearPart]) -> Option<Vec<f64>> {
    parts
        .iter()
        .all(|p| p.mask == 0)
        .then(|| parts.iter().map(|p| p.near).collect())
}

/// A month that needs the programs: their steps in order, then what the engine records about
/// poverty, coverage and the months from a shock to assistance. `REPLAY`: the first month of
/// a replayed start, whose steps read the household's past (`MonthCtx::replay`); in every
/// other month it is a constant `None`, and the replay's code is not in their copy (measured:
/// with it there, 0.9 % more instructions per household-month in the baseline). `IDLE`: a
/// month with no shock of a household no program is busy with: if it is not the run's first
/// and every program has idle forms (`Rules::idle`), the programs take them when every one is
/// quiet (`Rules::quiet_month`).
#[allow(clippy::too_many_arguments)]
#[inline(never)]
fn steps<const SET: u16, const REPLAY: bool, const IDLE: bool>(
    rules: &Rules,
    progs: &mut Households,
    yc: &YearCtx,
    y: &Year,
    st: &mut Standing,
    m: i32,
    ly: f64,
    kinds: u8,
    ill: bool,
    local: &mut [i64; c::N],
    gaps: &mut GapSums,
) -> MonthEnd {
    let k = yc.k;
    let size = yc.size;
    let yv = ly.exp();
    let essential = yc.medical_share * yv * size
        + yc.education
        + if ill {
            y.ill_months * y.ln_ill_base.exp()
        } else {
            0.0
        };
    let lm = rules.means.log_income(ly, yv, essential, size);
    // The pre-transfer gap first: its division and roundings wait on the month's `exp` and
    // overlap with the programs' steps, which do not read it.
    if ly < y.ln_line {
        let g = (y.line - yv) / y.line;
        local[c::PRE_POOR_HH_MONTHS] += 1;
        local[c::PRE_POOR_PERSON_MONTHS] += k;
        // Rounded once per half-year (`GapSums::flush`).
        gaps.pre[0] += g;
        gaps.pre[1] += g * g;
        gaps.essential += essential;
        gaps.ranks |= GapSums::ANY;
    }
    // Newly poor households (true income below the local standard).
    let poor = ly < yc.ln_local_standard;
    let newly_poor = poor && !st.was_poor;
    local[c::NEW_POOR] += newly_poor as i64;
    st.was_poor = poor;
    if kinds != 0 {
        st.last_shock = m;
    }
    let mo = MonthCtx {
        m,
        ly,
        y: yv,
        lm,
        kinds,
        essential,
        poor,
        newly_poor,
        enrol: m == st.enrol_at,
        replay: if REPLAY { &st.replay } else { &None },
    };
    // The month's ledger is the steps' alone: no step reads another month's (what a program
    // keeps of it, it keeps in its own standing, `Step::after`), so it lives in this call.
    let mut ledger = Ledger::EMPTY;
    debug_assert!(!IDLE || (!st.busy && kinds == 0));
    // Not in the run's first month, nor under rules with a program without idle forms. The
    // rest of a quiet month has a copy of its own, where the ledger's awards are known to be
    // none.
    if IDLE
        && rules.idle
        && !mo.enrol
        && rules.quiet_month::<SET>(progs, yc, &mo, local, &mut ledger)
    {
        return month_end::<SET>(&ledger, y, st, m, yv, k, size, poor, local, gaps);
    }
    rules.month_into::<SET>(progs, yc, &mo, local, &mut ledger);
    month_end::<SET>(&ledger, y, st, m, yv, k, size, poor, local, gaps)
}

/// What the engine records of a month after the programs' steps (`led`): poverty and coverage
/// after transfers, and the months from a shock to assistance (`yv`: the month's per-capita
/// income, yuan; `k` and `size`: members; `poor`: true income below the local standard).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn month_end<const SET: u16>(
    led: &Ledger,
    y: &Year,
    st: &mut Standing,
    m: i32,
    yv: f64,
    k: i64,
    size: f64,
    poor: bool,
    local: &mut [i64; c::N],
    gaps: &mut GapSums,
) -> MonthEnd {
    let regular = led.regular();
    // With dibao alone (or no program) every other award is +0.0, which `government` adds.
    let government = if SET == compiled::DIBAO {
        led.dibao + 0.0
    } else {
        led.government()
    };
    // The programs' order keeps this 0: tekun runs before dibao, which it excludes.
    local[c::OVERLAP_DIBAO_TEKUN] += (led.on_dibao() && led.tekun) as i64;
    local[c::POOR_HH_MONTHS] += poor as i64;
    local[c::POOR_RECIP_HH_MONTHS] += (poor && regular) as i64;
    // Charity is settled after the run (`CharityParams::settle`): here its claim is only
    // recorded with what paying it in full would take off poverty.
    let y_post = yv + government / size;
    let poor_post = y_post < y.line;
    if poor_post {
        let g = (y.line - y_post) / y.line;
        local[c::POST_POOR_PERSON_MONTHS] += k;
        // Rounded once per half-year (`GapSums::flush`), as the claim's effect.
        gaps.post[0] += g;
        gaps.post[1] += g * g;
        gaps.ranks |= GapSums::ANY;
        if led.claimed != 0 {
            charity::record_if_paid(
                y_post,
                led.charity / size,
                y.line,
                k,
                led.claimed,
                local,
                gaps,
            );
        }
    }
    // Months from a shock to regular assistance.
    if regular && !st.regular_last && st.last_shock != i32::MIN && m - st.last_shock <= 12 {
        local[c::SHOCK_ASSIST_MONTHS] += (m - st.last_shock) as i64;
        local[c::SHOCK_ASSISTED] += 1;
        st.last_shock = i32::MIN;
    }
    st.regular_last = regular;
    MonthEnd {
        regular,
        poor_post,
        cash: government,
        claimed: led.claimed,
    }
}

/// Run the months `range` (counted from the start of burn-in) ahead while each would take
/// the fast path: no shock starts or ends, no disaster starts, income at or above `ln_near`;
/// windows that stay above `ln_near` on the skip bound are skipped whole
/// (`IncomeState::run_quiet`). Returns where it stopped: the end of the range, or a month
/// that needs more, with its income if it was stepped (a month of shock change is left
/// unstepped), and the months skipped. The income state is in locals, so it stays in
/// registers. In line: as a call (one per household-year, its arguments, saved registers and
/// returned tuple) the reference model ran 2.9 % more instructions (branch `ref15`).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn fast_run(
    income: &mut IncomeState,
    d: &DynamicsParams,
    windows: &Windows,
    hh: &Household,
    ln_index: f64,
    disaster: &[f64],
    dstart: &[u8],
    grid: &[u32],
    range: std::ops::Range<usize>,
    ln_near: f64,
    illness_matters: bool,
) -> (usize, Option<(MonthIncome, u8)>, u32) {
    // Cut to the range, which holds every month the quiet run reads (no bounds check).
    let dstart = &dstart[..range.end];
    let (mb, out, skipped) = income.run_quiet(
        d,
        windows,
        hh,
        ln_index,
        disaster,
        grid,
        range,
        ln_near,
        illness_matters,
        |mb, mi| {
            // As the fast-path test of `simulate` (a NaN income is not fast).
            dstart[mb] == 0 && !(mi.ill && illness_matters) && mi.log_per_capita >= ln_near
        },
    );
    (mb, out.map(|mi| (mi, dstart[mb])), skipped)
}
