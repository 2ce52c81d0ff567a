//! Hybrid blending, cold start, and the factory.

use crate::common;

use std::sync::Arc;

use recsys_core::als::AlsParams;
use recsys_core::factory::{AnyRecommender, RECOMMENDER_NAMES, RecommenderConfig};
use recsys_core::{Error, Id, Interactions, Persist, RecommendOptions, Recommender};

fn fitted_hybrid() -> (AnyRecommender, Interactions) {
    let data = common::planted(300, 120, 4, 12, 7);
    let catalog = Arc::new(common::planted_catalog(120, 4, 1));
    let mut config = RecommenderConfig::named("hybrid").unwrap();
    if let RecommenderConfig::Hybrid { members } = &mut config {
        members[0].model =
            RecommenderConfig::Als(AlsParams::new().factors(8).iterations(8).seed(1));
    }
    let model = config.fit(&data, Some(&catalog)).unwrap();
    (model, data)
}

#[test]
fn a_brand_new_user_gets_a_full_list() {
    let (model, _) = fitted_hybrid();
    let nobody = Interactions::from_triples(Vec::<(i64, i64, f32)>::new()).unwrap();
    let recs = model
        .recommend(
            &Id::from("newcomer"),
            &nobody,
            10,
            &RecommendOptions::default(),
        )
        .unwrap();
    assert_eq!(recs.len(), 10);
}

#[test]
fn a_user_with_a_few_items_gets_their_taste_from_content() {
    let (model, _) = fitted_hybrid();
    let few = Interactions::from_triples([("fresh", "i1", 1.0), ("fresh", "i5", 1.0)]).unwrap();
    let recs = model
        .recommend(&Id::from("fresh"), &few, 10, &RecommendOptions::default())
        .unwrap();
    assert_eq!(recs.len(), 10);
    assert!(
        recs.iter()
            .all(|s| s.id != Id::from("i1") && s.id != Id::from("i5"))
    );
    let group = |id: &Id| id.to_string()[1..].parse::<usize>().unwrap() % 4;
    assert!(recs[..5].iter().all(|s| group(&s.id) == 1), "{recs:?}");
}

#[test]
fn known_users_get_a_blend_without_seen_items() {
    let (model, data) = fitted_hybrid();
    let user = Id::from("u2");
    let recs = model
        .recommend(&user, &data, 20, &RecommendOptions::default())
        .unwrap();
    assert_eq!(recs.len(), 20);
    let seen: Vec<Id> = data.user_items(&user).unwrap().map(|(i, _)| i).collect();
    assert!(recs.iter().all(|s| !seen.contains(&s.id)));
    assert!(recs.windows(2).all(|w| w[0].score >= w[1].score));
}

#[test]
fn the_factory_builds_every_name_and_rejects_bad_configs() {
    let catalog = Arc::new(common::planted_catalog(40, 2, 1));
    let data = common::planted(50, 40, 2, 5, 1);
    for name in RECOMMENDER_NAMES {
        let config = RecommenderConfig::named(name).unwrap();
        assert_eq!(config.name(), name);
        let json = serde_json::to_string(&config).unwrap();
        let back: RecommenderConfig = serde_json::from_str(&json).unwrap();
        assert_eq!(back, config, "{json}");
        let model = config.fit(&data, Some(&catalog)).unwrap();
        assert_eq!(model.kind(), name);
        assert_eq!(model.item_ids().len(), 40);
    }
    let e = RecommenderConfig::named("svd").unwrap_err();
    assert_eq!(
        e.to_string(),
        "recommender must be one of als, content, popular, hybrid, got svd"
    );
    let typo = serde_json::from_str::<RecommenderConfig>(r#"{"kind": "als", "factorz": 8}"#);
    assert!(typo.is_err(), "a misspelt setting must not be ignored");
    let unknown = serde_json::from_str::<RecommenderConfig>(r#"{"kind": "svd"}"#);
    assert!(unknown.is_err());
    let config: RecommenderConfig =
        serde_json::from_str(r#"{"kind": "als", "factors": 0}"#).unwrap();
    assert_eq!(
        config.fit(&data, None).unwrap_err().to_string(),
        "factors must be >= 1, got 0"
    );
    let e = RecommenderConfig::named("content")
        .unwrap()
        .fit(&data, None)
        .unwrap_err();
    assert!(e.to_string().starts_with("catalog must be"), "{e}");
    let bad_weight: RecommenderConfig = serde_json::from_str(
        r#"{"kind": "hybrid", "members": [{"weight": -1, "model": {"kind": "popular"}}]}"#,
    )
    .unwrap();
    assert!(matches!(
        bad_weight.fit(&data, None),
        Err(Error::InvalidParam {
            param: "weight",
            ..
        })
    ));
}

#[test]
fn a_fitted_hybrid_round_trips_through_bytes() {
    let (model, data) = fitted_hybrid();
    let back = AnyRecommender::from_bytes(&model.to_bytes().unwrap()).unwrap();
    let opts = RecommendOptions::default();
    let users: Vec<Id> = (0..20).map(|u| Id::from(format!("u{u}"))).collect();
    assert_eq!(
        back.recommend_batch(&users, &data, 5, &opts).unwrap(),
        model.recommend_batch(&users, &data, 5, &opts).unwrap()
    );
}

#[test]
fn explained_lists_are_the_plain_lists_with_each_items_source() {
    let (model, data) = fitted_hybrid();
    let AnyRecommender::Hybrid(hybrid) = &model else {
        panic!("the factory built a hybrid")
    };
    let users = [Id::from("u2"), Id::from("newcomer")];
    let plain = model
        .recommend_batch(&users, &data, 10, &RecommendOptions::default())
        .unwrap();
    let explained = hybrid
        .recommend_batch_explained(&users, &data, 10, &RecommendOptions::default())
        .unwrap();
    for (p, e) in plain.iter().zip(&explained) {
        assert_eq!(
            p,
            &e.items.iter().map(|b| b.item.clone()).collect::<Vec<_>>(),
            "same items and scores"
        );
    }
    // a known user's list blends ALS; a brand-new one is served by popularity alone
    assert!(
        explained[0].items.iter().any(|b| b.source == "als"),
        "{:?}",
        explained[0]
    );
    assert!(
        explained[1].items.iter().all(|b| b.source == "popular"),
        "{:?}",
        explained[1]
    );

    let item = Id::from("i3");
    let similar = hybrid
        .similar_items_explained(&item, 5, &Default::default())
        .unwrap();
    assert_eq!(
        similar.iter().map(|b| b.item.clone()).collect::<Vec<_>>(),
        model.similar_items(&item, 5, &Default::default()).unwrap()
    );
    assert!(
        similar
            .iter()
            .all(|b| ["als", "content", "popular"].contains(&b.source))
    );
}

/// A list depends on which items may be recommended only through its candidates: ruling out an
/// item that is not one leaves it as it is, ruling out one that is may change it.
#[test]
fn a_list_changes_only_when_one_of_its_candidates_is_ruled_out() {
    use recsys_core::ItemFilter;
    let (model, data) = fitted_hybrid();
    let AnyRecommender::Hybrid(hybrid) = &model else {
        panic!("the factory built a hybrid")
    };
    let users: Vec<Id> = ["u0", "u2", "u5", "u9", "newcomer"]
        .into_iter()
        .map(Id::from)
        .collect();
    let explain = |exclude: Vec<Id>| {
        let options = RecommendOptions::default().items(ItemFilter::new().exclude(exclude));
        hybrid
            .recommend_batch_explained(&users, &data, 5, &options)
            .unwrap()
    };
    let before = explain(Vec::new());
    let all_items: Vec<Id> = model.item_ids().iter().collect();
    for (user, list) in users.iter().zip(&before) {
        let unique: std::collections::HashSet<&Id> = list.candidates.iter().collect();
        assert_eq!(unique.len(), list.candidates.len(), "each candidate once");
        assert!(
            list.items.iter().all(|b| unique.contains(&b.item.id)),
            "{user}: the list's items are candidates"
        );
        let others: Vec<Id> = all_items
            .iter()
            .filter(|i| !unique.contains(i))
            .cloned()
            .collect();
        assert!(!others.is_empty());
        for (i, other) in others.iter().enumerate().step_by(3) {
            let after = explain(vec![other.clone()]);
            let mine = &after[users.iter().position(|u| u == user).unwrap()];
            assert_eq!(
                mine, list,
                "{user}: ruling out {other} (#{i}) changed nothing"
            );
        }
    }
    // ruling out the top item of the first list changes it
    let top = before[0].items[0].item.id.clone();
    assert_ne!(explain(vec![top])[0].items, before[0].items);
}

#[test]
fn a_stopped_fit_is_cancelled_and_leaves_no_half_trained_model() {
    use recsys_core::{Error, FitControl, FitProgress};
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicBool, Ordering};

    let data = common::planted(120, 60, 3, 8, 5);
    let config = recsys_core::factory::RecommenderConfig::Hybrid {
        members: vec![
            recsys_core::factory::HybridMember {
                weight: 0.8,
                model: recsys_core::factory::RecommenderConfig::Als(
                    recsys_core::als::AlsParams::new()
                        .factors(4)
                        .iterations(10)
                        .seed(3),
                ),
            },
            recsys_core::factory::HybridMember {
                weight: 0.2,
                model: recsys_core::factory::RecommenderConfig::Popular {},
            },
        ],
    };
    // watched to the end: one report per ALS iteration, named by the member
    let seen = Mutex::new(Vec::new());
    let report = |p: &FitProgress| seen.lock().unwrap().push((p.model, p.iteration));
    config
        .fit_controlled(&data, None, &FitControl::default().with_progress(&report))
        .unwrap();
    let seen = seen.into_inner().unwrap();
    assert_eq!(seen.len(), 10);
    assert!(seen.iter().all(|(m, _)| *m == "als"));

    // stopped after the third iteration
    let stop = AtomicBool::new(false);
    let stop_at_three = |p: &FitProgress| {
        if p.iteration == 2 {
            stop.store(true, Ordering::Relaxed);
        }
    };
    let control = FitControl::default()
        .with_progress(&stop_at_three)
        .with_stop(&stop);
    assert!(matches!(
        config.fit_controlled(&data, None, &control),
        Err(Error::Cancelled)
    ));

    // a refit stopped before it starts is an error; the model it started from is untouched
    let als = config.fit(&data, None).unwrap();
    let stopped = AtomicBool::new(true);
    assert!(matches!(
        als.refit(&data, &FitControl::default().with_stop(&stopped)),
        Err(Error::Cancelled)
    ));
    // a refit on the same data with the same seed is the same model
    let again = als.refit(&data, &FitControl::none()).unwrap();
    assert_eq!(again.to_bytes().unwrap(), als.to_bytes().unwrap());
}

#[test]
fn a_trained_user_with_no_history_now_is_served_as_a_new_one() {
    // u2 was in training; a `user_items` in which u2 has no interactions (all of them held out,
    // say) must not serve u2 from an ALS vector: popularity alone answers, as for a newcomer
    let (model, data) = fitted_hybrid();
    let AnyRecommender::Hybrid(hybrid) = &model else {
        panic!("the factory built a hybrid")
    };
    let others =
        Interactions::from_triples(data.iter().filter(|(user, _, _)| *user != Id::from("u2")))
            .unwrap();
    let explained = hybrid
        .recommend_batch_explained(&[Id::from("u2")], &others, 10, &RecommendOptions::default())
        .unwrap();
    assert_eq!(explained[0].items.len(), 10);
    assert!(
        explained[0].items.iter().all(|b| b.source == "popular"),
        "{:?}",
        explained[0]
    );
}

#[test]
fn a_spec_blends_settings_and_trained_models_and_refuses_bad_blends_before_training() {
    use recsys_core::factory::Spec;
    use recsys_core::{FitControl, popularity::Popularity};
    let data = common::planted(120, 60, 3, 10, 2);
    let als = RecommenderConfig::Als(AlsParams::new().factors(4).iterations(3).seed(1));
    let trained = Arc::new(AnyRecommender::Popular(Popularity::fit(&data).unwrap()));
    let spec = Spec::hybrid(vec![
        (Spec::config(als.clone(), None).unwrap(), 0.7),
        (Spec::Trained(Arc::clone(&trained)), 0.3),
    ])
    .unwrap();
    assert_eq!(spec.kind(), "hybrid");
    assert!(spec.trained().is_none());
    let model = spec.fit(&data, &FitControl::none()).unwrap();
    // the same as the factory's hybrid of the same settings
    let config: RecommenderConfig = serde_json::from_value(serde_json::json!({
        "kind": "hybrid",
        "members": [{"weight": 0.7, "model": als}, {"weight": 0.3, "model": {"kind": "popular"}}],
    }))
    .unwrap();
    let same = config.fit(&data, None).unwrap();
    assert_eq!(model.to_bytes().unwrap(), same.to_bytes().unwrap());

    let nested = Spec::Trained(Arc::new(same));
    assert!(Spec::hybrid(vec![(nested, 1.0)]).is_err());
    let err = Spec::hybrid(vec![(Spec::Trained(Arc::clone(&trained)), f32::NAN)]).unwrap_err();
    assert!(err.to_string().starts_with("weight must be"), "{err}");
    assert!(Spec::hybrid(vec![]).is_err());
    let bad = RecommenderConfig::Als(AlsParams::new().factors(0));
    assert!(Spec::config(bad, None).is_err());
    let content = RecommenderConfig::named("hybrid").unwrap();
    let err = Spec::config(content, None).unwrap_err();
    assert!(err.to_string().starts_with("catalog must be"), "{err}");
}

#[test]
fn a_spec_round_trips_through_bytes_and_damaged_ones_are_errors() {
    use recsys_core::factory::Spec;
    use recsys_core::{FitControl, popularity::Popularity};
    let data = common::planted(80, 40, 2, 8, 4);
    let als = RecommenderConfig::Als(AlsParams::new().factors(4).iterations(2).seed(9));
    let trained = Arc::new(AnyRecommender::Popular(Popularity::fit(&data).unwrap()));
    let spec = Spec::hybrid(vec![
        (Spec::config(als.clone(), None).unwrap(), 0.6),
        (Spec::Trained(trained), 0.4),
    ])
    .unwrap();
    for spec in [spec, Spec::config(als, None).unwrap()] {
        let bytes = spec.to_bytes().unwrap();
        let back = Spec::from_bytes(&bytes).unwrap();
        assert_eq!(back.kind(), spec.kind());
        let (a, b) = (
            spec.fit(&data, &FitControl::none()).unwrap(),
            back.fit(&data, &FitControl::none()).unwrap(),
        );
        assert_eq!(a.to_bytes().unwrap(), b.to_bytes().unwrap());
        for at in (0..bytes.len()).step_by(3) {
            let mut damaged = bytes.clone();
            damaged[at] ^= 0x5a;
            assert!(Spec::from_bytes(&damaged).is_err(), "byte {at}");
        }
        // a trained spec is its model's own file, read back as a trained spec
        let trained = Spec::Trained(Arc::new(a.clone()));
        assert_eq!(trained.to_bytes().unwrap(), a.to_bytes().unwrap());
        let back = Spec::from_bytes(&a.to_bytes().unwrap()).unwrap();
        assert_eq!(
            back.trained().unwrap().to_bytes().unwrap(),
            a.to_bytes().unwrap()
        );
    }
}

#[test]
fn a_visitor_gets_what_is_like_their_context_then_what_anyone_gets() {
    let data = common::planted(300, 120, 4, 12, 7);
    let catalog = Arc::new(common::planted_catalog(120, 4, 1));
    let config = RecommenderConfig::Hybrid {
        members: vec![
            recsys_core::factory::HybridMember {
                weight: 1.0,
                model: RecommenderConfig::Content(recsys_core::content::ContentParams::new()),
            },
            recsys_core::factory::HybridMember {
                weight: 0.5,
                model: RecommenderConfig::Popular {},
            },
        ],
    };
    let model = config.fit(&data, Some(&catalog)).unwrap();
    let filter = recsys_core::ItemFilter::new().exclude([Id::from("i7")]);
    let context = [Id::from("i1"), Id::from("not-an-item"), Id::from("i2")];
    let without_context = filter.clone().exclude(context.iter().cloned());
    // a list as long as the catalog: the neighbours run out and anyone's list tops it up
    let n = 200;
    let list = model.recommend_for_visitor(&context, n, &filter).unwrap();
    let ids: Vec<&Id> = list.items.iter().map(|b| &b.item.id).collect();
    let unique: std::collections::HashSet<&Id> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "each item once");
    for left_out in ["i1", "i2", "i7"] {
        assert!(
            !unique.contains(&Id::from(left_out)),
            "{left_out} is in {ids:?}"
        );
    }
    // first the neighbours of the context, each once at the best score a context item gave,
    // best first; then anyone's list in its order without what came before
    let mut expected: Vec<(Id, f32)> = Vec::new();
    for c in [&context[0], &context[2]] {
        for b in model
            .similar_items_explained(c, n, &without_context)
            .unwrap()
        {
            match expected.iter_mut().find(|(id, _)| *id == b.item.id) {
                Some(e) => e.1 = e.1.max(b.item.score),
                None => expected.push((b.item.id.clone(), b.item.score)),
            }
        }
    }
    expected.sort_by(|a, b| b.1.total_cmp(&a.1));
    assert!(!expected.is_empty());
    for b in model.recommend_to_anyone(n, &without_context).items {
        if !expected.iter().any(|(id, _)| *id == b.item.id) {
            expected.push((b.item.id, b.item.score));
        }
    }
    expected.truncate(n);
    let got: Vec<(Id, f32)> = list
        .items
        .iter()
        .map(|b| (b.item.id.clone(), b.item.score))
        .collect();
    assert_eq!(got, expected);
    // a short list is n items, best first (a hybrid blends each length on its own); no context
    // is anyone's list
    let short = model.recommend_for_visitor(&context, 10, &filter).unwrap();
    assert_eq!(short.items.len(), 10);
    assert!(
        short
            .items
            .windows(2)
            .all(|w| w[0].item.score >= w[1].item.score)
    );
    let plain = model.recommend_for_visitor(&[], 10, &filter).unwrap();
    assert_eq!(plain.items, model.recommend_to_anyone(10, &filter).items);
    // context the model does not know yet (products added since its fit): anyone's list
    let new = [Id::from("new-1"), Id::from("new-2")];
    let unknown = model.recommend_for_visitor(&new, 10, &filter).unwrap();
    assert_eq!(unknown.items, plain.items);
    assert!(unknown.items.iter().all(|b| b.source == "popular"));
    // a model that needs a user or a history has nothing for anyone
    let als = AnyRecommender::Als(
        AlsParams::new()
            .factors(4)
            .iterations(2)
            .fit(&data)
            .unwrap(),
    );
    assert!(als.recommend_to_anyone(10, &filter).items.is_empty());
}

#[test]
fn explained_lists_name_where_each_item_came_from() {
    let (model, data) = fitted_hybrid();
    let opts = RecommendOptions::default();
    let explained = model
        .recommend_explained(&Id::from("u3"), &data, 10, &opts)
        .unwrap();
    let plain = model.recommend(&Id::from("u3"), &data, 10, &opts).unwrap();
    assert_eq!(
        explained
            .items
            .iter()
            .map(|b| b.item.clone())
            .collect::<Vec<_>>(),
        plain
    );
    assert!(
        explained
            .items
            .iter()
            .all(|b| RECOMMENDER_NAMES.contains(&b.source))
    );
    let pop = AnyRecommender::Popular(recsys_core::popularity::Popularity::fit(&data).unwrap());
    let list = pop
        .recommend_explained(&Id::from("u3"), &data, 5, &opts)
        .unwrap();
    assert!(list.items.iter().all(|b| b.source == "popular"));
    assert_eq!(list.candidates.len(), 5);
}
