//! Running commands, loudly.

use anyhow::{Result, bail};
use std::ffi::OsStr;
use std::process::Command;

/// A command with the variables `cargo run` set for xtask itself removed, so a nested cargo
/// sees the same environment as one started from a shell. Build scripts that watch these
/// (ring watches `CARGO_MANIFEST_DIR`) would otherwise rebuild half the tree on every switch
/// between `cargo xtask test` and a plain `cargo test`.
pub fn cmd(program: impl AsRef<OsStr>) -> Command {
    let mut c = Command::new(program);
    for (key, _) in std::env::vars_os() {
        let k = key.to_string_lossy();
        let set_by_cargo_run = k.starts_with("CARGO_PKG_")
            || matches!(
                k.as_ref(),
                "CARGO_MANIFEST_DIR"
                    | "CARGO_MANIFEST_PATH"
                    | "CARGO_MANIFEST_LINKS"
                    | "CARGO_CRATE_NAME"
                    | "CARGO_BIN_NAME"
                    | "CARGO_PRIMARY_PACKAGE"
            );
        if set_by_cargo_run {
            c.env_remove(&key);
        }
    }
    c
}

/// Runs a command with inherited stdio; fails on a non-zero exit.
pub fn run(cmd: &mut Command) -> Result<()> {
    eprintln!("$ {}", describe(cmd));
    let status = cmd
        .status()
        .map_err(|e| anyhow::anyhow!("{}: {e}", describe(cmd)))?;
    if !status.success() {
        bail!("`{}` failed: {status}", describe(cmd));
    }
    Ok(())
}

/// Runs a command and returns its stdout, or None if it could not run or failed.
pub fn output(cmd: &mut Command) -> Option<String> {
    let out = cmd.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

/// Runs one long step of a task, announcing it with how long it takes on two cores and
/// reporting how long it took, so a cold run shows where its time goes.
pub fn step<T>(what: &str, expected: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    eprintln!("xtask: {what} ({expected})");
    let started = std::time::Instant::now();
    let out = f();
    eprintln!(
        "xtask: {what}: {} in {:.0} s",
        if out.is_ok() { "done" } else { "failed" },
        started.elapsed().as_secs_f64()
    );
    out
}
