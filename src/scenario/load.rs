//! Reading a scenario: the `extends` chain, the merge of each file onto its base, and the
//! checks that run before anything is applied.

use super::uncertain::{self, Uncertain};
use super::{Checker, Scenario};
use crate::error::{Error, Result};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::{Table, Value};

/// The embedded defaults every scenario extends.
pub const DEFAULTS_TOML: &str = include_str!("../../scenarios/defaults.toml");
const DEFAULTS_NAME: &str = "<embedded defaults: scenarios/defaults.toml>";
const MAX_EXTENDS_DEPTH: usize = 16;

/// A checked scenario with where it came from. Only the loader makes one ([`load`],
/// [`load_str`], [`LoadedScenario::with_overrides`]), and library callers read it through
/// its methods: a value that reached a `Model` has passed every check.
#[derive(Debug, Clone)]
pub struct LoadedScenario {
    /// The resolved parameters.
    pub(crate) scenario: Scenario,
    /// Files of the `extends` chain, base first.
    pub(crate) files: Vec<PathBuf>,
    /// Key path → file that set it last.
    pub(crate) origin: BTreeMap<String, String>,
    /// The merged TOML table (defaults included).
    pub(crate) table: Table,
    /// SHA-256 of the resolved scenario (canonical JSON, distributions included).
    pub(crate) hash: String,
    /// Parameters given as distributions, drawn once per replication.
    pub(crate) uncertain: Vec<Uncertain>,
}

impl LoadedScenario {
    /// The resolved, checked parameters.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }
    /// Files of the `extends` chain, base first.
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }
    /// Key path → file that set it last.
    pub fn origin(&self) -> &BTreeMap<String, String> {
        &self.origin
    }
    /// The merged TOML table (defaults included).
    pub fn table(&self) -> &Table {
        &self.table
    }
    /// SHA-256 of the resolved scenario (canonical JSON, distributions included).
    pub fn hash(&self) -> &str {
        &self.hash
    }
    /// Parameters given as distributions, drawn once per replication.
    pub fn uncertain(&self) -> &[Uncertain] {
        &self.uncertain
    }

    /// The scenario of replication `rep`: every distribution drawn (from its own stream), and
    /// the draws. Without distributions, the scenario itself.
    pub fn for_replication(&self, rep: u32) -> Result<(LoadedScenario, Vec<(String, Value)>)> {
        if self.uncertain.is_empty() {
            return Ok((self.clone(), Vec::new()));
        }
        let draws = uncertain::draw(&self.uncertain, self.scenario.simulation.seed, rep);
        let mut drawn = self.with_overrides(&draws, "parameter draw")?;
        drawn.hash = self.hash.clone();
        Ok((drawn, draws))
    }

    /// Apply `key=value` overrides (as from `--set`), re-checking the whole scenario.
    pub fn with_overrides(&self, sets: &[(String, Value)], label: &str) -> Result<LoadedScenario> {
        let mut table = self.table.clone();
        let mut origin = self.origin.clone();
        for (key, value) in sets {
            set_path(&mut table, key, value.clone(), label)?;
            record_origin(&mut origin, key, value, label);
        }
        finish(table, origin, self.files.clone(), label)
    }
}

impl LoadedScenario {
    /// Rebuild a loaded scenario from its merged table, key origins and files (as a shard
    /// records them), checked again whole; `label` names where they came from in errors.
    pub fn from_parts(
        table: Table,
        origin: BTreeMap<String, String>,
        files: Vec<PathBuf>,
        label: &str,
    ) -> Result<LoadedScenario> {
        finish(table, origin, files, label)
    }
}

/// Read and check a scenario file (and the chain it extends).
pub fn load(path: &Path) -> Result<LoadedScenario> {
    let mut chain: Vec<(String, Table)> = Vec::new();
    let mut files = Vec::new();
    let mut next = Some(path.to_path_buf());
    while let Some(p) = next.take() {
        if chain.len() >= MAX_EXTENDS_DEPTH {
            return Err(Error::Parse {
                file: p.display().to_string(),
                message: format!(
                    "`extends` chain deeper than {MAX_EXTENDS_DEPTH} files (a cycle?)"
                ),
            });
        }
        if files.contains(&p) {
            return Err(Error::bad_key(
                p.display().to_string(),
                "extends",
                format!("\"{}\"", p.display()),
                "a file not already in the chain (the chain forms a cycle)",
            ));
        }
        let text = std::fs::read_to_string(&p).map_err(|source| Error::Read {
            path: p.clone(),
            source,
        })?;
        let file = p.display().to_string();
        let mut table = parse_table(&text, &file)?;
        if let Some(ext) = table.remove("extends") {
            let Value::String(rel) = ext else {
                return Err(Error::bad_key(
                    &file,
                    "extends",
                    ext,
                    "a path to another scenario file, as a string",
                ));
            };
            let base = p.parent().unwrap_or(Path::new(".")).join(&rel);
            if !base.is_file() {
                let why = if base.is_dir() {
                    "is a folder"
                } else if base.exists() {
                    "is not a regular file"
                } else {
                    "does not exist"
                };
                return Err(Error::bad_key(
                    &file,
                    "extends",
                    format!("\"{rel}\""),
                    format!("a scenario file; {} {why}", base.display()),
                ));
            }
            next = Some(base);
        }
        files.push(p);
        chain.push((file, table));
    }
    chain.reverse();
    files.reverse();
    resolve(chain, files)
}

/// Check a scenario given as text (no `extends`), named `name` in errors.
pub fn load_str(text: &str, name: &str) -> Result<LoadedScenario> {
    let mut table = parse_table(text, name)?;
    if table.remove("extends").is_some() {
        return Err(Error::bad_key(
            name,
            "extends",
            "…",
            "no `extends` in a scenario given as text",
        ));
    }
    resolve(vec![(name.to_string(), table)], vec![])
}

/// Parse `key=value` from the command line: the value is read as TOML (a number, a string
/// in quotes or bare, a boolean, or an inline table).
pub fn parse_override(s: &str) -> Result<(String, Value)> {
    let Some((k, v)) = s.split_once('=') else {
        return Err(Error::Usage(format!(
            "--set `{s}`: expected KEY=VALUE, e.g. programs.dibao.take_up.ever_apply=0.7"
        )));
    };
    let k = k.trim().to_string();
    let v = v.trim();
    let parsed = toml::from_str::<Table>(&format!("x = {v}"))
        .ok()
        .and_then(|mut t| t.remove("x"))
        .unwrap_or_else(|| Value::String(v.to_string()));
    Ok((k, parsed))
}

fn parse_table(text: &str, file: &str) -> Result<Table> {
    text.parse::<Table>().map_err(|e| Error::Parse {
        file: file.to_string(),
        message: format!("malformed TOML: {}", e.to_string().trim_end()),
    })
}

/// The embedded defaults: every key, with the type the scenario gives it.
pub(crate) fn defaults_table() -> Table {
    DEFAULTS_TOML
        .parse::<Table>()
        .expect("embedded defaults.toml parses (checked by a unit test)")
}

fn resolve(chain: Vec<(String, Table)>, files: Vec<PathBuf>) -> Result<LoadedScenario> {
    let defaults = defaults_table();
    // Each file on its own over the defaults: unknown keys and wrong types are reported
    // against the file that has them, before anything is merged.
    for (file, table) in &chain {
        // An array where a table belongs first: serde would read an array of the table's
        // length as its fields in order, and one of another length as a length error.
        check_shapes(table, &defaults, "", &|_| file.clone())?;
        let mut alone = defaults.clone();
        merge(&mut alone, table.clone());
        uncertain::extract(&mut alone, &defaults, &|_| file.clone())?;
        deserialize(&alone, file)?;
    }
    let mut origin = BTreeMap::new();
    let mut merged = defaults;
    for (file, table) in chain.iter() {
        for (k, v) in table {
            record_origin(&mut origin, k, v, file);
        }
        merge(&mut merged, table.clone());
    }
    let last = chain
        .last()
        .map(|(f, _)| f.clone())
        .unwrap_or_else(|| DEFAULTS_NAME.to_string());
    finish(merged, origin, files, &last)
}

fn finish(
    table: Table,
    origin: BTreeMap<String, String>,
    files: Vec<PathBuf>,
    last: &str,
) -> Result<LoadedScenario> {
    let defaults = defaults_table();
    let mut central = table.clone();
    let file_of = |k: &str| Checker::new(&origin, last).file_of(k);
    check_shapes(&table, &defaults, "", &file_of)?;
    check_name(&table, &file_of)?;
    let uncertain = uncertain::extract(&mut central, &defaults, &file_of)?;
    let scenario = check(&central, &origin, last)?;
    // Every distribution must keep the scenario valid at both ends of its range.
    for u in &uncertain {
        let (lo, hi) = u.dist.ends();
        for x in [lo, hi] {
            let mut t = central.clone();
            set_path(&mut t, &u.key, uncertain::value(u, x), last)?;
            check(&t, &origin, last).map_err(|e| match e {
                Error::BadKey {
                    file,
                    key,
                    value,
                    allowed,
                } => Error::BadKey {
                    file,
                    key: key.clone(),
                    value: format!(
                        "{value} (the {} end of the distribution of `{}`)",
                        if x == lo { "low" } else { "high" },
                        u.key
                    ),
                    allowed,
                },
                other => other,
            })?;
        }
    }
    let json = serde_json::to_string(&(&scenario, &uncertain))
        .map_err(|e| Error::Internal(e.to_string()))?;
    let hash = format!("{:x}", Sha256::digest(json.as_bytes()));
    Ok(LoadedScenario {
        scenario,
        files,
        origin,
        table,
        hash,
        uncertain,
    })
}

fn check(table: &Table, origin: &BTreeMap<String, String>, last: &str) -> Result<Scenario> {
    let scenario = deserialize(table, last)?;
    let mut c = Checker::new(origin, DEFAULTS_NAME);
    scenario.validate(&mut c);
    match c.error {
        Some(e) => Err(e),
        None => Ok(scenario),
    }
}

/// Deep merge: tables merge key by key, anything else (values, arrays) is replaced.
fn merge(base: &mut Table, over: Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(Value::Table(b)), Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

fn record_origin(origin: &mut BTreeMap<String, String>, path: &str, v: &Value, file: &str) {
    // A later file's value replaces the earlier one whole: a table (a distribution) set over
    // a plain value, or a plain value over a distribution's keys, takes its origin alone.
    origin.remove(path);
    let child = format!("{path}.");
    let stale: Vec<String> = origin
        .range(child.clone()..)
        .take_while(|(k, _)| k.starts_with(&child))
        .filter(|_| !matches!(v, Value::Table(t) if !t.is_empty()) || is_dist(v))
        .map(|(k, _)| k.clone())
        .collect();
    for k in stale {
        origin.remove(&k);
    }
    match v {
        Value::Table(t) if !t.is_empty() => {
            for (k, v) in t {
                record_origin(origin, &format!("{path}.{k}"), v, file);
            }
        }
        _ => {
            origin.insert(path.to_string(), file.to_string());
        }
    }
}

fn is_dist(v: &Value) -> bool {
    matches!(v, Value::Table(t) if t.contains_key("dist"))
}

/// An array where the defaults hold a table (`take_up = [0.5, 0.2]` for
/// `[programs.dibao.take_up]`) would be read field by field in order: refuse it.
fn check_shapes(
    table: &Table,
    defaults: &Table,
    prefix: &str,
    file_of: &dyn Fn(&str) -> String,
) -> Result<()> {
    for (k, v) in table {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match (v, defaults.get(k)) {
            (Value::Array(_), Some(Value::Table(d))) => {
                let fields: Vec<&str> = d.keys().map(|s| s.as_str()).collect();
                let allowed = if fields.iter().all(|f| f.parse::<i32>().is_ok()) {
                    "allowed: a table keyed by year, e.g. { 2023 = 769.0, 2026 = 800.0 }"
                        .to_string()
                } else {
                    format!(
                        "allowed: a table of keys ({}), not an array",
                        fields.join(", ")
                    )
                };
                return Err(Error::bad_key(file_of(&key), key, v, allowed));
            }
            (Value::Table(t), Some(Value::Table(d))) if !is_dist(v) => {
                check_shapes(t, d, &key, file_of)?
            }
            _ => {}
        }
    }
    Ok(())
}

/// The scenario `name` names the results folder: one plain path component.
fn check_name(table: &Table, file_of: &dyn Fn(&str) -> String) -> Result<()> {
    let Some(Value::String(name)) = table.get("name") else {
        return Ok(());
    };
    let bad = name.is_empty()
        || name == "."
        || name == ".."
        || name.starts_with('.')
        || name.chars().count() > 100
        || name.chars().any(|c| {
            c.is_control() || matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|')
        });
    if bad {
        return Err(Error::bad_key(
            file_of("name"),
            "name",
            format!("{:?}", name),
            "allowed: a non-empty name of at most 100 characters usable as one folder name \
             (it names results/<name>): no `/`, `\\`, `:`, `*`, `?`, `\"`, `<`, `>`, `|` or \
             control characters, not starting with `.`",
        ));
    }
    Ok(())
}

fn set_path(table: &mut Table, key: &str, value: Value, file: &str) -> Result<()> {
    let parts: Vec<&str> = key.split('.').collect();
    let mut t = table;
    for (i, p) in parts.iter().enumerate() {
        if i + 1 == parts.len() {
            match (t.get_mut(*p), value) {
                (None, _) => return Err(unknown(file, key, p, t.keys().map(|s| s.as_str()))),
                // A table given for a table (a year schedule) merges key by key, as in files.
                (Some(Value::Table(old)), Value::Table(new)) => merge(old, new),
                (Some(slot), value) => *slot = value,
            }
            return Ok(());
        }
        let keys: Vec<String> = t.keys().cloned().collect();
        match t.get_mut(*p) {
            Some(Value::Table(sub)) => t = sub,
            _ => return Err(unknown(file, key, p, keys.iter().map(|s| s.as_str()))),
        }
    }
    Ok(())
}

fn unknown<'a>(
    file: &str,
    key: &str,
    name: &str,
    candidates: impl Iterator<Item = &'a str>,
) -> Error {
    Error::UnknownKey {
        file: file.to_string(),
        key: key.to_string(),
        suggestion: suggest(name, candidates),
    }
}

fn suggest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> String {
    let best = candidates
        .map(|c| (strsim::jaro_winkler(name, c), c))
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match best {
        Some((score, c)) if score > 0.7 => format!("; did you mean `{c}`?"),
        _ => String::new(),
    }
}

fn deserialize(table: &Table, file: &str) -> Result<Scenario> {
    let value = Value::Table(table.clone());
    serde_path_to_error::deserialize::<_, Scenario>(value).map_err(|e| {
        let path = e.path().to_string();
        let full = e.inner().to_string();
        // The toml deserializer appends "in `path`" lines; the path is reported separately.
        let msg = full.lines().next().unwrap_or("").trim();
        if let Some(rest) = msg.strip_prefix("unknown field `") {
            let name = rest.split('`').next().unwrap_or("");
            let expected: Vec<&str> = rest.split('`').skip(2).step_by(2).collect();
            let key = if path.is_empty() || path == "." {
                name.to_string()
            } else if path.ends_with(name) {
                path.clone()
            } else {
                format!("{path}.{name}")
            };
            let mut suggestion = suggest(name, expected.iter().copied());
            if !expected.is_empty() {
                suggestion.push_str(&format!(" (allowed here: {})", expected.join(", ")));
            }
            return Error::UnknownKey {
                file: file.to_string(),
                key,
                suggestion,
            };
        }
        let value = lookup(table, &path)
            .map(|v| v.to_string())
            .unwrap_or_else(|| "(missing)".into());
        Error::bad_key(file, path, value, plain_types(msg))
    })
}

/// Say "a whole number" where serde says "u32", and so on.
fn plain_types(msg: &str) -> String {
    let mut out = msg.to_string();
    for (rust, plain) in [
        ("expected u8", "expected a whole number from 0 to 255"),
        ("expected u32", "expected a whole number"),
        ("expected u64", "expected a whole number"),
        ("expected i32", "expected a whole number (a year)"),
        ("expected i64", "expected a whole number"),
        ("expected f64", "expected a number"),
        ("expected a boolean", "expected true or false"),
    ] {
        out = out.replace(rust, plain);
    }
    // Closed sets of words (serde enums): "unknown variant `x`, expected one of `a`, `b`".
    if let Some(i) = out.find("expected one of ") {
        let words: Vec<String> = out[i + "expected one of ".len()..]
            .split(", ")
            .map(|w| format!("\"{}\"", w.trim().trim_matches('`')))
            .collect();
        return format!("allowed: one of {}", words.join(", "));
    }
    if let Some(i) = out.find("expected struct ") {
        out.truncate(i);
        out.push_str("expected a table of keys");
    }
    out
}

fn lookup<'a>(table: &'a Table, path: &str) -> Option<&'a Value> {
    let mut parts = path.split('.');
    let mut v = table.get(parts.next()?)?;
    for p in parts {
        v = match v {
            Value::Table(t) => t.get(p)?,
            Value::Array(a) => a.get(p.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(v)
}

/// Make relative microdata paths relative to the scenario file that set them (paths given on
/// the command line stay relative to the working directory).
pub fn resolve_microdata_paths(loaded: LoadedScenario) -> Result<LoadedScenario> {
    let md = &loaded.scenario.population.microdata;
    let mut out = loaded.clone();
    for (key, value) in [
        ("population.microdata.households", md.households.clone()),
        ("population.microdata.persons", md.persons.clone()),
    ] {
        if value.is_empty() || Path::new(&value).is_absolute() {
            continue;
        }
        let Some(origin) = loaded.origin.get(key) else {
            continue;
        };
        let Some(file) = loaded
            .files
            .iter()
            .find(|f| f.display().to_string() == *origin)
        else {
            continue;
        };
        let dir = file.parent().unwrap_or(Path::new(""));
        if dir.as_os_str().is_empty() {
            continue;
        }
        let path = dir.join(&value).display().to_string();
        out = out.with_overrides(&[(key.to_string(), toml::Value::String(path))], origin)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_defaults_parse_and_validate() {
        let s = load_str("", "empty").unwrap();
        assert_eq!(s.scenario.simulation.start_year, 2023);
    }

    #[test]
    fn a_word_outside_a_closed_set_names_key_value_and_the_words_allowed() {
        for (text, key, allowed) in [
            (
                "[metrics]\npoverty_line = \"median\"\n",
                "metrics.poverty_line",
                "allowed: one of \"dibao_standard\", \"absolute\", \"relative\"",
            ),
            (
                "[population]\nsource = \"census\"\n",
                "population.source",
                "allowed: one of \"synthetic\", \"inline\", \"microdata\"",
            ),
        ] {
            let e = load_str(text, "r.toml").unwrap_err();
            assert_eq!(e.exit_code(), 2);
            let m = e.to_string();
            assert!(
                m.contains("r.toml") && m.contains(key) && m.contains(allowed),
                "{m}"
            );
        }
        let ok = load_str("[metrics]\npoverty_line = \"relative\"\n", "r.toml").unwrap();
        assert_eq!(
            ok.scenario.metrics.poverty_line,
            crate::metrics::params::LineKind::Relative
        );
    }

    #[test]
    fn unknown_key_names_file_path_and_suggestion() {
        let e = load_str("[programs.dibao.take_up]\never_aply = 0.5\n", "r.toml").unwrap_err();
        let m = e.to_string();
        assert!(
            m.contains("r.toml") && m.contains("programs.dibao.take_up.ever_aply"),
            "{m}"
        );
        assert!(m.contains("did you mean `ever_apply`"), "{m}");
    }

    #[test]
    fn out_of_range_value_names_key_value_and_range() {
        let e = load_str("[programs.dibao.take_up]\never_apply = 1.5\n", "r.toml").unwrap_err();
        let m = e.to_string();
        assert!(
            m.contains("programs.dibao.take_up.ever_apply")
                && m.contains("1.5")
                && m.contains("from 0 to 1"),
            "{m}"
        );
    }

    #[test]
    fn wrong_type_is_reported_with_path() {
        let e = load_str("[simulation]\nyears = \"ten\"\n", "r.toml").unwrap_err();
        let m = e.to_string();
        assert!(m.contains("simulation.years") && m.contains("ten"), "{m}");
    }

    #[test]
    fn schedules_merge_key_by_key() {
        let base = load_str("", "b").unwrap();
        let (k, v) =
            parse_override("programs.dibao.standard.growth_urban={ 2027 = 0.06 }").unwrap();
        let s = base.with_overrides(&[(k, v)], "--set").unwrap();
        let g = &s.scenario.programs.dibao.standard.growth_urban;
        assert_eq!(g.at(2024), Some(0.048));
        assert_eq!(g.at(2028), Some(0.06));
    }

    #[test]
    fn override_of_unknown_key_is_an_error() {
        let base = load_str("", "b").unwrap();
        let (k, v) = parse_override("programs.dibao.take_up.ever_aply=0.5").unwrap();
        let e = base
            .with_overrides(&[(k, v)], "--set")
            .unwrap_err()
            .to_string();
        assert!(e.contains("did you mean `ever_apply`"), "{e}");
    }
}
