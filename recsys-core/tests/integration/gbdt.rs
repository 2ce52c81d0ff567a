//! Gradient-boosted trees: exact fits, objectives, missing values, determinism, validation,
//! early stopping, persistence and the LETOR loader.

use recsys_core::gbdt::metrics::{auc, ndcg_at_k};
use recsys_core::gbdt::{Dataset, GbdtParams, Importance, Objective};
use recsys_core::{Error, Persist, SplitMix64};

fn regression() -> GbdtParams {
    GbdtParams::new(Objective::Regression)
}

#[test]
fn one_tree_fits_a_step_function_exactly() {
    // every value three times, so each gets a bin of its own (min_data_in_bin = 3)
    let x: Vec<f32> = (0..300).map(|i| (i % 100) as f32).collect();
    let y: Vec<f32> = x
        .iter()
        .map(|&v| if v < 50.0 { 5.0 } else { -3.0 })
        .collect();
    let ds = Dataset::new(x.clone(), 1, y.clone()).unwrap();
    let m = regression()
        .num_iterations(1)
        .learning_rate(1.0)
        .num_leaves(2)
        .min_data_in_leaf(1)
        .fit(&ds)
        .unwrap();
    let pred = m.predict(&ds).unwrap();
    for (p, t) in pred.iter().zip(&y) {
        assert!((p - f64::from(*t)).abs() < 1e-9, "{p} vs {t}");
    }
    assert_eq!(m.n_trees(), 1);
}

/// Queries of 20 documents whose relevance (0-4) follows features 0 and 1 (one of them through
/// a square), with noise; feature 2 is noise.
fn ranking(queries: usize, seed: u64) -> Dataset<'static> {
    let mut rng = SplitMix64::new(seed);
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for _ in 0..queries {
        for _ in 0..20 {
            let (a, b) = (rng.next_f32(), rng.next_f32());
            x.extend_from_slice(&[a, b, rng.next_f32()]);
            let relevance = 2.5 * a + 2.5 * b * b + 2.0 * (rng.next_f32() - 0.5);
            y.push(relevance.clamp(0.0, 4.99).floor());
        }
    }
    Dataset::new(x, 3, y)
        .unwrap()
        .with_groups(vec![20; queries])
        .unwrap()
}

#[test]
fn lambdarank_improves_ndcg_from_the_first_rounds() {
    let (train, valid) = (ranking(200, 1), ranking(50, 2));
    let mut history = Vec::new();
    let params = GbdtParams::new(Objective::lambdarank())
        .num_iterations(20)
        .eval_at(vec![10]);
    let model = params
        .fit_with_progress(&train, Some(&valid), |e| history.push(e[0].value))
        .unwrap();
    let bounds: Vec<usize> = (0..=50).map(|q| q * 20).collect();
    let flat = vec![0.0; valid.n_rows()];
    let gains: Vec<f64> = (0..31).map(|l| (1u64 << l) as f64 - 1.0).collect();
    let baseline = ndcg_at_k(&flat, valid.labels(), &bounds, &gains, 10);
    assert!(
        history[0] > baseline + 0.1,
        "round 1 {} vs unranked {baseline}",
        history[0]
    );
    assert!(history[19] > history[0], "{history:?}");
    let imp = model.feature_importance(Importance::Gain);
    assert!(imp[0] > 5.0 * imp[2] && imp[1] > 5.0 * imp[2], "{imp:?}");
}

#[test]
fn binary_reaches_the_optimum_on_separable_data() {
    // 100 distinct values, four rows each: a bin per value, so the boundary at 50 is a threshold
    let x: Vec<f32> = (0..400).map(|i| (i % 100) as f32).collect();
    let y: Vec<f32> = x
        .iter()
        .map(|&v| if v >= 50.0 { 1.0 } else { 0.0 })
        .collect();
    let ds = Dataset::new(x, 1, y.clone()).unwrap();
    let m = GbdtParams::new(Objective::Binary)
        .num_iterations(200)
        .fit(&ds)
        .unwrap();
    let p = m.predict_proba(&ds).unwrap();
    assert!(
        p.iter()
            .zip(&y)
            .all(|(p, y)| (p - f64::from(*y)).abs() < 0.01)
    );
    assert_eq!(auc(&m.predict(&ds).unwrap(), &y), 1.0);
    let eval = m.evaluate(&ds).unwrap();
    assert_eq!(eval[0].metric, "binary_logloss");
    assert!(eval[0].value < 0.01);
    assert!(regression().fit(&ds).unwrap().predict_proba(&ds).is_err());
}

#[test]
fn missing_values_follow_the_learned_direction() {
    // y = 10 where x is missing, 0 for x < 5, 5 for x >= 5
    let mut x = Vec::new();
    let mut y = Vec::new();
    for i in 0..300 {
        match i % 3 {
            0 => {
                x.push(f32::NAN);
                y.push(10.0);
            }
            1 => {
                x.push((i % 50) as f32 / 10.0);
                y.push(0.0);
            }
            _ => {
                x.push(5.0 + (i % 50) as f32 / 10.0);
                y.push(5.0);
            }
        }
    }
    let ds = Dataset::new(x, 1, y).unwrap();
    let m = regression()
        .num_iterations(50)
        .min_data_in_leaf(5)
        .fit(&ds)
        .unwrap();
    let probe = Dataset::new(vec![f32::NAN, 1.0, 8.0], 1, vec![0.0; 3]).unwrap();
    let p = m.predict(&probe).unwrap();
    assert!(
        (p[0] - 10.0).abs() < 0.1 && p[1].abs() < 0.1 && (p[2] - 5.0).abs() < 0.1,
        "{p:?}"
    );

    // a feature with no missing values in training treats NaN as 0
    let ds = Dataset::new(
        (0..100).map(|i| i as f32 - 50.0).collect(),
        1,
        (0..100).map(|i| if i < 50 { 1.0 } else { 2.0 }).collect(),
    )
    .unwrap();
    let m = regression().num_iterations(30).fit(&ds).unwrap();
    let p = m
        .predict(&Dataset::new(vec![f32::NAN, 0.0], 1, vec![0.0; 2]).unwrap())
        .unwrap();
    assert_eq!(p[0], p[1]);
}

fn noisy_regression(n: usize, seed: u64) -> Dataset<'static> {
    let mut rng = SplitMix64::new(seed);
    let mut x = Vec::new();
    let mut y = Vec::new();
    for _ in 0..n {
        let row: Vec<f32> = (0..5).map(|_| rng.next_f32()).collect();
        y.push(3.0 * row[0] - 2.0 * row[1] + rng.next_f32() * 2.0);
        x.extend(row);
    }
    Dataset::new(x, 5, y).unwrap()
}

#[test]
fn same_seed_same_model_with_bagging_and_feature_sampling() {
    let ds = noisy_regression(3000, 4);
    let p = regression()
        .num_iterations(15)
        .bagging_fraction(0.7)
        .bagging_freq(1)
        .feature_fraction(0.6)
        .seed(11);
    let a = p.fit(&ds).unwrap();
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let b = one.install(|| p.fit(&ds).unwrap());
    assert_eq!(a, b);
    let c = p.clone().seed(12).fit(&ds).unwrap();
    assert_ne!(a, c);
}

#[test]
fn early_stopping_keeps_the_best_round() {
    let (train, valid) = (noisy_regression(500, 1), noisy_regression(500, 2));
    let mut rounds = 0;
    let m = regression()
        .num_iterations(1000)
        .learning_rate(0.3)
        .num_leaves(63)
        .min_data_in_leaf(2)
        .early_stopping_rounds(Some(10))
        .fit_with_progress(&train, Some(&valid), |_| rounds += 1)
        .unwrap();
    assert!(rounds < 1000, "ran {rounds} rounds");
    let best = m.best_iteration().unwrap();
    assert_eq!(m.n_trees(), best + 1);
    assert_eq!(rounds, best + 11);
}

#[test]
fn invalid_params_and_data_are_named() {
    let ds = noisy_regression(50, 1);
    assert_eq!(
        regression().num_leaves(1).fit(&ds).unwrap_err().to_string(),
        "num_leaves must be >= 2, got 1"
    );
    assert_eq!(
        regression().max_bin(256).fit(&ds).unwrap_err().to_string(),
        "max_bin must be in 2..=255, got 256"
    );
    assert!(regression().bagging_fraction(0.0).fit(&ds).is_err());
    assert!(Dataset::new(vec![1.0, 2.0, 3.0], 2, vec![1.0, 2.0]).is_err());
    let e = Dataset::new(vec![1.0, f32::INFINITY], 1, vec![0.0, 1.0]).unwrap_err();
    assert!(e.to_string().contains("row 2"), "{e}");
    let e = Dataset::new(vec![1.0, 2.0], 1, vec![0.0, f32::NAN]).unwrap_err();
    assert!(e.to_string().contains("label"), "{e}");
    let e = ds.clone().with_groups(vec![20, 20]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "shape mismatch: group sizes sum to 40, but the dataset has 50 rows"
    );
    let e = GbdtParams::new(Objective::lambdarank())
        .fit(&ds)
        .unwrap_err();
    assert!(e.to_string().contains("needs query groups"), "{e}");
    let graded = Dataset::new(vec![0.0, 1.0], 1, vec![0.0, 40.0])
        .unwrap()
        .with_groups(vec![2])
        .unwrap();
    let e = GbdtParams::new(Objective::lambdarank())
        .fit(&graded)
        .unwrap_err();
    assert!(e.to_string().contains("label gain table"), "{e}");
    let e = GbdtParams::new(Objective::Binary).fit(&ds).unwrap_err();
    assert!(
        e.to_string().contains("binary labels must be 0 or 1"),
        "{e}"
    );
    let m = regression().num_iterations(2).fit(&ds).unwrap();
    assert!(matches!(
        m.predict_rows(&[1.0, 2.0], 2),
        Err(Error::Shape(_))
    ));
}

#[test]
fn a_borrowed_matrix_trains_the_same_model() {
    let owned = noisy_regression(500, 6);
    let borrowed = Dataset::borrowed(
        owned.features(),
        owned.n_features(),
        owned.labels().to_vec(),
    )
    .unwrap();
    let params = regression().num_iterations(10);
    assert_eq!(params.fit(&borrowed).unwrap(), params.fit(&owned).unwrap());
}

#[test]
fn persistence_keeps_predictions_and_rejects_damage() {
    let ds = noisy_regression(400, 3);
    let m = regression().num_iterations(10).fit(&ds).unwrap();
    let bytes = m.to_bytes().unwrap();
    let back = recsys_core::gbdt::Gbdt::from_bytes(&bytes).unwrap();
    assert_eq!(back.predict(&ds).unwrap(), m.predict(&ds).unwrap());
    assert!(recsys_core::gbdt::Gbdt::from_bytes(&bytes[..bytes.len() - 3]).is_err());

    // the same model written as payload version 1 (before the rules of models read from
    // LightGBM, which were appended) still reads; a newer version is refused by name
    let with_version = |v: u32| {
        let mut out = bytes[..bytes.len() - 4].to_vec();
        let at = 8 + 4 + 1 + "gbdt".len();
        out[at..at + 4].copy_from_slice(&v.to_le_bytes());
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    };
    let v1 = recsys_core::gbdt::Gbdt::from_bytes(&with_version(1)).unwrap();
    assert_eq!(v1.predict(&ds).unwrap(), m.predict(&ds).unwrap());
    assert!(matches!(
        recsys_core::gbdt::Gbdt::from_bytes(&with_version(3)),
        Err(Error::UnsupportedVersion { found: 3, .. })
    ));
}

#[test]
fn letor_files_load_with_query_groups() {
    let text = "2 qid:1 1:0.5 3:1.0 # doc a\n0 qid:1 2:0.25\n1 qid:7 1:1 2:2 3:3\n";
    let ds = Dataset::from_svmlight(text.as_bytes(), None).unwrap();
    assert_eq!((ds.n_rows(), ds.n_features()), (3, 3));
    assert_eq!(ds.groups(), Some(&[2u32, 1][..]));
    assert_eq!(ds.row(0), &[0.5, 0.0, 1.0]);
    assert_eq!(ds.labels(), &[2.0, 0.0, 1.0]);
    let e = Dataset::from_svmlight("1 qid:1 0:1\n".as_bytes(), None).unwrap_err();
    assert!(e.to_string().contains("start at 1"), "{e}");
    let e = Dataset::from_svmlight("1 qid:1 1:x\n".as_bytes(), None).unwrap_err();
    assert!(e.to_string().contains("row 1"), "{e}");
    assert!(
        Dataset::from_svmlight("1 1:1\n".as_bytes(), Some(5))
            .unwrap()
            .n_features()
            == 5
    );
}

#[test]
fn ranking_settings_apply_to_lambdarank_only() {
    let gains = vec![0.0, 1.0, 5.0];
    match Objective::lambdarank().with_ranking(Some(10), Some(gains.clone())) {
        Objective::LambdaRank {
            truncation_level,
            label_gain,
            norm,
        } => {
            assert_eq!(truncation_level, 10);
            assert_eq!(label_gain, Some(gains.clone()));
            assert!(norm);
        }
        other => panic!("not lambdarank: {other:?}"),
    }
    // no truncation given: LightGBM's 30 stays
    assert!(matches!(
        Objective::lambdarank().with_ranking(None, None),
        Objective::LambdaRank {
            truncation_level: 30,
            label_gain: None,
            ..
        }
    ));
    assert_eq!(
        Objective::Binary.with_ranking(Some(3), Some(gains)),
        Objective::Binary
    );
}

/// Rows whose target is an arbitrary effect of a category (feature 0, 40 categories, codes in
/// no useful order) plus a numerical feature 1; some categories missing (NaN).
fn categorical_data(n: usize, seed: u64) -> (Vec<f32>, Vec<f32>) {
    let mut rng = SplitMix64::new(seed);
    let effect: Vec<f32> = (0..40).map(|c| ((c * 7919) % 13) as f32 - 6.0).collect();
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for _ in 0..n {
        let c = rng.below(40);
        let v = rng.next_f32() * 4.0;
        let missing = rng.next_f32() < 0.05;
        x.extend([if missing { f32::NAN } else { c as f32 }, v]);
        y.push(if missing { 0.0 } else { effect[c] } + v + 0.1 * rng.next_f32());
    }
    (x, y)
}

fn rmse_of(pred: &[f64], y: &[f32]) -> f64 {
    (pred
        .iter()
        .zip(y)
        .map(|(p, &t)| (p - f64::from(t)).powi(2))
        .sum::<f64>()
        / y.len() as f64)
        .sqrt()
}

#[test]
fn categorical_features_split_by_category_sets() {
    let (x, y) = categorical_data(6000, 1);
    let (xt, yt) = categorical_data(2000, 2);
    let (train, test) = (
        Dataset::new(x, 2, y).unwrap(),
        Dataset::new(xt, 2, yt.clone()).unwrap(),
    );
    let params = regression().num_iterations(20).num_leaves(8);
    let numerical = params.clone().fit(&train).unwrap();
    let categorical = params
        .clone()
        .categorical_features(vec![0])
        .fit(&train)
        .unwrap();
    let (num_err, cat_err) = (
        rmse_of(&numerical.predict(&test).unwrap(), &yt),
        rmse_of(&categorical.predict(&test).unwrap(), &yt),
    );
    // category sets find the effects in few splits; thresholds over arbitrary codes cannot
    assert!(
        cat_err < 0.35 * num_err,
        "categorical {cat_err} vs numerical {num_err}"
    );
    // the same model through bagging (trees applied to the binned rows), a file and LightGBM's text
    let bagged = params
        .clone()
        .categorical_features(vec![0])
        .bagging_fraction(0.7)
        .bagging_freq(1)
        .seed(3)
        .fit(&train)
        .unwrap();
    assert!(rmse_of(&bagged.predict(&test).unwrap(), &yt) < 0.35 * num_err);
    let again = recsys_core::gbdt::Gbdt::from_bytes(&categorical.to_bytes().unwrap()).unwrap();
    assert_eq!(
        again.predict(&test).unwrap(),
        categorical.predict(&test).unwrap()
    );
    let text =
        recsys_core::gbdt::Gbdt::from_lightgbm_text(&categorical.to_lightgbm_text()).unwrap();
    // (to the rounding of the initial score, which LightGBM's text keeps in the first tree)
    let (a, b) = (
        text.predict(&test).unwrap(),
        categorical.predict(&test).unwrap(),
    );
    assert!(a.iter().zip(&b).all(|(x, y)| (x - y).abs() < 1e-12));
    // unseen, negative and fractional categories are rows like any other: no panic, a finite score
    let odd = Dataset::new(
        vec![77.0, 1.0, -3.0, 1.0, 5.5, 1.0, f32::NAN, 1.0],
        2,
        vec![0.0; 4],
    )
    .unwrap();
    let p = categorical.predict(&odd).unwrap();
    assert!(p.iter().all(|v| v.is_finite()));
    assert_eq!(
        p[2],
        categorical
            .predict(&Dataset::new(vec![5.0, 1.0], 2, vec![0.0]).unwrap())
            .unwrap()[0]
    );
    // few categories: one against the rest
    let (x2, y2): (Vec<f32>, Vec<f32>) = (0..600)
        .map(|i| ((i % 3) as f32, [0.0f32, 5.0, 1.0][i % 3]))
        .unzip();
    let ds = Dataset::new(x2, 1, y2.clone()).unwrap();
    let m = regression()
        .num_iterations(1)
        .learning_rate(1.0)
        .num_leaves(3)
        .categorical_features(vec![0])
        .fit(&ds)
        .unwrap();
    assert!(rmse_of(&m.predict(&ds).unwrap(), &y2) < 1e-9);
}

#[test]
fn bad_categorical_settings_are_named() {
    let (x, y) = categorical_data(200, 1);
    let ds = Dataset::new(x, 2, y).unwrap();
    let err = |p: GbdtParams| p.fit(&ds).unwrap_err().to_string();
    assert!(err(regression().categorical_features(vec![2])).contains("categorical_features"));
    assert!(err(regression().categorical_features(vec![0, 0])).contains("distinct"));
    assert!(err(regression().cat_smooth(-1.0)).contains("cat_smooth"));
    assert!(err(regression().max_cat_threshold(0)).contains("max_cat_threshold"));
    let big = Dataset::new(vec![1e7, 1.0, 2.0, 1.0], 2, vec![0.0, 1.0]).unwrap();
    let e = regression()
        .categorical_features(vec![0])
        .fit(&big)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("row 1") && e.contains("is not a category"),
        "{e}"
    );
}

#[test]
fn a_fit_stops_when_asked_and_reports_every_round() {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let train = noisy_regression(300, 3);
    let (stop, reports) = (AtomicBool::new(false), AtomicUsize::new(0));
    let report = |p: &recsys_core::FitProgress| {
        assert_eq!((p.model, p.iterations), ("gbdt", 50));
        assert_eq!(p.loss, None, "no validation set, no metric");
        if reports.fetch_add(1, Ordering::Relaxed) + 1 == 3 {
            stop.store(true, Ordering::Relaxed);
        }
    };
    let control = recsys_core::FitControl::none()
        .with_progress(&report)
        .with_stop(&stop);
    let params = regression().num_iterations(50);
    let stopped = params.fit_controlled(&train, None, &control, |_| {});
    assert!(matches!(stopped, Err(Error::Cancelled)), "{stopped:?}");
    assert_eq!(
        reports.load(Ordering::Relaxed),
        3,
        "stopped before the 4th round"
    );
    // with a validation set each report carries the first metric
    let valid = noisy_regression(100, 4);
    let losses = std::sync::Mutex::new(Vec::new());
    let record = |p: &recsys_core::FitProgress| losses.lock().unwrap().push(p.loss.unwrap());
    let control = recsys_core::FitControl::none().with_progress(&record);
    let mut metrics = Vec::new();
    params
        .fit_controlled(&train, Some(&valid), &control, |e| metrics.push(e[0].value))
        .unwrap();
    assert_eq!(*losses.lock().unwrap(), metrics);
}
