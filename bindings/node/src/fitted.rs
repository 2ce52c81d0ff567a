//! The fitted state of a handle whose fit runs off the event loop, and the model-file helpers
//! every class shares.

use std::sync::{Arc, RwLock};

use recsys_core::Persist;

use crate::error::{IntoJs, Result, to_js};

/// A model that a background fit fills in: shared by the JavaScript object and its tasks.
pub struct Fitted<M> {
    cell: Arc<RwLock<Option<Arc<M>>>>,
    /// The model's name in `NOT_FITTED` errors.
    name: &'static str,
}

impl<M> Fitted<M> {
    /// Not fitted yet.
    pub fn empty(name: &'static str) -> Self {
        Fitted {
            cell: Arc::new(RwLock::new(None)),
            name,
        }
    }

    /// Holding `model`.
    pub fn of(name: &'static str, model: M) -> Self {
        Fitted {
            cell: Arc::new(RwLock::new(Some(Arc::new(model)))),
            name,
        }
    }

    /// The fitted model, or `NOT_FITTED`.
    pub fn get(&self) -> Result<Arc<M>> {
        self.cell
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or_else(|| to_js(recsys_core::Error::NotFitted(self.name)))
    }

    pub fn is_fitted(&self) -> bool {
        self.cell
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
    }

    /// A handle for a task to store its result in.
    pub fn setter(&self) -> impl FnOnce(M) + Send + 'static
    where
        M: Send + Sync + 'static,
    {
        let cell = Arc::clone(&self.cell);
        move |model| *cell.write().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(model))
    }
}

/// The bytes of a model file, or `IO` naming the path.
pub fn read_file(path: &str) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| {
        to_js(recsys_core::Error::Io {
            path: path.to_owned(),
            source,
        })
    })
}

/// Reads a model of type `M` from file bytes.
pub fn decode<M: Persist>(bytes: &[u8]) -> Result<M> {
    M::from_bytes(bytes).js()
}

/// The model-file methods of a handle with a `model: Fitted<M>` field and an `of(M) -> Self`
/// constructor: `toBuffer`, `save` and the factories `fromBuffer`, `load`, all in the core's
/// format.
macro_rules! model_file_methods {
    ($class:ident) => {
        #[napi_derive::napi]
        impl $class {
            /// The fitted model in the core's file format.
            #[napi]
            pub fn to_buffer(&self) -> $crate::error::Result<napi::bindgen_prelude::Buffer> {
                use recsys_core::Persist;
                use $crate::error::IntoJs;
                Ok(self.model.get()?.to_bytes().js()?.into())
            }

            /// Reads `toBuffer`'s bytes.
            #[napi(factory)]
            pub fn from_buffer(
                bytes: napi::bindgen_prelude::Buffer,
            ) -> $crate::error::Result<Self> {
                Ok(Self::of($crate::fitted::decode(&bytes)?))
            }

            /// Writes the model file (atomically).
            #[napi]
            pub fn save(&self, path: String) -> $crate::error::Result<()> {
                use recsys_core::Persist;
                use $crate::error::IntoJs;
                self.model.get()?.save(&path).js()
            }

            /// Reads a model file.
            #[napi(factory)]
            pub fn load(path: String) -> $crate::error::Result<Self> {
                Ok(Self::of($crate::fitted::decode(
                    &$crate::fitted::read_file(&path)?,
                )?))
            }
        }
    };
}
pub(crate) use model_file_methods;
