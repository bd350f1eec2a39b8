//! Test harness shared by every suite: real servers started on free loopback ports in a
//! temporary directory, stopped when their handle drops. The end-to-end suites themselves live
//! in `tests/`.

pub mod app;
pub mod browser;
pub mod catalog;
pub mod cluster;
pub mod edge;
pub mod flood;
pub mod garage;
pub mod kino;
pub mod load;
pub mod process;
pub mod surreal;
