//! Feature binning as LightGBM does it: each feature's values are cut into at most `max_bin`
//! bins holding roughly equal numbers of (sampled) rows, one bin per distinct value when there
//! are few; NaN gets a bin of its own when the feature has missing values. A categorical
//! feature gets a bin per category (the most frequent `max_bin - 1`) and one bin for every
//! other value.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::dataset::Dataset;
use super::tree::ZERO;

/// Bin boundaries of one feature.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct FeatureBins {
    /// Inclusive upper bound of every value bin but the last (which is unbounded).
    uppers: Vec<f32>,
    /// Whether the training data had NaN in this feature (NaN then has bin `n_value_bins()`).
    has_missing: bool,
    /// A categorical feature's category of each bin but the last, most frequent first; the last
    /// bin holds every other value (NaN, negative, a category not kept). Empty for a numerical
    /// feature.
    categories: Vec<u32>,
    /// `(category, bin)` sorted by category: what `bin` looks up.
    lookup: Vec<(u32, u8)>,
}

impl FeatureBins {
    pub fn n_value_bins(&self) -> usize {
        if self.is_categorical() {
            return self.categories.len() + 1;
        }
        self.uppers.len() + 1
    }
    pub fn is_categorical(&self) -> bool {
        !self.categories.is_empty()
    }
    /// The category of bin `b` of a categorical feature (`None` for its other-values bin).
    pub fn category_of(&self, b: u8) -> Option<u32> {
        self.categories.get(b as usize).copied()
    }
    /// Bins including the missing bin.
    pub fn n_bins(&self) -> usize {
        self.n_value_bins() + usize::from(self.has_missing)
    }
    pub fn has_missing(&self) -> bool {
        self.has_missing
    }
    pub fn missing_bin(&self) -> u8 {
        self.n_value_bins() as u8
    }
    /// The raw-value threshold of "bin <= b".
    pub fn threshold(&self, b: u8) -> f32 {
        self.uppers
            .get(b as usize)
            .copied()
            .unwrap_or(f32::INFINITY)
    }
    /// The bin of a value. Without a missing bin NaN is treated as 0, as LightGBM does.
    pub fn bin(&self, v: f32) -> u8 {
        if self.is_categorical() {
            let other = self.categories.len() as u8;
            if v.is_nan() || v < 0.0 {
                return other;
            }
            let c = v as u32;
            return match self.lookup.binary_search_by_key(&c, |&(cat, _)| cat) {
                Ok(i) => self.lookup[i].1,
                Err(_) => other,
            };
        }
        if v.is_nan() {
            if self.has_missing {
                return self.missing_bin();
            }
            return self.bin(0.0);
        }
        self.uppers.partition_point(|&u| u < v) as u8
    }
}

/// Fewest sampled values a bin may hold (LightGBM's `min_data_in_bin`).
const MIN_DATA_IN_BIN: usize = 3;

/// Rows sampled to find bin boundaries (LightGBM's `bin_construct_sample_cnt`).
pub(crate) const BIN_SAMPLE: usize = 200_000;

/// Rows per parallel block of the passes over the row-major feature matrix.
const ROW_BLOCK: usize = 8192;

/// Bin boundaries of every feature from the rows `sample` (`categorical[f]`: feature `f` holds
/// categories). Every pass reads the row-major matrix row by row (a column walk would touch a
/// cache line per value).
pub(crate) fn fit_bins(
    ds: &Dataset,
    max_bin: usize,
    sample: &[usize],
    categorical: &[bool],
) -> Vec<FeatureBins> {
    let d = ds.n_features();
    let has_missing: Vec<bool> = ds
        .features()
        .par_chunks(ROW_BLOCK * d)
        .map(|block| {
            let mut seen = vec![false; d];
            for row in block.chunks_exact(d) {
                for (s, v) in seen.iter_mut().zip(row) {
                    *s |= v.is_nan();
                }
            }
            seen
        })
        .reduce(
            || vec![false; d],
            |a, b| a.iter().zip(&b).map(|(x, y)| *x || *y).collect(),
        );
    // the sampled values, column by column
    let mut columns: Vec<Vec<f32>> = (0..d).map(|_| Vec::with_capacity(sample.len())).collect();
    for &r in sample {
        for (c, &v) in columns.iter_mut().zip(ds.row(r)) {
            if !v.is_nan() {
                c.push(v);
            }
        }
    }
    columns
        .into_par_iter()
        .zip(has_missing)
        .zip(categorical)
        .map(|((mut values, has_missing), &categorical)| {
            values.sort_unstable_by(f32::total_cmp);
            if categorical {
                return category_bins(&values, max_bin);
            }
            let budget = max_bin - usize::from(has_missing);
            FeatureBins {
                uppers: cut_points(&values, budget),
                has_missing,
                categories: Vec::new(),
                lookup: Vec::new(),
            }
        })
        .collect()
}

/// The bins of a categorical feature from its sorted sampled values (NaN left out): the most
/// frequent `max_bin - 1` categories (ties to the lower category), a bin each.
fn category_bins(sorted: &[f32], max_bin: usize) -> FeatureBins {
    let mut counts: Vec<(u32, usize)> = Vec::new();
    for &v in sorted.iter().filter(|&&v| v >= 0.0) {
        let c = v as u32;
        match counts.last_mut() {
            Some((last, n)) if *last == c => *n += 1,
            _ => counts.push((c, 1)),
        }
    }
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    counts.truncate(max_bin - 1);
    let categories: Vec<u32> = counts.iter().map(|&(c, _)| c).collect();
    let mut lookup: Vec<(u32, u8)> = categories
        .iter()
        .enumerate()
        .map(|(b, &c)| (c, b as u8))
        .collect();
    lookup.sort_unstable();
    FeatureBins {
        uppers: Vec::new(),
        has_missing: false,
        categories,
        lookup,
    }
}

/// A value strictly between `a < b` (their midpoint when representable), else `a`.
fn between(a: f32, b: f32) -> f32 {
    let mid = a + (b - a) / 2.0;
    if mid > a && mid < b { mid } else { a }
}

/// Upper bounds of the bins of sorted `values`, at most `budget` bins, as LightGBM's
/// `FindBinWithZeroAsOneBin`: negative and positive values are binned apart, each with a share
/// of the budget in proportion to their counts, and zero gets a bin of its own between them.
fn cut_points(values: &[f32], budget: usize) -> Vec<f32> {
    let mut distinct: Vec<(f32, usize)> = Vec::new();
    for &v in values {
        match distinct.last_mut() {
            Some((last, c)) if *last == v => *c += 1,
            _ => distinct.push((v, 1)),
        }
    }
    let negatives = distinct.partition_point(|d| d.0 <= -ZERO);
    let positives = distinct.partition_point(|d| d.0 <= ZERO);
    let count = |part: &[(f32, usize)]| part.iter().map(|d| d.1).sum::<usize>();
    let zeros = count(&distinct[negatives..positives]);
    let non_zero = (values.len() - zeros).max(1);
    let mut uppers = Vec::new();
    if negatives > 0 && budget > 1 {
        let left = &distinct[..negatives];
        let left_budget =
            ((count(left) as f64 / non_zero as f64 * (budget - 1) as f64) as usize).max(1);
        uppers = greedy_bins(left, left_budget);
        // the last negative bin ends just below zero
        uppers.push(-ZERO);
    }
    let right_budget = (budget - 1).saturating_sub(uppers.len());
    if positives < distinct.len() && right_budget > 0 {
        uppers.push(ZERO);
        uppers.extend(greedy_bins(&distinct[positives..], right_budget));
    }
    uppers
}

/// LightGBM's `GreedyFindBin` over `(value, count)` pairs: the inner upper bounds (the last bin
/// is unbounded) of at most `max_bin` bins. Few distinct values get a bin each (merged up to
/// `MIN_DATA_IN_BIN`); otherwise bins hold about equal counts, and a value more frequent than
/// an average bin gets a bin of its own.
fn greedy_bins(distinct: &[(f32, usize)], max_bin: usize) -> Vec<f32> {
    let n = distinct.len();
    let total: usize = distinct.iter().map(|d| d.1).sum();
    let mut uppers = Vec::new();
    if n <= max_bin {
        let mut acc = 0usize;
        for w in distinct.windows(2) {
            acc += w[0].1;
            if acc >= MIN_DATA_IN_BIN {
                uppers.push(between(w[0].0, w[1].0));
                acc = 0;
            }
        }
        return uppers;
    }
    let max_bin = max_bin.min(total / MIN_DATA_IN_BIN).max(1);
    let mut mean_bin_size = total as f64 / max_bin as f64;
    let big: Vec<bool> = distinct
        .iter()
        .map(|d| d.1 as f64 >= mean_bin_size)
        .collect();
    let mut rest_bins = max_bin - big.iter().filter(|&&b| b).count();
    let mut rest_count = total
        - distinct
            .iter()
            .zip(&big)
            .filter(|(_, b)| **b)
            .map(|(d, _)| d.1)
            .sum::<usize>();
    mean_bin_size = rest_count as f64 / rest_bins.max(1) as f64;
    let mut in_bin = 0usize;
    for i in 0..n - 1 {
        if !big[i] {
            rest_count -= distinct[i].1;
        }
        in_bin += distinct[i].1;
        let need_new = big[i]
            || in_bin as f64 >= mean_bin_size
            || (big[i + 1] && in_bin as f64 >= (mean_bin_size * 0.5).max(1.0));
        if need_new {
            uppers.push(between(distinct[i].0, distinct[i + 1].0));
            if uppers.len() + 1 >= max_bin {
                break;
            }
            in_bin = 0;
            if !big[i] {
                rest_bins = rest_bins.saturating_sub(1);
                mean_bin_size = rest_count as f64 / rest_bins.max(1) as f64;
            }
        }
    }
    uppers
}

/// The binned training matrix, one column of `u8` bins per feature.
pub(crate) struct BinnedMatrix {
    pub columns: Vec<Vec<u8>>,
}

impl BinnedMatrix {
    pub fn new(ds: &Dataset, bins: &[FeatureBins]) -> Self {
        let (n, d) = (ds.n_rows(), ds.n_features());
        let mut columns: Vec<Vec<u8>> = (0..d).map(|_| vec![0u8; n]).collect();
        // blocks of rows in parallel, reading rows whole; each block writes its slice of every
        // column
        let mut blocks: Vec<Vec<&mut [u8]>> = (0..n.div_ceil(ROW_BLOCK))
            .map(|_| Vec::with_capacity(d))
            .collect();
        for col in columns.iter_mut() {
            for (block, part) in blocks.iter_mut().zip(col.chunks_mut(ROW_BLOCK)) {
                block.push(part);
            }
        }
        blocks
            .into_par_iter()
            .zip(ds.features().par_chunks(ROW_BLOCK * d))
            .for_each(|(mut parts, rows)| {
                for (i, row) in rows.chunks_exact(d).enumerate() {
                    for ((part, b), &v) in parts.iter_mut().zip(bins).zip(row) {
                        part[i] = b.bin(v);
                    }
                }
            });
        BinnedMatrix { columns }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn few_distinct_values_get_a_bin_each_and_zero_its_own() {
        let cuts = cut_points(&[1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 3.0, 3.0, 3.0], 255);
        assert_eq!(cuts, vec![ZERO, 1.5, 2.5]);
        // bins of fewer than three samples merge with the next
        assert_eq!(
            cut_points(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], 255),
            vec![ZERO, 3.5, 6.5]
        );
        // negatives, zero and positives are binned apart
        let cuts = cut_points(&[-2.0, -2.0, -2.0, 0.0, 0.0, 0.0, 0.0, 5.0, 5.0, 5.0], 255);
        assert_eq!(cuts, vec![-ZERO, ZERO]);
        let fb = FeatureBins {
            uppers: cut_points(&[1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 3.0, 3.0, 3.0], 255),
            has_missing: true,
            categories: Vec::new(),
            lookup: Vec::new(),
        };
        assert_eq!(
            (
                fb.bin(0.0),
                fb.bin(1.0),
                fb.bin(2.0),
                fb.bin(2.6),
                fb.bin(99.0)
            ),
            (0, 1, 2, 3, 3)
        );
        assert_eq!(fb.bin(f32::NAN), 4);
        assert_eq!(fb.n_bins(), 5);
    }

    #[test]
    fn many_values_get_equal_count_bins_and_frequent_values_their_own() {
        let values: Vec<f32> = (1..=10_000).map(|i| i as f32).collect();
        let cuts = cut_points(&values, 11);
        let fb = FeatureBins {
            uppers: cuts,
            has_missing: false,
            categories: Vec::new(),
            lookup: Vec::new(),
        };
        assert_eq!(fb.n_value_bins(), 11);
        let mut counts = [0usize; 11];
        values.iter().for_each(|&v| counts[fb.bin(v) as usize] += 1);
        assert_eq!(counts[0], 0, "the zero bin is empty: {counts:?}");
        assert!(
            counts[1..].iter().all(|&c| (900..=1100).contains(&c)),
            "{counts:?}"
        );
        assert_eq!(fb.bin(f32::NAN), fb.bin(0.0));

        // a value holding half the data is a bin by itself
        let mut skewed: Vec<f32> = (1..=1000).map(|i| i as f32).collect();
        skewed.extend(std::iter::repeat_n(500.5, 1000));
        skewed.sort_by(f32::total_cmp);
        let fb = FeatureBins {
            uppers: cut_points(&skewed, 20),
            has_missing: false,
            categories: Vec::new(),
            lookup: Vec::new(),
        };
        let b = fb.bin(500.5);
        assert!(fb.bin(500.0) < b && fb.bin(501.0) > b);
    }

    #[test]
    fn categories_get_a_bin_each_by_frequency_and_the_rest_one_bin() {
        let mut values = vec![7.0f32, 7.0, 7.0, 2.0, 2.0, 5.9, 5.0, 9.0, -1.0];
        values.sort_by(f32::total_cmp);
        let fb = category_bins(&values, 4);
        // 7 (3 rows), 2 and 5 (2 rows each: 5.9 is category 5) kept; 9 is one too many
        assert_eq!(fb.categories, vec![7, 2, 5]);
        assert_eq!(fb.n_value_bins(), 4);
        assert_eq!(
            [7.5, 2.0, 5.0, 9.0, -1.0, f32::NAN, 1e6].map(|v| fb.bin(v)),
            [0, 1, 2, 3, 3, 3, 3]
        );
        assert_eq!((fb.category_of(1), fb.category_of(3)), (Some(2), None));
    }
}
