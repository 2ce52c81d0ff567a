//! The demo shop: MovieLens-100K turned into a movie shop. Products are the 1,682 movies (title,
//! year, a description from the genres, deterministic prices and stock), genres form a category
//! tree, the 943 users are customers with demo e-mails, and their ratings are views, ratings and
//! (4 stars and up) purchases, grouped into one order per user and day. Times are the ratings'
//! own, shifted so that the newest is yesterday.
//!
//! Imported once: a database that holds the import (an audit entry marks it complete) is reused.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use recsys_store::{
    AuditFilter, EventKind, ImportedOrder, NewAuditEntry, NewCategory, NewEvent, NewProduct,
    NewUser, OrderLineRequest, OrderStatus, Page, PasswordHash, ProductQuery, Role, Store,
};
use serde_json::json;

use crate::error::{ApiError, ApiResult};

/// The password of every demo customer.
pub const DEMO_PASSWORD: &str = "demo-shopper";
/// The demo admin, when `--demo` runs without `RECSYS_ADMIN_EMAIL`: its password is published
/// (in the README and every demo start), so a start warns while it still works.
pub const DEMO_ADMIN: (&str, &str) = ("admin@demo.recsys.dev", "demo-admin-password");
/// The audit action that marks a complete import.
const IMPORTED: &str = "demo.import";

/// The genre groups of the category tree: Movies > group > genre.
const GROUPS: [(&str, &[&str]); 6] = [
    (
        "Action & Adventure",
        &["Action", "Adventure", "War", "Western"],
    ),
    ("Drama & Romance", &["Drama", "Romance"]),
    (
        "Comedy & Family",
        &["Comedy", "Children's", "Animation", "Musical", "Fantasy"],
    ),
    (
        "Suspense",
        &["Thriller", "Crime", "Mystery", "Horror", "Film-Noir"],
    ),
    ("Science Fiction", &["Sci-Fi"]),
    ("Documentary", &["Documentary"]),
];

/// What the import made.
#[derive(Debug, Clone)]
pub struct DemoShop {
    pub products: usize,
    pub customers: usize,
    pub events: u64,
    pub orders: u64,
    /// When the oldest imported event happened (ms): the analytics are rolled up from there.
    pub first_event_at: i64,
}

fn slug(name: &str) -> String {
    let mut s = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            s.push(c.to_ascii_lowercase());
        } else if !s.ends_with('-') {
            s.push('-');
        }
    }
    s.trim_matches('-').to_string()
}

fn demo_email(ml_user: i64) -> String {
    format!("customer{ml_user}@demo.recsys.dev")
}

struct Movie {
    ml_id: i64,
    title: String,
    year: Option<i64>,
    genres: Vec<String>,
}

struct Rating {
    user: i64,
    item: i64,
    rating: f64,
    at_s: i64,
}

fn read_tsv(path: &Path) -> ApiResult<Vec<Vec<String>>> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        ApiError::Internal(format!(
            "cannot read {}: {e} (run scripts/fetch-data.sh ml-100k)",
            path.display()
        ))
    })?;
    Ok(text
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect())
}

fn read_movies(dir: &Path) -> ApiResult<Vec<Movie>> {
    read_tsv(&dir.join("ml-100k.item"))?
        .into_iter()
        .enumerate()
        .map(|(i, row)| {
            let bad = || ApiError::Internal(format!("ml-100k.item line {}: malformed", i + 2));
            Ok(Movie {
                ml_id: row.first().and_then(|s| s.parse().ok()).ok_or_else(bad)?,
                title: row.get(1).cloned().ok_or_else(bad)?.trim().to_string(),
                year: row.get(2).and_then(|s| s.trim().parse().ok()),
                genres: row
                    .get(3)
                    .map(|g| g.split_whitespace().map(str::to_string).collect())
                    .unwrap_or_default(),
            })
        })
        .collect()
}

fn read_ratings(dir: &Path) -> ApiResult<Vec<Rating>> {
    read_tsv(&dir.join("ml-100k.inter"))?
        .into_iter()
        .enumerate()
        .map(|(i, row)| {
            let bad = || ApiError::Internal(format!("ml-100k.inter line {}: malformed", i + 2));
            let num = |k: usize| {
                row.get(k)
                    .and_then(|s| s.trim().parse::<f64>().ok())
                    .ok_or_else(bad)
            };
            Ok(Rating {
                user: num(0)? as i64,
                item: num(1)? as i64,
                rating: num(2)?,
                at_s: num(3)? as i64,
            })
        })
        .collect()
}

/// Whether the database already holds the complete demo import.
pub async fn imported(store: &Store) -> ApiResult<bool> {
    let marks = store
        .audit_log(
            &AuditFilter {
                action: Some(IMPORTED.into()),
                ..Default::default()
            },
            Page::new(1, 0),
        )
        .await?;
    Ok(marks.total > 0)
}

/// Whether `--demo` may use this database: one that holds the demo shop, or an empty one (no
/// categories, products or accounts but the admin the operator named). Any other shop is
/// refused, naming what it holds, so the demo's published accounts never land in a real shop.
pub async fn check_can_host(store: &Store, admin_email: Option<&str>) -> ApiResult<()> {
    if imported(store).await? {
        return Ok(());
    }
    let products = store
        .list_products(&ProductQuery::default(), Page::new(1, 0))
        .await?
        .total;
    let categories = store.list_categories().await?.len();
    let mut accounts = store
        .list_users(&recsys_store::UserFilter::default(), Page::new(1, 0))
        .await?
        .total;
    // an admin made by an earlier start that stopped before the import began
    if let Some(email) = admin_email
        && store.user_by_email(email).await?.is_some()
    {
        accounts -= 1;
    }
    if products > 0 || categories > 0 || accounts > 0 {
        return Err(ApiError::Conflict(format!(
            "--demo: this database holds a shop that is not the demo ({products} products, \
             {categories} categories, {accounts} accounts); the demo only fills an empty \
             database, so start without --demo or use another database"
        )));
    }
    Ok(())
}

/// Whether the demo admin's published password still signs in on this database.
pub async fn published_admin_password_works(
    store: &Store,
    passwords: &crate::auth::password::Passwords,
) -> ApiResult<bool> {
    let Some(user) = store.user_by_email(DEMO_ADMIN.0).await? else {
        return Ok(false);
    };
    let Some(hash) = user.password_hash.clone() else {
        return Ok(false);
    };
    Ok(user.active
        && passwords
            .verify(DEMO_ADMIN.1.to_string(), hash)
            .await?
            .matches)
}

/// Imports the demo shop from `dir` into an empty database. `customer_hash` is the argon2id
/// hash of [`DEMO_PASSWORD`] (one hash for all demo customers: hashing 943 times would take
/// most of a minute).
pub async fn import(store: &Store, dir: &Path, customer_hash: PasswordHash) -> ApiResult<DemoShop> {
    let existing = store
        .list_products(&ProductQuery::default(), Page::new(1, 0))
        .await?;
    if existing.total > 0 || !store.list_categories().await?.is_empty() {
        return Err(ApiError::Conflict(
            "the database already has products but no complete demo import: use an empty database for the demo (or delete it)".into(),
        ));
    }
    let movies = read_movies(dir)?;
    let ratings = read_ratings(dir)?;

    // the category tree
    let root = store
        .create_category(&NewCategory {
            name: "Movies".into(),
            slug: "movies".into(),
            parent_id: None,
        })
        .await?;
    let mut genre_category: HashMap<&str, i64> = HashMap::new();
    for (group, genres) in GROUPS {
        let g = store
            .create_category(&NewCategory {
                name: group.into(),
                slug: format!("movies-{}", slug(group)),
                parent_id: Some(root.id),
            })
            .await?;
        for &genre in genres {
            let c = store
                .create_category(&NewCategory {
                    name: genre.into(),
                    slug: slug(genre),
                    parent_id: Some(g.id),
                })
                .await?;
            genre_category.insert(genre, c.id);
        }
    }

    // products: prices and stock are functions of the movie id, so every import is the same
    let new_products: Vec<NewProduct> = movies
        .iter()
        .map(|m| {
            let year = m.year.map_or(String::new(), |y| format!(" from {y}"));
            let genres = m
                .genres
                .iter()
                .filter(|g| *g != "unknown")
                .cloned()
                .collect::<Vec<_>>();
            let description = if genres.is_empty() {
                format!("A film{year}.")
            } else {
                let genres = genres.join(", ").to_lowercase();
                let article = if genres.starts_with(['a', 'e', 'i', 'o', 'u']) {
                    "An"
                } else {
                    "A"
                };
                format!("{article} {genres} film{year}.")
            };
            let mut p = NewProduct::new(
                format!("ML-{:04}", m.ml_id),
                m.title.clone(),
                499 + (m.ml_id * 37 % 21) * 100,
                if m.ml_id % 23 == 0 {
                    0
                } else {
                    5 + m.ml_id * 13 % 60
                },
            );
            p.description = description;
            p.category_id = genres
                .first()
                .and_then(|g| genre_category.get(g.as_str()).copied());
            p.attributes = json!({"year": m.year, "genres": genres, "movielens_id": m.ml_id});
            p
        })
        .collect();
    let products = store.create_products(&new_products).await?;
    let product_of: HashMap<i64, i64> = movies
        .iter()
        .zip(&products)
        .map(|(m, p)| (m.ml_id, p.id))
        .collect();

    // customers
    let mut ml_users: Vec<i64> = ratings.iter().map(|r| r.user).collect();
    ml_users.sort_unstable();
    ml_users.dedup();
    let mut user_of: HashMap<i64, i64> = HashMap::new();
    for &u in &ml_users {
        let mut new = NewUser::new(demo_email(u), customer_hash.clone(), Role::User);
        new.display_name = format!("Customer {u}");
        user_of.insert(u, store.create_user(&new).await?.id);
    }

    // events and orders, at the ratings' times moved so the newest is a day ago
    let newest = ratings.iter().map(|r| r.at_s).max().unwrap_or(0);
    let shift_ms = recsys_store::now_ms() - 86_400_000 - newest * 1000;
    let at = |s: i64| s * 1000 + shift_ms;
    let mut events = Vec::with_capacity(ratings.len() * 2);
    let mut baskets: BTreeMap<(i64, i64), (i64, Vec<i64>)> = BTreeMap::new();
    for r in &ratings {
        let (Some(&user), Some(&product)) = (user_of.get(&r.user), product_of.get(&r.item)) else {
            continue;
        };
        let t = at(r.at_s);
        events.push(NewEvent::new(user, product, EventKind::View, 1.0).at(t));
        events.push(NewEvent::new(user, product, EventKind::Rating, r.rating).at(t));
        if r.rating >= 4.0 {
            let basket = baskets
                .entry((user, t / 86_400_000))
                .or_insert((t, Vec::new()));
            basket.0 = basket.0.max(t);
            basket.1.push(product);
        }
    }
    let mut stored = 0;
    for chunk in events.chunks(10_000) {
        stored += store.record_events(chunk).await?;
    }
    let orders: Vec<ImportedOrder> = baskets
        .into_iter()
        .map(|((user, _), (t, products))| ImportedOrder {
            user_id: user,
            status: OrderStatus::Delivered,
            at: t,
            lines: products
                .into_iter()
                .map(|product_id| OrderLineRequest {
                    product_id,
                    quantity: 1,
                })
                .collect(),
        })
        .collect();
    let mut order_count = 0;
    for chunk in orders.chunks(1000) {
        order_count += store.import_orders(chunk).await?;
    }
    let purchases: u64 = orders.iter().map(|o| o.lines.len() as u64).sum();
    let shop = DemoShop {
        products: products.len(),
        customers: user_of.len(),
        events: stored + purchases,
        orders: order_count,
        first_event_at: at(ratings.iter().map(|r| r.at_s).min().unwrap_or(newest)),
    };
    store
        .append_audit(&NewAuditEntry {
            actor_id: None,
            api_key_id: None,
            client_addr: None,
            action: IMPORTED.into(),
            target_type: "shop".into(),
            target_id: None,
            before: None,
            after: Some(json!({
                "products": shop.products,
                "customers": shop.customers,
                "events": shop.events,
                "orders": shop.orders,
            })),
        })
        .await?;
    Ok(shop)
}

/// The e-mail of the demo customer shown at start-up.
pub fn first_customer_email() -> String {
    demo_email(1)
}
