//! The engine, run on `scenarios/reference-model.toml`, against the closed form of
//! `shared/REFERENCE_MODEL.md`, and the static log-normal special case.
//!
//! Tolerances come from the Monte Carlo standard error: with R replications, the mean over
//! replications has standard error sd/√R, where sd is the spread between replications. A
//! figure passes if it lies within 4 standard errors of the closed form (a false alarm about
//! once in 16,000 checks), and each test also asserts that the standard error is small next to
//! the value, so the check cannot pass vacuously.

use safetynet::engine::{self, Model, RunOptions};
use safetynet::metrics::{Period, Stats};
use safetynet::output::{self, ScenarioResults};
use safetynet::reference::RefParams;
use safetynet::scenario::{self, parse_override, LoadedScenario};
use std::path::Path;

mod common;
use common::check_closed_form as check;

fn load(sets: &[&str]) -> LoadedScenario {
    let base = scenario::load(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/reference-model.toml"),
    )
    .unwrap();
    let sets: Vec<_> = sets.iter().map(|s| parse_override(s).unwrap()).collect();
    base.with_overrides(&sets, "test").unwrap()
}

fn simulate(loaded: &LoadedScenario) -> ScenarioResults {
    let model = Model::new(loaded).unwrap();
    let counters = engine::run(std::slice::from_ref(&model), &RunOptions::default()).unwrap();
    output::collect(&[model], &counters).remove(0)
}

#[test]
fn reference_model_matches_closed_form_cost_and_recipients() {
    let n = 20_000.0;
    let loaded = load(&["simulation.households=20000", "simulation.replications=12"]);
    let r = simulate(&loaded);
    let expected = RefParams::from_scenario(loaded.scenario()).expectation();
    let s = &loaded.scenario().simulation;
    for (t, e) in expected.iter().enumerate() {
        let y = s.start_year + t as i32;
        let cost = r
            .stats(y, Period::FullYear, "national", "cost_total")
            .unwrap();
        let cost_yuan = Stats {
            mean: cost.mean * 1e9,
            sd: cost.sd * 1e9,
            ..cost
        };
        check("cost", y, cost_yuan, e.cost * n);
        let rec = r
            .stats(y, Period::FullYear, "national", "recipients_households")
            .unwrap();
        let rec_hh = Stats {
            mean: rec.mean * 1e6,
            sd: rec.sd * 1e6,
            ..rec
        };
        check("recipients", y, rec_hh, e.recipients * n);
    }
    // The fall-back rate as the notes define it (re-entries within 12 months over exits,
    // windows cut at the horizon): defined, and biased down in the last year by the cut.
    let fb = |y| {
        r.stats(
            y,
            Period::FullYear,
            "national",
            "fallback_assist_12m_truncated",
        )
        .unwrap()
        .mean
    };
    let first = fb(s.start_year);
    let last = fb(s.start_year + s.years as i32 - 1);
    assert!(first > 0.0 && first < 1.0, "{first}");
    assert!(
        last < first,
        "right-censoring should lower the last year's rate: {last} vs {first}"
    );
    // Where every window is observed, the two definitions coincide.
    let full = r
        .stats(
            s.start_year,
            Period::FullYear,
            "national",
            "fallback_assist_12m",
        )
        .unwrap()
        .mean;
    assert!((full - first).abs() < 1e-12, "{full} vs {first}");
}

#[test]
fn static_lognormal_income_matches_normal_cdf_and_partial_expectation() {
    // No dynamics, no shocks, no assessment error, full take-up: a household's income is its
    // permanent log-normal draw, so recipients = N·Φ(d) and cost = N·E[k]·E[(S − Y)⁺].
    let loaded = load(&[
        "simulation.households=40000",
        "simulation.replications=10",
        "simulation.years=2",
        "dynamics.income.persistent_sd=0.0",
        "dynamics.income.persistent_initial_sd=0.0",
        "dynamics.shocks.hardship.monthly_prob=0.0",
        "programs.dibao.take_up.ever_apply=1.0",
    ]);
    let r = simulate(&loaded);
    let expected = RefParams::from_scenario(loaded.scenario()).expectation();
    for (t, e) in expected.iter().enumerate() {
        let y = 2023 + t as i32;
        let cost = r
            .stats(y, Period::FullYear, "national", "cost_total")
            .unwrap();
        check(
            "static cost",
            y,
            Stats {
                mean: cost.mean * 1e9,
                sd: cost.sd * 1e9,
                ..cost
            },
            e.cost * 40_000.0,
        );
        let rec = r
            .stats(y, Period::FullYear, "national", "recipients_households")
            .unwrap();
        check(
            "static recipients",
            y,
            Stats {
                mean: rec.mean * 1e6,
                sd: rec.sd * 1e6,
                ..rec
            },
            e.recipients * 40_000.0,
        );
        // Every month of a static year has the same recipients, so the first half is exactly
        // half of the year's cost, replication by replication.
        let h1 = r.values(y, Period::FirstHalf, "national", "cost_total");
        let fy = r.values(y, Period::FullYear, "national", "cost_total");
        for (a, b) in h1.iter().zip(&fy) {
            assert!((2.0 * a - b).abs() < 1e-9 * b, "{a} {b}");
        }
    }
}
