//! How text becomes terms.
//!
//! Each text field holds every word twice over at the same position: the word itself,
//! lowercased with its accents (for exact matches and phrases), and — when it differs —
//! its *variant*: the word stemmed in the language of the text it came from and with its
//! accents folded, prefixed with [`VARIANT`]. A value starts with a language tag
//! ([`tag`]) that the tokenizer reads, so one field holds messages in many languages.
//! A query word is looked up as itself and, stemmed in every language, as a variant:
//! `biljetter` finds `biljett` without knowing the query's language, in one field and one
//! pass over the text at indexing time.

use std::collections::HashMap;

use tantivy::Index;
use tantivy::tokenizer::{
    LowerCaser, RemoveLongFilter, SimpleTokenizer, StopWordFilter, TextAnalyzer, Token,
    TokenStream, Tokenizer,
};

use crate::lang::Lang;

/// The tokenizer name of the text fields.
pub const TEXT: &str = "triage_text";

/// The first character of a variant term; never part of a word.
pub const VARIANT: char = '~';

/// Words longer than this many bytes are not indexed (they are hashes, base64 or junk).
const LONGEST_WORD: usize = 60;

/// Distinct words whose variant a tokenizer remembers, per language.
const CACHE_WORDS: usize = 100_000;

const TAG_START: char = '\u{1}';
const TAG_END: char = '\u{2}';

/// Prefixes a field value with the language its words are stemmed in.
pub fn tag(lang: Option<Lang>, text: &str) -> String {
    match lang {
        Some(l) => format!("{TAG_START}{}{TAG_END}{text}", l.code()),
        None => text.to_string(),
    }
}

/// Splits a tagged value into its language and its text.
pub fn untag(text: &str) -> (Option<Lang>, &str) {
    if let Some(rest) = text.strip_prefix(TAG_START)
        && let Some((code, body)) = rest.split_once(TAG_END)
    {
        return (Lang::parse(code), body);
    }
    (None, text)
}

/// Words, lowercased.
pub fn plain() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(LONGEST_WORD))
        .filter(LowerCaser)
        .build()
}

/// Folds the accents of Latin letters (`é` → `e`, `ß` → `ss`, `ș` → `s`); other scripts
/// are left as they are.
pub fn fold(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    for c in word.chars() {
        let folded = match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
            'ç' | 'ć' | 'č' => "c",
            'ď' | 'đ' => "d",
            'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => "e",
            'ì' | 'í' | 'î' | 'ï' | 'ī' | 'į' | 'ı' => "i",
            'ł' | 'ľ' | 'ĺ' => "l",
            'ñ' | 'ń' | 'ň' => "n",
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => "o",
            'ř' | 'ŕ' => "r",
            'ś' | 'š' | 'ş' | 'ș' => "s",
            'ß' => "ss",
            'ť' | 'ţ' | 'ț' => "t",
            'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' | 'ų' => "u",
            'ý' | 'ÿ' => "y",
            'ź' | 'ż' | 'ž' => "z",
            'æ' => "ae",
            'œ' => "oe",
            'þ' => "th",
            _ => {
                out.push(c);
                continue;
            }
        };
        out.push_str(folded);
    }
    out
}

/// Stems words, one stemmer per language, remembering recent words.
#[derive(Clone)]
pub struct Stems {
    stemmers: Vec<frostem::Stemmer>,
    cache: Vec<HashMap<String, String>>,
}

impl std::fmt::Debug for Stems {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Stems")
    }
}

impl Default for Stems {
    fn default() -> Self {
        Stems {
            stemmers: Lang::ALL
                .into_iter()
                .map(|l| frostem::Stemmer::new(l.algorithm()))
                .collect(),
            cache: vec![HashMap::new(); Lang::ALL.len() + 1],
        }
    }
}

impl Stems {
    /// The stem of a lowercased word in `lang` (no language: the word), accents folded.
    pub fn stem<'a>(&'a mut self, lang: Option<Lang>, word: &'a str) -> &'a str {
        let slot = lang.map(Lang::index).unwrap_or(Lang::ALL.len());
        let Stems { stemmers, cache } = self;
        let Some(cache) = cache.get_mut(slot) else {
            return word;
        };
        if !cache.contains_key(word) {
            if cache.len() >= CACHE_WORDS {
                cache.clear();
            }
            let stem = match lang.and_then(|l| stemmers.get(l.index())) {
                Some(s) => fold(&s.stem(word)),
                None => fold(word),
            };
            cache.insert(word.to_string(), stem);
        }
        cache.get(word).map(String::as_str).unwrap_or(word)
    }
}

/// The tokenizer of the text fields: reads the language tag and emits each word and, at
/// the same position, its variant where it differs.
#[derive(Clone)]
pub struct TextTokenizer {
    plain: TextAnalyzer,
    stems: Stems,
    tokens: Vec<Token>,
}

impl std::fmt::Debug for TextTokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TextTokenizer")
    }
}

impl Default for TextTokenizer {
    fn default() -> Self {
        TextTokenizer {
            plain: plain(),
            stems: Stems::default(),
            tokens: Vec::new(),
        }
    }
}

/// The tokens of one value, already computed.
#[derive(Debug)]
pub struct Tokens<'a> {
    tokens: &'a mut [Token],
    next: usize,
}

impl TokenStream for Tokens<'_> {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

/// The next reusable token of `tokens`, so that indexing a value allocates nothing once
/// the buffer has grown.
fn slot(tokens: &mut Vec<Token>, n: usize) -> &mut Token {
    if n == tokens.len() {
        tokens.push(Token::default());
    }
    &mut tokens[n]
}

impl Tokenizer for TextTokenizer {
    type TokenStream<'a> = Tokens<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Tokens<'a> {
        let (lang, body) = untag(text);
        let shift = text.len() - body.len();
        let TextTokenizer {
            plain,
            stems,
            tokens,
        } = self;
        let mut n = 0;
        let mut stream = plain.token_stream(body);
        while stream.advance() {
            let t = stream.token();
            let variant = stems.stem(lang, &t.text);
            let differs = variant != t.text;
            for (i, text) in [Some(t.text.as_str()), differs.then_some(variant)]
                .into_iter()
                .enumerate()
            {
                let Some(text) = text else { continue };
                let out = slot(tokens, n);
                out.offset_from = t.offset_from + shift;
                out.offset_to = t.offset_to + shift;
                out.position = t.position;
                out.position_length = t.position_length;
                out.text.clear();
                if i == 1 {
                    out.text.push(VARIANT);
                }
                out.text.push_str(text);
                n += 1;
            }
        }
        Tokens {
            tokens: &mut tokens[..n],
            next: 0,
        }
    }
}

/// Registers the analyzers on an index.
pub fn register(index: &Index) {
    index
        .tokenizers()
        .register(TEXT, TextAnalyzer::from(TextTokenizer::default()));
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
    stems: Stems,
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
            stems: Stems::default(),
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

    /// Every stem a lowercased word has over all languages (and itself with accents
    /// folded), without duplicates.
    pub fn stems(&mut self, word: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for lang in Lang::ALL.into_iter().map(Some).chain(std::iter::once(None)) {
            let s = self.stems.stem(lang, word);
            if !s.is_empty() && !out.iter().any(|o| o == s) {
                out.push(s.to_string());
            }
        }
        out
    }

    /// The stem of a word in the language of the text it appears in, accents folded.
    pub fn stem_in(&mut self, lang: Option<Lang>, word: &str) -> String {
        self.stems.stem(lang, word).to_string()
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

    fn terms(lang: Option<Lang>, text: &str) -> Vec<(String, usize)> {
        let mut t = TextTokenizer::default();
        let tagged = tag(lang, text);
        let mut stream = t.token_stream(&tagged);
        let mut out = Vec::new();
        while stream.advance() {
            out.push((stream.token().text.clone(), stream.token().position));
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
            let indexed: Vec<String> = terms(Some(lang), base).into_iter().map(|t| t.0).collect();
            let stems = a.stems(&inflected.to_lowercase());
            let query: Vec<String> = stems
                .iter()
                .flat_map(|s| [s.clone(), format!("{VARIANT}{s}")])
                .collect();
            assert!(
                indexed.iter().any(|t| query.contains(t)),
                "{lang:?}: {inflected} -> {query:?} should meet {base} -> {indexed:?}"
            );
        }
    }

    #[test]
    fn words_and_their_variants_share_a_position() {
        assert_eq!(
            terms(Some(Lang::English), "The printers"),
            vec![
                ("the".to_string(), 0),
                ("printers".to_string(), 1),
                ("~printer".to_string(), 1)
            ]
        );
        assert_eq!(
            terms(None, "Café CRÈME"),
            vec![
                ("café".to_string(), 0),
                ("~cafe".to_string(), 0),
                ("crème".to_string(), 1),
                ("~creme".to_string(), 1)
            ]
        );
        // An unknown language tag is read as no language.
        assert_eq!(
            terms(None, "\u{1}xx\u{2}Words"),
            vec![("words".to_string(), 0)]
        );
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

    #[test]
    fn folding_keeps_other_scripts() {
        assert_eq!(fold("ștergeți"), "stergeti");
        assert_eq!(fold("straße"), "strasse");
        assert_eq!(fold("счёт"), "счёт");
    }
}
