//! Models: versions, configs, training runs and their claims, experiments, recommendation metrics, segments.

use std::collections::HashSet;

use recsys_store::*;
use serde_json::json;

use super::helpers::*;

on_both_backends!(
    model_versions_activate_and_roll_back,
    model_configs_are_upserted_by_name,
    training_runs_follow_their_lifecycle,
    concurrent_claims_give_each_run_to_one_worker,
    experiments_count_events_per_arm_and_attribute_purchases,
    rec_metrics_give_ctr_per_version_and_placement,
    user_segments_are_replaced_as_a_whole,
    a_segmentation_is_saved_assigned_and_activated_at_once,
);

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

async fn a_segmentation_is_saved_assigned_and_activated_at_once(store: &Store) {
    let ids: Vec<i64> = [
        user(store, "s1@x.io").await.id,
        user(store, "s2@x.io").await.id,
    ]
    .into();
    let version = |k: i64| NewModelVersion {
        name: "segments".into(),
        kind: "kmeans".into(),
        config_id: None,
        params: serde_json::json!({"k": k}),
        metrics: serde_json::json!({}),
        blob: vec![1, 2, 3],
    };
    let first = store
        .save_segmentation(&version(2), &[(ids[0], 0), (ids[1], 1)])
        .await
        .unwrap();
    assert!(first.active && first.activated_at.is_some(), "{first:?}");
    assert_eq!(store.model_version(first.id).await.unwrap(), first);
    let assigned = store.user_segment(ids[1]).await.unwrap().unwrap();
    assert_eq!(
        (assigned.segment, assigned.model_version_id),
        (1, Some(first.id))
    );
    let second = store
        .save_segmentation(&version(1), &[(ids[0], 0)])
        .await
        .unwrap();
    assert_eq!(second.version, first.version + 1);
    assert_eq!(
        store
            .active_model_version("segments")
            .await
            .unwrap()
            .unwrap()
            .id,
        second.id
    );
    assert!(!store.model_version(first.id).await.unwrap().active);
    assert_eq!(store.user_segment(ids[1]).await.unwrap(), None);
    // refused before anything is written: the second stays in service with its table
    let bad = store.save_segmentation(&version(3), &[(999, 0)]).await;
    assert_not_found(bad, "user", "999");
    assert_eq!(
        store
            .active_model_version("segments")
            .await
            .unwrap()
            .unwrap()
            .id,
        second.id
    );
    assert_eq!(
        store
            .user_segment(ids[0])
            .await
            .unwrap()
            .unwrap()
            .model_version_id,
        Some(second.id)
    );
    assert_eq!(
        store.list_model_versions("segments").await.unwrap().len(),
        2
    );
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
