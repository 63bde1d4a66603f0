-- Events are stored once (the key is the dedup), deliveries are one row per event × vendor, attempts log
-- every vendor call for the operator view. Times: *_at in epoch milliseconds, except events.occurred_at
-- (unix seconds, as the canonical event has it).
CREATE TABLE events (
  key TEXT PRIMARY KEY,
  order_id TEXT NOT NULL,
  status TEXT NOT NULL,
  occurred_at INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  source TEXT NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX events_order ON events (order_id, occurred_at);
CREATE INDEX events_received ON events (received_at);

CREATE TABLE deliveries (
  event_key TEXT NOT NULL REFERENCES events (key) ON DELETE CASCADE,
  vendor TEXT NOT NULL,
  order_id TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'retry', 'delivered', 'skipped', 'rejected', 'dead')),
  reason TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  claimed_until INTEGER,
  last_status INTEGER,
  last_detail TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  delivered_at INTEGER,
  PRIMARY KEY (event_key, vendor)
);
CREATE INDEX deliveries_order ON deliveries (order_id, vendor);
CREATE INDEX deliveries_due ON deliveries (state, vendor, next_attempt_at);
CREATE INDEX deliveries_updated ON deliveries (updated_at);

CREATE TABLE attempts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  event_key TEXT NOT NULL,
  vendor TEXT NOT NULL,
  at INTEGER NOT NULL,
  http_status INTEGER,
  outcome TEXT NOT NULL,
  detail TEXT,
  duration_ms INTEGER
);
CREATE INDEX attempts_delivery ON attempts (event_key, vendor, at);

-- A lease stops two flushes of a batched vendor (Yandex) from overlapping.
CREATE TABLE leases (
  name TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  until INTEGER NOT NULL
);
