//! Playback links: the signed, expiring base URL of a published video's current version, from
//! which REST and GraphQL build their master playlist, poster and storyboard URLs.

use crate::catalog::videos::Video;
use crate::signing::{MediaScope, Signer};
use chrono::{DateTime, Utc};
use shared::VideoState;

/// Where a published version of a video is served from: `{base}/{file}` for each of its
/// files, signed until `expires`.
pub struct MediaBase {
    pub base: String,
    pub expires: DateTime<Utc>,
}

impl MediaBase {
    /// The URL of one file of the version.
    pub fn url(&self, file: &str) -> String {
        format!("{}/{file}", self.base)
    }
}

/// The signed base URL of a video's published version; None until it is published.
pub fn media_base(
    signer: &Signer,
    public_url: Option<&str>,
    ttl_s: u64,
    video: &Video,
) -> Option<MediaBase> {
    let version = video.published_version?;
    if video.state != VideoState::Published {
        return None;
    }
    let expires = Utc::now() + chrono::Duration::seconds(ttl_s as i64);
    // Links to a private or hidden video are only ever handed to its managers (owner scope);
    // a public link stops working the moment its video turns private or is hidden.
    let scope = if video.restricted() {
        MediaScope::Owner
    } else {
        MediaScope::Public
    };
    let token = signer.media_token(&video.id, version, scope, expires.timestamp());
    Some(MediaBase {
        base: format!(
            "{}/media/{token}/{}/v{version}",
            public_url.unwrap_or(""),
            video.id
        ),
        expires,
    })
}
