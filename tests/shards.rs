//! Shards, merge and resume (issue 11): one run = the merge of 3 shards = a run killed
//! part-way and resumed, byte for byte (summary.csv, replications.csv), for the baseline and
//! for a scenario with charity, quotas and a parameter distribution on; manifests differ only
//! in `command`. Missing, duplicated or mismatched shards are exit-2 errors naming the shard.
//! The Slurm scripts `safetynet slurm` writes are run here as Slurm would run them (each
//! array task with its SLURM_ARRAY_TASK_ID, then the merge job) and give the same bytes;
//! scripts/ci-slurm.sh does the same on a real Slurm.

use assert_cmd::Command;
use predicates::prelude::*;
use predicates::str::contains;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tempfile::TempDir;

const SIZE: [&str; 6] = ["--households", "3000", "--reps", "6", "--years", "3"];

fn repo_file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn safetynet(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("safetynet").expect("binary `safetynet` is built");
    cmd.current_dir(dir).timeout(Duration::from_secs(300));
    cmd
}

fn bad_input(cmd: &mut Command) -> assert_cmd::assert::Assert {
    cmd.assert()
        .code(2)
        .stderr(contains("error: "))
        .stderr(contains("panicked").not())
}

/// A scenario and its extra options.
struct Case {
    scenario: PathBuf,
    extra: Vec<&'static str>,
}

fn baseline() -> Case {
    Case {
        scenario: repo_file("scenarios/baseline.toml"),
        extra: vec![],
    }
}

/// Charity (budget fill needs a whole replication's demand), quotas (cut-offs likewise) and
/// a distribution (parameter draws travel with the counters).
fn charity_quota() -> Case {
    Case {
        scenario: repo_file("scenarios/charity-linkage.toml"),
        extra: vec![
            "--set",
            "programs.quota.enabled=true",
            "--set",
            "programs.dibao.take_up.ever_apply={ dist = \"uniform\", min = 0.3, max = 0.5 }",
        ],
    }
}

fn run(dir: &Path, case: &Case, more: &[&str]) -> Command {
    let mut c = safetynet(dir);
    c.arg("run")
        .arg(&case.scenario)
        .args(SIZE)
        .args(&case.extra)
        .arg("--quiet")
        .args(more);
    c
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn manifest_without_command(dir: &Path) -> serde_json::Value {
    let mut m: serde_json::Value =
        serde_json::from_slice(&read(&dir.join("manifest.json"))).unwrap();
    m.as_object_mut().unwrap().remove("command");
    m
}

fn assert_same(a: &Path, b: &Path, what: &str) {
    for f in ["summary.csv", "replications.csv"] {
        assert!(
            read(&a.join(f)) == read(&b.join(f)),
            "{what}: {f} differs from one run"
        );
    }
    assert_eq!(
        manifest_without_command(a),
        manifest_without_command(b),
        "{what}: manifest"
    );
}

fn one_run_equals_merge_and_resume(case: Case) {
    let d = TempDir::new().unwrap();
    let dir = d.path();
    run(dir, &case, &["--out", "one"]).assert().success();

    // Three shards, merged (given out of order).
    for i in 1..=3 {
        run(
            dir,
            &case,
            &["--shard", &format!("{i}/3"), "--out", &format!("s{i}")],
        )
        .assert()
        .success();
    }
    safetynet(dir)
        .args(["merge", "s3", "s1", "s2", "--out", "merged", "--quiet"])
        .assert()
        .success();
    assert_same(&dir.join("one"), &dir.join("merged"), "merge of 3 shards");

    // Killed after its second replication's checkpoint (fault injection), then resumed.
    let killed = run(dir, &case, &["--out", "resumed"])
        .env("SAFETYNET_FAULT_AFTER", "7")
        .assert()
        .failure();
    assert_ne!(killed.get_output().status.code(), Some(0));
    assert!(
        !dir.join("resumed").exists(),
        "no results from a killed run"
    );
    let ck = dir.join(".resumed.safetynet-tmp/checkpoint");
    let finished = std::fs::read_dir(&ck)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("rep-")
        })
        .count();
    assert!(
        (1..6).contains(&finished),
        "killed part-way: {finished} of 6 replications checkpointed"
    );
    // Not --quiet: the resumed run must say it took the finished replications from their
    // checkpoints (the bytes alone cannot tell a resume from a recomputation).
    safetynet(dir)
        .arg("run")
        .arg(&case.scenario)
        .args(SIZE)
        .args(&case.extra)
        .args(["--out", "resumed", "--resume"])
        .assert()
        .success()
        .stderr(contains(format!(
            "resuming: {finished} of 6 replications already finished"
        )));
    assert_same(&dir.join("one"), &dir.join("resumed"), "resumed run");
    assert!(!dir.join(".resumed.safetynet-tmp").exists());
}

#[test]
fn baseline_one_run_equals_three_shards_merged_and_a_resumed_run() {
    one_run_equals_merge_and_resume(baseline());
}

#[test]
fn charity_and_quotas_one_run_equals_three_shards_merged_and_a_resumed_run() {
    one_run_equals_merge_and_resume(charity_quota());
}

#[test]
fn missing_duplicated_or_mismatched_shards_are_refused_by_name() {
    let d = TempDir::new().unwrap();
    let dir = d.path();
    let case = baseline();
    for i in 1..=3 {
        run(
            dir,
            &case,
            &["--shard", &format!("{i}/3"), "--out", &format!("s{i}")],
        )
        .assert()
        .success();
    }
    run(
        dir,
        &case,
        &["--shard", "2/3", "--seed", "9", "--out", "seed9"],
    )
    .assert()
    .success();
    run(dir, &case, &["--shard", "2/2", "--out", "of2"])
        .assert()
        .success();
    run(
        dir,
        &case,
        &[
            "--shard",
            "2/3",
            "--set",
            "programs.dibao.take_up.ever_apply=0.6",
            "--out",
            "other",
        ],
    )
    .assert()
    .success();
    let merge = |args: &[&str]| {
        let mut c = safetynet(dir);
        c.arg("merge").args(args).args(["--out", "m", "--quiet"]);
        c
    };
    bad_input(&mut merge(&["s1", "s3"]))
        .stderr(contains("2/3"))
        .stderr(contains("missing"));
    bad_input(&mut merge(&["s1", "s2", "s2", "s3"]))
        .stderr(contains("s2"))
        .stderr(contains("duplicates"));
    bad_input(&mut merge(&["s1", "seed9", "s3"]))
        .stderr(contains("seed9"))
        .stderr(contains("seed 9"));
    bad_input(&mut merge(&["s1", "of2", "s3"]))
        .stderr(contains("of2"))
        .stderr(contains("shard count"));
    bad_input(&mut merge(&["s1", "other", "s3"]))
        .stderr(contains("other"))
        .stderr(contains("scenario hash"));
    bad_input(&mut merge(&["s1", "s2", "nowhere"])).stderr(contains("nowhere"));
    // Another safetynet version.
    let id = std::fs::read_to_string(dir.join("s3/shard.json")).unwrap();
    let v = format!("\"safetynet_version\": \"{}\"", env!("CARGO_PKG_VERSION"));
    assert!(id.contains(&v), "{id}");
    std::fs::write(
        dir.join("s3/shard.json"),
        id.replace(&v, "\"safetynet_version\": \"0.0.1\""),
    )
    .unwrap();
    bad_input(&mut merge(&["s1", "s2", "s3"]))
        .stderr(contains("s3"))
        .stderr(contains("safetynet version 0.0.1"));
    // A shard index past the count (hand-edited): an error naming the file, never a panic.
    let idx = id
        .find("\"index\": 3")
        .expect("s3's shard.json holds its index");
    let mut edited = id.clone();
    edited.replace_range(idx..idx + "\"index\": 3".len(), "\"index\": 5");
    std::fs::write(dir.join("s3/shard.json"), edited).unwrap();
    bad_input(&mut merge(&["s1", "s2", "s3"]))
        .stderr(contains("s3"))
        .stderr(contains("shard 5/3"));
    std::fs::write(dir.join("s3/shard.json"), id).unwrap();
    // A damaged replication file.
    let rep = dir.join("s3/reps/rep-000004.bin");
    let mut bytes = std::fs::read(&rep).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x40;
    std::fs::write(&rep, &bytes).unwrap();
    bad_input(&mut merge(&["s1", "s2", "s3"]))
        .stderr(contains("rep-000004.bin"))
        .stderr(contains("SHA-256"));
    std::fs::remove_file(dir.join("s2/reps/rep-000002.bin")).unwrap();
    bad_input(&mut merge(&["s1", "s2", "s3"]))
        .stderr(contains("s2"))
        .stderr(contains("replication 2 is missing"));
    assert!(!dir.join("m").exists(), "nothing written by a failed merge");
    bad_input(&mut run(dir, &case, &["--shard", "7/6"])).stderr(contains("--shard"));
    bad_input(&mut run(dir, &case, &["--shard", "1/7"])).stderr(contains("replications"));
}

#[test]
fn resume_refuses_checkpoints_of_another_run() {
    let d = TempDir::new().unwrap();
    let dir = d.path();
    run(dir, &baseline(), &["--out", "r"])
        .env("SAFETYNET_FAULT_AFTER", "7")
        .assert()
        .failure();
    bad_input(&mut run(
        dir,
        &baseline(),
        &["--out", "r", "--resume", "--seed", "5"],
    ))
    .stderr(contains("another run"))
    .stderr(contains("seed"));
    // Without --resume, a new run starts over and cleans up.
    run(dir, &baseline(), &["--out", "r", "--seed", "5"])
        .assert()
        .success();
    let mut left: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    left.sort();
    assert_eq!(left, ["r"]);
}

#[test]
fn slurm_scripts_run_as_slurm_would_give_the_same_bytes() {
    let d = TempDir::new().unwrap();
    let dir = d.path();
    let case = baseline();
    run(dir, &case, &["--out", "one"]).assert().success();
    safetynet(dir)
        .arg("slurm")
        .arg(&case.scenario)
        .args(SIZE)
        .args(["--shards", "3", "--work", "w", "--out", "merged"])
        .args([
            "--partition",
            "short",
            "--time",
            "00:10:00",
            "--mem",
            "2G",
            "--cpus",
            "1",
        ])
        .assert()
        .success()
        .stdout(contains("sbatch --parsable"))
        .stdout(contains("--dependency=afterok:"));
    let shards = std::fs::read_to_string(dir.join("w/shards.sbatch")).unwrap();
    for want in [
        "#SBATCH --array=1-3",
        "#SBATCH --partition=short",
        "#SBATCH --time=00:10:00",
        "#SBATCH --mem=2G",
        "#SBATCH --cpus-per-task=1",
        "--shard \"$i/3\"",
    ] {
        assert!(shards.contains(want), "{want} in\n{shards}");
    }
    for i in 1..=3 {
        let st = std::process::Command::new("bash")
            .arg(dir.join("w/shards.sbatch"))
            .current_dir(dir)
            .env("SLURM_ARRAY_TASK_ID", i.to_string())
            .env("SLURM_CPUS_PER_TASK", "1")
            .status()
            .unwrap();
        assert!(st.success(), "array task {i}");
    }
    let st = std::process::Command::new("bash")
        .arg(dir.join("w/merge.sbatch"))
        .current_dir(dir)
        .status()
        .unwrap();
    assert!(st.success(), "merge job");
    assert_same(&dir.join("one"), &dir.join("merged"), "slurm scripts");
    bad_input(
        safetynet(dir)
            .arg("slurm")
            .arg(&case.scenario)
            .args(SIZE)
            .args(["--shards", "7"]),
    )
    .stderr(contains("--shards 7"));
    bad_input(
        safetynet(dir)
            .arg("slurm")
            .arg(&case.scenario)
            .args(SIZE)
            .args(["--shards", "2", "--time", "1:00\n#SBATCH --evil"]),
    )
    .stderr(contains("--time"));
}

/// Shards computed from different microdata files under the same path are refused: the
/// scenario hash covers the path, the shard identity also the files' SHA-256. A shard whose
/// file changed after it was written is refused too (the merge would weight its counters by
/// another file), while shards of one unchanged file merge.
#[test]
fn merge_refuses_shards_of_different_microdata_files() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let data = dir.join("data");
    std::fs::create_dir(&data).unwrap();
    let example = repo_file("synthetic-data/microdata-example");
    for f in ["households.csv", "persons.csv"] {
        std::fs::copy(example.join(f), data.join(f)).unwrap();
    }
    let scenario = std::fs::read_to_string(example.join("scenario.toml"))
        .unwrap()
        .replace(
            "extends = \"../../scenarios/baseline.toml\"",
            &format!(
                "extends = \"{}\"",
                repo_file("scenarios/baseline.toml").display()
            ),
        );
    std::fs::write(data.join("scenario.toml"), scenario).unwrap();
    let shard = |spec: &str, out: &str| {
        safetynet(dir)
            .arg("run")
            .arg(data.join("scenario.toml"))
            .args(["--households", "800", "--reps", "2", "--years", "1", "-q"])
            .args(["--shard", spec, "--out", out])
            .assert()
            .success();
    };
    shard("1/2", "a1");
    shard("2/2", "a2");
    // The same path, another file: one household's income changed.
    let hh = std::fs::read_to_string(data.join("households.csv")).unwrap();
    let changed = hh.replacen(",2785.40,", ",2785.41,", 1);
    assert_ne!(hh, changed);
    std::fs::write(data.join("households.csv"), &changed).unwrap();
    shard("2/2", "b2");
    let merge = |a: &str, b: &str, out: &str| {
        let mut c = safetynet(dir);
        c.args(["merge", a, b, "--quiet", "--out", out]);
        c
    };
    bad_input(&mut merge("a1", "b2", "m1"))
        .stderr(contains("b2"))
        .stderr(contains("microdata SHA-256"));
    // a1 and a2 agree with each other, but the file they were computed from is gone.
    bad_input(&mut merge("a1", "a2", "m2")).stderr(contains("the files changed since"));
    std::fs::write(data.join("households.csv"), &hh).unwrap();
    merge("a1", "a2", "m3").assert().success();
}
