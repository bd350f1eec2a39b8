//! The part URLs handed out by `create_upload`: a plain `PUT` of the part's bytes, authorised
//! by the URL's signature alone (like an S3 presigned URL), answered with the part's `ETag`.

use crate::error::{ApiError, Code};
use crate::ingest::uploads;
use crate::signing::Signer;
use crate::state::AppState;
use futures::TryStreamExt;
use poem::http::StatusCode;
use poem::web::{Data, Path, Query};
use poem::{Body, IntoResponse, Response, handler};
use serde::Deserialize;
use shared::store::ObjectStore;
use std::io;

#[derive(Deserialize)]
pub struct PartQuery {
    expires: i64,
    sig: String,
}

#[handler]
pub async fn put_part(
    state: Data<&AppState>,
    Path((upload_id, number)): Path<(String, u32)>,
    Query(q): Query<PartQuery>,
    body: Body,
) -> Response {
    match store_part(&state, &upload_id, number, &q, body).await {
        Ok(etag) => StatusCode::OK.with_header("ETag", etag).into_response(),
        Err(e) => e.response(),
    }
}

async fn store_part(
    state: &AppState,
    upload_id: &str,
    number: u32,
    q: &PartQuery,
    body: Body,
) -> Result<String, ApiError> {
    if !state
        .signer
        .verify(&Signer::part_message(upload_id, number), q.expires, &q.sig)
    {
        return Err(ApiError::forbidden(
            "this part URL is invalid or has expired",
        ));
    }
    let upload = uploads::get(&state.db, upload_id)
        .await?
        .ok_or_else(|| ApiError::new(Code::UploadNotFound, format!("no upload {upload_id}")))?;
    upload.check_open()?;
    let expected = upload.expected_part_size(number).ok_or_else(|| {
        ApiError::new(
            Code::UploadPartInvalid,
            format!("part numbers run from 1 to {}", upload.part_count),
        )
    })?;
    // Count bytes as they stream so an oversized part is cut off instead of filling the disk.
    let mut seen = 0u64;
    let stream = body
        .into_bytes_stream()
        .map_err(io::Error::other)
        .and_then(move |chunk| {
            seen += chunk.len() as u64;
            let result = if seen > expected {
                Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "part larger than its slot",
                ))
            } else {
                Ok(chunk)
            };
            std::future::ready(result)
        });
    let stored = state
        .store
        .put_part(&upload.multipart(), number, expected, Box::pin(stream))
        .await
        .map_err(|e| match e {
            shared::store::StoreError::Io(io) if io.kind() == io::ErrorKind::InvalidData => {
                ApiError::new(
                    Code::UploadPartTooLarge,
                    format!("part {number} must be exactly {expected} bytes"),
                )
            }
            other => other.into(),
        })?;
    state.metrics.part_received(expected);
    Ok(stored.etag)
}
