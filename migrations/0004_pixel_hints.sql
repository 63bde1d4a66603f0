-- What a Shopify custom pixel reported for an order (visitor ids, consent). Never a delivery of its own: the
-- ingest consumer merges a hint into the signed webhook's events of the same order received within 24 h
-- (docs/platforms/shopify.md "Trust"). received_at in epoch milliseconds; the first report of an order is kept.
CREATE TABLE pixel_hints (
  order_id TEXT PRIMARY KEY,
  received_at INTEGER NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX pixel_hints_received ON pixel_hints (received_at);
