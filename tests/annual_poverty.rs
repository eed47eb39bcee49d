//! Poverty read from the year's income (`metrics.annual_poverty`): its rows against the
//! closed form of the static log-normal model, against the monthly reading, and turning it on
//! changes no other figure.
//!
//! Tolerance from the Monte Carlo standard error (`common::check_closed_form`): within 4
//! standard errors of the closed form, the standard error below 3 % of the value.

use safetynet::metrics::Period;
use safetynet::output::ScenarioResults;
use safetynet::reference::RefParams;

mod common;
use common::{check_closed_form, model_of, results_of as results};

const REFERENCE: &str = "reference-model.toml";

#[test]
fn a_static_year_reads_the_same_monthly_and_annually_and_matches_the_normal_cdf() {
    // Income constant within each year (no persistent moves, no shocks): a household is poor
    // all twelve months or none, so both readings agree replication by replication, and the
    // share of persons below the standard is the closed form's share of households below it
    // (size does not depend on income; full take-up makes the closed form's recipients exactly
    // the households below the standard).
    let model = model_of(
        REFERENCE,
        &[
            "simulation.households=20000",
            "simulation.replications=8",
            "simulation.years=3",
            "dynamics.income.persistent_sd=0.0",
            "dynamics.income.persistent_initial_sd=0.0",
            "dynamics.shocks.hardship.monthly_prob=0.0",
            "programs.dibao.take_up.ever_apply=1.0",
            "metrics.annual_poverty=true",
        ],
        "test",
    );
    let r = results(&model);
    let expected = RefParams::from_scenario(model.scenario()).expectation();
    for (t, e) in expected.iter().enumerate() {
        let y = 2023 + t as i32;
        let annual = r.values(y, Period::FullYear, "national", "fgt0_pre_annual");
        let monthly = r.values(y, Period::FullYear, "national", "fgt0_pre");
        assert_eq!(annual.len(), 8);
        for (a, m) in annual.iter().zip(&monthly) {
            assert!((a - m).abs() < 1e-12, "{y}: annual {a} against monthly {m}");
        }
        let post = r.values(y, Period::FullYear, "national", "fgt0_post_annual");
        let post_monthly = r.values(y, Period::FullYear, "national", "fgt0_post");
        for ((p, a), pm) in post.iter().zip(&annual).zip(&post_monthly) {
            assert!(
                p <= a,
                "{y}: transfers never make anyone poorer ({p} > {a})"
            );
            // A person poor on the year's income was poor after transfers in some month of it:
            // a household topped up to the line every month is not poor, whatever the roundings
            // of its cash to the fen.
            assert!(*p <= 12.0 * pm, "{y}: annual {p} above 12 x monthly {pm}");
        }
        let st = r
            .stats(y, Period::FullYear, "national", "fgt0_pre_annual")
            .unwrap();
        check_closed_form("annual poverty before transfers", y, st, e.recipients);
    }
}

#[test]
fn with_monthly_noise_the_year_finds_fewer_poor_and_the_key_changes_no_other_figure() {
    // The reference model as specified (persistent moves and one-month hardship shocks): the
    // year's income averages a month's shock away, so fewer persons are poor on it; the yearly
    // exit and fall-back rates are shares. Every other figure is the run's without the key,
    // replication by replication, bit for bit (the summaries step every month; the fast path
    // they skip changes nothing).
    let sets = [
        "simulation.households=20000",
        "simulation.replications=2",
        "simulation.years=3",
    ];
    let off = results(&model_of(REFERENCE, &sets, "off"));
    let mut with = sets.to_vec();
    with.push("metrics.annual_poverty=true");
    let on = results(&model_of(REFERENCE, &with, "on"));
    let annual = [
        "fgt0_pre_annual",
        "fgt0_post_annual",
        "poverty_exit_rate_annual",
        "fallback_poverty_annual",
    ];
    let figures = |r: &ScenarioResults| {
        let mut v: Vec<(i32, &'static str, usize, usize, u64)> = r
            .reps
            .iter()
            .flatten()
            .filter(|f| !f.value.is_nan())
            .map(|f| {
                (
                    f.year,
                    f.period.as_str(),
                    f.region,
                    f.metric,
                    f.value.to_bits(),
                )
            })
            .collect();
        v.sort();
        v
    };
    let metric_name = |i: usize| safetynet::metrics::METRICS[i].name;
    let (a, b) = (figures(&off), figures(&on));
    // Without the key the rows are absent, not undefined (so with microdata there is nothing
    // for disclosure control to withhold).
    assert!(
        off.reps
            .iter()
            .flatten()
            .all(|f| !annual.contains(&metric_name(f.metric))),
        "annual rows without the key"
    );
    let b_rest: Vec<_> = b
        .iter()
        .filter(|f| !annual.contains(&metric_name(f.3)))
        .cloned()
        .collect();
    assert_eq!(a, b_rest, "the key changed a figure other than its own");
    for y in 2023..2026 {
        let m = on
            .stats(y, Period::FullYear, "national", "fgt0_pre")
            .unwrap()
            .mean;
        let an = on
            .stats(y, Period::FullYear, "national", "fgt0_pre_annual")
            .unwrap()
            .mean;
        assert!(an < m, "{y}: annual {an} not below monthly {m}");
        let post = |k: &str| on.stats(y, Period::FullYear, "national", k).unwrap().mean;
        let (pm, pa) = (post("fgt0_post"), post("fgt0_post_annual"));
        assert!(pa <= an, "{y}: after transfers {pa}, before {an}");
        assert!(
            pa < pm,
            "{y}: annual {pa} not below monthly {pm} after transfers"
        );
        for k in ["poverty_exit_rate_annual", "fallback_poverty_annual"] {
            if let Some(s) = on.stats(y, Period::FullYear, "national", k) {
                assert!(s.mean > 0.0 && s.mean < 1.0, "{y} {k} {}", s.mean);
            }
        }
    }
    // The first year has no year before, the last none after.
    assert!(on
        .stats(
            2023,
            Period::FullYear,
            "national",
            "poverty_exit_rate_annual"
        )
        .is_none());
    assert!(on
        .stats(
            2025,
            Period::FullYear,
            "national",
            "fallback_poverty_annual"
        )
        .is_none());
    assert!(on
        .stats(
            2024,
            Period::FullYear,
            "national",
            "fallback_poverty_annual"
        )
        .is_some());
}
