//! What there is to watch: videos and their visibility, moderation, views, the public rails,
//! "more like this", full-text search, and the cache of hot reads that keeps them fast.

pub mod analyzer;
pub mod cache;
pub mod index;
pub mod moderation;
pub mod rails;
pub mod related;
pub mod search;
pub mod videos;
pub mod views;
