//! Embeddings: nearest items agree with exact search; bad vectors are refused.

use recsys_core::SplitMix64;
use recsys_store::*;

use super::helpers::*;

on_both_backends!(
    nearest_items_agree_with_exact_search,
    embedding_input_is_validated,
);

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
