//! Conjugate gradient of one ALS row with every vector held in AVX-512 registers, for factor
//! counts that are multiples of 16 up to 128: each item vector is loaded once per pass and used
//! for both its dot product and its update, where the generic path makes two passes.

use super::Avx512;

/// Runs the conjugate-gradient row solve (`steps` steps from `x`, for the rows `cols` of `data`
/// with confidences `conf` and the regularized Gram matrix `gram`) when `x.len()` is 16, 32, ...
/// or 128; returns false, doing nothing, for other lengths. The token proves the CPU has
/// AVX-512F.
pub(crate) fn cg_row_avx512(
    token: Avx512,
    x: &mut [f32],
    data: &[f32],
    gram: &[f32],
    cols: &[u32],
    conf: &[f32],
    steps: usize,
) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        kernel::cg_row(token, x, data, gram, cols, conf, steps)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (token, x, data, gram, cols, conf, steps);
        false
    }
}

#[cfg(target_arch = "x86_64")]
mod kernel {
    use std::arch::x86_64::*;

    use super::Avx512;

    pub(super) fn cg_row(
        _token: Avx512,
        x: &mut [f32],
        data: &[f32],
        gram: &[f32],
        cols: &[u32],
        conf: &[f32],
        steps: usize,
    ) -> bool {
        let n = cols.len().min(conf.len());
        let (cols, conf) = (&cols[..n], &conf[..n]);
        // SAFETY (every arm): the token proves the CPU has AVX-512F.
        unsafe {
            match x.len() {
                16 => cg::<1>(x, data, gram, cols, conf, steps),
                32 => cg::<2>(x, data, gram, cols, conf, steps),
                48 => cg::<3>(x, data, gram, cols, conf, steps),
                64 => cg::<4>(x, data, gram, cols, conf, steps),
                80 => cg::<5>(x, data, gram, cols, conf, steps),
                96 => cg::<6>(x, data, gram, cols, conf, steps),
                112 => cg::<7>(x, data, gram, cols, conf, steps),
                128 => cg::<8>(x, data, gram, cols, conf, steps),
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
        cols: &[u32],
        conf: &[f32],
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
        for (k, (&i, &c)) in cols.iter().zip(conf).enumerate() {
            prefetch_row(data, dim, cols.get(k + PREFETCH_AHEAD));
            let y = load::<V>(item(i));
            axpy::<V>(c - (c - 1.0) * dot::<V>(&y, &x), &y, &mut r);
        }
        let mut p = r;
        let mut rs_old = dot::<V>(&r, &r);
        if rs_old >= 1e-20 {
            for _ in 0..steps {
                // Ap = G p + sum_obs (c - 1) (y.p) y
                let mut ap = gram_times::<V>(gram, &p);
                for (&i, &c) in cols.iter().zip(conf) {
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
