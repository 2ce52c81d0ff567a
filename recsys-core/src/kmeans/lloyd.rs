//! Lloyd's algorithm with Hamerly's (2010) bounds: every point keeps an upper bound on the
//! distance to its centroid and a lower bound on the distance to any other; when the bounds
//! prove the assignment cannot change, the point's distances are not computed at all. The result
//! is exactly Lloyd's; on clustered data most points are skipped after a few iterations.
//!
//! Sums over points run in fixed chunks added in chunk order, so a seed gives the same model
//! whatever the number of threads.

use rayon::prelude::*;

use crate::error::Result;
use crate::linalg::{Isa, dispatch_fma, squared_distance};
use crate::recommender::FitControl;

/// Points per parallel chunk (fixed: it sets the summation order).
pub(crate) const CHUNK: usize = 4096;

/// A row-major sample matrix.
#[derive(Clone, Copy)]
pub(crate) struct Samples<'a> {
    pub data: &'a [f32],
    pub d: usize,
}

impl<'a> Samples<'a> {
    pub fn n(&self) -> usize {
        self.data.len() / self.d
    }
    pub fn row(&self, i: usize) -> &'a [f32] {
        &self.data[i * self.d..(i + 1) * self.d]
    }
}

/// Sample weights: every sample weighs 1 without them (the unweighted sums are kept as they
/// were, so unweighted models do not change).
#[derive(Clone, Copy)]
pub(crate) struct Weights<'a>(pub Option<&'a [f32]>);

impl Weights<'_> {
    #[inline(always)]
    pub fn of(&self, i: usize) -> f64 {
        self.0.map_or(1.0, |w| f64::from(w[i]))
    }
    /// The weights of the rows of a chunk starting at row `start`.
    fn chunk(&self, start: usize, len: usize) -> Weights<'_> {
        Weights(self.0.map(|w| &w[start..start + len]))
    }
}

/// What one run of Lloyd's algorithm produced.
pub(crate) struct Run {
    pub centers: Vec<f32>,
    pub labels: Vec<u32>,
    pub inertia: f64,
    pub n_iter: usize,
}

const UNASSIGNED: u32 = u32::MAX;

/// Nearest and second-nearest centroid distances of `x` (ties go to the lower index).
#[inline(always)]
fn nearest_two<I: Isa>(isa: I, x: &[f32], centers: &[f32], d: usize) -> (u32, f64, f64) {
    let (mut best, mut d1, mut d2) = (0u32, f64::INFINITY, f64::INFINITY);
    for (j, c) in centers.chunks_exact(d).enumerate() {
        let dist = f64::from(squared_distance(isa, x, c));
        if dist < d1 {
            d2 = d1;
            d1 = dist;
            best = j as u32;
        } else if dist < d2 {
            d2 = dist;
        }
    }
    (best, d1.sqrt(), d2.sqrt())
}

/// The E-step over one chunk of points with Hamerly's pruning; returns whether a label changed.
#[inline(always)]
// the instruction set and the chunk's working arrays, as its dispatcher passes them
#[allow(clippy::too_many_arguments)]
fn assign_chunk<I: Isa>(
    isa: I,
    x: &[f32],
    d: usize,
    centers: &[f32],
    half_gap: &[f64],
    labels: &mut [u32],
    upper: &mut [f64],
    lower: &mut [f64],
) -> bool {
    let mut changed = false;
    for (i, p) in x.chunks_exact(d).enumerate() {
        let a = labels[i];
        if a != UNASSIGNED {
            let m = half_gap[a as usize].max(lower[i]);
            if upper[i] <= m {
                continue;
            }
            upper[i] = f64::from(squared_distance(
                isa,
                p,
                &centers[a as usize * d..(a as usize + 1) * d],
            ))
            .sqrt();
            if upper[i] <= m {
                continue;
            }
        }
        let (best, d1, d2) = nearest_two(isa, p, centers, d);
        if best != a {
            changed = true;
            labels[i] = best;
        }
        upper[i] = d1;
        lower[i] = d2;
    }
    changed
}
dispatch_fma!(fn assign_chunk_dispatch(x: &[f32], d: usize, centers: &[f32], half_gap: &[f64], labels: &mut [u32], upper: &mut [f64], lower: &mut [f64]) -> bool => assign_chunk);

#[inline(always)]
fn distance_body<I: Isa>(isa: I, a: &[f32], b: &[f32]) -> f32 {
    squared_distance(isa, a, b)
}
dispatch_fma!(pub(crate) fn squared_distance_dispatch(a: &[f32], b: &[f32]) -> f32 => distance_body);

/// Squared distance of every point to its nearest centroid, and that centroid.
#[inline(always)]
fn nearest_chunk<I: Isa>(
    isa: I,
    x: &[f32],
    d: usize,
    centers: &[f32],
    labels: &mut [u32],
    dist2: &mut [f64],
) {
    for ((p, l), dd) in x
        .chunks_exact(d)
        .zip(labels.iter_mut())
        .zip(dist2.iter_mut())
    {
        let (best, d1, _) = nearest_two(isa, p, centers, d);
        *l = best;
        *dd = d1 * d1;
    }
}
dispatch_fma!(pub(crate) fn nearest_chunk_dispatch(x: &[f32], d: usize, centers: &[f32], labels: &mut [u32], dist2: &mut [f64]) -> () => nearest_chunk);

/// Labels and squared distances of every point to its nearest centroid, in parallel.
pub(crate) fn nearest(x: Samples<'_>, centers: &[f32]) -> (Vec<u32>, Vec<f64>) {
    let n = x.n();
    let (mut labels, mut dist2) = (vec![0u32; n], vec![0f64; n]);
    x.data
        .par_chunks(CHUNK * x.d)
        .zip(labels.par_chunks_mut(CHUNK))
        .zip(dist2.par_chunks_mut(CHUNK))
        .for_each(|((xc, lc), dc)| nearest_chunk_dispatch(xc, x.d, centers, lc, dc));
    (labels, dist2)
}

/// Sum of `values` in fixed chunks added in order.
pub(crate) fn ordered_sum(values: &[f64]) -> f64 {
    let partial: Vec<f64> = values
        .par_chunks(CHUNK)
        .map(|c| c.iter().sum::<f64>())
        .collect();
    partial.iter().sum()
}

/// Per-cluster weighted sums (f64) and weights of the points by label. A cluster is empty
/// when its weight is 0 (as scikit-learn: points of weight 0 do not hold a cluster).
fn cluster_sums(x: Samples<'_>, w: Weights<'_>, labels: &[u32], k: usize) -> (Vec<f64>, Vec<f64>) {
    let d = x.d;
    let partial: Vec<(Vec<f64>, Vec<f64>)> = x
        .data
        .par_chunks(CHUNK * d)
        .zip(labels.par_chunks(CHUNK))
        .enumerate()
        .map(|(c, (xc, lc))| {
            let w = w.chunk(c * CHUNK, lc.len());
            let (mut sums, mut weights) = (vec![0f64; k * d], vec![0f64; k]);
            for (i, (p, &l)) in xc.chunks_exact(d).zip(lc).enumerate() {
                let s = &mut sums[l as usize * d..(l as usize + 1) * d];
                match w.0 {
                    None => s
                        .iter_mut()
                        .zip(p)
                        .for_each(|(acc, &v)| *acc += f64::from(v)),
                    Some(ws) => {
                        let wi = f64::from(ws[i]);
                        s.iter_mut()
                            .zip(p)
                            .for_each(|(acc, &v)| *acc += wi * f64::from(v));
                    }
                }
                weights[l as usize] += w.of(i);
            }
            (sums, weights)
        })
        .collect();
    let (mut sums, mut weights) = (vec![0f64; k * d], vec![0f64; k]);
    for (s, c) in partial {
        sums.iter_mut().zip(s).for_each(|(a, b)| *a += b);
        weights.iter_mut().zip(c).for_each(|(a, b)| *a += b);
    }
    (sums, weights)
}

/// Half the distance from each centroid to its nearest other centroid.
fn half_gaps(centers: &[f32], d: usize) -> Vec<f64> {
    let k = centers.len() / d;
    (0..k)
        .map(|j| {
            let cj = &centers[j * d..(j + 1) * d];
            let nearest = (0..k)
                .filter(|&o| o != j)
                .map(|o| f64::from(squared_distance_dispatch(cj, &centers[o * d..(o + 1) * d])))
                .fold(f64::INFINITY, f64::min);
            0.5 * nearest.sqrt()
        })
        .collect()
}

/// Squared distance of every point to the centroid it is assigned to.
fn distances_to_own(x: Samples<'_>, centers: &[f32], labels: &[u32]) -> Vec<f64> {
    let d = x.d;
    labels
        .par_iter()
        .enumerate()
        .map(|(i, &a)| {
            f64::from(squared_distance_dispatch(
                x.row(i),
                &centers[a as usize * d..(a as usize + 1) * d],
            ))
        })
        .collect()
}

/// Sum of `w_i * values_i` in fixed chunks added in order.
pub(crate) fn weighted_sum(values: &[f64], w: Weights<'_>) -> f64 {
    match w.0 {
        None => ordered_sum(values),
        Some(ws) => {
            let partial: Vec<f64> = values
                .par_chunks(CHUNK)
                .zip(ws.par_chunks(CHUNK))
                .map(|(v, w)| v.iter().zip(w).map(|(v, &w)| v * f64::from(w)).sum::<f64>())
                .collect();
            partial.iter().sum()
        }
    }
}

/// One run from the given initial centroids.
pub(crate) fn run(
    x: Samples<'_>,
    w: Weights<'_>,
    mut centers: Vec<f32>,
    max_iter: usize,
    tol: f64,
    control: &FitControl<'_>,
) -> Result<Run> {
    let (n, d) = (x.n(), x.d);
    let k = centers.len() / d;
    let mut labels = vec![UNASSIGNED; n];
    let mut upper = vec![f64::INFINITY; n];
    let mut lower = vec![0f64; n];
    let mut strict = false;
    let mut n_iter = 0;
    for it in 0..max_iter {
        control.check()?;
        n_iter = it + 1;
        let gaps = half_gaps(&centers, d);
        let changed = x
            .data
            .par_chunks(CHUNK * d)
            .zip(labels.par_chunks_mut(CHUNK))
            .zip(upper.par_chunks_mut(CHUNK))
            .zip(lower.par_chunks_mut(CHUNK))
            .map(|(((xc, lc), uc), wc)| assign_chunk_dispatch(xc, d, &centers, &gaps, lc, uc, wc))
            .reduce(|| false, |a, b| a || b);

        let (mut sums, mut counts) = cluster_sums(x, w, &labels, k);
        relocate_empty(
            x,
            w,
            &centers,
            &mut labels,
            &mut upper,
            &mut lower,
            &mut sums,
            &mut counts,
        );
        let mut shifts = vec![0f64; k];
        let old = centers.clone();
        for j in 0..k {
            if counts[j] > 0.0 {
                let c = &mut centers[j * d..(j + 1) * d];
                for (cv, s) in c.iter_mut().zip(&sums[j * d..(j + 1) * d]) {
                    *cv = (s / counts[j]) as f32;
                }
            }
            shifts[j] = f64::from(squared_distance_dispatch(
                &centers[j * d..(j + 1) * d],
                &old[j * d..(j + 1) * d],
            ))
            .sqrt();
        }
        // every bound moves by at most how far the centroids moved
        let (mut first, mut second, mut top) = (0f64, 0f64, 0usize);
        for (j, &s) in shifts.iter().enumerate() {
            if s > first {
                (second, first, top) = (first, s, j);
            } else if s > second {
                second = s;
            }
        }
        upper
            .par_iter_mut()
            .zip(lower.par_iter_mut())
            .zip(labels.par_iter())
            .for_each(|((u, l), &a)| {
                *u += shifts[a as usize];
                *l -= if a as usize == top { second } else { first };
            });
        if !changed && it > 0 {
            strict = true;
            break;
        }
        if shifts.iter().map(|s| s * s).sum::<f64>() <= tol {
            break;
        }
    }
    if !strict {
        // the labels must describe the final centroids
        let gaps = half_gaps(&centers, d);
        x.data
            .par_chunks(CHUNK * d)
            .zip(labels.par_chunks_mut(CHUNK))
            .zip(upper.par_chunks_mut(CHUNK))
            .zip(lower.par_chunks_mut(CHUNK))
            .for_each(|(((xc, lc), uc), wc)| {
                assign_chunk_dispatch(xc, d, &centers, &gaps, lc, uc, wc);
            });
    }
    let dist2 = distances_to_own(x, &centers, &labels);
    Ok(Run {
        inertia: weighted_sum(&dist2, w),
        centers,
        labels,
        n_iter,
    })
}

/// Gives every empty cluster the point farthest from its own centroid (as scikit-learn does),
/// moving that point's weighted contribution between the sums.
// the run's working arrays, as `run` holds them
#[allow(clippy::too_many_arguments)]
fn relocate_empty(
    x: Samples<'_>,
    w: Weights<'_>,
    centers: &[f32],
    labels: &mut [u32],
    upper: &mut [f64],
    lower: &mut [f64],
    sums: &mut [f64],
    counts: &mut [f64],
) {
    let d = x.d;
    let empty: Vec<usize> = (0..counts.len()).filter(|&j| counts[j] == 0.0).collect();
    if empty.is_empty() {
        return;
    }
    let dist = distances_to_own(x, centers, labels);
    let mut order: Vec<usize> = (0..dist.len()).collect();
    order.sort_by(|&a, &b| dist[b].total_cmp(&dist[a]).then(a.cmp(&b)));
    let mut candidates = order.into_iter();
    for j in empty {
        // the farthest point whose cluster keeps at least one other point
        // (of positive weight, so the emptied cluster is not empty any more)
        let Some(i) = candidates
            .by_ref()
            .find(|&i| w.of(i) > 0.0 && counts[labels[i] as usize] > w.of(i))
        else {
            break;
        };
        let (from, wi) = (labels[i] as usize, w.of(i));
        for (t, &v) in x.row(i).iter().enumerate() {
            sums[from * d + t] -= wi * f64::from(v);
            sums[j * d + t] = wi * f64::from(v);
        }
        counts[from] -= wi;
        counts[j] = wi;
        labels[i] = j as u32;
        upper[i] = f64::INFINITY;
        lower[i] = 0.0;
    }
}
