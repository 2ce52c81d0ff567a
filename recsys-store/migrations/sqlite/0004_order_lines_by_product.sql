-- "Bought together" reads the orders that contain a product: index order lines by product.
CREATE INDEX order_lines_product_idx ON order_lines (product_id, order_id);
