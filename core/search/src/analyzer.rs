//! How text becomes terms.
//!
//! Every text field comes twice: a *plain* field holds each word lowercased with its
//! accents, positions kept for phrases and snippets; a *stem* field holds each word
//! stemmed in the language of the text it came from, stop words dropped and accents
//! folded. A value of a stem field starts with a language tag ([`tag`]) that the stem
//! tokenizer reads, so one field holds messages in many languages. A query word is
//! looked up exactly in the plain fields and, stemmed in every language, in the stem
//! fields: `biljetter` finds `biljett` without knowing the query's language.

use tantivy::Index;
use tantivy::tokenizer::{
    AsciiFoldingFilter, BoxTokenStream, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    StopWordFilter, TextAnalyzer, Token, TokenStream, Tokenizer,
};

use crate::lang::Lang;

/// The tokenizer name of the plain fields.
pub const PLAIN: &str = "triage_plain";
/// The tokenizer name of the stem fields.
pub const STEM: &str = "triage_stem";

/// Words longer than this many bytes are not indexed (they are hashes, base64 or junk).
const LONGEST_WORD: usize = 60;

const TAG_START: char = '\u{1}';
const TAG_END: char = '\u{2}';

/// Prefixes a stem field value with the language its words are stemmed in.
pub fn tag(lang: Option<Lang>, text: &str) -> String {
    match lang {
        Some(l) => format!("{TAG_START}{}{TAG_END}{text}", l.code()),
        None => text.to_string(),
    }
}

fn untag(text: &str) -> (Option<Lang>, &str) {
    if let Some(rest) = text.strip_prefix(TAG_START)
        && let Some((code, body)) = rest.split_once(TAG_END)
    {
        return (Lang::parse(code), body);
    }
    (None, text)
}

/// The analyzer of the plain fields: words, lowercased.
pub fn plain() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(LONGEST_WORD))
        .filter(LowerCaser)
        .build()
}

/// The analyzer of a stem field for text in `lang`, or in no known language.
pub fn stemmed(lang: Option<Lang>) -> TextAnalyzer {
    let base = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(LONGEST_WORD))
        .filter(LowerCaser)
        .dynamic();
    let Some(lang) = lang else {
        return base.filter_dynamic(AsciiFoldingFilter).build();
    };
    let base = match StopWordFilter::new(lang.stemming()) {
        Some(stop) => base.filter_dynamic(stop),
        None => base,
    };
    base.filter_dynamic(Stemmer::new(lang.stemming()))
        .filter_dynamic(AsciiFoldingFilter)
        .build()
}

/// The tokenizer of the stem fields: reads the language tag and stems accordingly.
#[derive(Clone)]
pub struct StemTokenizer {
    by_lang: Vec<TextAnalyzer>,
    unknown: TextAnalyzer,
}

impl std::fmt::Debug for StemTokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StemTokenizer")
    }
}

impl Default for StemTokenizer {
    fn default() -> Self {
        StemTokenizer {
            by_lang: Lang::ALL.into_iter().map(|l| stemmed(Some(l))).collect(),
            unknown: stemmed(None),
        }
    }
}

impl Tokenizer for StemTokenizer {
    type TokenStream<'a> = BoxTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> BoxTokenStream<'a> {
        let (lang, body) = untag(text);
        match lang.and_then(|l| self.by_lang.get_mut(l.index())) {
            Some(analyzer) => analyzer.token_stream(body),
            None => self.unknown.token_stream(body),
        }
    }
}

/// Registers the analyzers on an index.
pub fn register(index: &Index) {
    let tokenizers = index.tokenizers();
    tokenizers.register(PLAIN, plain());
    tokenizers.register(STEM, TextAnalyzer::from(StemTokenizer::default()));
}

/// The words of a text, lowercased, with their byte offsets.
pub fn words(analyzer: &mut TextAnalyzer, text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while stream.advance() {
        out.push(stream.token().clone());
    }
    out
}

/// Analyzers for reading queries and building snippets; clone one per use.
#[derive(Clone)]
pub struct Analyzers {
    plain: TextAnalyzer,
    by_lang: Vec<TextAnalyzer>,
    unknown: TextAnalyzer,
    stop: Vec<Option<TextAnalyzer>>,
}

impl std::fmt::Debug for Analyzers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Analyzers")
    }
}

impl Default for Analyzers {
    fn default() -> Self {
        Analyzers {
            plain: plain(),
            by_lang: Lang::ALL.into_iter().map(|l| stemmed(Some(l))).collect(),
            unknown: stemmed(None),
            stop: Lang::ALL
                .into_iter()
                .map(|l| {
                    StopWordFilter::new(l.stemming()).map(|stop| {
                        TextAnalyzer::builder(SimpleTokenizer::default())
                            .filter(LowerCaser)
                            .filter(stop)
                            .build()
                    })
                })
                .collect(),
        }
    }
}

impl Analyzers {
    /// The plain words of a text.
    pub fn plain_words(&mut self, text: &str) -> Vec<Token> {
        words(&mut self.plain, text)
    }

    /// Every stem field term a single lowercased word may have been indexed as, over all
    /// languages, without duplicates.
    pub fn stems(&mut self, word: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for analyzer in self
            .by_lang
            .iter_mut()
            .chain(std::iter::once(&mut self.unknown))
        {
            for token in words(analyzer, word) {
                if !out.contains(&token.text) {
                    out.push(token.text);
                }
            }
        }
        out
    }

    /// The stem of a word in the language of the text it appears in.
    pub fn stem_in(&mut self, lang: Option<Lang>, word: &str) -> Option<String> {
        let analyzer = match lang.and_then(|l| self.by_lang.get_mut(l.index())) {
            Some(a) => a,
            None => &mut self.unknown,
        };
        words(analyzer, word).into_iter().next().map(|t| t.text)
    }

    /// Whether a word is a stop word in any language with a list.
    pub fn is_stop_word(&mut self, word: &str) -> bool {
        self.stop
            .iter_mut()
            .flatten()
            .any(|analyzer| words(analyzer, word).is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stem_terms(lang: Option<Lang>, text: &str) -> Vec<String> {
        let mut t = StemTokenizer::default();
        let tagged = tag(lang, text);
        let mut stream = t.token_stream(&tagged);
        let mut out = Vec::new();
        while stream.advance() {
            out.push(stream.token().text.clone());
        }
        out
    }

    #[test]
    fn inflections_share_a_stem_in_their_language() {
        let mut a = Analyzers::default();
        let pairs = [
            (Lang::Swedish, "biljetter", "biljett"),
            (Lang::Russian, "билеты", "билет"),
            (Lang::Romanian, "tichetele", "tichet"),
            (Lang::English, "printers", "printer"),
            (Lang::Danish, "fakturaerne", "faktura"),
            (Lang::Italian, "biglietti", "biglietto"),
            (Lang::German, "Rechnungen", "Rechnung"),
            (Lang::French, "factures", "facture"),
            (Lang::Spanish, "facturas", "factura"),
        ];
        for (lang, inflected, base) in pairs {
            let indexed = stem_terms(Some(lang), base);
            let query = a.stems(&inflected.to_lowercase());
            assert!(
                indexed.iter().any(|t| query.contains(t)),
                "{lang:?}: {inflected} -> {query:?} should meet {base} -> {indexed:?}"
            );
        }
    }

    #[test]
    fn stop_words_are_dropped_and_accents_folded_in_stem_fields() {
        assert_eq!(
            stem_terms(Some(Lang::English), "the printer"),
            vec!["printer"]
        );
        assert_eq!(stem_terms(None, "Café CRÈME"), vec!["cafe", "creme"]);
        // An unknown language tag is read as no language.
        assert_eq!(stem_terms(None, "\u{1}xx\u{2}Words"), vec!["words"]);
    }

    #[test]
    fn plain_words_keep_accents_and_offsets() {
        let mut a = Analyzers::default();
        let words = a.plain_words("Ärende: Счёт №5");
        let texts: Vec<&str> = words.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(texts, ["ärende", "счёт", "5"]);
        assert_eq!(
            &"Ärende: Счёт №5"[words[1].offset_from..words[1].offset_to],
            "Счёт"
        );
    }

    #[test]
    fn stop_words_are_known() {
        let mut a = Analyzers::default();
        assert!(a.is_stop_word("the"));
        assert!(a.is_stop_word("och"));
        assert!(!a.is_stop_word("printer"));
    }
}
