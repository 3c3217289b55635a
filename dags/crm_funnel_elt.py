"""crm_funnel_elt: Salesforce + HubSpot -> raw -> GX (raw) -> dbt (one task per model) -> GX (marts) -> publish.

Beside the main line: `dbt source freshness` (after the raw checks) and the dbt docs site (after dbt).

Thin by design: the wiring lives here, what each task does lives in `funnelhouse.orchestration`.
Configuration is environment only (see docs/orchestration.md): FUNNELHOUSE_SCHEDULE (default hourly),
FUNNELHOUSE_TASK_RETRIES / FUNNELHOUSE_RETRY_DELAY_SECONDS (exponential backoff), per-source
parallelism, and the CRM / warehouse settings every other entry point reads.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Asset, Param, dag, get_current_context, task, task_group
from cosmos import DbtTaskGroup

from funnelhouse.orchestration import lineage, tasks
from funnelhouse.orchestration.alerts import on_dag_failure
from funnelhouse.orchestration.assets import mart_asset_uri
from funnelhouse.orchestration.dag_reuse import built_dag
from funnelhouse.orchestration.dbt_render import (
    cosmos_task_group_kwargs,
    load_manifest,
    mart_models,
    prepared_manifest,
    run_watchers_after_producer,
)
from funnelhouse.orchestration.settings import SOURCES, default_args, load_orchestration_settings

# Prepared before Airflow starts (make / the CLI / the image build): parsing this file runs no dbt.
MANIFEST = prepared_manifest()


def _build():
    settings = load_orchestration_settings()
    mart_assets = [Asset(mart_asset_uri(name)) for name in mart_models(load_manifest(MANIFEST))]

    @dag(
        dag_id="crm_funnel_elt",
        schedule=settings.schedule,
        start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
        catchup=False,
        max_active_runs=1,
        dagrun_timeout=settings.dagrun_timeout,
        default_args=default_args(settings),
        on_failure_callback=on_dag_failure,
        params={"as_of": Param(None, type=["null", "string"],
                               description="ISO-8601 as-of time for the marts (default: FUNNELHOUSE_AS_OF or now)")},
        tags=["funnelhouse", "elt"],
        doc_md=__doc__,
    )
    def crm_funnel_elt():
        # multiple_outputs=False on every task returning a dict: Airflow infers True from the `-> dict`
        # annotation and then also writes one XCom per key (18 more metadata-DB writes per extract task).
        @task(multiple_outputs=False)
        def prepare_run() -> dict:
            ctx = get_current_context()
            dag_run = ctx["dag_run"]
            return tasks.prepare_run(dict(ctx["params"]), str(getattr(dag_run, "run_type", "")),
                                     getattr(dag_run, "data_interval_end", None))

        run_info = prepare_run()

        extract_groups = []
        for source in SOURCES:

            @task_group(group_id=f"extract_{source}")
            def extract_source(source: str = source):
                @task(task_id="plan")
                def plan(source: str) -> list[str]:
                    from airflow.sdk.exceptions import AirflowSkipException

                    try:
                        return tasks.plan_source(source)
                    except tasks.SourceNotConfigured as exc:
                        # Skipped, not failed: a deployment may use only one CRM.
                        raise AirflowSkipException(str(exc)) from None

                @task(task_id="extract", map_index_template="{{ object_label }}",
                      max_active_tis_per_dagrun=settings.parallelism(source), multiple_outputs=False)
                def extract(object_name: str, source: str) -> dict:
                    get_current_context()["object_label"] = f"{source}.{object_name}"
                    summary = tasks.extract_object(source, object_name)
                    lineage.extract_lineage(source, object_name)  # OpenLineage: the raw table it loaded
                    return summary

                return extract.partial(source=source).expand(object_name=plan(source))

            extract_groups.append(extract_source())

        # Runs when at least one source extracted and none failed (a skipped source is fine).
        @task(trigger_rule="none_failed_min_one_success", multiple_outputs=False)
        def validate_raw() -> dict:
            # OpenLineage: the raw tables checked and the audit tables written, also when a check fails
            with lineage.reporting_quality() as report:
                return report(tasks.validate("raw", get_current_context()["run_id"]))

        dbt = DbtTaskGroup(group_id="dbt", **cosmos_task_group_kwargs(MANIFEST))

        @task(multiple_outputs=False)
        def validate_marts() -> dict:
            # the shadow marts (marts__next); a critical failure is decided (withheld) by `publish`
            with lineage.reporting_quality({"marts": "marts__next"}) as report:
                return report(tasks.validate("staging,marts", get_current_context()["run_id"], shadow=True,
                                             raise_critical=False))

        @task(multiple_outputs=False)
        def source_freshness(run_info: dict) -> dict:
            return tasks.source_freshness(get_current_context()["run_id"], run_info)

        @task(multiple_outputs=False)
        def dbt_docs(run_info: dict) -> dict:
            return tasks.build_dbt_docs(run_info)

        # all_done: a failed upstream task is recorded as a withheld publication (audit.publications)
        @task(outlets=mart_assets, trigger_rule="all_done", multiple_outputs=False)
        def publish() -> dict:
            ctx = get_current_context()
            ti = ctx["ti"]
            extracts = [ti.xcom_pull(task_ids=f"extract_{source}.extract") for source in SOURCES]
            checks = [ti.xcom_pull(task_ids=name) for name in ("validate_raw", "validate_marts")]
            return tasks.publish(ctx["run_id"], ti.xcom_pull(task_ids="prepare_run") or {}, checks,
                                 tasks.flatten_summaries(extracts))

        raw = validate_raw()
        marts = validate_marts()
        run_info >> extract_groups >> raw >> dbt >> marts
        run_watchers_after_producer(dbt)
        # warnings only (never withhold the marts): freshness of the raw data, the dbt docs site
        freshness = source_freshness(run_info)
        docs = dbt_docs(run_info)
        raw >> freshness
        dbt >> docs
        [freshness, docs, marts] >> publish()

    return crm_funnel_elt()


# A Celery task process gets the DAG its worker built from the same file, manifest and environment
# (dag_reuse.py); every other process builds it here.
crm_funnel_elt_dag = built_dag(__file__, _build, [MANIFEST])
