//! The scenario reference (`scenarios/README.md`) documents every key of
//! `scenarios/defaults.toml` and every shipped scenario file.

use std::path::{Path, PathBuf};
use toml::{Table, Value};

fn scenarios_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")
}

fn readme() -> String {
    let p = scenarios_dir().join("README.md");
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()))
}

/// A table whose keys are all years (`{ 2023 = 0.05 }`) or months (`{ "2000-01" = 3.5 }`) is
/// a schedule: one leaf.
fn is_schedule(t: &Table) -> bool {
    !t.is_empty()
        && t.keys().all(|k| {
            !k.is_empty()
                && k.chars().all(|c| c.is_ascii_digit() || c == '-')
                && !k.starts_with('-')
        })
}

/// Every leaf key path of `t`, recursing into tables that are not schedules.
fn leaf_keys(t: &Table, prefix: &str, out: &mut Vec<String>) {
    for (k, v) in t {
        let path = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            Value::Table(sub) if !is_schedule(sub) => leaf_keys(sub, &path, out),
            _ => out.push(path),
        }
    }
}

#[test]
fn every_default_key_is_documented_in_scenarios_readme() {
    let p = scenarios_dir().join("defaults.toml");
    let text =
        std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()));
    let table: Table = text.parse().expect("defaults.toml parses");
    let mut keys = Vec::new();
    leaf_keys(&table, "", &mut keys);
    assert!(
        keys.len() > 50,
        "suspiciously few keys in defaults.toml: {keys:?}"
    );
    for expected in [
        "programs.dibao.take_up.ever_apply",
        "dynamics.income.growth",
        "population.strata",
    ] {
        assert!(
            keys.iter().any(|k| k == expected),
            "{expected} not collected"
        );
    }
    let doc = readme();
    let missing: Vec<&String> = keys
        .iter()
        .filter(|k| !doc.contains(&format!("`{k}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "scenarios/README.md does not document these keys of defaults.toml (as `full.dotted.path`):\n  {}",
        missing
            .iter()
            .map(|k| k.as_str())
            .collect::<Vec<_>>()
            .join("\n  ")
    );
}

#[test]
fn every_shipped_scenario_is_mentioned_in_scenarios_readme() {
    let doc = readme();
    let mut files: Vec<String> = std::fs::read_dir(scenarios_dir())
        .expect("scenarios/ is readable")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .toml files in scenarios/");
    let missing: Vec<&String> = files.iter().filter(|f| !doc.contains(f.as_str())).collect();
    assert!(
        missing.is_empty(),
        "scenarios/README.md does not mention these scenario files: {missing:?}"
    );
}

/// `synthetic-data/history.csv` passes its own checker (`synthetic-data/check_history.py`:
/// every key in the vocabulary and in SOURCES.md, units, date forms, a source that names no
/// machine path, no unmarked conflicts), and the checker refuses a copy with one bad row (a
/// source that is a path on this machine), with exit code 2 naming the row.
#[test]
fn history_csv_passes_its_checker_and_the_checker_refuses_a_machine_path() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("synthetic-data");
    let script = dir.join("check_history.py");
    let run = |csv: &Path| {
        std::process::Command::new("python3")
            .arg(&script)
            .arg(csv)
            .output()
            .expect("python3 is needed for this test (.ci/run's machine has it)")
    };
    let ok = run(&dir.join("history.csv"));
    assert!(
        ok.status.success(),
        "check_history.py refused history.csv:\n{}{}",
        String::from_utf8_lossy(&ok.stdout),
        String::from_utf8_lossy(&ok.stderr)
    );
    let text = std::fs::read_to_string(dir.join("history.csv")).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    // The first data row's source (the fifth column) replaced by a path on this machine.
    let mut cells: Vec<String> = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(lines[1].as_bytes())
        .records()
        .next()
        .unwrap()
        .unwrap()
        .iter()
        .map(String::from)
        .collect();
    cells[4] = "/work/shared/data/history-2013-2023.csv".to_string();
    let mut w = csv::Writer::from_writer(vec![]);
    w.write_record(&cells).unwrap();
    lines[1] = String::from_utf8(w.into_inner().unwrap())
        .unwrap()
        .trim_end()
        .to_string();
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("history.csv");
    std::fs::write(&bad, lines.join("\n") + "\n").unwrap();
    let refused = run(&bad);
    assert_eq!(
        refused.status.code(),
        Some(2),
        "a machine path must be refused"
    );
    let said = String::from_utf8_lossy(&refused.stdout).to_string()
        + &String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.contains("/work/shared"),
        "the error names the value: {said}"
    );
}
