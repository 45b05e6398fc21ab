"""The database: engine, per-request sessions, tables and migrations."""
