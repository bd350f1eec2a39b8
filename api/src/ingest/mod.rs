//! Getting videos in and out: multipart uploads (open, parts, complete, abort, expiry and crash
//! recovery), the durable removal of a deleted video's jobs and files, and the reconciler
//! that repairs videos no job is moving on.

pub mod reconcile;
pub mod removal;
pub mod uploads;
