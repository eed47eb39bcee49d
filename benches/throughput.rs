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
    let cases: [(&str, &str, u64, &[&str]); 4] = [
        ("reference", "reference-model.toml", 100_000, &[]),
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

/// The reference model written out by hand: the yardstick for the engine's generality cost.
/// Returns total cost so the work cannot be optimised away.
fn hand_written_reference(n: u64, years: usize) -> f64 {
    let sizes = [0.25, 0.30, 0.20, 0.15, 0.10];
    let mut total = 0.0;
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
                if takes && y < standard {
                    total += (standard - y) * k;
                }
            }
        }
    }
    total
}

fn yardstick(c: &mut Criterion) {
    let mut g = c.benchmark_group("hand-written-reference");
    g.sample_size(10);
    let n = 100_000u64;
    g.throughput(Throughput::Elements(n * 120));
    g.bench_function("1-thread", |b| {
        b.iter(|| black_box(hand_written_reference(black_box(n), 10)))
    });
    g.finish();
}

criterion_group!(benches, engine_benches, yardstick);
criterion_main!(benches);
