//! Sources as phones, cameras and editors really produce them: rotated, odd-sized, variable
//! frame rate, interlaced, 10-bit, 60 fps. Each becomes a playable ladder of 8-bit, progressive,
//! constant-frame-rate H.264 High rungs in display orientation, never upscaled.

use std::path::{Path, PathBuf};
use std::process::Command;
use transcoder::pipeline::{self, Outcome};

fn ffmpeg(args: &[&str]) {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-y"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "ffmpeg {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The first video stream of a file (or playlist), as ffprobe reports it.
fn probe_stream(file: &Path) -> serde_json::Value {
    probe(file, "v:0")
}

/// The first audio stream of a file (or playlist), as ffprobe reports it.
fn probe_audio(file: &Path) -> serde_json::Value {
    probe(file, "a:0")
}

fn probe(file: &Path, stream: &str) -> serde_json::Value {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-print_format", "json", "-show_streams"])
        .args(["-select_streams", stream])
        .arg(file)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["streams"][0].clone()
}

/// A test pattern of `size` at `rate` for `secs`, with extra encoder arguments.
fn pattern(dir: &Path, name: &str, size: &str, rate: u32, secs: u32, extra: &[&str]) -> PathBuf {
    let out = dir.join(name);
    let src = format!("testsrc2=size={size}:rate={rate}:duration={secs}");
    let mut args = vec![
        "-f",
        "lavfi",
        "-i",
        &src,
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
    ];
    args.extend_from_slice(extra);
    let path = out.to_str().unwrap().to_owned();
    args.push(&path);
    ffmpeg(&args);
    out
}

async fn transcode(src: &Path) -> (Outcome, PathBuf) {
    let out = src.with_extension("out");
    std::fs::create_dir_all(&out).unwrap();
    // The production preset, so the stream is what viewers get (ultrafast would be Baseline).
    let outcome = pipeline::transcode(src, &out, "veryfast", |_| {})
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", src.display()));
    (outcome, out)
}

/// Every rung: 8-bit 4:2:0 H.264 High, progressive, the size the ladder promised.
fn check_rungs(outcome: &Outcome, out: &Path) {
    assert!(!outcome.rungs.is_empty());
    for (rung, _) in &outcome.rungs {
        let s = probe_stream(&out.join(&rung.name).join("index.m3u8"));
        assert_eq!(s["codec_name"], "h264", "{}", rung.name);
        assert_eq!(s["profile"], "High", "{}", rung.name);
        assert_eq!(s["pix_fmt"], "yuv420p", "{}", rung.name);
        assert_eq!(s["width"], rung.width, "{}", rung.name);
        assert_eq!(s["height"], rung.height, "{}", rung.name);
        assert!(rung.width % 2 == 0 && rung.height % 2 == 0);
        assert!(
            rung.width <= outcome.info.width && rung.height <= outcome.info.height,
            "{} upscales {}x{}",
            rung.name,
            outcome.info.width,
            outcome.info.height
        );
        let field = s["field_order"].as_str().unwrap_or("progressive");
        assert_eq!(field, "progressive", "{}", rung.name);
    }
    assert!(out.join("master.m3u8").is_file());
    assert!(out.join(shared::layout::POSTER).is_file());
}

#[tokio::test]
async fn a_rotated_phone_clip_comes_out_upright() {
    let dir = tempfile::tempdir().unwrap();
    let landscape = pattern(dir.path(), "raw.mp4", "960x540", 30, 2, &[]);
    let phone = dir.path().join("phone.mp4");
    ffmpeg(&[
        "-i",
        landscape.to_str().unwrap(),
        "-c",
        "copy",
        "-metadata:s:v:0",
        "rotate=90",
        phone.to_str().unwrap(),
    ]);
    let (outcome, out) = transcode(&phone).await;
    assert_eq!((outcome.info.width, outcome.info.height), (540, 960));
    check_rungs(&outcome, &out);
    assert!(outcome.rungs.iter().all(|(r, _)| r.height > r.width));
}

#[tokio::test]
async fn odd_dimensions_variable_frame_rate_and_60_fps_are_normalised() {
    let dir = tempfile::tempdir().unwrap();
    let odd = pattern(dir.path(), "odd.mp4", "853x479", 30, 2, &[]);
    let (outcome, out) = transcode(&odd).await;
    check_rungs(&outcome, &out);
    // One rung (never upscaled past 479 lines), the source's shape kept.
    let (r, _) = &outcome.rungs[0];
    assert_eq!((outcome.rungs.len(), r.height), (1, 360));
    let aspect = |w: u32, h: u32| f64::from(w) / f64::from(h);
    assert!((aspect(r.width, r.height) - aspect(853, 479)).abs() < 0.01);

    // Frames dropped irregularly after the first second: timestamps no longer evenly spaced.
    let vfr = pattern(
        dir.path(),
        "vfr.mkv",
        "640x360",
        30,
        3,
        &[
            "-vf",
            "select='lt(n,30)+not(mod(n,3))+eq(mod(n,7),1)'",
            "-vsync",
            "vfr",
        ],
    );
    let (outcome, out) = transcode(&vfr).await;
    check_rungs(&outcome, &out);
    let master = std::fs::read_to_string(out.join("master.m3u8")).unwrap();
    assert!(master.contains("FRAME-RATE="), "{master}");

    let sixty = pattern(dir.path(), "sixty.mp4", "1280x720", 60, 3, &[]);
    let (outcome, out) = transcode(&sixty).await;
    check_rungs(&outcome, &out);
    let master = std::fs::read_to_string(out.join("master.m3u8")).unwrap();
    assert!(master.contains("FRAME-RATE=60.000"), "{master}");
    // Two-second GOPs at 60 fps: a keyframe every 120 frames.
    let top = &outcome.rungs.last().unwrap().0.name;
    let frames = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0", "-show_entries"])
        .args(["frame=key_frame", "-of", "csv=p=0"])
        .arg(out.join(top).join("index.m3u8"))
        .output()
        .unwrap();
    let keys: Vec<usize> = String::from_utf8_lossy(&frames.stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .filter(|(_, l)| l.trim().starts_with('1'))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(keys, [0, 120], "keyframes at {keys:?}");
}

#[tokio::test]
async fn interlaced_and_10_bit_sources_become_progressive_8_bit() {
    let dir = tempfile::tempdir().unwrap();
    let interlaced = pattern(
        dir.path(),
        "interlaced.ts",
        "1280x720",
        50,
        2,
        &[
            "-vf",
            "tinterlace=mode=interleave_top,setfield=tff",
            "-flags",
            "+ilme+ildct",
            "-top",
            "1",
        ],
    );
    let (outcome, out) = transcode(&interlaced).await;
    assert!(outcome.info.interlaced, "the source was seen as interlaced");
    check_rungs(&outcome, &out);

    let ten = pattern(
        dir.path(),
        "ten.mov",
        "1280x720",
        24,
        2,
        &["-pix_fmt", "yuv420p10le", "-profile:v", "high10"],
    );
    assert_eq!(probe_stream(&ten)["pix_fmt"], "yuv420p10le");
    let (outcome, out) = transcode(&ten).await;
    assert!(!outcome.info.interlaced);
    check_rungs(&outcome, &out);
}

#[tokio::test]
async fn stereo_aac_within_the_renditions_bit_rate_is_kept_and_any_other_audio_is_encoded_again() {
    let dir = tempfile::tempdir().unwrap();
    let video = pattern(dir.path(), "video.mp4", "320x240", 25, 2, &[]);
    let with_audio = |name: &str, audio: &[&str]| {
        let out = dir.path().join(name);
        let mut args = vec![
            "-i",
            video.to_str().unwrap(),
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:duration=2:sample_rate=44100",
            "-map",
            "0:v",
            "-map",
            "1:a",
            "-c:v",
            "copy",
        ];
        args.extend_from_slice(audio);
        args.push(out.to_str().unwrap());
        ffmpeg(&args);
        out
    };
    // (source, kept as it is)
    let sources = [
        (
            with_audio("aac.mp4", &["-c:a", "aac", "-ac", "2", "-b:a", "128k"]),
            true,
        ),
        // ADTS in a transport stream: copied into fragmented MP4 all the same.
        (
            with_audio("aac.ts", &["-c:a", "aac", "-ac", "2", "-b:a", "96k"]),
            true,
        ),
        (
            with_audio(
                "mp3.mkv",
                &["-c:a", "libmp3lame", "-ac", "2", "-b:a", "128k"],
            ),
            false,
        ),
        (
            with_audio("surround.mp4", &["-c:a", "aac", "-ac", "6", "-b:a", "128k"]),
            false,
        ),
        (
            with_audio("rich.mp4", &["-c:a", "aac", "-ac", "2", "-b:a", "320k"]),
            false,
        ),
        (
            with_audio("mono.mp4", &["-c:a", "aac", "-ac", "1", "-b:a", "64k"]),
            false,
        ),
    ];
    for (src, as_is) in sources {
        let (outcome, out) = transcode(&src).await;
        let name = src.file_name().unwrap().to_string_lossy();
        assert_eq!(outcome.info.audio_as_is, as_is, "{name}");
        let playlist = out.join("audio/index.m3u8");
        let a = probe_audio(&playlist);
        assert_eq!(a["codec_name"], "aac", "{name}: {a}");
        assert_eq!(a["profile"], "LC", "{name}: {a}");
        // Encoding again resamples to 48 kHz; a copy keeps the source's 44.1 kHz.
        let rate = if as_is { "44100" } else { "48000" };
        assert_eq!(a["sample_rate"], rate, "{name}: {a}");
        assert_eq!(a["channels"], 2, "{name}: {a}");
        let decoded = Command::new("ffmpeg")
            .args(["-v", "error", "-i"])
            .arg(&playlist)
            .args(["-f", "null", "-"])
            .output()
            .unwrap();
        assert!(
            decoded.status.success() && decoded.stderr.is_empty(),
            "{name}: {}",
            String::from_utf8_lossy(&decoded.stderr)
        );
        assert!(outcome.audio.is_some_and(|m| m.average > 0), "{name}");
    }
}
