//! Reading LightGBM's text model: the header, each `Tree=` section, checked line by line.

use std::collections::HashMap;

use super::{CATEGORICAL, DEFAULT_LEFT};
use crate::error::{Error, Result};
use crate::gbdt::model::Gbdt;
use crate::gbdt::params::{GbdtParams, Objective};
use crate::gbdt::tree::{Child, Node, Rule, Tree};

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
