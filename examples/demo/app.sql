-- The application's schema. Applied with
--   dbrouter apply --model User examples/demo/app.sql
-- it runs on the write database of the User model (here: default), never
-- on a replica.
CREATE TABLE IF NOT EXISTS users (
  id     INTEGER PRIMARY KEY,
  name   TEXT NOT NULL UNIQUE,
  email  TEXT,
  karma  REAL NOT NULL DEFAULT 0,
  avatar BLOB
);
CREATE INDEX IF NOT EXISTS users_email ON users (email);
