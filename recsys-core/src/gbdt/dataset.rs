//! Training data for gradient-boosted trees: a dense feature matrix (NaN = missing), labels,
//! optional weights and query groups, and a loader for the SVMlight / LETOR text format.

use std::borrow::Cow;
use std::io::BufRead;

use crate::error::{Error, Result};
use crate::interactions::Csr;

/// Rows of features with their labels. The feature matrix is owned or borrowed (`'a`): a
/// caller that already holds it (a numpy array, a memory map) trains without a copy.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset<'a> {
    n_features: usize,
    features: Cow<'a, [f32]>,
    labels: Vec<f32>,
    weights: Option<Vec<f32>>,
    groups: Option<Vec<u32>>,
}

impl Dataset<'static> {
    /// A row-major `labels.len() x n_features` matrix. NaN means missing; infinities are errors.
    pub fn new(features: Vec<f32>, n_features: usize, labels: Vec<f32>) -> Result<Self> {
        Dataset::from_features(Cow::Owned(features), n_features, labels)
    }
}

impl<'a> Dataset<'a> {
    /// As [`Dataset::new`], over a matrix the caller keeps: training reads it in place.
    pub fn borrowed(features: &'a [f32], n_features: usize, labels: Vec<f32>) -> Result<Self> {
        Dataset::from_features(Cow::Borrowed(features), n_features, labels)
    }

    fn from_features(
        features: Cow<'a, [f32]>,
        n_features: usize,
        labels: Vec<f32>,
    ) -> Result<Self> {
        if n_features == 0 {
            return Err(Error::param("n_features", ">= 1", 0));
        }
        if labels.len().checked_mul(n_features) != Some(features.len()) {
            return Err(Error::Shape(format!(
                "{} feature values for {} labels of {n_features} features each (expected {})",
                features.len(),
                labels.len(),
                labels.len().saturating_mul(n_features)
            )));
        }
        if labels.is_empty() {
            return Err(Error::Shape("a dataset needs at least one row".into()));
        }
        if let Some(at) = features.iter().position(|v| v.is_infinite()) {
            return Err(Error::InvalidInput {
                row: at / n_features + 1,
                reason: format!(
                    "feature {} is infinite (use NaN for missing)",
                    at % n_features
                ),
            });
        }
        if let Some(at) = labels.iter().position(|v| !v.is_finite()) {
            return Err(Error::InvalidInput {
                row: at + 1,
                reason: format!("label {} is not a finite number", labels[at]),
            });
        }
        Ok(Dataset {
            n_features,
            features,
            labels,
            weights: None,
            groups: None,
        })
    }

    /// From a sparse matrix (entries not stored are 0, as in LightGBM).
    pub fn from_csr(m: &Csr, labels: Vec<f32>) -> Result<Self> {
        if m.nrows() != labels.len() {
            return Err(Error::Shape(format!(
                "{} rows but {} labels",
                m.nrows(),
                labels.len()
            )));
        }
        let mut dense = vec![0f32; dense_cells(m.nrows(), m.ncols())?];
        for r in 0..m.nrows() {
            let (cols, vals) = m.row(r);
            for (&c, &v) in cols.iter().zip(vals) {
                dense[r * m.ncols() + c as usize] = v;
            }
        }
        Dataset::new(dense, m.ncols(), labels)
    }

    /// Per-row weights (finite, >= 0).
    pub fn with_weights(mut self, weights: Vec<f32>) -> Result<Self> {
        if weights.len() != self.labels.len() {
            return Err(Error::Shape(format!(
                "{} weights for {} rows",
                weights.len(),
                self.labels.len()
            )));
        }
        if let Some(at) = weights.iter().position(|w| !(w.is_finite() && *w >= 0.0)) {
            return Err(Error::InvalidInput {
                row: at + 1,
                reason: format!("weight {} must be a finite number >= 0", weights[at]),
            });
        }
        self.weights = Some(weights);
        Ok(self)
    }

    /// Query group sizes for ranking: consecutive rows, sizes >= 1 summing to the row count.
    pub fn with_groups(mut self, sizes: Vec<u32>) -> Result<Self> {
        let total: u64 = sizes.iter().map(|&s| u64::from(s)).sum();
        if total != self.labels.len() as u64 {
            return Err(Error::Shape(format!(
                "group sizes sum to {total}, but the dataset has {} rows",
                self.labels.len()
            )));
        }
        if let Some(at) = sizes.iter().position(|&s| s == 0) {
            return Err(Error::InvalidInput {
                row: at + 1,
                reason: "query groups must not be empty".into(),
            });
        }
        self.groups = Some(sizes);
        Ok(self)
    }

    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.labels.len()
    }
    /// Number of features.
    pub fn n_features(&self) -> usize {
        self.n_features
    }
    /// Row-major features.
    pub fn features(&self) -> &[f32] {
        &self.features
    }
    /// Row `r`'s features.
    pub fn row(&self, r: usize) -> &[f32] {
        &self.features[r * self.n_features..(r + 1) * self.n_features]
    }
    /// Labels.
    pub fn labels(&self) -> &[f32] {
        &self.labels
    }
    /// Weights, if any.
    pub fn weights(&self) -> Option<&[f32]> {
        self.weights.as_deref()
    }
    /// Query group sizes, if any.
    pub fn groups(&self) -> Option<&[u32]> {
        self.groups.as_deref()
    }

    /// Start offsets of the query groups (one entry per group plus the end).
    pub(crate) fn group_bounds(&self) -> Option<Vec<usize>> {
        self.groups.as_ref().map(|g| {
            let mut b = Vec::with_capacity(g.len() + 1);
            b.push(0);
            for &s in g {
                b.push(b.last().copied().unwrap_or(0) + s as usize);
            }
            b
        })
    }

    /// Reads the SVMlight / LETOR format: `label [qid:Q] index:value ...` per line, indices from
    /// 1, absent features 0, `#` starts a comment. Consecutive rows with the same `qid` form a
    /// query group. `n_features` fixes the width (default: the largest index seen).
    pub fn from_svmlight(reader: impl BufRead, n_features: Option<usize>) -> Result<Self> {
        let mut rows: Vec<Vec<(usize, f32)>> = Vec::new();
        let mut labels = Vec::new();
        let mut qids: Vec<Option<String>> = Vec::new();
        let mut width = 0usize;
        for (n, line) in reader.lines().enumerate() {
            let row = n + 1;
            let bad = |reason: String| Error::InvalidInput { row, reason };
            let line = line.map_err(|e| bad(format!("cannot read line: {e}")))?;
            let content = line.split('#').next().unwrap_or("").trim();
            if content.is_empty() {
                continue;
            }
            let mut parts = content.split_whitespace();
            let label_text = parts.next().unwrap_or("");
            let label: f32 = label_text
                .parse()
                .map_err(|_| bad(format!("label {label_text:?} is not a number")))?;
            let mut qid = None;
            let mut entries = Vec::new();
            for part in parts {
                let (key, value) = part
                    .split_once(':')
                    .ok_or_else(|| bad(format!("{part:?} is not index:value")))?;
                if key == "qid" {
                    qid = Some(value.to_owned());
                    continue;
                }
                let index: usize = key
                    .parse()
                    .map_err(|_| bad(format!("feature index {key:?} is not a number")))?;
                if index == 0 {
                    return Err(bad("feature indices start at 1".into()));
                }
                if index > MAX_FEATURES {
                    return Err(bad(format!(
                        "feature index {index} is over {MAX_FEATURES}, the most LightGBM reads"
                    )));
                }
                let v: f32 = value
                    .parse()
                    .map_err(|_| bad(format!("value {value:?} is not a number")))?;
                width = width.max(index);
                entries.push((index - 1, v));
            }
            labels.push(label);
            rows.push(entries);
            qids.push(qid);
        }
        let width = match n_features {
            Some(w) if w < width => {
                return Err(Error::Shape(format!(
                    "feature index {width} exceeds n_features = {w}"
                )));
            }
            Some(w) => w,
            None => width.max(1),
        };
        let mut dense = vec![0f32; dense_cells(rows.len(), width)?];
        for (r, entries) in rows.iter().enumerate() {
            for &(c, v) in entries {
                dense[r * width + c] = v;
            }
        }
        let ds = Dataset::new(dense, width, labels)?;
        if qids.iter().all(Option::is_none) {
            return Ok(ds);
        }
        if let Some(at) = qids.iter().position(Option::is_none) {
            return Err(Error::InvalidInput {
                row: at + 1,
                reason: "some rows have a qid and this one has none".into(),
            });
        }
        let mut sizes: Vec<u32> = Vec::new();
        for (i, q) in qids.iter().enumerate() {
            if i > 0 && q == &qids[i - 1] {
                *sizes.last_mut().expect("a group was started") += 1;
            } else {
                sizes.push(1);
            }
        }
        ds.with_groups(sizes)
    }
}

/// The largest feature index (and so width) a data set may have: LightGBM's, an `i32`.
pub const MAX_FEATURES: usize = i32::MAX as usize;

/// The most values a data set holds (rows x features; 2 GiB of `f32`): features are stored
/// densely, so a sparse input with a huge feature index is refused instead of allocated.
pub const MAX_CELLS: usize = 1 << 29;

/// `rows * width`, when a data set that size may be allocated.
fn dense_cells(rows: usize, width: usize) -> Result<usize> {
    match rows.checked_mul(width) {
        Some(cells) if cells <= MAX_CELLS && width <= MAX_FEATURES => Ok(cells),
        _ => Err(Error::Shape(format!(
            "{rows} rows x {width} features is over the {MAX_CELLS} values a data set holds \
             (features are stored densely: a large feature index needs that many columns)"
        ))),
    }
}
