//! Downloads played with no network: a loopback HTTP server the player fetches from as it
//! would from Kino (hls.js needs plain HTTP with CORS; a custom URI scheme would need a
//! player that knows it). It listens on 127.0.0.1 only, on a port the OS picks, and serves
//! only under a secret path chosen at each launch, so another program on the computer cannot
//! read what was downloaded; only the app's pages are allowed by CORS.

use super::hls;
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::middleware::Cors;
use poem::web::{Path, StaticFileRequest};
use poem::{EndpointExt, IntoResponse, Response, Route, Server, handler, http::StatusCode};
use std::path::PathBuf;

/// Starts the server over `root` (the downloads directory) and returns its base URL, which
/// ends with the secret: `{base}/{video_id}/media/master.m3u8` plays a download.
pub async fn start(root: PathBuf) -> std::io::Result<String> {
    let secret = hex::encode(rand::random::<[u8; 16]>());
    let acceptor = TcpListener::bind("127.0.0.1:0").into_acceptor().await?;
    let addr = acceptor
        .local_addr()
        .first()
        .and_then(|a| a.as_socket_addr().copied())
        .ok_or_else(|| std::io::Error::other("the local server has no address"))?;
    let app = Route::new()
        .at(format!("/{secret}/:video/media/*path"), serve)
        .data(root)
        .with(
            Cors::new()
                .allow_origin("tauri://localhost")
                .allow_origin("http://tauri.localhost"),
        );
    tauri::async_runtime::spawn(async move {
        if let Err(e) = Server::new_with_acceptor(acceptor).run(app).await {
            eprintln!("kino: the downloads server stopped: {e}");
        }
    });
    Ok(format!("http://{addr}/{secret}"))
}

#[handler]
fn serve(
    Path((video, path)): Path<(String, String)>,
    file: StaticFileRequest,
    root: poem::web::Data<&PathBuf>,
) -> Response {
    // Only the files a download keeps: no manifest, no partial file, nothing outside it.
    let plain = hls::safe(&video).is_ok() && !video.contains('/');
    if !plain || hls::safe(&path).is_err() || path.ends_with(".part") {
        return StatusCode::NOT_FOUND.into_response();
    }
    match file.create_response(root.join(&video).join("media").join(&path), true, false) {
        Ok(r) => r.into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}
