//! Cosine similarity over sparse rows through an inverted index (the transpose): a query touches
//! only the rows that share a term with it, and nothing of size rows x rows is ever built.

use rayon::prelude::*;

use crate::interactions::Csr;
use crate::topk::top_k;

/// `m` with every row scaled to unit L2 norm (all-zero rows stay zero).
pub(crate) fn l2_normalized(m: &Csr) -> Csr {
    let mut values = m.values().to_vec();
    for r in 0..m.nrows() {
        let (s, e) = (m.indptr()[r], m.indptr()[r + 1]);
        let norm = values[s..e]
            .iter()
            .map(|v| f64::from(*v) * f64::from(*v))
            .sum::<f64>()
            .sqrt();
        if norm > 0.0 {
            for v in &mut values[s..e] {
                *v = (f64::from(*v) / norm) as f32;
            }
        }
    }
    Csr::from_raw(
        m.nrows(),
        m.ncols(),
        m.indptr().to_vec(),
        m.indices().to_vec(),
        values,
    )
    .expect("same structure as a valid matrix")
}

/// Accumulates `scores[j] += sum_t q_t * m_jt` for a sparse query `q` through `by_term`
/// (the transpose of `m`), recording every row it touches once in `touched`.
pub(crate) fn accumulate(
    by_term: &Csr,
    q_cols: &[u32],
    q_vals: &[f32],
    scores: &mut [f32],
    seen: &mut [bool],
    touched: &mut Vec<u32>,
) {
    for (&t, &qv) in q_cols.iter().zip(q_vals) {
        let (rows, vals) = by_term.row(t as usize);
        for (&j, &w) in rows.iter().zip(vals) {
            let j_us = j as usize;
            if !seen[j_us] {
                seen[j_us] = true;
                touched.push(j);
            }
            scores[j_us] += qv * w;
        }
    }
}

/// Adds `sum_t q_t * m_jt` to `scores[j]` for a sparse query `q` through `by_term` (the
/// transpose of `m`), for a caller that reads every score afterwards (no bookkeeping of which
/// rows were touched).
pub(crate) fn accumulate_dense(by_term: &Csr, q_cols: &[u32], q_vals: &[f32], scores: &mut [f32]) {
    for (&t, &qv) in q_cols.iter().zip(q_vals) {
        let (rows, vals) = by_term.row(t as usize);
        for (&j, &w) in rows.iter().zip(vals) {
            scores[j as usize] += qv * w;
        }
    }
}

/// Rows per parallel block of [`top_k_cosine`].
const ROW_BLOCK: usize = 256;

/// For every row of `m`, its `k` nearest rows by cosine similarity (itself included, as
/// scikit-learn's `cosine_similarity` would rank it), best first. Only rows sharing at least one
/// column with it are candidates. Parallel over blocks of rows; memory is one score buffer per
/// thread, never the rows x rows product.
pub fn top_k_cosine(m: &Csr, k: usize) -> Vec<Vec<(u32, f32)>> {
    let unit = l2_normalized(m);
    let by_term = unit.transpose();
    let n = unit.nrows();
    let rows: Vec<usize> = (0..n).collect();
    rows.par_chunks(ROW_BLOCK)
        .map_init(
            || (vec![0f32; n], vec![false; n], Vec::new()),
            |(scores, seen, touched): &mut (Vec<f32>, Vec<bool>, Vec<u32>), block| {
                block
                    .iter()
                    .map(|&r| {
                        let (cols, vals) = unit.row(r);
                        accumulate(&by_term, cols, vals, scores, seen, touched);
                        let best = top_k(touched.iter().map(|&j| (j, scores[j as usize])), k);
                        for &j in touched.iter() {
                            scores[j as usize] = 0.0;
                            seen[j as usize] = false;
                        }
                        touched.clear();
                        best
                    })
                    .collect::<Vec<_>>()
            },
        )
        .flatten_iter()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neighbours_match_a_dense_computation() {
        // 4 rows over 3 columns
        let m = Csr::from_raw(
            4,
            3,
            vec![0, 2, 3, 5, 6],
            vec![0, 1, 1, 0, 2, 2],
            vec![1.0, 1.0, 2.0, 3.0, 4.0, 1.0],
        )
        .unwrap();
        let got = top_k_cosine(&m, 4);
        let dense = |r: usize| {
            let mut v = [0f64; 3];
            let (c, x) = m.row(r);
            for (&c, &x) in c.iter().zip(x) {
                v[c as usize] = x as f64;
            }
            v
        };
        let cos = |a: [f64; 3], b: [f64; 3]| {
            let d: f64 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            d / (a.iter().map(|x| x * x).sum::<f64>().sqrt()
                * b.iter().map(|x| x * x).sum::<f64>().sqrt())
        };
        for (r, neighbours) in got.iter().enumerate() {
            assert_eq!(
                neighbours[0].0, r as u32,
                "a row is its own nearest neighbour"
            );
            for &(j, s) in neighbours {
                assert!((s as f64 - cos(dense(r), dense(j as usize))).abs() < 1e-6);
            }
        }
        // row 1 (column 1 only) shares nothing with row 3 (column 2 only)
        assert!(got[1].iter().all(|p| p.0 != 3));
    }
}
