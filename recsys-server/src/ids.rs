//! Unique ids that are not secrets: request ids and the random part of recommendation ids.
//!
//! They come from a per-thread generator (splitmix64) seeded once by the operating system,
//! because asking the operating system for every id cost a system call on every request. What
//! must not be guessed (refresh tokens, token ids) keeps using the operating system's generator.

use std::cell::Cell;

thread_local! {
    static STATE: Cell<u64> = Cell::new(seed());
}

fn seed() -> u64 {
    let mut bytes = [0u8; 8];
    if getrandom::fill(&mut bytes).is_ok() {
        return u64::from_le_bytes(bytes);
    }
    // no entropy source: the time and this thread's stack address still differ between threads
    // and processes, which is all uniqueness needs here
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let here = &bytes as *const _ as u64;
    nanos ^ here.rotate_left(32)
}

/// The next 64 random-looking bits of this thread's sequence.
pub fn next_u64() -> u64 {
    STATE.with(|state| {
        let x = state.get().wrapping_add(0x9E37_79B9_7F4A_7C15);
        state.set(x);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    })
}

/// A version-4 UUID.
pub fn uuid() -> uuid::Uuid {
    let bits = (u128::from(next_u64()) << 64) | u128::from(next_u64());
    uuid::Builder::from_random_bytes(bits.to_le_bytes()).into_uuid()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_do_not_repeat_within_or_across_threads_and_are_v4() {
        let ids = |n| (0..n).map(|_| uuid()).collect::<Vec<_>>();
        let mut seen: HashSet<uuid::Uuid> = ids(10_000).into_iter().collect();
        let other = std::thread::spawn(move || ids(10_000)).join().unwrap();
        for id in other {
            assert!(seen.insert(id), "{id} came twice");
        }
        assert_eq!(seen.len(), 20_000);
        assert!(seen.iter().all(|id| id.get_version_num() == 4));
    }
}
