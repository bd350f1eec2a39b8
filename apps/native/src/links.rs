//! `kino://` links: which page of the app each one opens.

use url::Url;

/// The app page a link opens: `kino://watch/{id}` a video, `kino://activate[?code=…]` the
/// page that approves a TV's sign-in. Anything else opens nothing.
pub fn route(link: &Url) -> Option<String> {
    if link.scheme() != "kino" {
        return None;
    }
    let segments: Vec<&str> = link.path().split('/').filter(|s| !s.is_empty()).collect();
    match (link.host_str(), segments.as_slice()) {
        (Some("watch"), [id]) if plain(id, 64) => Some(format!("/watch/{id}")),
        (Some("activate"), []) => {
            let code = link
                .query_pairs()
                .find(|(k, _)| k == "code")
                .map(|(_, v)| v.into_owned());
            match code {
                Some(c) if plain(&c, 16) => Some(format!("/activate?code={c}")),
                Some(_) => None,
                None => Some("/activate".into()),
            }
        }
        _ => None,
    }
}

/// Letters, digits, `-` and `_`, so nothing the link carries can change the page's address.
fn plain(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The first `kino://` link among a program's arguments (`kino-app kino://watch/…`).
pub fn from_args(args: impl IntoIterator<Item = String>) -> Option<String> {
    args.into_iter()
        .skip(1)
        .filter_map(|a| Url::parse(&a).ok())
        .find_map(|u| route(&u))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> Option<String> {
        route(&Url::parse(s).unwrap())
    }

    #[test]
    fn links_open_their_page_and_nothing_else() {
        assert_eq!(r("kino://watch/01JABC").as_deref(), Some("/watch/01JABC"));
        assert_eq!(r("kino://watch/01JABC/").as_deref(), Some("/watch/01JABC"));
        assert_eq!(r("kino://activate").as_deref(), Some("/activate"));
        assert_eq!(
            r("kino://activate?code=ABCD-EFGH").as_deref(),
            Some("/activate?code=ABCD-EFGH")
        );
        assert_eq!(r("kino://watch/a%22b"), None);
        assert_eq!(r("kino://watch/a/b"), None);
        assert_eq!(r("kino://activate?code=%3Cscript%3E"), None);
        assert_eq!(r("kino://admin"), None);
        assert_eq!(r("https://watch/01JABC"), None);
    }

    #[test]
    fn the_link_is_found_among_the_arguments() {
        let args = ["kino-app", "kino://watch/v1"].map(String::from);
        assert_eq!(from_args(args).as_deref(), Some("/watch/v1"));
        assert_eq!(from_args(["kino-app".to_owned()]), None);
    }
}
