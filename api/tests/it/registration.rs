//! Who may create an account, the first admin's setup token under racing requests, and the
//! upload quotas held under racing requests.

use crate::helpers::*;
use api::config::Registration;
use shared::client::types;

fn form(name: &str, code: Option<&str>) -> types::SignupRequest {
    types::SignupRequest {
        email: format!("{name}@example.com"),
        password: "correct horse battery".into(),
        display_name: name.into(),
        invite_code: code.map(str::to_owned),
    }
}

fn upload_request(size: u64) -> types::CreateUploadRequest {
    types::CreateUploadRequest {
        filename: "talk.mp4".into(),
        size,
        content_type: "video/mp4".into(),
        title: "Talk".into(),
        description: None,
    }
}

/// The first admin, made with the setup token, invites someone.
async fn admin_invites(app: &TestApp) -> types::Invite {
    let (admin, _) = app.admin("boss").await;
    app.as_user(&admin)
        .create_invite()
        .await
        .unwrap()
        .into_inner()
}

#[tokio::test]
async fn racing_setup_tokens_make_exactly_one_admin() {
    let app = spawn_app_with(
        tempfile::tempdir().unwrap(),
        Some("mem://".into()),
        0,
        |s| s.new_account_role = shared::Role::Viewer,
    )
    .await;
    // Plain sign-ups race the setup as well: none of them becomes an admin.
    let racers = (0..20).map(|i| {
        let app = &app;
        async move {
            let code = (i % 2 == 0).then_some(SETUP);
            app.anon().signup(&form(&format!("racer{i}"), code)).await
        }
    });
    let answers = futures::future::join_all(racers).await;
    let mut admins = 0;
    let mut refused = 0;
    for (i, a) in answers.into_iter().enumerate() {
        match a {
            Ok(r) if r.user.role == types::Role::Admin => {
                assert_eq!(i % 2, 0, "only a setup-token sign-up becomes admin");
                admins += 1;
            }
            Ok(r) => assert_eq!(r.user.role, types::Role::Viewer),
            Err(e) => {
                assert_eq!(code(Err::<(), _>(e)), (400, "invalid_invite".into()));
                refused += 1;
            }
        }
    }
    assert_eq!(admins, 1);
    assert_eq!(refused, 9, "every other setup-token sign-up is refused");
    // Spent for good.
    assert_eq!(
        code(app.anon().signup(&form("late", Some(SETUP))).await),
        (400, "invalid_invite".into())
    );
}

#[tokio::test]
async fn new_accounts_are_viewers_by_default() {
    let app = spawn_app_with(
        tempfile::tempdir().unwrap(),
        Some("mem://".into()),
        0,
        |s| s.new_account_role = api::Settings::default().new_account_role,
    )
    .await;
    let r = app.anon().signup(&form("vic", None)).await.unwrap();
    assert_eq!(r.user.role, types::Role::Viewer);
    assert_eq!(
        code(
            app.as_user(&r.token)
                .create_upload(&upload_request(10))
                .await
        ),
        (403, "forbidden".into())
    );
}

#[tokio::test]
async fn invitation_only_installs_take_each_code_once() {
    let app = spawn_app_with(
        tempfile::tempdir().unwrap(),
        Some("mem://".into()),
        0,
        |s| s.registration = Registration::Invite,
    )
    .await;
    assert_eq!(
        code(app.anon().signup(&form("walkin", None)).await),
        (403, "registration_closed".into())
    );
    // The setup token still makes the first admin.
    let invite = admin_invites(&app).await;
    // A mistyped code is refused and does not spend the real one.
    assert_eq!(
        code(app.anon().signup(&form("typo", Some("nope"))).await),
        (400, "invalid_invite".into())
    );
    // Two racing sign-ups with one code: one account.
    let (anon, first, second) = (
        app.anon(),
        form("first", Some(&invite.code)),
        form("second", Some(&invite.code)),
    );
    let (a, b) = futures::join!(anon.signup(&first), anon.signup(&second));
    assert!(a.is_ok() != b.is_ok(), "{a:?} {b:?}");
    let joined = a.or(b).unwrap().into_inner();
    assert_eq!(joined.user.role, types::Role::Creator);
    // Only admins invite.
    assert_eq!(
        code(app.as_user(&joined.token).create_invite().await),
        (403, "forbidden".into())
    );
}

#[tokio::test]
async fn closed_installs_take_no_accounts() {
    let app = spawn_app_with(
        tempfile::tempdir().unwrap(),
        Some("mem://".into()),
        0,
        |s| s.registration = Registration::Closed,
    )
    .await;
    assert_eq!(
        code(app.anon().signup(&form("walkin", None)).await),
        (403, "registration_closed".into())
    );
    let invite = admin_invites(&app).await;
    assert_eq!(
        code(
            app.anon()
                .signup(&form("invited", Some(&invite.code)))
                .await
        ),
        (403, "registration_closed".into())
    );
}

#[tokio::test]
async fn racing_upload_creations_stop_at_the_open_limit() {
    let app = spawn_app(0).await;
    let (token, _) = app.user("racer").await;
    let c = app.as_user(&token);
    let request = upload_request(10 << 20);
    let creations = (0..20).map(|_| c.create_upload(&request));
    let answers = futures::future::join_all(creations).await;
    let opened = answers.iter().filter(|a| a.is_ok()).count();
    assert_eq!(opened, 5, "the limit is 5 open uploads");
    for a in answers.into_iter().filter(|a| a.is_err()) {
        assert_eq!(code(a), (429, "too_many_open_uploads".into()));
    }
    // The refused ones left no video behind in the owner's list.
    let mine = c
        .list_my_videos(None, None)
        .await
        .unwrap()
        .into_inner()
        .items;
    assert_eq!(mine.len(), 5);
}

#[tokio::test]
async fn daily_and_storage_quotas_hold() {
    let app = spawn_app_with(
        tempfile::tempdir().unwrap(),
        Some("mem://".into()),
        0,
        |s| {
            s.uploads_per_day = 3;
            s.storage_quota_bytes = 100 << 20;
            s.max_open_uploads_per_user = 100;
        },
    )
    .await;
    let (token, _) = app.user("busy").await;
    let c = app.as_user(&token);
    // Bigger than the whole quota: refused before anything is opened.
    assert_eq!(
        code(c.create_upload(&upload_request(101 << 20)).await),
        (403, "storage_quota_exceeded".into())
    );
    let first = c
        .create_upload(&upload_request(60 << 20))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        code(c.create_upload(&upload_request(50 << 20)).await),
        (403, "storage_quota_exceeded".into())
    );
    // Aborting gives the room back; it still counts as one of the day's uploads.
    c.abort_upload(&first.upload_id).await.unwrap();
    c.create_upload(&upload_request(50 << 20)).await.unwrap();
    c.create_upload(&upload_request(10 << 20)).await.unwrap();
    assert_eq!(
        code(c.create_upload(&upload_request(10 << 20)).await),
        (429, "too_many_uploads_today".into())
    );
}
