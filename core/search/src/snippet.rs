//! Highlighted snippets: the part of a message where the query's words are, HTML-escaped
//! with `<mark>` around each match.

use std::collections::HashSet;

use crate::analyzer::Analyzers;
use crate::lang::Lang;

/// How long a snippet is, in bytes of source text (about two lines).
const WINDOW: usize = 240;
/// How much text comes before the first match.
const LEAD: usize = 60;

pub(crate) struct Highlighter {
    words: HashSet<String>,
    stems: HashSet<String>,
    fuzzy: Vec<Vec<char>>,
    /// First characters of every word and stem: a token that starts otherwise is not
    /// stemmed at all, which keeps snippets cheap.
    prefixes: HashSet<String>,
    analyzers: Analyzers,
}

fn prefix(s: &str) -> String {
    s.chars().take(2).collect()
}

fn within_one_edit(a: &[char], b: &[char]) -> bool {
    let (n, m) = (a.len(), b.len());
    if n.abs_diff(m) > 1 {
        return false;
    }
    if n == m {
        let diff: Vec<usize> = (0..n).filter(|&i| a[i] != b[i]).collect();
        if let [i, j] = diff.as_slice()
            && *j == i + 1
            && a[*i] == b[*j]
            && a[*j] == b[*i]
        {
            return true;
        }
    }
    let mut prev: Vec<usize> = (0..=m).collect();
    for i in 1..=n {
        let mut cur = vec![i; m + 1];
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        prev = cur;
    }
    prev[m] <= 1
}

pub(crate) struct Marked {
    pub html: String,
    pub matches: usize,
}

impl Highlighter {
    pub fn new(words: &[String], fuzzy: &[String], mut analyzers: Analyzers) -> Highlighter {
        let mut plain = HashSet::new();
        let mut stems = HashSet::new();
        for w in words {
            for token in analyzers.plain_words(w) {
                stems.extend(analyzers.stems(&token.text));
                plain.insert(token.text);
            }
        }
        let prefixes = plain
            .iter()
            .chain(stems.iter())
            .map(|s| prefix(s))
            .collect();
        Highlighter {
            words: plain,
            stems,
            fuzzy: fuzzy
                .iter()
                .map(|w| w.to_lowercase().chars().collect())
                .collect(),
            prefixes,
            analyzers,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    fn matches(&mut self, token: &str, lang: Option<Lang>) -> bool {
        if self.words.contains(token) {
            return true;
        }
        if self
            .prefixes
            .contains(&prefix(&crate::analyzer::fold(token)))
            && self.stems.contains(&self.analyzers.stem_in(lang, token))
        {
            return true;
        }
        if !self.fuzzy.is_empty() {
            let chars: Vec<char> = token.chars().collect();
            return self.fuzzy.iter().any(|f| within_one_edit(f, &chars));
        }
        false
    }

    /// The spans of matched words in `text`.
    fn spans(&mut self, text: &str, lang: Option<Lang>) -> Vec<(usize, usize)> {
        let tokens = self.analyzers.plain_words(text);
        let mut out = Vec::new();
        for t in tokens {
            if self.matches(&t.text, lang) {
                out.push((t.offset_from, t.offset_to));
            }
        }
        out
    }

    /// The whole text with its matches marked (for subjects).
    pub fn mark_all(&mut self, text: &str, lang: Option<Lang>) -> Marked {
        let spans = self.spans(text, lang);
        Marked {
            html: render(text, 0, text.len(), &spans),
            matches: spans.len(),
        }
    }

    /// The best window of a message, or `None` when nothing in it matches.
    pub fn snippet(&mut self, text: &str, lang: Option<Lang>) -> Option<Marked> {
        let spans = self.spans(text, lang);
        if spans.is_empty() {
            return None;
        }
        // The window that starts at a match and holds the most matches.
        let mut best = (0usize, 0usize);
        for (i, (from, _)) in spans.iter().enumerate() {
            let count = spans[i..]
                .iter()
                .take_while(|(f, _)| *f < from + WINDOW - LEAD)
                .count();
            if count > best.1 {
                best = (i, count);
            }
        }
        let anchor = spans[best.0].0;
        let mut start = floor_boundary(text, anchor.saturating_sub(LEAD));
        if start > 0 {
            // Start on a word.
            if let Some(space) = text[start..anchor].find(char::is_whitespace) {
                start += space + 1;
            }
        }
        let mut end = floor_boundary(text, (start + WINDOW).min(text.len()));
        if end < text.len()
            && let Some(space) = text[anchor.max(start)..end].rfind(char::is_whitespace)
        {
            end = anchor.max(start) + space;
        }
        let inside: Vec<(usize, usize)> = spans
            .iter()
            .copied()
            .filter(|(f, t)| *f >= start && *t <= end)
            .collect();
        Some(Marked {
            matches: inside.len(),
            html: format!(
                "{}{}{}",
                if start > 0 { "…" } else { "" },
                render(text, start, end, &inside),
                if end < text.len() { "…" } else { "" }
            ),
        })
    }
}

fn floor_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Escapes `text[start..end]` for HTML, collapsing runs of whitespace, with `<mark>`
/// around each span.
fn render(text: &str, start: usize, end: usize, spans: &[(usize, usize)]) -> String {
    let mut out = String::with_capacity(end - start + spans.len() * 13);
    let mut at = start;
    for (from, to) in spans {
        if *from < at || *to > end {
            continue;
        }
        escape(&text[at..*from], &mut out);
        out.push_str("<mark>");
        escape(&text[*from..*to], &mut out);
        out.push_str("</mark>");
        at = *to;
    }
    escape(&text[at..end], &mut out);
    out
}

fn escape(s: &str, out: &mut String) {
    let mut space = false;
    for c in s.chars() {
        if c.is_whitespace() {
            if !space {
                out.push(' ');
            }
            space = true;
            continue;
        }
        space = false;
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(words: &[&str]) -> Highlighter {
        let words: Vec<String> = words.iter().map(|s| s.to_string()).collect();
        Highlighter::new(&words, &[], Analyzers::default())
    }

    #[test]
    fn marks_words_and_their_inflections_and_escapes_the_rest() {
        let mut hl = h(&["biljett"]);
        let m = hl
            .snippet("Mina <b>biljetter</b> & kvitton", Some(Lang::Swedish))
            .expect("matches");
        assert_eq!(
            m.html,
            "Mina &lt;b&gt;<mark>biljetter</mark>&lt;/b&gt; &amp; kvitton"
        );
    }

    #[test]
    fn keeps_non_latin_text_and_accents() {
        let mut hl = h(&["билет"]);
        let m = hl
            .snippet("Где мои билеты? Ошибка «доступ»", Some(Lang::Russian))
            .expect("matches");
        assert_eq!(m.html, "Где мои <mark>билеты</mark>? Ошибка «доступ»");
    }

    #[test]
    fn long_text_gets_a_window_around_the_matches() {
        let text = format!(
            "{} the printer jammed again {}",
            "word ".repeat(100),
            "tail ".repeat(100)
        );
        let m = h(&["printer"])
            .snippet(&text, Some(Lang::English))
            .expect("matches");
        assert!(
            m.html.starts_with('…') && m.html.ends_with('…'),
            "{}",
            m.html
        );
        assert!(m.html.contains("<mark>printer</mark> jammed"));
        assert!(m.html.len() < 400);
    }

    #[test]
    fn no_match_no_snippet() {
        assert!(h(&["printer"]).snippet("nothing here", None).is_none());
    }

    #[test]
    fn fuzzy_words_match_one_edit_away() {
        let mut hl = Highlighter::new(
            &["pritner".into()],
            &["pritner".into()],
            Analyzers::default(),
        );
        let m = hl.snippet("my printer", None).expect("matches");
        assert_eq!(m.html, "my <mark>printer</mark>");
    }
}
