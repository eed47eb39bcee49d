//! Rules dated by their year: the baseline's rigid-expenditure special assistance
//! (`programs.rigid.from_year = 2025`) pays nothing in 2023 and 2024 and pays in 2025, and the
//! same run with the date moved to 2023 pays in every year, with the years before 2025 the
//! only ones that change for the program (common random numbers: the same households).

mod common;
use safetynet::metrics::Period;

fn rigid_cost(sets: &[&str]) -> Vec<f64> {
    let mut all = vec![
        "simulation.households=20000",
        "simulation.replications=2",
        "simulation.years=3",
    ];
    all.extend_from_slice(sets);
    let model = common::model_of("baseline.toml", &all, "dated rules test");
    let r = common::results_of(&model);
    (2023..=2025)
        .map(|y| {
            let v = r.values(y, Period::FullYear, "national", "cost_special_rigid");
            v.iter().sum::<f64>() / v.len() as f64
        })
        .collect()
}

#[test]
fn rigid_expenditure_assistance_starts_in_its_year() {
    let dated = rigid_cost(&[]);
    assert_eq!(dated[0], 0.0, "2023: not yet in force");
    assert_eq!(dated[1], 0.0, "2024: not yet in force");
    assert!(dated[2] > 0.0, "2025: in force, pays {}", dated[2]);
    let always = rigid_cost(&["programs.rigid.from_year=2023"]);
    assert!(always[0] > 0.0 && always[1] > 0.0, "{always:?}");
    // From 2025 the two runs have the same rule on the same households.
    assert_eq!(always[2], dated[2]);
}

const SMALL: [&str; 3] = [
    "simulation.households=20000",
    "simulation.replications=2",
    "simulation.years=3",
];

/// Replication means of `metrics` (national, full year) for 2023–2025 of the baseline with `sets`.
fn figures(sets: &[&str], metrics: &[&str]) -> Vec<Vec<f64>> {
    let mut all = SMALL.to_vec();
    all.extend_from_slice(sets);
    let model = common::model_of("baseline.toml", &all, "dated rules test");
    let r = common::results_of(&model);
    metrics
        .iter()
        .map(|m| {
            (2023..=2025)
                .map(|y| {
                    let v = r.values(y, Period::FullYear, "national", m);
                    v.iter().sum::<f64>() / v.len() as f64
                })
                .collect()
        })
        .collect()
}

#[test]
fn monitoring_acts_and_counts_nothing_before_its_year_and_is_then_the_rule_in_force() {
    let m = [
        "warnings",
        "monitored_persons",
        "recipients_persons",
        "cost_dibao",
    ];
    let dated = figures(&["programs.monitoring.from_year=2024"], &m);
    let off = figures(&["programs.monitoring.enabled=false"], &m);
    // 2023 (burn-in included): as if monitoring did not exist, to the last digit (common
    // random numbers: the same households; monitoring's draws, whether data sharing reveals a
    // shock, come from a stream of its own, and its database, kept from the first month, only
    // counts from its year).
    assert_eq!(dated[0][0], 0.0, "no warnings before 2024");
    assert_eq!(dated[1][0], 0.0, "no database before 2024");
    assert_eq!(
        dated[2][0], off[2][0],
        "2023 recipients as without monitoring"
    );
    assert_eq!(
        dated[3][0], off[3][0],
        "2023 dibao cost as without monitoring"
    );
    // From 2024 it warns, counts its database and helps households apply.
    assert!(dated[0][1] > 0.0 && dated[1][1] > 0.0, "{dated:?}");
    assert!(
        dated[2][1] > off[2][1],
        "monitoring adds recipients: {dated:?} {off:?}"
    );
    // The baseline's date (2023, the start year) acts from the first horizon month, not in the
    // burn-in: its 2023 differs from a rule in force throughout (2000), which shapes the start.
    let at_start = figures(&[], &m);
    let always = figures(&["programs.monitoring.from_year=2000"], &m);
    assert!(at_start[0][0] > 0.0, "in force in 2023");
    assert!(
        always[2][0] > at_start[2][0],
        "in force during burn-in too: a larger 2023 caseload {always:?} {at_start:?}"
    );
}

#[test]
fn single_person_inclusion_covers_nobody_before_its_year() {
    let m = [
        "recipients_single_person",
        "cost_dibao",
        "recipients_persons",
    ];
    let dated = figures(&["programs.marginal.single_person_from_year=2024"], &m);
    let off = figures(&["programs.marginal.single_person_inclusion=false"], &m);
    let always = figures(&["programs.marginal.single_person_from_year=2000"], &m);
    assert_eq!(dated[0][0], 0.0, "2023: nobody covered alone");
    assert!(dated[0][1] > 0.0, "2024: members covered alone {dated:?}");
    assert_eq!(
        dated[1][0], off[1][0],
        "2023 dibao cost as without the rule"
    );
    assert_eq!(
        dated[2][0], off[2][0],
        "2023 recipients as without the rule"
    );
    assert!(always[0][0] > 0.0, "{always:?}");
}

/// The monitoring database recomputed from the raw counters: persons in monitored households,
/// weighted by each stratum's households represented in that year, averaged over 12 months.
#[test]
fn monitoring_database_is_its_weighted_person_months_over_twelve() {
    use safetynet::counters::c;
    let model = common::model_of("baseline.toml", &SMALL, "database test");
    let opts = safetynet::engine::RunOptions {
        threads: 2,
        ..Default::default()
    };
    let counters = safetynet::engine::run(std::slice::from_ref(&model), &opts).unwrap();
    let r = safetynet::output::collect(std::slice::from_ref(&model), &counters).remove(0);
    let sim = &model.scenario().simulation;
    for (rep, k) in counters.per_scenario[0].iter().enumerate() {
        let w = model.pop.year_weights(sim, k);
        for t in 0..k.years {
            let mut persons = 0.0;
            let mut recipients = 0.0;
            for s in 0..k.strata {
                for half in 0..2 {
                    let slot = k.get(s, t, half);
                    persons += w[s * k.years + t] * slot[c::MONITORED_PERSON_MONTHS] as f64;
                    recipients += w[s * k.years + t] * slot[c::RECIP_PERSON_MONTHS] as f64;
                }
            }
            let year = sim.start_year + t as i32;
            let got = r.values(year, Period::FullYear, "national", "monitored_persons")[rep];
            let want = persons / 12.0 / 1e6;
            assert!(
                (got - want).abs() <= 1e-9 * want,
                "{year} rep {rep}: metric {got} against counters {want}"
            );
            // The database holds every dibao recipient household (last month's roll).
            assert!(want > 0.9 * recipients / 12.0 / 1e6, "{year}: {want}");
        }
    }
}
