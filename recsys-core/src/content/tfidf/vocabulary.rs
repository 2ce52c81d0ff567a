//! Learning the vocabulary: documents counted in parallel, terms sharded by hash so each
//! shard's frequencies are summed without locks, then pruned (`min_df`, `max_df`,
//! `max_features`) and weighted.

use std::borrow::Cow;

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use super::model::TfidfModel;
use super::params::{Norm, TfidfParams};
use crate::content::tokenize::{for_each_term, normalize};
use crate::error::{Error, Result};
use crate::interactions::Csr;

impl TfidfParams {
    /// Learns the vocabulary and idf of `docs`.
    pub fn fit<S: AsRef<str> + Sync>(&self, docs: &[S]) -> Result<TfidfModel> {
        Ok(self.fit_transform(docs)?.0)
    }

    /// Learns the vocabulary and idf of `docs` and returns their weights (one row per document).
    pub fn fit_transform<S: AsRef<str> + Sync>(&self, docs: &[S]) -> Result<(TfidfModel, Csr)> {
        self.validate()?;
        let n_docs = docs.len();
        let texts: Vec<Cow<'_, str>> = docs
            .par_iter()
            .map(|d| normalize(d.as_ref(), self))
            .collect();
        let counts: Vec<Vec<(Cow<'_, str>, u32)>> =
            texts.par_iter().map(|t| count_terms(t, self)).collect();
        let shard_ids: Vec<Vec<u8>> = counts
            .par_iter()
            .map(|doc| doc.iter().map(|(t, _)| shard_of(t)).collect())
            .collect();

        // Document and corpus frequencies, counted in shards by term hash: each shard owns its
        // terms outright (no maps to merge) and records, for every occurrence it owns, the
        // term's slot, so that the documents can be weighed later without looking terms up.
        let shards: Vec<Shard<'_>> = partition(&counts, &shard_ids)
            .into_par_iter()
            .map(|parts| Shard::count(&parts))
            .collect();
        let distinct: usize = shards.iter().map(|sh| sh.terms.len()).sum();
        if distinct == 0 {
            return Err(Error::EmptyVocabulary(
                "the documents hold no tokens, or only stop words",
            ));
        }
        let max_docs = self.max_df.documents(n_docs);
        let min_docs = self.min_df.documents(n_docs);
        if max_docs < min_docs {
            return Err(Error::param(
                "max_df",
                "at least as many documents as min_df",
                max_docs,
            ));
        }
        // (term, df, tf, shard, slot)
        let mut kept: Vec<(&str, u32, u64, usize, u32)> = shards
            .iter()
            .enumerate()
            .flat_map(|(s, sh)| {
                sh.terms
                    .iter()
                    .enumerate()
                    .map(move |(slot, t)| (t.0, t.1, t.2, s, slot as u32))
            })
            .filter(|t| f64::from(t.1) <= max_docs && f64::from(t.1) >= min_docs)
            .collect();
        kept.par_sort_unstable_by(|a, b| a.0.cmp(b.0));
        if let Some(limit) = self.max_features
            && kept.len() > limit
        {
            // most frequent first; a stable sort keeps alphabetical order among ties
            let mut by_freq: Vec<usize> = (0..kept.len()).collect();
            by_freq.sort_by(|&a, &b| kept[b].2.cmp(&kept[a].2));
            let mut keep = vec![false; kept.len()];
            for &i in &by_freq[..limit] {
                keep[i] = true;
            }
            let mut k = keep.iter();
            kept.retain(|_| *k.next().expect("one flag per term"));
        }
        if kept.is_empty() {
            return Err(Error::EmptyVocabulary(
                "after pruning, no terms remain: try a lower min_df or a higher max_df",
            ));
        }
        let idf: Vec<f64> = kept
            .iter()
            .map(|t| {
                let df = f64::from(t.1);
                if !self.use_idf {
                    1.0
                } else if self.smooth_idf {
                    ((1.0 + n_docs as f64) / (1.0 + df)).ln() + 1.0
                } else {
                    (n_docs as f64 / df).ln() + 1.0
                }
            })
            .collect();
        // column of every shard slot (u32::MAX: pruned)
        let mut column: Vec<Vec<u32>> = shards
            .iter()
            .map(|sh| vec![u32::MAX; sh.terms.len()])
            .collect();
        for (col, t) in kept.iter().enumerate() {
            column[t.3][t.4 as usize] = col as u32;
        }
        // where each document's occurrences start in every shard's slot list
        let mut starts: Vec<[usize; SHARDS]> = vec![[0; SHARDS]; n_docs];
        let mut next = [0usize; SHARDS];
        for (doc, start) in shard_ids.iter().zip(starts.iter_mut()) {
            *start = next;
            for &s in doc {
                next[s as usize] += 1;
            }
        }
        let rows: Vec<(Vec<u32>, Vec<f32>)> = counts
            .par_iter()
            .zip(shard_ids.par_iter())
            .zip(starts.par_iter())
            .map(|((doc, ids), start)| {
                let mut at = *start;
                let cols: Vec<u32> = ids
                    .iter()
                    .map(|&s| {
                        let s = s as usize;
                        let slot = shards[s].slots[at[s]];
                        at[s] += 1;
                        column[s][slot as usize]
                    })
                    .collect();
                let mut k = 0;
                weigh(
                    doc,
                    |_| {
                        k += 1;
                        Some(cols[k - 1]).filter(|&c| c != u32::MAX)
                    },
                    &idf,
                    self,
                )
            })
            .collect();
        let kept: Vec<(&str, u32, u64)> = kept.into_iter().map(|t| (t.0, t.1, t.2)).collect();
        let matrix = assemble(rows, kept.len());
        let model = TfidfModel::new(
            self.clone(),
            kept.iter().map(|t| t.0.to_owned()).collect(),
            idf,
        );
        Ok((model, matrix))
    }
}

/// Term counts of one normalized document, sorted by term.
pub(super) fn count_terms<'a>(text: &'a str, params: &TfidfParams) -> Vec<(Cow<'a, str>, u32)> {
    let mut terms: Vec<Cow<'a, str>> = Vec::new();
    for_each_term(text, params, |term| terms.push(term));
    terms.sort_unstable();
    let mut out: Vec<(Cow<'a, str>, u32)> = Vec::with_capacity(terms.len());
    for term in terms {
        match out.last_mut() {
            Some((last, c)) if *last == term => *c += 1,
            _ => out.push((term, 1)),
        }
    }
    out
}

/// Shards of the vocabulary count (a power of two).
const SHARDS: usize = 16;

fn shard_of(term: &str) -> u8 {
    use std::hash::BuildHasher;
    // the top bits of a multiplicative mix spread any hash evenly
    let h = rustc_hash::FxBuildHasher.hash_one(term);
    (h.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - SHARDS.trailing_zeros())) as u8
}

/// The terms whose hash falls in one shard: their frequencies, and the slot of each of their
/// occurrences in corpus order.
struct Shard<'a> {
    /// (term, document frequency, corpus frequency)
    terms: Vec<(&'a str, u32, u64)>,
    slots: Vec<u32>,
}

/// Documents per block of [`partition`].
const DOC_BLOCK: usize = 2048;

/// Every occurrence `(term, count)` grouped by shard, in corpus order within a shard: one
/// parallel pass over blocks of documents, so each shard later reads only its own terms.
fn partition<'a>(
    docs: &'a [Vec<(Cow<'a, str>, u32)>],
    shard_ids: &[Vec<u8>],
) -> Vec<Vec<Vec<(&'a str, u32)>>> {
    let blocks: Vec<Vec<Vec<(&'a str, u32)>>> = docs
        .par_chunks(DOC_BLOCK)
        .zip(shard_ids.par_chunks(DOC_BLOCK))
        .map(|(docs, ids)| {
            let mut parts: Vec<Vec<(&'a str, u32)>> = vec![Vec::new(); SHARDS];
            for (doc, ids) in docs.iter().zip(ids) {
                for ((term, c), &s) in doc.iter().zip(ids) {
                    parts[s as usize].push((term.as_ref(), *c));
                }
            }
            parts
        })
        .collect();
    // regroup: shard -> its part of every block, in block order
    let mut by_shard: Vec<Vec<Vec<(&'a str, u32)>>> = (0..SHARDS)
        .map(|_| Vec::with_capacity(blocks.len()))
        .collect();
    for block in blocks {
        for (s, part) in block.into_iter().enumerate() {
            by_shard[s].push(part);
        }
    }
    by_shard
}

impl<'a> Shard<'a> {
    fn count(parts: &[Vec<(&'a str, u32)>]) -> Self {
        let mut index: FxHashMap<&'a str, u32> = FxHashMap::default();
        let (mut terms, mut slots) = (Vec::new(), Vec::new());
        for &(term, c) in parts.iter().flatten() {
            let slot = *index.entry(term).or_insert_with(|| {
                terms.push((term, 0u32, 0u64));
                (terms.len() - 1) as u32
            });
            let t = &mut terms[slot as usize];
            t.1 += 1;
            t.2 += u64::from(c);
            slots.push(slot);
        }
        Shard { terms, slots }
    }
}

/// One document's sorted, normalized tf-idf row.
pub(super) fn weigh<K: AsRef<str>>(
    doc: &[(K, u32)],
    mut lookup: impl FnMut(&str) -> Option<u32>,
    idf: &[f64],
    params: &TfidfParams,
) -> (Vec<u32>, Vec<f32>) {
    let mut entries: Vec<(u32, f64)> = doc
        .iter()
        .filter_map(|(term, count)| {
            lookup(term.as_ref()).map(|i| {
                let tf = if params.sublinear_tf {
                    1.0 + f64::from(*count).ln()
                } else {
                    f64::from(*count)
                };
                (i, tf * idf[i as usize])
            })
        })
        .collect();
    entries.sort_unstable_by_key(|e| e.0);
    let norm = match params.norm {
        Norm::L2 => entries.iter().map(|e| e.1 * e.1).sum::<f64>().sqrt(),
        Norm::L1 => entries.iter().map(|e| e.1.abs()).sum::<f64>(),
        Norm::None => 1.0,
    };
    let scale = if norm > 0.0 { 1.0 / norm } else { 1.0 };
    entries
        .into_iter()
        .map(|(i, w)| (i, (w * scale) as f32))
        .unzip()
}

pub(super) fn assemble(rows: Vec<(Vec<u32>, Vec<f32>)>, n_terms: usize) -> Csr {
    let mut indptr = Vec::with_capacity(rows.len() + 1);
    indptr.push(0);
    let nnz: usize = rows.iter().map(|r| r.0.len()).sum();
    let (mut indices, mut values) = (Vec::with_capacity(nnz), Vec::with_capacity(nnz));
    let n_rows = rows.len();
    for (i, v) in rows {
        indices.extend(i);
        values.extend(v);
        indptr.push(indices.len());
    }
    Csr::from_raw(n_rows, n_terms, indptr, indices, values)
        .expect("rows are sorted and within the vocabulary")
}
