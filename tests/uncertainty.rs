//! Parameter uncertainty: a scenario value given as a distribution is drawn once per
//! replication from its own stream; the draws are reproducible from the seed, independent of
//! the thread count, recorded in the manifest, and widen the intervals.

use assert_cmd::Command;
use std::path::Path;

fn scenario(dir: &Path, name: &str, body: &str) -> std::path::PathBuf {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/baseline.toml");
    let p = dir.join(format!("{name}.toml"));
    std::fs::write(
        &p,
        format!(
            "extends = {:?}\nname = {name:?}\n{body}",
            base.display().to_string()
        ),
    )
    .unwrap();
    p
}

fn run(file: &Path, out: &Path, threads: &str) -> (String, serde_json::Value) {
    Command::cargo_bin("safetynet")
        .unwrap()
        .arg("run")
        .arg(file)
        .args([
            "--households",
            "8000",
            "--reps",
            "6",
            "--years",
            "1",
            "--quiet",
            "--threads",
            threads,
            "--out",
        ])
        .arg(out)
        .assert()
        .success();
    let summary = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    let manifest =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    (summary, manifest)
}

fn sd_of(summary: &str, metric: &str) -> f64 {
    summary
        .lines()
        .map(|l| l.split(',').collect::<Vec<_>>())
        .find(|f| f[1] == "2023" && f[2] == "FY" && f[3] == "national" && f[4] == metric)
        .map(|f| f[7].parse().unwrap())
        .unwrap()
}

const UNCERTAIN: &str =
    "[programs.dibao.take_up]\never_apply = { dist = \"uniform\", min = 0.3, max = 0.9 }\n";

#[test]
fn draws_are_reproducible_thread_independent_recorded_and_widen_intervals() {
    let d = tempfile::tempdir().unwrap();
    let f = scenario(d.path(), "uncertain", UNCERTAIN);
    let (a, ma) = run(&f, &d.path().join("a"), "1");
    let (b, mb) = run(&f, &d.path().join("b"), "2");
    assert_eq!(a, b, "thread count changed the summary");
    assert_eq!(ma["parameter_draws"], mb["parameter_draws"]);
    let draws = ma["parameter_draws"][0].as_array().unwrap();
    assert_eq!(draws.len(), 6);
    let values: Vec<f64> = draws
        .iter()
        .map(|r| r["programs.dibao.take_up.ever_apply"].as_f64().unwrap())
        .collect();
    assert!(values.iter().all(|v| (0.3..=0.9).contains(v)), "{values:?}");
    assert!(
        values.windows(2).any(|w| w[0] != w[1]),
        "one draw per replication: {values:?}"
    );
    // Same households and shocks, with and without the uncertain take-up: the spread of
    // recipients over replications must grow (take-up from 0.3 to 0.9 moves them a lot).
    let fixed = scenario(d.path(), "fixed", "");
    let (c, mc) = run(&fixed, &d.path().join("c"), "2");
    assert!(mc.get("parameter_draws").is_none());
    assert!(sd_of(&a, "recipients_persons") > 2.0 * sd_of(&c, "recipients_persons"));
}

#[test]
fn a_distribution_that_leaves_the_allowed_range_is_rejected_before_running() {
    let d = tempfile::tempdir().unwrap();
    let f = scenario(
        d.path(),
        "bad",
        "[programs.dibao.take_up]\never_apply = { dist = \"normal\", mean = 0.9, sd = 0.1 }\n",
    );
    Command::cargo_bin("safetynet")
        .unwrap()
        .args(["validate"])
        .arg(&f)
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "programs.dibao.take_up.ever_apply",
        ))
        .stderr(predicates::str::contains("high end of the distribution"));
}
