//! The service API for a shop with its own storefront: API keys (shown once, scoped, revoked on
//! every replica), bulk writes in the shop's keys with the importer's messages, events of users
//! seen for the first time (back-filled ones train the next model), recommendations in the
//! shop's ids, and the records back page by page.

use crate::common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::{Reply, TestApp, make_key};
use recsys_server::AppState;
use recsys_server::config::Settings;
use serde_json::{Value, json};
use tower::ServiceExt;

on_both_backends!(
    keys_are_shown_once_scoped_and_revocable,
    catalog_writes_upsert_by_key_and_refuse_bad_records_whole,
    events_make_customers_and_backfilled_history_trains_the_next_model,
    recommendations_answer_in_the_shops_ids,
    records_come_back_page_by_page,
);

/// Each key has its own budget: past it, 429 with the seconds to wait; another key still works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_over_its_rate_is_told_to_wait() {
    let app = TestApp::with(common::Backend::Sqlite, |s| s.api_key_rate_per_s = 1).await;
    let (key, _) = make_key(&app, &["recommend:read"]).await;
    let (other, _) = make_key(&app, &["recommend:read"]).await;
    let path = "/api/v1/service/users/u/recommendations";
    // a burst of ten times the rate
    for i in 0..10 {
        let r = with_key(&app, Method::GET, path, &key, None).await;
        assert_eq!(r.status, StatusCode::OK, "request {i}: {}", r.text);
    }
    let r = with_key(&app, Method::GET, path, &key, None).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text);
    assert!(r.headers.contains_key("retry-after"));
    assert!(r.body["detail"].as_str().unwrap().contains("over its rate"));
    let r = with_key(&app, Method::GET, path, &other, None).await;
    assert_eq!(r.status, StatusCode::OK, "another key has its own budget");
    app.finish().await;
}

/// A request with the key in `X-API-Key`.
async fn with_key(
    app: &TestApp,
    method: Method,
    path: &str,
    key: &str,
    body: Option<Value>,
) -> Reply {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header("x-api-key", key);
    let req = match body {
        Some(b) => {
            req = req.header("content-type", "application/json");
            req.body(Body::from(b.to_string())).unwrap()
        }
        None => req.body(Body::empty()).unwrap(),
    };
    app.send(req).await
}

fn skus(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items: {list}"))
        .iter()
        .map(|i| i["sku"].as_str().unwrap().to_string())
        .collect()
}

fn sku_number(sku: &str) -> usize {
    sku.trim_start_matches("SKU-").parse().unwrap()
}

async fn keys_are_shown_once_scoped_and_revocable(app: TestApp) {
    let (key, id) = make_key(&app, &["recommend:read"]).await;
    assert!(key.starts_with("rk_") && key.len() == 43, "{key}");
    let admin = app.admin_token().await;
    let list = app.get("/api/v1/admin/api-keys", Some(&admin)).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body[0]["id"], id);
    assert_eq!(list.body[0]["scopes"], json!(["recommend:read"]));
    assert_eq!(list.body[0]["prefix"], &key[..11]);
    assert!(
        !list.text.contains(&key),
        "a key is shown once: {}",
        list.text
    );

    let path = "/api/v1/service/users/someone/recommendations?n=5";
    let ok = with_key(&app, Method::GET, path, &key, None).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    // as a bearer token too
    let bearer = app.get(path, Some(&key)).await;
    assert_eq!(bearer.status, StatusCode::OK, "{}", bearer.text);
    assert!(
        list.body[0]["last_used_at"].is_null()
            && !app.get("/api/v1/admin/api-keys", Some(&admin)).await.body[0]["last_used_at"]
                .is_null(),
        "use is recorded"
    );

    // a scope the key does not have
    let write = with_key(
        &app,
        Method::POST,
        "/api/v1/service/products",
        &key,
        Some(json!([{"sku": "N-1", "name": "New", "price_cents": 100, "stock": 1}])),
    )
    .await;
    assert_eq!(write.status, StatusCode::FORBIDDEN, "{}", write.text);
    assert!(
        write.body["detail"]
            .as_str()
            .unwrap()
            .contains("'catalog:write'")
    );
    // no key, a customer's token, a made-up key
    for (token, what) in [
        (None, "this needs a service API key"),
        (
            Some(app.customer_token(0).await),
            "this needs a service API key",
        ),
        (
            Some(format!("rk_{}", "0".repeat(40))),
            "the API key is not valid",
        ),
        (Some("rk_short".to_string()), "the API key is not valid"),
    ] {
        let r = app.get(path, token.as_deref()).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{what}: {}", r.text);
        assert!(
            r.body["detail"].as_str().unwrap().contains(what),
            "{}",
            r.text
        );
    }
    // only an admin makes keys; a key needs a known scope
    let customer = app.customer_token(1).await;
    let r = app
        .post(
            "/api/v1/admin/api-keys",
            Some(&customer),
            json!({"name": "x", "scopes": ["recommend:read"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    for bad in [json!([]), json!(["admin:everything"])] {
        let r = app
            .post(
                "/api/v1/admin/api-keys",
                Some(&admin),
                json!({"name": "x", "scopes": bad}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    }

    // a second replica on the same database, trusting what it read for a second
    let mut settings = Settings::for_tests(&app.url);
    settings.user_cache_ttl = Duration::from_secs(1);
    settings.web_dir = Some("/nonexistent".into());
    let (other, recorder) = AppState::build(settings).await.unwrap();
    let other_router = recsys_server::app(other.clone());
    let on_other = |key: String| {
        let router = other_router.clone();
        async move {
            let req = Request::builder()
                .uri(path)
                .header("x-api-key", key)
                .body(Body::empty())
                .unwrap();
            router.oneshot(req).await.unwrap().status()
        }
    };
    assert_eq!(on_other(key.clone()).await, StatusCode::OK);

    let revoked = app
        .call(
            Method::DELETE,
            &format!("/api/v1/admin/api-keys/{id}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.text);
    assert!(revoked.body["revoked_at"].is_i64());
    let r = with_key(&app, Method::GET, path, &key, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "refused at once here");
    assert!(r.body["detail"].as_str().unwrap().contains("was revoked"));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(
        on_other(key.clone()).await,
        StatusCode::UNAUTHORIZED,
        "and on the other replica within its cache time"
    );
    let missing = app
        .call(
            Method::DELETE,
            "/api/v1/admin/api-keys/999999",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    recorder.finish().await;
    other.store.close().await;
    app.finish().await;
}

async fn catalog_writes_upsert_by_key_and_refuse_bad_records_whole(app: TestApp) {
    let (key, key_id) = make_key(&app, &["catalog:write"]).await;
    let post = |path: &'static str, body: Value| {
        let key = key.clone();
        let app = &app;
        async move { with_key(app, Method::POST, path, &key, Some(body)).await }
    };
    let categories = json!([
        {"key": "games", "name": "Games", "parent": "books"},
        {"key": "board-games", "name": "Board games", "parent": "games"},
    ]);
    let r = post("/api/v1/service/categories", categories.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        (&r.body["created"], &r.body["updated"], &r.body["unchanged"]),
        (&json!(2), &json!(0), &json!(0))
    );
    let r = post("/api/v1/service/categories", categories).await;
    assert_eq!(r.body["unchanged"], 2, "{}", r.text);

    let products = json!([
        {"sku": "G-1", "name": "Chess set", "category": "board-games", "price": "12.50", "stock": 3,
         "attributes": {"brand": "Wood & Co"}},
        {"sku": "SKU-000", "name": "Book 0 dragon quest saga", "description": "A fantasy book number 0",
         "category": "fiction", "price_cents": 990, "stock": 100},
    ]);
    let r = post("/api/v1/service/products", products.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        (&r.body["created"], &r.body["updated"], &r.body["unchanged"]),
        (&json!(1), &json!(1), &json!(0)),
        "{}",
        r.text
    );
    let r = post("/api/v1/service/products", products).await;
    assert_eq!(
        r.body["unchanged"], 2,
        "the same records again change nothing: {}",
        r.text
    );
    // the shop's pages see the new product and the new price at once
    let found = app.get("/api/v1/products?q=chess", None).await;
    assert_eq!(found.body["items"][0]["sku"], "G-1", "{}", found.text);
    assert_eq!(found.body["items"][0]["price_cents"], 1250);
    let first = app
        .get(&format!("/api/v1/products/{}", app.products[0]), None)
        .await;
    assert_eq!(first.body["price_cents"], 990, "{}", first.text);

    // bad records: every one named by index and field, nothing written
    let bad = json!([
        {"sku": "OK-1", "name": "Fine", "price_cents": 100, "stock": 1},
        {"sku": "BAD-1", "name": "Comma", "price": "12,50", "stock": 1},
        {"sku": "BAD-2", "name": "Typo", "prcie": "1.00", "stock": 1},
        {"sku": "BAD-3", "name": "Negative", "price_cents": 100, "stock": -2},
    ]);
    let r = post("/api/v1/service/products", bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let errors: Vec<(String, String)> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().to_string(),
                e["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        errors.iter().map(|e| e.0.as_str()).collect::<Vec<_>>(),
        ["[1].price", "[2].prcie", "[3].stock"],
        "{errors:?}"
    );
    assert!(
        errors[0].1.contains("\"12,50\" is not a price"),
        "{errors:?}"
    );
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap()
            .contains("nothing was written")
    );
    let r = post(
        "/api/v1/service/products",
        json!([
            {"sku": "OK-1", "name": "Fine", "price_cents": 100, "stock": 1},
            {"sku": "OK-2", "name": "Lost", "category": "nowhere", "price_cents": 100, "stock": 1},
            {"sku": "OK-1", "name": "Twice", "price_cents": 100, "stock": 1},
        ]),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["errors"][0]["field"], "[1].category", "{}", r.text);
    assert!(
        r.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("'nowhere'")
    );
    assert_eq!(r.body["errors"][1]["field"], "[2].sku", "{}", r.text);
    let r = post(
        "/api/v1/service/categories",
        json!([{"key": "orphans", "name": "Orphans", "parent": "missing"}]),
    )
    .await;
    assert_eq!(r.body["errors"][0]["field"], "[0].parent", "{}", r.text);
    for sku in ["OK-1", "OK-2", "BAD-1"] {
        let r = app.get(&format!("/api/v1/products?q={sku}"), None).await;
        assert_eq!(r.body["total"], 0, "{sku} was not written: {}", r.text);
    }
    // sizes: empty, and over the limit
    let many: Vec<Value> = (0..1001)
        .map(|i| json!({"sku": format!("M-{i}"), "name": "m", "price_cents": 1, "stock": 1}))
        .collect();
    for body in [json!([]), Value::Array(many)] {
        let r = post("/api/v1/service/products", body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text.contains("1 to 1000 records"), "{}", r.text);
    }
    // each write is attributed to the key
    let admin = app.admin_token().await;
    let log = app
        .get(
            "/api/v1/admin/audit-log?action=service.products",
            Some(&admin),
        )
        .await;
    assert_eq!(log.status, StatusCode::OK, "{}", log.text);
    assert_eq!(log.body["total"], 2, "{}", log.text);
    assert_eq!(log.body["items"][0]["api_key_id"], key_id);
    assert!(log.body["items"][0]["actor_id"].is_null());
    assert_eq!(log.body["items"][0]["after"]["unchanged"], 2);
    app.finish().await;
}

async fn events_make_customers_and_backfilled_history_trains_the_next_model(app: TestApp) {
    let first = app.train().await;
    let users_before = app.state.store.model_version(first).await.unwrap().metrics["users"]
        .as_i64()
        .unwrap();
    let (key, _) = make_key(&app, &["events:write", "recommend:read"]).await;
    // six new users of the shop, each with a month-old history in the odd ("science") products
    let month_ago = recsys_store::format_timestamp(recsys_store::now_ms() - 30 * 86_400_000);
    let mut events = Vec::new();
    for u in 0..6 {
        for k in 0..10 {
            events.push(json!({"user": format!("shop-user-{u}"), "item": format!("SKU-{:03}", 2 * ((u * 3 + k) % 30) + 1),
                               "kind": if k % 3 == 0 { "add_to_cart" } else { "view" }, "at": month_ago}));
        }
    }
    let r = with_key(
        &app,
        Method::POST,
        "/api/v1/service/events",
        &key,
        Some(Value::Array(events.clone())),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        (&r.body["created"], &r.body["customers_created"]),
        (&json!(60), &json!(6)),
        "{}",
        r.text
    );
    let again = with_key(
        &app,
        Method::POST,
        "/api/v1/service/events",
        &key,
        Some(Value::Array(events)),
    )
    .await;
    assert_eq!(
        (
            &again.body["created"],
            &again.body["unchanged"],
            &again.body["customers_created"]
        ),
        (&json!(0), &json!(60), &json!(0)),
        "sent twice, stored once: {}",
        again.text
    );
    // bad events: named by index and the service's field names; nothing stored
    let r = with_key(
        &app,
        Method::POST,
        "/api/v1/service/events",
        &key,
        Some(json!([
            {"user": "shop-user-9", "item": "SKU-001", "kind": "view"},
            {"user": "shop-user-9", "item": "SKU-001", "kind": "stare"},
            {"user": "shop-user-9", "item": "SKU-001", "kind": "view", "at": "2999-01-01"},
            {"user": "", "item": "SKU-001", "kind": "view"},
            {"user": "shop-user-9", "item": "SKU-001", "kind": "click", "recommendation_id": "nope"},
            {"user": "shop-user-9", "sku": "SKU-001", "kind": "view"},
        ])),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let fields: Vec<&str> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "[1].kind",
            "[2].at",
            "[3].user",
            "[4].recommendation_id",
            "[5].sku"
        ],
        "{}",
        r.text
    );
    let r = with_key(
        &app,
        Method::POST,
        "/api/v1/service/events",
        &key,
        Some(json!([{"user": "shop-user-9", "item": "NO-SUCH", "kind": "view"}])),
    )
    .await;
    assert_eq!(r.body["errors"][0]["field"], "[0].item", "{}", r.text);
    let known = app
        .state
        .store
        .existing_keys(recsys_store::bulk::KeyKind::Customer, &["shop-user-9"])
        .await
        .unwrap();
    assert!(known.is_empty(), "a refused request makes no customer");

    // the next model learns from them
    let path = "/api/v1/service/users/shop-user-0/recommendations?n=10";
    let before = with_key(&app, Method::GET, path, &key, None).await;
    let second = app.train().await;
    assert_ne!(first, second);
    let users_after = app.state.store.model_version(second).await.unwrap().metrics["users"]
        .as_i64()
        .unwrap();
    assert_eq!(
        users_after,
        users_before + 6,
        "the new users are in the new model"
    );
    let after = with_key(&app, Method::GET, path, &key, None).await;
    assert_eq!(after.status, StatusCode::OK, "{}", after.text);
    assert_ne!(after.body["model_version"], before.body["model_version"]);
    let list = skus(&after.body);
    assert_eq!(list.len(), 10);
    let odd = list.iter().filter(|s| sku_number(s) % 2 == 1).count();
    assert!(odd >= 8, "the back-filled taste shows: {list:?}");
    assert_ne!(
        skus(&before.body),
        list,
        "the list moved with the new model"
    );
    app.finish().await;
}

async fn recommendations_answer_in_the_shops_ids(app: TestApp) {
    app.train().await;
    let (key, _) = make_key(&app, &["events:write", "recommend:read"]).await;
    // the shop names customer 6 by its own id (taking over the account with that address)
    let r = with_key(
        &app,
        Method::POST,
        "/api/v1/service/customers",
        &key,
        Some(
            json!([{"external_id": "c-6", "email": "customer6@test.dev", "name": "Customer 6"},
                    {"external_id": "c-new"}]),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        (&r.body["created"], &r.body["updated"]),
        (&json!(1), &json!(1))
    );
    let r = with_key(
        &app,
        Method::POST,
        "/api/v1/service/customers",
        &key,
        Some(json!([{"external_id": "c-7", "password_hash": "$2b$12$abc"}])),
    )
    .await;
    assert_eq!(
        r.body["errors"][0]["field"], "[0].password_hash",
        "{}",
        r.text
    );

    let get = |path: String| {
        let key = key.clone();
        let app = &app;
        async move { with_key(app, Method::GET, &path, &key, None).await }
    };
    let base = "/api/v1/service/users/c-6/recommendations";
    let r = get(format!("{base}?n=5")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let list = skus(&r.body);
    assert_eq!(list.len(), 5);
    assert!(
        r.body["recommendation_id"]
            .as_str()
            .unwrap()
            .starts_with('r')
    );
    assert!(r.body["items"][0]["score"].is_number());
    assert!(r.body["items"][0].get("id").is_none(), "no internal ids");
    // customer 6 likes the even products; a known customer's list is theirs, not the popular one
    let even = list
        .iter()
        .filter(|s| sku_number(s).is_multiple_of(2))
        .count();
    assert!(even >= 4, "{list:?}");
    let r = get(format!("{base}?n=5&exclude={}", list[0])).await;
    assert!(!skus(&r.body).contains(&list[0]), "{}", r.text);
    let r = get(format!("{base}?n=10&category=science")).await;
    assert!(
        skus(&r.body).iter().all(|s| sku_number(s) % 2 == 1),
        "{}",
        r.text
    );
    let r = get(format!("{base}?category=no-such")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["errors"][0]["field"], "category");
    let r = get(format!("{base}?n=0")).await;
    assert_eq!(r.body["errors"][0]["field"], "n", "{}", r.text);
    // a user never seen: the cold-start list, full
    let r = get("/api/v1/service/users/never-seen/recommendations?n=12".into()).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(skus(&r.body).len(), 12, "{}", r.text);

    let r = get("/api/v1/service/items/SKU-001/similar?n=5".into()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let similar = skus(&r.body);
    assert!(!similar.is_empty() && !similar.contains(&"SKU-001".to_string()));
    // an unlisted product still has alternatives, which are listed ones
    let (writer, _) = make_key(&app, &["catalog:write"]).await;
    let r = with_key(
        &app,
        Method::POST,
        "/api/v1/service/products",
        &writer,
        Some(json!([{"sku": "SKU-059", "name": "Book 59 quantum physics primer", "description": "A science book number 59",
                     "category": "science", "price_cents": 1590, "stock": 100, "active": false}])),
    )
    .await;
    assert_eq!(r.body["updated"], 1, "{}", r.text);
    let r = get("/api/v1/service/items/SKU-059/similar?n=10".into()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(skus(&r.body).len(), 10, "{}", r.text);
    assert!(!skus(&r.body).contains(&"SKU-059".to_string()));
    let r = get("/api/v1/service/items/SKU-057/similar?n=20".into()).await;
    assert!(
        !skus(&r.body).contains(&"SKU-059".to_string()),
        "{}",
        r.text
    );
    let r = get("/api/v1/service/items/NO-SUCH/similar".into()).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.text.contains("NO-SUCH"));

    let session = |body: Value| {
        let key = key.clone();
        let app = &app;
        async move {
            with_key(
                app,
                Method::POST,
                "/api/v1/service/recommendations/session",
                &key,
                Some(body),
            )
            .await
        }
    };
    let r = session(json!({"items": ["SKU-001", "SKU-003", "SKU-005"], "n": 8})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let list = skus(&r.body);
    assert_eq!(list.len(), 8);
    assert!(
        !list
            .iter()
            .any(|s| ["SKU-001", "SKU-003", "SKU-005"].contains(&s.as_str()))
    );
    let odd = list.iter().filter(|s| sku_number(s) % 2 == 1).count();
    assert!(odd >= 5, "the session's taste leads: {list:?}");
    let r = session(json!({"items": ["SKU-001", "NO-SUCH"]})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["errors"][0]["field"], "items[1]", "{}", r.text);
    let r = session(json!({"items": []})).await;
    assert_eq!(r.body["errors"][0]["field"], "items", "{}", r.text);

    // a click reported with the list's id counts for its model version
    let rec = get("/api/v1/service/users/c-6/recommendations?n=3".into()).await;
    let r = with_key(
        &app,
        Method::POST,
        "/api/v1/service/events",
        &key,
        Some(
            json!([{"user": "c-6", "item": rec.body["items"][0]["sku"], "kind": "click",
                     "recommendation_id": rec.body["recommendation_id"]}]),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let mut app = app;
    app.flush_recorder().await;
    let today = recsys_store::Day::today();
    let clicks: i64 = app
        .state
        .store
        .rec_metrics(None, today, today)
        .await
        .unwrap()
        .iter()
        .map(|m| m.clicks)
        .sum();
    assert_eq!(clicks, 1);
    app.finish().await;
}

async fn records_come_back_page_by_page(app: TestApp) {
    let (key, _) = make_key(&app, &["export:read"]).await;
    let mut seen = Vec::new();
    let mut after = 0;
    loop {
        let r = with_key(
            &app,
            Method::GET,
            &format!("/api/v1/service/export/products?limit=25&after={after}"),
            &key,
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        for item in r.body["items"].as_array().unwrap() {
            seen.push(item["sku"].as_str().unwrap().to_string());
            assert!(item["price_cents"].is_i64() && item["category"].is_string());
        }
        match r.body["next"].as_i64() {
            Some(next) => after = next,
            None => break,
        }
    }
    assert_eq!(seen.len(), 60);
    assert_eq!(seen[0], "SKU-000");
    let r = with_key(
        &app,
        Method::GET,
        "/api/v1/service/export/categories",
        &key,
        None,
    )
    .await;
    assert_eq!(
        r.body["items"][1],
        json!({"key": "fiction", "name": "Fiction", "parent": "books"})
    );
    let r = with_key(
        &app,
        Method::GET,
        "/api/v1/service/export/widgets",
        &key,
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = with_key(
        &app,
        Method::GET,
        "/api/v1/service/export/events?limit=5000",
        &key,
        None,
    )
    .await;
    assert_eq!(r.body["errors"][0]["field"], "limit", "{}", r.text);
    let (writer, _) = make_key(&app, &["catalog:write"]).await;
    let r = with_key(
        &app,
        Method::GET,
        "/api/v1/service/export/products",
        &writer,
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    app.finish().await;
}
