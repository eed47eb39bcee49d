//! Bring-your-own microdata: households (and optionally persons) from CSV files with survey
//! weights, used in place of the generator, with a weighted bootstrap per replication and
//! disclosure control of the outputs.
//!
//! # Schema
//!
//! `households.csv`, one row per household (extra columns are ignored; rows are numbered as
//! lines of the file, the header being row 1):
//!
//! | column | meaning | allowed |
//! |---|---|---|
//! | `household_id` | identifier | any non-empty text, unique in the file |
//! | `province` | province | a province of the embedded strata table, English or Chinese name (`Henan`, `河南省`) |
//! | `region` | where the household lives | `urban` or `rural` |
//! | `weight` | households the record represents (survey weight) | a number > 0 |
//! | `size` | members | a whole number from 1 to 8 |
//! | `income_pc_month` | disposable income per person, yuan per month (start-year prices) | a number ≥ 0 |
//! | `assets_pc` | optional: financial assets per person, yuan | a number ≥ 0 (column absent: drawn as the generator does) |
//! | `migrant` | optional: lives away from its hukou place | `0` or `1` (column absent: drawn from the stratum's share) |
//!
//! `persons.csv`, optional, one row per member, in member order: `household_id` (an id of the
//! household file), `age` (whole years 0–120; ages above `population.members.max_age` are
//! simulated at that age), `severe_disability` and `severe_illness` (`0` or `1`). With a person
//! file every household must have exactly `size` person rows; without one, members are drawn
//! as the generator draws them, from the stratum's age structure and prevalences.
//!
//! # Strata, weights and standards
//!
//! Strata are the distinct (province, region) pairs of the file, in the order of the embedded
//! table; a stratum represents the sum of its records' weights. The sample allocation is the
//! generator's (proportional, `simulation.households` in all), each sample household standing
//! for stratum households / stratum sample size. Dibao standards stay those of the embedded
//! table's province and region, scaled by the national averages of the whole table, so a file
//! covering two provinces sees the same standards as the synthetic model. "national" in the
//! outputs means the population the file represents.
//!
//! # Bootstrap
//!
//! Each replication draws, per stratum, a bootstrap resample of the stratum's size in records
//! (m records, or the stratum's sample size n if that is smaller): slot b picks a record with
//! probability ∝ weight, from its own stream of (seed, replication, stratum, slot). Sample
//! household j of the stratum simulates slot j mod m; when n > m each drawn record is
//! simulated n/m times with independent dynamics. The spread over replications therefore
//! carries the sampling error of a survey of the file's size (not of the much larger
//! simulation sample), and the copies only average out the simulated dynamics.
//!
//! # Income
//!
//! The record's income is reproduced exactly at the start (of the burn-in): log income
//! `y = ln(max(income, 1 yuan))` is split into a permanent part and the persistent AR(1)
//! component by their conditional distribution given the sum, with the persistent start value
//! of sd `σc = dynamics.income.persistent_initial_sd` and the permanent part of variance
//! `σp² = max(V − σc², 0)`, V the stratum's weighted variance of y around its mean μ:
//! `persistent0 = λ (y − μ) + sqrt(λ σp²) z` with `λ = σc² / (σp² + σc²)`, and
//! `log_income_perm = y − persistent0`. So `exp(log_income_perm + persistent0)` is the record's
//! income, the start distribution is the survey's (not widened by a second persistent draw),
//! and an unusually low income partly recovers as the persistent component decays.
//!
//! # Disclosure control
//!
//! A cell (year, period, region, metric) is withheld when it rests on fewer than k records
//! (`population.microdata.min_cell_households`, default 10) in any replication: its numbers
//! become NaN in every replication (so no table, delta or chart can show them), and the CSV
//! writers mark the row `suppressed`. The records behind a cell are bounded from below:
//! `metrics::support` gives the distinct sample households behind the figure's
//! smallest non-empty component from the unweighted counters, and since a record drawn into
//! several sample households counts once, the bound is the fewest records whose sample
//! households (most-drawn first) cover that many. The bound errs on the safe side (by about the
//! spread of bootstrap multiplicities). A figure that rests on no household (0, or undefined)
//! is shown; a region with fewer than k distinct records drawn is withheld entirely. Then, so
//! that nothing withheld can be recovered by difference (national = urban + rural = the sum of
//! the provinces), a shown total with withheld parts has further parts withheld, smallest
//! first, until the withheld parts rest on k records together (else the total is withheld
//! too), and a withheld total whose parts are all shown takes its smallest part with it.
//! The rule is applied by `metrics::disclosure` (outputs are above the population layer).

use super::PopulationInputs;
use super::{Allocation, MAX_MEMBERS};
use super::{Household, Member, MemberParams, PopulationModel, Region, StrataTable, Stratum};
use crate::check::Checker;
use crate::error::{Error, Result};
use crate::rng::{stream, Purpose};
use crate::simulation::SimulationParams;
use rand::Rng;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Columns of the household file (`assets_pc` and `migrant` optional).
pub const HOUSEHOLD_COLUMNS: [&str; 8] = [
    "household_id",
    "province",
    "region",
    "weight",
    "size",
    "income_pc_month",
    "assets_pc",
    "migrant",
];
/// Columns of the person file.
pub const PERSON_COLUMNS: [&str; 4] =
    ["household_id", "age", "severe_disability", "severe_illness"];
/// Incomes below this (yuan per person per month) are taken at this level in logs.
pub const MIN_INCOME: f64 = 1.0;
/// Stream units of bootstrap slots: above every household index.
const SLOT_UNIT: u64 = 1 << 63;
/// Name of the strata table in messages.
const TABLE: &str = "synthetic-data/strata-2023.csv";

/// Where households come from (`population.source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The generator over the embedded strata table.
    Synthetic,
    /// The generator over the scenario's inline strata (`population.strata`).
    Inline,
    /// Records of `population.microdata` (CSV files), resampled per replication.
    Microdata,
}

/// `population.microdata.*`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MicrodataParams {
    /// Household CSV, relative to the scenario file that sets it ("" = none).
    pub households: String,
    /// Person CSV, relative to the scenario file that sets it ("" = members are drawn).
    pub persons: String,
    /// Disclosure control: fewest records an output cell may rest on.
    pub min_cell_households: u64,
}

impl MicrodataParams {
    pub(crate) fn validate(&self, c: &mut Checker, source: Source) {
        c.int_range(
            "population.microdata.min_cell_households",
            self.min_cell_households.min(i64::MAX as u64) as i64,
            1,
            1_000_000,
        );
        if source == Source::Microdata && self.households.trim().is_empty() {
            c.fail(
                "population.microdata.households",
                "\"\"",
                "allowed: a household CSV file, relative to the scenario file (population.source = \
                 \"microdata\" needs one; or give --population FILE)",
            );
        }
        if source != Source::Microdata {
            for (key, v) in [("households", &self.households), ("persons", &self.persons)] {
                if !v.is_empty() {
                    c.fail(
                        &format!("population.microdata.{key}"),
                        format!("\"{v}\""),
                        "allowed: \"\" unless population.source = \"microdata\"",
                    );
                }
            }
        }
    }
}

/// One household record.
#[derive(Debug, Clone)]
pub struct Record {
    pub id: String,
    /// Row in the household file (header = 1).
    pub row: usize,
    /// Microdata stratum (index into the population's strata).
    pub stratum: usize,
    pub weight: f64,
    pub size: u8,
    /// Yuan per person per month.
    pub income_pc_month: f64,
    pub assets_pc: Option<f64>,
    pub migrant: Option<bool>,
    /// Members from the person file.
    pub members: Option<[Member; MAX_MEMBERS]>,
}

/// The records of one stratum, ready for weighted draws.
#[derive(Debug, Clone)]
pub struct RecordStratum {
    /// Record indices.
    pub records: Vec<usize>,
    /// Cumulative weights, in record order.
    pub cum_weight: Vec<f64>,
    /// Weighted mean of log income.
    pub log_income_mean: f64,
    /// Shrinkage λ of the persistent start value towards the deviation from the mean.
    pub lambda: f64,
    /// Conditional sd of the persistent start value.
    pub cond_sd: f64,
}

/// Loaded and checked microdata.
#[derive(Debug, Clone)]
pub struct Microdata {
    pub households_file: String,
    pub persons_file: Option<String>,
    pub records: Vec<Record>,
    /// Per stratum of the population, in the same order.
    pub strata: Vec<RecordStratum>,
    /// Disclosure control threshold k.
    pub min_cell: u64,
    /// SHA-256 of the household file and of the person file (for the manifest).
    pub sha256: Vec<String>,
}

/// A CSV file's header: column name → position.
struct Header {
    file: String,
    cols: HashMap<String, usize>,
    sha256: String,
}

impl Header {
    fn col(&self, name: &str, all: &[&str]) -> Result<usize> {
        self.cols.get(name).copied().ok_or_else(|| Error::BadCell {
            file: self.file.clone(),
            row: 1,
            column: name.to_string(),
            value: "(missing)".into(),
            allowed: format!(
                "a header row naming the columns {}; `{name}` is missing",
                all.join(", ")
            ),
        })
    }
}

fn read_csv(path: &str) -> Result<(Header, Vec<(usize, csv::StringRecord)>)> {
    let bytes = std::fs::read(path).map_err(|source| Error::Read {
        path: path.into(),
        source,
    })?;
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(bytes.as_slice());
    let parse = |e: csv::Error| {
        let row = e.position().map(|p| p.line() as usize);
        let message = match e.kind() {
            csv::ErrorKind::UnequalLengths {
                expected_len, len, ..
            } => format!("{len} cells where the header has {expected_len}"),
            _ => e.to_string(),
        };
        Error::Parse {
            file: path.to_string(),
            message: match row {
                Some(r) => format!("row {r}: {message}"),
                None => message,
            },
        }
    };
    let headers = rdr.headers().map_err(parse)?.clone();
    let cols = headers
        .iter()
        .enumerate()
        .map(|(i, h)| (h.trim_start_matches('\u{feff}').trim().to_lowercase(), i))
        .collect();
    let mut rows = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(parse)?;
        let line = rec.position().map(|p| p.line() as usize).unwrap_or(0);
        rows.push((line, rec));
    }
    use sha2::Digest;
    Ok((
        Header {
            file: path.to_string(),
            cols,
            sha256: format!("{:x}", sha2::Sha256::digest(&bytes)),
        },
        rows,
    ))
}

/// A cell reader for one row.
struct Cells<'a> {
    file: &'a str,
    row: usize,
    rec: &'a csv::StringRecord,
}

impl Cells<'_> {
    fn bad(&self, column: &str, value: &str, allowed: impl Into<String>) -> Error {
        Error::BadCell {
            file: self.file.to_string(),
            row: self.row,
            column: column.to_string(),
            value: value.to_string(),
            allowed: allowed.into(),
        }
    }
    fn text(&self, i: usize) -> &str {
        self.rec.get(i).unwrap_or("")
    }
    fn number(&self, i: usize, column: &str, lo: f64, lo_open: bool, what: &str) -> Result<f64> {
        let t = self.text(i);
        match t.parse::<f64>() {
            Ok(v) if v.is_finite() && (v > lo || (!lo_open && v == lo)) && v <= 1e12 => Ok(v),
            _ => Err(self.bad(column, t, format!("{what}, at most 1e12"))),
        }
    }
    fn whole(&self, i: usize, column: &str, lo: u32, hi: u32) -> Result<u32> {
        let t = self.text(i);
        match t.parse::<u32>() {
            Ok(v) if (lo..=hi).contains(&v) => Ok(v),
            _ => Err(self.bad(column, t, format!("a whole number from {lo} to {hi}"))),
        }
    }
    fn flag(&self, i: usize, column: &str) -> Result<bool> {
        match self.text(i) {
            "0" => Ok(false),
            "1" => Ok(true),
            t => Err(self.bad(column, t, "0 or 1")),
        }
    }
}

/// Province names of the embedded table (English and Chinese, lower-cased) → English name.
fn province_names() -> HashMap<String, String> {
    let mut names = HashMap::new();
    let mut rdr = csv::Reader::from_reader(super::STRATA_CSV.as_bytes());
    for rec in rdr.records().flatten() {
        let (en, zh) = (rec.get(0).unwrap_or(""), rec.get(1).unwrap_or(""));
        names.insert(en.to_lowercase(), en.to_string());
        names.insert(zh.to_string(), en.to_string());
    }
    names
}

impl Microdata {
    /// Read and check the files of `population.microdata`, and build the strata they define
    /// from `table` (the embedded strata table of the scenario).
    pub fn load(s: PopulationInputs, table: &StrataTable) -> Result<(Microdata, StrataTable)> {
        let p = &s.population.microdata;
        let hh_file = p.households.clone();
        let (header, rows) = read_csv(&hh_file)?;
        let col = |n: &str| header.col(n, &HOUSEHOLD_COLUMNS[..6]);
        let (c_id, c_prov, c_reg, c_w, c_size, c_inc) = (
            col("household_id")?,
            col("province")?,
            col("region")?,
            col("weight")?,
            col("size")?,
            col("income_pc_month")?,
        );
        let c_assets = header.cols.get("assets_pc").copied();
        let c_migrant = header.cols.get("migrant").copied();
        if rows.is_empty() {
            return Err(Error::Parse {
                file: hh_file,
                message: "no households (a header and at least one row are needed)".into(),
            });
        }
        let names = province_names();
        let mut table_of: Vec<usize> = Vec::new(); // microdata stratum -> table stratum
        let mut ids: HashMap<String, usize> = HashMap::new();
        let mut records = Vec::with_capacity(rows.len());
        let mut raw_strata = Vec::with_capacity(rows.len());
        for (row, rec) in &rows {
            let cells = Cells {
                file: &hh_file,
                row: *row,
                rec,
            };
            let id = cells.text(c_id).to_string();
            if id.is_empty() {
                return Err(cells.bad("household_id", "", "a non-empty identifier"));
            }
            if let Some(first) = ids.get(&id) {
                let first = records
                    .get(*first)
                    .map(|r: &Record| r.row)
                    .unwrap_or_default();
                return Err(cells.bad(
                    "household_id",
                    &id,
                    format!("an identifier used once; already on row {first}"),
                ));
            }
            let prov_text = cells.text(c_prov);
            let Some(province) = names
                .get(&prov_text.to_lowercase())
                .or_else(|| names.get(prov_text))
            else {
                let mut en: Vec<&String> = names
                    .iter()
                    .filter(|(k, v)| k.as_str() == v.to_lowercase())
                    .map(|(_, v)| v)
                    .collect();
                en.sort();
                en.dedup();
                let list: Vec<&str> = en.iter().map(|s| s.as_str()).collect();
                return Err(cells.bad(
                    "province",
                    prov_text,
                    format!(
                        "a province of {TABLE}, in English or Chinese: {}",
                        list.join(", ")
                    ),
                ));
            };
            let reg_text = cells.text(c_reg);
            let region = match reg_text.to_lowercase().as_str() {
                "urban" => Region::Urban,
                "rural" => Region::Rural,
                _ => return Err(cells.bad("region", reg_text, "urban or rural")),
            };
            let Some(t_idx) = table
                .strata
                .iter()
                .position(|st| st.province == *province && st.region == region)
            else {
                return Err(cells.bad(
                    "region",
                    reg_text,
                    format!("a region {province} has in {TABLE}"),
                ));
            };
            let weight = cells.number(
                c_w,
                "weight",
                0.0,
                true,
                "households represented, a number > 0",
            )?;
            let size = cells.whole(c_size, "size", 1, MAX_MEMBERS as u32)? as u8;
            let income = cells.number(
                c_inc,
                "income_pc_month",
                0.0,
                false,
                "yuan per person per month, a number ≥ 0",
            )?;
            let assets_pc = match c_assets {
                Some(i) => Some(cells.number(
                    i,
                    "assets_pc",
                    0.0,
                    false,
                    "yuan per person, a number ≥ 0",
                )?),
                None => None,
            };
            let migrant = match c_migrant {
                Some(i) => Some(cells.flag(i, "migrant")?),
                None => None,
            };
            ids.insert(id.clone(), records.len());
            raw_strata.push(t_idx);
            records.push(Record {
                id,
                row: *row,
                stratum: 0,
                weight,
                size,
                income_pc_month: income,
                assets_pc,
                migrant,
                members: None,
            });
        }
        // Strata in the order of the embedded table.
        let mut present: Vec<usize> = raw_strata.clone();
        present.sort_unstable();
        present.dedup();
        table_of.extend(&present);
        for (r, t) in records.iter_mut().zip(&raw_strata) {
            r.stratum = present.binary_search(t).expect("present");
        }

        let persons_file = if p.persons.trim().is_empty() {
            None
        } else {
            Some(p.persons.clone())
        };
        let mut sha256 = vec![header.sha256.clone()];
        if let Some(pf) = &persons_file {
            let h = read_persons(pf, &hh_file, &mut records, &ids, &s.population.members)?;
            sha256.push(h);
        }

        let (strata, record_strata) = build_strata(s, table, &table_of, &records);
        let md = Microdata {
            households_file: hh_file,
            persons_file,
            records,
            strata: record_strata,
            min_cell: p.min_cell_households,
            sha256,
        };
        Ok((md, strata))
    }

    /// The record simulated by sample household `j` (within stratum `s`) of replication `rep`.
    pub fn record_of(&self, alloc: &Allocation, seed: u64, rep: u32, s: usize, j: u64) -> usize {
        let rs = &self.strata[s];
        let slots = (rs.records.len() as u64).min(alloc.n[s]).max(1);
        self.pick(seed, rep, s, j % slots)
    }

    fn pick(&self, seed: u64, rep: u32, s: usize, slot: u64) -> usize {
        let rs = &self.strata[s];
        let unit = SLOT_UNIT | ((s as u64) << 32) | (slot & 0xFFFF_FFFF);
        let u: f64 = stream(seed, rep, unit, Purpose::Population).random();
        let total = *rs.cum_weight.last().expect("a stratum has records");
        let x = u * total;
        let k = rs
            .cum_weight
            .partition_point(|&c| c <= x)
            .min(rs.records.len() - 1);
        rs.records[k]
    }

    /// How many sample households of replication `rep` simulate each record.
    pub fn multiplicities(&self, alloc: &Allocation, seed: u64, rep: u32) -> Vec<u64> {
        let mut mult = vec![0u64; self.records.len()];
        for (s, rs) in self.strata.iter().enumerate() {
            let n = alloc.n[s];
            let slots = (rs.records.len() as u64).min(n).max(1);
            for b in 0..slots {
                let copies = n / slots + u64::from(b < n % slots);
                mult[self.pick(seed, rep, s, b)] += copies;
            }
        }
        mult
    }

    /// Household `index` of replication `rep`: a bootstrap draw of a record, with the
    /// household's own stream for what the record does not give.
    pub fn household(
        &self,
        pm: &PopulationModel,
        sim: &SimulationParams,
        rep: u32,
        index: u64,
    ) -> Household {
        let s_idx = pm.alloc.stratum_of(index);
        let r = self.record_of(
            &pm.alloc,
            sim.seed,
            rep,
            s_idx,
            index - pm.alloc.start[s_idx],
        );
        let rec = &self.records[r];
        let st = &pm.strata.strata[s_idx];
        let rs = &self.strata[s_idx];
        let p = &pm.params;
        let mut rng = stream(sim.seed, rep, index, Purpose::Population);
        let z_persistent: f64 = rng.sample(StandardNormal);
        let u_migrant: f64 = rng.random();
        let z_assets: f64 = rng.sample(StandardNormal);
        let members = match &rec.members {
            Some(m) => *m,
            None => super::draw_members(&mut rng, st, &p.members, pm.ages, rec.size),
        };
        let y = rec.income_pc_month.max(MIN_INCOME).ln();
        let persistent0 = rs.lambda * (y - rs.log_income_mean) + rs.cond_sd * z_persistent;
        let assets = rec.assets_pc.unwrap_or_else(|| {
            p.assets.median_months_of_income * y.exp() * (p.assets.log_sd * z_assets).exp()
        });
        let mut hh = Household {
            index,
            stratum: s_idx as u16,
            size: rec.size,
            members,
            migrant: rec.migrant.unwrap_or(u_migrant < st.migrant_share),
            log_income_perm: y - persistent0,
            persistent0,
            assets_per_capita: assets,
            left: 0,
            no_worker_income: false,
            // A survey's households formed at its start (`household_of_unit` sets it).
            formed: 0,
        };
        // The record's income is what it is: with no member earning, a no-worker one.
        hh.no_worker_income = pm.earners(&hh) == 0;
        hh
    }
}

fn read_persons(
    pf: &str,
    hh_file: &str,
    records: &mut [Record],
    ids: &HashMap<String, usize>,
    m: &MemberParams,
) -> Result<String> {
    let (header, rows) = read_csv(pf)?;
    let col = |n: &str| header.col(n, &PERSON_COLUMNS);
    let (c_id, c_age, c_dis, c_ill) = (
        col("household_id")?,
        col("age")?,
        col("severe_disability")?,
        col("severe_illness")?,
    );
    let mut count = vec![0usize; records.len()];
    for (row, rec) in &rows {
        let cells = Cells {
            file: pf,
            row: *row,
            rec,
        };
        let id = cells.text(c_id);
        let Some(&r) = ids.get(id) else {
            return Err(cells.bad(
                "household_id",
                id,
                format!("the household_id of a row of {hh_file}"),
            ));
        };
        let age = cells.whole(c_age, "age", 0, 120)?.min(m.max_age as u32) as u8;
        let member = Member {
            age,
            severe_disability: cells.flag(c_dis, "severe_disability")?,
            severe_illness: cells.flag(c_ill, "severe_illness")?,
        };
        let h = &mut records[r];
        if count[r] >= h.size as usize {
            return Err(cells.bad(
                "household_id",
                id,
                format!(
                    "at most `size` = {} person rows for this household ({hh_file} row {})",
                    h.size, h.row
                ),
            ));
        }
        h.members.get_or_insert([Member::default(); MAX_MEMBERS])[count[r]] = member;
        count[r] += 1;
    }
    for (h, n) in records.iter().zip(&count) {
        if *n != h.size as usize {
            return Err(Error::BadCell {
                file: hh_file.to_string(),
                row: h.row,
                column: "size".into(),
                value: h.size.to_string(),
                allowed: format!(
                    "the number of rows of {pf} with household_id `{}`, which is {n}",
                    h.id
                ),
            });
        }
    }
    Ok(header.sha256)
}

/// Strata from the records, carrying the embedded table's standards and (where the files are
/// silent) its shares; and the records of each, ready for weighted draws.
fn build_strata(
    s: PopulationInputs,
    table: &StrataTable,
    table_of: &[usize],
    records: &[Record],
) -> (StrataTable, Vec<RecordStratum>) {
    let sc = s.persistent_initial_sd;
    let mut strata = Vec::with_capacity(table_of.len());
    let mut rstrata = Vec::with_capacity(table_of.len());
    for (si, &ti) in table_of.iter().enumerate() {
        let base: &Stratum = &table.strata[ti];
        let recs: Vec<usize> = (0..records.len())
            .filter(|&r| records[r].stratum == si)
            .collect();
        let mut cum_weight = Vec::with_capacity(recs.len());
        let (mut w, mut persons, mut inc_p, mut ly_w) = (0.0, 0.0, 0.0, 0.0);
        let mut size_w = [0.0; MAX_MEMBERS];
        let (mut old, mut young, mut dis) = (0.0, 0.0, 0.0);
        let (mut mig, mut mig_known) = (0.0, true);
        for &r in &recs {
            let h = &records[r];
            w += h.weight;
            cum_weight.push(w);
            persons += h.weight * h.size as f64;
            inc_p += h.weight * h.size as f64 * h.income_pc_month;
            ly_w += h.weight * h.income_pc_month.max(MIN_INCOME).ln();
            size_w[h.size as usize - 1] += h.weight;
            match h.migrant {
                Some(true) => mig += h.weight,
                Some(false) => {}
                None => mig_known = false,
            }
            if let Some(ms) = &h.members {
                for p in &ms[..h.size as usize] {
                    old += h.weight * f64::from(u8::from(p.age >= 60));
                    young += h.weight * f64::from(u8::from(p.age < 16));
                    dis += h.weight * f64::from(u8::from(p.severe_disability));
                }
            }
        }
        let mu = ly_w / w;
        let var = recs
            .iter()
            .map(|&r| {
                let h = &records[r];
                h.weight * (h.income_pc_month.max(MIN_INCOME).ln() - mu).powi(2)
            })
            .sum::<f64>()
            / w;
        let perm_var = (var - sc * sc).max(0.0);
        let total_var = perm_var + sc * sc;
        let lambda = if total_var > 0.0 {
            sc * sc / total_var
        } else {
            0.0
        };
        let mut acc = 0.0;
        let size_cdf: Vec<f64> = size_w
            .iter()
            .map(|x| {
                acc += x / w;
                acc
            })
            .collect();
        let mean_size = persons / w;
        let with_persons = records[recs[0]].members.is_some();
        let (share_60plus, share_under16, severe_disability) = if with_persons {
            (old / persons, young / persons, dis / persons)
        } else {
            (
                base.share_60plus,
                base.share_under16,
                base.severe_disability,
            )
        };
        let mut size_cdf = size_cdf;
        if let Some(last) = size_cdf.last_mut() {
            *last = 1.0;
        }
        strata.push(Stratum {
            name: base.name.clone(),
            province: base.province.clone(),
            region: base.region,
            households: w,
            persons,
            size_cdf,
            mean_size,
            income_mu: mu,
            income_perm_sd: perm_var.sqrt(),
            persistent_initial_sd: sc,
            target_income_mean: inc_p / persons,
            standard_level: base.standard_level,
            share_60plus,
            share_under16,
            // Members drawn (no person file) follow the embedded shares at this mean size.
            child_share_nonhead: super::strata::child_share_nonhead(
                base.share_under16,
                base.share_60plus,
                mean_size,
            ),
            severe_disability,
            migrant_share: if mig_known {
                mig / w
            } else {
                base.migrant_share
            },
        });
        rstrata.push(RecordStratum {
            records: recs,
            cum_weight,
            log_income_mean: mu,
            lambda,
            cond_sd: (lambda * perm_var).sqrt(),
        });
    }
    let table = StrataTable {
        strata,
        standard_means: Some([
            table.mean_standard_level(Region::Urban),
            table.mean_standard_level(Region::Rural),
        ]),
    };
    (table, rstrata)
}

/// Write households of replication `rep` (those whose stratum `keep` accepts) in the import
/// schema: `(households.csv, persons.csv, households written)`.
pub fn export(
    pm: &PopulationModel,
    sim: &SimulationParams,
    rep: u32,
    keep: impl Fn(&Stratum) -> bool,
) -> Result<(Vec<u8>, Vec<u8>, u64)> {
    let err = |e: csv::Error| Error::Internal(format!("csv: {e}"));
    let mut h = csv::Writer::from_writer(Vec::new());
    let mut p = csv::Writer::from_writer(Vec::new());
    h.write_record(HOUSEHOLD_COLUMNS).map_err(err)?;
    p.write_record(PERSON_COLUMNS).map_err(err)?;
    let width = pm.alloc.total().to_string().len();
    let mut n = 0;
    for i in 0..pm.alloc.total() {
        let st = &pm.strata.strata[pm.alloc.stratum_of(i)];
        if !keep(st) {
            continue;
        }
        let hh = pm.household(sim, rep, i);
        let id = format!("h{:0width$}", i + 1);
        let bit = |b: bool| if b { "1" } else { "0" };
        h.write_record([
            id.as_str(),
            &st.province,
            st.region.as_str(),
            &format!("{:.3}", pm.alloc.weight[hh.stratum as usize]),
            &hh.size.to_string(),
            &format!("{:.2}", (hh.log_income_perm + hh.persistent0).exp()),
            &format!("{:.2}", hh.assets_per_capita),
            bit(hh.migrant),
        ])
        .map_err(err)?;
        for m in hh.members() {
            p.write_record([
                id.as_str(),
                &m.age.to_string(),
                bit(m.severe_disability),
                bit(m.severe_illness),
            ])
            .map_err(err)?;
        }
        n += 1;
    }
    let h = h.into_inner().map_err(|e| Error::Internal(e.to_string()))?;
    let p = p.into_inner().map_err(|e| Error::Internal(e.to_string()))?;
    Ok((h, p, n))
}
