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
            invite_code: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.user.email, "ada@example.com");
    assert_eq!(
        first.user.role,
        types::Role::Creator,
        "the first account is no admin: the setup token makes one"
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
            invite_code: None,
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
                invite_code: None,
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

#[tokio::test]
async fn a_password_change_signs_out_other_sessions_and_retires_the_old_password() {
    let app = spawn_app(0).await;
    let email = "changer@example.com";
    let signed = app
        .anon()
        .signup(&types::SignupRequest {
            email: email.into(),
            password: "first password".into(),
            display_name: "Changer".into(),
            invite_code: None,
        })
        .await
        .unwrap()
        .into_inner();
    let login = |password: &str| {
        let c = app.anon();
        let body = types::LoginRequest {
            email: email.into(),
            password: password.into(),
        };
        async move { c.login(&body).await }
    };
    let phone = login("first password").await.unwrap().into_inner().token;
    let laptop = app.as_user(&signed.token);

    let change = |current: &str, new: &str| types::ChangePasswordRequest {
        current_password: current.into(),
        new_password: new.into(),
    };
    assert_eq!(
        code(
            laptop
                .change_password(&change("not it", "second password"))
                .await
        ),
        (400, "invalid_credentials".into())
    );
    assert_eq!(
        code(
            laptop
                .change_password(&change("first password", "short"))
                .await
        ),
        (400, "weak_password".into())
    );
    laptop
        .change_password(&change("first password", "second password"))
        .await
        .unwrap();
    // The session that changed it stays; the other one is gone; only the new password works.
    laptop.get_me().await.unwrap();
    assert_eq!(
        code(app.as_user(&phone).get_me().await),
        (401, "unauthenticated".into())
    );
    assert_eq!(
        code(login("first password").await),
        (400, "invalid_credentials".into())
    );
    login("second password").await.unwrap();
}

#[tokio::test]
async fn admins_change_roles_and_viewers_cannot_upload() {
    let app = spawn_app(0).await;
    let (admin, admin_id) = app.admin("admin").await;
    let (creator, creator_id) = app.user("creator").await;
    let as_admin = app.as_user(&admin);
    let role = |r| types::SetRoleRequest { role: r };

    // Only admins list accounts and change roles.
    assert_eq!(
        code(
            app.as_user(&creator)
                .list_users(None, None, None, None)
                .await
        ),
        (403, "forbidden".into())
    );
    assert_eq!(
        code(
            app.as_user(&creator)
                .set_user_role(&creator_id, &role(types::Role::Admin))
                .await
        ),
        (403, "forbidden".into())
    );
    let users = as_admin
        .list_users(None, None, None, None)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(users.items.len(), 2);
    assert_eq!(users.items[0].role, types::Role::Admin);

    // A viewer cannot open uploads.
    let v = as_admin
        .set_user_role(&creator_id, &role(types::Role::Viewer))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(v.role, types::Role::Viewer);
    let upload = types::CreateUploadRequest {
        filename: "a.mp4".into(),
        size: 10,
        content_type: "video/mp4".into(),
        title: "Nope".into(),
        description: None,
    };
    assert_eq!(
        code(app.as_user(&creator).create_upload(&upload).await),
        (403, "forbidden".into())
    );

    // The last admin cannot step down; once there is another, it can.
    assert_eq!(
        code(
            as_admin
                .set_user_role(&admin_id, &role(types::Role::Creator))
                .await
        ),
        (409, "last_admin".into())
    );
    as_admin
        .set_user_role(&creator_id, &role(types::Role::Admin))
        .await
        .unwrap();
    as_admin
        .set_user_role(&admin_id, &role(types::Role::Creator))
        .await
        .unwrap();
    assert_eq!(
        code(
            as_admin
                .set_user_role("nobody", &role(types::Role::Admin))
                .await
        ),
        (403, "forbidden".into()),
        "a former admin has no say"
    );
}

#[tokio::test]
async fn repeated_wrong_passwords_pause_sign_ins_to_that_account() {
    let app = spawn_app(0).await;
    let (token, _) = app.user("target").await;
    let email = app
        .as_user(&token)
        .get_me()
        .await
        .unwrap()
        .into_inner()
        .email;
    let try_login = |password: &str| {
        let c = app.anon();
        let body = types::LoginRequest {
            email: email.clone(),
            password: password.into(),
        };
        async move { c.login(&body).await }
    };
    for _ in 0..10 {
        assert_eq!(
            code(try_login("guess").await),
            (400, "invalid_credentials".into())
        );
    }
    // Now even the right password waits.
    assert_eq!(
        code(try_login("correct horse battery").await),
        (429, "too_many_attempts".into())
    );
}

#[tokio::test]
async fn admins_find_accounts_by_name_email_and_role() {
    let app = spawn_app(0).await;
    let (admin, _) = app.admin("root").await;
    let (_, ada) = app.user("Ada_Lovelace").await;
    let (_, alan) = app.user("Alan_Turing").await;
    let (_, grace) = app.user("Grace_Hopper").await;
    let as_admin = app.as_user(&admin);
    as_admin
        .set_user_role(
            &grace,
            &types::SetRoleRequest {
                role: types::Role::Viewer,
            },
        )
        .await
        .unwrap();
    let ids = |page: types::UserPage| page.items.into_iter().map(|u| u.id).collect::<Vec<_>>();

    // Any case, part of the name or of the email.
    let found = as_admin
        .list_users(None, None, Some("LOVELACE"), None)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ids(found), vec![ada.clone()]);
    let found = as_admin
        .list_users(None, None, Some("alan_turing-"), None)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ids(found), vec![alan.clone()]);
    // A role alone (sign-ups are creators; Grace was made a viewer), and a role with words
    // that match no one of it.
    let viewers = as_admin
        .list_users(None, None, None, Some(types::Role::Viewer))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ids(viewers), vec![grace.clone()]);
    let none = as_admin
        .list_users(None, None, Some("ada"), Some(types::Role::Viewer))
        .await
        .unwrap()
        .into_inner();
    assert!(none.items.is_empty() && none.next_cursor.is_none());
    // Pages of a search follow each other without repeats.
    let first = as_admin
        .list_users(None, Some(1), Some("a"), Some(types::Role::Creator))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.items.len(), 1);
    let cursor = first.next_cursor.clone().expect("a second page");
    let second = as_admin
        .list_users(
            Some(&cursor),
            Some(1),
            Some("a"),
            Some(types::Role::Creator),
        )
        .await
        .unwrap()
        .into_inner();
    let mut both = [ids(first), ids(second)].concat();
    both.sort();
    let mut expected = vec![ada, alan];
    expected.sort();
    assert_eq!(both, expected);
    // A search too long to be a name is refused with the reason.
    assert_eq!(
        code(
            as_admin
                .list_users(None, None, Some(&"x".repeat(101)), None)
                .await
        ),
        (400, "invalid_query".into())
    );
}
