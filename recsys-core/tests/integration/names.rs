//! Settings by name (the bindings' strings) and the typed checks of loaded models.

use recsys_core::Error;
use recsys_core::als::Solver;
use recsys_core::content::Norm;
use recsys_core::factory::{RECOMMENDER_NAMES, RecommenderConfig};
use recsys_core::gbdt::{Dataset, GbdtParams, Importance, Objective};
use recsys_core::kmeans::Init;

fn param_of<T: std::fmt::Debug>(r: Result<T, Error>) -> &'static str {
    match r {
        Err(Error::InvalidParam { param, .. }) => param,
        other => panic!("expected InvalidParam, got {other:?}"),
    }
}

#[test]
fn every_setting_enum_parses_its_names_and_names_a_bad_one() {
    assert_eq!("cg".parse::<Solver>().unwrap(), Solver::default());
    assert_eq!("cholesky".parse::<Solver>().unwrap(), Solver::Cholesky);
    assert_eq!(param_of("newton".parse::<Solver>()), "solver");

    assert_eq!("l2".parse::<Objective>().unwrap(), Objective::Regression);
    assert_eq!("binary".parse::<Objective>().unwrap(), Objective::Binary);
    assert_eq!(
        "lambdarank".parse::<Objective>().unwrap(),
        Objective::lambdarank()
    );
    assert_eq!(param_of("poisson".parse::<Objective>()), "objective");
    for name in ["regression", "binary", "lambdarank"] {
        assert_eq!(name.parse::<Objective>().unwrap().name(), name);
    }

    assert_eq!("k-means++".parse::<Init>().unwrap(), Init::KMeansPlusPlus);
    assert_eq!("random".parse::<Init>().unwrap(), Init::Random);
    assert_eq!(param_of("kmeans".parse::<Init>()), "init");

    assert_eq!("none".parse::<Norm>().unwrap(), Norm::None);
    assert_eq!("l1".parse::<Norm>().unwrap(), Norm::L1);
    assert_eq!(param_of("max".parse::<Norm>()), "norm");

    assert_eq!("gain".parse::<Importance>().unwrap(), Importance::Gain);
    assert_eq!(param_of("cover".parse::<Importance>()), "importance");
}

#[test]
fn a_typed_loader_refuses_another_kind_of_model() {
    let hybrid: RecommenderConfig = serde_json::from_str(
        r#"{"kind": "hybrid", "members": [{"weight": 1.0, "model": {"kind": "popular"}}]}"#,
    )
    .unwrap();
    assert!(RECOMMENDER_NAMES.contains(&hybrid.name()));
    for config in [
        RecommenderConfig::named("als").unwrap(),
        RecommenderConfig::Popular {},
        hybrid,
    ] {
        let name = &config.name();
        let data = recsys_core::Interactions::from_triples([(1, "a", 1.0), (2, "b", 1.0)]).unwrap();
        let model = config.fit(&data, None).unwrap();
        assert!(model.clone().expect_kind(name).is_ok());
        let other = if *name == "als" { "popular" } else { "als" };
        match model.expect_kind(other) {
            Err(Error::WrongModelKind { expected, found }) => {
                assert_eq!((expected, found.as_str()), (other, *name));
            }
            r => panic!("expected WrongModelKind, got {r:?}"),
        }
    }
}

#[test]
fn a_gbdt_loader_refuses_another_objective() {
    let ds = Dataset::new(vec![0.0, 1.0, 2.0, 3.0], 1, vec![0.0, 0.0, 1.0, 1.0]).unwrap();
    let model = GbdtParams::new(Objective::Binary)
        .num_iterations(2)
        .min_data_in_leaf(1)
        .fit(&ds)
        .unwrap();
    assert!(model.clone().expect_objective(&Objective::Binary).is_ok());
    assert!(matches!(
        model.expect_objective(&Objective::Regression),
        Err(Error::WrongModelKind {
            expected: "regression",
            ..
        })
    ));
}
