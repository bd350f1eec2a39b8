//! The TV app in Chromium at 1920x1080, driven by keys alone as a remote drives it: spatial
//! focus through the rails, a video's page, the player by remote (OK, seek, the subtitles
//! menu), Back by every key a TV sends, leaving the app, and signing in by code with a second
//! browser approving on `/activate`.

use crate::harness::*;
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;

const SUBTITLES: &str = "WEBVTT\n\n00:00:00.000 --> 00:02:00.000\nHello from the TV subtitles\n";

const FOCUSED: &str =
    "return document.activeElement && document.activeElement.getAttribute('data-focus-key');";
const PLAYHEAD: &str = "const v = document.getElementById('kino-player'); \
    return v ? { t: v.currentTime, paused: v.paused, \
      cues: [...v.textTracks].filter(t => t.mode === 'showing') \
        .map(t => t.activeCues ? [...t.activeCues].map(c => c.text).join(' ') : '').join(' ') } : null;";

/// Presses `key` as a keyboard or remote does: down and up, on whatever has focus.
async fn press(browser: &Browser, key: Key) {
    let value: char = key.into();
    let keys = KeyActions::new("remote".to_owned())
        .then(KeyAction::Down { value })
        .then(KeyAction::Up { value });
    browser.perform_actions(keys).await.unwrap();
}

/// Sends a key the way a TV's browser does for keys without a standard name: only its code.
async fn press_code(browser: &Browser, code: u32) {
    js(
        browser,
        &format!(
            "const e = new KeyboardEvent('keydown', {{ keyCode: {code}, which: {code}, bubbles: true, cancelable: true }}); \
             (document.activeElement || document.body).dispatchEvent(e); return e.keyCode;"
        ),
    )
    .await;
}

/// Waits for focus to be on the element with `key`.
async fn focus_on(browser: &Browser, key: &str) {
    until(browser, 15, &format!("focus on {key}"), FOCUSED, |v| {
        v == key
    })
    .await;
}

/// Waits for focus to settle on something and returns its key.
async fn focused(browser: &Browser) -> String {
    let v = until(browser, 15, "focus on something", FOCUSED, |v| {
        v.is_string()
    })
    .await;
    v.as_str().unwrap().to_owned()
}

/// Waits for the page at `path` (the TV's home is `/tv/` as the router writes it).
async fn path_is(browser: &Browser, path: &str) {
    until(
        browser,
        15,
        &format!("the page {path}"),
        "return location.pathname;",
        |v| {
            v.as_str()
                .is_some_and(|p| p == path || p.strip_suffix('/') == Some(path))
        },
    )
    .await;
}

/// Three published 30 s videos with English subtitles, so the second rail has a third card
/// and every card plays long enough to seek.
async fn catalogue(base: &str, dir: &Path) -> Vec<String> {
    let api = creator(base, "maker@example.com").await;
    let file = dir.join("tv.mp4");
    transcoder::ffmpeg::generate_test_clip(&file, 640, 360, 24, 30, true)
        .await
        .expect("ffmpeg makes a clip");
    let mut ids = Vec::new();
    for title in [
        "Morning test pattern",
        "Noon test pattern",
        "Night test pattern",
    ] {
        ids.push(upload_titled(&api, &file, title).await);
    }
    for id in &ids {
        wait_published(&api, id).await;
        api.add_subtitle(
            id,
            &types::AddSubtitleRequest {
                language: "en".into(),
                label: "English".into(),
                vtt: SUBTITLES.into(),
            },
        )
        .await
        .unwrap();
    }
    ids
}

/// The code the TV's sign-in screen shows, once it shows one other than `not`.
async fn code_on_tv(tv: &Browser, secs: u64, not: Option<&str>) -> String {
    let v = until(
        tv,
        secs,
        "a code on the TV",
        "return document.querySelector('[data-code]')?.getAttribute('data-code');",
        |v| v.as_str().is_some_and(|c| Some(c) != not),
    )
    .await;
    v.as_str().unwrap().to_owned()
}

/// Enters `code` on `/activate` in `phone` and returns what the page said: `Ok` with its
/// notice, `Err` with its error.
async fn enter_code(phone: &Browser, base: &str, code: &str) -> Result<String, String> {
    phone.goto(&format!("{base}/activate")).await.unwrap();
    type_into(phone, "#user-code", code).await;
    click(phone, "form.form button[type=submit]").await;
    let said = until(
        phone,
        15,
        "the answer to the code",
        "const ok = document.querySelector('p.notice'); const no = document.querySelector('p.error'); \
         return ok ? { ok: ok.textContent } : no ? { no: no.textContent } : null;",
        |v| v.is_object(),
    )
    .await;
    match said["ok"].as_str() {
        Some(ok) => Ok(ok.to_owned()),
        None => Err(said["no"].as_str().unwrap_or_default().to_owned()),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_remote_goes_from_home_to_the_player_and_back_to_the_same_card() {
    let data = tempfile::tempdir().unwrap();
    let (_kino, base) = start_kino(data.path());
    catalogue(&base, data.path()).await;
    let (_driver, browser) = start_browser_as(Screen::Tv).await;
    browser.goto(&format!("{base}/tv")).await.unwrap();
    // Home opens with focus on the hero's Play.
    focus_on(&browser, "hero:play").await;
    accessible(&browser, "/tv").await;
    screenshot(&browser, "tv-home-1080").await;

    // Down twice reaches the second rail; Right twice its third card.
    let third: String = js(
        &browser,
        "const rail = document.querySelectorAll('[data-rail]')[1]; \
         return rail.querySelectorAll('.tv-card')[2].getAttribute('data-focus-key');",
    )
    .await
    .as_str()
    .expect("the second rail has a third card")
    .to_owned();
    press(&browser, Key::Down).await;
    let first_rail = focused(&browser).await;
    assert!(
        first_rail.starts_with("card:"),
        "Down from the hero: {first_rail}"
    );
    press(&browser, Key::Down).await;
    let second_rail = focused(&browser).await;
    assert_ne!(second_rail, first_rail, "Down reaches the second rail");
    press(&browser, Key::Right).await;
    press(&browser, Key::Right).await;
    focus_on(&browser, &third).await;
    // Up and back down: the rail remembers its card.
    press(&browser, Key::Up).await;
    until(&browser, 15, "focus back on the first rail", FOCUSED, |v| {
        v.as_str().is_some_and(|k| k != third)
    })
    .await;
    press(&browser, Key::Down).await;
    focus_on(&browser, &third).await;
    screenshot(&browser, "tv-rail-focus-1080").await;

    // Enter opens the video's page, Enter on Play starts it.
    let id = third.rsplit(':').next().unwrap().to_owned();
    press(&browser, Key::Enter).await;
    path_is(&browser, &format!("/tv/video/{id}")).await;
    focus_on(&browser, "play").await;
    accessible(&browser, "/tv/video").await;
    screenshot(&browser, "tv-details-1080").await;
    press(&browser, Key::Enter).await;
    path_is(&browser, &format!("/tv/watch/{id}")).await;
    focus_on(&browser, "player:picture").await;
    let started = until(&browser, 30, "playback", PLAYHEAD, |v| {
        v["t"].as_f64().unwrap_or(0.0) > 1.0 && v["paused"] == false
    })
    .await["t"]
        .as_f64()
        .unwrap();

    // OK pauses and plays.
    press(&browser, Key::Enter).await;
    until(&browser, 10, "a pause", PLAYHEAD, |v| v["paused"] == true).await;
    press(&browser, Key::Enter).await;
    until(&browser, 10, "playing again", PLAYHEAD, |v| {
        v["paused"] == false
    })
    .await;

    // The remote's play/pause key, sent as Tizen sends it (a bare code), and webOS's play.
    press_code(&browser, 10252).await;
    until(&browser, 10, "a pause by media key", PLAYHEAD, |v| {
        v["paused"] == true
    })
    .await;
    press_code(&browser, 415).await;
    until(&browser, 10, "playing by media key", PLAYHEAD, |v| {
        v["paused"] == false
    })
    .await;

    // Right seeks 10 s forward, with the overlay and the time showing.
    press(&browser, Key::Right).await;
    until(&browser, 10, "a seek forward", PLAYHEAD, |v| {
        v["t"].as_f64().unwrap_or(0.0) >= started + 9.0
    })
    .await;
    let overlay = js(
        &browser,
        "return !document.querySelector('.tv-controls').classList.contains('hidden');",
    )
    .await;
    assert_eq!(overlay, true, "the overlay shows while seeking");
    screenshot(&browser, "tv-player-seek-1080").await;

    // Down reaches the subtitles button; Enter opens its menu; Down and Enter choose English.
    press(&browser, Key::Down).await;
    focus_on(&browser, "player:subtitles").await;
    press(&browser, Key::Enter).await;
    until(
        &browser,
        10,
        "the subtitles menu",
        "return document.activeElement.closest('[role=menu]') ? document.activeElement.textContent : null;",
        |v| v == "Off",
    )
    .await;
    press(&browser, Key::Down).await;
    until(
        &browser,
        10,
        "English in the menu",
        "return document.activeElement.textContent;",
        |v| v == "English",
    )
    .await;
    screenshot(&browser, "tv-player-subtitles-1080").await;
    press(&browser, Key::Enter).await;
    until(&browser, 15, "a subtitle cue", PLAYHEAD, |v| {
        v["cues"]
            .as_str()
            .unwrap_or("")
            .contains("Hello from the TV subtitles")
    })
    .await;
    // The menu closed and focus went back to its button.
    focus_on(&browser, "player:subtitles").await;
    // The overlay hides after 4 s without a key, and focus goes back to the picture.
    until(
        &browser,
        12,
        "the overlay hidden",
        "return document.querySelector('.tv-controls').classList.contains('hidden');",
        |v| v == true,
    )
    .await;
    focus_on(&browser, "player:picture").await;

    // Back twice: the video's page with focus on Play, then Home on the same card.
    press(&browser, Key::Escape).await;
    path_is(&browser, &format!("/tv/video/{id}")).await;
    focus_on(&browser, "play").await;
    press(&browser, Key::Backspace).await;
    path_is(&browser, "/tv").await;
    focus_on(&browser, &third).await;

    // The codes Tizen (10009) and webOS (461) send for Back.
    press(&browser, Key::Enter).await;
    path_is(&browser, &format!("/tv/video/{id}")).await;
    focus_on(&browser, "play").await;
    press_code(&browser, 10009).await;
    path_is(&browser, "/tv").await;
    focus_on(&browser, &third).await;
    press(&browser, Key::Enter).await;
    path_is(&browser, &format!("/tv/video/{id}")).await;
    focus_on(&browser, "play").await;
    press_code(&browser, 461).await;
    path_is(&browser, "/tv").await;
    focus_on(&browser, &third).await;

    // Back on Home asks before leaving; Back again (or Stay) stays, on the same card.
    press_code(&browser, 461).await;
    focus_on(&browser, "leave:stay").await;
    screenshot(&browser, "tv-leave-1080").await;
    press_code(&browser, 10009).await;
    focus_on(&browser, &third).await;
    press(&browser, Key::Escape).await;
    focus_on(&browser, "leave:stay").await;
    press(&browser, Key::Right).await;
    focus_on(&browser, "leave:go").await;
    press(&browser, Key::Enter).await;
    path_is(&browser, "/").await;

    // Search with the on-screen keyboard: N, I, G, H, T finds the night video.
    browser.goto(&format!("{base}/tv/search")).await.unwrap();
    focus_on(&browser, "key:a").await;
    for (key, steps) in [(Key::Right, 0), (Key::Down, 2), (Key::Right, 1)] {
        for _ in 0..steps {
            press(&browser, key).await;
        }
    }
    focus_on(&browser, "key:n").await;
    press(&browser, Key::Enter).await;
    for letter in ["i", "g", "h", "t"] {
        js(
            &browser,
            &format!(
                "document.querySelector('[data-focus-key=\"key:{letter}\"]').focus(); return null;"
            ),
        )
        .await;
        press(&browser, Key::Enter).await;
    }
    until(
        &browser,
        15,
        "a search result",
        "return [...document.querySelectorAll('.tv-results .tv-card-title')].map(e => e.textContent);",
        |v| v.as_array().is_some_and(|a| a.len() == 1 && a[0] == "Night test pattern"),
    )
    .await;
    accessible(&browser, "/tv/search").await;
    screenshot(&browser, "tv-search-1080").await;
    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_layout_fits_a_720p_tv() {
    let data = tempfile::tempdir().unwrap();
    let (_kino, base) = start_kino(data.path());
    let api = creator(&base, "maker@example.com").await;
    let file = clip(data.path()).await;
    let id = upload_titled(&api, &file, "A short test pattern").await;
    wait_published(&api, &id).await;
    let (_driver, browser) = start_browser_as(Screen::Tv720).await;
    browser.goto(&format!("{base}/tv")).await.unwrap();
    focus_on(&browser, "hero:play").await;
    // Nothing wider than the screen, type scaled with it, and the content inside 5% of each edge.
    let fit = js(
        &browser,
        "const app = document.querySelector('.tv-app'); \
         const play = document.querySelector('.tv-hero-text').getBoundingClientRect(); \
         return { wide: document.documentElement.scrollWidth, font: parseFloat(getComputedStyle(app).fontSize), left: play.left };",
    )
    .await;
    assert_eq!(fit["wide"], 1280, "{fit}");
    assert_eq!(fit["font"], 16.0, "{fit}");
    assert!(fit["left"].as_f64().unwrap() >= 64.0, "{fit}");
    press(&browser, Key::Down).await;
    let card = focused(&browser).await;
    assert!(card.starts_with("card:"), "{card}");
    screenshot(&browser, "tv-home-720").await;
    // The focused card goes away (as when a rail reloads): focus lands on a control that shows.
    js(
        &browser,
        "document.activeElement.closest('li').remove(); return null;",
    )
    .await;
    let landed = until(
        &browser,
        10,
        "focus back on a control",
        "const a = document.activeElement;          return a && a !== document.body && a.getBoundingClientRect().width > 0            ? a.getAttribute('data-focus-key') : null;",
        |v| v.is_string(),
    )
    .await;
    assert_ne!(landed.as_str(), Some(card.as_str()));
    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tv_signs_in_by_code_approved_from_another_browser() {
    let data = tempfile::tempdir().unwrap();
    // Codes that lapse in 20 s, so an expired one can be shown refused.
    let (_kino, base) = start_kino_with(data.path(), 1, &[("KINO_DEVICE_CODE_LIFETIME_S", "20")]);
    let api = creator(&base, "maker@example.com").await;
    let file = clip(data.path()).await;
    let id = upload_titled(&api, &file, "Half watched").await;
    wait_published(&api, &id).await;
    // The viewer, signed in elsewhere, is in the middle of a video.
    let auth = sign_up_by_api(&base, "viewer@example.com", None).await;
    let viewer = client::connect(&base, Some(&auth.token));
    viewer
        .report_progress(&id, &types::ReportProgressRequest { position_s: 1.0 })
        .await
        .unwrap();

    // The TV shows a code and where to enter it.
    let (_tv_driver, tv) = start_browser_as(Screen::Tv).await;
    tv.goto(&format!("{base}/tv/signin")).await.unwrap();
    let code = code_on_tv(&tv, 15, None).await;
    let url = js(&tv, "return document.querySelector('.tv-url').textContent;").await;
    assert_eq!(url, format!("{base}/activate").as_str());
    accessible(&tv, "/tv/signin").await;
    screenshot(&tv, "tv-signin-1080").await;

    // A second browser, signed in as the viewer, approves it on /activate.
    let (_phone_driver, phone) = start_browser_as(Screen::Phone).await;
    sign_in_browser(&phone, &base, &auth.token).await;
    // Typed as a person might: lower case, a space for the dash.
    let said = enter_code(&phone, &base, &code.to_lowercase().replace('-', " ")).await;
    assert!(said.as_ref().is_ok_and(|s| s.contains("TV")), "{said:?}");

    // The TV moves on by itself, signed in: Continue watching leads Home.
    path_is(&tv, "/tv").await;
    until(
        &tv,
        15,
        "Continue watching",
        "return document.querySelector('[data-rail=continue] .tv-card-title')?.textContent;",
        |v| v == "Half watched",
    )
    .await;
    focus_on(&tv, "hero:play").await;
    let hero = js(
        &tv,
        "return document.querySelector('.tv-kicker').textContent;",
    )
    .await;
    assert_eq!(hero, "Continue watching");
    screenshot(&tv, "tv-home-signed-in-1080").await;

    // The same code again is refused.
    let refused = enter_code(&phone, &base, &code).await;
    assert!(
        refused
            .as_ref()
            .is_err_and(|e| e.contains("no TV is waiting")),
        "{refused:?}"
    );

    // A code left to lapse is refused too, and the TV has replaced it with a new one.
    tv.goto(&format!("{base}/tv/signin")).await.unwrap();
    js(&tv, "localStorage.removeItem('kino.token'); return null;").await;
    tv.goto(&format!("{base}/tv/signin")).await.unwrap();
    let old = code_on_tv(&tv, 15, None).await;
    // The TV shows a new code once the old one lapsed.
    code_on_tv(&tv, 40, Some(&old)).await;
    let refused = enter_code(&phone, &base, &old).await;
    assert!(
        refused
            .as_ref()
            .is_err_and(|e| e.contains("no TV is waiting")),
        "{refused:?}"
    );
    tv.close().await.unwrap();
    phone.close().await.unwrap();
}
