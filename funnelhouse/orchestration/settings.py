"""What both DAGs share: the sources they extract and the task defaults. The values come from the
core's run-time settings (`funnelhouse.core.runtime`), re-exported here for the DAG files, which
import only the orchestration package."""

from __future__ import annotations

from funnelhouse.core.raw import SOURCES as _SOURCES
from funnelhouse.core.runtime import OrchestrationSettings, load_orchestration_settings, parse_schedule
from funnelhouse.orchestration.alerts import on_task_failure
from funnelhouse.orchestration.connections import apply_connections
from funnelhouse.orchestration.lineage import start_task

SOURCES = tuple(_SOURCES)

__all__ = ["SOURCES", "OrchestrationSettings", "default_args", "load_orchestration_settings", "parse_schedule"]


def default_args(settings: OrchestrationSettings) -> dict:
    """Task defaults shared by both DAGs: retries with exponential backoff, the failure callback, and
    the CRM / warehouse credentials from Airflow connections (funnelhouse.orchestration.connections)."""
    return {
        "owner": "data-platform",
        "retries": settings.retries,
        "retry_delay": settings.retry_delay,
        "retry_exponential_backoff": settings.retry_backoff,
        "max_retry_delay": settings.max_retry_delay,
        "on_failure_callback": on_task_failure,
        # a fresh lineage collector, then the credentials of the Airflow connections
        "on_execute_callback": [start_task, apply_connections],
    }
