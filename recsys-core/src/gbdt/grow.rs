//! Growing one tree leaf-wise from gradient histograms (LightGBM's algorithm): always split the
//! leaf whose best split gains most, until `num_leaves`; a child's histogram is built only for
//! the smaller child, the larger one's is the parent's minus it.

use rayon::prelude::*;

use super::binning::{BinnedMatrix, FeatureBins};
use super::params::GbdtParams;
use super::tree::{Child, Node, Rule, Tree};

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

/// How many rows ahead the histogram of a leaf asks for the bins of the row it will need
/// (LightGBM's distance too): a leaf's rows are scattered over the columns, and waiting for
/// each row's cache lines is what a histogram would otherwise spend its time on.
const PREFETCH_AHEAD: usize = 64;

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
        #[cfg(target_arch = "x86_64")]
        if !contiguous && let Some(&ahead) = rows.get(k + PREFETCH_AHEAD) {
            for col in cols {
                let p = col.as_ptr().wrapping_add(ahead as usize);
                // SAFETY: a prefetch is a hint that never faults, whatever the address; SSE is
                // part of every x86_64 target
                unsafe {
                    core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(
                        p.cast(),
                    )
                };
            }
        }
        let gh = Stats {
            g: f64::from(g),
            h: f64::from(h),
        };
        for j in 0..N {
            hists[j][cols[j][r] as usize].add(gh);
        }
    }
}

/// Stable partition of `block`: the rows going left move to its front (in place: a row is
/// never written ahead of where it is read), the others to the front of `spill`, in order;
/// returns how many go left. Branch-free: both writes happen for every row.
fn partition_block(block: &mut [u32], spill: &mut [u32], goes_left: impl Fn(u32) -> bool) -> usize {
    let (mut nl, mut nr) = (0, 0);
    for k in 0..block.len() {
        let r = block[k];
        let left = goes_left(r);
        block[nl] = r;
        spill[nr] = r;
        nl += usize::from(left);
        nr += usize::from(!left);
    }
    nl
}

/// What the threshold scans of one leaf's features need to know.
struct Scan {
    total: Stats,
    count: i64,
    min_rows: i64,
    min_hessian: f64,
    lambda_l2: f64,
    rows_per_hessian: f64,
    /// The gain to beat: the leaf's own plus `min_gain_to_split`.
    shift: f64,
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
struct Searched {
    total: Stats,
    count: usize,
}

/// A leaf's best split, if any, and the features that had one.
type LeafSearch = (Option<Split>, Vec<bool>);

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

    /// The histogram slices of the features marked in `features`.
    fn feature_hists<'h>(
        &self,
        hist: &'h mut [Stats],
        features: &[bool],
    ) -> impl Iterator<Item = (usize, &'h mut [Stats])> {
        let mut rest = hist;
        (0..self.bins.len()).filter_map(move |f| {
            let (head, tail) =
                std::mem::take(&mut rest).split_at_mut(self.offsets[f + 1] - self.offsets[f]);
            rest = tail;
            features[f].then_some((f, head))
        })
    }

    /// In one parallel pass over groups of the features marked in `features`: builds the
    /// histogram of `rows` into `built` (the other features' bins are left as they were); if
    /// `sibling` is given, turns its histogram (the parent's) into the sibling's by subtracting
    /// `built`; and searches the best split of each of the two leaves that is `Some`. One pass
    /// instead of one per step: on small leaves the steps are short, and every parallel step
    /// costs a round of waking the threads.
    fn build_and_search(
        &self,
        rows: &[u32],
        grad: &[f32],
        hess: &[f32],
        features: &[bool],
        built: (&mut Vec<Stats>, Option<Searched>),
        sibling: Option<(&mut Vec<Stats>, Option<Searched>)>,
    ) -> [LeafSearch; 2] {
        // gradients in leaf order, so the per-feature loops read them sequentially
        let ordered: Vec<(f32, f32)> = rows
            .iter()
            .map(|&r| (grad[r as usize], hess[r as usize]))
            .collect();
        let (hist, built_leaf) = built;
        hist.resize(self.total_bins, Stats::default());
        let (sibling_hist, sibling_leaf) = match sibling {
            Some((h, leaf)) => (Some(h), leaf),
            None => (None, None),
        };
        let searches = [built_leaf, sibling_leaf].map(|leaf| leaf.map(|l| self.search_of(l)));
        // features in groups: one pass over the rows and their gradients serves several
        // histograms, which cuts the memory traffic of the gradient stream
        type Group<'h> = (Vec<usize>, Vec<&'h mut [Stats]>, Vec<&'h mut [Stats]>);
        let mut groups: Vec<Group> = Vec::new();
        let mut siblings = sibling_hist.map(|h| self.feature_hists(h, features));
        for (f, h) in self.feature_hists(hist, features) {
            if groups.last().is_none_or(|g| g.0.len() == FEATURE_GROUP) {
                groups.push(Default::default());
            }
            let group = groups.last_mut().expect("pushed above");
            group.0.push(f);
            group.1.push(h);
            if let Some(s) = siblings.as_mut().and_then(Iterator::next) {
                group.2.push(s.1);
            }
        }
        let contiguous = rows.first().is_some_and(|&r| r == 0)
            && rows.len() == self.binned.columns.first().map_or(0, Vec::len);
        let found: Vec<Vec<(usize, [Option<Split>; 2])>> = groups
            .into_par_iter()
            .map(|(features, mut hists, mut sibling_hists)| {
                let cols: Vec<&[u8]> = features
                    .iter()
                    .map(|&f| self.binned.columns[f].as_slice())
                    .collect();
                hists.iter_mut().for_each(|h| h.fill(Stats::default()));
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
                for (s, h) in sibling_hists.iter_mut().zip(&hists) {
                    s.iter_mut()
                        .zip(h.iter())
                        .for_each(|(s, h)| *s = s.minus(*h));
                }
                features
                    .iter()
                    .enumerate()
                    .map(|(k, &f)| {
                        let own = searches[0]
                            .as_ref()
                            .and_then(|s| self.scan_feature(f, hists[k], s));
                        let other = searches[1]
                            .as_ref()
                            .and_then(|s| self.scan_feature(f, sibling_hists[k], s));
                        (f, [own, other])
                    })
                    .collect()
            })
            .collect();
        [0, 1].map(|side| {
            searches[side].as_ref().map_or((None, Vec::new()), |_| {
                self.pick(found.iter().flatten().map(|(f, s)| (*f, s[side])))
            })
        })
    }

    /// What the scans of a leaf's features need: its totals, limits and the gain to beat.
    fn search_of(&self, leaf: Searched) -> Scan {
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
    fn scan_feature(&self, f: usize, hist: &[Stats], scan: &Scan) -> Option<Split> {
        let fb = &self.bins[f];
        let nvb = fb.n_value_bins();
        let total = scan.total;
        // As LightGBM: first scan from the highest bin down, accumulating the right side
        // (missing values, if any, stay left), so among equally good thresholds the highest
        // wins; then, for features with missing values, scan up with missing values on the
        // right.
        let down = (0..nvb - 1).rev().map(|t| (t, hist[t + 1]));
        let mut best = scan.best(down, scan.shift).map(|(t, gain, right)| Split {
            feature: f,
            bin: t as u8,
            default_left: true,
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

    /// The best of the features' best splits, and which features had one. As LightGBM, a
    /// feature without a valid split of positive gain is not tried again in the leaf's children
    /// (it marks such a feature unsplittable for the subtree), although the hessian-estimated
    /// row counts of a child could differ.
    fn pick(&self, per_feature: impl Iterator<Item = (usize, Option<Split>)>) -> LeafSearch {
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
            let goes_left = |r: u32| {
                let b = col[r as usize];
                let missing = u16::from(b) == missing_bin;
                (missing & split.default_left) | (!missing & (b <= split.bin))
            };
            // stable partition of the leaf's rows, in parallel blocks for large leaves
            let (start, end) = (leaves[li].start, leaves[li].end);
            let rows = &mut order[start..end];
            let spill = &mut scratch[..end - start];
            let lefts: Vec<usize> = if rows.len() <= PARTITION_BLOCK {
                vec![partition_block(rows, spill, goes_left)]
            } else {
                rows.par_chunks_mut(PARTITION_BLOCK)
                    .zip(spill.par_chunks_mut(PARTITION_BLOCK))
                    .map(|(block, spill)| partition_block(block, spill, goes_left))
                    .collect()
            };
            // each block holds its left rows at its front and its right rows in `spill`:
            // gather the lefts, then the rights behind them
            let mut at = 0;
            for (b, &nl) in lefts.iter().enumerate() {
                let from = b * PARTITION_BLOCK;
                rows.copy_within(from..from + nl, at);
                at += nl;
            }
            let nl = at;
            for (b, &bl) in lefts.iter().enumerate() {
                let from = b * PARTITION_BLOCK;
                let block_len = PARTITION_BLOCK.min(rows.len() - from);
                let nr = block_len - bl;
                rows[at..at + nr].copy_from_slice(&spill[from..from + nr]);
                at += nr;
            }
            let nr = end - start - nl;
            let mid = start + nl;

            let node = nodes.len();
            nodes.push(Node {
                feature: split.feature as u32,
                threshold: fb.threshold(split.bin),
                bin_threshold: split.bin,
                rule: if !fb.has_missing() {
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
