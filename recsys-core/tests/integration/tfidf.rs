//! TF-IDF against values worked out by hand (and equal to scikit-learn 1.9's for the same
//! settings).

use recsys_core::Persist;
use recsys_core::content::{DocumentFrequency, Norm, StopWords, TfidfModel, TfidfParams};

const DOCS: [&str; 3] = [
    "The cat sat on the mat.",
    "The dog sat on the log!",
    "Cats and dogs: the best of friends.",
];

fn close(a: f32, b: f64) -> bool {
    ((a as f64) - b).abs() <= 1e-6 * b.abs().max(1e-6)
}

fn row(m: &recsys_core::Csr, model: &TfidfModel, r: usize) -> Vec<(String, f32)> {
    let (cols, vals) = m.row(r);
    cols.iter()
        .zip(vals)
        .map(|(&c, &v)| (model.vocabulary()[c as usize].clone(), v))
        .collect()
}

#[test]
fn default_settings_match_the_hand_computation() {
    let (model, m) = TfidfParams::new().fit_transform(&DOCS).unwrap();
    assert_eq!(
        model.vocabulary(),
        [
            "and", "best", "cat", "cats", "dog", "dogs", "friends", "log", "mat", "of", "on",
            "sat", "the"
        ]
    );
    // idf = ln((1 + n) / (1 + df)) + 1 with n = 3
    let (df1, df2, df3) = ((4f64 / 2.0).ln() + 1.0, (4f64 / 3.0).ln() + 1.0, 1.0);
    assert!((model.idf()[0] - df1).abs() < 1e-12);
    assert!((model.idf()[10] - df2).abs() < 1e-12);
    assert!((model.idf()[12] - df3).abs() < 1e-12);
    // doc 0: the x2, cat, sat, on, mat; L2-normalized
    let norm = (4.0 + 2.0 * df1 * df1 + 2.0 * df2 * df2).sqrt();
    let want = [
        ("cat", df1),
        ("mat", df1),
        ("on", df2),
        ("sat", df2),
        ("the", 2.0),
    ];
    let got = row(&m, &model, 0);
    assert_eq!(got.len(), want.len());
    for ((term, v), (wt, wv)) in got.iter().zip(want) {
        assert_eq!(term, wt);
        assert!(close(*v, wv / norm), "{term}: {v} vs {}", wv / norm);
    }
    assert!(close(got[4].1, 0.553641942)); // scikit-learn's figure
}

#[test]
fn options_stop_words_ngrams_sublinear_unsmoothed_l1() {
    let params = TfidfParams::new()
        .stop_words(StopWords::English)
        .ngram_range(1, 2)
        .sublinear_tf(true)
        .smooth_idf(false)
        .norm(Norm::L1);
    let (model, m) = params.fit_transform(&DOCS).unwrap();
    assert_eq!(
        model.vocabulary(),
        [
            "best",
            "best friends",
            "cat",
            "cat sat",
            "cats",
            "cats dogs",
            "dog",
            "dog sat",
            "dogs",
            "dogs best",
            "friends",
            "log",
            "mat",
            "sat",
            "sat log",
            "sat mat"
        ]
    );
    // doc 1 "dog sat log": terms dog, sat, log, "dog sat", "sat log"; idf = ln(n/df) + 1
    let (d1, d2) = ((3f64).ln() + 1.0, (1.5f64).ln() + 1.0);
    let total = 4.0 * d1 + d2;
    let got = row(&m, &model, 1);
    let want = [
        ("dog", d1),
        ("dog sat", d1),
        ("log", d1),
        ("sat", d2),
        ("sat log", d1),
    ];
    for ((term, v), (wt, wv)) in got.iter().zip(want) {
        assert_eq!(term, wt);
        assert!(close(*v, wv / total), "{term}");
    }
    assert!(close(got[3].1, 0.143416062)); // scikit-learn's figure

    // unseen words are ignored; known ones weighted as in training
    let q = model.transform(&["sat mat zebra"]);
    let got = row(&q, &model, 0);
    assert_eq!(
        got.iter().map(|g| g.0.as_str()).collect::<Vec<_>>(),
        ["mat", "sat", "sat mat"]
    );
    assert!(close(got[0].1, 0.374572287) && close(got[1].1, 0.250855426));
    let empty = model.transform(&["zebra"]);
    assert_eq!(empty.row(0).0.len(), 0);
}

#[test]
fn pruning_by_document_frequency_and_max_features() {
    let docs = ["aa bb cc", "aa bb", "aa dd", "aa bb ee"];
    let (m, _) = TfidfParams::new()
        .max_df(DocumentFrequency::Fraction(0.9))
        .fit_transform(&docs)
        .unwrap();
    assert!(!m.vocabulary().contains(&"aa".to_string()));
    let (m, _) = TfidfParams::new()
        .min_df(DocumentFrequency::Count(2))
        .fit_transform(&docs)
        .unwrap();
    assert_eq!(m.vocabulary(), ["aa", "bb"]);
    let (m, _) = TfidfParams::new()
        .max_features(Some(2))
        .fit_transform(&docs)
        .unwrap();
    assert_eq!(m.vocabulary(), ["aa", "bb"]);
}

#[test]
fn bad_settings_and_degenerate_corpora_are_named() {
    let e = TfidfParams::new().ngram_range(2, 1).fit(&DOCS).unwrap_err();
    assert_eq!(
        e.to_string(),
        "ngram_range must be (min, max) with 1 <= min <= max, got (2, 1)"
    );
    let e = TfidfParams::new()
        .min_df(DocumentFrequency::Fraction(1.5))
        .fit(&DOCS)
        .unwrap_err();
    assert!(e.to_string().starts_with("min_df must be"), "{e}");
    let e = TfidfParams::new()
        .max_features(Some(0))
        .fit(&DOCS)
        .unwrap_err();
    assert!(e.to_string().starts_with("max_features"), "{e}");
    let e = TfidfParams::new()
        .stop_words(StopWords::English)
        .fit(&["the and of", "a"])
        .unwrap_err();
    assert!(matches!(e, recsys_core::Error::EmptyVocabulary(_)), "{e}");
    let e = TfidfParams::new()
        .min_df(DocumentFrequency::Count(5))
        .fit(&DOCS)
        .unwrap_err();
    assert!(e.to_string().contains("max_df"), "{e}");
    let e = TfidfParams::new()
        .min_df(DocumentFrequency::Count(3))
        .max_df(DocumentFrequency::Count(3))
        .fit(&["aa", "aa", "bb"])
        .unwrap_err();
    assert!(e.to_string().contains("no terms remain"), "{e}");
}

#[test]
fn model_round_trips_through_bytes() {
    let model = TfidfParams::new().ngram_range(1, 2).fit(&DOCS).unwrap();
    let back = TfidfModel::from_bytes(&model.to_bytes().unwrap()).unwrap();
    assert_eq!(back.vocabulary(), model.vocabulary());
    assert_eq!(back.transform(&DOCS), model.transform(&DOCS));
}
