//! Growing one tree leaf-wise from gradient histograms (LightGBM's algorithm): always split the
//! leaf whose best split gains most, until `num_leaves`; a child's histogram is built only for
//! the smaller child, the larger one's is the parent's minus it.

use rayon::prelude::*;

use super::binning::{BinnedMatrix, FeatureBins};
use super::params::GbdtParams;
use super::tree::{Child, Missing, Node, Tree};

/// Gradient statistics of one histogram bin (or of a whole leaf). Like LightGBM, bins keep no
/// row count: a bin's rows are estimated from its share of the leaf's hessian (exact when every
/// hessian is equal, as in regression), which keeps the histogram update to one 16-byte add.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[repr(C, align(16))]
pub(crate) struct Stats {
    pub g: f64,
    pub h: f64,
}

impl Stats {
    fn add(&mut self, o: Stats) {
        self.g += o.g;
        self.h += o.h;
    }
    fn minus(self, o: Stats) -> Stats {
        Stats {
            g: self.g - o.g,
            h: self.h - o.h,
        }
    }
}

/// The best split found for a leaf.
#[derive(Clone, Copy, Debug)]
struct Split {
    feature: usize,
    bin: u8,
    default_left: bool,
    gain: f64,
    left: Stats,
    right: Stats,
}

/// The training rows of every leaf of a grown tree: leaf `i` holds `order[ranges[i].0..ranges[i].1]`.
pub(crate) struct LeafRows {
    pub order: Vec<u32>,
    pub ranges: Vec<(usize, usize)>,
}

/// Features whose histograms are built in one pass over a leaf's rows.
const FEATURE_GROUP: usize = 5;

/// Features per parallel task in the split search.
const FEATURES_PER_TASK: usize = 16;

/// Rows per parallel block when partitioning a large leaf.
const PARTITION_BLOCK: usize = 65_536;

/// Adds every row's gradient pair to its bin in `N` features' histograms. `contiguous`: the
/// rows are `0..ordered.len()` in order (the root of an unbagged tree).
#[inline(always)]
fn accumulate<const N: usize>(
    hists: [&mut &mut [Stats]; N],
    cols: [&&[u8]; N],
    rows: &[u32],
    ordered: &[(f32, f32)],
    contiguous: bool,
) {
    for (k, &(g, h)) in ordered.iter().enumerate() {
        let r = if contiguous { k } else { rows[k] as usize };
        let gh = Stats {
            g: f64::from(g),
            h: f64::from(h),
        };
        for j in 0..N {
            hists[j][cols[j][r] as usize].add(gh);
        }
    }
}

/// One leaf under construction: its rows are `order[start..end]`.
struct Leaf {
    start: usize,
    end: usize,
    stats: Stats,
    depth: usize,
    hist: Vec<Stats>,
    best: Option<Split>,
    /// The features that had some valid split in this leaf: the only ones its children try.
    splittable: Vec<bool>,
    /// Where this leaf hangs: (parent node, is left child); `None` for the root.
    parent: Option<(usize, bool)>,
}

/// Grows trees over one binned training matrix.
pub(crate) struct Learner<'a> {
    pub params: &'a GbdtParams,
    pub bins: &'a [FeatureBins],
    pub binned: &'a BinnedMatrix,
    /// Start of each feature's bins in a histogram.
    offsets: Vec<usize>,
    total_bins: usize,
}

impl<'a> Learner<'a> {
    pub fn new(params: &'a GbdtParams, bins: &'a [FeatureBins], binned: &'a BinnedMatrix) -> Self {
        let mut offsets = Vec::with_capacity(bins.len() + 1);
        let mut total = 0;
        for b in bins {
            offsets.push(total);
            total += b.n_bins();
        }
        offsets.push(total);
        Learner {
            params,
            bins,
            binned,
            offsets,
            total_bins: total,
        }
    }

    fn leaf_value(&self, s: Stats) -> f64 {
        -s.g / (s.h + self.params.lambda_l2)
    }

    fn leaf_gain(&self, s: Stats) -> f64 {
        s.g * s.g / (s.h + self.params.lambda_l2)
    }

    /// Histogram of `rows` over every feature, features in parallel, into `hist` (reused:
    /// every entry is overwritten).
    fn histogram(&self, rows: &[u32], grad: &[f32], hess: &[f32], hist: &mut Vec<Stats>) {
        // gradients in leaf order, so the per-feature loops read them sequentially
        let ordered: Vec<(f32, f32)> = rows
            .iter()
            .map(|&r| (grad[r as usize], hess[r as usize]))
            .collect();
        hist.clear();
        hist.resize(self.total_bins, Stats::default());
        // features in groups of four: one pass over the rows and their gradients serves four
        // histograms, which cuts the memory traffic of the gradient stream by four
        let mut groups: Vec<(usize, Vec<&mut [Stats]>)> = Vec::new();
        let mut rest: &mut [Stats] = hist;
        for f in 0..self.bins.len() {
            let (head, tail) = rest.split_at_mut(self.offsets[f + 1] - self.offsets[f]);
            if f % FEATURE_GROUP == 0 {
                groups.push((f, Vec::with_capacity(FEATURE_GROUP)));
            }
            groups.last_mut().expect("pushed above").1.push(head);
            rest = tail;
        }
        let contiguous = rows.first().is_some_and(|&r| r == 0)
            && rows.len() == self.binned.columns.first().map_or(0, Vec::len);
        groups.into_par_iter().for_each(|(first, mut hists)| {
            let cols: Vec<&[u8]> = (first..first + hists.len())
                .map(|f| self.binned.columns[f].as_slice())
                .collect();
            match (&mut hists[..], &cols[..]) {
                ([a, b, c, d, e], [ca, cb, cc, cd, ce]) => accumulate(
                    [a, b, c, d, e],
                    [ca, cb, cc, cd, ce],
                    rows,
                    &ordered,
                    contiguous,
                ),
                (hs, cs) => {
                    for (h, c) in hs.iter_mut().zip(cs) {
                        accumulate([h], [c], rows, &ordered, contiguous);
                    }
                }
            }
        });
    }

    /// The best split of a leaf of `count` rows over the allowed features, if any gains enough,
    /// and which features had any valid split with a positive gain. As LightGBM, a feature with
    /// none is not tried again in the leaf's children (it marks such a feature unsplittable for
    /// the subtree), although the hessian-estimated row counts of a child could differ.
    fn best_split(
        &self,
        hist: &[Stats],
        total: Stats,
        count: usize,
        allowed: &[bool],
    ) -> (Option<Split>, Vec<bool>) {
        let p = self.params;
        let parent = self.leaf_gain(total) + p.min_gain_to_split;
        let min_n = p.min_data_in_leaf.max(1) as f64;
        let per_hessian = if total.h > 0.0 {
            count as f64 / total.h
        } else {
            0.0
        };
        // Rows per side are estimated as LightGBM does: every bin's count is its hessian times
        // `per_hessian`, rounded on its own (`RoundInt`), and a side's count is the sum of its
        // bins' rounded counts; the other side has the rest of the leaf's rows. With unequal
        // hessians (lambdarank, binary) this is not the rounded total, and it decides which
        // small children are allowed.
        // truncation is floor here (estimates are >= 0), one instruction where floor is a call
        let bin_rows = |s: Stats| (s.h * per_hessian + 0.5) as u64 as f64;
        let (min_n, count_f) = (min_n, count as f64);
        let fits = |counted_rows: f64, counted: Stats, other: Stats| {
            counted_rows >= min_n
                && count_f - counted_rows >= min_n
                && counted.h >= p.min_sum_hessian_in_leaf
                && other.h >= p.min_sum_hessian_in_leaf
        };
        // a feature's scan is short: hand rayon blocks of features, not single ones
        let per_feature: Vec<Option<Split>> = (0..self.bins.len())
            .into_par_iter()
            .with_min_len(FEATURES_PER_TASK)
            .map(|f| {
                if !allowed[f] {
                    return None;
                }
                let fb = &self.bins[f];
                let h = &hist[self.offsets[f]..self.offsets[f + 1]];
                let nvb = fb.n_value_bins();
                let mut best: Option<Split> = None;
                let mut consider = |t: usize, left: Stats, right: Stats, default_left: bool| {
                    let gain = self.leaf_gain(left) + self.leaf_gain(right) - parent;
                    // only positive gains make a feature splittable, so `best` says it all
                    if gain > 0.0 && best.is_none_or(|b| gain > b.gain) {
                        best = Some(Split {
                            feature: f,
                            bin: t as u8,
                            default_left,
                            gain,
                            left,
                            right,
                        });
                    }
                };
                // As LightGBM: first scan from the highest bin down, accumulating the right side
                // (missing values, if any, stay left), so among equally good thresholds the
                // highest wins; then, for features with missing values, scan up with missing
                // values on the right.
                let mut right = Stats::default();
                let mut right_rows = 0.0;
                for t in (0..nvb - 1).rev() {
                    // an empty bin changes nothing, so its threshold cannot do strictly better
                    if h[t + 1] == Stats::default() {
                        continue;
                    }
                    right.add(h[t + 1]);
                    right_rows += bin_rows(h[t + 1]);
                    let left = total.minus(right);
                    if fits(right_rows, right, left) {
                        consider(t, left, right, true);
                    }
                }
                if fb.has_missing() {
                    let mut left = Stats::default();
                    let mut left_rows = 0.0;
                    for (t, s) in h[..nvb - 1].iter().enumerate() {
                        if *s == Stats::default() {
                            continue;
                        }
                        left.add(*s);
                        left_rows += bin_rows(*s);
                        let right = total.minus(left);
                        if fits(left_rows, left, right) {
                            consider(t, left, right, false);
                        }
                    }
                }
                best
            })
            .collect();
        let splittable = per_feature.iter().map(Option::is_some).collect();
        // highest gain; ties to the lower feature, so the choice does not depend on threads
        let best = per_feature.into_iter().flatten().reduce(|a, b| {
            if b.gain > a.gain || (b.gain == a.gain && b.feature < a.feature) {
                b
            } else {
                a
            }
        });
        (best, splittable)
    }

    /// Grows one tree on `rows` (the bag) with the features marked `allowed`. Leaf values are
    /// not yet shrunk by the learning rate. Also returns the rows of each leaf.
    pub fn grow(
        &self,
        rows: &[u32],
        grad: &[f32],
        hess: &[f32],
        allowed: &[bool],
    ) -> (Tree, LeafRows) {
        let p = self.params;
        let mut order: Vec<u32> = rows.to_vec();
        let mut scratch: Vec<u32> = vec![0; order.len()];
        let mut hist = Vec::new();
        self.histogram(&order, grad, hess, &mut hist);
        // buffers of finished leaves' histograms, reused for the next smaller children
        let mut spare: Vec<Vec<Stats>> = Vec::new();
        let mut total = Stats::default();
        // leaf totals from the first feature's histogram (every row is in exactly one bin)
        for s in &hist[self.offsets[0]..self.offsets[1]] {
            total.add(*s);
        }
        let can_split = |depth: usize, n: usize| {
            p.max_depth.is_none_or(|m| depth < m) && n >= 2 * p.min_data_in_leaf.max(1)
        };
        let (best, splittable) = if can_split(0, order.len()) {
            self.best_split(&hist, total, order.len(), allowed)
        } else {
            (None, Vec::new())
        };
        let mut leaves = vec![Leaf {
            start: 0,
            end: order.len(),
            stats: total,
            depth: 0,
            hist,
            best,
            splittable,
            parent: None,
        }];
        let mut nodes: Vec<Node> = Vec::new();
        while leaves.len() < p.num_leaves {
            let Some((li, split)) = leaves
                .iter()
                .enumerate()
                .filter_map(|(i, l)| l.best.map(|b| (i, b)))
                .reduce(|a, b| if b.1.gain > a.1.gain { b } else { a })
            else {
                break;
            };
            let fb = &self.bins[split.feature];
            let col = &self.binned.columns[split.feature];
            let missing_bin = fb.has_missing().then(|| fb.missing_bin());
            let goes_left = |r: u32| {
                let b = col[r as usize];
                if Some(b) == missing_bin {
                    split.default_left
                } else {
                    b <= split.bin
                }
            };
            // stable partition of the leaf's rows (in parallel blocks for large leaves)
            let (start, end) = (leaves[li].start, leaves[li].end);
            let nl = if end - start <= PARTITION_BLOCK {
                let mut nl = 0;
                let mut nr = 0;
                for k in start..end {
                    let r = order[k];
                    if goes_left(r) {
                        order[start + nl] = r;
                        nl += 1;
                    } else {
                        scratch[nr] = r;
                        nr += 1;
                    }
                }
                order[start + nl..end].copy_from_slice(&scratch[..nr]);
                nl
            } else {
                let parts: Vec<(Vec<u32>, Vec<u32>)> = order[start..end]
                    .par_chunks(PARTITION_BLOCK)
                    .map(|block| block.iter().partition(|&&r| goes_left(r)))
                    .collect();
                let mut at = start;
                for (left, _) in &parts {
                    order[at..at + left.len()].copy_from_slice(left);
                    at += left.len();
                }
                let nl = at - start;
                for (_, right) in &parts {
                    order[at..at + right.len()].copy_from_slice(right);
                    at += right.len();
                }
                nl
            };
            let nr = end - start - nl;
            let mid = start + nl;

            let node = nodes.len();
            nodes.push(Node {
                feature: split.feature as u32,
                threshold: fb.threshold(split.bin),
                bin_threshold: split.bin,
                missing: if !fb.has_missing() {
                    Missing::Zero
                } else if split.default_left {
                    Missing::Left
                } else {
                    Missing::Right
                },
                left: !(li as Child),
                right: !(leaves.len() as Child),
                gain: split.gain,
            });
            if let Some((pn, is_left)) = leaves[li].parent {
                if is_left {
                    nodes[pn].left = node as Child;
                } else {
                    nodes[pn].right = node as Child;
                }
            }
            // histograms: build the smaller child, subtract for the larger
            let depth = leaves[li].depth + 1;
            let parent_hist = std::mem::take(&mut leaves[li].hist);
            let left_smaller = nl <= nr;
            let small_rows = if left_smaller {
                &order[start..mid]
            } else {
                &order[mid..end]
            };
            let mut small = spare.pop().unwrap_or_default();
            self.histogram(small_rows, grad, hess, &mut small);
            let mut large = parent_hist;
            large
                .iter_mut()
                .zip(&small)
                .for_each(|(l, s)| *l = l.minus(*s));
            let (left_hist, right_hist) = if left_smaller {
                (small, large)
            } else {
                (large, small)
            };
            let inherited = std::mem::take(&mut leaves[li].splittable);
            let (left_best, left_splittable) = if can_split(depth, nl) {
                self.best_split(&left_hist, split.left, nl, &inherited)
            } else {
                (None, Vec::new())
            };
            let (right_best, right_splittable) = if can_split(depth, nr) {
                self.best_split(&right_hist, split.right, nr, &inherited)
            } else {
                (None, Vec::new())
            };
            // a leaf that will never split has no use for its histogram: recycle the buffer
            let mut keep = |hist: Vec<Stats>, best: &Option<Split>| {
                if best.is_some() {
                    hist
                } else {
                    spare.push(hist);
                    Vec::new()
                }
            };
            let (left_hist, right_hist) =
                (keep(left_hist, &left_best), keep(right_hist, &right_best));
            leaves[li] = Leaf {
                start,
                end: mid,
                stats: split.left,
                depth,
                hist: left_hist,
                best: left_best,
                splittable: left_splittable,
                parent: Some((node, true)),
            };
            leaves.push(Leaf {
                start: mid,
                end,
                stats: split.right,
                depth,
                hist: right_hist,
                best: right_best,
                splittable: right_splittable,
                parent: Some((node, false)),
            });
        }
        let tree = Tree {
            nodes,
            leaves: leaves.iter().map(|l| self.leaf_value(l.stats)).collect(),
        };
        let ranges = leaves.iter().map(|l| (l.start, l.end)).collect();
        (tree, LeafRows { order, ranges })
    }
}
