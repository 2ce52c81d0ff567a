-- recsys store schema, SQLite. Never edit a migration that has landed: add the next number.
-- Times are milliseconds since the Unix epoch (UTC) in BIGINT columns, the same in both backends;
-- days are ISO dates ('YYYY-MM-DD', UTC); money is integer cents.


-- core: users, catalog, carts, orders ---------------------------------------------------------

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    email         TEXT    NOT NULL CONSTRAINT users_email_key UNIQUE,
    password_hash TEXT    NOT NULL,
    display_name  TEXT    NOT NULL DEFAULT '',
    role          TEXT    NOT NULL CHECK (role IN ('admin', 'user')),
    active        BOOLEAN NOT NULL DEFAULT TRUE,
    created_at    BIGINT  NOT NULL,
    updated_at    BIGINT  NOT NULL,
    last_login_at BIGINT
);

CREATE TABLE categories (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT   NOT NULL,
    slug       TEXT   NOT NULL CONSTRAINT categories_slug_key UNIQUE,
    parent_id  BIGINT REFERENCES categories (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX categories_parent_idx ON categories (parent_id);

CREATE TABLE products (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    sku         TEXT    NOT NULL CONSTRAINT products_sku_key UNIQUE,
    name        TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    category_id BIGINT  REFERENCES categories (id),
    price_cents BIGINT  NOT NULL CHECK (price_cents >= 0),
    stock       BIGINT  NOT NULL CHECK (stock >= 0),
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    attributes  TEXT   NOT NULL DEFAULT '{}',
    -- lower-cased sku, name and description, written by the store: LIKE on it matches the same
    -- rows on both backends (SQLite's LOWER and LIKE fold ASCII only)
    search_text TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL
);
CREATE INDEX products_category_idx ON products (category_id);
CREATE INDEX products_price_idx ON products (price_cents);

CREATE TABLE cart_items (
    user_id    BIGINT NOT NULL REFERENCES users (id),
    product_id BIGINT NOT NULL REFERENCES products (id),
    quantity   BIGINT NOT NULL CHECK (quantity > 0),
    added_at   BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, product_id)
);

CREATE TABLE orders (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     BIGINT NOT NULL REFERENCES users (id),
    status      TEXT   NOT NULL
                CHECK (status IN ('pending', 'paid', 'shipped', 'delivered', 'cancelled')),
    total_cents BIGINT NOT NULL CHECK (total_cents >= 0),
    item_count  BIGINT NOT NULL CHECK (item_count > 0),
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX orders_user_idx ON orders (user_id, created_at);
CREATE INDEX orders_created_idx ON orders (created_at);

CREATE TABLE order_lines (
    order_id         BIGINT NOT NULL REFERENCES orders (id),
    product_id       BIGINT NOT NULL REFERENCES products (id),
    sku              TEXT   NOT NULL,
    name             TEXT   NOT NULL,
    unit_price_cents BIGINT NOT NULL CHECK (unit_price_cents >= 0),
    quantity         BIGINT NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (order_id, product_id)
);

-- interaction events: the implicit feedback the models train on ---------------------------------
-- The one high-volume, append-only table. It has no foreign keys: their per-row checks cut
-- Postgres's ingest rate to a third. `record_events` checks that every user and product of a
-- batch exists, users are never deleted (only deactivated), and a product with events cannot be
-- deleted; the one gap is a product deleted while a batch naming it is being written.

CREATE TABLE events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    BIGINT NOT NULL,
    product_id BIGINT NOT NULL,
    kind       TEXT   NOT NULL CHECK (kind IN ('view', 'click', 'add_to_cart', 'purchase', 'rating')),
    value      REAL NOT NULL,
    at         BIGINT NOT NULL
);
CREATE INDEX events_user_idx ON events (user_id, at);
CREATE INDEX events_at_idx ON events (at);

-- ML bookkeeping --------------------------------------------------------------------------------

CREATE TABLE model_configs (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT   NOT NULL CONSTRAINT model_configs_name_key UNIQUE,
    kind       TEXT   NOT NULL,
    params     TEXT  NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE model_versions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT    NOT NULL,
    version      BIGINT  NOT NULL,
    kind         TEXT    NOT NULL,
    config_id    BIGINT  REFERENCES model_configs (id),
    params       TEXT   NOT NULL,
    metrics      TEXT   NOT NULL,
    blob         BLOB   NOT NULL,
    size_bytes   BIGINT  NOT NULL,
    checksum     TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL,
    active       BOOLEAN NOT NULL DEFAULT FALSE,
    activated_at BIGINT,
    CONSTRAINT model_versions_name_version_key UNIQUE (name, version)
);
-- at most one active version per model name: activation and rollback swap it in one transaction
CREATE UNIQUE INDEX model_versions_one_active ON model_versions (name) WHERE active;

CREATE TABLE training_runs (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    model_name       TEXT   NOT NULL,
    config_id        BIGINT REFERENCES model_configs (id),
    status           TEXT   NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    params           TEXT  NOT NULL,
    created_at       BIGINT NOT NULL,
    started_at       BIGINT,
    finished_at      BIGINT,
    error            TEXT,
    model_version_id BIGINT REFERENCES model_versions (id)
);
CREATE INDEX training_runs_model_idx ON training_runs (model_name, created_at);

CREATE TABLE rec_metrics (
    model_version_id BIGINT NOT NULL REFERENCES model_versions (id),
    placement        TEXT   NOT NULL,
    day              TEXT   NOT NULL,
    impressions      BIGINT NOT NULL DEFAULT 0,
    clicks           BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (model_version_id, placement, day)
);

CREATE TABLE user_segments (
    user_id          BIGINT NOT NULL PRIMARY KEY REFERENCES users (id),
    segment          BIGINT NOT NULL CHECK (segment >= 0),
    model_version_id BIGINT REFERENCES model_versions (id),
    assigned_at      BIGINT NOT NULL
);

-- item embeddings: one space per model (ALS item factors, content vectors, ...). Vectors are
-- blobs of little-endian f32; nearest-neighbour queries are answered exactly in Rust.
CREATE TABLE embedding_spaces (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT   NOT NULL CONSTRAINT embedding_spaces_name_key UNIQUE,
    dimensions BIGINT NOT NULL CHECK (dimensions BETWEEN 1 AND 2000),
    -- bumped by every write to the space's vectors: tells in-process caches they are stale
    generation BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

CREATE TABLE item_embeddings (
    space_id   BIGINT NOT NULL REFERENCES embedding_spaces (id),
    product_id BIGINT NOT NULL REFERENCES products (id),
    embedding  BLOB NOT NULL,
    PRIMARY KEY (space_id, product_id)
);

-- analytics -------------------------------------------------------------------------------------

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    actor_id    BIGINT REFERENCES users (id),
    action      TEXT   NOT NULL,
    target_type TEXT   NOT NULL,
    target_id   TEXT,
    before      TEXT,
    after       TEXT,
    at          BIGINT NOT NULL
);
CREATE INDEX audit_log_at_idx ON audit_log (at);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, at);

CREATE TABLE search_queries (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    query         TEXT   NOT NULL,
    normalized    TEXT   NOT NULL,
    results_count BIGINT NOT NULL CHECK (results_count >= 0),
    user_id       BIGINT REFERENCES users (id),
    at            BIGINT NOT NULL
);
CREATE INDEX search_queries_at_idx ON search_queries (at);

CREATE TABLE daily_user_metrics (
    day           TEXT   NOT NULL,
    user_id       BIGINT NOT NULL REFERENCES users (id),
    views         BIGINT NOT NULL,
    clicks        BIGINT NOT NULL,
    cart_adds     BIGINT NOT NULL,
    purchases     BIGINT NOT NULL,
    ratings       BIGINT NOT NULL,
    orders        BIGINT NOT NULL,
    revenue_cents BIGINT NOT NULL,
    searches      BIGINT NOT NULL,
    PRIMARY KEY (day, user_id)
);
