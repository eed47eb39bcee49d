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

/// A table whose keys are all years (`{ 2023 = 0.05 }`) is a schedule: one leaf.
fn is_schedule(t: &Table) -> bool {
    !t.is_empty()
        && t.keys()
            .all(|k| !k.is_empty() && k.chars().all(|c| c.is_ascii_digit()))
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
