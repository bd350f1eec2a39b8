//! The only place that starts processes: `ffprobe` and `ffmpeg`, hardened.
//!
//! Every run gets `-nostdin`, a protocol whitelist of `file,pipe` (so a hostile input such as a
//! playlist that names a URL cannot make a network request), a wall-clock limit, a lowered
//! scheduling priority where `nice` exists, and is killed if its future is dropped or (through
//! `setpriv --pdeathsig`) if the worker process itself dies.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::Command;

/// A failed run.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{program} could not start: {source}")]
    Spawn {
        program: &'static str,
        source: std::io::Error,
    },
    #[error("{program} ran longer than {limit:?}")]
    TimedOut {
        program: &'static str,
        limit: Duration,
    },
    #[error("{program} failed ({status}): {stderr}")]
    Failed {
        program: &'static str,
        status: String,
        stderr: String,
    },
}

/// The container formats a source may be read as. Playlists (`hls`, `concat`), images and
/// raw text are not among them, so a hostile file cannot make ffmpeg open other files or URLs
/// (the list is inherited by nested demuxers such as an AVI's embedded subtitles). Audio-only
/// formats are kept so such a file is refused with a precise reason.
pub const INPUT_FORMATS: &str =
    "mov,matroska,avi,mpegts,mpeg,flv,asf,ogg,mxf,dv,h264,hevc,m4v,mp3,wav,aac,flac";

fn command(program: &'static str) -> Command {
    // Run at low priority so a busy transcoder leaves the api responsive on a shared host, and
    // have the kernel kill the child if this process dies (even by SIGKILL), so no encode
    // outlives its worker.
    let mut wrap: Vec<&str> = Vec::new();
    if Path::new("/usr/bin/setpriv").exists() {
        wrap.extend(["/usr/bin/setpriv", "--pdeathsig", "KILL", "--"]);
    }
    if Path::new("/usr/bin/nice").exists() {
        wrap.extend(["/usr/bin/nice", "-n", "10"]);
    }
    let mut cmd = match wrap.split_first() {
        Some((first, rest)) => {
            let mut c = Command::new(first);
            c.args(rest).arg(program);
            c
        }
        None => Command::new(program),
    };
    cmd.kill_on_drop(true).stdin(Stdio::null());
    cmd
}

fn tail(s: &str) -> String {
    let lines: Vec<&str> = s.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(6)..].join("\n")
}

/// Runs ffprobe on a local file and returns its JSON report.
pub async fn probe(input: &Path, limit: Duration) -> Result<String, RunError> {
    let mut cmd = command("ffprobe");
    cmd.args([
        "-v",
        "error",
        "-protocol_whitelist",
        "file",
        "-format_whitelist",
        INPUT_FORMATS,
        "-print_format",
        "json",
        "-show_format",
        "-show_streams",
    ])
    .arg(input)
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let child = cmd.spawn().map_err(|source| RunError::Spawn {
        program: "ffprobe",
        source,
    })?;
    let out = tokio::time::timeout(limit, child.wait_with_output())
        .await
        .map_err(|_| RunError::TimedOut {
            program: "ffprobe",
            limit,
        })?
        .map_err(|source| RunError::Spawn {
            program: "ffprobe",
            source,
        })?;
    if !out.status.success() {
        return Err(RunError::Failed {
            program: "ffprobe",
            status: out.status.to_string(),
            stderr: tail(&String::from_utf8_lossy(&out.stderr)),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Runs ffmpeg with `args` (input and outputs included), reporting the encoded position in
/// seconds through `on_progress` as ffmpeg's `-progress` stream announces it.
pub async fn run(
    args: &[String],
    limit: Duration,
    mut on_progress: impl FnMut(f64) + Send,
) -> Result<(), RunError> {
    let mut cmd = command("ffmpeg");
    cmd.args([
        "-nostdin",
        "-hide_banner",
        "-v",
        "error",
        "-progress",
        "pipe:1",
        "-nostats",
    ])
    .args(args)
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|source| RunError::Spawn {
        program: "ffmpeg",
        source,
    })?;
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut stderr = child.stderr.take().expect("stderr is piped");
    let err_task = tokio::spawn(async move {
        let mut buf = String::new();
        let _ = stderr.read_to_string(&mut buf).await;
        buf
    });
    let work = async {
        let mut lines = BufReader::new(stdout).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            // `out_time_ms` is in microseconds too, despite its name.
            let value = line
                .strip_prefix("out_time_us=")
                .or_else(|| line.strip_prefix("out_time_ms="))
                .and_then(|us| us.trim().parse::<i64>().ok());
            if let Some(us) = value {
                on_progress(us.max(0) as f64 / 1e6);
            }
        }
        child.wait().await
    };
    let status = match tokio::time::timeout(limit, work).await {
        Ok(s) => s.map_err(|source| RunError::Spawn {
            program: "ffmpeg",
            source,
        })?,
        Err(_) => {
            return Err(RunError::TimedOut {
                program: "ffmpeg",
                limit,
            });
        }
    };
    let stderr = err_task.await.unwrap_or_default();
    if !status.success() {
        return Err(RunError::Failed {
            program: "ffmpeg",
            status: status.to_string(),
            stderr: tail(&stderr),
        });
    }
    Ok(())
}

/// Generates a synthetic H.264 clip from ffmpeg's test sources (a moving test pattern, and a
/// 440 Hz stereo tone when `audio`), for tests, benchmarks and demos.
pub async fn generate_test_clip(
    out: &Path,
    width: u32,
    height: u32,
    fps: u32,
    seconds: u32,
    audio: bool,
) -> Result<(), RunError> {
    let mut args: Vec<String> = vec![
        "-y".into(),
        "-f".into(),
        "lavfi".into(),
        "-i".into(),
        format!("testsrc2=size={width}x{height}:rate={fps}:duration={seconds}"),
    ];
    if audio {
        args.extend([
            "-f".into(),
            "lavfi".into(),
            "-i".into(),
            format!("sine=frequency=440:duration={seconds}"),
        ]);
        // What phones record: stereo AAC-LC at 48 kHz.
        args.extend(
            [
                "-c:a",
                "aac",
                "-ac",
                "2",
                "-ar",
                "48000",
                "-b:a",
                "128k",
                "-shortest",
            ]
            .map(Into::into),
        );
    }
    args.extend([
        "-c:v".into(),
        "libx264".into(),
        "-preset".into(),
        "ultrafast".into(),
        "-pix_fmt".into(),
        "yuv420p".into(),
    ]);
    args.push(out.display().to_string());
    run(&args, Duration::from_secs(600), |_| {}).await
}
