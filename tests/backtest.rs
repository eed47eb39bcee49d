//! `safetynet backtest`: the command as a user runs it. It writes a row of backtest.csv for
//! every official figure of the history file that the model maps and that falls within the
//! simulated months; the standards follow the history; the scenario it writes reproduces the
//! run; a bad history row exits 2 naming the row and the column.

use assert_cmd::Command;
use predicates::prelude::*;
use predicates::str::contains;
use safetynet::backtest::{History, FIGURES};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tempfile::TempDir;

/// Small sample: every command here runs in about a second.
const SMALL: [&str; 5] = ["--households", "2000", "--reps", "2", "--quiet"];

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn safetynet(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("safetynet").expect("binary `safetynet` is built");
    cmd.current_dir(dir).timeout(Duration::from_secs(300));
    cmd
}

/// Run the backtest of the baseline from 2017 on the shipped history into `dir/out`.
fn backtest(dir: &Path, extra: &[&str]) -> Command {
    let mut cmd = safetynet(dir);
    cmd.arg("backtest")
        .arg(repo("scenarios/baseline.toml"))
        .arg("--history")
        .arg(repo("synthetic-data/history.csv"))
        .args(SMALL)
        .arg("--out")
        .arg(dir.join("out"))
        .args(extra);
    cmd
}

fn read_csv(path: &Path) -> Vec<csv::StringRecord> {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    r.records().map(|x| x.unwrap()).collect()
}

/// Whether a history date lies within January 2017 – December 2023 (written out here, apart
/// from the library's matching).
fn in_range(date: &str) -> bool {
    let ym = |s: &str| -> (i32, u32) {
        let (y, m) = s.split_once('-').unwrap_or((s, "12"));
        (y.parse().unwrap(), m.parse().unwrap())
    };
    let (first, last) = match date.split_once('/') {
        Some((a, b)) => (ym(a), ym(b)),
        None if date.len() == 4 => ((date.parse().unwrap(), 1), (date.parse().unwrap(), 12)),
        None => (ym(date), ym(date)),
    };
    first >= (2017, 1) && last <= (2023, 12)
}

#[test]
fn backtest_writes_a_row_for_every_mapped_official_figure_in_range() {
    let dir = TempDir::new().unwrap();
    backtest(dir.path(), &["--fit-until", "2021"])
        .assert()
        .success()
        .stdout(contains("dibao_persons_total"))
        .stdout(contains("official figures;"));
    let out = dir.path().join("out");
    let rows = read_csv(&out.join("backtest.csv"));

    // Expected: every history row whose key is in the declared table and whose date is in
    // range, with its confirmed flag and sample.
    let hist = read_csv(&repo("synthetic-data/history.csv"));
    let mut want = BTreeSet::new();
    for h in &hist {
        if FIGURES.iter().any(|f| f.key == &h[0]) && in_range(&h[1]) {
            want.insert((h[0].to_string(), h[1].to_string(), h[5].to_string()));
        }
    }
    assert!(
        want.len() > 50,
        "only {} mapped figures in range",
        want.len()
    );
    let got: BTreeSet<(String, String, String)> = rows
        .iter()
        .map(|r| (r[0].to_string(), r[1].to_string(), r[12].to_string()))
        .collect();
    assert_eq!(rows.len(), got.len(), "a figure written twice");
    assert_eq!(got, want);

    for r in &rows {
        let end_year: i32 = r[1].rsplit('/').next().unwrap()[..4].parse().unwrap();
        let sample = if end_year > 2021 { "out" } else { "in" };
        assert_eq!(&r[11], sample, "{:?}", r);
        let num = |i: usize| -> f64 { r[i].parse().unwrap_or_else(|_| panic!("{:?}", r)) };
        let (official, mean, lo, hi) = (num(5), num(6), num(7), num(8));
        assert!(lo <= mean && mean <= hi, "{:?}", r);
        let err = num(9);
        assert!((err - (mean - official) / official * 100.0).abs() < 1e-9);
        let inside = if official >= lo && official <= hi {
            "yes"
        } else {
            "no"
        };
        assert_eq!(&r[10], inside);
    }
    // Units: the shipped history uses the metrics' units, so official = the file's value.
    let first = rows
        .iter()
        .find(|r| &r[0] == "dibao_persons_total")
        .unwrap();
    let h = hist
        .iter()
        .find(|h| &h[0] == "dibao_persons_total" && h[1] == first[1])
        .unwrap();
    assert_eq!(
        first[5].parse::<f64>().unwrap(),
        h[3].parse::<f64>().unwrap()
    );

    // Changes between official dates: September 2021 to September 2023 of dibao persons
    // (the last date of that series in range) is there, out of sample.
    let ch = read_csv(&out.join("backtest-changes.csv"));
    let c = ch
        .iter()
        .find(|r| &r[0] == "dibao_persons_total" && &r[1] == "2021-09" && &r[2] == "2023-09")
        .expect("the 2021-09 to 2023-09 change");
    let value = |date: &str| -> f64 {
        hist.iter()
            .find(|h| &h[0] == "dibao_persons_total" && &h[1] == date)
            .map(|h| h[3].parse().unwrap())
            .unwrap()
    };
    let official: f64 = c[3].parse().unwrap();
    let want = (value("2023-09") / value("2021-09") - 1.0) * 100.0;
    assert!((official - want).abs() < 1e-9, "{official} against {want}");
    assert_eq!(&c[9], "out");

    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("<svg") && html.contains("<polygon"));
    assert!(html.contains("dibao_persons_total"));
    for f in ["summary.csv", "replications.csv", "manifest.json"] {
        assert!(out.join(f).is_file(), "{f}");
    }
    // The manifest's resolved scenario records which series drove it.
    let manifest = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    assert!(manifest.contains("`cpi_index`") && manifest.contains("`income_pc_rural`"));
}

#[test]
fn the_model_standards_follow_the_history_year_by_year() {
    let dir = TempDir::new().unwrap();
    backtest(dir.path(), &[]).assert().success();
    let summary = read_csv(&dir.path().join("out/summary.csv"));
    let hist = History::load(&repo("synthetic-data/history.csv")).unwrap();
    for (region, key) in [("urban", "dibao_std_urban"), ("rural", "dibao_std_rural")] {
        let model = |y: i32| -> f64 {
            summary
                .iter()
                .find(|r| {
                    r[1] == *y.to_string()
                        && &r[2] == "FY"
                        && &r[3] == region
                        && &r[4] == "standard_average"
                })
                .map(|r| r[6].parse().unwrap())
                .unwrap()
        };
        let level = |y: i32| hist.mid_year_level(key, y).unwrap().0;
        // The same households every year, every standard of a region moved by the same
        // factor: the model's path relative to 2017 is the history's, up to rounding to fen.
        for y in 2018..=2023 {
            let (m, h) = (model(y) / model(2017), level(y) / level(2017));
            assert!(
                (m - h).abs() < 1e-4,
                "{region} {y}: model ×{m}, history ×{h}"
            );
        }
        // And the level itself is the history's, up to the sample's mix of provinces (the
        // standard is person-weighted where the sample lives): within 2 % at 2,000 households.
        assert!((model(2017) / level(2017) - 1.0).abs() < 0.02);
    }
}

#[test]
fn the_written_scenario_reproduces_the_backtest_run() {
    let dir = TempDir::new().unwrap();
    backtest(dir.path(), &[]).assert().success();
    let file = dir.path().join("bt.toml");
    backtest(dir.path(), &["--write-scenario", file.to_str().unwrap()])
        .assert()
        .success()
        .stdout(contains("wrote"));
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("start_year = 2017") && text.contains("[references]"));
    safetynet(dir.path())
        .arg("run")
        .arg(&file)
        .args(SMALL)
        .arg("--out")
        .arg(dir.path().join("run"))
        .assert()
        .success();
    let a = std::fs::read(dir.path().join("out/summary.csv")).unwrap();
    let b = std::fs::read(dir.path().join("run/summary.csv")).unwrap();
    assert!(
        a == b,
        "summary.csv of the written scenario differs from the backtest's"
    );
}

fn bad(cmd: &mut Command) -> assert_cmd::assert::Assert {
    cmd.assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(contains("panicked").not())
}

#[test]
fn a_bad_history_row_exits_2_naming_the_row_and_the_column() {
    let dir = TempDir::new().unwrap();
    let text = std::fs::read_to_string(repo("synthetic-data/history.csv")).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    // Row 5 of the file (the header is row 1): a month that does not exist.
    let f: Vec<&str> = lines[4].splitn(3, ',').collect();
    lines[4] = format!("{},2019-13,{}", f[0], f[2]);
    let path = dir.path().join("history.csv");
    std::fs::write(&path, lines.join("\n")).unwrap();
    let mut cmd = safetynet(dir.path());
    cmd.arg("backtest")
        .arg(repo("scenarios/baseline.toml"))
        .arg("--history")
        .arg(&path)
        .args(SMALL);
    bad(&mut cmd).stderr(contains(
        "history.csv: row 5, column `date`: value `2019-13`",
    ));

    // A value that is not a number, in a mapped key.
    std::fs::write(
        &path,
        "key,date,unit,value,source,confirmed\n\
         dibao_persons_total,2019-05,million persons,44.0,s,yes\n\
         tekun_persons_total,2019-03,million persons,n/a,s,yes\n",
    )
    .unwrap();
    let mut cmd = safetynet(dir.path());
    cmd.arg("backtest")
        .arg(repo("scenarios/baseline.toml"))
        .arg("--history")
        .arg(&path)
        .args(SMALL);
    bad(&mut cmd).stderr(contains("row 3, column `value`: value `n/a`"));

    // A well-formed file without the drivers: the missing series is named.
    std::fs::write(
        &path,
        "key,date,unit,value,source,confirmed\n\
         dibao_persons_total,2019-05,million persons,44.0,s,yes\n",
    )
    .unwrap();
    let mut cmd = safetynet(dir.path());
    cmd.arg("backtest")
        .arg(repo("scenarios/baseline.toml"))
        .arg("--history")
        .arg(&path)
        .args(SMALL);
    bad(&mut cmd).stderr(contains("`dibao_std_urban`"));

    // Microdata incomes are not moved back to the start year: refused, naming the key.
    let mut cmd = safetynet(dir.path());
    cmd.arg("backtest")
        .arg(repo("synthetic-data/microdata-example/scenario.toml"))
        .arg("--history")
        .arg(repo("synthetic-data/history.csv"))
        .args(SMALL);
    bad(&mut cmd).stderr(contains("key `population.source` = \"microdata\""));

    // --years is the span from --from to 2023, not a choice.
    let mut cmd = safetynet(dir.path());
    cmd.arg("backtest")
        .arg(repo("scenarios/baseline.toml"))
        .args(["--years", "3"]);
    bad(&mut cmd).stderr(contains("--years"));
}

#[test]
fn backtest_csv_is_the_same_bytes_whatever_the_thread_count() {
    let dir = TempDir::new().unwrap();
    let mut files = Vec::new();
    for threads in ["1", "2"] {
        let out = dir.path().join(format!("t{threads}"));
        let mut cmd = safetynet(dir.path());
        cmd.arg("backtest")
            .arg(repo("scenarios/baseline.toml"))
            .arg("--history")
            .arg(repo("synthetic-data/history.csv"))
            .args(SMALL)
            .args(["--threads", threads, "--chunk-size", "97", "--out"])
            .arg(&out)
            .assert()
            .success();
        files.push(std::fs::read(out.join("backtest.csv")).unwrap());
    }
    assert!(
        files[0] == files[1],
        "backtest.csv differs between 1 and 2 threads"
    );
}

#[test]
fn write_scenario_never_overwrites_a_file() {
    let dir = TempDir::new().unwrap();
    // A copy of the input itself: writing over it would destroy the scenario.
    let input = dir.path().join("mine.toml");
    let text = format!(
        "extends = {:?}\nname = \"mine\"\n",
        repo("scenarios/baseline.toml").display().to_string()
    );
    std::fs::write(&input, &text).unwrap();
    let mut cmd = safetynet(dir.path());
    cmd.arg("backtest")
        .arg(&input)
        .arg("--history")
        .arg(repo("synthetic-data/history.csv"))
        .args(SMALL)
        .arg("--write-scenario")
        .arg(&input)
        .assert()
        .code(2)
        .stderr(contains("the file exists"))
        .stderr(contains("mine.toml"));
    assert_eq!(std::fs::read_to_string(&input).unwrap(), text);
}
