//! Benchmarks print ratios against a baseline measured in the same run.

use anyhow::{Result, bail};
use std::path::Path;

pub fn run(root: &Path, args: &[String]) -> Result<()> {
    match args.first().map(String::as_str) {
        None => {
            run(root, &["transcode".to_owned()])?;
            run(root, &["upload".to_owned()])?;
            run(root, &["api".to_owned()])
        }
        Some("transcode") => {
            crate::prereqs::media_tools()?;
            crate::sh::run(
                crate::sh::cmd("cargo")
                    .args([
                        "run",
                        "--release",
                        "--quiet",
                        "--package",
                        "transcoder",
                        "--example",
                        "bench_transcode",
                    ])
                    .current_dir(root),
            )
        }
        Some("upload") => {
            let garage = crate::prereqs::object_store()?;
            // The api under test is a release build, as it would run in production.
            crate::sh::run(
                crate::sh::cmd("cargo")
                    .args(["build", "--release", "--package", "api", "--bin", "kino"])
                    .current_dir(root),
            )?;
            crate::sh::run(
                crate::sh::cmd("cargo")
                    .args([
                        "run",
                        "--release",
                        "--quiet",
                        "--package",
                        "cli",
                        "--example",
                        "bench_upload",
                    ])
                    .env("KINO_BIN", crate::target_dir(root).join("release/kino"))
                    .env("KINO_GARAGE_BIN", garage)
                    .current_dir(root),
            )
        }
        Some("api") => crate::sh::run(
            // In-process on an embedded database, with its hello-world baseline in the same
            // runtime; sizes come from KINO_BENCH_VIDEOS and KINO_BENCH_SEARCH_VIDEOS.
            crate::sh::cmd("cargo")
                .args([
                    "run",
                    "--release",
                    "--quiet",
                    "--package",
                    "api",
                    "--example",
                    "bench_api",
                ])
                .current_dir(root),
        ),
        Some(other) => bail!("unknown benchmark `{other}` (known: transcode, upload, api)"),
    }
}
