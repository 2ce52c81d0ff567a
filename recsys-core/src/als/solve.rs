//! The least-squares step of ALS: given the other side's factors `Y`, each row's vector `x`
//! minimizes `sum_i c_i (p_i - x.y_i)^2 + lambda |x|^2` over all items (p = 1 where observed,
//! c = 1 and p = 0 elsewhere). Its normal equations are
//! `(Y^T Y + lambda I + sum_obs (c_i - 1) y_i y_i^T) x = sum_obs c_i y_i`;
//! `Y^T Y + lambda I` is shared by every row and computed once per sweep.

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::factors::Factors;
use crate::linalg::{self, Avx512, Isa, Portable, axpy, dispatch_fma, dot, matvec};

use super::Solver;

/// `Y^T Y + lambda I`.
pub(crate) fn regularized_gram(other: &Factors, lambda: f32) -> Vec<f32> {
    let dim = other.dim();
    let mut g = linalg::gram(other.as_slice(), dim);
    for d in 0..dim {
        g[d * dim + d] += lambda;
    }
    g
}

/// One row's observed entries: indices into `other` and their confidences.
pub(crate) struct RowData<'a> {
    pub cols: &'a [u32],
    pub conf: &'a [f32],
}

/// Per-thread buffers of the row solvers.
#[derive(Default)]
pub(crate) struct Scratch {
    vecs: Vec<f32>,
    per_entry: Vec<f32>,
}

/// Conjugate-gradient refinement of `x` (warm start), `steps` iterations.
///
/// Each product with the row's sparse part is done as two gathered passes over the row's item
/// vectors (all dot products, then one weighted sum), which keeps the accumulators in registers.
#[inline(always)]
fn cg_row<I: Isa>(
    isa: I,
    x: &mut [f32],
    other: &Factors,
    gram: &[f32],
    row: &RowData<'_>,
    steps: usize,
    scratch: &mut Scratch,
) {
    let dim = x.len();
    let data = other.as_slice();
    let n = row.cols.len();
    scratch.vecs.resize(3 * dim, 0.0);
    scratch.per_entry.resize(n, 0.0);
    let (r, rest) = scratch.vecs.split_at_mut(dim);
    let (p, ap) = rest.split_at_mut(dim);
    let w = &mut scratch.per_entry[..n];
    // r = b - A x = -G x + sum_obs (c - (c - 1) y.x) y
    matvec(isa, gram, x, r);
    for v in r.iter_mut() {
        *v = -*v;
    }
    linalg::gathered_dots(isa, data, row.cols, x, w);
    for (wk, &c) in w.iter_mut().zip(row.conf) {
        *wk = c - (c - 1.0) * *wk;
    }
    linalg::gathered_weighted_sum(isa, data, row.cols, w, r);
    p.copy_from_slice(r);
    let mut rs_old = dot(isa, r, r);
    if rs_old < 1e-20 {
        return;
    }
    for _ in 0..steps {
        // Ap = G p + sum_obs (c - 1) (y.p) y
        matvec(isa, gram, p, ap);
        linalg::gathered_dots(isa, data, row.cols, p, w);
        for (wk, &c) in w.iter_mut().zip(row.conf) {
            *wk *= c - 1.0;
        }
        linalg::gathered_weighted_sum(isa, data, row.cols, w, ap);
        let p_ap = dot(isa, p, ap);
        if p_ap <= 0.0 || p_ap.is_nan() {
            break;
        }
        let alpha = rs_old / p_ap;
        axpy(isa, alpha, p, x);
        axpy(isa, -alpha, ap, r);
        let rs_new = dot(isa, r, r);
        if rs_new < 1e-20 {
            break;
        }
        let beta = rs_new / rs_old;
        for (pi, &ri) in p.iter_mut().zip(r.iter()) {
            *pi = ri + beta * *pi;
        }
        rs_old = rs_new;
    }
}
dispatch_fma!(fn cg_row_dispatch(x: &mut [f32], other: &Factors, gram: &[f32], row: &RowData<'_>, steps: usize, scratch: &mut Scratch) -> () => cg_row);

/// Exact solve of the row's normal equations into `x`. Err(pivot) when the system is not
/// positive definite.
#[inline(always)]
fn exact_row<I: Isa>(
    isa: I,
    x: &mut [f32],
    other: &Factors,
    gram: &[f32],
    row: &RowData<'_>,
    scratch: &mut Scratch,
) -> Result<(), usize> {
    // b = sum_obs c y
    x.fill(0.0);
    linalg::gathered_weighted_sum(isa, other.as_slice(), row.cols, row.conf, x);
    solve_normal(isa, x, other, gram, row, scratch)
}

/// Solves `A x = rhs` in place (`x` holds `rhs` on entry) for the row's normal-equation matrix
/// `A = G + sum_obs (c - 1) y y^T`. Err(pivot) when `A` is not positive definite.
#[inline(always)]
fn solve_normal<I: Isa>(
    isa: I,
    x: &mut [f32],
    other: &Factors,
    gram: &[f32],
    row: &RowData<'_>,
    scratch: &mut Scratch,
) -> Result<(), usize> {
    let dim = x.len();
    let data = other.as_slice();
    let n = row.cols.len();
    scratch.vecs.resize(dim * dim, 0.0);
    scratch.per_entry.resize(n, 0.0);
    let a = &mut scratch.vecs[..dim * dim];
    let w = &mut scratch.per_entry[..n];
    // one row of A at a time: A[r] += sum_k ((c_k - 1) y_k[r]) y_k
    a.copy_from_slice(gram);
    for (r, a_row) in a.chunks_exact_mut(dim).enumerate() {
        for ((wk, &i), &c) in w.iter_mut().zip(row.cols).zip(row.conf) {
            *wk = (c - 1.0) * data[i as usize * dim + r];
        }
        linalg::gathered_weighted_sum(isa, data, row.cols, w, a_row);
    }
    linalg::cholesky_solve(isa, a, x)
}
dispatch_fma!(pub(crate) fn solve_normal_dispatch(x: &mut [f32], other: &Factors, gram: &[f32], row: &RowData<'_>, scratch: &mut Scratch) -> Result<(), usize> => solve_normal);

/// `conf_k * (y_k . x)` for every observed entry `k` of `row`: how much each entry contributes
/// to a score `y . x` of a row solved from them (explain's shares).
#[inline(always)]
fn weighted_dots<I: Isa>(isa: I, other: &Factors, row: &RowData<'_>, x: &[f32], out: &mut [f32]) {
    linalg::gathered_dots(isa, other.as_slice(), row.cols, x, out);
    for (o, &c) in out.iter_mut().zip(row.conf) {
        *o *= c;
    }
}
dispatch_fma!(pub(crate) fn weighted_dots_dispatch(other: &Factors, row: &RowData<'_>, x: &[f32], out: &mut [f32]) -> () => weighted_dots);

dispatch_fma!(pub(crate) fn exact_row_dispatch(x: &mut [f32], other: &Factors, gram: &[f32], row: &RowData<'_>, scratch: &mut Scratch) -> Result<(), usize> => exact_row);

/// Recomputes every row of `target` from `other` (a half-sweep of ALS), in parallel.
/// `indptr`/`cols`/`conf` give each target row's observed entries in CSR form.
pub(crate) fn solve_all(
    target: &mut Factors,
    other: &Factors,
    gram: &[f32],
    indptr: &[usize],
    cols: &[u32],
    conf: &[f32],
    solver: Solver,
) -> Result<()> {
    let dim = target.dim();
    let wide = Avx512::get();
    target
        .as_mut_slice()
        .par_chunks_mut(dim)
        .enumerate()
        .try_for_each_init(Scratch::default, |scratch, (u, x)| {
            let (s, e) = (indptr[u], indptr[u + 1]);
            if s == e {
                // nothing observed: every p_ui is 0, so x = 0 minimizes the row's loss exactly
                // (and uniquely for lambda > 0); iterating from the previous x would leave a
                // row nobody interacted with near its random start, similar to everything
                x.fill(0.0);
                return Ok(());
            }
            let row = RowData {
                cols: &cols[s..e],
                conf: &conf[s..e],
            };
            match solver {
                Solver::ConjugateGradient { steps } => {
                    if let Some(token) = wide
                        && linalg::cg_row_avx512(
                            token,
                            x,
                            other.as_slice(),
                            gram,
                            row.cols,
                            row.conf,
                            steps,
                        )
                    {
                        return Ok(());
                    }
                    cg_row_dispatch(x, other, gram, &row, steps, scratch);
                    Ok(())
                }
                Solver::Cholesky => exact_row_dispatch(x, other, gram, &row, scratch)
                    .map_err(|pivot| Error::NotPositiveDefinite(format!("row {u}, pivot {pivot}"))),
            }
        })
}

/// Rows per block of the loss sum; fixed so the summation order does not depend on threads.
const LOSS_BLOCK: usize = 1024;

/// The training loss as `implicit` reports it:
/// `(sum_{u,i} c_ui (p_ui - x_u.y_i)^2 + lambda (sum |x_u|^2 + sum |y_i|^2)) /
///  (sum_obs c_ui + n_users * n_items - nnz)`.
pub(crate) fn training_loss(
    users: &Factors,
    items: &Factors,
    indptr: &[usize],
    cols: &[u32],
    conf: &[f32],
    lambda: f32,
) -> f64 {
    let dim = users.dim();
    let yty = linalg::gram(items.as_slice(), dim);
    let partial: Vec<(f64, f64, f64)> = (0..users.rows())
        .collect::<Vec<_>>()
        .par_chunks(LOSS_BLOCK)
        .map(|block| {
            let mut gx = vec![0f32; dim];
            let (mut loss, mut total_conf, mut norm) = (0f64, 0f64, 0f64);
            for &u in block {
                let x = users.row(u);
                matvec(Portable, &yty, x, &mut gx);
                // every item as if unobserved: sum_i (x.y_i)^2 = x^T Y^T Y x
                loss += dot(Portable, x, &gx) as f64;
                for k in indptr[u]..indptr[u + 1] {
                    let c = conf[k] as f64;
                    let s = dot(Portable, x, items.row(cols[k] as usize)) as f64;
                    loss += c * (1.0 - s) * (1.0 - s) - s * s;
                    total_conf += c;
                }
                norm += dot(Portable, x, x) as f64;
            }
            (loss, total_conf, norm)
        })
        .collect();
    let (mut loss, mut total_conf, mut user_norm) = (0f64, 0f64, 0f64);
    for (l, c, n) in partial {
        loss += l;
        total_conf += c;
        user_norm += n;
    }
    let item_norm: f64 = items
        .as_slice()
        .iter()
        .map(|v| (*v as f64) * (*v as f64))
        .sum();
    loss += lambda as f64 * (user_norm + item_norm);
    let nnz = cols.len() as f64;
    let denom = total_conf + users.rows() as f64 * items.rows() as f64 - nnz;
    if denom > 0.0 { loss / denom } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64;

    fn close(a: &[f32], b: &[f32], tol: f32) -> bool {
        let scale = a.iter().map(|v| v.abs()).fold(1.0f32, f32::max);
        a.iter().zip(b).all(|(x, y)| (x - y).abs() <= tol * scale)
    }

    /// The portable, AVX2 and AVX-512 conjugate-gradient kernels give the same answer, and with
    /// as many steps as dimensions they reach the exact (Cholesky) solution.
    #[test]
    fn every_cg_kernel_agrees_and_converges_to_the_exact_solve() {
        let mut rng = SplitMix64::new(5);
        for dim in [8, 16, 24, 64, 128] {
            let other = Factors::uniform(50, dim, 1.0, &mut rng);
            let gram = regularized_gram(&other, 0.5);
            let cols = [3u32, 9, 17, 42, 49];
            let conf = [2.0f32, 1.0, 5.0, 3.5, 1.25];
            let row = RowData {
                cols: &cols,
                conf: &conf,
            };
            let x0: Vec<f32> = (0..dim).map(|_| rng.next_f32() * 0.01).collect();
            let mut scratch = Scratch::default();

            let mut portable = x0.clone();
            cg_row(
                Portable,
                &mut portable,
                &other,
                &gram,
                &row,
                3,
                &mut scratch,
            );
            let mut dispatched = x0.clone();
            cg_row_dispatch(&mut dispatched, &other, &gram, &row, 3, &mut scratch);
            assert!(close(&portable, &dispatched, 1e-4), "dim {dim}");
            if let Some(token) = Avx512::get() {
                let mut wide = x0.clone();
                assert_eq!(
                    linalg::cg_row_avx512(
                        token,
                        &mut wide,
                        other.as_slice(),
                        &gram,
                        &cols,
                        &conf,
                        3
                    ),
                    dim % 16 == 0
                );
                if dim % 16 == 0 {
                    assert!(close(&portable, &wide, 1e-4), "dim {dim}");
                }
            }

            let mut exact = vec![0f32; dim];
            exact_row_dispatch(&mut exact, &other, &gram, &row, &mut scratch).unwrap();
            let mut converged = x0.clone();
            cg_row(
                Portable,
                &mut converged,
                &other,
                &gram,
                &row,
                4 * dim,
                &mut scratch,
            );
            assert!(
                close(&exact, &converged, 1e-3),
                "dim {dim}: {exact:?} vs {converged:?}"
            );
        }
    }
}
