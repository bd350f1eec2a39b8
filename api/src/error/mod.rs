//! One error type for REST, GraphQL, media and part URLs: a code from [`Code`]'s table (which
//! fixes its HTTP status) with a message, or an internal failure. 5xx bodies are opaque while
//! the cause is logged.

use poem::http::StatusCode;
use poem_openapi::{ApiResponse, Object, payload::Json};

mod codes;

pub use codes::Code;

/// The body of every error response.
#[derive(Debug, Clone, Object, serde::Serialize)]
#[oai(skip_serializing_if_is_none)]
pub struct ErrorBody {
    /// Stable snake_case code, e.g. `video_not_found`; the spec's description lists them all.
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
}

impl ErrorBody {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        ErrorBody {
            code: code.name().to_owned(),
            message: message.into(),
        }
    }

    /// The body as a JSON response with the code's status, for routes outside poem-openapi
    /// (media, part URLs, poem's own refusals).
    pub fn response(code: Code, message: impl Into<String>) -> poem::Response {
        use poem::IntoResponse;
        poem::web::Json(ErrorBody::new(code, message))
            .with_status(code.status())
            .into_response()
    }
}

/// Everything a request can fail with: a code from the table with a message for people, or
/// an internal failure whose cause is logged and never sent.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{1}")]
    Known(Code, String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    pub fn new(code: Code, msg: impl Into<String>) -> Self {
        ApiError::Known(code, msg.into())
    }

    pub fn unauthenticated() -> Self {
        ApiError::new(Code::Unauthenticated, "sign in first")
    }

    pub fn forbidden(msg: impl Into<String>) -> Self {
        ApiError::new(Code::Forbidden, msg)
    }

    pub fn status(&self) -> StatusCode {
        self.code().status()
    }

    pub fn code(&self) -> Code {
        match self {
            ApiError::Known(c, _) => *c,
            ApiError::Internal(e) if unreachable(e) => Code::Unavailable,
            ApiError::Internal(_) => Code::Internal,
        }
    }

    pub fn body(&self) -> ErrorBody {
        let message = match self {
            ApiError::Internal(e) if unreachable(e) => {
                tracing::warn!(error = ?e, "a store cannot be reached");
                "the database or the object store cannot be reached; retry in a moment".to_owned()
            }
            ApiError::Internal(e) => {
                tracing::error!(error = ?e, "internal error");
                "internal error".to_owned()
            }
            ApiError::Known(_, m) => m.clone(),
        };
        ErrorBody::new(self.code(), message)
    }

    /// The error as a JSON response, for routes outside poem-openapi. An unreachable store
    /// asks players to come back in a second.
    pub fn response(&self) -> poem::Response {
        use poem::IntoResponse;
        let mut r = poem::web::Json(self.body())
            .with_status(self.status())
            .into_response();
        if self.status() == StatusCode::SERVICE_UNAVAILABLE {
            r.headers_mut().insert(
                poem::http::header::RETRY_AFTER,
                poem::http::HeaderValue::from_static("1"),
            );
        }
        r
    }
}

/// Whether a failure is the database or the object store being out of reach (not a bug):
/// answered 503, which the edge retries on another replica and clients retry later.
fn unreachable(e: &anyhow::Error) -> bool {
    use shared::store::StoreError;
    e.chain().any(|cause| {
        if let Some(db) = cause.downcast_ref::<surrealdb::Error>() {
            return db.is_connection();
        }
        matches!(
            cause.downcast_ref::<StoreError>(),
            Some(StoreError::Io(_)) | Some(StoreError::Remote { status: 500.., .. })
        )
    })
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
            S::NotFound(k) => ApiError::new(Code::ObjectNotFound, format!("object {k} not found")),
            S::MissingPart(n) => ApiError::new(
                Code::UploadPartMissing,
                format!("part {n} was never uploaded"),
            ),
            S::EtagMismatch { number, .. } => ApiError::new(
                Code::UploadEtagMismatch,
                format!("part {number} does not match its ETag"),
            ),
            S::PartSize {
                number,
                expected,
                found,
            } => ApiError::new(
                Code::UploadSizeMismatch,
                format!("part {number} has {found} bytes, expected {expected}"),
            ),
            S::NoSuchUpload(_) => ApiError::new(
                Code::UploadGone,
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
    /// The body's `Content-Type` is missing or not one the operation takes.
    #[oai(status = 415)]
    UnsupportedMediaType(Json<ErrorBody>),
    /// Too many at once; try again later.
    #[oai(status = 429)]
    TooManyRequests(Json<ErrorBody>),
    /// Something broke on our side.
    #[oai(status = 500)]
    Internal(Json<ErrorBody>),
    /// The database or the object store cannot be reached right now; retry in a moment.
    #[oai(status = 503)]
    Unavailable(Json<ErrorBody>),
}

impl From<ApiError> for ErrorResponse {
    fn from(e: ApiError) -> Self {
        let body = Json(e.body());
        match e.status() {
            StatusCode::BAD_REQUEST => ErrorResponse::BadRequest(body),
            StatusCode::UNAUTHORIZED => ErrorResponse::Unauthorized(body),
            StatusCode::FORBIDDEN => ErrorResponse::Forbidden(body),
            StatusCode::NOT_FOUND => ErrorResponse::NotFound(body),
            StatusCode::CONFLICT => ErrorResponse::Conflict(body),
            StatusCode::PAYLOAD_TOO_LARGE => ErrorResponse::TooLarge(body),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorResponse::UnsupportedMediaType(body),
            StatusCode::TOO_MANY_REQUESTS => ErrorResponse::TooManyRequests(body),
            StatusCode::SERVICE_UNAVAILABLE => ErrorResponse::Unavailable(body),
            _ => ErrorResponse::Internal(body),
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
    let code = Code::for_status(status);
    let message = match resp.into_body().into_string().await {
        Ok(m) if !m.is_empty() && !status.is_server_error() => m,
        _ => status.canonical_reason().unwrap_or("error").to_owned(),
    };
    // Keep poem's status (a 416 or 405 stays one) with the table's code for it.
    poem::web::Json(ErrorBody::new(code, message))
        .with_status(status)
        .into_response()
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
