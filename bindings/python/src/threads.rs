//! The thread pool every native call runs in, safe across `fork()`.
//!
//! A forked child inherits rayon's global pool as memory but not its threads: the first parallel
//! call would wait forever. So calls run in a pool this module owns, tagged with the process id
//! that built it; a child sees another pid and builds its own. Its size is `RECSYS_NUM_THREADS`
//! when set, else the machine's core count.

use std::sync::{Arc, Mutex};

use pyo3::PyErr;

use crate::error::bad_argument;

static POOL: Mutex<Option<(u32, Arc<rayon::ThreadPool>)>> = Mutex::new(None);

fn threads_from_env() -> Result<Option<usize>, PyErr> {
    match std::env::var("RECSYS_NUM_THREADS") {
        Ok(v) if !v.trim().is_empty() => match v.trim().parse::<usize>() {
            Ok(0) => Ok(None),
            Ok(n) => Ok(Some(n)),
            Err(_) => Err(bad_argument(format!(
                "RECSYS_NUM_THREADS must be a whole number >= 0, got '{v}'"
            ))),
        },
        _ => Ok(None),
    }
}

/// The pool of this process.
pub fn pool() -> Result<Arc<rayon::ThreadPool>, PyErr> {
    let pid = std::process::id();
    let mut guard = POOL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some((owner, pool)) = guard.as_ref()
        && *owner == pid
    {
        return Ok(Arc::clone(pool));
    }
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(n) = threads_from_env()? {
        builder = builder.num_threads(n);
    }
    let pool = Arc::new(
        builder
            .build()
            .map_err(|e| bad_argument(format!("cannot start worker threads: {e}")))?,
    );
    *guard = Some((pid, Arc::clone(&pool)));
    Ok(pool)
}

/// The thread count a `num_threads` argument means: 0 is "the default" (the pool's size).
pub fn num_threads(n: usize) -> Option<usize> {
    (n > 0).then_some(n)
}
