//! Building a leaf's gradient histograms: features in groups, one pass over the leaf's rows per
//! group, the sibling's histogram by subtraction, and the split search in the same pass.

use rayon::prelude::*;

use super::split::{LeafSearch, Searched, Split};
use super::{Learner, Stats};

/// Features whose histograms are built in one pass over a leaf's rows.
const FEATURE_GROUP: usize = 5;

/// How many rows ahead the histogram of a leaf asks for the bins of the row it will need
/// (LightGBM's distance too): a leaf's rows are scattered over the columns, and waiting for
/// each row's cache lines is what a histogram would otherwise spend its time on.
const PREFETCH_AHEAD: usize = 64;

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

impl Learner<'_> {
    /// The histogram slices of the features marked in `features`.
    pub(super) fn feature_hists<'h>(
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
    pub(super) fn build_and_search(
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
}
