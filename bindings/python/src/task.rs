//! How long work runs: in the thread pool every native call uses (safe across `fork()`), and
//! off the main thread while it watches for Ctrl-C (`interruptible`).
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

/// Runs `work` off the calling thread while this one, without the GIL, waits for it and looks
/// for Ctrl-C (Python runs signal handlers only on the main thread, so a check from a worker
/// would never see it). On `KeyboardInterrupt`, `stop` is set, which a `FitControl` watching it
/// turns into a stop at its next check; the interrupt is returned once `work` has ended.
pub fn interruptible<T: Send>(
    py: pyo3::Python<'_>,
    stop: &std::sync::atomic::AtomicBool,
    work: impl FnOnce() -> T + Send,
) -> Result<T, PyErr> {
    use std::sync::mpsc::{RecvTimeoutError, channel};
    let (done, mut finished) = channel();
    std::thread::scope(|scope| {
        let worker = scope.spawn(move || {
            let _ = done.send(work());
        });
        let mut interrupt = None;
        loop {
            // the receiver goes into the GIL-free wait and comes back (it is not `Sync`)
            let (received, back) = py.detach(move || {
                let r = finished.recv_timeout(std::time::Duration::from_millis(50));
                (r, finished)
            });
            finished = back;
            match received {
                Ok(result) => return interrupt.map_or(Ok(result), Err),
                Err(RecvTimeoutError::Timeout) => {
                    if interrupt.is_none()
                        && let Err(e) = py.check_signals()
                    {
                        stop.store(true, std::sync::atomic::Ordering::Relaxed);
                        interrupt = Some(e);
                    }
                }
                // the work panicked before it could send: its panic, raised here
                Err(RecvTimeoutError::Disconnected) => match worker.join() {
                    Err(panic) => std::panic::resume_unwind(panic),
                    Ok(()) => unreachable!("the worker sends before it ends"),
                },
            }
        }
    })
}
