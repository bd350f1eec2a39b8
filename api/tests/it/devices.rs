//! Signing a TV in by code: started by the TV, approved by a signed-in viewer, polled once
//! into a session; and every refusal (pending, too fast, expired, reused, unknown, mistyped,
//! guessed too often, not signed in).

use crate::helpers::*;
use shared::client::types;

fn start() -> types::StartDeviceSignInRequest {
    types::StartDeviceSignInRequest {
        name: Some("Living room TV".into()),
    }
}

fn poll_body(code: &str) -> types::PollDeviceSignInRequest {
    types::PollDeviceSignInRequest {
        device_code: code.into(),
    }
}

fn approve_body(code: &str) -> types::ApproveDeviceRequest {
    types::ApproveDeviceRequest {
        user_code: code.into(),
    }
}

/// Lets the TV's next poll through, as waiting out its interval would.
async fn wait_out_interval(app: &TestApp) {
    app.db
        .query("UPDATE device_login SET last_poll_at = NONE")
        .await
        .unwrap()
        .check()
        .unwrap();
}

#[tokio::test]
async fn a_viewer_approves_a_tv_which_then_signs_in_once() {
    let app = spawn_app(0).await;
    let (viewer, viewer_id) = app.user("viewer").await;
    let tv = app.anon();
    let started = tv
        .start_device_sign_in(&start())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(started.user_code.len(), 9);
    assert!(started.verification_uri.ends_with("/activate"));
    assert!(
        started
            .verification_uri_complete
            .contains(&started.user_code)
    );
    assert_eq!((started.expires_in, started.interval), (600, 5));

    // Nobody approved yet; then a poll sooner than the interval is told to slow down.
    assert_eq!(
        code(
            tv.poll_device_sign_in(&poll_body(&started.device_code))
                .await
        ),
        (400, "authorization_pending".into())
    );
    assert_eq!(
        code(
            tv.poll_device_sign_in(&poll_body(&started.device_code))
                .await
        ),
        (400, "slow_down".into())
    );

    // The viewer types the code loosely: lower case, without its dash.
    let typed = started.user_code.replace('-', " ").to_lowercase();
    let approved = app
        .as_user(&viewer)
        .approve_device(&approve_body(&typed))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(approved.name, "Living room TV");
    // The same code cannot be approved twice.
    assert_eq!(
        code(
            app.as_user(&viewer)
                .approve_device(&approve_body(&typed))
                .await
        ),
        (404, "invalid_user_code".into())
    );

    wait_out_interval(&app).await;
    let session = tv
        .poll_device_sign_in(&poll_body(&started.device_code))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(session.user.id, viewer_id);
    let me = app
        .as_user(&session.token)
        .get_me()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(me.id, viewer_id);
    // Given once.
    wait_out_interval(&app).await;
    assert_eq!(
        code(
            tv.poll_device_sign_in(&poll_body(&started.device_code))
                .await
        ),
        (400, "expired_token".into())
    );
}

#[tokio::test]
async fn expired_unknown_and_unapproved_codes_are_refused() {
    let app = spawn_app(0).await;
    let (viewer, _) = app.user("viewer").await;
    let tv = app.anon();
    let started = tv
        .start_device_sign_in(&start())
        .await
        .unwrap()
        .into_inner();
    app.db
        .query("UPDATE device_login SET expires_at = '2000-01-01T00:00:00.000Z'")
        .await
        .unwrap()
        .check()
        .unwrap();
    assert_eq!(
        code(
            app.as_user(&viewer)
                .approve_device(&approve_body(&started.user_code))
                .await
        ),
        (404, "invalid_user_code".into()),
        "an expired code cannot be approved"
    );
    assert_eq!(
        code(
            tv.poll_device_sign_in(&poll_body(&started.device_code))
                .await
        ),
        (400, "expired_token".into())
    );
    assert_eq!(
        code(tv.poll_device_sign_in(&poll_body("made-up")).await),
        (400, "invalid_grant".into())
    );
    assert_eq!(
        code(
            app.as_user(&viewer)
                .approve_device(&approve_body("BCDF"))
                .await
        ),
        (404, "invalid_user_code".into())
    );
    assert_eq!(
        code(tv.approve_device(&approve_body(&started.user_code)).await),
        (401, "unauthenticated".into()),
        "only a signed-in viewer approves"
    );
}

#[tokio::test]
async fn guessing_codes_is_stopped_per_account_across_addresses() {
    let app = spawn_app_with(
        tempfile::tempdir().unwrap(),
        Some("mem://".into()),
        0,
        |s| s.trusted_proxies = vec!["127.0.0.1".into()],
    )
    .await;
    let (guesser, _) = app.user("guesser").await;
    let http = reqwest::Client::new();
    let mut statuses = Vec::new();
    for i in 0..12 {
        let r = http
            .post(format!("{}/api/v1/devices/approve", app.base))
            .bearer_auth(&guesser)
            .header("x-forwarded-for", format!("198.51.100.{i}"))
            .json(&serde_json::json!({"user_code": "BCDF-GHJK"}))
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
    }
    assert_eq!(&statuses[..10], &[404; 10]);
    assert_eq!(&statuses[10..], &[429, 429], "{statuses:?}");
}

#[tokio::test]
async fn the_same_flow_over_graphql() {
    let app = spawn_app(0).await;
    let (viewer, viewer_id) = app.user("viewer").await;
    let started = app.graphql(
        None,
        r#"mutation { startDeviceSignIn(name: "Bedroom") { deviceCode userCode verificationUri interval } }"#,
    )
    .await;
    let s = &started["data"]["startDeviceSignIn"];
    let (device, user_code) = (
        s["deviceCode"].as_str().unwrap(),
        s["userCode"].as_str().unwrap(),
    );
    assert!(
        s["verificationUri"]
            .as_str()
            .unwrap()
            .starts_with("http://")
    );
    let poll = format!(
        r#"mutation {{ pollDeviceSignIn(deviceCode: "{device}") {{ token user {{ id }} }} }}"#
    );
    let pending = app.graphql(None, &poll).await;
    assert_eq!(
        pending["errors"][0]["extensions"]["code"],
        "authorization_pending"
    );
    let approved = app
        .graphql(
            Some(&viewer),
            &format!(r#"mutation {{ approveDevice(userCode: "{user_code}") }}"#),
        )
        .await;
    assert_eq!(approved["data"]["approveDevice"], "Bedroom", "{approved}");
    wait_out_interval(&app).await;
    let session = app.graphql(None, &poll).await;
    assert_eq!(
        session["data"]["pollDeviceSignIn"]["user"]["id"],
        viewer_id.as_str()
    );
}
