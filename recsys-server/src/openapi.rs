//! The OpenAPI 3.1 document, generated from the handlers' annotations, and the API page
//! (Swagger UI, its files built into the binary: it works with no internet).

use axum::Router;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
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
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "recsys shop API", description = "Catalog, cart, orders, accounts and live recommendations. Errors are RFC 9457 problem+json."),
    modifiers(&BearerAuth),
    paths(
        routes::auth::register, routes::auth::login, routes::auth::refresh, routes::auth::logout, routes::auth::me,
        routes::catalog::categories, routes::catalog::list_products, routes::catalog::product, routes::catalog::search,
        routes::recommendations::recommendations, routes::recommendations::similar, routes::recommendations::bought_together,
        routes::cart::cart, routes::cart::set_item, routes::cart::remove_item,
        routes::orders::checkout, routes::orders::list, routes::orders::one, routes::orders::cancel,
        routes::events::record,
        routes::admin_catalog::create_product, routes::admin_catalog::update_product, routes::admin_catalog::delete_product,
        routes::admin_catalog::create_category, routes::admin_catalog::update_category, routes::admin_catalog::delete_category,
        routes::admin_catalog::update_order,
        routes::health::live, routes::health::ready, routes::health::health, routes::health::metrics,
    ),
    tags(
        (name = "auth", description = "Accounts and sessions"),
        (name = "catalog", description = "Categories, products, search"),
        (name = "recommendations", description = "Personalized lists, similar items, bought together"),
        (name = "cart"), (name = "orders"), (name = "events", description = "Interactions: the training data"),
        (name = "admin", description = "Catalog and order management (admin permissions)"),
        (name = "operations", description = "Health and metrics"),
    )
)]
pub struct ApiDoc;

/// `GET /openapi.json` and `GET /docs`.
pub fn router() -> Router<AppState> {
    Router::new().merge(SwaggerUi::new("/docs").url("/openapi.json", ApiDoc::openapi()))
}
