//! User x item interaction data: the input every recommender trains on.
//!
//! [`Interactions`] is a sparse users x items matrix (CSR, with the item-major transpose built on
//! first use) plus the two [`IdMap`]s that translate the caller's ids to dense indices.
//! Duplicate `(user, item)` pairs are summed; NaN, infinite and negative values are rejected
//! with an error naming the row.

mod csr;
mod csv;

use std::sync::{Arc, OnceLock};

pub use csr::Csr;
pub use csv::{CsvOptions, Header};

use crate::error::{Error, Result};
use crate::ids::{Id, IdMap, MAX_IDS};

/// A users x items matrix of non-negative interaction strengths keyed by external ids.
#[derive(Clone, Debug)]
pub struct Interactions {
    users: Arc<IdMap>,
    items: Arc<IdMap>,
    by_user: Csr,
    by_item: OnceLock<Csr>,
}

fn check_value(row: usize, value: f32) -> Result<()> {
    if !value.is_finite() {
        return Err(Error::InvalidInput {
            row,
            reason: format!("value {value} is not a finite number"),
        });
    }
    if value < 0.0 {
        return Err(Error::InvalidInput {
            row,
            reason: format!("value {value} is negative; interaction strengths must be >= 0"),
        });
    }
    Ok(())
}

impl Interactions {
    /// Builds from `(user, item, value)` triples in the caller's ids.
    ///
    /// ```
    /// use recsys_core::{Id, Interactions};
    /// let data = Interactions::from_triples([("ann", "book", 1.0), ("bob", "book", 2.0)]).unwrap();
    /// assert_eq!((data.n_users(), data.n_items(), data.nnz()), (2, 1, 2));
    /// ```
    pub fn from_triples<U, I>(triples: impl IntoIterator<Item = (U, I, f32)>) -> Result<Self>
    where
        U: Into<Id>,
        I: Into<Id>,
    {
        let mut b = InteractionsBuilder::new();
        for (u, i, v) in triples {
            b.push(u, i, v)?;
        }
        Ok(b.build())
    }

    /// Builds from dense indices: user `users[k]` interacted with item `items[k]` with strength
    /// `values[k]`. The ids are the indices themselves (`0..n_users`, `0..n_items`).
    pub fn from_indices(
        n_users: usize,
        n_items: usize,
        users: &[u32],
        items: &[u32],
        values: &[f32],
    ) -> Result<Self> {
        if users.len() != items.len() || items.len() != values.len() {
            return Err(Error::Shape(format!(
                "users, items and values must have equal lengths, got {}, {} and {}",
                users.len(),
                items.len(),
                values.len()
            )));
        }
        check_dims(n_users, n_items)?;
        for (k, ((&u, &i), &v)) in users.iter().zip(items).zip(values).enumerate() {
            let row = k + 1;
            if u as usize >= n_users {
                return Err(Error::InvalidInput {
                    row,
                    reason: format!("user index {u} is out of range for {n_users} users"),
                });
            }
            if i as usize >= n_items {
                return Err(Error::InvalidInput {
                    row,
                    reason: format!("item index {i} is out of range for {n_items} items"),
                });
            }
            check_value(row, v)?;
        }
        Ok(Self::from_parts(
            Arc::new(IdMap::range(n_users)),
            Arc::new(IdMap::range(n_items)),
            Csr::from_coo(n_users, n_items, users, items, values),
        ))
    }

    /// Builds from raw CSR arrays (the layout of `scipy.sparse.csr_matrix`), ids `0..n`.
    pub fn from_csr_arrays(
        n_users: usize,
        n_items: usize,
        indptr: Vec<usize>,
        indices: Vec<u32>,
        values: Vec<f32>,
    ) -> Result<Self> {
        Self::from_csr_arrays_with_users(IdMap::range(n_users), n_items, indptr, indices, values)
    }

    /// Builds from raw CSR arrays whose rows belong to the users of `users`, in index order (row
    /// `r` is `users.id(r)`); items are `0..n_items`. This is how `implicit`-style callers pass
    /// "the rows of these users" without a matrix over every user.
    pub fn from_csr_arrays_with_users(
        users: IdMap,
        n_items: usize,
        indptr: Vec<usize>,
        indices: Vec<u32>,
        values: Vec<f32>,
    ) -> Result<Self> {
        let n_users = users.len();
        check_dims(n_users, n_items)?;
        for (k, &v) in values.iter().enumerate() {
            check_value(k + 1, v)?;
        }
        let csr = Csr::from_raw(n_users, n_items, indptr, indices, values).map_err(Error::Shape)?;
        Ok(Self::from_parts(
            Arc::new(users),
            Arc::new(IdMap::range(n_items)),
            csr,
        ))
    }

    /// Reads `user,item[,value]` rows; see [`CsvOptions`].
    pub fn from_csv(reader: impl std::io::BufRead, options: &CsvOptions) -> Result<Self> {
        csv::read(reader, options)
    }

    /// Reads a CSV file; see [`CsvOptions`].
    pub fn from_csv_path(path: impl AsRef<std::path::Path>, options: &CsvOptions) -> Result<Self> {
        let path = path.as_ref();
        let file = std::fs::File::open(path).map_err(|source| Error::Io {
            path: path.display().to_string(),
            source,
        })?;
        csv::read(std::io::BufReader::new(file), options)
    }

    /// Assembles from parts; `by_user` must be `users.len() x items.len()`.
    pub(crate) fn from_parts(users: Arc<IdMap>, items: Arc<IdMap>, by_user: Csr) -> Self {
        debug_assert_eq!(
            (by_user.nrows(), by_user.ncols()),
            (users.len(), items.len())
        );
        Interactions {
            users,
            items,
            by_user,
            by_item: OnceLock::new(),
        }
    }

    /// An interaction set with no entries over the given id maps.
    pub fn empty(users: Arc<IdMap>, items: Arc<IdMap>) -> Self {
        let csr = Csr::empty(users.len(), items.len());
        Self::from_parts(users, items, csr)
    }

    /// The user ids (row order).
    pub fn users(&self) -> &Arc<IdMap> {
        &self.users
    }
    /// The item ids (column order).
    pub fn items(&self) -> &Arc<IdMap> {
        &self.items
    }
    /// Number of users.
    pub fn n_users(&self) -> usize {
        self.users.len()
    }
    /// Number of items.
    pub fn n_items(&self) -> usize {
        self.items.len()
    }
    /// Number of distinct `(user, item)` pairs.
    pub fn nnz(&self) -> usize {
        self.by_user.nnz()
    }
    /// The matrix for export to sparse-matrix libraries (scipy's CSR, typed arrays): row `r` is
    /// the user `users().id(r)`, column `c` the item `items().id(c)`, the mirror of
    /// [`from_csr_arrays`](Self::from_csr_arrays). Its positions mean nothing without those two
    /// maps; to read data by id use [`user_items`](Self::user_items) or [`iter`](Self::iter).
    pub fn csr(&self) -> &Csr {
        &self.by_user
    }
    /// User-major matrix (rows are users' dense indices): the core's own view.
    pub(crate) fn by_user(&self) -> &Csr {
        &self.by_user
    }
    /// Item-major matrix (rows are items), built once on first use.
    pub(crate) fn by_item(&self) -> &Csr {
        self.by_item.get_or_init(|| self.by_user.transpose())
    }

    /// The same data with the roles swapped: items x users (rows are the items). What an
    /// item-major input (one row per item, columns are users) becomes to be read as users x
    /// items; both orientations are kept, so this copies without transposing.
    pub fn transposed(&self) -> Self {
        Interactions {
            users: self.items.clone(),
            items: self.users.clone(),
            by_user: self.by_item().clone(),
            by_item: OnceLock::from(self.by_user.clone()),
        }
    }

    /// The items (dense indices) and values of one user, by the caller's id.
    pub(crate) fn user_row(&self, user: &Id) -> Option<(&[u32], &[f32])> {
        self.users.index(user).map(|u| self.by_user.row(u as usize))
    }

    /// One user's items and values, in item-index order; `None` for a user the data does not
    /// know (a known user may have no items).
    ///
    /// ```
    /// use recsys_core::{Id, Interactions};
    /// let data = Interactions::from_triples([("ann", "book", 1.0), ("ann", "pen", 2.0)]).unwrap();
    /// let items: Vec<(Id, f32)> = data.user_items(&Id::from("ann")).unwrap().collect();
    /// assert_eq!(items, [(Id::from("book"), 1.0), (Id::from("pen"), 2.0)]);
    /// ```
    pub fn user_items(&self, user: &Id) -> Option<impl ExactSizeIterator<Item = (Id, f32)> + '_> {
        let (cols, vals) = self.user_row(user)?;
        Some(cols.iter().zip(vals).map(|(&c, &v)| (self.items.id(c), v)))
    }

    /// Every `(user, item, value)`, user by user.
    pub fn iter(&self) -> impl Iterator<Item = (Id, Id, f32)> + '_ {
        (0..self.by_user.nrows()).flat_map(move |r| {
            let user = self.users.id(r as u32);
            let (cols, vals) = self.by_user.row(r);
            cols.iter()
                .zip(vals)
                .map(move |(&c, &v)| (user.clone(), self.items.id(c), v))
        })
    }

    /// The position of the `(user, item)` entry in by-user order, if the pair is stored.
    pub(crate) fn entry(&self, user: &Id, item: &Id) -> Option<usize> {
        let u = self.users.index(user)? as usize;
        let i = self.items.index(item)?;
        let start = self.by_user.indptr()[u];
        let (cols, _) = self.by_user.row(u);
        cols.binary_search(&i).ok().map(|k| start + k)
    }

    /// The same data with every value replaced by `f(value)`; shares the id maps.
    pub fn map_values(&self, f: impl Fn(f32) -> f32) -> Self {
        let m = &self.by_user;
        let values = m.values().iter().map(|&v| f(v)).collect();
        let csr = Csr::from_raw(
            m.nrows(),
            m.ncols(),
            m.indptr().to_vec(),
            m.indices().to_vec(),
            values,
        )
        .expect("same structure as a valid matrix");
        Self::from_parts(self.users.clone(), self.items.clone(), csr)
    }

    /// Keeps only the entries for which `keep(value)` holds; shares the id maps.
    pub fn filter_values(&self, keep: impl Fn(f32) -> bool) -> Self {
        let m = &self.by_user;
        let mut indptr = Vec::with_capacity(m.nrows() + 1);
        let (mut indices, mut values) = (Vec::new(), Vec::new());
        indptr.push(0);
        for r in 0..m.nrows() {
            let (cols, vals) = m.row(r);
            for (&c, &v) in cols.iter().zip(vals) {
                if keep(v) {
                    indices.push(c);
                    values.push(v);
                }
            }
            indptr.push(indices.len());
        }
        let csr = Csr::from_raw(m.nrows(), m.ncols(), indptr, indices, values)
            .expect("a subset of a valid matrix");
        Self::from_parts(self.users.clone(), self.items.clone(), csr)
    }

    /// Heap bytes held by the matrices (the id maps are shared and not counted).
    pub fn heap_bytes(&self) -> usize {
        self.by_user.heap_bytes() + self.by_item.get().map_or(0, Csr::heap_bytes)
    }
}

fn check_dims(n_users: usize, n_items: usize) -> Result<()> {
    if n_users > MAX_IDS || n_items > MAX_IDS {
        return Err(Error::Shape(format!(
            "at most {MAX_IDS} users and items are supported, got {n_users} x {n_items}"
        )));
    }
    Ok(())
}

/// Collects triples one at a time; [`build`](Self::build) sums duplicates.
#[derive(Debug, Default)]
pub struct InteractionsBuilder {
    users: IdMap,
    items: IdMap,
    rows: Vec<u32>,
    cols: Vec<u32>,
    vals: Vec<f32>,
    pushed: usize,
}

impl InteractionsBuilder {
    /// An empty builder with fresh id maps.
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts from existing id maps so that the result shares their index space (ids already
    /// known keep their index; new ids are appended).
    pub fn with_id_maps(users: &IdMap, items: &IdMap) -> Self {
        InteractionsBuilder {
            users: users.clone(),
            items: items.clone(),
            ..Self::default()
        }
    }

    /// Adds one interaction. Errors name the 1-based position of the offending triple.
    pub fn push(&mut self, user: impl Into<Id>, item: impl Into<Id>, value: f32) -> Result<()> {
        self.pushed += 1;
        check_value(self.pushed, value)?;
        if self.users.len() >= MAX_IDS || self.items.len() >= MAX_IDS {
            return Err(Error::InvalidInput {
                row: self.pushed,
                reason: format!("more than {MAX_IDS} distinct users or items"),
            });
        }
        self.rows.push(self.users.insert(user.into()));
        self.cols.push(self.items.insert(item.into()));
        self.vals.push(value);
        Ok(())
    }

    /// Number of triples pushed so far.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True when nothing was pushed.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The finished matrix.
    pub fn build(self) -> Interactions {
        let csr = Csr::from_coo(
            self.users.len(),
            self.items.len(),
            &self.rows,
            &self.cols,
            &self.vals,
        );
        Interactions::from_parts(Arc::new(self.users), Arc::new(self.items), csr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_are_summed_and_ids_kept() {
        let d = Interactions::from_triples([("u1", 10, 1.0), ("u2", 10, 1.0), ("u1", 10, 2.5)])
            .unwrap();
        assert_eq!(d.nnz(), 2);
        let (items, vals) = d.user_row(&Id::from("u1")).unwrap();
        assert_eq!(d.items().id(items[0]), Id::Int(10));
        assert_eq!(vals, &[3.5]);
        assert_eq!(d.by_item().row(0).0.len(), 2);
    }

    #[test]
    fn data_is_read_by_id() {
        let d = Interactions::from_triples([("u2", "b", 1.0), ("u1", "a", 2.0), ("u2", "a", 3.0)])
            .unwrap();
        let u2: Vec<(Id, f32)> = d.user_items(&Id::from("u2")).unwrap().collect();
        assert_eq!(u2, [(Id::from("b"), 1.0), (Id::from("a"), 3.0)]);
        assert!(d.user_items(&Id::from("nobody")).is_none());
        let all: Vec<(Id, Id, f32)> = d.iter().collect();
        assert_eq!(all.len(), d.nnz());
        assert!(all.contains(&(Id::from("u1"), Id::from("a"), 2.0)));
        for (k, (u, i, v)) in all.iter().enumerate() {
            assert_eq!(d.entry(u, i), Some(k), "iter is by-user order");
            assert_eq!(d.csr().values()[k], *v);
        }
        assert_eq!(d.entry(&Id::from("u1"), &Id::from("b")), None);
    }

    #[test]
    fn bad_values_name_the_row() {
        for bad in [f32::NAN, f32::INFINITY, -1.0] {
            let err = Interactions::from_triples([(1, 1, 1.0), (2, 2, bad)]).unwrap_err();
            match err {
                Error::InvalidInput { row, .. } => assert_eq!(row, 2),
                e => panic!("unexpected {e}"),
            }
        }
    }

    #[test]
    fn index_arrays_are_checked() {
        assert!(matches!(
            Interactions::from_indices(2, 2, &[0, 2], &[0, 1], &[1.0, 1.0]),
            Err(Error::InvalidInput { row: 2, .. })
        ));
        assert!(matches!(
            Interactions::from_indices(2, 2, &[0], &[0, 1], &[1.0, 1.0]),
            Err(Error::Shape(_))
        ));
        let d = Interactions::from_indices(3, 2, &[2, 0], &[1, 1], &[1.0, 4.0]).unwrap();
        assert_eq!(d.user_row(&Id::Int(2)).unwrap().0, &[1]);
        assert_eq!(d.users().heap_bytes(), 0);
    }

    #[test]
    fn filter_and_map_share_id_space() {
        let d = Interactions::from_triples([("a", "x", 1.0), ("a", "y", 5.0)]).unwrap();
        let f = d.filter_values(|v| v >= 4.0);
        assert_eq!(f.nnz(), 1);
        assert!(Arc::ptr_eq(f.items(), d.items()));
        let m = d.map_values(|v| v * 2.0);
        assert_eq!(m.by_user().values(), &[2.0, 10.0]);
    }
}
