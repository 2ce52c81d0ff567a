-- A shop's own keys, so its catalog, customers and history can be imported, kept in sync and
-- exported again: a customer's `external_id` (the shop's customer id) and an order's
-- `external_id`. Categories are keyed by their slug and products by their sku, as before.
-- A customer imported without a password hash has an empty `password_hash`: it cannot sign in
-- until an admin sets a password.
ALTER TABLE users ADD COLUMN external_id TEXT;
CREATE UNIQUE INDEX users_external_id_key ON users (external_id);
ALTER TABLE orders ADD COLUMN external_id TEXT;
CREATE UNIQUE INDEX orders_external_id_key ON orders (external_id);
