//! Output digests of every shipped scenario at a fixed small size and seed.
//!
//! A pure restructuring must change no output byte: this test runs each shipped scenario
//! (`scenarios/*.toml` except `defaults.toml`, plus the microdata example) through the CLI and
//! compares the SHA-256 of `summary.csv` and `replications.csv` with `tests/digests.txt`.
//! A deliberate change of behaviour or of random draws updates that file in a commit of its
//! own that says what changed and why:
//!
//! ```sh
//! SAFETYNET_BLESS_DIGESTS=1 cargo test --test digests
//! ```

use assert_cmd::Command;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Small enough to run every scenario in seconds, large enough that every program pays
/// somebody in every year (so a changed rule shows in the bytes).
const SIZE: [&str; 8] = [
    "--households",
    "3000",
    "--reps",
    "2",
    "--years",
    "3",
    "--seed",
    "424242",
];

const FILES: [&str; 2] = ["summary.csv", "replications.csv"];

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Shipped scenarios, by path relative to the repository, in a stable order.
fn shipped() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(repo().join("scenarios"))
        .expect("scenarios/ is readable")
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            (name.ends_with(".toml") && name != "defaults.toml")
                .then(|| format!("scenarios/{name}"))
        })
        .collect();
    v.push("synthetic-data/microdata-example/scenario.toml".to_string());
    v.sort();
    v
}

fn sha256_hex(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `scenario file -> digest` for one shipped scenario.
fn digests_of(rel: &str, dir: &Path) -> Vec<(String, String)> {
    let out = dir.join(rel.replace('/', "_"));
    Command::cargo_bin("safetynet")
        .expect("binary `safetynet` is built")
        .current_dir(dir)
        .timeout(Duration::from_secs(300))
        .arg("run")
        .arg(repo().join(rel))
        .args(SIZE)
        .args(["--threads", "2", "--quiet", "--out"])
        .arg(&out)
        .assert()
        .success();
    FILES
        .iter()
        .map(|f| (format!("{rel} {f}"), sha256_hex(&out.join(f))))
        .collect()
}

#[test]
fn shipped_scenarios_give_the_pinned_output_bytes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut got = BTreeMap::new();
    for rel in shipped() {
        got.extend(digests_of(&rel, dir.path()));
    }
    let pinned_path = repo().join("tests/digests.txt");
    if std::env::var_os("SAFETYNET_BLESS_DIGESTS").is_some() {
        let text: String = got.iter().map(|(k, v)| format!("{k} {v}\n")).collect();
        std::fs::write(&pinned_path, text).expect("write tests/digests.txt");
        return;
    }
    let pinned: BTreeMap<String, String> = std::fs::read_to_string(&pinned_path)
        .expect("tests/digests.txt exists (bless it with SAFETYNET_BLESS_DIGESTS=1)")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let (k, v) = l
                .rsplit_once(' ')
                .expect("`<scenario> <file> <sha256>` lines");
            (k.to_string(), v.to_string())
        })
        .collect();
    let mut diffs = Vec::new();
    for (k, v) in &got {
        match pinned.get(k) {
            Some(p) if p == v => {}
            Some(_) => diffs.push(format!("changed: {k}")),
            None => diffs.push(format!("not pinned: {k}")),
        }
    }
    for k in pinned.keys().filter(|k| !got.contains_key(*k)) {
        diffs.push(format!("pinned but not produced: {k}"));
    }
    assert!(
        diffs.is_empty(),
        "output bytes differ from tests/digests.txt; if the change is deliberate, bless it in \
         a commit of its own that says why:\n  {}",
        diffs.join("\n  ")
    );
}
