"""The core every other package stands on; it imports nothing of the project.

- `env`: reading one environment variable (errors name the variable).
- `settings`: the effective configuration (CRM credentials, warehouse, sandbox, extraction tunables).
- `runtime`: the app's run-time knobs (schedules, retries, as-of, BI login, quality thresholds).
- `paths`: where local state lives (`StatePaths`) and the project's own folders.
- `warehouse`: the PostgreSQL connection, embedded (pgserver) or configured.
- `raw`: the raw/raw_meta contract: sources, object lists, table names, DDL.
"""
