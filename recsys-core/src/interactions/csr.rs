//! Compressed sparse rows: the storage behind [`Interactions`](super::Interactions).

use serde::{Deserialize, Serialize};

/// A sparse matrix in CSR form with sorted, unique column indices per row.
///
/// Decoding (a model file) checks every invariant, so a damaged or crafted file is an error,
/// never a matrix whose `row` panics.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "StoredCsr")]
pub struct Csr {
    nrows: usize,
    ncols: usize,
    indptr: Vec<usize>,
    indices: Vec<u32>,
    values: Vec<f32>,
}

/// The fields of a [`Csr`] as a file holds them, before they are checked.
#[derive(Deserialize)]
struct StoredCsr {
    nrows: usize,
    ncols: usize,
    indptr: Vec<usize>,
    indices: Vec<u32>,
    values: Vec<f32>,
}

impl TryFrom<StoredCsr> for Csr {
    type Error = String;

    fn try_from(s: StoredCsr) -> Result<Self, String> {
        check_parts(s.nrows, s.ncols, &s.indptr, &s.indices, &s.values)?;
        // a file holds rows as they were written: sorted, without repeats
        for r in 0..s.nrows {
            let row = &s.indices[s.indptr[r]..s.indptr[r + 1]];
            if !row.windows(2).all(|w| w[0] < w[1]) {
                return Err(format!("row {r} has unsorted or repeated columns"));
            }
        }
        Ok(Csr {
            nrows: s.nrows,
            ncols: s.ncols,
            indptr: s.indptr,
            indices: s.indices,
            values: s.values,
        })
    }
}

/// The shape checks every CSR matrix passes: offsets that cover the entries in order, and
/// column indices inside the width.
fn check_parts(
    nrows: usize,
    ncols: usize,
    indptr: &[usize],
    indices: &[u32],
    values: &[f32],
) -> Result<(), String> {
    if nrows.checked_add(1) != Some(indptr.len()) {
        return Err(format!(
            "indptr has {} entries, expected nrows + 1 = {}",
            indptr.len(),
            nrows.saturating_add(1)
        ));
    }
    if indices.len() != values.len() {
        return Err(format!(
            "{} indices but {} values",
            indices.len(),
            values.len()
        ));
    }
    if indptr[0] != 0 || indptr[nrows] != indices.len() {
        return Err(format!(
            "indptr must start at 0 and end at nnz = {}, got {}..{}",
            indices.len(),
            indptr[0],
            indptr[nrows]
        ));
    }
    if let Some(r) = indptr.windows(2).position(|w| w[0] > w[1]) {
        return Err(format!("indptr decreases at row {r}"));
    }
    if let Some(&c) = indices.iter().find(|&&c| c as usize >= ncols) {
        return Err(format!("column index {c} out of range for {ncols} columns"));
    }
    Ok(())
}

impl Csr {
    /// An all-zero matrix.
    pub fn empty(nrows: usize, ncols: usize) -> Self {
        Csr {
            nrows,
            ncols,
            indptr: vec![0; nrows + 1],
            indices: Vec::new(),
            values: Vec::new(),
        }
    }

    /// Builds from coordinates; duplicate `(row, col)` pairs are summed. Indices must be in range
    /// (callers validate).
    pub(crate) fn from_coo(
        nrows: usize,
        ncols: usize,
        rows: &[u32],
        cols: &[u32],
        vals: &[f32],
    ) -> Self {
        debug_assert!(rows.len() == cols.len() && cols.len() == vals.len());
        let mut indptr = vec![0usize; nrows + 1];
        for &r in rows {
            indptr[r as usize + 1] += 1;
        }
        for i in 0..nrows {
            indptr[i + 1] += indptr[i];
        }
        let mut next = indptr.clone();
        let mut indices = vec![0u32; rows.len()];
        let mut values = vec![0f32; rows.len()];
        for ((&r, &c), &v) in rows.iter().zip(cols).zip(vals) {
            let at = &mut next[r as usize];
            indices[*at] = c;
            values[*at] = v;
            *at += 1;
        }
        let mut m = Csr {
            nrows,
            ncols,
            indptr,
            indices,
            values,
        };
        m.sort_and_sum_rows();
        m
    }

    /// Sorts each row by column and sums duplicates, compacting in place.
    fn sort_and_sum_rows(&mut self) {
        let mut pairs: Vec<(u32, f32)> = Vec::new();
        let mut write = 0usize;
        let mut start = self.indptr[0];
        for r in 0..self.nrows {
            let end = self.indptr[r + 1];
            let row_sorted = self.indices[start..end].windows(2).all(|w| w[0] < w[1]);
            self.indptr[r] = write;
            if row_sorted {
                self.indices.copy_within(start..end, write);
                self.values.copy_within(start..end, write);
                write += end - start;
            } else {
                pairs.clear();
                pairs.extend(
                    self.indices[start..end]
                        .iter()
                        .copied()
                        .zip(self.values[start..end].iter().copied()),
                );
                pairs.sort_by_key(|p| p.0);
                for &(c, v) in &pairs {
                    if write > self.indptr[r] && self.indices[write - 1] == c {
                        self.values[write - 1] += v;
                    } else {
                        self.indices[write] = c;
                        self.values[write] = v;
                        write += 1;
                    }
                }
            }
            start = end;
        }
        self.indptr[self.nrows] = write;
        self.indices.truncate(write);
        self.values.truncate(write);
    }

    /// Builds from raw CSR arrays, validating everything.
    pub(crate) fn from_raw(
        nrows: usize,
        ncols: usize,
        indptr: Vec<usize>,
        indices: Vec<u32>,
        values: Vec<f32>,
    ) -> Result<Self, String> {
        check_parts(nrows, ncols, &indptr, &indices, &values)?;
        let mut m = Csr {
            nrows,
            ncols,
            indptr,
            indices,
            values,
        };
        m.sort_and_sum_rows();
        Ok(m)
    }

    /// Number of rows.
    pub fn nrows(&self) -> usize {
        self.nrows
    }
    /// Number of columns.
    pub fn ncols(&self) -> usize {
        self.ncols
    }
    /// Number of stored entries.
    pub fn nnz(&self) -> usize {
        self.indices.len()
    }
    /// Row offsets (`nrows + 1` entries).
    pub fn indptr(&self) -> &[usize] {
        &self.indptr
    }
    /// Column index of every entry.
    pub fn indices(&self) -> &[u32] {
        &self.indices
    }
    /// Value of every entry.
    pub fn values(&self) -> &[f32] {
        &self.values
    }

    /// Column indices and values of row `r`.
    pub fn row(&self, r: usize) -> (&[u32], &[f32]) {
        let (s, e) = (self.indptr[r], self.indptr[r + 1]);
        (&self.indices[s..e], &self.values[s..e])
    }

    /// The transpose, also with sorted rows (a counting sort by column).
    pub fn transpose(&self) -> Csr {
        let mut indptr = vec![0usize; self.ncols + 1];
        for &c in &self.indices {
            indptr[c as usize + 1] += 1;
        }
        for i in 0..self.ncols {
            indptr[i + 1] += indptr[i];
        }
        let mut next = indptr.clone();
        let mut indices = vec![0u32; self.nnz()];
        let mut values = vec![0f32; self.nnz()];
        for r in 0..self.nrows {
            let (cols, vals) = self.row(r);
            for (&c, &v) in cols.iter().zip(vals) {
                let at = &mut next[c as usize];
                indices[*at] = r as u32;
                values[*at] = v;
                *at += 1;
            }
        }
        Csr {
            nrows: self.ncols,
            ncols: self.nrows,
            indptr,
            indices,
            values,
        }
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.indptr.capacity() * 8 + self.indices.capacity() * 4 + self.values.capacity() * 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coo_sums_duplicates_and_sorts() {
        let m = Csr::from_coo(2, 3, &[1, 0, 1, 1], &[2, 1, 0, 2], &[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(m.row(0), (&[1u32][..], &[2.0f32][..]));
        assert_eq!(m.row(1), (&[0u32, 2][..], &[3.0f32, 5.0][..]));
        assert_eq!(m.nnz(), 3);
        let t = m.transpose();
        assert_eq!(t.row(2), (&[1u32][..], &[5.0f32][..]));
        assert_eq!(t.transpose(), m);
    }

    #[test]
    fn raw_arrays_are_validated() {
        assert!(Csr::from_raw(2, 2, vec![0, 1], vec![0], vec![1.0]).is_err());
        assert!(Csr::from_raw(1, 2, vec![0, 1], vec![5], vec![1.0]).is_err());
        assert!(Csr::from_raw(2, 2, vec![0, 2, 1], vec![0, 1], vec![1.0, 1.0]).is_err());
        let m = Csr::from_raw(1, 3, vec![0, 3], vec![2, 0, 2], vec![1.0, 1.0, 1.0]).unwrap();
        assert_eq!(m.row(0), (&[0u32, 2][..], &[1.0f32, 2.0][..]));
    }
}
