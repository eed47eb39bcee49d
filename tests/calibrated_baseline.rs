//! The shipped baseline against the official 2023 figures it was calibrated to, and the
//! out-of-sample check: the model calibrated on 2022 figures alone, projected into 2023 with
//! 2023's actual standard increases, against the 2023 figures.
//!
//! The checks of the 2023 figures run at the calibration's own sample (10,000 households x 20
//! replications, the scenario's seed); the fit of every target and the out-of-sample check at
//! 40,000, where tekun's Monte Carlo error is well inside its tolerance. The tolerances are the
//! ones README.md states ("Calibration to 2023"), and a change to the model that worsens the
//! fit beyond them fails here.

use safetynet::calibrate::{evaluate, load_targets};
use safetynet::scenario::{self, parse_override};
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn fit(scenario_file: &str, targets_file: &str, years: u32) -> Vec<(String, f64)> {
    fit_at(10_000, scenario_file, targets_file, years)
}

fn fit_at(
    households: u64,
    scenario_file: &str,
    targets_file: &str,
    years: u32,
) -> Vec<(String, f64)> {
    let sets: Vec<_> = [
        &format!("simulation.households={households}"),
        "simulation.replications=20",
        &format!("simulation.years={years}"),
    ]
    .iter()
    .map(|s| parse_override(s).unwrap())
    .collect();
    let loaded = scenario::load(&root().join("scenarios").join(scenario_file))
        .unwrap()
        .with_overrides(&sets, "test")
        .unwrap();
    let targets = load_targets(&root().join("synthetic-data").join(targets_file), false).unwrap();
    evaluate(&loaded, &targets, 0)
        .unwrap()
        .into_iter()
        .map(|r| (r.target.name.clone(), r.rel_error))
        .collect()
}

/// Relative-error tolerances of the shipped 2023 fit, as stated in README.md: every fitted
/// target within 5 % (the bar), the standards (inputs, a check of the table) within
/// 1 %.
const TOLERANCE_2023: &[(&str, f64)] = &[
    ("dibao_persons", 0.05),
    ("dibao_persons_urban", 0.05),
    ("dibao_persons_rural", 0.05),
    ("dibao_spending", 0.05),
    ("standard_urban", 0.01),
    ("standard_rural", 0.01),
    ("tekun_persons", 0.05),
    ("tekun_spending", 0.05),
    ("temporary_cases", 0.05),
    ("temporary_spending", 0.05),
    ("press_brief_h1_total", 0.05),
    // Reported, not fitted (weight 0; derived from recalled 2020 figures): recipient
    // households are assistance units (`programs.dibao.units`, fitted to persons per unit at
    // end 2020, tests/composition.rs); about 6 % below this derived figure, tested at the 10 %
    // recalled figures are held to.
    ("dibao_households", 0.10),
];

/// At 40,000 households (as the out-of-sample check below): at the calibration's 10,000 x 20
/// tekun persons' Monte Carlo se is about 4 % of the figure (sd 0.77 m over replications), as
/// wide as the 5 % tolerance; at 40,000 about 2 %. Tekun's rural no-supporter share was set
/// between the 2023 fit and the backtest's (`baseline.toml`), so its 2023 error is about -2 %.
#[test]
fn shipped_baseline_reproduces_each_2023_target_within_the_stated_tolerance() {
    let rows: Vec<_> = fit_at(40_000, "baseline.toml", "targets-2023.toml", 1)
        .into_iter()
        .filter(|(n, _)| !CHECKS_2023.contains(&n.as_str()))
        .collect();
    assert_eq!(rows.len(), TOLERANCE_2023.len());
    for (name, err) in rows {
        let tol = TOLERANCE_2023
            .iter()
            .find(|(n, _)| *n == name)
            .map(|t| t.1)
            .unwrap_or_else(|| panic!("no tolerance for {name}"));
        assert!(
            err.abs() <= tol,
            "{name}: relative error {err:+.3} beyond ±{tol}"
        );
    }
}

/// Weight-0 checks of targets-2023.toml tested on their own below: the monitoring database and
/// the marginal-family members' lower bound.
const CHECKS_2023: &[&str] = &["monitoring_database", "marginal_persons_lower_bound"];

/// The 2023 figure of one target, as a relative error, at the calibration's sample.
fn check_2023(name: &str) -> f64 {
    fit("baseline.toml", "targets-2023.toml", 1)
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, e)| e)
        .unwrap_or_else(|| panic!("no target {name}"))
}

/// Marginal-family members: the official figure is "600多万" (October 2023: six million and
/// more, under seven million), a lower bound the model must not fall below.
#[test]
fn marginal_family_members_are_above_the_official_lower_bound() {
    let err = check_2023("marginal_persons_lower_bound");
    assert!(
        err >= 0.0,
        "marginal persons {err:+.3} below the 6 m lower bound"
    );
}

/// Issue 10 asks for marginal-family members "not far above" the lower bound, read as the
/// published range: "600多万" is below 7 m, so at most 7/6 of the bound. Marginal families
/// are recognised on application (`programs.marginal`), with the take-up share fitted to the
/// middle, 6.5 m; the model gives 6.47 m at this sample, its Monte Carlo standard error
/// about 0.26 m (sd 1.17 m over 20 replications), so either end of the range is about two
/// standard errors away.
#[test]
fn marginal_family_members_are_not_far_above_the_official_lower_bound() {
    let err = check_2023("marginal_persons_lower_bound");
    assert!(
        err <= 7.0 / 6.0 - 1.0,
        "marginal persons {err:+.3} above the published range (6-7 m)"
    );
}

/// Issue 10: the monitoring database within 10 % of the official 66 m (October 2023). The
/// database is a registry (`programs.monitoring`): households on a program, applicants and
/// households identified by a revealed shock. Only the identification share is derived from
/// the briefing's breakdown (the 3 m+ relapse-monitoring persons), not the total: the model
/// gives 66.6 m (+1 %), its standard error about 0.7 m (sd 2.97 m over 20 replications).
#[test]
fn monitoring_database_is_within_ten_percent_of_the_official_66_million() {
    let err = check_2023("monitoring_database");
    assert!(
        err.abs() <= 0.10,
        "monitoring database {err:+.3} beyond ±0.10"
    );
}

/// Out-of-sample relative-error tolerances of the 2023 projection from the 2022 calibration,
/// as stated in README.md. Temporary assistance is not checked: 2022 has no figures of its
/// own, and the H1 2022 total implies far more of it in 2022 (9 bn yuan in the first half)
/// than in 2023 (6.4 bn in nine months), which the 2022 fit carries into 2023; the H1 total's
/// wider tolerance is that. The urban/rural split rests on recalled (unconfirmed) figures.
const TOLERANCE_OUT_OF_SAMPLE: &[(&str, f64)] = &[
    ("dibao_persons", 0.10),
    ("dibao_spending", 0.10),
    ("standard_urban", 0.01),
    ("standard_rural", 0.01),
    ("tekun_persons", 0.05),
    ("tekun_spending", 0.10),
    ("press_brief_h1_total", 0.15),
];

#[test]
fn calibrated_on_2022_the_model_projects_2023_within_the_stated_out_of_sample_error() {
    // 40,000 households: at 10,000 x 20 tekun persons' Monte Carlo sd is about 4.8 % (seeds
    // 20230912 and 1-4 gave -5.3, +5.7, -5.3, +1.6, +3.1 %), as wide as its 5 % tolerance;
    // at 40,000 about 1.7 % (-1.2, -0.9, -3.7, -4.3 %).
    let rows = fit_at(40_000, "baseline-2022.toml", "targets-2023.toml", 2);
    for (name, tol) in TOLERANCE_OUT_OF_SAMPLE {
        let err = rows
            .iter()
            .find(|r| r.0 == *name)
            .map(|r| r.1)
            .unwrap_or_else(|| panic!("no 2023 target {name}"));
        assert!(
            err.abs() <= *tol,
            "{name}: out-of-sample relative error {err:+.3} beyond ±{tol}"
        );
    }
}
