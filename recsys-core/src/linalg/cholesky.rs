//! Cholesky factorization and solve of the small dense systems of the exact ALS solver.

use super::{Isa, axpy, dot};

/// Solves `A x = b` for symmetric positive definite `A` (row-major `n x n`; only the lower
/// triangle is read and it is overwritten by the Cholesky factor). `b` becomes `x`.
/// On failure returns the pivot that was not positive.
#[inline(always)]
pub(crate) fn cholesky_solve<I: Isa>(isa: I, a: &mut [f32], b: &mut [f32]) -> Result<(), usize> {
    let n = b.len();
    for i in 0..n {
        let (done, rest) = a.split_at_mut(i * n);
        let row_i = &mut rest[..n];
        for j in 0..i {
            let row_j = &done[j * n..j * n + n];
            let s = dot(isa, &row_i[..j], &row_j[..j]);
            row_i[j] = (row_i[j] - s) / row_j[j];
        }
        let d = row_i[i] - dot(isa, &row_i[..i], &row_i[..i]);
        if !(d > 0.0 && d.is_finite()) {
            return Err(i);
        }
        row_i[i] = d.sqrt();
    }
    // forward: L y = b
    for i in 0..n {
        let row = &a[i * n..i * n + n];
        b[i] = (b[i] - dot(isa, &row[..i], &b[..i])) / row[i];
    }
    // backward: L^T x = y, row-oriented so it reads L by rows
    for i in (0..n).rev() {
        let row = &a[i * n..i * n + n];
        let xi = b[i] / row[i];
        b[i] = xi;
        let (head, _) = b.split_at_mut(i);
        axpy(isa, -xi, &row[..i], head);
    }
    Ok(())
}
