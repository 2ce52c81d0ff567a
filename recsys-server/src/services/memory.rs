//! Giving memory back after a burst: the binary allocates with mimalloc (`main.rs`), which keeps
//! freed pages in the heap of the thread that freed them until that thread allocates again. A
//! training run allocates its data and model on a blocking thread and on rayon's workers, which
//! then sit idle: without a collection the server's RSS stays a training run higher for good.

/// Returns the memory freed on this thread and on every rayon worker to the system (a no-op
/// where mimalloc is not the allocator: its heaps are then empty).
pub fn release_freed() {
    // SAFETY: mi_collect only walks and trims the calling thread's heap and the shared arenas
    let collect = || unsafe { libmimalloc_sys::mi_collect(true) };
    collect();
    rayon::broadcast(|_| collect());
}
