//! Untrusted input never crashes the process: sizes far beyond what exists, files that ask for
//! more memory than they hold, and thousands of damaged model files (with a valid checksum, so
//! they reach the decoder and the invariant checks), each an error or a working model.

use crate::common;

use recsys_core::als::{AlsParams, ImplicitAls};
use recsys_core::content::{ContentParams, ContentRecommender, TfidfParams};
use recsys_core::eval::{ranking_metrics_at_k, train_test_split};
use recsys_core::factory::{AnyRecommender, RecommenderConfig};
use recsys_core::gbdt::{Dataset, GbdtParams, Objective};
use recsys_core::kmeans::KMeansParams;
use recsys_core::popularity::Popularity;
use recsys_core::{
    Error, Id, Interactions, ItemFilter, Persist, RecommendOptions, Recommender, Scored, SplitMix64,
};

const HUGE: usize = 1 << 40;

fn data() -> Interactions {
    common::planted(60, 40, 4, 8, 1)
}

fn als(data: &Interactions) -> ImplicitAls {
    AlsParams::new()
        .factors(4)
        .iterations(3)
        .seed(1)
        .fit(data)
        .unwrap()
}

#[test]
fn a_list_length_beyond_the_catalog_returns_the_catalog() {
    let data = data();
    let opts = RecommendOptions::default();
    let user = Id::from("u1");
    let pop = Popularity::fit(&data).unwrap();
    let models: Vec<Box<dyn Recommender>> = vec![Box::new(als(&data)), Box::new(pop)];
    for m in &models {
        let list = m.recommend(&user, &data, HUGE, &opts).unwrap();
        assert!(
            !list.is_empty() && list.len() <= data.n_items(),
            "{}",
            m.kind()
        );
        let batch = m
            .recommend_batch(&[user.clone(), Id::from("u2")], &data, usize::MAX, &opts)
            .unwrap();
        assert_eq!(batch.len(), 2);
        let similar = m
            .similar_items(&Id::from("i3"), HUGE, &ItemFilter::default())
            .unwrap();
        assert!(similar.len() <= data.n_items());
    }
}

#[test]
fn metrics_at_a_huge_k_cost_nothing_and_match_k_at_the_catalog_size() {
    let data = data();
    let (train, test) = train_test_split(&data, 0.8, 3).unwrap();
    let m = als(&train);
    let huge = ranking_metrics_at_k(&m, &train, &test, HUGE).unwrap();
    for v in [huge.precision, huge.map, huge.ndcg, huge.auc, huge.coverage] {
        assert!(v.is_finite() && (0.0..=1.0).contains(&v), "{huge:?}");
    }
    // past the catalog every rank is empty: precision, MAP and NDCG stop changing
    let all = ranking_metrics_at_k(&m, &train, &test, train.n_items()).unwrap();
    assert_eq!(
        (huge.precision, huge.map, huge.ndcg),
        (all.precision, all.map, all.ndcg)
    );
}

#[test]
fn an_svmlight_file_cannot_ask_for_more_memory_than_it_holds() {
    for (text, want) in [
        ("1 1:0.5 2147483647:1\n", "rows x"),
        ("1 99999999999999:1\n", "most LightGBM reads"),
        ("1 1:1\n0 18446744073709551615:1\n", "most LightGBM reads"),
    ] {
        let err = Dataset::from_svmlight(text.as_bytes(), None).unwrap_err();
        assert!(err.to_string().contains(want), "{text:?}: {err}");
    }
    // a width given by the caller is bounded the same way
    let err = Dataset::from_svmlight("1 1:1\n".as_bytes(), Some(usize::MAX)).unwrap_err();
    assert!(matches!(err, Error::Shape(_)), "{err}");
    // and a caller's shape that overflows is an error, not a panic
    assert!(Dataset::new(vec![0.0; 4], usize::MAX, vec![1.0, 2.0]).is_err());
}

/// Replaces a model file's payload and fixes its length and checksum, as a buggy writer or a
/// crafted file would.
fn with_payload(file: &[u8], kind: &str, payload: &[u8]) -> Vec<u8> {
    let header = 8 + 4 + 1 + kind.len() + 4;
    let mut out = file[..header].to_vec();
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(payload);
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// `rounds` damaged copies of `file`'s payload (bytes changed, inserted, removed, runs cut),
/// each with a valid checksum, handed to `check`.
fn mutations(file: &[u8], kind: &str, rounds: usize, seed: u64, mut check: impl FnMut(&[u8])) {
    let header = 8 + 4 + 1 + kind.len() + 4 + 8;
    let payload = &file[header..file.len() - 4];
    let mut rng = SplitMix64::new(seed);
    for _ in 0..rounds {
        let mut p = payload.to_vec();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(p.len().max(1));
            match rng.below(5) {
                0 | 1 if !p.is_empty() => p[at] = rng.below(256) as u8,
                // the largest varints: a length or count of 2^32 - 1 or more
                2 if !p.is_empty() => p
                    .splice(at..at + 1, [0xff, 0xff, 0xff, 0xff, 0x0f])
                    .for_each(drop),
                3 => p.insert(at.min(p.len()), rng.below(256) as u8),
                _ if !p.is_empty() => p.truncate(at.max(1)),
                _ => {}
            }
        }
        check(&with_payload(file, kind, &p));
    }
}

const ROUNDS: usize = 1500;

/// Loads a damaged file as `M`; if it loads, uses it as a caller would.
fn survive<M: Persist>(bytes: &[u8], use_it: impl Fn(&M)) {
    match M::from_bytes(bytes) {
        Ok(m) => use_it(&m),
        Err(
            Error::CorruptModel(_) | Error::UnsupportedVersion { .. } | Error::InvalidParam { .. },
        ) => {}
        Err(e) => panic!("a damaged file gave an unexpected error: {e}"),
    }
}

/// Uses a model that loaded from damaged bytes as a caller would: every answer is a list a
/// caller can use (at most `n` items the model knows, each once, finite scores, best first) or
/// an error that says the id is unknown; never a panic, a NaN or an id from nowhere.
fn serve(m: &dyn Recommender, data: &Interactions) {
    let opts = RecommendOptions::default();
    for id in ["u0", "u7", "nobody"] {
        usable(m, m.recommend(&Id::from(id), data, 10, &opts), 10);
    }
    match m.recommend_batch(&[Id::from("u1"), Id::from("u2")], data, 5, &opts) {
        Ok(lists) => {
            assert_eq!(lists.len(), 2, "one list per user");
            for list in lists {
                usable(m, Ok(list), 5);
            }
        }
        Err(e) => usable(m, Err(e), 5),
    }
    usable(
        m,
        m.similar_items(&Id::from("i2"), 5, &ItemFilter::default()),
        5,
    );
}

fn usable(m: &dyn Recommender, answer: recsys_core::Result<Vec<Scored>>, n: usize) {
    let list = match answer {
        Ok(list) => list,
        Err(Error::UnknownUser(_) | Error::UnknownItem(_)) => return,
        Err(e) => panic!("a model that loaded answered with an unexpected error: {e}"),
    };
    assert!(list.len() <= n, "{} items for n = {n}", list.len());
    let mut seen = std::collections::HashSet::new();
    for (i, s) in list.iter().enumerate() {
        assert!(s.score.is_finite(), "score {} of {:?}", s.score, s.id);
        assert!(
            m.item_ids().index(&s.id).is_some(),
            "{:?} is not the '{}' model's",
            s.id,
            m.kind()
        );
        assert!(seen.insert(&s.id), "{:?} twice", s.id);
        if i > 0 {
            assert!(list[i - 1].score >= s.score, "not best first: {list:?}");
        }
    }
}

#[test]
fn damaged_recommender_files_are_errors_or_working_models() {
    let data = data();
    let catalog = common::planted_catalog(40, 4, 2);
    let hybrid = RecommenderConfig::named("hybrid").unwrap();
    let m = hybrid
        .fit(&data, Some(&std::sync::Arc::new(catalog.clone())))
        .unwrap();
    serve(&m, &data);
    let file = m.to_bytes().unwrap();
    mutations(&file, "recommender", ROUNDS, 11, |b| {
        survive::<AnyRecommender>(b, |m| serve(m, &data))
    });

    let file = als(&data).to_bytes().unwrap();
    mutations(&file, "implicit_als", ROUNDS, 12, |b| {
        survive::<ImplicitAls>(b, |m| serve(m, &data))
    });

    let pop = Popularity::fit(&data).unwrap();
    let file = pop.to_bytes().unwrap();
    mutations(&file, "popularity", ROUNDS, 13, |b| {
        survive::<Popularity>(b, |m| serve(m, &data))
    });

    let content = ContentParams::new().fit(catalog).unwrap();
    let file = content.to_bytes().unwrap();
    mutations(&file, "content", ROUNDS, 14, |b| {
        survive::<ContentRecommender>(b, |m| {
            serve(m, &data);
            usable(m, Ok(m.search("g1w1 shared0", 5)), 5);
            usable(m, Ok(m.search_prefix("g1w", 5)), 5);
        })
    });
}

#[test]
fn damaged_tfidf_kmeans_and_gbdt_files_are_errors_or_working_models() {
    let docs = [
        "the red fox",
        "a quick brown fox",
        "lazy dogs sleep",
        "red dogs run quick",
    ];
    let (tfidf, _) = TfidfParams::new().fit_transform(&docs).unwrap();
    let file = tfidf.to_bytes().unwrap();
    mutations(&file, "tfidf", ROUNDS, 21, |b| {
        survive::<recsys_core::content::TfidfModel>(b, |m| {
            let rows = m.transform(&docs);
            assert!(
                rows.values().iter().all(|v| v.is_finite()),
                "a weight is not finite"
            );
            let (_, completions) = m.completions("red f", 8);
            assert!(completions.len() <= 8);
        })
    });

    let points: Vec<f32> = (0..120).map(|i| ((i * 7) % 13) as f32).collect();
    let km = KMeansParams::new(3).seed(1).fit(&points, 2).unwrap();
    let file = km.to_bytes().unwrap();
    mutations(&file, "kmeans", ROUNDS, 22, |b| {
        survive::<recsys_core::kmeans::KMeans>(b, |m| {
            if let Ok(labels) = m.predict(&points) {
                assert_eq!(labels.len(), points.len() / 2);
                assert!(labels.iter().all(|&l| (l as usize) < m.n_clusters()));
            }
        })
    });

    let mut rng = SplitMix64::new(5);
    let x: Vec<f32> = (0..600).map(|_| rng.next_f32()).collect();
    let y: Vec<f32> = x.chunks(3).map(|r| r[0] * 2.0 - r[1]).collect();
    let ds = Dataset::new(x.clone(), 3, y).unwrap();
    let gbdt = GbdtParams::new(Objective::Regression)
        .num_iterations(5)
        .fit(&ds)
        .unwrap();
    let file = gbdt.to_bytes().unwrap();
    mutations(&file, "gbdt", ROUNDS, 23, |b| {
        survive::<recsys_core::gbdt::Gbdt>(b, |m| {
            for predicted in [m.predict(&ds), m.predict_rows(&x[..30], 3)] {
                let Ok(predicted) = predicted else { continue };
                assert!(
                    predicted.iter().all(|p| p.is_finite()),
                    "a prediction is not finite"
                );
            }
        })
    });
}

#[test]
fn a_file_nesting_hybrids_is_refused_before_it_exhausts_the_stack() {
    let data = data();
    let pop = AnyRecommender::Popular(Popularity::fit(&data).unwrap());
    let file = pop.to_bytes().unwrap();
    // AnyRecommender::Hybrid (variant 3) holding one member, a hybrid again, 200,000 deep
    let nested: Vec<u8> = std::iter::repeat_n([3u8, 1u8], 200_000).flatten().collect();
    let err = AnyRecommender::from_bytes(&with_payload(&file, "recommender", &nested)).unwrap_err();
    assert!(matches!(err, Error::CorruptModel(_)), "{err}");
    // nor can one be built
    let inner = RecommenderConfig::named("hybrid").unwrap();
    let outer = RecommenderConfig::Hybrid {
        members: vec![recsys_core::factory::HybridMember {
            weight: 1.0,
            model: inner,
        }],
    };
    assert!(
        outer
            .validate()
            .unwrap_err()
            .to_string()
            .contains("cannot be a member")
    );
}

/// A CSR matrix's fields as a writer lays them out, to write inconsistent ones.
#[derive(serde::Serialize)]
struct RawCsr {
    nrows: usize,
    ncols: usize,
    indptr: Vec<usize>,
    indices: Vec<u32>,
    values: Vec<f32>,
}

#[test]
fn a_csr_in_a_file_is_checked_before_use() {
    let decode =
        |m: RawCsr| postcard::from_bytes::<recsys_core::Csr>(&postcard::to_allocvec(&m).unwrap());
    let ok = RawCsr {
        nrows: 2,
        ncols: 3,
        indptr: vec![0, 2, 3],
        indices: vec![0, 2, 1],
        values: vec![1.0; 3],
    };
    let m = decode(ok).unwrap();
    assert_eq!(m.row(1).0, &[1]);
    for bad in [
        // offsets past the entries, decreasing, not starting at 0
        RawCsr {
            nrows: 2,
            ncols: 3,
            indptr: vec![0, 2, 9],
            indices: vec![0, 2, 1],
            values: vec![1.0; 3],
        },
        RawCsr {
            nrows: 2,
            ncols: 3,
            indptr: vec![0, 3, 2],
            indices: vec![0, 1, 2],
            values: vec![1.0; 3],
        },
        RawCsr {
            nrows: 1,
            ncols: 3,
            indptr: vec![1, 3],
            indices: vec![0, 1, 2],
            values: vec![1.0; 3],
        },
        // a row count the offsets do not have (usize::MAX + 1 overflows)
        RawCsr {
            nrows: usize::MAX,
            ncols: 3,
            indptr: vec![0],
            indices: vec![],
            values: vec![],
        },
        // a column outside the width, unsorted or repeated columns, values missing
        RawCsr {
            nrows: 1,
            ncols: 2,
            indptr: vec![0, 1],
            indices: vec![5],
            values: vec![1.0],
        },
        RawCsr {
            nrows: 1,
            ncols: 3,
            indptr: vec![0, 2],
            indices: vec![2, 0],
            values: vec![1.0; 2],
        },
        RawCsr {
            nrows: 1,
            ncols: 3,
            indptr: vec![0, 2],
            indices: vec![1, 1],
            values: vec![1.0; 2],
        },
        RawCsr {
            nrows: 1,
            ncols: 3,
            indptr: vec![0, 2],
            indices: vec![0, 1],
            values: vec![1.0],
        },
    ] {
        assert!(decode(bad).is_err());
    }
}
