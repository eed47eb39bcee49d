//! Charity settled after the run, in one pass over the households: each year it pays exactly
//! min(budget, demand), serves its priority classes in order, and with no budget leaves every
//! figure as charity switched off does.

mod common;

use safetynet::counters::{c, Counters};
use safetynet::engine::Model;
use safetynet::metrics::Period;

const SMALL: [&str; 3] = [
    "simulation.households=3000",
    "simulation.replications=2",
    "simulation.years=2",
];

/// Marginal families (above the standard) claim only with a target above it.
const T: &str = "programs.charity.target_multiple=1.5";

fn model(extra: &[&str]) -> Model {
    let mut sets: Vec<&str> = SMALL.to_vec();
    sets.extend_from_slice(extra);
    common::model_of("charity-linkage.toml", &sets, "test")
}

fn run(m: &Model, threads: usize) -> Vec<Counters> {
    common::counters_of(m, threads)
}

/// Weighted national sum over year `t` of counters `first..first + n` (each), divided by `scale`.
fn national(m: &Model, acc: &Counters, t: usize, first: usize, n: usize, scale: f64) -> Vec<f64> {
    (0..n)
        .map(|i| {
            let mut x = 0.0;
            for (st, w) in m.pop.alloc.weight.iter().enumerate() {
                for half in 0..2 {
                    x += w * acc.get(st, t, half)[first + i] as f64 / scale;
                }
            }
            x
        })
        .collect()
}

/// Most a settled national figure can stray from its exact share: every (stratum, half, rank)
/// share is rounded to the nearest unit, 0.5 at most, each weighted by its stratum's weight.
fn rounding(m: &Model, scale: f64) -> f64 {
    m.pop.alloc.weight.iter().sum::<f64>() * 2.0 * 3.0 * 0.5 / scale + 1e-6
}

#[test]
fn charity_pays_exactly_the_smaller_of_budget_and_demand() {
    // 2023: a budget below the year's claims; 2024: far above them.
    let m = model(&["programs.charity.budget={ 2023 = 1e9, 2024 = 1e13 }"]);
    let tol = rounding(&m, 100.0);
    for acc in run(&m, 2) {
        for (t, budget) in [(0, 1e9), (1, 1e13)] {
            let demand: f64 = national(&m, &acc, t, c::CHARITY_DEMAND_0, 3, 100.0)
                .iter()
                .sum();
            let paid = national(&m, &acc, t, c::COST_CHARITY_FEN, 1, 100.0)[0];
            assert!(
                (t == 0) == (demand > budget),
                "year {t}: demand {demand} yuan should be {} the budget {budget}",
                if t == 0 { "above" } else { "below" }
            );
            let want = demand.min(budget);
            assert!(
                (paid - want).abs() <= tol,
                "year {t}: paid {paid} yuan, min(budget, demand) = {want} (tolerance {tol})"
            );
        }
    }
}

#[test]
fn charity_serves_its_priority_classes_in_order() {
    for priority in ["marginal_first", "poor_first"] {
        let p = format!("programs.charity.priority=\"{priority}\"");
        // Demand and claim-months by rank do not depend on the budget: learn them first.
        let ample = model(&[&p, T, "programs.charity.budget={ 2023 = 1e13 }"]);
        let first = run(&ample, 1);
        let d = national(&ample, &first[0], 0, c::CHARITY_DEMAND_0, 3, 100.0);
        let months = national(&ample, &first[0], 0, c::CHARITY_MONTHS_0, 3, 1.0);
        assert!(
            d.iter().all(|x| *x > 0.0),
            "{priority}: every rank claims something: {d:?}"
        );
        // A budget that pays rank 0 in full and half of rank 1; rank 2 gets nothing.
        let budget = d[0] + 0.5 * d[1];
        let m = model(&[
            &p,
            T,
            &format!("programs.charity.budget={{ 2023 = {budget} }}"),
        ]);
        let acc = run(&m, 2);
        let again = national(&m, &acc[0], 0, c::CHARITY_DEMAND_0, 3, 100.0);
        assert_eq!(d, again, "{priority}: demand changed with the budget");
        let paid_months = national(&m, &acc[0], 0, c::CHARITY_HH_MONTHS, 1, 1.0)[0];
        let want = months[0] + 0.5 * months[1];
        let tol = rounding(&m, 1.0);
        assert!(
            (paid_months - want).abs() <= tol,
            "{priority}: {paid_months} household-months paid, rank 0 in full and half of rank 1 \
             make {want} (ranks' months {months:?}, tolerance {tol})"
        );
        let paid = national(&m, &acc[0], 0, c::COST_CHARITY_FEN, 1, 100.0)[0];
        assert!((paid - budget).abs() <= rounding(&m, 100.0));
    }
}

#[test]
fn charity_without_budget_changes_no_figure_and_a_budget_lowers_the_poverty_gap() {
    let none = common::results_of(&model(&["programs.charity.budget={ 2023 = 0 }"]));
    let off = common::results_of(&model(&["programs.charity.enabled=false"]));
    let some = common::results_of(&model(&["programs.charity.budget={ 2023 = 2e10 }"]));
    for year in [2023, 2024] {
        for metric in ["fgt0_post", "fgt1_post", "fgt2_post", "cost_total"] {
            assert_eq!(
                none.values(year, Period::FullYear, "national", metric),
                off.values(year, Period::FullYear, "national", metric),
                "{metric} {year}"
            );
        }
        let (a, b) = (
            some.values(year, Period::FullYear, "national", "fgt1_post"),
            off.values(year, Period::FullYear, "national", "fgt1_post"),
        );
        assert!(
            a.iter().zip(&b).all(|(x, y)| x < y),
            "{year}: a 20 bn budget must lower the post-transfer gap: {a:?} vs {b:?}"
        );
    }
}

#[test]
fn charity_is_settled_alike_on_one_and_two_threads() {
    let m = model(&[]);
    assert_eq!(run(&m, 1), run(&m, 2));
}
