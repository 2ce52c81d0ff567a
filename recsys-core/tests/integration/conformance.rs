//! The suite every `Recommender` implementation runs.

use crate::common;

use std::collections::HashSet;

use recsys_core::als::AlsParams;
use recsys_core::content::ContentParams;
use recsys_core::factory::RecommenderConfig;
use recsys_core::popularity::Popularity;
use recsys_core::{Error, Id, Interactions, ItemFilter, Persist, RecommendOptions, Recommender};

fn assert_send_sync<T: Send + Sync>() {}

fn seen(data: &Interactions, user: &Id) -> HashSet<Id> {
    data.user_items(user)
        .unwrap()
        .map(|(item, _)| item)
        .collect()
}

fn check_list(list: &[recsys_core::Scored], known: &recsys_core::IdMap) {
    for w in list.windows(2) {
        assert!(
            w[0].score >= w[1].score,
            "scores must be non-increasing: {list:?}"
        );
    }
    let unique: HashSet<&Id> = list.iter().map(|s| &s.id).collect();
    assert_eq!(unique.len(), list.len(), "duplicate items in {list:?}");
    assert!(
        list.iter()
            .all(|s| known.index(&s.id).is_some() && s.score.is_finite())
    );
}

/// How a recommender meets interactions with no entries.
#[derive(PartialEq)]
enum OnEmpty {
    /// It learns from interactions: fitting on none is an error naming the problem.
    Refuses,
    /// It learns from something else (a content model indexes its catalog): the fit succeeds.
    Fits,
}

fn conformance<R: Recommender + Persist>(
    on_empty: OnEmpty,
    fit: impl Fn(&Interactions) -> recsys_core::Result<R>,
) {
    assert_send_sync::<R>();
    let data = common::planted(120, 60, 3, 12, 11);
    let user = Id::from("u5");
    let opts = RecommendOptions::default();

    // empty data
    let empty = Interactions::from_triples(Vec::<(i64, i64, f32)>::new()).unwrap();
    match (fit(&empty), on_empty) {
        (Err(e), OnEmpty::Refuses) => assert!(e.to_string().contains("no entries"), "{e}"),
        (Ok(_), OnEmpty::Fits) => {}
        (Ok(_), OnEmpty::Refuses) => panic!("a fit on no interactions succeeded"),
        (Err(e), OnEmpty::Fits) => panic!("a fit that needs no interactions failed: {e}"),
    }

    let m = fit(&data).unwrap();
    let items = m.item_ids().clone();
    assert_eq!(items.len(), data.n_items());

    // plain recommend: n items, sorted, unseen
    let recs = m.recommend(&user, &data, 10, &opts).unwrap();
    assert_eq!(recs.len(), 10);
    check_list(&recs, &items);
    let seen_items = seen(&data, &user);
    assert!(recs.iter().all(|s| !seen_items.contains(&s.id)));

    // n beyond the catalog: everything unseen, once
    let all = m.recommend(&user, &data, 1000, &opts).unwrap();
    check_list(&all, &items);
    assert_eq!(all.len(), data.n_items() - seen_items.len());
    assert!(m.recommend(&user, &data, 0, &opts).unwrap().is_empty());

    // exclusions and candidates
    let excluded: Vec<Id> = recs[..3].iter().map(|s| s.id.clone()).collect();
    let o = RecommendOptions::new().items(ItemFilter::new().exclude(excluded.clone()));
    let r = m.recommend(&user, &data, 10, &o).unwrap();
    assert!(r.iter().all(|s| !excluded.contains(&s.id)));
    assert_eq!(r.len(), 10);
    let cands: Vec<Id> = vec![
        Id::from("i1"),
        Id::from("i2"),
        Id::from("i3"),
        Id::from("not-an-item"),
    ];
    let o = RecommendOptions::new()
        .filter_seen(false)
        .items(ItemFilter::new().only(cands.clone()));
    let r = m.recommend(&user, &data, 10, &o).unwrap();
    assert_eq!(r.len(), 3);
    assert!(r.iter().all(|s| cands.contains(&s.id)));

    // without the seen filter, seen items may come back and the list is full
    let o = RecommendOptions::new().filter_seen(false);
    assert_eq!(
        m.recommend(&user, &data, data.n_items(), &o).unwrap().len(),
        data.n_items()
    );

    // batch equals singles (up to float rounding: a batch is scored as one matrix product)
    let users: Vec<Id> = (0..100).map(|u| Id::from(format!("u{u}"))).collect();
    let batch = m.recommend_batch(&users, &data, 7, &opts).unwrap();
    assert_eq!(batch.len(), users.len());
    for (u, list) in users.iter().zip(&batch) {
        let single = m.recommend(u, &data, 7, &opts).unwrap();
        let ids = |l: &[recsys_core::Scored]| l.iter().map(|s| s.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(list), ids(&single));
        for (a, b) in list.iter().zip(&single) {
            assert!(
                (a.score - b.score).abs() <= 1e-5 * (1.0 + a.score.abs()),
                "{a:?} vs {b:?}"
            );
        }
    }

    // unknown users: an error that names them, or (non-personalized models) a full list
    match m.recommend(&Id::from("nobody"), &data, 5, &opts) {
        Err(Error::UnknownUser(id)) => assert_eq!(id, Id::from("nobody")),
        Ok(list) => assert_eq!(list.len(), 5),
        Err(e) => panic!("unexpected error {e}"),
    }

    // similar items
    let sim = m
        .similar_items(&Id::from("i4"), 5, &ItemFilter::default())
        .unwrap();
    assert_eq!(sim.len(), 5);
    check_list(&sim, &items);
    let e = m
        .similar_items(&Id::from("nope"), 5, &ItemFilter::default())
        .unwrap_err();
    assert_eq!(e.to_string(), "item id 'nope' is unknown to this model");

    // persistence keeps behaviour
    let back = R::from_bytes(&m.to_bytes().unwrap()).unwrap();
    assert_eq!(
        back.recommend_batch(&users, &data, 7, &opts).unwrap(),
        batch
    );
}

#[test]
fn implicit_als_conforms() {
    conformance(OnEmpty::Refuses, |data| {
        AlsParams::new().factors(8).iterations(6).seed(3).fit(data)
    });
}

#[test]
fn content_conforms() {
    conformance(OnEmpty::Fits, |_| {
        ContentParams::new()
            .field_weight("title", 2.0)
            .fit(common::planted_catalog(60, 3, 5))
    });
}

#[test]
fn hybrid_from_the_factory_conforms() {
    let catalog = std::sync::Arc::new(common::planted_catalog(60, 3, 5));
    let mut config = RecommenderConfig::named("hybrid").unwrap();
    if let RecommenderConfig::Hybrid { members } = &mut config {
        members[0].model =
            RecommenderConfig::Als(AlsParams::new().factors(8).iterations(6).seed(3));
    }
    conformance(OnEmpty::Refuses, |data| config.fit(data, Some(&catalog)));
}

#[test]
fn popularity_conforms() {
    conformance(OnEmpty::Refuses, Popularity::fit);
}
