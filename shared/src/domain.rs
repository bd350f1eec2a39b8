//! Small closed sets of the domain, with their stable wire names.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// An unknown name for one of the closed sets below.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown {kind} `{value}`")]
pub struct UnknownName {
    pub kind: &'static str,
    pub value: String,
}

macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident, $kind:literal, { $($(#[$vmeta:meta])* $variant:ident => $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        #[cfg_attr(feature = "openapi", derive(poem_openapi::Enum), oai(rename_all = "snake_case"))]
        #[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every value, in lifecycle order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable wire name.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }

        impl FromStr for $name {
            type Err = UnknownName;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($wire => Ok($name::$variant),)+
                    _ => Err(UnknownName { kind: $kind, value: s.to_owned() }),
                }
            }
        }
    };
}

wire_enum!(
    /// Where a video is in its life: `uploading -> queued -> processing -> published`, or
    /// `failed` (with a reason kept for the owner), or `deleted`. Completing an upload queues
    /// its job in the same transaction, so there is no state between the two.
    VideoState, "video state", {
        Uploading => "uploading",
        Queued => "queued",
        Processing => "processing",
        Published => "published",
        Failed => "failed",
        Deleted => "deleted",
    }
);

wire_enum!(
    /// Who may see a video: everyone and in listings, anyone with the link, or only its owner.
    Visibility, "visibility", {
        Public => "public",
        Unlisted => "unlisted",
        Private => "private",
    }
);

wire_enum!(
    /// What an account may do.
    Role, "role", {
        Viewer => "viewer",
        Creator => "creator",
        Admin => "admin",
    }
);

wire_enum!(
    /// Where an upload is: `open` (taking parts) -> `completing` (one request is joining the
    /// parts) -> `completed`; or `aborted` by its owner, or `expired` unfinished.
    UploadState, "upload state", {
        Open => "open",
        Completing => "completing",
        Completed => "completed",
        Aborted => "aborted",
        Expired => "expired",
    }
);

wire_enum!(
    /// Where a transcode job is: `queued` -> `leased` (a worker holds it) -> `done`; back to
    /// `queued` when a lease expires or an attempt fails, `dead` after the last attempt,
    /// `cancelled` when its video is deleted.
    JobState, "job state", {
        Queued => "queued",
        Leased => "leased",
        Done => "done",
        Dead => "dead",
        Cancelled => "cancelled",
    }
);

/// A genre's display name: genres are stored lower case; shown, their first letter is upper
/// case ("drama" -> "Drama").
pub fn genre_title(name: &str) -> String {
    let mut c = name.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// A length in seconds as players show it: `m:ss`, or `h:mm:ss` from an hour up.
pub fn duration_label(seconds: f64) -> String {
    let s = seconds.round() as u64;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

impl VideoState {
    /// True once nothing more will happen to the video without a new upload or an edit.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            VideoState::Published | VideoState::Failed | VideoState::Deleted
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_round_trip() {
        for s in VideoState::ALL {
            assert_eq!(s.as_str().parse::<VideoState>(), Ok(*s));
            assert_eq!(
                serde_json::to_string(s).unwrap(),
                format!("\"{}\"", s.as_str())
            );
        }
        for v in Visibility::ALL {
            assert_eq!(v.as_str().parse::<Visibility>(), Ok(*v));
        }
        for u in UploadState::ALL {
            assert_eq!(u.as_str().parse::<UploadState>(), Ok(*u));
        }
        for j in JobState::ALL {
            assert_eq!(j.as_str().parse::<JobState>(), Ok(*j));
        }
        assert!("Published".parse::<VideoState>().is_err());
    }

    #[test]
    fn durations_read_like_a_clock() {
        assert_eq!(duration_label(4.2), "0:04");
        assert_eq!(duration_label(754.0), "12:34");
        assert_eq!(duration_label(3725.0), "1:02:05");
    }

    #[test]
    fn genre_titles_start_upper_case() {
        assert_eq!(genre_title("drama"), "Drama");
        assert_eq!(genre_title("éclair"), "Éclair");
        assert_eq!(genre_title(""), "");
    }
}
