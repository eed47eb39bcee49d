//! `safetynet population sample|describe|import`: export the synthetic population (also in
//! the microdata import schema), compare its statistics with the stratum targets it was built
//! from, or check microdata files.

use super::{print_out, SimArgs};
use crate::error::{Error, Result};
use crate::population::{microdata, PopulationModel, Region};
use crate::scenario::{self, LoadedScenario};
use clap::{Args, Subcommand};
use std::fmt::Write as _;
use std::path::PathBuf;

/// `population` subcommands.
#[derive(Debug, Subcommand)]
pub enum PopulationCmd {
    /// Write a sample of households (one row each) to a CSV file.
    Sample(SampleArgs),
    /// Print sample statistics next to the stratum targets.
    Describe(DescribeArgs),
    /// Check microdata files (households CSV, optional persons CSV) and print their strata.
    Import(ImportArgs),
}

/// Arguments of `population import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Household CSV (schema in scenarios/README.md).
    pub households: PathBuf,
    /// Person CSV (default: members are drawn from the strata's shares).
    #[arg(long, value_name = "FILE")]
    pub persons: Option<PathBuf>,
    /// Scenario whose settings apply (default: the embedded defaults).
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,
    /// Disclosure control threshold k (default: population.microdata.min_cell_households).
    #[arg(long, value_name = "N")]
    pub min_cell: Option<u64>,
}

/// Arguments of `population sample`.
#[derive(Debug, Args)]
pub struct SampleArgs {
    /// Scenario (default: the embedded defaults, i.e. the synthetic 2023 population).
    pub scenario: Option<PathBuf>,
    /// Output CSV file.
    #[arg(long)]
    pub out: PathBuf,
    /// Replication whose sample to export.
    #[arg(long, default_value_t = 0)]
    pub replication: u32,
    /// Write the microdata import schema (household_id, province, region, weight, size,
    /// income_pc_month, assets_pc, migrant), readable by --population and `population import`.
    #[arg(long)]
    pub microdata_format: bool,
    /// With --microdata-format: also write the members to this person CSV.
    #[arg(long, value_name = "FILE", requires = "microdata_format")]
    pub persons_out: Option<PathBuf>,
    /// Only households of this province (repeatable; a province of the strata table).
    #[arg(long = "province", value_name = "NAME")]
    pub provinces: Vec<String>,
    #[command(flatten)]
    pub sim: SimArgs,
}

/// Arguments of `population describe`.
#[derive(Debug, Args)]
pub struct DescribeArgs {
    /// Scenario (default: the embedded defaults).
    pub scenario: Option<PathBuf>,
    #[command(flatten)]
    pub sim: SimArgs,
}

fn load(scenario: &Option<PathBuf>, sim: &SimArgs) -> Result<LoadedScenario> {
    match scenario {
        Some(p) => sim.load(p),
        None => {
            let base = scenario::load_str("", "<embedded defaults>")?;
            let mut sets = Vec::new();
            if let Some(n) = sim.households {
                sets.push((
                    "simulation.households".to_string(),
                    toml::Value::Integer(n as i64),
                ));
            }
            if let Some(s) = sim.seed {
                sets.push((
                    "simulation.seed".to_string(),
                    toml::Value::Integer(s as i64),
                ));
            }
            for s in &sim.sets {
                sets.push(scenario::parse_override(s)?);
            }
            sets.extend(sim.microdata_sets());
            if sets.is_empty() {
                Ok(base)
            } else {
                base.with_overrides(&sets, "command line")
            }
        }
    }
}

pub(super) fn run(cmd: PopulationCmd) -> Result<()> {
    match cmd {
        PopulationCmd::Sample(a) => sample(a),
        PopulationCmd::Describe(a) => describe(a),
        PopulationCmd::Import(a) => import(a),
    }
}

/// Check `--province` names against the strata.
fn province_filter(pop: &PopulationModel, names: &[String]) -> Result<Vec<String>> {
    for n in names {
        if !pop.strata.strata.iter().any(|s| &s.province == n) {
            let mut all: Vec<&str> = pop
                .strata
                .strata
                .iter()
                .map(|s| s.province.as_str())
                .collect();
            all.dedup();
            return Err(Error::Usage(format!(
                "--province `{n}`: allowed: a province of the population: {}",
                all.join(", ")
            )));
        }
    }
    Ok(names.to_vec())
}

fn sample_microdata(
    a: &SampleArgs,
    loaded: &LoadedScenario,
    pop: &PopulationModel,
    files: crate::folder::StagedFiles,
) -> Result<()> {
    let keep = province_filter(pop, &a.provinces)?;
    let (households, persons, n) =
        microdata::export(pop, &loaded.scenario.simulation, a.replication, |st| {
            keep.is_empty() || keep.contains(&st.province)
        })?;
    let mut contents: Vec<&[u8]> = vec![&households];
    let mut msg = format!("wrote {n} households to {}", a.out.display());
    if let Some(p) = &a.persons_out {
        contents.push(&persons);
        msg.push_str(&format!(" and their members to {}", p.display()));
    }
    files.write_all(&contents)?;
    print_out(&format!("{msg}\n"))
}

fn import(a: ImportArgs) -> Result<()> {
    let sim = SimArgs {
        households: None,
        reps: None,
        seed: None,
        years: None,
        chunk_size: None,
        sets: Vec::new(),
        threads: 0,
        quiet: true,
        population: Some(a.households.clone()),
        persons: a.persons.clone(),
        min_cell: a.min_cell,
    };
    let loaded = load(&a.scenario, &sim)?;
    let pop = PopulationModel::new(&loaded.scenario, &loaded.scenario.name)?;
    let md = pop
        .microdata
        .as_ref()
        .ok_or_else(|| Error::Internal("microdata not loaded".into()))?;
    let mut out = String::new();
    let persons_note = match &md.persons_file {
        Some(p) => format!("members from {p}"),
        None => "members drawn from the strata's shares".into(),
    };
    let _ = writeln!(
        out,
        "ok  {}: {} households in {} strata; {persons_note}",
        md.households_file,
        md.records.len(),
        pop.strata.strata.len()
    );
    let _ = writeln!(
        out,
        "{:<28} {:>8} {:>24} {:>22}",
        "stratum", "records", "households represented", "persons represented"
    );
    let (mut n, mut hh, mut persons) = (0, 0.0, 0.0);
    for (st, rs) in pop.strata.strata.iter().zip(&md.strata) {
        let _ = writeln!(
            out,
            "{:<28} {:>8} {:>24.0} {:>22.0}",
            st.name,
            rs.records.len(),
            st.households,
            st.persons
        );
        n += rs.records.len();
        hh += st.households;
        persons += st.persons;
    }
    let _ = writeln!(out, "{:<28} {n:>8} {hh:>24.0} {persons:>22.0}", "total");
    let k = md.min_cell as usize;
    let mut small: Vec<String> = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for st in &pop.strata.strata {
        if seen.contains(&st.province.as_str()) {
            continue;
        }
        seen.push(&st.province);
        let records: usize = pop
            .strata
            .strata
            .iter()
            .zip(&md.strata)
            .filter(|(s, _)| s.province == st.province)
            .map(|(_, rs)| rs.records.len())
            .sum();
        if records < k {
            small.push(format!("{} ({records})", st.province));
        }
    }
    let _ = writeln!(
        out,
        "disclosure control: cells resting on fewer than {k} records are suppressed{}",
        if small.is_empty() {
            String::new()
        } else {
            format!(
                "; provinces with fewer records, suppressed entirely with --by-province: {}",
                small.join(", ")
            )
        }
    );
    print_out(&out)
}

fn sample(a: SampleArgs) -> Result<()> {
    let loaded = load(&a.scenario, &a.sim)?;
    let s = &loaded.scenario;
    let pop = PopulationModel::new(s, &loaded.scenario.name)?;
    if pop.microdata.is_some() {
        // Microdata is personal data: outputs are aggregates only.
        return Err(Error::Usage(
            "population sample writes one row per household, which with microdata would copy \
             personal records; with microdata only aggregates are written (check the files with \
             `population import`, summarise them with `population describe`)"
                .into(),
        ));
    }
    // The output paths are checked before the sample is drawn; the files are written
    // together or not at all.
    let mut outs: Vec<(&str, &std::path::Path)> = vec![("--out", a.out.as_path())];
    if let (true, Some(p)) = (a.microdata_format, &a.persons_out) {
        outs.push(("--persons-out", p.as_path()));
    }
    let files = crate::folder::StagedFiles::check(&outs)?;
    if a.microdata_format {
        return sample_microdata(&a, &loaded, &pop, files);
    }
    let keep = province_filter(&pop, &a.provinces)?;
    let m = &s.population.members;
    let mut w = csv::Writer::from_writer(Vec::new());
    let err = |e: csv::Error| Error::Internal(e.to_string());
    w.write_record([
        "household",
        "stratum",
        "province",
        "region",
        "weight",
        "size",
        "ages",
        "severe_disability",
        "severe_illness",
        "workers",
        "pupils",
        "migrant",
        "income_pc_month",
        "assets_pc",
    ])
    .map_err(err)?;
    let mut written = 0u64;
    for i in 0..pop.alloc.total() {
        let province = &pop.strata.strata[pop.alloc.stratum_of(i)].province;
        if !keep.is_empty() && !keep.contains(province) {
            continue;
        }
        written += 1;
        let hh = pop.household(&s.simulation, a.replication, i);
        let st = &pop.strata.strata[hh.stratum as usize];
        let ages: Vec<String> = hh.members().iter().map(|p| p.age.to_string()).collect();
        let income = (hh.log_income_perm + hh.persistent0).exp();
        w.write_record([
            i.to_string(),
            st.name.clone(),
            st.province.clone(),
            st.region.as_str().to_string(),
            format!("{:.3}", pop.alloc.weight[hh.stratum as usize]),
            hh.size.to_string(),
            ages.join(";"),
            hh.members()
                .iter()
                .filter(|p| p.severe_disability)
                .count()
                .to_string(),
            hh.members()
                .iter()
                .filter(|p| p.severe_illness)
                .count()
                .to_string(),
            hh.workers(m).to_string(),
            hh.pupils(m).to_string(),
            (hh.migrant as u8).to_string(),
            format!("{income:.2}"),
            format!("{:.2}", hh.assets_per_capita),
        ])
        .map_err(err)?;
    }
    let bytes = w.into_inner().map_err(|e| Error::Internal(e.to_string()))?;
    files.write_all(&[&bytes])?;
    print_out(&format!(
        "wrote {written} households to {}\n",
        a.out.display()
    ))
}

#[derive(Default, Clone, Copy)]
struct Acc {
    hh: f64,
    persons: f64,
    old: f64,
    young: f64,
    disabled: f64,
    migrant_persons: f64,
    income: f64,
    t_hh: f64,
    t_persons: f64,
    t_old: f64,
    t_young: f64,
    t_disabled: f64,
    t_migrant: f64,
    t_income: f64,
}

fn describe(a: DescribeArgs) -> Result<()> {
    let loaded = load(&a.scenario, &a.sim)?;
    let s = &loaded.scenario;
    let pop = PopulationModel::new(s, &loaded.scenario.name)?;
    let m = &s.population.members;
    let trans = s.dynamics.income.transitory_sd;
    let mut acc = [Acc::default(); 3];
    for i in 0..pop.alloc.total() {
        let hh = pop.household(&s.simulation, 0, i);
        let si = hh.stratum as usize;
        let w = pop.alloc.weight[si];
        let k = hh.size as f64;
        let r = if pop.strata.strata[si].region == Region::Urban {
            1
        } else {
            2
        };
        // Expected per-capita income at the start (transitory noise averaged out), yuan per year.
        let income = (hh.log_income_perm + hh.persistent0 + 0.5 * trans * trans).exp() * 12.0;
        for j in [0, r] {
            let x = &mut acc[j];
            x.hh += w;
            x.persons += w * k;
            x.old += w * hh
                .members()
                .iter()
                .filter(|p| p.age > m.working_age_max)
                .count() as f64;
            x.young += w * hh
                .members()
                .iter()
                .filter(|p| p.age < m.working_age_min)
                .count() as f64;
            x.disabled += w * hh.members().iter().filter(|p| p.severe_disability).count() as f64;
            x.migrant_persons += w * k * hh.migrant as u8 as f64;
            x.income += w * k * income;
        }
    }
    for (si, st) in pop.strata.strata.iter().enumerate() {
        let _ = si;
        let r = if st.region == Region::Urban { 1 } else { 2 };
        for j in [0, r] {
            let x = &mut acc[j];
            x.t_hh += st.households;
            x.t_persons += st.persons;
            x.t_old += st.persons * st.share_60plus;
            x.t_young += st.persons * st.share_under16;
            x.t_disabled += st.persons * st.severe_disability;
            x.t_migrant += st.persons * st.migrant_share;
            x.t_income += st.persons * st.target_income_mean * 12.0;
        }
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Population of `{}`: {} sample households (replication 0), weighted, against the stratum targets",
        s.name,
        pop.alloc.total()
    );
    let _ = writeln!(
        out,
        "{:<34} {:>14} {:>14} {:>14} {:>14} {:>14} {:>14}",
        "statistic", "national", "target", "urban", "target", "rural", "target"
    );
    type Row = (&'static str, fn(&Acc) -> (f64, f64));
    let rows: [Row; 8] = [
        ("households (million)", |x| (x.hh / 1e6, x.t_hh / 1e6)),
        ("persons (million)", |x| {
            (x.persons / 1e6, x.t_persons / 1e6)
        }),
        ("mean household size", |x| {
            (x.persons / x.hh, x.t_persons / x.t_hh)
        }),
        ("share aged 60+", |x| {
            (x.old / x.persons, x.t_old / x.t_persons)
        }),
        ("share aged under 16", |x| {
            (x.young / x.persons, x.t_young / x.t_persons)
        }),
        ("share severely disabled", |x| {
            (x.disabled / x.persons, x.t_disabled / x.t_persons)
        }),
        ("share migrant (persons)", |x| {
            (x.migrant_persons / x.persons, x.t_migrant / x.t_persons)
        }),
        ("income per capita (yuan/year)", |x| {
            (x.income / x.persons, x.t_income / x.t_persons)
        }),
    ];
    // With microdata, a column resting on fewer than k records (but some) is withheld, and
    // then urban and rural together, so that neither is national minus the other.
    let mut withheld: Vec<bool> = match &pop.microdata {
        Some(md) => [None, Some(Region::Urban), Some(Region::Rural)]
            .iter()
            .map(|r| {
                let n: usize = pop
                    .strata
                    .strata
                    .iter()
                    .zip(&md.strata)
                    .filter(|(st, _)| r.map_or(true, |r| st.region == r))
                    .map(|(_, rs)| rs.records.len())
                    .sum();
                n > 0 && (n as u64) < md.min_cell
            })
            .collect(),
        None => vec![false; 3],
    };
    if withheld[1] || withheld[2] {
        let has = |r: Region| pop.strata.strata.iter().any(|s| s.region == r);
        withheld[1] = has(Region::Urban);
        withheld[2] = has(Region::Rural);
    }
    for (name, f) in rows {
        let mut line = format!("{name:<34}");
        for (x, hidden) in acc.iter().zip(&withheld) {
            let (v, t) = f(x);
            if *hidden {
                let _ = write!(line, " {:>14} {:>14}", "suppressed", "suppressed");
            } else {
                let _ = write!(line, " {:>14} {:>14}", fmt(v), fmt(t));
            }
        }
        let _ = writeln!(out, "{line}");
    }
    print_out(&out)
}

fn fmt(v: f64) -> String {
    if v.abs() >= 1000.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.4}")
    }
}
