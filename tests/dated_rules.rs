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
