//! Comparisons and sweeps under common random numbers: deltas are exactly the per-replication
//! differences, an identical reform gives exact zeros, pairing narrows the interval of a
//! delta, sweeps are tidy and reproducible, and the `compare` / `sweep` commands work (and
//! fail) as a user would see them. Small runs: each test takes seconds.

use assert_cmd::Command;
use predicates::prelude::*;
use predicates::str::contains;
use safetynet::compare::{self, Grid};
use safetynet::engine::{self, Model, RunOptions};
use safetynet::metrics::{Period, Stats, METRICS};
use safetynet::output::{self, ScenarioResults};
use safetynet::scenario::{self, LoadedScenario};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tempfile::TempDir;
use toml::Value;

fn repo_file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// The shipped baseline at a small size.
fn small_baseline(households: i64, reps: i64, years: i64, seed: i64) -> LoadedScenario {
    scenario::load(&repo_file("scenarios/baseline.toml"))
        .unwrap()
        .with_overrides(
            &[
                ("simulation.households".into(), Value::Integer(households)),
                ("simulation.replications".into(), Value::Integer(reps)),
                ("simulation.years".into(), Value::Integer(years)),
                ("simulation.seed".into(), Value::Integer(seed)),
            ],
            "test",
        )
        .unwrap()
}

fn with(l: &LoadedScenario, sets: &[(&str, Value)]) -> LoadedScenario {
    let sets: Vec<(String, Value)> = sets
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    l.with_overrides(&sets, "test").unwrap()
}

/// The reform of these tests: urban standard +10 %.
fn urban_plus_10(base: &LoadedScenario) -> LoadedScenario {
    let urban = base.scenario().programs.dibao.standard.urban;
    with(
        base,
        &[
            ("name", Value::String("urban-plus-10".into())),
            ("programs.dibao.standard.urban", Value::Float(urban * 1.1)),
        ],
    )
}

fn run_all(scenarios: &[&LoadedScenario]) -> Vec<ScenarioResults> {
    let models: Vec<Model> = scenarios.iter().map(|l| Model::new(l).unwrap()).collect();
    let rc = engine::run(&models, &RunOptions::default()).unwrap();
    output::collect(&models, &rc)
}

fn period(p: &str) -> Period {
    match p {
        "H1" => Period::FirstHalf,
        "FY" => Period::FullYear,
        other => panic!("unknown period {other}"),
    }
}

#[test]
fn deltas_equal_the_per_replication_differences_exactly() {
    let base = small_baseline(1500, 4, 2, 7);
    let reform = urban_plus_10(&base);
    let res = run_all(&[&base, &reform]);
    let values = compare::delta_values(&res[0], &res[1]).unwrap();
    assert!(values.len() > 100, "every figure has a delta");
    for ((year, p, region, metric), deltas) in &values {
        let b = res[0].values(*year, period(p), region, metric);
        let r = res[1].values(*year, period(p), region, metric);
        assert_eq!(deltas.len(), 4);
        for i in 0..4 {
            let want = r[i] - b[i];
            assert!(
                deltas[i].to_bits() == want.to_bits() || (deltas[i].is_nan() && want.is_nan()),
                "{year} {p} {region} {metric} rep {i}: delta {} but reform − baseline = {want}",
                deltas[i]
            );
        }
    }
    // The summarised rows are the statistics of exactly those differences.
    let rows = compare::deltas(&res[0], &res[1]).unwrap();
    for row in &rows {
        let b = res[0].values(row.year, period(row.period), &row.region, row.metric);
        let r = res[1].values(row.year, period(row.period), &row.region, row.metric);
        let diffs: Vec<f64> = r.iter().zip(&b).map(|(x, y)| x - y).collect();
        assert_eq!(Some(row.stats), Stats::of(&diffs), "{row:?}");
        assert_eq!(
            (row.baseline.as_str(), row.scenario.as_str()),
            ("baseline", "urban-plus-10")
        );
    }
    // And the reform does something: a higher urban standard costs more in every replication.
    let cost = rows
        .iter()
        .find(|r| {
            r.year == 2024 && r.period == "FY" && r.region == "urban" && r.metric == "cost_total"
        })
        .expect("urban cost delta");
    assert!(cost.stats.p05 > 0.0, "{cost:?}");
    // deltas.csv carries the same numbers under the documented header.
    let csv = String::from_utf8(compare::deltas_csv(&rows).unwrap()).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("baseline,scenario,year,period,region,metric,unit,mean,sd,p05,p50,p95")
    );
    assert_eq!(lines.count(), rows.len());
}

#[test]
fn a_reform_identical_to_the_baseline_gives_deltas_of_exactly_zero() {
    let base = small_baseline(1200, 3, 2, 11);
    let same = with(&base, &[("name", Value::String("same".into()))]);
    let res = run_all(&[&base, &same]);
    let rows = compare::deltas(&res[0], &res[1]).unwrap();
    // One row per figure the baseline defines (as in its summary).
    let defined = res[0]
        .by_key()
        .values()
        .filter(|v| v.iter().any(|x| !x.is_nan()))
        .count();
    assert_eq!(rows.len(), defined);
    assert!(!rows.is_empty());
    for r in &rows {
        let s = r.stats;
        assert!(
            [s.mean, s.sd, s.p05, s.p50, s.p95]
                .iter()
                .all(|x| *x == 0.0),
            "non-zero delta for an identical reform: {r:?}"
        );
    }
}

fn sd(v: &[f64]) -> f64 {
    Stats::of(v).unwrap().sd
}

#[test]
fn the_paired_interval_is_much_narrower_than_the_unpaired_one() {
    let (households, reps, years) = (3000, 6, 2);
    let base = small_baseline(households, reps, years, 21);
    let reform = urban_plus_10(&base);
    // Paired: baseline and reform in one run, same households and shocks in each replication.
    let paired = run_all(&[&base, &reform]);
    // Unpaired: the same reform on an independent sample (another seed).
    let reform_indep = urban_plus_10(&small_baseline(households, reps, years, 22));
    let indep = run_all(&[&reform_indep]);
    for year in [2023, 2024] {
        let b = paired[0].values(year, Period::FullYear, "national", "cost_total");
        let r = paired[1].values(year, Period::FullYear, "national", "cost_total");
        let ri = indep[0].values(year, Period::FullYear, "national", "cost_total");
        let d_paired: Vec<f64> = r.iter().zip(&b).map(|(x, y)| x - y).collect();
        let d_unpaired: Vec<f64> = ri.iter().zip(&b).map(|(x, y)| x - y).collect();
        let (sp, su) = (sd(&d_paired), sd(&d_unpaired));
        // Common random numbers: both scenarios see the same sample and the same shocks, so
        // the sampling and shock noise of the level cancels in the paired delta and only the
        // (small) noise of the reform's own effect is left. The unpaired difference carries
        // the full noise of both levels.
        assert!(
            sp < 0.5 * su,
            "{year}: sd of paired delta {sp:.4} is not < half the unpaired sd {su:.4}"
        );
        eprintln!(
            "{year}: sd paired {sp:.4} bn yuan, unpaired {su:.4} (ratio {:.3})",
            sp / su
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Sweeps
// ---------------------------------------------------------------------------------------------

const URBAN: &str = "programs.dibao.standard.urban";
const TAKE_UP: &str = "programs.dibao.take_up.ever_apply";

#[test]
fn sweep_has_one_row_per_grid_point_and_defined_figure() {
    let (years, regions) = (2, 3);
    let base = small_baseline(800, 2, years, 5);
    let grid =
        Grid::parse(&[format!("{URBAN}=769,846"), format!("{TAKE_UP}=0.5,0.6,0.8")]).unwrap();
    assert_eq!(grid.len(), 6);
    let results = compare::sweep(&base, &grid, &RunOptions::default()).unwrap();
    let csv = compare::sweep_csv(&grid, &results).unwrap();
    let mut rd = csv::Reader::from_reader(csv.as_slice());
    let head: Vec<String> = rd.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        head,
        [
            "point", URBAN, TAKE_UP, "year", "period", "region", "metric", "unit", "mean", "sd",
            "p05", "p50", "p95"
        ]
    );
    let rows: Vec<Vec<String>> = rd
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    // Figures per point: years × regions × (every metric of the counters for the full year,
    // the first-half metrics for H1) + years × the payer metrics (full year, national only
    // without --by-province), less those undefined in every replication (e.g. a fall-back
    // window that runs past the horizon). The rows of poverty on the year's income are not
    // made without `metrics.annual_poverty` (off here).
    let h1 = METRICS.iter().filter(|m| m.first_half).count();
    let payer = METRICS.iter().filter(|m| m.is_payer()).count();
    let annual = METRICS.iter().filter(|m| m.annual).count();
    let all = years as usize * (regions * (METRICS.len() - payer - annual + h1) + payer);
    let mut expected = 0;
    for r in &results {
        let undefined = r
            .by_key()
            .values()
            .filter(|v| v.iter().all(|x| x.is_nan()))
            .count();
        assert_eq!(r.by_key().len(), all, "figure keys of {}", r.name);
        expected += all - undefined;
    }
    assert!(expected > 6 * all * 8 / 10);
    assert_eq!(rows.len(), expected);
    // Each point's rows carry its values, and its keys are unique.
    for (p, r) in results.iter().enumerate() {
        assert_eq!(r.name, format!("p{p}"));
        let mine: Vec<&Vec<String>> = rows.iter().filter(|x| x[0] == r.name).collect();
        let texts = grid.point_texts(p);
        assert!(mine.iter().all(|x| x[1] == texts[0] && x[2] == texts[1]));
        let keys: BTreeSet<(&str, &str, &str, &str)> = mine
            .iter()
            .map(|x| (x[3].as_str(), x[4].as_str(), x[5].as_str(), x[6].as_str()))
            .collect();
        assert_eq!(keys.len(), mine.len(), "duplicate rows for {}", r.name);
    }
    // The swept values took effect: more take-up, more recipients (same urban standard).
    let recip = |p: usize| {
        results[p]
            .stats(2024, Period::FullYear, "national", "recipients_persons")
            .unwrap()
            .mean
    };
    assert!(recip(0) < recip(1) && recip(1) < recip(2));
}

fn safetynet(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("safetynet").expect("binary `safetynet` is built");
    cmd.current_dir(dir).timeout(Duration::from_secs(120));
    cmd
}

const TINY: [&str; 8] = [
    "--households",
    "400",
    "--reps",
    "2",
    "--years",
    "2",
    "--quiet",
    "--seed",
];

#[test]
fn sweep_output_is_byte_identical_across_runs_and_thread_counts() {
    let dir = TempDir::new().unwrap();
    let mut outputs = Vec::new();
    for (i, threads) in ["1", "2", "2"].iter().enumerate() {
        let out = dir.path().join(format!("sweep{i}"));
        safetynet(dir.path())
            .arg("sweep")
            .arg(repo_file("scenarios/baseline.toml"))
            .args(TINY)
            .arg("3")
            .args(["--grid", &format!("{URBAN}=769,800")])
            .args(["--grid", &format!("{TAKE_UP}=0.5,0.7")])
            .args([
                "--threads",
                threads,
                "--chunk-size",
                if i == 0 { "64" } else { "256" },
            ])
            .arg("--out")
            .arg(&out)
            .assert()
            .success()
            .stdout(contains("Sweep of `baseline` over 4 grid points"))
            .stdout(contains(URBAN));
        outputs.push((
            std::fs::read(out.join("sweep.csv")).unwrap(),
            std::fs::read(out.join("summary.csv")).unwrap(),
        ));
        // The manifest records each point's values.
        let m: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
        assert_eq!(m["kind"], "sweep");
        assert_eq!(m["grid"]["points"][3]["name"], "p3");
        assert_eq!(m["grid"]["points"][3]["values"][URBAN], "800");
        assert_eq!(m["grid"]["points"][3]["values"][TAKE_UP], "0.7");
    }
    assert!(outputs[0].0.len() > 1000);
    assert!(
        outputs[0] == outputs[1],
        "threads 1 vs 2 (and chunk sizes) differ"
    );
    assert!(outputs[1] == outputs[2], "two identical runs differ");
}

#[test]
fn compare_cli_writes_deltas_and_prints_the_key_deltas() {
    let dir = TempDir::new().unwrap();
    let reform = dir.path().join("urban-plus-10.toml");
    std::fs::write(
        &reform,
        format!(
            "extends = \"{}\"\nname = \"urban-plus-10\"\n[programs.dibao.standard]\nurban = 846.0\n",
            repo_file("scenarios/baseline.toml").display()
        ),
    )
    .unwrap();
    let out = dir.path().join("cmp");
    safetynet(dir.path())
        .arg("compare")
        .arg(repo_file("scenarios/baseline.toml"))
        .arg(&reform)
        .args(TINY)
        .arg("4")
        .arg("--out")
        .arg(&out)
        .assert()
        .success()
        .stdout(contains("`urban-plus-10` minus `baseline`"))
        .stdout(contains("cost total"))
        .stdout(contains("bn yuan"))
        .stdout(contains("% points"))
        .stdout(contains("90 % interval"));
    let deltas = std::fs::read_to_string(out.join("deltas.csv")).unwrap();
    assert!(deltas
        .starts_with("baseline,scenario,year,period,region,metric,unit,mean,sd,p05,p50,p95\n"));
    assert!(deltas.contains("baseline,urban-plus-10,2024,FY,national,cost_total,billion yuan,"));
    let summary = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    assert!(summary.contains("\nbaseline,2023,") && summary.contains("\nurban-plus-10,2023,"));
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["kind"], "compare");
    assert_eq!(m["comparison"]["baseline"], "baseline");
    assert_eq!(m["scenarios"].as_array().unwrap().len(), 2);
    assert!(out.join("replications.csv").is_file());
    assert!(!out.join("report.html").exists(), "no report unless asked");
}

/// A user error: exit code 2, an `error:` line on stderr, no panic.
fn bad_input(cmd: &mut Command) -> assert_cmd::assert::Assert {
    cmd.assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(contains("error: "))
        .stderr(contains("panicked").not())
}

#[test]
fn bad_grids_and_comparisons_exit_2_naming_the_problem() {
    let dir = TempDir::new().unwrap();
    let sweep = |grid: &[&str]| {
        let mut c = safetynet(dir.path());
        c.arg("sweep")
            .arg(repo_file("scenarios/baseline.toml"))
            .args(TINY)
            .arg("1")
            .arg("--out")
            .arg(dir.path().join("s"));
        for g in grid {
            c.args(["--grid", g]);
        }
        c
    };
    bad_input(&mut sweep(&["programs.dibao.take_up.ever_aply=0.5,0.6"]))
        .stderr(contains("unknown key `programs.dibao.take_up.ever_aply`"))
        .stderr(contains("did you mean `ever_apply`"));
    bad_input(&mut sweep(&["programs.dibao.take_up.ever_apply=0.5,1.5"]))
        .stderr(contains("programs.dibao.take_up.ever_apply"))
        .stderr(contains("1.5"));
    bad_input(&mut sweep(&["programs.dibao.take_up.ever_apply="]))
        .stderr(contains("programs.dibao.take_up.ever_apply"))
        .stderr(contains("no values"));
    bad_input(&mut sweep(&[])).stderr(contains("--grid"));
    bad_input(&mut sweep(&["simulation.seed=1,2"])).stderr(contains("simulation.seed"));
    assert!(!dir.path().join("s").join("sweep.csv").exists());
    // Two scenarios with one name cannot be told apart in the outputs.
    bad_input(
        safetynet(dir.path())
            .arg("compare")
            .arg(repo_file("scenarios/baseline.toml"))
            .arg(repo_file("scenarios/baseline.toml"))
            .args(TINY)
            .arg("1"),
    )
    .stderr(contains("both named `baseline`"));
    // A missing reform file is named.
    let missing = dir.path().join("no-such-reform.toml");
    bad_input(
        safetynet(dir.path())
            .arg("compare")
            .arg(repo_file("scenarios/baseline.toml"))
            .arg(&missing)
            .args(TINY)
            .arg("1"),
    )
    .stderr(contains(missing.display().to_string()));
    // A comparison needs a reform.
    safetynet(dir.path())
        .arg("compare")
        .arg(repo_file("scenarios/baseline.toml"))
        .assert()
        .code(2)
        .stderr(contains("REFORM"));
}

/// With `--prices`, sweep.csv holds restated money and its unit column says so; counts keep
/// their unit. (It once said nominal `billion yuan` beside restated values.)
#[test]
fn sweep_csv_units_name_the_price_year_with_prices() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("sweep");
    safetynet(dir.path())
        .arg("sweep")
        .arg(repo_file("scenarios/baseline.toml"))
        .args(TINY)
        .arg("3")
        .args(["--grid", &format!("{URBAN}=769,800")])
        .args(["--prices", "2023", "--out"])
        .arg(&out)
        .assert()
        .success();
    let csv = std::fs::read(out.join("sweep.csv")).unwrap();
    let mut rd = csv::Reader::from_reader(csv.as_slice());
    let head: Vec<String> = rd.headers().unwrap().iter().map(String::from).collect();
    let col = |n: &str| head.iter().position(|h| h == n).unwrap();
    let (metric, unit) = (col("metric"), col("unit"));
    let (mut money, mut counts) = (0, 0);
    for r in rd.records() {
        let r = r.unwrap();
        if r[metric].starts_with("cost_") {
            assert_eq!(&r[unit], "billion yuan, 2023 prices", "{:?}", r);
            money += 1;
        } else if r[metric].starts_with("recipients") {
            assert!(!r[unit].contains("prices"), "{:?}", r);
            counts += 1;
        }
    }
    assert!(
        money > 0 && counts > 0,
        "money rows {money}, count rows {counts}"
    );
}
