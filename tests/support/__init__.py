"""The test suite's one fixture library (docs/contributing-tests.md).

- `warehouse`: the session PostgreSQL, fresh and cloned databases, small query helpers.
- `raw`: raw and raw_meta tables built from the extractors' own DDL, and a loader for hand-made rows.
- `sandbox`: clients and `Settings` wired to running emulators.
- `worlds`: generated sandbox worlds, extracted and dbt-built once per (seed, people, mess) per session.
- `extract`: extractor test options and raw-layer snapshots.
- `compare`: cell-by-cell comparison of query results with an oracle, table digests and counts.
- `quality_warehouse`, `marts`: small contract-shaped warehouses for the quality and report tests.
- `airflow`, `airflow_cluster`: the real DAG under `airflow dags test`, and a Celery deployment.
- `chromium`: headless rendering of a local page with the network blocked.
"""
