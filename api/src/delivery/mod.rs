//! Getting media to players: signed, expiring media URLs and the playback links built from
//! them, the `/media` endpoint (ranges, ETags, immutable segments), the media objects kept
//! in memory for it, and subtitle tracks.

pub mod hot;
pub mod playback;
pub mod subtitles;
