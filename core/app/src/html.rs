//! Message bodies: plain text and sanitized HTML, always both.

/// The longest message body accepted, in bytes of text.
pub(crate) const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Escapes text for HTML and keeps its paragraphs and line breaks.
pub(crate) fn text_to_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for (i, paragraph) in text.split("\n\n").enumerate() {
        if paragraph.trim().is_empty() {
            continue;
        }
        if i > 0 || !out.is_empty() {
            out.push('\n');
        }
        out.push_str("<p>");
        for (j, line) in paragraph.lines().enumerate() {
            if j > 0 {
                out.push_str("<br>");
            }
            escape_into(&mut out, line);
        }
        out.push_str("</p>");
    }
    out
}

fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// Sanitizes HTML from outside: scripts, event handlers, styles and `javascript:` links go;
/// links get `rel="noopener noreferrer nofollow"`.
pub(crate) fn sanitize_html(html: &str) -> String {
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer nofollow"))
        .url_schemes(["http", "https", "mailto", "tel"].into_iter().collect())
        .clean(html)
        .to_string()
}

/// The plain text of an HTML body, for when only HTML was given.
pub(crate) fn html_to_text(html: &str) -> String {
    let cleaned = ammonia::Builder::empty().clean(
        &html
            .replace("<br>", "\n")
            .replace("<br/>", "\n")
            .replace("<br />", "\n")
            .replace("</p>", "</p>\n\n"),
    );
    decode_entities(&cleaned.to_string()).trim().to_string()
}

fn decode_entities(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_becomes_escaped_paragraphs() {
        assert_eq!(
            text_to_html("Hi <b>there</b>\nline two\n\nSecond & last"),
            "<p>Hi &lt;b&gt;there&lt;/b&gt;<br>line two</p>\n<p>Second &amp; last</p>"
        );
    }

    #[test]
    fn hostile_html_is_sanitized() {
        let out = sanitize_html(
            r#"<p onclick="x()">Hi<script>alert(1)</script> <a href="javascript:alert(1)">x</a> <a href="https://e.com">y</a><style>body{}</style></p>"#,
        );
        assert!(!out.contains("script"), "{out}");
        assert!(!out.contains("onclick"), "{out}");
        assert!(!out.contains("javascript"), "{out}");
        assert!(!out.contains("style"), "{out}");
        assert!(out.contains(r#"href="https://e.com""#), "{out}");
    }

    #[test]
    fn html_yields_its_text() {
        assert_eq!(
            html_to_text("<p>Hello &amp; bye</p><p>two<br>three</p>"),
            "Hello & bye\n\ntwo\nthree"
        );
    }
}
