//! Getting videos in and out: multipart uploads (open, parts, complete, abort, expiry and crash
//! recovery) and the removal of a deleted video's jobs and files.

pub mod removal;
pub mod uploads;
