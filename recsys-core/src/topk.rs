//! Top-k selection in O(n log k).

use std::cmp::Ordering;
use std::collections::BinaryHeap;

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

/// The `k` best `(index, score)` pairs, best first. Candidates with a NaN or `-inf` score are
/// never selected (`-inf` marks an excluded item).
pub(crate) fn top_k(candidates: impl Iterator<Item = (u32, f32)>, k: usize) -> Vec<(u32, f32)> {
    if k == 0 {
        return Vec::new();
    }
    let mut heap: BinaryHeap<Kept> = BinaryHeap::with_capacity(k + 1);
    let mut worst = f32::NEG_INFINITY;
    for (i, s) in candidates {
        if s.is_nan() || s == f32::NEG_INFINITY {
            continue;
        }
        if heap.len() < k {
            heap.push(Kept(s, i));
            if heap.len() == k {
                worst = heap.peek().map_or(worst, |w| w.0);
            }
        } else if s >= worst {
            let cand = Kept(s, i);
            let mut top = heap.peek_mut().expect("heap holds k > 0 entries");
            if cand < *top {
                *top = cand;
                drop(top);
                worst = heap.peek().map_or(worst, |w| w.0);
            }
        }
    }
    heap.into_sorted_vec()
        .into_iter()
        .map(|Kept(s, i)| (i, s))
        .collect()
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
        let got = top_k(
            [(0, f32::NEG_INFINITY), (1, f32::NAN), (2, -5.0)].into_iter(),
            3,
        );
        assert_eq!(got, vec![(2, -5.0)]);
        assert!(top_k([(0, 1.0)].into_iter(), 0).is_empty());
    }
}
