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

/// `a . b` over the shorter length.
#[inline(always)]
pub(crate) fn dot<const FMA: bool>(a: &[f32], b: &[f32]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if FMA {
        // SAFETY: `FMA = true` is only instantiated inside functions compiled for AVX2 + FMA
        // (see `dispatch_fma!`) or where the baseline target has them.
        return unsafe { x86::dot(a, b) };
    }
    dot_portable::<FMA>(a, b)
}

/// `a . b` with 16 independent accumulators (for targets without the explicit kernels).
#[inline(always)]
fn dot_portable<const FMA: bool>(a: &[f32], b: &[f32]) -> f32 {
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

/// `|a - b|^2` over the shorter length.
#[inline(always)]
pub(crate) fn squared_distance<const FMA: bool>(a: &[f32], b: &[f32]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if FMA {
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
pub(crate) fn axpy<const FMA: bool>(alpha: f32, x: &[f32], y: &mut [f32]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi = madd::<FMA>(alpha, *xi, *yi);
    }
}

/// `out = G x` for a row-major `n x n` matrix `G`.
#[inline(always)]
pub(crate) fn matvec<const FMA: bool>(g: &[f32], x: &[f32], out: &mut [f32]) {
    let n = x.len();
    #[cfg(target_arch = "x86_64")]
    if FMA {
        // SAFETY: as in `dot`.
        return unsafe { x86::matvec(g, x, out) };
    }
    for (i, o) in out.iter_mut().enumerate().take(n) {
        *o = dot::<FMA>(&g[i * n..(i + 1) * n], x);
    }
}

/// `out[k] = data[rows[k]] . v` where `data` is row-major with `v.len()` columns: the dot of a
/// vector with a gathered set of rows.
#[inline(always)]
pub(crate) fn gathered_dots<const FMA: bool>(
    data: &[f32],
    rows: &[u32],
    v: &[f32],
    out: &mut [f32],
) {
    #[cfg(target_arch = "x86_64")]
    if FMA {
        // SAFETY: as in `dot`.
        return unsafe { x86::gathered_dots(data, rows, v, out) };
    }
    let dim = v.len();
    for (o, &r) in out.iter_mut().zip(rows) {
        *o = dot::<FMA>(&data[r as usize * dim..][..dim], v);
    }
}

/// `out += sum_k w[k] * data[rows[k]]` where `data` is row-major with `out.len()` columns.
#[inline(always)]
pub(crate) fn gathered_weighted_sum<const FMA: bool>(
    data: &[f32],
    rows: &[u32],
    w: &[f32],
    out: &mut [f32],
) {
    #[cfg(target_arch = "x86_64")]
    if FMA {
        // SAFETY: as in `dot`.
        return unsafe { x86::gathered_weighted_sum(data, rows, w, out) };
    }
    let dim = out.len();
    for (&r, &wk) in rows.iter().zip(w) {
        axpy::<FMA>(wk, &data[r as usize * dim..][..dim], out);
    }
}

/// Explicit AVX2 + FMA kernels: LLVM does not reliably vectorize reductions with `mul_add`.
#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    #[inline]
    #[target_feature(enable = "avx2,fma")]
    fn hsum(v: __m256) -> f32 {
        let lo = _mm256_castps256_ps128(v);
        let hi = _mm256_extractf128_ps(v, 1);
        let s = _mm_add_ps(lo, hi);
        let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
        let s = _mm_add_ss(s, _mm_movehdup_ps(s));
        _mm_cvtss_f32(s)
    }

    #[inline]
    #[target_feature(enable = "avx2,fma")]
    pub(super) fn dot(a: &[f32], b: &[f32]) -> f32 {
        let n = a.len().min(b.len());
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        let mut acc = [_mm256_setzero_ps(); 4];
        let mut i = 0;
        // SAFETY (all loads): i + width <= n, the length of both slices.
        unsafe {
            while i + 32 <= n {
                for (k, acc) in acc.iter_mut().enumerate() {
                    let off = i + 8 * k;
                    *acc = _mm256_fmadd_ps(
                        _mm256_loadu_ps(pa.add(off)),
                        _mm256_loadu_ps(pb.add(off)),
                        *acc,
                    );
                }
                i += 32;
            }
            while i + 8 <= n {
                acc[0] = _mm256_fmadd_ps(
                    _mm256_loadu_ps(pa.add(i)),
                    _mm256_loadu_ps(pb.add(i)),
                    acc[0],
                );
                i += 8;
            }
        }
        let v = _mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3]));
        let mut s = hsum(v);
        while i < n {
            s = a[i].mul_add(b[i], s);
            i += 1;
        }
        s
    }

    #[inline]
    #[target_feature(enable = "avx2,fma")]
    pub(super) fn squared_distance(a: &[f32], b: &[f32]) -> f32 {
        let n = a.len().min(b.len());
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        let (mut acc0, mut acc1) = (_mm256_setzero_ps(), _mm256_setzero_ps());
        let mut i = 0;
        // SAFETY (all loads): i + width <= n, the length of both slices.
        unsafe {
            while i + 16 <= n {
                let d0 = _mm256_sub_ps(_mm256_loadu_ps(pa.add(i)), _mm256_loadu_ps(pb.add(i)));
                let d1 = _mm256_sub_ps(
                    _mm256_loadu_ps(pa.add(i + 8)),
                    _mm256_loadu_ps(pb.add(i + 8)),
                );
                acc0 = _mm256_fmadd_ps(d0, d0, acc0);
                acc1 = _mm256_fmadd_ps(d1, d1, acc1);
                i += 16;
            }
            if i + 8 <= n {
                let d0 = _mm256_sub_ps(_mm256_loadu_ps(pa.add(i)), _mm256_loadu_ps(pb.add(i)));
                acc0 = _mm256_fmadd_ps(d0, d0, acc0);
                i += 8;
            }
        }
        let mut s = hsum(_mm256_add_ps(acc0, acc1));
        while i < n {
            let d = a[i] - b[i];
            s = d.mul_add(d, s);
            i += 1;
        }
        s
    }

    /// See [`super::gathered_dots`]: four rows at a time, so each chunk of `v` is loaded once
    /// per four rows.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    pub(super) fn gathered_dots(data: &[f32], rows: &[u32], v: &[f32], out: &mut [f32]) {
        let dim = v.len();
        let pv = v.as_ptr();
        let n = rows.len().min(out.len());
        let mut k = 0;
        while k + 4 <= n {
            let r: [&[f32]; 4] = [0, 1, 2, 3].map(|j| &data[rows[k + j] as usize * dim..][..dim]);
            let p = r.map(<[f32]>::as_ptr);
            // The rows are scattered through memory: ask for the next group's lines now.
            for &next in rows.get(k + 4..k + 8).unwrap_or(&[]) {
                let start = next as usize * dim;
                if let Some(ahead) = data.get(start..start + dim) {
                    let mut line = 0;
                    while line < dim {
                        // SAFETY: `line < dim`, inside the row; prefetching has no other effect.
                        unsafe {
                            _mm_prefetch::<_MM_HINT_T0>(ahead.as_ptr().add(line) as *const i8)
                        };
                        line += 16;
                    }
                }
            }
            let mut acc = [_mm256_setzero_ps(); 4];
            let mut i = 0;
            // SAFETY: i + 8 <= dim, the length of `v` and of every row slice.
            unsafe {
                while i + 8 <= dim {
                    let xv = _mm256_loadu_ps(pv.add(i));
                    for j in 0..4 {
                        acc[j] = _mm256_fmadd_ps(_mm256_loadu_ps(p[j].add(i)), xv, acc[j]);
                    }
                    i += 8;
                }
            }
            for j in 0..4 {
                let mut s = hsum(acc[j]);
                for t in i..dim {
                    s = r[j][t].mul_add(v[t], s);
                }
                out[k + j] = s;
            }
            k += 4;
        }
        while k < n {
            out[k] = dot(&data[rows[k] as usize * dim..][..dim], v);
            k += 1;
        }
    }

    /// See [`super::gathered_weighted_sum`]: 32 columns at a time held in registers while all
    /// rows stream past, so `out` is loaded and stored once per 32 columns.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    pub(super) fn gathered_weighted_sum(data: &[f32], rows: &[u32], w: &[f32], out: &mut [f32]) {
        let dim = out.len();
        let n = rows.len().min(w.len());
        let row = |r: u32| data[r as usize * dim..][..dim].as_ptr();
        let (rows, w) = (&rows[..n], &w[..n]);
        let po = out.as_mut_ptr();
        let mut i = 0;
        // SAFETY (all loads and stores): offsets stay below `dim`, the length of `out` and of
        // every row slice.
        unsafe {
            while i + 32 <= dim {
                let (mut a0, mut a1) = (_mm256_loadu_ps(po.add(i)), _mm256_loadu_ps(po.add(i + 8)));
                let (mut a2, mut a3) = (
                    _mm256_loadu_ps(po.add(i + 16)),
                    _mm256_loadu_ps(po.add(i + 24)),
                );
                for (&r, &wk) in rows.iter().zip(w) {
                    let pr = row(r).add(i);
                    let wv = _mm256_set1_ps(wk);
                    a0 = _mm256_fmadd_ps(wv, _mm256_loadu_ps(pr), a0);
                    a1 = _mm256_fmadd_ps(wv, _mm256_loadu_ps(pr.add(8)), a1);
                    a2 = _mm256_fmadd_ps(wv, _mm256_loadu_ps(pr.add(16)), a2);
                    a3 = _mm256_fmadd_ps(wv, _mm256_loadu_ps(pr.add(24)), a3);
                }
                _mm256_storeu_ps(po.add(i), a0);
                _mm256_storeu_ps(po.add(i + 8), a1);
                _mm256_storeu_ps(po.add(i + 16), a2);
                _mm256_storeu_ps(po.add(i + 24), a3);
                i += 32;
            }
            while i + 8 <= dim {
                let mut a0 = _mm256_loadu_ps(po.add(i));
                for (&r, &wk) in rows.iter().zip(w) {
                    a0 = _mm256_fmadd_ps(_mm256_set1_ps(wk), _mm256_loadu_ps(row(r).add(i)), a0);
                }
                _mm256_storeu_ps(po.add(i), a0);
                i += 8;
            }
        }
        for t in i..dim {
            let mut s = out[t];
            for (&r, &wk) in rows.iter().zip(w) {
                s = wk.mul_add(data[r as usize * dim + t], s);
            }
            out[t] = s;
        }
    }

    /// `out[i] = G[i] . x`, four rows at a time so each chunk of `x` is loaded once per four.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    pub(super) fn matvec(g: &[f32], x: &[f32], out: &mut [f32]) {
        let n = x.len();
        assert!(g.len() >= n * n && out.len() >= n);
        let px = x.as_ptr();
        let mut r = 0;
        while r + 4 <= n {
            let rows = [r, r + 1, r + 2, r + 3].map(|row| g[row * n..].as_ptr());
            let mut acc = [_mm256_setzero_ps(); 4];
            let mut i = 0;
            // SAFETY: i + 8 <= n and each row pointer starts n valid floats.
            unsafe {
                while i + 8 <= n {
                    let xv = _mm256_loadu_ps(px.add(i));
                    for k in 0..4 {
                        acc[k] = _mm256_fmadd_ps(_mm256_loadu_ps(rows[k].add(i)), xv, acc[k]);
                    }
                    i += 8;
                }
            }
            for k in 0..4 {
                let row = &g[(r + k) * n..(r + k + 1) * n];
                let mut s = hsum(acc[k]);
                for j in i..n {
                    s = row[j].mul_add(x[j], s);
                }
                out[r + k] = s;
            }
            r += 4;
        }
        while r < n {
            out[r] = dot(&g[r * n..(r + 1) * n], x);
            r += 1;
        }
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
                if fma {
                    gathered_dots::<true>(&data, &rows, &v, &mut d);
                    gathered_weighted_sum::<true>(&data, &rows, &w, &mut acc);
                } else {
                    gathered_dots::<false>(&data, &rows, &v, &mut d);
                    gathered_weighted_sum::<false>(&data, &rows, &w, &mut acc);
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
                if fma {
                    matvec::<true>(&g, &v, &mut out)
                } else {
                    matvec::<false>(&g, &v, &mut out)
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
