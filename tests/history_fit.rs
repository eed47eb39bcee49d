//! The path of 2017-2023 (issue 10 item 8): the dated policy breaks do what they say, the path
//! calibration fits what it says, and the backtest fitted on rows up to 2021 meets (or, marked
//! `#[ignore]` with the shortfall, does not yet meet) the out-of-sample criteria.
//!
//! Statistical comparisons are paired (common random numbers: the same seed, so the same
//! households and shocks, in both runs): a difference is asserted beyond 3 standard errors of
//! the mean paired difference over replications, so a pass is not noise.

mod common;
use common::{model_of, repo_file, results_of};
use safetynet::backtest::History;
use safetynet::calibrate::{PathGoal, WEIGHT_RECALLED};
use safetynet::metrics::Period;
use safetynet::output::ScenarioResults;

/// Mean and standard error of the mean of paired differences b − a.
fn paired(a: &[f64], b: &[f64]) -> (f64, f64) {
    assert_eq!(a.len(), b.len());
    let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| y - x).collect();
    let n = d.len() as f64;
    let m = d.iter().sum::<f64>() / n;
    let var = d.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
    (m, (var / n).sqrt())
}

/// `scenarios/backtest-2017.toml` (the baseline driven from 2017 by the observed series) for
/// three years, 20,000 households x 8 replications, with `sets`.
fn backtest_run(sets: &[&str]) -> ScenarioResults {
    let mut all = vec![
        "simulation.households=20000",
        "simulation.replications=8",
        "simulation.years=3",
    ];
    all.extend_from_slice(sets);
    results_of(&model_of("backtest-2017.toml", &all, "history_fit test"))
}

/// Recipient households the means test would not admit (hidden income, assessment error).
fn ineligible_recipients(r: &ScenarioResults, year: i32) -> Vec<f64> {
    let hh = r.values(year, Period::FullYear, "national", "recipients_households");
    let share = r.values(year, Period::FullYear, "national", "inclusion_error");
    hh.iter().zip(&share).map(|(h, s)| h * s).collect()
}

#[test]
fn a_clean_up_campaign_drains_recipients_with_hidden_income() {
    // Hidden income in 30 % of households; matching finds it at 2 % a year, or at 60 % a year
    // from 2018 (the campaign). Each key of the schedule is set, so the baseline's own
    // schedule does not leak in.
    let hidden = [
        "programs.dibao.admin.hidden_share_urban=0.3",
        "programs.dibao.admin.hidden_share_rural=0.3",
    ];
    let low = "programs.dibao.admin.match_yearly_prob={ 2017 = 0.02, 2018 = 0.02, 2021 = 0.02 }";
    let high = "programs.dibao.admin.match_yearly_prob={ 2017 = 0.02, 2018 = 0.6, 2021 = 0.02 }";
    let a = backtest_run(&[hidden[0], hidden[1], low]);
    let b = backtest_run(&[hidden[0], hidden[1], high]);
    // 2017 is before the campaign: the same draws, the same figures.
    assert_eq!(
        ineligible_recipients(&a, 2017),
        ineligible_recipients(&b, 2017),
        "the campaign acts before its first year"
    );
    let (d, se) = paired(
        &ineligible_recipients(&a, 2019),
        &ineligible_recipients(&b, 2019),
    );
    assert!(
        d < -3.0 * se && d < 0.0,
        "ineligible recipient households 2019: campaign minus none {d:.4} m (se {se:.4})"
    );
    let persons =
        |r: &ScenarioResults| r.values(2019, Period::FullYear, "national", "recipients_persons");
    let (d, se) = paired(&persons(&a), &persons(&b));
    assert!(
        d < -3.0 * se,
        "dibao persons 2019: campaign minus none {d:.3} m (se {se:.3})"
    );
}

#[test]
fn an_enrolment_drive_adds_recipients_from_its_year() {
    let none = "programs.dibao.admin.enrolment_drive={ 2017 = 0.0, 2018 = 0.0, 2020 = 0.0 }";
    let drive = "programs.dibao.admin.enrolment_drive={ 2017 = 0.0, 2018 = 0.2, 2020 = 0.0 }";
    let a = backtest_run(&[none]);
    let b = backtest_run(&[drive]);
    let persons =
        |r: &ScenarioResults, y| r.values(y, Period::FullYear, "national", "recipients_persons");
    assert_eq!(
        persons(&a, 2017),
        persons(&b, 2017),
        "the drive acts before its year"
    );
    let (d, se) = paired(&persons(&a, 2018), &persons(&b, 2018));
    assert!(
        d > 3.0 * se && d > 0.0,
        "dibao persons 2018: drive minus none {d:.3} m (se {se:.3})"
    );
}

#[test]
fn the_path_goal_fits_rows_up_to_its_year_with_recalled_rows_at_half_weight() {
    let history = History::load(&repo_file("synthetic-data/history.csv")).unwrap();
    let loaded = safetynet::scenario::load(&repo_file("scenarios/backtest-2017.toml"))
        .unwrap()
        .with_overrides(
            &[
                safetynet::scenario::parse_override("simulation.households=2000").unwrap(),
                safetynet::scenario::parse_override("simulation.replications=2").unwrap(),
            ],
            "test",
        )
        .unwrap();
    let (goal, short) = PathGoal::new(history, &loaded, 2019).unwrap();
    assert_eq!(
        short.scenario().simulation.years,
        3,
        "the run ends in --fit-until"
    );
    let model = safetynet::engine::Model::new(&short).unwrap();
    let rows = goal.rows(&results_of(&model));
    assert!(rows.len() > 20, "{} rows", rows.len());
    for r in &rows {
        let t = &r.target;
        assert!(
            (2017..=2019).contains(&t.year),
            "{} dated {}",
            t.name,
            t.year
        );
        assert!(
            t.source.contains("history.csv row"),
            "{}: {}",
            t.name,
            t.source
        );
        assert!(
            !t.name.starts_with("dibao_std"),
            "standards drive, they are not fitted"
        );
        assert_eq!(t.weight, if t.confirmed { 1.0 } else { WEIGHT_RECALLED });
        assert!(r.rel_error.is_finite(), "{}", t.name);
    }
    // Levels and the change from each date to the next, urban and rural.
    for name in [
        "dibao_persons_urban 2017-12",
        "dibao_persons_rural 2018-12",
        "change dibao_persons_urban 2018-02 to 2019-05",
        "change dibao_persons_rural 2017-12 to 2018-02",
    ] {
        assert!(rows.iter().any(|r| r.target.name == name), "{name} missing");
    }
    // Only consecutive changes: not 2017-12 to the last 2019 date as well.
    assert!(!rows
        .iter()
        .any(|r| r.target.name == "change dibao_persons_rural 2017-12 to 2019-12"));
}
