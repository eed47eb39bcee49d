//! Calibration targets: official figures the simulated start year should reproduce, read from
//! a TOML file of `[[target]]` tables and checked before anything runs.
//!
//! ```toml
//! [[target]]
//! name = "dibao_persons_national"   # unique; used in the fit table
//! metric = "recipients_persons"     # a metric of this build (see `safetynet::metrics::METRICS`)
//! region = "national"               # national | urban | rural | province:<English name>
//! year = 2023
//! period = "FY"                     # FY (full year) | H1 (January–June)
//! value = 39.952                    # the official figure, in the metric's unit
//! unit = "million persons"          # optional; must be the metric's unit when given
//! weight = 1.0                      # optional, default 1; 0 reports the target without fitting it
//! source = "MCA Q3-2023 briefing"   # required: where the figure comes from
//! confirmed = true                  # optional, default true; false = recalled, not read
//! note = "end-September stock"      # optional: how the figure was turned into `value`
//! requires = ["cost_tekun"]         # optional: further metrics this target needs to mean what it says
//! ```
//!
//! A target whose `metric` (or one of its `requires`) is not a metric of this build is an error,
//! or, with `skip_missing`, is set aside in [`TargetSet::skipped`] with the reason, so that it
//! can be reported (never silently dropped).

use crate::error::{Error, Result};
use crate::metrics::{Period, METRICS};
use std::path::Path;
use toml::{Table, Value};

/// Keys of a `[[target]]` table.
const TARGET_KEYS: &[&str] = &[
    "name",
    "metric",
    "region",
    "year",
    "period",
    "value",
    "unit",
    "weight",
    "source",
    "confirmed",
    "note",
    "requires",
];
/// Top-level keys of a targets file.
const TOP_KEYS: &[&str] = &["description", "target"];
const REGIONS: &str = "national, urban, rural, or province:<English province name>";

/// One official figure to match.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// Unique name, used in the fit table.
    pub name: String,
    /// Metric name, as in `summary.csv`.
    pub metric: String,
    /// Reporting region: national, urban, rural or `province:<name>`.
    pub region: String,
    /// Calendar year.
    pub year: i32,
    /// First half or full year.
    pub period: Period,
    /// The official figure, in `unit`.
    pub value: f64,
    /// Unit of `value`: the metric's unit (given or filled in).
    pub unit: String,
    /// Weight in the objective (≥ 0).
    pub weight: f64,
    /// Where the figure comes from.
    pub source: String,
    /// false when the figure was recalled rather than read in the source.
    pub confirmed: bool,
    /// How the source figure became `value` (annualisation, timing), if anything.
    pub note: String,
    /// Further metrics this target needs (for example a total that must include a program).
    pub requires: Vec<String>,
}

impl Target {
    /// A target with weight 1, confirmed, no note: the rest as given.
    pub fn new(
        name: &str,
        metric: &str,
        region: &str,
        year: i32,
        period: Period,
        value: f64,
        source: &str,
    ) -> Target {
        Target {
            name: name.into(),
            metric: metric.into(),
            region: region.into(),
            year,
            period,
            value,
            unit: unit_of(metric).unwrap_or("").into(),
            weight: 1.0,
            source: source.into(),
            confirmed: true,
            note: String::new(),
            requires: Vec::new(),
        }
    }

    /// Metrics this target needs that this build does not have.
    pub fn missing_metrics(&self) -> Vec<String> {
        std::iter::once(&self.metric)
            .chain(&self.requires)
            .filter(|m| unit_of(m).is_none())
            .cloned()
            .collect()
    }
}

/// A target set aside because the metrics it needs are not in this build.
#[derive(Debug, Clone, PartialEq)]
pub struct Skipped {
    pub target: Target,
    pub reason: String,
}

/// A checked targets file.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetSet {
    /// File name, as given (used in messages and in the calibrated scenario's header).
    pub file: String,
    /// Optional one-line description.
    pub description: String,
    /// Targets to fit (and report).
    pub targets: Vec<Target>,
    /// Targets waiting for metrics this build does not have (only with `skip_missing`).
    pub skipped: Vec<Skipped>,
}

impl TargetSet {
    /// Targets built in memory (for example from a simulation, in a recovery test). Each is
    /// checked as a file's would be, with `skip_missing` false.
    pub fn new(file: &str, targets: Vec<Target>) -> Result<TargetSet> {
        let mut set = TargetSet {
            file: file.into(),
            description: String::new(),
            targets: Vec::new(),
            skipped: Vec::new(),
        };
        for (i, t) in targets.into_iter().enumerate() {
            check_target(&t, i + 1, file)?;
            set.push(t, i + 1, false)?;
        }
        set.check_unique_names()?;
        Ok(set)
    }

    /// Keep only the targets named in `names` (a trailing `*` matches a prefix, e.g.
    /// `dibao_*`), fitted or set aside, in file order. A name that matches nothing is an error.
    pub fn select(&self, names: &[String]) -> Result<TargetSet> {
        let matches = |pattern: &str, name: &str| match pattern.strip_suffix('*') {
            Some(prefix) => name.starts_with(prefix),
            None => name == pattern,
        };
        let all: Vec<&str> = self
            .targets
            .iter()
            .map(|t| t.name.as_str())
            .chain(self.skipped.iter().map(|k| k.target.name.as_str()))
            .collect();
        for p in names {
            if !all.iter().any(|n| matches(p, n)) {
                return Err(Error::Usage(format!(
                    "--only `{p}`: no target of {} has that name{}; allowed: {} (a trailing * matches a prefix)",
                    self.file,
                    suggest(p, all.iter().copied()),
                    all.join(", ")
                )));
            }
        }
        let keep = |name: &str| names.iter().any(|p| matches(p, name));
        Ok(TargetSet {
            file: self.file.clone(),
            description: self.description.clone(),
            targets: self
                .targets
                .iter()
                .filter(|t| keep(&t.name))
                .cloned()
                .collect(),
            skipped: self
                .skipped
                .iter()
                .filter(|k| keep(&k.target.name))
                .cloned()
                .collect(),
        })
    }

    fn push(&mut self, t: Target, index: usize, skip_missing: bool) -> Result<()> {
        let missing = t.missing_metrics();
        if missing.is_empty() {
            self.targets.push(t);
            return Ok(());
        }
        if skip_missing {
            let reason = format!(
                "needs metric{} {} (not in this build)",
                if missing.len() > 1 { "s" } else { "" },
                missing
                    .iter()
                    .map(|m| format!("`{m}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            self.skipped.push(Skipped { target: t, reason });
            return Ok(());
        }
        let m = &missing[0];
        let key = if *m == t.metric { "metric" } else { "requires" };
        Err(Error::Parse {
            file: self.file.clone(),
            message: format!(
                "target {index} (`{}`): key `{key}` = \"{m}\": not a metric of this build{}; \
                 allowed: {} (use --skip-missing to set aside targets that wait for metrics not yet built)",
                t.name,
                suggest(m, METRICS.iter().map(|d| d.name)),
                metric_names()
            ),
        })
    }

    fn check_unique_names(&self) -> Result<()> {
        let all: Vec<&Target> = self
            .targets
            .iter()
            .chain(self.skipped.iter().map(|s| &s.target))
            .collect();
        for (i, a) in all.iter().enumerate() {
            if all[..i].iter().any(|b| b.name == a.name) {
                return Err(Error::Parse {
                    file: self.file.clone(),
                    message: format!(
                        "two targets are named `{}`: allowed: a unique name per target",
                        a.name
                    ),
                });
            }
        }
        Ok(())
    }
}

/// Read and check a targets file. Unknown keys, a missing or bad value, an unknown metric or
/// region are errors naming the file, the target (counted from 1) and its name, the bad value
/// and what is allowed. With `skip_missing`, targets whose metrics are not in this build are
/// set aside in [`TargetSet::skipped`] instead.
pub fn load_targets(path: &Path, skip_missing: bool) -> Result<TargetSet> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse_targets(&text, &path.display().to_string(), skip_missing)
}

/// Check a targets file given as text, named `file` in errors.
pub fn parse_targets(text: &str, file: &str, skip_missing: bool) -> Result<TargetSet> {
    let parse_err = |message: String| Error::Parse {
        file: file.to_string(),
        message,
    };
    let table: Table = text.parse().map_err(|e: toml::de::Error| {
        parse_err(format!("malformed TOML: {}", e.to_string().trim_end()))
    })?;
    for k in table.keys() {
        if !TOP_KEYS.contains(&k.as_str()) {
            return Err(Error::UnknownKey {
                file: file.into(),
                key: k.clone(),
                suggestion: format!(
                    "{} (allowed here: {}; each target is a [[target]] table)",
                    suggest(k, TOP_KEYS.iter().copied()),
                    TOP_KEYS.join(", ")
                ),
            });
        }
    }
    let description = match table.get("description") {
        None => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(v) => return Err(Error::bad_key(file, "description", v, "a string")),
    };
    let items = match table.get("target") {
        Some(Value::Array(a)) if !a.is_empty() => a,
        Some(Value::Array(_)) | None => {
            return Err(parse_err(
                "no targets: allowed: one or more [[target]] tables (name, metric, region, year, period, value, source)".into(),
            ))
        }
        Some(v) => {
            return Err(Error::bad_key(
                file,
                "target",
                v,
                "an array of tables, written [[target]]",
            ))
        }
    };
    let mut set = TargetSet {
        file: file.into(),
        description,
        targets: Vec::new(),
        skipped: Vec::new(),
    };
    for (i, item) in items.iter().enumerate() {
        let index = i + 1;
        let Value::Table(t) = item else {
            return Err(parse_err(format!(
                "target {index}: allowed: a table of keys, written [[target]]"
            )));
        };
        let target = read_target(t, index, file)?;
        check_target(&target, index, file)?;
        set.push(target, index, skip_missing)?;
    }
    set.check_unique_names()?;
    Ok(set)
}

fn read_target(t: &Table, index: usize, file: &str) -> Result<Target> {
    let label = match t.get("name") {
        Some(Value::String(s)) => format!("target {index} (`{s}`)"),
        _ => format!("target {index}"),
    };
    let err = |message: String| Error::Parse {
        file: file.to_string(),
        message: format!("{label}: {message}"),
    };
    for k in t.keys() {
        if !TARGET_KEYS.contains(&k.as_str()) {
            return Err(err(format!(
                "unknown key `{k}`{} (allowed here: {})",
                suggest(k, TARGET_KEYS.iter().copied()),
                TARGET_KEYS.join(", ")
            )));
        }
    }
    let bad =
        |key: &str, v: &Value, allowed: &str| err(format!("key `{key}` = {v}: allowed: {allowed}"));
    let missing =
        |key: &str, allowed: &str| err(format!("missing key `{key}`: allowed: {allowed}"));
    let string = |key: &str, allowed: &str, required: bool| -> Result<String> {
        match t.get(key) {
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
            Some(Value::String(s)) if !required => Ok(s.clone()),
            Some(v) => Err(bad(key, v, allowed)),
            None if required => Err(missing(key, allowed)),
            None => Ok(String::new()),
        }
    };
    let number = |key: &str, v: &Value, allowed: &str| -> Result<f64> {
        let x = match v {
            Value::Float(x) => *x,
            Value::Integer(i) => *i as f64,
            _ => return Err(bad(key, v, allowed)),
        };
        Ok(x)
    };

    let name = string("name", "a non-empty string, unique in the file", true)?;
    let metric = string(
        "metric",
        &format!("a metric name: {}", metric_names()),
        true,
    )?;
    let region = string("region", REGIONS, true)?;
    let year_allowed = "a whole year from 1990 to 2100";
    let year = match t.get("year") {
        Some(Value::Integer(y)) if (1990..=2100).contains(y) => *y as i32,
        Some(v) => return Err(bad("year", v, year_allowed)),
        None => return Err(missing("year", year_allowed)),
    };
    let period_allowed = "\"FY\" (full year) or \"H1\" (January to June)";
    let period = match t.get("period") {
        Some(Value::String(s)) if s == "FY" => Period::FullYear,
        Some(Value::String(s)) if s == "H1" => Period::FirstHalf,
        Some(v) => return Err(bad("period", v, period_allowed)),
        None => return Err(missing("period", period_allowed)),
    };
    let value_allowed = "a finite number > 0: the official figure in the metric's unit";
    let value = match t.get("value") {
        Some(v) => number("value", v, value_allowed)?,
        None => return Err(missing("value", value_allowed)),
    };
    if !value.is_finite() || value <= 0.0 {
        return Err(bad("value", &t["value"], value_allowed));
    }
    let weight_allowed = "a finite number ≥ 0 (default 1)";
    let weight = match t.get("weight") {
        Some(v) => {
            let w = number("weight", v, weight_allowed)?;
            if !w.is_finite() || w < 0.0 {
                return Err(bad("weight", v, weight_allowed));
            }
            w
        }
        None => 1.0,
    };
    let source = string(
        "source",
        "a non-empty string: where the figure comes from",
        true,
    )?;
    let unit = string("unit", "a string: the metric's unit", false)?;
    let confirmed = match t.get("confirmed") {
        None => true,
        Some(Value::Boolean(b)) => *b,
        Some(v) => return Err(bad("confirmed", v, "true or false")),
    };
    let note = string("note", "a string", false)?;
    let requires = match t.get("requires") {
        None => Vec::new(),
        Some(Value::Array(a)) => {
            let mut out = Vec::new();
            for v in a {
                match v {
                    Value::String(s) => out.push(s.clone()),
                    _ => return Err(bad("requires", &t["requires"], "an array of metric names")),
                }
            }
            out
        }
        Some(v) => return Err(bad("requires", v, "an array of metric names")),
    };
    let unit = if unit.is_empty() {
        unit_of(&metric).unwrap_or("").to_string()
    } else {
        unit
    };
    Ok(Target {
        name,
        metric,
        region,
        year,
        period,
        value,
        unit,
        weight,
        source,
        confirmed,
        note,
        requires,
    })
}

/// Checks shared by file and in-memory targets (metric existence is checked by the caller).
fn check_target(t: &Target, index: usize, file: &str) -> Result<()> {
    let err = |message: String| Error::Parse {
        file: file.to_string(),
        message: format!("target {index} (`{}`): {message}", t.name),
    };
    let region_ok = matches!(t.region.as_str(), "national" | "urban" | "rural")
        || t.region
            .strip_prefix("province:")
            .is_some_and(|p| !p.trim().is_empty());
    if !region_ok {
        return Err(err(format!(
            "key `region` = \"{}\": allowed: {REGIONS}{}",
            t.region,
            suggest(&t.region, ["national", "urban", "rural"].into_iter())
        )));
    }
    if !t.value.is_finite() || t.value <= 0.0 {
        return Err(err(format!(
            "key `value` = {}: allowed: a finite number > 0",
            t.value
        )));
    }
    if !t.weight.is_finite() || t.weight < 0.0 {
        return Err(err(format!(
            "key `weight` = {}: allowed: a finite number ≥ 0",
            t.weight
        )));
    }
    if let Some(def) = METRICS.iter().find(|m| m.name == t.metric) {
        if !t.unit.is_empty() && t.unit != def.unit {
            return Err(err(format!(
                "key `unit` = \"{}\": allowed: \"{}\", the unit of metric `{}` (convert the value to it)",
                t.unit, def.unit, def.name
            )));
        }
        if t.period == Period::FirstHalf && !def.first_half {
            return Err(err(format!(
                "key `period` = \"H1\": allowed: \"FY\" (metric `{}` has no first-half figure)",
                def.name
            )));
        }
    }
    Ok(())
}

/// The unit of a metric of this build, if it exists.
pub fn unit_of(metric: &str) -> Option<&'static str> {
    METRICS.iter().find(|m| m.name == metric).map(|m| m.unit)
}

fn metric_names() -> String {
    METRICS
        .iter()
        .map(|m| m.name)
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn suggest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> String {
    let best = candidates
        .map(|c| (strsim::jaro_winkler(name, c), c))
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match best {
        Some((score, c)) if score > 0.8 => format!("; did you mean `{c}`?"),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
description = "test"
[[target]]
name = "persons"
metric = "recipients_persons"
region = "national"
year = 2023
period = "FY"
value = 39.952
unit = "million persons"
source = "MCA"

[[target]]
name = "tekun"
metric = "recipients_tekun_not_yet"
region = "national"
year = 2023
period = "FY"
value = 4.694
weight = 0.5
source = "MCA"
confirmed = false
"#;

    #[test]
    fn good_file_parses_and_missing_metric_is_skipped_with_a_reason() {
        let s = parse_targets(GOOD, "t.toml", true).unwrap();
        assert_eq!(s.targets.len(), 1);
        assert_eq!(s.targets[0].weight, 1.0);
        assert!(s.targets[0].confirmed);
        assert_eq!(s.skipped.len(), 1);
        assert!(s.skipped[0].reason.contains("recipients_tekun_not_yet"));
        assert!(!s.skipped[0].target.confirmed);
    }

    #[test]
    fn missing_metric_without_skip_is_an_error_naming_file_target_value_and_allowed() {
        let e = parse_targets(GOOD, "t.toml", false)
            .unwrap_err()
            .to_string();
        for part in [
            "t.toml",
            "target 2 (`tekun`)",
            "recipients_tekun_not_yet",
            "cost_dibao",
            "--skip-missing",
        ] {
            assert!(e.contains(part), "{part} not in {e}");
        }
    }

    fn one(extra: &str, drop: &str) -> String {
        let base = "name = \"x\"\nmetric = \"cost_dibao\"\nregion = \"national\"\nyear = 2023\nperiod = \"FY\"\nvalue = 191.5\nsource = \"s\"\n";
        let body: String = base
            .lines()
            .filter(|l| drop.is_empty() || !l.starts_with(drop))
            .map(|l| format!("{l}\n"))
            .collect();
        format!("[[target]]\n{body}{extra}")
    }

    #[test]
    fn each_bad_field_is_named() {
        let cases = [
            (one("", "value"), "missing key `value`"),
            (one("", "source"), "missing key `source`"),
            (one("valeu = 3\n", ""), "did you mean `value`"),
            (
                one("", "region").replace("[[target]]\n", "[[target]]\nregion = \"urbn\"\n"),
                "did you mean `urban`",
            ),
            (
                one("", "period").replace("[[target]]\n", "[[target]]\nperiod = \"Q3\"\n"),
                "\"Q3\"",
            ),
            (one("weight = -1\n", ""), "key `weight` = -1"),
            (one("unit = \"yuan\"\n", ""), "billion yuan"),
            (
                one("", "value").replace("[[target]]\n", "[[target]]\nvalue = 0\n"),
                "> 0",
            ),
            (
                one("", "value").replace("[[target]]\n", "[[target]]\nvalue = -5\n"),
                "key `value` = -5",
            ),
        ];
        for (text, want) in cases {
            let e = parse_targets(&text, "t.toml", true)
                .unwrap_err()
                .to_string();
            assert!(
                e.contains("t.toml") && e.contains(want),
                "{want} not in {e}"
            );
        }
    }

    #[test]
    fn select_by_name_and_prefix() {
        let s = parse_targets(GOOD, "t.toml", true).unwrap();
        let only = s.select(&["pers*".into()]).unwrap();
        assert_eq!((only.targets.len(), only.skipped.len()), (1, 0));
        let only = s.select(&["tekun".into()]).unwrap();
        assert_eq!((only.targets.len(), only.skipped.len()), (0, 1));
        let e = s.select(&["persns".into()]).unwrap_err().to_string();
        assert!(e.contains("did you mean `persons`"), "{e}");
    }

    #[test]
    fn duplicate_names_and_empty_files_are_errors() {
        let two = format!("{}{}", one("", ""), one("", ""));
        assert!(parse_targets(&two, "t", true)
            .unwrap_err()
            .to_string()
            .contains("two targets"));
        assert!(parse_targets("", "t", true)
            .unwrap_err()
            .to_string()
            .contains("no targets"));
        assert!(parse_targets("[target]\nx=1\n", "t", true).is_err());
    }
}
