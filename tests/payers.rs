//! Payers: central and local cost recomputed independently from the province rows (the
//! allocation rule of `payers.*` and `synthetic-data/central-allocation.csv` applied to the
//! province cost figures) match the payer rows in every cell, provinces add up to the
//! national rows, and central + local is the program's cost. Sums of floats in another order
//! agree to 1e-9 relative.

#![allow(clippy::needless_range_loop)] // replications index several parallel vectors

mod common;

use safetynet::engine::{self, Model, RunOptions};
use safetynet::metrics::Period;
use safetynet::metrics::{Payer, COSTS};
use safetynet::output;
use safetynet::payers;
use safetynet::scenario::{self, parse_override};
use std::collections::BTreeMap;
use std::path::Path;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-6)
}

#[test]
fn central_and_local_recomputed_from_province_rows_match_every_cell() {
    let base =
        scenario::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/baseline.toml"))
            .unwrap();
    let sets: Vec<_> = [
        "simulation.households=6000",
        "simulation.replications=4",
        "simulation.years=3",
        "metrics.by_province=true",
        // A reform of the rule: keys a scenario can change.
        "payers.central_share.east=0.25",
        "payers.allocation_growth=0.05",
    ]
    .iter()
    .map(|s| parse_override(s).unwrap())
    .collect();
    let loaded = base.with_overrides(&sets, "test").unwrap();
    let share = &loaded.scenario().payers.central_share;
    let growth = 1.0 + loaded.scenario().payers.allocation_growth;
    let m = Model::new(&loaded).unwrap();
    let c = engine::run(std::slice::from_ref(&m), &RunOptions::default()).unwrap();
    let results = output::collect(std::slice::from_ref(&m), &c).remove(0);
    // The payer figures as every output reads them (summary.csv, compare, solve, --budget).
    let mut got: BTreeMap<(i32, String, String), Vec<f64>> = BTreeMap::new();
    for ((year, period, region, metric), values) in results.by_key() {
        if metric.starts_with("cost_central_") || metric.starts_with("cost_local_") {
            assert_eq!(period, "FY");
            got.insert((year, region, metric.to_string()), values);
        }
    }
    // (program in metric ids, cost metric, co-financed by the central transfer), from the
    // cost table: every government cost.
    let programs: Vec<(String, &str, bool)> = COSTS
        .iter()
        .filter(|k| k.payer == Payer::Government)
        .map(|k| {
            (
                k.metric.trim_start_matches("cost_").to_string(),
                k.metric,
                k.central,
            )
        })
        .collect();
    assert!(programs.len() >= 5 && programs.iter().filter(|p| p.2).count() == 3);
    let provinces: Vec<String> = results
        .regions
        .iter()
        .filter_map(|r| r.strip_prefix("province:").map(String::from))
        .collect();
    assert_eq!(provinces.len(), 31);
    let reps = 4;
    let mut cells = 0;
    for year in 2023..=2025 {
        let basis = if year == 2023 { 2023 } else { year - 1 };
        let mut national_central = vec![0.0; reps];
        for p in &provinces {
            let region = format!("province:{p}");
            let class = payers::region_class(p).unwrap();
            for (prog, metric, covered) in programs.iter().cloned() {
                let cost = results.values(year, Period::FullYear, &region, metric);
                let prior = results.values(basis, Period::FullYear, &region, metric);
                let expected = prior.iter().sum::<f64>() / reps as f64;
                let allocation = if covered {
                    share.of(class) * expected * growth
                } else {
                    0.0
                };
                let central: Vec<f64> = cost.iter().map(|c| c.min(allocation)).collect();
                if covered {
                    let g = &got[&(year, region.clone(), format!("cost_central_{prog}"))];
                    for r in 0..reps {
                        assert!(
                            close(g[r], central[r]),
                            "{year} {p} {prog} rep {r}: {} vs {}",
                            g[r],
                            central[r]
                        );
                        national_central[r] += central[r];
                        cells += 1;
                    }
                }
                let l = &got[&(year, region.clone(), format!("cost_local_{prog}"))];
                for r in 0..reps {
                    assert!(close(l[r], cost[r] - central[r]), "{year} {p} {prog} local");
                    cells += 1;
                }
            }
        }
        // National rows: the sum over provinces, and central + local = the national cost.
        let nat = |m: &str| &got[&(year, "national".to_string(), m.to_string())];
        for r in 0..reps {
            assert!(close(nat("cost_central_total")[r], national_central[r]));
            let mut total = 0.0;
            for (prog, metric, covered) in programs.iter().cloned() {
                let cost = results.values(year, Period::FullYear, "national", metric)[r];
                let central = if covered {
                    nat(&format!("cost_central_{prog}"))[r]
                } else {
                    0.0
                };
                assert!(
                    close(central + nat(&format!("cost_local_{prog}"))[r], cost),
                    "{year} {prog} rep {r}"
                );
                total += cost;
            }
            assert!(close(
                nat("cost_central_total")[r] + nat("cost_local_total")[r],
                total
            ));
        }
    }
    assert!(cells > 1000);
    // The central share is larger in the west: per yuan of need, Guizhou gets more than Jiangsu.
    assert!(
        share.of(payers::region_class("Guizhou").unwrap())
            > share.of(payers::region_class("Jiangsu").unwrap())
    );
}

#[test]
fn run_writes_payer_rows_into_summary_csv_and_prints_them() {
    use assert_cmd::Command;
    use predicates::prelude::*;
    let dir = tempfile::tempdir().unwrap();
    Command::cargo_bin("safetynet")
        .unwrap()
        .current_dir(dir.path())
        .arg("run")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/baseline.toml"))
        .args([
            "--households",
            "3000",
            "--reps",
            "2",
            "--years",
            "2",
            "-q",
            "--by-province",
            "--out",
        ])
        .arg(dir.path().join("out"))
        .assert()
        .success()
        .stdout(predicate::str::contains("Payers, `baseline`"));
    let csv = std::fs::read_to_string(dir.path().join("out/summary.csv")).unwrap();
    assert!(csv.contains(",2024,FY,national,cost_central_total,billion yuan,"));
    assert!(csv.contains(",2024,FY,province:Guizhou,cost_local_dibao,billion yuan,"));
    // A bad rule is bad input.
    Command::cargo_bin("safetynet")
        .unwrap()
        .current_dir(dir.path())
        .arg("run")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/baseline.toml"))
        .args(["--households", "3000", "--reps", "2", "--years", "2", "-q"])
        .args(["--set", "payers.central_share.west=1.5", "--out"])
        .arg(dir.path().join("out2"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("payers.central_share.west"));
}

/// The payer figures are metrics like any other: `--budget` and `solve` can target them, and
/// compare's deltas carry them (they were once rows outside the metric table, which those
/// commands could not see).
#[test]
fn budget_solve_and_compare_target_payer_metrics() {
    use assert_cmd::Command;
    use predicates::prelude::*;
    let dir = tempfile::tempdir().unwrap();
    let baseline = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/baseline.toml");
    let small = ["--households", "3000", "--reps", "4", "--years", "2", "-q"];
    Command::cargo_bin("safetynet")
        .unwrap()
        .arg("run")
        .arg(&baseline)
        .args(small)
        .args(["--budget", "cost_central_total=100,1000", "--out"])
        .arg(dir.path().join("run"))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "Overrun risk: `cost_central_total`",
        ));
    let overrun = std::fs::read_to_string(dir.path().join("run/overrun.csv")).unwrap();
    let rows: Vec<Vec<&str>> = overrun
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    assert_eq!(rows.len(), 2);
    // Central cost is well above 100 and well below 1000 bn yuan: certain and impossible.
    assert_eq!((rows[0][0], rows[0][7]), ("cost_central_total", "1"));
    assert_eq!((rows[1][0], rows[1][7]), ("cost_central_total", "0"));

    Command::cargo_bin("safetynet")
        .unwrap()
        .arg("solve")
        .arg(&baseline)
        .args([
            "--key",
            "programs.dibao.standard.growth_rural",
            "--range",
            "0..0.5",
        ])
        // Local cost is not monotone in the standard everywhere (a household moving from
        // marginal special assistance, all local, onto dibao, partly central, lowers it a
        // little): solve refuses such a bracket, so the limit sits where the sample's local
        // cost only rises (at 190 it hits a dip of 0.003 bn yuan).
        .args(["--limit", "cost_local_total:2024:sum <= 200"])
        .args(small)
        .arg("--out")
        .arg(dir.path().join("solve"))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "answer: programs.dibao.standard.growth_rural = ",
        ))
        .stdout(predicate::str::contains("cost_local_total"));
    let solve = std::fs::read_to_string(dir.path().join("solve/solve.csv")).unwrap();
    assert!(solve.contains("\nanswer,programs.dibao.standard.growth_rural,"));

    Command::cargo_bin("safetynet")
        .unwrap()
        .arg("compare")
        .arg(&baseline)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/rural-catch-up.toml"))
        .args(small)
        .arg("--out")
        .arg(dir.path().join("compare"))
        .assert()
        .success();
    let deltas = std::fs::read_to_string(dir.path().join("compare/deltas.csv")).unwrap();
    for m in [
        "cost_central_total",
        "cost_local_dibao",
        "central_allocation",
    ] {
        assert!(
            deltas.contains(&format!(",2024,FY,national,{m},")),
            "deltas.csv has no {m} row"
        );
    }
}

/// `--prices YEAR`: every money figure of summary.csv is the nominal one × price_index(YEAR) ÷
/// price_index(year), the price index compounded here from the schedule given; counts and
/// shares are the same bytes; units say which prices; compare's deltas follow; a year outside
/// the run exits 2 naming it.
#[test]
fn prices_restate_money_by_the_price_index_and_leave_counts_alone() {
    use assert_cmd::Command;
    use predicates::prelude::*;
    let dir = tempfile::tempdir().unwrap();
    let baseline = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/baseline.toml");
    let inflation = "dynamics.prices.inflation={ 2023 = 0.01, 2024 = 0.03, 2025 = 0.05 }";
    let index: BTreeMap<i32, f64> = [(2023, 1.0), (2024, 1.03), (2025, 1.03 * 1.05)].into();
    let run = |out: &str, prices: &[&str]| {
        Command::cargo_bin("safetynet")
            .unwrap()
            .arg("run")
            .arg(&baseline)
            .args(["--households", "3000", "--reps", "3", "--years", "3", "-q"])
            .args(["--set", inflation])
            .args(prices)
            .arg("--out")
            .arg(dir.path().join(out))
            .assert()
            .success()
    };
    run("nominal", &[]);
    run("real", &["--prices", "2024"])
        .stdout(predicate::str::contains("budget in 2024 prices"))
        // The payer table's unit row names the price year too.
        .stdout(predicate::str::contains("bn yuan, 2024 prices"));
    let read = |out: &str| -> Vec<Vec<String>> {
        csv::Reader::from_path(dir.path().join(out).join("summary.csv"))
            .unwrap()
            .records()
            .map(|r| r.unwrap().iter().map(String::from).collect())
            .collect()
    };
    let (nominal, real) = (read("nominal"), read("real"));
    assert_eq!(nominal.len(), real.len());
    let (mut money, mut other) = (0, 0);
    for (n, r) in nominal.iter().zip(&real) {
        assert_eq!(n[..5], r[..5]);
        if n[5].contains("yuan") {
            assert_eq!(r[5], format!("{}, 2024 prices", n[5]));
            let year: i32 = n[1].parse().unwrap();
            let k = index[&2024] / index[&year];
            for c in 6..11 {
                let (a, b): (f64, f64) = (n[c].parse().unwrap(), r[c].parse().unwrap());
                assert!(
                    (a * k - b).abs() <= 1e-12 * b.abs().max(1e-9),
                    "{n:?} vs {r:?}"
                );
            }
            money += 1;
        } else {
            assert_eq!(n, r);
            other += 1;
        }
    }
    assert!(money > 100 && other > 100);
    // Payer figures are money too.
    assert!(real
        .iter()
        .any(|r| r[4] == "cost_central_total" && r[5] == "billion yuan, 2024 prices"));

    // compare: deltas in the same prices.
    let mut cmp = Command::cargo_bin("safetynet").unwrap();
    cmp.arg("compare")
        .arg(&baseline)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/rural-catch-up.toml"))
        .args(["--households", "3000", "--reps", "2", "--years", "2", "-q"])
        .args(["--set", inflation, "--prices", "2023", "--out"])
        .arg(dir.path().join("cmp"))
        .assert()
        .success()
        .stdout(predicate::str::contains("money in 2023 prices"));
    let deltas = std::fs::read_to_string(dir.path().join("cmp/deltas.csv")).unwrap();
    assert!(deltas.contains(",2024,FY,national,cost_total,\"billion yuan, 2023 prices\","));
    assert!(deltas.contains(",2024,FY,national,recipients_persons,million persons,"));

    // A year outside the run is bad input, before anything is simulated.
    for cmd in ["run", "solve"] {
        let mut c = Command::cargo_bin("safetynet").unwrap();
        c.arg(cmd).arg(&baseline);
        if cmd == "solve" {
            c.args([
                "--key",
                "programs.dibao.standard.growth_rural",
                "--range",
                "0..0.5",
            ])
            .args(["--limit", "cost_local_total:2024:sum <= 190"]);
        }
        c.args(["--years", "2", "-q", "--prices", "2030", "--out"])
            .arg(dir.path().join(format!("bad-{cmd}")))
            .assert()
            .code(2)
            .stderr(
                predicate::str::contains("--prices 2030")
                    .and(predicate::str::contains("allowed: 2023 to 2024")),
            );
    }
}

/// An inline population may name any province, but the payer split needs each one's region
/// class: a province the allocation table lacks is refused before any simulation (exit 2,
/// naming the file, the key, the province and what is allowed), never a panic after it.
#[test]
fn an_inline_province_without_a_region_class_is_bad_input_before_the_run() {
    use predicates::str::contains;
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(common::repo_file("scenarios/reference-model.toml"))
        .unwrap()
        .replacen(
            "name = \"rural\"\nregion = \"rural\"",
            "name = \"rural\"\nprovince = \"Atlantis\"\nregion = \"rural\"",
            1,
        );
    assert!(text.contains("Atlantis"));
    let file = common::write(dir.path(), "atlantis.toml", &text);
    for args in [vec!["run", "--by-province"], vec!["run"], vec!["validate"]] {
        let mut cmd = common::safetynet(dir.path());
        cmd.args(&args).arg(&file);
        if args[0] == "run" {
            cmd.args(common::TINY).args(["-q", "--out", "out"]);
        }
        common::bad_input(&mut cmd)
            .stderr(contains("atlantis.toml"))
            .stderr(contains("population.strata.1.province"))
            .stderr(contains("Atlantis"))
            .stderr(contains("central-allocation.csv"))
            .stderr(contains("Guizhou"));
        assert!(!dir.path().join("out/summary.csv").exists());
    }
    // A province of the table passes.
    let ok = common::write(
        dir.path(),
        "guizhou.toml",
        &text.replace("Atlantis", "Guizhou"),
    );
    common::safetynet(dir.path())
        .args(["run", "--by-province"])
        .arg(&ok)
        .args(common::TINY)
        .args(["-q", "--out", "out3"])
        .assert()
        .success();
}
