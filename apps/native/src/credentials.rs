//! The session token, kept in the operating system's credential store (the kernel keyring on
//! Linux, the Keychain on macOS, the Credential Manager on Windows), one entry per server, and
//! never in the webview's storage.

const SERVICE: &str = "org.kino.app";

fn entry(origin: &str) -> Result<keyring::Entry, String> {
    keyring::Entry::new(SERVICE, origin)
        .map_err(|e| format!("the credential store is not available: {e}"))
}

/// The token kept for `origin`, if any.
pub fn token(origin: &str) -> Option<String> {
    entry(origin).ok()?.get_password().ok()
}

/// Keeps `token` for `origin`, or forgets it with `None`.
pub fn set_token(origin: &str, token: Option<&str>) -> Result<(), String> {
    let entry = entry(origin)?;
    match token {
        Some(t) => entry
            .set_password(t)
            .map_err(|e| format!("could not keep the session: {e}")),
        None => match entry.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(format!("could not forget the session: {e}")),
        },
    }
}
