//! `videoProcessing` over graphql-ws: the owner follows a video from upload to publication,
//! fed by the database's live queries; others are refused.

use crate::helpers::Ws;
use crate::helpers::spawn_app;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use shared::client::types;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

async fn open(base: &str, token: &str, video: &str) -> Ws {
    let mut ws = crate::helpers::graphql_ws(base).await;
    let send = |v: Value| Message::Text(v.to_string().into());
    ws.send(send(
        json!({"type": "connection_init", "payload": {"authorization": format!("Bearer {token}")}}),
    ))
    .await
    .unwrap();
    assert_eq!(next(&mut ws).await["type"], "connection_ack");
    let query = format!(
        r#"subscription {{ videoProcessing(id: "{video}") {{ state progress failureReason }} }}"#
    );
    ws.send(send(
        json!({"id": "1", "type": "subscribe", "payload": {"query": query}}),
    ))
    .await
    .unwrap();
    ws
}

async fn next(ws: &mut Ws) -> Value {
    loop {
        let m = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a message within 10 s")
            .expect("the socket stays open")
            .unwrap();
        if let Message::Text(t) = m {
            let v: Value = serde_json::from_str(&t).unwrap();
            if v["type"] != "ping" && v["type"] != "pong" {
                return v;
            }
        }
    }
}

#[tokio::test]
async fn the_owner_follows_processing_live_and_strangers_are_refused() {
    let app = spawn_app(0).await;
    let (owner, _) = app.user("owner").await;
    let (stranger, _) = app.user("stranger").await;
    let created = app
        .as_user(&owner)
        .create_upload(&types::CreateUploadRequest {
            filename: "v.mp4".into(),
            size: 10,
            content_type: "video/mp4".into(),
            title: "Live".into(),
            description: None,
        })
        .await
        .unwrap()
        .into_inner();
    let id = created.video_id;

    let mut ws = open(&app.base, &owner, &id).await;
    let first = next(&mut ws).await;
    assert_eq!(first["type"], "next", "{first}");
    assert_eq!(
        first["payload"]["data"]["videoProcessing"]["state"],
        "UPLOADING"
    );

    // A worker picks it up and reports progress; then the ladder is published.
    let set = |sql: &'static str| {
        let (db, id) = (app.db.clone(), id.clone());
        async move {
            db.query(sql)
                .bind(("id", id))
                .await
                .unwrap()
                .check()
                .unwrap();
        }
    };
    set("UPDATE type::record('video', $id) SET state = 'processing';
         CREATE job:live SET video_id = $id, state = 'leased', progress = 40.0;")
    .await;
    let mut got = Vec::new();
    loop {
        let m = next(&mut ws).await;
        let p = m["payload"]["data"]["videoProcessing"].clone();
        got.push(p.clone());
        if p["progress"] == 40.0 {
            break;
        }
    }
    assert_eq!(got.last().unwrap()["state"], "PROCESSING", "{got:?}");
    set("UPDATE job:live SET state = 'done';
         UPDATE type::record('video', $id) SET state = 'published', published_version = 1;")
    .await;
    loop {
        let m = next(&mut ws).await;
        let p = &m["payload"]["data"]["videoProcessing"];
        if p["state"] == "PUBLISHED" && p["progress"].is_null() {
            break;
        }
    }

    // Someone else's video: refused with the REST code, no data.
    let mut other = open(&app.base, &stranger, &id).await;
    let m = next(&mut other).await;
    assert!(m["payload"]["data"].is_null(), "{m}");
    assert_eq!(
        m["payload"]["errors"][0]["extensions"]["code"], "forbidden",
        "{m}"
    );
}
