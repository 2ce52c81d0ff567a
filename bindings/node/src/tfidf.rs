//! `TfidfVectorizer`: scikit-learn's TF-IDF over the core's tokenizer.

use napi::bindgen_prelude::{AsyncTask, Float32Array, Float64Array, Uint32Array};
use napi_derive::napi;
use recsys_core::content::{TfidfModel, TfidfParams};

use crate::error::{IntoJs, Result};
use crate::fitted::{Fitted, model_file_methods};
use crate::options::TfidfOptions;
use crate::task::{Job, spawn};

/// A sparse matrix in scipy's CSR layout (documents x terms).
#[napi(object)]
pub struct SparseMatrix {
    pub indptr: Uint32Array,
    pub indices: Uint32Array,
    pub data: Float32Array,
    pub n_cols: u32,
}

fn sparse(m: recsys_core::Csr) -> SparseMatrix {
    SparseMatrix {
        indptr: Uint32Array::new(m.indptr().iter().map(|&p| p as u32).collect()),
        indices: Uint32Array::new(m.indices().to_vec()),
        data: Float32Array::new(m.values().to_vec()),
        n_cols: m.ncols() as u32,
    }
}

#[napi]
pub struct TfidfVectorizer {
    params: TfidfParams,
    model: Fitted<TfidfModel>,
}

#[napi]
impl TfidfVectorizer {
    #[napi(constructor)]
    pub fn new(options: Option<TfidfOptions>) -> Result<Self> {
        Ok(TfidfVectorizer {
            params: options.unwrap_or_default().params()?,
            model: Fitted::empty("TfidfVectorizer"),
        })
    }

    /// Learns the vocabulary and document frequencies of `documents`, off the event loop.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn fit(&self, documents: Vec<String>) -> AsyncTask<Job<(), ()>> {
        let params = self.params.clone();
        let store = self.model.setter();
        spawn(
            move || {
                store(params.fit(&documents).js()?);
                Ok(())
            },
            Ok,
        )
    }

    /// The documents' weights over the fitted vocabulary.
    #[napi]
    pub fn transform(&self, documents: Vec<String>) -> Result<SparseMatrix> {
        Ok(sparse(self.model.get()?.transform(&documents)))
    }

    #[napi(getter)]
    pub fn is_fitted(&self) -> bool {
        self.model.is_fitted()
    }

    /// The terms, in column order.
    #[napi]
    pub fn vocabulary(&self) -> Result<Vec<String>> {
        Ok(self.model.get()?.vocabulary().to_vec())
    }

    /// The inverse document frequency of each term, in column order.
    #[napi]
    pub fn idf(&self) -> Result<Float64Array> {
        Ok(Float64Array::new(self.model.get()?.idf().to_vec()))
    }
}

model_file_methods!(TfidfVectorizer);

impl TfidfVectorizer {
    fn of(model: TfidfModel) -> Self {
        TfidfVectorizer {
            params: model.params().clone(),
            model: Fitted::of("TfidfVectorizer", model),
        }
    }
}
