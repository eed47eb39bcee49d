//! Throughput in household-months per second: the baseline and the reference model through
//! the engine, one thread and all threads, next to a hand-written loop of exactly the
//! reference model (shared/REFERENCE_MODEL.md) as the yardstick. Criterion reports elements
//! per second; an element is one simulated household-month (burn-in months included).
//!
//! Run: `cargo bench --bench throughput` (results in target/criterion).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;
use rand_xoshiro::Xoshiro256PlusPlus;
use safetynet::engine::{self, Model, RunOptions};
use safetynet::metrics::Period;
use safetynet::output;
use safetynet::scenario::{self, parse_override};
use std::hint::black_box;
use std::path::Path;

fn model(file: &str, households: u64, extra: &[&str]) -> Model {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(file);
    let mut sets = vec![
        parse_override(&format!("simulation.households={households}")).unwrap(),
        parse_override("simulation.replications=1").unwrap(),
    ];
    sets.extend(extra.iter().map(|s| parse_override(s).unwrap()));
    let loaded = scenario::load(&path)
        .unwrap()
        .with_overrides(&sets, "bench")
        .unwrap();
    Model::new(&loaded).unwrap()
}

/// The baseline with every program but dibao switched off.
const DIBAO_ONLY: [&str; 4] = [
    "programs.tekun.enabled=false",
    "programs.marginal.enabled=false",
    "programs.rigid.enabled=false",
    "programs.temporary.enabled=false",
];

fn household_months(m: &Model) -> u64 {
    let s = &m.scenario().simulation;
    s.households * (s.months() + s.burn_in_months) as u64
}

fn engine_benches(c: &mut Criterion) {
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let mut g = c.benchmark_group("engine");
    g.sample_size(10);
    let cases: [(&str, &str, u64, &[&str]); 3] = [
        ("dibao-only", "baseline.toml", 50_000, &DIBAO_ONLY),
        ("baseline", "baseline.toml", 50_000, &[]),
        ("full-system", "full-system-2023.toml", 50_000, &[]),
    ];
    for (name, file, n, extra) in cases {
        let m = model(file, n, extra);
        g.throughput(Throughput::Elements(household_months(&m)));
        for threads in [1, cores] {
            g.bench_with_input(
                BenchmarkId::new(name, format!("{threads}-threads")),
                &threads,
                |b, &t| {
                    b.iter(|| {
                        engine::run(
                            std::slice::from_ref(&m),
                            &RunOptions {
                                threads: t,
                                progress: None,
                            },
                        )
                        .unwrap()
                    })
                },
            );
        }
    }
    g.finish();
}

/// Per-year outputs of the reference model (shared/REFERENCE_MODEL.md, note 9).
#[derive(Debug, Clone, Default)]
struct YearOutputs {
    /// Total benefit cost, yuan.
    cost: f64,
    /// Recipient household-months (the average monthly number is this / 12).
    recipient_months: u64,
    /// Exits (receiving in month m, not in m + 1), in the year of m.
    exits: u64,
    /// Exits followed by receipt again within 12 months, in the exit's year.
    reentries: u64,
}

/// The reference model written out by hand, one household at a time: the yardstick for the
/// engine's generality cost. It computes the model's per-year outputs (cost, recipients,
/// exits, 12-month re-entries), so the work cannot be optimised away and matches what the
/// engine is asked for.
fn hand_written_reference(n: u64, years: usize) -> Vec<YearOutputs> {
    let sizes = [0.25, 0.30, 0.20, 0.15, 0.10];
    let mut out = vec![YearOutputs::default(); years];
    for h in 0..n {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(h ^ 0x5eed);
        let urban = rng.random::<f64>() < 0.66;
        let mut u: f64 = rng.random();
        let mut k = 1.0;
        for p in sizes {
            if u < p {
                break;
            }
            u -= p;
            k += 1.0;
        }
        let (mu, sd, s0, g) = if urban {
            (4200f64.ln(), 0.8, 750.0, 1.048f64)
        } else {
            (1800f64.ln(), 0.9, 583.0, 1.085f64)
        };
        let alpha = mu + sd * rng.sample::<f64, _>(StandardNormal);
        let mut v = 0.3 * rng.sample::<f64, _>(StandardNormal);
        let takes = rng.random::<f64>() < 0.7;
        let mut standard = s0;
        let mut growth = 1.0;
        let mut receiving = false;
        // The last exit not yet followed by a re-entry: (month, year).
        let mut exit: Option<(i32, usize)> = None;
        let mut m = 0i32;
        for t in 0..years {
            if t > 0 {
                standard *= g;
                growth *= 1.05;
            }
            for _ in 0..12 {
                v = 0.97 * v + 0.08 * rng.sample::<f64, _>(StandardNormal);
                let shock = if rng.random::<f64>() < 0.004 {
                    0.3
                } else {
                    1.0
                };
                let y = (alpha + v).exp() * growth * shock;
                let now = takes && y < standard;
                if now {
                    out[t].cost += (standard - y) * k;
                    out[t].recipient_months += 1;
                    if !receiving {
                        // An entry: a re-entry if within 12 months of the last exit.
                        if let Some((e, ey)) = exit.take() {
                            if m <= e + 12 {
                                out[ey].reentries += 1;
                            }
                        }
                    }
                } else if receiving {
                    // Received in m - 1, not in m: an exit in the year of m - 1.
                    let ey = ((m - 1) / 12) as usize;
                    out[ey].exits += 1;
                    exit = Some((m - 1, ey));
                }
                receiving = now;
                m += 1;
            }
        }
    }
    out
}

/// The reference model through the engine (with every output the engine computes) and the
/// yardstick, side by side in one group, one thread each; the engine also on every core.
fn reference(c: &mut Criterion) {
    let n = 100_000u64;
    let years = 10;
    let m = model("reference-model.toml", n, &[]);
    check_against_engine(&m, n, years);
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let mut g = c.benchmark_group("reference");
    g.sample_size(10);
    g.throughput(Throughput::Elements(n * 12 * years as u64));
    g.bench_function("hand-written/1-thread", |b| {
        b.iter(|| black_box(hand_written_reference(black_box(n), years)))
    });
    for threads in [1, cores] {
        g.bench_function(format!("engine/{threads}-threads"), |b| {
            b.iter(|| {
                engine::run(
                    std::slice::from_ref(&m),
                    &RunOptions {
                        threads,
                        progress: None,
                    },
                )
                .unwrap()
            })
        });
    }
    g.finish();
}

/// The two implementations draw different numbers, so they agree statistically only: print
/// both, and stop if the first year's cost or recipients differ by more than 10 %, a gross
/// check that the yardstick computes the same model (the two differ by about 3 % at 100,000
/// households: the households, not only the months, are different draws).
fn check_against_engine(m: &Model, n: u64, years: usize) {
    let hand = hand_written_reference(n, years);
    let counters = engine::run(std::slice::from_ref(m), &RunOptions::default()).unwrap();
    let r = &output::collect(std::slice::from_ref(m), &counters)[0];
    let start = m.scenario().simulation.start_year;
    eprintln!("year   cost (m yuan) engine/hand   recipients engine/hand   exits engine/hand   re-entries engine/hand");
    for (t, h) in hand.iter().enumerate() {
        let e = |metric: &str| r.values(start + t as i32, Period::FullYear, "national", metric)[0];
        let cost = e("cost_total") * 1e3;
        let recip = e("recipients_households") * 1e6;
        let exits = e("assist_exits") * 1e6;
        let re = e("assist_reentries_12m") * 1e6;
        eprintln!(
            "{}  {:>10.2} {:>10.2}  {:>10.0} {:>10.0}  {:>8.0} {:>8.0}  {:>8.0} {:>8.0}",
            start + t as i32,
            cost,
            h.cost / 1e6,
            recip,
            h.recipient_months as f64 / 12.0,
            exits,
            h.exits,
            re,
            h.reentries
        );
        if t == 0 {
            let close = |a: f64, b: f64| (a - b).abs() <= 0.10 * b;
            assert!(close(cost, h.cost / 1e6), "cost {cost} vs {}", h.cost / 1e6);
            assert!(close(recip, h.recipient_months as f64 / 12.0), "recipients");
        }
    }
}

criterion_group!(benches, reference, engine_benches);
criterion_main!(benches);
