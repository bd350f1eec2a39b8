//! Every error code the api answers with, its HTTP status and what it means: the one table
//! REST, GraphQL (`extensions.code`), media and part URLs share, and the one the published
//! spec lists for third parties. Codes are stable: clients branch on them, so a code is never
//! renamed or given another meaning; new ones are added.

use poem::http::StatusCode;

macro_rules! codes {
    ($($(#[$doc:meta])* $variant:ident = $name:literal, $status:ident, $meaning:literal;)*) => {
        /// A stable error code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Code {
            $($(#[$doc])* $variant,)*
        }

        impl Code {
            /// Every code, in the table's order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The snake_case name sent as `code`.
            pub fn name(self) -> &'static str {
                match self { $(Code::$variant => $name,)* }
            }

            /// The HTTP status a response with this code has.
            pub fn status(self) -> StatusCode {
                match self { $(Code::$variant => StatusCode::$status,)* }
            }

            /// What the code means, for the spec and the README.
            pub fn meaning(self) -> &'static str {
                match self { $(Code::$variant => $meaning,)* }
            }
        }
    };
}

codes! {
    // Requests the server could not take at all.
    InvalidRequest = "invalid_request", BAD_REQUEST,
        "The request is malformed: a parameter or the JSON body is missing or unreadable.";
    UnsupportedMediaType = "unsupported_media_type", UNSUPPORTED_MEDIA_TYPE,
        "The body's Content-Type is missing or not one the operation takes (JSON bodies need `application/json`).";
    NotFound = "not_found", NOT_FOUND, "No such route.";
    MethodNotAllowed = "method_not_allowed", METHOD_NOT_ALLOWED, "The route exists but not with this method.";
    TooLarge = "too_large", PAYLOAD_TOO_LARGE, "The request body is larger than the route accepts.";
    TooManyRequests = "too_many_requests", TOO_MANY_REQUESTS, "Too many requests; wait and retry.";
    TooManySubscriptions = "too_many_subscriptions", TOO_MANY_REQUESTS,
        "The connection or the account runs as many subscriptions as allowed: end one first.";
    QueryTooLarge = "query_too_large", BAD_REQUEST,
        "The GraphQL operation asks for too much (root fields, fields, depth or cost); the message says which.";
    Internal = "internal", INTERNAL_SERVER_ERROR,
        "Something failed on the server; the cause is logged there, not sent.";
    Unavailable = "unavailable", SERVICE_UNAVAILABLE,
        "The database or the object store cannot be reached right now: retry in a moment (another replica may answer).";

    // Identity.
    Unauthenticated = "unauthenticated", UNAUTHORIZED,
        "No valid `Authorization: Bearer` token: sign in (again).";
    Forbidden = "forbidden", FORBIDDEN, "Signed in, but this account may not do this.";
    InvalidCredentials = "invalid_credentials", BAD_REQUEST,
        "The email and password do not match an account, or the current password is wrong.";
    TooManyAttempts = "too_many_attempts", TOO_MANY_REQUESTS,
        "Too many failed sign-ins for this account or address; the message says when to retry.";
    EmailTaken = "email_taken", CONFLICT, "An account with this email exists.";
    InvalidEmail = "invalid_email", BAD_REQUEST, "The email address is not valid.";
    InvalidPassword = "invalid_password", BAD_REQUEST, "The password is empty or too long.";
    WeakPassword = "weak_password", BAD_REQUEST, "The password is too short or too common.";
    InvalidDisplayName = "invalid_display_name", BAD_REQUEST, "The display name is empty or too long.";
    UserNotFound = "user_not_found", NOT_FOUND, "No such account.";
    LastAdmin = "last_admin", CONFLICT, "The install's last admin cannot be demoted.";
    AuthorizationPending = "authorization_pending", BAD_REQUEST,
        "No viewer has approved this TV's code yet: poll again after the interval.";
    SlowDown = "slow_down", BAD_REQUEST,
        "The TV polled sooner than its interval allows; the interval grew by 5 seconds.";
    ExpiredToken = "expired_token", BAD_REQUEST,
        "The TV's code expired or was already used: start signing in again.";
    InvalidGrant = "invalid_grant", BAD_REQUEST, "No TV sign-in has this device code.";
    InvalidUserCode = "invalid_user_code", NOT_FOUND,
        "No TV is waiting for this code (mistyped, expired or used).";
    RegistrationClosed = "registration_closed", FORBIDDEN,
        "The install takes new accounts by invitation only, or not at all; the message says which.";
    InvalidInvite = "invalid_invite", BAD_REQUEST,
        "The invitation or setup code was used already, has expired or was mistyped.";

    // Catalogue and library.
    VideoNotFound = "video_not_found", NOT_FOUND,
        "No such video, or it is not visible to the caller (private, hidden or deleted).";
    VideoNotPlayable = "video_not_playable", CONFLICT, "Only a published video can be played or viewed.";
    InvalidTitle = "invalid_title", BAD_REQUEST, "The title is empty or too long.";
    InvalidDescription = "invalid_description", BAD_REQUEST, "The description is too long.";
    InvalidLabel = "invalid_label", BAD_REQUEST, "A genre or tag is too long, or there are too many.";
    InvalidPoster = "invalid_poster", BAD_REQUEST, "No poster candidate has this number.";
    PosterNotReady = "poster_not_ready", CONFLICT, "Poster candidates exist once the video is processed.";
    InvalidReason = "invalid_reason", BAD_REQUEST, "A moderation reason is required and is at most 500 characters.";
    InvalidCursor = "invalid_cursor", BAD_REQUEST, "The cursor is not one a previous page returned.";
    InvalidOffset = "invalid_offset", BAD_REQUEST, "The offset is past the last result a search pages to.";
    InvalidQuery = "invalid_query", BAD_REQUEST, "The search query is empty or too long.";
    InvalidPosition = "invalid_position", BAD_REQUEST, "A progress position is a number of seconds from 0.";
    ProgressNotFound = "progress_not_found", NOT_FOUND, "The viewer has no progress on this video.";

    // Subtitles.
    InvalidSubtitle = "invalid_subtitle", BAD_REQUEST, "The file is not WebVTT; the message says where.";
    InvalidLanguage = "invalid_language", BAD_REQUEST, "The language is not a BCP 47 tag.";
    SubtitleTooLarge = "subtitle_too_large", PAYLOAD_TOO_LARGE, "The subtitle file is larger than allowed.";
    TooManySubtitles = "too_many_subtitles", CONFLICT, "The video has as many subtitle tracks as allowed.";
    SubtitleNotFound = "subtitle_not_found", NOT_FOUND, "No such subtitle track.";

    // Uploads and their parts.
    UploadNotFound = "upload_not_found", NOT_FOUND, "No such upload, or it is someone else's.";
    InvalidFilename = "invalid_filename", BAD_REQUEST, "The file name is empty or too long.";
    InvalidContentType = "invalid_content_type", BAD_REQUEST, "The declared content type is too long.";
    EmptyUpload = "empty_upload", BAD_REQUEST, "The file is empty.";
    UploadTooLarge = "upload_too_large", PAYLOAD_TOO_LARGE, "The file is larger than the install accepts.";
    TooManyOpenUploads = "too_many_open_uploads", TOO_MANY_REQUESTS,
        "The account has as many unfinished uploads as allowed: complete or abort one.";
    TooManyUploadsToday = "too_many_uploads_today", TOO_MANY_REQUESTS,
        "The account opened as many uploads in the last 24 hours as allowed.";
    StorageQuotaExceeded = "storage_quota_exceeded", FORBIDDEN,
        "The upload would take the account past its storage quota: delete videos or ask an admin.";
    UploadPartInvalid = "upload_part_invalid", BAD_REQUEST, "The part number is outside the upload's parts.";
    UploadPartTooLarge = "upload_part_too_large", PAYLOAD_TOO_LARGE, "The part's body is not the size the upload expects.";
    UploadPartsInvalid = "upload_parts_invalid", BAD_REQUEST, "`complete` must list every part once, in order.";
    UploadPartMissing = "upload_part_missing", BAD_REQUEST, "A listed part was never uploaded.";
    UploadEtagMismatch = "upload_etag_mismatch", BAD_REQUEST, "A listed part's ETag is not the stored part's.";
    UploadSizeMismatch = "upload_size_mismatch", BAD_REQUEST, "A stored part has the wrong size.";
    UploadExpired = "upload_expired", CONFLICT, "The upload was left unfinished too long; start a new one.";
    UploadAborted = "upload_aborted", CONFLICT, "The upload was aborted.";
    UploadAlreadyCompleted = "upload_already_completed", CONFLICT, "The upload is complete.";
    UploadCompleting = "upload_completing", CONFLICT, "Another request is completing this upload.";
    UploadNotOpen = "upload_not_open", CONFLICT, "The upload can no longer be aborted.";
    UploadGone = "upload_gone", CONFLICT, "The store no longer holds this upload's parts; start a new upload.";
    ObjectNotFound = "object_not_found", NOT_FOUND, "A stored object the request needs does not exist.";

    // Workers and jobs.
    JobNotFound = "job_not_found", NOT_FOUND, "No such job.";
    WorkerNotFound = "worker_not_found", NOT_FOUND, "No such worker.";
    JobLeaseLost = "job_lease_lost", CONFLICT,
        "The worker's lease on the job expired or belongs to a newer attempt; drop the work.";
    NoFirstPlayableExpected = "no_first_playable_expected", CONFLICT, "The job was not asked for a first playable version.";
    NoPreviewExpected = "no_preview_expected", CONFLICT, "Deprecated: `no_first_playable_expected` as the deprecated `publish_preview` answers it.";
    JobNotDead = "job_not_dead", CONFLICT, "Only a dead-lettered job can be retried; this one is queued, running, done or cancelled.";

    // Media delivery.
    MediaNotFound = "media_not_found", NOT_FOUND, "No such file in this rendition.";
    MediaTokenInvalid = "media_token_invalid", FORBIDDEN, "The media URL's signature is invalid or expired: fetch the video again.";
}

impl Code {
    /// The code a status gets when the server answers it before any handler ran (poem's own
    /// refusals of unknown routes, unreadable bodies, and so on).
    pub fn for_status(status: StatusCode) -> Code {
        match status {
            StatusCode::UNAUTHORIZED => Code::Unauthenticated,
            StatusCode::FORBIDDEN => Code::Forbidden,
            StatusCode::NOT_FOUND => Code::NotFound,
            StatusCode::METHOD_NOT_ALLOWED => Code::MethodNotAllowed,
            StatusCode::PAYLOAD_TOO_LARGE => Code::TooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Code::UnsupportedMediaType,
            StatusCode::TOO_MANY_REQUESTS => Code::TooManyRequests,
            StatusCode::SERVICE_UNAVAILABLE => Code::Unavailable,
            s if s.is_server_error() => Code::Internal,
            _ => Code::InvalidRequest,
        }
    }

    /// The table as Markdown, for the spec's description.
    pub fn markdown_table() -> String {
        let mut s = String::from("| code | HTTP status | meaning |\n|---|---|---|\n");
        for c in Code::ALL {
            s.push_str(&format!(
                "| `{}` | {} | {} |\n",
                c.name(),
                c.status().as_u16(),
                c.meaning()
            ));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_snake_case_with_an_error_status() {
        let mut seen = HashSet::new();
        for c in Code::ALL {
            let n = c.name();
            assert!(seen.insert(n), "{n} twice");
            assert!(
                n.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_') && !n.starts_with('_'),
                "{n} is not snake_case"
            );
            assert!(c.status().as_u16() >= 400, "{n} has a success status");
            assert!(!c.meaning().is_empty());
        }
        assert_eq!(
            Code::for_status(StatusCode::IM_A_TEAPOT),
            Code::InvalidRequest
        );
    }
}
