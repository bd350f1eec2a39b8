//! The upload contract over REST: open, inspect (resume), complete, abort.

use crate::error::ApiResult;
use crate::ingest::uploads::{self, Limits, NewUpload, Upload};
use crate::rest::ApiTags;
use crate::rest::auth::{Empty, UserAuth};
use crate::rest::videos::VideoDto;
use crate::signing::Signer;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use poem::Request;
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use shared::UploadState;
use shared::store::ObjectStore;

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
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
#[oai(skip_serializing_if_is_none)]
pub struct PartUrl {
    /// 1-based part number.
    pub number: u32,
    /// PUT the part's bytes here; the response's `ETag` header identifies the stored part.
    pub url: String,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
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
#[oai(skip_serializing_if_is_none)]
pub struct ReceivedPart {
    pub number: u32,
    pub size: u64,
    pub etag: String,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct UploadStatus {
    pub upload_id: String,
    pub video_id: String,
    pub size: u64,
    pub part_size: u64,
    pub received: Vec<ReceivedPart>,
    pub state: UploadState,
    /// Fresh URLs for every part, for a client resuming the upload.
    pub parts: Vec<PartUrl>,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct CompletedPart {
    pub number: u32,
    pub etag: String,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct CompleteUploadRequest {
    /// Every part, in order, with the ETag its upload returned.
    pub parts: Vec<CompletedPart>,
}

/// One URL per part: presigned straight to the bucket when the store has such URLs, else
/// signed by the api for its own `/parts` endpoint. Both stop working when the upload expires.
fn part_urls(state: &AppState, req: &Request, upload: &Upload) -> Vec<PartUrl> {
    let base = crate::rest::base_url(state, req);
    let expires_at = crate::db::parse_ts(&upload.expires_at);
    let expires = expires_at.timestamp();
    let ttl = (expires_at - chrono::Utc::now())
        .to_std()
        .unwrap_or_default();
    let multipart = upload.multipart();
    (1..=upload.part_count)
        .map(|n| {
            let size = upload.expected_part_size(n).unwrap_or(upload.part_size);
            let url = state
                .store
                .part_url(&multipart, n, size, ttl)
                .unwrap_or_else(|| {
                    let sig = state
                        .signer
                        .sign(&Signer::part_message(&upload.id, n), expires);
                    format!("{base}/parts/{}/{n}?expires={expires}&sig={sig}", upload.id)
                });
            PartUrl { number: n, url }
        })
        .collect()
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
            per_day: s.uploads_per_day,
            storage_quota: s.storage_quota_bytes,
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
        let st = upload.current_state();
        let received = if st == UploadState::Open {
            uploads::received(&state.store, &upload).await?
        } else {
            Vec::new()
        };
        let parts = if st == UploadState::Open {
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
        let listed: Vec<(u32, String)> = body
            .parts
            .iter()
            .map(|p| (p.number, p.etag.clone()))
            .collect();
        let video = uploads::complete(&state.db, &state.store, &upload, &listed).await?;
        state.job_wake.notify_waiters();
        Ok(Json(VideoDto::new(&state, video)))
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
        uploads::abort(&state.db, &state.store, &upload).await?;
        Ok(Empty::NoContent)
    }
}
