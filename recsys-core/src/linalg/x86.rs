//! Explicit AVX2 + FMA kernels: LLVM does not reliably vectorize reductions with `mul_add`.
//! Reached only through the portable kernels of `super` with an `Avx2Fma` token.

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
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
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
pub(crate) fn squared_distance(a: &[f32], b: &[f32]) -> f32 {
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
pub(crate) fn gathered_dots(data: &[f32], rows: &[u32], v: &[f32], out: &mut [f32]) {
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
                    unsafe { _mm_prefetch::<_MM_HINT_T0>(ahead.as_ptr().add(line) as *const i8) };
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
pub(crate) fn gathered_weighted_sum(data: &[f32], rows: &[u32], w: &[f32], out: &mut [f32]) {
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

/// `out[i] = G[i] . x` for the `out.len()` rows of `G` (each `x.len()` long), four rows at a
/// time so each chunk of `x` is loaded once per four.
#[inline]
#[target_feature(enable = "avx2,fma")]
pub(crate) fn matvec(g: &[f32], x: &[f32], out: &mut [f32]) {
    let n = x.len();
    let rows_total = out.len();
    assert!(g.len() >= rows_total * n);
    let px = x.as_ptr();
    let mut r = 0;
    while r + 4 <= rows_total {
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
    while r < rows_total {
        out[r] = dot(&g[r * n..(r + 1) * n], x);
        r += 1;
    }
}
