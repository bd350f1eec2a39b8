//! The api's shape, checked from its source: modules are layered (foundations, then the
//! capabilities, then the adapters that serve them) and each uses only the layers before it,
//! so a domain module never reaches up into REST, GraphQL or the HTTP endpoints, and there is
//! no import cycle between modules at any depth (capabilities, their modules, their files).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The top-level modules of `api/src`, in the order they may use each other: each may use only
/// modules listed before it. The same order as in `lib.rs`.
const LAYERS: &[&str] = &[
    "error",
    "config",
    "metrics",
    "db",
    "backup",
    "changes",
    "signing",
    "identity",
    "catalog",
    "library",
    "queue",
    "ingest",
    "delivery",
    "seed",
    "pages",
    "state",
    "background",
    "rest",
    "graphql",
    "http",
    "app",
];

/// Every module of `api/src` (as `a::b::c` paths) with the `crate::` paths its code names.
fn modules() -> BTreeMap<String, BTreeSet<String>> {
    let src = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap()).join("src");
    let mut out = BTreeMap::new();
    walk(&src, &src, &mut out);
    out
}

fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, BTreeSet<String>>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(root, &path, out);
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let rel = path.strip_prefix(root).unwrap().with_extension("");
        let mut parts: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        if parts.last().is_some_and(|p| p == "mod") {
            parts.pop();
        }
        if parts == ["lib"] || parts == ["main"] {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let mut paths = crate_paths(&text, "crate::");
        // `super::x` names a sibling: resolve it against the module's parent.
        let parent = parts[..parts.len() - 1].join("::");
        for p in crate_paths(&text, "super::") {
            paths.insert(if parent.is_empty() {
                p
            } else {
                format!("{parent}::{p}")
            });
        }
        out.insert(parts.join("::"), paths);
    }
}

/// The `{root}a::b` paths named outside comments, groups (`crate::{a, b::c}`) included.
fn crate_paths(text: &str, root: &str) -> BTreeSet<String> {
    let code: String = text
        .lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let mut found = BTreeSet::new();
    let mut rest = code.as_str();
    while let Some(i) = rest.find(root) {
        let before = rest[..i].chars().last();
        rest = &rest[i + root.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let p = path_at(item.trim());
                if !p.is_empty() {
                    found.insert(p);
                }
            }
        } else {
            let p = path_at(rest);
            if !p.is_empty() {
                found.insert(p);
            }
        }
    }
    found
}

fn path_at(s: &str) -> String {
    let end = s
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
        .unwrap_or(s.len());
    s[..end].trim_end_matches(':').to_owned()
}

/// The module graph at `depth` path segments: an edge for every path one module names into
/// another.
fn graph(depth: usize) -> BTreeMap<String, BTreeSet<String>> {
    let mods = modules();
    let cut = |p: &str| p.split("::").take(depth).collect::<Vec<_>>().join("::");
    let nodes: BTreeSet<String> = mods.keys().map(|m| cut(m)).collect();
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (m, paths) in &mods {
        let from = cut(m);
        let edges = g.entry(from.clone()).or_default();
        for p in paths {
            // The longest prefix of the path that is a module at this depth.
            let segs: Vec<&str> = p.split("::").collect();
            let target = (1..=segs.len().min(depth))
                .rev()
                .map(|n| segs[..n].join("::"))
                .find(|t| nodes.contains(t));
            if let Some(t) = target
                && t != from
            {
                edges.insert(t);
            }
        }
    }
    g
}

/// Strongly connected components with more than one module (Tarjan).
fn cycles(g: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct T<'a> {
        g: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on: BTreeSet<&'a str>,
        next: usize,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(t: &mut T<'a>, v: &'a str) {
        t.index.insert(v, t.next);
        t.low.insert(v, t.next);
        t.next += 1;
        t.stack.push(v);
        t.on.insert(v);
        let g = t.g;
        for w in g.get(v).into_iter().flatten() {
            let w = w.as_str();
            if !t.index.contains_key(w) {
                visit(t, w);
                let lw = t.low[w];
                let lv = t.low.get_mut(v).unwrap();
                *lv = (*lv).min(lw);
            } else if t.on.contains(w) {
                let iw = t.index[w];
                let lv = t.low.get_mut(v).unwrap();
                *lv = (*lv).min(iw);
            }
        }
        if t.low[v] == t.index[v] {
            let mut comp = Vec::new();
            loop {
                let w = t.stack.pop().unwrap();
                t.on.remove(w);
                comp.push(w.to_owned());
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                t.out.push(comp);
            }
        }
    }
    let mut t = T {
        g,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in g.keys() {
        if !t.index.contains_key(v.as_str()) {
            visit(&mut t, v);
        }
    }
    t.out
}

#[test]
fn each_module_uses_only_the_layers_before_it() {
    let g = graph(1);
    let rank = |m: &str| LAYERS.iter().position(|l| *l == m);
    let mut wrong = Vec::new();
    for (from, targets) in &g {
        let Some(r) = rank(from) else {
            wrong.push(format!("{from} is not in LAYERS; place it there"));
            continue;
        };
        for to in targets {
            match rank(to) {
                Some(t) if t < r => {}
                _ => wrong.push(format!("{from} uses {to}, which comes after it")),
            }
        }
    }
    assert!(wrong.is_empty(), "layering broken:\n{}", wrong.join("\n"));
}

#[test]
fn no_module_cycle_at_any_depth() {
    for depth in 1..=4 {
        let found = cycles(&graph(depth));
        assert!(
            found.is_empty(),
            "import cycles between modules {depth} deep: {found:?}"
        );
    }
}

#[test]
fn the_checks_see_cycles_and_group_imports() {
    let paths = crate_paths(
        "use crate::{a::b, c};\n// crate::commented\nlet x = crate::d::e(); mycrate::f();",
        "crate::",
    );
    assert_eq!(paths.into_iter().collect::<Vec<_>>(), ["a::b", "c", "d::e"]);
    let mut g = BTreeMap::new();
    g.insert("a".to_owned(), BTreeSet::from(["b".to_owned()]));
    g.insert("b".to_owned(), BTreeSet::from(["a".to_owned()]));
    g.insert("c".to_owned(), BTreeSet::from(["a".to_owned()]));
    assert_eq!(cycles(&g), vec![vec!["a".to_owned(), "b".to_owned()]]);
}
