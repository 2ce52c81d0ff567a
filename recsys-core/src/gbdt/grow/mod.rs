//! Growing one tree leaf-wise from gradient histograms (LightGBM's algorithm): always split the
//! leaf whose best split gains most, until `num_leaves`; a child's histogram is built only for
//! the smaller child, the larger one's is the parent's minus it.
//!
//! Layout: `histogram.rs` (building a leaf's gradient histograms), `split.rs` (the best split
//! of a leaf from its histograms), `partition.rs` (moving a split leaf's rows to its children);
//! the leaf-wise loop here.

mod histogram;
mod partition;
mod split;

use rayon::prelude::*;

use super::binning::{BinnedMatrix, FeatureBins};
use super::params::GbdtParams;
use super::tree::{Child, Node, Rule, Tree};
use partition::stable_partition;
use split::{FEATURES_PER_TASK, Searched, Split};

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

/// The training rows of every leaf of a grown tree: leaf `i` holds `order[ranges[i].0..ranges[i].1]`.
pub(crate) struct LeafRows {
    pub order: Vec<u32>,
    pub ranges: Vec<(usize, usize)>,
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
    /// Histogram buffers kept from tree to tree: a fresh one of this size is memory the
    /// system maps and zeroes page by page, every time.
    spare: std::sync::Mutex<Vec<Vec<Stats>>>,
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
            spare: Default::default(),
        }
    }

    fn leaf_value(&self, s: Stats) -> f64 {
        -s.g / (s.h + self.params.lambda_l2)
    }

    fn leaf_gain(&self, s: Stats) -> f64 {
        s.g * s.g / (s.h + self.params.lambda_l2)
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
        // buffers of finished leaves' histograms, reused for the next smaller children
        let mut spare = std::mem::take(&mut *self.spare.lock().unwrap_or_else(|e| e.into_inner()));
        let mut hist = spare.pop().unwrap_or_default();
        self.build_and_search(&order, grad, hess, allowed, (&mut hist, None), None);
        // leaf totals from the first built feature histogram (every row is in exactly one bin)
        let total =
            self.feature_hists(&mut hist, allowed)
                .next()
                .map_or_else(Stats::default, |(_, h)| {
                    h.iter().fold(Stats::default(), |mut t, s| {
                        t.add(*s);
                        t
                    })
                });
        let can_split = |depth: usize, n: usize| {
            p.max_depth.is_none_or(|m| depth < m) && n >= 2 * p.min_data_in_leaf.max(1)
        };
        let (best, splittable) = if can_split(0, order.len()) {
            let search = self.search_of(Searched {
                total,
                count: order.len(),
            });
            let per_feature: Vec<(usize, Option<Split>)> = (0..self.bins.len())
                .into_par_iter()
                .with_min_len(FEATURES_PER_TASK)
                .map(|f| {
                    let hist = &hist[self.offsets[f]..self.offsets[f + 1]];
                    (
                        f,
                        allowed[f]
                            .then(|| self.scan_feature(f, hist, &search))
                            .flatten(),
                    )
                })
                .collect();
            self.pick(per_feature.into_iter())
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
            // a bin number no bin has when there is no missing bin
            let missing_bin = if fb.has_missing() {
                u16::from(fb.missing_bin())
            } else {
                u16::MAX
            };
            let (start, end) = (leaves[li].start, leaves[li].end);
            let rows = &mut order[start..end];
            let spill = &mut scratch[..end - start];
            let nl = match split.left_bins {
                Some(set) => stable_partition(rows, spill, |r: u32| set.contains(col[r as usize])),
                None => stable_partition(rows, spill, |r: u32| {
                    let b = col[r as usize];
                    let missing = u16::from(b) == missing_bin;
                    (missing & split.default_left) | (!missing & (b <= split.bin))
                }),
            };
            let nr = end - start - nl;
            let mid = start + nl;

            let node = nodes.len();
            nodes.push(Node {
                feature: split.feature as u32,
                threshold: if split.left_bins.is_some() {
                    0.0
                } else {
                    fb.threshold(split.bin)
                },
                bin_threshold: split.bin,
                rule: if let Some(set) = split.left_bins {
                    Rule::of_categories(set.bins().filter_map(|b| fb.category_of(b)))
                } else if !fb.has_missing() {
                    Rule::NanAsZero
                } else if split.default_left {
                    Rule::NanLeft
                } else {
                    Rule::NanRight
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
            // histograms: build the smaller child, subtract for the larger, for the features
            // still splittable; none after the last split (LightGBM's loop ends there too)
            let depth = leaves[li].depth + 1;
            let parent_hist = std::mem::take(&mut leaves[li].hist);
            let inherited = std::mem::take(&mut leaves[li].splittable);
            let last = leaves.len() + 1 == p.num_leaves;
            let searched = |stats: Stats, n: usize| {
                (!last && can_split(depth, n)).then_some(Searched {
                    total: stats,
                    count: n,
                })
            };
            let (left, right) = (searched(split.left, nl), searched(split.right, nr));
            let (left_hist, right_hist, [left_search, right_search]) = if last {
                spare.push(parent_hist);
                (
                    Vec::new(),
                    Vec::new(),
                    [(None, Vec::new()), (None, Vec::new())],
                )
            } else {
                let left_smaller = nl <= nr;
                let (small_rows, small_leaf, large_leaf) = if left_smaller {
                    (&order[start..mid], left, right)
                } else {
                    (&order[mid..end], right, left)
                };
                let mut small = spare.pop().unwrap_or_default();
                let mut large = parent_hist;
                let [small_search, large_search] = self.build_and_search(
                    small_rows,
                    grad,
                    hess,
                    &inherited,
                    (&mut small, small_leaf),
                    Some((&mut large, large_leaf)),
                );
                if left_smaller {
                    (small, large, [small_search, large_search])
                } else {
                    (large, small, [large_search, small_search])
                }
            };
            let ((left_best, left_splittable), (right_best, right_splittable)) =
                (left_search, right_search);
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
        spare.extend(leaves.into_iter().map(|l| l.hist).filter(|h| !h.is_empty()));
        *self.spare.lock().unwrap_or_else(|e| e.into_inner()) = spare;
        (tree, LeafRows { order, ranges })
    }
}
