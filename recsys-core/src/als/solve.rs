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
fn cg_row<const FMA: bool>(
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
    matvec::<FMA>(gram, x, r);
    for v in r.iter_mut() {
        *v = -*v;
    }
    linalg::gathered_dots::<FMA>(data, row.cols, x, w);
    for (wk, &c) in w.iter_mut().zip(row.conf) {
        *wk = c - (c - 1.0) * *wk;
    }
    linalg::gathered_weighted_sum::<FMA>(data, row.cols, w, r);
    p.copy_from_slice(r);
    let mut rs_old = dot::<FMA>(r, r);
    if rs_old < 1e-20 {
        return;
    }
    for _ in 0..steps {
        // Ap = G p + sum_obs (c - 1) (y.p) y
        matvec::<FMA>(gram, p, ap);
        linalg::gathered_dots::<FMA>(data, row.cols, p, w);
        for (wk, &c) in w.iter_mut().zip(row.conf) {
            *wk *= c - 1.0;
        }
        linalg::gathered_weighted_sum::<FMA>(data, row.cols, w, ap);
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
dispatch_fma!(fn cg_row_dispatch(x: &mut [f32], other: &Factors, gram: &[f32], row: &RowData<'_>, steps: usize, scratch: &mut Scratch) -> () => cg_row);

/// Exact solve of the row's normal equations into `x`. Err(pivot) when the system is not
/// positive definite.
#[inline(always)]
fn exact_row<const FMA: bool>(
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
    // b = sum_obs c y
    x.fill(0.0);
    linalg::gathered_weighted_sum::<FMA>(data, row.cols, row.conf, x);
    // A = G + sum_obs (c - 1) y y^T, one row of A at a time: A[r] += sum_k ((c_k - 1) y_k[r]) y_k
    a.copy_from_slice(gram);
    for (r, a_row) in a.chunks_exact_mut(dim).enumerate() {
        for ((wk, &i), &c) in w.iter_mut().zip(row.cols).zip(row.conf) {
            *wk = (c - 1.0) * data[i as usize * dim + r];
        }
        linalg::gathered_weighted_sum::<FMA>(data, row.cols, w, a_row);
    }
    linalg::cholesky_solve::<FMA>(a, x)
}
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
    #[cfg(target_arch = "x86_64")]
    let wide = avx512::available();
    target
        .as_mut_slice()
        .par_chunks_mut(dim)
        .enumerate()
        .try_for_each_init(Scratch::default, |scratch, (u, x)| {
            let (s, e) = (indptr[u], indptr[u + 1]);
            let row = RowData {
                cols: &cols[s..e],
                conf: &conf[s..e],
            };
            match solver {
                Solver::ConjugateGradient { steps } => {
                    #[cfg(target_arch = "x86_64")]
                    if wide && avx512::cg_row(x, other.as_slice(), gram, &row, steps) {
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

/// Conjugate gradient with every vector of the row held in AVX-512 registers, for factor counts
/// that are multiples of 16 up to 128: each item vector is loaded once per pass and used for
/// both its dot product and its update, where the generic path makes two passes.
#[cfg(target_arch = "x86_64")]
pub(crate) mod avx512 {
    use std::arch::x86_64::*;

    use super::RowData;

    /// Whether the running CPU has AVX-512F.
    pub(crate) fn available() -> bool {
        std::arch::is_x86_feature_detected!("avx512f")
    }

    /// Runs `cg_row` for `dim = 16 * V` when `V` is 1..=8; returns false (doing nothing) for
    /// other dimensions. The caller must have checked [`available`].
    pub(crate) fn cg_row(
        x: &mut [f32],
        data: &[f32],
        gram: &[f32],
        row: &RowData<'_>,
        steps: usize,
    ) -> bool {
        // SAFETY (every arm): the caller checked that the CPU has AVX-512F.
        unsafe {
            match x.len() {
                16 => cg::<1>(x, data, gram, row, steps),
                32 => cg::<2>(x, data, gram, row, steps),
                48 => cg::<3>(x, data, gram, row, steps),
                64 => cg::<4>(x, data, gram, row, steps),
                80 => cg::<5>(x, data, gram, row, steps),
                96 => cg::<6>(x, data, gram, row, steps),
                112 => cg::<7>(x, data, gram, row, steps),
                128 => cg::<8>(x, data, gram, row, steps),
                _ => return false,
            }
        }
        true
    }

    type Vector<const V: usize> = [__m512; V];

    #[inline]
    #[target_feature(enable = "avx512f")]
    fn load<const V: usize>(s: &[f32]) -> Vector<V> {
        assert!(s.len() >= 16 * V);
        // SAFETY: 16 * V floats are in bounds (checked above).
        std::array::from_fn(|v| unsafe { _mm512_loadu_ps(s.as_ptr().add(16 * v)) })
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    fn dot<const V: usize>(a: &Vector<V>, b: &Vector<V>) -> f32 {
        let mut acc = _mm512_mul_ps(a[0], b[0]);
        for v in 1..V {
            acc = _mm512_fmadd_ps(a[v], b[v], acc);
        }
        _mm512_reduce_add_ps(acc)
    }

    /// `a += w * b`.
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn axpy<const V: usize>(w: f32, b: &Vector<V>, a: &mut Vector<V>) {
        let wv = _mm512_set1_ps(w);
        for v in 0..V {
            a[v] = _mm512_fmadd_ps(wv, b[v], a[v]);
        }
    }

    /// `G v` for the row-major `dim x dim` symmetric `gram`: the sum of its rows weighted by `v`.
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn gram_times<const V: usize>(gram: &[f32], v: &Vector<V>) -> Vector<V> {
        let dim = 16 * V;
        let mut lanes = [0f32; 128];
        for (k, chunk) in v.iter().enumerate() {
            // SAFETY: 16 * (k + 1) <= 128 floats.
            unsafe { _mm512_storeu_ps(lanes.as_mut_ptr().add(16 * k), *chunk) };
        }
        let mut acc = [_mm512_setzero_ps(); V];
        for (j, g_row) in gram.chunks_exact(dim).take(dim).enumerate() {
            let row = load::<V>(g_row);
            axpy::<V>(lanes[j], &row, &mut acc);
        }
        acc
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    fn prefetch_row(data: &[f32], dim: usize, item: Option<&u32>) {
        if let Some(&i) = item
            && let Some(row) = data.get(i as usize * dim..i as usize * dim + dim)
        {
            for line in (0..dim).step_by(16) {
                // SAFETY: `line < dim`, inside the row; prefetching has no other effect.
                unsafe { _mm_prefetch::<_MM_HINT_T0>(row.as_ptr().add(line) as *const i8) };
            }
        }
    }

    /// How far ahead of the current item the next rows are requested.
    const PREFETCH_AHEAD: usize = 4;

    #[target_feature(enable = "avx512f")]
    fn cg<const V: usize>(
        x_out: &mut [f32],
        data: &[f32],
        gram: &[f32],
        row: &RowData<'_>,
        steps: usize,
    ) {
        let dim = 16 * V;
        let item = |i: u32| &data[i as usize * dim..i as usize * dim + dim];
        let mut x = load::<V>(x_out);
        // r = b - A x = -G x + sum_obs (c - (c - 1) y.x) y
        let mut r = gram_times::<V>(gram, &x);
        for v in r.iter_mut() {
            *v = _mm512_sub_ps(_mm512_setzero_ps(), *v);
        }
        for (k, (&i, &c)) in row.cols.iter().zip(row.conf).enumerate() {
            prefetch_row(data, dim, row.cols.get(k + PREFETCH_AHEAD));
            let y = load::<V>(item(i));
            axpy::<V>(c - (c - 1.0) * dot::<V>(&y, &x), &y, &mut r);
        }
        let mut p = r;
        let mut rs_old = dot::<V>(&r, &r);
        if rs_old >= 1e-20 {
            for _ in 0..steps {
                // Ap = G p + sum_obs (c - 1) (y.p) y
                let mut ap = gram_times::<V>(gram, &p);
                for (&i, &c) in row.cols.iter().zip(row.conf) {
                    if c != 1.0 {
                        let y = load::<V>(item(i));
                        axpy::<V>((c - 1.0) * dot::<V>(&y, &p), &y, &mut ap);
                    }
                }
                let p_ap = dot::<V>(&p, &ap);
                if p_ap <= 0.0 || p_ap.is_nan() {
                    break;
                }
                let alpha = rs_old / p_ap;
                axpy::<V>(alpha, &p, &mut x);
                axpy::<V>(-alpha, &ap, &mut r);
                let rs_new = dot::<V>(&r, &r);
                if rs_new < 1e-20 {
                    break;
                }
                let beta = _mm512_set1_ps(rs_new / rs_old);
                for v in 0..V {
                    p[v] = _mm512_fmadd_ps(beta, p[v], r[v]);
                }
                rs_old = rs_new;
            }
        }
        for (v, chunk) in x.iter().enumerate() {
            // SAFETY: x_out holds dim = 16 * V floats.
            unsafe { _mm512_storeu_ps(x_out.as_mut_ptr().add(16 * v), *chunk) };
        }
    }
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
            cg_row::<false>(&mut portable, &other, &gram, &row, 3, &mut scratch);
            let mut dispatched = x0.clone();
            cg_row_dispatch(&mut dispatched, &other, &gram, &row, 3, &mut scratch);
            assert!(close(&portable, &dispatched, 1e-4), "dim {dim}");
            #[cfg(target_arch = "x86_64")]
            if avx512::available() {
                let mut wide = x0.clone();
                assert_eq!(
                    avx512::cg_row(&mut wide, other.as_slice(), &gram, &row, 3),
                    dim % 16 == 0
                );
                if dim % 16 == 0 {
                    assert!(close(&portable, &wide, 1e-4), "dim {dim}");
                }
            }

            let mut exact = vec![0f32; dim];
            exact_row_dispatch(&mut exact, &other, &gram, &row, &mut scratch).unwrap();
            let mut converged = x0.clone();
            cg_row::<false>(&mut converged, &other, &gram, &row, 4 * dim, &mut scratch);
            assert!(
                close(&exact, &converged, 1e-3),
                "dim {dim}: {exact:?} vs {converged:?}"
            );
        }
    }
}
