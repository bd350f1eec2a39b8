//! Getting media to players: signed, expiring media URLs and the playback links built from
//! them, the `/media` endpoint (ranges, ETags, immutable segments), and subtitle tracks.

pub mod playback;
pub mod subtitles;
