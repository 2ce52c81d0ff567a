//! The catalog, cart, checkout and orders over HTTP, with races on both backends.

use crate::common;

use std::sync::Arc;

use axum::http::{Method, Request, StatusCode};
use common::TestApp;
use serde_json::json;

on_both_backends!(
    the_catalog_lists_filters_and_pages,
    cart_checkout_and_orders,
    an_idempotency_key_returns_the_same_order,
    fifty_checkouts_of_the_last_ten_units_make_ten_orders,
    one_cart_checked_out_eight_times_at_once_is_one_order,
    admin_edits_during_checkouts_lose_no_stock,
    admin_writes_are_audited,
    events_are_recorded_for_the_signed_in_user,
    admins_list_every_order_and_every_product,
    the_listing_from_memory_matches_the_store,
    the_catalog_catches_up_with_another_replica,
    a_product_page_shows_each_edit_once_the_catalog_has_it,
    a_real_shops_extremes_are_answered_or_refused_clearly,
);

async fn the_catalog_lists_filters_and_pages(app: TestApp) {
    let (root, fiction, _) = app.categories;
    let tree = app.get("/api/v1/categories", None).await;
    assert_eq!(tree.status, StatusCode::OK);
    assert_eq!(tree.body[0]["id"], root);
    assert_eq!(tree.body[0]["children"].as_array().unwrap().len(), 2);

    let all = app.get("/api/v1/products?limit=7", None).await;
    assert_eq!(all.body["total"], 60);
    assert_eq!(all.body["items"].as_array().unwrap().len(), 7);
    assert_eq!(all.body["items"][0]["currency"], "USD");
    let under_root = app
        .get(&format!("/api/v1/products?category={root}&limit=100"), None)
        .await;
    assert_eq!(
        under_root.body["total"], 60,
        "a category includes its subtree"
    );
    let fic = app
        .get(
            &format!("/api/v1/products?category={fiction}&limit=100"),
            None,
        )
        .await;
    assert_eq!(fic.body["total"], 30);
    let cheap = app
        .get("/api/v1/products?max_price=1100&sort=price_desc", None)
        .await;
    assert_eq!(cheap.body["total"], 11);
    assert_eq!(cheap.body["items"][0]["price_cents"], 1100);
    let text = app.get("/api/v1/products?q=QUANTUM&limit=100", None).await;
    assert_eq!(text.body["total"], 30);
    let page2 = app
        .get("/api/v1/products?limit=50&offset=50&sort=oldest", None)
        .await;
    assert_eq!(page2.body["items"].as_array().unwrap().len(), 10);

    let id = app.products[3];
    let one = app.get(&format!("/api/v1/products/{id}"), None).await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(one.body["category_path"][0]["slug"], "books");
    assert_eq!(
        app.get("/api/v1/products/999999", None).await.status,
        StatusCode::NOT_FOUND
    );
    for bad in [
        "/api/v1/products?limit=0",
        "/api/v1/products?limit=1000",
        "/api/v1/products?offset=-1",
        "/api/v1/products?sort=random",
        "/api/v1/products?nope=1",
        "/api/v1/products?min_price=abc",
    ] {
        let r = app.get(bad, None).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            r.text
        );
    }
    app.finish().await;
}

async fn cart_checkout_and_orders(app: TestApp) {
    let token = app.customer_token(0).await;
    let p = app.products[10];
    let q = app.products[11];
    let put = |id: i64, quantity: i64| {
        let path = format!("/api/v1/cart/items/{id}");
        let token = &token;
        let app = &app;
        async move {
            app.call(
                Method::PUT,
                &path,
                Some(token),
                Some(json!({"quantity": quantity})),
            )
            .await
        }
    };
    assert_eq!(put(p, 2).await.status, StatusCode::OK);
    let cart = put(q, 3).await;
    assert_eq!(cart.body["item_count"], 5);
    let cart = put(q, 1).await;
    assert_eq!(cart.body["item_count"], 3, "PUT sets the quantity");
    assert_eq!(
        put(p, 101).await.status,
        StatusCode::CONFLICT,
        "more than in stock"
    );
    assert_eq!(put(999_999, 1).await.status, StatusCode::NOT_FOUND);
    assert_eq!(put(p, -1).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        put(p, 10_001).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    let order = app.post("/api/v1/orders", Some(&token), json!({})).await;
    assert_eq!(order.status, StatusCode::CREATED, "{}", order.text);
    assert_eq!(order.body["item_count"], 3);
    assert_eq!(order.body["total_cents"], 2 * 1100 + 1110);
    assert_eq!(order.body["status"], "pending");
    let id = order.body["id"].as_i64().unwrap();
    assert_eq!(
        app.get("/api/v1/cart", Some(&token)).await.body["item_count"],
        0
    );
    let empty = app.post("/api/v1/orders", Some(&token), json!({})).await;
    assert_eq!(
        empty.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        empty.text
    );

    let list = app.get("/api/v1/orders", Some(&token)).await;
    assert_eq!(list.body["total"], 1);
    assert_eq!(
        app.get(&format!("/api/v1/orders/{id}"), Some(&token))
            .await
            .status,
        StatusCode::OK
    );
    let stranger = app.customer_token(1).await;
    assert_eq!(
        app.get(&format!("/api/v1/orders/{id}"), Some(&stranger))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.post(
            &format!("/api/v1/orders/{id}/cancel"),
            Some(&stranger),
            json!({})
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    let admin = app.admin_token().await;
    assert_eq!(
        app.get(&format!("/api/v1/orders/{id}"), Some(&admin))
            .await
            .status,
        StatusCode::OK,
        "an admin sees all"
    );

    let before = app.get(&format!("/api/v1/products/{p}"), None).await.body["stock"]
        .as_i64()
        .unwrap();
    let cancelled = app
        .post(
            &format!("/api/v1/orders/{id}/cancel"),
            Some(&token),
            json!({}),
        )
        .await;
    assert_eq!(cancelled.body["status"], "cancelled");
    let after = app.get(&format!("/api/v1/products/{p}"), None).await.body["stock"]
        .as_i64()
        .unwrap();
    assert_eq!(after, before + 2, "cancel restores stock");
    assert_eq!(
        app.post(
            &format!("/api/v1/orders/{id}/cancel"),
            Some(&token),
            json!({})
        )
        .await
        .status,
        StatusCode::CONFLICT
    );

    // admin status changes follow the order's life
    put(p, 1).await;
    let o2 = app
        .post("/api/v1/orders", Some(&token), json!({}))
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    let patch = |status: &str| {
        let path = format!("/api/v1/admin/orders/{o2}");
        let body = json!({"status": status});
        let (app, admin) = (&app, &admin);
        async move {
            app.call(Method::PATCH, &path, Some(admin), Some(body))
                .await
        }
    };
    assert_eq!(
        patch("shipped").await.status,
        StatusCode::CONFLICT,
        "pending cannot ship"
    );
    assert_eq!(patch("paid").await.status, StatusCode::OK);
    assert_eq!(patch("shipped").await.status, StatusCode::OK);
    assert_eq!(
        patch("teleported").await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        app.call(
            Method::PATCH,
            &format!("/api/v1/admin/orders/{o2}"),
            Some(&token),
            Some(json!({"status": "delivered"}))
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    app.finish().await;
}

fn checkout_with_key(token: &str, key: &str) -> Request<axum::body::Body> {
    Request::post("/api/v1/orders")
        .header("authorization", format!("Bearer {token}"))
        .header("idempotency-key", key)
        .body(axum::body::Body::empty())
        .unwrap()
}

async fn an_idempotency_key_returns_the_same_order(app: TestApp) {
    let token = app.customer_token(0).await;
    let p = app.products[5];
    app.call(
        Method::PUT,
        &format!("/api/v1/cart/items/{p}"),
        Some(&token),
        Some(json!({"quantity": 2})),
    )
    .await;
    let first = app.send(checkout_with_key(&token, "pay-1")).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    let again = app.send(checkout_with_key(&token, "pay-1")).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body["id"], first.body["id"]);
    assert_eq!(
        app.get("/api/v1/orders", Some(&token)).await.body["total"],
        1
    );
    let bad = app.send(checkout_with_key(&token, &"k".repeat(300))).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.body["errors"][0]["field"], "idempotency_key");
    app.finish().await;
}

async fn fifty_checkouts_of_the_last_ten_units_make_ten_orders(app: TestApp) {
    let admin = app.admin_token().await;
    let created = app
        .post(
            "/api/v1/admin/products",
            Some(&admin),
            json!({"sku": "LAST-10", "name": "The last ten", "price_cents": 999, "stock": 10}),
        )
        .await;
    let last = created.body["id"].as_i64().unwrap();
    let mut tokens = Vec::new();
    for i in 0..50 {
        let r = app
            .post(
                "/api/v1/auth/register",
                None,
                json!({"email": format!("rush{i}@example.com"), "password": "rush password"}),
            )
            .await;
        let token = r.body["access_token"].as_str().unwrap().to_string();
        let put = app
            .call(
                Method::PUT,
                &format!("/api/v1/cart/items/{last}"),
                Some(&token),
                Some(json!({"quantity": 1})),
            )
            .await;
        assert_eq!(put.status, StatusCode::OK);
        tokens.push(token);
    }
    let app = Arc::new(app);
    let mut tasks = tokio::task::JoinSet::new();
    for (i, token) in tokens.into_iter().enumerate() {
        let app = Arc::clone(&app);
        tasks.spawn(async move {
            // half with an idempotency key, half without
            let r = if i % 2 == 0 {
                app.send(checkout_with_key(&token, &format!("k{i}"))).await
            } else {
                app.post("/api/v1/orders", Some(&token), json!({})).await
            };
            r.status
        });
    }
    let (mut created, mut conflict) = (0, 0);
    while let Some(status) = tasks.join_next().await {
        match status.unwrap() {
            StatusCode::CREATED => created += 1,
            StatusCode::CONFLICT => conflict += 1,
            other => panic!("a checkout answered {other}"),
        }
    }
    assert_eq!((created, conflict), (10, 40));
    let app = Arc::into_inner(app).unwrap();
    assert_eq!(app.state.store.product(last).await.unwrap().stock, 0);
    app.finish().await;
}

async fn one_cart_checked_out_eight_times_at_once_is_one_order(app: TestApp) {
    let app = Arc::new(app);
    for (customer, keyed) in [(0usize, false), (1, true)] {
        let token = app.customer_token(customer).await;
        for p in &app.products[20..23] {
            app.call(
                Method::PUT,
                &format!("/api/v1/cart/items/{p}"),
                Some(&token),
                Some(json!({"quantity": 1})),
            )
            .await;
        }
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..8 {
            let (app, token) = (Arc::clone(&app), token.clone());
            tasks.spawn(async move {
                if keyed {
                    app.send(checkout_with_key(&token, "same-key")).await
                } else {
                    app.post("/api/v1/orders", Some(&token), json!({})).await
                }
            });
        }
        let mut ids = Vec::new();
        let mut created = 0;
        while let Some(r) = tasks.join_next().await {
            let r = r.unwrap();
            match r.status {
                StatusCode::CREATED => {
                    created += 1;
                    ids.push(r.body["id"].as_i64().unwrap());
                }
                StatusCode::OK if keyed => ids.push(r.body["id"].as_i64().unwrap()),
                StatusCode::UNPROCESSABLE_ENTITY if !keyed => {
                    assert_eq!(r.body["errors"][0]["field"], "cart", "{}", r.text)
                }
                other => panic!("keyed={keyed}: {other} {}", r.text),
            }
        }
        assert_eq!(created, 1, "keyed={keyed}");
        if keyed {
            assert_eq!(ids.len(), 8);
            assert!(
                ids.iter().all(|&i| i == ids[0]),
                "every answer is the one order"
            );
        }
        let orders = app.get("/api/v1/orders", Some(&token)).await;
        let new_orders = orders.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["item_count"] == 3)
            .count();
        assert_eq!(new_orders, 1, "keyed={keyed}");
    }
    Arc::into_inner(app).unwrap().finish().await;
}

async fn admin_edits_during_checkouts_lose_no_stock(app: TestApp) {
    let admin = app.admin_token().await;
    let p = app.products[30];
    let start = app.state.store.product(p).await.unwrap().stock;
    let mut tokens = Vec::new();
    for i in 0..30 {
        let r = app
            .post(
                "/api/v1/auth/register",
                None,
                json!({"email": format!("edit{i}@example.com"), "password": "edit password"}),
            )
            .await;
        let token = r.body["access_token"].as_str().unwrap().to_string();
        app.call(
            Method::PUT,
            &format!("/api/v1/cart/items/{p}"),
            Some(&token),
            Some(json!({"quantity": 1})),
        )
        .await;
        tokens.push(token);
    }
    let app = Arc::new(app);
    let mut tasks = tokio::task::JoinSet::new();
    for (i, token) in tokens.into_iter().enumerate() {
        let a = Arc::clone(&app);
        tasks.spawn(async move {
            a.post("/api/v1/orders", Some(&token), json!({}))
                .await
                .status
        });
        let (a, admin) = (Arc::clone(&app), admin.clone());
        tasks.spawn(async move {
            a.call(
                Method::PATCH,
                &format!("/api/v1/admin/products/{p}"),
                Some(&admin),
                Some(json!({"name": format!("Renamed {i}")})),
            )
            .await
            .status
        });
    }
    while let Some(status) = tasks.join_next().await {
        let status = status.unwrap();
        assert!(
            status == StatusCode::CREATED || status == StatusCode::OK,
            "{status}"
        );
    }
    assert_eq!(app.state.store.product(p).await.unwrap().stock, start - 30);
    Arc::into_inner(app).unwrap().finish().await;
}

async fn admin_writes_are_audited(app: TestApp) {
    let admin = app.admin_token().await;
    let injection = "Robert'); DROP TABLE products;--";
    let created = app
        .post("/api/v1/admin/products", Some(&admin), json!({"sku": "AUD-1", "name": injection, "price_cents": 500, "stock": 3, "attributes": {"colour": "red"}}))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let id = created.body["id"].as_i64().unwrap();
    assert_eq!(created.body["name"], injection, "stored verbatim");
    let patched = app
        .call(
            Method::PATCH,
            &format!("/api/v1/admin/products/{id}"),
            Some(&admin),
            Some(json!({"price_cents": 650, "category_id": null})),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.text);
    assert_eq!(patched.body["price_cents"], 650);
    assert_eq!(patched.body["stock"], 3, "stock not sent, not changed");
    let dup = app
        .post(
            "/api/v1/admin/products",
            Some(&admin),
            json!({"sku": "AUD-1", "name": "again", "price_cents": 1, "stock": 1}),
        )
        .await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    let neg = app
        .post(
            "/api/v1/admin/products",
            Some(&admin),
            json!({"sku": "AUD-2", "name": "neg", "price_cents": -1, "stock": 1}),
        )
        .await;
    assert_eq!(neg.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(neg.body["errors"][0]["field"], "price_cents");
    assert_eq!(
        app.call(
            Method::DELETE,
            &format!("/api/v1/admin/products/{id}"),
            Some(&admin),
            None
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get(&format!("/api/v1/products/{id}"), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let with_history = app.products[2];
    assert_eq!(
        app.call(
            Method::DELETE,
            &format!("/api/v1/admin/products/{with_history}"),
            Some(&admin),
            None
        )
        .await
        .status,
        StatusCode::CONFLICT
    );

    let cat = app
        .post(
            "/api/v1/admin/categories",
            Some(&admin),
            json!({"name": "Poetry", "slug": "poetry", "parent_id": app.categories.0}),
        )
        .await;
    assert_eq!(cat.status, StatusCode::CREATED, "{}", cat.text);
    let cat_id = cat.body["id"].as_i64().unwrap();
    let cycle = app
        .call(
            Method::PATCH,
            &format!("/api/v1/admin/categories/{}", app.categories.0),
            Some(&admin),
            Some(json!({"parent_id": cat_id})),
        )
        .await;
    assert!(
        cycle.status.is_client_error(),
        "a cycle is refused: {}",
        cycle.status
    );
    let tree = app.get("/api/v1/categories", None).await;
    assert_eq!(
        tree.body[0]["children"].as_array().unwrap().len(),
        3,
        "the cache follows the write"
    );

    let log = app
        .state
        .store
        .audit_log(
            &recsys_store::AuditFilter {
                target_type: Some("product".into()),
                ..Default::default()
            },
            recsys_store::Page::default(),
        )
        .await
        .unwrap();
    let actions: Vec<&str> = log.items.iter().map(|e| e.action.as_str()).collect();
    assert!(
        actions.contains(&"product.create")
            && actions.contains(&"product.update")
            && actions.contains(&"product.delete"),
        "{actions:?}"
    );
    let update = log
        .items
        .iter()
        .find(|e| e.action == "product.update")
        .unwrap();
    assert_eq!(update.before.as_ref().unwrap()["price_cents"], 500);
    assert_eq!(update.after.as_ref().unwrap()["price_cents"], 650);
    app.finish().await;
}

async fn events_are_recorded_for_the_signed_in_user(app: TestApp) {
    let token = app.customer_token(7).await;
    let p = app.products[1];
    let before = app.state.store.count_events().await.unwrap();
    let r = app
        .post("/api/v1/events", Some(&token), json!({"events": [{"product_id": p, "kind": "view"}, {"product_id": p, "kind": "rating", "value": 4}]}))
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    assert_eq!(r.body["recorded"], 2);
    assert_eq!(app.state.store.count_events().await.unwrap(), before + 2);
    let bad = app
        .post("/api/v1/events", Some(&token), json!({"events": [{"product_id": p, "kind": "rating", "value": 9}, {"product_id": p, "kind": "view", "value": -1}]}))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.body["errors"].as_array().unwrap().len(), 2);
    let unknown = app
        .post(
            "/api/v1/events",
            Some(&token),
            json!({"events": [{"product_id": 99_999_999, "kind": "view"}]}),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{}", unknown.text);
    let kind = app
        .post(
            "/api/v1/events",
            Some(&token),
            json!({"events": [{"product_id": p, "kind": "purchase"}]}),
        )
        .await;
    assert_eq!(
        kind.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "purchases come from orders only"
    );
    assert_eq!(
        app.post("/api/v1/events", Some(&token), json!({"events": []}))
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        app.state.store.count_events().await.unwrap(),
        before + 2,
        "bad batches store nothing"
    );
    app.finish().await;
}

async fn admins_list_every_order_and_every_product(app: TestApp) {
    let admin = app.admin_token().await;
    let total = |r: &common::Reply| r.body["total"].as_i64().unwrap();
    let before = total(&app.get("/api/v1/admin/orders", Some(&admin)).await);
    for (i, &p) in app.products[..3].iter().enumerate() {
        let token = app.customer_token(i).await;
        app.call(
            Method::PUT,
            &format!("/api/v1/cart/items/{p}"),
            Some(&token),
            Some(json!({"quantity": 1})),
        )
        .await;
        let order = app.post("/api/v1/orders", Some(&token), json!({})).await;
        assert_eq!(order.status, StatusCode::CREATED, "{}", order.text);
    }
    let all = app.get("/api/v1/admin/orders?limit=2", Some(&admin)).await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.text);
    assert_eq!(total(&all), before + 3, "every customer's orders");
    assert_eq!(all.body["items"].as_array().unwrap().len(), 2);
    let customer = app.customer_token(0).await;
    let own = app.get("/api/v1/orders", Some(&customer)).await;
    let newest = &own.body["items"][0];
    assert_eq!(
        all.body["items"][0]["id"],
        app.get("/api/v1/admin/orders?limit=1", Some(&admin))
            .await
            .body["items"][0]["id"]
    );
    let one_customer = app
        .get(
            &format!("/api/v1/admin/orders?user_id={}", newest["user_id"]),
            Some(&admin),
        )
        .await;
    assert_eq!(total(&one_customer), total(&own), "one customer's orders");
    let pending = app
        .get(
            "/api/v1/admin/orders?status=pending&limit=100",
            Some(&admin),
        )
        .await;
    assert!(total(&pending) >= 3);
    assert!(
        pending.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["status"] == "pending")
    );
    assert_eq!(
        app.get("/api/v1/admin/orders", Some(&customer))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get("/api/v1/admin/orders?limit=0", Some(&admin))
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // an unlisted product leaves the shop's list but stays in the admin's
    let hidden = app.products[5];
    let r = app
        .call(
            Method::PATCH,
            &format!("/api/v1/admin/products/{hidden}"),
            Some(&admin),
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let public = app.get("/api/v1/products?limit=100", None).await;
    assert_eq!(public.body["total"], 59);
    let every = app
        .get("/api/v1/admin/products?limit=100", Some(&admin))
        .await;
    assert_eq!(every.body["total"], 60);
    let unlisted = app
        .get("/api/v1/admin/products?active=false", Some(&admin))
        .await;
    assert_eq!(unlisted.body["total"], 1);
    assert_eq!(unlisted.body["items"][0]["id"], hidden);
    assert_eq!(
        app.get("/api/v1/admin/products", Some(&customer))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    app.finish().await;
}

/// Ids and total of a listing, through the API (the catalog in memory) and from the store.
async fn both_listings(
    app: &TestApp,
    query: &recsys_store::ProductQuery,
    limit: i64,
    offset: i64,
) -> ((Vec<i64>, i64), (Vec<i64>, i64)) {
    let mut path = format!(
        "/api/v1/products?limit={limit}&offset={offset}&in_stock={}&sort={}",
        query.in_stock,
        serde_json::to_value(query.sort).unwrap().as_str().unwrap()
    );
    for (name, v) in [
        ("category", query.category_id),
        ("min_price", query.min_price_cents),
        ("max_price", query.max_price_cents),
    ] {
        if let Some(v) = v {
            path += &format!("&{name}={v}");
        }
    }
    let api = app.get(&path, None).await;
    assert_eq!(api.status, StatusCode::OK, "{path}: {}", api.text);
    let ids = |items: &serde_json::Value| -> Vec<i64> {
        items
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_i64().unwrap())
            .collect()
    };
    let stored = app
        .state
        .store
        .list_products(query, recsys_store::Page::new(limit, offset))
        .await
        .unwrap();
    (
        (ids(&api.body["items"]), api.body["total"].as_i64().unwrap()),
        (stored.items.iter().map(|p| p.id).collect(), stored.total),
    )
}

async fn the_listing_from_memory_matches_the_store(app: TestApp) {
    use recsys_store::{ProductQuery, ProductSort, ProductUpdate};
    let (root, fiction, science) = app.categories;
    let store = &app.state.store;
    // ties in price, products out of stock, unlisted and without a category
    for (i, &id) in app.products.iter().enumerate() {
        let update = ProductUpdate {
            price_cents: Some(1000 + (i as i64 % 7) * 100),
            stock: (i % 5 == 0).then_some(0),
            active: (i % 11 == 3).then_some(false),
            category_id: (i % 13 == 4).then_some(None),
            ..ProductUpdate::default()
        };
        store.update_product(id, &update).await.unwrap();
    }
    app.state.catalog.catch_up().await.unwrap();
    let mut sorts = vec![
        ProductSort::Newest,
        ProductSort::Oldest,
        ProductSort::PriceAsc,
        ProductSort::PriceDesc,
    ];
    // names sort by the database's collation: byte order on SQLite, as the memory's
    if store.backend_kind() == recsys_store::BackendKind::Sqlite {
        sorts.push(ProductSort::Name);
    }
    let mut compared = 0;
    for category in [
        None,
        Some(root),
        Some(fiction),
        Some(science),
        Some(999_999),
    ] {
        for &sort in &sorts {
            for in_stock in [false, true] {
                for (min, max) in [(None, None), (Some(1200), Some(1400)), (Some(1500), None)] {
                    let query = ProductQuery {
                        category_id: category,
                        min_price_cents: min,
                        max_price_cents: max,
                        active: Some(true),
                        in_stock,
                        sort,
                        ..ProductQuery::default()
                    };
                    for (limit, offset) in [(7, 0), (7, 7), (100, 0), (5, 40), (10, 1000)] {
                        let (memory, stored) = both_listings(&app, &query, limit, offset).await;
                        assert_eq!(memory, stored, "{query:?}, limit {limit}, offset {offset}");
                        compared += 1;
                    }
                }
            }
        }
    }
    assert!(compared >= 600);
    app.finish().await;
}

async fn the_catalog_catches_up_with_another_replica(app: TestApp) {
    use recsys_store::{NewProduct, ProductUpdate};
    let catalog = &app.state.catalog;
    let store = &app.state.store;
    // nothing changed: the snapshot (and the list cache's key, its generation) stays
    let before = catalog.snapshot().generation;
    catalog.catch_up().await.unwrap();
    assert_eq!(catalog.snapshot().generation, before);

    // writes through the store are what another replica's look like from here
    let id = app.products[7];
    store
        .update_product(
            id,
            &ProductUpdate {
                price_cents: Some(4321),
                stock: Some(0),
                ..ProductUpdate::default()
            },
        )
        .await
        .unwrap();
    let created = store
        .create_product(&NewProduct::new("SKU-NEW", "A new book", 999, 5))
        .await
        .unwrap();
    assert_ne!(catalog.snapshot().products[&id].price_cents, 4321);
    catalog.catch_up().await.unwrap();
    let now = catalog.snapshot();
    assert_ne!(now.generation, before);
    assert_eq!(now.products[&id].price_cents, 4321);
    assert!(!now.products[&id].recommendable());
    assert!(now.products.contains_key(&created.id));
    let listed = app
        .get("/api/v1/products?sort=price_asc&limit=1", None)
        .await;
    assert_eq!(listed.body["items"][0]["id"], created.id, "{}", listed.text);

    // a deleted product (no history) is noticed by the count
    store.delete_product(created.id).await.unwrap();
    catalog.catch_up().await.unwrap();
    assert!(!catalog.snapshot().products.contains_key(&created.id));
    let all = app.get("/api/v1/products?limit=1", None).await;
    assert_eq!(all.body["total"], 60);
    app.finish().await;
}

/// The product page is kept in memory per version of the product: an edit on this replica shows
/// at once, one on another replica (a write through the store) once the catalog has caught up,
/// as in the listings; a product gone inactive is 404 at once.
async fn a_product_page_shows_each_edit_once_the_catalog_has_it(app: TestApp) {
    use recsys_store::ProductUpdate;
    let admin = app.admin_token().await;
    let id = app.products[3];
    let path = format!("/api/v1/products/{id}");
    async fn page_of(app: &TestApp, path: &str) -> serde_json::Value {
        let r = app.get(path, None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        r.body
    }
    let first = page_of(&app, &path).await;
    assert_eq!(first, page_of(&app, &path).await, "the same page twice");

    let patched = app
        .call(
            Method::PATCH,
            &format!("/api/v1/admin/products/{id}"),
            Some(&admin),
            Some(json!({"description": "Edited here", "price_cents": 1234})),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.text);
    let edited = page_of(&app, &path).await;
    assert_eq!(edited["description"], "Edited here");
    assert_eq!(edited["price_cents"], 1234);

    // another replica's edits: a description only, then the stock (a version is the write's
    // millisecond, so the second write comes in a later one)
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let store = &app.state.store;
    let elsewhere = ProductUpdate {
        description: Some("Edited elsewhere".into()),
        ..ProductUpdate::default()
    };
    store.update_product(id, &elsewhere).await.unwrap();
    app.state.catalog.catch_up().await.unwrap();
    assert_eq!(
        page_of(&app, &path).await["description"],
        "Edited elsewhere"
    );
    let restock = ProductUpdate {
        stock: Some(77),
        ..ProductUpdate::default()
    };
    store.update_product(id, &restock).await.unwrap();
    app.state.catalog.catch_up().await.unwrap();
    let restocked = page_of(&app, &path).await;
    assert_eq!(restocked["stock"], 77);
    assert_eq!(restocked["description"], "Edited elsewhere");

    let off = app
        .call(
            Method::PATCH,
            &format!("/api/v1/admin/products/{id}"),
            Some(&admin),
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.text);
    assert_eq!(app.get(&path, None).await.status, StatusCode::NOT_FOUND);
    app.finish().await;
}

/// What a real shop has at its edges: a search of 10,000 characters (refused, naming the
/// parameter), a customer with 100,000 events and a category with 50,000 products (answered).
async fn a_real_shops_extremes_are_answered_or_refused_clearly(app: TestApp) {
    let long = "a".repeat(10_000);
    for path in [
        format!("/api/v1/search?q={long}"),
        format!("/api/v1/search?q={long}&prefix=true"),
        format!("/api/v1/products?q={long}"),
    ] {
        let r = app.get(&path, None).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert_eq!(r.body["errors"][0]["field"], "q", "{}", r.text);
    }

    // a customer with 100,000 events (views and cart adds of 40 products over and over)
    let heavy = 3usize;
    let user = app.customers[heavy];
    let events: Vec<recsys_store::NewEvent> = (0..100_000usize)
        .map(|i| {
            let kind = if i % 10 == 0 {
                recsys_store::EventKind::AddToCart
            } else {
                recsys_store::EventKind::View
            };
            recsys_store::NewEvent::new(user, app.products[i % 40], kind, 1.0)
        })
        .collect();
    for chunk in events.chunks(10_000) {
        app.state.store.record_events(chunk).await.unwrap();
    }
    app.train().await;
    let token = app.customer_token(heavy).await;
    let r = app
        .get("/api/v1/products/recommendations?limit=10", Some(&token))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["items"].as_array().unwrap().len(), 10, "{}", r.text);
    let r = app
        .get(
            &format!("/api/v1/products/{}/similar?limit=10", app.products[0]),
            Some(&token),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    // a category with 50,000 products
    use recsys_store::bulk::{CategoryRecord, ProductRecord};
    app.state
        .store
        .upsert_categories(&[CategoryRecord {
            key: "bulk".into(),
            name: "Bulk".into(),
            parent: None,
        }])
        .await
        .unwrap();
    let records: Vec<ProductRecord> = (0..50_000i64)
        .map(|i| ProductRecord {
            sku: format!("BULK-{i:05}"),
            name: format!("Bulk item {i}"),
            description: String::new(),
            category: Some("bulk".into()),
            // prices out of order, some equal
            price_cents: 100 + (i * 7919) % 40_000,
            stock: i % 5,
            active: true,
            attributes: json!({}),
            image_url: None,
            created_at: None,
        })
        .collect();
    for chunk in records.chunks(5_000) {
        app.state.store.upsert_products(chunk).await.unwrap();
    }
    app.state.catalog.reload().await.unwrap();
    let id = app
        .state
        .catalog
        .snapshot()
        .categories
        .iter()
        .find(|c| c.slug == "bulk")
        .unwrap()
        .id;
    let first = app
        .get(
            &format!("/api/v1/products?category={id}&sort=price_asc&limit=100"),
            None,
        )
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    assert_eq!(first.body["total"], 50_000);
    let prices: Vec<i64> = first.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["price_cents"].as_i64().unwrap())
        .collect();
    assert_eq!(prices.len(), 100);
    assert!(prices.windows(2).all(|w| w[0] <= w[1]), "{prices:?}");
    let last = app
        .get(
            &format!(
                "/api/v1/products?category={id}&sort=price_asc&in_stock=true&limit=100&offset=39990"
            ),
            None,
        )
        .await;
    assert_eq!(
        last.body["total"], 40_000,
        "stock 0 for every fifth: {}",
        last.text
    );
    assert_eq!(last.body["items"].as_array().unwrap().len(), 10);
    app.finish().await;
}
