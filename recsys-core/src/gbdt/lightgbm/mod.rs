//! LightGBM's text model format (`Booster.save_model` / `model_to_string`), both ways. Reading
//! it for inference lets models already trained with LightGBM be served by recsys; writing it
//! lets a model recsys trained be served, inspected or converted by LightGBM's tools. Trees of the
//! three objectives recsys trains (L2 regression, binary, lambdarank), with numerical splits in
//! any missing-value mode and categorical splits, are read exactly: predictions equal
//! LightGBM's raw scores. What recsys cannot evaluate the same way (linear trees, multiclass,
//! other objectives) is refused with an error that names it and its line.
//!
//! Layout: `read.rs` (text to [`Gbdt`]), `write.rs` ([`Gbdt`] to text); the round-trip tests
//! here.

mod read;
mod write;

#[cfg(test)]
use super::model::Gbdt;

/// LightGBM's decision-type bits: categorical split, default (missing) direction left; bits 2-3
/// are the missing type (0 none: NaN is 0, 1 zero and NaN are missing, 2 NaN is missing).
pub(super) const CATEGORICAL: u8 = 1;
pub(super) const DEFAULT_LEFT: u8 = 2;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gbdt::params::{GbdtParams, Objective};
    use crate::persist::Persist;

    /// Two trees over three features, as LightGBM writes them. Tree 0: node 0 splits feature 0
    /// at 0.5 with NaN missing values going right (decision type 8); node 1 splits feature 1
    /// just below the f32 nearest 0.3 with zero and NaN going right (decision type 4). Tree 1
    /// is a single leaf.
    const MODEL: &str = "tree
version=v4
num_class=1
num_tree_per_iteration=1
label_index=0
max_feature_idx=2
objective=regression
feature_names=a b c
feature_infos=[0:1] [0:1] [0:1]
tree_sizes=300 200

Tree=0
num_leaves=3
num_cat=0
split_feature=0 1
split_gain=10 5
threshold=0.5 0.30000001190000001
decision_type=8 4
left_child=1 -1
right_child=-2 -3
leaf_value=1 2 3
leaf_weight=1 1 1
leaf_count=1 1 1
internal_value=0 0
internal_weight=0 0
internal_count=3 2
is_linear=0
shrinkage=1


Tree=1
num_leaves=1
num_cat=0
split_feature=
split_gain=
threshold=
decision_type=
left_child=
right_child=
leaf_value=0.25
leaf_weight=
leaf_count=
internal_value=
internal_weight=
internal_count=
is_linear=0
shrinkage=1


end of trees

feature_importances:
a=1
b=1

parameters:
[boosting: gbdt]
end of parameters

pandas_categorical:null
";

    #[test]
    fn reads_trees_and_routes_values_as_lightgbm() {
        let m = Gbdt::from_lightgbm_text(MODEL).unwrap();
        assert_eq!((m.n_trees(), m.n_features()), (2, 3));
        let nan = f32::NAN;
        let rows: [([f32; 3], f64); 7] = [
            // 0.3f32 is above the double threshold 0.3000000119: right (rounding the threshold
            // to the nearest f32 would send it left)
            ([0.2, 0.3, 0.0], 3.25),
            ([0.2, 0.1, 0.0], 1.25),
            // zero-as-missing: zero and NaN take the default (right), not the comparison
            ([0.2, 0.0, 0.0], 3.25),
            ([0.2, nan, 0.0], 3.25),
            ([0.2, -1e-36, 0.0], 3.25),
            ([0.7, 0.1, 0.0], 2.25),
            // NaN-as-missing: right, where NaN as 0 would go left
            ([nan, 0.1, 0.0], 2.25),
        ];
        let flat: Vec<f32> = rows.iter().flat_map(|r| r.0).collect();
        let got = m.predict_rows(&flat, 3).unwrap();
        let want: Vec<f64> = rows.iter().map(|r| r.1).collect();
        assert_eq!(got, want);
        assert_eq!(
            m.feature_importance(crate::gbdt::Importance::Gain),
            vec![10.0, 5.0, 0.0]
        );
        // an imported model persists like any other
        let back = Gbdt::from_bytes(&m.to_bytes().unwrap()).unwrap();
        assert_eq!(back.predict_rows(&flat, 3).unwrap(), want);
    }

    #[test]
    fn binary_models_give_probabilities() {
        let text = MODEL.replace("objective=regression", "objective=binary sigmoid:1");
        let m = Gbdt::from_lightgbm_text(&text).unwrap();
        let p = m.predict_proba_rows(&[0.7, 0.1, 0.0], 3).unwrap()[0];
        assert!((p - 1.0 / (1.0 + (-2.25f64).exp())).abs() < 1e-15);
        let ranker = MODEL.replace("objective=regression", "objective=lambdarank");
        assert!(Gbdt::from_lightgbm_text(&ranker).is_ok());
    }

    /// One categorical split on feature 2: categories 1, 3 (word 0 = 0b1010) and 33 (word 1 =
    /// 0b10) go left.
    const CATEGORICAL_MODEL: &str = "tree\nversion=v4\nnum_class=1\nmax_feature_idx=2\nobjective=regression\n\n\
                Tree=0\nnum_leaves=2\nnum_cat=1\nsplit_feature=2\nsplit_gain=1\n\
                threshold=0\ndecision_type=1\nleft_child=-1\nright_child=-2\n\
                leaf_value=1 2\ncat_boundaries=0 2\ncat_threshold=10 2\nis_linear=0\n\
                shrinkage=1\n\nend of trees\n";

    #[test]
    fn categorical_splits_send_the_set_left() {
        let text = CATEGORICAL_MODEL;
        let m = Gbdt::from_lightgbm_text(text).unwrap();
        let values = [
            (1.0, 1.0),
            (3.0, 1.0),
            (3.7, 1.0),
            (33.0, 1.0),
            (0.0, 2.0),
            (2.0, 2.0),
            (32.0, 2.0),
            (64.0, 2.0),
            // truncated to category 0, as a C++ cast does
            (-0.5, 2.0),
            (-1.0, 2.0),
            (f32::NAN, 2.0),
            (1e10, 2.0),
            (f32::INFINITY, 2.0),
        ];
        for (v, want) in values {
            assert_eq!(m.predict_rows(&[0.0, 0.0, v], 3).unwrap()[0], want, "{v}");
        }
        let written = Gbdt::from_lightgbm_text(&m.to_lightgbm_text()).unwrap();
        assert_eq!(written.trees().0, m.trees().0);
        let broken = text.replace("cat_threshold=10 2", "cat_threshold=10");
        assert!(error_of(&broken).contains("cat_threshold has 1 values"));
    }

    #[test]
    fn written_models_read_back_with_the_same_predictions() {
        use crate::gbdt::Dataset;
        use crate::rng::SplitMix64;
        let mut rng = SplitMix64::new(4);
        let n = 600;
        let x: Vec<f32> = (0..n * 3)
            .map(|i| {
                let v = rng.next_f32();
                // NaN in feature 0 so the trees learn missing-value directions
                if i % 3 == 0 && v < 0.1 { f32::NAN } else { v }
            })
            .collect();
        let y: Vec<f32> = (0..n)
            .map(|r| {
                let row = &x[r * 3..r * 3 + 3];
                f32::from(row[0].is_nan() || row[0] > 0.5) + row[1] * row[2]
            })
            .collect();
        for objective in [Objective::Regression, Objective::Binary] {
            let labels = match objective {
                Objective::Binary => y.iter().map(|&v| f32::from(v > 0.8)).collect(),
                _ => y.clone(),
            };
            let ds = Dataset::new(x.clone(), 3, labels).unwrap();
            let m = GbdtParams::new(objective.clone())
                .num_iterations(15)
                .min_data_in_leaf(5)
                .fit(&ds)
                .unwrap();
            let back = Gbdt::from_lightgbm_text(&m.to_lightgbm_text()).unwrap();
            let (a, b) = (m.predict(&ds).unwrap(), back.predict(&ds).unwrap());
            assert!(
                a.iter().zip(&b).all(|(a, b)| (a - b).abs() < 1e-12),
                "{objective:?}"
            );
            assert_eq!(back.params().objective_kind(), &objective);
        }
        // the zero-as-missing rules survive the round trip as written (categorical: below)
        let m = Gbdt::from_lightgbm_text(MODEL).unwrap();
        let again = Gbdt::from_lightgbm_text(&m.to_lightgbm_text()).unwrap();
        assert_eq!(again.trees().0, m.trees().0);
    }

    #[test]
    fn damaged_models_are_errors_never_panics() {
        // every model read from damaged text must also predict without a panic
        let mut rng = crate::rng::SplitMix64::new(11);
        let alphabet = b"0123456789-.=e \nTrenaf";
        for k in 0..3000 {
            let bytes = if k % 2 == 0 { MODEL } else { CATEGORICAL_MODEL }.as_bytes();
            let mut text = bytes.to_vec();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(text.len());
                match rng.below(3) {
                    0 => {
                        text.remove(at);
                    }
                    1 => text[at] = alphabet[rng.below(alphabet.len())],
                    _ => text.insert(at, alphabet[rng.below(alphabet.len())]),
                }
            }
            let text = String::from_utf8_lossy(&text);
            if let Ok(m) = Gbdt::from_lightgbm_text(&text) {
                let d = m.n_features();
                let rows: Vec<f32> = (0..4 * d)
                    .map(|i| [0.0, 0.4, f32::NAN, -3.0][i % 4])
                    .collect();
                let scores = m.predict_rows(&rows, d).unwrap();
                assert!(scores.iter().all(|s| s.is_finite()), "{text}");
                Gbdt::from_lightgbm_text(&m.to_lightgbm_text()).unwrap();
            }
        }
    }

    fn error_of(text: &str) -> String {
        match Gbdt::from_lightgbm_text(text) {
            Ok(_) => panic!("read a model that should have been refused"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn unsupported_or_broken_models_are_named_errors() {
        let cases = [
            (
                MODEL.replace("decision_type=8 4", "decision_type=8 1"),
                "line 17",
                "category set 0.3",
            ),
            (
                MODEL.replace("num_class=1", "num_class=3"),
                "line 3",
                "multiclass",
            ),
            (
                MODEL.replace("objective=regression", "objective=poisson"),
                "line 7",
                "'poisson'",
            ),
            (
                MODEL.replace("objective=regression", "objective=binary sigmoid:2"),
                "line 7",
                "sigmoid:2",
            ),
            (
                MODEL[..MODEL.find("end of trees").unwrap()].to_string(),
                "",
                "truncated",
            ),
            (
                MODEL.replace("right_child=-2 -3", "right_child=-2 -4"),
                "line 12",
                "child",
            ),
            (
                MODEL.replace("split_feature=0 1", "split_feature=0 3"),
                "line 15",
                "feature 3",
            ),
            (
                MODEL.replace("leaf_value=1 2 3", "leaf_value=1 2"),
                "line 21",
                "leaf_value has 2",
            ),
            (
                MODEL.replace("threshold=0.5 ", "threshold=x "),
                "line 17",
                "\"x\"",
            ),
            (
                MODEL.replace(
                    "is_linear=0\nshrinkage=1\n\n\nTree=1",
                    "is_linear=1\nshrinkage=1\n\n\nTree=1",
                ),
                "line 27",
                "linear",
            ),
            (
                MODEL.replace("Tree=1", "Tree=2"),
                "line 31",
                "expected Tree=1",
            ),
            (
                "{\"name\": \"tree\"}".to_string(),
                "line 1",
                "not a LightGBM text model",
            ),
            (
                MODEL.replace("max_feature_idx=2\n", ""),
                "line 1",
                "max_feature_idx",
            ),
        ];
        for (text, line, what) in cases {
            let e = error_of(&text);
            assert!(e.contains(line) && e.contains(what), "{what}: {e}");
        }
    }
}
