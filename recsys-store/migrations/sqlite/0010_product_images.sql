-- A product's picture: the address the storefront shows, either one of the server's own stored
-- images ('/images/<sha256>.<jpg|png|webp>') or the shop's own https address. NULL: none.
ALTER TABLE products ADD COLUMN image_url TEXT;
