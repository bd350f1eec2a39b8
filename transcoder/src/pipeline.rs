//! One transcode, independent of where jobs come from: probe the local source, encode the
//! ladder into an output directory, write the master playlist.

use crate::encode::{self, Extras, Measured};
use crate::ffmpeg::{self, RunError};
use crate::probe::{self, Rejection, SourceInfo};
use crate::storyboard;
use shared::ladder::{self, Rung};
use std::path::Path;
use std::time::Duration;

/// Why a transcode failed.
#[derive(Debug, thiserror::Error)]
pub enum TranscodeError {
    /// The input is unusable; retrying cannot help.
    #[error("{0}")]
    Rejected(#[from] Rejection),
    /// ffprobe could not make sense of the file.
    #[error("the file is not a video we can read ({0})")]
    Unreadable(String),
    /// The encode failed; maybe transient.
    #[error("encoding failed: {0}")]
    Encode(#[from] RunError),
    #[error("writing outputs: {0}")]
    Io(#[from] std::io::Error),
}

impl TranscodeError {
    /// Whether another attempt could succeed.
    pub fn retryable(&self) -> bool {
        matches!(self, TranscodeError::Encode(_) | TranscodeError::Io(_))
    }
}

/// What a finished transcode produced.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub info: SourceInfo,
    pub rungs: Vec<(Rung, Measured)>,
    pub audio: Option<Measured>,
}

/// Probes `source` and refuses what is not a transcodable video.
pub async fn inspect(source: &Path) -> Result<SourceInfo, TranscodeError> {
    let json = ffmpeg::probe(source, Duration::from_secs(60))
        .await
        .map_err(|e| match e {
            RunError::Failed { stderr, .. } => {
                TranscodeError::Unreadable(without_path(stderr.lines().last().unwrap_or("")))
            }
            other => TranscodeError::Encode(other),
        })?;
    Ok(probe::parse(&json)?)
}

/// ffprobe's complaint without the scratch path it names (`/tmp/…/source: Invalid data…`):
/// the owner reads the reason, and the worker's file layout is none of their business.
fn without_path(line: &str) -> String {
    match line.split_once(": ") {
        Some((head, rest)) if head.starts_with('/') || head.contains(['/', '\\']) => {
            rest.trim().to_owned()
        }
        _ => line.trim().to_owned(),
    }
}

/// Encodes `source` into `out` (which must be empty). `on_progress` receives percent done.
pub async fn transcode(
    source: &Path,
    out: &Path,
    preset: &str,
    on_progress: impl FnMut(f64) + Send,
) -> Result<Outcome, TranscodeError> {
    let info = inspect(source).await?;
    let rungs = ladder::for_source(info.width, info.height);
    encode(source, out, info, rungs, preset, Extras::ALL, on_progress).await
}

/// The first playable version of an inspected source: its lowest rung (and audio and poster)
/// only, so the video can play long before the whole ladder is done. It is encoded exactly
/// as the ladder would encode that rung (same preset, scaler, keyframes and segments), so
/// [`finish`] keeps it instead of encoding it again.
pub async fn first_playable(
    source: &Path,
    out: &Path,
    info: SourceInfo,
    preset: &str,
) -> Result<Outcome, TranscodeError> {
    let lowest = ladder::for_source(info.width, info.height)
        .into_iter()
        .take(1)
        .collect();
    let extras = Extras {
        poster: true,
        storyboard: false,
    };
    encode(source, out, info, lowest, preset, extras, |_| {}).await
}

/// The whole ladder of a source whose first playable version [`first_playable`] wrote into
/// `first` with the same preset: that version's rung and audio are moved in as they are,
/// and only the higher rungs (with the poster candidates and storyboard) are encoded. A
/// source whose ladder is that one rung is encoded whole.
pub async fn finish(
    source: &Path,
    out: &Path,
    info: SourceInfo,
    first: &Path,
    preset: &str,
    on_progress: impl FnMut(f64) + Send,
) -> Result<Outcome, TranscodeError> {
    let mut rungs = ladder::for_source(info.width, info.height);
    if rungs.len() < 2 || !first.join(&rungs[0].name).is_dir() {
        return encode(source, out, info, rungs, preset, Extras::ALL, on_progress).await;
    }
    let lowest = rungs.remove(0);
    let video_only = SourceInfo {
        has_audio: false,
        audio_as_is: false,
        ..info.clone()
    };
    let higher = encode(
        source,
        out,
        video_only,
        rungs,
        preset,
        Extras::ALL,
        on_progress,
    )
    .await?;
    std::fs::rename(first.join(&lowest.name), out.join(&lowest.name))?;
    let mut measured = vec![(
        lowest.clone(),
        encode::finish_rendition(&out.join(&lowest.name))?,
    )];
    measured.extend(higher.rungs);
    let audio = if info.has_audio {
        std::fs::rename(first.join(encode::AUDIO_DIR), out.join(encode::AUDIO_DIR))?;
        Some(encode::finish_rendition(&out.join(encode::AUDIO_DIR))?)
    } else {
        None
    };
    conclude(out, info, measured, audio)
}

/// Encodes the given rungs of an inspected source into `out` and writes the playlists.
pub async fn encode(
    source: &Path,
    out: &Path,
    info: SourceInfo,
    rungs: Vec<Rung>,
    preset: &str,
    extras: Extras,
    mut on_progress: impl FnMut(f64) + Send,
) -> Result<Outcome, TranscodeError> {
    encode::create_output_dirs(out, &info, &rungs, extras)?;
    let args = encode::ladder_args(source, out, &info, &rungs, preset, extras);
    // Generous: slow presets on big sources run well below real time on small machines.
    let limit = Duration::from_secs_f64((info.duration_s * 20.0).max(300.0));
    let duration = info.duration_s;
    ffmpeg::run(&args, limit, |t| {
        on_progress((t / duration * 100.0).clamp(0.0, 100.0))
    })
    .await?;
    let mut measured = Vec::new();
    for r in rungs {
        let m = encode::finish_rendition(&out.join(&r.name))?;
        measured.push((r, m));
    }
    let audio = if info.has_audio {
        Some(encode::finish_rendition(&out.join(encode::AUDIO_DIR))?)
    } else {
        None
    };
    if extras.storyboard {
        let sheets = std::fs::read_dir(out.join(storyboard::DIR))?.count() as u32;
        let plan = storyboard::plan(info.width, info.height, info.duration_s);
        std::fs::write(
            out.join(shared::layout::STORYBOARD),
            storyboard::vtt(&plan, info.duration_s, sheets),
        )?;
    }
    conclude(out, info, measured, audio)
}

/// Writes the master playlist of the measured renditions in `out`.
fn conclude(
    out: &Path,
    info: SourceInfo,
    rungs: Vec<(Rung, Measured)>,
    audio: Option<Measured>,
) -> Result<Outcome, TranscodeError> {
    let master = encode::master_playlist(&rungs, audio, encode::output_fps(&info));
    std::fs::write(out.join(shared::layout::MASTER_PLAYLIST), master)?;
    Ok(Outcome { info, rungs, audio })
}

#[cfg(test)]
mod reason_tests {
    use super::without_path;

    #[test]
    fn probe_reasons_leave_out_the_scratch_path() {
        assert_eq!(
            without_path(
                "/tmp/.tmpX/scratch/01ABC-1/source: Invalid data found when processing input"
            ),
            "Invalid data found when processing input"
        );
        assert_eq!(without_path("moov atom not found"), "moov atom not found");
    }
}
