use crate::helpers::{code, spawn_app, spawn_app_in};
use shared::client::types;

#[tokio::test]
async fn signup_login_me_and_logout_round_trip() {
    let app = spawn_app(0).await;
    let anon = app.anon();
    let first = anon
        .signup(&types::SignupRequest {
            email: "  Ada@Example.com ".into(),
            password: "correct horse battery".into(),
            display_name: "Ada".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.user.email, "ada@example.com");
    assert_eq!(
        first.user.role,
        types::Role::Admin,
        "the first account administers the install"
    );

    let (second_token, _) = app.user("bob").await;
    let me = app
        .as_user(&second_token)
        .get_me()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(me.role, types::Role::Creator);

    let again = anon
        .signup(&types::SignupRequest {
            email: "ada@example.com".into(),
            password: "another password".into(),
            display_name: "Ada 2".into(),
        })
        .await;
    assert_eq!(code(again), (409, "email_taken".into()));

    let wrong = anon
        .login(&types::LoginRequest {
            email: "ada@example.com".into(),
            password: "nope nope nope".into(),
        })
        .await;
    assert_eq!(code(wrong), (400, "invalid_credentials".into()));

    let login = anon
        .login(&types::LoginRequest {
            email: "ADA@example.com".into(),
            password: "correct horse battery".into(),
        })
        .await
        .unwrap()
        .into_inner();
    let c = app.as_user(&login.token);
    assert_eq!(c.get_me().await.unwrap().into_inner().id, first.user.id);
    c.logout().await.unwrap();
    assert_eq!(code(c.get_me().await), (401, "unauthenticated".into()));
    // The other session is untouched.
    assert!(app.as_user(&first.token).get_me().await.is_ok());
}

#[tokio::test]
async fn bad_signups_get_clear_codes() {
    let app = spawn_app(0).await;
    let anon = app.anon();
    let cases = [
        ("not-an-email", "long enough pw", "X", "invalid_email"),
        ("a@b.co", "short", "X", "weak_password"),
        ("a@b.co", "long enough pw", "   ", "invalid_display_name"),
    ];
    for (email, password, name, expect) in cases {
        let r = anon
            .signup(&types::SignupRequest {
                email: email.into(),
                password: password.into(),
                display_name: name.into(),
            })
            .await;
        assert_eq!(
            code(r),
            (400, expect.into()),
            "{email} / {password} / {name:?}"
        );
    }
    assert_eq!(
        code(app.as_user("forged").get_me().await),
        (401, "unauthenticated".into())
    );
}

#[tokio::test]
async fn accounts_and_sessions_survive_a_restart_on_the_embedded_database() {
    let app = spawn_app_in(tempfile::tempdir().unwrap(), None, 0).await;
    let (token, id) = app.user("durable").await;
    let dir = app.stop().await;
    assert!(
        dir.path().join("db").exists(),
        "the embedded database lives in the data dir"
    );
    let app = spawn_app_in(dir, None, 0).await;
    let me = app.as_user(&token).get_me().await.unwrap().into_inner();
    assert_eq!(me.id, id);
}
