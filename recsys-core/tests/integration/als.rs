//! Behaviour of implicit ALS: quality on planted structure, solver agreement, fold-in,
//! determinism, validation and persistence.

use crate::common;

use recsys_core::als::{AlsParams, ImplicitAls, Solver};
use recsys_core::eval::{ranking_metrics_at_k, train_test_split};
use recsys_core::popularity::Popularity;
use recsys_core::{
    Confidence, Error, Id, Interactions, ItemFilter, Persist, RecommendOptions, Recommender,
};

/// A user's row of `data` as `(item id, value)` pairs.
fn history_of(data: &Interactions, user: &Id) -> Vec<(Id, f32)> {
    data.user_items(user).unwrap().collect()
}

fn fitted(params: AlsParams, data: &Interactions) -> ImplicitAls {
    params.fit(data).unwrap()
}

#[test]
fn planted_structure_is_recovered_well_above_popularity() {
    let data = common::planted(600, 300, 6, 20, 1);
    let (train, test) = train_test_split(&data, 0.8, 2).unwrap();
    let als = fitted(
        AlsParams::new()
            .factors(16)
            .regularization(0.1)
            .iterations(10)
            .seed(1),
        &train,
    );
    let pop = Popularity::fit(&train).unwrap();
    let a = ranking_metrics_at_k(&als, &train, &test, 10).unwrap();
    let p = ranking_metrics_at_k(&pop, &train, &test, 10).unwrap();
    assert!(
        a.ndcg > 2.0 * p.ndcg && a.ndcg > 0.15,
        "als {a:?} vs popularity {p:?}"
    );
    assert!(
        a.precision > 2.0 * p.precision,
        "als {a:?} vs popularity {p:?}"
    );
    assert!(a.auc > p.auc);
    assert!(a.coverage > p.coverage);
}

fn final_loss(solver: Solver, data: &Interactions) -> f64 {
    let mut loss = None;
    let _model = AlsParams::new()
        .factors(12)
        .regularization(0.05)
        .iterations(25)
        .solver(solver)
        .seed(5)
        .calculate_loss(true)
        .fit_with_progress(data, |p| loss = p.loss)
        .unwrap();
    loss.unwrap()
}

#[test]
fn conjugate_gradient_reaches_the_exact_solvers_loss() {
    let data = common::planted(300, 150, 5, 15, 4).map_values(|v| v * 4.0);
    let exact = final_loss(Solver::Cholesky, &data);
    let cg = final_loss(Solver::ConjugateGradient { steps: 8 }, &data);
    assert!(exact > 0.0 && exact.is_finite());
    assert!(
        (cg - exact).abs() / exact < 0.01,
        "cg {cg} vs cholesky {exact}"
    );
    // and three steps are not absurdly worse
    let cg3 = final_loss(Solver::ConjugateGradient { steps: 3 }, &data);
    assert!(
        (cg3 - exact) / exact < 0.05,
        "cg3 {cg3} vs cholesky {exact}"
    );
}

#[test]
fn loss_decreases_and_progress_is_reported_every_iteration() {
    let data = common::planted(200, 100, 4, 10, 9);
    let mut seen = Vec::new();
    let _model = AlsParams::new()
        .factors(8)
        .iterations(6)
        .calculate_loss(true)
        .fit_with_progress(&data, |p| seen.push((p.iteration, p.loss.unwrap())))
        .unwrap();
    assert_eq!(
        seen.iter().map(|s| s.0).collect::<Vec<_>>(),
        vec![0, 1, 2, 3, 4, 5]
    );
    assert!(seen.last().unwrap().1 < seen[0].1, "{seen:?}");
}

#[test]
fn early_stop_ends_training_when_loss_stalls() {
    let data = common::planted(200, 100, 4, 10, 9);
    let mut iterations = 0;
    let _model = AlsParams::new()
        .factors(8)
        .iterations(200)
        .early_stop(1e-3)
        .solver(Solver::Cholesky)
        .fit_with_progress(&data, |p| iterations = p.iteration + 1)
        .unwrap();
    assert!(
        iterations > 1 && iterations < 200,
        "ran {iterations} iterations"
    );
}

/// Solves the user's normal equations densely in f64 from the model's item factors.
fn dense_solution(model: &ImplicitAls, history: &[(Id, f32)], lambda: f64, alpha: f64) -> Vec<f64> {
    let y = model.item_factors();
    let items = model.item_ids();
    let f = y.dim();
    let mut a = vec![0f64; f * f];
    for i in 0..y.rows() {
        let r = y.row(i);
        for p in 0..f {
            for q in 0..f {
                a[p * f + q] += r[p] as f64 * r[q] as f64;
            }
        }
    }
    for p in 0..f {
        a[p * f + p] += lambda;
    }
    let mut b = vec![0f64; f];
    for (id, v) in history {
        let r = y.row(items.index(id).unwrap() as usize);
        let c = 1.0 + alpha * *v as f64;
        for p in 0..f {
            b[p] += c * r[p] as f64;
            for q in 0..f {
                a[p * f + q] += (c - 1.0) * r[p] as f64 * r[q] as f64;
            }
        }
    }
    // Gaussian elimination with partial pivoting
    for col in 0..f {
        let piv = (col..f)
            .max_by(|&i, &j| a[i * f + col].abs().total_cmp(&a[j * f + col].abs()))
            .unwrap();
        for k in 0..f {
            a.swap(col * f + k, piv * f + k);
        }
        b.swap(col, piv);
        for row in col + 1..f {
            let m = a[row * f + col] / a[col * f + col];
            for k in col..f {
                a[row * f + k] -= m * a[col * f + k];
            }
            b[row] -= m * b[col];
        }
    }
    let mut x = vec![0f64; f];
    for row in (0..f).rev() {
        let s: f64 = (row + 1..f).map(|k| a[row * f + k] * x[k]).sum();
        x[row] = (b[row] - s) / a[row * f + row];
    }
    x
}

#[test]
fn fold_in_solves_the_normal_equations_and_matches_trained_factors() {
    let data = common::planted(300, 120, 4, 15, 21);
    let (lambda, alpha) = (0.1, 2.0);
    let model = fitted(
        AlsParams::new()
            .factors(10)
            .regularization(lambda)
            .linear_alpha(alpha)
            .iterations(30)
            .solver(Solver::Cholesky)
            .seed(2),
        &data,
    );
    let user = Id::from("u7");
    let history = history_of(&data, &user);
    let x = model.fold_in_user(&history).unwrap();
    let want = dense_solution(&model, &history, lambda as f64, alpha as f64);
    let norm: f64 = want.iter().map(|v| v * v).sum::<f64>().sqrt();
    let err: f64 = x
        .iter()
        .zip(&want)
        .map(|(a, b)| (*a as f64 - b).powi(2))
        .sum::<f64>()
        .sqrt();
    assert!(
        err / norm < 1e-4,
        "fold-in off the exact solution by {}",
        err / norm
    );

    let u = model.user_ids().index(&user).unwrap() as usize;
    let trained = model.user_factors().row(u);
    let dot: f32 = trained.iter().zip(&x).map(|(a, b)| a * b).sum();
    let cos = dot
        / (trained.iter().map(|v| v * v).sum::<f32>().sqrt()
            * x.iter().map(|v| v * v).sum::<f32>().sqrt());
    assert!(
        cos > 0.99,
        "fold-in vector far from the trained one: cosine {cos}"
    );

    // a user the model never saw gets recommendations through recalculate_user
    let newcomer =
        Interactions::from_triples(history.iter().map(|(i, v)| ("newcomer", i.clone(), *v)))
            .unwrap();
    let opts = RecommendOptions::new().recalculate_user(true);
    let recs = model
        .recommend(&Id::from("newcomer"), &newcomer, 5, &opts)
        .unwrap();
    let as_known = model
        .recommend(&user, &data, 5, &RecommendOptions::default())
        .unwrap();
    assert_eq!(
        recs.iter().map(|s| &s.id).collect::<Vec<_>>(),
        as_known.iter().map(|s| &s.id).collect::<Vec<_>>()
    );
    assert!(matches!(
        model.recommend(
            &Id::from("newcomer"),
            &newcomer,
            5,
            &RecommendOptions::default()
        ),
        Err(Error::UnknownUser(_))
    ));
    assert!(model.fold_in_user(&[(Id::from("i1"), f32::NAN)]).is_err());
}

#[test]
fn partial_fit_adds_new_users_and_items() {
    let data = common::planted(200, 80, 4, 12, 8);
    let mut model = fitted(AlsParams::new().factors(8).iterations(8).seed(4), &data);
    let fresh = Interactions::from_triples([
        ("zed", "i0", 2.0),
        ("zed", "i4", 1.0),
        ("zed", "brand-new", 1.0),
        ("u1", "brand-new", 3.0),
    ])
    .unwrap();
    model.partial_fit_users(&fresh, &[Id::from("zed")]).unwrap();
    assert_eq!(model.user_ids().len(), 201);
    let recs = model
        .recommend(&Id::from("zed"), &fresh, 3, &RecommendOptions::default())
        .unwrap();
    assert_eq!(recs.len(), 3);
    model
        .partial_fit_items(&fresh, &[Id::from("brand-new")])
        .unwrap();
    assert_eq!(model.item_ids().len(), 81);
    assert!(
        model
            .similar_items(&Id::from("brand-new"), 3, &ItemFilter::default())
            .is_ok()
    );
    let e = model
        .partial_fit_users(&fresh, &[Id::from("ghost")])
        .unwrap_err();
    assert!(e.to_string().contains("'ghost' has no row"), "{e}");
}

#[test]
fn same_seed_gives_identical_factors_whatever_the_thread_count() {
    let data = common::planted(300, 100, 4, 10, 3);
    let p = AlsParams::new().factors(8).iterations(4).seed(77);
    let a = fitted(p.clone().num_threads(Some(1)), &data);
    let b = fitted(p.clone().num_threads(Some(2)), &data);
    assert_eq!(a.user_factors(), b.user_factors());
    assert_eq!(a.item_factors(), b.item_factors());
    let c = fitted(p.seed(78), &data);
    assert_ne!(a.item_factors(), c.item_factors());
}

#[test]
fn similar_items_and_users_use_cosine() {
    let data = common::planted(300, 120, 4, 15, 12);
    let m = fitted(AlsParams::new().factors(8).iterations(8).seed(1), &data);
    let sim = m
        .similar_items(&Id::from("i8"), 5, &ItemFilter::default())
        .unwrap();
    assert_eq!(sim[0].id, Id::from("i8"));
    assert!((sim[0].score - 1.0).abs() < 1e-4);
    // same taste group (i % 4 == 0) dominates the neighbours
    let same_group = sim
        .iter()
        .filter(|s| s.id.to_string()[1..].parse::<usize>().unwrap() % 4 == 0)
        .count();
    assert!(same_group >= 4, "{sim:?}");
    let users = m
        .similar_users(&Id::from("u8"), 4, &ItemFilter::default())
        .unwrap();
    assert_eq!(users[0].id, Id::from("u8"));
    assert!(users.iter().all(|s| s.score <= 1.0 + 1e-4));
    assert!(matches!(
        m.similar_users(&Id::from("nobody"), 3, &ItemFilter::default()),
        Err(Error::UnknownUser(_))
    ));
    // a filter over users: the excluded never come back, candidates are the only ones that can
    let excluded: Vec<Id> = users[1..3].iter().map(|s| s.id.clone()).collect();
    let without = m
        .similar_users(
            &Id::from("u8"),
            4,
            &ItemFilter::new().exclude(excluded.clone()),
        )
        .unwrap();
    assert_eq!(without.len(), 4);
    assert!(without.iter().all(|s| !excluded.contains(&s.id)));
    let among = vec![Id::from("u1"), Id::from("u2"), Id::from("nobody")];
    let only = m
        .similar_users(&Id::from("u8"), 4, &ItemFilter::new().only(among.clone()))
        .unwrap();
    assert_eq!(only.len(), 2);
    assert!(only.iter().all(|s| among.contains(&s.id)));
}

#[test]
fn invalid_params_and_inputs_are_clear_errors() {
    let data = common::planted(50, 30, 3, 5, 1);
    assert_eq!(
        AlsParams::new()
            .factors(0)
            .fit(&data)
            .unwrap_err()
            .to_string(),
        "factors must be >= 1, got 0"
    );
    assert_eq!(
        AlsParams::new()
            .confidence(Confidence::Log {
                alpha: 1.0,
                eps: 0.0,
            })
            .fit(&data)
            .unwrap_err()
            .to_string(),
        "eps must be a finite number > 0, got 0"
    );
    // zero regularization with fewer interactions than factors has no unique exact solution
    let tiny = Interactions::from_triples([("a", "x", 1.0)]).unwrap();
    let params = AlsParams::new()
        .factors(4)
        .regularization(0.0)
        .solver(Solver::Cholesky);
    assert!(matches!(
        params.fit(&tiny),
        Err(Error::NotPositiveDefinite(_))
    ));
}

#[test]
fn save_load_round_trip_is_bit_exact_and_damage_is_rejected() {
    let data = common::planted(150, 60, 3, 10, 6);
    let m = fitted(AlsParams::new().factors(6).iterations(5).seed(9), &data);
    let path = common::temp_path("als.model");
    m.save(&path).unwrap();
    let back = ImplicitAls::load(&path).unwrap();
    let bits =
        |f: &recsys_core::Factors| f.as_slice().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(back.user_factors()), bits(m.user_factors()));
    assert_eq!(bits(back.item_factors()), bits(m.item_factors()));
    assert_eq!(back.params(), m.params());
    let opts = RecommendOptions::default();
    assert_eq!(
        back.recommend(&Id::from("u3"), &data, 5, &opts).unwrap(),
        m.recommend(&Id::from("u3"), &data, 5, &opts).unwrap()
    );

    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let e = ImplicitAls::load(&path).unwrap_err();
    assert!(e.to_string().contains("truncated"), "{e}");
    let mut bad = bytes.clone();
    bad[bytes.len() / 2] ^= 1;
    std::fs::write(&path, &bad).unwrap();
    let e = ImplicitAls::load(&path).unwrap_err();
    assert!(e.to_string().contains("checksum"), "{e}");
    assert!(matches!(
        Popularity::from_bytes(&bytes),
        Err(Error::WrongModelKind { .. })
    ));
    std::fs::remove_file(&path).unwrap();
    assert!(matches!(ImplicitAls::load(&path), Err(Error::Io { .. })));
}

#[test]
fn explain_splits_the_fold_in_score_into_one_share_per_history_item() {
    let data = common::planted(200, 60, 4, 12, 3);
    let model = fitted(
        AlsParams::new()
            .factors(8)
            .regularization(0.5)
            .iterations(5)
            .seed(4),
        &data,
    );
    let history = history_of(&data, &Id::from("u3"));
    let x = model.fold_in_user(&history).unwrap();
    let items = model.item_ids();
    let item = items.id(5);
    let y = model.item_factors().row(5);
    let folded: f32 = x.iter().zip(y).map(|(a, b)| a * b).sum();

    let all = model.explain(&history, &item, usize::MAX).unwrap();
    assert_eq!(all.contributions.len(), history.len());
    assert!((all.score - folded).abs() < 1e-3 * folded.abs().max(1.0));
    let sum: f32 = all.contributions.iter().map(|s| s.score).sum();
    assert!((sum - all.score).abs() < 1e-4 * all.score.abs().max(1.0));
    assert!(
        all.contributions
            .windows(2)
            .all(|w| w[0].score >= w[1].score)
    );
    let top = model.explain(&history, &item, 2).unwrap();
    assert_eq!(top.contributions[..], all.contributions[..2]);
    assert_eq!(top.score, all.score);
    assert!(matches!(
        model.explain(&history, &Id::from("no such item"), 3),
        Err(Error::UnknownItem(_))
    ));
}

#[test]
fn a_row_nobody_interacted_with_gets_zero_factors() {
    // item i_empty exists (the matrix is 3 x 3) but has no entries
    let data = Interactions::from_csr_arrays(
        3,
        3,
        vec![0, 2, 3, 4],
        vec![0, 1, 0, 1],
        vec![1.0, 1.0, 1.0, 1.0],
    )
    .unwrap();
    let model = fitted(AlsParams::new().factors(4).iterations(3).seed(1), &data);
    let items = model.item_ids();
    let empty = items.index(&Id::Int(2)).unwrap() as usize;
    assert!(model.item_factors().row(empty).iter().all(|&v| v == 0.0));
    let zero_iterations = fitted(AlsParams::new().factors(4).iterations(0).seed(1), &data);
    assert!(
        zero_iterations
            .item_factors()
            .row(empty)
            .iter()
            .any(|&v| v != 0.0)
    );
}
