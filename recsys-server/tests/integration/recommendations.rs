//! Recommendation lists over HTTP: personalized, cold start, visitors, similar, bought together,
//! and clicks counted for the model version that produced the list.

use crate::common;

use std::collections::HashSet;

use axum::http::{Method, StatusCode};
use common::TestApp;
use serde_json::{Value, json};

on_both_backends!(
    a_customer_gets_a_full_personal_list_without_bought_items,
    visitors_and_new_customers_get_full_lists,
    similar_and_bought_together,
    clicks_on_recommendations_count_for_their_model_version,
    a_visitors_click_counts_for_the_list_without_an_account,
    with_no_model_the_shop_still_answers,
    new_events_count_without_a_new_model,
    kept_lists_are_what_a_fresh_computation_gives,
);

fn ids(list: &Value) -> Vec<i64> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["product"]["id"].as_i64().unwrap())
        .collect()
}

async fn a_customer_gets_a_full_personal_list_without_bought_items(app: TestApp) {
    app.train().await;
    let customer = 4usize;
    let token = app.customer_token(customer).await;
    let r = app
        .get("/api/v1/products/recommendations?limit=10", Some(&token))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["model_version"], "hybrid@v1");
    assert_eq!(r.body["placement"], "home");
    assert!(
        r.body["recommendation_id"]
            .as_str()
            .unwrap()
            .starts_with('r')
    );
    let got = ids(&r.body);
    assert_eq!(got.len(), 10);
    let sources: HashSet<&str> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["source"].as_str().unwrap())
        .collect();
    assert!(sources.contains("als"), "{sources:?}");
    let bought: HashSet<i64> = app
        .state
        .store
        .purchased_products(app.customers[customer])
        .await
        .unwrap()
        .into_iter()
        .collect();
    assert!(!bought.is_empty());
    assert!(
        got.iter().all(|p| !bought.contains(p)),
        "bought products are left out"
    );
    // the customer's taste: even customers viewed even products (fiction)
    let fiction = app.categories.1;
    let in_fiction = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["product"]["category_id"] == fiction)
        .count();
    assert!(
        in_fiction >= 7,
        "{in_fiction} of 10 in the customer's category"
    );

    // filters: category, exclude; out-of-stock and inactive products never appear
    let science = app.categories.2;
    let only = app
        .get(
            &format!("/api/v1/products/recommendations?limit=5&category={science}"),
            Some(&token),
        )
        .await;
    assert!(
        only.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["product"]["category_id"] == science)
    );
    let first = got[0];
    let without = app
        .get(
            &format!("/api/v1/products/recommendations?limit=10&exclude={first}"),
            Some(&token),
        )
        .await;
    assert!(!ids(&without.body).contains(&first));
    let admin = app.admin_token().await;
    app.call(
        Method::PATCH,
        &format!("/api/v1/admin/products/{first}"),
        Some(&admin),
        Some(json!({"stock": 0})),
    )
    .await;
    let second = got[1];
    app.call(
        Method::PATCH,
        &format!("/api/v1/admin/products/{second}"),
        Some(&admin),
        Some(json!({"active": false})),
    )
    .await;
    let now = ids(&app
        .get("/api/v1/products/recommendations?limit=10", Some(&token))
        .await
        .body);
    assert!(!now.contains(&first) && !now.contains(&second), "{now:?}");
    assert_eq!(now.len(), 10);
    for bad in [
        "limit=0",
        "limit=101",
        "exclude=a,b",
        "placement=Bad%20Name",
        "category=x",
    ] {
        let r = app
            .get(
                &format!("/api/v1/products/recommendations?{bad}"),
                Some(&token),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    app.finish().await;
}

async fn visitors_and_new_customers_get_full_lists(app: TestApp) {
    app.train().await;
    let visitor = app
        .get("/api/v1/products/recommendations?limit=8", None)
        .await;
    assert_eq!(visitor.status, StatusCode::OK);
    assert_eq!(ids(&visitor.body).len(), 8);
    assert!(
        visitor.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["source"] == "popular")
    );

    let seen = app.products[0];
    let session = app
        .get(
            &format!("/api/v1/products/recommendations?limit=8&context={seen}"),
            None,
        )
        .await;
    let session_ids = ids(&session.body);
    assert_eq!(session_ids.len(), 8);
    assert!(
        !session_ids.contains(&seen),
        "what the visitor saw is not offered again"
    );
    assert_ne!(
        session_ids,
        ids(&visitor.body),
        "the session changes the list"
    );

    let new = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": "fresh@example.com", "password": "fresh password"}),
        )
        .await;
    let token = new.body["access_token"].as_str().unwrap();
    let cold = app
        .get("/api/v1/products/recommendations?limit=10", Some(token))
        .await;
    assert_eq!(
        ids(&cold.body).len(),
        10,
        "a customer with no history gets a full list"
    );
    app.finish().await;
}

async fn similar_and_bought_together(app: TestApp) {
    app.train().await;
    let p = app.products[6];
    let similar = app
        .get(&format!("/api/v1/products/{p}/similar?limit=5"), None)
        .await;
    assert_eq!(similar.status, StatusCode::OK, "{}", similar.text);
    let got = ids(&similar.body);
    assert_eq!(got.len(), 5);
    assert!(!got.contains(&p));
    let fiction = app.categories.1;
    assert!(
        similar.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["product"]["category_id"] == fiction)
            .count()
            >= 4
    );

    // a product added after training: no neighbours yet, but not an error
    let admin = app.admin_token().await;
    let fresh = app
        .post("/api/v1/admin/products", Some(&admin), json!({"sku": "FRESH", "name": "Fresh dragon quest saga", "price_cents": 100, "stock": 5}))
        .await;
    let fresh = fresh.body["id"].as_i64().unwrap();
    let r = app
        .get(&format!("/api/v1/products/{fresh}/similar"), None)
        .await;
    assert_eq!(r.status, StatusCode::OK);

    assert_eq!(
        app.get("/api/v1/products/999999/similar", None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // customer 2 bought products[...] together in the seed; find one with a partner
    let orders = app
        .state
        .store
        .list_orders(&Default::default(), recsys_store::Page::default())
        .await
        .unwrap();
    let order = orders.items.iter().find(|o| o.lines.len() == 2).unwrap();
    let (a, b) = (order.lines[0].product_id, order.lines[1].product_id);
    let together = app
        .get(&format!("/api/v1/products/{a}/bought-together"), None)
        .await;
    assert_eq!(together.status, StatusCode::OK);
    assert!(ids(&together.body).contains(&b), "{}", together.text);
    assert!(
        together.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["source"] == "co_purchase")
    );
    app.finish().await;
}

async fn clicks_on_recommendations_count_for_their_model_version(mut app: TestApp) {
    let version = app.train().await;
    let token = app.customer_token(9).await;
    let list = app
        .get(
            "/api/v1/products/recommendations?limit=6&placement=home",
            Some(&token),
        )
        .await;
    let rec_id = list.body["recommendation_id"].as_str().unwrap().to_string();
    let clicked = ids(&list.body)[0];
    let r = app
        .post("/api/v1/events", Some(&token), json!({"events": [{"product_id": clicked, "kind": "click", "recommendation_id": rec_id}]}))
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let forged = app
        .post("/api/v1/events", Some(&token), json!({"events": [{"product_id": clicked, "kind": "click", "recommendation_id": "made-up"}]}))
        .await;
    assert_eq!(forged.status, StatusCode::UNPROCESSABLE_ENTITY);
    let home = todays_metrics(&mut app, version, "home").await;
    assert_eq!(home, (6, 1));
    app.finish().await;
}

async fn a_visitors_click_counts_for_the_list_without_an_account(mut app: TestApp) {
    let version = app.train().await;
    let list = app
        .get(
            "/api/v1/products/recommendations?limit=4&placement=home&session=visitor-0001",
            None,
        )
        .await;
    let rec_id = list.body["recommendation_id"].as_str().unwrap().to_string();
    let click = |body: Value| {
        let app = &app;
        async move {
            app.post("/api/v1/products/recommendations/clicks", None, body)
                .await
        }
    };
    let r = click(json!({"recommendation_id": rec_id, "session": "visitor-0001"})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let r = click(json!({"recommendation_id": rec_id})).await;
    assert_eq!(
        r.status,
        StatusCode::NO_CONTENT,
        "no experiment: no session needed"
    );
    let forged = click(json!({"recommendation_id": "r1.home.nothex"})).await;
    assert_eq!(forged.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(forged.body["errors"][0]["field"], "recommendation_id");
    let bad_session = click(json!({"recommendation_id": rec_id, "session": "x y"})).await;
    assert_eq!(bad_session.status, StatusCode::UNPROCESSABLE_ENTITY);
    let unknown = click(json!({"recommendation_id": rec_id, "product": 1})).await;
    assert_eq!(
        unknown.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown fields are refused"
    );
    let home = todays_metrics(&mut app, version, "home").await;
    assert_eq!(home, (4, 2));
    app.finish().await;
}

/// Today's impressions and clicks of `version` at `placement`, once the queued ones are written.
async fn todays_metrics(app: &mut TestApp, version: i64, placement: &str) -> (i64, i64) {
    app.flush_recorder().await;
    let today = recsys_store::Day::today();
    let metrics = app
        .state
        .store
        .rec_metrics(None, today, today)
        .await
        .unwrap();
    let m = metrics
        .iter()
        .find(|m| m.model_version_id == version && m.placement == placement)
        .expect("metrics of the version at the placement");
    (m.impressions, m.clicks)
}

async fn with_no_model_the_shop_still_answers(app: TestApp) {
    let r = app
        .get("/api/v1/products/recommendations?limit=5", None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["model_version"], Value::Null);
    assert_eq!(ids(&r.body).len(), 5);
    assert!(
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["source"] == "catalog")
    );
    let ready = app.get("/health/ready", None).await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(ready.body["model_loaded"], false);
    let search = app.get("/api/v1/search?q=dragon", None).await;
    assert_eq!(search.status, StatusCode::OK);
    assert!(!search.body["items"].as_array().unwrap().is_empty());
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_cached_purchases_a_checkout_here_leaves_the_list_at_once() {
    let app = TestApp::with(common::Backend::Sqlite, |s| {
        s.user_cache_ttl = std::time::Duration::from_secs(30);
    })
    .await;
    app.train().await;
    let token = app.customer_token(6).await;
    let first = ids(&app
        .get("/api/v1/products/recommendations?limit=5", Some(&token))
        .await
        .body);
    let top = first[0];
    app.call(
        Method::PUT,
        &format!("/api/v1/cart/items/{top}"),
        Some(&token),
        Some(json!({"quantity": 1})),
    )
    .await;
    assert_eq!(
        app.post("/api/v1/orders", Some(&token), json!({}))
            .await
            .status,
        StatusCode::CREATED
    );
    let after = ids(&app
        .get("/api/v1/products/recommendations?limit=5", Some(&token))
        .await
        .body);
    assert!(!after.contains(&top), "bought just now: {after:?}");
    app.finish().await;
}

/// A customer's history is read per customer (not frozen when the version was loaded): what
/// they view after the model was activated leaves their next list, with the same version.
async fn new_events_count_without_a_new_model(app: TestApp) {
    app.train().await;
    let customer = 6usize;
    let token = app.customer_token(customer).await;
    let path = "/api/v1/products/recommendations?limit=10";
    let before = app.get(path, Some(&token)).await;
    let first = ids(&before.body);
    assert_eq!(first.len(), 10, "{}", before.text);
    app.state
        .store
        .record_events(&[recsys_store::NewEvent::new(
            app.customers[customer],
            first[0],
            recsys_store::EventKind::View,
            1.0,
        )])
        .await
        .unwrap();
    let after = app.get(path, Some(&token)).await;
    assert_eq!(after.body["model_version"], before.body["model_version"]);
    let second = ids(&after.body);
    assert_eq!(second.len(), 10);
    assert!(
        !second.contains(&first[0]),
        "a product seen since is left out: {first:?} then {second:?}"
    );
    app.finish().await;
}

/// The list cache under stock changes: a product going out of stock or inactive leaves the
/// catalog's generation (and so every other kept list) as it is, and a product coming back
/// changes it; after each change every answer, kept or not, is what a fresh computation gives.
async fn kept_lists_are_what_a_fresh_computation_gives(app: TestApp) {
    app.train().await;
    let admin = app.admin_token().await;
    let mut tokens = Vec::new();
    for c in 0..8 {
        tokens.push(app.customer_token(c).await);
    }
    let fiction = app.categories.1;
    let paths = [
        "/api/v1/products/recommendations?limit=5".to_string(),
        "/api/v1/products/recommendations?limit=10".to_string(),
        format!("/api/v1/products/recommendations?limit=4&category={fiction}"),
    ];
    // every customer's lists: the products, their scores and sources
    let ask_all = || async {
        let mut all = Vec::new();
        for token in &tokens {
            for path in &paths {
                let r = app.get(path, Some(token)).await;
                assert_eq!(r.status, StatusCode::OK, "{}", r.text);
                let items: Vec<(i64, String, String)> = r.body["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|i| {
                        (
                            i["product"]["id"].as_i64().unwrap(),
                            i["score"].to_string(),
                            i["source"].to_string(),
                        )
                    })
                    .collect();
                all.push(items);
            }
        }
        all
    };
    let set = |product: i64, change: Value| {
        let (app, admin) = (&app, &admin);
        async move {
            let r = app
                .call(
                    Method::PATCH,
                    &format!("/api/v1/admin/products/{product}"),
                    Some(admin),
                    Some(change),
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        }
    };
    let first = ask_all().await;
    let listed: HashSet<i64> = first.iter().flatten().map(|i| i.0).collect();
    let top = first[0][0].0;
    let unlisted = *app
        .products
        .iter()
        .find(|p| !listed.contains(p))
        .expect("a product in no list");
    let generation = || app.state.catalog.snapshot().generation;
    // other listed products, each changed once
    let mut others: Vec<i64> = Vec::new();
    for p in first.iter().flatten().map(|i| i.0) {
        if p != top && !others.contains(&p) {
            others.push(p);
        }
    }
    assert!(others.len() >= 3, "{others:?}");
    let steps: Vec<(&str, i64, Value, bool)> = vec![
        (
            "the first list's top out of stock",
            top,
            json!({"stock": 0}),
            false,
        ),
        (
            "a product in no list out of stock",
            unlisted,
            json!({"stock": 0}),
            false,
        ),
        (
            "a listed product inactive",
            others[0],
            json!({"active": false}),
            false,
        ),
        (
            "a listed product's stock lower, still in stock",
            others[1],
            json!({"stock": 3}),
            false,
        ),
        ("the top back in stock", top, json!({"stock": 7}), true),
        (
            "a listed product moved to another category",
            others[2],
            json!({"category_id": app.categories.2}),
            true,
        ),
    ];
    for (step, product, change, changes_generation) in steps {
        let before = generation();
        set(product, change).await;
        assert_eq!(
            generation() != before,
            changes_generation,
            "{step}: the generation"
        );
        let kept = ask_all().await;
        app.state.lists.clear();
        let fresh = ask_all().await;
        for (k, f) in kept.iter().zip(&fresh) {
            assert_eq!(k, f, "{step}: a kept list and a fresh one differ");
        }
    }
    app.finish().await;
}
