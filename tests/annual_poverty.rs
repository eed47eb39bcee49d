//! Poverty read from the year's income (`metrics::annual`) against the closed form of the
//! static log-normal model and against the engine's own monthly reading.
//!
//! Tolerance from the Monte Carlo standard error: the mean over R replications has standard
//! error sd/√R (sd the spread between replications); a figure passes within 4 standard errors
//! of the closed form, and the standard error must be small next to the value, so the check
//! cannot pass vacuously.

use safetynet::engine::{self, Model, RunOptions};
use safetynet::metrics::annual::annual_poverty;
use safetynet::metrics::{Period, Stats};
use safetynet::output;
use safetynet::reference::RefParams;
use safetynet::scenario::{self, parse_override, LoadedScenario};
use std::path::Path;

mod common;
use common::check_closed_form;

fn load(sets: &[&str]) -> LoadedScenario {
    let base = scenario::load(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/reference-model.toml"),
    )
    .unwrap();
    let sets: Vec<_> = sets.iter().map(|s| parse_override(s).unwrap()).collect();
    base.with_overrides(&sets, "test").unwrap()
}

#[test]
fn a_static_year_reads_the_same_monthly_and_annually_and_matches_the_normal_cdf() {
    // Income constant within each year (no persistent moves, no shocks): a household is poor
    // all twelve months or none, so both readings agree replication by replication, and the
    // share of persons below the standard is the closed form's share of households below it
    // (size does not depend on income).
    let households = 20_000u64;
    let reps = 8u32;
    let loaded = load(&[
        &format!("simulation.households={households}"),
        "simulation.years=3",
        "dynamics.income.persistent_sd=0.0",
        "dynamics.income.persistent_initial_sd=0.0",
        "dynamics.shocks.hardship.monthly_prob=0.0",
        // Full take-up: the closed form's recipients are then the households below the standard.
        "programs.dibao.take_up.ever_apply=1.0",
    ]);
    let model = Model::new(&loaded).unwrap();
    let expected = RefParams::from_scenario(loaded.scenario()).expectation();
    let runs: Vec<_> = (0..reps)
        .map(|r| annual_poverty(&model, r, households).unwrap())
        .collect();
    for (t, e) in expected.iter().enumerate() {
        for run in &runs {
            let a = run[t];
            assert!(
                (a.annual_pre - a.monthly_pre).abs() < 1e-12,
                "year {}: annual {} against monthly {}",
                a.year,
                a.annual_pre,
                a.monthly_pre
            );
            assert!(
                a.annual_post <= a.annual_pre,
                "transfers never make anyone poorer"
            );
        }
        let v: Vec<f64> = runs.iter().map(|r| r[t].annual_pre).collect();
        let st = Stats::of(&v).unwrap();
        check_closed_form(
            "annual poverty before transfers",
            2023 + t as i32,
            st,
            e.recipients,
        );
    }
}

#[test]
fn the_monthly_reading_is_the_engines_own_and_the_annual_one_is_lower_with_monthly_noise() {
    // The reference model as specified (persistent moves and one-month hardship shocks): the
    // monthly reading of the module is exactly the engine's fgt0_pre and fgt0_post of the same
    // households (one replication, the sample is the population), and the year's income, which
    // averages the month's shocks away, finds fewer persons poor.
    let households = 20_000u64;
    let loaded = load(&[
        &format!("simulation.households={households}"),
        "simulation.years=3",
        "simulation.replications=1",
    ]);
    let model = Model::new(&loaded).unwrap();
    let counters = engine::run(std::slice::from_ref(&model), &RunOptions::default()).unwrap();
    let r = output::collect(std::slice::from_ref(&model), &counters).remove(0);
    let a = annual_poverty(&model, 0, households).unwrap();
    for y in &a {
        for (metric, ours) in [("fgt0_pre", y.monthly_pre), ("fgt0_post", y.monthly_post)] {
            let engine = r
                .stats(y.year, Period::FullYear, "national", metric)
                .unwrap()
                .mean;
            assert!(
                (engine - ours).abs() < 1e-9,
                "{} {metric}: engine {engine}, module {ours}",
                y.year
            );
        }
        assert!(
            y.annual_pre < y.monthly_pre,
            "{}: annual {} not below monthly {}",
            y.year,
            y.annual_pre,
            y.monthly_pre
        );
    }
}
