//! The shape of the source tree, checked: stages depend downwards only (no
//! import cycle between top-level modules, none between the files of
//! `plan/`, and the pure core imports nothing that talks to AWS), no file
//! over 800 lines of code and no function over 150 lines. Test code is left
//! out of every count.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::support::root;

/// The modules of the pure core, and what none of them may import.
const PURE: &[&str] = &[
    "clock", "diag", "exit", "manifest", "model", "names", "plan", "render", "state", "term",
    "validate", "yaml",
];
const SHELL: &[&str] = &["resolve", "aws", "deploy", "cli", "adopt", "logs"];

const MAX_FILE_LINES: usize = 800;
const MAX_FN_LINES: usize = 150;

/// Every `.rs` file under `dir`, tests files left out.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(sources(&p));
        } else if p.extension().is_some_and(|x| x == "rs")
            && p.file_name().is_some_and(|n| n != "tests.rs")
        {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// The file's text without comments, string and character literals (each
/// replaced by a blank of the same lines), and without its test module.
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    };
    let b: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let keep_lines = |s: &[char], out: &mut String| {
        out.extend(s.iter().filter(|c| **c == '\n'));
    };
    while i < b.len() {
        let rest = &b[i..];
        if rest.starts_with(&['/', '/']) {
            let end = rest.iter().position(|c| *c == '\n').unwrap_or(rest.len());
            i += end;
        } else if rest.starts_with(&['/', '*']) {
            let end = (2..rest.len())
                .find(|&k| rest[k - 1] == '*' && rest[k] == '/')
                .map_or(rest.len(), |k| k + 1);
            keep_lines(&rest[..end], &mut out);
            i += end;
        } else if rest[0] == 'r' && rest.get(1).is_some_and(|c| *c == '"' || *c == '#') {
            // A raw string: r"..." or r#"..."#.
            let hashes = rest[1..].iter().take_while(|c| **c == '#').count();
            let start = 1 + hashes + 1;
            let close: Vec<char> = std::iter::once('"')
                .chain(std::iter::repeat_n('#', hashes))
                .collect();
            let end = (start..rest.len())
                .find(|&k| rest[k..].starts_with(&close))
                .map_or(rest.len(), |k| k + close.len());
            keep_lines(&rest[..end], &mut out);
            out.push_str("\"\"");
            i += end;
        } else if rest[0] == '"' {
            let mut k = 1;
            while k < rest.len() && rest[k] != '"' {
                k += if rest[k] == '\\' { 2 } else { 1 };
            }
            keep_lines(&rest[..k.min(rest.len())], &mut out);
            out.push_str("\"\"");
            i += k + 1;
        } else if rest[0] == '\'' {
            // A character literal ('x', '\n', '\''), not a lifetime ('a).
            let lit = if rest.get(1) == Some(&'\\') {
                rest.iter().skip(2).position(|c| *c == '\'').map(|k| k + 3)
            } else {
                (rest.get(2) == Some(&'\'')).then_some(3)
            };
            match lit {
                Some(n) => {
                    out.push_str("' '");
                    i += n;
                }
                None => {
                    out.push('\'');
                    i += 1;
                }
            }
        } else {
            out.push(rest[0]);
            i += 1;
        }
    }
    out
}

/// `src/plan/lb.rs` → `plan`; `src/exit.rs` → `exit`.
fn top_module(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

/// The crate's modules each file names (`crate::x`).
fn imports(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, _) in code.match_indices("crate::") {
        let name: String = code[i + 7..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            out.insert(name);
        }
        // `crate::{a, b::c}`
        if code[i + 7..].starts_with('{') {
            let group = &code[i + 8..code[i..].find('}').map_or(code.len(), |e| i + e)];
            for part in group.split(',') {
                let name: String = part
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    out.insert(name);
                }
            }
        }
    }
    out
}

/// A cycle in `graph`, if there is one.
fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        g: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == n) {
            let mut c = path[i..].to_vec();
            c.push(n.to_string());
            return Some(c);
        }
        if done.contains(n) {
            return None;
        }
        path.push(n.to_string());
        for m in g.get(n).into_iter().flatten() {
            if let Some(c) = visit(m, g, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(n.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|n| visit(n, graph, &mut Vec::new(), &mut done))
}

#[test]
fn stages_depend_downwards_only() {
    let src = root().join("src");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut plan_files: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let plan_names: BTreeSet<String> = sources(&src.join("plan"))
        .iter()
        .map(|p| p.file_stem().unwrap().to_string_lossy().to_string())
        .filter(|n| n != "mod")
        .collect();
    let mut pure_violations = Vec::new();
    for file in sources(&src) {
        let top = top_module(&src, &file);
        let code = code(&std::fs::read_to_string(&file).unwrap());
        let used = imports(&code);
        for u in &used {
            if *u != top {
                graph.entry(top.clone()).or_default().insert(u.clone());
            }
            if PURE.contains(&top.as_str()) && SHELL.contains(&u.as_str()) {
                pure_violations.push(format!("{} imports {u}", file.display()));
            }
        }
        // The files of plan/: `super::x` and `crate::plan::x`.
        if top == "plan" {
            let me = file.file_stem().unwrap().to_string_lossy().to_string();
            let mut refs = BTreeSet::new();
            for n in &plan_names {
                if *n != me
                    && (code.contains(&format!("super::{n}::"))
                        || code.contains(&format!("super::{n}::{{"))
                        || code.contains(&format!("plan::{n}::")))
                {
                    refs.insert(n.clone());
                }
            }
            plan_files.entry(me).or_default().extend(refs);
        }
    }
    assert!(
        pure_violations.is_empty(),
        "the pure core imports the shell: {pure_violations:#?}"
    );
    assert_eq!(cycle(&graph), None, "a cycle between top-level modules");
    assert_eq!(
        cycle(&plan_files),
        None,
        "a cycle between the files of plan/"
    );
}

#[test]
fn no_file_is_too_long_and_no_function_either() {
    let src = root().join("src");
    let mut long = Vec::new();
    for file in sources(&src) {
        let code = code(&std::fs::read_to_string(&file).unwrap());
        let lines: Vec<&str> = code.lines().collect();
        if lines.len() > MAX_FILE_LINES {
            long.push(format!("{}: {} lines", file.display(), lines.len()));
        }
        for (name, start, n) in functions(&lines) {
            if n > MAX_FN_LINES {
                long.push(format!(
                    "{}:{}: fn {name} is {n} lines",
                    file.display(),
                    start + 1
                ));
            }
        }
    }
    assert!(long.is_empty(), "too long: {long:#?}");
}

/// Each function's name, first line and length in lines (its signature to
/// its closing brace).
fn functions(lines: &[&str]) -> Vec<(String, usize, usize)> {
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let t = l.trim_start();
        let t = t
            .strip_prefix("pub(crate) ")
            .or_else(|| t.strip_prefix("pub(super) "))
            .or_else(|| t.strip_prefix("pub "))
            .unwrap_or(t);
        let t = t.strip_prefix("const ").unwrap_or(t);
        let t = t.strip_prefix("async ").unwrap_or(t);
        let Some(rest) = t.strip_prefix("fn ") else {
            continue;
        };
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        // From the signature to the brace that closes the body.
        let mut depth = 0i32;
        let mut opened = false;
        let mut end = None;
        'lines: for (k, line) in lines.iter().enumerate().skip(i) {
            for c in line.chars() {
                match c {
                    '{' => {
                        depth += 1;
                        opened = true;
                    }
                    '}' => depth -= 1,
                    ';' if !opened && depth == 0 => break 'lines, // a declaration
                    _ => {}
                }
                if opened && depth == 0 {
                    end = Some(k);
                    break 'lines;
                }
            }
        }
        if let Some(e) = end {
            out.push((name, i, e - i + 1));
        }
    }
    out
}

#[test]
fn the_checks_see_what_they_look_for() {
    let text = "fn a() {\n    let s = \"}}\";\n    let c = '}';\n    // }\n}\nfn b<'a>(x: &'a str) -> &'a str {\n    x\n}\n#[cfg(test)]\nmod tests {\n    fn long() {}\n}\n";
    let c = code(text);
    let lines: Vec<&str> = c.lines().collect();
    assert_eq!(
        functions(&lines),
        [("a".to_string(), 0, 5), ("b".to_string(), 5, 3)]
    );
    assert_eq!(
        imports("use crate::{a, b::c};\nlet x = crate::d::e();"),
        ["a", "b", "d"].map(String::from).into()
    );
    let g: BTreeMap<String, BTreeSet<String>> = [
        ("x".to_string(), ["y".to_string()].into()),
        ("y".to_string(), ["x".to_string()].into()),
    ]
    .into();
    assert!(cycle(&g).is_some());
}
