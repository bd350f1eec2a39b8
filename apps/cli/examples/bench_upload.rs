//! `cargo xtask bench upload`: a creator's upload into a real S3 store (Garage) through Kino,
//! against the same bytes PUT straight to the bucket by the same client code.
//!
//! - Kino path: the CLI's upload (create_upload on a running `kino`, presigned UploadPart URLs,
//!   parallel PUTs, complete_upload, which checks every part and joins them in the bucket).
//! - Baseline: the same parallel PUTs of the same parts, each to a presigned PutObject URL.
//!
//! - The Studio: the same file picked in headless Chromium and uploaded by the web app, on the
//!   same engine compiled to wasm (when `KINO_WEB_DIR` names the built web app).
//!
//! - The Studio against the CLI again, with the store and the api on one core and the
//!   clients on the others, as they would be across a network (`taskset`): on a shared
//!   two-core machine the browser's CPU per byte is taken from the store.
//!
//! Prints MB/s of each, the ratios kino/direct (goal >= 0.85) and Studio/CLI (goal >= 0.8),
//! and the api's peak RSS during the uploads (goal < 150 MB). `KINO_BENCH_MIB` sets the file
//! size (default 1024), `KINO_BIN` the `kino` binary (default: target/release/kino, else
//! target/debug/kino).

use cli::profile::{Profile, Session};
use cli::upload::{self, Part, UploadJob};
use shared::store::Store;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use testkit::garage::Garage;
use testkit::kino;

const MIB: u64 = 1024 * 1024;
const PARALLEL: usize = 4;

fn kino_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("KINO_BIN") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().unwrap();
    // target/release/examples/bench_upload -> target/{release,debug}/kino
    let target = exe.parent().unwrap().parent().unwrap().parent().unwrap();
    let release = target.join("release/kino");
    if release.is_file() {
        release
    } else {
        target.join("debug/kino")
    }
}

fn write_file(path: &Path, mib: u64) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut block = vec![0u8; MIB as usize];
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..mib {
        for chunk in block.chunks_mut(8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
        }
        f.write_all(&block).unwrap();
    }
    f.flush().unwrap();
}

/// Peak resident set of a process so far (VmHWM), in MiB.
fn peak_rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

#[tokio::main]
async fn main() {
    let mib: u64 = std::env::var("KINO_BENCH_MIB")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1024);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("upload.bin");
    write_file(&file, mib);
    let size = mib * MIB;

    let garage = Garage::start().await;
    let bin = kino_bin();
    let env = garage.kino_env();
    let server = kino::start_with_bin(
        &bin,
        &dir.path().join("kino"),
        &kino::Options {
            workers: 0,
            db: Some("mem://".into()),
            web_dir: std::env::var_os("KINO_WEB_DIR").map(PathBuf::from),
            env,
            listen: None,
        },
    );
    let rss_before = peak_rss_mib(server.process.id());
    let auth = shared::client::connect(&server.url, None)
        .signup(&shared::client::types::SignupRequest {
            email: "bench@example.com".into(),
            password: "correct horse battery".into(),
            display_name: "Bench".into(),
            invite_code: None,
        })
        .await
        .unwrap()
        .into_inner();
    let api = shared::client::connect(&server.url, Some(&auth.token));
    let profile = Profile::open(Some(dir.path().join("cli"))).unwrap();
    profile
        .save_session(&Session {
            server: server.url.clone(),
            token: auth.token.clone(),
            email: "bench@example.com".into(),
        })
        .unwrap();

    println!(
        "upload of {mib} MiB into Garage, {PARALLEL} parts in flight; api: {}",
        bin.display()
    );
    let Store::S3(s3) = garage.store().await else {
        unreachable!("garage is an S3 store")
    };
    // Two rounds, alternating, best of each: neither side gains from going first.
    let mut through_kino = Duration::MAX;
    let mut direct = Duration::MAX;
    let mut completion = Duration::ZERO;
    let mut parts = 0u64;
    for round in 0..2 {
        let t = Instant::now();
        let done = cli_upload(&api, &server.url, &profile, &file).await;
        let took = t.elapsed();
        if took < through_kino {
            through_kino = took;
            completion = done.completion;
        }
        parts = done.total_parts as u64;
        let part_size = size.div_ceil(parts);

        // The baseline: the same parts, the same sender, straight to the bucket.
        let targets: Vec<Part> = (1..=parts as u32)
            .map(|n| {
                let start = u64::from(n - 1) * part_size;
                Part {
                    number: n,
                    url: s3
                        .presigned_put_url(
                            &format!("baseline/{round}/part-{n:05}"),
                            Duration::from_secs(3600),
                        )
                        .unwrap(),
                    start,
                    end: start + part_size.min(size - start),
                }
            })
            .collect();
        let t = Instant::now();
        upload::send_parts(&file, targets, PARALLEL).await.unwrap();
        direct = direct.min(t.elapsed());
    }
    let studio = match std::env::var_os("KINO_WEB_DIR") {
        Some(_) => Some(through_the_studio(&server.url, &auth.token, &file).await),
        None => None,
    };
    // On one machine the client takes CPU the store needs, and a browser takes more of it per
    // byte than the CLI: the Studio loses to the store, not to its own engine. Across a
    // network they never share a CPU; that is modelled by giving the store and the api one
    // core and the clients (this process, its browser) the others.
    let apart = match (&studio, Cores::split(&[garage.pid(), server.process.id()])) {
        (Some(_), Some(cores)) => {
            let mut cli = Duration::MAX;
            for _ in 0..2 {
                let t = Instant::now();
                cli_upload(&api, &server.url, &profile, &file).await;
                cli = cli.min(t.elapsed());
            }
            let studio = through_the_studio(&server.url, &auth.token, &file).await;
            Some((cores, cli, studio))
        }
        _ => None,
    };
    let rss_peak = peak_rss_mib(server.process.id());

    let mbps = |d: Duration| size as f64 / 1e6 / d.as_secs_f64();
    println!(
        "through kino (create, {parts} presigned parts, complete): {:>7.2} s  {:>7.1} MB/s",
        through_kino.as_secs_f64(),
        mbps(through_kino)
    );
    println!(
        "straight to the bucket ({parts} plain PUTs):              {:>7.2} s  {:>7.1} MB/s",
        direct.as_secs_f64(),
        mbps(direct)
    );
    println!(
        "of which complete_upload (check {parts} parts, join them in the bucket): {:.2} s",
        completion.as_secs_f64()
    );
    println!(
        "ratio kino/direct throughput: {:.2} (goal >= 0.85)",
        direct.as_secs_f64() / through_kino.as_secs_f64()
    );
    match studio {
        Some(t) => println!(
            "through the Studio in Chromium (the engine in wasm), sharing every core with the store: {:>7.2} s  {:>7.1} MB/s  ratio studio/cli: {:.2}",
            t.as_secs_f64(),
            mbps(t),
            through_kino.as_secs_f64() / t.as_secs_f64()
        ),
        None => println!("the Studio was not measured: KINO_WEB_DIR names no web app"),
    }
    match apart {
        Some((cores, cli, studio)) => {
            println!(
                "store and api on CPU {}, clients on CPU {}:",
                cores.store, cores.clients
            );
            println!(
                "  the CLI:    {:>7.2} s  {:>7.1} MB/s",
                cli.as_secs_f64(),
                mbps(cli)
            );
            println!(
                "  the Studio: {:>7.2} s  {:>7.1} MB/s  ratio studio/cli: {:.2} (goal >= 0.8)",
                studio.as_secs_f64(),
                mbps(studio),
                cli.as_secs_f64() / studio.as_secs_f64()
            );
        }
        None => println!(
            "the Studio was not measured on cores apart from the store (no web app, one core, or no taskset)"
        ),
    }
    println!("api peak RSS: {rss_peak:.1} MiB (at start {rss_before:.1} MiB; goal < 150 MB)");
}

/// One upload by the CLI's engine.
async fn cli_upload(
    api: &shared::client::Client,
    server: &str,
    profile: &Profile,
    file: &Path,
) -> upload::Uploaded {
    upload::upload(
        api,
        server,
        profile,
        UploadJob {
            file: file.to_owned(),
            title: "Bench".into(),
            description: None,
            parallel: PARALLEL,
            limit_rate: None,
            show_progress: false,
        },
    )
    .await
    .unwrap()
}

/// The machine's CPUs split between the servers and the clients (`taskset` lists).
struct Cores {
    store: String,
    clients: String,
}

impl Cores {
    /// Moves every thread of `servers` to the first CPU and this process (and so the browsers
    /// it starts from now on) to the rest; `None` where there is one CPU or no `taskset`.
    fn split(servers: &[u32]) -> Option<Cores> {
        let n = std::thread::available_parallelism().ok()?.get();
        if n < 2 {
            return None;
        }
        let cores = Cores {
            store: "0".to_owned(),
            clients: format!("1-{}", n - 1),
        };
        let pin = |pid: u32, cpus: &str| {
            std::process::Command::new("taskset")
                .args(["--all-tasks", "--pid", "--cpu-list", cpus, &pid.to_string()])
                .stdout(std::process::Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        };
        let all = servers.iter().all(|&pid| pin(pid, &cores.store))
            && pin(std::process::id(), &cores.clients);
        all.then_some(cores)
    }
}

/// Uploads `file` through the web app's Studio in headless Chromium, from the click on Upload
/// to the row saying the upload is done (the server has joined the parts).
async fn through_the_studio(base: &str, token: &str, file: &Path) -> Duration {
    use testkit::browser::{click, element, start_browser, type_into};
    let (_driver, b) = start_browser().await;
    b.goto(base).await.unwrap();
    b.execute(
        "localStorage.setItem('kino.token', arguments[0]); return null;",
        vec![token.into()],
    )
    .await
    .unwrap();
    b.goto(&format!("{base}/studio")).await.unwrap();
    type_into(&b, "#file", file.to_str().unwrap()).await;
    element(&b, ".upload input[name=title]").await;
    let t = Instant::now();
    click(&b, "form button[type=submit]").await;
    let done = "const s = document.querySelector('.upload .status, .upload .error'); \
        return s ? s.className + '|' + s.textContent : null;";
    loop {
        let v = b.execute(done, vec![]).await.unwrap();
        let text = v.as_str().unwrap_or_default();
        if text.starts_with("error") {
            panic!("the Studio's upload failed: {text}");
        }
        if text.contains("Uploaded.") || text.contains("Playable") || text.contains("Published") {
            let took = t.elapsed();
            b.close().await.unwrap();
            return took;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
