//! Issue 11: every reproducer of the new-user trial is a test (exit 2, a precise message,
//! nothing left behind), and a results folder is written whole: killed at any write (fault
//! injection) or at 20 seeded moments (SIGKILL), a run leaves the previous complete folder
//! or the new complete one, never a mix, and the next run leaves no temporary files.

use assert_cmd::Command;
use predicates::prelude::*;
use predicates::str::contains;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;
use tempfile::TempDir;

mod common;
use common::{bad_input, baseline, repo_file, s, safetynet, write, TINY};

/// Names in `dir`, sorted (hidden ones included).
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.map(|e| e.unwrap().file_name().to_string_lossy().to_string())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Every file of a folder (recursively) with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    fn walk(base: &Path, d: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                let rel = p.strip_prefix(base).unwrap().display().to_string();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    if dir.is_dir() {
        walk(dir, dir, &mut out);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// 1. Structural keys cannot be distributions
// ---------------------------------------------------------------------------------------------

#[test]
fn a_distribution_on_a_structural_key_is_refused_naming_file_and_key() {
    let dir = TempDir::new().unwrap();
    for key in [
        "years",
        "households",
        "seed",
        "replications",
        "chunk_size",
        "burn_in_months",
        "start_year",
    ] {
        let f = write(
            dir.path(),
            "dist.toml",
            &format!("[simulation]\n{key} = {{ dist = \"uniform\", min = 1, max = 3 }}\n"),
        );
        for cmd in ["validate", "run"] {
            let mut c = safetynet(dir.path());
            c.arg(cmd).arg(&f);
            if cmd == "run" {
                c.args(TINY).arg("--quiet");
            }
            bad_input(&mut c)
                .stderr(contains(s(&f)))
                .stderr(contains(format!("simulation.{key}")))
                .stderr(contains("cannot be distributions"));
        }
    }
    // The issue's reproducer: --set on the command line.
    bad_input(
        safetynet(dir.path())
            .arg("run")
            .arg(baseline())
            .args(["--households", "2000", "--reps", "10", "--quiet"])
            .args([
                "--set",
                "simulation.years={ dist = \"uniform\", min = 1, max = 3 }",
            ]),
    )
    .stderr(contains("command line"))
    .stderr(contains("simulation.years"))
    .stderr(contains("cannot be distributions"));
    assert_eq!(names(dir.path()), ["dist.toml"], "nothing written");
}

// ---------------------------------------------------------------------------------------------
// 2. The scenario name is one safe folder name
// ---------------------------------------------------------------------------------------------

#[test]
fn an_unsafe_scenario_name_is_refused_and_nothing_is_written() {
    let dir = TempDir::new().unwrap();
    let cwd = dir.path().join("a/b");
    std::fs::create_dir_all(&cwd).unwrap();
    for name in [
        "../../evil",
        "/tmp/safetynet-evil",
        "",
        "a/b",
        "a\\\\b",
        ".",
        "..",
        ".hidden",
        "bell\\u0007",
        "C:evil",
    ] {
        let f = write(&cwd, "n.toml", &format!("name = \"{name}\"\n"));
        bad_input(safetynet(&cwd).arg("run").arg(&f).args(TINY).arg("--quiet"))
            .stderr(contains(s(&f)))
            .stderr(contains("key `name`"))
            .stderr(contains("one folder name"));
    }
    bad_input(safetynet(&cwd).arg("run").arg(baseline()).args(TINY).args([
        "--quiet",
        "--set",
        "name=../../evil",
    ]))
    .stderr(contains("command line"))
    .stderr(contains("key `name`"));
    assert_eq!(names(&cwd), ["n.toml"]);
    assert_eq!(names(dir.path()), ["a"]);
    assert!(!Path::new("/tmp/safetynet-evil").exists());
}

// ---------------------------------------------------------------------------------------------
// 3./4. Whole folders: a reused folder never mixes runs; foreign folders are never replaced
// ---------------------------------------------------------------------------------------------

#[test]
fn a_reused_folder_keeps_no_stale_file() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    for f in [
        "report.html",
        "deltas.csv",
        "incidence.csv",
        "sweep.csv",
        "summary.csv",
        "manifest.json",
        ".replications.csv.tmp",
    ] {
        write(&out, f, "from an older run");
    }
    safetynet(dir.path())
        .arg("run")
        .arg(baseline())
        .args(TINY)
        .arg("--quiet")
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    assert_eq!(
        names(&out),
        ["manifest.json", "replications.csv", "summary.csv"]
    );
    assert_eq!(names(dir.path()), ["out"], "no temporary folder beside it");
    let m = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    assert!(m.contains("safetynet_version"), "{m}");
}

#[test]
fn a_folder_holding_other_files_is_refused_and_left_untouched() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir_all(out.join("summary.csv")).unwrap();
    write(&out.join("summary.csv"), "mine.txt", "user data");
    bad_input(
        safetynet(dir.path())
            .arg("run")
            .arg(baseline())
            .args(TINY)
            .arg("--quiet")
            .arg("--out")
            .arg(&out),
    )
    .stderr(contains(s(&out)))
    .stderr(contains("`summary.csv`"));
    std::fs::remove_dir_all(out.join("summary.csv")).unwrap();
    write(&out, "thesis.tex", "user data");
    bad_input(
        safetynet(dir.path())
            .arg("run")
            .arg(baseline())
            .args(TINY)
            .arg("--quiet")
            .arg("--out")
            .arg(&out),
    )
    .stderr(contains("thesis.tex"));
    assert_eq!(names(&out), ["thesis.tex"]);
    assert_eq!(names(dir.path()), ["out"]);
    // `--out` naming no folder at all.
    bad_input(
        safetynet(dir.path())
            .arg("run")
            .arg(baseline())
            .args(TINY)
            .args(["--quiet", "--out", ".."]),
    )
    .stderr(contains("name a results folder"));
}

#[test]
fn an_output_under_a_file_fails_before_simulating_and_leaves_nothing() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "file", "x");
    // Full size: were the path checked after the simulation, this would time out.
    bad_input(
        safetynet(dir.path())
            .timeout(Duration::from_secs(30))
            .arg("run")
            .arg(baseline())
            .args(["--quiet", "--households", "2000000", "--out"])
            .arg(dir.path().join("file/sub/out")),
    )
    .stderr(contains("is a file"));
    assert_eq!(names(dir.path()), ["file"]);
}

// ---------------------------------------------------------------------------------------------
// 5./6. Arrays where tables belong; distribution errors name the right file
// ---------------------------------------------------------------------------------------------

#[test]
fn an_array_where_a_table_belongs_is_refused() {
    let dir = TempDir::new().unwrap();
    let f = write(
        dir.path(),
        "arr.toml",
        "[programs.dibao]\ntake_up = [0.5, 0.2]\n",
    );
    bad_input(safetynet(dir.path()).arg("validate").arg(&f))
        .stderr(contains(s(&f)))
        .stderr(contains("programs.dibao.take_up"))
        .stderr(contains("ever_apply"))
        .stderr(contains("not an array"));
    // Of another length than the table's keys too (serde would report a length instead).
    for arr in ["[0.5]", "[0.5, 0.2, 0.1, 0.3, 0.9]"] {
        let f = write(
            dir.path(),
            "arr1.toml",
            &format!("[programs.dibao]\ntake_up = {arr}\n"),
        );
        bad_input(safetynet(dir.path()).arg("validate").arg(&f))
            .stderr(contains("programs.dibao.take_up"))
            .stderr(contains("not an array"));
    }
    let f = write(
        dir.path(),
        "arr2.toml",
        "[programs.dibao.standard]\ngrowth_urban = [0.05]\n",
    );
    bad_input(safetynet(dir.path()).arg("validate").arg(&f))
        .stderr(contains("programs.dibao.standard.growth_urban"))
        .stderr(contains("keyed by year"));
}

#[test]
fn a_bad_distribution_names_the_file_that_set_it() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "base.toml",
        "name = \"b\"\n[programs.dibao.take_up]\never_apply = 0.5\n",
    );
    let child = write(
        dir.path(),
        "child.toml",
        "extends = \"base.toml\"\nname = \"c\"\n[programs.dibao.take_up]\never_apply = { dist = \"uniform\", min = 0.5, max = 1.5 }\n",
    );
    bad_input(safetynet(dir.path()).arg("validate").arg(&child))
        .stderr(contains(format!("error: {}:", s(&child))))
        .stderr(contains("high end of the distribution"));
    // And the other way round: a plain value over a base's distribution.
    write(
        dir.path(),
        "base2.toml",
        "name = \"b\"\n[programs.dibao.take_up]\never_apply = { dist = \"uniform\", min = 0.5, max = 0.6 }\n",
    );
    let child2 = write(
        dir.path(),
        "child2.toml",
        "extends = \"base2.toml\"\nname = \"c\"\n[programs.dibao.take_up]\never_apply = 1.5\n",
    );
    bad_input(safetynet(dir.path()).arg("validate").arg(&child2))
        .stderr(contains(format!("error: {}:", s(&child2))));
}

// ---------------------------------------------------------------------------------------------
// 7. calibrate checks its outputs before the fit and leaves nothing on failure
// ---------------------------------------------------------------------------------------------

/// A fit this large would run for many minutes: failing within the command's timeout proves
/// the paths were checked first.
fn calibrate(dir: &Path) -> Command {
    let mut c = safetynet(dir);
    c.timeout(Duration::from_secs(60))
        .arg("calibrate")
        .arg(baseline())
        .arg("--targets")
        .arg(repo_file("synthetic-data/targets-2023.toml"))
        .args(["--households", "2000000", "--reps", "20", "--quiet"]);
    c
}

#[test]
fn calibrate_refuses_folder_outputs_before_the_fit_and_leaves_nothing() {
    let dir = TempDir::new().unwrap();
    let fitdir = dir.path().join("fitdir");
    std::fs::create_dir(&fitdir).unwrap();
    bad_input(
        calibrate(dir.path())
            .arg("--out")
            .arg(dir.path().join("cal.toml"))
            .arg("--fit")
            .arg(&fitdir),
    )
    .stderr(contains("--fit"))
    .stderr(contains("is a folder"));
    bad_input(calibrate(dir.path()).arg("--out").arg(&fitdir))
        .stderr(contains("--out"))
        .stderr(contains("is a folder"));
    bad_input(
        calibrate(dir.path())
            .arg("--out")
            .arg(dir.path().join("new/cal.toml"))
            .arg("--fit")
            .arg(dir.path().join("new/cal.toml")),
    )
    .stderr(contains("same file"));
    assert_eq!(names(dir.path()), ["fitdir"]);
    assert!(names(&fitdir).is_empty());
}

// ---------------------------------------------------------------------------------------------
// 8. The smaller items
// ---------------------------------------------------------------------------------------------

#[test]
fn a_huge_number_is_printed_in_exponent_form() {
    let dir = TempDir::new().unwrap();
    let f = write(
        dir.path(),
        "huge.toml",
        "[programs.dibao.take_up]\never_apply = 1e308\n",
    );
    bad_input(safetynet(dir.path()).arg("validate").arg(&f))
        .stderr(contains("= 1e308"))
        .stderr(contains("0000000000").not());
}

#[test]
fn extends_naming_a_folder_says_so() {
    let dir = TempDir::new().unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let f = write(dir.path(), "x.toml", "extends = \"sub\"\n");
    bad_input(safetynet(dir.path()).arg("validate").arg(&f))
        .stderr(contains("is a folder"))
        .stderr(contains("does not exist").not());
}

#[test]
fn report_refuses_what_no_run_wrote() {
    let dir = TempDir::new().unwrap();
    let file = write(dir.path(), "file.csv", "x");
    bad_input(safetynet(dir.path()).arg("report").arg(&file))
        .stderr(contains("is a file"))
        .stderr(contains("does not exist").not());
    let d = dir.path().join("fake");
    std::fs::create_dir(&d).unwrap();
    write(&d, "manifest.json", "{}");
    write(
        &d,
        "summary.csv",
        "scenario,year,period,region,metric,unit,mean,sd,p05,p50,p95\n",
    );
    bad_input(safetynet(dir.path()).arg("report").arg(&d))
        .stderr(contains("not a safetynet manifest"));
    write(
        &d,
        "manifest.json",
        r#"{"safetynet_version":"0.1.0","seed":1,"scenarios":[{"name":"x"}]}"#,
    );
    bad_input(safetynet(dir.path()).arg("report").arg(&d)).stderr(contains("no figures"));
    assert!(!d.join("report.html").exists());
}

fn targets_with(value: &str, year: &str) -> String {
    format!(
        "[[target]]\nname = \"dibao_persons\"\nmetric = \"recipients_persons\"\nregion = \"national\"\n\
         year = {year}\nperiod = \"FY\"\nvalue = {value}\nsource = \"test\"\n"
    )
}

#[test]
fn calibration_targets_must_be_positive_and_within_a_horizon() {
    let dir = TempDir::new().unwrap();
    let t = write(dir.path(), "neg.toml", &targets_with("-5.0", "2023"));
    bad_input(
        safetynet(dir.path())
            .arg("calibrate")
            .arg(baseline())
            .arg("--targets")
            .arg(&t)
            .args(["--households", "300", "--reps", "2", "--quiet"]),
    )
    .stderr(contains(s(&t)))
    .stderr(contains("-5"))
    .stderr(contains("> 0"));
    let t = write(dir.path(), "far.toml", &targets_with("39.9", "2090"));
    bad_input(
        safetynet(dir.path())
            .arg("calibrate")
            .arg(baseline())
            .arg("--targets")
            .arg(&t)
            .args(["--households", "300", "--reps", "2", "--quiet"]),
    )
    .stderr(contains(s(&t)))
    .stderr(contains("2090"))
    .stderr(contains("at most 50 years"));
    assert_eq!(names(dir.path()), ["far.toml", "neg.toml"]);
}

#[test]
fn compare_names_the_setting_that_differs() {
    let dir = TempDir::new().unwrap();
    let reform = write(
        dir.path(),
        "reform.toml",
        &format!(
            "extends = \"{}\"\nname = \"other-seed\"\n[simulation]\nseed = 7\n",
            s(&baseline())
        ),
    );
    bad_input(
        safetynet(dir.path())
            .arg("compare")
            .arg(baseline())
            .arg(&reform)
            .args([
                "--households",
                "300",
                "--reps",
                "2",
                "--years",
                "2",
                "--quiet",
            ]),
    )
    .stderr(contains("simulation.seed"))
    .stderr(contains(s(&reform)))
    .stderr(contains("= 7"));
    assert_eq!(names(dir.path()), ["reform.toml"]);
}

#[test]
fn the_microdata_weight_cap_is_stated() {
    let dir = TempDir::new().unwrap();
    let text =
        std::fs::read_to_string(repo_file("synthetic-data/microdata-example/households.csv"))
            .unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let cells: Vec<&str> = lines[1].split(',').collect();
    let mut cells: Vec<String> = cells.iter().map(|c| c.to_string()).collect();
    cells[3] = "1e13".into();
    lines[1] = cells.join(",");
    let f = write(dir.path(), "hh.csv", &(lines.join("\n") + "\n"));
    bad_input(safetynet(dir.path()).args(["population", "import"]).arg(&f))
        .stderr(contains("row 2"))
        .stderr(contains("weight"))
        .stderr(contains("at most 1e12"));
}

// ---------------------------------------------------------------------------------------------
// Kills: fault injection between every two writes, SIGKILL at 20 seeded moments
// ---------------------------------------------------------------------------------------------

const KILL_SIZE: [&str; 6] = ["--households", "4000", "--reps", "3", "--years", "2"];

fn run_into(dir: &Path, seed: &str) -> std::process::Command {
    let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("safetynet"));
    c.current_dir(dir)
        .arg("run")
        .arg(baseline())
        .args(KILL_SIZE)
        .args(["--seed", seed, "--quiet", "--report", "--out", "out"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    c
}

/// The previous folder (seed 1) and the new one (seed 2), written undisturbed elsewhere
/// with the same command line, so manifests compare byte for byte.
fn reference_folders(root: &Path) -> (BTreeMap<String, Vec<u8>>, BTreeMap<String, Vec<u8>>) {
    let mut out = Vec::new();
    for seed in ["1", "2"] {
        let d = root.join(format!("ref{seed}"));
        std::fs::create_dir_all(&d).unwrap();
        assert!(run_into(&d, seed).status().unwrap().success());
        out.push(snapshot(&d.join("out")));
    }
    let new = out.pop().unwrap();
    (out.pop().unwrap(), new)
}

/// After an interrupted run: the folder is the old one or the new one, whole.
fn assert_whole(
    dir: &Path,
    old: &BTreeMap<String, Vec<u8>>,
    new: &BTreeMap<String, Vec<u8>>,
    what: &str,
) {
    let now = snapshot(&dir.join("out"));
    assert!(
        now == *old || now == *new,
        "{what}: the folder is neither the previous nor the new one: {:?}",
        now.keys().collect::<Vec<_>>()
    );
}

/// The next run, uninterrupted, leaves only the new folder: no temporary files.
fn assert_next_run_cleans(dir: &Path, new: &BTreeMap<String, Vec<u8>>, what: &str) {
    assert!(run_into(dir, "2").status().unwrap().success(), "{what}");
    assert_eq!(names(dir), ["out"], "{what}: leftovers beside the folder");
    assert_eq!(snapshot(&dir.join("out")), *new, "{what}");
}

#[test]
fn killed_between_any_two_writes_a_run_leaves_old_or_new_never_a_mix() {
    let root = TempDir::new().unwrap();
    let (old, new) = reference_folders(root.path());
    let mut k = 1;
    loop {
        let d = root.path().join(format!("k{k}"));
        std::fs::create_dir_all(&d).unwrap();
        assert!(run_into(&d, "1").status().unwrap().success());
        let st = run_into(&d, "2")
            .env("SAFETYNET_FAULT_AFTER", k.to_string())
            .status()
            .unwrap();
        assert_whole(&d, &old, &new, &format!("fault after write {k}"));
        assert_next_run_cleans(&d, &new, &format!("fault after write {k}"));
        std::fs::remove_dir_all(&d).unwrap();
        if st.success() {
            // k passed the last write: every point was tried.
            assert!(
                k > 10,
                "a run has more than 10 writes, renames and removals"
            );
            break;
        }
        k += 1;
        assert!(k < 200, "the run never finished");
    }
}

#[test]
fn sigkilled_at_20_seeded_moments_a_run_leaves_old_or_new_never_a_mix() {
    use rand::{Rng, SeedableRng};
    let root = TempDir::new().unwrap();
    let (old, new) = reference_folders(root.path());
    // How long an undisturbed run takes here; kills land anywhere in [0, 1.2 x that].
    let t0 = std::time::Instant::now();
    let d = root.path().join("timing");
    std::fs::create_dir_all(&d).unwrap();
    assert!(run_into(&d, "2").status().unwrap().success());
    let span = t0.elapsed().as_micros() as u64 * 12 / 10;
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(11);
    for i in 0..20 {
        let at = rng.random_range(0..span.max(1));
        let d = root.path().join(format!("kill{i}"));
        std::fs::create_dir_all(&d).unwrap();
        assert!(run_into(&d, "1").status().unwrap().success());
        let mut child = run_into(&d, "2").spawn().unwrap();
        std::thread::sleep(Duration::from_micros(at));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let what = format!("SIGKILL after {at} µs");
        assert_whole(&d, &old, &new, &what);
        assert_next_run_cleans(&d, &new, &what);
        std::fs::remove_dir_all(&d).unwrap();
    }
}

#[test]
fn a_second_run_into_a_folder_being_written_is_refused() {
    let dir = TempDir::new().unwrap();
    // A long run (full baseline size), killed once the check is done.
    let mut first = std::process::Command::new(assert_cmd::cargo::cargo_bin("safetynet"))
        .current_dir(dir.path())
        .arg("run")
        .arg(baseline())
        .args(["--quiet", "--households", "2000000", "--out", "out"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let lock = dir.path().join(".out.safetynet-tmp/.safetynet-lock.tmp");
    let t0 = std::time::Instant::now();
    while !lock.exists() && t0.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let second = safetynet(dir.path())
        .arg("run")
        .arg(baseline())
        .args(TINY)
        .args(["--quiet", "--out", "out"])
        .output()
        .unwrap();
    let _ = first.kill();
    let _ = first.wait();
    assert_eq!(second.status.code(), Some(2));
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(err.contains("another safetynet run"), "{err}");
    // The first run is dead now: its folder is cleaned up by the next run.
    safetynet(dir.path())
        .arg("run")
        .arg(baseline())
        .args(TINY)
        .args(["--quiet", "--out", "out"])
        .assert()
        .success();
    assert_eq!(names(dir.path()), ["out"]);
}

/// A full disk, emulated by a file-size limit (writes past it fail with EFBIG): the run
/// fails with exit 2 naming the file, the previous folder stays whole, nothing else is left.
#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_leaves_the_previous_folder_whole_and_nothing_else() {
    let dir = TempDir::new().unwrap();
    safetynet(dir.path())
        .arg("run")
        .arg(baseline())
        .args(TINY)
        .args(["--quiet", "--out", "out"])
        .assert()
        .success();
    let before = snapshot(&dir.path().join("out"));
    let bin = assert_cmd::cargo::cargo_bin("safetynet");
    let out = std::process::Command::new("bash")
        .current_dir(dir.path())
        .arg("-c")
        // SIGXFSZ ignored (inherited through exec), so a write past 64 KiB fails instead.
        .arg(r#"trap "" XFSZ; ulimit -f 128; exec "$0" "$@""#)
        .arg(&bin)
        .arg("run")
        .arg(baseline())
        .args(["--households", "3000", "--reps", "3", "--years", "3"])
        .args(["--seed", "5", "--quiet", "--out", "out"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("cannot write") && !err.contains("panicked"),
        "{err}"
    );
    assert_eq!(snapshot(&dir.path().join("out")), before);
    assert_eq!(names(dir.path()), ["out"]);
}

#[test]
fn a_users_csv_in_a_folder_a_run_wrote_is_refused_and_kept() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("out");
    let run = || {
        let mut c = safetynet(dir.path());
        c.arg("run")
            .arg(baseline())
            .args(TINY)
            .arg("--quiet")
            .arg("--out")
            .arg(&out);
        c
    };
    run().assert().success();
    // Output-like by its extension, but no safetynet command writes that name.
    write(&out, "my-analysis.csv", "user data");
    bad_input(&mut run()).stderr(contains("my-analysis.csv"));
    assert_eq!(
        std::fs::read_to_string(out.join("my-analysis.csv")).unwrap(),
        "user data"
    );
}

#[test]
fn a_resumed_run_keeps_only_the_checkpoints_of_the_killed_one() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("out");
    let args = |budget: bool| {
        let mut c = safetynet(dir.path());
        c.arg("run")
            .arg(baseline())
            .args(["--households", "2000", "--reps", "3", "--years", "2"])
            .arg("--quiet")
            .arg("--out")
            .arg(&out);
        if budget {
            c.args(["--budget", "cost_government=1,1"]);
        }
        c
    };
    // Kill the run with --budget at every write until one dies after overrun.csv is staged
    // but before the folder is committed.
    let tmp = dir.path().join(".out.safetynet-tmp");
    let mut staged_overrun = false;
    for k in 1..40 {
        let st = args(true)
            .env("SAFETYNET_FAULT_AFTER", k.to_string())
            .output()
            .unwrap();
        if st.status.success() {
            std::fs::remove_dir_all(&out).unwrap();
            break;
        }
        if tmp.join("overrun.csv").is_file() && !out.exists() {
            staged_overrun = true;
            break;
        }
    }
    assert!(
        staged_overrun,
        "some fault point falls after overrun.csv is staged"
    );
    args(false).arg("--resume").assert().success();
    let files = names(&out);
    assert!(
        !files
            .iter()
            .any(|f| f == "overrun.csv" || f == "exceedance.csv"),
        "the resumed run without --budget committed the killed run's files: {files:?}"
    );
}
