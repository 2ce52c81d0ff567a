//! Untrusted text never crashes the process: thousands of damaged CSV interaction files,
//! SVMlight / LETOR files, LightGBM text models and random Unicode documents, each an error or a
//! working value (used as a caller would), never a panic or a hang. Seeded, so a failure
//! reproduces; the bound on what a reader may allocate is checked by the readers' own tests
//! (`hardening.rs`): here every input is small, and so is what it may become.

use recsys_core::content::TfidfParams;
use recsys_core::gbdt::{Dataset, Gbdt, GbdtParams, Objective};
use recsys_core::popularity::Popularity;
use recsys_core::{CsvOptions, Interactions, RecommendOptions, Recommender, SplitMix64};

const ROUNDS: usize = 2000;

/// Bytes a damaged text file is likely to hold where it matters: digits, separators, signs,
/// exponents, the letters of `nan` / `inf`, line ends, and a few multi-byte characters.
const INTERESTING: &[&str] = &[
    "0",
    "1",
    "9",
    "-",
    "+",
    ".",
    "e",
    "E",
    ",",
    ":",
    " ",
    "\t",
    "\n",
    "\r\n",
    "n",
    "a",
    "i",
    "f",
    "=",
    "#",
    "\"",
    "é",
    "\u{feff}",
    "\u{2028}",
    "99999999999999999999",
    "-1",
    "1e39",
    "NaN",
    "inf",
];

/// `rounds` damaged copies of `text` (pieces replaced, inserted, removed, lines repeated or cut),
/// handed to `check`.
fn mutations(text: &str, rounds: usize, seed: u64, mut check: impl FnMut(&[u8])) {
    let mut rng = SplitMix64::new(seed);
    for _ in 0..rounds {
        let mut t = text.as_bytes().to_vec();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(t.len().max(1)).min(t.len());
            let piece = INTERESTING[rng.below(INTERESTING.len())].as_bytes();
            match rng.below(6) {
                0 | 1 if at < t.len() => t.splice(at..at + 1, piece.iter().copied()).for_each(drop),
                2 => t.splice(at..at, piece.iter().copied()).for_each(drop),
                3 if at < t.len() => {
                    t.remove(at);
                }
                4 => {
                    // a line repeated
                    let start = t[..at]
                        .iter()
                        .rposition(|&b| b == b'\n')
                        .map_or(0, |p| p + 1);
                    let end = t[at..]
                        .iter()
                        .position(|&b| b == b'\n')
                        .map_or(t.len(), |p| at + p + 1);
                    let line = t[start..end].to_vec();
                    t.splice(end..end, line).for_each(drop);
                }
                _ => t.truncate(at),
            }
        }
        check(&t);
    }
}

#[test]
fn damaged_csv_interactions_are_errors_or_working_data() {
    let mut text = String::from("user,item,value\n");
    for i in 0..40 {
        text.push_str(&format!("u{},{},{}\n", i % 7, (i * 5) % 11, 1 + i % 4));
    }
    let (mut ok, mut err) = (0, 0);
    for options in [
        CsvOptions::default(),
        CsvOptions {
            min_value: Some(2.0),
            ..CsvOptions::default()
        },
    ] {
        mutations(&text, ROUNDS, 1, |bytes| {
            match Interactions::from_csv(bytes, &options) {
                Ok(data) => {
                    ok += 1;
                    if let Ok(m) = Popularity::fit(&data) {
                        let users: Vec<_> = (0..data.n_users().min(3) as u32)
                            .map(|u| data.users().id(u))
                            .collect();
                        let lists = m
                            .recommend_batch(&users, &data, 5, &RecommendOptions::default())
                            .unwrap();
                        assert_eq!(lists.len(), users.len());
                    }
                }
                Err(e) => {
                    err += 1;
                    assert!(!e.to_string().is_empty());
                }
            }
        });
    }
    // the mutations reach both sides: most damaged files still parse, some do not
    assert!(ok > 100 && err > 100, "{ok} parsed, {err} refused");
}

#[test]
fn damaged_svmlight_and_letor_files_are_errors_or_working_data() {
    let mut rng = SplitMix64::new(3);
    let mut text = String::new();
    for q in 0..12 {
        for _ in 0..5 {
            text.push_str(&format!(
                "{} qid:{q} 1:{:.3} 2:{:.3} 4:{:.3} # doc\n",
                rng.below(3),
                rng.next_f32(),
                rng.next_f32(),
                rng.next_f32()
            ));
        }
    }
    let (mut ok, mut err) = (0, 0);
    mutations(&text, ROUNDS, 4, |bytes| {
        match Dataset::from_svmlight(bytes, None) {
            Ok(ds) => {
                ok += 1;
                let objective = if ds.groups().is_some() {
                    Objective::lambdarank()
                } else {
                    Objective::Regression
                };
                let params = GbdtParams::new(objective)
                    .num_iterations(2)
                    .min_data_in_leaf(2);
                if let Ok(model) = params.fit(&ds) {
                    let _ = model.predict(&ds);
                }
            }
            Err(_) => err += 1,
        }
    });
    assert!(ok > 100 && err > 100, "{ok} parsed, {err} refused");
}

#[test]
fn damaged_lightgbm_text_models_are_errors_or_working_models() {
    let mut rng = SplitMix64::new(5);
    let x: Vec<f32> = (0..900).map(|_| rng.next_f32() * 4.0).collect();
    let y: Vec<f32> = x
        .chunks(3)
        .map(|r| r[0] - r[1] + [3.0, -2.0, 5.0, -1.0][r[2] as usize])
        .collect();
    let ds = Dataset::new(x.clone(), 3, y).unwrap();
    let model = GbdtParams::new(Objective::Regression)
        .num_iterations(4)
        .num_leaves(6)
        .min_data_in_leaf(5)
        .min_data_per_group(5)
        .categorical_features(vec![2])
        .fit(&ds)
        .unwrap();
    let text = model.to_lightgbm_text();
    assert!(
        text.lines()
            .any(|l| l.starts_with("num_cat=") && l != "num_cat=0"),
        "the model has a categorical split to damage"
    );
    let rows = [0.5f32, 1.0, 2.0, f32::NAN, -1.0, 7.0, 1e30, 0.0, 1e9];
    let (mut ok, mut err) = (0, 0);
    mutations(&text, ROUNDS, 6, |bytes| {
        let Ok(text) = std::str::from_utf8(bytes) else {
            return;
        };
        match Gbdt::from_lightgbm_text(text) {
            Ok(m) => {
                ok += 1;
                if m.n_features() <= 3 {
                    let _ = m.predict_rows(&rows, 3);
                }
                // what recsys writes of a model it read reads back
                assert!(Gbdt::from_lightgbm_text(&m.to_lightgbm_text()).is_ok());
            }
            Err(e) => {
                err += 1;
                assert!(!e.to_string().is_empty());
            }
        }
    });
    assert!(ok > 100 && err > 100, "{ok} read, {err} refused");
}

/// A random string of code points from every plane that has characters: ASCII, Latin with
/// case mappings that change length (İ, ß), combining marks, right-to-left scripts, CJK,
/// emoji with joiners, private use, noncharacters, controls.
fn unicode_text(rng: &mut SplitMix64, len: usize) -> String {
    let ranges: &[(u32, u32)] = &[
        (0x20, 0x7e),
        (0x00, 0x1f),
        (0xc0, 0x24f),
        (0x130, 0x131),
        (0xdf, 0xdf),
        (0x300, 0x36f),
        (0x590, 0x6ff),
        (0x900, 0x97f),
        (0x3040, 0x30ff),
        (0x4e00, 0x9fff),
        (0xac00, 0xd7a3),
        (0x1f300, 0x1faff),
        (0x200b, 0x200f),
        (0xe000, 0xf8ff),
        (0xfff0, 0xffff),
        (0x10000, 0x10ffff),
    ];
    (0..len)
        .filter_map(|_| {
            let (lo, hi) = ranges[rng.below(ranges.len())];
            char::from_u32(lo + rng.below((hi - lo + 1) as usize) as u32)
        })
        .collect()
}

#[test]
fn any_unicode_through_the_tokenizer_is_a_vocabulary_or_an_error() {
    let mut rng = SplitMix64::new(7);
    for round in 0..300 {
        let n_docs = 1 + rng.below(6);
        let docs: Vec<String> = (0..n_docs)
            .map(|_| {
                let len = rng.below(60);
                unicode_text(&mut rng, len)
            })
            .collect();
        let params = match round % 3 {
            0 => TfidfParams::new(),
            1 => TfidfParams::new().ngram_range(1, 3),
            _ => TfidfParams::new().lowercase(false).sublinear_tf(true),
        };
        match params.fit_transform(&docs) {
            Ok((model, m)) => {
                assert_eq!(m.nrows(), docs.len());
                assert!(m.values().iter().all(|v| v.is_finite()));
                let other = [unicode_text(&mut rng, 80)];
                let t = model.transform(&other);
                assert!(t.values().iter().all(|v| v.is_finite()));
                let _ = model.completions(&unicode_text(&mut rng, 4), 5);
            }
            // only an empty vocabulary may refuse a document set
            Err(e) => assert!(matches!(e, recsys_core::Error::EmptyVocabulary(_)), "{e}"),
        }
    }
}
