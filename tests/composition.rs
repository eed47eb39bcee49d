//! Composition of the caseload in the backtest's 2020 against the official end-2020 figures
//! (synthetic-data/history.csv, rows dated 2020-12): persons per dibao recipient unit 1.65
//! urban (8.051 m persons / 4.889 m units) and 1.82 rural (36.208 m / 19.85 m), and tekun
//! persons 0.312 m urban and 4.463 m rural, each within the 10 %.
//!
//! The run is `scenarios/backtest-2017.toml` (the baseline driven from 2017 by the observed
//! series) to 2020, 250,000 households x 24 replications (urban tekun persons are few). The model's figure is the 2020
//! monthly average (the official one is a year-end stock; both move by a few per cent a year).
//! Tolerance: each check also asserts that the Monte Carlo standard error of the mean over
//! replications (sd / sqrt(R)) is below a third of the 10 % band, so a pass is not noise.

mod common;
use common::{repo_file, s};
use std::collections::HashMap;
use std::path::Path;

/// Replications: 24, so that the standard error of urban tekun persons (about 0.3 m, a few
/// hundred sample households) is below a third of its 10 % band (it was 0.0123 m at 8, 0.0104 m,
/// the band's third, at 16, and 0.0079 m at 24).
const REPS: usize = 24;

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
    assert_eq!(v.len(), REPS, "{what}: one value per replication");
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

/// Per-replication rows of `scenarios/backtest-2017.toml` run to 2020 (250,000 households x
/// [`REPS`] replications).
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
            &REPS.to_string(),
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

/// Met since the backtest starts from the start year's population (`population.demography.
/// table_year = 2023` in the baseline: the strata table's 2023 population moved back to 2017 by
/// the NBS growth series). Before, the 2017 run started at 2023's population and shrank the
/// rural one by a further 12.5 %, so rural tekun 2020 was 13 % short (3.89 m). Measured at this
/// sample, merged with main b9f2341: 0.318 m urban (se 0.008, +1.9 %) and 4.348 m rural
/// (se 0.023, -2.6 %).
#[test]
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

/// `recipients_persons_60plus` counts part of the recipients: in every replication, year and
/// region at most `recipients_persons`, more than none, and urban plus rural the national
/// figure (each counter is summed over strata, so the sum holds to rounding).
#[test]
fn recipients_aged_60_or_more_are_part_of_the_recipients() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    common::safetynet(dir.path())
        .args([
            "run",
            &s(&common::baseline()),
            "--households",
            "20000",
            "--reps",
            "2",
            "--years",
            "3",
            "--quiet",
            "--out",
            &s(&out),
        ])
        .assert()
        .success();
    let rows = read(&out.join("replications.csv"));
    let get = |rep: &str, year: &str, region: &str, metric: &str| -> f64 {
        rows.iter()
            .find(|r| {
                r[1] == rep && r[2] == year && r[3] == "FY" && r[4] == region && r[5] == metric
            })
            .unwrap_or_else(|| panic!("{metric} {region} {year} rep {rep}"))[7]
            .parse()
            .unwrap()
    };
    let mut checked = 0;
    for rep in ["0", "1"] {
        for year in ["2023", "2024", "2025"] {
            let old = |region| get(rep, year, region, "recipients_persons_60plus");
            for region in ["national", "urban", "rural"] {
                let all = get(rep, year, region, "recipients_persons");
                assert!(old(region) > 0.0 && old(region) <= all, "{region} {year}");
                checked += 1;
            }
            let sum = old("urban") + old("rural");
            assert!((sum - old("national")).abs() <= 1e-9 * sum, "{year}: {sum}");
        }
    }
    assert_eq!(checked, 18);
}

fn read(p: &Path) -> Vec<Vec<String>> {
    csv::Reader::from_path(p)
        .unwrap()
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect()
}
