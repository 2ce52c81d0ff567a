//! Text to terms, as scikit-learn's `CountVectorizer` does it with its defaults: lowercase,
//! tokens matching `(?u)\b\w\w+\b`, stop words removed, then word n-grams joined by a space.
//!
//! `\w` is taken as Rust's `char::is_alphanumeric` or `_`. Python's `re` counts a character as
//! `\w` when `str.isalnum()` holds; the two agree everywhere except some combining marks that
//! Unicode calls alphabetic (vowel signs of Indic scripts, for instance), which Python treats as
//! separators.

use std::borrow::Cow;

use super::stop_words::is_english_stop_word;
use super::tfidf::{StopWords, TfidfParams};

pub(crate) fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The document lowercased when the params ask for it (borrowed when nothing changes).
pub(crate) fn normalize<'a>(doc: &'a str, params: &TfidfParams) -> Cow<'a, str> {
    if !params.lowercase {
        return Cow::Borrowed(doc);
    }
    if doc.is_ascii() {
        if doc.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(doc.to_ascii_lowercase())
        } else {
            Cow::Borrowed(doc)
        }
    } else {
        Cow::Owned(doc.to_lowercase())
    }
}

/// Tokens of two or more word characters, in order.
pub(crate) fn tokens(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        loop {
            let start = rest.find(is_word_char)?;
            let tail = &rest[start..];
            let len = tail.find(|c: char| !is_word_char(c)).unwrap_or(tail.len());
            let token = &tail[..len];
            rest = &tail[len..];
            // at least two characters (not bytes)
            if token.chars().nth(1).is_some() {
                return Some(token);
            }
        }
    })
}

/// Calls `emit` with every term of `text` (already normalized): unigrams then n-grams, exactly
/// in scikit-learn's order.
pub(crate) fn for_each_term<'a>(
    text: &'a str,
    params: &TfidfParams,
    mut emit: impl FnMut(Cow<'a, str>),
) {
    let kept: Vec<&'a str> = tokens(text)
        .filter(|t| match &params.stop_words {
            StopWords::None => true,
            StopWords::English => !is_english_stop_word(t),
            StopWords::Custom(list) => list.binary_search_by(|w| w.as_str().cmp(t)).is_err(),
        })
        .collect();
    let (min_n, max_n) = params.ngram_range;
    if min_n <= 1 {
        for &t in &kept {
            emit(Cow::Borrowed(t));
        }
    }
    for n in min_n.max(2)..=max_n.min(kept.len()) {
        for window in kept.windows(n) {
            emit(Cow::Owned(window.join(" ")));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_follow_the_default_pattern() {
        let got: Vec<&str> = tokens("a bb, c_d; x9 ü ée 'it's' e-mail").collect();
        assert_eq!(got, ["bb", "c_d", "x9", "ée", "it", "mail"]);
        assert_eq!(tokens("").count(), 0);
        assert_eq!(
            tokens("naïve café 東京").collect::<Vec<_>>(),
            ["naïve", "café", "東京"]
        );
    }

    #[test]
    fn ngrams_come_after_unigrams_and_skip_stop_words() {
        let params = TfidfParams::new()
            .ngram_range(1, 2)
            .stop_words(StopWords::English);
        let mut terms = Vec::new();
        for_each_term("the quick brown fox", &params, |t| {
            terms.push(t.into_owned())
        });
        assert_eq!(terms, ["quick", "brown", "fox", "quick brown", "brown fox"]);
        let params = TfidfParams::new().ngram_range(2, 3);
        let mut terms = Vec::new();
        for_each_term("aa bb", &params, |t| terms.push(t.into_owned()));
        assert_eq!(terms, ["aa bb"]);
    }

    #[test]
    fn lowercasing_borrows_when_it_can() {
        let p = TfidfParams::new();
        assert!(matches!(normalize("plain text", &p), Cow::Borrowed(_)));
        assert_eq!(normalize("Mixed ÄÖ", &p), "mixed äö");
        assert_eq!(
            normalize("KEEP", &TfidfParams::new().lowercase(false)),
            "KEEP"
        );
    }
}
