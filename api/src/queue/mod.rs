//! The transcoding queue: jobs leased to workers over HTTP, with heartbeats, compare-and-set
//! completion, retries with backoff and a dead letter.

pub mod jobs;
