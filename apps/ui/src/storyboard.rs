//! Seek-bar thumbnails: the storyboard's WebVTT index, whose cues point at tiles of sprite
//! sheets with `#xywh=` media fragments (the layout `transcoder::storyboard` writes).

/// One thumbnail: the time range it covers and where it sits in which sheet.
#[derive(Debug, Clone, PartialEq)]
pub struct Tile {
    pub start: f64,
    pub end: f64,
    /// The sheet's URL relative to the index, e.g. `storyboard/sb_001.jpg`.
    pub sheet: String,
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
}

/// Reads an index; cues it cannot read are left out.
pub fn parse(vtt: &str) -> Vec<Tile> {
    let mut tiles = Vec::new();
    let mut lines = vtt.lines().map(str::trim);
    while let Some(line) = lines.next() {
        let Some((a, b)) = line.split_once("-->") else {
            continue;
        };
        let (Some(start), Some(end)) = (seconds(a.trim()), seconds(b.trim())) else {
            continue;
        };
        let Some(payload) = lines.next() else { break };
        let Some((sheet, frag)) = payload.split_once("#xywh=") else {
            continue;
        };
        let n: Vec<u32> = frag
            .split(',')
            .filter_map(|p| p.trim().parse().ok())
            .collect();
        if let [x, y, w, h] = n[..] {
            tiles.push(Tile {
                start,
                end,
                sheet: sheet.to_owned(),
                x,
                y,
                w,
                h,
            });
        }
    }
    tiles
}

/// The tile showing time `t`.
pub fn at(tiles: &[Tile], t: f64) -> Option<&Tile> {
    tiles
        .iter()
        .find(|c| c.start <= t && t < c.end)
        .or_else(|| tiles.last().filter(|c| t >= c.end))
}

/// Where a sheet named relative to the index at `index_url` is.
pub fn sheet_url(index_url: &str, sheet: &str) -> String {
    let base = index_url.split(['?', '#']).next().unwrap_or(index_url);
    match base.rfind('/') {
        Some(i) => format!("{}/{sheet}", &base[..i]),
        None => sheet.to_owned(),
    }
}

/// `hh:mm:ss.mmm` or `mm:ss.mmm` in seconds (the cue settings after it are ignored).
fn seconds(s: &str) -> Option<f64> {
    let s = s.split_whitespace().next()?;
    let parts: Vec<&str> = s.split(':').collect();
    let (h, m, sec) = match parts[..] {
        [h, m, sec] => (h.parse::<f64>().ok()?, m.parse::<f64>().ok()?, sec),
        [m, sec] => (0.0, m.parse::<f64>().ok()?, sec),
        _ => return None,
    };
    Some(h * 3600.0 + m * 60.0 + sec.parse::<f64>().ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const INDEX: &str = "WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nstoryboard/sb_001.jpg#xywh=0,0,160,90\n\n\
        00:00:02.000 --> 00:00:04.000\nstoryboard/sb_001.jpg#xywh=160,0,160,90\n\n\
        bad --> cue\nstoryboard/sb_001.jpg#xywh=1,2,3,4\n\n\
        01:00.000 --> 01:02.000 align:start\nstoryboard/sb_002.jpg#xywh=0,90,160,90\n";

    #[test]
    fn reads_tiles_and_finds_the_one_for_a_time() {
        let tiles = parse(INDEX);
        assert_eq!(tiles.len(), 3);
        assert_eq!(at(&tiles, 3.0).map(|t| t.x), Some(160));
        assert_eq!(
            at(&tiles, 60.5).map(|t| (t.y, t.sheet.as_str())),
            Some((90, "storyboard/sb_002.jpg"))
        );
        assert_eq!(at(&tiles, 500.0).map(|t| t.start), Some(60.0));
        assert_eq!(at(&[], 1.0), None);
    }

    #[test]
    fn sheets_resolve_beside_the_index() {
        assert_eq!(
            sheet_url(
                "http://h/media/tok/v1/v2/storyboard.vtt?x=1",
                "storyboard/sb_001.jpg"
            ),
            "http://h/media/tok/v1/v2/storyboard/sb_001.jpg"
        );
    }
}
