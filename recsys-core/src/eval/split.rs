//! Train/test splits that keep the id space: both halves share the input's id maps, so a model
//! fitted on one can be evaluated on the other.

use crate::error::{Error, Result};
use crate::ids::Id;
use crate::interactions::{Csr, Interactions};
use crate::rng::SplitMix64;

/// Every interaction goes to train with probability `train_fraction` (0 < f < 1), independently,
/// as `implicit.evaluation.train_test_split` does. Deterministic for a given seed.
pub fn train_test_split(
    data: &Interactions,
    train_fraction: f64,
    seed: u64,
) -> Result<(Interactions, Interactions)> {
    if !(train_fraction > 0.0 && train_fraction < 1.0) {
        return Err(Error::param(
            "train_fraction",
            "a fraction strictly between 0 and 1",
            train_fraction,
        ));
    }
    let mut rng = SplitMix64::new(seed);
    let to_test: Vec<bool> = (0..data.nnz())
        .map(|_| rng.next_f64() >= train_fraction)
        .collect();
    Ok(partition(data, &to_test))
}

/// Leave-k-out: for every user with more than `k + 1` interactions, `k` random interactions go
/// to test and the rest to train; other users stay wholly in train. A random
/// `train_only_fraction` (0 <= f < 1) of users is kept out of test altogether. As
/// `implicit.evaluation.leave_k_out_split`.
pub fn leave_k_out_split(
    data: &Interactions,
    k: usize,
    train_only_fraction: f64,
    seed: u64,
) -> Result<(Interactions, Interactions)> {
    if k == 0 {
        return Err(Error::param("k", ">= 1", k));
    }
    if !(0.0..1.0).contains(&train_only_fraction) {
        return Err(Error::param(
            "train_only_fraction",
            "a fraction in [0, 1)",
            train_only_fraction,
        ));
    }
    let mut rng = SplitMix64::new(seed);
    let m = data.by_user();
    let n_users = m.nrows();
    let mut train_only = vec![false; n_users];
    if train_only_fraction > 0.0 {
        let count = ((n_users as f64 * train_only_fraction) as usize).max(1);
        let mut users: Vec<usize> = (0..n_users).collect();
        rng.shuffle(&mut users);
        for &u in &users[..count.min(n_users)] {
            train_only[u] = true;
        }
    }
    let mut to_test = vec![false; m.nnz()];
    let mut picks: Vec<usize> = Vec::new();
    for (u, &only_train) in train_only.iter().enumerate() {
        let (s, e) = (m.indptr()[u], m.indptr()[u + 1]);
        if only_train || e - s <= k + 1 {
            continue;
        }
        picks.clear();
        picks.extend(s..e);
        rng.shuffle(&mut picks);
        for &p in &picks[..k] {
            to_test[p] = true;
        }
    }
    Ok(partition(data, &to_test))
}

/// The newest `test_fraction` (0 < f < 1) of the entries go to test, the rest to train: what
/// a model trained up to now would have had to predict. `times` gives each `(user, item)` pair
/// of `data` its time (any unit; a pair given twice keeps its newest); entries sharing the
/// cut-off time are drawn at random (seeded) so the test share is exact. A pair of `data`
/// without a time, or a time for a pair `data` does not hold, is an error naming the pair.
pub fn newest_split<U, I>(
    data: &Interactions,
    times: impl IntoIterator<Item = (U, I, i64)>,
    test_fraction: f64,
    seed: u64,
) -> Result<(Interactions, Interactions)>
where
    U: Into<Id>,
    I: Into<Id>,
{
    if !(test_fraction > 0.0 && test_fraction < 1.0) {
        return Err(Error::param(
            "test_fraction",
            "a fraction strictly between 0 and 1",
            test_fraction,
        ));
    }
    let mut entry_times: Vec<Option<i64>> = vec![None; data.nnz()];
    for (row, (user, item, t)) in times.into_iter().enumerate() {
        let (user, item) = (user.into(), item.into());
        let Some(k) = data.entry(&user, &item) else {
            return Err(Error::InvalidInput {
                row: row + 1,
                reason: format!("a time for ({user}, {item}), which is not an interaction"),
            });
        };
        entry_times[k] = Some(entry_times[k].map_or(t, |old| old.max(t)));
    }
    if let Some(k) = entry_times.iter().position(Option::is_none) {
        let (user, item, _) = data.iter().nth(k).expect("k < nnz");
        return Err(Error::Shape(format!(
            "the interaction ({user}, {item}) has no time"
        )));
    }
    let n_test = ((data.nnz() as f64) * test_fraction).round() as usize;
    // newest first; a seeded random key breaks ties
    let mut rng = SplitMix64::new(seed);
    let mut order: Vec<(i64, u64, usize)> = entry_times
        .iter()
        .enumerate()
        .map(|(k, t)| (t.expect("checked above"), rng.next_u64(), k))
        .collect();
    order.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut to_test = vec![false; data.nnz()];
    for &(_, _, k) in &order[..n_test.min(order.len())] {
        to_test[k] = true;
    }
    Ok(partition(data, &to_test))
}

/// At most `max_users` of the users who have interactions in `test`, drawn at random (seeded),
/// with all their interactions; the other users' rows are left empty and the id space is kept.
/// Ranking metrics are means over users, so a sample estimates them closely (the standard error
/// of a mean NDCG over 10,000 users is about 0.003) at a fraction of the cost: what evaluating a
/// shop with a million customers uses. `test` itself is returned when it has no more users.
pub fn sample_users(test: &Interactions, max_users: usize, seed: u64) -> Result<Interactions> {
    if max_users == 0 {
        return Err(Error::param("max_users", ">= 1", max_users));
    }
    let m = test.by_user();
    let mut users: Vec<usize> = (0..m.nrows())
        .filter(|&u| m.indptr()[u + 1] > m.indptr()[u])
        .collect();
    if users.len() <= max_users {
        return Ok(test.clone());
    }
    SplitMix64::new(seed).shuffle(&mut users);
    let mut chosen = vec![false; m.nrows()];
    for &u in &users[..max_users] {
        chosen[u] = true;
    }
    let mask: Vec<bool> = (0..m.nrows())
        .flat_map(|u| std::iter::repeat_n(chosen[u], m.indptr()[u + 1] - m.indptr()[u]))
        .collect();
    Ok(partition(test, &mask).1)
}

/// Splits the entries of `data` (in CSR order) by the mask.
fn partition(data: &Interactions, to_test: &[bool]) -> (Interactions, Interactions) {
    let m = data.by_user();
    let mut parts = [Part::new(m.nrows()), Part::new(m.nrows())];
    for r in 0..m.nrows() {
        for k in m.indptr()[r]..m.indptr()[r + 1] {
            parts[to_test[k] as usize].push(m.indices()[k], m.values()[k]);
        }
        for p in &mut parts {
            p.indptr.push(p.indices.len());
        }
    }
    let [train, test] = parts.map(|p| {
        let csr = Csr::from_raw(m.nrows(), m.ncols(), p.indptr, p.indices, p.values)
            .expect("a subset of a valid matrix");
        Interactions::from_parts(data.users().clone(), data.items().clone(), csr)
    });
    (train, test)
}

struct Part {
    indptr: Vec<usize>,
    indices: Vec<u32>,
    values: Vec<f32>,
}

impl Part {
    fn new(rows: usize) -> Self {
        let mut indptr = Vec::with_capacity(rows + 1);
        indptr.push(0);
        Part {
            indptr,
            indices: Vec::new(),
            values: Vec::new(),
        }
    }
    fn push(&mut self, c: u32, v: f32) {
        self.indices.push(c);
        self.values.push(v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn data() -> Interactions {
        let users: Vec<u32> = (0..2000).map(|k| k % 50).collect();
        let items: Vec<u32> = (0..2000).map(|k| (k * 7) % 97).collect();
        Interactions::from_indices(50, 97, &users, &items, &vec![1.0; 2000]).unwrap()
    }

    #[test]
    fn sample_users_keeps_whole_rows_of_a_seeded_sample() {
        let d = data();
        let s = sample_users(&d, 20, 3).unwrap();
        let rows = |x: &Interactions| -> Vec<usize> {
            let m = x.by_user();
            (0..m.nrows())
                .filter(|&u| m.indptr()[u + 1] > m.indptr()[u])
                .collect()
        };
        let kept = rows(&s);
        assert_eq!(kept.len(), 20);
        assert_eq!(s.n_users(), d.n_users(), "the id space is kept");
        // a kept user keeps every interaction
        for &u in &kept {
            let id = d.users().id(u as u32);
            let all: Vec<_> = d.user_items(&id).unwrap().collect();
            let sampled: Vec<_> = s.user_items(&id).unwrap().collect();
            assert_eq!(all, sampled);
        }
        assert_eq!(rows(&sample_users(&d, 20, 3).unwrap()), kept, "seeded");
        assert_ne!(rows(&sample_users(&d, 20, 4).unwrap()), kept);
        assert_eq!(sample_users(&d, 50, 3).unwrap().nnz(), d.nnz());
        assert!(matches!(
            sample_users(&d, 0, 3),
            Err(Error::InvalidParam { .. })
        ));
    }

    #[test]
    fn newest_split_holds_out_the_newest_entries() {
        let d = data();
        // the k-th pair (by-user order) happened at time k / 3 (ties in threes); given in
        // reverse order, and the first pair also once more with an older time
        let mut times: Vec<(Id, Id, i64)> = d
            .iter()
            .enumerate()
            .map(|(k, (u, i, _))| (u, i, k as i64 / 3))
            .collect();
        times.reverse();
        let first = times.last().unwrap().clone();
        times.push((first.0, first.1, -5));
        let (tr, te) = newest_split(&d, times.clone(), 0.25, 7).unwrap();
        assert_eq!((tr.nnz(), te.nnz()), (1500, 500));
        // every test entry is at least as new as every train entry
        let when: std::collections::HashMap<(Id, Id), i64> = times
            .iter()
            .take(d.nnz())
            .map(|(u, i, t)| ((u.clone(), i.clone()), *t))
            .collect();
        let time_of =
            |m: &Interactions| -> Vec<i64> { m.iter().map(|(u, i, _)| when[&(u, i)]).collect() };
        let newest_train = time_of(&tr).into_iter().max().unwrap();
        let oldest_test = time_of(&te).into_iter().min().unwrap();
        assert!(
            oldest_test >= newest_train,
            "{oldest_test} < {newest_train}"
        );
        let (_, te2) = newest_split(&d, times.clone(), 0.25, 7).unwrap();
        assert_eq!(te.by_user(), te2.by_user());
        // a pair without a time, and a time for a pair that is not in the data, are named
        let err = newest_split(&d, times[1..d.nnz()].to_vec(), 0.25, 7).unwrap_err();
        assert!(err.to_string().contains("has no time"), "{err}");
        let mut extra = times.clone();
        let absent = (0..97)
            .find(|&i| d.entry(&Id::Int(0), &Id::Int(i)).is_none())
            .unwrap();
        extra.push((Id::Int(0), Id::Int(absent), 1));
        let err = newest_split(&d, extra, 0.25, 7).unwrap_err();
        let named = format!("(0, {absent}), which is not an interaction");
        assert!(err.to_string().contains(&named), "{err}");
        assert!(newest_split(&d, times, 1.0, 7).is_err());
    }

    #[test]
    fn split_partitions_and_shares_ids() {
        let d = data();
        let (tr, te) = train_test_split(&d, 0.8, 1).unwrap();
        assert_eq!(tr.nnz() + te.nnz(), d.nnz());
        let frac = tr.nnz() as f64 / d.nnz() as f64;
        assert!((0.7..0.9).contains(&frac), "{frac}");
        assert!(Arc::ptr_eq(tr.items(), d.items()));
        let (tr2, _) = train_test_split(&d, 0.8, 1).unwrap();
        assert_eq!(tr.by_user(), tr2.by_user());
        assert!(train_test_split(&d, 1.0, 1).is_err());
    }

    #[test]
    fn leave_k_out_takes_k_per_eligible_user() {
        let d = data();
        let (tr, te) = leave_k_out_split(&d, 2, 0.0, 3).unwrap();
        assert_eq!(tr.nnz() + te.nnz(), d.nnz());
        for u in 0..50 {
            let all = d.by_user().row(u).0.len();
            let test = te.by_user().row(u).0.len();
            assert_eq!(test, if all > 3 { 2 } else { 0 });
        }
        let (_, te) = leave_k_out_split(&d, 1, 0.5, 3).unwrap();
        assert_eq!(
            (0..50)
                .filter(|&u| !te.by_user().row(u).0.is_empty())
                .count(),
            25
        );
        assert!(leave_k_out_split(&d, 0, 0.0, 3).is_err());
        assert!(leave_k_out_split(&d, 1, 1.0, 3).is_err());
    }
}
