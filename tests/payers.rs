//! Payers: central and local cost recomputed independently from the province rows (the
//! allocation rule of `payers.*` and `synthetic-data/central-allocation.csv` applied to the
//! province cost figures) match the payer rows in every cell, provinces add up to the
//! national rows, and central + local is the program's cost. Sums of floats in another order
//! agree to 1e-9 relative.

#![allow(clippy::needless_range_loop)] // replications index several parallel vectors

use safetynet::engine::{self, Model, RunOptions};
use safetynet::metrics::Period;
use safetynet::output;
use safetynet::payers::{self, PROGRAMS};
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
    let split = payers::split(std::slice::from_ref(&m), &c)
        .unwrap()
        .remove(0)
        .unwrap();
    let rows = split.rows();
    let got: BTreeMap<(i32, String, String), Vec<f64>> = rows
        .iter()
        .map(|r| {
            (
                (r.year, r.region.clone(), r.metric.clone()),
                r.values.clone(),
            )
        })
        .collect();
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
            for (prog, metric, covered) in PROGRAMS {
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
            for (prog, metric, covered) in PROGRAMS {
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
