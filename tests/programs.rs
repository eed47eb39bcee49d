//! The tiered system: invariants that must hold in every replication (program costs sum to the
//! total; tekun takes its households off dibao; a program switched off removes exactly its own
//! cost when programs do not interact; charity stops at its budget), and each shipped scenario
//! run from the CLI moves the figure it is about in the expected direction.

use assert_cmd::Command;
use proptest::prelude::*;
use safetynet::engine::{self, Model, RunOptions};
use safetynet::metrics::Period;
use safetynet::output::{self, ScenarioResults};
use safetynet::programs::Program;
use safetynet::scenario::{self, parse_override, LoadedScenario};
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn load(file: &str, sets: &[String]) -> LoadedScenario {
    let base = scenario::load(&root().join("scenarios").join(file)).unwrap();
    let sets: Vec<_> = sets.iter().map(|s| parse_override(s).unwrap()).collect();
    base.with_overrides(&sets, "test").unwrap()
}

fn run_all(scenarios: &[LoadedScenario]) -> Vec<ScenarioResults> {
    let models: Vec<Model> = scenarios.iter().map(|l| Model::new(l).unwrap()).collect();
    let counters = engine::run(&models, &RunOptions::default()).unwrap();
    output::collect(&models, &counters)
}

fn small(seed: u64) -> Vec<String> {
    vec![
        "simulation.households=3000".into(),
        "simulation.replications=2".into(),
        "simulation.years=2".into(),
        format!("simulation.seed={seed}"),
    ]
}

const COSTS_OTHER_THAN: fn(&str) -> Vec<&'static str> = |p| {
    Program::ALL
        .iter()
        .map(|x| x.name())
        .filter(|n| *n != p)
        .collect()
};

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    #[test]
    fn program_costs_sum_to_the_total(seed in 0u64..10_000) {
        let r = &run_all(&[load("full-system-2023.toml", &small(seed))])[0];
        for year in [2023, 2024] {
            for period in [Period::FirstHalf, Period::FullYear] {
                for region in ["national", "urban", "rural"] {
                    let total = r.values(year, period, region, "cost_total");
                    let parts: Vec<Vec<f64>> = Program::ALL.iter().map(|p| r.values(year, period, region, &format!("cost_{}", p.name()))).collect();
                    for rep in 0..total.len() {
                        let sum: f64 = parts.iter().map(|v| v[rep]).sum();
                        prop_assert!((sum - total[rep]).abs() <= 1e-9 * total[rep].abs().max(1.0), "{year} {region}: {sum} vs {}", total[rep]);
                    }
                }
            }
        }
    }

    #[test]
    fn switching_a_non_interacting_program_off_removes_exactly_its_own_cost(seed in 0u64..10_000, which in 0usize..3) {
        // Temporary assistance, services and charity feed into no other government program's
        // rule (their payments are not income for the means test), and each draws from its own
        // stream, so with common random numbers every other figure must be identical.
        let (program, key) = [("temporary", "programs.temporary.enabled=false"), ("services", "programs.services.enabled=false"), ("charity", "programs.charity.enabled=false")][which];
        let mut base = small(seed);
        // Services reach few households: at 3,000 a replication may have no service month in
        // a year (seed 9635), so the program's own cost is asserted on a larger sample.
        base.push("simulation.households=10000".into());
        base.push("programs.monitoring.enabled=false".into());
        base.push("programs.services.replaces_cash_share=0.0".into());
        let mut off = base.clone();
        off.push(key.into());
        let r = run_all(&[load("full-system-2023.toml", &base), load("full-system-2023.toml", &off)]);
        let own = format!("cost_{}", program);
        for year in [2023, 2024] {
            prop_assert!(r[0].values(year, Period::FullYear, "national", &own).iter().all(|v| *v > 0.0));
            prop_assert!(r[1].values(year, Period::FullYear, "national", &own).iter().all(|v| *v == 0.0));
            // Charity tops up what government programs leave, so it interacts with temporary
            // assistance (cash) but not with services (in kind, no cash replaced here).
            for other in COSTS_OTHER_THAN(program).into_iter().filter(|o| !(program == "temporary" && *o == "charity")) {
                let metric = format!("cost_{other}");
                prop_assert_eq!(r[0].values(year, Period::FullYear, "national", &metric), r[1].values(year, Period::FullYear, "national", &metric), "{}", metric);
            }
            for metric in ["recipients_persons", "tekun_persons", "marginal_households"] {
                prop_assert_eq!(r[0].values(year, Period::FullYear, "national", metric), r[1].values(year, Period::FullYear, "national", metric));
            }
        }
    }
}

/// Tekun excludes dibao because tekun's step runs first and dibao's step reads the ledger. If
/// dibao ignored tekun (or ran first), the household-months on both would not be 0, and with
/// tekun switched off dibao would gain no recipients: both are checked, on common households.
#[test]
fn tekun_takes_its_households_off_dibao() {
    // Tekun households are rare: at 3,000 households a replication may hold none that dibao
    // would take in a year, so the sample is larger here.
    let mut base = small(11);
    base.push("simulation.households=20000".into());
    let mut off = base.clone();
    off.push("programs.tekun.enabled=false".into());
    let r = run_all(&[load("baseline.toml", &base), load("baseline.toml", &off)]);
    for year in [2023, 2024] {
        let y = |k: usize, metric: &str| r[k].values(year, Period::FullYear, "national", metric);
        let (tekun, overlap) = (y(0, "tekun_persons"), y(0, "overlap_dibao_tekun"));
        let (with, without) = (y(0, "recipients_persons"), y(1, "recipients_persons"));
        // Every replication is checked: an unknown metric or region gives empty lists.
        assert!(
            !tekun.is_empty()
                && [&overlap, &with, &without]
                    .iter()
                    .all(|v| v.len() == tekun.len()),
            "{year}: every metric has a value per replication"
        );
        for rep in 0..tekun.len() {
            assert!(tekun[rep] > 0.0, "{year}: no tekun persons to test with");
            assert_eq!(
                overlap[rep], 0.0,
                "{year}: household-months on dibao and tekun"
            );
            assert!(
                without[rep] > with[rep],
                "{year}: dibao persons without tekun {} not above {} with it",
                without[rep],
                with[rep]
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]
    #[test]
    fn charity_counters_are_the_same_on_the_plain_and_the_incidence_path(seed in 0u64..10_000, priority in 0usize..3, budget in 0.0f64..2e10, quota in any::<bool>()) {
        // Charity is settled after the reduction (one pass). The engine's plain path (taken
        // when incidence tables pair households across scenarios) and its usual path must
        // leave the same counters, and a budget pays something. A scenario without charity
        // runs alongside, and quotas (a pass of their own) may be on.
        let mut sets = small(seed);
        sets.push(format!("programs.charity.priority={}", ["marginal_first", "poor_first", "pro_rata"][priority]));
        sets.push(format!("programs.charity.budget={{ 2023 = {budget}, 2024 = {} }}", budget / 4.0));
        if quota {
            sets.push("programs.quota.enabled=true".into());
            sets.push("programs.quota.share=0.02".into());
        }
        let with = Model::new(&load("full-system-2023.toml", &sets)).unwrap();
        sets.push("programs.charity.enabled=false".into());
        let without = Model::new(&load("full-system-2023.toml", &sets)).unwrap();
        let models = [with, without];
        let opts = RunOptions::default();
        let split = engine::run(&models, &opts).unwrap();
        let plain = engine::run_with(&models, &opts, true).unwrap();
        for k in 0..2 {
            for (a, b) in split.per_scenario[k].iter().zip(&plain.per_scenario[k]) {
                prop_assert!(a.data == b.data, "scenario {k}: counters differ between the split and the plain passes");
            }
        }
        let paid: i64 = split.per_scenario[0].iter().flat_map(|c| &c.data).map(|s| s[safetynet::metrics::c::COST_CHARITY_FEN]).sum();
        prop_assert!(budget < 1e8 || paid > 0, "charity paid nothing from a {budget} yuan budget");
    }
}

#[test]
fn charity_stops_at_its_budget() {
    // Demand far above a 1 bn budget: the payer spends its budget, to the rounding of fen.
    let mut sets = small(3);
    sets.push("programs.charity.budget={ 2023 = 1e9 }".into());
    let r = &run_all(&[load("charity-linkage.toml", &sets)])[0];
    for rep in r.values(2023, Period::FullYear, "national", "cost_charity") {
        assert!(
            (rep - 1.0).abs() < 1e-4,
            "charity spent {rep} bn of a 1 bn budget"
        );
    }
}

#[test]
fn full_system_is_identical_on_one_and_two_threads() {
    let l = load("full-system-2023.toml", &small(11));
    let m = Model::new(&l).unwrap();
    let a = engine::run(
        std::slice::from_ref(&m),
        &RunOptions {
            threads: 1,
            progress: None,
        },
    )
    .unwrap();
    let b = engine::run(
        std::slice::from_ref(&m),
        &RunOptions {
            threads: 2,
            progress: None,
        },
    )
    .unwrap();
    assert_eq!(a, b);
}

/// Run a shipped scenario from the CLI as a user would, return (metric, FY national 2023 mean).
fn cli_figure(file: &str, metric: &str, dir: &Path) -> f64 {
    let out = dir.join(file.trim_end_matches(".toml"));
    Command::cargo_bin("safetynet")
        .unwrap()
        .args([
            "run",
            &root().join("scenarios").join(file).display().to_string(),
            "--households",
            "6000",
            "--reps",
            "3",
            "--years",
            "1",
            "--quiet",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let text = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    text.lines()
        .map(|l| l.split(',').collect::<Vec<_>>())
        .find(|f| f[1] == "2023" && f[2] == "FY" && f[3] == "national" && f[4] == metric)
        .map(|f| f[6].parse().unwrap())
        .unwrap_or(0.0)
}

#[test]
fn each_shipped_scenario_moves_its_figure_the_expected_way() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let base = |m: &str| cli_figure("baseline.toml", m, d);
    // (scenario, metric, +1 expected to rise / -1 expected to fall)
    let cases: [(&str, &str, f64); 8] = [
        // The baseline has single-person inclusion since 2021; this scenario is without it.
        (
            "single-person-inclusion.toml",
            "cost_dibao_single_person",
            -1.0,
        ),
        ("single-person-inclusion.toml", "recipients_persons", -1.0),
        ("residence-based-application.toml", "coverage_poor", 1.0),
        // Against the baseline's weaker monitoring (from 2023, no reach): reaching those who
        // would never apply brings more recipients.
        ("early-warning.toml", "recipients_persons", 1.0),
        ("early-warning.toml", "coverage_poor", 1.0),
        (
            "rigid-expenditure-deduction.toml",
            "recipients_persons",
            1.0,
        ),
        ("charity-linkage.toml", "fgt1_post", -1.0),
        ("full-system-2023.toml", "cost_total", 1.0),
    ];
    for (file, metric, sign) in cases {
        let b = base(metric);
        let r = cli_figure(file, metric, d);
        assert!(
            (r - b) * sign > 0.0,
            "{file}: {metric} {b} -> {r}, expected to {}",
            if sign > 0.0 { "rise" } else { "fall" }
        );
    }
}

#[test]
fn quota_caps_recipients_and_admits_the_neediest_first() {
    // Cap at 1 % of households: far below the uncapped caseload, so the cap binds everywhere.
    let mut base = small(5);
    // The quota counts dibao's own awards: members covered alone under single-person inclusion
    // are added after it, and monitoring's warned applications move the second pass away from
    // the first pass's cut-off, so both are off here (the baseline has them since 2021 and 2023).
    base.push("programs.marginal.single_person_inclusion=false".into());
    base.push("programs.monitoring.enabled=false".into());
    // The cap is on households; `recipients_households` counts assistance units, so every
    // household is one unit here.
    for k in ["elderly_apart_urban", "elderly_apart_rural", "severe_apart"] {
        base.push(format!("programs.dibao.units.{k}=0"));
    }
    let mut capped = base.clone();
    capped.push("programs.quota.enabled=true".into());
    capped.push("programs.quota.share=0.01".into());
    let r = run_all(&[load("baseline.toml", &base), load("baseline.toml", &capped)]);
    let model = Model::new(&load("baseline.toml", &capped)).unwrap();
    let cap_households: f64 = model
        .pop
        .strata
        .strata
        .iter()
        .map(|s| 0.01 * s.households)
        .sum::<f64>()
        / 1e6;
    for year in [2023, 2024] {
        let free = r[0].values(year, Period::FullYear, "national", "recipients_households");
        let held = r[1].values(year, Period::FullYear, "national", "recipients_households");
        for (f, h) in free.iter().zip(&held) {
            assert!(*h < *f, "{year}: the cap must bind: {h} vs uncapped {f}");
            // The cut-off is set on the first pass's distribution of need; the second pass's own
            // dynamics can move the count a little, never far above the cap.
            assert!(
                *h <= 1.05 * cap_households,
                "{year}: {h} million households over the cap {cap_households}"
            );
        }
        let b0 = r[0].values(year, Period::FullYear, "national", "benefit_per_recipient");
        let b1 = r[1].values(year, Period::FullYear, "national", "benefit_per_recipient");
        for (a, b) in b0.iter().zip(&b1) {
            assert!(
                b > a,
                "{year}: the neediest first should raise the benefit per recipient: {b} vs {a}"
            );
        }
    }
}

#[test]
fn a_quota_held_from_the_first_year_follows_its_growth_not_the_standard() {
    // The same exclusions as above: the quota counts dibao's own awards, one unit a household.
    let mut base = vec![
        "simulation.households=40000".to_string(),
        "simulation.replications=4".into(),
        "simulation.years=4".into(),
        "programs.marginal.single_person_inclusion=false".into(),
        "programs.monitoring.enabled=false".into(),
    ];
    for k in ["elderly_apart_urban", "elderly_apart_rural", "severe_apart"] {
        base.push(format!("programs.dibao.units.{k}=0"));
    }
    // Standards growing 5 % a year, or 5 % more in 2025 alone (so the first year, on which the
    // cap is set, is the same in both).
    let standard = |g2025: f64| {
        ["urban", "rural"].map(|r| {
            format!(
                "programs.dibao.standard.growth_{r}={{ 2023 = 0.05, 2025 = {g2025}, 2026 = 0.05 }}"
            )
        })
    };
    let quota = [
        "programs.quota.enabled=true",
        "programs.quota.basis=\"start_year\"",
        "programs.quota.share=0.6",
        "programs.quota.growth={ 2023 = 0.0, 2024 = -0.2, 2025 = 0.0 }",
    ];
    let with = |q: bool, g: f64| {
        let mut v = base.clone();
        v.extend(standard(g));
        if q {
            v.extend(quota.iter().map(|s| s.to_string()));
        }
        load("baseline.toml", &v)
    };
    let r = run_all(&[
        with(false, 0.05),
        with(false, 0.1025),
        with(true, 0.05),
        with(true, 0.1025),
    ]);
    let hh = |i: usize, year: i32| {
        r[i].values(year, Period::FullYear, "national", "recipients_households")
    };
    // The cap: 0.6 of the first year's uncapped households, 0.8 of that from 2024 (a number of
    // households: the population's weights do not move it). Recipients enrolled above the year's
    // cut-off leave only at their review, so the count reaches a lower cap within about two
    // years: in 2024 it lies between the cap and 2023's count. Where it holds, the refined
    // cut-off (a pass at the first cut-offs, then cut-offs aimed at cap x cap / count) keeps the
    // mean over replications within 3 % of the cap (about 1 % at this sample; without the
    // refinement it ran 5 % over: households below the cut-off keep the benefit to their review
    // and through the gradual exit, which the first, uncapped pass has not).
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let free0 = mean(&hh(0, 2023));
    let held = |year| mean(&hh(2, year));
    eprintln!(
        "held {:.3} {:.3} {:.3} against the caps {:.3} {:.3}",
        held(2023),
        held(2024),
        held(2026),
        0.6 * free0,
        0.48 * free0
    );
    let over = |year, cap: f64| held(year) / (cap * free0) - 1.0;
    assert!(over(2023, 0.6).abs() < 0.03, "2023: {}", over(2023, 0.6));
    assert!(held(2024) < held(2023) && held(2024) > 0.48 * free0);
    assert!(over(2026, 0.48).abs() < 0.03, "2026: {}", over(2026, 0.48));
    // The response of 2026's caseload to the 5 % higher standard, paired by replication.
    let resp = |a: usize, b: usize| -> (f64, f64) {
        let d: Vec<f64> = hh(a, 2026)
            .iter()
            .zip(&hh(b, 2026))
            .map(|(x, y)| (y / x).ln() / 1.05f64.ln())
            .collect();
        let n = d.len() as f64;
        let m = d.iter().sum::<f64>() / n;
        let se = (d.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0) / n).sqrt();
        (m, se)
    };
    let (free, free_se) = resp(0, 1);
    let (held, held_se) = resp(2, 3);
    eprintln!("response uncapped {free:.3} (se {free_se:.3}), held {held:.3} (se {held_se:.3})");
    // Uncapped, the caseload follows the standard (the threshold on income); held, it does not,
    // beyond the approximation of the cut-off (one bin of need is 2.5 % of the standard).
    assert!(
        free > 0.5 && free > 3.0 * free_se,
        "uncapped response {free} (se {free_se})"
    );
    assert!(
        held.abs() + 3.0 * held_se < 0.5 * free,
        "held response {held} (se {held_se}) against uncapped {free}"
    );
}

/// The season of temporary assistance (`programs.temporary.q4_multiple`): paired runs of the
/// baseline with no season and with October–December at twice the chance to apply. The first
/// half-year is the same bytes (the same draws, no decision moved); the second half's cases
/// rise by (3 + 3 × 2) / 6 = 1.5 times when July–September and October–December have the same
/// pace of shocks (disasters off), asserted within 4 standard errors of the mean ratio over
/// replications.
#[test]
fn temporary_assistance_has_its_season() {
    let run = |q4: &str| {
        let mut sets = vec![
            "simulation.households=120000".to_string(),
            "simulation.replications=8".to_string(),
            "simulation.years=1".to_string(),
            // Disasters hit whole strata in a month, so their timing moves a replication's
            // quarters together; without them the shocks' pace is the same in every month.
            "dynamics.shocks.disaster.monthly_prob=0.0".to_string(),
        ];
        sets.push(format!("programs.temporary.q4_multiple={q4}"));
        run_all(&[load("baseline.toml", &sets)]).remove(0)
    };
    let (a, b) = (run("1.0"), run("2.0"));
    let cases = |r: &ScenarioResults, p| r.values(2023, p, "national", "temporary_cases");
    assert_eq!(cases(&a, Period::FirstHalf), cases(&b, Period::FirstHalf));
    let h2 = |r: &ScenarioResults| -> Vec<f64> {
        let (fy, h1) = (cases(r, Period::FullYear), cases(r, Period::FirstHalf));
        fy.iter().zip(&h1).map(|(f, h)| f - h).collect()
    };
    let ratios: Vec<f64> = h2(&b).iter().zip(h2(&a)).map(|(x, y)| x / y).collect();
    let n = ratios.len() as f64;
    let mean = ratios.iter().sum::<f64>() / n;
    let se = (ratios.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (n - 1.0) / n).sqrt();
    // 4 se must keep apart the wrong quarters: months 9-12 (1.667) or 11-12 (1.333) doubled.
    assert!(se < 0.03, "se {se:.3} too large for the check");
    assert!(
        (mean - 1.5).abs() < 4.0 * se,
        "second-half cases with the season / without: {mean:.3} (se {se:.3}), expected 1.5"
    );
}
