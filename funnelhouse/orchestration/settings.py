"""Orchestration settings read from the environment (so compose, `make run` and `make airflow` differ
only by configuration). Every value has a production-sensible default."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta

from funnelhouse.config import ConfigError, env_float, env_int

SOURCES = ("salesforce", "hubspot")

# Cron presets Airflow accepts besides a cron expression; "none" = only manual/API triggers.
_PRESETS = {"@once", "@continuous", "@hourly", "@daily", "@weekly", "@monthly", "@quarterly", "@yearly"}


def parse_schedule(name: str, raw: str | None, default: str) -> str | None:
    """A cron expression, an Airflow preset, or none/off (manual only). Validated here so a typo
    fails with the variable's name instead of an opaque DAG import error."""
    value = (raw if raw is not None else "").strip() or default
    if value.lower() in ("none", "off", "manual", "null"):
        return None
    if value.startswith("@"):
        if value not in _PRESETS:
            raise ConfigError(f"{name}: unknown preset {value!r}; use one of {sorted(_PRESETS)} or a cron expression")
        return value
    fields = value.split()
    if len(fields) not in (5, 6):
        raise ConfigError(f"{name}: {value!r} is not a cron expression (5 fields, e.g. '15 * * * *')")
    from croniter import croniter  # ships with Airflow; imported lazily to keep unit tests light

    if not croniter.is_valid(value):
        raise ConfigError(f"{name}: {value!r} is not a valid cron expression")
    return value


@dataclass(frozen=True)
class OrchestrationSettings:
    schedule: str | None = "@hourly"
    maintenance_schedule: str | None = "@weekly"
    retries: int = 3
    retry_delay: timedelta = timedelta(minutes=1)
    retry_backoff: float = 2.0  # delay doubles each try: 1, 2, 4 min ... capped at max_retry_delay
    max_retry_delay: timedelta = timedelta(minutes=30)
    # Parallel extract tasks per source within one run: keeps us inside the APIs' concurrency limits
    # (HubSpot private apps allow few concurrent requests; Salesforce has a concurrent long-request cap).
    extract_parallelism: dict[str, int] | None = None
    data_docs_retention_days: int = 30
    reports_retention_days: int = 30
    dagrun_timeout: timedelta = timedelta(hours=3)

    def parallelism(self, source: str) -> int:
        return (self.extract_parallelism or {}).get(source, 4)


def load_orchestration_settings() -> OrchestrationSettings:
    return OrchestrationSettings(
        schedule=parse_schedule("FUNNELHOUSE_SCHEDULE", os.environ.get("FUNNELHOUSE_SCHEDULE"), "@hourly"),
        maintenance_schedule=parse_schedule(
            "FUNNELHOUSE_MAINTENANCE_SCHEDULE", os.environ.get("FUNNELHOUSE_MAINTENANCE_SCHEDULE"), "@weekly"
        ),
        retries=env_int("FUNNELHOUSE_TASK_RETRIES", 3),
        retry_delay=timedelta(seconds=env_int("FUNNELHOUSE_RETRY_DELAY_SECONDS", 60, 1)),
        retry_backoff=env_float("FUNNELHOUSE_RETRY_BACKOFF", 2.0),
        max_retry_delay=timedelta(seconds=env_int("FUNNELHOUSE_MAX_RETRY_DELAY_SECONDS", 1800, 1)),
        extract_parallelism={
            "salesforce": env_int("FUNNELHOUSE_SALESFORCE_PARALLELISM", 4, 1),
            "hubspot": env_int("FUNNELHOUSE_HUBSPOT_PARALLELISM", 2, 1),
        },
        data_docs_retention_days=env_int("FUNNELHOUSE_DATA_DOCS_RETENTION_DAYS", 30, 1),
        reports_retention_days=env_int("FUNNELHOUSE_REPORTS_RETENTION_DAYS", 30, 1),
        dagrun_timeout=timedelta(minutes=env_int("FUNNELHOUSE_DAGRUN_TIMEOUT_MINUTES", 180, 1)),
    )


def default_args(settings: OrchestrationSettings) -> dict:
    """Task defaults shared by both DAGs: retries with exponential backoff and the failure callback."""
    from funnelhouse.orchestration.alerts import on_task_failure

    return {
        "owner": "data-platform",
        "retries": settings.retries,
        "retry_delay": settings.retry_delay,
        "retry_exponential_backoff": settings.retry_backoff,
        "max_retry_delay": settings.max_retry_delay,
        "on_failure_callback": on_task_failure,
    }
