//! The real ffmpeg on a generated 10-second 720p clip: every rung is checked with ffprobe and
//! the master playlist decodes end to end.

use std::path::Path;
use std::process::Command;
use transcoder::ffmpeg;
use transcoder::pipeline;

async fn make_clip(
    dir: &Path,
    width: u32,
    height: u32,
    fps: u32,
    seconds: u32,
    audio: bool,
) -> std::path::PathBuf {
    let out = dir.join("clip.mp4");
    ffmpeg::generate_test_clip(&out, width, height, fps, seconds, audio)
        .await
        .unwrap();
    out
}

fn ffprobe(args: &[&str], file: &Path) -> serde_json::Value {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-print_format", "json"])
        .args(args)
        .arg(file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Every stream of a master playlist decodes end to end without a single error.
fn decodes_cleanly(master: &Path) {
    let decode = Command::new("ffmpeg")
        .args(["-v", "error", "-xerror", "-allowed_extensions", "ALL", "-i"])
        .arg(master)
        .args(["-map", "0", "-f", "null", "-"])
        .output()
        .unwrap();
    assert!(
        decode.status.success() && decode.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&decode.stderr)
    );
}

#[tokio::test]
async fn a_720p_clip_becomes_an_aligned_three_rung_ladder() {
    let dir = tempfile::tempdir().unwrap();
    let src = make_clip(dir.path(), 1280, 720, 30, 10, true).await;
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let started = std::time::Instant::now();
    let mut last = 0.0;
    let outcome = pipeline::transcode(&src, &out, "veryfast", |p| last = p)
        .await
        .unwrap();
    let took = started.elapsed().as_secs_f64();
    eprintln!(
        "transcoded 10.0 s of 720p30 in {took:.2} s ({:.2}x real time)",
        10.0 / took
    );
    assert!(last > 90.0, "progress reached {last}");

    let expected = [("360p", 640, 360), ("540p", 960, 540), ("720p", 1280, 720)];
    assert_eq!(outcome.rungs.len(), 3, "never upscaled, nothing missing");
    for (name, w, h) in expected {
        let playlist = std::fs::read_to_string(out.join(name).join("index.m3u8")).unwrap();
        assert!(playlist.contains("#EXT-X-PLAYLIST-TYPE:VOD"));
        assert!(playlist.contains("#EXT-X-MAP:URI=\"init.mp4\""));
        let segments: Vec<&str> = playlist.lines().filter(|l| l.ends_with(".m4s")).collect();
        assert_eq!(segments.len(), 2, "10 s in 6 s segments");
        let durations: Vec<f64> = playlist
            .lines()
            .filter_map(|l| l.strip_prefix("#EXTINF:"))
            .map(|d| d.trim_end_matches(',').parse().unwrap())
            .collect();
        assert!(
            (durations[0] - 6.0).abs() < 0.05,
            "{name}: first segment {durations:?}"
        );

        // Size and codec of the rung, through the init segment plus its first media segment.
        let joined = dir.path().join(format!("{name}.mp4"));
        let mut bytes = std::fs::read(out.join(name).join("init.mp4")).unwrap();
        for s in &segments {
            bytes.extend(std::fs::read(out.join(name).join(s)).unwrap());
        }
        std::fs::write(&joined, bytes).unwrap();
        let info = ffprobe(&["-show_streams"], &joined);
        let v = &info["streams"][0];
        assert_eq!(v["codec_name"], "h264", "{name}");
        assert_eq!(v["profile"], "High", "{name}");
        assert_eq!(
            (v["width"].as_u64().unwrap(), v["height"].as_u64().unwrap()),
            (w, h),
            "{name}"
        );

        // A keyframe every 2 s, so each segment (and each 2 s GOP) starts on one.
        let frames = ffprobe(
            &[
                "-select_streams",
                "v:0",
                "-skip_frame",
                "nokey",
                "-show_entries",
                "frame=pts_time",
                "-show_frames",
            ],
            &joined,
        );
        let keys: Vec<f64> = frames["frames"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["pts_time"].as_str().unwrap().parse().unwrap())
            .collect();
        let first = keys[0];
        let rel: Vec<f64> = keys.iter().map(|k| k - first).collect();
        assert_eq!(rel.len(), 5, "{name}: keyframes at {rel:?}");
        for (i, k) in rel.iter().enumerate() {
            assert!(
                (k - 2.0 * i as f64).abs() < 0.05,
                "{name}: keyframes at {rel:?}"
            );
        }
    }
    let audio = std::fs::read_to_string(out.join("audio/index.m3u8")).unwrap();
    assert!(audio.contains("seg_00000.m4s"));

    let master = std::fs::read_to_string(out.join("master.m3u8")).unwrap();
    assert!(master.contains("#EXT-X-INDEPENDENT-SEGMENTS"));
    assert_eq!(master.matches("#EXT-X-STREAM-INF").count(), 3);
    for attr in [
        "BANDWIDTH=",
        "AVERAGE-BANDWIDTH=",
        "CODECS=\"avc1.64001",
        "RESOLUTION=",
        "FRAME-RATE=30.000",
        "AUDIO=\"aud\"",
    ] {
        assert!(master.contains(attr), "master lacks {attr}:\n{master}");
    }
    // Every poster candidate is there, each a different frame.
    let posters: Vec<Vec<u8>> = (0..shared::layout::POSTER_CANDIDATES)
        .map(|i| std::fs::read(out.join(shared::layout::poster_path(i))).unwrap())
        .collect();
    assert!(
        posters
            .iter()
            .all(|p| p.len() > 1000 && p.starts_with(&[0xff, 0xd8]))
    );
    for (i, a) in posters.iter().enumerate() {
        assert!(
            posters[i + 1..].iter().all(|b| a != b),
            "candidate {i} repeats"
        );
    }

    // The whole ladder decodes through the master playlist without a single error.
    decodes_cleanly(&out.join("master.m3u8"));
}

#[tokio::test]
async fn portrait_sources_without_audio_get_portrait_rungs() {
    let dir = tempfile::tempdir().unwrap();
    let src = make_clip(dir.path(), 540, 960, 25, 3, false).await;
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let outcome = pipeline::transcode(&src, &out, "ultrafast", |_| {})
        .await
        .unwrap();
    let sizes: Vec<_> = outcome
        .rungs
        .iter()
        .map(|(r, _)| (r.width, r.height))
        .collect();
    assert_eq!(sizes, [(360, 640), (540, 960)]);
    assert!(outcome.audio.is_none());
    let master = std::fs::read_to_string(out.join("master.m3u8")).unwrap();
    assert!(!master.contains("AUDIO="));
    assert!(master.contains("FRAME-RATE=25.000"));
}

#[tokio::test]
async fn seek_previews_index_every_stretch_of_the_video() {
    let dir = tempfile::tempdir().unwrap();
    let src = make_clip(dir.path(), 640, 360, 25, 7, false).await;
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    pipeline::transcode(&src, &out, "ultrafast", |_| {})
        .await
        .unwrap();
    let vtt = std::fs::read_to_string(out.join("storyboard.vtt")).unwrap();
    assert!(vtt.starts_with("WEBVTT\n\n"), "{vtt}");
    let cues: Vec<&str> = vtt.lines().filter(|l| l.contains("#xywh=")).collect();
    assert_eq!(cues.len(), 4, "a cue per 2 s of 7 s:\n{vtt}");
    assert_eq!(cues[3], "storyboard/sb_001.jpg#xywh=480,0,160,90");
    assert!(vtt.contains("00:00:06.000 --> 00:00:07.000"));
    // One 10x10 sheet of 160x90 tiles.
    let sheet = ffprobe(
        &["-show_entries", "stream=width,height"],
        &out.join("storyboard/sb_001.jpg"),
    );
    assert_eq!(sheet["streams"][0]["width"], 1600);
    assert_eq!(sheet["streams"][0]["height"], 900);
    assert!(!out.join("storyboard/sb_002.jpg").exists());
}

/// The `#EXTINF` durations of a rendition's playlist.
fn segment_durations(playlist: &Path) -> Vec<String> {
    std::fs::read_to_string(playlist)
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix("#EXTINF:").map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn the_ladder_keeps_the_first_playable_rung_instead_of_encoding_it_twice() {
    let dir = tempfile::tempdir().unwrap();
    let src = make_clip(dir.path(), 1280, 720, 30, 10, true).await;
    let info = pipeline::inspect(&src).await.unwrap();
    let early = dir.path().join("first-playable");
    std::fs::create_dir_all(&early).unwrap();
    let first = pipeline::first_playable(&src, &early, info.clone(), "veryfast")
        .await
        .unwrap();
    assert_eq!(first.rungs.len(), 1);
    let segment = std::fs::read(early.join("360p/seg_00000.m4s")).unwrap();

    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let outcome = pipeline::finish(&src, &out, info, &early, "veryfast", |_| {})
        .await
        .unwrap();
    let names: Vec<&str> = outcome.rungs.iter().map(|(r, _)| r.name.as_str()).collect();
    assert_eq!(names, ["360p", "540p", "720p"]);
    assert!(outcome.audio.is_some());
    assert_eq!(
        std::fs::read(out.join("360p/seg_00000.m4s")).unwrap(),
        segment,
        "the first playable rendition is the ladder's lowest rung"
    );
    // Segments line up across the kept rung and the new ones, so players switch cleanly.
    let lowest = segment_durations(&out.join("360p/index.m3u8"));
    assert_eq!(lowest.len(), 2, "{lowest:?}");
    for name in ["540p", "720p"] {
        assert_eq!(
            segment_durations(&out.join(name).join("index.m3u8")),
            lowest
        );
    }
    let master = std::fs::read_to_string(out.join("master.m3u8")).unwrap();
    assert_eq!(master.matches("#EXT-X-STREAM-INF").count(), 3, "{master}");
    assert!(master.contains("AUDIO=\"aud\""), "{master}");
    assert!(out.join(shared::layout::STORYBOARD).is_file());
    assert!(out.join(shared::layout::poster_path(3)).is_file());

    decodes_cleanly(&out.join("master.m3u8"));
}
