//! The admin console in Chromium against the real `kino`: an admin demotes a creator (who
//! loses the Studio), hides a video (it leaves search and the rails), retries a dead-lettered
//! job (a file that is not a video, failed by the transcoder with its reason, shown to its
//! owner) and revokes a worker (its next lease is refused).

use crate::harness::*;

const REGISTRATION: &str = "kino-test-registration";

/// Clicks the button of the row whose `attr` is `value`.
async fn click_in_row(browser: &Browser, attr: &str, value: &str) {
    click(browser, &format!("tr[{attr}='{value}'] button")).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_runs_accounts_moderation_and_the_queue() {
    let data = tempfile::tempdir().unwrap();
    let (_kino, base) = start_kino_with(
        data.path(),
        1,
        &[("KINO_WORKER_REGISTRATION_TOKEN", REGISTRATION)],
    );
    let admin = sign_up_by_api(&base, "admin@example.com", Some(kino::SETUP_TOKEN)).await;
    let creator = sign_up_by_api(&base, "creator@example.com", None).await;
    let api = client::connect(&base, Some(&creator.token));
    let good = upload_titled(&api, &clip(data.path()).await, "Lighthouse at dusk").await;
    wait_published(&api, &good).await;
    // Not a video: the transcoder fails it for good, with its reason for the owner.
    let junk = data.path().join("notes.mp4");
    std::fs::write(&junk, vec![7u8; 64 * 1024]).unwrap();
    let broken = upload_titled(&api, &junk, "Not really a video").await;
    let deadline = Instant::now() + Duration::from_secs(60);
    let reason = loop {
        let v = api.get_video(&broken).await.unwrap().into_inner();
        if v.state == types::VideoState::Failed {
            break v.failure_reason.expect("the owner is told why");
        }
        assert!(Instant::now() < deadline, "still {:?}", v.state);
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert!(reason.starts_with("the file is not a video"), "{reason}");
    assert!(
        !reason.contains("/tmp") && !reason.contains("scratch"),
        "{reason}"
    );
    // Nobody else reads the reason.
    let stranger = sign_up_by_api(&base, "stranger@example.com", None).await;
    let seen = client::connect(&base, Some(&stranger.token))
        .get_video(&broken)
        .await;
    assert!(
        seen.is_err() || seen.unwrap().into_inner().failure_reason.is_none(),
        "a stranger read the failure reason"
    );
    // A standalone worker registers.
    let worker = client::connect(&base, None)
        .register_worker(&types::RegisterWorkerRequest {
            name: "render-box".into(),
            registration_token: REGISTRATION.into(),
        })
        .await
        .unwrap()
        .into_inner();

    let (_driver, browser) = start_browser().await;
    // The owner reads the reason in the Studio.
    sign_in_browser(&browser, &base, &creator.token).await;
    browser.goto(&format!("{base}/studio")).await.unwrap();
    until(
        &browser,
        15,
        "the failure in My videos",
        "return document.querySelector('.my-videos tr[data-state=failed] td.error')?.textContent;",
        |v| v.as_str().is_some_and(|t| t.contains("not a video")),
    )
    .await;
    sign_in_browser(&browser, &base, &admin.token).await;
    browser.goto(&format!("{base}/admin")).await.unwrap();

    // Accounts are found by the api: by part of the email, then by role.
    let rows = "return [...document.querySelectorAll('.accounts tbody tr')].map(r => r.dataset.email).join(' ');";
    until(&browser, 15, "every account", rows, |v| {
        v.as_str().is_some_and(|t| t.split(' ').count() == 3)
    })
    .await;
    type_into(&browser, "#account-search", "STRANGER@").await;
    until(&browser, 15, "the search's one account", rows, |v| {
        v.as_str() == Some("stranger@example.com")
    })
    .await;
    element(&browser, "#account-search")
        .await
        .clear()
        .await
        .unwrap();
    type_into(&browser, "#account-search", "nobody at all").await;
    until(
        &browser,
        15,
        "no match",
        "return document.querySelector('.accounts-count')?.textContent;",
        |v| v.as_str() == Some("No account matches."),
    )
    .await;
    // Emptied as a user does it, with an input event the page hears.
    browser
        .execute(
            "const s = document.querySelector('#account-search'); s.value = ''; \
             s.dispatchEvent(new Event('input', { bubbles: true })); return null;",
            vec![],
        )
        .await
        .unwrap();
    element(&browser, "#account-role")
        .await
        .select_by_value("admin")
        .await
        .unwrap();
    until(&browser, 15, "the admins", rows, |v| {
        v.as_str() == Some("admin@example.com")
    })
    .await;
    element(&browser, "#account-role")
        .await
        .select_by_value("")
        .await
        .unwrap();
    until(&browser, 15, "every account again", rows, |v| {
        v.as_str().is_some_and(|t| t.split(' ').count() == 3)
    })
    .await;

    // Accounts: the creator becomes a viewer and loses the Studio.
    element(&browser, "tr[data-email='creator@example.com'] select")
        .await
        .select_by_value("viewer")
        .await
        .unwrap();
    element(
        &browser,
        "tr[data-email='creator@example.com'] .notice-inline",
    )
    .await;
    accessible(&browser, "/admin").await;
    screenshot(&browser, "admin-accounts").await;
    // On a phone's width the page does not scroll sideways.
    browser.set_window_size(390, 844).await.unwrap();
    let fits = until(
        &browser,
        10,
        "the accounts page within a phone's width",
        "return document.documentElement.scrollWidth <= window.innerWidth;",
        |v| v == true,
    )
    .await;
    assert_eq!(fits, true);
    screenshot(&browser, "admin-accounts-phone").await;
    browser.set_window_size(1280, 800).await.unwrap();
    let refused = api
        .create_upload(&types::CreateUploadRequest {
            filename: "more.mp4".into(),
            size: 10,
            content_type: "video/mp4".into(),
            title: "More".into(),
            description: None,
        })
        .await
        .unwrap_err();
    assert_eq!(refused.status().map(|s| s.as_u16()), Some(403));
    // The last admin cannot be demoted; the page shows the api's refusal.
    element(&browser, "tr[data-email='admin@example.com'] select")
        .await
        .select_by_value("creator")
        .await
        .unwrap();
    let said = until(&browser, 15, "the refusal", "return document.querySelector(\"tr[data-email='admin@example.com'] .error\")?.textContent;", |v| v.is_string()).await;
    assert!(said.as_str().unwrap().contains("admin"), "{said}");

    // Moderation: hidden by its address, it leaves search and the rails.
    click(&browser, "[role=tab]:nth-child(2)").await;
    type_into(&browser, "#hide-video", &format!("{base}/watch/{good}")).await;
    type_into(&browser, "#hide-reason", "Misleading title").await;
    click(&browser, "form.admin-form button[type=submit]").await;
    element(&browser, &format!("tr[data-video='{good}']")).await;
    let get = |path: String| async move {
        reqwest::get(path)
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
    };
    let hits = get(format!("{base}/api/v1/search?q=lighthouse")).await;
    assert_eq!(hits["hits"], serde_json::json!([]), "{hits}");
    let home = get(format!("{base}/api/v1/home")).await;
    assert!(
        !home.to_string().contains(&good),
        "the rails still list it: {home}"
    );
    screenshot(&browser, "admin-moderation").await;

    // The queue: the dead-lettered job is retried; the worker is revoked.
    click(&browser, "[role=tab]:nth-child(3)").await;
    let dead_chip = "[...document.querySelectorAll('.chip')].find(c => c.textContent === 'Dead-lettered').click(); return null;";
    js(&browser, dead_chip).await;
    element(&browser, &format!("tr[data-job='{broken}']")).await;
    screenshot(&browser, "admin-queue").await;
    click_in_row(&browser, "data-job", &broken).await;
    until(
        &browser,
        15,
        "the retry",
        "return document.querySelector('.notice')?.textContent;",
        |v| v.as_str().is_some_and(|t| t.contains("queued again")),
    )
    .await;
    click_in_row(&browser, "data-worker", &worker.worker_id).await;
    until(
        &browser,
        15,
        "the revocation",
        "return document.querySelector('.notice')?.textContent;",
        |v| v.as_str().is_some_and(|t| t.contains("revoked")),
    )
    .await;
    let lease = client::connect(&base, Some(&worker.token))
        .lease_job(&types::LeaseRequest { wait_s: Some(0) })
        .await
        .unwrap_err();
    assert_eq!(lease.status().map(|s| s.as_u16()), Some(401));

    // The demoted creator's Studio says they cannot upload.
    sign_in_browser(&browser, &base, &creator.token).await;
    browser.goto(&format!("{base}/studio")).await.unwrap();
    element(&browser, ".viewer-only").await;
    browser.close().await.unwrap();
}
