"""Orchestration logic for the Airflow DAGs in `dags/`.

The DAG files only wire tasks together; everything a task does lives here so it can be unit-tested
without a scheduler and reused by the CLI. Nothing in this package imports Airflow at module level
except `callbacks` helpers that need it lazily, so importing it stays cheap for the dag-processor.
"""
