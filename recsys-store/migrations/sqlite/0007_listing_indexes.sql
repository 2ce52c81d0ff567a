-- Indexes a real shop's size needs (150,000 products, 1,500,000 customers):
-- the catalog cache reads the products written since its last look (by updated_at);
-- the admin's customer list pages newest first without sorting every customer.
CREATE INDEX products_by_updated_at ON products (updated_at);
CREATE INDEX users_by_created_at ON users (created_at, id);
