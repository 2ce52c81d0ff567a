//! Dense f32 kernels for the hot loops, written so the compiler vectorizes them.
//!
//! Each kernel is generic over `FMA`: with `true` it uses fused multiply-add (`mul_add`), which
//! compiles to one instruction where the target has it and to a slow libm call where it does not.
//! Callers therefore compile their hot function twice, once inside
//! `#[target_feature(enable = "avx2,fma")]`, and pick one at run time with [`simd_level`].

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};
use rayon::prelude::*;

/// Whether the running CPU has AVX2 and FMA (checked once, cached by std).
#[inline]
pub(crate) fn has_avx2_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Whether plain (non-dispatched) code may use `mul_add`: true where FMA is part of the baseline.
pub(crate) const BASELINE_FMA: bool = cfg!(target_arch = "aarch64") || cfg!(target_feature = "fma");

/// Generates `$name(args)`: calls `$body::<true>` compiled for AVX2+FMA when the CPU has them,
/// else `$body::<BASELINE_FMA>`.
macro_rules! dispatch_fma {
    ($vis:vis fn $name:ident($($arg:ident : $ty:ty),* $(,)?) -> $ret:ty => $body:ident) => {
        $vis fn $name($($arg: $ty),*) -> $ret {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2,fma")]
                fn fast($($arg: $ty),*) -> $ret {
                    $body::<true>($($arg),*)
                }
                if $crate::linalg::has_avx2_fma() {
                    // SAFETY: the CPU supports every feature `fast` was compiled for.
                    return unsafe { fast($($arg),*) };
                }
            }
            $body::<{ $crate::linalg::BASELINE_FMA }>($($arg),*)
        }
    };
}
pub(crate) use dispatch_fma;

#[inline(always)]
pub(crate) fn madd<const FMA: bool>(a: f32, b: f32, c: f32) -> f32 {
    if FMA { a.mul_add(b, c) } else { a * b + c }
}

const LANES: usize = 16;

/// `a . b` over the shorter length, with 16 independent accumulators so it vectorizes.
#[inline(always)]
pub(crate) fn dot<const FMA: bool>(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0f32; LANES];
    let (ca, cb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for l in 0..LANES {
            acc[l] = madd::<FMA>(x[l], y[l], acc[l]);
        }
    }
    let mut tail = 0.0;
    for (x, y) in ra.iter().zip(rb) {
        tail = madd::<FMA>(*x, *y, tail);
    }
    for l in 0..LANES / 2 {
        acc[l] += acc[l + LANES / 2];
    }
    for l in 0..LANES / 4 {
        acc[l] += acc[l + LANES / 4];
    }
    (acc[0] + acc[2]) + (acc[1] + acc[3]) + tail
}

/// `y += alpha * x`.
#[inline(always)]
pub(crate) fn axpy<const FMA: bool>(alpha: f32, x: &[f32], y: &mut [f32]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi = madd::<FMA>(alpha, *xi, *yi);
    }
}

/// `out = G x` for a row-major `n x n` matrix `G` (any, symmetric in our uses).
#[inline(always)]
pub(crate) fn matvec<const FMA: bool>(g: &[f32], x: &[f32], out: &mut [f32]) {
    let n = x.len();
    out.fill(0.0);
    for (j, &xj) in x.iter().enumerate() {
        axpy::<FMA>(xj, &g[j * n..(j + 1) * n], out);
    }
}

/// Solves `A x = b` for symmetric positive definite `A` (row-major `n x n`; only the lower
/// triangle is read and it is overwritten by the Cholesky factor). `b` becomes `x`.
/// On failure returns the pivot that was not positive.
#[inline(always)]
pub(crate) fn cholesky_solve<const FMA: bool>(a: &mut [f32], b: &mut [f32]) -> Result<(), usize> {
    let n = b.len();
    for i in 0..n {
        let (done, rest) = a.split_at_mut(i * n);
        let row_i = &mut rest[..n];
        for j in 0..i {
            let row_j = &done[j * n..j * n + n];
            let s = dot::<FMA>(&row_i[..j], &row_j[..j]);
            row_i[j] = (row_i[j] - s) / row_j[j];
        }
        let d = row_i[i] - dot::<FMA>(&row_i[..i], &row_i[..i]);
        if !(d > 0.0 && d.is_finite()) {
            return Err(i);
        }
        row_i[i] = d.sqrt();
    }
    // forward: L y = b
    for i in 0..n {
        let row = &a[i * n..i * n + n];
        b[i] = (b[i] - dot::<FMA>(&row[..i], &b[..i])) / row[i];
    }
    // backward: L^T x = y, row-oriented so it reads L by rows
    for i in (0..n).rev() {
        let row = &a[i * n..i * n + n];
        let xi = b[i] / row[i];
        b[i] = xi;
        let (head, _) = b.split_at_mut(i);
        axpy::<FMA>(-xi, &row[..i], head);
    }
    Ok(())
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
            assert!(close(dot::<false>(&a, &b), naive));
            assert!(close(dot::<true>(&a, &b), naive));
            let mut y = b.clone();
            axpy::<false>(2.0, &a, &mut y);
            for i in 0..n {
                assert!(close(y[i], b[i] + 2.0 * a[i]));
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
        matvec::<false>(&a, &x_true, &mut b);
        let mut l = a.clone();
        cholesky_solve::<false>(&mut l, &mut b).unwrap();
        for i in 0..n {
            assert!(close(b[i], x_true[i]), "{b:?}");
        }
        let mut bad = vec![1.0, 2.0, 2.0, 1.0];
        assert_eq!(cholesky_solve::<false>(&mut bad, &mut [1.0, 1.0]), Err(1));
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
