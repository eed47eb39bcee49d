//! `solve` against the closed form of the reference model (`shared/REFERENCE_MODEL.md`,
//! `safetynet::reference`), and its bad-input errors through the binary.
//!
//! Tolerances. Solving on the mean: with R replications of N households, the mean cost has a
//! relative standard error sd/(mean √R) (about 0.5 % at 100,000 × 20), and the
//! root moves by that over the cost's elasticity in the standard; the test asserts that 1 % is
//! over 3 standard errors of the root. Solving at probability 0.95 with take-up uniform on [0.6, 0.8]: the
//! 95th percentile of 100 replications estimates the take-up quantile 0.79 with standard error
//! √(0.95·0.05/100) × 0.2 ≈ 0.0044 (0.55 % of cost), and sampling noise widens the spread
//! slightly; the 2 % tolerance is over 3 standard errors of the root.

use assert_cmd::Command;
use predicates::prelude::*;
use predicates::str::contains;
use safetynet::engine::RunOptions;
use safetynet::metrics::Period;
use safetynet::reference::RefParams;
use safetynet::scenario::{self, parse_override, LoadedScenario};
use safetynet::solve::{self, Cmp, Limit, SolveSpec, Target};
use std::path::{Path, PathBuf};

fn reference(sets: &[&str]) -> LoadedScenario {
    let base = scenario::load(&repo("scenarios/reference-model.toml")).unwrap();
    let sets: Vec<_> = sets.iter().map(|s| parse_override(s).unwrap()).collect();
    base.with_overrides(&sets, "test").unwrap()
}

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// Closed-form expected cost of the first year, bn yuan, for `n` households, with the urban
/// standard at `urban` and take-up `take_up`.
fn closed_form_cost(base: &LoadedScenario, urban: f64, take_up: f64, n: f64) -> f64 {
    let l = base
        .with_overrides(
            &[
                parse_override(&format!("programs.dibao.standard.urban={urban}")).unwrap(),
                parse_override(&format!("programs.dibao.take_up.ever_apply={take_up}")).unwrap(),
            ],
            "test",
        )
        .unwrap();
    RefParams::from_scenario(l.scenario()).expectation()[0].cost * n / 1e9
}

/// The urban standard at which the closed-form cost equals `target` (bisection; the cost
/// rises strictly with the standard).
fn closed_form_root(base: &LoadedScenario, target: f64, take_up: f64, n: f64) -> f64 {
    let (mut a, mut b) = (300.0, 3000.0);
    for _ in 0..80 {
        let m = 0.5 * (a + b);
        if closed_form_cost(base, m, take_up, n) < target {
            a = m;
        } else {
            b = m;
        }
    }
    0.5 * (a + b)
}

#[test]
fn solve_on_the_mean_finds_the_closed_form_standard_within_one_percent() {
    let n = 100_000.0;
    let base = reference(&[
        "simulation.households=100000",
        "simulation.replications=20",
        "simulation.years=1",
    ]);
    // The expected yearly cost at an urban standard of 900 yuan, from the closed form.
    let target = closed_form_cost(&base, 900.0, 0.7, n);
    let root = closed_form_root(&base, target, 0.7, n);
    let spec = SolveSpec {
        key: "programs.dibao.standard.urban".into(),
        range: (500.0, 1500.0),
        limit: Limit::parse(&format!("cost_total:2023:sum <= {target}")).unwrap(),
        target: Target::Mean,
        minimise: None,
        prices: None,
    };
    let sol = solve::solve(&base, &spec, &RunOptions::default()).unwrap();
    // The check is meaningful: the root's standard error (the mean cost's relative standard
    // error over the cost's elasticity in the standard, from the closed form) is under a
    // third of the 1 % tolerance.
    let se = sol.at_answer.sd / (sol.at_answer.n as f64).sqrt();
    let elasticity = (closed_form_cost(&base, root * 1.01, 0.7, n)
        / closed_form_cost(&base, root * 0.99, 0.7, n))
    .ln()
        / (1.01f64 / 0.99).ln();
    let se_root = se / target / elasticity;
    assert!(
        se_root < 0.01 / 3.0,
        "root standard error {se_root} (elasticity {elasticity})"
    );
    let err = (sol.value - root) / root;
    println!(
        "mean: solved {} vs closed form {root} ({:+.3} %)",
        sol.value,
        100.0 * err
    );
    assert!(
        err.abs() < 0.01,
        "solved {} vs closed-form root {root} ({:.3} %)",
        sol.value,
        100.0 * err
    );
    // The interval is the bootstrap's, around the answer, and includes the closed form here.
    assert!(sol.interval.0 <= sol.value && sol.value <= sol.interval.1);
    assert!(sol.feasible_below, "cost rises with the standard");
    assert_eq!(sol.binding_year.0, 2023);
    assert!((sol.statistic_at_answer - target).abs() < 1e-3 * target);
}

#[test]
fn solve_at_probability_095_with_uncertain_take_up_finds_the_root_at_its_95th_percentile() {
    let n = 100_000.0;
    let base = reference(&[
        "simulation.households=100000",
        "simulation.replications=100",
        "simulation.years=1",
        "programs.dibao.take_up.ever_apply={ dist = \"uniform\", min = 0.6, max = 0.8 }",
    ]);
    let target = closed_form_cost(&base, 900.0, 0.7, n);
    // Cost is proportional to take-up: the 95th percentile of cost is the cost at the 95th
    // percentile of take-up, 0.6 + 0.95 × 0.2.
    let root = closed_form_root(&base, target, 0.79, n);
    let root_mean = closed_form_root(&base, target, 0.7, n);
    let spec = SolveSpec {
        key: "programs.dibao.standard.urban".into(),
        range: (500.0, 1500.0),
        limit: Limit::parse(&format!("cost_total:2023:sum <= {target}")).unwrap(),
        target: Target::Probability(0.95),
        minimise: None,
        prices: None,
    };
    let sol = solve::solve(&base, &spec, &RunOptions::default()).unwrap();
    assert_eq!(sol.at_answer.n, 100);
    let err = (sol.value - root) / root;
    println!(
        "p95: solved {} vs closed form {root} ({:+.3} %)",
        sol.value,
        100.0 * err
    );
    assert!(
        err.abs() < 0.02,
        "solved {} vs closed-form root at take-up 0.79 {root} ({:.3} %)",
        sol.value,
        100.0 * err
    );
    // Not vacuous: the root at the mean take-up is further away than the tolerance.
    assert!(
        (root_mean - root).abs() / root > 0.03,
        "{root_mean} vs {root}"
    );
    // Uncertain take-up moves the answer below the expected-cost answer.
    assert!(sol.value < root_mean);
    assert_eq!(spec.limit.cmp, Cmp::AtMost);
}

#[test]
fn the_converse_finds_the_least_standard_that_reaches_a_recipients_target() {
    let base = reference(&[
        "simulation.households=5000",
        "simulation.replications=8",
        "simulation.years=1",
    ]);
    // Recipients rise with the standard; the least cost meeting ">= target" sits at the
    // boundary, and cost there is reported.
    let spec = SolveSpec {
        key: "programs.dibao.standard.rural".into(),
        range: (300.0, 1500.0),
        limit: Limit::parse("recipients_households:2023:mean >= 0.0003").unwrap(),
        target: Target::Probability(0.9),
        minimise: Some(solve::FigureSpec::parse("cost_total:2023:sum", "--minimise").unwrap()),
        prices: None,
    };
    let sol = solve::solve(&base, &spec, &RunOptions::default()).unwrap();
    assert!(!sol.feasible_below && !sol.at_range_end);
    assert!(sol.value > 300.0 && sol.value < 1500.0);
    // At the answer, 90 % of replications reach the target (up to the search tolerance).
    let rec = sol.at_answer;
    assert!(rec.p05 <= 0.0003 * 1.001, "{rec:?}");
    // Read from the run at the answer itself: at least 7 of the 8 replications reach the
    // target (the 10th percentile of 8 lies between the lowest two). Solving on the wrong
    // tail (the 90th percentile) would leave about one replication above it.
    let reached = sol
        .results
        .values(2023, Period::FullYear, "national", "recipients_households")
        .iter()
        .filter(|&&v| v >= 0.0003 * (1.0 - 1e-3))
        .count();
    assert!(reached >= 7, "{reached} of 8 replications reach the target");
    let cost = sol.minimised.unwrap();
    // Cost at the answer lies between the costs at the range ends.
    let ends: Vec<f64> = sol.points[..2]
        .iter()
        .map(|p| p.minimised.as_ref().unwrap().iter().sum::<f64>() / 8.0)
        .collect();
    assert!(
        ends[0] < cost.mean && cost.mean < ends[1],
        "{ends:?} {cost:?}"
    );
    let csv = String::from_utf8(solve::solve_csv(&sol).unwrap()).unwrap();
    assert!(csv
        .lines()
        .last()
        .unwrap()
        .starts_with("answer,programs.dibao.standard.rural,"));
    assert_eq!(csv.lines().count(), 1 + sol.points.len());
}

fn safetynet(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("safetynet").unwrap();
    cmd.current_dir(dir);
    cmd
}

fn bad_input(cmd: &mut Command) -> assert_cmd::assert::Assert {
    cmd.assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(contains("error: "))
        .stderr(contains("panicked").not())
}

const SMALL: [&str; 7] = [
    "--households",
    "2000",
    "--reps",
    "4",
    "--years",
    "1",
    "--quiet",
];

#[test]
fn solve_cli_writes_solve_csv_and_prints_the_answer() {
    let dir = tempfile::tempdir().unwrap();
    safetynet(dir.path())
        .arg("solve")
        .arg(repo("scenarios/reference-model.toml"))
        .args([
            "--key",
            "programs.dibao.standard.urban",
            "--range",
            "500..1500",
        ])
        .args(["--limit", "cost_total:2023:sum <= 0.0007", "--prob", "0.75"])
        .args(SMALL)
        .arg("--out")
        .arg(dir.path().join("out"))
        .assert()
        .success()
        .stdout(contains("answer: programs.dibao.standard.urban = "))
        .stdout(contains("bootstrap over replications"))
        .stdout(contains("binding year: 2023"));
    let csv = std::fs::read_to_string(dir.path().join("out/solve.csv")).unwrap();
    assert!(csv.starts_with("kind,key,value,value_p05,value_p95,figure"));
    assert!(csv.contains("\nanswer,"));
    assert!(dir.path().join("out/summary.csv").exists());
}

#[test]
fn solve_bad_input_exits_2_and_says_which() {
    let dir = tempfile::tempdir().unwrap();
    let run = |key: &str, range: &str, limit: &str| {
        let mut c = safetynet(dir.path());
        c.arg("solve")
            .arg(repo("scenarios/reference-model.toml"))
            .args(["--key", key, "--range", range, "--limit", limit])
            .args(SMALL)
            .arg("--out")
            .arg(dir.path().join("out"));
        c
    };
    // A key that is not numeric.
    bad_input(&mut run(
        "programs.dibao.standard.indexation",
        "0..1",
        "cost_total:2023:sum <= 1",
    ))
    .stderr(contains("programs.dibao.standard.indexation").and(contains("not numeric")));
    // A key that does not exist.
    bad_input(&mut run(
        "programs.dibao.standard.urbn",
        "0..1",
        "cost_total:2023:sum <= 1",
    ))
    .stderr(contains("no such scenario key"));
    // A range whose ends do not bracket the limit.
    bad_input(&mut run(
        "programs.dibao.standard.urban",
        "500..1500",
        "cost_total:2023:sum <= 5",
    ))
    .stderr(contains("does not bracket the limit").and(contains("500")));
    // Years outside the horizon.
    bad_input(&mut run(
        "programs.dibao.standard.urban",
        "500..1500",
        "cost_total:2030:sum <= 0.001",
    ))
    .stderr(contains("outside the simulated years"));
    // A malformed range.
    bad_input(&mut run(
        "programs.dibao.standard.urban",
        "1500..500",
        "cost_total:2023:sum <= 0.001",
    ))
    .stderr(contains("--range"));
}

#[test]
fn a_figure_not_monotone_in_the_key_is_an_error() {
    // Marginal-family persons are those with counted income in the band from the standard to
    // `programs.marginal.income_multiple` x the standard. As the urban standard moves from 200
    // to 10,100 yuan a month the band sweeps through the urban income distribution: at either
    // end it holds almost no urban household (incomes are above 300; few are above 10,100), in
    // the middle (5,150) it holds millions. So the figure rises and falls by structure, not
    // noise: at 2,000 households x 2 replications the middle exceeds both ends by several
    // million persons against a replication sd near 1.5 m (measured 1 December 2026:
    // 5.6 m at both ends, 11.6 m at 5,000).
    let base = scenario::load(&repo("scenarios/baseline.toml"))
        .unwrap()
        .with_overrides(
            &[
                parse_override("simulation.households=2000").unwrap(),
                parse_override("simulation.replications=2").unwrap(),
                parse_override("simulation.years=1").unwrap(),
            ],
            "test",
        )
        .unwrap();
    let at = |x: f64| {
        let l = base
            .with_overrides(
                &[parse_override(&format!("programs.dibao.standard.urban={x}")).unwrap()],
                "test",
            )
            .unwrap();
        let m = safetynet::engine::Model::new(&l).unwrap();
        let c = safetynet::engine::run(std::slice::from_ref(&m), &RunOptions::default()).unwrap();
        let r = safetynet::output::collect(&[m], &c).remove(0);
        r.stats(2023, Period::FullYear, "national", "marginal_persons")
            .unwrap()
            .mean
    };
    let (a, mid, b) = (at(200.0), at(5150.0), at(10100.0));
    // The hump the error must report: the middle above both ends by more than 2 m persons.
    assert!(mid > a.max(b) + 2.0, "ends {a} and {b}, middle {mid}");
    let spec = SolveSpec {
        key: "programs.dibao.standard.urban".into(),
        range: (200.0, 10100.0),
        limit: Limit::parse(&format!("marginal_persons:2023:mean <= {}", 0.5 * (a + b))).unwrap(),
        target: Target::Mean,
        minimise: None,
        prices: None,
    };
    let e = solve::solve(&base, &spec, &RunOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("not monotone"), "{e}");
    assert!(e.contains("programs.dibao.standard.urban"), "{e}");
}

/// A payer figure for a region without payer rows (payer figures exist for the nation and
/// provinces) is refused before the first simulation, naming the regions allowed; it once
/// simulated both ends and then reported an empty denominator.
#[test]
fn solve_on_a_payer_figure_without_payer_rows_is_refused_before_simulating() {
    let dir = tempfile::tempdir().unwrap();
    bad_input(
        safetynet(dir.path())
            .arg("solve")
            .arg(repo("scenarios/baseline.toml"))
            .args(["--key", "programs.dibao.standard.growth_rural"])
            .args(["--range", "0..0.15"])
            .args(["--limit", "cost_central_total@urban:2023:sum <= 100"])
            .args(SMALL)
            .arg("--out")
            .arg(dir.path().join("out")),
    )
    .stderr(contains("cost_central_total@urban").and(contains("allowed: national")))
    .stderr(contains("empty denominator").not());
    bad_input(
        safetynet(dir.path())
            .arg("solve")
            .arg(repo("scenarios/reference-model.toml"))
            .args([
                "--key",
                "programs.dibao.standard.urban",
                "--range",
                "500..1500",
            ])
            .args(["--limit", "cost_local_total:2023:sum <= 0.0007"])
            .args(SMALL)
            .arg("--out")
            .arg(dir.path().join("out")),
    )
    .stderr(contains("no provinces"));
    assert!(!dir.path().join("out").exists());
}
