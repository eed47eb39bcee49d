//! The engine's fast path (`fast_run`: quiet months run ahead without the programs' steps) is
//! a shortcut, not a model: it must leave exactly the counters the month-by-month loop leaves.
//! The incidence pass simulates every month through the full loop (it needs each month's
//! income, so `fast_run` is off there), which gives an independent path to compare against:
//! every counter of every stratum, year and half-year must be equal, integer for integer, for
//! the shipped scenarios with the most rules switched on.

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
