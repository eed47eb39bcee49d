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
use std::sync::Mutex;
use std::time::{Duration, Instant};

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
const DIBAO_ONLY: [&str; 6] = [
    "programs.monitoring.enabled=false",
    "programs.one_off.enabled=false",
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
    paired(&mut g, cores, years);
    g.finish();
}

/// Households in one round of the paired measurements: short rounds (about 0.1 s a run on
/// one core), so that many pairs fit in criterion's measurement time.
const PAIRED_HOUSEHOLDS: u64 = 50_000;

/// Households of the baseline's paired runs: it does about a third of the loop's
/// household-months a second, and has 132 months to the loop's 120.
const PAIRED_BASELINE_HOUSEHOLDS: u64 = 15_000;

/// Paired measurements in the `reference` group: each round times the two runs of a pair in
/// turn (ABBA: the first of the pair alternates between rounds), and the ratios of their
/// times are recorded per round, so a change of the machine's speed between rounds cancels
/// within a pair. Criterion reports the second member's wall time (`paired/engine-vs-loop`:
/// the engine on one thread; `paired/baseline-vs-loop`: the baseline on one thread, its ratio
/// printed as throughputs; `paired/2-vs-1-threads`: the engine on every core; then the
/// machine's capacity: `paired/2-engines-vs-1` and `paired/2-loops-vs-1`, one-thread engines
/// or loops on every core at once; `paired/2-threads-vs-2-engines`, the engine on every core);
/// the ratios' median, spread and geometric mean over every round (warm-up included) are
/// printed after each, of wall time and of the process's CPU time (CPU time leaves out the
/// time the process waited for a core while others ran, not the slowing by their use of caches
/// and memory).
fn paired(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    cores: usize,
    years: usize,
) {
    let n = PAIRED_HOUSEHOLDS;
    let m = model("reference-model.toml", n, &[]);
    // One run of the engine, and one of the loop, untimed (timed below, alone or at once).
    let engine_once = |threads: usize| {
        black_box(
            engine::run(
                std::slice::from_ref(&m),
                &RunOptions {
                    threads,
                    progress: None,
                },
            )
            .unwrap(),
        );
    };
    let loop_once = || {
        black_box(hand_written_reference(black_box(n), years));
    };
    let run = |threads: usize| timed(|| engine_once(threads));
    let hand = || timed(loop_once);
    g.throughput(Throughput::Elements(n * 12 * years as u64));
    // Engine (1 thread) over loop: a ratio of speeds, loop time / engine time.
    let ratios = Mutex::new(Vec::new());
    g.bench_function("paired/engine-vs-loop", |b| {
        b.iter_custom(|iters| pair_rounds(iters, &ratios, hand, || run(1)))
    });
    report_ratios(
        &format!("engine / loop, 1 thread, {n} households each"),
        &ratios.into_inner().unwrap(),
    );
    // Issue 12's ratio, paired: the baseline (the whole 2023 system, burn-in months included)
    // on one thread over the loop, as throughputs (household-months a second), round by round.
    // Its households are fewer, so that a run takes about as long as the loop's.
    let mb = model("baseline.toml", PAIRED_BASELINE_HOUSEHOLDS, &[]);
    let baseline = || {
        timed(|| {
            black_box(
                engine::run(
                    std::slice::from_ref(&mb),
                    &RunOptions {
                        threads: 1,
                        progress: None,
                    },
                )
                .unwrap(),
            );
        })
    };
    g.throughput(Throughput::Elements(household_months(&mb)));
    let ratios = Mutex::new(Vec::new());
    g.bench_function("paired/baseline-vs-loop", |b| {
        b.iter_custom(|iters| pair_rounds(iters, &ratios, hand, baseline))
    });
    let k = household_months(&mb) as f64 / (n * 12 * years as u64) as f64;
    report_ratios(
        &format!(
            "baseline ({PAIRED_BASELINE_HOUSEHOLDS} households) / loop ({n}), 1 thread, \
             household-months a second"
        ),
        &scale(ratios, k),
    );
    g.throughput(Throughput::Elements(n * 12 * years as u64));
    // Every core over one: one-thread time / all-thread time (of CPU time: how much more
    // work the threads do together than one alone).
    let ratios = Mutex::new(Vec::new());
    g.bench_function(format!("paired/{cores}-vs-1-threads"), |b| {
        b.iter_custom(|iters| pair_rounds(iters, &ratios, || run(1), || run(cores)))
    });
    report_ratios(
        &format!("engine {cores} threads / 1 thread"),
        &ratios.into_inner().unwrap(),
    );
    // The machine's own ceiling for this work, in the same bench run: `cores` one-thread
    // runs of the engine at once, one per OS thread, sharing nothing but the model (each its
    // own households' counters and results), against one alone. Their speed-up, `cores` x one
    // run's time / the runs' time, is what the cores give the engine's work with no
    // coordination at all; the engine's own speed-up is read against it. Then the same for
    // the hand-written loop: a guest's cores may run slower together (shared caches, power
    // limits, the host's other guests, or two vCPUs on one physical core), and by how much
    // depends on the work.
    let engine_alone = || run(1);
    let solo = || engine_once(1);
    // `f` on every core at once: on `cores - 1` new OS threads and this one.
    let at_once = |f: &(dyn Fn() + Sync)| {
        timed(|| {
            std::thread::scope(|s| {
                let others: Vec<_> = (1..cores).map(|_| s.spawn(f)).collect();
                f();
                for o in others {
                    o.join().unwrap();
                }
            })
        })
    };
    let engines = || at_once(&solo);
    let loops = || at_once(&loop_once);
    g.throughput(Throughput::Elements(cores as u64 * n * 12 * years as u64));
    for (name, what, one, many) in [
        (
            format!("paired/{cores}-engines-vs-1"),
            format!("machine: {cores} one-thread engines at once / 1 alone, throughput"),
            &engine_alone as &dyn Fn() -> (Duration, Duration),
            &engines as &dyn Fn() -> (Duration, Duration),
        ),
        (
            format!("paired/{cores}-loops-vs-1"),
            format!("machine: {cores} hand-written loops at once / 1 alone, throughput"),
            &hand,
            &loops,
        ),
    ] {
        let ratios = Mutex::new(Vec::new());
        g.bench_function(name, |b| {
            b.iter_custom(|iters| pair_rounds(iters, &ratios, one, many))
        });
        report_ratios(&what, &scale(ratios, cores as f64));
    }
    // The engine on every core against the same cores running one-thread engines side by
    // side, paired in the same rounds: the throughput of the first over the second (the
    // copies do `cores` times the work), 1 when splitting one run costs nothing over running
    // independent ones.
    g.throughput(Throughput::Elements(n * 12 * years as u64));
    let ratios = Mutex::new(Vec::new());
    g.bench_function(format!("paired/{cores}-threads-vs-{cores}-engines"), |b| {
        b.iter_custom(|iters| pair_rounds(iters, &ratios, engines, || run(cores)))
    });
    report_ratios(
        &format!("engine on {cores} threads / {cores} one-thread engines at once, throughput"),
        &scale(ratios, 1.0 / cores as f64),
    );
}

/// The recorded ratios times `k`.
fn scale(ratios: Ratios, k: f64) -> Vec<(f64, f64)> {
    ratios
        .into_inner()
        .unwrap()
        .iter()
        .map(|&(w, c)| (w * k, c * k))
        .collect()
}

/// Wall time and the process's CPU time (every thread's, `CLOCK_PROCESS_CPUTIME_ID`) of `f`.
fn timed(f: impl FnOnce()) -> (Duration, Duration) {
    let cpu = || {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid, writable timespec for the duration of the call.
        let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
        assert_eq!(rc, 0, "clock_gettime");
        Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
    };
    let (c0, t0) = (cpu(), Instant::now());
    f();
    (t0.elapsed(), cpu() - c0)
}

/// Per round: the speed ratios `a` time / `b` time, of wall time and of CPU time.
type Ratios = Mutex<Vec<(f64, f64)>>;

/// `iters` rounds of the pair (`a`, `b`), each timing both in turn (`a` first in even rounds,
/// `b` first in odd ones); records the ratios of every round and returns `b`'s total wall
/// time.
fn pair_rounds(
    iters: u64,
    ratios: &Ratios,
    a: impl Fn() -> (Duration, Duration),
    b: impl Fn() -> (Duration, Duration),
) -> Duration {
    let mut total = Duration::ZERO;
    let mut ratios = ratios.lock().unwrap();
    for _ in 0..iters {
        let (ta, tb) = if ratios.len() % 2 == 0 {
            let ta = a();
            (ta, b())
        } else {
            let tb = b();
            (a(), tb)
        };
        total += tb.0;
        ratios.push((
            ta.0.as_secs_f64() / tb.0.as_secs_f64(),
            ta.1.as_secs_f64() / tb.1.as_secs_f64(),
        ));
    }
    total
}

/// Prints the rounds' speed ratios, of wall and of CPU time: median, quartiles, extremes, and
/// the geometric mean with its standard error (of the mean log ratio, rounds taken as
/// independent).
fn report_ratios(what: &str, ratios: &[(f64, f64)]) {
    for (clock, pick) in [
        ("wall", (|r: &(f64, f64)| r.0) as fn(&(f64, f64)) -> f64),
        ("cpu", |r| r.1),
    ] {
        let mut r: Vec<f64> = ratios.iter().map(pick).collect();
        if r.len() < 2 {
            return;
        }
        r.sort_by(f64::total_cmp);
        let q = |p: f64| r[((r.len() - 1) as f64 * p).round() as usize];
        let k = r.len() as f64;
        let logs: Vec<f64> = r.iter().map(|x| x.ln()).collect();
        let mean = logs.iter().sum::<f64>() / k;
        let var = logs.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / (k - 1.0);
        let se = (var / k).sqrt();
        eprintln!(
            "paired {what} ({clock}): median {:.3} x, quartiles {:.3}-{:.3}, range {:.3}-{:.3}; \
             geometric mean {:.3} x (se {:.3} in log), {} rounds",
            q(0.5),
            q(0.25),
            q(0.75),
            r[0],
            r[r.len() - 1],
            mean.exp(),
            se,
            r.len()
        );
    }
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

/// What `metrics.annual_poverty` costs: the baseline on one thread with the key on against
/// off, timed in turn round by round (`paired/annual-vs-off`: off time / on time, a speed ratio
/// below 1). On, every month of every household is stepped to sum the year's income.
fn annual_poverty(c: &mut Criterion) {
    let n = PAIRED_HOUSEHOLDS;
    let off = model("baseline.toml", n, &[]);
    let on = model("baseline.toml", n, &["metrics.annual_poverty=true"]);
    let once = |m: &Model| {
        timed(|| {
            black_box(
                engine::run(
                    std::slice::from_ref(m),
                    &RunOptions {
                        threads: 1,
                        progress: None,
                    },
                )
                .unwrap(),
            );
        })
    };
    let mut g = c.benchmark_group("annual");
    g.sample_size(10);
    g.throughput(Throughput::Elements(household_months(&on)));
    let ratios = Mutex::new(Vec::new());
    g.bench_function("paired/annual-vs-off", |b| {
        b.iter_custom(|iters| pair_rounds(iters, &ratios, || once(&off), || once(&on)))
    });
    report_ratios(
        "baseline, annual poverty on / off, 1 thread (speed)",
        &ratios.into_inner().unwrap(),
    );
    g.finish();
}

criterion_group!(benches, reference, engine_benches, annual_poverty);
criterion_main!(benches);
