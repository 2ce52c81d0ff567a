-- Idempotency keys of checkouts: the first checkout with a (user, key) creates the order, every
-- later one returns it. The row is written in the checkout's transaction, before the cart is
-- claimed (SQLite's writers take turns, so a concurrent checkout with the same key sees it).
CREATE TABLE checkout_keys (
    user_id    BIGINT NOT NULL REFERENCES users (id),
    key        TEXT   NOT NULL,
    order_id   BIGINT REFERENCES orders (id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, key)
);
