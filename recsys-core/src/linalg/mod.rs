//! Dense f32 kernels for the hot loops, and the one place that decides which instruction set
//! they use.
//!
//! Every kernel takes an instruction-set value first (`isa`, of a type implementing [`Isa`]): the
//! portable [`Portable`], or a token such as [`Avx2Fma`] that only the run-time detection
//! ([`simd_level`], capped by `RECSYS_SIMD`) can create. So safe code cannot reach an AVX2 or
//! AVX-512 kernel on a CPU without those features: it would need a token it cannot make.
//! Callers compile their hot function twice with [`dispatch_fma!`], once inside
//! `#[target_feature(enable = "avx2,fma")]` with the token, once portable.
//!
//! Layout: `isa.rs` (levels, tokens, dispatch), `x86.rs` (AVX2 + FMA kernels), `avx512.rs`
//! (the AVX-512 conjugate-gradient row solve), `cholesky.rs`; the portable kernels and `gram`
//! here.

mod avx512;
mod cholesky;
mod isa;
#[cfg(target_arch = "x86_64")]
mod x86;

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};
use rayon::prelude::*;

pub(crate) use avx512::cg_row_avx512;
pub(crate) use cholesky::cholesky_solve;
pub(crate) use isa::{Avx2Fma, Avx512, Isa, Portable, dispatch_fma};
pub use isa::{SimdLevel, simd_level};

#[inline(always)]
pub(crate) fn madd<I: Isa>(a: f32, b: f32, c: f32) -> f32 {
    if I::FMA { a.mul_add(b, c) } else { a * b + c }
}

const LANES: usize = 16;

/// `a . b` over the shorter length.
#[inline(always)]
pub(crate) fn dot<I: Isa>(_isa: I, a: &[f32], b: &[f32]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if I::AVX2 {
        // SAFETY: `_isa` is a value of `I`. An `I` with AVX2 is an `Avx2Fma` token, which only the
        // run-time detection creates, or `Portable` in a build whose baseline has AVX2 and FMA.
        return unsafe { x86::dot(a, b) };
    }
    dot_portable::<I>(a, b)
}

/// `a . b` with 16 independent accumulators (for targets without the explicit kernels).
#[inline(always)]
fn dot_portable<I: Isa>(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0f32; LANES];
    let (ca, cb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for l in 0..LANES {
            acc[l] = madd::<I>(x[l], y[l], acc[l]);
        }
    }
    let mut tail = 0.0;
    for (x, y) in ra.iter().zip(rb) {
        tail = madd::<I>(*x, *y, tail);
    }
    for l in 0..LANES / 2 {
        acc[l] += acc[l + LANES / 2];
    }
    for l in 0..LANES / 4 {
        acc[l] += acc[l + LANES / 4];
    }
    (acc[0] + acc[2]) + (acc[1] + acc[3]) + tail
}

/// `|a - b|^2` over the shorter length.
#[inline(always)]
pub(crate) fn squared_distance<I: Isa>(_isa: I, a: &[f32], b: &[f32]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if I::AVX2 {
        // SAFETY: as in `dot`.
        return unsafe { x86::squared_distance(a, b) };
    }
    let mut lanes = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let mut tail = 0.0;
    for (x, y) in ca.remainder().iter().zip(cb.remainder()) {
        tail += (x - y) * (x - y);
    }
    for (x, y) in ca.zip(cb) {
        for l in 0..8 {
            let d = x[l] - y[l];
            lanes[l] += d * d;
        }
    }
    lanes.iter().sum::<f32>() + tail
}

/// `y += alpha * x`.
#[inline(always)]
pub(crate) fn axpy<I: Isa>(_isa: I, alpha: f32, x: &[f32], y: &mut [f32]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi = madd::<I>(alpha, *xi, *yi);
    }
}

/// `out = G x` for a row-major `G` of `out.len()` rows and `x.len()` columns (the Gram matrix
/// of a solve; a chunk of item vectors scored against one query).
#[inline(always)]
pub(crate) fn matvec<I: Isa>(isa: I, g: &[f32], x: &[f32], out: &mut [f32]) {
    let n = x.len();
    #[cfg(target_arch = "x86_64")]
    if I::AVX2 {
        // SAFETY: as in `dot`.
        return unsafe { x86::matvec(g, x, out) };
    }
    for (i, o) in out.iter_mut().enumerate() {
        *o = dot(isa, &g[i * n..(i + 1) * n], x);
    }
}

/// `out[k] = data[rows[k]] . v` where `data` is row-major with `v.len()` columns: the dot of a
/// vector with a gathered set of rows.
#[inline(always)]
pub(crate) fn gathered_dots<I: Isa>(
    isa: I,
    data: &[f32],
    rows: &[u32],
    v: &[f32],
    out: &mut [f32],
) {
    #[cfg(target_arch = "x86_64")]
    if I::AVX2 {
        // SAFETY: as in `dot`.
        return unsafe { x86::gathered_dots(data, rows, v, out) };
    }
    let dim = v.len();
    for (o, &r) in out.iter_mut().zip(rows) {
        *o = dot(isa, &data[r as usize * dim..][..dim], v);
    }
}

/// `out += sum_k w[k] * data[rows[k]]` where `data` is row-major with `out.len()` columns.
#[inline(always)]
pub(crate) fn gathered_weighted_sum<I: Isa>(
    isa: I,
    data: &[f32],
    rows: &[u32],
    w: &[f32],
    out: &mut [f32],
) {
    #[cfg(target_arch = "x86_64")]
    if I::AVX2 {
        // SAFETY: as in `dot`.
        return unsafe { x86::gathered_weighted_sum(data, rows, w, out) };
    }
    let dim = out.len();
    for (&r, &wk) in rows.iter().zip(w) {
        axpy(isa, wk, &data[r as usize * dim..][..dim], out);
    }
}

/// Rows per block in [`gram`]; fixed (not derived from the thread count) so that the summation
/// order, and therefore the result, is the same on every machine.
const GRAM_BLOCK: usize = 4096;

/// `F^T F` for a row-major `rows x dim` matrix, as a row-major `dim x dim` matrix; parallel over
/// fixed blocks of rows and summed in block order, so deterministic.
pub(crate) fn gram(data: &[f32], dim: usize) -> Vec<f32> {
    if dim == 0 {
        return Vec::new();
    }
    let partials: Vec<Vec<f32>> = data
        .par_chunks(GRAM_BLOCK * dim)
        .map(|block| {
            let rows = block.len() / dim;
            let f = MatRef::from_row_major_slice(block, rows, dim);
            let mut out = vec![0f32; dim * dim];
            let dst = MatMut::from_row_major_slice_mut(&mut out, dim, dim);
            matmul(dst, Accum::Replace, f.transpose(), f, 1.0f32, Par::Seq);
            out
        })
        .collect();
    let mut total = vec![0f32; dim * dim];
    for p in partials {
        for (t, v) in total.iter_mut().zip(p) {
            *t += v;
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f32, b: f32) -> bool {
        (a - b).abs() <= 1e-4 * (1.0 + a.abs().max(b.abs()))
    }

    #[test]
    fn dot_and_axpy_match_naive_for_all_tails() {
        for n in [0, 1, 7, 16, 17, 33, 64, 100] {
            let a: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin()).collect();
            let b: Vec<f32> = (0..n).map(|i| (i as f32 * 0.11).cos()).collect();
            let naive: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            assert!(close(dot(Portable, &a, &b), naive));
            if let Some(t) = Avx2Fma::get() {
                assert!(close(dot(t, &a, &b), naive));
            }
            let mut y = b.clone();
            axpy(Portable, 2.0, &a, &mut y);
            for i in 0..n {
                assert!(close(y[i], b[i] + 2.0 * a[i]));
            }
        }
    }

    #[test]
    fn gathered_kernels_match_naive() {
        for dim in [3, 8, 13, 32, 40, 64, 100] {
            let data: Vec<f32> = (0..10 * dim)
                .map(|i| ((i * 31 % 17) as f32 - 8.0) / 9.0)
                .collect();
            let rows = [9u32, 0, 4, 4, 7, 1];
            let v: Vec<f32> = (0..dim).map(|i| (i as f32 * 0.3).sin()).collect();
            let w = [0.5f32, -1.0, 2.0, 0.25, 1.5, -0.75];
            for fma in [false, true] {
                let mut d = [0f32; 6];
                let mut acc = vec![1f32; dim];
                let token = Avx2Fma::get();
                match (fma, token) {
                    (true, Some(t)) => {
                        gathered_dots(t, &data, &rows, &v, &mut d);
                        gathered_weighted_sum(t, &data, &rows, &w, &mut acc);
                    }
                    (true, None) => continue,
                    (false, _) => {
                        gathered_dots(Portable, &data, &rows, &v, &mut d);
                        gathered_weighted_sum(Portable, &data, &rows, &w, &mut acc);
                    }
                }
                for (k, &r) in rows.iter().enumerate() {
                    let row = &data[r as usize * dim..][..dim];
                    let naive: f32 = row.iter().zip(&v).map(|(a, b)| a * b).sum();
                    assert!(close(d[k], naive), "dim {dim} fma {fma}");
                }
                for t in 0..dim {
                    let naive: f32 = 1.0
                        + rows
                            .iter()
                            .zip(&w)
                            .map(|(&r, &wk)| wk * data[r as usize * dim + t])
                            .sum::<f32>();
                    assert!(close(acc[t], naive), "dim {dim} fma {fma}");
                }
                let mut out = vec![0f32; dim];
                let g: Vec<f32> = (0..dim * dim).map(|i| (i % 7) as f32 - 3.0).collect();
                match token.filter(|_| fma) {
                    Some(t) => matvec(t, &g, &v, &mut out),
                    None => matvec(Portable, &g, &v, &mut out),
                }
                for i in 0..dim {
                    let naive: f32 = (0..dim).map(|j| g[i * dim + j] * v[j]).sum();
                    assert!(close(out[i], naive));
                }
            }
        }
    }

    #[test]
    fn cholesky_solves_spd_system_and_rejects_indefinite() {
        // A = M M^T + I
        let n = 5;
        let m: Vec<f32> = (0..n * n).map(|i| ((i * 7 % 11) as f32) / 11.0).collect();
        let mut a = vec![0f32; n * n];
        for i in 0..n {
            for j in 0..n {
                a[i * n + j] = (0..n).map(|k| m[i * n + k] * m[j * n + k]).sum::<f32>()
                    + (i == j) as u8 as f32;
            }
        }
        let x_true: Vec<f32> = (0..n).map(|i| i as f32 - 2.0).collect();
        let mut b = vec![0f32; n];
        matvec(Portable, &a, &x_true, &mut b);
        let mut l = a.clone();
        cholesky_solve(Portable, &mut l, &mut b).unwrap();
        for i in 0..n {
            assert!(close(b[i], x_true[i]), "{b:?}");
        }
        let mut bad = vec![1.0, 2.0, 2.0, 1.0];
        assert_eq!(cholesky_solve(Portable, &mut bad, &mut [1.0, 1.0]), Err(1));
    }

    #[test]
    fn gram_matches_naive_across_blocks() {
        let dim = 3;
        let rows = GRAM_BLOCK + 5;
        let f: Vec<f32> = (0..rows * dim)
            .map(|i| ((i % 13) as f32 - 6.0) / 7.0)
            .collect();
        let g = gram(&f, dim);
        for a in 0..dim {
            for b in 0..dim {
                let naive: f64 = (0..rows)
                    .map(|r| f[r * dim + a] as f64 * f[r * dim + b] as f64)
                    .sum();
                assert!((g[a * dim + b] as f64 - naive).abs() < 1e-2 * (1.0 + naive.abs()));
            }
        }
    }
}
