//! The Kino transcoder: turns uploaded sources into an HLS ladder.
//!
//! Workers lease jobs from the api over HTTP ([`worker`]), pull the source from the object
//! store into scratch space, probe and encode it ([`pipeline`], [`encode`], [`probe`]) and push
//! the renditions back. Only [`ffmpeg`] starts processes. The transcoder never touches the
//! database: the api is its only door to the catalogue.

pub mod encode;
pub mod ffmpeg;
pub mod metrics;
pub mod pipeline;
pub mod probe;
pub mod storyboard;
pub mod worker;

pub use worker::{WorkerConfig, run_worker};
