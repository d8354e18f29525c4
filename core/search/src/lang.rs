//! The languages the index stems, and detecting which one a text is written in.

use tantivy::tokenizer::Language as Stemming;
use whatlang::{Detector, Lang as Detected};

/// A language the index stems. Text in any other language is indexed word for word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lang {
    Arabic,
    Danish,
    Dutch,
    English,
    Finnish,
    French,
    German,
    Greek,
    Hungarian,
    Italian,
    Norwegian,
    Portuguese,
    Romanian,
    Russian,
    Spanish,
    Swedish,
    Tamil,
    Turkish,
}

impl Lang {
    /// Every stemmed language.
    pub const ALL: [Lang; 18] = [
        Lang::Arabic,
        Lang::Danish,
        Lang::Dutch,
        Lang::English,
        Lang::Finnish,
        Lang::French,
        Lang::German,
        Lang::Greek,
        Lang::Hungarian,
        Lang::Italian,
        Lang::Norwegian,
        Lang::Portuguese,
        Lang::Romanian,
        Lang::Russian,
        Lang::Spanish,
        Lang::Swedish,
        Lang::Tamil,
        Lang::Turkish,
    ];

    /// The ISO 639-1 code (`en`, `sv` …), as the `lang:` filter and the API use it.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Arabic => "ar",
            Lang::Danish => "da",
            Lang::Dutch => "nl",
            Lang::English => "en",
            Lang::Finnish => "fi",
            Lang::French => "fr",
            Lang::German => "de",
            Lang::Greek => "el",
            Lang::Hungarian => "hu",
            Lang::Italian => "it",
            Lang::Norwegian => "no",
            Lang::Portuguese => "pt",
            Lang::Romanian => "ro",
            Lang::Russian => "ru",
            Lang::Spanish => "es",
            Lang::Swedish => "sv",
            Lang::Tamil => "ta",
            Lang::Turkish => "tr",
        }
    }

    /// The English name, lowercase.
    pub fn name(self) -> &'static str {
        match self {
            Lang::Arabic => "arabic",
            Lang::Danish => "danish",
            Lang::Dutch => "dutch",
            Lang::English => "english",
            Lang::Finnish => "finnish",
            Lang::French => "french",
            Lang::German => "german",
            Lang::Greek => "greek",
            Lang::Hungarian => "hungarian",
            Lang::Italian => "italian",
            Lang::Norwegian => "norwegian",
            Lang::Portuguese => "portuguese",
            Lang::Romanian => "romanian",
            Lang::Russian => "russian",
            Lang::Spanish => "spanish",
            Lang::Swedish => "swedish",
            Lang::Tamil => "tamil",
            Lang::Turkish => "turkish",
        }
    }

    /// Reads a code (`sv`) or an English name (`swedish`), in any case.
    pub fn parse(s: &str) -> Option<Lang> {
        let s = s.trim().to_lowercase();
        Lang::ALL
            .into_iter()
            .find(|l| l.code() == s || l.name() == s)
    }

    pub(crate) fn stemming(self) -> Stemming {
        match self {
            Lang::Arabic => Stemming::Arabic,
            Lang::Danish => Stemming::Danish,
            Lang::Dutch => Stemming::Dutch,
            Lang::English => Stemming::English,
            Lang::Finnish => Stemming::Finnish,
            Lang::French => Stemming::French,
            Lang::German => Stemming::German,
            Lang::Greek => Stemming::Greek,
            Lang::Hungarian => Stemming::Hungarian,
            Lang::Italian => Stemming::Italian,
            Lang::Norwegian => Stemming::Norwegian,
            Lang::Portuguese => Stemming::Portuguese,
            Lang::Romanian => Stemming::Romanian,
            Lang::Russian => Stemming::Russian,
            Lang::Spanish => Stemming::Spanish,
            Lang::Swedish => Stemming::Swedish,
            Lang::Tamil => Stemming::Tamil,
            Lang::Turkish => Stemming::Turkish,
        }
    }

    pub(crate) fn algorithm(self) -> frostem::Algorithm {
        use frostem::Algorithm as A;
        match self {
            Lang::Arabic => A::Arabic,
            Lang::Danish => A::Danish,
            Lang::Dutch => A::Dutch,
            Lang::English => A::English,
            Lang::Finnish => A::Finnish,
            Lang::French => A::French,
            Lang::German => A::German,
            Lang::Greek => A::Greek,
            Lang::Hungarian => A::Hungarian,
            Lang::Italian => A::Italian,
            Lang::Norwegian => A::Norwegian,
            Lang::Portuguese => A::Portuguese,
            Lang::Romanian => A::Romanian,
            Lang::Russian => A::Russian,
            Lang::Spanish => A::Spanish,
            Lang::Swedish => A::Swedish,
            Lang::Tamil => A::Tamil,
            Lang::Turkish => A::Turkish,
        }
    }

    fn detected(self) -> Detected {
        match self {
            Lang::Arabic => Detected::Ara,
            Lang::Danish => Detected::Dan,
            Lang::Dutch => Detected::Nld,
            Lang::English => Detected::Eng,
            Lang::Finnish => Detected::Fin,
            Lang::French => Detected::Fra,
            Lang::German => Detected::Deu,
            Lang::Greek => Detected::Ell,
            Lang::Hungarian => Detected::Hun,
            Lang::Italian => Detected::Ita,
            Lang::Norwegian => Detected::Nob,
            Lang::Portuguese => Detected::Por,
            Lang::Romanian => Detected::Ron,
            Lang::Russian => Detected::Rus,
            Lang::Spanish => Detected::Spa,
            Lang::Swedish => Detected::Swe,
            Lang::Tamil => Detected::Tam,
            Lang::Turkish => Detected::Tur,
        }
    }

    /// A small number for storage in the index: its position in [`Lang::ALL`].
    pub(crate) fn index(self) -> usize {
        Lang::ALL.iter().position(|l| *l == self).unwrap_or(0)
    }
}

/// How many characters of a text detection looks at: enough for trigram statistics to
/// settle; more adds time, not accuracy.
const SAMPLE_CHARS: usize = 120;

fn detector() -> &'static Detector {
    static DETECTOR: std::sync::OnceLock<Detector> = std::sync::OnceLock::new();
    DETECTOR
        .get_or_init(|| Detector::with_allowlist(Lang::ALL.iter().map(|l| l.detected()).collect()))
}

/// Detects the language of a text among the stemmed languages; `None` when the text is
/// too short to tell or written in another language or script.
pub fn detect(text: &str) -> Option<Lang> {
    let sample: &str = match text.char_indices().nth(SAMPLE_CHARS) {
        Some((end, _)) => &text[..end],
        None => text,
    };
    if sample.chars().filter(|c| c.is_alphabetic()).count() < 3 {
        return None;
    }
    let info = detector().detect(sample)?;
    let lang = Lang::ALL
        .into_iter()
        .find(|l| l.detected() == info.lang())?;
    Some(scandinavian(lang, sample))
}

/// Trigrams tell Swedish from Norwegian and Danish poorly on short texts; their letters
/// tell them apart well: Swedish writes ä and ö, the others æ and ø.
fn scandinavian(lang: Lang, text: &str) -> Lang {
    if !matches!(lang, Lang::Swedish | Lang::Norwegian | Lang::Danish) {
        return lang;
    }
    let count = |set: &[char]| {
        text.chars()
            .filter(|c| set.contains(&c.to_lowercase().next().unwrap_or(*c)))
            .count()
    };
    let swedish = count(&['ä', 'ö']);
    let other = count(&['æ', 'ø']);
    match (swedish > 0, other > 0) {
        (true, false) => Lang::Swedish,
        (false, true) if lang == Lang::Swedish => Lang::Danish,
        _ => lang,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_the_languages_of_the_demo() {
        let cases = [
            (
                "Mina biljetter har inte kommit. Hej, jag har köpt två biljetter men fått inget mejl.",
                Lang::Swedish,
            ),
            (
                "I cannot log in to my account since the update yesterday, the password is rejected",
                Lang::English,
            ),
            (
                "Jag kan inte logga in på mitt konto sedan uppdateringen igår, lösenordet avvisas",
                Lang::Swedish,
            ),
            (
                "Jeg kan ikke logge ind på min konto siden opdateringen i går, adgangskoden afvises",
                Lang::Danish,
            ),
            (
                "Nu mă pot conecta la contul meu de la actualizarea de ieri, parola este respinsă",
                Lang::Romanian,
            ),
            (
                "Non riesco ad accedere al mio account dall'aggiornamento di ieri, la password viene rifiutata",
                Lang::Italian,
            ),
            (
                "Я не могу войти в свою учетную запись после вчерашнего обновления, пароль отклоняется",
                Lang::Russian,
            ),
        ];
        for (text, lang) in cases {
            assert_eq!(detect(text), Some(lang), "{text}");
        }
    }

    #[test]
    fn short_or_unknown_text_has_no_language() {
        assert_eq!(detect(""), None);
        assert_eq!(detect("12 34"), None);
        assert_eq!(detect("这是一个中文句子，没有词干。"), None);
    }

    #[test]
    fn codes_and_names_parse() {
        assert_eq!(Lang::parse("SV"), Some(Lang::Swedish));
        assert_eq!(Lang::parse("russian"), Some(Lang::Russian));
        assert_eq!(Lang::parse("xx"), None);
        for l in Lang::ALL {
            assert_eq!(Lang::parse(l.code()), Some(l));
        }
    }
}
