//! Content recommender behaviour: similar items by text, search, user profiles, validation.

use crate::common;

use recsys_core::content::{Catalog, ContentParams, ContentRecommender, top_k_cosine};
use recsys_core::eval::{ranking_metrics_at_k, train_test_split};
use recsys_core::popularity::Popularity;
use recsys_core::{Error, Id, Interactions, ItemFilter, Persist, RecommendOptions, Recommender};

fn group(id: &Id) -> usize {
    id.to_string()[1..].parse::<usize>().unwrap() % 4
}

fn fitted() -> ContentRecommender {
    ContentParams::new()
        .fit(common::planted_catalog(200, 4, 2))
        .unwrap()
}

#[test]
fn similar_items_share_the_group_words_even_without_interactions() {
    let m = fitted();
    let sim = m
        .similar_items(&Id::from("i6"), 6, &ItemFilter::default())
        .unwrap();
    assert_eq!(sim[0].id, Id::from("i6"));
    assert!((sim[0].score - 1.0).abs() < 1e-5);
    assert!(sim.iter().all(|s| group(&s.id) == 2), "{sim:?}");
}

#[test]
fn search_finds_items_by_their_words() {
    let m = fitted();
    let hits = m.search("G3W1 g3w2", 10);
    assert!(!hits.is_empty());
    assert!(hits.iter().all(|s| group(&s.id) == 3 && s.score > 0.0));
    assert!(m.search("nothing-like-this", 10).is_empty());
}

#[test]
fn search_as_you_type_completes_the_last_word() {
    let mut catalog = Catalog::new(&["name"]);
    for (id, name) in [
        ("sw", "Star Wars"),
        ("sk", "Star Kid"),
        ("sm", "Star Maps"),
        ("ww", "War of the Worlds"),
        ("fa", "Fargo"),
    ] {
        catalog.push(id, &[name]).unwrap();
    }
    let m = ContentParams::new().fit(catalog).unwrap();
    let ids = |hits: Vec<recsys_core::Scored>| {
        hits.into_iter()
            .map(|s| s.id.to_string())
            .collect::<Vec<_>>()
    };
    // a finished search needs whole words: "wa" is none, the three stars tie
    let full = m.search("star wa", 5);
    assert_eq!(full.len(), 3);
    assert!((full[0].score - full[2].score).abs() < 1e-6);
    // typing: "wa" begins "wars" (and "war"), so Star Wars leads
    let typed = m.search_prefix("star wa", 5);
    assert_eq!(typed[0].id.to_string(), "sw");
    assert!(typed[0].score > typed[1].score + 1e-3);
    assert!(
        ids(typed).contains(&"ww".to_string()),
        "War of the Worlds matches 'wa'"
    );
    assert_eq!(ids(m.search_prefix("FAR", 5)), ["fa"]);
    assert_eq!(ids(m.search_prefix("Fargo", 5)), ["fa"]);
    // a trailing space means the word is finished
    assert!(m.search_prefix("far ", 5).is_empty());
    assert!(m.search_prefix("zzz", 5).is_empty());
    assert!(m.search_prefix("", 5).is_empty());
    assert!(m.search_prefix("星", 5).is_empty());
}

#[test]
fn user_profiles_recommend_their_taste_well_above_popularity() {
    let data = common::planted(400, 200, 4, 12, 3);
    let (train, test) = train_test_split(&data, 0.8, 1).unwrap();
    let content = ContentParams::new()
        .fit(common::planted_catalog(200, 4, 2))
        .unwrap();
    let pop = Popularity::fit(&train).unwrap();
    let c = ranking_metrics_at_k(&content, &train, &test, 10).unwrap();
    let p = ranking_metrics_at_k(&pop, &train, &test, 10).unwrap();
    assert!(
        c.precision > 1.5 * p.precision,
        "content {c:?} vs popularity {p:?}"
    );
    // a user's list is dominated by their group (u % 4)
    let recs = content
        .recommend(&Id::from("u2"), &train, 10, &RecommendOptions::default())
        .unwrap();
    assert!(
        recs.iter().filter(|s| group(&s.id) == 2).count() >= 8,
        "{recs:?}"
    );
}

#[test]
fn field_weights_and_catalog_are_validated() {
    let e = ContentParams::new()
        .field_weight("colour", 1.0)
        .fit(common::planted_catalog(10, 2, 1))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "field_weights must be names of catalog fields, got colour"
    );
    assert!(matches!(
        ContentParams::new()
            .field_weight("title", -1.0)
            .fit(common::planted_catalog(10, 2, 1)),
        Err(Error::InvalidParam {
            param: "field_weights",
            ..
        })
    ));
    let mut c = Catalog::new(&["title"]);
    c.push("a", &["x y"]).unwrap();
    assert!(
        c.push("a", &["again"])
            .unwrap_err()
            .to_string()
            .contains("already in the catalog")
    );
    assert!(
        c.push("b", &["one", "two"])
            .unwrap_err()
            .to_string()
            .contains("2 texts for 1 fields")
    );
    assert!(ContentParams::new().fit(Catalog::new(&["title"])).is_err());
    let mut stop_only = Catalog::new(&["title"]);
    stop_only.push("a", &["a"]).unwrap();
    assert!(matches!(
        ContentParams::new().fit(stop_only),
        Err(Error::EmptyVocabulary(_))
    ));
}

#[test]
fn a_loaded_model_answers_without_its_catalog() {
    let m = fitted();
    let back = ContentRecommender::from_bytes(&m.to_bytes().unwrap()).unwrap();
    assert_eq!(
        back.similar_items(&Id::from("i9"), 5, &ItemFilter::default())
            .unwrap(),
        m.similar_items(&Id::from("i9"), 5, &ItemFilter::default())
            .unwrap()
    );
    assert_eq!(back.search("g1w1", 3), m.search("g1w1", 3));
}

/// Scores are summed in one buffer per thread, shared by lists, similar items and search, and
/// by models of other sizes: whatever ran before on the thread, the answers are the same.
#[test]
fn answers_do_not_depend_on_what_the_thread_scored_before() {
    let data = common::planted(400, 200, 4, 12, 3);
    let m = fitted();
    let small = ContentParams::new()
        .fit(common::planted_catalog(50, 4, 2))
        .unwrap();
    let opts = RecommendOptions::default();
    let ask = |m: &ContentRecommender| {
        (
            m.recommend(&Id::from("u2"), &data, 10, &opts).unwrap(),
            m.search("G3W1 g3w2", 10),
            m.similar_items(&Id::from("i6"), 10, &ItemFilter::default())
                .unwrap(),
        )
    };
    // a list first (the buffer of scores grows alone), then search (its flags grow too)
    let first = ask(&m);
    let small_first = ask(&small);
    assert_eq!(ask(&m), first);
    assert_eq!(ask(&small), small_first);
    // and from a fresh thread, in another order
    let fresh = std::thread::scope(|s| {
        s.spawn(|| {
            let search = m.search("G3W1 g3w2", 10);
            let similar = m
                .similar_items(&Id::from("i6"), 10, &ItemFilter::default())
                .unwrap();
            (
                m.recommend(&Id::from("u2"), &data, 10, &opts).unwrap(),
                search,
                similar,
            )
        })
        .join()
        .unwrap()
    });
    assert_eq!(fresh, first);
}

#[test]
fn all_items_neighbours_agree_with_single_queries() {
    let m = fitted();
    let all = top_k_cosine(m.matrix(), 5);
    let items = m.item_ids();
    for i in [0u32, 17, 199] {
        let single = m
            .similar_items(&items.id(i), 5, &ItemFilter::default())
            .unwrap();
        let ids: Vec<Id> = all[i as usize].iter().map(|p| items.id(p.0)).collect();
        assert_eq!(ids, single.iter().map(|s| s.id.clone()).collect::<Vec<_>>());
    }
    let empty = Interactions::from_triples(Vec::<(i64, i64, f32)>::new()).unwrap();
    assert!(matches!(
        m.recommend(&Id::from("u1"), &empty, 3, &RecommendOptions::default()),
        Err(Error::UnknownUser(_))
    ));
}

#[test]
fn users_without_training_history_are_evaluated_with_an_empty_list() {
    let data = common::planted(30, 60, 3, 8, 2);
    // user row 0's interactions are the newest: the hold-out takes them all
    let first = data.users().id(0);
    let row0 = data.user_items(&first).unwrap().len();
    let times: Vec<(Id, Id, i64)> = data
        .iter()
        .enumerate()
        .map(|(k, (u, i, _))| {
            let t = if u == first { 1_000_000 } else { k as i64 };
            (u, i, t)
        })
        .collect();
    let fraction = row0 as f64 / data.nnz() as f64;
    let (train, test) = recsys_core::eval::newest_split(&data, times, fraction, 1).unwrap();
    assert_eq!(train.user_items(&first).unwrap().len(), 0);
    let model = ContentParams::new()
        .fit(common::planted_catalog(60, 3, 1))
        .unwrap();
    let m = ranking_metrics_at_k(&model, &train, &test, 10).unwrap();
    assert_eq!(m.users, 1, "the user counts, with nothing recommended");
    assert_eq!((m.precision, m.ndcg), (0.0, 0.0));
}
