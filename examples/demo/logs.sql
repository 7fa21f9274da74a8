-- The log's schema. Applied with
--   dbrouter apply --model Log examples/demo/logs.sql
-- it lands on logs.db: per_model maps the Log model to the `logs` alias.
CREATE TABLE IF NOT EXISTS log (
  id      INTEGER PRIMARY KEY,
  level   TEXT NOT NULL CHECK (level IN ('debug', 'info', 'warn', 'error')),
  message TEXT NOT NULL
);
