//! One error type for REST and GraphQL. Each variant fixes its stable `code` and HTTP status;
//! 5xx bodies are opaque while the cause is logged.

use poem::http::StatusCode;
use poem_openapi::{ApiResponse, Object, payload::Json};

/// The body of every error response.
#[derive(Debug, Clone, Object, serde::Serialize)]
pub struct ErrorBody {
    /// Stable snake_case code, e.g. `video_not_found`.
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
}

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{1}")]
    BadRequest(&'static str, String),
    #[error("sign in first")]
    Unauthenticated,
    #[error("{0}")]
    Forbidden(String),
    #[error("{1}")]
    NotFound(&'static str, String),
    #[error("{1}")]
    Conflict(&'static str, String),
    #[error("{1}")]
    TooLarge(&'static str, String),
    #[error("{1}")]
    TooMany(&'static str, String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    pub fn bad(code: &'static str, msg: impl Into<String>) -> Self {
        ApiError::BadRequest(code, msg.into())
    }
    pub fn not_found(code: &'static str, msg: impl Into<String>) -> Self {
        ApiError::NotFound(code, msg.into())
    }
    pub fn conflict(code: &'static str, msg: impl Into<String>) -> Self {
        ApiError::Conflict(code, msg.into())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(..) => StatusCode::BAD_REQUEST,
            ApiError::Unauthenticated => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(..) => StatusCode::NOT_FOUND,
            ApiError::Conflict(..) => StatusCode::CONFLICT,
            ApiError::TooLarge(..) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::TooMany(..) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest(c, _)
            | ApiError::NotFound(c, _)
            | ApiError::Conflict(c, _)
            | ApiError::TooLarge(c, _)
            | ApiError::TooMany(c, _) => c,
            ApiError::Unauthenticated => "unauthenticated",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::Internal(_) => "internal",
        }
    }

    pub fn body(&self) -> ErrorBody {
        let message = match self {
            ApiError::Internal(e) => {
                tracing::error!(error = ?e, "internal error");
                "internal error".to_owned()
            }
            other => other.to_string(),
        };
        ErrorBody {
            code: self.code().to_owned(),
            message,
        }
    }
}

impl From<surrealdb::Error> for ApiError {
    fn from(e: surrealdb::Error) -> Self {
        ApiError::Internal(anyhow::Error::new(e).context("database"))
    }
}

impl From<shared::store::StoreError> for ApiError {
    fn from(e: shared::store::StoreError) -> Self {
        use shared::store::StoreError as S;
        match e {
            S::NotFound(k) => {
                ApiError::not_found("object_not_found", format!("object {k} not found"))
            }
            S::MissingPart(n) => ApiError::bad(
                "upload_part_missing",
                format!("part {n} was never uploaded"),
            ),
            S::EtagMismatch { number, .. } => ApiError::bad(
                "upload_etag_mismatch",
                format!("part {number} does not match its ETag"),
            ),
            S::PartSize {
                number,
                expected,
                found,
            } => ApiError::bad(
                "upload_size_mismatch",
                format!("part {number} has {found} bytes, expected {expected}"),
            ),
            S::NoSuchUpload(_) => ApiError::conflict(
                "upload_gone",
                "the store no longer holds this upload's parts; start a new upload",
            ),
            other => ApiError::Internal(anyhow::Error::new(other).context("object store")),
        }
    }
}

/// The error responses of the REST API, as the OpenAPI spec documents them.
#[derive(Debug, ApiResponse)]
pub enum ErrorResponse {
    /// The request is malformed or breaks a rule.
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// Missing or invalid credentials.
    #[oai(status = 401)]
    Unauthorized(Json<ErrorBody>),
    /// Signed in, but not allowed.
    #[oai(status = 403)]
    Forbidden(Json<ErrorBody>),
    /// No such thing, or not visible to the caller.
    #[oai(status = 404)]
    NotFound(Json<ErrorBody>),
    /// The request conflicts with the current state.
    #[oai(status = 409)]
    Conflict(Json<ErrorBody>),
    /// Too large.
    #[oai(status = 413)]
    TooLarge(Json<ErrorBody>),
    /// Too many at once; try again later.
    #[oai(status = 429)]
    TooManyRequests(Json<ErrorBody>),
    /// Something broke on our side.
    #[oai(status = 500)]
    Internal(Json<ErrorBody>),
}

impl From<ApiError> for ErrorResponse {
    fn from(e: ApiError) -> Self {
        let body = Json(e.body());
        match e {
            ApiError::BadRequest(..) => ErrorResponse::BadRequest(body),
            ApiError::Unauthenticated => ErrorResponse::Unauthorized(body),
            ApiError::Forbidden(_) => ErrorResponse::Forbidden(body),
            ApiError::NotFound(..) => ErrorResponse::NotFound(body),
            ApiError::Conflict(..) => ErrorResponse::Conflict(body),
            ApiError::TooLarge(..) => ErrorResponse::TooLarge(body),
            ApiError::TooMany(..) => ErrorResponse::TooManyRequests(body),
            ApiError::Internal(_) => ErrorResponse::Internal(body),
        }
    }
}

/// Gives every error the server sends the JSON body `{code, message}`, including the ones
/// raised before a handler runs (malformed JSON, a missing token, an unknown route).
pub async fn json_errors(err: poem::Error) -> poem::Response {
    use poem::IntoResponse;
    let status = err.status();
    let resp = err.into_response();
    let is_json = resp
        .headers()
        .get(poem::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return resp;
    }
    let code = match status {
        StatusCode::BAD_REQUEST => "invalid_request",
        StatusCode::UNAUTHORIZED => "unauthenticated",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        StatusCode::TOO_MANY_REQUESTS => "too_many_requests",
        s if s.is_server_error() => "internal",
        _ => "error",
    };
    let message = match resp.into_body().into_string().await {
        Ok(m) if !m.is_empty() && !status.is_server_error() => m,
        _ => status.canonical_reason().unwrap_or("error").to_owned(),
    };
    let body = serde_json::json!({ "code": code, "message": message });
    poem::web::Json(body).with_status(status).into_response()
}

/// The result type of every REST handler.
pub type ApiResult<T> = Result<T, ErrorResponse>;

impl From<surrealdb::Error> for ErrorResponse {
    fn from(e: surrealdb::Error) -> Self {
        ApiError::from(e).into()
    }
}

impl From<shared::store::StoreError> for ErrorResponse {
    fn from(e: shared::store::StoreError) -> Self {
        ApiError::from(e).into()
    }
}

impl From<anyhow::Error> for ErrorResponse {
    fn from(e: anyhow::Error) -> Self {
        ApiError::Internal(e).into()
    }
}
