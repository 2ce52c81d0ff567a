//! Analytics: the audit log, search analytics, the daily rollup.

use recsys_store::*;
use serde_json::json;

use super::helpers::*;

on_both_backends!(
    audit_log_appends_and_filters,
    search_analytics_rank_queries,
    daily_rollup_counts_activity_and_can_run_again,
);

async fn audit_log_appends_and_filters(store: &Store) {
    let admin = user(store, "admin@example.com").await;
    let entry = |action: &str, target: &str| NewAuditEntry {
        actor_id: Some(admin.id),
        api_key_id: None,
        client_addr: Some("2001:db8::7".into()),
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
            api_key_id: None,
            client_addr: None,
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
    assert_eq!(all.items[0].client_addr, None);
    assert_eq!(all.items[1].client_addr.as_deref(), Some("2001:db8::7"));
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
