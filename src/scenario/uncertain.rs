//! Parameter uncertainty: any numeric scenario value may be a distribution,
//! `{ dist = "uniform", min = 0.6, max = 0.8 }`, `{ dist = "normal", mean = 0.7, sd = 0.05 }` or
//! `{ dist = "triangular", min = 0.6, mode = 0.7, max = 0.8 }`. Each is drawn once per
//! replication from its own stream (keyed by its key path), so intervals carry parameter
//! uncertainty, scenarios in a comparison draw the same value for the same key, and the draw
//! never depends on the thread count. The scenario is checked at the centre and at both ends
//! of every distribution's range before anything runs.

use crate::error::{Error, Result};
use crate::rng::{stream, Purpose};
use rand::Rng;
use rand_distr::{Distribution, Normal, Triangular, Uniform};
use serde::Serialize;
use toml::{Table, Value};

/// A distribution of a parameter.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "dist", rename_all = "lowercase")]
pub enum Dist {
    Uniform { min: f64, max: f64 },
    Normal { mean: f64, sd: f64 },
    Triangular { min: f64, mode: f64, max: f64 },
}

/// An uncertain parameter: its key path and distribution.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Uncertain {
    pub key: String,
    pub dist: Dist,
    /// The key holds a whole number: draws are rounded.
    pub integer: bool,
}

impl Dist {
    /// The value used to check and describe the scenario: the mean.
    pub fn centre(&self) -> f64 {
        match *self {
            Dist::Uniform { min, max } => 0.5 * (min + max),
            Dist::Normal { mean, .. } => mean,
            Dist::Triangular { min, mode, max } => (min + mode + max) / 3.0,
        }
    }

    /// The range that is checked: the support, or mean ± 4 sd for a normal.
    pub fn ends(&self) -> (f64, f64) {
        match *self {
            Dist::Uniform { min, max } | Dist::Triangular { min, max, .. } => (min, max),
            Dist::Normal { mean, sd } => (mean - 4.0 * sd, mean + 4.0 * sd),
        }
    }

    fn draw<R: Rng>(&self, rng: &mut R) -> f64 {
        match *self {
            Dist::Uniform { min, max } if max > min => {
                Uniform::new(min, max).map(|d| d.sample(rng)).unwrap_or(min)
            }
            Dist::Uniform { min, .. } => min,
            Dist::Normal { mean, sd } => {
                Normal::new(mean, sd).map(|d| d.sample(rng)).unwrap_or(mean)
            }
            Dist::Triangular { min, mode, max } => Triangular::new(min, max, mode)
                .map(|d| d.sample(rng))
                .unwrap_or(mode),
        }
    }
}

fn number(t: &Table, key: &str, name: &str, file: &str) -> Result<f64> {
    match t.get(name) {
        Some(Value::Float(x)) => Ok(*x),
        Some(Value::Integer(i)) => Ok(*i as f64),
        other => Err(Error::bad_key(
            file,
            format!("{key}.{name}"),
            other
                .map(|v| v.to_string())
                .unwrap_or_else(|| "(missing)".into()),
            "allowed: a number",
        )),
    }
}

fn parse(t: &Table, key: &str, file: &str) -> Result<Dist> {
    let kind = t.get("dist").and_then(|v| v.as_str()).unwrap_or("");
    let allowed_keys: &[&str] = match kind {
        "uniform" => &["dist", "min", "max"],
        "normal" => &["dist", "mean", "sd"],
        "triangular" => &["dist", "min", "mode", "max"],
        _ => {
            return Err(Error::bad_key(
                file,
                format!("{key}.dist"),
                t.get("dist").map(|v| v.to_string()).unwrap_or_default(),
                "allowed: \"uniform\", \"normal\" or \"triangular\"",
            ))
        }
    };
    if let Some(extra) = t.keys().find(|k| !allowed_keys.contains(&k.as_str())) {
        return Err(Error::UnknownKey {
            file: file.into(),
            key: format!("{key}.{extra}"),
            suggestion: format!(
                " (allowed for dist = \"{kind}\": {})",
                allowed_keys.join(", ")
            ),
        });
    }
    let d = match kind {
        "uniform" => Dist::Uniform {
            min: number(t, key, "min", file)?,
            max: number(t, key, "max", file)?,
        },
        "normal" => Dist::Normal {
            mean: number(t, key, "mean", file)?,
            sd: number(t, key, "sd", file)?,
        },
        _ => Dist::Triangular {
            min: number(t, key, "min", file)?,
            mode: number(t, key, "mode", file)?,
            max: number(t, key, "max", file)?,
        },
    };
    let ok = match d {
        Dist::Uniform { min, max } => min <= max,
        Dist::Normal { sd, .. } => sd >= 0.0,
        Dist::Triangular { min, mode, max } => min <= mode && mode <= max,
    };
    if !ok {
        return Err(Error::bad_key(
            file,
            key,
            Value::Table(t.clone()),
            "allowed: min ≤ max (uniform), sd ≥ 0 (normal), min ≤ mode ≤ max (triangular)",
        ));
    }
    Ok(d)
}

/// Keys that set a run's structure (sample, horizon, seed, work split): never distributions.
pub const STRUCTURAL: &[&str] = &[
    "simulation.start_year",
    "simulation.years",
    "simulation.households",
    "simulation.replications",
    "simulation.seed",
    "simulation.chunk_size",
    "simulation.burn_in_months",
    "simulation.skip_tolerance",
    "simulation.replay_months",
    "simulation.replay_band",
];

/// Find every distribution in `table`, replace it by its centre, and return the list in key
/// order. `defaults` tells which keys hold whole numbers; `file_of` names the file of a key.
pub fn extract(
    table: &mut Table,
    defaults: &Table,
    file_of: &dyn Fn(&str) -> String,
) -> Result<Vec<Uncertain>> {
    let mut out = Vec::new();
    walk(table, Some(defaults), "", file_of, &mut out)?;
    Ok(out)
}

fn walk(
    t: &mut Table,
    defaults: Option<&Table>,
    prefix: &str,
    file_of: &dyn Fn(&str) -> String,
    out: &mut Vec<Uncertain>,
) -> Result<()> {
    for (k, v) in t.iter_mut() {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        let def = defaults.and_then(|d| d.get(k));
        if let Value::Table(sub) = v {
            if sub.contains_key("dist") {
                if STRUCTURAL.contains(&key.as_str()) {
                    return Err(Error::bad_key(
                        file_of(&key),
                        &key,
                        Value::Table(sub.clone()),
                        "allowed: a fixed whole number; the run's size, horizon and seed \
                         shape the sample and the outputs, so they cannot be distributions \
                         (only model parameters can)",
                    ));
                }
                let dist = parse(sub, &key, &file_of(&key))?;
                let integer = matches!(def, Some(Value::Integer(_)));
                let centre = dist.centre();
                *v = if integer {
                    Value::Integer(centre.round() as i64)
                } else {
                    Value::Float(centre)
                };
                out.push(Uncertain { key, dist, integer });
            } else {
                let sub_def = match def {
                    Some(Value::Table(d)) => Some(d),
                    _ => None,
                };
                walk(sub, sub_def, &key, file_of, out)?;
            }
        }
    }
    Ok(())
}

/// The value of `u` at one end of its range, as a TOML value of the right type.
pub fn value(u: &Uncertain, x: f64) -> Value {
    if u.integer {
        Value::Integer(x.round() as i64)
    } else {
        Value::Float(x)
    }
}

/// Draw every uncertain parameter for replication `rep`: each from the parameter stream of
/// (seed, rep, its key path), whatever else the scenario holds.
pub fn draw(list: &[Uncertain], seed: u64, rep: u32) -> Vec<(String, Value)> {
    list.iter()
        .map(|u| {
            let unit = crate::rng::mix64(u.key.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
            }));
            let mut rng = stream(seed, rep, unit, Purpose::Parameters);
            (u.key.clone(), value(u, u.dist.draw(&mut rng)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(s: &str) -> Table {
        s.parse().unwrap()
    }

    #[test]
    fn distributions_are_replaced_by_their_centre_and_listed() {
        let mut t = table("[a]\nx = { dist = \"uniform\", min = 0.6, max = 0.8 }\ny = 3\n[a.s]\n2024 = { dist = \"normal\", mean = 0.05, sd = 0.01 }\n");
        let d = table("[a]\nx = 0.7\ny = 3\n");
        let list = extract(&mut t, &d, &|_| "f".into()).unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].key, "a.s.2024");
        assert!((t["a"]["x"].as_float().unwrap() - 0.7).abs() < 1e-12);
        assert_eq!(t["a"]["s"]["2024"].as_float(), Some(0.05));
    }

    #[test]
    fn draws_are_reproducible_within_range_and_differ_by_replication() {
        let u = vec![Uncertain {
            key: "k".into(),
            dist: Dist::Triangular {
                min: 1.0,
                mode: 2.0,
                max: 4.0,
            },
            integer: false,
        }];
        let a = draw(&u, 7, 0);
        assert_eq!(a, draw(&u, 7, 0));
        assert_ne!(a, draw(&u, 7, 1));
        for rep in 0..50 {
            let x = draw(&u, 7, rep)[0].1.as_float().unwrap();
            assert!((1.0..=4.0).contains(&x));
        }
    }

    #[test]
    fn bad_distribution_names_the_key() {
        let mut t = table("[a]\nx = { dist = \"beta\", min = 0.6, max = 0.8 }\n");
        let e = extract(&mut t, &Table::new(), &|_| "f.toml".into())
            .unwrap_err()
            .to_string();
        assert!(e.contains("a.x.dist") && e.contains("uniform"), "{e}");
        let mut t = table("[a]\nx = { dist = \"uniform\", min = 0.9, max = 0.8 }\n");
        assert!(extract(&mut t, &Table::new(), &|_| "f.toml".into()).is_err());
    }
}
