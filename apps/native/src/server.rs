//! Which Kino server the app talks to.

use std::path::PathBuf;
use tauri::Manager;
use url::Url;

const FILE: &str = "server.txt";

/// Accepts `http(s)://host[:port][/path]`; anything else gets a message for the user.
pub fn parse(input: &str) -> Result<Url, String> {
    let url = Url::parse(input.trim()).map_err(|e| format!("not a valid address: {e}"))?;
    match url.scheme() {
        "http" | "https" if url.host().is_some() => Ok(url),
        _ => Err("the address must start with http:// or https://".into()),
    }
}

fn path(app: &tauri::AppHandle) -> Option<PathBuf> {
    app.path().app_config_dir().ok().map(|d| d.join(FILE))
}

/// The server from `KINO_API_URL`, else the one saved earlier.
pub fn configured(app: &tauri::AppHandle) -> Option<Url> {
    if let Ok(env) = std::env::var("KINO_API_URL") {
        return parse(&env).ok();
    }
    let saved = std::fs::read_to_string(path(app)?).ok()?;
    parse(&saved).ok()
}

pub fn save(app: &tauri::AppHandle, url: &Url) -> std::io::Result<()> {
    let p = path(app).ok_or_else(|| std::io::Error::other("no config directory"))?;
    if let Some(dir) = p.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(p, url.as_str())
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn only_web_addresses_are_accepted() {
        assert_eq!(
            parse(" http://localhost:8080 ").unwrap().as_str(),
            "http://localhost:8080/"
        );
        assert!(parse("https://kino.example/sub").is_ok());
        assert!(parse("file:///etc/passwd").is_err());
        assert!(parse("javascript:alert(1)").is_err());
        assert!(parse("kino.example").is_err());
    }
}
