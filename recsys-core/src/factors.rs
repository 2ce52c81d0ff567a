//! Dense latent-factor matrices and the scoring every factor model shares: a query vector
//! against all item vectors, as a matrix product (faer), followed by top-k selection.

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::linalg::{self, Isa, dispatch_fma};
use crate::rng::SplitMix64;
use crate::topk::{TopK, top_k};

/// A row-major `rows x dim` f32 matrix: one latent vector per user or item.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Factors {
    rows: usize,
    dim: usize,
    data: Vec<f32>,
}

impl Factors {
    /// All zeros.
    pub fn zeros(rows: usize, dim: usize) -> Self {
        Factors {
            rows,
            dim,
            data: vec![0.0; rows * dim],
        }
    }

    /// Uniform in `[0, scale)`, reproducible from the generator's state.
    pub(crate) fn uniform(rows: usize, dim: usize, scale: f32, rng: &mut SplitMix64) -> Self {
        let data = (0..rows * dim).map(|_| rng.next_f32() * scale).collect();
        Factors { rows, dim, data }
    }

    /// Wraps row-major data; `data.len()` must be `rows * dim`.
    pub fn from_vec(rows: usize, dim: usize, data: Vec<f32>) -> Option<Self> {
        (data.len() == rows * dim).then_some(Factors { rows, dim, data })
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }
    /// Length of each vector.
    pub fn dim(&self) -> usize {
        self.dim
    }
    /// Row `r`.
    pub fn row(&self, r: usize) -> &[f32] {
        &self.data[r * self.dim..(r + 1) * self.dim]
    }
    /// Row `r`, mutable.
    pub fn row_mut(&mut self, r: usize) -> &mut [f32] {
        &mut self.data[r * self.dim..(r + 1) * self.dim]
    }
    /// All rows, row-major.
    pub fn as_slice(&self) -> &[f32] {
        &self.data
    }
    /// All rows, row-major, mutable.
    pub fn as_mut_slice(&mut self) -> &mut [f32] {
        &mut self.data
    }
    /// Appends a row of zeros and returns its index.
    pub(crate) fn push_zero_row(&mut self) -> usize {
        self.data.resize(self.data.len() + self.dim, 0.0);
        self.rows += 1;
        self.rows - 1
    }
    /// Euclidean norm of every row.
    pub fn norms(&self) -> Vec<f32> {
        self.data
            .par_chunks(self.dim.max(1))
            .map(row_norm)
            .collect()
    }
    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.data.capacity() * std::mem::size_of::<f32>()
    }
    /// Whether the data length matches the shape (a check for deserialized values).
    pub(crate) fn is_consistent(&self) -> bool {
        self.rows.checked_mul(self.dim) == Some(self.data.len())
    }
    /// Whether every value is finite.
    pub fn all_finite(&self) -> bool {
        self.data.iter().all(|v| v.is_finite())
    }
}

fn row_norm(r: &[f32]) -> f32 {
    r.iter().map(|v| v * v).sum::<f32>().sqrt()
}

/// Which items a query may return.
pub(crate) struct Selection<'a> {
    /// Per query, sorted item indices that must not be returned (seen items, explicit exclusions).
    pub exclude: &'a [Vec<u32>],
    /// When set, only these items are scored.
    pub candidates: Option<&'a [u32]>,
    /// When set, each item's score is multiplied by this (1 / norm, for cosine similarity).
    pub item_scale: Option<&'a [f32]>,
}

/// Queries per block of the batched product, and items per chunk of it: a block's scores for one
/// chunk (128 x 1024 floats, 512 KB) stay in L2 between the product and the top-k pass, and each
/// chunk of item vectors is packed for the product once per 128 queries.
const QUERY_BLOCK: usize = 128;
const ITEM_CHUNK: usize = 1024;

dispatch_fma!(fn dot_dispatch(a: &[f32], b: &[f32]) -> f32 => dot_body);
#[inline(always)]
fn dot_body<I: Isa>(isa: I, a: &[f32], b: &[f32]) -> f32 {
    linalg::dot(isa, a, b)
}

dispatch_fma!(fn matvec_dispatch(rows: &[f32], x: &[f32], out: &mut [f32]) -> () => matvec_body);
#[inline(always)]
fn matvec_body<I: Isa>(isa: I, rows: &[f32], x: &[f32], out: &mut [f32]) {
    linalg::matvec(isa, rows, x, out)
}

/// The `k` best items for each query vector (row-major `queries.len() / dim` x `dim`), by dot
/// product with `items` (optionally scaled), best first.
pub(crate) fn top_k_by_dot(
    queries: &[f32],
    items: &Factors,
    k: usize,
    sel: &Selection<'_>,
) -> Vec<Vec<(u32, f32)>> {
    let dim = items.dim;
    if dim == 0 || queries.is_empty() {
        return vec![Vec::new(); sel.exclude.len()];
    }
    let nq = queries.len() / dim;
    debug_assert_eq!(sel.exclude.len(), nq);
    let scale = |i: u32, s: f32| sel.item_scale.map_or(s, |sc| s * sc[i as usize]);
    if let Some(cands) = sel.candidates {
        return crate::parallel::map_range(nq, |q| {
            let qv = &queries[q * dim..(q + 1) * dim];
            let ex = &sel.exclude[q];
            let scored = cands
                .iter()
                .filter(|c| ex.binary_search(c).is_err())
                .map(|&c| (c, scale(c, dot_dispatch(qv, items.row(c as usize)))));
            top_k(scored, k)
        });
    }
    let n_items = items.rows;
    let block_tops = |buf: &mut Vec<f32>, (b, block): (usize, &[f32])| {
        let rows = block.len() / dim;
        let q = MatRef::from_row_major_slice(block, rows, dim);
        let exclude = &sel.exclude[b * QUERY_BLOCK..b * QUERY_BLOCK + rows];
        let mut tops: Vec<TopK> = (0..rows).map(|_| TopK::new(k)).collect();
        // position of each query in its sorted exclusion list
        let mut next_excluded = vec![0usize; rows];
        for start in (0..n_items).step_by(ITEM_CHUNK) {
            let len = ITEM_CHUNK.min(n_items - start);
            let chunk = &items.data[start * dim..(start + len) * dim];
            buf.resize(rows * len, 0.0);
            if rows == 1 {
                // one query (a customer's list in the server): a matrix-vector product, four
                // item rows per pass over the query, without the general product's packing
                matvec_dispatch(chunk, block, &mut buf[..len]);
            } else {
                let chunk = MatRef::from_row_major_slice(chunk, len, dim);
                let dst = MatMut::from_row_major_slice_mut(&mut buf[..rows * len], rows, len);
                matmul(dst, Accum::Replace, q, chunk.transpose(), 1.0f32, Par::Seq);
            }
            for (r, scores) in buf[..rows * len].chunks_exact_mut(len).enumerate() {
                if let Some(sc) = sel.item_scale {
                    for (s, c) in scores.iter_mut().zip(&sc[start..start + len]) {
                        *s *= c;
                    }
                }
                let ex = &exclude[r];
                let at = &mut next_excluded[r];
                while *at < ex.len() && (ex[*at] as usize) < start + len {
                    scores[ex[*at] as usize - start] = f32::NEG_INFINITY;
                    *at += 1;
                }
                tops[r].offer_dense(start, scores);
            }
        }
        tops.into_iter().map(TopK::into_sorted).collect::<Vec<_>>()
    };
    if nq <= QUERY_BLOCK {
        // one block: on this thread (see `crate::parallel`)
        return block_tops(&mut Vec::new(), (0, queries));
    }
    queries
        .par_chunks(QUERY_BLOCK * dim)
        .enumerate()
        .map_init(Vec::new, block_tops)
        .flatten_iter()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batched_scores_match_naive_with_exclusions_and_candidates() {
        let mut rng = SplitMix64::new(3);
        let items = Factors::uniform(300, 8, 1.0, &mut rng);
        let queries = Factors::uniform(130, 8, 1.0, &mut rng);
        let exclude: Vec<Vec<u32>> = (0..130).map(|q| vec![q as u32, 299]).collect();
        let sel = Selection {
            exclude: &exclude,
            candidates: None,
            item_scale: None,
        };
        let got = top_k_by_dot(queries.as_slice(), &items, 5, &sel);
        for q in [0, 64, 129] {
            let mut naive: Vec<(u32, f32)> = (0..300u32)
                .filter(|&i| i != q as u32 && i != 299)
                .map(|i| {
                    (
                        i,
                        items
                            .row(i as usize)
                            .iter()
                            .zip(queries.row(q))
                            .map(|(a, b)| a * b)
                            .sum(),
                    )
                })
                .collect();
            naive.sort_by(|a, b| b.1.total_cmp(&a.1));
            let want: Vec<u32> = naive[..5].iter().map(|p| p.0).collect();
            let have: Vec<u32> = got[q].iter().map(|p| p.0).collect();
            assert_eq!(have, want);
        }
        let cands = [5u32, 0, 7];
        let sel = Selection {
            exclude: &exclude,
            candidates: Some(&cands),
            item_scale: None,
        };
        let got = top_k_by_dot(queries.as_slice(), &items, 10, &sel);
        assert_eq!(got[0].len(), 2); // item 0 is excluded for query 0
        assert!(got[0].iter().all(|p| p.0 == 5 || p.0 == 7));
    }

    /// One query (a block of one row) is scored by the matrix-vector kernel, several by the
    /// general product: the same items and scores, over more than one chunk of items, a number
    /// of items that is not a multiple of the kernel's four rows and a dimension that is not a
    /// multiple of its eight lanes.
    #[test]
    fn a_single_query_scores_as_in_a_batch() {
        let mut rng = SplitMix64::new(5);
        let items = Factors::uniform(ITEM_CHUNK + 7, 13, 1.0, &mut rng);
        let queries = Factors::uniform(3, 13, 1.0, &mut rng);
        let exclude: Vec<Vec<u32>> = vec![vec![2, 1030]; 3];
        let sel = Selection {
            exclude: &exclude,
            candidates: None,
            item_scale: None,
        };
        let batch = top_k_by_dot(queries.as_slice(), &items, 20, &sel);
        for q in 0..3 {
            let one = Selection {
                exclude: &exclude[q..q + 1],
                candidates: None,
                item_scale: None,
            };
            let single = top_k_by_dot(queries.row(q), &items, 20, &one).remove(0);
            let ids = |l: &[(u32, f32)]| l.iter().map(|p| p.0).collect::<Vec<_>>();
            assert_eq!(ids(&single), ids(&batch[q]), "query {q}");
            assert!(!single.iter().any(|p| p.0 == 2 || p.0 == 1030));
            for (&(i, s), &(_, b)) in single.iter().zip(&batch[q]) {
                let naive: f32 = items
                    .row(i as usize)
                    .iter()
                    .zip(queries.row(q))
                    .map(|(a, b)| a * b)
                    .sum();
                assert!(
                    (s - naive).abs() < 1e-5 && (s - b).abs() < 1e-5,
                    "{i}: {s} {b} {naive}"
                );
            }
        }
    }
}
