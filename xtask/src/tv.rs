//! `cargo xtask tv --server URL [--out DIR]`: the smart-TV shells for one Kino server.
//!
//! - `tizen/`: a Samsung Tizen web app (`config.xml`, `icon.png`) whose content is the
//!   server's `/tv/`, with the privileges the app uses (the network, and the remote's keys
//!   through `tvinputdevice`) and the keys it registers listed in its metadata;
//! - `webos/`: an LG webOS app (`appinfo.json`, `index.html`, icons) whose page goes to the
//!   server's `/tv/`; it asks webOS to send Back to the app (key 461) instead of handling it.
//!
//! Both are directories the platforms' own tools package (`tizen package`, `ares-package`);
//! README.md says how to install them on a TV.

use anyhow::{Context, Result, bail};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The remote's keys the TV app registers on Tizen (`focus.js` registers the same list):
/// the rest (arrows, Enter, Back) every Tizen app receives.
pub const REGISTERED_KEYS: [&str; 6] = [
    "MediaPlayPause",
    "MediaPlay",
    "MediaPause",
    "MediaStop",
    "MediaFastForward",
    "MediaRewind",
];

/// Tizen wants a package id of exactly ten letters and digits.
const APP_ID: &str = "KinoTvApp0";

pub fn run(root: &Path, args: &[String]) -> Result<()> {
    let mut server = None;
    let mut out = crate::target_dir(root).join("tv");
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--server" => server = Some(it.next().context("--server takes a URL")?.clone()),
            "--out" => out = PathBuf::from(it.next().context("--out takes a directory")?),
            other => bail!("unknown argument {other}: cargo xtask tv --server URL [--out DIR]"),
        }
    }
    let server = server.context("cargo xtask tv --server URL [--out DIR]: which Kino server?")?;
    let origin = origin(&server)?;
    write(&out, &origin)?;
    println!(
        "Tizen app: {}\nwebOS app: {}\nboth open {origin}/tv/",
        out.join("tizen").display(),
        out.join("webos").display()
    );
    Ok(())
}

/// `https://host[:port]` of a server URL, refusing anything else (a TV app is a capability
/// for that origin only, and a path or query would not survive in the shells).
pub fn origin(url: &str) -> Result<String> {
    let url = url.trim().trim_end_matches('/');
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .with_context(|| format!("{url} is not an http(s) URL"))?;
    if rest.is_empty() || rest.contains(['/', '?', '#', '"', '<', '>', '&', '\'', ' ']) {
        bail!("{url}: give the server's address alone, as https://kino.example.com");
    }
    Ok(url.to_owned())
}

/// Writes both packages under `out`.
pub fn write(out: &Path, origin: &str) -> Result<()> {
    let tizen = out.join("tizen");
    let webos = out.join("webos");
    for dir in [&tizen, &webos] {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let host = origin.split("://").nth(1).unwrap_or(origin);
    let keys = REGISTERED_KEYS.join(",");
    std::fs::write(
        tizen.join("config.xml"),
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<widget xmlns="http://www.w3.org/ns/widgets" xmlns:tizen="http://tizen.org/ns/widgets" id="https://kino.invalid/{APP_ID}" version="1.0.0" viewmodes="maximized">
  <name>Kino</name>
  <icon src="icon.png"/>
  <content src="{origin}/tv/"/>
  <access origin="{origin}" subdomains="false"/>
  <tizen:allow-navigation>{host}</tizen:allow-navigation>
  <tizen:application id="{APP_ID}.Kino" package="{APP_ID}" required_version="2.3"/>
  <tizen:privilege name="http://tizen.org/privilege/internet"/>
  <tizen:privilege name="http://tizen.org/privilege/tv.inputdevice"/>
  <tizen:metadata key="kino.registered-keys" value="{keys}"/>
  <tizen:setting screen-orientation="landscape" context-menu="disable" background-support="disable" encryption="disable" install-location="auto" hwkey-event="enable"/>
  <tizen:profile name="tv-samsung"/>
</widget>
"#
        ),
    )?;
    let appinfo = serde_json::json!({
        "id": "org.kino.tv",
        "version": "1.0.0",
        "vendor": "Kino",
        "type": "web",
        "main": "index.html",
        "title": "Kino",
        "icon": "icon.png",
        "largeIcon": "largeIcon.png",
        "resolution": "1920x1080",
        // Back reaches the app as key 461, which goes back a page or asks before leaving.
        "disableBackHistoryAPI": true,
    });
    std::fs::write(
        webos.join("appinfo.json"),
        serde_json::to_string_pretty(&appinfo)? + "\n",
    )?;
    std::fs::write(
        webos.join("index.html"),
        format!(
            "<!doctype html>\n<meta charset=\"utf-8\">\n<title>Kino</title>\n\
             <script>location.replace(\"{origin}/tv/\");</script>\n\
             <p>Opening <a href=\"{origin}/tv/\">Kino</a>…</p>\n"
        ),
    )?;
    // Each platform's icon sizes: Tizen's launcher, webOS's icon and large icon.
    png(&tizen.join("icon.png"), 512, 423)?;
    png(&webos.join("icon.png"), 80, 80)?;
    png(&webos.join("largeIcon.png"), 130, 130)?;
    Ok(())
}

/// Kino's mark: a play triangle in the accent colour on the app's background.
fn png(path: &Path, w: u32, h: u32) -> Result<()> {
    let (bg, fg) = ([0x0f, 0x11, 0x15], [0x4f, 0x8c, 0xff]);
    let side = w.min(h) as f64 * 0.5;
    let (cx, cy) = (w as f64 / 2.0, h as f64 / 2.0);
    let (left, right) = (cx - side * 0.4, cx + side * 0.6);
    let mut raw = Vec::with_capacity(((w * 3 + 1) * h) as usize);
    for y in 0..h {
        raw.push(0); // no filter
        for x in 0..w {
            let (px, py) = (x as f64 + 0.5, y as f64 + 0.5);
            // Inside when left of the point, and within the half-height that narrows to it.
            let reach = (right - px) / (right - left) * side / 2.0;
            let inside = px >= left && px <= right && (py - cy).abs() <= reach;
            raw.extend_from_slice(if inside { &fg } else { &bg });
        }
    }
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(&raw)?;
    let idat = z.finish()?;
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB
    let mut file = b"\x89PNG\r\n\x1a\n".to_vec();
    for (kind, data) in [(b"IHDR", &ihdr), (b"IDAT", &idat), (b"IEND", &Vec::new())] {
        file.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let start = file.len();
        file.extend_from_slice(kind);
        file.extend_from_slice(data);
        let crc = crc32(&file[start..]);
        file.extend_from_slice(&crc.to_be_bytes());
    }
    std::fs::write(path, file).with_context(|| format!("writing {}", path.display()))
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;
    use quick_xml::events::Event;

    fn out_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("kino-tv-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    /// An element: its name, its attributes, and its text.
    type Element = (String, Vec<(String, String)>, String);

    /// Every element of `config.xml`, as a parser reads them.
    fn elements(xml: &str) -> Vec<Element> {
        let mut reader = quick_xml::Reader::from_str(xml);
        let mut found: Vec<Element> = Vec::new();
        loop {
            match reader.read_event().expect("config.xml parses") {
                Event::Start(e) | Event::Empty(e) => {
                    let attrs = e
                        .attributes()
                        .map(|a| {
                            let a = a.expect("a well-formed attribute");
                            (
                                String::from_utf8(a.key.as_ref().to_vec()).unwrap(),
                                a.unescape_value().unwrap().into_owned(),
                            )
                        })
                        .collect();
                    let name = String::from_utf8(e.name().as_ref().to_vec()).unwrap();
                    found.push((name, attrs, String::new()));
                }
                Event::Text(t) => {
                    if let Some(last) = found.last_mut() {
                        last.2.push_str(&String::from_utf8_lossy(t.as_ref()));
                    }
                }
                Event::Eof => return found,
                _ => {}
            }
        }
    }

    #[test]
    fn the_shells_open_the_servers_tv_app() {
        let out = out_dir("shells");
        write(&out, "https://kino.example.com").unwrap();
        let xml = std::fs::read_to_string(out.join("tizen/config.xml")).unwrap();
        let els = elements(&xml);
        let attr = |name: &str, key: &str| -> Vec<String> {
            els.iter()
                .filter(|e| e.0 == name)
                .filter_map(|e| e.1.iter().find(|a| a.0 == key).map(|a| a.1.clone()))
                .collect()
        };
        assert_eq!(attr("content", "src"), ["https://kino.example.com/tv/"]);
        assert_eq!(attr("access", "origin"), ["https://kino.example.com"]);
        let privileges = attr("tizen:privilege", "name");
        assert!(privileges.contains(&"http://tizen.org/privilege/tv.inputdevice".to_owned()));
        assert!(privileges.contains(&"http://tizen.org/privilege/internet".to_owned()));
        assert_eq!(attr("tizen:metadata", "value"), [REGISTERED_KEYS.join(",")]);
        let webos: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("webos/appinfo.json")).unwrap())
                .expect("appinfo.json parses");
        assert_eq!(webos["type"], "web");
        assert_eq!(webos["disableBackHistoryAPI"], true);
        let main = std::fs::read_to_string(out.join("webos").join(webos["main"].as_str().unwrap()))
            .unwrap();
        assert!(main.contains("location.replace(\"https://kino.example.com/tv/\")"));
        for icon in ["tizen/icon.png", "webos/icon.png", "webos/largeIcon.png"] {
            let bytes = std::fs::read(out.join(icon)).unwrap();
            assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{icon} is a PNG");
        }
        std::fs::remove_dir_all(&out).unwrap();
    }

    #[test]
    fn the_app_registers_the_keys_the_package_names() {
        let engine = include_str!("../../apps/ui/src/tv/focus.js");
        for key in REGISTERED_KEYS {
            assert!(
                engine.contains(&format!("'{key}'")),
                "focus.js registers {key}"
            );
        }
    }

    #[test]
    fn only_a_servers_address_makes_a_shell() {
        assert_eq!(
            origin("https://kino.example.com/").unwrap(),
            "https://kino.example.com"
        );
        assert_eq!(
            origin("http://192.168.1.20:8080").unwrap(),
            "http://192.168.1.20:8080"
        );
        for bad in [
            "kino.example.com",
            "ftp://kino.example.com",
            "https://kino.example.com/tv",
            "https://a\"b",
            "https://",
        ] {
            assert!(origin(bad).is_err(), "{bad} refused");
        }
    }

    #[test]
    fn icons_have_valid_checksums() {
        // The CRC of "IEND" with no data is fixed by the PNG specification.
        assert_eq!(crc32(b"IEND"), 0xAE42_6082);
    }
}
