//! Criterion benchmarks of ALS: one full iteration (both solvers) and batch recommend.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use recsys_benches::power_law;
use recsys_core::als::{AlsParams, Solver};
use recsys_core::{Id, RecommendOptions, Recommender};

fn bench_als(c: &mut Criterion) {
    // a tenth of the comparison set: 5k users x 2k items, ~180k interactions
    let data = power_law(5_000, 2_000, 180_000, 1);
    let mut group = c.benchmark_group("als_one_iteration");
    group.sample_size(10);
    for (name, solver) in [
        ("cg3", Solver::ConjugateGradient { steps: 3 }),
        ("cholesky", Solver::Cholesky),
    ] {
        group.bench_with_input(BenchmarkId::new(name, 64), &solver, |b, &solver| {
            b.iter(|| {
                AlsParams::new()
                    .factors(64)
                    .iterations(1)
                    .solver(solver)
                    .seed(1)
                    .fit(&data)
                    .unwrap()
            })
        });
    }
    group.finish();

    let model = AlsParams::new()
        .factors(64)
        .iterations(3)
        .seed(1)
        .fit(&data)
        .unwrap();
    let users: Vec<Id> = (0..1000).map(Id::Int).collect();
    let mut group = c.benchmark_group("recommend");
    group.sample_size(20);
    group.bench_function("batch_1000_users_top10", |b| {
        b.iter(|| {
            model
                .recommend_batch(&users, &data, 10, &RecommendOptions::default())
                .unwrap()
        })
    });
    group.bench_function("single_user_top10", |b| {
        b.iter(|| {
            model
                .recommend(&users[7], &data, 10, &RecommendOptions::default())
                .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, bench_als);
criterion_main!(benches);
