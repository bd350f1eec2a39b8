//! Search highlights: the api sends titles and snippets HTML-escaped with matches wrapped in
//! `<mark>`. They are split into plain and marked runs and shown as text nodes, never parsed
//! as HTML, so nothing in a title can become markup.

/// `text` as runs of (marked, text), entities decoded.
pub fn segments(text: &str) -> Vec<(bool, String)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("<mark>") {
        if start > 0 {
            out.push((false, unescape(&rest[..start])));
        }
        let after = &rest[start + "<mark>".len()..];
        let end = after.find("</mark>").unwrap_or(after.len());
        out.push((true, unescape(&after[..end])));
        rest = after.get(end + "</mark>".len()..).unwrap_or("");
    }
    if !rest.is_empty() {
        out.push((false, unescape(rest)));
    }
    out
}

/// Decodes the entities an HTML escaper writes.
fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::segments;

    #[test]
    fn marks_become_runs_and_escaped_markup_stays_text() {
        assert_eq!(
            segments("The <mark>River</mark> &amp; the &lt;b&gt;sea"),
            vec![
                (false, "The ".to_owned()),
                (true, "River".to_owned()),
                (false, " & the <b>sea".to_owned()),
            ]
        );
        assert_eq!(segments("<mark>a</mark><mark>b</mark>").len(), 2);
        assert_eq!(segments("plain"), vec![(false, "plain".to_owned())]);
        assert_eq!(segments("<mark>open"), vec![(true, "open".to_owned())]);
    }
}
