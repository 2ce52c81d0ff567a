//! Parallel maps that stay on the calling thread when there is one piece of work. A request for
//! one user (what a server asks for, from its own threads) takes less time than handing it to
//! rayon's pool and waiting for it: that wakes a pool thread and puts the caller to sleep, which
//! a profile of the server's recommendation route showed costing more than scoring the demo's
//! catalog.

use rayon::prelude::*;

/// `f` over `items`, in order: on rayon's pool when there are several, on this thread for one.
pub(crate) fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync + Send) -> Vec<R> {
    if items.len() <= 1 {
        items.iter().map(f).collect()
    } else {
        items.par_iter().map(f).collect()
    }
}

/// `f` over `0..n`, in order: on rayon's pool when `n > 1`, on this thread otherwise.
pub(crate) fn map_range<R: Send>(n: usize, f: impl Fn(usize) -> R + Sync + Send) -> Vec<R> {
    if n <= 1 {
        (0..n).map(f).collect()
    } else {
        (0..n).into_par_iter().map(f).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_piece_runs_here_and_several_keep_their_order() {
        let here = std::thread::current().id();
        assert_eq!(map(&[7], |_| std::thread::current().id()), vec![here]);
        assert_eq!(map_range(1, |_| std::thread::current().id()), vec![here]);
        let items: Vec<u32> = (0..1000).collect();
        assert_eq!(
            map(&items, |x| x * 2),
            items.iter().map(|x| x * 2).collect::<Vec<_>>()
        );
        assert_eq!(map_range(1000, |i| i + 1), (1..=1000).collect::<Vec<_>>());
        assert!(map_range(0, |i| i).is_empty());
    }
}
