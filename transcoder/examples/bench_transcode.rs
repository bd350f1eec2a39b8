//! `cargo xtask bench transcode`: the ladder encode against baselines measured in the same run.
//!
//! On a generated clip (default 20 s of 1080p30; `KINO_BENCH_SECONDS` changes the length):
//! - the one-process ladder vs the same rungs encoded one ffmpeg process per rung,
//! - the transcoder's whole pipeline (probe, encode, playlists) vs the bare ffmpeg command,
//! - the real-time factor of the pipeline.

use std::path::Path;
use std::time::{Duration, Instant};
use transcoder::{encode, ffmpeg, pipeline};

fn fresh(dir: &Path, name: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    let _ = std::fs::remove_dir_all(&p);
    std::fs::create_dir_all(&p).unwrap();
    p
}

#[tokio::main]
async fn main() {
    let seconds: u32 = std::env::var("KINO_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let preset = "veryfast";
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("source.mp4");
    ffmpeg::generate_test_clip(&src, 1920, 1080, 30, seconds, true)
        .await
        .unwrap();
    let info = pipeline::inspect(&src).await.unwrap();
    let rungs = shared::ladder::for_source(info.width, info.height);
    let limit = Duration::from_secs(3600);
    println!(
        "clip: {seconds} s of {}x{} at {} fps; rungs: {}",
        info.width,
        info.height,
        info.fps,
        rungs
            .iter()
            .map(|r| r.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );

    let out = fresh(dir.path(), "pipeline");
    let t = Instant::now();
    pipeline::transcode(&src, &out, preset, |_| {})
        .await
        .unwrap();
    let whole = t.elapsed().as_secs_f64();

    let out = fresh(dir.path(), "bare");
    for r in &rungs {
        std::fs::create_dir_all(out.join(&r.name)).unwrap();
    }
    std::fs::create_dir_all(out.join(encode::AUDIO_DIR)).unwrap();
    let args = encode::ladder_args(&src, &out, &info, &rungs, preset);
    let t = Instant::now();
    ffmpeg::run(&args, limit, |_| {}).await.unwrap();
    let bare = t.elapsed().as_secs_f64();

    let mut per_rung = 0.0;
    for r in &rungs {
        let out = fresh(dir.path(), &format!("single-{}", r.name));
        std::fs::create_dir_all(out.join(&r.name)).unwrap();
        std::fs::create_dir_all(out.join(encode::AUDIO_DIR)).unwrap();
        let args = encode::ladder_args(&src, &out, &info, std::slice::from_ref(r), preset);
        let t = Instant::now();
        ffmpeg::run(&args, limit, |_| {}).await.unwrap();
        per_rung += t.elapsed().as_secs_f64();
    }

    println!("one-process ladder        {bare:8.2} s");
    println!("one process per rung      {per_rung:8.2} s");
    println!("transcoder pipeline       {whole:8.2} s");
    println!(
        "ladder / per-rung         {:8.2}x   (goal <= 0.60)",
        bare / per_rung
    );
    println!(
        "pipeline / bare ffmpeg    {:8.2}x   (goal <= 1.10)",
        whole / bare
    );
    println!(
        "real-time factor          {:8.2}x   (clip seconds per wall second)",
        f64::from(seconds) / whole
    );
}
