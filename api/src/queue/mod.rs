//! The transcoding queue: jobs leased to workers over HTTP, with heartbeats, compare-and-set
//! completion, retries with backoff and a dead letter; and the workers' registry (tokens that
//! lapse when unused, revocation).

pub mod jobs;
pub mod workers;
