//! Fuzzing with a fixed budget (proptest, fixed seed, a set number of cases): mutated
//! scenario files, `--set` overrides and mutated microdata files never panic; every error is
//! a user error (exit code 2). A few mutated files also go through the binary.

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, RngSeed};
use safetynet::engine::Model;
use safetynet::scenario::{load_str, parse_override};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

fn config(cases: u32) -> Config {
    Config {
        cases,
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed: RngSeed::Fixed(20261201),
        failure_persistence: None,
        ..Config::default()
    }
}

/// Values a user might type, well-formed or not.
const VALUES: &[&str] = &[
    "0",
    "-1",
    "1.5",
    "1e308",
    "-1e308",
    "nan",
    "inf",
    "-inf",
    "9223372036854775807",
    "-9223372036854775808",
    "\"\"",
    "\"../../x\"",
    "\"uniform\"",
    "true",
    "[]",
    "[0.5, 0.2]",
    "[[1]]",
    "{}",
    "{ 2023 = 1.0 }",
    "{ 1 = 1.0 }",
    "{ x = 1 }",
    "{ dist = \"uniform\", min = 0.1, max = 0.2 }",
    "{ dist = \"normal\", mean = 0, sd = -1 }",
    "{ dist = \"triangular\", min = 1, mode = 0, max = 2 }",
    "{ dist = \"beta\" }",
    "1979-05-27",
    "'",
    "\"\\u0000\"",
];

fn repo_text(rel: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap()
}

/// Load (and build the model of) a scenario text; a panic or an error that is not exit 2
/// fails.
fn check_scenario(text: &str) -> Result<(), TestCaseError> {
    let r = catch_unwind(AssertUnwindSafe(|| {
        load_str(text, "fuzz.toml").and_then(|l| {
            // Keep accepted scenarios cheap to build.
            if l.scenario().simulation.households > 1_000_000 {
                return Ok(());
            }
            Model::new(&l).map(|_| ())
        })
    }));
    match r {
        Err(_) => Err(TestCaseError::fail(format!("panic on:\n{text}"))),
        Ok(Err(e)) if e.exit_code() != 2 => Err(TestCaseError::fail(format!(
            "exit code {} ({e}) on:\n{text}",
            e.exit_code()
        ))),
        Ok(_) => Ok(()),
    }
}

/// A mutation of a scenario text: replace a value, drop or duplicate a line, cut the file,
/// or splice in bytes.
#[derive(Debug, Clone)]
enum Mutation {
    Value(usize, usize),
    Drop(usize),
    Duplicate(usize),
    Truncate(usize),
    Splice(usize, String),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<usize>(), 0..VALUES.len()).prop_map(|(l, v)| Mutation::Value(l, v)),
        1 => any::<usize>().prop_map(Mutation::Drop),
        1 => any::<usize>().prop_map(Mutation::Duplicate),
        1 => any::<usize>().prop_map(Mutation::Truncate),
        1 => (any::<usize>(), "[\\[\\]{}=\".,a-z0-9 \n#\\\\]{0,12}")
            .prop_map(|(at, s)| Mutation::Splice(at, s)),
    ]
}

fn mutate(text: &str, muts: &[Mutation]) -> String {
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    for m in muts {
        if lines.is_empty() {
            break;
        }
        let n = lines.len();
        match m {
            Mutation::Value(l, v) => {
                // The l-th line holding `=`: its value replaced.
                let with_eq: Vec<usize> = (0..n).filter(|&i| lines[i].contains('=')).collect();
                if let Some(&i) = with_eq.get(l % with_eq.len().max(1)) {
                    let key = lines[i].split('=').next().unwrap_or("").to_string();
                    lines[i] = format!("{key}= {}", VALUES[*v]);
                }
            }
            Mutation::Drop(l) => {
                lines.remove(l % n);
            }
            Mutation::Duplicate(l) => {
                let x = lines[l % n].clone();
                lines.insert(l % n, x);
            }
            Mutation::Truncate(l) => lines.truncate(l % n),
            Mutation::Splice(at, s) => {
                let i = at % n;
                let line = &lines[i];
                let cut = (at / n) % (line.len() + 1);
                let cut = (0..=cut)
                    .rev()
                    .find(|&c| line.is_char_boundary(c))
                    .unwrap_or(0);
                lines[i] = format!("{}{s}{}", &line[..cut], &line[cut..]);
            }
        }
    }
    lines.join("\n")
}

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn mutated_scenario_files_give_only_exit_2_errors(
        base in prop::sample::select(vec![
            "scenarios/baseline.toml",
            "scenarios/defaults.toml",
            "scenarios/reference-model.toml",
        ]),
        muts in prop::collection::vec(mutation(), 1..4),
    ) {
        let text = repo_text(base);
        check_scenario(&mutate(&text, &muts))?;
    }
}

/// Keys to aim `--set` at: real ones, near misses and nonsense.
const KEYS: &[&str] = &[
    "name",
    "simulation.years",
    "simulation.households",
    "simulation.seed",
    "programs.dibao.take_up.ever_apply",
    "programs.dibao.take_up",
    "programs.dibao",
    "programs.dibao.standard.growth_urban",
    "programs.charity.budget",
    "programs.quota.share",
    "population.source",
    "population.microdata.households",
    "metrics.poverty_line",
    "metrics.by_province",
    "programs..dibao",
    ".",
    "",
    "programs.dibao.take_up.ever_apply.min",
    "références",
];

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn set_overrides_give_only_exit_2_errors(
        key in prop::sample::select(KEYS),
        value in prop_oneof![
            prop::sample::select(VALUES).prop_map(String::from),
            "[ -~]{0,16}",
        ],
        sep in prop::sample::select(vec!["=", " = ", "==", ""]),
    ) {
        let arg = format!("{key}{sep}{value}");
        let r = catch_unwind(AssertUnwindSafe(|| {
            let base = load_str("", "defaults")?;
            let (k, v) = parse_override(&arg)?;
            let loaded = base.with_overrides(&[(k, v)], "command line")?;
            if loaded.scenario().simulation.households <= 1_000_000 {
                Model::new(&loaded)?;
            }
            Ok::<(), safetynet::Error>(())
        }));
        match r {
            Err(_) => prop_assert!(false, "panic on --set {arg:?}"),
            Ok(Err(e)) => prop_assert_eq!(e.exit_code(), 2, "--set {:?}: {}", arg, e),
            Ok(Ok(())) => {}
        }
    }
}

/// A microdata cell mutation: (row, column, replacement).
fn cell_value() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "",
            "0",
            "-1",
            "1e13",
            "1e12",
            "nan",
            "inf",
            "abc",
            "1,5",
            "\"",
            "999999999999999",
            "Zhejiang",
            "beijing",
            "北京",
            "urban",
            "rural",
            "city",
            "0.5",
            "1",
            "2",
            "200",
        ])
        .prop_map(String::from),
        "[ -~]{0,8}",
    ]
}

proptest! {
    #![proptest_config(config(300))]

    #[test]
    fn mutated_microdata_gives_only_exit_2_errors(
        edits in prop::collection::vec((0usize..40, 0usize..8, cell_value()), 1..4),
        persons_edits in prop::collection::vec((0usize..80, 0usize..4, cell_value()), 0..3),
        drop_header in any::<bool>(),
    ) {
        let dir = tempfile::TempDir::new().unwrap();
        let edit = |text: &str, edits: &[(usize, usize, String)]| -> String {
            let mut rows: Vec<Vec<String>> = text
                .lines()
                .map(|l| l.split(',').map(String::from).collect())
                .collect();
            for (r, c, v) in edits {
                let r = r % rows.len();
                let row = &mut rows[r];
                let c = c % row.len().max(1);
                if let Some(cell) = row.get_mut(c) {
                    *cell = v.clone();
                }
            }
            rows.iter().map(|r| r.join(",")).collect::<Vec<_>>().join("\n") + "\n"
        };
        let mut hh = edit(&repo_text("synthetic-data/microdata-example/households.csv"), &edits);
        if drop_header {
            hh = hh.lines().skip(1).collect::<Vec<_>>().join("\n");
        }
        let pp = edit(&repo_text("synthetic-data/microdata-example/persons.csv"), &persons_edits);
        let hp = dir.path().join("households.csv");
        let pp_path = dir.path().join("persons.csv");
        std::fs::write(&hp, hh).unwrap();
        std::fs::write(&pp_path, pp).unwrap();
        let r = catch_unwind(AssertUnwindSafe(|| {
            let base = load_str("[simulation]\nhouseholds = 500\n", "defaults")?;
            let loaded = base.with_overrides(
                &[
                    ("population.source".into(), "microdata".into()),
                    ("population.microdata.households".into(), hp.display().to_string().into()),
                    ("population.microdata.persons".into(), pp_path.display().to_string().into()),
                ],
                "command line",
            )?;
            Model::new(&loaded).map(|_| ())
        }));
        match r {
            Err(_) => prop_assert!(false, "panic on mutated microdata {edits:?} {persons_edits:?}"),
            Ok(Err(e)) => prop_assert_eq!(e.exit_code(), 2, "{}", e),
            Ok(Ok(())) => {}
        }
    }
}

/// The binary on a handful of mutated files: exit 0 or 2, never a panic.
#[test]
fn the_binary_validates_mutated_files_without_panicking() {
    let dir = tempfile::TempDir::new().unwrap();
    let text = repo_text("scenarios/baseline.toml");
    for (i, v) in VALUES.iter().enumerate() {
        let m = mutate(&text, &[Mutation::Value(i * 7, i)]);
        let f = dir.path().join(format!("m{i}.toml"));
        std::fs::write(&f, m).unwrap();
        let out = assert_cmd::Command::cargo_bin("safetynet")
            .unwrap()
            .arg("validate")
            .arg(&f)
            .output()
            .unwrap();
        let code = out.status.code();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            (code == Some(0) || code == Some(2)) && !err.contains("panicked"),
            "value {v}: exit {code:?}: {err}"
        );
    }
}
