//! Benchmarks print ratios against a baseline measured in the same run.

use anyhow::{Result, bail};
use std::path::Path;

pub fn run(root: &Path, args: &[String]) -> Result<()> {
    match args.first().map(String::as_str) {
        None | Some("transcode") => {
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
        Some(other) => bail!("unknown benchmark `{other}` (known: transcode)"),
    }
}
