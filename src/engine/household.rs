//! One household's whole trajectory under one scenario: generated from its key, a burn-in,
//! then every month of the horizon, every program in a fixed order, counters left behind.
//!
//! Incomes stay in logs. A month in which the household is far above every line that matters
//! to the scenario, is in no program and has no shock takes the fast path: it only draws its
//! random numbers (so streams stay aligned across scenarios) and updates its spell trackers.
//! Everything else goes through `Household::month_slow`, out of line.

use super::{Model, RepTables};
use crate::counters::{c, round_i64, Counters, SpellTracker, GAP_SCALE};
use crate::dynamics::IncomeState;
use crate::population::Household;
use crate::programs::charity::class;
use crate::programs::dibao::{DibaoDraws, DibaoHousehold, DibaoState};
use crate::programs::monitoring::MonitoringState;
use crate::programs::rigid::RigidParams;
use crate::programs::tekun::{no_one_can_work, TekunState};
use crate::programs::temporary::shock;
use crate::programs::ProgramsParams;
use crate::rng::{stream, Purpose, StreamRng};
use crate::scenario::Scenario;
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

#[inline]
fn fen(yuan: f64) -> i64 {
    round_i64(yuan * 100.0)
}

/// Once-per-household propensities, drawn unconditionally in this order from one stream.
struct Propensities {
    take_up_u: f64,
    no_supporter: bool,
    institutional: bool,
    marginal_registers: bool,
    rigid_applies: bool,
    uses_services: bool,
    reached: bool,
}

impl Propensities {
    fn draw(p: &ProgramsParams, rng: &mut StreamRng) -> Propensities {
        let mut u = || rng.random::<f64>();
        Propensities {
            take_up_u: u(),
            no_supporter: u() < p.tekun.no_supporter_share,
            institutional: u() < p.tekun.institutional_share,
            marginal_registers: u() < p.marginal.take_up,
            rigid_applies: u() < p.rigid.take_up,
            uses_services: u() < p.services.take_up,
            reached: u() < p.monitoring.reach_share,
        }
    }
}

/// What the months of one household-year share.
struct Year {
    t: usize,
    /// Dibao standard where the household applies, and its log.
    standard: f64,
    ln_standard: f64,
    /// Log of the standard where it lives (the poverty notion for coverage of the poor).
    ln_local_standard: f64,
    /// Standard where it lives (temporary assistance is paid where a shock happens).
    local_standard: f64,
    ln_temporary: f64,
    line: f64,
    ln_line: f64,
    ln_alert: f64,
    /// Log of the share of income the means test counts.
    ln_counted: f64,
    /// Below this log income a month needs the slow path.
    ln_near: f64,
    /// Illness months need the slow path (rigid-expenditure rules are on).
    ill_matters: bool,
    price_index: f64,
    /// Stratum mean per-capita income of the prior year, yuan per person per month.
    mean_income: f64,
    size: f64,
    k: i64,
    education: f64,
    ill_cost: f64,
    dh: DibaoHousehold,
    no_one_can_work: bool,
    assets_ok: bool,
    care_share: f64,
    care_needing: f64,
    n_severe: f64,
    severe_addon: f64,
    n_disabled: f64,
    rigid_cap: f64,
}

impl Year {
    fn new(
        s: &Scenario,
        model: &Model,
        tables: &RepTables,
        hh: &Household,
        prop: &Propensities,
        t: usize,
        ln_index: f64,
    ) -> Year {
        let p = &s.programs;
        let members = &s.population.members;
        let sim = &s.simulation;
        let years = sim.years as usize;
        let st = hh.stratum as usize;
        let app = if hh.migrant {
            model.application_strata[st]
        } else {
            st
        };
        let standard = tables.standards.get(app, t);
        let ln_standard = tables.ln_standards[app * years + t];
        let local_standard = tables.standards.get(st, t);
        let line = tables.lines[st * years + t];
        let ln_line = tables.ln_lines[st * years + t];
        let price_index = tables.paths.price_index[t];
        let size = hh.size as f64;
        let factor = p.residence.take_up_factor(hh.migrant);
        let mut dh =
            DibaoHousehold::new(&p.dibao, hh, members, prop.take_up_u, factor, price_index);
        if let Some(cuts) = &tables.quota_cut {
            dh.ln_quota = (1.0 - cuts[st * years + t]).ln();
        }
        let assets_ok = !p.dibao.assets.enabled
            || dh.assets_per_capita <= p.dibao.assets.limit_months * standard;
        let (care_share, care_needing) = p.tekun.care(hh);
        let a = &p.dibao.addons;
        let mut n_severe = 0.0;
        let mut severe_addon = 0.0;
        let mut n_disabled = 0.0;
        for m in hh.members() {
            if m.severe_disability || m.severe_illness {
                n_severe += 1.0;
                severe_addon += if m.severe_disability {
                    a.severe_disability_share
                } else {
                    0.0
                } + if m.severe_illness {
                    a.severe_illness_share
                } else {
                    0.0
                } + if m.age >= a.elderly_age {
                    a.elderly_share
                } else {
                    0.0
                };
            }
            if m.severe_disability {
                n_disabled += 1.0;
            }
        }
        let education =
            hh.pupils(members) as f64 * s.population.spending.education_per_pupil * price_index;
        let ms = s.population.spending.medical_share_of_income;
        let prior = if t > 0 {
            tables.paths.income_index[t - 1]
        } else {
            1.0
        };
        let mean_income = model.pop.strata.strata[st].target_income_mean * prior;
        let ln_alert = ln_standard + model.ln.alert;
        let ln_counted = model.ln.counted;
        // Thresholds the means test compares with counted income, then those on true income.
        let mut ln_means = ln_standard;
        if p.marginal.enabled {
            ln_means = ln_means.max(ln_standard + model.ln.marginal);
        }
        if p.monitoring.enabled {
            ln_means = ln_means.max(ln_alert);
        }
        let ln_local = tables.ln_standards[st * years + t];
        let mut ln_near = ln_line.max(ln_local).max(ln_means - ln_counted);
        if p.charity.enabled {
            ln_near = ln_near.max(ln_standard + model.ln.charity);
        }
        let r = &p.rigid;
        if r.enabled {
            let mut bound = r.income_limit_multiple * mean_income;
            if r.spending_share_threshold > ms {
                bound = bound.min(education / (size * (r.spending_share_threshold - ms)));
            }
            ln_near = ln_near.max(bound.ln());
        }
        if r.deduct_in_means_test {
            ln_near = ln_near.max(((standard + education / size) / (1.0 - ms)).ln() - ln_counted);
        }
        Year {
            t,
            standard,
            ln_standard,
            ln_local_standard: ln_local,
            local_standard,
            ln_temporary: ln_local + model.ln.temporary,
            line,
            ln_line,
            ln_alert,
            ln_counted,
            ln_near,
            ill_matters: r.enabled || r.deduct_in_means_test,
            price_index,
            mean_income,
            size,
            k: hh.size as i64,
            education,
            ill_cost: s.dynamics.shocks.illness.medical_cost_months
                * (hh.log_income_perm + ln_index).exp(),
            dh,
            no_one_can_work: no_one_can_work(hh, members),
            assets_ok,
            care_share,
            care_needing: care_needing as f64,
            n_severe,
            severe_addon,
            n_disabled,
            rigid_cap: r.cap_per_month * price_index,
        }
    }
}

/// A household's standing with every program.
struct Standing {
    dibao: DibaoState,
    tekun: TekunState,
    mon: MonitoringState,
    was_poor: bool,
    regular_last: bool,
    marginal_last: bool,
    rigid_last: bool,
}

/// What a month leaves for the trackers.
struct MonthEnd {
    regular: bool,
    poor_post: bool,
    /// Cash received this month from every payer, yuan per household.
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
    /// A household fares alike whatever the fill shares of ranks it never claimed at, so
    /// without any claim paid its counters need no second pass.
    pub charity_ranks: u8,
}

/// One household-year, for benefit-incidence tables (filled only when asked for).
#[derive(Debug, Clone, Copy, Default)]
pub struct YearSummary {
    /// Stratum of the household.
    pub stratum: u16,
    /// Members.
    pub size: u8,
    /// Pre-transfer per-capita income over the year, yuan per person.
    pub income_pc: f64,
    /// Cash received over the year from every payer, fen.
    pub cash_fen: i64,
    /// Months poor after transfers.
    pub poor_months: u8,
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
/// (this takes `exp` of income every month, so it is only done for incidence tables).
pub fn simulate_household_summary(
    model: &Model,
    tables: &RepTables,
    rep: u32,
    index: u64,
    acc: &mut Counters,
    mut summary: Option<&mut [YearSummary]>,
) -> Trajectory {
    let want_income = summary.is_some();
    let s = model.scenario();
    let sim = &s.simulation;
    let d = &s.dynamics;
    let p = &s.programs;
    let members = &s.population.members;
    let mut hh = model.pop.household(sim, rep, index);
    let st_idx = hh.stratum as usize;
    let mut income = IncomeState::new(d, &hh, sim, rep);
    let mut behaviour = stream(sim.seed, rep, index, Purpose::Behaviour);
    let mut admin = stream(sim.seed, rep, index, Purpose::Admin);
    let mut tekun_rng = stream(sim.seed, rep, index, Purpose::Tekun);
    let mut temp_rng = stream(sim.seed, rep, index, Purpose::Temporary);
    let prop = Propensities::draw(p, &mut stream(sim.seed, rep, index, Purpose::Propensity));
    // Monthly draws depend on parameters only, never on the household's state.
    let draw_apply = p.dibao.take_up.monthly_apply_prob < 1.0 || p.monitoring.enabled;
    let draw_error = p.dibao.assessment.error_sd > 0.0;
    let draw_tekun = p.tekun.enabled && p.tekun.monthly_identify_prob < 1.0;
    let mut has_worker = hh.workers(members) > 0;
    let mut standing = Standing {
        dibao: DibaoState::default(),
        tekun: TekunState::default(),
        mon: MonitoringState::default(),
        was_poor: false,
        regular_last: false,
        marginal_last: false,
        rigid_last: false,
    };
    let disaster = tables.disaster.row(st_idx);
    let burn = sim.burn_in_months as i32;
    let years = sim.years as usize;
    let months = (years * 12) as i32;
    let mut scratch = [0i64; c::N];
    let last_income = std::cell::Cell::new(0.0f64);

    let mut month = |standing: &mut Standing,
                     year: &Year,
                     hh: &Household,
                     income: &mut IncomeState,
                     has_worker: bool,
                     m: i32,
                     ln_index: f64,
                     local: &mut [i64; c::N]|
     -> MonthEnd {
        let mb = (burn + m) as usize;
        let mi = income.step(d, hh, has_worker, ln_index, disaster[mb]);
        let mut kinds = mi.shock_kinds;
        if disaster[mb] < 0.0 && (mb == 0 || disaster[mb - 1] == 0.0) {
            kinds |= shock::DISASTER;
        }
        let dr = DibaoDraws {
            apply_u: if draw_apply { behaviour.random() } else { 0.0 },
            assess_z: if draw_error {
                StandardNormal.sample(&mut admin)
            } else {
                0.0
            },
        };
        let u_tekun = if draw_tekun { tekun_rng.random() } else { 0.0 };
        let ly = mi.log_per_capita;
        if want_income {
            last_income.set(ly.exp());
        }
        if kinds == 0
            && !(mi.ill && year.ill_matters)
            && ly >= year.ln_near
            && !standing.dibao.busy()
            && !standing.tekun.on
        {
            standing.was_poor = false;
            standing.marginal_last = false;
            standing.rigid_last = false;
            return MonthEnd {
                regular: false,
                poor_post: false,
                cash: 0.0,
                claimed: 0,
            };
        }
        let u_temp = if kinds != 0 { temp_rng.random() } else { 1.0 };
        month_slow(
            s, year, hh, standing, m, ly, kinds, mi.ill, dr, u_tekun, u_temp, tables, &prop, local,
        )
    };

    // Burn-in at start-year incomes and standards, so the caseload starts in its steady state.
    let year0 = Year::new(s, model, tables, &hh, &prop, 0, 0.0);
    for b in 0..burn {
        month(
            &mut standing,
            &year0,
            &hh,
            &mut income,
            has_worker,
            b - burn,
            0.0,
            &mut scratch,
        );
    }

    let mut assist = SpellTracker::new(false);
    let mut poverty = SpellTracker::new(false);
    let mut claimed = 0u8;
    for t in 0..years {
        if t > 0 {
            income.age_one_year(d, &mut hh, members);
            has_worker = hh.workers(members) > 0;
        }
        let ln_index = tables.ln_income_index[t];
        let year = Year::new(s, model, tables, &hh, &prop, t, ln_index);
        let mut fall_base = false;
        let mut fell = false;
        if let Some(sum) = summary.as_deref_mut() {
            sum[t] = YearSummary {
                stratum: hh.stratum,
                size: hh.size,
                ..YearSummary::default()
            };
        }
        for half in 0..2 {
            // Monthly counters gather on the stack and are added once per half-year.
            let mut local = [0i64; c::N];
            for mh in 0..6 {
                let mm = half * 6 + mh;
                let m = (t * 12 + mm) as i32;
                let end = month(
                    &mut standing,
                    &year,
                    &hh,
                    &mut income,
                    has_worker,
                    m,
                    ln_index,
                    &mut local,
                );
                if let Some(sum) = summary.as_deref_mut() {
                    let ys = &mut sum[t];
                    ys.cash_fen += fen(end.cash);
                    ys.income_pc += last_income.get();
                    ys.poor_months += end.poor_post as u8;
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
            }
            local[c::HH_MONTHS] = 6;
            local[c::PERSON_MONTHS] = 6 * year.k;
            // The average standard where people live (as published), not where they apply.
            local[c::STANDARD_PERSON_FEN] = 6 * year.k * fen(year.local_standard);
            let slot = acc.slot(st_idx, t, half);
            for (a, b) in slot.iter_mut().zip(&local) {
                *a += b;
            }
        }
        let slot = acc.slot(st_idx, t, 1);
        slot[c::FALL_BASE] += fall_base as i64;
        slot[c::FALL_IN] += fell as i64;
    }
    Trajectory {
        stratum: st_idx,
        charity_ranks: claimed,
    }
}

/// A month that needs the programs: every rule in order, and its counters.
#[allow(clippy::too_many_arguments)]
#[inline(never)]
fn month_slow(
    s: &Scenario,
    y: &Year,
    hh: &Household,
    st: &mut Standing,
    m: i32,
    ly: f64,
    kinds: u8,
    ill: bool,
    dr: DibaoDraws,
    u_tekun: f64,
    u_temp: f64,
    tables: &RepTables,
    prop: &Propensities,
    local: &mut [i64; c::N],
) -> MonthEnd {
    let p = &s.programs;
    let k = y.k;
    let size = y.size;
    let yv = ly.exp();
    let essential = s.population.spending.medical_share_of_income * yv * size
        + y.education
        + if ill { y.ill_cost } else { 0.0 };
    // Income for the means test: net of essential spending when the deduction is on.
    let lm = y.ln_counted
        + if p.rigid.deduct_in_means_test {
            RigidParams::net_income(yv, essential, size).ln()
        } else {
            ly
        };

    // Monitoring and early warning.
    let mut warned = st.mon.warned(m);
    if p.monitoring.enabled && !warned && !st.dibao.on && !st.tekun.on {
        let below_alert = lm < y.ln_alert;
        let monitored = below_alert || st.marginal_last || st.rigid_last;
        if monitored && p.monitoring.warns(m, kinds != 0, below_alert) {
            st.mon.warned_until = m + p.monitoring.response_months as i32 - 1;
            warned = true;
            local[c::WARNINGS] += 1;
        }
    }
    // Newly poor households (true income below the local standard), and whether caught.
    let poor = ly < y.ln_local_standard;
    let window = p.monitoring.catch_window_months as i32;
    if poor && !st.was_poor {
        local[c::NEW_POOR] += 1;
        if warned {
            local[c::NEW_POOR_CAUGHT] += 1;
            st.mon.new_poor_since = i32::MIN;
        } else {
            st.mon.new_poor_since = m;
        }
    } else if st.mon.new_poor_since != i32::MIN {
        if m - st.mon.new_poor_since > window {
            st.mon.new_poor_since = i32::MIN;
        } else if warned {
            local[c::NEW_POOR_CAUGHT] += 1;
            st.mon.new_poor_since = i32::MIN;
        }
    }
    st.was_poor = poor;

    // Tekun comes first: a tekun household gets no dibao.
    let tekun_on = p.tekun.enabled && {
        let eligible = y.no_one_can_work && prop.no_supporter && lm < y.ln_standard && y.assets_ok;
        st.tekun.month(&p.tekun, m, eligible, u_tekun)
    };
    let mut paid_dibao = 0.0;
    if tekun_on {
        if st.dibao.busy() {
            st.dibao = DibaoState::default();
        }
    } else if p.dibao.enabled {
        let dh = if warned {
            DibaoHousehold {
                would_apply: y.dh.would_apply || prop.reached,
                apply_prob: y.dh.apply_prob.max(p.monitoring.proactive_apply_prob),
                ..y.dh
            }
        } else {
            y.dh
        };
        paid_dibao = p
            .dibao
            .month(&mut st.dibao, &dh, m, lm, y.standard, y.ln_standard, dr);
    }
    let on_dibao = paid_dibao > 0.0;
    if on_dibao && p.quota.enabled && tables.quota_cut.is_none() {
        let need = 1.0 - st.dibao.assessed_pc / y.standard;
        local[c::QUOTA_NEED_0 + crate::programs::quota::bin(need)] += 1;
    }

    // Marginal families (assessed with the same assessment as dibao), and single-person inclusion.
    let log_assessed = lm + p.dibao.assessment.error_sd * dr.assess_z;
    let marginal = p.marginal.enabled
        && !on_dibao
        && !tekun_on
        && prop.marginal_registers
        && y.assets_ok
        && p.marginal.in_band(log_assessed, y.ln_standard);
    let special_marginal = if marginal {
        p.marginal.special(size, y.standard)
    } else {
        0.0
    };
    let single = if marginal
        && p.marginal.single_person_inclusion
        && p.dibao.enabled
        && y.n_severe > 0.0
        && y.dh.would_apply
    {
        y.n_severe
            * p.marginal
                .single_person_dibao(y.standard, p.dibao.benefit.floor_share, 0.0)
            + y.severe_addon * y.standard
    } else {
        0.0
    };

    // Rigid-expenditure special assistance.
    let rigid = p.rigid.enabled
        && prop.rigid_applies
        && p.rigid.qualifies(yv, size, essential, y.mean_income);
    let special_rigid = if rigid {
        p.rigid.reimbursement(essential, y.rigid_cap)
    } else {
        0.0
    };

    // Temporary assistance where the shock happened.
    let mut temporary = 0.0;
    if kinds != 0 {
        st.mon.last_shock = m;
        if p.temporary.enabled {
            let factor = if hh.migrant && !p.temporary.migrants_included {
                p.residence.take_up_factor(true)
            } else {
                1.0
            };
            if ly < y.ln_temporary && u_temp < p.temporary.take_up * factor {
                temporary = p.temporary.payment(kinds, y.local_standard, size);
                local[c::TEMP_CASES_PERSONS] += k;
                local[c::TEMP_CASES_HH] += 1;
            }
        }
    }

    // Tekun cash or institutional care, and care services.
    let uses_services = p.services.enabled && prop.uses_services;
    let mut tekun_cash = 0.0;
    let mut served = 0.0;
    if tekun_on {
        if prop.institutional {
            tekun_cash = size * p.tekun.institutional_cost * y.price_index;
            local[c::TEKUN_INSTITUTION_PERSON_MONTHS] += k;
        } else {
            let replaced = if uses_services && y.care_needing > 0.0 {
                p.services.replaces_cash_share
            } else {
                0.0
            };
            tekun_cash = p.tekun.cash(size, y.care_share, y.standard, replaced);
            if uses_services {
                served += y.care_needing;
            }
        }
    }
    if on_dibao && uses_services {
        served += y.n_disabled;
    }
    let services = p.services.cost(served, y.price_index);

    // Charity tops up what is still missing after government programs.
    let government =
        paid_dibao + single + tekun_cash + special_marginal + special_rigid + temporary;
    let mut charity = 0.0;
    let mut claimed = 0u8;
    if p.charity.enabled {
        let claim = p.charity.claim(yv + government / size, y.standard, size);
        if claim > 0.0 {
            let cls = if marginal {
                class::MARGINAL
            } else if poor && !on_dibao && !tekun_on {
                class::EXCLUDED_POOR
            } else {
                class::OTHER
            };
            let rank = p.charity.rank(cls);
            claimed = 1 << rank;
            match &tables.charity_fill {
                None => local[c::CHARITY_DEMAND_0 + rank] += fen(claim),
                Some(fill) => {
                    charity = claim * fill[y.t][rank];
                    if charity > 0.0 {
                        local[c::CHARITY_HH_MONTHS] += 1;
                    }
                }
            }
        }
    }

    // Record.
    let regular = on_dibao || tekun_on;
    let n_single = if single > 0.0 { y.n_severe as i64 } else { 0 };
    local[c::COST_DIBAO_FEN] += fen(paid_dibao) + fen(single);
    local[c::COST_DIBAO_SINGLE_FEN] += fen(single);
    local[c::COST_TEKUN_FEN] += fen(tekun_cash);
    local[c::COST_MARGINAL_FEN] += fen(special_marginal);
    local[c::COST_RIGID_FEN] += fen(special_rigid);
    local[c::COST_TEMPORARY_FEN] += fen(temporary);
    local[c::COST_SERVICES_FEN] += fen(services);
    local[c::COST_CHARITY_FEN] += fen(charity);
    local[c::RECIP_HH_MONTHS] += on_dibao as i64 + n_single;
    local[c::RECIP_PERSON_MONTHS] += if on_dibao { k } else { 0 } + n_single;
    local[c::SINGLE_PERSON_MONTHS] += n_single;
    if tekun_on {
        local[c::TEKUN_HH_MONTHS] += 1;
        local[c::TEKUN_PERSON_MONTHS] += k;
    }
    local[c::OVERLAP_DIBAO_TEKUN] += (on_dibao && tekun_on) as i64;
    if marginal {
        local[c::MARGINAL_HH_MONTHS] += 1;
        local[c::MARGINAL_PERSON_MONTHS] += k;
    }
    local[c::RIGID_HH_MONTHS] += rigid as i64;
    local[c::SERVICE_PERSON_MONTHS] += served as i64;
    let eligible = p.dibao.passes(&y.dh, lm, y.ln_standard, y.standard);
    local[c::POOR_HH_MONTHS] += poor as i64;
    local[c::POOR_RECIP_HH_MONTHS] += (poor && regular) as i64;
    local[c::ELIG_HH_MONTHS] += eligible as i64;
    local[c::ELIG_RECIP_HH_MONTHS] += (eligible && regular) as i64;
    local[c::INELIG_RECIP_HH_MONTHS] += (on_dibao && !eligible) as i64;
    if ly < y.ln_line {
        let g = (y.line - yv) / y.line;
        local[c::PRE_POOR_HH_MONTHS] += 1;
        local[c::PRE_POOR_PERSON_MONTHS] += k;
        local[c::PRE_GAP1] += round_i64(g * GAP_SCALE) * k;
        local[c::PRE_GAP2] += round_i64(g * g * GAP_SCALE) * k;
        local[c::ESSENTIAL_POOR_FEN] += fen(essential);
    }
    let y_post = yv + (government + charity) / size;
    let poor_post = y_post < y.line;
    if poor_post {
        let g = (y.line - y_post) / y.line;
        local[c::POST_POOR_PERSON_MONTHS] += k;
        local[c::POST_GAP1] += round_i64(g * GAP_SCALE) * k;
        local[c::POST_GAP2] += round_i64(g * g * GAP_SCALE) * k;
    }
    // Months from a shock to regular assistance.
    if regular && !st.regular_last && st.mon.last_shock != i32::MIN && m - st.mon.last_shock <= 12 {
        local[c::SHOCK_ASSIST_MONTHS] += (m - st.mon.last_shock) as i64;
        local[c::SHOCK_ASSISTED] += 1;
        st.mon.last_shock = i32::MIN;
    }
    st.regular_last = regular;
    st.marginal_last = marginal;
    st.rigid_last = rigid;
    MonthEnd {
        regular,
        poor_post,
        cash: government + charity,
        claimed,
    }
}
