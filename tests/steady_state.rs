//! The steady state: with demography, prices, incomes and standards frozen, the caseload
//! (dibao persons and households, tekun persons) must not drift. The run starts from the
//! stationary income distribution (`dynamics.income.persistent_initial_sd` is the stationary
//! sd) and either the default start (the programs' take-up states drawn from their stationary
//! law, `simulation.start = "enrolled"`, with 12 burn-in months for the fast states) or the
//! empty start (`EMPTY`: `simulation.start = "empty"`, 48 burn-in months that fill the
//! caseload), so every yearly change over years 1–5 must stay within 1 %.
//!
//! Sample: 100,000 households x 8 replications x 6 years of the calibrated baseline, frozen
//! (growth, inflation and standard growth 0, members neither age nor die, weights fixed, rules
//! dated by their year in force throughout).
//! Changes are computed per replication on the same households (paired), then averaged; the
//! Monte Carlo standard error is the replications' sd / sqrt(8). The test asserts the trend
//! (least-squares slope of the log over years 0–5) within 1 % a year, with its standard error
//! required below 0.3 % so that a pass means the drift is below 1 % at more than two
//! standard errors; measured with the default enrolled start and 12 months: dibao persons
//! −0.02 % (se 0.13 %), dibao households −0.10 % (se 0.14 %), tekun persons +0.22 % (se 0.15 %)
//! (before the 2023 re-fit on it); with the empty start and 48 months −0.07, −0.02 and −0.21 %. Each single year's change
//! must also be within 1 % + 2 se (its se 0.2–0.4 % for dibao, 0.2–0.7 % for tekun).
//! The check can fail: an empty start with 12 burn-in months still fills
//! (`short_burn_in_is_caught`), and the enrolled start without its burn-in leaves tekun's
//! reviews unsettled (`enrolled_start_without_burn_in_is_caught`).

mod common;
use safetynet::metrics::Period;

// A scenario schedule merges onto the baseline's year by year, so every year of the horizon
// is set to 0.
const FROZEN: &[&str] = &[
    "simulation.households=100000",
    "simulation.replications=8",
    "simulation.years=6",
    "dynamics.income.growth={2023=0.0,2024=0.0,2025=0.0,2026=0.0,2027=0.0,2028=0.0}",
    "dynamics.income.growth_urban={2023=0.0,2024=0.0,2025=0.0,2026=0.0,2027=0.0,2028=0.0}",
    "dynamics.income.growth_rural={2023=0.0,2024=0.0,2025=0.0,2026=0.0,2027=0.0,2028=0.0}",
    "dynamics.income.poor_area.growth_gap={2023=0.0,2024=0.0,2025=0.0,2026=0.0,2027=0.0,2028=0.0}",
    "dynamics.prices.inflation={2023=0.0,2024=0.0,2025=0.0,2026=0.0,2027=0.0,2028=0.0}",
    "programs.dibao.standard.growth_urban={2023=0.0,2024=0.0,2025=0.0,2026=0.0,2027=0.0,2028=0.0}",
    "programs.dibao.standard.growth_rural={2023=0.0,2024=0.0,2025=0.0,2026=0.0,2027=0.0,2028=0.0}",
    "population.members.ageing=false",
    "population.demography.enabled=false",
    // Cohort factors read the year of birth as the year less the age: with ages frozen that
    // would move every member one cohort later each year (tekun -4 % a year in the
    // deep-recipients candidate), so the cohorts are frozen with the ages (0 in the baseline).
    "programs.tekun.no_supporter_cohort_trend=0",
    "population.income.low_income_cohort_trend=0",
    // Rules dated by their year are frozen too. Monitoring acts from its year, the start, and
    // never in the burn-in, so it is off here: the burn-in must reach the steady state of the
    // rules it runs under, and without monitoring's warnings the pool of eligible households
    // that have not applied fills slowest (with monitoring in force throughout, 24 months
    // already reach it: +0.39 % in year 1, se 0.42 %). Its switch-on in the start year is a
    // policy change, not drift (tests/dated_rules.rs).
    "programs.monitoring.enabled=false",
    "programs.marginal.single_person_from_year=2000",
    "programs.rigid.from_year=2000",
];

const METRICS: &[&str] = &[
    "recipients_persons",
    "recipients_households",
    "tekun_persons",
];

/// Per metric: its yearly changes t = 1..5, each as (mean over replications of X_t / X_{t-1} - 1,
/// its standard error), and the trend over years 0–5 as (mean over replications of the
/// least-squares slope of ln X_t on t, its standard error), all in shares per year.
type Drift = (&'static str, Vec<(f64, f64)>, (f64, f64));

fn mean_se(d: &[f64]) -> (f64, f64) {
    let n = d.len() as f64;
    let mean = d.iter().sum::<f64>() / n;
    let var = d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

fn drifts(extra: &[&str]) -> Vec<Drift> {
    drifts_of("baseline.toml", extra)
}

fn drifts_of(file: &str, extra: &[&str]) -> Vec<Drift> {
    let sets: Vec<&str> = FROZEN.iter().chain(extra).copied().collect();
    let model = common::model_of(file, &sets, "steady-state test");
    let start = model.scenario().simulation.start_year;
    let r = &common::results_of(&model);
    METRICS
        .iter()
        .map(|&m| {
            let years: Vec<Vec<f64>> = (0..6)
                .map(|t| r.values(start + t, Period::FullYear, "national", m))
                .collect();
            let reps = years[0].len();
            let yearly = (1..6)
                .map(|t| {
                    let d: Vec<f64> = (0..reps)
                        .map(|k| years[t][k] / years[t - 1][k] - 1.0)
                        .collect();
                    mean_se(&d)
                })
                .collect();
            // Slope of ln X on t = 0..5 (mean t 2.5, sum of squared deviations 17.5).
            let slopes: Vec<f64> = (0..reps)
                .map(|k| {
                    (0..6)
                        .map(|t| (t as f64 - 2.5) * years[t][k].ln())
                        .sum::<f64>()
                        / 17.5
                })
                .collect();
            (m, yearly, mean_se(&slopes))
        })
        .collect()
}

#[test]
fn frozen_inputs_keep_the_caseload_within_one_percent_a_year() {
    assert_steady(&[]);
}

/// The deep-recipients candidate (`scenarios/deep-recipients.toml`): a deep recipient leaves
/// only by death and one that applied when poorer stays on while below the standard, so its
/// caseload fills over years. With its replayed start (`simulation.start = "replayed"`) and
/// 12 burn-in months: +0.17 % a year (se 0.10 %), year 1 +0.31 % (se 0.18 %); before its refit
/// on that start +0.19 % (se 0.12 %); the enrolled start gave +1.32 % a year with 12 months
/// (which this test fails) and +0.36 % with 120 (docs/history-notes.md "A stationary start by
/// replay").
#[test]
fn the_deep_recipients_candidate_keeps_its_caseload_within_one_percent_a_year() {
    assert_steady_of("deep-recipients.toml", &[]);
}

/// The empty start (the default before the enrolled one) and the 48 burn-in months it needs.
const EMPTY: &[&str] = &["simulation.start=empty", "simulation.burn_in_months=48"];

#[test]
fn the_empty_start_with_48_burn_in_months_keeps_the_caseload_within_one_percent_a_year() {
    assert_steady(EMPTY);
}

/// The criterion: trend within 1 % a year at an se below 0.3 %, every year within 1 % + 2 se.
fn assert_steady(extra: &[&str]) {
    assert_steady_of("baseline.toml", extra)
}

fn assert_steady_of(file: &str, extra: &[&str]) {
    for (m, yearly, (slope, slope_se)) in drifts_of(file, extra) {
        for (t, (mean, se)) in yearly.iter().enumerate() {
            eprintln!(
                "{m} year {}: change {:+.3} % (se {:.3} %)",
                t + 1,
                100.0 * mean,
                100.0 * se
            );
        }
        eprintln!(
            "{m} trend years 0-5: {:+.3} % a year (se {:.3} %)",
            100.0 * slope,
            100.0 * slope_se
        );
        assert!(
            slope_se < 0.003,
            "{m}: trend se {slope_se} too large to test 1 %"
        );
        assert!(
            slope.abs() < 0.01,
            "{m}: trend {:+.2} % a year (se {:.2} %)",
            100.0 * slope,
            100.0 * slope_se
        );
        // Every single year too, at its own (wider) standard error: the filling of a short
        // burn-in shows in year 1 first.
        for (t, (mean, se)) in yearly.iter().enumerate() {
            assert!(
                mean.abs() < 0.01 + 2.0 * se,
                "{m} year {}: change {:+.2} % (se {:.2} %)",
                t + 1,
                100.0 * mean,
                100.0 * se
            );
        }
    }
}

/// The test has power: an empty start with 12 burn-in months leaves the caseload filling
/// (dibao persons 12.5 % short of their steady state in year 1, README "Steady state"). With
/// the take-up re-fitted on the enrolled start (monthly application chance 0.142) 24 months
/// are no longer caught: +1.69 % in year 1 (se 0.55 %), within 1 % + 2 se.
#[test]
fn short_burn_in_is_caught() {
    let d = drifts(&["simulation.burn_in_months=12", "simulation.start=empty"]);
    let (m, yearly, _) = &d[0];
    let (mean, se) = yearly[0];
    eprintln!(
        "12-month burn-in: {m} year 1 {:+.2} % (se {:.2} %)",
        100.0 * mean,
        100.0 * se
    );
    assert!(
        mean > 0.01 + 2.0 * se,
        "{m}: a 12-month burn-in should still fill by more than 1 % in year 1, got {:+.2} %",
        100.0 * mean
    );
}

/// The enrolled start needs its burn-in: with none, the households tekun supports while no
/// longer eligible (until their yearly review) are missing, and tekun persons rise in year 1
/// (measured +3.7 %, se 1.0 %; dibao +0.6 %, se 0.4 %, within the criterion even so).
#[test]
fn enrolled_start_without_burn_in_is_caught() {
    let d = drifts(&["simulation.start=enrolled", "simulation.burn_in_months=0"]);
    let (m, yearly, _) = &d[2];
    assert_eq!(*m, "tekun_persons");
    let (mean, se) = yearly[0];
    eprintln!(
        "enrolled start, no burn-in: {m} year 1 {:+.2} % (se {:.2} %)",
        100.0 * mean,
        100.0 * se
    );
    assert!(
        mean > 0.01 + 2.0 * se,
        "{m}: without a burn-in tekun should still fill by more than 1 % in year 1, got {:+.2} %",
        100.0 * mean
    );
}

/// Hidden income as renewing spells (`programs.dibao.admin.hidden_spell_years`): with a constant
/// matching chance the caseload keeps its steady state (the criterion above), where hidden
/// income as a fixed trait with a permanent bar drains a closed sample
/// (`hidden_income_as_a_trait_with_a_permanent_bar_drains`). Settings of the order of the
/// path fit (README "Calibration of the path"): 40 % of households in a spell at any time,
/// spells of 3 years on average, matching finds a recipient's hidden income at 20 % a year.
/// The enrolled start bars the households matching found during their current spell with
/// its stationary chance (`Dibao::found_share`): without that, 12 burn-in months left the
/// spells' caseload falling 1.6 % a year. Measured: spells -0.73 % a year (se 0.14 %) from the
/// empty start with 48 months (-0.48 % before later merges), +0.09 % (se 0.15 %) from the
/// enrolled start with 12; the fixed trait -2.48 % a year (se 0.15 %).
const HIDDEN: &[&str] = &[
    // The baseline's unverified urban and rural households (refused with spells) and the share of
    // income they keep from the test are off: hidden income here declares all, as measured.
    "programs.dibao.admin.unverified_share_urban=0.0",
    "programs.dibao.admin.unverified_share_rural=0.0",
    "programs.dibao.admin.undeclared_share=0.0",
    "programs.dibao.admin.hidden_share_urban=0.4",
    "programs.dibao.admin.hidden_share_rural=0.4",
    "programs.dibao.admin.match_yearly_prob=0.2",
];

#[test]
fn hidden_income_spells_keep_the_steady_state_under_constant_matching() {
    let sets: Vec<&str> = HIDDEN
        .iter()
        .copied()
        .chain(["programs.dibao.admin.hidden_spell_years=3.0"])
        .collect();
    assert_steady(&sets);
    let empty: Vec<&str> = sets.iter().chain(EMPTY).copied().collect();
    assert_steady(&empty);
}

/// The test has power against the old rule: a fixed hidden-income trait with a bar for good
/// drains the found households year after year, beyond 1 % a year at more than 2 se.
#[test]
fn hidden_income_as_a_trait_with_a_permanent_bar_drains() {
    let d = drifts(HIDDEN);
    let (m, _, (slope, se)) = &d[0];
    eprintln!(
        "fixed trait, bar for good: {m} trend {:+.2} % a year (se {:.2} %)",
        100.0 * slope,
        100.0 * se
    );
    assert!(
        *slope < -0.01 - 2.0 * se,
        "{m}: a permanent bar should drain the caseload by more than 1 % a year, got {:+.2} %",
        100.0 * slope
    );
}

/// The path-fitted spells scenario (`scenarios/hidden-income-spells.toml`: matching at its
/// 2021-on chance, 0.69 a year, spells of 4.2 years, in every frozen year) keeps the steady
/// state, and with no drift the test can see: the trend within 1 % a year and within 3 of its
/// standard errors of zero (the se over the 8 replications, about 0.11-0.15 % a year here).
/// The households found by matching stay barred for their spell, so their stock fills slowly:
/// the scenario's 120 burn-in months from the empty start reach it. Measured with the refit of
/// 2 December 2026: dibao persons +0.27 % a year (se 0.11 %); with the fit before (spells of
/// 6.8 years) -0.02 % (se 0.14 %), with 48 months -0.76 % (se 0.16 %), 4.7 se below zero, which
/// this test rejects, and with the enrolled start and 12 months -0.60 % (se 0.14 %): its closed
/// forms assume a household on the roll throughout its spell, which long spells and a low
/// monthly application chance do not give, so the scenario keeps the empty start and 120 months.
#[test]
fn the_fitted_hidden_income_spells_scenario_keeps_the_steady_state() {
    assert_steady_of("hidden-income-spells.toml", &[]);
    for (m, _, (slope, se)) in drifts_of("hidden-income-spells.toml", &[]) {
        assert!(
            slope.abs() < 3.0 * se,
            "{m}: trend {:+.3} % a year is more than 3 se ({:.3} %) from zero",
            100.0 * slope,
            100.0 * se
        );
    }
}

/// The replay reaches the state a long burn-in reaches: with the income process alone (frozen
/// inputs, no shocks or disasters, whose past the replay draws apart from the present), the
/// candidate's dibao persons in the first year after 12 burn-in months from the replayed
/// start, against 240 from the enrolled start (which the frozen no-shock run holds flat:
/// trend +0.16 % a year, se 0.09 %), per replication on the same households; the mean
/// difference within 3 of its standard errors (the replications' sd / √8, 200,000 households:
/// the two starts share households but not states, so the pairing gains little), required
/// below 0.5 %, so that the test tells the replay from a start 1.5 % short. Measured: −0.43 %
/// (se 0.19 %); the enrolled start with 12 months is 5.8 % short. Before the candidate's refit
/// on the replayed start, with one burn-in month: −0.21 % (se 0.12 %), the enrolled start
/// −9.7 %, and a replay that did not look at households far above every line in the first
/// month (those on the roll awaiting a review) 3.0 % short. Neither start reaches the
/// stationary law of households that stay between their application line and the standard
/// (they keep their state for decades): the replayed start with 240 burn-in months is 1.5 %
/// above the enrolled one with 240.
#[test]
fn a_replayed_start_reaches_what_240_burn_in_months_reach() {
    let quiet = [
        "dynamics.shocks.hardship.monthly_prob=0",
        "dynamics.shocks.illness.monthly_prob=0",
        "dynamics.shocks.job_loss.monthly_prob=0",
        "dynamics.shocks.disaster.monthly_prob=0",
        "simulation.years=1",
        "simulation.households=200000",
    ];
    let persons = |extra: &[&str]| {
        let sets: Vec<&str> = FROZEN.iter().chain(&quiet).chain(extra).copied().collect();
        let model = common::model_of("deep-recipients.toml", &sets, "replayed start test");
        let start = model.scenario().simulation.start_year;
        common::results_of(&model).values(start, Period::FullYear, "national", "recipients_persons")
    };
    let long = persons(&["simulation.start=enrolled", "simulation.burn_in_months=240"]);
    let short = |start: &str| persons(&[start, "simulation.burn_in_months=12"]);
    let diff = |x: &[f64]| -> (f64, f64) {
        let d: Vec<f64> = x.iter().zip(&long).map(|(a, b)| a / b - 1.0).collect();
        mean_se(&d)
    };
    let (replayed, se) = diff(&short("simulation.start=replayed"));
    let (enrolled, _) = diff(&short("simulation.start=enrolled"));
    eprintln!(
        "replayed {:+.3} % (se {:.3} %), enrolled {:+.3} %",
        100.0 * replayed,
        100.0 * se,
        100.0 * enrolled
    );
    assert!(se < 0.005, "se {se} too large");
    assert!(replayed.abs() < 3.0 * se, "replayed {replayed} (se {se})");
    assert!(enrolled < -0.03, "the enrolled start is short: {enrolled}");
}
