//! K-Means behaviour: planted clusters recovered exactly, determinism, validation, mini-batch.

use recsys_core::kmeans::{Init, KMeans, KMeansParams, MiniBatchParams};
use recsys_core::{Error, Persist, SplitMix64};

/// `per` points around each of `k` centres at least 30 apart (noise +-1 per feature).
fn blobs(k: usize, per: usize, d: usize, seed: u64) -> (Vec<f32>, Vec<usize>) {
    let mut rng = SplitMix64::new(seed);
    let (mut data, mut truth) = (Vec::new(), Vec::new());
    for i in 0..k * per {
        let c = (i * 7919) % k; // interleaved, so order carries no information
        for t in 0..d {
            let centre = if t == 0 {
                30.0 * c as f32
            } else {
                30.0 * ((c * 7 + t * 3) % 5) as f32
            };
            data.push(centre + 2.0 * rng.next_f32() - 1.0);
        }
        truth.push(c);
    }
    (data, truth)
}

/// Whether two labelings are the same partition.
fn same_partition(a: &[u32], b: &[usize]) -> bool {
    let mut map = std::collections::HashMap::new();
    let mut back = std::collections::HashMap::new();
    a.iter()
        .zip(b)
        .all(|(&x, &y)| *map.entry(x).or_insert(y) == y && *back.entry(y).or_insert(x) == x)
}

fn direct_inertia(m: &KMeans, data: &[f32]) -> f64 {
    let d = m.n_features();
    data.chunks_exact(d)
        .zip(m.labels())
        .map(|(p, &l)| {
            let c = &m.centroids()[l as usize * d..(l as usize + 1) * d];
            p.iter()
                .zip(c)
                .map(|(a, b)| f64::from(a - b).powi(2))
                .sum::<f64>()
        })
        .sum()
}

#[test]
fn well_separated_clusters_are_recovered_exactly() {
    for (k, d) in [(3, 2), (8, 5), (16, 16)] {
        let (data, truth) = blobs(k, 200, d, k as u64);
        let m = KMeansParams::new(k)
            .n_init(3)
            .seed(1)
            .fit(&data, d)
            .unwrap();
        assert!(same_partition(m.labels(), &truth), "k={k} d={d}");
        assert!((m.inertia() - direct_inertia(&m, &data)).abs() < 1e-6 * m.inertia());
        assert_eq!(m.predict(&data).unwrap(), m.labels());
        assert!(m.n_iter() >= 1 && m.n_iter() < 300);
    }
}

#[test]
fn same_seed_same_model_whatever_the_threads() {
    let (data, _) = blobs(6, 3000, 4, 9);
    let p = KMeansParams::new(6).seed(5);
    let a = p.fit(&data, 4).unwrap();
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let b = one.install(|| p.fit(&data, 4).unwrap());
    assert_eq!(a, b);
    let c = KMeansParams::new(6)
        .init(Init::Random)
        .seed(5)
        .fit(&data, 4)
        .unwrap();
    assert_eq!(c.labels().len(), data.len() / 4);
}

#[test]
fn no_cluster_is_left_empty() {
    // many duplicates: random initialisation often picks the same point twice
    let mut data = Vec::new();
    for i in 0..300 {
        data.extend_from_slice(&[(i % 3) as f32 * 10.0, 0.0]);
    }
    data.extend_from_slice(&[5.0, 5.0, 6.0, 6.0]);
    for seed in 0..20 {
        let m = KMeansParams::new(5)
            .init(Init::Random)
            .seed(seed)
            .fit(&data, 2)
            .unwrap();
        let mut used = [false; 5];
        m.labels().iter().for_each(|&l| used[l as usize] = true);
        assert!(used.iter().all(|&u| u), "seed {seed}: {used:?}");
    }
}

#[test]
fn invalid_inputs_are_named() {
    let data = [1.0f32, 2.0, 3.0, 4.0];
    let e = KMeansParams::new(0).fit(&data, 2).unwrap_err();
    assert_eq!(e.to_string(), "n_clusters must be >= 1, got 0");
    let e = KMeansParams::new(3).fit(&data, 2).unwrap_err();
    assert_eq!(
        e.to_string(),
        "n_clusters must be <= the number of samples, got 3 for 2 samples"
    );
    let e = KMeansParams::new(1).fit(&data, 3).unwrap_err();
    assert!(matches!(e, Error::Shape(_)), "{e}");
    let e = KMeansParams::new(1).fit(&[1.0, f32::NAN], 1).unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid input at row 2: feature 0 is NaN, not a finite number"
    );
    assert!(KMeansParams::new(1).tol(-1.0).fit(&data, 2).is_err());
    assert!(KMeansParams::new(1).max_iter(0).fit(&data, 2).is_err());
    assert!(KMeansParams::new(1).fit(&data, 0).is_err());
    let m = KMeansParams::new(2).fit(&data, 2).unwrap();
    assert!(m.predict(&[1.0, 2.0, 3.0]).is_err());
}

#[test]
fn mini_batch_finds_the_same_clusters() {
    let (data, truth) = blobs(5, 4000, 3, 2);
    let full = KMeansParams::new(5).seed(3).fit(&data, 3).unwrap();
    let mb = MiniBatchParams::new(5).fit(&data, 3).unwrap();
    assert!(same_partition(mb.labels(), &truth));
    assert!(
        mb.inertia() <= 1.01 * full.inertia(),
        "{} vs {}",
        mb.inertia(),
        full.inertia()
    );
    assert!(
        MiniBatchParams {
            batch_size: 0,
            ..MiniBatchParams::new(2)
        }
        .fit(&data, 3)
        .is_err()
    );
}

#[test]
fn model_round_trips_through_bytes() {
    let (data, _) = blobs(3, 50, 2, 4);
    let m = KMeansParams::new(3).fit(&data, 2).unwrap();
    let back = KMeans::from_bytes(&m.to_bytes().unwrap()).unwrap();
    assert_eq!(back, m);
}

#[test]
fn a_weight_of_two_is_the_sample_twice_and_zero_is_leaving_it_out() {
    let (k, d) = (4, 3);
    let (data, truth) = blobs(k, 60, d, 7);
    let n = truth.len();
    let weights: Vec<f32> = (0..n).map(|i| (i % 3) as f32).collect();
    let weighted = KMeansParams::new(k)
        .n_init(3)
        .seed(2)
        .fit_weighted(&data, d, Some(&weights))
        .unwrap();
    // the same data with every sample repeated `weight` times
    let mut repeated = Vec::new();
    for (row, &w) in data.chunks_exact(d).zip(&weights) {
        for _ in 0..w as usize {
            repeated.extend_from_slice(row);
        }
    }
    let plain = KMeansParams::new(k)
        .n_init(3)
        .seed(2)
        .fit(&repeated, d)
        .unwrap();
    assert!(same_partition(weighted.labels(), &truth));
    // the same clusters, centroids and inertia (cluster numbering may differ)
    let centre_of = |m: &KMeans, p: &[f32]| {
        let l = m.predict(p).unwrap()[0] as usize;
        m.centroids()[l * d..(l + 1) * d].to_vec()
    };
    for p in data.chunks_exact(d) {
        let (a, b) = (centre_of(&weighted, p), centre_of(&plain, p));
        assert!(
            a.iter().zip(&b).all(|(x, y)| (x - y).abs() < 1e-4),
            "{a:?} vs {b:?}"
        );
    }
    assert!((weighted.inertia() - plain.inertia()).abs() < 1e-4 * plain.inertia());
    // weighted inertia is the weighted sum of squared distances
    let direct: f64 = data
        .chunks_exact(d)
        .zip(weighted.labels())
        .zip(&weights)
        .map(|((p, &l), &w)| {
            let c = &weighted.centroids()[l as usize * d..(l as usize + 1) * d];
            f64::from(w)
                * p.iter()
                    .zip(c)
                    .map(|(a, b)| f64::from(a - b).powi(2))
                    .sum::<f64>()
        })
        .sum();
    assert!((weighted.inertia() - direct).abs() < 1e-6 * direct);
    // random initialization draws only samples of positive weight
    let random = KMeansParams::new(k)
        .init(Init::Random)
        .max_iter(1)
        .seed(3)
        .fit_weighted(&data, d, Some(&weights))
        .unwrap();
    assert_eq!(random.centroids().len(), k * d);
}

#[test]
fn bad_sample_weights_are_named() {
    let (data, _) = blobs(2, 10, 2, 1);
    let params = KMeansParams::new(2);
    let err = |w: &[f32]| {
        params
            .fit_weighted(&data, 2, Some(w))
            .unwrap_err()
            .to_string()
    };
    assert!(err(&[1.0; 3]).contains("sample_weight has 3 entries for 20 samples"));
    let mut w = vec![1.0f32; 20];
    w[4] = -1.0;
    assert!(
        err(&w).contains("row 5") && err(&w).contains("not a finite number >= 0"),
        "{}",
        err(&w)
    );
    w[4] = f32::NAN;
    assert!(err(&w).contains("NaN"));
    let mut one = vec![0.0f32; 20];
    one[0] = 1.0;
    assert!(err(&one).contains("positive weight"), "{}", err(&one));
}

#[test]
fn a_fit_stops_when_asked_and_reports_every_run() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let (data, _) = blobs(4, 200, 3, 9);
    let inertias = std::sync::Mutex::new(Vec::new());
    let record = |p: &recsys_core::FitProgress| {
        assert_eq!((p.model, p.iterations), ("kmeans", 3));
        inertias.lock().unwrap().push(p.loss.unwrap());
    };
    let control = recsys_core::FitControl::none().with_progress(&record);
    let params = KMeansParams::new(4).n_init(3).seed(2);
    let m = params.fit_controlled(&data, 3, None, &control).unwrap();
    let seen = inertias.lock().unwrap().clone();
    assert_eq!(seen.len(), 3);
    // the model is the best of the runs it reported
    assert_eq!(
        m.inertia(),
        seen.iter().copied().fold(f64::INFINITY, f64::min)
    );
    let stop = AtomicBool::new(true);
    let control = recsys_core::FitControl::none().with_stop(&stop);
    let stopped = params.fit_controlled(&data, 3, None, &control);
    assert!(matches!(stopped, Err(Error::Cancelled)), "{stopped:?}");
    stop.store(false, Ordering::Relaxed);
    assert!(params.fit_controlled(&data, 3, None, &control).is_ok());
}
