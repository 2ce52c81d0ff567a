//! The best split of a leaf from its histograms: LightGBM's threshold scans in both directions
//! (missing values left, then right), its row-count estimates and its tie-breaking; for a
//! categorical feature, LightGBM's search over category sets (one category against the rest
//! when there are few, else prefixes of the categories ordered by gradient over hessian).

use super::{Learner, Stats};

/// A set of bins (of one feature: bins are `u8`).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(super) struct BinSet([u64; 4]);

impl BinSet {
    fn insert(&mut self, b: usize) {
        self.0[b / 64] |= 1 << (b % 64);
    }
    #[inline(always)]
    pub(super) fn contains(&self, b: u8) -> bool {
        (self.0[b as usize / 64] >> (b % 64)) & 1 == 1
    }
    pub(super) fn bins(&self) -> impl Iterator<Item = u8> + '_ {
        (0..=255u8).filter(|&b| self.contains(b))
    }
}

/// The best split found for a leaf.
#[derive(Clone, Copy, Debug)]
pub(super) struct Split {
    pub(super) feature: usize,
    pub(super) bin: u8,
    pub(super) default_left: bool,
    /// A categorical split's left bins (`bin` and `default_left` are then unused).
    pub(super) left_bins: Option<BinSet>,
    pub(super) gain: f64,
    pub(super) left: Stats,
    pub(super) right: Stats,
}

/// Features per parallel task in the split search.
pub(super) const FEATURES_PER_TASK: usize = 16;

/// What the threshold scans of one leaf's features need to know.
pub(super) struct Scan {
    pub(super) total: Stats,
    pub(super) count: i64,
    pub(super) min_rows: i64,
    pub(super) min_hessian: f64,
    pub(super) lambda_l2: f64,
    pub(super) rows_per_hessian: f64,
    /// The gain to beat: the leaf's own plus `min_gain_to_split`.
    pub(super) shift: f64,
}

impl Scan {
    /// The best threshold of one scan direction, LightGBM's way: `bins` (threshold, bin) are
    /// added to the counted side one by one; while that side is too small a threshold is
    /// skipped, and once the other side is too small no later threshold can do, so the scan
    /// ends. Returns the threshold, its gain (before the leaf's own is taken off) and the
    /// counted side, if any beats `best_gain`.
    ///
    /// Rows per side are estimated as LightGBM does: every bin's count is its hessian times
    /// the leaf's rows per hessian, rounded on its own (`RoundInt`), and a side's count is the
    /// sum of its bins' counts; the other side has the rest of the leaf's rows. With unequal
    /// hessians (lambdarank, binary) this is not the rounded total, and it decides which small
    /// children are allowed.
    #[inline]
    fn best(
        &self,
        bins: impl Iterator<Item = (usize, Stats)>,
        mut best_gain: f64,
    ) -> Option<(usize, f64, Stats)> {
        let mut counted = Stats::default();
        let mut counted_rows = 0i64;
        let mut best = None;
        for (t, s) in bins {
            counted.add(s);
            // truncation is floor here (estimates are >= 0): one instruction, floor is a call
            counted_rows += (s.h * self.rows_per_hessian + 0.5) as i64;
            if counted_rows < self.min_rows || counted.h < self.min_hessian {
                continue;
            }
            let other_h = self.total.h - counted.h;
            if self.count - counted_rows < self.min_rows || other_h < self.min_hessian {
                break;
            }
            let other_g = self.total.g - counted.g;
            let gain = other_g * other_g / (other_h + self.lambda_l2)
                + counted.g * counted.g / (counted.h + self.lambda_l2);
            if gain > best_gain {
                best_gain = gain;
                best = Some((t, counted));
            }
        }
        best.map(|(t, counted)| (t, best_gain, counted))
    }
}

/// A leaf whose best split is searched.
#[derive(Clone, Copy)]
pub(super) struct Searched {
    pub(super) total: Stats,
    pub(super) count: usize,
}

/// A leaf's best split, if any, and the features that had one.
pub(super) type LeafSearch = (Option<Split>, Vec<bool>);

impl Learner<'_> {
    /// What the scans of a leaf's features need: its totals, limits and the gain to beat.
    pub(super) fn search_of(&self, leaf: Searched) -> Scan {
        let p = self.params;
        let Searched { total, count } = leaf;
        Scan {
            total,
            count: count as i64,
            min_rows: p.min_data_in_leaf.max(1) as i64,
            min_hessian: p.min_sum_hessian_in_leaf,
            lambda_l2: p.lambda_l2,
            rows_per_hessian: if total.h > 0.0 {
                count as f64 / total.h
            } else {
                0.0
            },
            // a split must beat the leaf's own gain by `min_gain_to_split`
            shift: self.leaf_gain(total) + p.min_gain_to_split,
        }
    }

    /// The best split of feature `f` of a leaf with histogram `h`, if any beats the leaf's
    /// own gain; its gain is then the difference.
    pub(super) fn scan_feature(&self, f: usize, hist: &[Stats], scan: &Scan) -> Option<Split> {
        let fb = &self.bins[f];
        let nvb = fb.n_value_bins();
        let total = scan.total;
        // As LightGBM: first scan from the highest bin down, accumulating the right side
        // (missing values, if any, stay left), so among equally good thresholds the highest
        // wins; then, for features with missing values, scan up with missing values on the
        // right.
        let down = (0..nvb - 1).rev().map(|t| (t, hist[t + 1]));
        if fb.is_categorical() {
            return self.scan_categories(f, &hist[..nvb], scan);
        }
        let mut best = scan.best(down, scan.shift).map(|(t, gain, right)| Split {
            feature: f,
            bin: t as u8,
            default_left: true,
            left_bins: None,
            gain,
            left: total.minus(right),
            right,
        });
        if fb.has_missing() {
            let up = hist[..nvb - 1].iter().copied().enumerate();
            let beat = best.map_or(scan.shift, |b| b.gain);
            if let Some((t, gain, left)) = scan.best(up, beat) {
                best = Some(Split {
                    feature: f,
                    bin: t as u8,
                    default_left: false,
                    left_bins: None,
                    gain,
                    left,
                    right: total.minus(left),
                });
            }
        }
        best.map(|b| Split {
            gain: b.gain - scan.shift,
            ..b
        })
    }

    /// The best category set of categorical feature `f` (histogram `hist`: a bin per category,
    /// then the other-values bin, which always goes right), LightGBM's way. With at most
    /// `max_cat_to_onehot` categories each is tried alone against the rest; otherwise the
    /// categories with at least `cat_smooth` rows are ordered by `g / (h + cat_smooth)` and
    /// prefixes of that order (from either end, at most `max_cat_threshold` categories, grown
    /// in groups of `min_data_per_group` rows) are tried, with `cat_l2` added to the penalty.
    fn scan_categories(&self, f: usize, hist: &[Stats], scan: &Scan) -> Option<Split> {
        let p = self.params;
        let n_cats = hist.len() - 1;
        let rows = |s: Stats| (s.h * scan.rows_per_hessian + 0.5) as i64;
        let fits = |left: Stats, left_rows: i64| {
            left_rows >= scan.min_rows
                && left.h >= scan.min_hessian
                && scan.count - left_rows >= scan.min_rows
                && scan.total.h - left.h >= scan.min_hessian
        };
        let gain = |left: Stats, l2: f64| {
            let right = scan.total.minus(left);
            right.g * right.g / (right.h + l2) + left.g * left.g / (left.h + l2)
        };
        // (gain, left bins, left stats)
        let mut best: Option<(f64, BinSet, Stats)> = None;
        let mut consider = |g: f64, set: BinSet, left: Stats| {
            if g > best.map_or(scan.shift, |b| b.0) {
                best = Some((g, set, left));
            }
        };
        if n_cats <= p.max_cat_to_onehot {
            for (b, &s) in hist[..n_cats].iter().enumerate() {
                if fits(s, rows(s)) {
                    let mut set = BinSet::default();
                    set.insert(b);
                    consider(gain(s, p.lambda_l2), set, s);
                }
            }
        } else {
            let l2 = p.lambda_l2 + p.cat_l2;
            let ratio = |s: Stats| s.g / (s.h + p.cat_smooth);
            let mut order: Vec<usize> = (0..n_cats)
                .filter(|&b| rows(hist[b]) as f64 >= p.cat_smooth)
                .collect();
            order.sort_by(|&a, &b| ratio(hist[a]).total_cmp(&ratio(hist[b])).then(a.cmp(&b)));
            let most = p.max_cat_threshold.min(order.len().div_ceil(2).max(1));
            for reversed in [false, true] {
                let (mut left, mut left_rows, mut group_rows) = (Stats::default(), 0i64, 0i64);
                let mut set = BinSet::default();
                for i in 0..order.len().min(most) {
                    let b = if reversed {
                        order[order.len() - 1 - i]
                    } else {
                        order[i]
                    };
                    let s = hist[b];
                    left.add(s);
                    set.insert(b);
                    left_rows += rows(s);
                    group_rows += rows(s);
                    if left_rows < scan.min_rows || left.h < scan.min_hessian {
                        continue;
                    }
                    if scan.count - left_rows < scan.min_rows
                        || scan.total.h - left.h < scan.min_hessian
                    {
                        break;
                    }
                    if group_rows < p.min_data_per_group as i64 {
                        continue;
                    }
                    group_rows = 0;
                    consider(gain(left, l2), set, left);
                }
            }
        }
        best.map(|(g, set, left)| Split {
            feature: f,
            bin: 0,
            default_left: false,
            left_bins: Some(set),
            gain: g - scan.shift,
            left,
            right: scan.total.minus(left),
        })
    }

    /// The best of the features' best splits, and which features had one. As LightGBM, a
    /// feature without a valid split of positive gain is not tried again in the leaf's children
    /// (it marks such a feature unsplittable for the subtree), although the hessian-estimated
    /// row counts of a child could differ.
    pub(super) fn pick(
        &self,
        per_feature: impl Iterator<Item = (usize, Option<Split>)>,
    ) -> LeafSearch {
        let mut splittable = vec![false; self.bins.len()];
        let mut best: Option<Split> = None;
        for (f, split) in per_feature {
            let Some(b) = split else { continue };
            splittable[f] = true;
            // highest gain; ties to the lower feature, so the choice does not depend on threads
            if best.is_none_or(|a| b.gain > a.gain || (b.gain == a.gain && b.feature < a.feature)) {
                best = Some(b);
            }
        }
        (best, splittable)
    }
}
