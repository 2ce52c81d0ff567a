//! Carts and orders: checkout, stock under concurrency (no oversell, no lost stock, one order per cart and per idempotency key, no deadlock), totals, refresh tokens, cart input.

use recsys_store::*;

use super::helpers::*;

on_both_backends!(
    checkout_turns_the_cart_into_an_order,
    checkout_short_of_stock_changes_nothing,
    order_status_moves_forward_and_cancel_restores_stock,
    concurrent_checkouts_never_oversell,
    product_edits_during_checkouts_lose_no_stock,
    one_cart_checked_out_at_once_is_one_order,
    an_idempotency_key_gives_one_order_however_often_it_is_used,
    cancels_and_checkouts_of_the_same_products_do_not_deadlock,
    order_totals_beyond_the_range_of_cents_are_refused,
    refresh_tokens_rotate_and_a_reused_one_revokes_its_family,
    cart_input_is_validated,
    orders_list_with_their_lines,
);

async fn checkout_turns_the_cart_into_an_order(store: &Store) {
    let ann = user(store, "ann@example.com").await;
    let tea = product(store, "TEA", 450, 10).await;
    let cup = product(store, "CUP", 1200, 2).await;
    assert_eq!(store.add_to_cart(ann.id, tea.id, 2).await.unwrap(), 2);
    assert_eq!(store.add_to_cart(ann.id, tea.id, 1).await.unwrap(), 3);
    store.add_to_cart(ann.id, cup.id, 2).await.unwrap();
    let cart = store.cart(ann.id).await.unwrap();
    assert_eq!(
        (cart.item_count, cart.total_cents, cart.lines.len()),
        (5, 3 * 450 + 2 * 1200, 2)
    );
    store.set_cart_quantity(ann.id, cup.id, 1).await.unwrap();

    let order = store.checkout(ann.id).await.unwrap();
    assert_eq!(
        (
            order.user_id,
            order.status,
            order.item_count,
            order.total_cents
        ),
        (ann.id, OrderStatus::Pending, 4, 3 * 450 + 1200)
    );
    let lines: Vec<(i64, i64, i64)> = order
        .lines
        .iter()
        .map(|l| (l.product_id, l.quantity, l.unit_price_cents))
        .collect();
    assert_eq!(lines, [(tea.id, 3, 450), (cup.id, 1, 1200)]);
    assert_eq!(store.order(order.id).await.unwrap(), order);
    assert!(store.cart(ann.id).await.unwrap().lines.is_empty());
    assert_eq!(
        (
            store.product(tea.id).await.unwrap().stock,
            store.product(cup.id).await.unwrap().stock
        ),
        (7, 1)
    );

    // the store recorded the implied feedback: 3 cart adds, 2 purchases
    let events = store.user_events(ann.id, 100).await.unwrap();
    let count = |k: EventKind| events.iter().filter(|e| e.kind == k).count();
    assert_eq!(
        (count(EventKind::AddToCart), count(EventKind::Purchase)),
        (3, 2)
    );
    let purchased: f64 = events
        .iter()
        .filter(|e| e.kind == EventKind::Purchase)
        .map(|e| e.value)
        .sum();
    assert_eq!(purchased, 4.0);

    // a price change later does not change the order
    store
        .update_product(
            tea.id,
            &ProductUpdate {
                price_cents: Some(999),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        store.order(order.id).await.unwrap().total_cents,
        3 * 450 + 1200
    );
    assert_invalid(store.checkout(ann.id).await, "cart");
}

async fn checkout_short_of_stock_changes_nothing(store: &Store) {
    let ann = user(store, "ann@example.com").await;
    let plenty = product(store, "PLENTY", 100, 50).await;
    let scarce = product(store, "SCARCE", 100, 3).await;
    store.add_to_cart(ann.id, plenty.id, 5).await.unwrap();
    store.add_to_cart(ann.id, scarce.id, 3).await.unwrap();
    store.adjust_stock(scarce.id, -2).await.unwrap(); // someone else bought two meanwhile
    let short = store.checkout(ann.id).await;
    match short {
        Err(StoreError::InsufficientStock {
            product_id,
            requested: 3,
            available: 1,
        }) => assert_eq!(product_id, scarce.id),
        other => panic!("expected InsufficientStock, got {other:?}"),
    }
    // all or nothing: the first line's stock is back, the cart is intact, no order, no purchase
    assert_eq!(store.product(plenty.id).await.unwrap().stock, 50);
    assert_eq!(store.cart(ann.id).await.unwrap().item_count, 8);
    assert_eq!(
        store
            .list_orders(&OrderFilter::default(), Page::default())
            .await
            .unwrap()
            .total,
        0
    );
    assert!(
        store
            .user_events(ann.id, 100)
            .await
            .unwrap()
            .iter()
            .all(|e| e.kind != EventKind::Purchase)
    );

    let inactive = product(store, "GONE", 100, 5).await;
    store
        .update_product(
            inactive.id,
            &ProductUpdate {
                active: Some(false),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let gone = store
        .place_order(
            ann.id,
            &[OrderLineRequest {
                product_id: inactive.id,
                quantity: 1,
            }],
        )
        .await;
    assert!(
        matches!(
            gone,
            Err(StoreError::InvalidState {
                entity: "product",
                ..
            })
        ),
        "{gone:?}"
    );
    assert_not_found(
        store
            .place_order(
                ann.id,
                &[OrderLineRequest {
                    product_id: 5_555,
                    quantity: 1,
                }],
            )
            .await,
        "product",
        "5555",
    );
    assert_invalid(
        store
            .place_order(
                ann.id,
                &[OrderLineRequest {
                    product_id: plenty.id,
                    quantity: 0,
                }],
            )
            .await,
        "quantity",
    );
    assert_invalid(store.place_order(ann.id, &[]).await, "lines");
    assert_not_found(store.checkout(31_337).await, "user", "31337");
}

async fn order_status_moves_forward_and_cancel_restores_stock(store: &Store) {
    let ann = user(store, "ann@example.com").await;
    let tea = product(store, "TEA", 450, 10).await;
    let line = [
        OrderLineRequest {
            product_id: tea.id,
            quantity: 4,
        },
        OrderLineRequest {
            product_id: tea.id,
            quantity: 1,
        },
    ];
    let order = store.place_order(ann.id, &line).await.unwrap();
    assert_eq!(
        (order.lines.len(), order.item_count),
        (1, 5),
        "a product named twice is one line"
    );
    assert_eq!(store.product(tea.id).await.unwrap().stock, 5);

    let paid = store
        .update_order_status(order.id, OrderStatus::Paid)
        .await
        .unwrap();
    assert_eq!(paid.status, OrderStatus::Paid);
    let back = store
        .update_order_status(order.id, OrderStatus::Pending)
        .await;
    assert!(
        matches!(
            back,
            Err(StoreError::InvalidState {
                entity: "order",
                ..
            })
        ),
        "{back:?}"
    );
    store
        .update_order_status(order.id, OrderStatus::Cancelled)
        .await
        .unwrap();
    assert_eq!(store.product(tea.id).await.unwrap().stock, 10);
    let again = store
        .update_order_status(order.id, OrderStatus::Cancelled)
        .await;
    assert!(
        matches!(again, Err(StoreError::InvalidState { .. })),
        "{again:?}"
    );
    assert_eq!(
        store.product(tea.id).await.unwrap().stock,
        10,
        "cancelling twice must not restock twice"
    );

    let second = store
        .place_order(
            ann.id,
            &[OrderLineRequest {
                product_id: tea.id,
                quantity: 2,
            }],
        )
        .await
        .unwrap();
    for status in [
        OrderStatus::Paid,
        OrderStatus::Shipped,
        OrderStatus::Delivered,
    ] {
        assert_eq!(
            store
                .update_order_status(second.id, status)
                .await
                .unwrap()
                .status,
            status
        );
    }
    assert!(matches!(
        store
            .update_order_status(second.id, OrderStatus::Cancelled)
            .await,
        Err(StoreError::InvalidState { .. })
    ));
    assert_eq!(store.product(tea.id).await.unwrap().stock, 8);
    assert_not_found(
        store.update_order_status(404, OrderStatus::Paid).await,
        "order",
        "404",
    );
}

async fn concurrent_checkouts_never_oversell(store: &Store) {
    let last = product(store, "LAST10", 1000, 10).await;
    let mut buyers = Vec::new();
    for i in 0..50 {
        let u = user(store, &format!("buyer{i}@example.com")).await;
        store.add_to_cart(u.id, last.id, 1).await.unwrap();
        buyers.push(u.id);
    }
    let mut tasks = tokio::task::JoinSet::new();
    for id in buyers {
        let store = store.clone();
        tasks.spawn(async move { store.checkout(id).await });
    }
    let (mut ok, mut short) = (0, 0);
    while let Some(result) = tasks.join_next().await {
        match result.unwrap() {
            Ok(order) => {
                assert_eq!(order.item_count, 1);
                ok += 1;
            }
            Err(StoreError::InsufficientStock {
                requested: 1,
                available: 0,
                ..
            }) => short += 1,
            Err(other) => panic!("every failed checkout must be InsufficientStock, got {other:?}"),
        }
    }
    assert_eq!((ok, short), (10, 40));
    assert_eq!(store.product(last.id).await.unwrap().stock, 0);
    let orders = store
        .list_orders(&OrderFilter::default(), Page::default())
        .await
        .unwrap();
    assert_eq!(orders.total, 10);
}

async fn product_edits_during_checkouts_lose_no_stock(store: &Store) {
    // an edit that reads the row and writes its stock back undoes the decrements of the
    // checkouts that commit in between: the units are then sold twice
    let tea = product(store, "RACE", 500, 500).await;
    let mut buyers = Vec::new();
    for i in 0..120 {
        let u = user(store, &format!("racer{i}@example.com")).await;
        store.add_to_cart(u.id, tea.id, 1).await.unwrap();
        buyers.push(u.id);
    }
    let mut tasks = tokio::task::JoinSet::new();
    for (i, id) in buyers.into_iter().enumerate() {
        let s = store.clone();
        tasks.spawn(async move { s.checkout(id).await.map(|_| ()) });
        if i % 2 == 0 {
            let s = store.clone();
            let id = tea.id;
            tasks.spawn(async move {
                s.update_product(
                    id,
                    &ProductUpdate {
                        name: Some(format!("Racing tea {i}")),
                        ..Default::default()
                    },
                )
                .await
                .map(|_| ())
            });
        }
    }
    while let Some(result) = tasks.join_next().await {
        result.unwrap().unwrap();
    }
    assert_eq!(store.product(tea.id).await.unwrap().stock, 500 - 120);
    let orders = store
        .list_orders(&OrderFilter::default(), Page::default())
        .await
        .unwrap();
    assert_eq!(orders.total, 120);
    // an edit that sets the stock still sets it
    let set = store
        .update_product(
            tea.id,
            &ProductUpdate {
                stock: Some(7),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(set.stock, 7);
}

async fn one_cart_checked_out_at_once_is_one_order(store: &Store) {
    let tea = product(store, "TEA", 450, 1000).await;
    let coffee = product(store, "COFFEE", 900, 1000).await;
    let mut users = Vec::new();
    for i in 0..20 {
        let u = user(store, &format!("twice{i}@example.com")).await;
        store.add_to_cart(u.id, tea.id, 2).await.unwrap();
        store.add_to_cart(u.id, coffee.id, 1).await.unwrap();
        users.push(u.id);
    }
    let mut tasks = tokio::task::JoinSet::new();
    for &id in &users {
        for _ in 0..8 {
            let store = store.clone();
            tasks.spawn(async move { (id, store.checkout(id).await) });
        }
    }
    let mut orders_per_user = std::collections::HashMap::new();
    while let Some(result) = tasks.join_next().await {
        let (id, result) = result.unwrap();
        match result {
            Ok(order) => {
                assert_eq!((order.item_count, order.total_cents), (3, 1800));
                *orders_per_user.entry(id).or_insert(0) += 1;
            }
            Err(StoreError::Invalid { field: "cart", .. }) => {}
            Err(other) => panic!("a losing checkout finds the cart empty, got {other:?}"),
        }
    }
    assert!(
        users.iter().all(|u| orders_per_user.get(u) == Some(&1)),
        "{orders_per_user:?}"
    );
    assert_eq!(store.product(tea.id).await.unwrap().stock, 1000 - 40);
    assert_eq!(store.product(coffee.id).await.unwrap().stock, 1000 - 20);

    // a line added after the cart was claimed stays in the cart, for the next order
    let ann = users[0];
    store.add_to_cart(ann, tea.id, 1).await.unwrap();
    assert_eq!(store.cart(ann).await.unwrap().item_count, 1);
}

async fn an_idempotency_key_gives_one_order_however_often_it_is_used(store: &Store) {
    let tea = product(store, "TEA", 450, 100).await;
    let ann = user(store, "ann@example.com").await;
    store.add_to_cart(ann.id, tea.id, 3).await.unwrap();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let store = store.clone();
        tasks.spawn(async move {
            store
                .checkout_idempotent(ann.id, "order-2026-12-01-a")
                .await
        });
    }
    let mut results = Vec::new();
    while let Some(result) = tasks.join_next().await {
        results.push(result.unwrap().unwrap());
    }
    let first = results
        .iter()
        .find(|c| !c.replayed)
        .expect("one checkout created the order");
    assert_eq!(results.iter().filter(|c| !c.replayed).count(), 1);
    assert!(
        results.iter().all(|c| c.order == first.order),
        "every call answers the same order"
    );
    assert_eq!(store.product(tea.id).await.unwrap().stock, 97);
    let orders = store
        .list_orders(&OrderFilter::default(), Page::default())
        .await
        .unwrap();
    assert_eq!(orders.total, 1);

    // later, with a new cart: the old key still answers the old order and orders nothing
    store.add_to_cart(ann.id, tea.id, 1).await.unwrap();
    let again = store
        .checkout_idempotent(ann.id, "order-2026-12-01-a")
        .await
        .unwrap();
    assert!(again.replayed);
    assert_eq!(again.order.id, first.order.id);
    assert_eq!(
        store.cart(ann.id).await.unwrap().item_count,
        1,
        "the new cart is untouched"
    );
    // a new key orders the new cart; another user's same key is another order
    let fresh = store
        .checkout_idempotent(ann.id, "order-2026-12-01-b")
        .await
        .unwrap();
    assert!(!fresh.replayed);
    assert_ne!(fresh.order.id, first.order.id);
    let bob = user(store, "bob@example.com").await;
    store.add_to_cart(bob.id, tea.id, 1).await.unwrap();
    let bobs = store
        .checkout_idempotent(bob.id, "order-2026-12-01-a")
        .await
        .unwrap();
    assert!(!bobs.replayed);
    assert_eq!(bobs.order.user_id, bob.id);

    // a checkout that fails leaves its key unused
    let carol = user(store, "carol@example.com").await;
    store.add_to_cart(carol.id, tea.id, 2).await.unwrap();
    store
        .adjust_stock(tea.id, -(store.product(tea.id).await.unwrap().stock - 1))
        .await
        .unwrap();
    assert!(matches!(
        store.checkout_idempotent(carol.id, "k1").await,
        Err(StoreError::InsufficientStock { .. })
    ));
    assert_eq!(
        store.cart(carol.id).await.unwrap().item_count,
        2,
        "the failed checkout kept the cart"
    );
    store.adjust_stock(tea.id, 5).await.unwrap();
    assert!(
        !store
            .checkout_idempotent(carol.id, "k1")
            .await
            .unwrap()
            .replayed
    );

    for bad in ["", "has space", &"k".repeat(256), "naïve"] {
        assert_invalid(
            store.checkout_idempotent(carol.id, bad).await,
            "idempotency_key",
        );
    }
}

async fn cancels_and_checkouts_of_the_same_products_do_not_deadlock(store: &Store) {
    let products: Vec<Product> = futures_products(store, 6).await;
    // orders over every product, to cancel; carts over the same products in reverse order
    let mut to_cancel = Vec::new();
    let mut buyers = Vec::new();
    for i in 0..16 {
        let u = user(store, &format!("mixed{i}@example.com")).await;
        let lines: Vec<OrderLineRequest> = products
            .iter()
            .map(|p| OrderLineRequest {
                product_id: p.id,
                quantity: 1,
            })
            .collect();
        to_cancel.push(store.place_order(u.id, &lines).await.unwrap().id);
        for p in products.iter().rev() {
            store.add_to_cart(u.id, p.id, 1).await.unwrap();
        }
        buyers.push(u.id);
    }
    let mut tasks = tokio::task::JoinSet::new();
    for (order, buyer) in to_cancel.into_iter().zip(buyers) {
        let s = store.clone();
        tasks.spawn(async move {
            s.update_order_status(order, OrderStatus::Cancelled)
                .await
                .map(|_| ())
        });
        let s = store.clone();
        tasks.spawn(async move { s.checkout(buyer).await.map(|_| ()) });
    }
    while let Some(result) = tasks.join_next().await {
        result.unwrap().expect("no deadlock, no failure");
    }
    for p in &products {
        // 1000 at the start, 16 ordered and cancelled, 16 checked out
        assert_eq!(store.product(p.id).await.unwrap().stock, 1000 - 16);
    }
}

async fn futures_products(store: &Store, n: usize) -> Vec<Product> {
    let mut out = Vec::new();
    for i in 0..n {
        out.push(product(store, &format!("MIX{i}"), 100, 1000).await);
    }
    out
}

async fn order_totals_beyond_the_range_of_cents_are_refused(store: &Store) {
    let gold = product(store, "GOLD", i64::MAX / 2, 10).await;
    let ann = user(store, "ann@example.com").await;
    assert_invalid(store.add_to_cart(ann.id, gold.id, 3).await, "total_cents");
    assert_invalid(
        store
            .place_order(
                ann.id,
                &[OrderLineRequest {
                    product_id: gold.id,
                    quantity: 3,
                }],
            )
            .await,
        "total_cents",
    );
    // two lines that fit alone but not together
    let silver = product(store, "SILVER", i64::MAX / 2, 10).await;
    assert_invalid(
        store
            .place_order(
                ann.id,
                &[
                    OrderLineRequest {
                        product_id: gold.id,
                        quantity: 1,
                    },
                    OrderLineRequest {
                        product_id: silver.id,
                        quantity: 2,
                    },
                ],
            )
            .await,
        "total_cents",
    );
    assert_eq!(
        store.product(gold.id).await.unwrap().stock,
        10,
        "nothing was taken"
    );
    let one = store
        .place_order(
            ann.id,
            &[OrderLineRequest {
                product_id: gold.id,
                quantity: 1,
            }],
        )
        .await
        .unwrap();
    assert_eq!(one.total_cents, i64::MAX / 2);
}

async fn refresh_tokens_rotate_and_a_reused_one_revokes_its_family(store: &Store) {
    let ann = user(store, "ann@example.com").await;
    let far = now_ms() + 3_600_000;
    store
        .create_refresh_token(&NewRefreshToken {
            user_id: ann.id,
            family: "fam1".into(),
            token_hash: "h1".into(),
            expires_at: far,
        })
        .await
        .unwrap();
    assert_eq!(
        store.rotate_refresh_token("h1", "h2", far).await.unwrap(),
        Rotation::Rotated {
            user_id: ann.id,
            family: "fam1".into()
        }
    );
    assert_eq!(
        store.rotate_refresh_token("h2", "h3", far).await.unwrap(),
        Rotation::Rotated {
            user_id: ann.id,
            family: "fam1".into()
        }
    );
    // h1 again: someone kept a copy; the family, h3 included, is revoked
    assert_eq!(
        store.rotate_refresh_token("h1", "h4", far).await.unwrap(),
        Rotation::Reused { user_id: ann.id }
    );
    assert_eq!(
        store.rotate_refresh_token("h3", "h5", far).await.unwrap(),
        Rotation::Revoked
    );
    assert_eq!(
        store.rotate_refresh_token("nope", "h6", far).await.unwrap(),
        Rotation::Unknown
    );

    // expiry
    store
        .create_refresh_token(&NewRefreshToken {
            user_id: ann.id,
            family: "fam2".into(),
            token_hash: "old".into(),
            expires_at: now_ms() - 1,
        })
        .await
        .unwrap();
    assert_eq!(
        store.rotate_refresh_token("old", "h7", far).await.unwrap(),
        Rotation::Expired
    );

    // logout revokes the family; revoking a user's tokens reaches every family
    for (family, hash) in [("fam3", "a1"), ("fam4", "b1")] {
        store
            .create_refresh_token(&NewRefreshToken {
                user_id: ann.id,
                family: family.into(),
                token_hash: hash.into(),
                expires_at: far,
            })
            .await
            .unwrap();
    }
    assert!(store.revoke_refresh_family("a1").await.unwrap());
    assert!(!store.revoke_refresh_family("zzz").await.unwrap());
    assert_eq!(
        store.rotate_refresh_token("a1", "a2", far).await.unwrap(),
        Rotation::Revoked
    );
    assert_eq!(store.revoke_user_refresh_tokens(ann.id).await.unwrap(), 1);
    assert_eq!(
        store.rotate_refresh_token("b1", "b2", far).await.unwrap(),
        Rotation::Revoked
    );

    // two rotations of one token at once: one rotates, the other is a reuse
    store
        .create_refresh_token(&NewRefreshToken {
            user_id: ann.id,
            family: "fam5".into(),
            token_hash: "c1".into(),
            expires_at: far,
        })
        .await
        .unwrap();
    let (a, b) = tokio::join!(
        store.rotate_refresh_token("c1", "c2", far),
        store.rotate_refresh_token("c1", "c3", far)
    );
    let outcomes = [a.unwrap(), b.unwrap()];
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| matches!(o, Rotation::Rotated { .. }))
            .count(),
        1,
        "{outcomes:?}"
    );
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| matches!(o, Rotation::Reused { .. }))
            .count(),
        1,
        "{outcomes:?}"
    );

    assert_invalid(
        store
            .create_refresh_token(&NewRefreshToken {
                user_id: ann.id,
                family: "".into(),
                token_hash: "x".into(),
                expires_at: far,
            })
            .await,
        "family",
    );
    assert_not_found(
        store
            .create_refresh_token(&NewRefreshToken {
                user_id: 9_999,
                family: "f".into(),
                token_hash: "x".into(),
                expires_at: far,
            })
            .await,
        "user",
        "9999",
    );
}

async fn cart_input_is_validated(store: &Store) {
    let ann = user(store, "ann@example.com").await;
    let tea = product(store, "TEA", 450, 3).await;
    assert_invalid(store.add_to_cart(ann.id, tea.id, 0).await, "quantity");
    assert_invalid(store.add_to_cart(ann.id, tea.id, -2).await, "quantity");
    let too_many = store.add_to_cart(ann.id, tea.id, 4).await;
    assert!(
        matches!(
            too_many,
            Err(StoreError::InsufficientStock {
                requested: 4,
                available: 3,
                ..
            })
        ),
        "{too_many:?}"
    );
    assert!(
        store.cart(ann.id).await.unwrap().lines.is_empty(),
        "a rejected add leaves nothing behind"
    );
    assert_not_found(store.add_to_cart(ann.id, 777, 1).await, "product", "777");
    assert_not_found(store.add_to_cart(888, tea.id, 1).await, "user", "888");
    assert_not_found(
        store.remove_from_cart(ann.id, tea.id).await,
        "cart line for product",
        &tea.id.to_string(),
    );
    store.add_to_cart(ann.id, tea.id, 1).await.unwrap();
    store.set_cart_quantity(ann.id, tea.id, 0).await.unwrap();
    assert!(store.cart(ann.id).await.unwrap().lines.is_empty());
}

async fn orders_list_with_their_lines(store: &Store) {
    let ann = user(store, "ann@example.com").await;
    let bob = user(store, "bob@example.com").await;
    let a = product(store, "A", 100, 100).await;
    let b = product(store, "B", 250, 100).await;
    for i in 0..5 {
        let who = if i % 2 == 0 { ann.id } else { bob.id };
        store
            .place_order(
                who,
                &[
                    OrderLineRequest {
                        product_id: a.id,
                        quantity: i + 1,
                    },
                    OrderLineRequest {
                        product_id: b.id,
                        quantity: 1,
                    },
                ],
            )
            .await
            .unwrap();
    }
    let anns = store
        .list_orders(
            &OrderFilter {
                user_id: Some(ann.id),
                ..Default::default()
            },
            Page::new(2, 0),
        )
        .await
        .unwrap();
    assert_eq!((anns.total, anns.items.len()), (3, 2));
    assert!(
        anns.items
            .iter()
            .all(|o| o.user_id == ann.id && o.lines.len() == 2)
    );
    assert_eq!(anns.items[0].lines[0].quantity, 5, "newest first");
    assert_eq!(anns.items[0].total_cents, 5 * 100 + 250);
    let pending = store
        .list_orders(
            &OrderFilter {
                status: Some(OrderStatus::Paid),
                ..Default::default()
            },
            Page::default(),
        )
        .await
        .unwrap();
    assert_eq!(pending.total, 0);
}
