//! Bring-your-own microdata: a file exported by `population sample --microdata-format`
//! round-trips through the import; every kind of bad row is rejected with exit code 2 naming
//! its file, row and column; disclosure control withholds small cells (never a number) and
//! anything recoverable from them by difference; the shipped example runs end to end; and the
//! thread count changes no output byte.

use assert_cmd::Command;
use predicates::str::contains;
use safetynet::population::{Microdata, PopulationModel};
use safetynet::scenario::{self, LoadedScenario};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tempfile::TempDir;

fn repo_file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn example(name: &str) -> PathBuf {
    repo_file("synthetic-data/microdata-example").join(name)
}

/// The binary, run inside `dir` so nothing lands in the repository.
fn safetynet(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("safetynet").expect("binary `safetynet` is built");
    cmd.current_dir(dir).timeout(Duration::from_secs(120));
    cmd
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

/// The embedded defaults with microdata from `households` (and `persons`).
fn microdata_scenario(households: &Path, persons: Option<&Path>, n: u64) -> LoadedScenario {
    let base = scenario::load_str("", "t").unwrap();
    let mut sets = vec![
        ("population.source".to_string(), "microdata".into()),
        (
            "population.microdata.households".to_string(),
            s(households).into(),
        ),
        ("simulation.households".to_string(), (n as i64).into()),
    ];
    if let Some(p) = persons {
        sets.push(("population.microdata.persons".to_string(), s(p).into()));
    }
    base.with_overrides(&sets, "test").unwrap()
}

/// CSV rows keyed by their first column.
fn rows_by_id(path: &Path) -> BTreeMap<String, Vec<Vec<String>>> {
    let mut rdr = csv::Reader::from_path(path).unwrap();
    let mut out: BTreeMap<String, Vec<Vec<String>>> = BTreeMap::new();
    for r in rdr.records() {
        let r = r.unwrap();
        let v: Vec<String> = r.iter().map(String::from).collect();
        out.entry(v[0].clone()).or_default().push(v);
    }
    out
}

/// Export a small sample of two provinces in the import schema.
fn export(dir: &Path, households: u64) -> (PathBuf, PathBuf) {
    let (h, p) = (dir.join("households.csv"), dir.join("persons.csv"));
    safetynet(dir)
        .args(["population", "sample", "--microdata-format", "--households"])
        .arg(households.to_string())
        .args(["--province", "Henan", "--province", "Gansu", "--out"])
        .arg(&h)
        .arg("--persons-out")
        .arg(&p)
        .assert()
        .success()
        .stdout(contains("wrote"));
    (h, p)
}

#[test]
fn a_good_file_round_trips_sizes_ages_incomes_and_assets() {
    let dir = TempDir::new().unwrap();
    let (h, p) = export(dir.path(), 3000);
    let households = rows_by_id(&h);
    let persons = rows_by_id(&p);
    assert!(households.len() > 100, "{} households", households.len());

    // The exported rows are the generator's households of replication 0.
    let defaults = scenario::load_str("", "t").unwrap().scenario().clone();
    let mut sim = defaults.simulation.clone();
    sim.households = 3000;
    let mut s0 = defaults.clone();
    s0.simulation = sim.clone();
    let gen = PopulationModel::new(&s0, "t").unwrap();
    let width = 3000.to_string().len();
    let mut checked = 0;
    for i in 0..gen.alloc.total() {
        let id = format!("h{:0width$}", i + 1);
        let Some(row) = households.get(&id) else {
            continue;
        };
        let hh = gen.household(&sim, 0, i);
        let row = &row[0];
        assert_eq!(row[4], hh.size.to_string(), "size of {id}");
        let income: f64 = row[5].parse().unwrap();
        let want = (hh.log_income_perm + hh.persistent0).exp();
        assert!((income - want).abs() <= 0.005 + 1e-12 * want, "{id}");
        let ages: Vec<String> = persons[&id].iter().map(|r| r[1].clone()).collect();
        let gen_ages: Vec<String> = hh.members().iter().map(|m| m.age.to_string()).collect();
        assert_eq!(ages, gen_ages, "ages of {id}");
        checked += 1;
    }
    assert_eq!(checked, households.len());

    // Imported, every simulated household reproduces its record exactly.
    let loaded = microdata_scenario(&h, Some(&p), 2000);
    let pm = PopulationModel::new(loaded.scenario(), "t").unwrap();
    let md: &Microdata = pm.microdata.as_deref().unwrap();
    assert_eq!(md.records.len(), households.len());
    // Strata: the file's (province, region) pairs; each represents the sum of its weights.
    assert_eq!(pm.strata.strata.len(), 4);
    let total_w: f64 = households
        .values()
        .map(|r| r[0][3].parse::<f64>().unwrap())
        .sum();
    let represented: f64 = pm.strata.strata.iter().map(|s| s.households).sum();
    assert!((represented - total_w).abs() < 1e-6 * total_w);
    let sim = &loaded.scenario().simulation;
    for rep in 0..2 {
        for i in 0..pm.alloc.total() {
            let hh = pm.household(sim, rep, i);
            let s_idx = hh.stratum as usize;
            let r = md.record_of(&pm.alloc, sim.seed, rep, s_idx, i - pm.alloc.start[s_idx]);
            let rec = &md.records[r];
            let row = &households[&rec.id][0];
            let st = &pm.strata.strata[s_idx];
            assert_eq!(
                (st.province.as_str(), st.region.as_str()),
                (&*row[1], &*row[2])
            );
            assert_eq!(hh.size.to_string(), row[4]);
            let income: f64 = row[5].parse().unwrap();
            let start = (hh.log_income_perm + hh.persistent0).exp();
            assert!(
                (start - income).abs() <= 1e-9 * income.max(1.0),
                "{start} vs {income}"
            );
            assert_eq!(format!("{:.2}", hh.assets_per_capita), row[6]);
            assert_eq!(if hh.migrant { "1" } else { "0" }, row[7]);
            let ages: Vec<String> = hh.members().iter().map(|m| m.age.to_string()).collect();
            let want: Vec<String> = persons[&rec.id].iter().map(|r| r[1].clone()).collect();
            assert_eq!(ages, want);
            let flags: Vec<String> = hh
                .members()
                .iter()
                .map(|m| format!("{}{}", m.severe_disability as u8, m.severe_illness as u8))
                .collect();
            let want: Vec<String> = persons[&rec.id]
                .iter()
                .map(|r| format!("{}{}", r[2], r[3]))
                .collect();
            assert_eq!(flags, want);
        }
    }
    // A household is a pure function of its key; replications resample.
    assert_eq!(pm.household(sim, 3, 17), pm.household(sim, 3, 17));
    let draws = |rep| {
        (0..pm.alloc.total())
            .map(|i| {
                let s = pm.alloc.stratum_of(i);
                md.record_of(&pm.alloc, sim.seed, rep, s, i - pm.alloc.start[s])
            })
            .collect::<Vec<_>>()
    };
    assert_ne!(draws(0), draws(1));

    // `population import` accepts the files.
    safetynet(dir.path())
        .args(["population", "import"])
        .arg(&h)
        .arg("--persons")
        .arg(&p)
        .assert()
        .success()
        .stdout(contains("ok"))
        .stdout(contains("Henan/urban"));
}

#[test]
fn without_a_person_file_members_are_drawn_and_weights_drive_the_bootstrap() {
    let dir = TempDir::new().unwrap();
    // One stratum, two records: weights 1 and 9.
    let h = dir.path().join("h.csv");
    std::fs::write(
        &h,
        "household_id,province,region,weight,size,income_pc_month\n\
         light,Beijing,urban,1,2,3000\n\
         heavy,Beijing,urban,9,3,500\n",
    )
    .unwrap();
    let loaded = microdata_scenario(&h, None, 100);
    let pm = PopulationModel::new(loaded.scenario(), "t").unwrap();
    let md = pm.microdata.as_deref().unwrap();
    let sim = &loaded.scenario().simulation;
    let (mut heavy, mut all) = (0u64, 0u64);
    for rep in 0..400 {
        let m = md.multiplicities(&pm.alloc, sim.seed, rep);
        heavy += m[1];
        all += m[0] + m[1];
    }
    let share = heavy as f64 / all as f64;
    assert!((share - 0.9).abs() < 0.03, "heavy record's share {share}");
    // Members are drawn with the record's size; the head is an adult.
    for i in 0..100 {
        let hh = pm.household(sim, 0, i);
        assert!(hh.size == 2 || hh.size == 3);
        assert!(hh.members()[0].age >= 16);
    }
}

/// Write a household and a person file and run `population import` on them.
fn import(households: &str, persons: Option<&str>) -> assert_cmd::assert::Assert {
    let dir = TempDir::new().unwrap();
    let h = dir.path().join("households.csv");
    std::fs::write(&h, households).unwrap();
    let mut cmd = safetynet(dir.path());
    cmd.args(["population", "import", "households.csv"]);
    if let Some(p) = persons {
        std::fs::write(dir.path().join("persons.csv"), p).unwrap();
        cmd.args(["--persons", "persons.csv"]);
    }
    // The TempDir must outlive the command.
    let out = cmd.assert();
    drop(dir);
    out
}

const HEADER: &str = "household_id,province,region,weight,size,income_pc_month,assets_pc,migrant\n";
const GOOD_ROWS: &str = "a,Henan,urban,1000,2,1500,3000,0\n\
                         b,河南省,rural,2000.5,1,600,0,1\n\
                         c,henan,Rural,1500,3,0,100,0\n";
const PERSONS: &str = "household_id,age,severe_disability,severe_illness\n\
                       a,40,0,0\na,12,0,0\nb,70,1,0\nc,35,0,1\nc,33,0,0\nc,5,0,0\n";

#[test]
fn the_good_file_of_the_bad_row_tests_is_accepted() {
    import(&format!("{HEADER}{GOOD_ROWS}"), Some(PERSONS))
        .success()
        .stdout(contains("3 households in 2 strata"));
}

/// (households.csv, persons.csv or none, file, row, column, value in the message)
type BadCase = (
    String,
    Option<String>,
    &'static str,
    usize,
    &'static str,
    &'static str,
);

#[test]
fn each_kind_of_bad_row_is_rejected_naming_file_row_and_column() {
    let cases: Vec<BadCase> = vec![
        (
            format!("{HEADER}{GOOD_ROWS}d,Henan,urban,lots,1,100,0,0\n"),
            None,
            "households.csv",
            5,
            "weight",
            "lots",
        ),
        (
            format!("{HEADER}a,Henan,urban,-3,2,1500,0,0\n"),
            None,
            "households.csv",
            2,
            "weight",
            "-3",
        ),
        (
            format!("{HEADER}{GOOD_ROWS}d,Henan,suburb,1,1,100,0,0\n"),
            None,
            "households.csv",
            5,
            "region",
            "suburb",
        ),
        (
            format!("{HEADER}a,Atlantis,urban,1,1,100,0,0\n"),
            None,
            "households.csv",
            2,
            "province",
            "Atlantis",
        ),
        (
            format!("{HEADER}{GOOD_ROWS}a,Henan,urban,1,1,100,0,0\n"),
            None,
            "households.csv",
            5,
            "household_id",
            "a",
        ),
        (
            format!("{HEADER}a,Henan,urban,1,9,100,0,0\n"),
            None,
            "households.csv",
            2,
            "size",
            "9",
        ),
        (
            format!("{HEADER}a,Henan,urban,1,2,-5,0,0\n"),
            None,
            "households.csv",
            2,
            "income_pc_month",
            "-5",
        ),
        (
            format!("{HEADER}a,Henan,urban,1,2,100,0,yes\n"),
            None,
            "households.csv",
            2,
            "migrant",
            "yes",
        ),
        (
            "household_id,province,region,weight,size\na,Henan,urban,1,2\n".to_string(),
            None,
            "households.csv",
            1,
            "income_pc_month",
            "(missing)",
        ),
        // Size 3 for `c`, but only two person rows.
        (
            format!("{HEADER}{GOOD_ROWS}"),
            Some(PERSONS.replace("c,5,0,0\n", "")),
            "households.csv",
            4,
            "size",
            "3",
        ),
        // More person rows than the size.
        (
            format!("{HEADER}{GOOD_ROWS}"),
            Some(format!("{PERSONS}b,30,0,0\n")),
            "persons.csv",
            8,
            "household_id",
            "b",
        ),
        (
            format!("{HEADER}{GOOD_ROWS}"),
            Some(PERSONS.replace("b,70,1,0", "zz,70,1,0")),
            "persons.csv",
            4,
            "household_id",
            "zz",
        ),
        (
            format!("{HEADER}{GOOD_ROWS}"),
            Some(PERSONS.replace("b,70,1,0", "b,70,2,0")),
            "persons.csv",
            4,
            "severe_disability",
            "2",
        ),
        (
            format!("{HEADER}{GOOD_ROWS}"),
            Some(PERSONS.replace("b,70,1,0", "b,old,1,0")),
            "persons.csv",
            4,
            "age",
            "old",
        ),
    ];
    for (hh, persons, file, row, column, value) in cases {
        let out = import(&hh, persons.as_deref()).code(2);
        let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
        for want in [
            file.to_string(),
            format!("row {row}"),
            format!("column `{column}`"),
            format!("`{value}`"),
        ] {
            assert!(
                stderr.contains(&want),
                "expected `{want}` in the error for {file} row {row} {column}:\n{stderr}"
            );
        }
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn scenario_keys_of_microdata_are_checked() {
    let dir = TempDir::new().unwrap();
    let f = dir.path().join("s.toml");
    std::fs::write(&f, "[population]\nsource = \"microdata\"\n").unwrap();
    safetynet(dir.path())
        .args(["validate"])
        .arg(&f)
        .assert()
        .code(2)
        .stderr(contains("population.microdata.households"));
    std::fs::write(
        &f,
        "[population.microdata]\nhouseholds = \"h.csv\"\n", // source still synthetic
    )
    .unwrap();
    safetynet(dir.path())
        .args(["validate"])
        .arg(&f)
        .assert()
        .code(2)
        .stderr(contains("unless population.source"));
    std::fs::write(
        &f,
        "[population]\nsource = \"microdata\"\n[population.microdata]\nhouseholds = \"nowhere.csv\"\n",
    )
    .unwrap();
    safetynet(dir.path())
        .args(["validate"])
        .arg(&f)
        .assert()
        .code(2)
        .stderr(contains("nowhere.csv"));
}

/// Rows of a results CSV as maps from column to value.
fn table(path: &Path) -> Vec<HashMap<String, String>> {
    let mut rdr = csv::Reader::from_path(path).unwrap();
    let head: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
    rdr.records()
        .map(|r| {
            let r = r.unwrap();
            head.iter()
                .cloned()
                .zip(r.iter().map(String::from))
                .collect()
        })
        .collect()
}

#[test]
fn small_cells_are_suppressed_never_printed_and_not_recoverable_by_difference() {
    let dir = TempDir::new().unwrap();
    let (h, p) = export(dir.path(), 6000);
    // Keep every Henan household but only five of Gansu's: Gansu has fewer than k = 10.
    let text = std::fs::read_to_string(&h).unwrap();
    let mut gansu = 0;
    let mut keep = Vec::new();
    let kept: String = text
        .lines()
        .enumerate()
        .filter(|(i, l)| {
            let ok = *i == 0 || !l.contains(",Gansu,") || {
                gansu += 1;
                gansu <= 5
            };
            if ok && *i > 0 {
                keep.push(l.split(',').next().unwrap().to_string());
            }
            ok
        })
        .map(|(_, l)| format!("{l}\n"))
        .collect();
    std::fs::write(&h, kept).unwrap();
    let ptext = std::fs::read_to_string(&p).unwrap();
    let pkept: String = ptext
        .lines()
        .enumerate()
        .filter(|(i, l)| *i == 0 || keep.iter().any(|k| l.starts_with(&format!("{k},"))))
        .map(|(_, l)| format!("{l}\n"))
        .collect();
    std::fs::write(&p, pkept).unwrap();

    let out = dir.path().join("out");
    let assert = safetynet(dir.path())
        .args(["run"])
        .arg(repo_file("scenarios/baseline.toml"))
        .arg("--population")
        .arg(&h)
        .arg("--persons")
        .arg(&p)
        .args([
            "--households",
            "3000",
            "--reps",
            "3",
            "--years",
            "2",
            "--by-province",
            "-q",
        ])
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    assert!(stdout.contains("suppressed"), "{stdout}");

    let summary = table(&out.join("summary.csv"));
    let numbers = ["mean", "sd", "p05", "p50", "p95"];
    let mut gansu_rows = 0;
    for r in &summary {
        let hidden = r["note"] == "suppressed";
        for n in numbers {
            assert_eq!(r[n].is_empty(), hidden, "{r:?}");
        }
        if r["region"] == "province:Gansu" {
            gansu_rows += 1;
            assert!(hidden, "a Gansu cell is shown: {r:?}");
        }
    }
    assert!(gansu_rows > 50);
    // Whole-population cells of large regions are shown.
    assert!(summary.iter().any(|r| r["region"] == "national"
        && r["metric"] == "population_persons"
        && r["note"].is_empty()));
    for r in table(&out.join("replications.csv")) {
        let hidden = r["note"] == "suppressed";
        assert_eq!(r["value"].is_empty(), hidden, "{r:?}");
        if r["region"] == "province:Gansu" {
            assert!(hidden, "{r:?}");
        }
    }
    // No additive group shows its total while exactly hiding one part.
    let mut cells: BTreeMap<(String, String, String), BTreeMap<String, bool>> = BTreeMap::new();
    for r in &summary {
        cells
            .entry((r["year"].clone(), r["period"].clone(), r["metric"].clone()))
            .or_default()
            .insert(r["region"].clone(), r["note"] == "suppressed");
    }
    for (key, regions) in &cells {
        if regions.get("national") != Some(&false) {
            continue;
        }
        for parts in [
            vec!["urban", "rural"],
            vec!["province:Henan", "province:Gansu"],
        ] {
            let hidden = parts
                .iter()
                .filter(|p| regions.get(**p) == Some(&true))
                .count();
            assert_ne!(
                hidden, 1,
                "{key:?}: one part of a shown total is hidden: {regions:?}"
            );
        }
    }
}

#[test]
fn the_shipped_example_runs_end_to_end_and_threads_change_no_byte() {
    let dir = TempDir::new().unwrap();
    let run = |threads: &str, chunk: &str, out: &str| {
        safetynet(dir.path())
            .args(["run"])
            .arg(example("scenario.toml"))
            .args(["--reps", "4", "--years", "2", "-q", "--threads", threads])
            .args(["--chunk-size", chunk, "--out", out])
            .assert()
            .success()
            .stdout(contains("microdata-example"));
    };
    run("1", "256", "a");
    run("2", "37", "b");
    for f in ["summary.csv", "replications.csv"] {
        let a = std::fs::read(dir.path().join("a").join(f)).unwrap();
        let b = std::fs::read(dir.path().join("b").join(f)).unwrap();
        assert!(!a.is_empty());
        assert!(a == b, "{f} differs between 1 and 2 threads");
    }
    let summary = table(&dir.path().join("a").join("summary.csv"));
    assert!(summary.len() > 100);
    assert!(summary[0].contains_key("note"));
    let manifest = std::fs::read_to_string(dir.path().join("a").join("manifest.json")).unwrap();
    let manifest: serde_json::Value = serde_json::from_str(&manifest).unwrap();
    let md = &manifest["scenarios"][0]["microdata"];
    assert_eq!(md["records"], 400);
    assert_eq!(md["sha256"].as_array().map(|a| a.len()), Some(2), "{md}");
    // The example's records are all read: 400 households, 3 provinces.
    let loaded = safetynet::scenario::resolve_microdata_paths(
        scenario::load(&example("scenario.toml")).unwrap(),
    )
    .unwrap();
    let pm = PopulationModel::new(loaded.scenario(), "t").unwrap();
    assert_eq!(pm.microdata.as_ref().unwrap().records.len(), 400);
    assert_eq!(pm.strata.strata.len(), 6);
}

#[test]
fn household_rows_are_never_exported_from_microdata_and_describe_withholds_small_regions() {
    let dir = TempDir::new().unwrap();
    safetynet(dir.path())
        .args(["population", "sample", "--out", "x.csv", "--population"])
        .arg(example("households.csv"))
        .assert()
        .code(2)
        .stderr(contains("aggregates"));
    assert!(!dir.path().join("x.csv").exists());
    // Three urban and three rural records: every column is withheld at k = 10.
    let text = std::fs::read_to_string(example("households.csv")).unwrap();
    let mut lines: Vec<&str> = text.lines().take(1).collect();
    lines.extend(text.lines().filter(|l| l.contains(",urban,")).take(3));
    lines.extend(text.lines().filter(|l| l.contains(",rural,")).take(3));
    std::fs::write(dir.path().join("tiny.csv"), lines.join("\n")).unwrap();
    let out = safetynet(dir.path())
        .args(["population", "describe", "--population", "tiny.csv"])
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    for line in stdout.lines().skip(2) {
        assert!(
            line.split_whitespace()
                .filter(|w| *w == "suppressed")
                .count()
                == 6,
            "{line}"
        );
    }
    // At k = 4 the national column (six records) is shown, urban and rural are not.
    let out = safetynet(dir.path())
        .args(["population", "describe", "--population", "tiny.csv"])
        .args(["--min-cell", "4"])
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    let households = stdout.lines().nth(2).unwrap();
    assert_eq!(households.matches("suppressed").count(), 4, "{households}");
}

#[test]
fn report_on_microdata_results_leaves_suppressed_cells_out() {
    // Suppressed rows carry empty numbers; the report must skip them, not fail on them.
    let dir = TempDir::new().unwrap();
    let example = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("synthetic-data/microdata-example/scenario.toml");
    Command::cargo_bin("safetynet")
        .unwrap()
        .arg("run")
        .arg(&example)
        .args([
            "--reps", "2", "--years", "2", "--quiet", "--report", "--out",
        ])
        .arg(dir.path())
        .assert()
        .success();
    let summary = std::fs::read_to_string(dir.path().join("summary.csv")).unwrap();
    assert!(
        summary.contains("suppressed"),
        "the example should have suppressed cells at k = 10"
    );
    assert!(dir.path().join("report.html").is_file());
}
