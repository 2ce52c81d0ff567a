//! LightGBM's text model format (`Booster.save_model` / `model_to_string`), both ways. Reading
//! it for inference lets models already trained with LightGBM be served by recsys; writing it
//! lets a model recsys trained be served, inspected or converted by LightGBM's tools. Trees of the
//! three objectives recsys trains (L2 regression, binary, lambdarank), with numerical splits in
//! any missing-value mode and categorical splits, are read exactly: predictions equal
//! LightGBM's raw scores. What recsys cannot evaluate the same way (linear trees, multiclass,
//! other objectives) is refused with an error that names it and its line.

use std::collections::HashMap;
use std::fmt::Write;

use super::model::Gbdt;
use super::params::{GbdtParams, Objective};
use super::tree::{Child, Node, Rule, Tree};
use crate::error::{Error, Result};

/// LightGBM's decision-type bits: categorical split, default (missing) direction left; bits 2-3
/// are the missing type (0 none: NaN is 0, 1 zero and NaN are missing, 2 NaN is missing).
const CATEGORICAL: u8 = 1;
const DEFAULT_LEFT: u8 = 2;

/// The widest model read (LightGBM's own limit is `i32`): a bound on what a damaged or hostile
/// header can make recsys allocate.
const MAX_FEATURES: usize = 1 << 24;

/// An error at a 1-based line of the model text.
fn bad(line: usize, reason: impl Into<String>) -> Error {
    Error::LightGbmModel {
        line,
        reason: reason.into(),
    }
}

/// `key=value` lines of one section (the header or one tree), each with its line number.
struct Section<'a> {
    /// Line of the section's first line, for errors about a missing key.
    start: usize,
    fields: HashMap<&'a str, (usize, &'a str)>,
}

impl<'a> Section<'a> {
    fn get(&self, key: &str) -> Option<(usize, &'a str)> {
        self.fields.get(key).copied()
    }

    /// The line of `key` (one that was read), for an error about its value.
    fn line(&self, key: &str) -> usize {
        self.get(key).map_or(self.start, |(line, _)| line)
    }

    fn require(&self, key: &str, what: &str) -> Result<(usize, &'a str)> {
        self.get(key)
            .ok_or_else(|| bad(self.start, format!("{what} has no '{key}=' line")))
    }

    /// A whitespace-separated list of exactly `n` values of `key`.
    fn list<T: std::str::FromStr>(&self, key: &str, n: usize, what: &str) -> Result<Vec<T>> {
        let (line, text) = self.require(key, what)?;
        let values = text
            .split_whitespace()
            .map(|v| {
                v.parse::<T>()
                    .map_err(|_| bad(line, format!("{key}: {v:?} is not a number")))
            })
            .collect::<Result<Vec<T>>>()?;
        if values.len() != n {
            return Err(bad(
                line,
                format!("{key} has {} values, {what} needs {n}", values.len()),
            ));
        }
        Ok(values)
    }

    fn number<T: std::str::FromStr>(&self, key: &str, what: &str) -> Result<T> {
        let (line, text) = self.require(key, what)?;
        text.trim()
            .parse()
            .map_err(|_| bad(line, format!("{key}: {text:?} is not a number")))
    }
}

/// The largest `f32` not above `t`: for every `f32` value `v`, `v <= t` exactly when
/// `v <= below(t)`, so LightGBM's double thresholds decide `f32` inputs as LightGBM does.
fn f32_at_or_below(t: f64) -> f32 {
    let r = t as f32;
    if f64::from(r) > t { r.next_down() } else { r }
}

/// The objective of the `objective=` line.
fn objective(line: usize, text: &str) -> Result<Objective> {
    let mut parts = text.split_whitespace();
    let name = parts.next().unwrap_or("");
    let params: Vec<&str> = parts.collect();
    match name {
        "regression" => Ok(Objective::Regression),
        "lambdarank" => Ok(Objective::lambdarank()),
        "binary" => {
            for p in params {
                if let Some(s) = p.strip_prefix("sigmoid:")
                    && s.parse::<f64>().ok() != Some(1.0)
                {
                    return Err(bad(
                        line,
                        format!(
                            "binary with {p}: only sigmoid:1 (LightGBM's default) gives the \
                             probabilities recsys computes"
                        ),
                    ));
                }
            }
            Ok(Objective::Binary)
        }
        other => Err(bad(
            line,
            format!(
                "objective '{other}' is not supported (recsys reads regression, binary and \
                 lambdarank models)"
            ),
        )),
    }
}

/// The category sets of a tree's categorical nodes (`num_cat` bitsets: `cat_threshold` words,
/// set `k` from `cat_boundaries[k]` to `cat_boundaries[k + 1]`).
fn categories(section: &Section, n_nodes: usize, what: &str) -> Result<Vec<Vec<u32>>> {
    let n: usize = match section.get("num_cat") {
        Some(_) => section.number("num_cat", what)?,
        None => 0,
    };
    if n == 0 {
        return Ok(Vec::new());
    }
    if n > n_nodes {
        let line = section.line("num_cat");
        return Err(bad(
            line,
            format!("{what} has num_cat={n} but only {n_nodes} nodes"),
        ));
    }
    let bounds: Vec<usize> = section.list("cat_boundaries", n + 1, what)?;
    let line = section.line("cat_boundaries");
    if bounds[0] != 0 || bounds.windows(2).any(|w| w[0] > w[1]) {
        return Err(bad(
            line,
            format!("{what}: cat_boundaries must rise from 0"),
        ));
    }
    let words: Vec<u32> = section.list("cat_threshold", bounds[n], what)?;
    Ok(bounds
        .windows(2)
        .map(|w| words[w[0]..w[1]].to_vec())
        .collect())
}

/// One `Tree=` section as a tree over `n_features` features.
fn tree(section: &Section, index: usize, n_features: usize) -> Result<Tree> {
    let what = format!("Tree={index}");
    let leaves_n: usize = section.number("num_leaves", &what)?;
    if leaves_n == 0 {
        return Err(bad(section.start, format!("{what} has num_leaves=0")));
    }
    if let Some((line, v)) = section.get("is_linear")
        && v.trim() != "0"
    {
        return Err(bad(
            line,
            format!("{what} is a linear tree, which recsys does not evaluate"),
        ));
    }
    let leaves: Vec<f64> = section.list("leaf_value", leaves_n, &what)?;
    if let Some(i) = leaves.iter().position(|v| !v.is_finite()) {
        let line = section.line("leaf_value");
        return Err(bad(
            line,
            format!("{what}: leaf {i} has value {}", leaves[i]),
        ));
    }
    let n = leaves_n - 1;
    if n == 0 {
        return Ok(Tree {
            nodes: Vec::new(),
            leaves,
        });
    }
    let features: Vec<usize> = section.list("split_feature", n, &what)?;
    let thresholds: Vec<f64> = section.list("threshold", n, &what)?;
    let decisions: Vec<u8> = section.list("decision_type", n, &what)?;
    let lefts: Vec<Child> = section.list("left_child", n, &what)?;
    let rights: Vec<Child> = section.list("right_child", n, &what)?;
    let gains: Vec<f64> = match section.get("split_gain") {
        Some(_) => section.list("split_gain", n, &what)?,
        None => vec![0.0; n],
    };
    let category_sets = categories(section, n, &what)?;
    let mut nodes = Vec::with_capacity(n);
    for i in 0..n {
        let (d, feature, t) = (decisions[i], features[i], thresholds[i]);
        if feature >= n_features {
            let line = section.line("split_feature");
            return Err(bad(
                line,
                format!("{what}: node {i} splits feature {feature}, the model has {n_features}"),
            ));
        }
        if t.is_nan() {
            let line = section.line("threshold");
            return Err(bad(line, format!("{what}: node {i} has threshold NaN")));
        }
        let left = d & DEFAULT_LEFT != 0;
        let rule = if d & CATEGORICAL != 0 {
            // the threshold is the index of the node's category set
            let set = (t >= 0.0 && t.fract() == 0.0)
                .then_some(t as usize)
                .and_then(|k| category_sets.get(k));
            let Some(set) = set else {
                let line = section.line("threshold");
                return Err(bad(
                    line,
                    format!(
                        "{what}: categorical node {i} refers to category set {t}, the tree has {}",
                        category_sets.len()
                    ),
                ));
            };
            Rule::Categories(set.clone())
        } else {
            match (d >> 2) & 3 {
                0 => Rule::NanAsZero,
                1 if left => Rule::ZeroOrNanLeft,
                1 => Rule::ZeroOrNanRight,
                2 if left => Rule::NanLeft,
                2 => Rule::NanRight,
                other => {
                    let line = section.line("decision_type");
                    return Err(bad(
                        line,
                        format!("{what}: node {i} has missing type {other}"),
                    ));
                }
            }
        };
        nodes.push(Node {
            feature: feature as u32,
            threshold: f32_at_or_below(t),
            // only trees recsys grows are evaluated on binned data
            bin_threshold: 0,
            rule,
            left: lefts[i],
            right: rights[i],
            gain: gains[i],
        });
    }
    let tree = Tree { nodes, leaves };
    if !tree.is_consistent(n_features) {
        return Err(bad(
            section.start,
            format!("{what}: a child refers to a node or leaf the tree does not have"),
        ));
    }
    Ok(tree)
}

impl Gbdt {
    /// Reads a model in LightGBM's text format (what `Booster.save_model` writes, or
    /// `model_to_string` returns). Its predictions are LightGBM's raw scores (and, for binary
    /// models, probabilities) for the same rows.
    ///
    /// Supported: objectives `regression` (L2), `binary` (with LightGBM's default `sigmoid:1`)
    /// and `lambdarank`; numerical splits with any of LightGBM's missing-value handlings, and
    /// categorical splits. Anything else (linear trees, multiclass, other objectives,
    /// `average_output` forests) is an [`Error::LightGbmModel`] naming it and its line, as is
    /// a malformed file.
    pub fn from_lightgbm_text(text: &str) -> Result<Gbdt> {
        let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l.trim()));
        match lines.next() {
            Some((_, "tree")) => {}
            _ => {
                return Err(bad(
                    1,
                    "not a LightGBM text model (its first line is 'tree')",
                ));
            }
        }
        let mut header = Section {
            start: 1,
            fields: HashMap::new(),
        };
        let mut trees: Vec<Section> = Vec::new();
        let mut ended = false;
        for (no, line) in lines {
            if line == "end of trees" {
                ended = true;
                break;
            }
            if line.is_empty() {
                continue;
            }
            if line == "average_output" {
                return Err(bad(
                    no,
                    "an average_output model (random forest) is not supported",
                ));
            }
            let Some((key, value)) = line.split_once('=') else {
                return Err(bad(no, format!("{line:?} is not a key=value line")));
            };
            if key == "Tree" {
                if value.trim() != trees.len().to_string() {
                    return Err(bad(
                        no,
                        format!("expected Tree={}, found {line:?}", trees.len()),
                    ));
                }
                trees.push(Section {
                    start: no,
                    fields: HashMap::new(),
                });
                continue;
            }
            let section = trees.last_mut().unwrap_or(&mut header);
            if section.fields.insert(key, (no, value)).is_some() {
                return Err(bad(no, format!("'{key}=' appears twice")));
            }
        }
        if !ended {
            return Err(bad(
                text.lines().count(),
                "the model ends before its 'end of trees' line (truncated?)",
            ));
        }
        let what = "the header";
        if let Some((line, v)) = header.get("num_class")
            && v.trim() != "1"
        {
            return Err(bad(
                line,
                format!(
                    "a model of num_class={} is not supported (multiclass)",
                    v.trim()
                ),
            ));
        }
        if let Some((line, v)) = header.get("num_tree_per_iteration")
            && v.trim() != "1"
        {
            return Err(bad(
                line,
                format!("num_tree_per_iteration={} is not supported", v.trim()),
            ));
        }
        let max_feature: usize = header.number("max_feature_idx", what)?;
        if max_feature >= MAX_FEATURES {
            let line = header.line("max_feature_idx");
            return Err(bad(
                line,
                format!(
                    "max_feature_idx={max_feature}: recsys reads models of up to {MAX_FEATURES} features"
                ),
            ));
        }
        let n_features = max_feature + 1;
        let (line, objective_text) = header.require("objective", what)?;
        let objective = objective(line, objective_text)?;
        let trees = trees
            .iter()
            .enumerate()
            .map(|(i, s)| tree(s, i, n_features))
            .collect::<Result<Vec<Tree>>>()?;
        if trees.is_empty() {
            return Err(bad(1, "the model has no trees"));
        }
        let n = trees.len();
        Ok(Gbdt::from_parts(
            GbdtParams::new(objective).num_iterations(n),
            n_features,
            0.0,
            trees,
        ))
    }
}

/// A list of values as LightGBM writes it: space-separated.
fn joined<T>(values: impl IntoIterator<Item = T>, show: impl Fn(T) -> String) -> String {
    values.into_iter().map(show).collect::<Vec<_>>().join(" ")
}

/// A double the way it reads back exactly (Rust prints the shortest round-trip form).
fn exact(v: f64) -> String {
    format!("{v:?}")
}

/// One tree as a LightGBM `Tree=` section; `bias` is added to every leaf (LightGBM keeps the
/// initial score in its first tree).
fn write_tree(out: &mut String, index: usize, tree: &Tree, bias: f64) {
    let leaves = joined(&tree.leaves, |v| exact(v + bias));
    let _ = write!(out, "Tree={index}\nnum_leaves={}\n", tree.leaves.len());
    let mut sets: Vec<&[u32]> = Vec::new();
    let mut thresholds = Vec::with_capacity(tree.nodes.len());
    let mut decisions = Vec::with_capacity(tree.nodes.len());
    for n in &tree.nodes {
        // missing type in bits 2-3, the default direction in bit 1
        let numerical = |decision: u8| (exact(f64::from(n.threshold)), decision);
        let (threshold, decision) = match &n.rule {
            Rule::NanAsZero => numerical(0),
            Rule::ZeroOrNanLeft => numerical((1 << 2) | DEFAULT_LEFT),
            Rule::ZeroOrNanRight => numerical(1 << 2),
            Rule::NanLeft => numerical((2 << 2) | DEFAULT_LEFT),
            Rule::NanRight => numerical(2 << 2),
            Rule::Categories(bits) => {
                sets.push(bits);
                ((sets.len() - 1).to_string(), CATEGORICAL)
            }
        };
        thresholds.push(threshold);
        decisions.push(decision);
    }
    let _ = writeln!(out, "num_cat={}", sets.len());
    if !tree.nodes.is_empty() {
        let nodes = &tree.nodes;
        let _ = write!(
            out,
            "split_feature={}\nsplit_gain={}\nthreshold={}\ndecision_type={}\n\
             left_child={}\nright_child={}\n",
            joined(nodes, |n| n.feature.to_string()),
            joined(nodes, |n| exact(n.gain)),
            thresholds.join(" "),
            joined(decisions, |d| d.to_string()),
            joined(nodes, |n| n.left.to_string()),
            joined(nodes, |n| n.right.to_string()),
        );
    }
    let _ = writeln!(out, "leaf_value={leaves}");
    if !sets.is_empty() {
        let mut bounds = vec![0usize];
        for s in &sets {
            bounds.push(bounds.last().copied().unwrap_or(0) + s.len());
        }
        let _ = write!(
            out,
            "cat_boundaries={}\ncat_threshold={}\n",
            joined(bounds, |b| b.to_string()),
            joined(sets.iter().flat_map(|s| s.iter()), |w| w.to_string()),
        );
    }
    out.push_str("is_linear=0\nshrinkage=1\n\n\n");
}

impl Gbdt {
    /// The model in LightGBM's text format, which `lightgbm.Booster(model_str=...)` (or
    /// `model_file=`) loads and predicts with exactly as recsys does (to the rounding of
    /// adding the initial score to the first tree's leaves, where LightGBM keeps it). Row
    /// counts per node are not kept by recsys, so LightGBM's SHAP contributions
    /// (`pred_contrib`) of such a file are not meaningful.
    pub fn to_lightgbm_text(&self) -> String {
        let (trees, init) = self.trees();
        let d = self.n_features();
        let objective = match self.params().objective_kind() {
            Objective::Binary => "binary sigmoid:1",
            other => other.name(),
        };
        let mut out = String::new();
        let _ = write!(
            out,
            "tree\nversion=v4\nnum_class=1\nnum_tree_per_iteration=1\nlabel_index=0\n\
             max_feature_idx={}\nobjective={objective}\nfeature_names={}\nfeature_infos={}\n\n",
            d - 1,
            joined(0..d, |f| format!("Column_{f}")),
            joined(0..d, |_| "none".to_string()),
        );
        if trees.is_empty() {
            write_tree(
                &mut out,
                0,
                &Tree {
                    nodes: Vec::new(),
                    leaves: vec![0.0],
                },
                init,
            );
        }
        for (i, tree) in trees.iter().enumerate() {
            write_tree(&mut out, i, tree, if i == 0 { init } else { 0.0 });
        }
        out.push_str("end of trees\n\npandas_categorical:null\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
