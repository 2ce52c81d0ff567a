//! The catalog: the category tree, products, listings, bulk import, bad and hostile input, deletes.

use recsys_store::*;
use serde_json::json;

use super::helpers::*;

on_both_backends!(
    categories_form_a_tree_without_cycles,
    products_round_trip_and_skus_are_unique,
    product_listing_filters_sorts_and_pages,
    bulk_product_import_is_all_or_nothing,
    bad_product_input_is_rejected,
    injection_strings_are_stored_and_matched_verbatim,
    products_with_history_cannot_be_deleted,
);

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
