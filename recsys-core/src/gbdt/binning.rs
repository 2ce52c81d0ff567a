//! Feature binning as LightGBM does it: each feature's values are cut into at most `max_bin`
//! bins holding roughly equal numbers of (sampled) rows, one bin per distinct value when there
//! are few; NaN gets a bin of its own when the feature has missing values.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::dataset::Dataset;

/// Bin boundaries of one feature.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct FeatureBins {
    /// Inclusive upper bound of every value bin but the last (which is unbounded).
    uppers: Vec<f32>,
    /// Whether the training data had NaN in this feature (NaN then has bin `n_value_bins()`).
    has_missing: bool,
}

impl FeatureBins {
    pub fn n_value_bins(&self) -> usize {
        self.uppers.len() + 1
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

/// Bin boundaries of every feature from the rows `sample`. Every pass reads the row-major
/// matrix row by row (a column walk would touch a cache line per value).
pub(crate) fn fit_bins(ds: &Dataset, max_bin: usize, sample: &[usize]) -> Vec<FeatureBins> {
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
        .map(|(mut values, has_missing)| {
            values.sort_unstable_by(f32::total_cmp);
            let budget = max_bin - usize::from(has_missing);
            FeatureBins {
                uppers: cut_points(&values, budget),
                has_missing,
            }
        })
        .collect()
}

/// Upper bounds splitting sorted `values` into at most `budget` bins of about equal counts.
fn cut_points(values: &[f32], budget: usize) -> Vec<f32> {
    let mut distinct: Vec<(f32, usize)> = Vec::new();
    for &v in values {
        match distinct.last_mut() {
            Some((last, c)) if *last == v => *c += 1,
            _ => distinct.push((v, 1)),
        }
    }
    let between = |a: f32, b: f32| {
        let mid = a + (b - a) / 2.0;
        if mid > a && mid < b { mid } else { a }
    };
    if distinct.len() <= budget {
        // a bin per distinct value, but no bin with fewer than MIN_DATA_IN_BIN samples
        let mut uppers = Vec::new();
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
    let mut uppers = Vec::with_capacity(budget - 1);
    let mut remaining = values.len();
    let mut acc = 0usize;
    for (i, w) in distinct.windows(2).enumerate() {
        let bins_left = budget - uppers.len();
        if bins_left <= 1 {
            break;
        }
        acc += w[0].1;
        let target = remaining as f64 / bins_left as f64;
        // cut when this bin is full, or when the values left just fill the bins left
        if acc as f64 >= target || distinct.len() - i - 1 < bins_left {
            uppers.push(between(w[0].0, w[1].0));
            remaining -= acc;
            acc = 0;
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
    fn few_distinct_values_get_a_bin_each() {
        let cuts = cut_points(&[1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 3.0, 3.0, 3.0], 255);
        assert_eq!(cuts, vec![1.5, 2.5]);
        // bins of fewer than three samples merge with the next
        assert_eq!(
            cut_points(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], 255),
            vec![3.5, 6.5]
        );
        let fb = FeatureBins {
            uppers: cuts,
            has_missing: true,
        };
        assert_eq!(
            (fb.bin(1.0), fb.bin(2.0), fb.bin(2.6), fb.bin(99.0)),
            (0, 1, 2, 2)
        );
        assert_eq!(fb.bin(f32::NAN), 3);
        assert_eq!(fb.n_bins(), 4);
    }

    #[test]
    fn many_values_get_equal_count_bins() {
        let values: Vec<f32> = (0..10_000).map(|i| i as f32).collect();
        let cuts = cut_points(&values, 10);
        assert_eq!(cuts.len(), 9);
        let fb = FeatureBins {
            uppers: cuts,
            has_missing: false,
        };
        let mut counts = [0usize; 10];
        values.iter().for_each(|&v| counts[fb.bin(v) as usize] += 1);
        assert!(
            counts.iter().all(|&c| (900..=1100).contains(&c)),
            "{counts:?}"
        );
        assert_eq!(fb.bin(f32::NAN), fb.bin(0.0));
    }
}
