//! Which Kino servers the app knows and which one it talks to.
//!
//! The app only talks to `https://` servers, except on this computer's own loopback addresses
//! (a server run for development or tests), and only to servers that answer as Kino: a typo
//! or a hostile page never becomes the app's server.

use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use url::{Host, Url};

const FILE: &str = "servers.json";
/// How many servers the picker remembers.
const REMEMBERED: usize = 8;

/// Parses what the user typed into the server's origin (`https://host[:port]`, no trailing
/// slash). A bare host name means `https://`.
pub fn parse(input: &str) -> Result<String, String> {
    let input = input.trim();
    if input.is_empty() {
        return Err("Enter the address of a Kino server.".into());
    }
    let with_scheme = if input.contains("://") {
        input.to_owned()
    } else {
        format!("https://{input}")
    };
    let url =
        Url::parse(&with_scheme).map_err(|e| format!("This is not a valid address ({e})."))?;
    let host = url
        .host()
        .ok_or("The address has no host name.")?
        .to_owned();
    match url.scheme() {
        "https" => {}
        "http" if loopback(&host) => {}
        "http" => {
            return Err(
                "Kino only talks to servers over https:// (http:// is for this computer's own \
                 addresses)."
                    .into(),
            );
        }
        other => return Err(format!("{other}:// is not a web address; use https://.")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("Give the address without a user name or password.".into());
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(
            "Give the server's address alone, without a path (https://kino.example).".into(),
        );
    }
    Ok(url.origin().ascii_serialization())
}

fn loopback(host: &Host) -> bool {
    match host {
        Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
        Host::Ipv4(ip) => IpAddr::V4(*ip).is_loopback(),
        Host::Ipv6(ip) => IpAddr::V6(*ip).is_loopback(),
    }
}

/// Asks `origin` whether it is a Kino server: its OpenAPI document must name Kino.
pub async fn check(client: &reqwest::Client, origin: &str) -> Result<(), String> {
    let url = format!("{origin}/api/v1/openapi.json");
    let response = client
        .get(&url)
        .send()
        .await
        .map_err(|e| format!("Could not reach {origin}: {}.", reason(&e)))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!(
            "{origin} answered HTTP {}; it does not look like a Kino server.",
            status.as_u16()
        ));
    }
    #[derive(Deserialize)]
    struct Spec {
        info: Info,
    }
    #[derive(Deserialize)]
    struct Info {
        title: String,
    }
    match response.json::<Spec>().await {
        Ok(spec) if spec.info.title == "Kino" => Ok(()),
        _ => Err(format!("{origin} is a web server, but not a Kino server.")),
    }
}

/// The innermost cause, which says what went wrong (refused, name not found, certificate).
fn reason(e: &reqwest::Error) -> String {
    let mut source: &dyn std::error::Error = e;
    while let Some(next) = source.source() {
        source = next;
    }
    source.to_string()
}

/// The servers the app remembers, most recently chosen first, and the current one.
#[derive(Debug, Default, Clone, Serialize, Deserialize, PartialEq)]
pub struct Servers {
    pub current: Option<String>,
    pub known: Vec<String>,
}

impl Servers {
    pub fn load(dir: &Path) -> Servers {
        std::fs::read(dir.join(FILE))
            .ok()
            .and_then(|b| serde_json::from_slice::<Servers>(&b).ok())
            .map(|s| s.valid())
            .unwrap_or_default()
    }

    /// Drops anything a hand-edited file holds that `parse` would refuse.
    fn valid(mut self) -> Servers {
        self.current = self.current.filter(|c| parse(c).as_ref() == Ok(c));
        self.known.retain(|k| parse(k).as_ref() == Ok(k));
        self
    }

    pub fn save(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        // Written aside and renamed, so a crash never leaves half a file.
        let tmp: PathBuf = dir.join(format!("{FILE}.new"));
        std::fs::write(&tmp, serde_json::to_vec_pretty(self)?)?;
        std::fs::rename(tmp, dir.join(FILE))
    }

    pub fn choose(&mut self, origin: &str) {
        self.known.retain(|k| k != origin);
        self.known.insert(0, origin.to_owned());
        self.known.truncate(REMEMBERED);
        self.current = Some(origin.to_owned());
    }

    pub fn forget(&mut self, origin: &str) {
        self.known.retain(|k| k != origin);
        if self.current.as_deref() == Some(origin) {
            self.current = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_anywhere_http_only_on_loopback() {
        assert_eq!(
            parse(" https://kino.example ").unwrap(),
            "https://kino.example"
        );
        assert_eq!(
            parse("kino.example:8443").unwrap(),
            "https://kino.example:8443"
        );
        assert_eq!(
            parse("http://127.0.0.1:8080/").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            parse("http://localhost:3000").unwrap(),
            "http://localhost:3000"
        );
        assert_eq!(parse("http://[::1]:3000").unwrap(), "http://[::1]:3000");
        assert!(
            parse("http://kino.example")
                .unwrap_err()
                .contains("https://")
        );
        assert!(parse("http://192.168.1.5:8080").is_err());
        assert!(parse("file:///etc/passwd").is_err());
        assert!(parse("javascript:alert(1)").is_err());
        assert!(parse("https://kino.example/some/page").is_err());
        assert!(parse("https://user:pw@kino.example").is_err());
        assert!(parse("").is_err());
    }

    #[test]
    fn the_list_keeps_the_latest_first_and_survives_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Servers::load(dir.path());
        assert_eq!(s, Servers::default());
        s.choose("https://a.example");
        s.choose("https://b.example");
        s.choose("https://a.example");
        s.save(dir.path()).unwrap();
        let s = Servers::load(dir.path());
        assert_eq!(s.current.as_deref(), Some("https://a.example"));
        assert_eq!(s.known, ["https://a.example", "https://b.example"]);
        let mut s = s;
        s.forget("https://a.example");
        assert_eq!(s.current, None);
        assert_eq!(s.known, ["https://b.example"]);
    }

    #[test]
    fn a_tampered_file_cannot_point_the_app_at_plain_http() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(FILE),
            r#"{"current":"http://evil.example","known":["http://evil.example","https://ok.example"]}"#,
        )
        .unwrap();
        let s = Servers::load(dir.path());
        assert_eq!(s.current, None);
        assert_eq!(s.known, ["https://ok.example"]);
    }
}
