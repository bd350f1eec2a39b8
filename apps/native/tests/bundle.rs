//! The built app carries the web bundle it was built with (and so cannot drift from it).

use std::path::PathBuf;

/// The bundle's hashed file names, from its index.html (`/assets/kino-<hash>.wasm`, ...).
fn hashed_assets(index: &str) -> Vec<String> {
    index
        .split('"')
        .filter(|s| s.starts_with("/assets/"))
        .map(|s| s.trim_start_matches('/').to_owned())
        .collect()
}

#[test]
fn the_app_embeds_the_web_bundle() {
    let bundle = std::env::var_os("KINO_WEB_DIR")
        .map(PathBuf::from)
        .expect("KINO_WEB_DIR names the built web app: run the tests with `cargo xtask test`");
    let index = std::fs::read_to_string(bundle.join("index.html")).expect("the bundle's index");
    let assets = hashed_assets(&index);
    assert!(
        assets.iter().any(|a| a.ends_with(".wasm")),
        "the index names the app's wasm: {assets:?}"
    );
    let app = std::fs::read(env!("CARGO_BIN_EXE_kino-app")).expect("the built app");
    for asset in &assets {
        assert!(
            contains(&app, asset.as_bytes()),
            "the app embeds {asset}; rebuild it after `cargo xtask web`"
        );
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
