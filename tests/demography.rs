//! Population change in a run's output: with `population.demography` on, the weighted urban and
//! rural persons of every year follow the input population index (the growth schedules,
//! compounded) exactly, in every replication, although the sample loses members to deaths;
//! with it off they stay at the start year's. (A scenario schedule merges onto the defaults'
//! year by year, so the test sets every horizon year.)

mod common;
use safetynet::metrics::Period;
use safetynet::output;

fn run(extra: &[&str]) -> (output::ScenarioResults, i32) {
    let sets: Vec<&str> = [
        "simulation.households=6000",
        "simulation.replications=3",
        "simulation.years=4",
        "simulation.burn_in_months=0",
    ]
    .iter()
    .chain(extra)
    .copied()
    .collect();
    let model = common::model_of("baseline.toml", &sets, "demography test");
    let start = model.scenario().simulation.start_year;
    (common::results_of(&model), start)
}

#[test]
fn weighted_urban_and_rural_persons_follow_the_input_totals() {
    // The rural strata follow the series their basis names (the baseline's is "registered").
    for (basis, key) in [
        ("\"resident\"", "rural_growth"),
        ("\"registered\"", "rural_registered_growth"),
    ] {
        let basis = format!("population.demography.rural_basis={basis}");
        let rural = format!("population.demography.{key}={{2024=-0.03,2025=-0.03,2026=-0.03}}");
        follows_the_totals(&[
            "population.demography.enabled=true",
            "population.demography.urban_growth={2024=0.02,2025=0.02,2026=0.02}",
            &basis,
            &rural,
        ]);
    }
}

fn follows_the_totals(sets: &[&str]) {
    let (r, start) = run(sets);
    for (region, g) in [("urban", 1.02f64), ("rural", 0.97)] {
        let p0 = r.values(start, Period::FullYear, region, "population_persons");
        for t in 1..4 {
            let pt = r.values(start + t, Period::FullYear, region, "population_persons");
            for (a, b) in pt.iter().zip(&p0) {
                let want = b * g.powi(t);
                assert!(
                    (a / want - 1.0).abs() < 1e-9,
                    "{region} year {t}: {a} against {want} ({sets:?})"
                );
            }
        }
    }
}

#[test]
fn without_population_change_the_population_stays() {
    let (r, start) = run(&["population.demography.enabled=false"]);
    let p0 = r.values(start, Period::FullYear, "national", "population_persons");
    let p3 = r.values(
        start + 3,
        Period::FullYear,
        "national",
        "population_persons",
    );
    assert_eq!(p0, p3);
}

#[test]
fn arrivals_carry_the_urban_growth_and_leave_the_first_year_and_the_villages_alone() {
    // A steep urban growth (20 % a year, all of it arrivals) so that the paired effect is far
    // beyond the noise of a small run.
    let common = [
        "population.demography.enabled=true",
        "population.demography.urban_growth={2024=0.2,2025=0.2,2026=0.2}",
        "population.demography.urban_arrival_share=1.0",
    ];
    let with = |on: &str| {
        let mut s = common.to_vec();
        s.push(on);
        run(&s)
    };
    let (off, start) = with("population.demography.urban_arrivals=false");
    let (on, _) = with("population.demography.urban_arrivals=true");
    let fy = |r: &output::ScenarioResults, y, region, m| r.values(y, Period::FullYear, region, m);
    for t in 0..4 {
        // The weights still put each region on its series.
        for region in ["urban", "rural"] {
            let (a, b) = (
                fy(&off, start + t, region, "population_persons"),
                fy(&on, start + t, region, "population_persons"),
            );
            for (x, y) in a.iter().zip(&b) {
                assert!((x / y - 1.0).abs() < 1e-9, "{region} {t}: {x} against {y}");
            }
        }
        // Rural households draw nothing new: every rural figure is the same, bit for bit.
        for m in ["recipients_persons", "cost_dibao", "tekun_persons"] {
            assert_eq!(
                fy(&off, start + t, "rural", m),
                fy(&on, start + t, "rural", m),
                "rural {m} year {t}"
            );
        }
    }
    // Arrivals come each January after the first year: the first year is the same.
    for m in ["recipients_persons", "cost_dibao", "poor_persons_pre"] {
        assert_eq!(
            fy(&off, start, "urban", m),
            fy(&on, start, "urban", m),
            "urban {m}"
        );
    }
    // Able working arrivals rarely need dibao: the urban caseload of the last year is lower
    // (paired over replications, beyond 3 standard errors of the mean difference).
    let (a, b) = (
        fy(&off, start + 3, "urban", "recipients_persons"),
        fy(&on, start + 3, "urban", "recipients_persons"),
    );
    let d: Vec<f64> = a.iter().zip(&b).map(|(x, y)| y - x).collect();
    let n = d.len() as f64;
    let mean = d.iter().sum::<f64>() / n;
    let sd = (d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    assert!(
        mean < -3.0 * sd / n.sqrt() && mean < 0.0,
        "urban dibao persons, arrivals minus none: {mean:.4} m (se {:.4})",
        sd / n.sqrt()
    );
}

#[test]
fn arrivals_that_never_come_move_no_other_draw() {
    // Arrivals on with a zero share: nobody arrives. The arrival is the last event of the
    // January draw (`Demography::year_step`), so it moves no death or migration, and every
    // figure of every year equals the run without arrivals, bit for bit.
    let common = [
        "population.demography.enabled=true",
        "population.demography.urban_growth={2024=0.2,2025=0.2,2026=0.2}",
        "population.demography.urban_arrival_share=0.0",
    ];
    let with = |on: &str| {
        let mut s = common.to_vec();
        s.push(on);
        run(&s).0
    };
    let off = with("population.demography.urban_arrivals=false");
    let on = with("population.demography.urban_arrivals=true");
    let mut compared = 0;
    for (a, b) in off.reps.iter().zip(&on.reps) {
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(b) {
            assert!(
                x.value.to_bits() == y.value.to_bits(),
                "{} {:?} region {} metric {}: {} against {}",
                x.year,
                x.period,
                x.region,
                x.metric,
                x.value,
                y.value
            );
            compared += 1;
        }
    }
    assert!(compared > 1000, "{compared} figures compared");
}
