//! The OpenAPI 3.1 document, generated from the handlers' annotations, and the API page
//! (Swagger UI, its files built into the binary: it works with no internet).

use axum::Router;
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::path::Operation;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::SwaggerUi;

use crate::routes;
use crate::state::AppState;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        // the service API's keys (`Authorization: Bearer rk_...` is taken too)
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-API-Key",
                "a service API key, rk_...: made by an admin (POST /api/v1/admin/api-keys)",
            ))),
        );
    }
}

/// What every error answer looks like, in the document as on the wire: each operation lists the
/// problems any request can meet (400 malformed, 422 invalid, 429 rate limited, 500; with a body
/// also 413 and 415; with auth 401), and every problem is `application/problem+json`.
struct Problems;

const PROBLEM_TYPE: &str = "application/problem+json";

fn problem_response(description: &str) -> RefOr<utoipa::openapi::Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                PROBLEM_TYPE,
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .build(),
            )
            .build(),
    )
}

fn complete(op: &mut Operation) {
    let mut common = vec![
        ("400", "malformed request"),
        ("422", "invalid input"),
        ("429", "rate limited"),
        ("500", "internal error (the request id only)"),
    ];
    if op.request_body.is_some() {
        common.push(("413", "body over the size limit"));
        common.push(("415", "body is not JSON"));
    }
    if op.security.as_ref().is_some_and(|s| !s.is_empty()) {
        common.push(("401", "no or an invalid access token or API key"));
    }
    for (status, description) in common {
        op.responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| problem_response(description));
    }
    // problems declared with `body = Problem` come out as application/json: say what is sent
    for response in op.responses.responses.values_mut() {
        if let RefOr::T(r) = response
            && let Some(content) = r.content.shift_remove("application/json")
        {
            let is_problem = matches!(&content, RefOr::T(c) if matches!(&c.schema, Some(RefOr::Ref(x)) if x.ref_location.ends_with("/Problem")));
            let key = if is_problem {
                PROBLEM_TYPE
            } else {
                "application/json"
            };
            r.content.insert(key.to_string(), content);
        }
    }
}

impl Modify for Problems {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            for op in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                complete(op);
            }
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "recsys shop API", description = "Catalog, cart, orders, accounts and live recommendations. Errors are RFC 9457 problem+json."),
    modifiers(&BearerAuth, &Problems),
    components(schemas(crate::error::Problem, crate::auth::api_keys::Scope, recsys_store::ProductSort, recsys_store::OrderStatus, recsys_store::Role, routes::events::KindParam)),
    paths(
        routes::auth::register, routes::auth::login, routes::auth::refresh, routes::auth::logout, routes::auth::me,
        routes::catalog::categories, routes::catalog::list_products, routes::catalog::product, routes::catalog::search,
        routes::recommendations::recommendations, routes::recommendations::click, routes::recommendations::similar, routes::recommendations::bought_together,
        routes::cart::cart, routes::cart::set_item, routes::cart::remove_item,
        routes::orders::checkout, routes::orders::list, routes::orders::one, routes::orders::cancel,
        routes::events::record,
        routes::admin_catalog::list_products, routes::admin_catalog::create_product, routes::admin_catalog::update_product, routes::admin_catalog::delete_product,
        routes::admin_catalog::create_category, routes::admin_catalog::update_category, routes::admin_catalog::delete_category,
        routes::admin_catalog::list_orders, routes::admin_catalog::update_order,
        routes::admin_users::list, routes::admin_users::one, routes::admin_users::update,
        routes::admin_ml::train, routes::admin_ml::runs, routes::admin_ml::run, routes::admin_ml::cancel,
        routes::admin_ml::models, routes::admin_ml::activate, routes::admin_ml::rollback,
        routes::admin_ml::create_experiment, routes::admin_ml::experiments, routes::admin_ml::experiment, routes::admin_ml::stop_experiment,
        routes::admin_ml::run_segments, routes::admin_ml::segments,
        routes::analytics::overview, routes::analytics::daily_users, routes::analytics::search,
        routes::analytics::recommendations, routes::analytics::rollup, routes::analytics::audit_log,
        routes::api_keys::list, routes::api_keys::create, routes::api_keys::revoke,
        routes::service::categories, routes::service::products, routes::service::customers, routes::service::events,
        routes::service::user_recommendations, routes::service::similar, routes::service::session_recommendations,
        routes::service::export,
        routes::images::admin_upload, routes::images::service_upload, routes::images::image,
        routes::health::live, routes::health::ready, routes::health::health, routes::health::metrics,
    ),
    tags(
        (name = "auth", description = "Accounts and sessions"),
        (name = "catalog", description = "Categories, products, search"),
        (name = "recommendations", description = "Personalized lists, similar items, bought together"),
        (name = "cart"), (name = "orders"), (name = "events", description = "Interactions: the training data"),
        (name = "admin", description = "Catalog, order and user management (admin permissions)"),
        (name = "ml", description = "Model lifecycle: training runs, versions, experiments, segments (admin permission ml)"),
        (name = "analytics", description = "Dashboard figures and the audit log (admin permission analytics)"),
        (name = "operations", description = "Health and metrics"),
        (name = "service", description = "For a shop with its own storefront: its catalog, users and events in, recommendations out, in its own ids (an API key with scopes)"),
    )
)]
pub struct ApiDoc;

/// `GET /openapi.json` and `GET /docs`.
pub fn router() -> Router<AppState> {
    Router::new().merge(SwaggerUi::new("/docs").url("/openapi.json", ApiDoc::openapi()))
}
