//! Criterion benchmarks of gradient-boosted trees: training with each objective (binning
//! included) and batch prediction. The side-by-side comparison with LightGBM is
//! `benches/compare/run.sh gbdt`; these track recsys's own speed from change to change.

use criterion::{Criterion, criterion_group, criterion_main};
use recsys_benches::boosting_data;
use recsys_core::gbdt::{GbdtParams, Objective};

fn bench_gbdt(c: &mut Criterion) {
    let rows = boosting_data(100_000, 20, None, 1);
    let ranking = boosting_data(20_000, 40, Some(50), 2);
    let mut group = c.benchmark_group("gbdt_fit_20_rounds");
    group.sample_size(10);
    for (name, objective, data) in [
        ("regression_100k_x_20", Objective::Regression, &rows),
        (
            "lambdarank_400_queries_x_50_x_40",
            Objective::lambdarank(),
            &ranking,
        ),
    ] {
        let params = GbdtParams::new(objective).num_iterations(20);
        group.bench_function(name, |b| b.iter(|| params.fit(data).unwrap()));
    }
    group.finish();

    let model = GbdtParams::new(Objective::Regression)
        .fit(&rows)
        .expect("trains");
    let mut group = c.benchmark_group("gbdt_predict");
    group.sample_size(10);
    group.bench_function("100k_rows_100_trees", |b| {
        b.iter(|| model.predict(&rows).unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench_gbdt);
criterion_main!(benches);
