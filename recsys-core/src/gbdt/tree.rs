//! A regression tree: internal nodes split one feature (at a threshold, or by category in
//! models read from LightGBM); leaves hold values.

use serde::{Deserialize, Serialize};

use super::binning::FeatureBins;

/// How a node sends a row left. The numerical rules compare the value with the node's
/// threshold (`value <= threshold` goes left) and differ in where missing values go; the
/// categorical rule ignores the threshold. Variants are only ever appended (the persisted
/// format refers to them by position).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Rule {
    /// NaN goes left (learned: missing values were seen in training).
    NanLeft,
    /// NaN goes right (learned).
    NanRight,
    /// NaN is compared as the value 0 (no missing values in training, as LightGBM).
    NanAsZero,
    /// NaN and zero (`|v| <= 1e-35`) both go left (LightGBM's `zero_as_missing`; only in
    /// models read from LightGBM).
    ZeroOrNanLeft,
    /// NaN and zero both go right.
    ZeroOrNanRight,
    /// A categorical split: the value's integer part is a category, and the categories in this
    /// bitset (bit `c % 32` of word `c / 32`, LightGBM's layout) go left; NaN, negative values
    /// and every other category go right.
    Categories(Vec<u32>),
}

/// A rule without its category set: what prediction dispatches on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub(crate) enum Kind {
    NanLeft,
    NanRight,
    NanAsZero,
    ZeroOrNanLeft,
    ZeroOrNanRight,
    Categories,
}

impl Rule {
    pub fn kind(&self) -> Kind {
        match self {
            Rule::NanLeft => Kind::NanLeft,
            Rule::NanRight => Kind::NanRight,
            Rule::NanAsZero => Kind::NanAsZero,
            Rule::ZeroOrNanLeft => Kind::ZeroOrNanLeft,
            Rule::ZeroOrNanRight => Kind::ZeroOrNanRight,
            Rule::Categories(_) => Kind::Categories,
        }
    }

    /// The categorical rule sending `categories` left.
    pub fn of_categories(categories: impl Iterator<Item = u32>) -> Rule {
        let mut bits: Vec<u32> = Vec::new();
        for c in categories {
            let word = c as usize / 32;
            if bits.len() <= word {
                bits.resize(word + 1, 0);
            }
            bits[word] |= 1 << (c % 32);
        }
        Rule::Categories(bits)
    }

    /// The category bitset of a categorical rule (empty for the others).
    pub fn categories(&self) -> &[u32] {
        match self {
            Rule::Categories(bits) => bits,
            _ => &[],
        }
    }
}

/// Whether value `v` goes left at a node of rule `kind` and `threshold`; `categories` gives
/// the bitset of a categorical node (asked for only there). The one place rules are decided.
#[inline(always)]
pub(crate) fn route<'b>(
    kind: Kind,
    threshold: f32,
    categories: impl FnOnce() -> &'b [u32],
    v: f32,
) -> bool {
    // the common case first: a numerical rule and a value that is there
    if kind <= Kind::NanAsZero && !v.is_nan() {
        return v <= threshold;
    }
    match kind {
        Kind::NanLeft => true,
        Kind::NanRight => false,
        Kind::NanAsZero => 0.0 <= threshold,
        Kind::ZeroOrNanLeft | Kind::ZeroOrNanRight => {
            if v.is_nan() || (-ZERO..=ZERO).contains(&v) {
                kind == Kind::ZeroOrNanLeft
            } else {
                v <= threshold
            }
        }
        // LightGBM's: the integer part (truncated, saturating) is the category
        Kind::Categories => {
            let c = v as i32;
            !v.is_nan()
                && c >= 0
                && categories()
                    .get(c as usize / 32)
                    .is_some_and(|w| (w >> (c % 32)) & 1 == 1)
        }
    }
}

/// Values within this of zero are zero (LightGBM's `kZeroThreshold`).
pub(crate) const ZERO: f32 = 1e-35;

/// A child reference: `>= 0` a node, `< 0` the leaf `!value`.
pub(crate) type Child = i32;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Node {
    pub feature: u32,
    /// Rows with `value <= threshold` go left (numerical rules).
    pub threshold: f32,
    /// The same test on binned data: `bin <= bin_threshold`.
    pub bin_threshold: u8,
    pub rule: Rule,
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
            let left = route(n.rule.kind(), n.threshold, || n.rule.categories(), v);
            at = if left { n.left } else { n.right };
        }
        !at as usize
    }

    /// The value for a raw feature row.
    pub fn predict(&self, row: &[f32]) -> f64 {
        self.leaves[self.leaf(row)]
    }

    /// The value for row `r` of binned columns (binned by `bins`). Only for trees recsys grew:
    /// they have no zero-as-missing nodes.
    pub fn predict_binned(&self, columns: &[Vec<u8>], bins: &[FeatureBins], r: usize) -> f64 {
        if self.nodes.is_empty() {
            return self.leaves[0];
        }
        let mut at: Child = 0;
        while at >= 0 {
            let n = &self.nodes[at as usize];
            let f = n.feature as usize;
            let (b, fb) = (columns[f][r], &bins[f]);
            let left = if let Rule::Categories(_) = n.rule {
                fb.category_of(b)
                    .is_some_and(|c| route(Kind::Categories, 0.0, || n.rule.categories(), c as f32))
            } else if fb.has_missing() && b == fb.missing_bin() {
                n.rule == Rule::NanLeft
            } else {
                b <= n.bin_threshold
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
