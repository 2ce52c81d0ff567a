//! The least-squares step of ALS: given the other side's factors `Y`, each row's vector `x`
//! minimizes `sum_i c_i (p_i - x.y_i)^2 + lambda |x|^2` over all items (p = 1 where observed,
//! c = 1 and p = 0 elsewhere). Its normal equations are
//! `(Y^T Y + lambda I + sum_obs (c_i - 1) y_i y_i^T) x = sum_obs c_i y_i`;
//! `Y^T Y + lambda I` is shared by every row and computed once per sweep.

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::factors::Factors;
use crate::linalg::{self, axpy, dispatch_fma, dot, matvec};

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

/// Conjugate-gradient refinement of `x` (warm start), `steps` iterations; `scratch` is 3 * dim.
#[inline(always)]
fn cg_row<const FMA: bool>(
    x: &mut [f32],
    other: &Factors,
    gram: &[f32],
    row: &RowData<'_>,
    steps: usize,
    scratch: &mut [f32],
) {
    let dim = x.len();
    let (r, rest) = scratch.split_at_mut(dim);
    let (p, ap) = rest.split_at_mut(dim);
    // r = b - A x = -G x + sum_obs (c - (c - 1) y.x) y
    matvec::<FMA>(gram, x, r);
    for v in r.iter_mut() {
        *v = -*v;
    }
    for (&i, &c) in row.cols.iter().zip(row.conf) {
        let y = other.row(i as usize);
        let w = c - (c - 1.0) * dot::<FMA>(y, x);
        axpy::<FMA>(w, y, r);
    }
    p.copy_from_slice(r);
    let mut rs_old = dot::<FMA>(r, r);
    if rs_old < 1e-20 {
        return;
    }
    for _ in 0..steps {
        // Ap = G p + sum_obs (c - 1) (y.p) y
        matvec::<FMA>(gram, p, ap);
        for (&i, &c) in row.cols.iter().zip(row.conf) {
            if c != 1.0 {
                let y = other.row(i as usize);
                axpy::<FMA>((c - 1.0) * dot::<FMA>(y, p), y, ap);
            }
        }
        let p_ap = dot::<FMA>(p, ap);
        if p_ap <= 0.0 || p_ap.is_nan() {
            break;
        }
        let alpha = rs_old / p_ap;
        axpy::<FMA>(alpha, p, x);
        axpy::<FMA>(-alpha, ap, r);
        let rs_new = dot::<FMA>(r, r);
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
dispatch_fma!(fn cg_row_dispatch(x: &mut [f32], other: &Factors, gram: &[f32], row: &RowData<'_>, steps: usize, scratch: &mut [f32]) -> () => cg_row);

/// Exact solve of the row's normal equations into `x`; `a` is dim * dim scratch.
/// Err(pivot) when the system is not positive definite.
#[inline(always)]
fn exact_row<const FMA: bool>(
    x: &mut [f32],
    other: &Factors,
    gram: &[f32],
    row: &RowData<'_>,
    a: &mut [f32],
) -> Result<(), usize> {
    let dim = x.len();
    a.copy_from_slice(gram);
    x.fill(0.0);
    for (&i, &c) in row.cols.iter().zip(row.conf) {
        let y = other.row(i as usize);
        axpy::<FMA>(c, y, x);
        let w = c - 1.0;
        if w != 0.0 {
            // lower triangle only: A[r][..=r] += w * y[r] * y[..=r]
            for (r, &yr) in y.iter().enumerate() {
                axpy::<FMA>(w * yr, &y[..=r], &mut a[r * dim..r * dim + r + 1]);
            }
        }
    }
    linalg::cholesky_solve::<FMA>(a, x)
}
dispatch_fma!(pub(crate) fn exact_row_dispatch(x: &mut [f32], other: &Factors, gram: &[f32], row: &RowData<'_>, a: &mut [f32]) -> Result<(), usize> => exact_row);

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
    let scratch_len = match solver {
        Solver::ConjugateGradient { .. } => 3 * dim,
        Solver::Cholesky => dim * dim,
    };
    target
        .as_mut_slice()
        .par_chunks_mut(dim)
        .enumerate()
        .try_for_each_init(
            || vec![0f32; scratch_len],
            |scratch, (u, x)| {
                let (s, e) = (indptr[u], indptr[u + 1]);
                let row = RowData {
                    cols: &cols[s..e],
                    conf: &conf[s..e],
                };
                match solver {
                    Solver::ConjugateGradient { steps } => {
                        cg_row_dispatch(x, other, gram, &row, steps, scratch);
                        Ok(())
                    }
                    Solver::Cholesky => {
                        exact_row_dispatch(x, other, gram, &row, scratch).map_err(|pivot| {
                            Error::NotPositiveDefinite(format!("row {u}, pivot {pivot}"))
                        })
                    }
                }
            },
        )
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
                matvec::<false>(&yty, x, &mut gx);
                // every item as if unobserved: sum_i (x.y_i)^2 = x^T Y^T Y x
                loss += dot::<false>(x, &gx) as f64;
                for k in indptr[u]..indptr[u + 1] {
                    let c = conf[k] as f64;
                    let s = dot::<false>(x, items.row(cols[k] as usize)) as f64;
                    loss += c * (1.0 - s) * (1.0 - s) - s * s;
                    total_conf += c;
                }
                norm += dot::<false>(x, x) as f64;
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
