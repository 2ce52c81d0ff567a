//! The store's conformance suite: every test runs on SQLite and on a real PostgreSQL + pgvector
//! server, each on a fresh migrated database, and expects the same behaviour.

mod common;

use std::collections::HashSet;

use recsys_core::SplitMix64;
use recsys_store::*;
use serde_json::json;

on_both_backends!(
    users_round_trip_and_emails_are_unique_case_insensitively,
    invalid_user_input_names_the_field,
    list_users_filters_and_pages,
    categories_form_a_tree_without_cycles,
    products_round_trip_and_skus_are_unique,
    product_listing_filters_sorts_and_pages,
    bulk_product_import_is_all_or_nothing,
    bad_product_input_is_rejected,
    injection_strings_are_stored_and_matched_verbatim,
    products_with_history_cannot_be_deleted,
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
    events_ingest_and_read_back_as_weighted_triples,
    an_event_batch_with_a_bad_row_stores_nothing,
    model_versions_activate_and_roll_back,
    model_configs_are_upserted_by_name,
    training_runs_follow_their_lifecycle,
    concurrent_claims_give_each_run_to_one_worker,
    experiments_count_events_per_arm_and_attribute_purchases,
    rec_metrics_give_ctr_per_version_and_placement,
    user_segments_are_replaced_as_a_whole,
    nearest_items_agree_with_exact_search,
    embedding_input_is_validated,
    audit_log_appends_and_filters,
    search_analytics_rank_queries,
    daily_rollup_counts_activity_and_can_run_again,
);

// ---- helpers -----------------------------------------------------------------------------------

/// A well-formed argon2id PHC string (not a real hash: the store never verifies).
fn hash(salt: &str) -> PasswordHash {
    PasswordHash::new(format!("$argon2id$v=19$m=19456,t=2,p=1${salt}$aGFzaGhhc2g")).unwrap()
}

async fn user(store: &Store, email: &str) -> User {
    store
        .create_user(&NewUser::new(email, hash("c2FsdA"), Role::User))
        .await
        .unwrap()
}

async fn product(store: &Store, sku: &str, price_cents: i64, stock: i64) -> Product {
    store
        .create_product(&NewProduct::new(
            sku,
            format!("Product {sku}"),
            price_cents,
            stock,
        ))
        .await
        .unwrap()
}

fn assert_invalid<T: std::fmt::Debug>(result: Result<T>, field: &str) {
    match result {
        Err(StoreError::Invalid { field: f, reason }) => assert_eq!(f, field, "reason: {reason}"),
        other => panic!("expected Invalid {{ field: {field} }}, got {other:?}"),
    }
}

fn assert_not_found<T: std::fmt::Debug>(result: Result<T>, entity: &str, id: &str) {
    match result {
        Err(StoreError::NotFound { entity: e, id: i }) => assert_eq!((e, i.as_str()), (entity, id)),
        other => panic!("expected NotFound {entity} {id}, got {other:?}"),
    }
}

/// A standard normal draw (Box-Muller) from the core's seeded generator, for generated vectors.
fn normal(rng: &mut SplitMix64) -> f32 {
    let (u, v) = (rng.next_f32().max(1e-7), rng.next_f32());
    (-2.0 * u.ln()).sqrt() * (std::f32::consts::TAU * v).cos()
}

// ---- users -------------------------------------------------------------------------------------

async fn users_round_trip_and_emails_are_unique_case_insensitively(store: &Store) {
    let mut new = NewUser::new("  Ann@Example.com ", hash("c2FsdDE"), Role::Admin);
    new.display_name = "Ann".into();
    let ann = store.create_user(&new).await.unwrap();
    assert_eq!(ann.email, "ann@example.com");
    assert_eq!(
        (ann.role, ann.active, ann.display_name.as_str()),
        (Role::Admin, true, "Ann")
    );
    assert_eq!(store.user(ann.id).await.unwrap(), ann);
    assert_eq!(
        store.user_by_email("ANN@example.COM").await.unwrap(),
        Some(ann.clone())
    );
    assert_eq!(store.user_by_email("bob@example.com").await.unwrap(), None);

    let again = store
        .create_user(&NewUser::new(
            "ann@EXAMPLE.com",
            hash("c2FsdDI"),
            Role::User,
        ))
        .await;
    assert!(
        matches!(
            again,
            Err(StoreError::Conflict {
                entity: "user",
                field: "email"
            })
        ),
        "{again:?}"
    );

    let bob = user(store, "bob@example.com").await;
    let clash = store
        .update_user(
            bob.id,
            &UserUpdate {
                email: Some("ann@example.com".into()),
                ..Default::default()
            },
        )
        .await;
    assert!(
        matches!(clash, Err(StoreError::Conflict { field: "email", .. })),
        "{clash:?}"
    );

    let updated = store
        .update_user(
            bob.id,
            &UserUpdate {
                role: Some(Role::Admin),
                active: Some(false),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (updated.role, updated.active, updated.email.as_str()),
        (Role::Admin, false, "bob@example.com")
    );
    store.record_login(bob.id).await.unwrap();
    assert!(store.user(bob.id).await.unwrap().last_login_at.is_some());
    assert_not_found(store.user(9_999).await, "user", "9999");
    assert_not_found(
        store.update_user(9_999, &UserUpdate::default()).await,
        "user",
        "9999",
    );
}

async fn invalid_user_input_names_the_field(store: &Store) {
    assert_invalid(
        store
            .create_user(&NewUser::new("not-an-email", hash("aA"), Role::User))
            .await,
        "email",
    );
    // a password hash is a PHC string: a password in clear cannot even be made into one
    for not_a_hash in [
        "",
        "hunter2",
        "$",
        "$argon2id",
        "$Argon2$x",
        "$argon2id$v=19$$abc",
        "$argon2id$a b",
        "$2b$12$bad'quote",
    ] {
        assert_invalid(PasswordHash::new(not_a_hash), "password_hash");
    }
    assert_invalid(
        PasswordHash::new(format!("$argon2id${}", "a".repeat(1100))),
        "password_hash",
    );
    let bcrypt =
        PasswordHash::new("$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW").unwrap();
    assert_eq!(bcrypt.scheme(), "2b");
    let argon = hash("c2FsdA");
    assert_eq!(argon.scheme(), "argon2id");
    assert_eq!(format!("{argon:?}"), "PasswordHash($argon2id$<redacted>)");
    let debug_user = format!("{:?}", NewUser::new("a@b.co", argon, Role::User));
    assert!(
        !debug_user.contains("aGFzaGhhc2g"),
        "Debug never shows the hash: {debug_user}"
    );
    let long = format!("{}@example.com", "x".repeat(300));
    assert_invalid(
        store
            .create_user(&NewUser::new(long, hash("aA"), Role::User))
            .await,
        "email",
    );
    let mut nul = NewUser::new("nul@example.com", hash("aA"), Role::User);
    nul.display_name = "a\0b".into();
    assert_invalid(store.create_user(&nul).await, "display_name");
    assert_eq!(
        store
            .list_users(&UserFilter::default(), Page::default())
            .await
            .unwrap()
            .total,
        0
    );
}

async fn list_users_filters_and_pages(store: &Store) {
    for i in 0..7 {
        let u = user(store, &format!("user{i}@shop.test")).await;
        if i % 3 == 0 {
            store
                .update_user(
                    u.id,
                    &UserUpdate {
                        role: Some(Role::Admin),
                        ..Default::default()
                    },
                )
                .await
                .unwrap();
        }
    }
    user(store, "other@elsewhere.test").await;
    let admins = store
        .list_users(
            &UserFilter {
                role: Some(Role::Admin),
                ..Default::default()
            },
            Page::default(),
        )
        .await
        .unwrap();
    assert_eq!(admins.total, 3);
    let shop = UserFilter {
        email_contains: Some("SHOP.test".into()),
        ..Default::default()
    };
    let first = store.list_users(&shop, Page::new(4, 0)).await.unwrap();
    let second = store.list_users(&shop, Page::new(4, 4)).await.unwrap();
    assert_eq!(
        (first.total, first.items.len(), second.items.len()),
        (7, 4, 3)
    );
    let ids: HashSet<i64> = first
        .items
        .iter()
        .chain(&second.items)
        .map(|u| u.id)
        .collect();
    assert_eq!(ids.len(), 7, "pages overlap");
    assert_invalid(store.list_users(&shop, Page::new(0, 0)).await, "limit");
    assert_invalid(store.list_users(&shop, Page::new(10, -1)).await, "offset");
}

// ---- catalog -----------------------------------------------------------------------------------

async fn categories_form_a_tree_without_cycles(store: &Store) {
    let cat = |name: &str, slug: &str, parent: Option<i64>| NewCategory {
        name: name.into(),
        slug: slug.into(),
        parent_id: parent,
    };
    let food = store
        .create_category(&cat("Food", "food", None))
        .await
        .unwrap();
    let drinks = store
        .create_category(&cat("Drinks", "drinks", Some(food.id)))
        .await
        .unwrap();
    let tea = store
        .create_category(&cat("Tea", "tea", Some(drinks.id)))
        .await
        .unwrap();
    assert_eq!(
        store
            .list_categories()
            .await
            .unwrap()
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        ["Drinks", "Food", "Tea"]
    );

    let dup = store.create_category(&cat("Food 2", "food", None)).await;
    assert!(
        matches!(
            dup,
            Err(StoreError::Conflict {
                entity: "category",
                field: "slug"
            })
        ),
        "{dup:?}"
    );
    assert_invalid(
        store.create_category(&cat("Bad", "Bad Slug", None)).await,
        "slug",
    );
    assert_not_found(
        store
            .create_category(&cat("Orphan", "orphan", Some(777)))
            .await,
        "category",
        "777",
    );

    // moving Food under Tea would make a cycle; under itself too
    let cycle = store
        .update_category(
            food.id,
            &CategoryUpdate {
                parent_id: Some(Some(tea.id)),
                ..Default::default()
            },
        )
        .await;
    assert_invalid(cycle, "parent_id");
    assert_invalid(
        store
            .update_category(
                food.id,
                &CategoryUpdate {
                    parent_id: Some(Some(food.id)),
                    ..Default::default()
                },
            )
            .await,
        "parent_id",
    );
    let moved = store
        .update_category(
            tea.id,
            &CategoryUpdate {
                parent_id: Some(Some(food.id)),
                name: Some("Teas".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (moved.parent_id, moved.name.as_str(), moved.slug.as_str()),
        (Some(food.id), "Teas", "tea")
    );

    let in_use = store.delete_category(food.id).await;
    assert!(
        matches!(
            in_use,
            Err(StoreError::InUse {
                referenced_by: "sub-categories",
                ..
            })
        ),
        "{in_use:?}"
    );
    store.delete_category(drinks.id).await.unwrap();
    assert_not_found(
        store.category(drinks.id).await,
        "category",
        &drinks.id.to_string(),
    );
}

async fn products_round_trip_and_skus_are_unique(store: &Store) {
    let cat = store
        .create_category(&NewCategory {
            name: "Tea".into(),
            slug: "tea".into(),
            parent_id: None,
        })
        .await
        .unwrap();
    let mut new = NewProduct::new("TEA-1", "Green tea", 450, 12);
    new.description = "Sencha from Shizuoka".into();
    new.category_id = Some(cat.id);
    new.attributes = json!({"origin": "JP", "grams": 100, "tags": ["green", "loose"]});
    let tea = store.create_product(&new).await.unwrap();
    assert_eq!(
        (tea.sku.as_str(), tea.price_cents, tea.stock, tea.active),
        ("TEA-1", 450, 12, true)
    );
    assert_eq!(tea.attributes, new.attributes);
    assert_eq!(store.product(tea.id).await.unwrap(), tea);
    assert_eq!(
        store.product_by_sku("TEA-1").await.unwrap(),
        Some(tea.clone())
    );

    let dup = store
        .create_product(&NewProduct::new("TEA-1", "Other", 1, 1))
        .await;
    assert!(
        matches!(
            dup,
            Err(StoreError::Conflict {
                entity: "product",
                field: "sku"
            })
        ),
        "{dup:?}"
    );

    let coffee = product(store, "COF-1", 900, 3).await;
    let changed = store
        .update_product(
            tea.id,
            &ProductUpdate {
                price_cents: Some(500),
                category_id: Some(None),
                active: Some(false),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (
            changed.price_cents,
            changed.category_id,
            changed.active,
            changed.name.as_str()
        ),
        (500, None, false, "Green tea")
    );
    let taken = store
        .update_product(
            coffee.id,
            &ProductUpdate {
                sku: Some("TEA-1".into()),
                ..Default::default()
            },
        )
        .await;
    assert!(
        matches!(taken, Err(StoreError::Conflict { field: "sku", .. })),
        "{taken:?}"
    );

    let by_ids = store
        .products_by_ids(&[coffee.id, 424_242, tea.id])
        .await
        .unwrap();
    assert_eq!(
        by_ids.iter().map(|p| p.id).collect::<Vec<_>>(),
        [coffee.id, tea.id]
    );

    assert_eq!(store.adjust_stock(coffee.id, 5).await.unwrap(), 8);
    let short = store.adjust_stock(coffee.id, -9).await;
    assert!(
        matches!(
            short,
            Err(StoreError::InsufficientStock {
                requested: 9,
                available: 8,
                ..
            })
        ),
        "{short:?}"
    );
    assert_eq!(store.product(coffee.id).await.unwrap().stock, 8);

    store.delete_product(coffee.id).await.unwrap();
    assert_not_found(
        store.product(coffee.id).await,
        "product",
        &coffee.id.to_string(),
    );
}

async fn product_listing_filters_sorts_and_pages(store: &Store) {
    let cat = |name: &str, parent: Option<i64>| NewCategory {
        name: name.into(),
        slug: name.to_lowercase(),
        parent_id: parent,
    };
    let drinks = store.create_category(&cat("Drinks", None)).await.unwrap();
    let tea = store
        .create_category(&cat("Tea", Some(drinks.id)))
        .await
        .unwrap();
    let snacks = store.create_category(&cat("Snacks", None)).await.unwrap();
    let specs = [
        ("T1", "Green tea", tea.id, 300, 5),
        ("T2", "Black tea", tea.id, 500, 0),
        ("D1", "CAFÉ au lait", drinks.id, 700, 2),
        ("S1", "Crisps", snacks.id, 200, 9),
        ("S2", "Chocolate", snacks.id, 900, 1),
    ];
    for (sku, name, category, price, stock) in specs {
        let mut p = NewProduct::new(sku, name, price, stock);
        p.category_id = Some(category);
        store.create_product(&p).await.unwrap();
    }
    let skus = |page: &Paged<Product>| page.items.iter().map(|p| p.sku.clone()).collect::<Vec<_>>();
    let list =
        |q: ProductQuery| async move { store.list_products(&q, Page::default()).await.unwrap() };

    // a category includes everything below it
    let under_drinks = list(ProductQuery {
        category_id: Some(drinks.id),
        sort: ProductSort::PriceAsc,
        ..Default::default()
    })
    .await;
    assert_eq!(skus(&under_drinks), ["T1", "T2", "D1"]);
    assert_eq!(under_drinks.total, 3);
    // text search is case-insensitive beyond ASCII, the same on both backends
    assert_eq!(
        skus(
            &list(ProductQuery {
                text: Some("café".into()),
                ..Default::default()
            })
            .await
        ),
        ["D1"]
    );
    assert_eq!(
        skus(
            &list(ProductQuery {
                text: Some("TEA".into()),
                sort: ProductSort::Name,
                ..Default::default()
            })
            .await
        ),
        ["T2", "T1"]
    );
    let priced = list(ProductQuery {
        min_price_cents: Some(300),
        max_price_cents: Some(700),
        in_stock: true,
        sort: ProductSort::PriceDesc,
        ..Default::default()
    })
    .await;
    assert_eq!(skus(&priced), ["D1", "T1"]);
    let newest = list(ProductQuery::default()).await;
    assert_eq!(skus(&newest), ["S2", "S1", "D1", "T2", "T1"]);

    let page1 = store
        .list_products(
            &ProductQuery {
                sort: ProductSort::Oldest,
                ..Default::default()
            },
            Page::new(2, 0),
        )
        .await
        .unwrap();
    let page3 = store
        .list_products(
            &ProductQuery {
                sort: ProductSort::Oldest,
                ..Default::default()
            },
            Page::new(2, 4),
        )
        .await
        .unwrap();
    assert_eq!(
        (skus(&page1), skus(&page3), page3.total),
        (
            vec!["T1".to_string(), "T2".into()],
            vec!["S2".to_string()],
            5
        )
    );

    let s1 = store.product_by_sku("S1").await.unwrap().unwrap();
    store
        .update_product(
            s1.id,
            &ProductUpdate {
                active: Some(false),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        list(ProductQuery {
            active: Some(true),
            ..Default::default()
        })
        .await
        .total,
        4
    );
}

async fn bulk_product_import_is_all_or_nothing(store: &Store) {
    let cat = store
        .create_category(&NewCategory {
            name: "Bulk".into(),
            slug: "bulk".into(),
            parent_id: None,
        })
        .await
        .unwrap();
    let mut batch: Vec<NewProduct> = (0..2500)
        .map(|i| NewProduct::new(format!("B{i:05}"), format!("Bulk {i}"), i, 1))
        .collect();
    batch[17].category_id = Some(cat.id);
    batch[2400].sku = "B00003".into();
    let dup = store.create_products(&batch).await;
    assert!(
        matches!(
            dup,
            Err(StoreError::Conflict {
                entity: "product",
                field: "sku"
            })
        ),
        "{dup:?}"
    );
    assert_eq!(
        store
            .list_products(&ProductQuery::default(), Page::default())
            .await
            .unwrap()
            .total,
        0
    );
    batch[2400].sku = "B02400".into();
    batch[5].category_id = Some(9_999);
    assert_not_found(store.create_products(&batch).await, "category", "9999");
    batch[5].category_id = None;
    batch[9].price_cents = -1;
    assert_invalid(store.create_products(&batch).await, "price_cents");
    batch[9].price_cents = 9;
    let created = store.create_products(&batch).await.unwrap();
    assert_eq!(created.len(), 2500);
    assert!(
        created
            .iter()
            .zip(&batch)
            .all(|(p, n)| p.sku == n.sku && p.price_cents == n.price_cents)
    );
    assert_eq!(created[17].category_id, Some(cat.id));
    assert_eq!(
        store.product(created[1234].id).await.unwrap(),
        created[1234]
    );
}

async fn bad_product_input_is_rejected(store: &Store) {
    assert_invalid(
        store
            .create_product(&NewProduct::new("N1", "Negative", -1, 1))
            .await,
        "price_cents",
    );
    assert_invalid(
        store
            .create_product(&NewProduct::new("N2", "Negative", 1, -5))
            .await,
        "stock",
    );
    assert_invalid(
        store
            .create_product(&NewProduct::new("", "No sku", 1, 1))
            .await,
        "sku",
    );
    assert_invalid(
        store
            .create_product(&NewProduct::new("L1", "x".repeat(201), 1, 1))
            .await,
        "name",
    );
    assert_invalid(
        store
            .create_product(&NewProduct::new("S".repeat(65), "Long sku", 1, 1))
            .await,
        "sku",
    );
    let mut array = NewProduct::new("A1", "Array attributes", 1, 1);
    array.attributes = json!([1, 2]);
    assert_invalid(store.create_product(&array).await, "attributes");
    let mut orphan = NewProduct::new("O1", "Orphan", 1, 1);
    orphan.category_id = Some(404);
    assert_not_found(store.create_product(&orphan).await, "category", "404");
    let ok = product(store, "OK1", 100, 1).await;
    assert_invalid(
        store
            .update_product(
                ok.id,
                &ProductUpdate {
                    price_cents: Some(-3),
                    ..Default::default()
                },
            )
            .await,
        "price_cents",
    );
    assert_not_found(
        store.update_product(999, &ProductUpdate::default()).await,
        "product",
        "999",
    );
    assert_eq!(
        store
            .list_products(&ProductQuery::default(), Page::default())
            .await
            .unwrap()
            .total,
        1
    );
}

async fn injection_strings_are_stored_and_matched_verbatim(store: &Store) {
    let nasty = [
        "'; DROP TABLE products; --",
        "Robert'); DELETE FROM users WHERE ('1'='1",
        "100% _pure_ \\ tea",
        "\" OR 1=1 --",
        "emoji ☕ and ünïcödé",
    ];
    for (i, name) in nasty.iter().enumerate() {
        let mut p = NewProduct::new(format!("SKU-{i}-'\""), *name, 100, 1);
        p.description = name.to_string();
        p.attributes = json!({ "note": name });
        let stored = store.create_product(&p).await.unwrap();
        let back = store.product(stored.id).await.unwrap();
        assert_eq!(
            (
                back.name.as_str(),
                back.description.as_str(),
                &back.attributes["note"]
            ),
            (*name, *name, &json!(name))
        );
        assert_eq!(
            store.product_by_sku(&p.sku).await.unwrap().unwrap().id,
            stored.id
        );
    }
    assert_eq!(
        store
            .list_products(&ProductQuery::default(), Page::default())
            .await
            .unwrap()
            .total,
        5
    );
    // LIKE wildcards in a search are literal
    let percent = store
        .list_products(
            &ProductQuery {
                text: Some("100%".into()),
                ..Default::default()
            },
            Page::default(),
        )
        .await
        .unwrap();
    assert_eq!(
        percent
            .items
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>(),
        [nasty[2]]
    );
    let underscore = store
        .list_products(
            &ProductQuery {
                text: Some("_pure_".into()),
                ..Default::default()
            },
            Page::default(),
        )
        .await
        .unwrap();
    assert_eq!(underscore.total, 1);
    let nothing = store
        .list_products(
            &ProductQuery {
                text: Some("%".into()),
                ..Default::default()
            },
            Page::default(),
        )
        .await
        .unwrap();
    assert_eq!(
        nothing.total, 1,
        "'%' matches only the name that contains it"
    );
    let mut obrien = NewUser::new("o'brien+test@example.com", hash("c2FsdA"), Role::User);
    obrien.display_name = "x'); DROP TABLE users; --".into();
    let u = store.create_user(&obrien).await.unwrap();
    assert_eq!(
        store.user(u.id).await.unwrap().display_name,
        "x'); DROP TABLE users; --"
    );
    assert_eq!(
        store
            .user_by_email("O'Brien+test@example.com")
            .await
            .unwrap()
            .map(|u| u.id),
        Some(u.id)
    );
    store
        .record_search("' OR '1'='1", 0, Some(u.id))
        .await
        .unwrap();
    let top = store.top_searches(0, i64::MAX, 10, false).await.unwrap();
    assert_eq!(top[0].query, "' or '1'='1");
}

async fn products_with_history_cannot_be_deleted(store: &Store) {
    let ann = user(store, "ann@example.com").await;
    let viewed = product(store, "V1", 100, 5).await;
    let ordered = product(store, "O1", 100, 5).await;
    store
        .record_events(&[NewEvent::new(ann.id, viewed.id, EventKind::View, 1.0)])
        .await
        .unwrap();
    store
        .place_order(
            ann.id,
            &[OrderLineRequest {
                product_id: ordered.id,
                quantity: 1,
            }],
        )
        .await
        .unwrap();
    let v = store.delete_product(viewed.id).await;
    assert!(
        matches!(
            v,
            Err(StoreError::InUse {
                referenced_by: "interaction events",
                ..
            })
        ),
        "{v:?}"
    );
    let o = store.delete_product(ordered.id).await;
    assert!(
        matches!(
            o,
            Err(StoreError::InUse {
                referenced_by: "orders",
                ..
            })
        ),
        "{o:?}"
    );
    assert_eq!(store.product(ordered.id).await.unwrap().stock, 4);
}

// ---- carts and orders --------------------------------------------------------------------------

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

// ---- events ------------------------------------------------------------------------------------

async fn events_ingest_and_read_back_as_weighted_triples(store: &Store) {
    let users = [
        user(store, "u1@x.io").await.id,
        user(store, "u2@x.io").await.id,
    ];
    let items = [
        product(store, "I1", 1, 1).await.id,
        product(store, "I2", 1, 1).await.id,
    ];
    let t0 = 1_700_000_000_000;
    let events = [
        NewEvent::new(users[0], items[0], EventKind::View, 1.0).at(t0),
        NewEvent::new(users[0], items[0], EventKind::View, 1.0).at(t0 + 1),
        NewEvent::new(users[0], items[0], EventKind::Purchase, 2.0).at(t0 + 2),
        NewEvent::new(users[0], items[1], EventKind::Rating, 4.5).at(t0 + 3),
        NewEvent::new(users[1], items[1], EventKind::Click, 1.0).at(t0 + 10_000),
    ];
    assert_eq!(store.record_events(&events).await.unwrap(), 5);
    assert_eq!(store.record_events(&[]).await.unwrap(), 0);
    assert_eq!(store.count_events().await.unwrap(), 5);

    let triples = store
        .interaction_triples(&EventWeights::default(), None)
        .await
        .unwrap();
    // view 1 + view 1 + purchase 8 * 2; rating 1 * 4.5; click 2
    assert_eq!(
        triples,
        [
            (users[0], items[0], 18.0),
            (users[0], items[1], 4.5),
            (users[1], items[1], 2.0)
        ]
    );
    let recent = store
        .interaction_triples(&EventWeights::default(), Some(t0 + 5))
        .await
        .unwrap();
    assert_eq!(recent, [(users[1], items[1], 2.0)]);
    let only_purchases = EventWeights {
        view: 0.0,
        click: 0.0,
        add_to_cart: 0.0,
        purchase: 1.0,
        rating: 0.0,
    };
    assert_eq!(
        store
            .interaction_triples(&only_purchases, None)
            .await
            .unwrap(),
        [(users[0], items[0], 2.0)]
    );
    let bad = EventWeights {
        view: f64::NAN,
        ..EventWeights::default()
    };
    assert_invalid(store.interaction_triples(&bad, None).await, "weights.view");

    let matrix = store
        .interactions(&EventWeights::default(), None)
        .await
        .unwrap();
    assert_eq!(
        (matrix.n_users(), matrix.n_items(), matrix.nnz()),
        (2, 2, 3)
    );

    let history = store.user_events(users[0], 2).await.unwrap();
    assert_eq!(
        history.iter().map(|e| e.kind).collect::<Vec<_>>(),
        [EventKind::Rating, EventKind::Purchase]
    );
}

async fn an_event_batch_with_a_bad_row_stores_nothing(store: &Store) {
    let u = user(store, "u@x.io").await.id;
    let i = product(store, "I", 1, 1).await.id;
    let mut batch: Vec<NewEvent> = (0..2500)
        .map(|n| NewEvent::new(u, i, EventKind::View, 1.0).at(n))
        .collect();
    batch[1700].product_id = 98_765;
    assert_not_found(store.record_events(&batch).await, "product", "98765");
    batch[1700].product_id = i;
    batch[2100].user_id = 4_321;
    assert_not_found(store.record_events(&batch).await, "user", "4321");
    batch[2100].user_id = u;
    batch[10].value = f64::NAN;
    assert_invalid(store.record_events(&batch).await, "value");
    batch[10].value = -1.0;
    assert_invalid(store.record_events(&batch).await, "value");
    batch[10].value = 1.0;
    batch[11].at = Some(-5);
    assert_invalid(store.record_events(&batch).await, "at");
    assert_eq!(store.count_events().await.unwrap(), 0);
    batch[11].at = Some(11);
    assert_eq!(store.record_events(&batch).await.unwrap(), 2500);
    assert_eq!(store.count_events().await.unwrap(), 2500);
}

// ---- models ------------------------------------------------------------------------------------

fn version(name: &str, blob: &[u8]) -> NewModelVersion {
    NewModelVersion {
        name: name.into(),
        kind: "als".into(),
        config_id: None,
        params: json!({"factors": 64}),
        metrics: json!({"ndcg@10": 0.31}),
        blob: blob.to_vec(),
    }
}

async fn model_versions_activate_and_roll_back(store: &Store) {
    let v1 = store
        .save_model_version(&version("als", b"model one"))
        .await
        .unwrap();
    let v2 = store
        .save_model_version(&version("als", b"model two"))
        .await
        .unwrap();
    let v3 = store
        .save_model_version(&version("als", b"model three"))
        .await
        .unwrap();
    let other = store
        .save_model_version(&version("content", b"other"))
        .await
        .unwrap();
    assert_eq!(
        (v1.version, v2.version, v3.version, other.version),
        (1, 2, 3, 1)
    );
    assert_eq!((v3.size_bytes, v3.active), (11, false));
    assert_eq!(v1.checksum.len(), 64);
    assert_eq!(store.model_blob(v2.id).await.unwrap(), b"model two");
    assert_eq!(store.active_model_version("als").await.unwrap(), None);
    let none = store.rollback_model("als").await;
    assert!(
        matches!(none, Err(StoreError::InvalidState { .. })),
        "{none:?}"
    );

    store.activate_model_version(other.id).await.unwrap();
    store.activate_model_version(v3.id).await.unwrap();
    let active = store.activate_model_version(v3.id).await.unwrap(); // again: a no-op
    assert!(active.active && active.activated_at.is_some());
    assert_eq!(store.rollback_model("als").await.unwrap().id, v2.id);
    assert_eq!(store.rollback_model("als").await.unwrap().id, v1.id);
    let first = store.rollback_model("als").await;
    assert!(
        matches!(first, Err(StoreError::InvalidState { .. })),
        "{first:?}"
    );
    let versions = store.list_model_versions("als").await.unwrap();
    assert_eq!(
        versions
            .iter()
            .map(|v| (v.version, v.active))
            .collect::<Vec<_>>(),
        [(3, false), (2, false), (1, true)]
    );
    assert_eq!(
        store
            .active_model_version("content")
            .await
            .unwrap()
            .unwrap()
            .id,
        other.id,
        "names are independent"
    );

    assert_invalid(store.save_model_version(&version("als", b"")).await, "blob");
    assert_invalid(store.save_model_version(&version("", b"x")).await, "name");
    assert_not_found(
        store.activate_model_version(999).await,
        "model version",
        "999",
    );
    assert_not_found(store.model_blob(999).await, "model version", "999");
}

async fn model_configs_are_upserted_by_name(store: &Store) {
    let cfg = NewModelConfig {
        name: "als-default".into(),
        kind: "als".into(),
        params: json!({"factors": 64}),
    };
    let first = store.upsert_model_config(&cfg).await.unwrap();
    let second = store
        .upsert_model_config(&NewModelConfig {
            params: json!({"factors": 128}),
            ..cfg.clone()
        })
        .await
        .unwrap();
    assert_eq!(first.id, second.id);
    assert_eq!(
        store.model_config("als-default").await.unwrap().params,
        json!({"factors": 128})
    );
    assert_eq!(store.list_model_configs().await.unwrap().len(), 1);
    assert_invalid(
        store
            .upsert_model_config(&NewModelConfig {
                params: json!(3),
                ..cfg
            })
            .await,
        "params",
    );
    assert_not_found(store.model_config("nope").await, "model config", "nope");
}

async fn training_runs_follow_their_lifecycle(store: &Store) {
    let run = store
        .create_training_run("als", None, &json!({"iterations": 15}))
        .await
        .unwrap();
    assert_eq!(
        (run.status, run.started_at, run.finished_at),
        (RunStatus::Queued, None, None)
    );
    // a worker that has not claimed it cannot beat or finish it
    let stranger = store.heartbeat_training_run(run.id, "w2", &json!({})).await;
    assert!(
        matches!(stranger, Err(StoreError::InvalidState { .. })),
        "{stranger:?}"
    );
    let running = store.claim_training_run("w1").await.unwrap().unwrap();
    assert_eq!(running.id, run.id);
    assert!(running.status == RunStatus::Running && running.started_at.is_some());
    assert_eq!(running.worker.as_deref(), Some("w1"));
    assert!(store.claim_training_run("w2").await.unwrap().is_none());
    let cancel = store
        .heartbeat_training_run(run.id, "w1", &json!({"iteration": 3, "loss": 0.5}))
        .await
        .unwrap();
    assert!(!cancel);
    assert_eq!(
        store.training_run(run.id).await.unwrap().progress["iteration"],
        3
    );
    let (done, v) = store
        .succeed_training_run(run.id, "w1", &version("als", b"bytes"))
        .await
        .unwrap();
    assert_eq!(
        (done.status, done.model_version_id),
        (RunStatus::Succeeded, Some(v.id))
    );
    assert!(done.finished_at.unwrap() >= done.started_at.unwrap());
    // a run that ended cannot end again, nor save a second version
    let late = store
        .end_training_run(run.id, "w1", RunStatus::Failed, Some("too late"))
        .await;
    assert!(
        matches!(late, Err(StoreError::InvalidState { .. })),
        "{late:?}"
    );
    let again = store
        .succeed_training_run(run.id, "w1", &version("als", b"again"))
        .await;
    assert!(
        matches!(again, Err(StoreError::InvalidState { .. })),
        "{again:?}"
    );
    assert_eq!(store.list_model_versions("als").await.unwrap().len(), 1);

    let failing = store
        .create_training_run("als", None, &json!({}))
        .await
        .unwrap();
    store.claim_training_run("w1").await.unwrap().unwrap();
    let failed = store
        .end_training_run(
            failing.id,
            "w1",
            RunStatus::Failed,
            Some("factors must be >= 1, got 0"),
        )
        .await
        .unwrap();
    assert_eq!(
        (failed.status, failed.error.as_deref()),
        (RunStatus::Failed, Some("factors must be >= 1, got 0"))
    );

    // cancel: a queued run at once, a running one through its worker's next heartbeat
    let queued = store
        .create_training_run("content", None, &json!({}))
        .await
        .unwrap();
    let cancelled = store.cancel_training_run(queued.id).await.unwrap();
    assert_eq!(cancelled.status, RunStatus::Cancelled);
    assert!(store.claim_training_run("w1").await.unwrap().is_none());
    let long = store
        .create_training_run("als", None, &json!({}))
        .await
        .unwrap();
    store.claim_training_run("w1").await.unwrap().unwrap();
    let asked = store.cancel_training_run(long.id).await.unwrap();
    assert_eq!(
        (asked.status, asked.cancel_requested),
        (RunStatus::Running, true)
    );
    assert!(
        store
            .heartbeat_training_run(long.id, "w1", &json!({}))
            .await
            .unwrap()
    );
    let ended = store
        .end_training_run(long.id, "w1", RunStatus::Cancelled, None)
        .await
        .unwrap();
    assert_eq!(ended.status, RunStatus::Cancelled);
    let twice = store.cancel_training_run(long.id).await;
    assert!(
        matches!(twice, Err(StoreError::InvalidState { .. })),
        "{twice:?}"
    );

    // a worker that stops beating (killed): its run is failed, and it cannot save afterwards
    let orphan = store
        .create_training_run("als", None, &json!({}))
        .await
        .unwrap();
    store.claim_training_run("dead").await.unwrap().unwrap();
    assert!(
        store
            .fail_stale_training_runs(60_000)
            .await
            .unwrap()
            .is_empty()
    );
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    let stale = store.fail_stale_training_runs(10).await.unwrap();
    assert_eq!(
        stale.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![orphan.id]
    );
    assert_eq!(stale[0].status, RunStatus::Failed);
    assert!(stale[0].error.as_deref().unwrap().contains("no heartbeat"));
    let zombie = store
        .succeed_training_run(orphan.id, "dead", &version("als", b"zombie"))
        .await;
    assert!(zombie.is_err(), "{zombie:?}");
    assert_eq!(store.list_model_versions("als").await.unwrap().len(), 1);

    let als_runs = store
        .list_training_runs(Some("als"), Page::default())
        .await
        .unwrap();
    assert_eq!((als_runs.total, als_runs.items[0].id), (4, orphan.id));
    assert_eq!(
        store
            .list_training_runs(None, Page::default())
            .await
            .unwrap()
            .total,
        5
    );
}

async fn concurrent_claims_give_each_run_to_one_worker(store: &Store) {
    for _ in 0..12 {
        store
            .create_training_run("als", None, &json!({}))
            .await
            .unwrap();
    }
    let claims = (0..6).map(|w| {
        let store = store.clone();
        tokio::spawn(async move {
            let mut mine = Vec::new();
            while let Some(run) = store.claim_training_run(&format!("w{w}")).await.unwrap() {
                mine.push(run.id);
            }
            mine
        })
    });
    let mut all: Vec<i64> = Vec::new();
    for c in claims {
        all.extend(c.await.unwrap());
    }
    all.sort();
    let unique: HashSet<i64> = all.iter().copied().collect();
    assert_eq!((all.len(), unique.len()), (12, 12), "{all:?}");
}

async fn experiments_count_events_per_arm_and_attribute_purchases(store: &Store) {
    let v1 = store
        .save_model_version(&version("hybrid", b"1"))
        .await
        .unwrap();
    let v2 = store
        .save_model_version(&version("hybrid", b"2"))
        .await
        .unwrap();
    let new = NewExperiment {
        name: "home test".into(),
        placement: "home".into(),
        attribution_window_ms: 60_000,
        created_by: None,
        arms: vec![(v1.id, 1.0), (v2.id, 1.0)],
    };
    for (arms, field) in [
        (vec![(v1.id, 1.0)], "arms"),
        (vec![(v1.id, 1.0), (v2.id, f64::NAN)], "arms"),
        (vec![(v1.id, 1.0), (v1.id, 1.0)], "arms"),
    ] {
        assert_invalid(
            store
                .create_experiment(&NewExperiment {
                    arms,
                    ..new.clone()
                })
                .await,
            field,
        );
    }
    assert_not_found(
        store
            .create_experiment(&NewExperiment {
                arms: vec![(v1.id, 1.0), (9999, 1.0)],
                ..new.clone()
            })
            .await,
        "model version",
        "9999",
    );
    let x = store.create_experiment(&new).await.unwrap();
    assert_eq!(x.status, ExperimentStatus::Running);
    assert_eq!(
        x.arms
            .iter()
            .map(|a| a.model_version_id)
            .collect::<Vec<_>>(),
        vec![v1.id, v2.id]
    );
    let second = store.create_experiment(&new).await;
    assert!(
        matches!(
            second,
            Err(StoreError::Conflict {
                field: "placement",
                ..
            })
        ),
        "{second:?}"
    );
    let now = now_ms();
    let event = |arm, subject: &str, kind| ExperimentEvent {
        experiment_id: x.id,
        arm,
        subject: subject.into(),
        kind,
        value_cents: 0,
        at: now,
    };
    use ExperimentEventKind::*;
    store
        .record_experiment_events(&[
            event(0, "u1", Impression),
            event(0, "u1", Impression),
            event(1, "u2", Impression),
            event(1, "u2", Click),
            event(1, "u3", Impression),
        ])
        .await
        .unwrap();
    // u2 clicked arm 1: their purchase counts there; u3 never clicked: theirs counts nowhere
    assert_eq!(
        store
            .attribute_to_experiments("u2", Purchase, 1_500)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .attribute_to_experiments("u3", Purchase, 900)
            .await
            .unwrap(),
        0
    );
    store
        .attribute_to_experiments("u2", AddToCart, 0)
        .await
        .unwrap();
    assert_invalid(store.attribute_to_experiments("u2", Click, 0).await, "kind");
    let counts = store.experiment_counts(x.id).await.unwrap();
    assert_eq!(
        counts
            .iter()
            .map(|c| (
                c.arm,
                c.impressions,
                c.clicks,
                c.add_to_carts,
                c.purchases,
                c.revenue_cents
            ))
            .collect::<Vec<_>>(),
        vec![(0, 2, 0, 0, 0, 0), (1, 2, 1, 1, 1, 1_500)]
    );
    assert_eq!(counts[1].revenue_sq, 1_500.0 * 1_500.0);
    assert_invalid(store.stop_experiment(x.id, Some(5)).await, "winner_arm");
    let stopped = store.stop_experiment(x.id, Some(1)).await.unwrap();
    assert_eq!(
        (stopped.status, stopped.winner_arm),
        (ExperimentStatus::Stopped, Some(1))
    );
    // a stopped experiment attributes nothing more, and the placement is free again
    assert_eq!(
        store
            .attribute_to_experiments("u2", Purchase, 100)
            .await
            .unwrap(),
        0
    );
    assert!(store.list_experiments(true).await.unwrap().is_empty());
    store.create_experiment(&new).await.unwrap();
    assert_eq!(store.list_experiments(false).await.unwrap().len(), 2);
}

async fn rec_metrics_give_ctr_per_version_and_placement(store: &Store) {
    let v1 = store
        .save_model_version(&version("als", b"1"))
        .await
        .unwrap();
    let v2 = store
        .save_model_version(&version("als", b"2"))
        .await
        .unwrap();
    let day1 = Day::from_ymd(2026, 3, 1).unwrap();
    let day2 = day1.next();
    store
        .record_impressions(v1.id, "home", 10, day1.start_ms() + 5)
        .await
        .unwrap();
    store
        .record_impressions(v1.id, "home", 10, day2.start_ms() + 5)
        .await
        .unwrap();
    store
        .record_clicks(v1.id, "home", 3, day2.start_ms() + 9)
        .await
        .unwrap();
    store
        .record_impressions(v2.id, "home", 40, day2.start_ms())
        .await
        .unwrap();
    store
        .record_clicks(v2.id, "home", 2, day2.start_ms())
        .await
        .unwrap();
    store
        .record_impressions(v2.id, "product_page", 5, day1.start_ms())
        .await
        .unwrap();

    let both_days = store.rec_metrics(Some("als"), day1, day2).await.unwrap();
    let summary: Vec<(i64, &str, i64, i64)> = both_days
        .iter()
        .map(|m| (m.version, m.placement.as_str(), m.impressions, m.clicks))
        .collect();
    assert_eq!(
        summary,
        [
            (1, "home", 20, 3),
            (2, "home", 40, 2),
            (2, "product_page", 5, 0)
        ]
    );
    assert!((both_days[0].ctr - 0.15).abs() < 1e-12 && (both_days[1].ctr - 0.05).abs() < 1e-12);
    let first_day = store.rec_metrics(None, day1, day1).await.unwrap();
    assert_eq!(first_day.iter().map(|m| m.impressions).sum::<i64>(), 15);
    assert_not_found(
        store
            .record_clicks(12_345, "home", 1, day1.start_ms())
            .await,
        "model version",
        "12345",
    );
    assert_invalid(store.record_impressions(v1.id, "home", 0, 0).await, "count");
    assert_invalid(store.record_impressions(v1.id, "", 1, 0).await, "placement");
}

async fn user_segments_are_replaced_as_a_whole(store: &Store) {
    let ids: Vec<i64> = [
        user(store, "a@x.io").await.id,
        user(store, "b@x.io").await.id,
        user(store, "c@x.io").await.id,
    ]
    .into();
    store
        .replace_user_segments(None, &[(ids[0], 0), (ids[1], 1), (ids[2], 1)])
        .await
        .unwrap();
    assert_eq!(
        store.segment_sizes().await.unwrap(),
        [
            SegmentSize {
                segment: 0,
                users: 1
            },
            SegmentSize {
                segment: 1,
                users: 2
            }
        ]
    );
    let bad = store
        .replace_user_segments(None, &[(ids[0], 2), (999, 0)])
        .await;
    assert_not_found(bad, "user", "999");
    assert_eq!(
        store.user_segment(ids[0]).await.unwrap().unwrap().segment,
        0,
        "a failed replace changes nothing"
    );
    assert_invalid(
        store
            .replace_user_segments(None, &[(ids[0], 1), (ids[0], 2)])
            .await,
        "assignments",
    );
    assert_invalid(
        store.replace_user_segments(None, &[(ids[0], -1)]).await,
        "segment",
    );
    store
        .replace_user_segments(None, &[(ids[2], 5)])
        .await
        .unwrap();
    assert_eq!(store.user_segment(ids[0]).await.unwrap(), None);
    assert_eq!(
        store.user_segment(ids[2]).await.unwrap().unwrap().segment,
        5
    );
}

// ---- embeddings --------------------------------------------------------------------------------

/// Exact top-k by the metric, for checking what the store answers.
fn exact_top_k(
    items: &[(i64, Vec<f32>)],
    q: &[f32],
    k: usize,
    metric: Metric,
    skip: i64,
) -> Vec<i64> {
    let dot = |a: &[f32], b: &[f32]| {
        a.iter()
            .zip(b)
            .map(|(x, y)| f64::from(*x) * f64::from(*y))
            .sum::<f64>()
    };
    let mut scored: Vec<(i64, f64)> = items
        .iter()
        .filter(|(id, _)| *id != skip)
        .map(|(id, v)| {
            let s = match metric {
                Metric::InnerProduct => dot(q, v),
                Metric::Cosine => dot(q, v) / (dot(q, q).sqrt() * dot(v, v).sqrt()),
            };
            (*id, s)
        })
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1));
    scored.into_iter().take(k).map(|(id, _)| id).collect()
}

async fn nearest_items_agree_with_exact_search(store: &Store) {
    const N: usize = 3000;
    const DIM: usize = 32;
    let mut rng = SplitMix64::new(42);
    let mut new_products = Vec::new();
    for i in 0..N {
        new_products.push(NewProduct::new(
            format!("E{i}"),
            format!("Item {i}"),
            100,
            1,
        ));
    }
    let mut ids = Vec::with_capacity(N);
    for p in &new_products {
        ids.push(store.create_product(p).await.unwrap().id);
    }
    // clustered vectors, as learned embeddings are
    let centres: Vec<Vec<f32>> = (0..30)
        .map(|_| (0..DIM).map(|_| normal(&mut rng)).collect())
        .collect();
    let items: Vec<(i64, Vec<f32>)> = ids
        .iter()
        .map(|&id| {
            let c = &centres[(rng.next_u64() % 30) as usize];
            (id, c.iter().map(|x| x + 0.6 * normal(&mut rng)).collect())
        })
        .collect();
    store
        .create_embedding_space("als", DIM as i64)
        .await
        .unwrap();
    assert_eq!(
        store.replace_embeddings("als", &items).await.unwrap(),
        N as u64
    );
    assert_eq!(
        store.embedding("als", ids[7]).await.unwrap().unwrap(),
        items[7].1
    );

    for metric in [Metric::Cosine, Metric::InnerProduct] {
        let (mut hits, mut total) = (0, 0);
        for q in 0..40 {
            let (qid, qv) = &items[q * 71];
            let got = store
                .similar_items_by_embedding("als", *qid, 10, metric)
                .await
                .unwrap();
            assert_eq!(got.len(), 10);
            assert!(
                got.windows(2).all(|w| w[0].1 >= w[1].1 - 1e-5),
                "sorted best first"
            );
            assert!(
                got.iter().all(|(id, _)| id != qid),
                "the item itself is left out"
            );
            let want = exact_top_k(&items, qv, 10, metric, *qid);
            hits += got.iter().filter(|(id, _)| want.contains(id)).count();
            total += 10;
        }
        let recall = hits as f64 / total as f64;
        assert!(
            recall >= 0.95,
            "{metric:?} recall@10 {recall:.3} < 0.95 ({:?})",
            store.backend_kind()
        );
        if store.backend_kind() == BackendKind::Sqlite {
            assert_eq!(recall, 1.0, "SQLite answers exactly");
        }
    }

    // Postgres answers from the space's HNSW indexes, not by scanning
    for metric in [Metric::Cosine, Metric::InnerProduct] {
        match store.nearest_items_plan("als", metric).await.unwrap() {
            Some(plan) => {
                let index = if metric == Metric::Cosine {
                    "item_embeddings_cos_"
                } else {
                    "item_embeddings_ip_"
                };
                assert!(
                    plan.contains("Index Scan") && plan.contains(index),
                    "{metric:?} plan:\n{plan}"
                );
            }
            None => assert_eq!(store.backend_kind(), BackendKind::Sqlite),
        }
    }

    // scores are the metric's values
    let q = &items[0].1;
    let top = store
        .nearest_items("als", q, 1, Metric::Cosine, &[])
        .await
        .unwrap();
    assert_eq!(top[0].0, items[0].0);
    assert!(
        (top[0].1 - 1.0).abs() < 1e-4,
        "cosine of a vector with itself is 1, got {}",
        top[0].1
    );
    let excluded = store
        .nearest_items("als", q, 5, Metric::InnerProduct, &[items[0].0])
        .await
        .unwrap();
    assert!(excluded.iter().all(|(id, _)| *id != items[0].0));

    // put_embeddings updates one vector in place
    let moved: Vec<f32> = q.iter().map(|x| -x).collect();
    store
        .put_embeddings("als", &[(items[0].0, moved.clone())])
        .await
        .unwrap();
    assert_eq!(
        store.embedding("als", items[0].0).await.unwrap().unwrap(),
        moved
    );
    let nearest = store
        .nearest_items("als", &moved, 1, Metric::Cosine, &[])
        .await
        .unwrap();
    assert_eq!(nearest[0].0, items[0].0);

    // a deleted product leaves the space (and any in-process copy of it)
    store.delete_product(items[0].0).await.unwrap();
    let after = store
        .nearest_items("als", &moved, 1, Metric::Cosine, &[])
        .await
        .unwrap();
    assert_ne!(after[0].0, items[0].0);
    assert_eq!(store.embedding("als", items[0].0).await.unwrap(), None);
}

async fn embedding_input_is_validated(store: &Store) {
    let p = product(store, "P", 1, 1).await.id;
    store.create_embedding_space("content", 3).await.unwrap();
    let dup = store.create_embedding_space("content", 3).await;
    assert!(
        matches!(
            dup,
            Err(StoreError::Conflict {
                entity: "embedding space",
                field: "name"
            })
        ),
        "{dup:?}"
    );
    assert_invalid(
        store.create_embedding_space("big", 2001).await,
        "dimensions",
    );
    assert_invalid(
        store
            .put_embeddings("content", &[(p, vec![1.0, 2.0])])
            .await,
        "embedding",
    );
    assert_invalid(
        store
            .put_embeddings("content", &[(p, vec![1.0, f32::NAN, 2.0])])
            .await,
        "embedding",
    );
    assert_invalid(
        store.put_embeddings("content", &[(p, vec![0.0; 3])]).await,
        "embedding",
    );
    assert_invalid(
        store
            .put_embeddings("content", &[(p, vec![1.0; 3]), (p, vec![2.0; 3])])
            .await,
        "items",
    );
    assert_not_found(
        store
            .put_embeddings("content", &[(p + 100, vec![1.0; 3])])
            .await,
        "product",
        &(p + 100).to_string(),
    );
    assert_not_found(
        store.put_embeddings("nope", &[(p, vec![1.0; 3])]).await,
        "embedding space",
        "nope",
    );
    assert_invalid(
        store
            .nearest_items("content", &[1.0, 1.0], 3, Metric::Cosine, &[])
            .await,
        "embedding",
    );
    assert_invalid(
        store
            .nearest_items("content", &[1.0, 1.0, 1.0], 0, Metric::Cosine, &[])
            .await,
        "k",
    );
    assert_eq!(
        store
            .nearest_items("content", &[1.0, 1.0, 1.0], 3, Metric::Cosine, &[])
            .await
            .unwrap(),
        []
    );
    let missing = store
        .similar_items_by_embedding("content", p, 3, Metric::Cosine)
        .await;
    assert!(
        matches!(missing, Err(StoreError::NotFound { .. })),
        "{missing:?}"
    );
}

// ---- analytics ---------------------------------------------------------------------------------

async fn audit_log_appends_and_filters(store: &Store) {
    let admin = user(store, "admin@example.com").await;
    let entry = |action: &str, target: &str| NewAuditEntry {
        actor_id: Some(admin.id),
        action: action.into(),
        target_type: "product".into(),
        target_id: Some(target.into()),
        before: Some(json!({"price_cents": 100})),
        after: Some(json!({"price_cents": 120})),
    };
    let first = store
        .append_audit(&entry("product.update", "1"))
        .await
        .unwrap();
    assert_eq!(
        (first.actor_id, first.before.clone(), first.after.clone()),
        (
            Some(admin.id),
            Some(json!({"price_cents": 100})),
            Some(json!({"price_cents": 120}))
        )
    );
    store
        .append_audit(&entry("product.update", "2"))
        .await
        .unwrap();
    store
        .append_audit(&entry("product.delete", "2"))
        .await
        .unwrap();
    store
        .append_audit(&NewAuditEntry {
            actor_id: None,
            action: "model.activate".into(),
            target_type: "model_version".into(),
            target_id: None,
            before: None,
            after: None,
        })
        .await
        .unwrap();
    let all = store
        .audit_log(&AuditFilter::default(), Page::default())
        .await
        .unwrap();
    assert_eq!(all.total, 4);
    assert_eq!(all.items[0].action, "model.activate", "newest first");
    let updates = store
        .audit_log(
            &AuditFilter {
                action: Some("product.update".into()),
                ..Default::default()
            },
            Page::default(),
        )
        .await
        .unwrap();
    assert_eq!(updates.total, 2);
    let on_two = store
        .audit_log(
            &AuditFilter {
                target_id: Some("2".into()),
                actor_id: Some(admin.id),
                ..Default::default()
            },
            Page::default(),
        )
        .await
        .unwrap();
    assert_eq!(
        on_two
            .items
            .iter()
            .map(|e| e.action.as_str())
            .collect::<Vec<_>>(),
        ["product.delete", "product.update"]
    );
    assert_not_found(
        store
            .append_audit(&NewAuditEntry {
                actor_id: Some(999),
                ..entry("x", "1")
            })
            .await,
        "user",
        "999",
    );
    assert_invalid(store.append_audit(&entry("", "1")).await, "action");
}

async fn search_analytics_rank_queries(store: &Store) {
    let u = user(store, "s@x.io").await;
    for (q, n) in [
        ("Green Tea", 4),
        ("green  tea", 2),
        ("GREEN TEA", 0),
        ("matcha", 0),
        ("matcha", 0),
        ("cups", 7),
    ] {
        store.record_search(q, n, Some(u.id)).await.unwrap();
    }
    store.record_search("cups", 3, None).await.unwrap();
    let top = store.top_searches(0, i64::MAX, 10, false).await.unwrap();
    let summary: Vec<(&str, i64, i64)> = top
        .iter()
        .map(|s| (s.query.as_str(), s.searches, s.zero_result_searches))
        .collect();
    assert_eq!(
        summary,
        [("green tea", 3, 1), ("cups", 2, 0), ("matcha", 2, 2)]
    );
    assert!((top[0].mean_results - 2.0).abs() < 1e-12);
    let zero = store.top_searches(0, i64::MAX, 10, true).await.unwrap();
    assert_eq!(
        zero.iter().map(|s| s.query.as_str()).collect::<Vec<_>>(),
        ["matcha", "green tea"]
    );
    assert!(
        store
            .top_searches(0, 1, 10, false)
            .await
            .unwrap()
            .is_empty()
    );
    assert_invalid(store.record_search("q", -1, None).await, "results_count");
    assert_not_found(
        store.record_search("q", 1, Some(4242)).await,
        "user",
        "4242",
    );
}

async fn daily_rollup_counts_activity_and_can_run_again(store: &Store) {
    let ann = user(store, "ann@x.io").await.id;
    let bob = user(store, "bob@x.io").await.id;
    let p = product(store, "P", 250, 100).await.id;
    let day = Day::from_ymd(2026, 1, 15).unwrap();
    let t = day.start_ms();
    store
        .record_events(&[
            NewEvent::new(ann, p, EventKind::View, 1.0).at(t + 1),
            NewEvent::new(ann, p, EventKind::View, 1.0).at(t + 2),
            NewEvent::new(ann, p, EventKind::Click, 1.0).at(t + 3),
            NewEvent::new(bob, p, EventKind::Rating, 5.0).at(t + 4),
            NewEvent::new(bob, p, EventKind::View, 1.0).at(day.end_ms()), // the next day
        ])
        .await
        .unwrap();
    assert_eq!(store.rollup_day(day).await.unwrap(), 2);
    let ann_days = store.daily_user_metrics(ann, day, day).await.unwrap();
    assert_eq!(ann_days.len(), 1);
    assert_eq!(
        (
            ann_days[0].activity.views,
            ann_days[0].activity.clicks,
            ann_days[0].activity.orders
        ),
        (2, 1, 0)
    );

    // today's order and search land in today's rollup; running it twice changes nothing
    store
        .place_order(
            ann,
            &[OrderLineRequest {
                product_id: p,
                quantity: 2,
            }],
        )
        .await
        .unwrap();
    store.record_search("tea", 1, Some(ann)).await.unwrap();
    let today = Day::today();
    for _ in 0..2 {
        assert_eq!(store.rollup_day(today).await.unwrap(), 1);
    }
    let t_ann = store.daily_user_metrics(ann, today, today).await.unwrap();
    assert_eq!(
        (
            t_ann[0].activity.orders,
            t_ann[0].activity.revenue_cents,
            t_ann[0].activity.purchases,
            t_ann[0].activity.searches
        ),
        (1, 500, 1, 1)
    );

    store.rollup_day(day.next()).await.unwrap();
    let totals = store.daily_totals(day, day.next()).await.unwrap();
    let summary: Vec<(String, i64, i64, i64)> = totals
        .iter()
        .map(|d| {
            (
                d.day.to_string(),
                d.active_users,
                d.activity.views,
                d.activity.ratings,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("2026-01-15".to_string(), 2, 2, 1),
            ("2026-01-16".to_string(), 1, 1, 0)
        ]
    );
}
