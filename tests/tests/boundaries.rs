//! Architecture invariants that the compiler cannot check on its own.

use std::process::Command;

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

fn normal_deps(package: &str, features: &[&str]) -> Vec<String> {
    let mut cmd = cargo();
    cmd.args([
        "tree",
        "--offline",
        "-e",
        "normal",
        "--prefix",
        "none",
        "--format",
        "{p}",
        "-p",
        package,
    ]);
    if !features.is_empty() {
        cmd.args(["--features", &features.join(",")]);
    }
    let out = cmd
        // The clone cargo runs this test in (not the one it was compiled in).
        .current_dir(std::env::var_os("CARGO_MANIFEST_DIR").unwrap())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.split(' ').next().unwrap_or("").to_owned())
        .collect()
}

#[test]
fn shared_without_features_pulls_in_no_database_server_or_runtime() {
    let deps = normal_deps("shared", &[]);
    for banned in ["surrealdb", "poem", "tokio", "async-graphql", "reqwest"] {
        assert!(
            !deps.iter().any(|d| d == banned),
            "shared depends on {banned}"
        );
    }
}

#[test]
fn the_ui_knows_no_platform_and_the_transcoder_no_database() {
    let ui = normal_deps("ui", &[]);
    for banned in [
        "tauri",
        "dioxus-desktop",
        "dioxus-web",
        "web-sys",
        "surrealdb",
        "poem",
    ] {
        assert!(!ui.iter().any(|d| d == banned), "ui depends on {banned}");
    }
    // The transcoder serves its own `/metrics` (plain poem), but nothing of the api: no
    // database, no REST or GraphQL framework.
    let transcoder = normal_deps("transcoder", &[]);
    for banned in ["surrealdb", "poem-openapi", "async-graphql"] {
        assert!(
            !transcoder.iter().any(|d| d == banned),
            "transcoder depends on {banned}"
        );
    }
}
