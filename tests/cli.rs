//! End-to-end tests of the `safetynet` binary: bad input exits 2 with a message that names the
//! file, the key path, the bad value and what is allowed (never a panic); the happy paths of
//! `run`, `validate` and `population` work on tiny sizes and write well-formed outputs.

use assert_cmd::Command;
use predicates::prelude::*;
use predicates::str::contains;
use std::path::Path;
use std::time::Duration;
use tempfile::TempDir;

mod common;
use common::{bad_input, baseline, s, safetynet, write, TINY};

/// `run` a scenario file at tiny sizes, results into `dir/out`.
fn run_tiny(dir: &Path, scenario: &Path) -> Command {
    let mut cmd = safetynet(dir);
    cmd.arg("run")
        .arg(scenario)
        .args(TINY)
        .arg("--quiet")
        .arg("--out")
        .arg(dir.join("out"));
    cmd
}

// ---------------------------------------------------------------------------------------------
// Bad scenario files
// ---------------------------------------------------------------------------------------------

#[test]
fn typo_in_key_names_file_path_and_suggests_the_right_key() {
    let dir = TempDir::new().unwrap();
    let f = write(
        dir.path(),
        "typo.toml",
        "[programs.dibao.take_up]\never_aply = 0.5\n",
    );
    bad_input(&mut run_tiny(dir.path(), &f))
        .stderr(contains(s(&f)))
        .stderr(contains("programs.dibao.take_up.ever_aply"))
        .stderr(contains("unknown key"))
        .stderr(contains("did you mean `ever_apply`"));
}

#[test]
fn negative_standard_names_key_value_and_allowed_range() {
    let dir = TempDir::new().unwrap();
    let f = write(
        dir.path(),
        "neg.toml",
        "[programs.dibao.standard]\nurban = -5.0\n",
    );
    bad_input(&mut run_tiny(dir.path(), &f))
        .stderr(contains(s(&f)))
        .stderr(contains("programs.dibao.standard.urban"))
        .stderr(contains("-5"))
        .stderr(contains("from 0 to"));
}

#[test]
fn probability_above_one_names_key_value_and_allowed_range() {
    let dir = TempDir::new().unwrap();
    let f = write(
        dir.path(),
        "prob.toml",
        "[programs.dibao.take_up]\nmonthly_apply_prob = 1.5\n",
    );
    bad_input(&mut run_tiny(dir.path(), &f))
        .stderr(contains(s(&f)))
        .stderr(contains("programs.dibao.take_up.monthly_apply_prob"))
        .stderr(contains("1.5"))
        .stderr(contains("from 0 to 1"));
}

/// The replayed start draws the past on the income process's stationary law and has no form for
/// hidden-income spells: a scenario that would need either is refused, naming the key.
#[test]
fn a_replayed_start_refuses_a_non_stationary_spread_and_hidden_income_spells() {
    let dir = TempDir::new().unwrap();
    let f = write(
        dir.path(),
        "spread.toml",
        "[simulation]\nstart = \"replayed\"\n[dynamics.income]\npersistent_initial_sd = 0.5\n",
    );
    bad_input(&mut run_tiny(dir.path(), &f))
        .stderr(contains(s(&f)))
        .stderr(contains("dynamics.income.persistent_initial_sd"))
        .stderr(contains("0.5"))
        .stderr(contains("the stationary sd"));
    let g = write(
        dir.path(),
        "spells.toml",
        "[simulation]\nstart = \"replayed\"\n[programs.dibao.admin]\nhidden_spell_years = 2.0\n",
    );
    bad_input(&mut run_tiny(dir.path(), &g))
        .stderr(contains(s(&g)))
        .stderr(contains("simulation.start"))
        .stderr(contains("\"enrolled\" or \"empty\""));
    // The stationary spread and no spells run.
    let h = write(
        dir.path(),
        "ok.toml",
        "[simulation]\nstart = \"replayed\"\n",
    );
    run_tiny(dir.path(), &h).assert().success();
}

#[test]
fn missing_scenario_file_names_the_path() {
    let dir = TempDir::new().unwrap();
    let f = dir.path().join("no-such-scenario.toml");
    bad_input(&mut run_tiny(dir.path(), &f))
        .stderr(contains(s(&f)))
        .stderr(contains("cannot read"));
    // `validate` reports it the same way.
    bad_input(safetynet(dir.path()).arg("validate").arg(&f)).stderr(contains(s(&f)));
}

#[test]
fn malformed_toml_names_file_and_line() {
    let dir = TempDir::new().unwrap();
    let f = write(dir.path(), "broken.toml", "[simulation\nyears = 3\n");
    bad_input(&mut run_tiny(dir.path(), &f))
        .stderr(contains(s(&f)))
        .stderr(contains("TOML"))
        .stderr(contains("line 1"));
}

#[test]
fn extends_pointing_at_missing_file_names_file_key_and_target() {
    let dir = TempDir::new().unwrap();
    let f = write(
        dir.path(),
        "child.toml",
        "extends = \"missing-base.toml\"\nname = \"child\"\n",
    );
    bad_input(&mut run_tiny(dir.path(), &f))
        .stderr(contains(s(&f)))
        .stderr(contains("extends"))
        .stderr(contains("missing-base.toml"))
        .stderr(contains("does not exist"));
}

#[test]
fn wrong_type_names_key_path_and_value() {
    let dir = TempDir::new().unwrap();
    let f = write(dir.path(), "type.toml", "[simulation]\nyears = \"ten\"\n");
    bad_input(&mut run_tiny(dir.path(), &f))
        .stderr(contains(s(&f)))
        .stderr(contains("simulation.years"))
        .stderr(contains("ten"))
        .stderr(contains("expected"));
}

#[test]
fn schedule_with_non_year_key_names_key_and_what_is_allowed() {
    let dir = TempDir::new().unwrap();
    let f = write(
        dir.path(),
        "sched.toml",
        "[dynamics.income]\ngrowth = { soon = 0.05 }\n",
    );
    bad_input(&mut run_tiny(dir.path(), &f))
        .stderr(contains(s(&f)))
        .stderr(contains("dynamics.income.growth"))
        .stderr(contains("soon"))
        .stderr(contains("year"));
}

// ---------------------------------------------------------------------------------------------
// Bad command-line overrides
// ---------------------------------------------------------------------------------------------

#[test]
fn set_with_unknown_key_names_key_and_suggests() {
    let dir = TempDir::new().unwrap();
    bad_input(
        run_tiny(dir.path(), &baseline())
            .arg("--set")
            .arg("programs.dibao.take_up.ever_aply=0.5"),
    )
    .stderr(contains("command line"))
    .stderr(contains("programs.dibao.take_up.ever_aply"))
    .stderr(contains("did you mean `ever_apply`"));
}

#[test]
fn set_with_out_of_range_value_names_key_value_and_range() {
    let dir = TempDir::new().unwrap();
    bad_input(
        run_tiny(dir.path(), &baseline())
            .arg("--set")
            .arg("programs.dibao.take_up.ever_apply=2"),
    )
    .stderr(contains("command line"))
    .stderr(contains("programs.dibao.take_up.ever_apply"))
    .stderr(contains("= 2"))
    .stderr(contains("from 0 to 1"));
}

#[test]
fn set_without_equals_sign_is_a_usage_error() {
    let dir = TempDir::new().unwrap();
    bad_input(
        run_tiny(dir.path(), &baseline())
            .arg("--set")
            .arg("programs.dibao.take_up.ever_apply"),
    )
    .stderr(contains("programs.dibao.take_up.ever_apply"))
    .stderr(contains("KEY=VALUE"));
}

#[test]
fn out_of_range_size_flag_names_key_and_range() {
    let dir = TempDir::new().unwrap();
    bad_input(
        safetynet(dir.path())
            .arg("run")
            .arg(baseline())
            .args(["--households", "300", "--reps", "2", "--years", "0"])
            .arg("--out")
            .arg(dir.path().join("out")),
    )
    .stderr(contains("simulation.years"))
    .stderr(contains("= 0"))
    .stderr(contains("from 1 to"));
}

// ---------------------------------------------------------------------------------------------
// Happy paths
// ---------------------------------------------------------------------------------------------

#[test]
fn run_writes_summary_replications_and_manifest() {
    let dir = TempDir::new().unwrap();
    let f = write(
        dir.path(),
        "tiny.toml",
        &format!(
            "extends = {:?}\nname = \"tiny\"\n",
            baseline().display().to_string()
        ),
    );
    let out = dir.path().join("results");
    let assert = safetynet(dir.path())
        .arg("run")
        .arg(&f)
        .args(TINY)
        .args(["--seed", "4242", "--quiet", "--out"])
        .arg(&out)
        .assert()
        .code(0)
        .stderr(contains("panicked").not())
        .stdout(contains("2023"))
        .stdout(contains("2024"))
        .stdout(contains("total Jan-Jun"))
        .stdout(contains("dibao persons"));
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    assert!(
        stdout.contains(&s(&out)),
        "stdout names the results folder:\n{stdout}"
    );

    // summary.csv: exact header, rows for every region with cost_total.
    let summary = std::fs::read_to_string(out.join("summary.csv")).expect("summary.csv written");
    let mut lines = summary.lines();
    assert_eq!(
        lines.next(),
        Some("scenario,year,period,region,metric,unit,mean,sd,p05,p50,p95")
    );
    let mut rdr = csv::Reader::from_reader(summary.as_bytes());
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.expect("csv row")).collect();
    assert!(!rows.is_empty(), "summary.csv has data rows");
    for row in &rows {
        assert_eq!(row.len(), 11, "every row has 11 fields: {row:?}");
        assert_eq!(&row[0], "tiny", "scenario column: {row:?}");
    }
    for region in ["national", "urban", "rural"] {
        let cost: Vec<&csv::StringRecord> = rows
            .iter()
            .filter(|r| &r[3] == region && &r[4] == "cost_total")
            .collect();
        assert!(!cost.is_empty(), "no cost_total row for {region}");
        for r in cost {
            let mean: f64 = r[6].parse().expect("mean is a number");
            assert!(mean.is_finite() && mean >= 0.0, "cost_total mean: {r:?}");
        }
    }
    for year in ["2023", "2024"] {
        assert!(
            rows.iter().any(|r| &r[1] == year),
            "summary.csv has year {year}"
        );
    }
    assert!(
        !rows.iter().any(|r| &r[1] == "2025"),
        "--years 2 stops at 2024"
    );

    // replications.csv exists and is not empty.
    let reps = std::fs::read_to_string(out.join("replications.csv")).expect("replications.csv");
    assert!(reps.lines().count() > 1, "replications.csv has data rows");

    // manifest.json parses and records the seed.
    let manifest = std::fs::read_to_string(out.join("manifest.json")).expect("manifest.json");
    let json: serde_json::Value = serde_json::from_str(&manifest).expect("manifest is JSON");
    assert_eq!(json["seed"], serde_json::json!(4242), "{manifest}");
    assert!(manifest.contains("4242"));

    // No temporary files left behind.
    let leftovers: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "leftover temp files: {leftovers:?}");
}

#[test]
fn validate_accepts_the_baseline() {
    let dir = TempDir::new().unwrap();
    safetynet(dir.path())
        .arg("validate")
        .arg(baseline())
        .assert()
        .code(0)
        .stdout(contains("ok"))
        .stdout(contains("baseline"))
        .stderr(contains("panicked").not());
}

#[test]
fn validate_rejects_a_bad_file_among_good_ones() {
    let dir = TempDir::new().unwrap();
    let bad = write(
        dir.path(),
        "bad.toml",
        "[programs.dibao.take_up]\never_apply = 1.5\n",
    );
    bad_input(
        safetynet(dir.path())
            .arg("validate")
            .arg(&bad)
            .arg(baseline()),
    )
    .stderr(contains(s(&bad)))
    .stderr(contains("programs.dibao.take_up.ever_apply"))
    .stderr(contains("1.5"));
}

#[test]
fn validate_refuses_a_poor_area_income_ratio_no_stratum_can_reach() {
    // Share 0.3 of rural strata with permanent sd 0.727: the poorest 30 % hold 0.35 of the
    // mean (ρ = 1), so 0.3 cannot be reached (it used to be capped silently).
    let dir = TempDir::new().unwrap();
    let body = |r: f64| {
        format!(
            "extends = {:?}\nname = \"pa\"\n[dynamics.income.poor_area]\nshare = 0.3\nincome_ratio = {r}\n",
            baseline()
        )
    };
    let bad = write(dir.path(), "bad.toml", &body(0.3));
    bad_input(safetynet(dir.path()).arg("validate").arg(&bad))
        .stderr(contains(s(&bad)))
        .stderr(contains("dynamics.income.poor_area.income_ratio"))
        .stderr(contains("= 0.3:"))
        .stderr(contains("at least 0.35"));
    let ok = write(dir.path(), "ok.toml", &body(0.36));
    safetynet(dir.path())
        .arg("validate")
        .arg(&ok)
        .assert()
        .code(0);
}

#[test]
fn population_sample_writes_the_requested_number_of_rows() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("pop.csv");
    safetynet(dir.path())
        .args(["population", "sample", "--households", "250", "--out"])
        .arg(&out)
        .assert()
        .code(0)
        .stderr(contains("panicked").not())
        .stdout(contains("250"));
    let mut rdr = csv::Reader::from_path(&out).expect("population CSV written");
    let header = rdr.headers().unwrap().clone();
    assert!(header.iter().any(|h| h == "household"), "{header:?}");
    assert!(header.iter().any(|h| h == "region"), "{header:?}");
    let rows = rdr
        .records()
        .collect::<Result<Vec<_>, _>>()
        .expect("csv rows")
        .len();
    assert_eq!(rows, 250);
    let leftovers: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "leftover temp files: {leftovers:?}");
}

#[test]
fn population_sample_with_scenario_writes_the_requested_number_of_rows() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("pop.csv");
    safetynet(dir.path())
        .args(["population", "sample"])
        .arg(baseline())
        .args(["--households", "300", "--out"])
        .arg(&out)
        .assert()
        .code(0)
        .stderr(contains("panicked").not());
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(text.lines().count(), 1 + 300);
}

#[test]
fn population_describe_prints_statistics_and_targets() {
    let dir = TempDir::new().unwrap();
    safetynet(dir.path())
        .args(["population", "describe", "--households", "300"])
        .assert()
        .code(0)
        .stderr(contains("panicked").not())
        .stdout(contains("households"))
        .stdout(contains("target"));
}

// ---------------------------------------------------------------------------------------------
// Output paths
// ---------------------------------------------------------------------------------------------

#[test]
fn out_under_a_regular_file_fails_before_simulating() {
    let dir = TempDir::new().unwrap();
    let file = write(dir.path(), "plain-file", "not a directory\n");
    let out = file.join("results");
    // Full baseline sizes (200,000 households x 20 replications x 10 years) take far longer
    // than the timeout, so passing here shows the bad path is caught before any simulation.
    let mut cmd = safetynet(dir.path());
    cmd.arg("run")
        .arg(baseline())
        .arg("--quiet")
        .arg("--out")
        .arg(&out)
        .timeout(Duration::from_secs(10));
    bad_input(&mut cmd)
        .stderr(contains(s(&out)))
        .stderr(contains("cannot write"));
    assert!(file.is_file(), "the regular file is untouched");
}

#[test]
fn population_sample_to_uncreatable_path_exits_2() {
    let dir = TempDir::new().unwrap();
    let file = write(dir.path(), "plain-file", "not a directory\n");
    let out = file.join("pop.csv");
    bad_input(
        safetynet(dir.path())
            .args(["population", "sample", "--households", "300", "--out"])
            .arg(&out),
    )
    .stderr(contains(s(&file)));
}
