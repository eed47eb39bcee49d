//! Calibration: recovery of known parameters, bad targets files, and the calibrated scenario
//! file. Small samples (a few thousand households, 2 replications, 1 year) keep each test to
//! seconds.

use assert_cmd::Command;
use predicates::prelude::*;
use predicates::str::contains;
use safetynet::calibrate::{self, FreeParam, Options, Target, TargetSet};
use safetynet::metrics::Period;
use safetynet::scenario::{self, LoadedScenario};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tempfile::TempDir;
use toml::Value;

const EVER: &str = "programs.dibao.take_up.ever_apply";
const MONTHLY: &str = "programs.dibao.take_up.monthly_apply_prob";

fn repo_file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// The baseline at test size (one year, its own seed), dibao only (the other programs are
/// switched off: they would only slow every evaluation), with extra overrides.
fn small_baseline(households: i64, reps: i64, extra: &[(&str, Value)]) -> LoadedScenario {
    let base = scenario::load(&repo_file("scenarios/baseline.toml")).expect("baseline loads");
    let mut sets: Vec<(String, Value)> = vec![
        ("simulation.households".into(), Value::Integer(households)),
        ("simulation.replications".into(), Value::Integer(reps)),
        ("simulation.years".into(), Value::Integer(1)),
    ];
    for program in ["tekun", "marginal", "rigid", "temporary"] {
        sets.push((format!("programs.{program}.enabled"), Value::Boolean(false)));
    }
    sets.extend(extra.iter().map(|(k, v)| (k.to_string(), v.clone())));
    base.with_overrides(&sets, "test").expect("overrides apply")
}

/// Targets taken from a simulation of `truth`: every figure listed, as its mean over
/// replications.
fn targets_from(truth: &LoadedScenario, figures: &[(&str, &str)]) -> TargetSet {
    let results = calibrate::simulate(truth, 0).expect("truth simulates");
    let year = truth.scenario().simulation.start_year;
    let targets = figures
        .iter()
        .map(|(metric, region)| {
            let mean = results
                .stats(year, Period::FullYear, region, metric)
                .expect("figure defined")
                .mean;
            Target::new(
                &format!("{metric}_{region}"),
                metric,
                region,
                year,
                Period::FullYear,
                mean,
                "simulated truth",
            )
        })
        .collect();
    TargetSet::new("<simulated truth>", targets).expect("targets check")
}

/// (a) Simulate with ever_apply = 0.45 and monthly_apply_prob = 0.35 (10,000 households x 4
/// replications x 1 year), take five national outputs as targets, calibrate from (0.7, 0.15),
/// and recover both.
///
/// Tolerance. Every evaluation uses the truth's seed, so the households and shocks are the
/// same (common random numbers) and the objective is exactly 0 at the truth: there is no
/// sampling error to allow for, and the tolerance is about the optimiser alone. Two things
/// limit it. (i) The zero set has a width: outputs are step functions of the parameters (a
/// household flips when ever_apply crosses its take-up draw, or monthly_apply_prob one of
/// its monthly draws), so the objective is 0 on a small box around the truth whose sides are
/// the gaps between neighbouring draws of the households that matter, about 1e-3 here. When
/// the run reaches objective 0 (it then stops: `target_objective`) the error is below that.
/// (ii) Steps also make small local minima, and monthly_apply_prob is identified only
/// through the flows (the stocks fix ever_apply x a rising function of it), so a run can
/// stop on a flat patch along that ridge where the objective is tiny but not 0; restarts of
/// the simplex mostly get past them. Measured at this size over seeds 1–10: six runs
/// reached objective 0 (errors < 1e-3); the other four stopped at objectives from 1e-7 to
/// 1.2e-5, with errors up to 0.003 on ever_apply and 0.024 on monthly_apply_prob. Hence:
/// 0.01 on ever_apply, 0.03 on monthly_apply_prob, an objective below 3e-5 (relative errors
/// of at most about 0.5 %). With this test's seed and the baseline's assistance units it stops at
/// 1.1e-5 with both keys within their tolerances (it reached 0 before them). Results are
/// bit-identical on any machine and thread count, so the test is not flaky.
#[test]
fn recovers_known_take_up_parameters() {
    // At the old 24-month burn-in: the caseload is still filling in the start year, and how
    // fast it fills is what separates monthly_apply_prob from ever_apply here. From the
    // steady state (the default 48 months) one year of national flows barely does: measured,
    // the run stops at objective 7.8e-7 with monthly_apply_prob 0.415 against 0.35. This test
    // is about the optimiser recovering a known truth, so it keeps the identified setting.
    let truth = small_baseline(
        10_000,
        4,
        &[
            (EVER, Value::Float(0.45)),
            (MONTHLY, Value::Float(0.35)),
            ("simulation.burn_in_months", Value::Integer(24)),
        ],
    );
    // Stocks (persons, households, cost) fix how many are reached: ever_apply x a rising
    // function of monthly_apply_prob. Flows separate the two: a faster application catches
    // short spells, so exits (and entries) per recipient rise with monthly_apply_prob at a
    // given stock. National figures: the largest cells, the finest steps. (Re-entries within
    // 12 months would separate them more, but are too few in a small sample: their steps
    // make local minima.)
    let targets = targets_from(
        &truth,
        &[
            ("recipients_persons", "national"),
            ("recipients_households", "national"),
            ("cost_dibao", "national"),
            ("assist_entries", "national"),
            ("assist_exits", "national"),
        ],
    );
    let start = truth
        .with_overrides(
            &[
                (EVER.into(), Value::Float(0.7)),
                (MONTHLY.into(), Value::Float(0.15)),
            ],
            "test start",
        )
        .unwrap();
    let free = vec![
        FreeParam::new(EVER, 0.1, 1.0).unwrap(),
        FreeParam::new(MONTHLY, 0.02, 1.0).unwrap(),
    ];
    let cal = calibrate::calibrate(
        &start,
        &targets,
        &free,
        Options {
            max_iters: 150,
            ..Options::default()
        },
    )
    .expect("calibration runs");
    eprintln!(
        "recovered {:?} in {} iterations, {} simulations, objective {:e} (start {:e}), stopped: {}",
        cal.fitted,
        cal.iterations,
        cal.evaluations,
        cal.objective,
        cal.start_objective,
        cal.stopped
    );
    assert!(cal.start_objective > 1e-3, "the start is not already a fit");
    assert!(cal.objective < 3e-5, "objective {:e}", cal.objective);
    assert!(
        (cal.fitted[0] - 0.45).abs() < 0.01,
        "ever_apply {}",
        cal.fitted[0]
    );
    assert!(
        (cal.fitted[1] - 0.35).abs() < 0.02,
        "monthly_apply_prob {}",
        cal.fitted[1]
    );
    for r in &cal.fit {
        assert!(
            r.rel_error.abs() < 0.005,
            "{}: {}",
            r.target.name,
            r.rel_error
        );
    }
    // Bounds hold at every iteration.
    for it in &cal.history {
        for (f, x) in free.iter().zip(&it.params) {
            assert!(*x >= f.lo && *x <= f.hi, "{} = {x}", f.key);
        }
    }
}

/// (c) The calibrated file extends its input, sets only the fitted keys, loads with
/// `scenario::load` and reproduces the fitted values exactly.
#[test]
fn calibrated_scenario_file_loads_and_reproduces_the_fit() {
    let input = repo_file("scenarios/baseline.toml");
    let base = small_baseline(2000, 2, &[]);
    let targets = targets_from(
        &small_baseline(2000, 2, &[(EVER, Value::Float(0.5))]),
        &[
            ("recipients_persons", "national"),
            ("cost_dibao", "national"),
        ],
    );
    let free = vec![
        FreeParam::new(EVER, 0.1, 1.0).unwrap(),
        FreeParam::new("population.income.no_worker_log_shift", -2.0, 0.5).unwrap(),
    ];
    let cal = calibrate::calibrate(
        &base,
        &targets,
        &free,
        Options {
            max_iters: 8,
            ..Options::default()
        },
    )
    .unwrap();
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("nested").join("calibrated.toml");
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    let text = calibrate::calibrated_toml(&cal, &input, &out, &targets.file, &targets.skipped, &[])
        .unwrap();
    std::fs::write(&out, &text).unwrap();

    let extends = text
        .lines()
        .find_map(|l| l.strip_prefix("extends = "))
        .expect("an extends line");
    assert!(
        !extends.trim_matches('"').starts_with('/'),
        "relative path: {extends}"
    );
    let loaded = scenario::load(&out).expect("calibrated file loads");
    let dibao = &loaded.scenario().programs.dibao;
    assert_eq!(dibao.take_up.ever_apply, cal.fitted[0]);
    assert_eq!(
        loaded.scenario().population.income.no_worker_log_shift,
        cal.fitted[1]
    );
    // Nothing else changed: the same resolved scenario as the input with the fitted keys set.
    let expected = scenario::load(&input)
        .unwrap()
        .with_overrides(&cal.overrides(), "expected")
        .unwrap();
    assert_eq!(loaded.hash(), expected.hash());
    // Deterministic text: the same calibration writes the same bytes.
    let again =
        calibrate::calibrated_toml(&cal, &input, &out, &targets.file, &targets.skipped, &[])
            .unwrap();
    assert_eq!(text, again);
    // And the fit table re-evaluates to the same figures at the calibration's sizes.
    let rows = calibrate::evaluate(
        &base.with_overrides(&cal.overrides(), "refit").unwrap(),
        &targets,
        0,
    )
    .unwrap();
    assert_eq!(rows, cal.fit);
}

// ---- the command line --------------------------------------------------------------------

fn safetynet(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("safetynet").expect("binary `safetynet` is built");
    cmd.current_dir(dir).timeout(Duration::from_secs(120));
    cmd
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

const GOOD_TARGET: &str = "[[target]]\nname = \"persons\"\nmetric = \"recipients_persons\"\nregion = \"national\"\nyear = 2023\nperiod = \"FY\"\nvalue = 39.952\nsource = \"MCA\"\n";

fn calibrate_cmd(dir: &Path, targets: &Path) -> Command {
    let mut cmd = safetynet(dir);
    cmd.arg("calibrate")
        .arg(repo_file("scenarios/baseline.toml"))
        .arg("--targets")
        .arg(targets)
        .args([
            "--households",
            "300",
            "--reps",
            "2",
            "--max-iters",
            "2",
            "--quiet",
        ])
        .arg("--out")
        .arg(dir.join("out").join("calibrated.toml"));
    cmd
}

/// (b) Bad targets files exit 2 with a message naming the file, the target, the bad value and
/// what is allowed; nothing is simulated or written.
#[test]
fn bad_targets_files_exit_2_with_a_clear_message() {
    let dir = TempDir::new().unwrap();
    let bad_metric = GOOD_TARGET.replace("recipients_persons", "recipients_persns");
    let bad_region = GOOD_TARGET.replace("\"national\"", "\"nationwide\"");
    let no_value = GOOD_TARGET.replace("value = 39.952\n", "");
    let cases: [(&str, String, &[&str]); 4] = [
        (
            "metric.toml",
            format!("{GOOD_TARGET}{bad_metric}"),
            &[
                "target 2 (`persons`)",
                "\"recipients_persns\"",
                "did you mean `recipients_persons`",
                "allowed: cost_dibao, cost_tekun",
            ],
        ),
        (
            "region.toml",
            bad_region,
            &["target 1", "\"nationwide\"", "national, urban, rural"],
        ),
        (
            "value.toml",
            no_value,
            &[
                "target 1 (`persons`)",
                "missing key `value`",
                "allowed: a finite",
            ],
        ),
        (
            "malformed.toml",
            "[[target]\nname = ".into(),
            &["malformed TOML"],
        ),
    ];
    for (name, text, wants) in cases {
        let path = write(dir.path(), name, &text);
        let mut assert = calibrate_cmd(dir.path(), &path)
            .assert()
            .code(2)
            .stdout(predicate::str::is_empty())
            .stderr(contains(format!("error: {}", path.display())))
            .stderr(contains("panicked").not());
        for w in wants {
            assert = assert.stderr(contains(*w));
        }
    }
    assert!(!dir.path().join("out").join("calibrated.toml").exists());
    // A metric this build lacks: an error, or with --skip-missing a note (not silence).
    let waiting = GOOD_TARGET.replace("recipients_persons", "recipients_future_program");
    let path = write(
        dir.path(),
        "waiting.toml",
        &format!(
            "{GOOD_TARGET}{}",
            waiting.replace("\"persons\"", "\"tekun\"")
        ),
    );
    calibrate_cmd(dir.path(), &path)
        .assert()
        .code(2)
        .stderr(contains("--skip-missing"));
    calibrate_cmd(dir.path(), &path)
        .arg("--skip-missing")
        .assert()
        .success()
        .stderr(contains("note:").and(contains("`tekun` set aside")))
        .stdout(contains("set aside").and(contains("recipients_future_program")));
}

/// Bad --free arguments exit 2 too, before any simulation.
#[test]
fn bad_free_parameters_exit_2() {
    let dir = TempDir::new().unwrap();
    let targets = write(dir.path(), "t.toml", GOOD_TARGET);
    for (free, want) in [
        ("programs.dibao.take_up.ever_apply", "expected KEY=LO..HI"),
        ("programs.dibao.take_up.ever_apply=0.9..0.1", "LO < HI"),
        ("programs.dibao.take_up.ever_apply=0.1..1.5", "from 0 to 1"),
        (
            "programs.dibao.take_up.ever_aply=0.1..0.9",
            "did you mean `ever_apply`",
        ),
        ("simulation.seed=1..9", "cannot be calibrated"),
        ("metrics.poverty_line=0..1", "metrics.poverty_line"),
    ] {
        calibrate_cmd(dir.path(), &targets)
            .args(["--free", free])
            .assert()
            .code(2)
            .stderr(contains(want))
            .stderr(contains("panicked").not());
    }
}

/// The path fit matches temporary-assistance flows with the season of the scenario it starts
/// from, so the season cannot be a free key there: exit 2 naming the key, before any run.
#[test]
fn the_season_is_not_free_in_a_path_fit() {
    let dir = TempDir::new().unwrap();
    safetynet(dir.path())
        .arg("calibrate")
        .arg(repo_file("scenarios/backtest-2017.toml"))
        .arg("--history")
        .arg(repo_file("synthetic-data/history.csv"))
        .args(["--fit-until", "2021", "--households", "300", "--reps", "2"])
        .args(["--max-iters", "2", "--quiet"])
        .args(["--free", "programs.temporary.q4_multiple=1..2"])
        .arg("--out")
        .arg(dir.path().join("c.toml"))
        .assert()
        .code(2)
        .stderr(contains("programs.temporary.q4_multiple"))
        .stderr(contains("not allowed with --history"));
    assert!(!dir.path().join("c.toml").exists());
}

/// The whole command at a tiny size: the calibrated file and fit.csv are written, the file
/// validates, and the fit table is printed.
#[test]
fn calibrate_command_writes_scenario_and_fit_table() {
    let dir = TempDir::new().unwrap();
    let targets = write(dir.path(), "t.toml", GOOD_TARGET);
    calibrate_cmd(dir.path(), &targets)
        .args(["--free", "programs.dibao.take_up.ever_apply=0.1..1"])
        .args(["--set", "programs.dibao.assessment.error_sd=0.2"])
        .assert()
        .success()
        .stdout(contains("persons (national)").and(contains("rel. error")));
    let out = dir.path().join("out").join("calibrated.toml");
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        text.contains("extends = ") && text.contains("ever_apply = "),
        "{text}"
    );
    assert!(
        text.contains("error_sd = 0.2"),
        "--set keys are carried: {text}"
    );
    assert!(
        !text.contains("[simulation]"),
        "run sizes are not written: {text}"
    );
    let fit = std::fs::read_to_string(dir.path().join("out").join("fit.csv")).unwrap();
    assert!(fit.starts_with(
        "target,metric,region,year,period,unit,official,simulated_mean,relative_error,p05,p95"
    ));
    assert_eq!(fit.lines().count(), 2);
    safetynet(dir.path())
        .arg("validate")
        .arg(&out)
        .assert()
        .success();
}

/// The shipped targets file parses with every metric present in this build (nothing set
/// aside), and every target has a source.
#[test]
fn shipped_targets_file_is_valid() {
    let set = calibrate::load_targets(&repo_file("synthetic-data/targets-2023.toml"), false)
        .expect("targets-2023.toml is valid");
    assert!(set.skipped.is_empty());
    for metric in [
        "recipients_persons",
        "cost_dibao",
        "tekun_persons",
        "temporary_cases",
    ] {
        assert!(set.targets.iter().any(|t| t.metric == metric), "{metric}");
    }
    for t in &set.targets {
        assert!(!t.source.is_empty(), "{}", t.name);
    }
}

/// The elderly-share target of the deep-recipients fit parses alone, and appended to
/// targets-2023.toml (as the scenario's header says, its `description` line dropped) gives that
/// file's targets and one more.
#[test]
fn the_elderly_target_file_parses_alone_and_appended_to_the_2023_targets() {
    let one = calibrate::load_targets(&repo_file("synthetic-data/target-elderly-2023.toml"), false)
        .expect("target-elderly-2023.toml is valid");
    assert_eq!(one.targets.len(), 1);
    assert_eq!(one.targets[0].metric, "recipients_persons_60plus");
    let base = std::fs::read_to_string(repo_file("synthetic-data/targets-2023.toml")).unwrap();
    let extra: String =
        std::fs::read_to_string(repo_file("synthetic-data/target-elderly-2023.toml"))
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with("description"))
            .map(|l| format!("{l}\n"))
            .collect();
    let both = calibrate::parse_targets(&(base + &extra), "t.toml", false).expect("valid");
    let n2023 = calibrate::load_targets(&repo_file("synthetic-data/targets-2023.toml"), false)
        .unwrap()
        .targets
        .len();
    assert_eq!(both.targets.len(), n2023 + 1);
}

/// Every `--free KEY=LO..HI` in `scripts/calibrate-baseline.sh` names a key whose bounds the
/// scenario it fits accepts, alone at each end: `calibrate` refuses a bound the checker refuses
/// before it simulates anything, so a bound that drifted out of a rule (as temporary
/// `take_up`'s 0.9 did when `q4_multiple` = 1.608 came, which caps it at 1 / 1.608) would
/// stop the script at its first step.
#[test]
fn every_free_bound_of_the_calibration_script_is_accepted_by_its_scenario() {
    let script = std::fs::read_to_string(repo_file("scripts/calibrate-baseline.sh")).unwrap();
    let baseline = scenario::load(&repo_file("scenarios/baseline.toml")).unwrap();
    let mut n = 0;
    for (line_no, line) in script.lines().enumerate() {
        let mut words = line.split_whitespace();
        while let Some(w) = words.next() {
            if w != "--free" {
                continue;
            }
            // The spells fit writes the admin keys as `$a.KEY`; an array may close on the line.
            let spec = words.next().expect("--free has a KEY=LO..HI");
            let spec = spec
                .trim_end_matches(')')
                .replace("$a.", "programs.dibao.admin.");
            let free = FreeParam::parse(&spec).expect("KEY=LO..HI");
            // The path and spells modes free year entries of admin schedules that they
            // first make with --set; the 2023 and 2022 fits (whose values ship) free the rest.
            if free.key.starts_with("programs.dibao.admin.") {
                continue;
            }
            // The check `calibrate` makes before it simulates: the key exists and each bound
            // alone passes the scenario's rules.
            if let Err(e) = calibrate::check_free(&baseline, std::slice::from_ref(&free)) {
                panic!("scripts/calibrate-baseline.sh line {}: {e}", line_no + 1);
            }
            n += 1;
        }
    }
    assert!(n >= 15, "found only {n} free keys in the script");
}
