//! The shipped systemd units (`deploy/systemd/`) are ones systemd accepts, and every flag they
//! pass is one the binary knows. (The nginx configuration is exercised by `edge.rs`.)

use std::path::Path;
use std::process::Command;
use testkit::kino;

#[test]
fn the_shipped_systemd_units_verify_and_pass_only_known_flags() {
    let units = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/systemd");
    let kino = kino::bin();
    let transcoder = kino.with_file_name("kino-transcoder");
    let dir = tempfile::tempdir().unwrap();
    let mut checked = Vec::new();
    for entry in std::fs::read_dir(&units).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        // The binaries where the units expect them, here where the build put them.
        let text = text
            .replace(
                "/usr/local/bin/kino-transcoder",
                &transcoder.display().to_string(),
            )
            .replace("/usr/local/bin/kino ", &format!("{} ", kino.display()));
        let exec = text
            .lines()
            .find_map(|l| l.strip_prefix("ExecStart="))
            .expect("an ExecStart line");
        let mut words = exec.split_whitespace();
        let bin = words.next().unwrap();
        let help = Command::new(bin).arg("--help").output().unwrap();
        let help = String::from_utf8_lossy(&help.stdout);
        for flag in words.filter(|w| w.starts_with("--")) {
            assert!(
                help.contains(flag),
                "{}: {bin} has no {flag}",
                path.display()
            );
        }
        let copy = dir.path().join(path.file_name().unwrap());
        std::fs::write(&copy, text).unwrap();
        checked.push(copy);
    }
    assert!(checked.len() >= 2, "{checked:?}");
    let out = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .args(&checked)
        .output()
        .expect("systemd-analyze runs (Debian's systemd package)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.trim().is_empty(),
        "systemd-analyze verify: {stderr}"
    );
}
