//! A regression tree: internal nodes split one feature at a threshold; leaves hold values.

use serde::{Deserialize, Serialize};

/// Where rows whose feature is NaN go.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Missing {
    /// Left (learned: missing values were seen in training).
    Left,
    /// Right (learned).
    Right,
    /// As the value 0 (no missing values in training, as LightGBM).
    Zero,
    /// NaN and zero (`|v| <= 1e-35`) both go left (LightGBM's `zero_as_missing`; only in
    /// models read from LightGBM).
    ZeroOrNanLeft,
    /// NaN and zero both go right.
    ZeroOrNanRight,
}

/// Values within this of zero are zero (LightGBM's `kZeroThreshold`).
pub(crate) const ZERO: f32 = 1e-35;

/// A child reference: `>= 0` a node, `< 0` the leaf `!value`.
pub(crate) type Child = i32;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Node {
    pub feature: u32,
    /// Rows with `value <= threshold` go left.
    pub threshold: f32,
    /// The same test on binned data: `bin <= bin_threshold`.
    pub bin_threshold: u8,
    pub missing: Missing,
    pub left: Child,
    pub right: Child,
    pub gain: f64,
}

/// A fitted tree.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Tree {
    pub nodes: Vec<Node>,
    pub leaves: Vec<f64>,
}

impl Tree {
    /// The leaf a raw feature row falls in.
    pub fn leaf(&self, row: &[f32]) -> usize {
        if self.nodes.is_empty() {
            return 0;
        }
        let mut at: Child = 0;
        while at >= 0 {
            let n = &self.nodes[at as usize];
            let v = row[n.feature as usize];
            let left = match n.missing {
                Missing::Left | Missing::Right if v.is_nan() => n.missing == Missing::Left,
                Missing::Zero if v.is_nan() => 0.0 <= n.threshold,
                Missing::ZeroOrNanLeft | Missing::ZeroOrNanRight
                    if v.is_nan() || (-ZERO..=ZERO).contains(&v) =>
                {
                    n.missing == Missing::ZeroOrNanLeft
                }
                _ => v <= n.threshold,
            };
            at = if left { n.left } else { n.right };
        }
        !at as usize
    }

    /// The value for a raw feature row.
    pub fn predict(&self, row: &[f32]) -> f64 {
        self.leaves[self.leaf(row)]
    }

    /// The value for row `r` of binned columns (`missing_bins[f]` is the NaN bin, if any). Only
    /// for trees recsys grew: they have no zero-as-missing nodes.
    pub fn predict_binned(
        &self,
        columns: &[Vec<u8>],
        missing_bins: &[Option<u8>],
        r: usize,
    ) -> f64 {
        if self.nodes.is_empty() {
            return self.leaves[0];
        }
        let mut at: Child = 0;
        while at >= 0 {
            let n = &self.nodes[at as usize];
            let f = n.feature as usize;
            let b = columns[f][r];
            let left = match missing_bins[f] {
                Some(m) if b == m => n.missing == Missing::Left,
                _ => b <= n.bin_threshold,
            };
            at = if left { n.left } else { n.right };
        }
        self.leaves[!at as usize]
    }

    /// Checks that every child reference is in range (for loaded models).
    pub fn is_consistent(&self, n_features: usize) -> bool {
        let ok = |c: Child| {
            if c >= 0 {
                (c as usize) < self.nodes.len()
            } else {
                ((!c) as usize) < self.leaves.len()
            }
        };
        !self.leaves.is_empty()
            && self.leaves.iter().all(|v| v.is_finite())
            && self.nodes.iter().enumerate().all(|(i, n)| {
                (n.feature as usize) < n_features
                    && ok(n.left)
                    && ok(n.right)
                    && n.left != i as i32
                    && n.right != i as i32
                    && (n.left < 0 || n.left as usize > i)
                    && (n.right < 0 || n.right as usize > i)
            })
    }
}
