//! The plain HTTP endpoints beside the REST and GraphQL APIs: part PUTs (authorised by their
//! signed URL alone, like S3 presigned URLs), signed media delivery, and the web app.

pub mod headers;
pub mod limits;
pub mod media;
pub mod parts;
pub mod web;
