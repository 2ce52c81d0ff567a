//! Recommendation lists: the serving model's ranking, the shop's rules (nothing bought,
//! inactive or out of stock; the category asked for), product summaries from the catalog cache,
//! and the impression queued for the analytics.

use std::sync::Arc;

use axum::http::header;
use axum::response::{IntoResponse, Response};

use recsys_core::hybrid::{Blended, BlendedList};
use recsys_core::{Error as CoreError, Id, Interactions, ItemFilter, RecommendOptions, Scored};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult};
use crate::services::catalog::{ProductSummary, Snapshot};
use crate::services::experiments;
use crate::services::list_cache::{CachedList, ListKey};
use crate::services::models::Serving;
use crate::services::recorder::{Record, Recorder};
use crate::state::AppState;
use recsys_store::{ExperimentEvent, ExperimentEventKind};

/// The most items one list may ask for.
pub const MAX_ITEMS: usize = 100;

/// One recommended product.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RecommendedItem {
    pub product: Arc<ProductSummary>,
    pub score: f32,
    /// Where it came from: `als`, `content`, `popular`, `co_purchase`, `catalog`.
    pub source: &'static str,
}

/// A list of recommendations.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Recommendations {
    /// Send it back with clicks on these items (`POST /api/v1/events`), so the click counts for
    /// the model version and placement that produced the list.
    pub recommendation_id: String,
    /// `name@vN` of the model that answered; `null` when no model is trained yet.
    pub model_version: Option<String>,
    pub placement: String,
    pub items: Vec<RecommendedItem>,
}

impl Recommendations {
    /// This list as JSON, byte for byte what serde writes, with each product's summary copied
    /// from the catalog's JSON of it instead of serialized again for every response.
    pub fn to_json(&self) -> serde_json::Result<Vec<u8>> {
        let summaries: usize = self.items.iter().map(|i| i.product.json().len()).sum();
        let mut out = Vec::with_capacity(160 + summaries + 48 * self.items.len());
        out.extend_from_slice(b"{\"recommendation_id\":");
        serde_json::to_writer(&mut out, &self.recommendation_id)?;
        out.extend_from_slice(b",\"model_version\":");
        serde_json::to_writer(&mut out, &self.model_version)?;
        out.extend_from_slice(b",\"placement\":");
        serde_json::to_writer(&mut out, &self.placement)?;
        out.extend_from_slice(b",\"items\":[");
        for (i, item) in self.items.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"product\":");
            out.extend_from_slice(item.product.json().as_bytes());
            out.extend_from_slice(b",\"score\":");
            serde_json::to_writer(&mut out, &item.score)?;
            out.extend_from_slice(b",\"source\":");
            serde_json::to_writer(&mut out, item.source)?;
            out.push(b'}');
        }
        out.extend_from_slice(b"]}");
        Ok(out)
    }
}

impl IntoResponse for Recommendations {
    fn into_response(self) -> Response {
        match self.to_json() {
            Ok(body) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
            Err(e) => ApiError::internal(e).into_response(),
        }
    }
}

/// What a list is asked for.
#[derive(Debug, Clone, Default)]
pub struct ListRequest {
    pub user_id: Option<i64>,
    pub n: usize,
    pub category: Option<i64>,
    pub exclude: Vec<i64>,
    /// Products the visitor looked at this session (anonymous personalization).
    pub context: Vec<i64>,
    pub placement: String,
    /// A visitor's session id: what assigns an anonymous visitor to an experiment's arm.
    pub session: Option<String>,
}

/// Checks a visitor's session id: 8 to 64 characters of A-Z, a-z, 0-9, '_' and '-'.
pub fn check_session(session: &str) -> ApiResult<()> {
    if !(8..=64).contains(&session.len())
        || !session
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(ApiError::field(
            "session",
            "must be 8 to 64 characters of A-Z, a-z, 0-9, '_' and '-'",
        ));
    }
    Ok(())
}

/// Where a list came from: what a click on it counts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListOrigin {
    pub model_version_id: i64,
    pub placement: String,
    /// The experiment and arm that served it.
    pub experiment: Option<(i64, i64)>,
}

/// Counts a click on an item of the list `origin` names, for its model version and placement and,
/// when an experiment served it, for the arm of `subject` ([`experiments::subject`]; a click
/// nobody can be counted for counts for the version only).
pub fn record_click(recorder: &Recorder, origin: ListOrigin, subject: Option<&str>) {
    if let (Some((experiment_id, arm)), Some(subject)) = (origin.experiment, subject) {
        recorder.record(Record::Experiment(ExperimentEvent {
            experiment_id,
            arm,
            subject: subject.to_owned(),
            kind: ExperimentEventKind::Click,
            value_cents: 0,
            at: recsys_store::now_ms(),
        }));
    }
    recorder.record(Record::Click {
        model_version_id: origin.model_version_id,
        placement: origin.placement,
    });
}

/// Checks a placement name: what the analytics group by.
pub fn check_placement(placement: &str) -> ApiResult<()> {
    if placement.is_empty()
        || placement.len() > 64
        || !placement
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
    {
        return Err(ApiError::field(
            "placement",
            "must be 1 to 64 characters of a-z, 0-9, '_' and '-'",
        ));
    }
    Ok(())
}

/// A recommendation id names the model version, placement and experiment arm it came from, so
/// a click can be counted for them on any replica:
/// `r<version id>.<placement>.<random>[.x<experiment>a<arm>]`.
fn recommendation_id(
    version_id: Option<i64>,
    placement: &str,
    experiment: Option<(i64, i64)>,
) -> String {
    let mut id = format!(
        "r{}.{placement}.{:016x}",
        version_id.unwrap_or(0),
        crate::ids::next_u64()
    );
    if let Some((x, arm)) = experiment {
        id.push_str(&format!(".x{x}a{arm}"));
    }
    id
}

/// Where the list of a recommendation id came from, if the id is one of ours.
pub fn parse_recommendation_id(id: &str) -> Option<ListOrigin> {
    let rest = id.strip_prefix('r')?;
    let parts: Vec<&str> = rest.split('.').collect();
    if !(3..=4).contains(&parts.len()) {
        return None;
    }
    let version: i64 = parts[0].parse().ok()?;
    let placement = parts[1].to_string();
    let random = parts[2];
    if version <= 0
        || check_placement(&placement).is_err()
        || random.len() != 16
        || !random.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return None;
    }
    let experiment = match parts.get(3) {
        None => None,
        Some(tag) => {
            let (x, arm) = tag.strip_prefix('x')?.split_once('a')?;
            let (x, arm): (i64, i64) = (x.parse().ok()?, arm.parse().ok()?);
            if x <= 0 || arm < 0 {
                return None;
            }
            Some((x, arm))
        }
    };
    Some(ListOrigin {
        model_version_id: version,
        placement,
        experiment,
    })
}

/// Checks a list's length, 1 to [`MAX_ITEMS`]; `field` is the parameter that gave it (the shop's
/// routes say `limit`, the service API `n`).
pub fn check_length(field: &str, n: usize) -> ApiResult<usize> {
    if n == 0 || n > MAX_ITEMS {
        return Err(ApiError::field(
            field,
            format!("must be between 1 and {MAX_ITEMS}, got {n}"),
        ));
    }
    Ok(n)
}

/// A model's list as the list cache keeps it: its candidates as sorted product ids.
fn to_cached(list: BlendedList) -> CachedList {
    let mut candidates: Vec<i64> = list.candidates.iter().filter_map(product_id).collect();
    candidates.sort_unstable();
    CachedList {
        items: list.items,
        candidates: candidates.into(),
    }
}

/// A customer's history as the models see it: their weighted interactions (a one-row
/// [`Interactions`]), and a fingerprint of it that is part of a cached list's key.
#[derive(Debug)]
pub struct History {
    pub data: Interactions,
    pub fingerprint: u64,
}

impl History {
    /// A visitor's: no interactions.
    fn empty() -> History {
        History {
            data: Interactions::from_triples(std::iter::empty::<(i64, i64, f32)>())
                .expect("no triples make a valid empty matrix"),
            fingerprint: 0,
        }
    }

    fn of(user: i64, rows: &[(i64, f32)]) -> ApiResult<History> {
        use std::hash::{BuildHasher, Hasher};
        let mut hasher = foldhash::fast::FixedState::with_seed(0x5eed).build_hasher();
        for &(p, s) in rows {
            hasher.write_i64(p);
            hasher.write_u32(s.to_bits());
        }
        Ok(History {
            data: Interactions::from_triples(rows.iter().map(|&(p, s)| (user, p, s)))?,
            fingerprint: hasher.finish(),
        })
    }
}

fn product_id(id: &Id) -> Option<i64> {
    match id {
        Id::Int(i) => Some(*i),
        Id::Str(_) => None,
    }
}

/// Product ids, sorted, each once: what a list leaves out.
pub type IdSet = Arc<[i64]>;

/// `ids` sorted, each once.
fn id_set(mut ids: Vec<i64>) -> IdSet {
    ids.sort_unstable();
    ids.dedup();
    ids.into()
}

/// What a list leaves out: the user's purchases (shared as they are when nothing else is left
/// out, the usual case) and the products given.
fn skip_set(purchased: Option<IdSet>, more: &[&[i64]]) -> IdSet {
    match purchased {
        Some(bought) if more.iter().all(|m| m.is_empty()) => bought,
        bought => {
            let mut ids: Vec<i64> = bought.as_deref().unwrap_or_default().to_vec();
            ids.extend(more.iter().flat_map(|m| m.iter().copied()));
            id_set(ids)
        }
    }
}

/// Summaries of model items still in the catalog and recommendable, in order, at most `n`.
fn to_items(list: &[Blended], catalog: &Snapshot, skip: &[i64], n: usize) -> Vec<RecommendedItem> {
    list.iter()
        .filter_map(|b| {
            let id = product_id(&b.item.id)?;
            let p = catalog.products.get(&id)?;
            (p.recommendable() && skip.binary_search(&id).is_err()).then(|| RecommendedItem {
                product: Arc::clone(p),
                score: b.item.score,
                source: b.source,
            })
        })
        .take(n)
        .collect()
}

/// The newest recommendable products: what a shop with no trained model shows.
fn catalog_fallback(catalog: &Snapshot, skip: &[i64], n: usize) -> Vec<RecommendedItem> {
    let mut products: Vec<&Arc<ProductSummary>> = catalog
        .products
        .values()
        .filter(|p| p.recommendable() && skip.binary_search(&p.id).is_err())
        .collect();
    products.sort_by_key(|p| std::cmp::Reverse(p.id));
    products
        .into_iter()
        .take(n)
        .map(|p| RecommendedItem {
            product: Arc::clone(p),
            score: 0.0,
            source: "catalog",
        })
        .collect()
}

impl AppState {
    /// Personalized for a signed-in user (their bought products left out), popular (or seeded
    /// by `context`) for a visitor; a user the model has never seen falls back to popularity, so
    /// every list is full while the catalog has enough recommendable products.
    pub async fn recommend(&self, req: ListRequest) -> ApiResult<Recommendations> {
        let n = check_length("limit", req.n)?;
        check_placement(&req.placement)?;
        let catalog = self.catalog.snapshot();
        let skip = skip_set(
            self.purchased(req.user_id).await?,
            &[&req.exclude, &req.context],
        );
        if let Some(s) = &req.session {
            check_session(s)?;
        }
        let subject = experiments::subject(req.user_id, req.session.as_deref());
        let mut serving = self.models.current();
        let mut arm = None;
        if let (Some(x), Some(subject)) = (self.experiments.for_placement(&req.placement), &subject)
        {
            let a = x.assign(subject);
            serving = Some(a.serving.clone());
            arm = Some(Arm {
                experiment: x.id,
                arm: a.arm,
                subject: subject.clone(),
            });
        }
        let Some(serving) = serving else {
            let items = catalog_fallback(&catalog, &skip, n);
            return Ok(self.answer(None, &req.placement, items, None));
        };
        // built only when the model is asked (never for a list the cache holds)
        let filter = || {
            ItemFilter::new()
                .exclude_set(Arc::clone(&catalog.unavailable))
                .exclude(skip.iter().map(|&p| Id::Int(p)))
                .only_if(req.category.map(|c| catalog.products_in(c)))
        };
        let model = &serving.model;
        let list = if req.user_id.is_none() && !req.context.is_empty() {
            // a visitor's session: what is similar to what they looked at, then what the model
            // shows anyone
            let context: Vec<Id> = req.context.iter().map(|&p| Id::Int(p)).collect();
            let list = model.recommend_for_visitor(&context, n * 2, &filter())?;
            Arc::new(CachedList {
                items: list.items,
                candidates: Box::default(),
            })
        } else {
            let history = self.history(req.user_id).await?;
            let key = ListKey {
                version: serving.version.id,
                loaded_at: serving.loaded_at,
                history: history.fingerprint,
                catalog: catalog.generation,
                user: req.user_id,
                n,
                category: req.category,
                skip: Arc::clone(&skip),
            };
            self.lists.get_or_compute(
                key,
                |kept| !catalog.any_unavailable(&kept.candidates),
                || {
                    // a visitor, or a customer the model has never seen: what it shows anyone
                    let anyone = || Ok(model.recommend_to_anyone(n, &filter()));
                    let Some(user) = req.user_id else {
                        return anyone().map(to_cached);
                    };
                    let options = RecommendOptions::new().items(filter());
                    match model.recommend_explained(&Id::Int(user), &history.data, n, &options) {
                        Err(CoreError::UnknownUser(_)) => anyone(),
                        other => other,
                    }
                    .map(to_cached)
                },
            )?
        };
        let items = to_items(&list.items, &catalog, &skip, n);
        Ok(self.answer(Some(&serving), &req.placement, items, arm))
    }

    /// Products like this one: the model's similar items (ALS and content blended; products
    /// nobody bought yet get content neighbours), recommendable ones only.
    pub async fn similar(
        &self,
        product: i64,
        n: usize,
        user_id: Option<i64>,
    ) -> ApiResult<Recommendations> {
        let n = check_length("limit", n)?;
        let catalog = self.catalog.snapshot();
        if !catalog.products.contains_key(&product) {
            return Err(ApiError::NotFound(format!("product {product} not found")));
        }
        let skip = skip_set(self.purchased(user_id).await?, &[&[product]]);
        let Some(serving) = self.models.current() else {
            return Ok(self.answer(None, "similar", Vec::new(), None));
        };
        let filter = ItemFilter::new()
            .exclude_set(Arc::clone(&catalog.unavailable))
            .exclude(skip.iter().map(|&p| Id::Int(p)));
        let list = match serving
            .model
            .similar_items_explained(&Id::Int(product), n, &filter)
        {
            Ok(list) => list,
            // a product added after the model was trained: nothing to compare it with yet
            Err(CoreError::UnknownItem(_)) => Vec::new(),
            Err(e) => return Err(e.into()),
        };
        let items = to_items(&list, &catalog, &skip, n);
        Ok(self.answer(Some(&serving), "similar", items, None))
    }

    /// Products most often bought in the same order as this one.
    pub async fn bought_together(&self, product: i64, n: usize) -> ApiResult<Recommendations> {
        let n = check_length("limit", n)?;
        let catalog = self.catalog.snapshot();
        if !catalog.products.contains_key(&product) {
            return Err(ApiError::NotFound(format!("product {product} not found")));
        }
        let rows = self.store.bought_together(product, (n * 3) as i64).await?;
        let max = rows.first().map_or(1, |r| r.orders).max(1) as f32;
        let list: Vec<Blended> = rows
            .into_iter()
            .map(|r| Blended {
                item: Scored {
                    id: Id::Int(r.product_id),
                    score: r.orders as f32 / max,
                },
                source: "co_purchase",
            })
            .collect();
        let items = to_items(&list, &catalog, &[product], n);
        let serving = self.models.current();
        Ok(self.answer(serving.as_deref(), "bought_together", items, None))
    }

    /// The customer's history (empty for a visitor), read from the store and trusted for the
    /// user cache's time, like their purchases.
    pub async fn history(&self, user: Option<i64>) -> ApiResult<Arc<History>> {
        let Some(user) = user else {
            return Ok(Arc::new(History::empty()));
        };
        if let Some(history) = self.histories.get(&user) {
            return Ok(history);
        }
        let rows = self
            .store
            .user_interactions(user, &recsys_store::EventWeights::default())
            .await?;
        let history = Arc::new(History::of(user, &rows)?);
        self.histories.put(user, Arc::clone(&history));
        Ok(history)
    }

    /// The products a user bought (from memory for `Settings::user_cache_ttl`; a checkout or
    /// cancel through this replica forgets them at once); `None` for a visitor.
    pub async fn purchased(&self, user: Option<i64>) -> ApiResult<Option<IdSet>> {
        let Some(user) = user else {
            return Ok(None);
        };
        if let Some(bought) = self.purchases.get(&user) {
            return Ok(Some(bought));
        }
        let bought = id_set(self.store.purchased_products(user).await?);
        self.purchases.put(user, Arc::clone(&bought));
        Ok(Some(bought))
    }

    fn answer(
        &self,
        serving: Option<&Serving>,
        placement: &str,
        items: Vec<RecommendedItem>,
        arm: Option<Arm>,
    ) -> Recommendations {
        let version_id = serving.map(|s| s.version.id);
        let experiment = arm.as_ref().map(|a| (a.experiment, a.arm));
        if let Some(a) = arm
            && !items.is_empty()
        {
            self.recorder.record(Record::Experiment(ExperimentEvent {
                experiment_id: a.experiment,
                arm: a.arm,
                subject: a.subject,
                kind: ExperimentEventKind::Impression,
                value_cents: 0,
                at: recsys_store::now_ms(),
            }));
        }
        if let Some(version) = version_id
            && !items.is_empty()
        {
            self.recorder.record(Record::Impressions {
                model_version_id: version,
                placement: placement.to_string(),
                count: items.len() as i64,
            });
        }
        metrics::counter!("recsys_recommendations_served_total", "placement" => placement.to_string())
            .increment(1);
        Recommendations {
            recommendation_id: recommendation_id(version_id, placement, experiment),
            model_version: serving.map(|s| s.label().to_owned()),
            placement: placement.to_string(),
            items,
        }
    }
}

/// The experiment arm a list is served from.
struct Arm {
    experiment: i64,
    arm: i64,
    subject: String,
}

/// The id of a visitor the model cannot know: served by the popularity member.
#[cfg(test)]
mod tests {
    use super::*;

    fn product(id: i64, name: &str, attributes: serde_json::Value) -> Arc<ProductSummary> {
        let p = recsys_store::Product {
            id,
            sku: format!("SKU-{id}"),
            name: name.into(),
            description: String::new(),
            price_cents: 1999,
            category_id: Some(3),
            stock: 5,
            active: true,
            attributes,
            image_url: None,
            created_at: 0,
            updated_at: 0,
        };
        Arc::new(ProductSummary::of(&p, "EUR"))
    }

    #[test]
    fn the_written_json_is_byte_for_byte_what_serde_writes() {
        let items = vec![
            RecommendedItem {
                product: product(
                    1,
                    "Quote \" back\\slash, tab\t, line\n, ümlaut, emoji 🎬, ctl \u{1}",
                    serde_json::json!({"year": 1995, "genres": ["Comedy", "Drama"], "nested": {"x": null}}),
                ),
                score: 0.123_456_79,
                source: "als",
            },
            RecommendedItem {
                product: product(2, "<script>alert(1)</script>", serde_json::json!({})),
                score: -3.5e-12,
                source: "popular",
            },
        ];
        for (model_version, items) in [
            (Some("hybrid@v3".to_string()), items.clone()),
            (None, Vec::new()),
            (Some("hybrid@v1".to_string()), items[..1].to_vec()),
        ] {
            let recs = Recommendations {
                recommendation_id: recommendation_id(Some(3), "home", Some((2, 1))),
                model_version,
                placement: "home".into(),
                items,
            };
            let ours = recs.to_json().unwrap();
            let serde = serde_json::to_vec(&recs).unwrap();
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                String::from_utf8(serde).unwrap()
            );
        }
    }

    #[test]
    fn a_skip_set_is_sorted_once_each_and_shares_the_purchases_when_it_can() {
        let bought = id_set(vec![9, 3, 3, 7]);
        assert_eq!(&*bought, &[3, 7, 9]);
        let same = skip_set(Some(Arc::clone(&bought)), &[&[], &[]]);
        assert!(Arc::ptr_eq(&same, &bought));
        assert_eq!(&*skip_set(Some(bought), &[&[8, 3], &[1]]), &[1, 3, 7, 8, 9]);
        assert_eq!(&*skip_set(None, &[&[5, 5]]), &[5]);
        assert!(skip_set(None, &[]).is_empty());
    }

    #[test]
    fn recommendation_ids_round_trip_and_forgeries_are_refused() {
        let id = recommendation_id(Some(42), "home", None);
        let origin = |experiment| ListOrigin {
            model_version_id: 42,
            placement: "home".into(),
            experiment,
        };
        assert_eq!(parse_recommendation_id(&id), Some(origin(None)));
        let id = recommendation_id(Some(42), "home", Some((3, 1)));
        assert_eq!(parse_recommendation_id(&id), Some(origin(Some((3, 1)))));
        for bad in [
            "",
            "r",
            "rx.home.0123456789abcdef",
            "r0.home.0123456789abcdef",
            "r1.Home.0123456789abcdef",
            "r1.home.short",
            "q1.home.0123456789abcdef",
            "r1.home.0123456789abcdeg",
            "r1.home.0123456789abcdef.x0a1",
            "r1.home.0123456789abcdef.x1a-1",
            "r1.home.0123456789abcdef.x1",
            "r1.home.0123456789abcdef.x1a1.more",
        ] {
            assert_eq!(parse_recommendation_id(bad), None, "{bad}");
        }
    }
}
