//! `Interactions`: the users x items matrix every recommender fits on, built from triples,
//! scipy-layout CSR arrays or a CSV file.

use std::sync::Arc;

use napi::Either;
use napi::bindgen_prelude::{Float32Array, Float64Array, Uint32Array};
use napi_derive::napi;
use recsys_core::{CsvOptions, Header, InteractionsBuilder};

use crate::error::{IntoJs, Result, invalid};
use crate::ids::{ids_in, out};
use crate::options::count;

/// A CSR matrix in scipy's layout: row `r`'s columns are `indices[indptr[r]..indptr[r + 1]]`.
#[napi(object)]
pub struct CsrArrays {
    pub indptr: Uint32Array,
    pub indices: Uint32Array,
    pub data: Float32Array,
    /// Number of columns (items).
    pub n_items: f64,
}

/// How `Interactions.fromCsv` reads a file (defaults: `,`, header detected, columns 0, 1, 2).
#[napi(object)]
#[derive(Default)]
pub struct CsvReadOptions {
    /// One character; `"\t"` for TSV.
    pub delimiter: Option<String>,
    /// `true` / `false`; left out, a header is detected from the first line.
    pub header: Option<bool>,
    pub user_column: Option<f64>,
    pub item_column: Option<f64>,
    /// The value column, or `-1` for none (every row then counts 1).
    pub value_column: Option<i32>,
    /// Keep only rows whose value is at least this.
    pub min_value: Option<f64>,
}

impl CsvReadOptions {
    fn core(self) -> Result<CsvOptions> {
        let mut o = CsvOptions::default();
        if let Some(d) = self.delimiter {
            o.delimiter = match d.as_bytes() {
                [b] => *b,
                _ => {
                    return Err(invalid(format!(
                        "delimiter must be one character, got {d:?}"
                    )));
                }
            };
        }
        o.header = match self.header {
            None => Header::Auto,
            Some(true) => Header::Present,
            Some(false) => Header::Absent,
        };
        o.user_column = self
            .user_column
            .map_or(Ok(o.user_column), |c| count("userColumn", c))?;
        o.item_column = self
            .item_column
            .map_or(Ok(o.item_column), |c| count("itemColumn", c))?;
        o.value_column = match self.value_column {
            None => o.value_column,
            Some(c) => usize::try_from(c).ok(),
        };
        o.min_value = self.min_value.map(|v| v as f32);
        Ok(o)
    }
}

/// Who interacted with what, how strongly. Immutable; shared by the models fitted on it.
#[napi]
pub struct Interactions {
    pub(crate) inner: Arc<recsys_core::Interactions>,
}

impl Interactions {
    pub(crate) fn of(inner: recsys_core::Interactions) -> Self {
        Interactions {
            inner: Arc::new(inner),
        }
    }
}

#[napi]
impl Interactions {
    /// One interaction per position: `users[i]` with `items[i]`, strength `values[i]` (1 when
    /// left out). Repeated pairs add up.
    #[napi(factory)]
    pub fn from_triples(
        users: Either<Float64Array, Vec<Either<f64, String>>>,
        items: Either<Float64Array, Vec<Either<f64, String>>>,
        values: Option<Either<Float32Array, Vec<f64>>>,
    ) -> Result<Self> {
        let users = ids_in(&users, "users")?;
        let items = ids_in(&items, "items")?;
        let values: Option<Vec<f32>> = values.map(|v| match v {
            Either::A(typed) => typed.to_vec(),
            Either::B(list) => list.into_iter().map(|x| x as f32).collect(),
        });
        let n = users.len();
        if items.len() != n || values.as_ref().is_some_and(|v| v.len() != n) {
            return Err(invalid(format!(
                "users, items and values must have one entry per interaction: {n} users, {} items, {} values",
                items.len(),
                values.as_ref().map_or(n, Vec::len)
            )));
        }
        let mut builder = InteractionsBuilder::new();
        for (k, (user, item)) in users.into_iter().zip(items).enumerate() {
            let value = values.as_ref().map_or(1.0, |v| v[k]);
            builder.push(user, item, value).js()?;
        }
        Ok(Self::of(builder.build()))
    }

    /// scipy's CSR layout: rows are users `0..n`, columns items `0..nItems`.
    #[napi(factory)]
    pub fn from_csr(csr: CsrArrays) -> Result<Self> {
        let n_users = csr.indptr.len().saturating_sub(1);
        let indptr = csr.indptr.iter().map(|&p| p as usize).collect();
        recsys_core::Interactions::from_csr_arrays(
            n_users,
            count("nItems", csr.n_items)?,
            indptr,
            csr.indices.to_vec(),
            csr.data.to_vec(),
        )
        .js()
        .map(Self::of)
    }

    /// Reads `user,item[,value]` rows from a delimited text file.
    #[napi(factory)]
    pub fn from_csv(path: String, options: Option<CsvReadOptions>) -> Result<Self> {
        let options = options.unwrap_or_default().core()?;
        recsys_core::Interactions::from_csv_path(&path, &options)
            .js()
            .map(Self::of)
    }

    #[napi(getter)]
    pub fn n_users(&self) -> u32 {
        self.inner.n_users() as u32
    }

    #[napi(getter)]
    pub fn n_items(&self) -> u32 {
        self.inner.n_items() as u32
    }

    /// Number of stored (user, item) pairs.
    #[napi(getter)]
    pub fn nnz(&self) -> u32 {
        self.inner.nnz() as u32
    }

    /// The user ids, in row order.
    #[napi]
    pub fn user_ids(&self) -> Vec<Either<i64, String>> {
        self.inner.users().iter().map(out).collect()
    }

    /// The item ids, in column order.
    #[napi]
    pub fn item_ids(&self) -> Vec<Either<i64, String>> {
        self.inner.items().iter().map(out).collect()
    }

    /// The matrix in scipy's CSR layout (rows in `userIds()` order, columns in `itemIds()`).
    #[napi]
    pub fn to_csr(&self) -> CsrArrays {
        let m = self.inner.csr();
        CsrArrays {
            indptr: Uint32Array::new(m.indptr().iter().map(|&p| p as u32).collect()),
            indices: Uint32Array::new(m.indices().to_vec()),
            data: Float32Array::new(m.values().to_vec()),
            n_items: m.ncols() as f64,
        }
    }
}
