//! Layers import only downward. Every `crate::` path (and `super::` path, resolved) in the
//! non-test code of `src/` must reach a module of the same layer or a lower one; a path that
//! reaches up, a module missing from the table, or a cycle between modules fails, naming the
//! file and the line.
//!
//! The table below is THE layer order (README "Layers" repeats it; a test checks they agree).
//! A module is placed by the longest entry that is a prefix of its path, so a submodule may
//! sit lower than its parent (`metrics::params`: the metrics layer's parameters, which the
//! scenario below it composes).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Bottom to top: (layer name, its modules).
const LAYERS: &[(&str, &[&str])] = &[
    (
        "primitives",
        &[
            "error",
            "check",
            "simulation",
            "schedule",
            "rng",
            "counters",
            "metrics::params",
            "payers::params",
        ],
    ),
    ("population", &["population"]),
    ("dynamics", &["dynamics"]),
    ("programs", &["programs"]),
    ("scenario", &["scenario"]),
    ("engine", &["engine", "reference"]),
    ("metrics", &["metrics"]),
    (
        "output and report",
        &[
            "output",
            "folder",
            "shard",
            "report",
            "incidence",
            "overrun",
            "payers",
        ],
    ),
    (
        "compare and calibrate",
        &["compare", "calibrate", "solve", "backtest"],
    ),
    ("CLI", &["cli"]),
];

/// Layer index and table entry of a module path (`a::b::c`), by the longest matching entry.
fn place(path: &str) -> Option<(usize, &'static str)> {
    let mut best: Option<(usize, &'static str)> = None;
    for (i, (_, mods)) in LAYERS.iter().enumerate() {
        for m in mods.iter() {
            let hit = path == *m || path.starts_with(&format!("{m}::"));
            if hit && best.map_or(true, |(_, b)| m.len() > b.len()) {
                best = Some((i, m));
            }
        }
    }
    best
}

/// Module path of a source file: `src/a/b.rs` and `src/a/b/mod.rs` are `a::b`.
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().map(String::as_str) == Some("mod") {
        parts.pop();
    }
    parts.join("::")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The code with comments, string and char literals blanked (newlines kept, so line numbers
/// hold).
fn blank_comments_and_strings(src: &str) -> String {
    let b: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < b.len() && b[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == '/' && b.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if b[i] == '*' && b.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(b[i]));
                    i += 1;
                }
            }
        } else if c == 'r'
            && (next == Some('"') || next == Some('#'))
            && (i == 0 || !(b[i - 1].is_alphanumeric() || b[i - 1] == '_'))
        {
            // Raw string r"..", r#".."#.
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                if j >= b.len() {
                    break;
                }
                if b[j] == '"' && (0..hashes).all(|k| b.get(j + 1 + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            for &ch in &b[i..j.min(b.len())] {
                out.push(blank(ch));
            }
            i = j;
        } else if c == '"' {
            out.push(' ');
            i += 1;
            while i < b.len() && b[i] != '"' {
                if b[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                if i < b.len() {
                    out.push(blank(b[i]));
                    i += 1;
                }
            }
            out.push(' ');
            i += 1;
        } else if c == '\'' {
            // A char literal ('x', '\n', '\u{..}') or a lifetime ('a).
            let is_char = matches!(
                (next, b.get(i + 2)),
                (Some('\\'), _) | (Some(_), Some('\''))
            );
            if is_char {
                let mut j = i + 1;
                if b[j] == '\\' {
                    j += 2;
                }
                while j < b.len() && b[j] != '\'' {
                    j += 1;
                }
                for _ in i..=j.min(b.len() - 1) {
                    out.push(' ');
                }
                i = j + 1;
            } else {
                out.push(c);
                i += 1;
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// Blank every item under `#[cfg(test)]` (a `mod tests { .. }`, a `fn`, a `use ..;`).
fn blank_test_items(code: &str) -> String {
    let mut b: Vec<char> = code.chars().collect();
    let pat: Vec<char> = "#[cfg(test)]".chars().collect();
    let mut i = 0;
    while i + pat.len() <= b.len() {
        if b[i..i + pat.len()] != pat[..] {
            i += 1;
            continue;
        }
        // The item ends at the first `;` before any `{`, or at the `}` matching its first `{`.
        let mut j = i + pat.len();
        let mut depth = 0usize;
        while j < b.len() {
            match b[j] {
                ';' if depth == 0 => break,
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                _ => {}
            }
            j += 1;
        }
        for ch in &mut b[i..=j.min(code.len() - 1)] {
            if *ch != '\n' {
                *ch = ' ';
            }
        }
        i = j + 1;
    }
    b.into_iter().collect()
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Paths of a use tree starting at `s` (just after `crate::`): `a::b`, `a::{b, c::d}`, `{a, b}`.
fn tree_paths(s: &[char], prefix: &str, out: &mut Vec<String>) -> usize {
    let mut i = 0;
    let mut path = prefix.to_string();
    loop {
        while i < s.len() && s[i].is_whitespace() {
            i += 1;
        }
        if i < s.len() && s[i] == '{' {
            i += 1;
            loop {
                while i < s.len() && (s[i].is_whitespace() || s[i] == ',') {
                    i += 1;
                }
                if i >= s.len() || s[i] == '}' {
                    return i + 1;
                }
                i += tree_paths(&s[i..], &path, out);
            }
        }
        let start = i;
        while i < s.len() && is_ident(s[i]) {
            i += 1;
        }
        if i == start {
            break;
        }
        let seg: String = s[start..i].iter().collect();
        if seg != "self" {
            path = if path.is_empty() {
                seg
            } else {
                format!("{path}::{seg}")
            };
        }
        let mut k = i;
        while k < s.len() && s[k].is_whitespace() {
            k += 1;
        }
        if k + 1 < s.len() && s[k] == ':' && s[k + 1] == ':' {
            i = k + 2;
        } else {
            break;
        }
    }
    if !path.is_empty() {
        out.push(path);
    }
    i
}

/// (line, full module-or-item path) of every `crate::` and `super::` path in `code`, the code
/// of module `module`; `super::` is resolved against the inline module (`mod x { .. }`) the
/// path sits in.
fn crate_paths(code: &str, module: &str) -> Vec<(usize, String)> {
    let b: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut line = 1;
    let mut depth = 0usize;
    // Inline modules open at this point: (name, brace depth inside them).
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            '\n' => line += 1,
            '{' => depth += 1,
            '}' => {
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
                depth = depth.saturating_sub(1);
            }
            _ => {}
        }
        let boundary = i == 0 || !(is_ident(b[i - 1]) || b[i - 1] == ':');
        if boundary
            && b[i..].starts_with(&['m', 'o', 'd'])
            && b.get(i + 3).is_some_and(|c| c.is_whitespace())
        {
            let mut j = i + 3;
            while j < b.len() && b[j].is_whitespace() {
                j += 1;
            }
            let start = j;
            while j < b.len() && is_ident(b[j]) {
                j += 1;
            }
            let name: String = b[start..j].iter().collect();
            while j < b.len() && b[j].is_whitespace() {
                j += 1;
            }
            if !name.is_empty() && b.get(j) == Some(&'{') {
                inline.push((name, depth + 1));
            }
        }
        for kw in ["crate::", "super::"] {
            let k: Vec<char> = kw.chars().collect();
            if !(boundary && b[i..].starts_with(&k)) {
                continue;
            }
            let mut base = String::new();
            let mut rest = &b[i..];
            if kw == "super::" {
                let mut here: Vec<String> = module.split("::").map(String::from).collect();
                here.extend(inline.iter().map(|(n, _)| n.clone()));
                while rest.starts_with(&k) {
                    here.pop();
                    rest = &rest[k.len()..];
                }
                base = here.join("::");
            } else {
                rest = &rest[k.len()..];
            }
            let mut paths = Vec::new();
            tree_paths(rest, &base, &mut paths);
            for p in paths {
                out.push((line, p));
            }
        }
        i += 1;
    }
    out
}

struct Source {
    file: String,
    module: String,
    paths: Vec<(usize, String)>,
}

fn sources() -> Vec<Source> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let module = module_of(&src, &f);
        // The crate root only declares modules and re-exports; the binary uses the library.
        if module == "lib" || module == "main" {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        let code = blank_test_items(&blank_comments_and_strings(&text));
        let paths = crate_paths(&code, &module);
        out.push(Source {
            file: format!("src/{}", f.strip_prefix(&src).unwrap().display()),
            module,
            paths,
        });
    }
    out
}

/// The table entry a path reaches, resolved to the longest entry that is a module prefix.
fn target(path: &str) -> Option<(usize, &'static str)> {
    place(path)
}

#[test]
fn every_module_is_in_the_layer_table() {
    let missing: Vec<String> = sources()
        .iter()
        .filter(|s| place(&s.module).is_none())
        .map(|s| format!("{}: module `{}` is in no layer", s.file, s.module))
        .collect();
    assert!(
        missing.is_empty(),
        "add each module to LAYERS in tests/layers.rs (and README's Layers):\n{}",
        missing.join("\n")
    );
}

#[test]
fn no_module_imports_from_a_higher_layer() {
    let mut bad = Vec::new();
    for s in sources() {
        let Some((from, from_entry)) = place(&s.module) else {
            continue;
        };
        for (line, p) in &s.paths {
            let Some((to, entry)) = target(p) else {
                bad.push(format!(
                    "{}:{line}: `{p}` reaches a module that is in no layer",
                    s.file
                ));
                continue;
            };
            if to > from {
                bad.push(format!(
                    "{}:{line}: `{p}` reaches `{entry}` (layer {}) from `{from_entry}` (layer {})",
                    s.file, LAYERS[to].0, LAYERS[from].0
                ));
            }
        }
    }
    assert!(bad.is_empty(), "upward imports:\n{}", bad.join("\n"));
}

#[test]
fn no_cycle_between_modules_of_one_layer() {
    // Edges between table entries (same layer allowed, but not both ways round).
    let mut edges: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut witness: BTreeMap<(&str, &str), String> = BTreeMap::new();
    for s in sources() {
        let Some((_, from)) = place(&s.module) else {
            continue;
        };
        for (line, p) in &s.paths {
            if let Some((_, to)) = target(p) {
                if to != from {
                    edges.entry(from).or_default().insert(to);
                    witness
                        .entry((from, to))
                        .or_insert_with(|| format!("{}:{line}: `{p}`", s.file));
                }
            }
        }
    }
    // Depth-first search for a cycle.
    fn visit<'a>(
        n: &'a str,
        edges: &BTreeMap<&'a str, BTreeSet<&'a str>>,
        stack: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<Vec<&'a str>> {
        if let Some(i) = stack.iter().position(|x| *x == n) {
            let mut cyc = stack[i..].to_vec();
            cyc.push(n);
            return Some(cyc);
        }
        if done.contains(n) {
            return None;
        }
        stack.push(n);
        for m in edges.get(n).into_iter().flatten() {
            if let Some(c) = visit(m, edges, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        done.insert(n);
        None
    }
    let mut done = BTreeSet::new();
    for n in edges.keys() {
        if let Some(cyc) = visit(n, &edges, &mut Vec::new(), &mut done) {
            let lines: Vec<String> = cyc
                .windows(2)
                .map(|w| witness[&(w[0], w[1])].clone())
                .collect();
            panic!("import cycle {}:\n{}", cyc.join(" -> "), lines.join("\n"));
        }
    }
}

#[test]
fn readme_lists_the_same_layers() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let section = readme
        .split("## Layers")
        .nth(1)
        .expect("README.md has a `## Layers` section");
    let mut expected = Vec::new();
    for (i, (name, mods)) in LAYERS.iter().enumerate() {
        let list: Vec<String> = mods.iter().map(|m| format!("`{m}`")).collect();
        expected.push(format!("{}. {name}: {}", i + 1, list.join(", ")));
    }
    for line in &expected {
        assert!(
            section.contains(line.as_str()),
            "README `## Layers` should list, bottom to top:\n{}",
            expected.join("\n")
        );
    }
}

/// The scanner itself: inline paths, groups, `super::`, comments, strings and test code.
#[test]
fn the_scanner_finds_inline_grouped_and_super_paths_only_in_code() {
    let code = r##"
use crate::a::{b, c::{d, e}};
fn f() { let x = crate::engine::run(); } // crate::cli::x in a comment
const S: &str = "crate::cli::y in a string";
const R: &str = r#"crate::cli::z"#;
use super::sibling::T;
fn g<'a>(c: char) -> bool { c == '"' || crate::q::r(c) }
mod inner { use super::super::up::U; fn h() { super::V } }
#[cfg(test)]
mod tests { use crate::cli::w; }
"##;
    let code = blank_test_items(&blank_comments_and_strings(code));
    let got: Vec<String> = crate_paths(&code, "programs::dibao")
        .into_iter()
        .map(|(l, p)| format!("{l}:{p}"))
        .collect();
    assert_eq!(
        got,
        [
            "2:a::b",
            "2:a::c::d",
            "2:a::c::e",
            "3:engine::run",
            "6:programs::sibling::T",
            "7:q::r",
            "8:programs::up::U",
            "8:programs::dibao::V"
        ]
    );
    assert_eq!(place("metrics::params::X").unwrap().1, "metrics::params");
    assert_eq!(place("metrics::Stats").unwrap().1, "metrics");
    assert!(place("nowhere::x").is_none());
}
