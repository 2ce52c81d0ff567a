//! Events: batches ingest and read back as weighted triples; a bad row stores nothing.

use recsys_store::*;

use super::helpers::*;

on_both_backends!(
    events_ingest_and_read_back_as_weighted_triples,
    an_event_batch_with_a_bad_row_stores_nothing,
);

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
