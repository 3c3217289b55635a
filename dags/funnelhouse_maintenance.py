"""funnelhouse_maintenance: weekly hard-delete reconciliation, full refresh of incremental models,
re-validation of the marts and pruning of old Data Docs / run reports.

Waits for `crm_funnel_elt` to be idle first so the two DAGs never rebuild the same tables at once.
Schedule: FUNNELHOUSE_MAINTENANCE_SCHEDULE (default @weekly); retention:
FUNNELHOUSE_DATA_DOCS_RETENTION_DAYS / FUNNELHOUSE_REPORTS_RETENTION_DAYS (default 30 days).
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import dag, get_current_context, task

from funnelhouse.orchestration import maintenance, tasks
from funnelhouse.orchestration.alerts import on_dag_failure
from funnelhouse.orchestration.settings import SOURCES, default_args, load_orchestration_settings

SETTINGS = load_orchestration_settings()


@dag(
    dag_id="funnelhouse_maintenance",
    schedule=SETTINGS.maintenance_schedule,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(SETTINGS),
    on_failure_callback=on_dag_failure,
    tags=["funnelhouse", "maintenance"],
    doc_md=__doc__,
)
def funnelhouse_maintenance():
    # Reschedule-mode sensor semantics by hand: poll the ELT DAG's running runs through the Task SDK.
    @task(execution_timeout=timedelta(hours=2), retries=0)
    def wait_for_elt_idle() -> None:
        import time

        ti = get_current_context()["ti"]
        while ti.get_dr_count(dag_id="crm_funnel_elt", states=["running", "queued"]) > 0:
            time.sleep(30)

    @task(multiple_outputs=False)
    def prepare_run() -> dict:
        ctx = get_current_context()
        return tasks.prepare_run(dict(ctx.get("params") or {}), str(getattr(ctx["dag_run"], "run_type", "")))

    @task
    def plan_reconciliation(run_info: dict) -> list[dict]:
        return [{"source": source, "object_name": obj} for source in SOURCES
                if run_info["sources"][source]["enabled"] for obj in tasks.plan_source(source)]

    @task(map_index_template="{{ object_label }}", max_active_tis_per_dagrun=2, multiple_outputs=False)
    def reconcile(source: str, object_name: str) -> dict:
        get_current_context()["object_label"] = f"{source}.{object_name}"
        return maintenance.reconcile_object(source, object_name)

    @task(multiple_outputs=False)
    def full_refresh(run_info: dict) -> dict:
        return maintenance.full_refresh_incremental(run_info["as_of"])

    @task(multiple_outputs=False)
    def validate_marts() -> dict:
        return tasks.validate("marts", get_current_context()["run_id"])

    @task(multiple_outputs=False)
    def grant_bi() -> dict:
        return maintenance.grant_bi()

    @task(trigger_rule="all_done", multiple_outputs=False)
    def prune() -> dict:
        return maintenance.prune_artifacts(SETTINGS.data_docs_retention_days, SETTINGS.reports_retention_days)

    run_info = prepare_run()
    reconciled = reconcile.expand_kwargs(plan_reconciliation(run_info))
    refreshed = full_refresh(run_info)
    wait_for_elt_idle() >> run_info
    reconciled >> refreshed >> validate_marts() >> grant_bi() >> prune()


funnelhouse_maintenance()
