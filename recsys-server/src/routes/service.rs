//! `/api/v1/service/...`: the service API, for a shop that keeps its own storefront and calls
//! recsys server to server with an API key (`X-API-Key: rk_...` or `Authorization: Bearer
//! rk_...`), in its own ids: products by sku, categories by key, users by the shop's user id.
//!
//! - writes (scope `catalog:write`: categories, products; `events:write`: customers, events):
//!   a JSON array of up to [`MAX_RECORDS`] records with the importer's fields, checked with the
//!   importer's rules and messages (the record's index and the field), all or nothing; each
//!   request is one audit-log entry attributed to the key;
//! - recommendations (`recommend:read`) for a user, similar to an item, and for a visitor's
//!   session, answered with skus and a `recommendation_id` for click reports;
//! - the shop's records back (`export:read`), page by page, in the export's fields.

use std::collections::{HashMap, HashSet};

use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use recsys_store::bulk::{CustomerRecord, EventRecord, KeyKind};
use recsys_store::{EventKind, format_timestamp, now_ms};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};

use crate::auth::extract::{Service, scope};
use crate::error::{ApiError, ApiResult, FieldError, Problem};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::routes::{Actor, audit};
use crate::services::experiments;
use crate::services::recommend::{
    ListOrigin, ListRequest, MAX_ITEMS, Recommendations, check_length, parse_recommendation_id,
    record_click,
};
use crate::services::shop_files::export;
use crate::services::shop_files::formats::{Row, json_object};
use crate::services::shop_files::records::{self, Entity};
use crate::state::AppState;

/// The most records in one write.
pub const MAX_RECORDS: usize = 1000;
/// The most errors one answer lists.
const MAX_ERRORS: usize = 50;
/// Rows of an export page at most (and by default).
const MAX_EXPORT_PAGE: i64 = 1000;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/service/categories", post(categories))
        .route("/api/v1/service/products", post(products))
        .route("/api/v1/service/customers", post(customers))
        .route("/api/v1/service/events", post(events))
        .route(
            "/api/v1/service/users/{user}/recommendations",
            get(user_recommendations),
        )
        .route("/api/v1/service/items/{sku}/similar", get(similar))
        .route(
            "/api/v1/service/recommendations/session",
            post(session_recommendations),
        )
        .route("/api/v1/service/export/{entity}", get(export))
}

/// What a write did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceWritten {
    /// Records whose key was new.
    pub created: u64,
    /// Records that changed a stored one.
    pub updated: u64,
    /// Records equal to what was stored.
    pub unchanged: u64,
    /// Customers made for user ids the shop had not sent before (events only).
    pub customers_created: u64,
}

impl ServiceWritten {
    fn of(counts: recsys_store::bulk::Counts) -> ServiceWritten {
        ServiceWritten {
            created: counts.created,
            updated: counts.updated,
            unchanged: counts.unchanged,
            customers_created: 0,
        }
    }
}

/// A category (the importer's fields).
#[derive(Debug, Deserialize, ToSchema)]
pub struct ServiceCategory {
    /// Lower-case letters, digits and '-'.
    pub key: String,
    pub name: String,
    /// The parent's key: stored, or earlier in the same request.
    pub parent: Option<String>,
}

/// A product (the importer's fields).
#[derive(Debug, Deserialize, ToSchema)]
pub struct ServiceProduct {
    pub sku: String,
    pub name: String,
    pub description: Option<String>,
    /// A stored category's key.
    pub category: Option<String>,
    /// The price in cents (or `price`, a decimal with a dot).
    pub price_cents: Option<i64>,
    pub price: Option<String>,
    pub stock: i64,
    /// Default true.
    pub active: Option<bool>,
    #[schema(value_type = Object)]
    pub attributes: Option<Value>,
    /// Its picture: the shop's `https://` address or `/images/...` from an upload; left out,
    /// the stored one stays.
    pub image_url: Option<String>,
    /// RFC 3339 or a date.
    pub created_at: Option<String>,
}

/// A customer under the shop's user id (no password: customers of a shop with its own
/// storefront sign in there).
#[derive(Debug, Deserialize, ToSchema)]
pub struct ServiceCustomer {
    pub external_id: String,
    /// Left out: a stored customer keeps its address, a new one gets one under the reserved
    /// domain `customers.invalid`.
    pub email: Option<String>,
    pub name: Option<String>,
    pub active: Option<bool>,
    pub created_at: Option<String>,
}

/// An interaction of one of the shop's users with one of its products.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ServiceEvent {
    /// The shop's user id (a customer is made for one not seen before).
    pub user: String,
    /// The product's sku.
    pub item: String,
    /// view, click, add_to_cart, purchase or rating.
    pub kind: String,
    /// 1 for a view or click (default), the quantity of a cart add or purchase, the rating.
    pub value: Option<f64>,
    /// When it happened (RFC 3339 or a date; default now): older events back-fill the history.
    pub at: Option<String>,
    /// For a click on a list of ours: that list's `recommendation_id` (counts the click for
    /// the model version that made it).
    pub recommendation_id: Option<String>,
}

/// Checks the count of a write.
fn check_count(n: usize) -> ApiResult<()> {
    if n == 0 || n > MAX_RECORDS {
        return Err(ApiError::field(
            "body",
            format!("must be an array of 1 to {MAX_RECORDS} records, got {n}"),
        ));
    }
    Ok(())
}

/// The answer for bad records: the first [`MAX_ERRORS`] problems, each `[index].field`.
fn refuse(errors: Vec<FieldError>, total: usize) -> ApiError {
    let n = errors.len();
    ApiError::Validation {
        detail: format!("{n} of the {total} records are invalid; nothing was written"),
        errors: errors.into_iter().take(MAX_ERRORS).collect(),
    }
}

fn at(index: usize, field: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: format!("[{index}].{field}"),
        message: message.into(),
    }
}

/// Reads records with the importer's fields and rules; `Err` lists every bad one.
fn read<T>(
    entity: Entity,
    objects: Vec<Map<String, Value>>,
    parse: impl Fn(&Row) -> Result<T, records::FieldError>,
) -> ApiResult<Vec<T>> {
    check_count(objects.len())?;
    let total = objects.len();
    let mut errors = Vec::new();
    let mut out = Vec::with_capacity(total);
    for (i, object) in objects.into_iter().enumerate() {
        let row = Row::from_object(i as u64, object);
        if let Some(e) = entity.unknown_field(&row.names()) {
            errors.push(at(i, &e.field, e.message));
            continue;
        }
        match parse(&row) {
            Ok(record) => out.push(record),
            Err(e) => errors.push(at(i, &e.field, e.message)),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(refuse(errors, total))
    }
}

/// Records an API key's write in the audit log.
async fn audit_write(
    state: &AppState,
    key: i64,
    entity: Entity,
    written: &ServiceWritten,
) -> ApiResult<()> {
    audit(
        state,
        Actor::Key(key),
        &format!("service.{}", entity.name()),
        entity.name(),
        "batch",
        None,
        serde_json::to_value(written).ok(),
    )
    .await
}

/// Creates or updates categories by key, parents first (a parent is stored or comes earlier).
#[utoipa::path(post, path = "/api/v1/service/categories", tag = "service", security(("api_key" = [])),
    request_body = Vec<ServiceCategory>,
    responses((status = 200, body = ServiceWritten), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn categories(
    State(state): State<AppState>,
    service: Service<scope::CatalogWrite>,
    ApiJson(objects): ApiJson<Vec<Map<String, Value>>>,
) -> ApiResult<axum::Json<ServiceWritten>> {
    let records = read(Entity::Categories, objects, records::category)?;
    let parents: Vec<&str> = records.iter().filter_map(|r| r.parent.as_deref()).collect();
    let stored = state
        .store
        .existing_keys(KeyKind::Category, &parents)
        .await?;
    let mut earlier: HashSet<&str> = HashSet::new();
    let mut errors = Vec::new();
    for (i, r) in records.iter().enumerate() {
        if let Some(parent) = r.parent.as_deref()
            && !stored.contains(parent)
            && !earlier.contains(parent)
        {
            errors.push(at(
                i,
                "parent",
                format!("no category has the key '{parent}' (stored, or earlier in this request)"),
            ));
        }
        earlier.insert(&r.key);
    }
    if !errors.is_empty() {
        return Err(refuse(errors, records.len()));
    }
    let written = ServiceWritten::of(state.store.upsert_categories(&records).await?);
    state.catalog.catch_up().await?;
    audit_write(&state, service.key.id, Entity::Categories, &written).await?;
    Ok(axum::Json(written))
}

/// Creates or updates products by sku (every field of a stored one follows the record).
#[utoipa::path(post, path = "/api/v1/service/products", tag = "service", security(("api_key" = [])),
    request_body = Vec<ServiceProduct>,
    responses((status = 200, body = ServiceWritten), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn products(
    State(state): State<AppState>,
    service: Service<scope::CatalogWrite>,
    ApiJson(objects): ApiJson<Vec<Map<String, Value>>>,
) -> ApiResult<axum::Json<ServiceWritten>> {
    let records = read(Entity::Products, objects, records::product)?;
    let named: Vec<&str> = records
        .iter()
        .filter_map(|r| r.category.as_deref())
        .collect();
    let stored = state.store.existing_keys(KeyKind::Category, &named).await?;
    let mut errors = Vec::new();
    let mut skus = HashSet::new();
    for (i, r) in records.iter().enumerate() {
        if let Some(c) = r.category.as_deref()
            && !stored.contains(c)
        {
            errors.push(at(i, "category", format!("no category has the key '{c}'")));
        }
        if !skus.insert(r.sku.as_str()) {
            errors.push(at(i, "sku", format!("'{}' appears more than once", r.sku)));
        }
    }
    if !errors.is_empty() {
        return Err(refuse(errors, records.len()));
    }
    let written = ServiceWritten::of(state.store.upsert_products(&records).await?);
    state.catalog.catch_up().await?;
    audit_write(&state, service.key.id, Entity::Products, &written).await?;
    Ok(axum::Json(written))
}

/// Creates or updates customers by the shop's user id.
#[utoipa::path(post, path = "/api/v1/service/customers", tag = "service", security(("api_key" = [])),
    request_body = Vec<ServiceCustomer>,
    responses((status = 200, body = ServiceWritten), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn customers(
    State(state): State<AppState>,
    service: Service<scope::EventsWrite>,
    ApiJson(objects): ApiJson<Vec<Map<String, Value>>>,
) -> ApiResult<axum::Json<ServiceWritten>> {
    let records = read(Entity::Customers, objects, |row| {
        if row.get("password_hash").is_some() {
            return Err(records::FieldError {
                field: "password_hash".into(),
                message: "is not taken by the service API (customers of a shop with its own \
                          storefront sign in there); an import can carry it"
                    .into(),
            });
        }
        if row.get("external_id").is_none() {
            return Err(records::FieldError {
                field: "external_id".into(),
                message: "is required".into(),
            });
        }
        records::customer_email_optional(row)
    })?;
    let written = ServiceWritten::of(state.store.upsert_customers(&records).await?);
    audit_write(&state, service.key.id, Entity::Customers, &written).await?;
    Ok(axum::Json(written))
}

/// The fields of a service event, and the importer's name of each.
const EVENT_FIELDS: [(&str, &str); 6] = [
    ("user", "customer"),
    ("item", "sku"),
    ("kind", "kind"),
    ("value", "value"),
    ("at", "at"),
    ("recommendation_id", ""),
];

/// Records events of the shop's users (a user id not seen before becomes a customer), all or
/// nothing. An event equal in user, item, kind and time to a stored one is not stored again.
#[utoipa::path(post, path = "/api/v1/service/events", tag = "service", security(("api_key" = [])),
    request_body = Vec<ServiceEvent>,
    responses((status = 200, body = ServiceWritten), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn events(
    State(state): State<AppState>,
    service: Service<scope::EventsWrite>,
    ApiJson(objects): ApiJson<Vec<Map<String, Value>>>,
) -> ApiResult<axum::Json<ServiceWritten>> {
    check_count(objects.len())?;
    let total = objects.len();
    let now = format_timestamp(now_ms());
    let mut errors = Vec::new();
    let mut records: Vec<EventRecord> = Vec::with_capacity(total);
    let mut clicks: Vec<(usize, ListOrigin)> = Vec::new();
    for (i, object) in objects.into_iter().enumerate() {
        if let Some(name) = object
            .keys()
            .find(|k| !EVENT_FIELDS.iter().any(|(f, _)| f == k))
        {
            let known: Vec<&str> = EVENT_FIELDS.iter().map(|(f, _)| *f).collect();
            errors.push(at(
                i,
                name,
                format!("is not a field of an event (known: {})", known.join(", ")),
            ));
            continue;
        }
        // the importer's row: its names, and now where no time is given
        let mut row: Map<String, Value> = Map::new();
        for (ours, theirs) in EVENT_FIELDS {
            if let Some(v) = object.get(ours).filter(|_| !theirs.is_empty()) {
                row.insert(theirs.to_string(), v.clone());
            }
        }
        if row
            .get("at")
            .is_none_or(|v| v.is_null() || v.as_str().is_some_and(|t| t.trim().is_empty()))
        {
            row.insert("at".into(), Value::String(now.clone()));
        }
        let origin = match object.get("recommendation_id") {
            None | Some(Value::Null) => None,
            Some(v) => match v.as_str().and_then(parse_recommendation_id) {
                Some(origin) => Some(origin),
                None => {
                    errors.push(at(
                        i,
                        "recommendation_id",
                        "is not the recommendation_id of a recommendations response",
                    ));
                    continue;
                }
            },
        };
        match records::event(&Row::from_object(i as u64, row)) {
            Ok(record) => {
                if let Some(origin) = origin.filter(|_| record.kind == EventKind::Click) {
                    clicks.push((records.len(), origin));
                }
                records.push(record);
            }
            Err(e) => {
                let field = EVENT_FIELDS
                    .iter()
                    .find(|(_, theirs)| *theirs == e.field)
                    .map_or(e.field.as_str(), |(ours, _)| ours);
                errors.push(at(i, field, e.message));
            }
        }
    }
    if !errors.is_empty() {
        return Err(refuse(errors, total));
    }
    // every item must be a stored product
    let skus: Vec<&str> = records.iter().map(|r| r.sku.as_str()).collect();
    let products = state.store.existing_keys(KeyKind::Product, &skus).await?;
    for (i, r) in records.iter().enumerate() {
        if !products.contains(&r.sku) {
            errors.push(at(i, "item", format!("no product has the sku '{}'", r.sku)));
        }
    }
    if !errors.is_empty() {
        return Err(refuse(errors, total));
    }
    // users seen for the first time become customers
    let users: Vec<&str> = records.iter().map(|r| r.customer.as_str()).collect();
    let mut ids = state.store.ids_by_keys(KeyKind::Customer, &users).await?;
    let mut customers_created = 0;
    let new: Vec<CustomerRecord> = distinct(users.iter().copied())
        .into_iter()
        .filter(|u| !ids.contains_key(*u))
        .map(|u| CustomerRecord {
            external_id: Some(u.to_string()),
            email: None,
            name: String::new(),
            password_hash: None,
            active: true,
            created_at: None,
        })
        .collect();
    if !new.is_empty() {
        match state.store.upsert_customers(&new).await {
            Ok(counts) => customers_created = counts.created,
            // another request made some of them at the same moment: they are there now
            Err(recsys_store::StoreError::Conflict { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        ids = state.store.ids_by_keys(KeyKind::Customer, &users).await?;
    }
    let counts = state.store.import_events(&records).await?;
    for r in &records {
        if let Some(&id) = ids.get(&r.customer) {
            // this replica's lists follow at once; the others within the user cache time
            state.histories.forget(&id);
            if r.kind == EventKind::Purchase {
                state.purchases.forget(&id);
            }
        }
    }
    for (index, origin) in clicks {
        let subject = ids
            .get(&records[index].customer)
            .map(|&id| experiments::user_subject(id));
        record_click(&state.recorder, origin, subject.as_deref());
    }
    let written = ServiceWritten {
        customers_created,
        ..ServiceWritten::of(counts)
    };
    audit_write(&state, service.key.id, Entity::Events, &written).await?;
    Ok(axum::Json(written))
}

fn distinct<'a>(keys: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut seen = HashSet::new();
    keys.filter(|k| seen.insert(*k)).collect()
}

/// A recommended product, by sku.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceItem {
    pub sku: String,
    pub score: f32,
}

/// A list of recommendations in the shop's ids.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceList {
    /// Send it back with a click on one of these items (`recommendation_id` of an event), so
    /// the click counts for the model version that made the list.
    pub recommendation_id: String,
    /// `name@vN` of the model that answered; `null` when no model is trained yet.
    pub model_version: Option<String>,
    pub items: Vec<ServiceItem>,
}

impl From<Recommendations> for ServiceList {
    fn from(r: Recommendations) -> ServiceList {
        ServiceList {
            recommendation_id: r.recommendation_id,
            model_version: r.model_version,
            items: r
                .items
                .into_iter()
                .map(|i| ServiceItem {
                    sku: i.product.sku.clone(),
                    score: i.score,
                })
                .collect(),
        }
    }
}

/// The length a service list asks for (`n`, 10 by default).
fn check_n(n: Option<usize>) -> ApiResult<usize> {
    check_length("n", n.unwrap_or(10))
}

/// The id of the category with this key.
fn category_id(state: &AppState, key: Option<&str>) -> ApiResult<Option<i64>> {
    let Some(key) = key.filter(|k| !k.is_empty()) else {
        return Ok(None);
    };
    let catalog = state.catalog.snapshot();
    catalog
        .categories
        .iter()
        .find(|c| c.slug == key)
        .map(|c| Some(c.id))
        .ok_or_else(|| ApiError::field("category", format!("no category has the key '{key}'")))
}

/// Product ids of these skus (skus of no product are not in the map).
async fn product_ids(state: &AppState, skus: &[&str]) -> ApiResult<HashMap<String, i64>> {
    if skus.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(state.store.ids_by_keys(KeyKind::Product, skus).await?)
}

/// Skus in a comma-separated list, at most [`MAX_ITEMS`].
fn sku_list<'a>(field: &str, value: Option<&'a str>) -> ApiResult<Vec<&'a str>> {
    let Some(value) = value.filter(|v| !v.trim().is_empty()) else {
        return Ok(Vec::new());
    };
    let skus: Vec<&str> = value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if skus.len() > MAX_ITEMS {
        return Err(ApiError::field(
            field,
            format!("at most {MAX_ITEMS} skus, got {}", skus.len()),
        ));
    }
    Ok(skus)
}

/// The placement a list is counted under (default `service`).
fn placement(given: Option<String>) -> String {
    given.unwrap_or_else(|| "service".into())
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UserListParams {
    /// 1 to 100 (default 10).
    #[param(minimum = 1, maximum = 100)]
    pub n: Option<usize>,
    /// Only products in the category with this key, or below it.
    pub category: Option<String>,
    /// Skus to leave out, comma-separated (skus of no product are ignored).
    pub exclude: Option<String>,
    /// Where the list is shown (analytics and experiments): default `service`.
    pub placement: Option<String>,
}

/// Recommendations for one of the shop's users. A user id the server has not seen gets the
/// cold-start list (always full); bought, inactive and out-of-stock products are left out.
#[utoipa::path(get, path = "/api/v1/service/users/{user}/recommendations", tag = "service", security(("api_key" = [])),
    params(("user" = String, Path, description = "the shop's user id"), UserListParams),
    responses((status = 200, body = ServiceList), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn user_recommendations(
    State(state): State<AppState>,
    _service: Service<scope::RecommendRead>,
    ApiPath(user): ApiPath<String>,
    ApiQuery(p): ApiQuery<UserListParams>,
) -> ApiResult<axum::Json<ServiceList>> {
    let n = check_n(p.n)?;
    let category = category_id(&state, p.category.as_deref())?;
    let exclude = sku_list("exclude", p.exclude.as_deref())?;
    let exclude: Vec<i64> = product_ids(&state, &exclude).await?.into_values().collect();
    let user_id = state
        .store
        .ids_by_keys(KeyKind::Customer, &[user.as_str()])
        .await?
        .get(&user)
        .copied();
    let list = state
        .recommend(ListRequest {
            user_id,
            n,
            category,
            exclude,
            context: Vec::new(),
            placement: placement(p.placement),
            session: None,
        })
        .await?;
    Ok(axum::Json(list.into()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SimilarParams {
    /// 1 to 100 (default 10).
    #[param(minimum = 1, maximum = 100)]
    pub n: Option<usize>,
}

/// Products similar to one of the shop's products (an unlisted one too: alternatives to a
/// discontinued product), never the product itself or unlisted ones.
#[utoipa::path(get, path = "/api/v1/service/items/{sku}/similar", tag = "service", security(("api_key" = [])),
    params(("sku" = String, Path), SimilarParams),
    responses((status = 200, body = ServiceList), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn similar(
    State(state): State<AppState>,
    _service: Service<scope::RecommendRead>,
    ApiPath(sku): ApiPath<String>,
    ApiQuery(p): ApiQuery<SimilarParams>,
) -> ApiResult<axum::Json<ServiceList>> {
    let n = check_n(p.n)?;
    let id = product_ids(&state, &[sku.as_str()])
        .await?
        .get(&sku)
        .copied()
        .ok_or_else(|| ApiError::NotFound(format!("no product has the sku '{sku}'")))?;
    match state.similar(id, n, None).await {
        Ok(list) => Ok(axum::Json(list.into())),
        // stored by another replica a moment ago: named by its sku, not by our id
        Err(ApiError::NotFound(_)) => Err(ApiError::NotFound(format!(
            "the product '{sku}' is not in this server's catalog yet; try again in a few seconds"
        ))),
        Err(e) => Err(e),
    }
}

/// A visitor's session.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceSession {
    /// Skus the visitor looked at, most recent last: 1 to 100.
    pub items: Vec<String>,
    /// 1 to 100 (default 10).
    pub n: Option<usize>,
    /// Only products in the category with this key, or below it.
    pub category: Option<String>,
    /// Skus to leave out besides the session's (skus of no product are ignored).
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Where the list is shown: default `service`.
    pub placement: Option<String>,
}

/// Recommendations for a visitor from the items of their session, storing nothing about them
/// (the session's items are left out of the list).
#[utoipa::path(post, path = "/api/v1/service/recommendations/session", tag = "service", security(("api_key" = [])),
    request_body = ServiceSession,
    responses((status = 200, body = ServiceList), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn session_recommendations(
    State(state): State<AppState>,
    _service: Service<scope::RecommendRead>,
    ApiJson(body): ApiJson<ServiceSession>,
) -> ApiResult<axum::Json<ServiceList>> {
    let n = check_n(body.n)?;
    if body.items.is_empty() || body.items.len() > MAX_ITEMS {
        return Err(ApiError::field(
            "items",
            format!("must hold 1 to {MAX_ITEMS} skus, got {}", body.items.len()),
        ));
    }
    if body.exclude.len() > MAX_ITEMS {
        return Err(ApiError::field(
            "exclude",
            format!("at most {MAX_ITEMS} skus, got {}", body.exclude.len()),
        ));
    }
    let category = category_id(&state, body.category.as_deref())?;
    let mut asked: Vec<&str> = body.items.iter().map(String::as_str).collect();
    asked.extend(body.exclude.iter().map(String::as_str));
    let ids = product_ids(&state, &asked).await?;
    let mut errors = Vec::new();
    let mut context = Vec::with_capacity(body.items.len());
    for (i, sku) in body.items.iter().enumerate() {
        match ids.get(sku) {
            Some(&id) => context.push(id),
            None => errors.push(FieldError {
                field: format!("items[{i}]"),
                message: format!("no product has the sku '{sku}'"),
            }),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation {
            detail: format!("{} of the session's items are unknown", errors.len()),
            errors: errors.into_iter().take(MAX_ERRORS).collect(),
        });
    }
    let exclude = body
        .exclude
        .iter()
        .filter_map(|s| ids.get(s).copied())
        .collect();
    let list = state
        .recommend(ListRequest {
            user_id: None,
            n,
            category,
            exclude,
            context,
            placement: placement(body.placement),
            session: None,
        })
        .await?;
    Ok(axum::Json(list.into()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// The `next` of the page before (0 or left out: the first page).
    #[param(minimum = 0)]
    pub after: Option<i64>,
    /// Records at most, 1 to 1,000 (default 1,000).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

/// A page of exported records.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceExportPage {
    /// Records with the export's fields (`docs/import.md`); an order gives one per line.
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<Map<String, Value>>,
    /// Give it as `after` for the next page; `null`: this was the last.
    pub next: Option<i64>,
}

/// The shop's records under its own keys, in the export's fields, page by page (categories:
/// all in one page).
#[utoipa::path(get, path = "/api/v1/service/export/{entity}", tag = "service", security(("api_key" = [])),
    params(("entity" = String, Path, description = "categories, products, customers, orders or events"), ExportParams),
    responses((status = 200, body = ServiceExportPage), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn export(
    State(state): State<AppState>,
    _service: Service<scope::ExportRead>,
    ApiPath(entity): ApiPath<String>,
    ApiQuery(p): ApiQuery<ExportParams>,
) -> ApiResult<axum::Json<ServiceExportPage>> {
    let entity = Entity::ALL
        .into_iter()
        .find(|e| e.name() == entity)
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "'{entity}' is not an entity (categories, products, customers, orders, events)"
            ))
        })?;
    let after = p.after.unwrap_or(0);
    let limit = p.limit.unwrap_or(MAX_EXPORT_PAGE);
    if after < 0 {
        return Err(ApiError::field("after", "must be at least 0"));
    }
    if !(1..=MAX_EXPORT_PAGE).contains(&limit) {
        return Err(ApiError::field(
            "limit",
            format!("must be between 1 and {MAX_EXPORT_PAGE}, got {limit}"),
        ));
    }
    let (rows, next) = export::page(&state.store, entity, after, limit).await?;
    let items = rows
        .iter()
        .map(|values| json_object(entity.fields(), values))
        .collect();
    Ok(axum::Json(ServiceExportPage { items, next }))
}
