//! The engine's fast path (`fast_run`: quiet months run ahead without the programs' steps) is
//! a shortcut, not a model: it must leave exactly the counters the month-by-month loop leaves.
//! The incidence pass simulates every month through the full loop (it needs each month's
//! income, so `fast_run` is off there), which gives an independent path to compare against:
//! every counter of every stratum, year and half-year must be equal, integer for integer, for
//! the shipped scenarios with the most rules switched on.
//!
//! Likewise, yearly facts left for the first month that needs them (`Step::line`) must leave
//! the counters of facts made at the start of every household-year.

mod common;
use safetynet::engine::{self, Model, RunOptions};

fn model(file: &str) -> Model {
    let sets = [
        "simulation.households=4000",
        "simulation.replications=2",
        "simulation.years=3",
    ];
    common::model_of(file, &sets, "test")
}

fn same_counters_with_and_without_fast_run(file: &str) {
    let m = model(file);
    let opts = RunOptions {
        threads: 2,
        progress: None,
    };
    let fast = engine::run(std::slice::from_ref(&m), &opts).unwrap();
    let full = engine::run_with(std::slice::from_ref(&m), &opts, true).unwrap();
    for (r, (a, b)) in fast.per_scenario[0]
        .iter()
        .zip(&full.per_scenario[0])
        .enumerate()
    {
        let (a, b) = (a.view(), b.view());
        assert_eq!(a.shape(), b.shape());
        let differ = a.iter().zip(b.iter()).filter(|(x, y)| x != y).count();
        assert_eq!(
            differ, 0,
            "{file}, replication {r}: {differ} counters differ between the fast path and the full loop"
        );
        // Not vacuous: the run recorded cost and recipients.
        assert!(
            a.iter().filter(|&&x| x != 0).count() > 100,
            "{file}: counters are empty"
        );
    }
}

#[test]
fn fast_run_leaves_the_counters_of_the_full_loop_baseline() {
    same_counters_with_and_without_fast_run("baseline.toml");
}

#[test]
fn fast_run_leaves_the_counters_of_the_full_loop_full_system() {
    same_counters_with_and_without_fast_run("full-system-2023.toml");
}

#[test]
fn fast_run_leaves_the_counters_of_the_full_loop_reference_model() {
    same_counters_with_and_without_fast_run("reference-model.toml");
}

/// Every household of `m`'s replication `rep`, with the replication's tables as made, and
/// with the fast path's line table dropped so that each household-year makes its context and
/// its programs' yearly facts at its start: the counters must be equal, integer for integer.
fn same_counters_with_yearly_facts_made_late_or_every_year(m: &Model, rep: u32) -> usize {
    use safetynet::counters::Counters;
    use safetynet::engine::{simulate_household, RepTables};
    let late = RepTables::new(m, rep);
    assert!(
        late.static_near.is_some(),
        "the scenario should leave yearly facts for the months that need them"
    );
    let mut every_year = late.clone();
    every_year.static_near = None;
    every_year.near_parts = None;
    let s = &m.scenario().simulation;
    let strata = m.pop.strata.strata.len();
    let mut a = Counters::new(strata, s.years as usize);
    let mut b = Counters::new(strata, s.years as usize);
    for i in 0..s.households {
        simulate_household(m, &late, rep, i, &mut a);
        simulate_household(m, &every_year, rep, i, &mut b);
    }
    let differ = a.data.iter().zip(&b.data).filter(|(x, y)| x != y).count();
    assert_eq!(differ, 0, "{differ} counter slots differ");
    // Not vacuous: dibao paid somebody.
    a.data.iter().flatten().filter(|&&x| x != 0).count()
}

#[test]
fn yearly_facts_made_only_when_a_month_needs_them_leave_the_counters_of_every_year() {
    // The reference model, and one whose dibao reads more of its yearly facts: monthly
    // application chances, assessment error, a processing delay, reviews every 6 months
    // with gradual exit, add-ons for the severely ill, imputed earnings of members who can
    // work (they age out of working age).
    let variants: [&[&str]; 2] = [
        &[],
        &[
            "programs.dibao.take_up.monthly_apply_prob=0.3",
            "programs.dibao.assessment.error_sd=0.2",
            "programs.dibao.assessment.processing_months=1",
            "programs.dibao.review.interval_months_stable=6",
            "programs.dibao.review.interval_months_unstable=6",
            "programs.dibao.review.gradual_exit_months=2",
            "population.members.severe_illness_prevalence=0.05",
            "programs.dibao.addons.severe_illness_share=0.3",
            "programs.dibao.admin.imputed_earnings_share=0.2",
        ],
    ];
    for sets in variants {
        let mut all = vec![
            "simulation.households=3000",
            "simulation.years=4",
            "simulation.burn_in_months=12",
        ];
        all.extend_from_slice(sets);
        let m = common::model_of("reference-model.toml", &all, "test");
        for rep in 0..2 {
            let nonzero = same_counters_with_yearly_facts_made_late_or_every_year(&m, rep);
            assert!(nonzero > 100, "counters are empty ({sets:?})");
        }
    }
}

/// Where some program's line needs the household's yearly facts (the baseline: tekun,
/// marginal families, rigid expenditure), the fast path's line is the table's part
/// (`RepTables::near_parts`) with those programs' lines: the counters must be those of the
/// part derived household-year by household-year (the debug assertion at the year's first
/// stepped month also checks each line read against the household's own).
#[test]
fn line_parts_from_the_table_leave_the_counters_of_every_household_year() {
    use safetynet::engine::RepTables;
    let m = common::model_of(
        "baseline.toml",
        &["simulation.households=3000", "simulation.years=4"],
        "test",
    );
    for rep in 0..2 {
        let table = RepTables::new(&m, rep);
        assert!(
            table.static_near.is_none(),
            "the baseline has household lines"
        );
        let parts = table.near_parts.as_ref().unwrap();
        assert!(
            parts.iter().all(|p| p.mask != 0),
            "every row should leave some program's line to the household"
        );
        let mut derived = table.clone();
        derived.near_parts = None;
        let (differ, nonzero) = counters_of_two_tables(&m, &table, &derived, rep);
        assert_eq!(differ, 0, "{differ} counter slots differ");
        assert!(nonzero > 100);
    }
}

/// Every household of replication `rep` run with `table` and with `other`: the counter slots
/// whose values differ, and the non-zero slots of the first run (not vacuous).
fn counters_of_two_tables(
    m: &Model,
    table: &safetynet::engine::RepTables,
    other: &safetynet::engine::RepTables,
    rep: u32,
) -> (usize, usize) {
    use safetynet::counters::Counters;
    use safetynet::engine::simulate_household;
    let s = &m.scenario().simulation;
    let strata = m.pop.strata.strata.len();
    let mut a = Counters::new(strata, s.years as usize);
    let mut b = Counters::new(strata, s.years as usize);
    for i in 0..s.households {
        simulate_household(m, table, rep, i, &mut a);
        simulate_household(m, other, rep, i, &mut b);
    }
    (
        a.data.iter().zip(&b.data).filter(|(x, y)| x != y).count(),
        a.data.iter().flatten().filter(|&&x| x != 0).count(),
    )
}

/// The line table's migrant rows: with migrants (who apply at their registered stratum, at
/// its standard, while they live and earn in another) the table is read at
/// `(stratum, migrant)`, rows the reference model (no migrants) never reaches. A third of each
/// stratum are migrants here; the late facts' debug assertion also checks every row read
/// against the line `year_facts` derives for the household itself.
#[test]
fn yearly_facts_made_late_for_migrants_leave_the_counters_of_every_year() {
    let dir = tempfile::tempdir().unwrap();
    let reference = common::repo_file("scenarios/reference-model.toml");
    let text = std::fs::read_to_string(&reference).unwrap();
    // The reference model's strata with a migrant share of 1/3 each (the rest unchanged).
    let strata: String = text
        .split("[[population.strata]]")
        .skip(1)
        .map(|block| {
            let block = block.split("\n[").next().unwrap();
            format!(
                "[[population.strata]]{}\n",
                block.replace("migrant_share = 0.0", "migrant_share = 0.333")
            )
        })
        .collect();
    assert_eq!(strata.matches("migrant_share = 0.333").count(), 2);
    let file = dir.path().join("migrants.toml");
    std::fs::write(
        &file,
        format!("extends = {reference:?}\nname = \"migrants\"\n{strata}"),
    )
    .unwrap();
    let loaded = safetynet::scenario::load(&file)
        .unwrap()
        .with_overrides(
            &[
                "simulation.households=3000",
                "simulation.years=4",
                "simulation.burn_in_months=12",
                // Registered in the urban stratum: a rural migrant's dibao line (the urban
                // standard) is above its local one, so the migrant rows differ.
                "programs.residence.registered_region=\"urban\"",
            ]
            .map(|s| safetynet::scenario::parse_override(s).unwrap()),
            "test",
        )
        .unwrap();
    let m = safetynet::engine::Model::new(&loaded).unwrap();
    let migrants = (0..3000)
        .filter(|&i| m.pop.household(&m.scenario().simulation, 0, i).migrant)
        .count();
    // 1,000 expected: binomial sd about 26.
    assert!(
        (850..1150).contains(&migrants),
        "{migrants} migrants of 3,000"
    );
    let near = safetynet::engine::RepTables::new(&m, 0)
        .static_near
        .unwrap();
    let years = m.scenario().simulation.years as usize;
    let rural = m
        .pop
        .strata
        .strata
        .iter()
        .position(|s| s.region == safetynet::population::Region::Rural)
        .unwrap();
    assert!(
        (0..years).all(|t| near[(rural * 2 + 1) * years + t] > near[rural * 2 * years + t]),
        "a rural migrant's row should be above a rural resident's"
    );
    for rep in 0..2 {
        let nonzero = same_counters_with_yearly_facts_made_late_or_every_year(&m, rep);
        assert!(nonzero > 100, "counters are empty");
    }
}

/// The programs' lines (`Step::year`, `Step::line`), `busy` and `illness_matters` say when a
/// month may skip the steps; a line too low (a month above it in which some program would
/// still act) is a bug. Every household of replication `rep` is run as the engine runs it and
/// with every month taking the steps (`RepTables::step_every_month`): the counters must be
/// equal, integer for integer. Returns the counters' non-zero slots (not vacuous) and the
/// skipped months of the engine's run (the fast path was taken).
fn same_counters_with_every_month_stepped(m: &Model, rep: u32) -> (usize, u64) {
    use safetynet::counters::{c, Counters};
    use safetynet::engine::{simulate_household, RepTables};
    let fast = RepTables::new(m, rep);
    let mut every = fast.clone();
    every.step_every_month = true;
    every.static_near = None;
    every.near_parts = None;
    let s = &m.scenario().simulation;
    let strata = m.pop.strata.strata.len();
    let mut a = Counters::new(strata, s.years as usize);
    let mut b = Counters::new(strata, s.years as usize);
    let mut skipped = 0u64;
    for i in 0..s.households {
        skipped += simulate_household(m, &fast, rep, i, &mut a).skipped_months as u64;
        assert_eq!(
            simulate_household(m, &every, rep, i, &mut b).skipped_months,
            0
        );
    }
    let mut differ = vec![0usize; c::N];
    for (x, y) in a.data.iter().zip(&b.data) {
        for k in 0..c::N {
            differ[k] += (x[k] != y[k]) as usize;
        }
    }
    let which: Vec<(usize, usize)> = differ
        .iter()
        .enumerate()
        .filter(|(_, &n)| n > 0)
        .map(|(k, &n)| (k, n))
        .collect();
    assert!(
        which.is_empty(),
        "{}: (counter index, slots that differ) with every month stepped: {which:?}",
        m.scenario().name
    );
    (
        a.data.iter().flatten().filter(|&&x| x != 0).count(),
        skipped,
    )
}

fn every_month_stepped(file: &str, sets: &[&str]) {
    let mut all = vec!["simulation.households=6000", "simulation.years=4"];
    all.extend_from_slice(sets);
    let m = common::model_of(file, &all, "test");
    for rep in 0..2 {
        let (nonzero, skipped) = same_counters_with_every_month_stepped(&m, rep);
        assert!(nonzero > 100, "{file}: counters are empty");
        assert!(skipped > 0, "{file}: no month was skipped");
    }
}

#[test]
fn stepping_every_month_leaves_the_counters_of_the_fast_path_baseline() {
    // The baseline's rigid-expenditure assistance starts in 2025: four years from 2023 run
    // two years before it and two with it.
    every_month_stepped("baseline.toml", &[]);
}

#[test]
fn stepping_every_month_leaves_the_counters_of_the_fast_path_full_system() {
    every_month_stepped("full-system-2023.toml", &[]);
}

#[test]
fn stepping_every_month_leaves_the_counters_of_the_fast_path_price_link() {
    // The price linkage pays dibao and tekun persons in February 2023 (January's food prices)
    // and, with the projected food rise above its threshold, in every month from 2024.
    every_month_stepped(
        "full-system-2023.toml",
        &[
            "programs.price_link.enabled=true",
            "programs.price_link.projected_food_yoy_pct=8.0",
        ],
    );
}

#[test]
fn stepping_every_month_leaves_the_counters_of_the_fast_path_reference_model() {
    every_month_stepped("reference-model.toml", &[]);
}

#[test]
fn stepping_every_month_leaves_the_counters_of_the_fast_path_epidemic_and_rigid_deduction() {
    // 2022 has the epidemic-era temporary assistance: its line is above the standard (which
    // every month below it takes the steps for) only with a threshold above 1. The deduction
    // of essential spending in the means test raises dibao's, tekun's and marginal's reach.
    every_month_stepped("baseline-2022.toml", &[]);
    every_month_stepped(
        "baseline-2022.toml",
        &["programs.temporary.income_threshold_multiple=1.6"],
    );
    every_month_stepped("rigid-expenditure-deduction.toml", &[]);
}

#[test]
fn stepping_every_month_leaves_the_counters_of_the_fast_path_without_dibao() {
    // With dibao off, its line (the highest in the baseline) no longer hides the lower
    // lines of tekun and rigid-expenditure assistance (in force from 2025), which with four
    // times the education spending reaches above the standard.
    every_month_stepped("baseline.toml", &["programs.dibao.enabled=false"]);
    every_month_stepped(
        "baseline.toml",
        &[
            "programs.dibao.enabled=false",
            "population.spending.education_per_pupil=600",
        ],
    );
}

/// The month compiled for the smallest set of programs that holds the enabled ones
/// (`Rules::compiled`) leaves the counters of the copy that checks every program at run time
/// (`programs::compiled::ALL`), household by household: for the reference model (dibao
/// alone), the baseline (the 2023 system), the 2022 baseline (whose horizon pays the one-off
/// subsidy and finds temporary assistance's quiet form acting), the early warning (monitoring's
/// quiet form acts in its horizon), the baseline without monitoring (whose `busy` otherwise
/// covers tekun's and marginal families'), the full system (charity, services and the quota
/// too) and the full system with the price linkage (which runs the copy for every program
/// itself). Each case was checked to catch the copy's loss of
/// the program part it names (a review's mutants, 5 December 2026).
#[test]
fn each_compiled_set_of_programs_leaves_the_counters_of_the_copy_for_every_program() {
    use safetynet::engine::RepTables;
    use safetynet::programs::compiled;
    let cases: [(&str, &[&str], u16); 7] = [
        (
            "reference-model.toml",
            &["simulation.years=3"],
            compiled::DIBAO,
        ),
        (
            "baseline.toml",
            &["simulation.years=3"],
            compiled::SYSTEM_2023,
        ),
        (
            "baseline-2022.toml",
            &["simulation.years=2"],
            compiled::SYSTEM_2023,
        ),
        ("early-warning.toml", &[], compiled::SYSTEM_2023),
        (
            "baseline.toml",
            &["simulation.years=3", "programs.monitoring.enabled=false"],
            compiled::SYSTEM_2023,
        ),
        (
            "full-system-2023.toml",
            &["simulation.years=3"],
            compiled::FULL_SYSTEM_2023,
        ),
        (
            "full-system-2023.toml",
            &[
                "simulation.years=3",
                "programs.price_link.enabled=true",
                "programs.price_link.projected_food_yoy_pct=8.0",
            ],
            compiled::ALL,
        ),
    ];
    for (file, sets, set) in cases {
        let mut all = vec!["simulation.households=3000"];
        all.extend_from_slice(sets);
        let m = common::model_of(file, &all, "test");
        assert_eq!(m.rules.compiled(), set, "{file} {sets:?}");
        for rep in 0..2 {
            let table = RepTables::new(&m, rep);
            assert_eq!(table.compiled(), set, "{file} {sets:?}");
            let mut every = table.clone();
            every.compile_for_every_program();
            assert_eq!(every.compiled(), compiled::ALL);
            let (differ, nonzero) = counters_of_two_tables(&m, &table, &every, rep);
            assert_eq!(differ, 0, "{file} {sets:?}: {differ} counter slots differ");
            assert!(nonzero > 100);
        }
    }
}
