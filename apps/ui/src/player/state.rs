//! What the driver reports and what the controls show.

use serde::Deserialize;

/// The media element as last reported.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Media {
    /// Playhead, seconds.
    pub t: f64,
    /// Duration, seconds (0 until known).
    pub d: f64,
    /// End of the buffered range around the playhead, seconds.
    pub buffered: f64,
    pub paused: bool,
    /// Playing but starved of data.
    pub waiting: bool,
    /// Height of the decoded picture.
    pub height: u32,
    pub volume: f64,
    pub muted: bool,
    pub rate: f64,
}

impl Default for Media {
    fn default() -> Self {
        Media {
            t: 0.0,
            d: 0.0,
            buffered: 0.0,
            paused: true,
            waiting: false,
            height: 0,
            volume: 1.0,
            muted: false,
            rate: 1.0,
        }
    }
}

/// A subtitle track of the stream.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Track {
    pub name: String,
    pub lang: String,
}

impl Track {
    /// What the viewer's choice is remembered by: the language, else the name.
    pub fn key(&self) -> String {
        if self.lang.is_empty() {
            self.name.clone()
        } else {
            self.lang.clone()
        }
    }
}

/// News from the driver.
#[derive(Debug, Deserialize)]
#[serde(tag = "ev", rename_all = "lowercase")]
pub enum News {
    Tick(Media),
    Levels {
        heights: Vec<u32>,
    },
    Level {
        height: u32,
    },
    Subtitles {
        tracks: Vec<Track>,
    },
    Played,
    Paused {
        t: f64,
    },
    Ended {
        t: f64,
    },
    Error {
        message: String,
    },
    Fullscreen {
        on: bool,
    },
    Pip {},
    Key {
        key: String,
    },
    /// The browser refused to start playback without a gesture.
    Blocked,
}

/// The open menu of the control bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Menu {
    Quality,
    Subtitles,
    Speed,
}

/// The video offered when this one ends.
#[derive(Debug, Clone, PartialEq)]
pub struct UpNext {
    pub id: String,
    pub title: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_drivers_news() {
        let tick: News = serde_json::from_str(
            r#"{"ev":"tick","t":1.5,"d":8,"buffered":4,"paused":false,"waiting":false,
                "height":720,"volume":1,"muted":false,"rate":1}"#,
        )
        .unwrap();
        assert!(matches!(tick, News::Tick(Media { height: 720, .. })));
        let level: News =
            serde_json::from_str(r#"{"ev":"level","index":1,"auto":false,"height":360}"#).unwrap();
        assert!(matches!(level, News::Level { height: 360 }));
        let pip: News = serde_json::from_str(r#"{"ev":"pip","on":true}"#).unwrap();
        assert!(matches!(pip, News::Pip {}));
        assert!(serde_json::from_str::<News>(r#"{"ev":"nonsense"}"#).is_err());
    }
}
