//! Helpers shared by the integration tests that run the `safetynet` binary as a user would.
#![allow(dead_code)] // each test crate uses its own subset

use assert_cmd::Command;
use predicates::prelude::*;
use predicates::str::contains;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Tiny simulation sizes: a run finishes in well under a second.
pub const TINY: [&str; 6] = ["--households", "300", "--reps", "2", "--years", "2"];

/// Standard error of a mean over `reps` replications from their 90 % interval (p05 to p95):
/// its width over 2 × 1.6449 normal sds, over √reps. The backtest's and projection's tests
/// require it below a third of a check's tolerance, so a pass or a failure is not noise.
pub fn mean_se(p05: f64, p95: f64, reps: f64) -> f64 {
    (p95 - p05) / (2.0 * 1.6449) / reps.sqrt()
}

/// A file of the repository by its relative path.
pub fn repo_file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// The shipped baseline scenario.
pub fn baseline() -> PathBuf {
    repo_file("scenarios/baseline.toml")
}

/// The binary, run inside `dir` so nothing can land in the repository.
pub fn safetynet(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("safetynet").expect("binary `safetynet` is built");
    cmd.current_dir(dir).timeout(Duration::from_secs(120));
    cmd
}

/// Write `text` to `dir/name` and return its path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write temp file");
    p
}

/// A path as text.
pub fn s(p: &Path) -> String {
    p.display().to_string()
}

/// A user error: exit code 2, an `error:` line on stderr, no panic, nothing on stdout.
pub fn bad_input(cmd: &mut Command) -> assert_cmd::assert::Assert {
    cmd.assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(contains("error: "))
        .stderr(contains("panicked").not())
        .stderr(contains("RUST_BACKTRACE").not())
}

/// A shipped scenario (`scenarios/<file>`) with `sets` (`key=value`) applied, as a model.
pub fn model_of(file: &str, sets: &[&str], label: &str) -> safetynet::engine::Model {
    let sets: Vec<_> = sets
        .iter()
        .map(|s| safetynet::scenario::parse_override(s).unwrap())
        .collect();
    let loaded = safetynet::scenario::load(&repo_file(&format!("scenarios/{file}")))
        .unwrap()
        .with_overrides(&sets, label)
        .unwrap();
    safetynet::engine::Model::new(&loaded).unwrap()
}

/// Run `model` through the library on `threads` threads: its counters, one per replication.
pub fn counters_of(
    model: &safetynet::engine::Model,
    threads: usize,
) -> Vec<safetynet::counters::Counters> {
    let opts = safetynet::engine::RunOptions {
        threads,
        progress: None,
    };
    safetynet::engine::run(std::slice::from_ref(model), &opts)
        .unwrap()
        .per_scenario
        .remove(0)
}

/// Run `model` through the library on two threads and collect its results.
pub fn results_of(model: &safetynet::engine::Model) -> safetynet::output::ScenarioResults {
    let opts = safetynet::engine::RunOptions {
        threads: 2,
        ..Default::default()
    };
    let counters = safetynet::engine::run(std::slice::from_ref(model), &opts).unwrap();
    safetynet::output::collect(std::slice::from_ref(model), &counters).remove(0)
}

/// A Monte Carlo mean against its closed form: the mean over replications has standard error
/// sd/√n; it passes within 4 standard errors, and the standard error must be below 3 % of the
/// value, so the check cannot pass vacuously. With the se estimated from n replications the
/// statistic is Student's t with n − 1 degrees of freedom: a false alarm about once in 190
/// checks at n = 8, once in 320 at n = 10 (once in 16,000 for a known se); the seeds are fixed,
/// so a passing check passes every time.
pub fn check_closed_form(name: &str, year: i32, st: safetynet::metrics::Stats, expected: f64) {
    let se = st.sd / (st.n as f64).sqrt();
    assert!(
        se < 0.03 * expected.abs(),
        "{name} {year}: standard error {se} too large next to {expected} for a meaningful check"
    );
    let z = (st.mean - expected) / se;
    assert!(
        z.abs() < 4.0,
        "{name} {year}: simulated {} vs closed form {expected} ({z:.2} standard errors)",
        st.mean
    );
}
