//! Work that runs off the event loop: one `Task` for every asynchronous call (fits, batch
//! recommendations, evaluations), and the handle that stops a running fit.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use napi::bindgen_prelude::{AsyncTask, ToNapiValue, TypeName};
use napi::{Env, Task};
use napi_derive::napi;

use crate::error::{self, rejection};

/// A computation on a libuv worker thread, whose result becomes a JavaScript value on the
/// main thread (`finish`) and whose error keeps its `code`.
pub struct Job<T, V> {
    work: Option<Box<dyn FnOnce() -> error::Result<T> + Send>>,
    finish: fn(T) -> error::Result<V>,
}

/// Runs `work` off the event loop and resolves with `finish(result)`.
pub fn spawn<T, V>(
    work: impl FnOnce() -> error::Result<T> + Send + 'static,
    finish: fn(T) -> error::Result<V>,
) -> AsyncTask<Job<T, V>>
where
    T: Send + 'static,
    V: ToNapiValue + TypeName,
{
    AsyncTask::new(Job {
        work: Some(Box::new(work)),
        finish,
    })
}

impl<T, V> Task for Job<T, V>
where
    T: Send + 'static,
    V: ToNapiValue + TypeName,
{
    type Output = error::Result<T>;
    type JsValue = V;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let work = self
            .work
            .take()
            .ok_or_else(|| napi::Error::from_reason("this task already ran"))?;
        Ok(work())
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<V> {
        match output.and_then(self.finish) {
            Ok(value) => Ok(value),
            Err(e) => Err(rejection(&env, e)),
        }
    }
}

/// Stops a running fit: the TypeScript layer calls `abort()` when the caller's `AbortSignal`
/// fires; the core checks the flag between iterations and the fit rejects with `ABORTED`.
#[napi]
#[derive(Default)]
pub struct StopFlag {
    pub(crate) flag: Arc<AtomicBool>,
}

#[napi]
impl StopFlag {
    #[napi(constructor)]
    pub fn new() -> Self {
        Self::default()
    }

    #[napi]
    pub fn abort(&self) {
        self.flag.store(true, Ordering::Relaxed);
    }

    #[napi(getter)]
    pub fn aborted(&self) -> bool {
        self.flag.load(Ordering::Relaxed)
    }
}
