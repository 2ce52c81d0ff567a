//! A/B experiments at serving time and their statistics. Each running experiment owns one
//! placement; a subject (a signed-in user, or a visitor's session id) is assigned to an arm by
//! a stable hash of the experiment and the subject, weighted by the arms' weights, and gets
//! that arm's model version. Impressions and clicks are counted per arm; cart adds and
//! purchases count for the arm a subject clicked within the attribution window (the store).

use std::collections::HashMap;
use std::sync::Arc;

use arc_swap::ArcSwap;
use recsys_store::{ArmCounts, Store};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ApiResult;
use crate::services::models::{Models, Serving};

/// An arm being served.
#[derive(Debug)]
pub struct LiveArm {
    pub arm: i64,
    pub weight: f64,
    pub serving: Arc<Serving>,
}

/// A running experiment with its arms loaded.
#[derive(Debug)]
pub struct LiveExperiment {
    pub id: i64,
    pub placement: String,
    pub arms: Vec<LiveArm>,
}

impl LiveExperiment {
    /// The arm of `subject`: the same on every call and every replica.
    pub fn assign(&self, subject: &str) -> &LiveArm {
        let weights: Vec<f64> = self.arms.iter().map(|a| a.weight).collect();
        &self.arms[pick_arm(self.id, &weights, subject)]
    }
}

/// The subject an experiment counts a signed-in user as: `u<id>`.
pub fn user_subject(user_id: i64) -> String {
    format!("u{user_id}")
}

/// Who an experiment counts: the signed-in user, else the visitor's session (`s<session>`),
/// else nobody. The one spelling of subjects, so that the arm a list was served from, its
/// clicks, and the cart adds and orders attributed to it name the same subject.
pub fn subject(user_id: Option<i64>, session: Option<&str>) -> Option<String> {
    user_id
        .map(user_subject)
        .or_else(|| session.map(|s| format!("s{s}")))
}

/// The index of the arm `subject` gets among arms of these weights (all > 0).
pub fn pick_arm(experiment: i64, weights: &[f64], subject: &str) -> usize {
    let total: f64 = weights.iter().sum();
    let u = unit_hash(experiment, subject) * total;
    let mut acc = 0.0;
    for (i, w) in weights.iter().enumerate() {
        acc += w;
        if u < acc {
            return i;
        }
    }
    weights.len().saturating_sub(1)
}

/// FNV-1a of `"<experiment>:<subject>"`, mixed (SplitMix64's finalizer) and mapped to [0, 1).
fn unit_hash(experiment: i64, subject: &str) -> f64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in experiment
        .to_string()
        .bytes()
        .chain([b':'])
        .chain(subject.bytes())
    {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^= h >> 31;
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// The running experiments of this process, following the store.
#[derive(Debug, Default)]
pub struct Experiments {
    live: ArcSwap<Vec<Arc<LiveExperiment>>>,
}

impl Experiments {
    /// Whether any experiment runs (as this replica last saw the store).
    pub fn any_running(&self) -> bool {
        !self.live.load().is_empty()
    }

    /// The experiment running in `placement`, if any.
    pub fn for_placement(&self, placement: &str) -> Option<Arc<LiveExperiment>> {
        self.live
            .load()
            .iter()
            .find(|e| e.placement == placement)
            .cloned()
    }

    /// Loads the running experiments (arm versions already loaded are reused). A version that
    /// cannot be loaded leaves its experiment out (its placement is served by the active model)
    /// and is logged.
    pub async fn sync(&self, store: &Store, models: &Models) -> ApiResult<()> {
        self.sync_with(store, models, Vec::new()).await
    }

    /// [`sync`](Self::sync), with versions the caller has loaded already (a new experiment's
    /// arms, checked before it was created) used instead of loading them again.
    pub async fn sync_with(
        &self,
        store: &Store,
        models: &Models,
        preloaded: Vec<Arc<Serving>>,
    ) -> ApiResult<()> {
        let running = store.list_experiments(true).await?;
        let current = self.live.load_full();
        let unchanged = running.len() == current.len()
            && running.iter().all(|r| current.iter().any(|c| c.id == r.id));
        if unchanged {
            return Ok(());
        }
        let mut loaded: HashMap<i64, Arc<Serving>> = current
            .iter()
            .flat_map(|e| {
                e.arms
                    .iter()
                    .map(|a| (a.serving.version.id, a.serving.clone()))
            })
            .collect();
        if let Some(s) = models.current() {
            loaded.insert(s.version.id, s);
        }
        loaded.extend(preloaded.into_iter().map(|s| (s.version.id, s)));
        let mut live = Vec::new();
        'experiments: for x in running {
            let mut arms = Vec::new();
            for a in &x.arms {
                let serving = match loaded.get(&a.model_version_id) {
                    Some(s) => s.clone(),
                    None => match models.load_version(a.model_version_id).await {
                        Ok(s) => {
                            loaded.insert(a.model_version_id, s.clone());
                            s
                        }
                        Err(e) => {
                            tracing::error!(experiment = x.id, version = a.model_version_id, error = %e,
                                "an experiment arm cannot be served; the placement keeps the active model");
                            continue 'experiments;
                        }
                    },
                };
                arms.push(LiveArm {
                    arm: a.arm,
                    weight: a.weight,
                    serving,
                });
            }
            live.push(Arc::new(LiveExperiment {
                id: x.id,
                placement: x.placement,
                arms,
            }));
        }
        self.live.store(Arc::new(live));
        Ok(())
    }
}

/// A rate with its 95% interval.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Estimate {
    pub value: f64,
    pub low: f64,
    pub high: f64,
}

/// An arm's difference to the control in a proportion.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Difference {
    /// This arm's rate minus the control's.
    pub difference: f64,
    /// Two-sided p-value of the two-proportion z-test (pooled).
    pub p_value: f64,
}

/// One arm's results.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ArmResult {
    pub arm: i64,
    pub model_version_id: i64,
    pub weight: f64,
    pub impressions: i64,
    pub clicks: i64,
    pub add_to_carts: i64,
    pub purchases: i64,
    pub revenue_cents: i64,
    /// Clicks per impression (a list shown once is one impression), Wilson interval.
    pub ctr: Estimate,
    /// Attributed purchases per impression, Wilson interval.
    pub conversion: Estimate,
    /// Attributed revenue (cents) per 1,000 impressions, normal interval.
    pub revenue_per_mille_cents: Estimate,
    /// Against arm 0 (the control); absent for the control itself.
    pub ctr_vs_control: Option<Difference>,
    pub conversion_vs_control: Option<Difference>,
}

const Z95: f64 = 1.959_963_984_540_054;

/// Wilson score interval of `k` successes in `n` trials.
pub fn wilson(k: i64, n: i64) -> Estimate {
    if n <= 0 {
        return Estimate {
            value: 0.0,
            low: 0.0,
            high: 1.0,
        };
    }
    let (k, n) = (k.clamp(0, n) as f64, n as f64);
    let p = k / n;
    let z2 = Z95 * Z95;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = Z95 * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / (1.0 + z2 / n);
    Estimate {
        value: p,
        low: (centre - half).max(0.0),
        high: (centre + half).min(1.0),
    }
}

/// The standard normal CDF (Abramowitz & Stegun 7.1.26 for erf; error below 1.5e-7).
fn normal_cdf(x: f64) -> f64 {
    let t = 1.0 / (1.0 + 0.327_591_1 * x.abs() / std::f64::consts::SQRT_2);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erf = 1.0 - poly * (-(x * x) / 2.0).exp();
    if x >= 0.0 {
        0.5 * (1.0 + erf)
    } else {
        0.5 * (1.0 - erf)
    }
}

/// The pooled two-proportion z-test of `k1/n1` against `k0/n0`.
pub fn two_proportion(k1: i64, n1: i64, k0: i64, n0: i64) -> Option<Difference> {
    if n1 <= 0 || n0 <= 0 {
        return None;
    }
    let (p1, p0) = (k1 as f64 / n1 as f64, k0 as f64 / n0 as f64);
    let pooled = (k1 + k0) as f64 / (n1 + n0) as f64;
    let se = (pooled * (1.0 - pooled) * (1.0 / n1 as f64 + 1.0 / n0 as f64)).sqrt();
    let p_value = if se > 0.0 {
        2.0 * (1.0 - normal_cdf(((p1 - p0) / se).abs()))
    } else {
        1.0
    };
    Some(Difference {
        difference: p1 - p0,
        p_value: p_value.clamp(0.0, 1.0),
    })
}

/// Revenue per 1,000 impressions: the mean of a per-impression revenue (zero for most) with
/// its normal interval.
fn per_mille(revenue: i64, revenue_sq: f64, n: i64) -> Estimate {
    if n <= 0 {
        return Estimate {
            value: 0.0,
            low: 0.0,
            high: 0.0,
        };
    }
    let n = n as f64;
    let mean = revenue as f64 / n;
    let var = (revenue_sq / n - mean * mean).max(0.0);
    let half = Z95 * (var / n).sqrt();
    Estimate {
        value: mean * 1000.0,
        low: ((mean - half) * 1000.0).max(0.0),
        high: (mean + half) * 1000.0,
    }
}

/// Each arm's results from its counts, the control (arm 0) first.
pub fn results(arms: &[recsys_store::Arm], counts: &[ArmCounts]) -> Vec<ArmResult> {
    let control = counts
        .iter()
        .find(|c| c.arm == 0)
        .cloned()
        .unwrap_or_default();
    counts
        .iter()
        .map(|c| {
            let arm = arms.iter().find(|a| a.arm == c.arm);
            let vs = c.arm != 0;
            ArmResult {
                arm: c.arm,
                model_version_id: arm.map_or(0, |a| a.model_version_id),
                weight: arm.map_or(0.0, |a| a.weight),
                impressions: c.impressions,
                clicks: c.clicks,
                add_to_carts: c.add_to_carts,
                purchases: c.purchases,
                revenue_cents: c.revenue_cents,
                ctr: wilson(c.clicks, c.impressions),
                conversion: wilson(c.purchases, c.impressions),
                revenue_per_mille_cents: per_mille(c.revenue_cents, c.revenue_sq, c.impressions),
                ctr_vs_control: vs
                    .then(|| {
                        two_proportion(c.clicks, c.impressions, control.clicks, control.impressions)
                    })
                    .flatten(),
                conversion_vs_control: vs
                    .then(|| {
                        two_proportion(
                            c.purchases,
                            c.impressions,
                            control.purchases,
                            control.impressions,
                        )
                    })
                    .flatten(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_statistics_match_textbook_values() {
        // Wilson 95% for 10/100: (0.0552, 0.1744)
        let w = wilson(10, 100);
        assert!(
            (w.low - 0.0552).abs() < 5e-4 && (w.high - 0.1744).abs() < 5e-4,
            "{w:?}"
        );
        // 120/1000 against 100/1000: z = 1.4257, p = 0.1539
        let d = two_proportion(120, 1000, 100, 1000).unwrap();
        assert!((d.p_value - 0.1539).abs() < 1e-3, "{d:?}");
        assert!((normal_cdf(1.959_964) - 0.975).abs() < 1e-6);
        assert!(two_proportion(1, 0, 1, 10).is_none());
    }

    #[test]
    fn assignment_is_stable_and_follows_the_weights() {
        let w = [3.0, 1.0];
        let mut counts = [0usize; 2];
        for u in 0..20_000 {
            counts[pick_arm(7, &w, &format!("u{u}"))] += 1;
        }
        let share = counts[0] as f64 / 20_000.0;
        assert!((share - 0.75).abs() < 0.02, "{share}");
        assert_eq!(pick_arm(7, &w, "u42"), pick_arm(7, &w, "u42"));
        // another experiment shuffles subjects independently
        let same = (0..2000)
            .filter(|u| {
                let s = format!("u{u}");
                pick_arm(7, &[1.0, 1.0], &s) == pick_arm(8, &[1.0, 1.0], &s)
            })
            .count();
        assert!((800..1200).contains(&same), "{same}");
    }
}
