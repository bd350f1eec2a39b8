//! The viewer's app in Chromium: signing up and back to the page that asked, rails, search
//! with marks, the watch page and its player (quality, subtitles, shortcuts, resume, Up
//! next), My List and History, on a desktop window and on a phone with touch; every page
//! checked by axe-core; and the watch page surviving the loss of its nice-to-have query.

use crate::harness::*;
use fantoccini::actions::{
    InputSource, KeyAction, KeyActions, MouseActions, PointerAction, TouchActions,
};

/// A 20 s clip at 540p: two rungs (360p and 540p) and more than one 6 s segment, so a quality
/// switch lands at a segment boundary while it still plays.
async fn long_clip(dir: &Path) -> PathBuf {
    let out = dir.join("long.mp4");
    transcoder::ffmpeg::generate_test_clip(&out, 960, 540, 24, 20, true)
        .await
        .expect("ffmpeg makes a clip");
    out
}

const SUBTITLES: &str = "WEBVTT\n\n00:00:00.000 --> 00:01:00.000\nHello from the subtitles\n";
const PASSWORD: &str = "correct horse battery";

/// Two published videos in one genre (so each is "more like" the other), the first with
/// English subtitles. Returns their ids.
async fn catalogue(base: &str, dir: &Path) -> (String, String) {
    let api = creator(base, "maker@example.com").await;
    let file = long_clip(dir).await;
    let first = upload_titled(&api, &file, "Test pattern in the browser").await;
    let second = upload_titled(&api, &file, "Another test pattern").await;
    for id in [&first, &second] {
        wait_published(&api, id).await;
        api.update_video(
            id,
            &types::UpdateVideoRequest {
                genres: vec!["testing".into()],
                tags: vec!["bars".into()],
                title: None,
                description: Some("Colour bars and a tone, made by ffmpeg.".into()),
                visibility: None,
                poster: None,
            },
        )
        .await
        .unwrap();
    }
    api.add_subtitle(
        &first,
        &types::AddSubtitleRequest {
            language: "en".into(),
            label: "English".into(),
            vtt: SUBTITLES.into(),
        },
    )
    .await
    .unwrap();
    (first, second)
}

const MEDIA: &str = "const v = document.getElementById('kino-player'); \
    return v ? { t: v.currentTime, h: v.videoHeight, paused: v.paused, \
      cues: [...v.textTracks].filter(t => t.mode === 'showing') \
        .map(t => t.activeCues ? [...t.activeCues].map(c => c.text).join(' ') : '').join(' ') } : null;";

async fn media(browser: &Browser) -> Value {
    js(browser, MEDIA).await
}

/// Waits for the playhead to be within `tolerance` of `t`.
async fn playhead_near(browser: &Browser, t: f64, tolerance: f64) -> f64 {
    let v = until(browser, 10, &format!("the playhead near {t}"), MEDIA, |v| {
        (v["t"].as_f64().unwrap_or(-100.0) - t).abs() <= tolerance
    })
    .await;
    v["t"].as_f64().unwrap()
}

/// Brings the player's hidden controls back as a viewer does: a mouse moved over it, or on
/// a touch screen a tap.
async fn reveal_controls(browser: &Browser) {
    let player = element(browser, ".player").await;
    if player
        .attr("class")
        .await
        .unwrap()
        .unwrap_or_default()
        .split(' ')
        .all(|c| c != "idle")
    {
        return;
    }
    let (x, y, w, h) = element(browser, ".player .surface")
        .await
        .rectangle()
        .await
        .unwrap();
    let touch = js(browser, "return navigator.maxTouchPoints > 0;").await == true;
    if touch {
        let tap = TouchActions::new("finger".into())
            .then(PointerAction::MoveTo {
                duration: None,
                x: (x + w * 0.5).round(),
                y: (y + h * 0.5).round(),
            })
            .then(PointerAction::Down { button: 0 })
            .then(PointerAction::Up { button: 0 });
        browser.perform_actions(tap).await.unwrap();
    } else {
        for dx in [0.3, 0.5] {
            let mouse = MouseActions::new("mouse".into()).then(PointerAction::MoveTo {
                duration: None,
                x: (x + w * dx).round(),
                y: (y + h * 0.5).round(),
            });
            browser.perform_actions(mouse).await.unwrap();
        }
    }
    element(browser, ".player:not(.idle) .controls").await;
}

/// Moves the playhead to `fraction` of the video: a digit key on a desktop, a tap on the
/// seek bar on a phone.
async fn seek_to(browser: &Browser, screen: Screen, fraction: f64) {
    if screen == Screen::Desktop {
        press(browser, &((fraction * 10.0).round() as u32).to_string()).await;
        return;
    }
    reveal_controls(browser).await;
    let bar = element(browser, ".controls input.seek").await;
    let (x, y, w, h) = bar.rectangle().await.unwrap();
    let tap = TouchActions::new("finger".into())
        .then(PointerAction::MoveTo {
            duration: None,
            x: (x + w * fraction).round(),
            y: (y + h * 0.5).round(),
        })
        .then(PointerAction::Down { button: 0 })
        .then(PointerAction::Up { button: 0 });
    browser.perform_actions(tap).await.unwrap();
}

/// Plays or pauses: k on a desktop, the play button on a phone.
async fn toggle_play(browser: &Browser, screen: Screen) {
    if screen == Screen::Desktop {
        press(browser, "k").await;
        return;
    }
    reveal_controls(browser).await;
    click(browser, ".controls .row button:first-child").await;
}

/// Presses and releases one key, sent to whatever has the focus.
async fn press(browser: &Browser, key: &str) {
    let key = key.chars().next().unwrap();
    let keys = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: key })
        .then(KeyAction::Up { value: key });
    browser.perform_actions(keys).await.unwrap();
}

async fn path(browser: &Browser) -> String {
    let url = browser.current_url().await.unwrap();
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    }
}

async fn wait_path(browser: &Browser, want: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let p = path(browser).await;
        if p == want {
            return;
        }
        assert!(Instant::now() < deadline, "at {p}, expected {want}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Nothing on the page is wider than the screen.
async fn fits_the_screen(browser: &Browser, page: &str) {
    let v = js(
        browser,
        "return { doc: document.documentElement.scrollWidth, body: document.body.scrollWidth, view: window.innerWidth };",
    )
    .await;
    let view = v["view"].as_u64().unwrap();
    assert!(
        v["doc"].as_u64().unwrap() <= view && v["body"].as_u64().unwrap() <= view,
        "{page} scrolls sideways: {v}"
    );
}

/// Every visible control of the top bar, the player and the page's buttons is at least
/// 44 px each way.
async fn tap_targets_fit_a_finger(browser: &Browser, page: &str) {
    let small = js(
        browser,
        "return [...document.querySelectorAll('header a, header button, header input, .controls button, .button, .chip, .actions button')] \
           .filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0 \
              && getComputedStyle(e).visibility !== 'hidden' && r.left >= 0; }) \
           .map(e => [e.getAttribute('aria-label') || e.textContent.trim(), e.getBoundingClientRect()]) \
           .filter(([_, r]) => r.width < 44 || r.height < 44) \
           .map(([n, r]) => `${n} (${Math.round(r.width)}x${Math.round(r.height)})`);",
    )
    .await;
    assert_eq!(
        small,
        serde_json::json!([]),
        "tap targets under 44 px on {page}"
    );
}

async fn sign_up_in_the_app(browser: &Browser, email: &str) {
    click(browser, "button.link").await;
    type_into(browser, "#email", email).await;
    type_into(browser, "#password", PASSWORD).await;
    type_into(browser, "#name", "Viewer").await;
    click(browser, "form.form button[type=submit]").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_viewer_finds_plays_and_comes_back_to_a_video() {
    journey(Screen::Desktop).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_journey_works_on_a_phone() {
    journey(Screen::Phone).await;
}

/// Checks the page a viewer is on: axe-core finds nothing serious; on a phone nothing is
/// wider than the screen and every control takes a finger. Keeps a screenshot when asked.
async fn look(browser: &Browser, screen: Screen, page: &str) {
    if screen == Screen::Phone {
        fits_the_screen(browser, page).await;
        tap_targets_fit_a_finger(browser, page).await;
    }
    let prefix = if screen == Screen::Phone {
        "phone"
    } else {
        "desktop"
    };
    screenshot(browser, &format!("{prefix}-{}", page.replace(' ', "-"))).await;
    accessible(browser, &format!("{page} ({prefix})")).await;
}

/// Sign up from a page that needs it, rails, search, watch (quality, subtitles, shortcuts,
/// My List), leave, Continue watching, resume, Up next, My List, History, Account, a revoked
/// session, an unknown video.
async fn journey(screen: Screen) {
    let data = tempfile::tempdir().unwrap();
    let (_kino, base) = start_kino(data.path());
    let (first, second) = catalogue(&base, data.path()).await;
    let (_driver, browser) = start_browser_as(screen).await;

    // A signed-out viewer asking for My List signs up and lands back on it.
    browser.goto(&format!("{base}/my-list")).await.unwrap();
    wait_path(&browser, "/signin?next=/my-list").await;
    look(&browser, screen, "sign in").await;
    sign_up_in_the_app(&browser, "viewer@example.com").await;
    wait_path(&browser, "/my-list").await;
    // Everything from here to the next full page load runs under the page's
    // Content-Security-Policy; anything it blocks is recorded and must be nothing.
    js(
        &browser,
        "window.__blocked = []; document.addEventListener('securitypolicyviolation', \
         e => window.__blocked.push(e.violatedDirective + ' ' + e.blockedURI)); return null;",
    )
    .await;
    until(
        &browser,
        15,
        "the empty list's message",
        "return document.querySelector('.status')?.textContent;",
        |v| v.as_str().unwrap_or("").contains("Nothing here yet"),
    )
    .await;

    // Home: rails of cards, and no player code loaded yet.
    click(&browser, "nav a[href='/']").await;
    let rail = element(&browser, "section.rail h2")
        .await
        .text()
        .await
        .unwrap();
    assert!(!rail.is_empty());
    element(&browser, "section.rail .card a[href^='/watch/'] .title").await;
    assert_eq!(js(&browser, "return typeof window.Hls;").await, "undefined");
    look(&browser, screen, "home").await;

    // Search marks the word; the result opens the watch page.
    element(&browser, "input[type=search]")
        .await
        .send_keys("pattern\u{E007}")
        .await
        .unwrap();
    let mark = element(&browser, ".results .title mark")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(mark.to_lowercase(), "pattern");
    look(&browser, screen, "search").await;
    click(&browser, &format!(".results a[href='/watch/{first}']")).await;
    wait_path(&browser, &format!("/watch/{first}")).await;

    // It plays, with details and More like this beside it.
    until(&browser, 30, "playback", MEDIA, |v| {
        v["t"].as_f64().unwrap_or(0.0) > 1.0
    })
    .await;
    let title = element(&browser, ".watch h1").await.text().await.unwrap();
    assert_eq!(title, "Test pattern in the browser");
    element(&browser, &format!(".related a[href='/watch/{second}']")).await;
    let meta = element(&browser, ".watch .meta")
        .await
        .text()
        .await
        .unwrap();
    assert!(meta.contains("Creator"), "{meta}");
    element(&browser, ".watch a.chip[href='/genre/testing']").await;

    // Quality: a rung chosen from the menu is what gets decoded, without a stall.
    let before = media(&browser).await["h"].as_u64().unwrap_or(0);
    js(
        &browser,
        "window.__stalls = 0; document.getElementById('kino-player') \
           .addEventListener('waiting', () => { window.__stalls += 1; }); return null;",
    )
    .await;
    reveal_controls(&browser).await;
    click(&browser, "button[aria-label^='Quality']").await;
    let want = if before == 360 { 540 } else { 360 };
    click(
        &browser,
        &format!("[role=menu][aria-label=Quality] [data-height='{want}']"),
    )
    .await;
    until(&browser, 30, &format!("decoding {want}p"), MEDIA, |v| {
        v["h"].as_u64() == Some(want)
    })
    .await;
    assert_eq!(
        js(&browser, "return window.__stalls;").await,
        0,
        "playback stalled while switching quality"
    );

    // Subtitles: off until chosen, then the cue shows.
    assert_eq!(media(&browser).await["cues"], "");
    reveal_controls(&browser).await;
    click(&browser, "button[title^=Subtitles]").await;
    click(&browser, "[role=menu][aria-label=Subtitles] [lang=en]").await;
    until(&browser, 15, "a subtitle cue", MEDIA, |v| {
        v["cues"]
            .as_str()
            .unwrap_or("")
            .contains("Hello from the subtitles")
    })
    .await;
    // Paused while the page is checked, so the 20 s clip does not run out meanwhile.
    toggle_play(&browser, screen).await;
    until(&browser, 5, "paused", MEDIA, |v| v["paused"] == true).await;
    look(&browser, screen, "watch").await;
    if screen == Screen::Phone {
        // The player spans the screen, and a double tap on its right third seeks 10 s.
        let width = js(
            &browser,
            "return document.querySelector('.player').getBoundingClientRect().width;",
        )
        .await;
        assert_eq!(width.as_f64().map(f64::round), Some(390.0));
        let t0 = media(&browser).await["t"].as_f64().unwrap();
        let surface = element(&browser, ".player .surface").await;
        let rect = surface.rectangle().await.unwrap();
        let (x, y) = (
            (rect.0 + rect.2 * 0.85).round(),
            (rect.1 + rect.3 * 0.5).round(),
        );
        let tap = TouchActions::new("finger".into())
            .then(PointerAction::MoveTo {
                duration: None,
                x,
                y,
            })
            .then(PointerAction::Down { button: 0 })
            .then(PointerAction::Up { button: 0 })
            .then(PointerAction::Pause {
                duration: Duration::from_millis(80),
            })
            .then(PointerAction::Down { button: 0 })
            .then(PointerAction::Up { button: 0 });
        browser.perform_actions(tap).await.unwrap();
        until(&browser, 10, "a 10 s seek from a double tap", MEDIA, |v| {
            v["t"].as_f64().unwrap_or(0.0) >= t0 + 8.0
        })
        .await;

        seek_to(&browser, screen, 0.0).await;
        playhead_near(&browser, 0.0, 0.5).await;
    }

    // Seek-bar thumbnails follow the pointer over the bar.
    if screen == Screen::Desktop {
        reveal_controls(&browser).await;
        let bar = element(&browser, ".controls .seek").await;
        let (x, y, w, h) = bar.rectangle().await.unwrap();
        let over = MouseActions::new("mouse".into()).then(PointerAction::MoveTo {
            duration: None,
            x: (x + w * 0.6).round(),
            y: (y + h * 0.5).round(),
        });
        browser.perform_actions(over).await.unwrap();
        let thumb = element(&browser, ".seek .thumb").await;
        let style = thumb.attr("style").await.unwrap().unwrap_or_default();
        assert!(style.contains("storyboard/sb_"), "thumbnail: {style}");
    }

    let left_at = if screen == Screen::Desktop {
        // Shortcuts: 0 jumps to the start, arrows and j/l move by 5 and 10 s, digits jump
        // to tenths (k paused it above).
        press(&browser, "0").await;
        playhead_near(&browser, 0.0, 0.3).await;
        press(&browser, "\u{E014}").await; // ArrowRight
        playhead_near(&browser, 5.0, 0.3).await;
        press(&browser, "l").await;
        playhead_near(&browser, 15.0, 0.3).await;
        press(&browser, "j").await;
        playhead_near(&browser, 5.0, 0.3).await;
        press(&browser, "\u{E012}").await; // ArrowLeft
        playhead_near(&browser, 0.0, 0.3).await;
        seek_to(&browser, screen, 0.4).await;
        playhead_near(&browser, 8.0, 0.5).await
    } else {
        // A phone has no keys: the viewer tapped pause above, and taps the seek bar.
        seek_to(&browser, screen, 0.4).await;
        playhead_near(&browser, 8.0, 1.0).await
    };

    // My List remembers it.
    let toggle = element(&browser, ".watch .actions button[aria-pressed]").await;
    assert_eq!(
        toggle.attr("aria-pressed").await.unwrap().as_deref(),
        Some("false")
    );
    toggle.click().await.unwrap();
    element(&browser, ".watch .actions button[aria-pressed=true]").await;

    // Sign-in, home, search and playback all ran under the page's policy without a block
    // (the reloads below start a fresh page).
    let blocked = js(&browser, "return window.__blocked;").await;
    assert_eq!(
        blocked,
        serde_json::json!([]),
        "blocked by the page's policy"
    );

    // Leaving reports the position: Continue watching offers it with its progress bar.
    click(&browser, "nav a[href='/']").await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let found = browser
            .find(fantoccini::Locator::Css(&format!(
                "section[aria-labelledby='rail-continue'] a[href='/watch/{first}'] .watched"
            )))
            .await;
        if found.is_ok() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "Continue watching never offered the video"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
        browser.refresh().await.unwrap();
    }
    click(
        &browser,
        &format!("section[aria-labelledby='rail-continue'] a[href='/watch/{first}']"),
    )
    .await;

    // Back on it: a resume prompt at the second it was left.
    let prompt = element(&browser, ".resume[data-at]").await;
    let at: f64 = prompt
        .attr("data-at")
        .await
        .unwrap()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (at - left_at).abs() <= 2.0,
        "resume at {at}, left at {left_at}"
    );
    click(&browser, ".resume button").await;
    until(&browser, 15, "resumed playback", MEDIA, |v| {
        v["paused"] == false && (v["t"].as_f64().unwrap_or(0.0) - left_at).abs() <= 3.0
    })
    .await;
    // The subtitle choice was remembered.
    until(&browser, 15, "the remembered subtitles", MEDIA, |v| {
        v["cues"].as_str().unwrap_or("").contains("Hello")
    })
    .await;

    // At the end, Up next offers the related video and can be cancelled or taken.
    seek_to(&browser, screen, 0.9).await;
    let up = element(&browser, ".up-next .next-title")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(up, "Another test pattern");
    click(&browser, ".up-next button.secondary").await;
    assert!(
        browser
            .find(fantoccini::Locator::Css(".up-next"))
            .await
            .is_err(),
        "Cancel closes Up next"
    );
    seek_to(&browser, screen, 0.9).await;
    toggle_play(&browser, screen).await;
    click(&browser, ".up-next button:not(.secondary)").await;
    wait_path(&browser, &format!("/watch/{second}")).await;
    let title = element(&browser, ".watch h1").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while title.text().await.unwrap() != "Another test pattern" {
        assert!(
            Instant::now() < deadline,
            "the next video's page never showed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // My List and History hold it.
    click(&browser, "nav a[href='/my-list']").await;
    element(&browser, &format!(".grid a[href='/watch/{first}']")).await;
    look(&browser, screen, "my list").await;
    click(&browser, "nav a[href='/history']").await;
    element(&browser, &format!(".grid a[href='/watch/{first}']")).await;
    look(&browser, screen, "history").await;
    click(&browser, "nav a[href='/account']").await;
    element(&browser, ".profile").await;
    look(&browser, screen, "account").await;
    let page = reqwest::get(&base).await.unwrap();
    let policy = page.headers()["content-security-policy"].to_str().unwrap();
    assert!(
        policy.contains("script-src 'self'") && policy.contains("frame-ancestors 'none'"),
        "{policy}"
    );
    browser
        .goto(&format!("{base}/genre/testing"))
        .await
        .unwrap();
    element(&browser, ".grid .card").await;
    look(&browser, screen, "genre").await;

    // A play of more than 5 s counted one view.
    let api = client::connect(&base, None);
    let v = api.get_video(&first).await.unwrap().into_inner();
    assert_eq!(v.views, 1, "views of the first video");

    // A revoked session sends the viewer to sign in, and back to the page afterwards.
    js(
        &browser,
        "localStorage.setItem('kino.token', 'not-a-session'); return null;",
    )
    .await;
    browser.goto(&format!("{base}/history")).await.unwrap();
    wait_path(&browser, "/signin?next=/history").await;
    let notice = element(&browser, ".notice").await.text().await.unwrap();
    assert!(notice.contains("session has ended"), "{notice}");
    type_into(&browser, "#email", "viewer@example.com").await;
    type_into(&browser, "#password", PASSWORD).await;
    click(&browser, "form.form button[type=submit]").await;
    wait_path(&browser, "/history").await;
    element(&browser, &format!(".grid a[href='/watch/{first}']")).await;

    // Addresses that lead nowhere say so.
    browser
        .goto(&format!("{base}/watch/no-such-video"))
        .await
        .unwrap();
    let h1 = element(&browser, "h1").await.text().await.unwrap();
    assert_eq!(h1, "This video is not available");
    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_watch_page_plays_when_its_details_fail_and_says_so_when_the_api_is_down() {
    let data = tempfile::tempdir().unwrap();
    let (kino, base) = start_kino(data.path());
    let api = creator(&base, "maker@example.com").await;
    let id = upload(&api, &clip(data.path()).await).await;
    wait_published(&api, &id).await;
    let (_driver, browser) = start_browser().await;
    browser.goto(&base).await.unwrap();
    element(&browser, &format!(".card a[href='/watch/{id}']")).await;
    // The network refuses the nice-to-have query (and only it) from here on.
    js(
        &browser,
        "const real = window.fetch; \
         window.fetch = async (input, init) => { \
           const body = input instanceof Request ? await input.clone().text() : String((init && init.body) || ''); \
           if (body.includes('WatchDetailsQuery')) throw new TypeError('refused by the test'); \
           return real(input, init); }; return null;",
    )
    .await;
    click(&browser, &format!(".card a[href='/watch/{id}']")).await;
    until(&browser, 30, "playback", MEDIA, |v| {
        v["t"].as_f64().unwrap_or(0.0) > 1.0
    })
    .await;
    let title = element(&browser, ".watch h1").await.text().await.unwrap();
    assert_eq!(title, "Test pattern in the browser");
    let failed = element(&browser, ".details-failed")
        .await
        .text()
        .await
        .unwrap();
    assert!(failed.contains("could not be loaded"), "{failed}");
    assert!(
        browser
            .find(fantoccini::Locator::Css(".related"))
            .await
            .is_err()
    );

    // With the api gone, a page says what happened and offers a retry instead of a blank.
    drop(kino);
    click(&browser, "nav a[href='/']").await;
    let alert = element(&browser, "[role=alert]")
        .await
        .text()
        .await
        .unwrap();
    assert!(alert.contains("Could not load the home page"), "{alert}");
    element(&browser, "[role=alert] button").await;
    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn playback_carries_on_after_its_signed_links_expire() {
    let data = tempfile::tempdir().unwrap();
    // Links live 15 s, each to its own expiry, so the page refreshes them every few seconds.
    let (_kino, base) = start_kino_with(
        data.path(),
        1,
        &[
            ("KINO_MEDIA_URL_TTL_S", "15"),
            ("KINO_MEDIA_URL_WINDOW_S", "1"),
        ],
    );
    let api = creator(&base, "maker@example.com").await;
    let id = upload(&api, &long_clip(data.path()).await).await;
    wait_published(&api, &id).await;
    let (_driver, browser) = start_browser().await;
    browser.goto(&format!("{base}/watch/{id}")).await.unwrap();
    let opened = Instant::now();
    until(&browser, 30, "playback", MEDIA, |v| {
        v["t"].as_f64().unwrap_or(0.0) > 0.3
    })
    .await;
    press(&browser, "k").await;
    until(&browser, 5, "paused", MEDIA, |v| v["paused"] == true).await;
    let poster = js(
        &browser,
        "return document.getElementById('kino-player').poster;",
    )
    .await;
    let first_links = poster.as_str().unwrap().to_owned();

    // Once the links the page opened with have expired...
    tokio::time::sleep(Duration::from_secs(17).saturating_sub(opened.elapsed())).await;
    let old = reqwest::get(&first_links).await.unwrap().status();
    assert!(!old.is_success(), "the first links still work: {old}");

    // ...a rendition it has not fetched yet still loads: its segments go out with fresh
    // links. (What it has fetched is in the browser's cache and would prove nothing.)
    let since = js(&browser, "return performance.now();")
        .await
        .as_f64()
        .unwrap();
    let fetched = js(
        &browser,
        "return performance.getEntriesByType('resource').map(e => e.name).filter(n => n.includes('/media/'));",
    )
    .await;
    let count = |h: u32| {
        fetched
            .as_array()
            .unwrap()
            .iter()
            .filter(|u| u.as_str().unwrap_or("").contains(&format!("/{h}p/seg_")))
            .count()
    };
    let want = if count(360) <= count(540) { 360 } else { 540 };
    reveal_controls(&browser).await;
    click(&browser, "button[aria-label^='Quality']").await;
    click(
        &browser,
        &format!("[role=menu][aria-label=Quality] [data-height='{want}']"),
    )
    .await;
    press(&browser, "k").await;
    until(
        &browser,
        30,
        &format!("decoding {want}p on fresh links past the first segment"),
        MEDIA,
        // Past the first 6 s segment, which may already be buffered at either rung.
        |v| v["h"].as_u64() == Some(want) && v["t"].as_f64().unwrap_or(0.0) > 6.5,
    )
    .await;
    let old_token = first_links
        .split("/media/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let later = js(
        &browser,
        &format!(
            "return performance.getEntriesByType('resource') \
               .filter(e => e.name.includes('/{want}p/') && e.startTime > {since}) \
               .map(e => [e.name.split('/media/')[1].split('/')[0], e.responseStatus]);"
        ),
    )
    .await;
    let later = later.as_array().unwrap();
    assert!(
        !later.is_empty(),
        "no {want}p file was fetched after the links expired: {fetched}"
    );
    for entry in later {
        assert_ne!(
            entry[0].as_str(),
            Some(old_token.as_str()),
            "sent with the expired links: {entry}"
        );
        assert_eq!(entry[1], 200, "{entry}");
    }
    assert!(
        browser
            .find(fantoccini::Locator::Css(".overlay[role=alert]"))
            .await
            .is_err(),
        "no playback error"
    );
    browser.close().await.unwrap();
}

/// The first admin follows the link `kino` printed: the form opens on account creation with
/// the setup code filled in, and the account it makes administers the install; the link
/// works once.
#[tokio::test(flavor = "multi_thread")]
async fn the_setup_link_makes_the_first_admin_once() {
    let data = tempfile::tempdir().unwrap();
    let (_kino, base) = start_kino_with(data.path(), 0, &[]);
    let (_driver, browser) = start_browser().await;
    let link = format!("{base}/signin?code={}", kino::SETUP_TOKEN);
    browser.goto(&link).await.unwrap();
    let filled = until(
        &browser,
        15,
        "the code in the form",
        "const i = document.getElementById('invite'); return i ? i.value : null;",
        |v| v.is_string(),
    )
    .await;
    assert_eq!(filled, kino::SETUP_TOKEN);
    accessible(&browser, "the setup link's form").await;
    type_into(&browser, "#email", "owner@example.com").await;
    type_into(&browser, "#password", PASSWORD).await;
    type_into(&browser, "#name", "Owner").await;
    click(&browser, "form.form button[type=submit]").await;
    wait_path(&browser, "/").await;
    browser.goto(&format!("{base}/account")).await.unwrap();
    until(
        &browser,
        15,
        "the account's role",
        "return document.querySelector('dl.profile')?.textContent;",
        |v| v.as_str().unwrap_or("").contains("Admin"),
    )
    .await;
    screenshot(&browser, "setup-admin-account").await;

    // The link is spent: a second visitor is told so, and no account is made.
    let (_driver2, other) = start_browser().await;
    other.goto(&link).await.unwrap();
    until(
        &other,
        15,
        "the form",
        "return document.getElementById('invite')?.value;",
        |v| v.is_string(),
    )
    .await;
    type_into(&other, "#email", "late@example.com").await;
    type_into(&other, "#password", PASSWORD).await;
    type_into(&other, "#name", "Late").await;
    click(&other, "form.form button[type=submit]").await;
    until(
        &other,
        15,
        "the refusal",
        "return document.querySelector('p.error')?.textContent;",
        |v| v.as_str().unwrap_or("").contains("not valid"),
    )
    .await;
    browser.close().await.unwrap();
    other.close().await.unwrap();
}

/// A TV shows a code; a viewer opens the link it gives on a phone, signs up on the way, and
/// approves it; the TV's next poll is signed in as that viewer.
#[tokio::test(flavor = "multi_thread")]
async fn a_viewer_signs_a_tv_in_from_a_phone() {
    let data = tempfile::tempdir().unwrap();
    let (_kino, base) = start_kino_with(data.path(), 0, &[]);
    let tv = client::connect(&base, None);
    let started = tv
        .start_device_sign_in(&types::StartDeviceSignInRequest {
            name: Some("Living room TV".into()),
        })
        .await
        .unwrap()
        .into_inner();
    let (_driver, browser) = start_browser_as(Screen::Phone).await;
    browser
        .goto(&started.verification_uri_complete)
        .await
        .unwrap();
    // Signed out: to the sign-in page and back with the code.
    until(
        &browser,
        15,
        "the sign-in page",
        "return location.pathname;",
        |v| v == "/signin",
    )
    .await;
    sign_up_in_the_app(&browser, "phone@example.com").await;
    let filled = until(
        &browser,
        15,
        "the code on /activate",
        "const i = document.getElementById('user-code'); return i ? i.value : null;",
        |v| v.is_string(),
    )
    .await;
    assert_eq!(filled, started.user_code.as_str());
    accessible(&browser, "/activate").await;
    click(&browser, "form.form button[type=submit]").await;
    let said = until(
        &browser,
        15,
        "the approval",
        "return document.querySelector('p.notice')?.textContent;",
        |v| v.is_string(),
    )
    .await;
    assert!(said.as_str().unwrap().contains("Living room TV"), "{said}");
    screenshot(&browser, "activate-phone").await;
    // The TV polls once its interval has passed, and is signed in as the viewer.
    tokio::time::sleep(Duration::from_secs(started.interval)).await;
    let session = tv
        .poll_device_sign_in(&types::PollDeviceSignInRequest {
            device_code: started.device_code.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(session.user.email, "phone@example.com");
    browser.close().await.unwrap();
}
