//! Playback links: the signed, expiring base URL of a published video's current version, from
//! which REST and GraphQL build their master playlist, poster and storyboard URLs.

use crate::catalog::videos::Video;
use crate::config::LinkLifetime;
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
    lifetime: LinkLifetime,
    video: &Video,
) -> Option<MediaBase> {
    let version = video.published_version?;
    if video.state != VideoState::Published {
        return None;
    }
    let expires = DateTime::<Utc>::from_timestamp(lifetime.expiry(Utc::now().timestamp()), 0)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_made_within_one_window_expire_together_and_live_at_least_the_ttl() {
        let l = LinkLifetime {
            ttl_s: 6 * 3600,
            window_s: 3600,
        };
        let start = 1_800_000_000; // a multiple of 3600
        assert_eq!(l.expiry(start + 1), l.expiry(start + 3599));
        assert_ne!(l.expiry(start + 1), l.expiry(start + 3601));
        for now in [start, start + 1, start + 3599] {
            let lives = l.expiry(now) - now;
            assert!(
                lives >= 6 * 3600 && lives <= l.longest_s() as i64,
                "{lives}"
            );
        }
        let exact = LinkLifetime {
            ttl_s: 60,
            window_s: 0,
        };
        assert_eq!(exact.expiry(1_000), 1_060);
    }
}
