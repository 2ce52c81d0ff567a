//! Bulk upserts under the shop's keys: stored orders keep their lines and customer, only their
//! status follows a record; customers sent without an address keep theirs or get a placeholder.

use recsys_store::bulk::{
    CustomerRecord, KeyKind, OrderLineRecord, OrderRecord, placeholder_email,
};
use recsys_store::*;

use super::helpers::*;

on_both_backends!(
    a_stored_order_keeps_its_lines_and_follows_its_status,
    customers_without_an_address_keep_theirs_or_get_a_placeholder,
);

fn customer(external_id: &str, email: Option<&str>) -> CustomerRecord {
    CustomerRecord {
        external_id: Some(external_id.into()),
        email: email.map(str::to_string),
        name: String::new(),
        password_hash: None,
        active: true,
        created_at: None,
    }
}

async fn a_stored_order_keeps_its_lines_and_follows_its_status(store: &Store) {
    for sku in ["A", "B"] {
        product(store, sku, 500, 10).await;
    }
    store
        .upsert_customers(&[customer("c1", Some("c1@example.com")), customer("c2", None)])
        .await
        .unwrap();
    let line = |sku: &str, quantity| OrderLineRecord {
        sku: sku.into(),
        quantity,
        unit_price_cents: None,
    };
    let order = |id: &str, customer: &str, status, lines| OrderRecord {
        external_id: id.into(),
        customer: customer.into(),
        status,
        created_at: 1_700_000_000_000,
        lines,
    };
    let orders: Vec<OrderRecord> = (0..30)
        .map(|i| {
            order(
                &format!("o{i}"),
                "c1",
                OrderStatus::Paid,
                vec![line("A", 1 + i % 3), line("B", 2)],
            )
        })
        .collect();
    let counts = store.upsert_orders(&orders).await.unwrap();
    assert_eq!((counts.created, counts.unchanged), (30, 0));
    let counts = store.upsert_orders(&orders).await.unwrap();
    assert_eq!(counts.unchanged, 30, "the same orders again change nothing");
    // the lines in another order, one status changed
    let mut again = orders.clone();
    again[4].lines.reverse();
    again[7].status = OrderStatus::Shipped;
    let counts = store.upsert_orders(&again).await.unwrap();
    assert_eq!((counts.updated, counts.unchanged), (1, 29));
    let mut changed = orders.clone();
    changed[5].lines[0].quantity += 1;
    assert_invalid(store.upsert_orders(&changed).await, "lines");
    let mut moved = orders.clone();
    moved[9].customer = "c2".into();
    assert_invalid(store.upsert_orders(&moved).await, "customer");
    let ids = store
        .ids_by_keys(KeyKind::Order, &["o0", "o29", "o30"])
        .await
        .unwrap();
    assert_eq!(ids.len(), 2, "{ids:?}");
}

async fn customers_without_an_address_keep_theirs_or_get_a_placeholder(store: &Store) {
    store
        .upsert_customers(&[customer("k1", Some("k1@example.com")), customer("k2", None)])
        .await
        .unwrap();
    let counts = store
        .upsert_customers(&[customer("k1", None), customer("k2", None)])
        .await
        .unwrap();
    assert_eq!(counts.unchanged, 2, "no address sent: the stored one stays");
    let ids = store
        .ids_by_keys(KeyKind::Customer, &["k1", "k2"])
        .await
        .unwrap();
    assert_eq!(store.user(ids["k1"]).await.unwrap().email, "k1@example.com");
    let placeholder = store.user(ids["k2"]).await.unwrap().email;
    assert_eq!(placeholder, placeholder_email("k2"));
    assert!(placeholder.ends_with("@customers.invalid"));
    assert_ne!(placeholder_email("k2"), placeholder_email("K2"));
    assert_invalid(
        store
            .upsert_customers(&[CustomerRecord {
                external_id: None,
                ..customer("x", None)
            }])
            .await,
        "email",
    );
}
