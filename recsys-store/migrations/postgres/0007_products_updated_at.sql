-- The catalog cache reloads what changed since its last reload (products by updated_at).
CREATE INDEX products_by_updated_at ON products (updated_at);
