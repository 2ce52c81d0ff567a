//! Customer segments from behaviour: RFM-style features per user (recency, frequency, monetary
//! value, category diversity), standardized, clustered with K-Means, and summarized per segment
//! in the original units so a dashboard can show them.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::ids::{Id, IdMap};
use crate::kmeans::{KMeans, KMeansParams};
use crate::recommender::{FitControl, FitProgress};

/// One purchase (or other valued event) of a user.
#[derive(Clone, Debug, PartialEq)]
pub struct Activity {
    /// Who.
    pub user: Id,
    /// When, in seconds since the Unix epoch.
    pub timestamp: i64,
    /// Money spent (or any non-negative value).
    pub value: f64,
    /// The item's category, for diversity.
    pub category: Option<Id>,
}

/// The feature names, in column order.
pub const SEGMENT_FEATURES: [&str; 4] = [
    "recency_days",
    "frequency",
    "monetary",
    "category_diversity",
];

/// One segment as a dashboard shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SegmentSummary {
    /// Users in the segment.
    pub size: usize,
    /// Mean of each feature of [`SEGMENT_FEATURES`] over the segment, in original units.
    pub means: [f64; 4],
}

/// Users' segments and what each segment looks like.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Segmentation {
    /// The users, in row order.
    pub users: IdMap,
    /// Segment of every user.
    pub labels: Vec<u32>,
    /// One summary per segment.
    pub segments: Vec<SegmentSummary>,
    /// The clustering, on standardized features.
    pub model: KMeans,
    /// Per-feature mean and standard deviation used to standardize (after the log transform).
    pub scaling: Vec<(f64, f64)>,
    /// Mean silhouette of the clustering on the standardized features (exact up to 2,000
    /// users, a seeded sample beyond), in [-1, 1]: how well separated the segments are; `None`
    /// when it is undefined (one segment, or one user per segment).
    #[serde(default)]
    pub silhouette: Option<f64>,
}

impl Segmentation {
    /// The segment of `user`, if they were segmented.
    pub fn segment_of(&self, user: &Id) -> Option<u32> {
        self.users.index(user).map(|u| self.labels[u as usize])
    }
}

/// Segments users into `params.n_clusters` groups. `now` is the reference time for recency
/// (default: the latest timestamp). Frequency and monetary value are log-transformed
/// (`ln(1 + x)`) before standardizing, since both are heavy-tailed.
pub fn segment_users(
    activity: &[Activity],
    params: &KMeansParams,
    now: Option<i64>,
) -> Result<Segmentation> {
    params.validate()?;
    Features::of(activity, now)?.cluster(params, &FitControl::none())
}

/// The best of several segmentations, and how it was chosen.
#[derive(Clone, Debug)]
pub struct AutoSegmentation {
    /// The segmentation with the highest silhouette.
    pub segmentation: Segmentation,
    /// Each number of segments tried and its silhouette (-1 where it is undefined).
    pub tried: Vec<(usize, f64)>,
    /// What each segment's means say, by [`segment_labels`].
    pub labels: Vec<&'static str>,
}

/// Segments users with every number of segments in `ks` (the other settings from `params`)
/// and keeps the one whose segments are best separated (highest silhouette; the first of
/// equals). The features are computed once; `control` is checked before each k and inside each
/// K-Means fit, and told after each k only (`loss` is its silhouette).
pub fn segment_auto(
    activity: &[Activity],
    ks: &[usize],
    params: &KMeansParams,
    now: Option<i64>,
    control: &FitControl<'_>,
) -> Result<AutoSegmentation> {
    if ks.is_empty() {
        return Err(Error::param(
            "ks",
            "at least one number of segments",
            "none",
        ));
    }
    let features = Features::of(activity, now)?;
    let mut best: Option<(f64, Segmentation)> = None;
    let mut tried = Vec::with_capacity(ks.len());
    for (i, &k) in ks.iter().enumerate() {
        control.check()?;
        let started = std::time::Instant::now();
        let params = params.clone().n_clusters(k);
        params.validate()?;
        let seg = features.cluster(&params, &control.without_progress())?;
        let s = seg.silhouette.unwrap_or(-1.0);
        tried.push((k, s));
        control.report(&FitProgress {
            model: "segments",
            iteration: i,
            iterations: ks.len(),
            elapsed: started.elapsed(),
            loss: Some(s),
        });
        if best.as_ref().is_none_or(|(b, _)| s > *b) {
            best = Some((s, seg));
        }
    }
    let segmentation = best.expect("ks is not empty").1;
    let labels = segment_labels(&segmentation.segments);
    Ok(AutoSegmentation {
        segmentation,
        tried,
        labels,
    })
}

/// A segment's means in words, by where each sits against the median over the segments:
/// recent (recency at or below the median), frequent and big-spending (at or above it) —
/// "loyal big spenders", "lapsed one-timers", ...
pub fn segment_labels(segments: &[SegmentSummary]) -> Vec<&'static str> {
    // the median proper (the mean of the middle two for an even count): with the upper middle
    // instead, the older of two segments would count as recent
    let median = |f: usize| {
        let mut v: Vec<f64> = segments.iter().map(|s| s.means[f]).collect();
        v.sort_by(f64::total_cmp);
        match v.len() {
            0 => 0.0,
            n if n % 2 == 1 => v[n / 2],
            n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
        }
    };
    let (recency, frequency, monetary) = (median(0), median(1), median(2));
    segments
        .iter()
        .map(|s| {
            let rfm = s.rfm();
            match (
                rfm.recency_days <= recency,
                rfm.frequency >= frequency,
                rfm.monetary >= monetary,
            ) {
                (true, true, true) => "loyal big spenders",
                (true, true, false) => "frequent bargain hunters",
                (true, false, true) => "new big spenders",
                (true, false, false) => "new or occasional shoppers",
                (false, true, true) => "lapsing loyal customers",
                (false, true, false) => "lapsing regulars",
                (false, false, true) => "one-time big spenders",
                (false, false, false) => "lapsed one-timers",
            }
        })
        .collect()
}

/// A segment's mean features by name (the columns of [`SEGMENT_FEATURES`]), in original units.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rfm {
    /// Days since the last purchase.
    pub recency_days: f64,
    /// Purchases.
    pub frequency: f64,
    /// Money spent.
    pub monetary: f64,
    /// Distinct categories bought from.
    pub category_diversity: f64,
}

impl SegmentSummary {
    /// The means by name.
    pub fn rfm(&self) -> Rfm {
        let [recency_days, frequency, monetary, category_diversity] = self.means;
        Rfm {
            recency_days,
            frequency,
            monetary,
            category_diversity,
        }
    }
}

/// Every user's features: raw (for the summaries) and standardized (what K-Means clusters).
struct Features {
    users: IdMap,
    raw: Vec<[f64; 4]>,
    data: Vec<f32>,
    scaling: Vec<(f64, f64)>,
}

impl Features {
    fn of(activity: &[Activity], now: Option<i64>) -> Result<Features> {
        let mut users = IdMap::new();
        let mut last: Vec<i64> = Vec::new();
        let mut count: Vec<f64> = Vec::new();
        let mut money: Vec<f64> = Vec::new();
        let mut categories: Vec<HashSet<Id>> = Vec::new();
        for (row, a) in activity.iter().enumerate() {
            if !(a.value.is_finite() && a.value >= 0.0) {
                return Err(Error::InvalidInput {
                    row: row + 1,
                    reason: format!("value {} must be a finite number >= 0", a.value),
                });
            }
            let u = users.insert(a.user.clone()) as usize;
            if u == last.len() {
                last.push(a.timestamp);
                count.push(0.0);
                money.push(0.0);
                categories.push(HashSet::new());
            }
            last[u] = last[u].max(a.timestamp);
            count[u] += 1.0;
            money[u] += a.value;
            if let Some(c) = &a.category {
                categories[u].insert(c.clone());
            }
        }
        let n = users.len();
        if n == 0 {
            return Err(Error::Shape("no activity to segment".into()));
        }
        let now = now.unwrap_or_else(|| last.iter().copied().max().unwrap_or(0));
        let raw: Vec<[f64; 4]> = (0..n)
            .map(|u| {
                let recency = ((now - last[u]) as f64 / 86_400.0).max(0.0);
                [recency, count[u], money[u], categories[u].len() as f64]
            })
            .collect();
        let transformed: Vec<[f64; 4]> = raw
            .iter()
            .map(|r| [r[0], r[1].ln_1p(), r[2].ln_1p(), r[3]])
            .collect();
        let scaling: Vec<(f64, f64)> = (0..4)
            .map(|f| {
                let mean = transformed.iter().map(|r| r[f]).sum::<f64>() / n as f64;
                let var = transformed
                    .iter()
                    .map(|r| (r[f] - mean).powi(2))
                    .sum::<f64>()
                    / n as f64;
                let sd = var.sqrt();
                (mean, if sd > 0.0 { sd } else { 1.0 })
            })
            .collect();
        let data: Vec<f32> = transformed
            .iter()
            .flat_map(|r| (0..4).map(move |f| r[f]))
            .enumerate()
            .map(|(k, v)| ((v - scaling[k % 4].0) / scaling[k % 4].1) as f32)
            .collect();
        Ok(Features {
            users,
            raw,
            data,
            scaling,
        })
    }

    fn cluster(&self, params: &KMeansParams, control: &FitControl<'_>) -> Result<Segmentation> {
        let model = params.fit_controlled(&self.data, 4, None, control)?;
        let mut sums: HashMap<u32, ([f64; 4], usize)> = HashMap::new();
        for (r, &l) in self.raw.iter().zip(model.labels()) {
            let e = sums.entry(l).or_insert(([0.0; 4], 0));
            (0..4).for_each(|f| e.0[f] += r[f]);
            e.1 += 1;
        }
        let segments = (0..model.n_clusters() as u32)
            .map(|l| {
                let (s, size) = sums.get(&l).copied().unwrap_or(([0.0; 4], 0));
                let means = s.map(|v| if size > 0 { v / size as f64 } else { 0.0 });
                SegmentSummary { size, means }
            })
            .collect();
        let silhouette =
            crate::kmeans::silhouette_score(&self.data, 4, model.labels(), 2_000, params.seed).ok();
        Ok(Segmentation {
            labels: model.labels().to_vec(),
            users: self.users.clone(),
            segments,
            model,
            scaling: self.scaling.clone(),
            silhouette,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn activity(user: &str, days_ago: i64, value: f64, cat: &str) -> Activity {
        Activity {
            user: Id::from(user),
            timestamp: 1_000 * 86_400 - days_ago * 86_400,
            value,
            category: Some(Id::from(cat)),
        }
    }

    /// 30 customers buying 20 times lately across 6 categories, 30 who bought once long ago.
    fn loyal_and_lapsed() -> Vec<Activity> {
        let mut events = Vec::new();
        for u in 0..30 {
            for k in 0..20 {
                events.push(activity(
                    &format!("loyal{u}"),
                    k,
                    100.0,
                    &format!("c{}", k % 6),
                ));
            }
            events.push(activity(&format!("lapsed{u}"), 300 + u, 5.0, "c0"));
        }
        events
    }

    #[test]
    fn loyal_big_spenders_and_lapsed_one_timers_separate() {
        let events = loyal_and_lapsed();
        let seg = segment_users(
            &events,
            &KMeansParams::new(2).n_init(3),
            Some(1_000 * 86_400),
        )
        .unwrap();
        let loyal = seg.segment_of(&Id::from("loyal3")).unwrap();
        let lapsed = seg.segment_of(&Id::from("lapsed3")).unwrap();
        assert_ne!(loyal, lapsed);
        let l = &seg.segments[loyal as usize];
        assert_eq!(l.size, 30);
        assert_eq!(l.means[1], 20.0);
        assert_eq!(l.means[2], 2000.0);
        assert_eq!(l.means[3], 6.0);
        assert!(seg.segments[lapsed as usize].means[0] > 300.0);
        assert_eq!(seg.segment_of(&Id::from("nobody")), None);
    }

    #[test]
    fn bad_values_and_empty_input_are_errors() {
        let e = segment_users(
            &[activity("a", 1, f64::NAN, "c")],
            &KMeansParams::new(1),
            None,
        )
        .unwrap_err();
        assert!(e.to_string().contains("row 1"), "{e}");
        assert!(segment_users(&[], &KMeansParams::new(1), None).is_err());
        let e =
            segment_users(&[activity("a", 1, 1.0, "c")], &KMeansParams::new(2), None).unwrap_err();
        assert!(e.to_string().contains("n_clusters"), "{e}");
    }

    #[test]
    fn the_best_separated_k_is_kept_and_labelled() {
        let events = loyal_and_lapsed();
        let reports = std::sync::atomic::AtomicUsize::new(0);
        let count = |_: &FitProgress| {
            reports.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        };
        let control = FitControl::none().with_progress(&count);
        let params = KMeansParams::new(2).n_init(3).seed(7);
        let auto =
            segment_auto(&events, &[2, 3, 4], &params, Some(1_000 * 86_400), &control).unwrap();
        assert_eq!(
            auto.tried.iter().map(|t| t.0).collect::<Vec<_>>(),
            [2, 3, 4]
        );
        let best = auto.tried.iter().map(|t| t.1).fold(f64::MIN, f64::max);
        assert_eq!(auto.segmentation.silhouette, Some(best));
        assert_eq!(
            auto.segmentation.segments.len(),
            2,
            "two groups were planted"
        );
        assert_eq!(reports.load(std::sync::atomic::Ordering::Relaxed), 3);
        let loyal = auto.segmentation.segment_of(&Id::from("loyal1")).unwrap() as usize;
        let lapsed = auto.segmentation.segment_of(&Id::from("lapsed1")).unwrap() as usize;
        assert_eq!(auto.labels[loyal], "loyal big spenders");
        assert_eq!(auto.labels[lapsed], "lapsed one-timers");
        assert_eq!(auto.segmentation.segments[loyal].rfm().frequency, 20.0);
        let stop = std::sync::atomic::AtomicBool::new(true);
        let stopped = segment_auto(
            &events,
            &[2],
            &params,
            None,
            &FitControl::none().with_stop(&stop),
        );
        assert!(matches!(stopped, Err(Error::Cancelled)));
        assert!(segment_auto(&events, &[], &params, None, &FitControl::none()).is_err());
    }
}
