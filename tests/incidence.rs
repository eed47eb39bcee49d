//! Benefit incidence by decile: shares that add up, deciles of equal size, exact zeros for an
//! identical reform, gains concentrated at the bottom for a more generous dibao, and no
//! dependence on the thread count.

use safetynet::compare;
use safetynet::engine::{Model, RunOptions};
use safetynet::incidence::IncidenceRow;
use safetynet::scenario::{self, parse_override};
use std::path::Path;

fn model(name: &str, sets: &[&str]) -> Model {
    let mut all = vec![
        "simulation.households=4000",
        "simulation.replications=3",
        "simulation.years=2",
        "metrics.poverty_line=\"absolute\"",
    ];
    all.extend_from_slice(sets);
    let sets: Vec<_> = all.iter().map(|s| parse_override(s).unwrap()).collect();
    let base =
        scenario::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/baseline.toml"))
            .unwrap();
    let mut sets = sets;
    sets.push(("name".into(), toml::Value::String(name.into())));
    let l = base.with_overrides(&sets, "test").unwrap();
    Model::new(&l).unwrap()
}

fn rows(reform_sets: &[&str], threads: usize) -> Vec<IncidenceRow> {
    let models = vec![model("base", &[]), model("reform", reform_sets)];
    compare::compare(
        &models,
        &RunOptions {
            threads,
            progress: None,
        },
    )
    .unwrap()
    .incidence
}

fn mean(rows: &[IncidenceRow], year: i32, d: usize, metric: &str) -> f64 {
    rows.iter()
        .find(|r| r.year == year && r.decile == d && r.metric == metric)
        .unwrap()
        .stats
        .mean
}

#[test]
fn identical_reform_gives_exact_zeros_and_shares_add_up() {
    let r = rows(&[], 0);
    for row in &r {
        if [
            "avg_gain",
            "share_gain",
            "share_lose",
            "poverty_rate_change",
        ]
        .contains(&row.metric)
        {
            assert_eq!((row.stats.mean, row.stats.sd), (0.0, 0.0), "{row:?}");
        }
    }
    for year in [2023, 2024] {
        let persons: f64 = (1..=10).map(|d| mean(&r, year, d, "persons_share")).sum();
        let spending: f64 = (1..=10)
            .map(|d| mean(&r, year, d, "spending_share_baseline"))
            .sum();
        assert!((persons - 1.0).abs() < 1e-9 && (spending - 1.0).abs() < 1e-9);
        for d in 1..=10 {
            // Cut-offs come from a pilot sample, so each tenth of persons is close to, not exactly, 0.1.
            let p = mean(&r, year, d, "persons_share");
            assert!((p - 0.1).abs() < 0.02, "decile {d}: {p}");
        }
    }
}

#[test]
fn a_more_generous_dibao_helps_the_bottom_most_and_is_thread_independent() {
    let generous = [
        "programs.dibao.standard.urban=923",
        "programs.dibao.standard.rural=721",
    ];
    let r = rows(&generous, 1);
    assert_eq!(r, rows(&generous, 2));
    for year in [2023, 2024] {
        let bottom = mean(&r, year, 1, "avg_gain");
        let top = mean(&r, year, 10, "avg_gain");
        assert!(
            bottom > 0.0 && bottom > 10.0 * top.max(0.0),
            "{year}: bottom {bottom}, top {top}"
        );
        // Against an absolute line, more money at the bottom lowers poverty there.
        assert!(mean(&r, year, 1, "poverty_rate_change") < 0.0);
        assert!(mean(&r, year, 1, "share_gain") > mean(&r, year, 1, "share_lose"));
    }
}
