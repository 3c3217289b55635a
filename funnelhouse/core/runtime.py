"""The app's run-time knobs read from the environment (so compose, `make run` and `make airflow`
differ only by configuration): schedules and retries of the DAGs, the run's as-of time, the BI login,
the quality layer's row-count thresholds. Every value has a production-sensible default."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from funnelhouse.core.env import ConfigError, env_float, env_int, env_raw, env_str

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
        schedule=parse_schedule("FUNNELHOUSE_SCHEDULE", env_raw("FUNNELHOUSE_SCHEDULE"), "@hourly"),
        maintenance_schedule=parse_schedule(
            "FUNNELHOUSE_MAINTENANCE_SCHEDULE", env_raw("FUNNELHOUSE_MAINTENANCE_SCHEDULE"), "@weekly"
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


AS_OF_VAR = "FUNNELHOUSE_AS_OF"


def as_of_override() -> str:
    """FUNNELHOUSE_AS_OF: the as-of time every model of a run uses (the sandbox clock under `make run`)."""
    return env_str(AS_OF_VAR)


def worker_name() -> str:
    """FUNNELHOUSE_WORKER_NAME: the hostname a worker reports to Airflow ('' = the machine's FQDN)."""
    return env_str("FUNNELHOUSE_WORKER_NAME")


def asset_warehouse() -> str:
    """FUNNELHOUSE_ASSET_WAREHOUSE: the warehouse authority in mart Asset URIs ('' = from the DSN)."""
    return env_str("FUNNELHOUSE_ASSET_WAREHOUSE")


def warehouse_dsn() -> str:
    """WAREHOUSE_DSN as set, unchecked (for names that must not fail, like Asset URIs at DAG parse)."""
    return env_str("WAREHOUSE_DSN")


def bi_login() -> tuple[str, str]:
    """(FUNNELHOUSE_BI_USER, FUNNELHOUSE_BI_PASSWORD): the optional BI login user."""
    return env_str("FUNNELHOUSE_BI_USER"), env_raw("FUNNELHOUSE_BI_PASSWORD") or ""


@dataclass(frozen=True)
class QualityThresholds:
    row_drop: float = 0.5    # -50 % rows against the last run -> warning
    row_growth: float = 2.0  # +200 % -> warning


def load_quality_thresholds() -> QualityThresholds:
    return QualityThresholds(row_drop=env_float("FUNNELHOUSE_QUALITY_ROW_DROP", 0.5),
                             row_growth=env_float("FUNNELHOUSE_QUALITY_ROW_GROWTH", 2.0))
