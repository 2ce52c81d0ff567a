//! Writing a [`Gbdt`] as LightGBM's text model, which LightGBM loads and predicts with as
//! recsys does.

use std::fmt::Write;

use super::{CATEGORICAL, DEFAULT_LEFT};
use crate::gbdt::model::Gbdt;
use crate::gbdt::params::Objective;
use crate::gbdt::tree::{Rule, Tree};

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
