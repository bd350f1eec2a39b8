//! `cargo xtask bench edge`: media delivery against nginx, and what the edge saves the api.
//!
//! 1. Media: the release `kino` serving 1 MiB segments from its store through `/media` (token
//!    checked, visibility read, ranges and ETags) against nginx serving the same files from the
//!    same directory (`sendfile`), each on CPU 0 alone (nginx with one worker process, `kino`
//!    started there so its runtime sizes itself to one CPU), loaded by `wrk` on CPU 1 with 64
//!    connections. Goal: at least 0.7x nginx's throughput, p99 at most 1.5x.
//! 2. Through the edge: 200 viewers of 5 public videos (the video's page, the master and
//!    rendition playlists, 10 segments of 1 MiB), all at once, straight to the api and then
//!    through the shipped edge. Printed: the edge's cache hit ratio for media (goal at least
//!    0.95) and the requests and request rate the api served each way.
//!
//! `KINO_BENCH_SECS` sets each wrk run's length (default 10).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};
use testkit::edge::{self, Edge};
use testkit::kino;

const MIB: usize = 1024 * 1024;

/// A video's media base (`/media/{token}/{id}/v{n}`) and where its files live on disk.
struct Media {
    base: String,
    dir: std::path::PathBuf,
}

async fn media_of(api: &str, data: &Path, id: &str) -> Media {
    let v: serde_json::Value = reqwest::get(format!("{api}/api/v1/videos/{id}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let master = v["playback"]["master_url"].as_str().expect("published");
    let base = master.rsplit_once('/').unwrap().0.to_owned();
    // /media/{token}/{id}/v{n}
    let version = base.rsplit('/').next().unwrap();
    let dir = data.join("objects/videos").join(id).join(version);
    Media { base, dir }
}

/// One GET of each path before measuring. nginx serves files just written from the page
/// cache, so kino fills its memory the same way, and both are measured warm: a 10 s run
/// otherwise counts a replica's first read of each segment in its p99.
async fn warm(base: &str, paths: &[String]) {
    let http = reqwest::Client::new();
    for p in paths {
        let r = http.get(format!("{base}{p}")).send().await.unwrap();
        assert!(r.status().is_success(), "{p}: {}", r.status());
        r.bytes().await.unwrap();
    }
}

/// Writes a master playlist, a rendition playlist and `segments` segments of 1 MiB.
fn write_media(dir: &Path, segments: usize) {
    std::fs::create_dir_all(dir.join("720p")).unwrap();
    std::fs::write(
        dir.join("master.m3u8"),
        "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=3000000,RESOLUTION=1280x720\n720p/index.m3u8\n",
    )
    .unwrap();
    let mut playlist = String::from("#EXTM3U\n#EXT-X-TARGETDURATION:3\n");
    let mut bytes = vec![0u8; MIB];
    for n in 0..segments {
        // Different bytes per file, so nothing can be deduplicated.
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = (i as u64 * 31 + n as u64 * 7) as u8;
        }
        let name = format!("seg_{n:05}.m4s");
        std::fs::write(dir.join("720p").join(&name), &bytes).unwrap();
        playlist.push_str(&format!("#EXTINF:2.8,\n{name}\n"));
    }
    playlist.push_str("#EXT-X-ENDLIST\n");
    std::fs::write(dir.join("720p/index.m3u8"), playlist).unwrap();
}

/// Runs `start` with the calling thread on `cpu` alone: the processes it starts inherit that.
fn started_on<T>(cpu: &str, start: impl FnOnce() -> T) -> T {
    let me = std::process::id().to_string();
    let all = format!(
        "0-{}",
        std::thread::available_parallelism().map_or(1, |n| n.get()) - 1
    );
    let set = |cpus: &str| {
        let ok = Command::new("taskset")
            .args(["-pc", cpus, &me])
            .output()
            .is_ok_and(|o| o.status.success());
        assert!(ok, "taskset could not pin this process");
    };
    set(cpu);
    let started = start();
    set(&all);
    started
}

fn pin(pid: u32, cpu: &str) {
    let ok = Command::new("taskset")
        .args(["-apc", cpu, &pid.to_string()])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(ok, "taskset could not pin {pid}");
}

/// wrk's figures: requests/s, MB/s, p50 and p99 in ms.
struct Load {
    rps: f64,
    mbps: f64,
    p50: f64,
    p99: f64,
}

fn ms(s: &str) -> f64 {
    let s = s.trim();
    let (n, unit) = s.split_at(s.find(|c: char| c.is_alphabetic()).unwrap_or(s.len()));
    let n: f64 = n.parse().unwrap_or(f64::NAN);
    match unit {
        "us" => n / 1000.0,
        "ms" => n,
        "s" => n * 1000.0,
        "m" => n * 60_000.0,
        _ => f64::NAN,
    }
}

fn wrk(base: &str, paths: &[String], dir: &Path, secs: u64) -> Load {
    let script = dir.join("paths.lua");
    let list = paths
        .iter()
        .map(|p| format!("{p:?}"))
        .collect::<Vec<_>>()
        .join(",");
    std::fs::write(
        &script,
        format!(
            "local paths = {{{list}}}\nlocal i = 0\nrequest = function()\n  i = i % #paths + 1\n  return wrk.format(\"GET\", paths[i])\nend\n"
        ),
    )
    .unwrap();
    let out = Command::new("taskset")
        .args(["-c", "1", "wrk", "-t2", "-c64"])
        .arg(format!("-d{secs}s"))
        .args(["--latency", "-s"])
        .arg(&script)
        .arg(base)
        .output()
        .expect("wrk runs (Debian's wrk)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "wrk: {text}");
    assert!(!text.contains("Non-2xx"), "wrk saw failed requests: {text}");
    let field = |prefix: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(prefix))
            .unwrap_or_else(|| panic!("wrk printed no {prefix}: {text}"))
            .trim()
            .to_owned()
    };
    let transfer = field("Transfer/sec:");
    let mbps = megabytes(&transfer);
    Load {
        rps: field("Requests/sec:").parse().unwrap(),
        mbps,
        p50: ms(&field("50%")),
        p99: ms(&field("99%")),
    }
}

/// wrk's "123.45MB" as MB.
fn megabytes(s: &str) -> f64 {
    let (n, unit) = s.split_at(s.find(|c: char| c.is_alphabetic()).unwrap_or(s.len()));
    let n: f64 = n.parse().unwrap_or(f64::NAN);
    match unit {
        "KB" => n / 1024.0,
        "MB" => n,
        "GB" => n * 1024.0,
        _ => f64::NAN,
    }
}

/// Requests the api has answered, over every route.
async fn api_requests(api: &str) -> f64 {
    let text = reqwest::get(format!("{api}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .filter(|l| l.starts_with("kino_http_requests_total{") && !l.contains("route=\"metrics\""))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// 200 viewers of `videos`, all at once: each video's page, its playlists and segments.
/// Returns (media requests, media requests the edge answered from its cache).
async fn viewers(base: &str, videos: &[String], segments: usize) -> (usize, usize) {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()
        .unwrap();
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let (http, base, id) = (
                http.clone(),
                base.to_owned(),
                videos[i % videos.len()].clone(),
            );
            tokio::spawn(async move {
                let get = |url: String| {
                    let http = http.clone();
                    async move {
                        let r = http.get(&url).send().await.unwrap();
                        assert!(r.status().is_success(), "{url}: {}", r.status());
                        let hit = r
                            .headers()
                            .get("x-cache-status")
                            .is_some_and(|v| v.as_bytes() == b"HIT");
                        (r.bytes().await.unwrap(), hit)
                    }
                };
                let (page, _) = get(format!("{base}/api/v1/videos/{id}")).await;
                let page: serde_json::Value = serde_json::from_slice(&page).unwrap();
                let master = format!("{base}{}", page["playback"]["master_url"].as_str().unwrap());
                let media = master.rsplit_once('/').unwrap().0.to_owned();
                let mut hits = 0;
                let mut urls = vec![master, format!("{media}/720p/index.m3u8")];
                urls.extend((0..segments).map(|n| format!("{media}/720p/seg_{n:05}.m4s")));
                let asked = urls.len();
                for url in urls {
                    let (body, hit) = get(url).await;
                    assert!(!body.is_empty());
                    hits += usize::from(hit);
                }
                (asked, hits)
            })
        })
        .collect();
    let mut total = (0, 0);
    for t in tasks {
        let (a, h) = t.await.unwrap();
        total.0 += a;
        total.1 += h;
    }
    total
}

#[tokio::main]
async fn main() {
    let secs: u64 = std::env::var("KINO_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let data = tempfile::tempdir().unwrap();
    // The main thread runs this (`block_on`), so the child inherits its CPU.
    let api = started_on("0", || kino::start_seeded(data.path(), 40));
    let listed: serde_json::Value = reqwest::get(format!("{}/api/v1/videos?limit=5", api.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let videos: Vec<String> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(videos.len(), 5, "{listed}");
    let mut media = Vec::new();
    for (i, id) in videos.iter().enumerate() {
        let m = media_of(&api.url, data.path(), id).await;
        write_media(&m.dir, if i == 0 { 100 } else { 10 });
        media.push(m);
    }
    pin(api.process.id(), "0");

    // 1. Media delivery.
    let segments: Vec<String> = (0..100).map(|n| format!("720p/seg_{n:05}.m4s")).collect();
    let through_kino: Vec<String> = segments
        .iter()
        .map(|s| format!("{}/{s}", media[0].base))
        .collect();
    let prefix = media[0]
        .dir
        .strip_prefix(data.path().join("objects"))
        .unwrap()
        .display()
        .to_string();
    let from_disk: Vec<String> = segments.iter().map(|s| format!("/{prefix}/{s}")).collect();
    let scratch = tempfile::tempdir().unwrap();
    warm(&api.url, &through_kino).await;
    let k = wrk(&api.url, &through_kino, scratch.path(), secs);
    let nginx_dir = scratch.path().join("nginx");
    std::fs::create_dir_all(nginx_dir.join("tmp")).unwrap();
    let port = testkit::process::free_port();
    let conf = nginx_dir.join("nginx.conf");
    let d = nginx_dir.display();
    std::fs::write(
        &conf,
        format!(
            "daemon off;\nworker_processes 1;\n{user}pid {d}/nginx.pid;\nerror_log {d}/error.log warn;\n\
             events {{ worker_connections 4096; }}\nhttp {{\n  access_log off;\n  sendfile on;\n  tcp_nopush on;\n\
             client_body_temp_path {d}/tmp/body;\n  proxy_temp_path {d}/tmp/proxy;\n  fastcgi_temp_path {d}/tmp/fastcgi;\n\
             uwsgi_temp_path {d}/tmp/uwsgi;\n  scgi_temp_path {d}/tmp/scgi;\n\
             server {{ listen 127.0.0.1:{port}; root {root}; }}\n}}\n",
            user = if std::env::var("USER").as_deref() == Ok("root") { "user root;\n" } else { "" },
            root = data.path().join("objects").display(),
        ),
    )
    .unwrap();
    let mut nginx = testkit::process::Guard(
        Command::new(edge::bin())
            .arg("-p")
            .arg(&nginx_dir)
            .arg("-c")
            .arg(&conf)
            .spawn()
            .expect("nginx starts"),
    );
    edge::wait_listening(port);
    pin(nginx.id(), "0");
    let nginx_url = format!("http://127.0.0.1:{port}");
    warm(&nginx_url, &from_disk).await;
    let n = wrk(&nginx_url, &from_disk, scratch.path(), secs);
    let _ = Command::new("kill")
        .args(["-TERM", &nginx.id().to_string()])
        .status();
    std::thread::sleep(Duration::from_millis(300));
    nginx.kill();
    println!("media: 1 MiB segments, 64 connections, {secs} s, server on CPU 0, wrk on CPU 1");
    println!(
        "  kino /media:     {:>8.0} req/s {:>8.0} MB/s  p50 {:>6.1} ms  p99 {:>6.1} ms",
        k.rps, k.mbps, k.p50, k.p99
    );
    println!(
        "  nginx from disk: {:>8.0} req/s {:>8.0} MB/s  p50 {:>6.1} ms  p99 {:>6.1} ms",
        n.rps, n.mbps, n.p50, n.p99
    );
    println!(
        "  kino / nginx:    throughput {:.2} (goal >= 0.7), p99 {:.2} (goal <= 1.5)",
        k.rps / n.rps,
        k.p99 / n.p99
    );

    // 2. Through the edge.
    let edge_dir = tempfile::tempdir().unwrap();
    let edge = Edge::start(
        edge_dir.path(),
        &[api.url.trim_start_matches("http://").to_owned()],
    );
    let before = api_requests(&api.url).await;
    let t = Instant::now();
    viewers(&api.url, &videos, 10).await;
    let direct_time = t.elapsed().as_secs_f64();
    let direct = api_requests(&api.url).await - before;
    let before = api_requests(&api.url).await;
    let t = Instant::now();
    let (asked, hits) = viewers(&edge.url, &videos, 10).await;
    let edge_time = t.elapsed().as_secs_f64();
    let through = api_requests(&api.url).await - before;
    println!("through the edge: 200 viewers of 5 public videos, 10 segments of 1 MiB each");
    println!(
        "  edge cache hit ratio for media: {:.3} ({hits} of {asked}; goal >= 0.95)",
        hits as f64 / asked as f64
    );
    println!(
        "  api without the edge: {direct:.0} requests in {direct_time:.1} s ({:.0} req/s)",
        direct / direct_time
    );
    println!(
        "  api with the edge:    {through:.0} requests in {edge_time:.1} s ({:.0} req/s), {:.3} of the requests without it",
        through / edge_time,
        through / direct
    );
}
