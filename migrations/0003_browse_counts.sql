-- Browse events (page, product, category and cart views sent to eSputnik) keep no row per event: only a counter
-- per UTC day (YYYY-MM-DD), event type and outcome, for the operator page. Rows older than RETENTION_DAYS are
-- deleted by the browse consumer.
CREATE TABLE browse_counts (
  day TEXT NOT NULL,
  type TEXT NOT NULL,
  outcome TEXT NOT NULL,
  n INTEGER NOT NULL,
  PRIMARY KEY (day, type, outcome)
);
