//! A graphql-ws socket follows the session it signed in with: sign-out, a password change
//! and a role change close it, no operation runs after them, and subscriptions are capped.

use crate::helpers::*;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use shared::client::types;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

fn text(v: Value) -> Message {
    Message::Text(v.to_string().into())
}

/// A signed-in socket, acknowledged.
async fn signed_in_socket(app: &TestApp, token: &str) -> Ws {
    let mut ws = graphql_ws(&app.base).await;
    ws.send(text(json!({
        "type": "connection_init",
        "payload": {"authorization": format!("Bearer {token}")}
    })))
    .await
    .unwrap();
    assert_eq!(next(&mut ws).await.unwrap()["type"], "connection_ack");
    ws
}

/// The next answer (`connection_ack`, `next` or `error`; pings and the `complete` that ends
/// an operation are skipped), or the close frame's code if the server closed the socket.
async fn next(ws: &mut Ws) -> Result<Value, Option<u16>> {
    loop {
        let m = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a message within 10 s");
        match m {
            Some(Ok(Message::Text(t))) => {
                let v: Value = serde_json::from_str(&t).unwrap();
                if !["ping", "pong", "complete"].contains(&v["type"].as_str().unwrap_or("")) {
                    return Ok(v);
                }
            }
            Some(Ok(Message::Close(frame))) => return Err(frame.map(|f| u16::from(f.code))),
            Some(Ok(_)) => {}
            Some(Err(_)) | None => return Err(None),
        }
    }
}

/// Renames `video` over the socket; the answer.
async fn rename(ws: &mut Ws, id: &str, video: &str, title: &str) -> Result<Value, Option<u16>> {
    let query = format!(
        r#"mutation {{ updateVideo(id: "{video}", input: {{title: "{title}"}}) {{ title }} }}"#
    );
    ws.send(text(
        json!({"id": id, "type": "subscribe", "payload": {"query": query}}),
    ))
    .await
    .map_err(|_| None)?;
    next(ws).await
}

async fn a_video(app: &TestApp, token: &str) -> String {
    app.as_user(token)
        .create_upload(&types::CreateUploadRequest {
            filename: "v.mp4".into(),
            size: 10,
            content_type: "video/mp4".into(),
            title: "Before".into(),
            description: None,
        })
        .await
        .unwrap()
        .into_inner()
        .video_id
}

async fn title_of(app: &TestApp, token: &str, video: &str) -> String {
    app.as_user(token)
        .get_video(video)
        .await
        .unwrap()
        .into_inner()
        .title
}

/// Signs the account of `token` in again, as another device; that session's token.
async fn second_device(app: &TestApp, token: &str) -> String {
    let me = app.as_user(token).get_me().await.unwrap().into_inner();
    app.anon()
        .login(&types::LoginRequest {
            email: me.email,
            password: "correct horse battery".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .token
}

/// The error code of an operation's answer (`next` with errors, or `error`).
fn error_code(m: &Value) -> &str {
    let errors = if m["type"] == "error" {
        &m["payload"]
    } else {
        &m["payload"]["errors"]
    };
    errors[0]["extensions"]["code"].as_str().unwrap_or_default()
}

/// Waits for the socket to be closed, skipping any answers still in flight; the close code.
async fn closed(ws: &mut Ws) -> Option<u16> {
    loop {
        if let Err(code) = next(ws).await {
            return code;
        }
    }
}

#[tokio::test]
async fn signing_out_closes_the_socket_and_stops_its_edits() {
    let app = spawn_app(0).await;
    let (token, _) = app.user("owner").await;
    let video = a_video(&app, &token).await;
    let mut ws = signed_in_socket(&app, &token).await;
    let r = rename(&mut ws, "1", &video, "While signed in")
        .await
        .unwrap();
    assert_eq!(
        r["payload"]["data"]["updateVideo"]["title"],
        "While signed in"
    );

    // Another device of the same account stays signed in, to read the title afterwards.
    let other = second_device(&app, &token).await;
    app.as_user(&token).logout().await.unwrap();
    // An edit sent at once is refused if the socket is still open to take it.
    match rename(&mut ws, "2", &video, "After sign-out").await {
        Ok(m) => {
            assert_eq!(error_code(&m), "unauthenticated", "{m}");
            assert_eq!(closed(&mut ws).await, Some(4401));
        }
        Err(code) => assert_eq!(code, Some(4401)),
    }
    assert_eq!(title_of(&app, &other, &video).await, "While signed in");
}

#[tokio::test]
async fn a_password_change_elsewhere_closes_the_socket() {
    let app = spawn_app(0).await;
    let (token, _) = app.user("owner").await;
    let mut ws = signed_in_socket(&app, &token).await;
    let phone = second_device(&app, &token).await;
    app.as_user(&phone)
        .change_password(&types::ChangePasswordRequest {
            current_password: "correct horse battery".into(),
            new_password: "a brand new password".into(),
        })
        .await
        .unwrap();
    assert_eq!(closed(&mut ws).await, Some(4401));
}

#[tokio::test]
async fn a_demotion_closes_the_socket() {
    let app = spawn_app(0).await;
    let (admin, _) = app.admin("admin").await;
    let (token, id) = app.user("creator").await;
    let mut ws = signed_in_socket(&app, &token).await;
    app.as_user(&admin)
        .set_user_role(
            &id,
            &types::SetRoleRequest {
                role: types::Role::Viewer,
            },
        )
        .await
        .unwrap();
    assert_eq!(closed(&mut ws).await, Some(4403));
    // Reconnecting works, with the new role.
    let mut again = signed_in_socket(&app, &token).await;
    again
        .send(text(
            json!({"id": "1", "type": "subscribe", "payload": {"query": "{ me { role } }"}}),
        ))
        .await
        .unwrap();
    let m = next(&mut again).await.unwrap();
    assert_eq!(m["payload"]["data"]["me"]["role"], "VIEWER", "{m}");
}

#[tokio::test]
async fn a_socket_runs_at_most_ten_subscriptions() {
    let app = spawn_app(0).await;
    let (token, _) = app.user("owner").await;
    let video = a_video(&app, &token).await;
    let mut ws = signed_in_socket(&app, &token).await;
    let query = format!(r#"subscription {{ videoProcessing(id: "{video}") {{ state }} }}"#);
    for i in 0..10 {
        ws.send(text(
            json!({"id": format!("s{i}"), "type": "subscribe", "payload": {"query": query}}),
        ))
        .await
        .unwrap();
        let m = next(&mut ws).await.unwrap();
        assert_eq!(
            m["payload"]["data"]["videoProcessing"]["state"], "UPLOADING",
            "{m}"
        );
    }
    ws.send(text(
        json!({"id": "s10", "type": "subscribe", "payload": {"query": query}}),
    ))
    .await
    .unwrap();
    let m = next(&mut ws).await.unwrap();
    assert_eq!(m["id"], "s10");
    assert_eq!(error_code(&m), "too_many_subscriptions", "{m}");
    // Ending one frees its place.
    ws.send(text(json!({"id": "s0", "type": "complete"})))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    ws.send(text(
        json!({"id": "s11", "type": "subscribe", "payload": {"query": query}}),
    ))
    .await
    .unwrap();
    let m = next(&mut ws).await.unwrap();
    assert_eq!(m["id"], "s11", "{m}");
    assert_eq!(
        m["payload"]["data"]["videoProcessing"]["state"], "UPLOADING",
        "{m}"
    );
}

/// A replica that begins to shut down closes its sockets as going away (1001), so apps
/// reconnect, through the edge to another replica, at once.
#[tokio::test]
async fn a_stopping_replica_closes_its_sockets_as_going_away() {
    let app = spawn_app(0).await;
    let (token, _) = app.user("viewer").await;
    let mut ws = signed_in_socket(&app, &token).await;
    app.stop().await;
    assert_eq!(next(&mut ws).await, Err(Some(1001)));
}
