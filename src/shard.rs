//! Exact partial results: the integer counters (and parameter draws) of whole replications,
//! written by `run --shard i/n` and by every run as checkpoints, and combined by `merge` or
//! `run --resume` into the same bytes as one uninterrupted run.
//!
//! Work is split by whole replications, never by households: charity's budget fill and the
//! quota cut-offs need a whole replication's demand. A replication depends only on (seed,
//! replication), so its counters are the same whichever process computes them.
//!
//! **Replication file** (`rep-NNNNNN.bin`, format version 1, little-endian): the 8 bytes
//! `SNCOUNT1`; u32 format version; u32 replication; u32 scenario count; per scenario: u32
//! number of axes, u64 per axis (the shape of [`Counters::to_flat`]), the i64 counters, u32
//! draw count, per draw a u32 key length, the key's UTF-8 bytes and the value's f64 bits as
//! u64; finally the SHA-256 of everything before it (32 bytes), so a truncated or altered
//! file is refused.
//!
//! **Identity** (`shard.json` of a shard, `run.json` of a checkpoint folder): format,
//! versions, each scenario's hash, seed, sizes, shard i/n, the replication list, and the
//! resolved scenario (merged table, key origins, files) that `merge` rebuilds the model from.

use crate::engine::{Model, RunCounters};
use crate::error::{Error, Result};
use crate::metrics::Counters;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 8] = b"SNCOUNT1";
/// Version of the replication file format.
pub const FILE_VERSION: u32 = 1;
/// Version of the identity (`shard.json`) format.
pub const IDENTITY_VERSION: u32 = 1;

/// The counters and draws of one replication, every scenario of the run.
#[derive(Debug, Clone, PartialEq)]
pub struct RepRecord {
    pub rep: u32,
    /// `[scenario]`
    pub counters: Vec<Counters>,
    /// `[scenario] -> (key, value)`
    pub draws: Vec<Vec<(String, f64)>>,
}

/// File name of replication `rep`.
pub fn rep_file_name(rep: u32) -> String {
    format!("rep-{rep:06}.bin")
}

impl RepRecord {
    /// Split a run's counters (of the replications `reps`, in order) into records.
    pub fn split(rc: RunCounters, reps: &[u32]) -> Vec<RepRecord> {
        let mut out: Vec<RepRecord> = reps
            .iter()
            .map(|&rep| RepRecord {
                rep,
                counters: Vec::new(),
                draws: Vec::new(),
            })
            .collect();
        for (per_rep, draws) in rc.per_scenario.into_iter().zip(rc.draws) {
            for ((rec, c), d) in out.iter_mut().zip(per_rep).zip(draws) {
                rec.counters.push(c);
                rec.draws.push(d);
            }
        }
        out
    }

    /// Put records (replications 0..R in order) back together as a run's counters.
    pub fn assemble(records: &[RepRecord], scenarios: usize) -> RunCounters {
        let mut rc = RunCounters {
            per_scenario: vec![Vec::with_capacity(records.len()); scenarios],
            draws: vec![Vec::with_capacity(records.len()); scenarios],
        };
        for r in records {
            for k in 0..scenarios {
                rc.per_scenario[k].push(r.counters[k].clone());
                rc.draws[k].push(r.draws[k].clone());
            }
        }
        rc
    }

    /// The file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(MAGIC);
        b.extend_from_slice(&FILE_VERSION.to_le_bytes());
        b.extend_from_slice(&self.rep.to_le_bytes());
        b.extend_from_slice(&(self.counters.len() as u32).to_le_bytes());
        for (c, draws) in self.counters.iter().zip(&self.draws) {
            let (shape, values) = c.to_flat();
            b.extend_from_slice(&(shape.len() as u32).to_le_bytes());
            for d in shape {
                b.extend_from_slice(&(d as u64).to_le_bytes());
            }
            for v in values {
                b.extend_from_slice(&v.to_le_bytes());
            }
            b.extend_from_slice(&(draws.len() as u32).to_le_bytes());
            for (k, v) in draws {
                b.extend_from_slice(&(k.len() as u32).to_le_bytes());
                b.extend_from_slice(k.as_bytes());
                b.extend_from_slice(&v.to_bits().to_le_bytes());
            }
        }
        let digest = Sha256::digest(&b);
        b.extend_from_slice(&digest);
        b
    }

    /// Read a replication file; `file` names it in errors.
    pub fn from_bytes(bytes: &[u8], file: &str) -> Result<RepRecord> {
        let bad = |what: &str| Error::Parse {
            file: file.to_string(),
            message: format!(
                "not a valid safetynet replication file (format {FILE_VERSION}): {what}"
            ),
        };
        if bytes.len() < MAGIC.len() + 32 || &bytes[..MAGIC.len()] != MAGIC {
            return Err(bad("it does not start with SNCOUNT1"));
        }
        let (body, digest) = bytes.split_at(bytes.len() - 32);
        if Sha256::digest(body).as_slice() != digest {
            return Err(bad("its SHA-256 does not match (truncated or altered)"));
        }
        let mut r = Reader {
            b: body,
            at: MAGIC.len(),
        };
        let version = r.u32().ok_or_else(|| bad("no version"))?;
        if version != FILE_VERSION {
            return Err(bad(&format!("format version {version}")));
        }
        let rep = r.u32().ok_or_else(|| bad("no replication"))?;
        let n = r.u32().ok_or_else(|| bad("no scenario count"))?;
        let mut counters = Vec::new();
        let mut draws = Vec::new();
        for _ in 0..n {
            let axes = r.u32().ok_or_else(|| bad("no shape"))? as usize;
            if axes > 16 {
                return Err(bad("too many axes"));
            }
            let mut shape = Vec::with_capacity(axes);
            for _ in 0..axes {
                shape.push(r.u64().ok_or_else(|| bad("short shape"))? as usize);
            }
            let len = shape[..axes.saturating_sub(1)]
                .iter()
                .try_fold(1usize, |a, &d| a.checked_mul(d))
                .and_then(|x| x.checked_add(*shape.last()?))
                .filter(|&x| x <= r.remaining() / 8)
                .ok_or_else(|| bad("shape larger than the file"))?;
            let mut values = Vec::with_capacity(len);
            for _ in 0..len {
                values.push(r.u64().ok_or_else(|| bad("short counters"))? as i64);
            }
            let c = Counters::from_flat(&shape, &values).ok_or_else(|| {
                bad(&format!(
                    "counter shape {shape:?} is not this build's (another safetynet version?)"
                ))
            })?;
            counters.push(c);
            let nd = r.u32().ok_or_else(|| bad("no draw count"))?;
            let mut d = Vec::new();
            for _ in 0..nd {
                let kl = r.u32().ok_or_else(|| bad("short draw"))? as usize;
                let key = r
                    .take(kl)
                    .and_then(|k| std::str::from_utf8(k).ok())
                    .ok_or_else(|| bad("bad draw key"))?
                    .to_string();
                let v = f64::from_bits(r.u64().ok_or_else(|| bad("short draw"))?);
                d.push((key, v));
            }
            draws.push(d);
        }
        if r.remaining() != 0 {
            return Err(bad("trailing bytes"));
        }
        Ok(RepRecord {
            rep,
            counters,
            draws,
        })
    }

    /// Read `dir/rep-NNNNNN.bin`.
    pub fn read(dir: &Path, rep: u32) -> Result<RepRecord> {
        let p = dir.join(rep_file_name(rep));
        let bytes = std::fs::read(&p).map_err(|source| Error::Read {
            path: p.clone(),
            source,
        })?;
        let r = Self::from_bytes(&bytes, &p.display().to_string())?;
        if r.rep != rep {
            return Err(Error::Parse {
                file: p.display().to_string(),
                message: format!("holds replication {} instead of {rep}", r.rep),
            });
        }
        Ok(r)
    }
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let s = self.b.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(s)
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn remaining(&self) -> usize {
        self.b.len() - self.at
    }
}

/// `--shard i/n`: part `index` (1-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardSpec {
    pub index: u32,
    pub count: u32,
}

impl ShardSpec {
    /// Parse `i/n` for a run of `replications`.
    pub fn parse(s: &str, replications: u32) -> Result<ShardSpec> {
        let usage = |why: &str| {
            Error::Usage(format!(
                "--shard `{s}`: {why}; expected i/n with 1 ≤ i ≤ n ≤ replications ({replications}), e.g. --shard 2/4"
            ))
        };
        let (i, n) = s.split_once('/').ok_or_else(|| usage("no `/`"))?;
        let i: u32 = i
            .trim()
            .parse()
            .map_err(|_| usage("i is not a whole number"))?;
        let n: u32 = n
            .trim()
            .parse()
            .map_err(|_| usage("n is not a whole number"))?;
        if n == 0 || i == 0 || i > n {
            return Err(usage("i must be from 1 to n"));
        }
        if n > replications {
            return Err(usage(
                "more shards than replications (shards hold whole replications)",
            ));
        }
        Ok(ShardSpec { index: i, count: n })
    }

    /// The replications of this shard: a contiguous block, sizes differing by at most one.
    pub fn replications(&self, total: u32) -> Vec<u32> {
        let (i, n, r) = (self.index as u64, self.count as u64, total as u64);
        ((i - 1) * r / n..i * r / n).map(|x| x as u32).collect()
    }
}

impl std::fmt::Display for ShardSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The resolved scenario of a run, enough to rebuild its model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioParts {
    pub name: String,
    pub hash: String,
    /// The merged scenario table as TOML (defaults and overrides included).
    pub table: String,
    pub origin: BTreeMap<String, String>,
    pub files: Vec<PathBuf>,
    /// SHA-256 of the microdata files (households, then persons; empty without microdata):
    /// the scenario hash covers their paths, not what they hold.
    #[serde(default)]
    pub microdata_sha256: Vec<String>,
}

/// What a shard or a checkpoint folder holds, and of which run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Identity {
    pub format: String,
    pub format_version: u32,
    pub file_format_version: u32,
    pub safetynet_version: String,
    pub seed: u64,
    pub replications: u32,
    pub households: u64,
    pub start_year: i32,
    pub years: u32,
    /// `None` for a whole run's checkpoints.
    pub shard: Option<ShardSpec>,
    /// Replications this part holds.
    pub replication_list: Vec<u32>,
    pub scenarios: Vec<ScenarioParts>,
    /// The command that wrote it (not compared).
    pub command: Vec<String>,
}

impl Identity {
    /// The identity of a run of `models` over `reps`.
    pub fn new(
        models: &[Model],
        shard: Option<ShardSpec>,
        reps: &[u32],
        command: Vec<String>,
    ) -> Result<Identity> {
        let sim = &models[0].scenario().simulation;
        let scenarios = models
            .iter()
            .map(|m| {
                Ok(ScenarioParts {
                    name: m.scenario().name.clone(),
                    hash: m.loaded.hash.clone(),
                    table: toml::to_string(&m.loaded.table)
                        .map_err(|e| Error::Internal(format!("scenario table as TOML: {e}")))?,
                    origin: m.loaded.origin.clone(),
                    files: m.loaded.files.clone(),
                    microdata_sha256: microdata_sha256(m),
                })
            })
            .collect::<Result<_>>()?;
        Ok(Identity {
            format: "safetynet-shard".into(),
            format_version: IDENTITY_VERSION,
            file_format_version: FILE_VERSION,
            safetynet_version: env!("CARGO_PKG_VERSION").to_string(),
            seed: sim.seed,
            replications: sim.replications,
            households: sim.households,
            start_year: sim.start_year,
            years: sim.years,
            shard,
            replication_list: reps.to_vec(),
            scenarios,
            command,
        })
    }

    /// As JSON.
    pub fn to_json(&self) -> Result<Vec<u8>> {
        serde_json::to_vec_pretty(self).map_err(|e| Error::Internal(e.to_string()))
    }

    /// Read `path`; errors name `what` (the shard folder).
    pub fn read(path: &Path, what: &str) -> Result<Identity> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| Error::Parse {
            file: path.display().to_string(),
            message: format!("malformed JSON: {e}"),
        })?;
        if v.get("format").and_then(|f| f.as_str()) != Some("safetynet-shard") {
            return Err(Error::Parse {
                file: path.display().to_string(),
                message: format!(
                    "{what}: not a safetynet shard manifest (no `format = \"safetynet-shard\"`)"
                ),
            });
        }
        let version = v.get("format_version").and_then(|f| f.as_u64());
        if version != Some(IDENTITY_VERSION as u64) {
            return Err(Error::Parse {
                file: path.display().to_string(),
                message: format!(
                    "{what}: shard format version {} (this safetynet reads {IDENTITY_VERSION})",
                    version.map(|x| x.to_string()).unwrap_or("missing".into())
                ),
            });
        }
        let id: Identity = serde_json::from_value(v).map_err(|e| Error::Parse {
            file: path.display().to_string(),
            message: format!("{what}: {e}"),
        })?;
        // A hand-edited or foreign file must not reach an index or an allocation unchecked.
        let bad = |message: String| Error::Parse {
            file: path.display().to_string(),
            message: format!("{what}: {message}"),
        };
        if let Some(sh) = id.shard {
            if sh.count == 0 || sh.index == 0 || sh.index > sh.count {
                return Err(bad(format!(
                    "shard {}/{}: the index must be 1 to the count, the count at least 1",
                    sh.index, sh.count
                )));
            }
            if sh.count > id.replications {
                return Err(bad(format!(
                    "{} shards of {} replications: a shard holds whole replications",
                    sh.count, id.replications
                )));
            }
        }
        if let Some(r) = id.replication_list.iter().find(|&&r| r >= id.replications) {
            return Err(bad(format!(
                "replication {r} listed, the run has {} (0 to {})",
                id.replications,
                id.replications.saturating_sub(1)
            )));
        }
        Ok(id)
    }

    /// The first setting in which `other` differs from `self` (the command aside): its name
    /// and both values.
    pub fn difference(&self, other: &Identity) -> Option<(String, String, String)> {
        let pairs: [(&str, String, String); 9] = [
            (
                "safetynet version",
                self.safetynet_version.clone(),
                other.safetynet_version.clone(),
            ),
            (
                "file format version",
                self.file_format_version.to_string(),
                other.file_format_version.to_string(),
            ),
            ("seed", self.seed.to_string(), other.seed.to_string()),
            (
                "replications",
                self.replications.to_string(),
                other.replications.to_string(),
            ),
            (
                "households",
                self.households.to_string(),
                other.households.to_string(),
            ),
            (
                "start year",
                self.start_year.to_string(),
                other.start_year.to_string(),
            ),
            ("years", self.years.to_string(), other.years.to_string()),
            (
                "shard count",
                self.shard
                    .map(|s| s.count.to_string())
                    .unwrap_or("none".into()),
                other
                    .shard
                    .map(|s| s.count.to_string())
                    .unwrap_or("none".into()),
            ),
            ("scenarios", names(&self.scenarios), names(&other.scenarios)),
        ];
        if let Some((k, a, b)) = pairs.into_iter().find(|(_, a, b)| a != b) {
            return Some((k.to_string(), a, b));
        }
        for (a, b) in self.scenarios.iter().zip(&other.scenarios) {
            if a.hash != b.hash {
                return Some((
                    format!("scenario hash of `{}`", a.name),
                    a.hash.clone(),
                    b.hash.clone(),
                ));
            }
            if a.microdata_sha256 != b.microdata_sha256 {
                return Some((
                    format!("microdata SHA-256 of `{}`", a.name),
                    sha_list(&a.microdata_sha256),
                    sha_list(&b.microdata_sha256),
                ));
            }
        }
        None
    }

    /// Rebuild the models this part was computed with, checking each scenario's hash.
    pub fn models(&self, what: &str) -> Result<Vec<Model>> {
        self.scenarios
            .iter()
            .map(|p| {
                let table: toml::Table = p.table.parse().map_err(|e| Error::Parse {
                    file: what.to_string(),
                    message: format!("scenario `{}`: malformed table: {e}", p.name),
                })?;
                let loaded = crate::scenario::LoadedScenario::from_parts(
                    table,
                    p.origin.clone(),
                    p.files.clone(),
                    what,
                )?;
                if loaded.hash != p.hash {
                    return Err(Error::Parse {
                        file: what.to_string(),
                        message: format!(
                            "scenario `{}` resolves to hash {} here but the shard recorded {} \
                             (another safetynet version or edited manifest)",
                            p.name, loaded.hash, p.hash
                        ),
                    });
                }
                let model = Model::new(&loaded)?;
                let now = microdata_sha256(&model);
                if now != p.microdata_sha256 {
                    return Err(Error::Parse {
                        file: what.to_string(),
                        message: format!(
                            "scenario `{}`: the microdata files now have SHA-256 {}, but the \
                             shard was computed from {} (the files changed since)",
                            p.name,
                            sha_list(&now),
                            sha_list(&p.microdata_sha256)
                        ),
                    });
                }
                Ok(model)
            })
            .collect()
    }
}

/// SHA-256 of a model's microdata files (empty without microdata).
fn microdata_sha256(m: &Model) -> Vec<String> {
    m.pop
        .microdata
        .as_ref()
        .map(|md| md.sha256.clone())
        .unwrap_or_default()
}

fn sha_list(v: &[String]) -> String {
    if v.is_empty() {
        "none (no microdata)".into()
    } else {
        v.join(" + ")
    }
}

fn names(s: &[ScenarioParts]) -> String {
    s.iter()
        .map(|p| p.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cover_every_replication_once() {
        for r in 1..30 {
            for n in 1..=r {
                let all: Vec<u32> = (1..=n)
                    .flat_map(|i| ShardSpec { index: i, count: n }.replications(r))
                    .collect();
                assert_eq!(all, (0..r).collect::<Vec<_>>());
            }
        }
    }

    #[test]
    fn bad_shard_specs_are_usage_errors() {
        for s in ["", "1", "0/3", "4/3", "a/3", "1/0", "1/9"] {
            assert!(ShardSpec::parse(s, 4).is_err(), "{s}");
        }
        assert_eq!(
            ShardSpec::parse("2/4", 4).unwrap(),
            ShardSpec { index: 2, count: 4 }
        );
    }

    #[test]
    fn replication_files_round_trip_and_refuse_damage() {
        let mut c = Counters::new(3, 2);
        c.slot(1, 1, 0)[4] = -17;
        c.slot(2, 0, 1)[0] = i64::MAX;
        let r = RepRecord {
            rep: 5,
            counters: vec![c.clone(), c.with_incidence()],
            draws: vec![vec![("a.b".into(), 0.1 + 0.2)], vec![]],
        };
        let b = r.to_bytes();
        assert_eq!(RepRecord::from_bytes(&b, "f").unwrap(), r);
        for cut in [0, 8, b.len() / 2, b.len() - 1] {
            assert!(RepRecord::from_bytes(&b[..cut], "f").is_err());
        }
        let mut flipped = b.clone();
        flipped[40] ^= 1;
        assert!(RepRecord::from_bytes(&flipped, "f").is_err());
    }
}
