//! Top-k selection in O(n log k).

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::linalg::{Isa, dispatch_fma};

/// A kept candidate, ordered so that the heap's top is the worst kept one: lower score is
/// "greater", and among equal scores the higher index is (so ties resolve to lower indices).
#[derive(Clone, Copy)]
struct Kept(f32, u32);

impl PartialEq for Kept {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for Kept {}
impl PartialOrd for Kept {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Kept {
    fn cmp(&self, o: &Self) -> Ordering {
        o.0.total_cmp(&self.0).then(self.1.cmp(&o.1))
    }
}

/// Keeps the `k` best candidates offered to it.
pub(crate) struct TopK {
    k: usize,
    heap: BinaryHeap<Kept>,
    /// The worst kept score once `k` are kept; `-inf` before.
    worst: f32,
}

/// Slots reserved up front, at most: the heap grows with the candidates actually kept, so a
/// caller's `k` far beyond the candidates that exist (`N = 10**12`) costs nothing.
const RESERVE: usize = 1024;

impl TopK {
    pub(crate) fn new(k: usize) -> Self {
        TopK {
            k,
            heap: BinaryHeap::with_capacity(k.min(RESERVE) + 1),
            worst: f32::NEG_INFINITY,
        }
    }

    fn is_full(&self) -> bool {
        self.heap.len() == self.k
    }

    #[inline]
    fn offer(&mut self, i: u32, s: f32) {
        if s.is_nan() || s == f32::NEG_INFINITY || self.k == 0 {
            return;
        }
        if self.heap.len() < self.k {
            self.heap.push(Kept(s, i));
            if self.is_full() {
                self.worst = self.heap.peek().map_or(self.worst, |w| w.0);
            }
        } else if s >= self.worst {
            let cand = Kept(s, i);
            let mut top = self.heap.peek_mut().expect("heap holds k > 0 entries");
            if cand < *top {
                *top = cand;
                drop(top);
                self.worst = self.heap.peek().map_or(self.worst, |w| w.0);
            }
        }
    }

    /// Offers `scores[j]` as index `offset + j` for every `j`. Once `k` are kept, a whole block
    /// whose maximum cannot beat the worst kept score is skipped after one vectorized max, so the
    /// usual cost is a single streaming pass.
    pub(crate) fn offer_dense(&mut self, offset: usize, scores: &[f32]) {
        offer_dense_dispatch(self, offset, scores)
    }

    /// The kept candidates, best first.
    pub(crate) fn into_sorted(self) -> Vec<(u32, f32)> {
        self.heap
            .into_sorted_vec()
            .into_iter()
            .map(|Kept(s, i)| (i, s))
            .collect()
    }
}

/// The `k` best `(index, score)` pairs, best first. Candidates with a NaN or `-inf` score are
/// never selected (`-inf` marks an excluded item).
pub(crate) fn top_k(candidates: impl Iterator<Item = (u32, f32)>, k: usize) -> Vec<(u32, f32)> {
    if k == 0 {
        return Vec::new();
    }
    let mut top = TopK::new(k);
    for (i, s) in candidates {
        top.offer(i, s);
    }
    top.into_sorted()
}

/// Scores per block of [`TopK::offer_dense`]'s skip test.
const BLOCK: usize = 32;

dispatch_fma!(fn offer_dense_dispatch(top: &mut TopK, offset: usize, scores: &[f32]) -> () => offer_dense_body);

#[inline(always)]
fn offer_dense_body<I: Isa>(_isa: I, top: &mut TopK, offset: usize, scores: &[f32]) {
    for (b, block) in scores.chunks(BLOCK).enumerate() {
        // Later indices lose ties, so a block whose max only equals the worst cannot enter.
        if top.is_full() && block_max(block) <= top.worst {
            continue;
        }
        for (j, &s) in block.iter().enumerate() {
            top.offer((offset + b * BLOCK + j) as u32, s);
        }
    }
}

/// The largest non-NaN value (`-inf` if none), in eight independent lanes so it vectorizes.
#[inline(always)]
fn block_max(block: &[f32]) -> f32 {
    let pick = |a: f32, b: f32| if b > a { b } else { a };
    let mut lanes = [f32::NEG_INFINITY; 8];
    let chunks = block.chunks_exact(8);
    let tail = chunks
        .remainder()
        .iter()
        .fold(f32::NEG_INFINITY, |m, &v| pick(m, v));
    for c in chunks {
        for l in 0..8 {
            lanes[l] = pick(lanes[l], c[l]);
        }
    }
    lanes.iter().fold(tail, |m, &v| pick(m, v))
}

/// [`top_k`] over `scores[i]` for every index `i` (see [`TopK::offer_dense`]).
#[cfg(test)]
fn top_k_dense(scores: &[f32], k: usize) -> Vec<(u32, f32)> {
    let mut top = TopK::new(k);
    top.offer_dense(0, scores);
    top.into_sorted()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_full_sort_with_ties_and_exclusions() {
        let scores: Vec<f32> = (0..1000).map(|i| ((i * 7919) % 101) as f32).collect();
        for k in [1, 5, 100, 2000] {
            let got = top_k(
                scores
                    .iter()
                    .copied()
                    .enumerate()
                    .map(|(i, s)| (i as u32, s)),
                k,
            );
            let mut all: Vec<(u32, f32)> = scores
                .iter()
                .copied()
                .enumerate()
                .map(|(i, s)| (i as u32, s))
                .collect();
            all.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            all.truncate(k);
            assert_eq!(got, all);
        }
        for k in [1, 5, 100, 2000] {
            let dense = top_k_dense(&scores, k);
            let iter = top_k(
                scores
                    .iter()
                    .copied()
                    .enumerate()
                    .map(|(i, s)| (i as u32, s)),
                k,
            );
            assert_eq!(dense, iter);
        }
        let mut rising: Vec<f32> = (0..500).map(|i| i as f32).collect();
        rising[3] = f32::NAN;
        rising[499] = f32::NEG_INFINITY;
        assert_eq!(top_k_dense(&rising, 2), vec![(498, 498.0), (497, 497.0)]);
        let got = top_k(
            [(0, f32::NEG_INFINITY), (1, f32::NAN), (2, -5.0)].into_iter(),
            3,
        );
        assert_eq!(got, vec![(2, -5.0)]);
        assert!(top_k([(0, 1.0)].into_iter(), 0).is_empty());
        assert!(top_k_dense(&[1.0, 2.0], 0).is_empty());
    }
}
