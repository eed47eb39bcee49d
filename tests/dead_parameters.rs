//! Dead parameters: changing any documented numeric key (`scenarios/README.md` documents every
//! key) changes some output of a small run of `full-system-2023` (every program on), or the
//! key is listed below as inert in that scenario, with the reason. A key that parses but is
//! silently ignored fails here.
//!
//! Keys that only act in another setting (a program off in the scenario, another poverty line)
//! are run in that setting (CONTEXT): the base and the changed run both get it, so the key is
//! still tested, not excused.

use safetynet::engine::{self, Model, RunOptions};
use safetynet::output;
use safetynet::scenario::{self, LoadedScenario};
use std::path::Path;
use toml::Value;

/// Keys that change no output of this scenario by design, and why.
const INERT: &[(&str, &str)] = &[
    (
        "simulation.chunk_size",
        "households per parallel work item: changes no output byte (tested in determinism tests)",
    ),
    (
        "simulation.skip_tolerance",
        "skipping quiet windows changes no draw: outputs change only on a missed window, probability below the tolerance (tests/skip.rs)",
    ),
    (
        "population.households_total",
        "inline populations only; full-system-2023 uses the synthetic population",
    ),
    (
        "population.microdata.min_cell_households",
        "microdata only (disclosure control); tested in tests/microdata.rs",
    ),
];

/// `key=value` settings.
type Settings = &'static [(&'static str, &'static str)];

/// Settings that make a group of keys act: (key prefix, settings, why).
const CONTEXT: &[(&str, Settings, &str)] = &[
    (
        "programs.dibao.admin.",
        &[
            ("programs.dibao.admin.hidden_share_urban", "0.2"),
            ("programs.dibao.admin.hidden_share_rural", "0.2"),
            ("programs.dibao.admin.enrolment_drive", "0.1"),
            ("programs.dibao.admin.match_yearly_prob", "0.5"),
            ("programs.dibao.admin.imputed_earnings_share", "1.0"),
            ("programs.dibao.admin.unverified_share_urban", "0.0"),
            ("programs.dibao.admin.unverified_share_rural", "0.0"),
        ],
        "the admin rules are off in full-system-2023 (hidden income found at a yearly chance; imputed earnings of one standard, so that a small change binds); the baseline's unverified urban and rural households (0 from 2022 and 2018, so none in the run) are off here, since they are refused with hidden-income spells",
    ),
    (
        "programs.one_off.",
        &[
            ("programs.one_off.year", "2024"),
            ("programs.one_off.month", "6"),
        ],
        "the baseline pays it in August 2022, before the small run starts (2023): here in June \
         2024, so that a month later moves it out of the first half",
    ),
    (
        "programs.price_link.",
        &[
            ("programs.price_link.enabled", "true"),
            ("programs.price_link.projected_cpi_yoy_pct", "5.0"),
            ("programs.price_link.projected_food_yoy_pct", "5.0"),
        ],
        "the linkage is off in every shipped scenario; on here, with the indices after the \
         table (2024 on) at 5 %: the CPI's starts it (a threshold 1.5 times higher stops it), \
         food's does not until it rises by half; food's threshold binds on the table's January \
         2023 (6.2 %), which pays in February",
    ),
    (
        "simulation.replay_",
        &[
            ("simulation.start", "\"replayed\""),
            ("simulation.replay_band", "0.1"),
        ],
        "read only with the replayed start (full-system-2023 starts enrolled); the band at 0.1, \
         where it binds (at 0.5 no household beyond it is on after its past)",
    ),
    (
        "programs.quota.",
        &[("programs.quota.enabled", "true")],
        "quotas are off in full-system-2023",
    ),
    (
        "programs.quota.growth",
        &[
            ("programs.quota.basis", "\"start_year\""),
            ("programs.quota.share", "0.7"),
        ],
        "the cap's growth is read only with a cap held from the first year (basis = \"start_year\"), \
         which binds below the uncapped caseload",
    ),
    (
        "programs.residence.",
        &[("programs.residence.based_application", "false")],
        "residence-based application is off, so the registered-place factor acts",
    ),
    (
        "metrics.absolute_line",
        &[("metrics.poverty_line", "\"absolute\"")],
        "the poverty line is the dibao standard in full-system-2023",
    ),
    (
        "metrics.relative_",
        &[("metrics.poverty_line", "\"relative\"")],
        "the poverty line is the dibao standard in full-system-2023",
    ),
    (
        "programs.tekun.institutional_share",
        &[("simulation.households", "20000")],
        "the small run has about 30 tekun households: at the calibrated share none may draw \
         between it and 1.5 times it",
    ),
    (
        "programs.marginal.single_person_from_year",
        &[
            ("programs.marginal.single_person_from_year", "2023"),
            ("simulation.households", "20000"),
        ],
        "dated 2021 in the baseline, before the run's start: a year later is still before it, so \
         the date is set to the start year here; marginal families are recognised on \
         application (about 6.5 m persons), so the small run has too few severely ill or \
         disabled members in them",
    ),
    (
        "programs.tekun.partial_dependency_age",
        &[("simulation.households", "20000")],
        "a year more moves only the tekun persons of exactly that age: with single-year ages \
         (the census shape, in the baseline) those aged 80 are 1.8 % of the 60-90-year-olds, not 3.2 %, too \
         few among the small run's tekun households",
    ),
    (
        "programs.tekun.minors_kept_to_18_from",
        &[("simulation.households", "20000")],
        "it acts only when a supported household's child turns 16 (members age from the second \
         year), too rare among the small run's few tekun households",
    ),
    (
        "programs.tekun.supporter_age_gap",
        &[
            ("programs.tekun.unable_supporter_share_60_urban", "{ 2000 = 0.5 }"),
            ("programs.tekun.unable_supporter_share_60_rural", "{ 2000 = 0.5 }"),
            ("programs.tekun.unable_supporter_share_70_urban", "{ 2000 = 0.5 }"),
            ("programs.tekun.unable_supporter_share_70_rural", "{ 2000 = 0.5 }"),
            ("simulation.households", "20000"),
        ],
        "the gap is read only with a share of supporters counted unable (0 in full-system-2023; \
         set here), and only for the small run's few tekun candidates aged 84 or more",
    ),
    (
        "population.income.low_income_cohort_reference",
        &[("population.income.low_income_cohort_trend", "0.05")],
        "the reference year of birth is read only with a cohort trend (0 in full-system-2023; \
         0.05 here)",
    ),
    (
        "programs.tekun.no_supporter_cohort_reference",
        &[
            ("programs.tekun.no_supporter_cohort_trend", "0.05"),
            ("simulation.households", "20000"),
        ],
        "the reference year of birth is read only with a cohort trend (0.05, the baseline's, \
         measured in docs/history-notes.md \"Retirement income\", set here too); a year moves the \
         share 5 %, which only a larger run's tekun candidates cross",
    ),
    (
        "programs.tekun.unable_supporter_share_60",
        &[
            ("programs.tekun.supporter_age_gap", "24.0"),
            ("simulation.households", "20000"),
        ],
        "the shares are read only with a generation gap (0 in full-system-2023; the baseline's \
         24 set here), for the small run's few tekun candidates aged 84 or more",
    ),
    (
        "programs.tekun.unable_supporter_share_70",
        &[
            ("programs.tekun.supporter_age_gap", "15.0"),
            ("simulation.households", "40000"),
        ],
        "with the baseline's gap (24) no supporter reaches 70 (ages stop at 90): a gap of 15 \
         here, for the run's few tekun candidates aged 85 or more (urban ones are rare: 20,000 \
         households held none that crossed once tekun's cohort trend was on)",
    ),
    (
        "population.demography.",
        &[("population.demography.enabled", "true")],
        "population change (deaths, weights that follow the population) is switched on here",
    ),
    (
        "population.demography.retirement_low_income_multiple",
        &[
            ("population.demography.retirement_income", "true"),
            ("simulation.households", "20000"),
        ],
        "the multiplier is read only when a household retires, with retirement_income (off in \
         full-system-2023; on here)",
    ),
    (
        "population.demography.retirement_supported_low_income_multiple_",
        &[
            ("population.demography.retirement_income", "true"),
            ("simulation.households", "20000"),
        ],
        "the multiplier is read only when a household with a supporter retires, with \
         retirement_income (off in full-system-2023; on here)",
    ),
    (
        "population.demography.rural_growth",
        &[("population.demography.rural_basis", "\"resident\"")],
        "the resident rural series is read only with rural_basis = \"resident\" (set here; the baseline follows the registered one)",
    ),
    (
        "population.demography.rural_registered_growth",
        &[("population.demography.rural_basis", "\"registered\"")],
        "the registered rural series is read only with rural_basis = \"registered\" (set here)",
    ),
    (
        "population.demography.birth_age_",
        &[
            ("population.members.ageing", "true"),
            ("population.demography.birth_rate", "{ 2023 = 0.05 }"),
        ],
        "the parental ages are read only with births on (off in full-system-2023): here 5 % a year per member of those ages",
    ),
    (
        "population.demography.urban_arrival_share",
        &[("population.demography.urban_arrivals", "true")],
        "their share of the urban growth is read only with arrivals on (set here, whatever the baseline says)",
    ),
    (
        "dynamics.shocks.disability_onset.elderly_age",
        &[(
            "dynamics.shocks.disability_onset.yearly_prob_elderly",
            "0.2",
        )],
        "at the default yearly risk, the few onsets at exactly the threshold age in the small \
         run may all fall in households no rule looks at",
    ),
    (
        "dynamics.shocks.disability_onset.yearly_prob_elderly",
        &[("simulation.households", "20000")],
        "with monitoring and single-person inclusion in the baseline, the small run's few extra \
         elderly onsets (0.01 -> 0.015 a year) may all fall in households no rule looks at",
    ),
    (
        "programs.monitoring.catch_window_months",
        &[("programs.monitoring.screen_interval_months", "12")],
        "a warning lasts as long as the screening interval (6 months), and screenings renew it, so \
         a registered household below the alert line stays warned and a newly poor one is \
         caught at once or not at all; with a yearly screening, warnings lapse and the window \
         decides",
    ),
    (
        "dynamics.income.growth",
        &[("metrics.poverty_line", "\"relative\"")],
        "with dynamics.income.by_region (on in the baseline) households follow growth_urban and \
         growth_rural, and the national growth moves only national figures: here the relative \
         poverty line, whose median grows with it",
    ),
    (
        "programs.temporary.months_epidemic",
        &[(
            "programs.temporary.epidemic_yearly_prob",
            "{ 2000 = 0.0, 2022 = 0.0234, 2023 = 0.05 }",
        )],
        "the epidemic rule is dated 2020 and 2022 in the baseline, before the run's start",
    ),
    (
        "dynamics.income.poor_area.",
        &[
            ("dynamics.income.poor_area.share", "0.3"),
            ("dynamics.income.poor_area.growth_gap", "{ 2023 = 0.05 }"),
        ],
        "the poor areas are off in full-system-2023: here 30 % of rural households, whose \
         incomes grow 5 points faster a year",
    ),
    (
        "programs.dibao.standard.convergence_ratio",
        &[("programs.dibao.standard.convergence_year", "2024")],
        "convergence needs a convergence year within the horizon",
    ),
];

/// The small run: big enough that every program pays somebody each year.
const RUN: &[(&str, &str)] = &[
    ("simulation.households", "4000"),
    ("simulation.replications", "1"),
    ("simulation.years", "3"),
    ("simulation.burn_in_months", "12"),
];

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Documented keys: the first cell of every table row of scenarios/README.md that names a
/// dotted key.
fn documented_keys() -> Vec<String> {
    let text = std::fs::read_to_string(repo().join("scenarios/README.md")).unwrap();
    let mut keys = Vec::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("| `") else {
            continue;
        };
        let key = rest.split('`').next().unwrap_or("");
        if key.contains('.') && !key.ends_with(".toml") && !keys.iter().any(|k| k == key) {
            keys.push(key.to_string());
        }
    }
    keys
}

fn lookup<'a>(t: &'a toml::Table, key: &str) -> Option<&'a Value> {
    let mut parts = key.split('.');
    let mut v = t.get(parts.next()?)?;
    for p in parts {
        v = v.as_table()?.get(p)?;
    }
    Some(v)
}

/// Candidate changed values of a numeric value (or a schedule), tried in order until one is
/// valid.
fn changes(v: &Value) -> Vec<Value> {
    match v {
        Value::Integer(i) => vec![
            Value::Integer(i + 1),
            Value::Integer(i - 1),
            Value::Integer(i + 6),
            Value::Integer(i * 2),
            // A year key (0 = off): a year within the run.
            Value::Integer(2024),
        ],
        Value::Float(x) if *x == 0.0 => [0.1, 0.5, 1.0, -0.1, 100.0].map(Value::Float).to_vec(),
        Value::Float(x) => [1.5, 0.5, 1.1, 0.9, 3.0]
            .map(|f| Value::Float(x * f))
            .to_vec(),
        Value::Table(t) => {
            // A schedule: every value changed alike.
            let mut out = Vec::new();
            for f in [1.5, 0.5, 2.0] {
                let mut s = toml::Table::new();
                for (y, x) in t {
                    let x = x
                        .as_float()
                        .or_else(|| x.as_integer().map(|i| i as f64))
                        .unwrap();
                    s.insert(
                        y.clone(),
                        Value::Float(if x == 0.0 { 0.05 * f } else { x * f }),
                    );
                }
                out.push(Value::Table(s));
            }
            out
        }
        _ => Vec::new(),
    }
}

fn is_numeric(v: &Value) -> bool {
    match v {
        Value::Integer(_) | Value::Float(_) => true,
        Value::Table(t) => {
            !t.is_empty()
                && t.iter().all(|(k, x)| {
                    // Year keys (2023) and month keys ("2000-01").
                    !k.starts_with('-')
                        && k.chars().all(|c| c.is_ascii_digit() || c == '-')
                        && (x.is_float() || x.is_integer())
                })
        }
        _ => false,
    }
}

fn sets(pairs: &[(&str, &str)]) -> Vec<(String, Value)> {
    pairs
        .iter()
        .map(|(k, v)| scenario::parse_override(&format!("{k}={v}")).unwrap())
        .collect()
}

fn summary(loaded: &LoadedScenario) -> Vec<u8> {
    let model = Model::new(loaded).unwrap();
    let opts = RunOptions {
        threads: 2,
        ..Default::default()
    };
    let counters = engine::run(std::slice::from_ref(&model), &opts).unwrap();
    let models = [model];
    // As `safetynet run` writes it: payer rows included.
    safetynet::payers::run_summary_csv(&models, &counters, &output::collect(&models, &counters))
        .unwrap()
        .0
}

#[test]
fn every_documented_numeric_key_changes_some_output_or_is_listed_inert() {
    let base = scenario::load(&repo().join("scenarios/full-system-2023.toml")).unwrap();
    let base = base.with_overrides(&sets(RUN), "test run size").unwrap();
    let mut cache: Vec<(String, Vec<u8>)> = Vec::new();
    let mut dead = Vec::new();
    let mut tested = 0;
    for key in documented_keys() {
        let Some(value) = lookup(base.table(), &key).cloned() else {
            dead.push(format!("`{key}`: documented but not a key of the scenario"));
            continue;
        };
        if !is_numeric(&value) {
            continue;
        }
        if INERT.iter().any(|(k, _)| *k == key) {
            continue;
        }
        let context: Vec<(String, Value)> = CONTEXT
            .iter()
            .filter(|(prefix, _, _)| key.starts_with(prefix))
            .flat_map(|(_, s, _)| sets(s))
            .collect();
        let label = format!("{context:?}");
        let here = base.with_overrides(&context, "test context").unwrap();
        let before = match cache.iter().find(|(l, _)| *l == label) {
            Some((_, b)) => b.clone(),
            None => {
                let b = summary(&here);
                cache.push((label, b.clone()));
                b
            }
        };
        let value = lookup(here.table(), &key).cloned().unwrap();
        let Some(changed) = changes(&value)
            .into_iter()
            .filter(|v| *v != value)
            .find_map(|v| here.with_overrides(&[(key.clone(), v)], "test change").ok())
        else {
            dead.push(format!("`{key}` = {value}: no valid changed value to try"));
            continue;
        };
        tested += 1;
        if summary(&changed) == before {
            let now = lookup(changed.table(), &key).unwrap();
            dead.push(format!(
                "`{key}`: {value} -> {now} changes no byte of summary.csv"
            ));
        }
    }
    assert!(tested > 80, "only {tested} keys tested");
    assert!(
        dead.is_empty(),
        "dead parameters in full-system-2023 (fix the key, or list it in INERT with the \
         reason):\n{}",
        dead.join("\n")
    );
}

#[test]
fn inert_and_context_keys_are_documented_keys() {
    let keys = documented_keys();
    for (k, why) in INERT {
        assert!(keys.iter().any(|d| d == k), "INERT `{k}` is not documented");
        assert!(!why.is_empty());
    }
    for (prefix, _, _) in CONTEXT {
        assert!(
            keys.iter().any(|d| d.starts_with(prefix)),
            "CONTEXT `{prefix}` matches no documented key"
        );
    }
}
