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
    let (r, start) = run(&[
        "population.demography.enabled=true",
        "population.demography.urban_growth={2024=0.02,2025=0.02,2026=0.02}",
        "population.demography.rural_growth={2024=-0.03,2025=-0.03,2026=-0.03}",
    ]);
    for (region, g) in [("urban", 1.02f64), ("rural", 0.97)] {
        let p0 = r.values(start, Period::FullYear, region, "population_persons");
        for t in 1..4 {
            let pt = r.values(start + t, Period::FullYear, region, "population_persons");
            for (a, b) in pt.iter().zip(&p0) {
                let want = b * g.powi(t);
                assert!(
                    (a / want - 1.0).abs() < 1e-9,
                    "{region} year {t}: {a} against {want}"
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
