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

fn probe_stream(file: &Path) -> serde_json::Value {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-print_format", "json", "-show_streams"])
        .args(["-select_streams", "v:0"])
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
