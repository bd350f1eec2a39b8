//! `cargo xtask bench transcode`: the ladder encode against baselines measured in the same run.
//!
//! On a generated clip (default 60 s of 1080p30; `KINO_BENCH_SECONDS` changes the length):
//! - the one-process ladder vs the same rungs encoded one ffmpeg process per rung,
//! - the transcoder's whole pipeline (probe, encode, playlists) vs the bare ffmpeg command,
//! - the time to the first playable version (lowest rung) against the clip's duration,
//! - the worker's whole job (first playable version, then the rest of the ladder around it)
//!   vs the bare command,
//! - the real-time factor of the whole job.

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
        .unwrap_or(60);
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
    encode::create_output_dirs(&out, &info, &rungs, encode::Extras::ALL).unwrap();
    let args = encode::ladder_args(&src, &out, &info, &rungs, preset, encode::Extras::ALL);
    let t = Instant::now();
    ffmpeg::run(&args, limit, |_| {}).await.unwrap();
    let bare = t.elapsed().as_secs_f64();

    let mut per_rung = 0.0;
    for (i, r) in rungs.iter().enumerate() {
        let out = fresh(dir.path(), &format!("single-{}", r.name));
        // The poster and storyboard once, with the first rung, as the ladder makes them once.
        let extras = if i == 0 {
            encode::Extras::ALL
        } else {
            encode::Extras::NONE
        };
        encode::create_output_dirs(&out, &info, std::slice::from_ref(r), extras).unwrap();
        let args = encode::ladder_args(&src, &out, &info, std::slice::from_ref(r), preset, extras);
        let t = Instant::now();
        ffmpeg::run(&args, limit, |_| {}).await.unwrap();
        per_rung += t.elapsed().as_secs_f64();
    }

    // What a worker does for a new video: the first playable version, then the rest of the
    // ladder around it.
    let first = fresh(dir.path(), "first-playable");
    let t = Instant::now();
    let probed = pipeline::inspect(&src).await.unwrap();
    pipeline::first_playable(&src, &first, probed.clone(), preset)
        .await
        .unwrap();
    let first_playable = t.elapsed().as_secs_f64();
    let out = fresh(dir.path(), "job");
    let t = Instant::now();
    let done = pipeline::finish(&src, &out, probed, &first, preset, |_| {})
        .await
        .unwrap();
    assert_eq!(
        done.rungs.len(),
        rungs.len(),
        "the job's ladder is complete"
    );
    let job = first_playable + t.elapsed().as_secs_f64();

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
    println!("first playable version    {first_playable:8.2} s");
    println!(
        "first playable / duration {:8.2}    (goal <= 0.15)",
        first_playable / f64::from(seconds)
    );
    println!(
        "job (first playable, then the rest) / bare ffmpeg {:5.2}x   (goal <= 1.10)",
        job / bare
    );
    println!(
        "real-time factor          {:8.2}x   (clip seconds per wall second of the whole job)",
        f64::from(seconds) / job
    );
}
