-- Delivery engine v2 (docs/design/delivery.md): integer ids in every key, rows sized for ~1 KB per order.
-- orders: the shop's order id once; `kp` only when the id's form in event keys differs from it
-- (event keys start with encodeURIComponent(order_id)).
CREATE TABLE orders (
  id INTEGER PRIMARY KEY,
  ref TEXT NOT NULL UNIQUE,
  kp TEXT
);

-- One row per event. `kind` is the event key without its order prefix (`paid`, `refunded:h1a2b…`; a key
-- that does not start with the prefix is kept whole behind `=`). `body` is the canonical event as JSON text,
-- or as a deflate-raw BLOB (written by the Worker).
CREATE TABLE order_events (
  order_no INTEGER NOT NULL,
  kind TEXT NOT NULL,
  status TEXT NOT NULL,
  occurred_at INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  source TEXT NOT NULL,
  body BLOB NOT NULL,
  PRIMARY KEY (order_no, kind)
) WITHOUT ROWID;

CREATE TABLE vendor_codes (
  code INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE
);
INSERT INTO vendor_codes (code, name) VALUES (1, 'mytracker'), (2, 'esputnik'), (3, 'ecomail'), (4, 'vtmarketing'),
  (5, 'yandex');

-- One row per event × vendor; the states and their transitions are src/worker/deliveries/state.ts.
-- due_at: when an open row may be claimed (NULL once final); claim / claim_until: the fencing token and
-- expiry of the running claim; http_status / detail: the latest answer (detail NULL after a success).
CREATE TABLE order_deliveries (
  order_no INTEGER NOT NULL,
  vendor INTEGER NOT NULL,
  kind TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'claimed', 'retry', 'delivered', 'skipped', 'rejected', 'dead')),
  reason TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  due_at INTEGER,
  claim INTEGER,
  claim_until INTEGER,
  http_status INTEGER,
  detail TEXT,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (order_no, vendor, kind)
) WITHOUT ROWID;
-- Open rows only (due_at is set exactly while a row is open): claims, the flush and the cron's re-enqueue. A row
-- leaves it when it becomes final; a claim changes neither column, so it writes no index entry.
CREATE INDEX order_deliveries_open ON order_deliveries (vendor, due_at) WHERE due_at IS NOT NULL;
-- Failed rows only (/health, the dashboard's failures): empty on the happy path.
CREATE INDEX order_deliveries_failed ON order_deliveries (updated_at) WHERE state IN ('retry', 'rejected', 'dead');

-- Vendor calls the delivery row does not show, for the order ledger: every failed call, and a success that a
-- forced replay is about to overwrite. A delivery's latest success is its row (time, HTTP status).
CREATE TABLE call_log (
  order_no INTEGER NOT NULL,
  vendor INTEGER NOT NULL,
  kind TEXT NOT NULL,
  at INTEGER NOT NULL,
  http_status INTEGER,
  outcome TEXT NOT NULL,
  detail TEXT,
  duration_ms INTEGER
);
CREATE INDEX call_log_order ON call_log (order_no);

-- locks: one holder at a time (the batched vendor's flush); marks: when something last happened.
CREATE TABLE locks (
  name TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  until INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE marks (
  name TEXT PRIMARY KEY,
  at INTEGER NOT NULL
) WITHOUT ROWID;

-- Rows written by 0001_init.sql move over; their bodies stay JSON text.
INSERT INTO orders (ref, kp)
SELECT order_id, CASE WHEN prefix = order_id THEN NULL ELSE prefix END
FROM (SELECT order_id, substr(key, 1, instr(key, ':') - 1) AS prefix FROM events GROUP BY order_id);

INSERT INTO order_events (order_no, kind, status, occurred_at, received_at, source, body)
SELECT o.id,
  CASE WHEN instr(e.key, ':') > 0 AND substr(e.key, 1, instr(e.key, ':') - 1) = coalesce(o.kp, o.ref)
    THEN substr(e.key, instr(e.key, ':') + 1) ELSE '=' || e.key END,
  e.status, e.occurred_at, e.received_at, e.source, e.body
FROM events e JOIN orders o ON o.ref = e.order_id;

INSERT INTO order_deliveries (order_no, vendor, kind, state, reason, attempts, due_at, http_status, detail, updated_at)
SELECT o.id, v.code,
  CASE WHEN instr(d.event_key, ':') > 0 AND substr(d.event_key, 1, instr(d.event_key, ':') - 1) = coalesce(o.kp, o.ref)
    THEN substr(d.event_key, instr(d.event_key, ':') + 1) ELSE '=' || d.event_key END,
  d.state, d.reason, d.attempts,
  CASE WHEN d.state IN ('pending', 'retry') THEN d.next_attempt_at END,
  d.last_status, CASE WHEN d.state = 'delivered' THEN NULL ELSE d.last_detail END, d.updated_at
FROM deliveries d JOIN orders o ON o.ref = d.order_id JOIN vendor_codes v ON v.name = d.vendor;

INSERT INTO call_log (order_no, vendor, kind, at, http_status, outcome, detail, duration_ms)
SELECT d.order_no, d.vendor, d.kind, a.at, a.http_status, a.outcome, a.detail, a.duration_ms
FROM attempts a JOIN deliveries od ON od.event_key = a.event_key AND od.vendor = a.vendor
JOIN orders o ON o.ref = od.order_id
JOIN vendor_codes v ON v.name = a.vendor
JOIN order_deliveries d ON d.order_no = o.id AND d.vendor = v.code
  AND coalesce(o.kp, o.ref) || ':' || d.kind = a.event_key
WHERE a.outcome != 'delivered';

INSERT INTO marks (name, at) SELECT name, until FROM leases WHERE name LIKE 'last-flush:%';

DROP TABLE attempts;
DROP TABLE deliveries;
DROP TABLE events;
DROP TABLE leases;

-- Readable views with the old column names, for the operator's `wrangler d1 execute` and the read models.
CREATE VIEW events AS
SELECT CASE WHEN substr(e.kind, 1, 1) = '=' THEN substr(e.kind, 2) ELSE coalesce(o.kp, o.ref) || ':' || e.kind END AS key,
  o.ref AS order_id, e.status, e.occurred_at, e.received_at, e.source, e.order_no, e.kind
FROM order_events e JOIN orders o ON o.id = e.order_no;

CREATE VIEW deliveries AS
SELECT CASE WHEN substr(d.kind, 1, 1) = '=' THEN substr(d.kind, 2) ELSE coalesce(o.kp, o.ref) || ':' || d.kind END
    AS event_key,
  v.name AS vendor, o.ref AS order_id, d.state, d.reason, d.attempts,
  coalesce(d.due_at, d.updated_at) AS next_attempt_at,
  CASE WHEN d.state = 'claimed' THEN d.claim_until END AS claimed_until,
  d.http_status AS last_status, d.detail AS last_detail, d.updated_at,
  CASE WHEN d.state = 'delivered' THEN d.updated_at END AS delivered_at,
  e.received_at AS created_at, d.claim, d.order_no, d.vendor AS vendor_code, d.kind
FROM order_deliveries d JOIN orders o ON o.id = d.order_no JOIN vendor_codes v ON v.code = d.vendor
LEFT JOIN order_events e ON e.order_no = d.order_no AND e.kind = d.kind;

CREATE VIEW attempts AS
SELECT CASE WHEN substr(a.kind, 1, 1) = '=' THEN substr(a.kind, 2) ELSE coalesce(o.kp, o.ref) || ':' || a.kind END AS event_key,
  v.name AS vendor, o.ref AS order_id, a.at, a.http_status, a.outcome, a.detail, a.duration_ms
FROM call_log a JOIN orders o ON o.id = a.order_no JOIN vendor_codes v ON v.code = a.vendor
UNION ALL
SELECT CASE WHEN substr(d.kind, 1, 1) = '=' THEN substr(d.kind, 2) ELSE coalesce(o.kp, o.ref) || ':' || d.kind END,
  v.name, o.ref, d.updated_at, d.http_status, 'delivered', NULL, NULL
FROM order_deliveries d JOIN orders o ON o.id = d.order_no JOIN vendor_codes v ON v.code = d.vendor
WHERE d.state = 'delivered';
