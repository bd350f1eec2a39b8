//! The plain HTTP endpoints beside the REST and GraphQL APIs: part PUTs (authorised by their
//! signed URL alone, like S3 presigned URLs), signed media delivery, the web app, and the
//! GraphQL explorer from vendored assets; `/metrics` for operators.

pub mod access_log;
pub mod explorer;
pub mod headers;
pub mod limits;
pub mod media;
pub mod metrics;
pub mod parts;
pub mod serve;
pub mod slowloris;
pub mod web;
