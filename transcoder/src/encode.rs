//! The ladder encode: one ffmpeg process, one decode, `split` into one scaled branch per rung
//! plus poster and storyboard branches, libx264 with keyframes forced every 2 s on every rung (so segment
//! boundaries align across rungs and players can switch anywhere), 6 s fMP4 segments, stereo
//! AAC as a separate audio rendition, and a master playlist written from the measured segments
//! (ffmpeg's own lacks AVERAGE-BANDWIDTH and FRAME-RATE and lists audio as a variant).

use crate::probe::SourceInfo;
use crate::storyboard;
use shared::ladder::{self, Rung};
use std::fmt::Write as _;
use std::path::Path;

/// Directory and playlist of the audio rendition.
pub const AUDIO_DIR: &str = "audio";

/// Output frame rate: the source's, capped at 60.
pub fn output_fps(info: &SourceInfo) -> f64 {
    info.fps.min(60.0)
}

/// When the poster candidates are taken: the default a tenth of the way in (past intros and
/// fades, at most 30 s), the others spread over the rest of the video.
pub fn poster_times(duration_s: f64) -> Vec<f64> {
    let d = duration_s.max(0.0);
    let mut times = vec![(d * 0.1).min(30.0)];
    let others = shared::layout::POSTER_CANDIDATES.saturating_sub(1);
    for k in 1..=others {
        times.push(d * (0.1 + 0.8 * f64::from(k) / f64::from(others + 1)));
    }
    times
}

/// What an encode writes besides the renditions, and how it scales.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extras {
    pub poster: bool,
    pub storyboard: bool,
}

impl Extras {
    /// Everything, at full quality: the whole ladder's outputs.
    pub const ALL: Extras = Extras {
        poster: true,
        storyboard: true,
    };
    /// The renditions alone.
    pub const NONE: Extras = Extras {
        poster: false,
        storyboard: false,
    };
}

/// How a rung is scaled from the source: by averaging (`area`) when it is half the source's
/// size or less, where that is both alias-free and the cheapest filter, else `bicubic`.
pub fn scaler(info: &SourceInfo, rung: &Rung) -> &'static str {
    let source = info.width.min(info.height);
    let target = rung.width.min(rung.height);
    if source >= 2 * target {
        "area"
    } else {
        "bicubic"
    }
}

/// The directories under `out` that [`ladder_args`] has ffmpeg write into (ffmpeg does not
/// create them).
pub fn create_output_dirs(
    out: &Path,
    info: &SourceInfo,
    rungs: &[Rung],
    extras: Extras,
) -> std::io::Result<()> {
    for r in rungs {
        std::fs::create_dir_all(out.join(&r.name))?;
    }
    if info.has_audio {
        std::fs::create_dir_all(out.join(AUDIO_DIR))?;
    }
    if extras.storyboard {
        std::fs::create_dir_all(out.join(storyboard::DIR))?;
    }
    if extras.poster {
        std::fs::create_dir_all(out.join(shared::layout::POSTERS_DIR))?;
    }
    Ok(())
}

/// The ffmpeg arguments (after the global flags) that encode `input` into `out`.
pub fn ladder_args(
    input: &Path,
    out: &Path,
    info: &SourceInfo,
    rungs: &[Rung],
    preset: &str,
    extras: Extras,
) -> Vec<String> {
    let fps = output_fps(info);
    let gop = (fps * f64::from(ladder::GOP_SECONDS)).round().max(1.0) as u32;
    let n = rungs.len();
    let mut graph = String::new();
    // Deinterlacing and frame-rate normalisation once, before the split: interlaced sources
    // become progressive, VFR and >60 fps sources become CFR.
    let deinterlace = if info.interlaced {
        "yadif=mode=send_frame,"
    } else {
        ""
    };
    let posters = if extras.poster {
        poster_times(info.duration_s)
    } else {
        Vec::new()
    };
    let branches = n + posters.len() + usize::from(extras.storyboard);
    let _ = write!(graph, "[0:v:0]{deinterlace}fps={fps:.3},split={branches}");
    for i in 0..n {
        let _ = write!(graph, "[s{i}]");
    }
    for p in 0..posters.len() {
        let _ = write!(graph, "[sp{p}]");
    }
    if extras.storyboard {
        graph.push_str("[ssb]");
    }
    graph.push(';');
    if extras.storyboard {
        let sb = storyboard::plan(info.width, info.height, info.duration_s);
        let _ = write!(graph, "[ssb]{}[sb];", storyboard::filter(&sb));
    }
    for (i, r) in rungs.iter().enumerate() {
        let _ = write!(
            graph,
            "[s{i}]scale={}:{}:flags={},setsar=1,format=yuv420p[v{i}];",
            r.width,
            r.height,
            scaler(info, r)
        );
    }
    // Poster candidates: one frame each, at most 1280 wide. The second trim lets only that
    // frame through, so the scaler does not run on every frame.
    for (p, at) in posters.iter().enumerate() {
        let _ = write!(
            graph,
            "[sp{p}]trim=start={at:.3},trim=end_frame=1,setpts=PTS-STARTPTS,scale='min(1280,iw)':-2,setsar=1[poster{p}];"
        );
    }
    let graph = graph.trim_end_matches(';').to_owned();

    let mut a: Vec<String> = vec![
        "-protocol_whitelist".into(),
        "file,pipe".into(),
        "-format_whitelist".into(),
        crate::ffmpeg::INPUT_FORMATS.into(),
        "-y".into(),
        "-i".into(),
    ];
    a.push(input.display().to_string());
    a.extend(["-filter_complex".into(), graph]);
    for i in 0..n {
        a.extend(["-map".into(), format!("[v{i}]")]);
    }
    if info.has_audio {
        a.extend(["-map".into(), "0:a:0".into()]);
    }
    a.extend([
        "-c:v".into(),
        "libx264".into(),
        "-preset".into(),
        preset.into(),
        "-profile:v".into(),
        "high".into(),
        "-g".into(),
        gop.to_string(),
        "-keyint_min".into(),
        gop.to_string(),
        "-sc_threshold".into(),
        "0".into(),
        "-force_key_frames".into(),
        format!("expr:gte(t,n_forced*{})", ladder::GOP_SECONDS),
    ]);
    for (i, r) in rungs.iter().enumerate() {
        a.extend([
            format!("-b:v:{i}"),
            format!("{}k", r.video_kbps),
            format!("-maxrate:v:{i}"),
            format!("{}k", r.video_kbps * 107 / 100),
            format!("-bufsize:v:{i}"),
            format!("{}k", r.video_kbps * 3 / 2),
            format!("-level:v:{i}"),
            r.level.to_owned(),
        ]);
    }
    if info.audio_as_is {
        // Transport streams carry AAC with ADTS headers, which MP4 fragments must not; the
        // filter leaves other AAC as it is.
        a.extend([
            "-c:a".into(),
            "copy".into(),
            "-bsf:a".into(),
            "aac_adtstoasc".into(),
        ]);
    } else if info.has_audio {
        a.extend([
            "-c:a".into(),
            "aac".into(),
            "-b:a".into(),
            format!("{}k", ladder::AUDIO_KBPS),
            "-ac".into(),
            "2".into(),
            "-ar".into(),
            "48000".into(),
        ]);
    }
    let mut map = rungs
        .iter()
        .enumerate()
        .map(|(i, r)| format!("v:{i},name:{}", r.name))
        .collect::<Vec<_>>()
        .join(" ");
    if info.has_audio {
        let _ = write!(map, " a:0,name:{AUDIO_DIR}");
    }
    a.extend([
        "-f".into(),
        "hls".into(),
        "-hls_time".into(),
        ladder::SEGMENT_SECONDS.to_string(),
        "-hls_playlist_type".into(),
        "vod".into(),
        "-hls_segment_type".into(),
        "fmp4".into(),
        "-hls_flags".into(),
        "independent_segments".into(),
        "-hls_fmp4_init_filename".into(),
        "init.mp4".into(),
        "-hls_segment_filename".into(),
        out.join("%v/seg_%05d.m4s").display().to_string(),
        "-var_stream_map".into(),
        map,
        out.join("%v/index.m3u8").display().to_string(),
    ]);
    for p in 0..posters.len() {
        a.extend([
            "-map".into(),
            format!("[poster{p}]"),
            "-frames:v".into(),
            "1".into(),
            "-q:v".into(),
            "3".into(),
            out.join(shared::layout::poster_path(p as u32))
                .display()
                .to_string(),
        ]);
    }
    if extras.storyboard {
        a.extend([
            "-map".into(),
            "[sb]".into(),
            "-q:v".into(),
            "5".into(),
            out.join(storyboard::sheet_pattern()).display().to_string(),
        ]);
    }
    a
}

/// Measured bitrates of one rendition.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Measured {
    /// Highest segment bitrate, bit/s.
    pub peak: u64,
    /// Whole-rendition average, bit/s.
    pub average: u64,
    pub segments: usize,
}

/// Normalises one rendition directory: ffmpeg names init segments `init_{n}.mp4` under a
/// variant map; rename to `init.mp4` and point the playlist at it. Returns measured bitrates.
pub fn finish_rendition(dir: &Path) -> std::io::Result<Measured> {
    let playlist_path = dir.join("index.m3u8");
    let mut playlist = std::fs::read_to_string(&playlist_path)?;
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if name.starts_with("init") && name.ends_with(".mp4") && name != "init.mp4" {
            std::fs::rename(dir.join(&name), dir.join("init.mp4"))?;
            playlist = playlist.replace(&format!("URI=\"{name}\""), "URI=\"init.mp4\"");
        }
    }
    std::fs::write(&playlist_path, &playlist)?;
    let mut m = Measured::default();
    let (mut bits, mut secs) = (0u64, 0f64);
    let mut dur = None;
    for line in playlist.lines() {
        if let Some(d) = line.strip_prefix("#EXTINF:") {
            dur = d
                .trim_end_matches(',')
                .split(',')
                .next()
                .and_then(|d| d.parse::<f64>().ok());
        } else if !line.starts_with('#') && !line.trim().is_empty() {
            let size = std::fs::metadata(dir.join(line.trim()))?.len() * 8;
            let d = dur
                .take()
                .unwrap_or(f64::from(ladder::SEGMENT_SECONDS))
                .max(0.1);
            m.peak = m.peak.max((size as f64 / d) as u64);
            bits += size;
            secs += d;
            m.segments += 1;
        }
    }
    m.average = if secs > 0.0 {
        (bits as f64 / secs) as u64
    } else {
        0
    };
    Ok(m)
}

/// The master playlist for the rungs (with their measurements) and optional audio.
pub fn master_playlist(rungs: &[(Rung, Measured)], audio: Option<Measured>, fps: f64) -> String {
    let mut s = String::from("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n");
    if audio.is_some() {
        let _ = writeln!(
            s,
            "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"aud\",NAME=\"Default\",LANGUAGE=\"und\",DEFAULT=YES,AUTOSELECT=YES,CHANNELS=\"2\",URI=\"{AUDIO_DIR}/index.m3u8\""
        );
    }
    let mut sorted: Vec<_> = rungs.iter().collect();
    sorted.sort_by_key(|(_, m)| m.peak);
    for (r, m) in sorted {
        let (a_peak, a_avg) = audio.map(|a| (a.peak, a.average)).unwrap_or((0, 0));
        let codecs = if audio.is_some() {
            format!("{},{}", r.video_codec(), ladder::AUDIO_CODEC)
        } else {
            r.video_codec()
        };
        let _ = write!(
            s,
            "#EXT-X-STREAM-INF:BANDWIDTH={},AVERAGE-BANDWIDTH={},CODECS=\"{codecs}\",RESOLUTION={}x{},FRAME-RATE={fps:.3}",
            m.peak + a_peak,
            m.average + a_avg,
            r.width,
            r.height,
        );
        if audio.is_some() {
            s.push_str(",AUDIO=\"aud\"");
        }
        let _ = writeln!(s, "\n{}/index.m3u8", r.name);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rungs_half_the_source_or_smaller_are_averaged_down() {
        let source = |width, height| SourceInfo {
            width,
            height,
            duration_s: 60.0,
            fps: 30.0,
            has_audio: true,
            audio_as_is: false,
            interlaced: false,
        };
        let scalers = |info: &SourceInfo| -> Vec<&str> {
            ladder::for_source(info.width, info.height)
                .iter()
                .map(|r| scaler(info, r))
                .collect()
        };
        assert_eq!(
            scalers(&source(1920, 1080)),
            ["area", "area", "bicubic", "bicubic"]
        );
        assert_eq!(scalers(&source(1080, 1920)), scalers(&source(1920, 1080)));
        assert_eq!(scalers(&source(1280, 720)), ["area", "bicubic", "bicubic"]);
    }

    #[test]
    fn poster_candidates_spread_over_the_video() {
        let t = poster_times(100.0);
        assert_eq!(t.len(), shared::layout::POSTER_CANDIDATES as usize);
        for (got, want) in t.iter().zip([10.0, 30.0, 50.0, 70.0]) {
            assert!((got - want).abs() < 1e-9, "{t:?}");
        }
        // Long videos keep the default near the start, past the intro.
        assert_eq!(poster_times(3600.0)[0], 30.0);
        assert!(poster_times(3600.0).windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn master_lists_rungs_by_bandwidth_with_every_attribute() {
        let rungs = shared::ladder::for_source(1280, 720);
        let with: Vec<_> = rungs
            .iter()
            .enumerate()
            .map(|(i, r)| {
                (
                    r.clone(),
                    Measured {
                        peak: 1000 * (3 - i as u64),
                        average: 500,
                        segments: 2,
                    },
                )
            })
            .collect();
        let m = master_playlist(
            &with,
            Some(Measured {
                peak: 130_000,
                average: 128_000,
                segments: 2,
            }),
            30.0,
        );
        assert!(m.contains("#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"aud\""));
        let first = m
            .lines()
            .find(|l| l.starts_with("#EXT-X-STREAM-INF"))
            .unwrap();
        assert!(first.contains("BANDWIDTH=131000,AVERAGE-BANDWIDTH=128500"));
        assert!(first.contains("CODECS=\"avc1.64001f,mp4a.40.2\""));
        assert!(first.contains("RESOLUTION=1280x720,FRAME-RATE=30.000,AUDIO=\"aud\""));
    }
}
