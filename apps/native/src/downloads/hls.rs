//! What a download needs from Kino's HLS playlists: the rungs on offer, the files of one rung
//! (with its audio and every subtitle track), and a master playlist that names only those.
//!
//! Kino's playlists name their files relative to themselves (`360p/index.m3u8`,
//! `init.mp4`, `seg_00000.m4s`), so the files are kept at the same relative paths and the
//! playlists play from disk unchanged. A path that could leave the download's directory
//! (absolute, `..`, odd characters) is refused.

/// One rung of the ladder.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    pub height: u32,
    pub uri: String,
    /// Bits per second, audio included (what the download's size is estimated from).
    pub bandwidth: u64,
    audio: Option<String>,
}

/// A master playlist.
#[derive(Debug)]
pub struct Master {
    lines: Vec<String>,
    pub variants: Vec<Variant>,
}

/// The value of `NAME=` in an attribute list (quoted or not).
fn attr(line: &str, name: &str) -> Option<String> {
    let (_, list) = line.split_once(':')?;
    let mut rest = list;
    while !rest.is_empty() {
        let (key, after) = rest.split_once('=')?;
        let (value, next) = if let Some(q) = after.strip_prefix('"') {
            let end = q.find('"')?;
            (&q[..end], q[end + 1..].trim_start_matches(','))
        } else {
            match after.split_once(',') {
                Some((v, n)) => (v, n),
                None => (after, ""),
            }
        };
        if key.trim() == name {
            return Some(value.to_owned());
        }
        rest = next;
    }
    None
}

pub fn parse_master(text: &str) -> Result<Master, String> {
    let lines: Vec<String> = text.lines().map(|l| l.trim().to_owned()).collect();
    if lines.first().map(String::as_str) != Some("#EXTM3U") {
        return Err("the server's master playlist is not a playlist".into());
    }
    let mut variants = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if line.starts_with("#EXT-X-STREAM-INF:") {
            let uri = lines[i + 1..]
                .iter()
                .find(|l| !l.is_empty() && !l.starts_with('#'))
                .ok_or("a rung of the master playlist names no playlist")?;
            let height = attr(line, "RESOLUTION")
                .and_then(|r| r.split_once('x').and_then(|(_, h)| h.parse().ok()))
                .unwrap_or(0);
            variants.push(Variant {
                height,
                uri: safe(uri)?,
                bandwidth: attr(line, "BANDWIDTH")
                    .and_then(|b| b.parse().ok())
                    .unwrap_or(0),
                audio: attr(line, "AUDIO"),
            });
        }
    }
    if variants.is_empty() {
        return Err("the server's master playlist offers nothing to play".into());
    }
    Ok(Master { lines, variants })
}

impl Master {
    /// The heights on offer, highest first.
    pub fn heights(&self) -> Vec<u32> {
        let mut h: Vec<u32> = self.variants.iter().map(|v| v.height).collect();
        h.sort_unstable_by(|a, b| b.cmp(a));
        h.dedup();
        h
    }

    /// The rung of `height`, else the highest below it, else the lowest.
    pub fn pick(&self, height: u32) -> &Variant {
        let mut by_height: Vec<&Variant> = self.variants.iter().collect();
        by_height.sort_by_key(|v| v.height);
        by_height
            .iter()
            .rev()
            .find(|v| v.height <= height)
            .or(by_height.first())
            .expect("a master has a variant")
    }

    /// The playlists a download of `v` keeps: its own, its audio group's and every subtitle
    /// track's.
    pub fn playlists(&self, v: &Variant) -> Result<Vec<String>, String> {
        let mut out = vec![v.uri.clone()];
        for line in self.media_lines(v) {
            if let Some(uri) = attr(line, "URI") {
                out.push(safe(&uri)?);
            }
        }
        Ok(out)
    }

    fn media_lines<'a>(&'a self, v: &'a Variant) -> impl Iterator<Item = &'a String> {
        self.lines.iter().filter(move |l| {
            l.starts_with("#EXT-X-MEDIA:")
                && match attr(l, "TYPE").as_deref() {
                    Some("SUBTITLES") => true,
                    Some("AUDIO") => attr(l, "GROUP-ID") == v.audio,
                    _ => false,
                }
        })
    }

    /// The master playlist of a download of `v`: the same header, that rung alone, its audio
    /// and the subtitles.
    pub fn only(&self, v: &Variant) -> String {
        let mut out = String::new();
        let mut skip_uri = false;
        for line in &self.lines {
            if skip_uri && !line.is_empty() && !line.starts_with('#') {
                skip_uri = false;
                continue;
            }
            let keep = if line.starts_with("#EXT-X-STREAM-INF:") {
                let i = self.lines.iter().position(|l| std::ptr::eq(l, line));
                let uri = i.and_then(|i| {
                    self.lines[i + 1..]
                        .iter()
                        .find(|l| !l.is_empty() && !l.starts_with('#'))
                });
                skip_uri = uri != Some(&v.uri);
                !skip_uri
            } else if line.starts_with("#EXT-X-MEDIA:") {
                self.media_lines(v).any(|l| std::ptr::eq(l, line))
            } else {
                !line.starts_with("#EXT-X-I-FRAME-STREAM-INF")
            };
            if keep {
                out.push_str(line);
                out.push('\n');
            }
        }
        out
    }
}

/// The files a media playlist at `playlist` (a relative path) names, as paths relative to the
/// master: its init segment and its segments (or WebVTT files).
pub fn media_files(playlist: &str, text: &str) -> Result<Vec<String>, String> {
    let dir = match playlist.rsplit_once('/') {
        Some((d, _)) => format!("{d}/"),
        None => String::new(),
    };
    let mut files = Vec::new();
    for line in text.lines().map(str::trim) {
        let uri = if line.starts_with("#EXT-X-MAP:") {
            attr(line, "URI")
        } else if !line.is_empty() && !line.starts_with('#') {
            Some(line.to_owned())
        } else {
            None
        };
        if let Some(uri) = uri {
            files.push(safe(&format!("{dir}{uri}"))?);
        }
    }
    Ok(files)
}

/// A relative path that stays inside the download's directory.
pub fn safe(path: &str) -> Result<String, String> {
    let ok = !path.is_empty()
        && path.split('/').all(|seg| {
            !seg.is_empty()
                && seg != "."
                && seg != ".."
                && seg
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        });
    if ok {
        Ok(path.to_owned())
    } else {
        Err(format!(
            "the server's playlist names a file Kino will not keep: {path:?}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MASTER: &str = "#EXTM3U
#EXT-X-VERSION:7
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"aud\",NAME=\"Default\",LANGUAGE=\"und\",DEFAULT=YES,AUTOSELECT=YES,CHANNELS=\"2\",URI=\"audio/index.m3u8\"
#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID=\"subs\",NAME=\"English\",LANGUAGE=\"en\",URI=\"subtitles/en/index.m3u8\"
#EXT-X-STREAM-INF:BANDWIDTH=951162,CODECS=\"avc1.64001e,mp4a.40.2\",RESOLUTION=640x360,AUDIO=\"aud\",SUBTITLES=\"subs\"
360p/index.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=2951162,CODECS=\"avc1.64001f,mp4a.40.2\",RESOLUTION=1280x720,AUDIO=\"aud\",SUBTITLES=\"subs\"
720p/index.m3u8
";

    #[test]
    fn a_rung_is_chosen_with_its_audio_and_subtitles() {
        let m = parse_master(MASTER).unwrap();
        assert_eq!(m.heights(), [720, 360]);
        assert_eq!(m.pick(1080).uri, "720p/index.m3u8");
        assert_eq!(m.pick(480).uri, "360p/index.m3u8");
        assert_eq!(m.pick(144).uri, "360p/index.m3u8");
        let v = m.pick(360);
        assert_eq!(v.bandwidth, 951162);
        assert_eq!(
            m.playlists(v).unwrap(),
            [
                "360p/index.m3u8",
                "audio/index.m3u8",
                "subtitles/en/index.m3u8"
            ]
        );
        let only = m.only(v);
        assert!(only.contains("360p/index.m3u8"), "{only}");
        assert!(!only.contains("720p"), "{only}");
        assert!(only.contains("audio/index.m3u8") && only.contains("subtitles/en/index.m3u8"));
        assert!(parse_master(&only).is_ok());
    }

    #[test]
    fn a_media_playlist_lists_its_files_beside_it() {
        let text = "#EXTM3U\n#EXT-X-MAP:URI=\"init.mp4\"\n#EXTINF:6.0,\nseg_00000.m4s\n#EXTINF:2.0,\nseg_00001.m4s\n#EXT-X-ENDLIST\n";
        assert_eq!(
            media_files("360p/index.m3u8", text).unwrap(),
            ["360p/init.mp4", "360p/seg_00000.m4s", "360p/seg_00001.m4s"]
        );
    }

    #[test]
    fn files_outside_the_download_are_refused() {
        for bad in [
            "../x",
            "/etc/passwd",
            "a/../../b",
            "https://evil/x",
            "a//b",
            "a/%2e%2e",
        ] {
            assert!(safe(bad).is_err(), "{bad}");
        }
        let text = "#EXTM3U\n#EXTINF:6.0,\n../../secret\n";
        assert!(media_files("360p/index.m3u8", text).is_err());
        assert!(parse_master("not a playlist").is_err());
        assert!(parse_master("#EXTM3U\n").is_err());
    }
}
