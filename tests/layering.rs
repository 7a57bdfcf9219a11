//! The pipeline's layer order, as data: every `crate::…` path in `src/` must follow
//! an allowed edge. `src/lib.rs` says the same in prose; this test holds the code to
//! it. A failure names the file, the line and the edge.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Each top-level module, and the modules it may use (besides itself).
const ALLOWED: &[(&str, &[&str])] = &[
    (
        "app",
        &[
            "analysis",
            "report",
            "driver",
            "har",
            "scenario",
            "profile",
            "http",
            "metrics",
            "shop",
            "units",
            "files",
            "error_kind",
        ],
    ),
    ("report", &["analysis", "units", "files", "error_kind"]),
    (
        "analysis",
        &["metrics", "scenario", "profile", "units", "error_kind"],
    ),
    (
        "driver",
        &[
            "scenario",
            "profile",
            "http",
            "metrics",
            "units",
            "error_kind",
        ],
    ),
    ("har", &["scenario", "units", "files", "error_kind"]),
    ("scenario", &["profile", "units", "files", "error_kind"]),
    ("http", &["units", "error_kind"]),
    ("metrics", &["profile", "units", "files", "error_kind"]),
    ("profile", &["units"]),
    ("units", &[]),
    ("files", &["units"]),
    ("error_kind", &[]),
    ("shop", &[]),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file belongs to (`src/http/h1.rs` → `http`).
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let relative = file.strip_prefix(src).ok()?;
    let first = relative.components().next()?.as_os_str().to_str()?;
    let name = first.trim_end_matches(".rs");
    (name != "lib" && name != "main").then(|| name.to_string())
}

/// The modules a source text names through `crate::`, with their line numbers.
/// Handles `crate::x::…`, `crate::{x, y::z}` and `use crate::x;`.
fn uses(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            if let Some(group) = rest.strip_prefix('{') {
                let inner = group.split('}').next().unwrap_or("");
                for item in inner.split(',') {
                    let name = item.trim().split("::").next().unwrap_or("").trim();
                    if !name.is_empty() {
                        found.push((n + 1, name.to_string()));
                    }
                }
            } else {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    found.push((n + 1, name));
                }
            }
        }
    }
    found
}

/// Every edge against [`ALLOWED`], as "file:line: a → b".
fn violations(src: &Path) -> Vec<String> {
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let mut files = Vec::new();
    rust_files(src, &mut files);
    files.sort();
    let mut bad = Vec::new();
    for file in files {
        let Some(from) = module_of(src, &file) else {
            continue;
        };
        let Some(may) = allowed.get(from.as_str()) else {
            bad.push(format!(
                "{}: module `{from}` is not in the layer table",
                file.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(&file).expect("a readable source file");
        for (line, to) in uses(&text) {
            if to != from && !may.contains(&to.as_str()) {
                bad.push(format!("{}:{line}: {from} → {to}", file.display()));
            }
        }
    }
    bad
}

#[test]
fn every_crate_path_follows_the_layer_order() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let bad = violations(&src);
    assert!(
        bad.is_empty(),
        "imports against the layer order (tests/layering.rs, src/lib.rs):\n{}",
        bad.join("\n")
    );
}

#[test]
fn an_illegal_import_is_caught() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let src = dir.path();
    std::fs::create_dir_all(src.join("http")).unwrap();
    std::fs::create_dir_all(src.join("shop")).unwrap();
    std::fs::write(
        src.join("http/mod.rs"),
        "use crate::error_kind::ErrorKind;\n",
    )
    .unwrap();
    assert!(violations(src).is_empty());
    std::fs::write(
        src.join("http/conn.rs"),
        "use crate::{error_kind::ErrorKind, scenario::Target};\n",
    )
    .unwrap();
    std::fs::write(
        src.join("shop/mod.rs"),
        "fn f() { crate::units::show_ms(1.0); }\n",
    )
    .unwrap();
    let bad = violations(src);
    assert_eq!(bad.len(), 2, "{bad:?}");
    assert!(bad[0].ends_with("conn.rs:1: http → scenario"), "{bad:?}");
    assert!(bad[1].ends_with("mod.rs:1: shop → units"), "{bad:?}");
}
