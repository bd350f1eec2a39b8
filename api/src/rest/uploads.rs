//! The upload contract over REST: open, inspect (resume), complete, abort.

use crate::error::{ApiError, ApiResult, ErrorResponse};
use crate::rest::ApiTags;
use crate::rest::auth::{Empty, UserAuth};
use crate::rest::videos::VideoDto;
use crate::signing::Signer;
use crate::state::AppState;
use crate::uploads::{self, Limits, NewUpload, Upload};
use crate::videos;
use chrono::{DateTime, Utc};
use poem::Request;
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use shared::VideoState;
use shared::store::{ObjectStore, StoreError, StoredPart};

#[derive(Debug, Object)]
pub struct CreateUploadRequest {
    pub filename: String,
    /// Total size in bytes.
    pub size: u64,
    pub content_type: String,
    pub title: String,
    pub description: Option<String>,
}

/// Where to send one part.
#[derive(Debug, Object)]
pub struct PartUrl {
    /// 1-based part number.
    pub number: u32,
    /// PUT the part's bytes here; the response's `ETag` header identifies the stored part.
    pub url: String,
}

#[derive(Debug, Object)]
pub struct UploadCreated {
    pub upload_id: String,
    pub video_id: String,
    /// Every part but the last has exactly this many bytes.
    pub part_size: u64,
    pub parts: Vec<PartUrl>,
    /// Parts must be sent and the upload completed before this.
    pub expires_at: DateTime<Utc>,
}

#[derive(ApiResponse)]
pub enum CreateUploadResponse {
    /// Upload opened.
    #[oai(status = 201)]
    Created(Json<UploadCreated>),
}

/// A part the server holds.
#[derive(Debug, Object)]
pub struct ReceivedPart {
    pub number: u32,
    pub size: u64,
    pub etag: String,
}

#[derive(Debug, Object)]
pub struct UploadStatus {
    pub upload_id: String,
    pub video_id: String,
    pub size: u64,
    pub part_size: u64,
    pub received: Vec<ReceivedPart>,
    /// `open`, `completing`, `completed`, `aborted` or `expired`.
    pub state: String,
    /// Fresh URLs for every part, for a client resuming the upload.
    pub parts: Vec<PartUrl>,
}

#[derive(Debug, Object)]
pub struct CompletedPart {
    pub number: u32,
    pub etag: String,
}

#[derive(Debug, Object)]
pub struct CompleteUploadRequest {
    /// Every part, in order, with the ETag its upload returned.
    pub parts: Vec<CompletedPart>,
}

fn base_url(state: &AppState, req: &Request) -> String {
    if let Some(url) = &state.settings.public_url {
        return url.clone();
    }
    let host = req
        .headers()
        .get(poem::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}")
}

/// One URL per part: presigned straight to the bucket when the store has such URLs, else
/// signed by the api for its own `/parts` endpoint. Both stop working when the upload expires.
fn part_urls(state: &AppState, req: &Request, upload: &Upload) -> Vec<PartUrl> {
    let base = base_url(state, req);
    let expires_at = crate::db::parse_ts(&upload.expires_at);
    let expires = expires_at.timestamp();
    let ttl = (expires_at - chrono::Utc::now())
        .to_std()
        .unwrap_or_default();
    let multipart = upload.multipart();
    (1..=upload.part_count)
        .map(|n| {
            let url = state.store.part_url(&multipart, n, ttl).unwrap_or_else(|| {
                let sig = state
                    .signer
                    .sign(&Signer::part_message(&upload.id, n), expires);
                format!("{base}/parts/{}/{n}?expires={expires}&sig={sig}", upload.id)
            });
            PartUrl { number: n, url }
        })
        .collect()
}

/// The parts the store holds; none once the store has dropped the upload.
async fn stored_parts(state: &AppState, upload: &Upload) -> Result<Vec<StoredPart>, ApiError> {
    match state.store.list_parts(&upload.multipart()).await {
        Ok(parts) => Ok(parts),
        Err(StoreError::NoSuchUpload(_)) => Ok(Vec::new()),
        Err(e) => Err(e.into()),
    }
}

pub struct UploadsApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Uploads")]
impl UploadsApi {
    /// Open an upload: creates the video and returns one URL per part.
    #[oai(path = "/uploads", method = "post", operation_id = "create_upload")]
    async fn create(
        &self,
        state: Data<&AppState>,
        req: &Request,
        auth: UserAuth,
        body: Json<CreateUploadRequest>,
    ) -> ApiResult<CreateUploadResponse> {
        let b = body.0;
        let new = NewUpload {
            filename: b.filename,
            size: b.size,
            content_type: b.content_type,
            title: b.title,
            description: b.description,
        };
        let s = &state.settings;
        let limits = Limits {
            max_size: s.max_upload_bytes,
            ttl_s: s.upload_ttl_s,
            max_open_per_user: s.max_open_uploads_per_user,
        };
        let (upload, video) =
            uploads::create(&state.db, &state.store, &auth.0, new, limits).await?;
        let parts = part_urls(&state, req, &upload);
        Ok(CreateUploadResponse::Created(Json(UploadCreated {
            upload_id: upload.id.clone(),
            video_id: video.id,
            part_size: upload.part_size,
            parts,
            expires_at: crate::db::parse_ts(&upload.expires_at),
        })))
    }

    /// The parts the server holds, so an interrupted client can resume.
    #[oai(
        path = "/uploads/:upload_id",
        method = "get",
        operation_id = "get_upload"
    )]
    async fn get(
        &self,
        state: Data<&AppState>,
        req: &Request,
        auth: UserAuth,
        upload_id: Path<String>,
    ) -> ApiResult<Json<UploadStatus>> {
        let upload = uploads::get_owned(&state.db, &upload_id, &auth.0).await?;
        let st = if upload.state == "open" && upload.is_expired() {
            "expired".to_owned()
        } else {
            upload.state.clone()
        };
        let received = if st == "open" {
            stored_parts(&state, &upload).await?
        } else {
            Vec::new()
        };
        let parts = if st == "open" {
            part_urls(&state, req, &upload)
        } else {
            Vec::new()
        };
        Ok(Json(UploadStatus {
            upload_id: upload.id,
            video_id: upload.video_id,
            size: upload.size,
            part_size: upload.part_size,
            received: received
                .into_iter()
                .map(|p| ReceivedPart {
                    number: p.number,
                    size: p.size,
                    etag: p.etag,
                })
                .collect(),
            state: st,
            parts,
        }))
    }

    /// Check every part and join them into the video's source; queues the transcode.
    #[oai(
        path = "/uploads/:upload_id/complete",
        method = "post",
        operation_id = "complete_upload"
    )]
    async fn complete(
        &self,
        state: Data<&AppState>,
        auth: UserAuth,
        upload_id: Path<String>,
        body: Json<CompleteUploadRequest>,
    ) -> ApiResult<Json<VideoDto>> {
        let upload = uploads::get_owned(&state.db, &upload_id, &auth.0).await?;
        upload.check_open()?;
        let parts = &body.parts;
        let in_order = parts.len() == upload.part_count as usize
            && parts
                .iter()
                .enumerate()
                .all(|(i, p)| p.number as usize == i + 1);
        if !in_order {
            return Err(ApiError::bad(
                "upload_parts_invalid",
                format!("list parts 1 to {} once each, in order", upload.part_count),
            )
            .into());
        }
        let stored = stored_parts(&state, &upload).await?;
        for p in parts {
            let Some(s) = stored.iter().find(|s| s.number == p.number) else {
                return Err(ApiError::bad(
                    "upload_part_missing",
                    format!("part {} was never uploaded", p.number),
                )
                .into());
            };
            if s.etag.trim_matches('"') != p.etag.trim_matches('"') {
                return Err(ApiError::bad(
                    "upload_etag_mismatch",
                    format!("part {} does not match its ETag", p.number),
                )
                .into());
            }
            if Some(s.size) != upload.expected_part_size(p.number) {
                return Err(ApiError::bad(
                    "upload_size_mismatch",
                    format!(
                        "part {} has {} bytes, expected {}",
                        p.number,
                        s.size,
                        upload.expected_part_size(p.number).unwrap_or(0)
                    ),
                )
                .into());
            }
        }
        if !uploads::transition(&state.db, &upload.id, "open", "completing").await? {
            return Err(ApiError::conflict(
                "upload_already_completed",
                "this upload is already being completed",
            )
            .into());
        }
        let list: Vec<(u32, String)> = parts.iter().map(|p| (p.number, p.etag.clone())).collect();
        let joined = state
            .store
            .complete_multipart(&upload.multipart(), &list)
            .await;
        match joined {
            Ok(meta) if meta.size == upload.size => {}
            Ok(meta) => {
                uploads::transition(&state.db, &upload.id, "completing", "open").await?;
                return Err(ApiError::bad(
                    "upload_size_mismatch",
                    format!("received {} bytes, expected {}", meta.size, upload.size),
                )
                .into());
            }
            Err(e) => {
                uploads::transition(&state.db, &upload.id, "completing", "open").await?;
                return Err(ErrorResponse::from(e));
            }
        }
        uploads::finish(&state.db, &upload).await?;
        state.job_wake.notify_waiters();
        let v = videos::get(&state.db, &upload.video_id)
            .await?
            .ok_or_else(|| ApiError::not_found("video_not_found", "the video was deleted"))?;
        Ok(Json(VideoDto::new(&state, v)))
    }

    /// Abandon an upload: its parts are dropped and its video deleted.
    #[oai(
        path = "/uploads/:upload_id",
        method = "delete",
        operation_id = "abort_upload"
    )]
    async fn abort(
        &self,
        state: Data<&AppState>,
        auth: UserAuth,
        upload_id: Path<String>,
    ) -> ApiResult<Empty> {
        let upload = uploads::get_owned(&state.db, &upload_id, &auth.0).await?;
        if !uploads::transition(&state.db, &upload.id, "open", "aborted").await? {
            upload.check_open()?;
            return Err(ApiError::conflict(
                "upload_not_open",
                "this upload can no longer be aborted",
            )
            .into());
        }
        state.store.abort_multipart(&upload.multipart()).await?;
        videos::set_state(&state.db, &upload.video_id, VideoState::Deleted, None).await?;
        Ok(Empty::NoContent)
    }
}
