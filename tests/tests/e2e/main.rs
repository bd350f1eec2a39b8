//! The whole product: the real `kino` binary with its in-process transcoder, driven through
//! the generated REST client, watched in headless Chromium.
//!
//! Run through `cargo xtask test`, which builds the web app and the binary and passes their
//! locations in `KINO_WEB_DIR` and `KINO_BIN`.

mod admin;
mod desktop;
mod explorer;
mod harness;
mod pipeline;
mod tv;
mod viewer;
