//! `safetynet backtest SCENARIO --projection`: the default projection (the baseline as shipped,
//! from its own start year on its own schedules, no observed drivers) against every official
//! figure dated in its horizon. Figures later than the start year are the held-back check of
//! issue 10: dibao persons within 5 % (urban within 10 %).

mod common;

use assert_cmd::Command;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tempfile::TempDir;

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// The baseline's projection over `years` into `dir/out`; backtest.csv's records.
fn projection(dir: &Path, years: &str, households: &str, reps: &str) -> Vec<csv::StringRecord> {
    projection_of(dir, "baseline.toml", &[], years, households, reps)
}

/// `scenarios/<file>`'s projection with `sets` (`key=value`) over `years` into `dir/out`.
fn projection_of(
    dir: &Path,
    file: &str,
    sets: &[&str],
    years: &str,
    households: &str,
    reps: &str,
) -> Vec<csv::StringRecord> {
    let mut cmd = Command::cargo_bin("safetynet").expect("binary `safetynet` is built");
    cmd.current_dir(dir)
        .timeout(Duration::from_secs(600))
        .arg("backtest")
        .arg(repo(&format!("scenarios/{file}")))
        .arg("--projection")
        .args(["--years", years, "--households", households, "--reps", reps])
        .arg("--history")
        .arg(repo("synthetic-data/history.csv"))
        .arg("--out")
        .arg(dir.join("out"))
        .arg("--quiet");
    for s in sets {
        cmd.args(["--set", s]);
    }
    cmd.assert().success();
    let mut r = csv::Reader::from_path(dir.join("out/backtest.csv")).unwrap();
    r.records().map(|x| x.unwrap()).collect()
}

/// Replications of every projection here.
const REPS: f64 = 12.0;

fn col(rec: &csv::StringRecord, i: usize) -> &str {
    rec.get(i).unwrap()
}

#[test]
fn projection_rows_after_the_start_year_are_out_of_sample() {
    let dir = TempDir::new().unwrap();
    let rows = projection(dir.path(), "2", "2000", "2");
    // Columns: figure, date, metric, region, unit, official, model_mean, p05, p95, error_pct,
    // in_interval, sample, ...
    assert!(
        rows.iter().any(|r| col(r, 1).starts_with("2024")),
        "a 2024 figure is compared"
    );
    for r in &rows {
        let year: i32 = col(r, 1)[..4].parse().unwrap();
        assert!((2023..=2024).contains(&year), "{:?} outside 2023-2024", r);
        let want = if col(r, 1).split('/').next_back().unwrap() > "2023-12" {
            "out"
        } else {
            "in"
        };
        assert_eq!(col(r, 11), want, "{:?}", r);
    }
}

/// The held-back figures: every official dibao caseload dated after 2023 in the history file,
/// against the default projection at 5 % (urban at 10 %). The sample (60,000 households × 12
/// replications) is asked to be large enough for the check to mean something: the Monte Carlo
/// standard error of the mean, bounded by the 90 % interval's width / 3.29 / √12 (the spread of
/// replications includes their parameter draws), must be below a third of the tolerance.
#[test]
fn the_default_projection_meets_the_later_official_caseloads() {
    let dir = TempDir::new().unwrap();
    let rows = projection(dir.path(), "3", "60000", "12");
    meets_the_later_caseloads(&rows);
    follows_the_population_change(&rows);
    two_years_change_within(&dir.path().join("out/backtest-changes.csv"));
    meets_the_2023_figures_as_published(&rows);
}

/// Issue 10's 2023 criteria as the figures were published, not annualised: the calibration
/// (`tests/calibrated_baseline.rs`) fits full-year targets, January–September flows × 12 / 9;
/// here the same run reads the confirmed rows of 2023 as dated, a stock at its month and a flow
/// over its months (the season weighs October–December), each within 5 % with the se of its
/// mean below a third of that. Dibao persons September 2023, dibao and tekun spending
/// January–September, tekun persons September, the press brief's H1 total. Temporary
/// assistance's rows are left out: at this sample their se (3–4 %) is above a third of 5 %.
/// Measured (5 December 2026): +1.4, −0.9, −3.5, −1.8, −1.1 %.
fn meets_the_2023_figures_as_published(rows: &[csv::StringRecord]) {
    let wanted = [
        ("dibao_persons_total", "2023-09"),
        ("dibao_spend_total", "2023-01/2023-09"),
        ("tekun_persons_total", "2023-09"),
        ("tekun_spend_total", "2023-01/2023-09"),
        ("assist_spend_dibao_tekun_temp", "2023-01/2023-06"),
    ];
    for (figure, date) in wanted {
        let r = rows
            .iter()
            .find(|r| col(r, 0) == figure && col(r, 1) == date)
            .unwrap_or_else(|| panic!("{figure} {date}: not in backtest.csv"));
        assert_eq!(col(r, 12), "yes", "{figure} {date}: a confirmed row");
        let num = |i: usize| col(r, i).parse::<f64>().unwrap();
        let (official, mean, p05, p95) = (num(5), num(6), num(7), num(8));
        let se_pct = common::mean_se(p05, p95, REPS) / official * 100.0;
        let err = (mean / official - 1.0) * 100.0;
        assert!(
            se_pct < 5.0 / 3.0,
            "{figure} {date}: se {se_pct:.2} % too large for a 5 % check"
        );
        assert!(
            err.abs() <= 5.0,
            "{figure} {date}: official {official}, model {mean:.2} ({err:+.1} %), allowed ±5 %"
        );
    }
}

/// The held-back change of dibao persons over two years, September 2023 → September 2025
/// (official −1.4 %), within 2 percentage points, the tolerance issue 10 gives the change of
/// 2021 → 2023. The se of the mean change (its 90 % interval over replications / 3.29 / √12)
/// must be below a third of that. Measured −2.7 % (−1.3 points) since the baseline took
/// retirement income (5 December 2026; −4.5 % before). The nine months Sep 2023 → Jun 2024
/// (official +1.0 %, model −1.2 %) are not held to it.
fn two_years_change_within(changes: &Path) {
    let mut r = csv::Reader::from_path(changes).unwrap();
    let rec = r
        .records()
        .map(|x| x.unwrap())
        .find(|r| {
            col(r, 0) == "dibao_persons_total" && col(r, 1) == "2023-09" && col(r, 2) == "2025-09"
        })
        .expect("dibao_persons_total 2023-09 -> 2025-09 in backtest-changes.csv");
    // Columns: figure, from, to, official_change_pct, model_mean_pct, model_p05_pct,
    // model_p95_pct, error_pp, ...
    let num = |i: usize| col(&rec, i).parse::<f64>().unwrap();
    let (official, mean, p05, p95) = (num(3), num(4), num(5), num(6));
    let se = common::mean_se(p05, p95, REPS);
    assert!(
        se < 2.0 / 3.0,
        "se {se:.2} points too large for a 2-point check"
    );
    assert!(
        (mean - official).abs() <= 2.0,
        "change Sep 2023 -> Sep 2025: official {official:+.1} %, projection {mean:+.1} %, allowed 2 points"
    );
}

/// The baseline's population change against the NBS's figures of 2024 and 2025 (in the
/// history file; the start year has no January events): births and deaths within 5 % (the
/// held-back figures' tolerance of issue 10; 6 % until 5 December 2026), persons
/// aged 60 or more within 3 %, each with the se of the mean (as in `meets_the_later_caseloads`)
/// below a third of its tolerance. Measured at this run's size with single-year ages: births
/// −2.3 % and −3.6 %, deaths +1.5 % and +3.9 %, 60+ +2.3 % and +0.8 % (docs/history-notes.md "Ages by single
/// year"; with uniform ages −0.6 / −1.6 %, +1.5 / +3.0 %, +0.7 / −1.4 %).
fn follows_the_population_change(rows: &[csv::StringRecord]) {
    let checked = later_within(rows, |figure| match figure {
        "births" | "deaths" => Some(5.0),
        "population_60plus" => Some(3.0),
        _ => None,
    });
    // Births and deaths of 2024 and 2025 and 60+ at their ends are in the shipped history.
    assert_eq!(checked, 6, "population figures checked");
}

/// The held caseload (`scenarios/held-caseload.toml`) with the standards of 2024-2025 set near
/// the observed path instead of the baseline's rule (urban 779 in November 2023 to 828 in
/// September 2025, rural 615.4 to 616: history.csv; growth 3.5 % and 3.0 % urban, 0.4 % a year
/// rural, docs/history-notes.md "The standards of September 2025") meets the same held-back caseloads; the
/// baseline does not (September 2025 -13.0 %, docs/history-notes.md "The caseload's response to the standard").
#[test]
fn the_held_caseload_with_the_observed_standards_meets_the_later_official_caseloads() {
    let dir = TempDir::new().unwrap();
    let rows = projection_of(
        dir.path(),
        "held-caseload.toml",
        &[
            "programs.dibao.standard.growth_urban={ 2023 = 0.048, 2024 = 0.035, 2025 = 0.030 }",
            "programs.dibao.standard.growth_rural={ 2023 = 0.085, 2024 = 0.004, 2025 = 0.004 }",
        ],
        "3",
        "60000",
        "12",
    );
    meets_the_later_caseloads(&rows);
}

/// Every official dibao caseload dated after 2023 in `rows` (backtest.csv of a projection of
/// 12 replications) within 5 % (urban 10 %), the se of the mean below a third of that.
fn meets_the_later_caseloads(rows: &[csv::StringRecord]) {
    let checked = later_within(rows, |figure| match figure {
        "dibao_persons_total" | "dibao_persons_rural" => Some(5.0),
        "dibao_persons_urban" => Some(10.0),
        _ => None,
    });
    // 2024-06 (total, urban, rural) and 2025-09 (total) are in the shipped history.
    assert!(checked >= 4, "only {checked} later figures checked");
}

/// Every figure dated after 2023 in `rows` (backtest.csv of a projection of 12 replications)
/// to which `tol` gives a tolerance (percent) within it, the se of the mean (the 90 %
/// interval's width / 3.29 / √12) below a third of it; returns how many were checked.
fn later_within(rows: &[csv::StringRecord], tol: impl Fn(&str) -> Option<f64>) -> usize {
    let mut checked = 0;
    for r in rows {
        let (figure, date) = (col(r, 0), col(r, 1));
        let Some(tol) = tol(figure) else {
            continue;
        };
        if date <= "2023-12" {
            continue;
        }
        let num = |i: usize| col(r, i).parse::<f64>().unwrap();
        let (official, mean, p05, p95) = (num(5), num(6), num(7), num(8));
        let se_pct = common::mean_se(p05, p95, REPS) / official * 100.0;
        let err = (mean / official - 1.0) * 100.0;
        assert!(
            se_pct < tol / 3.0,
            "{figure} {date}: se {se_pct:.2} % too large for a {tol} % check"
        );
        assert!(
            err.abs() <= tol,
            "{figure} {date}: official {official}, projection {mean:.2} ({err:+.1} %), allowed ±{tol} %"
        );
        checked += 1;
    }
    checked
}
