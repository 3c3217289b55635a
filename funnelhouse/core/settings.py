"""Effective configuration, read once from the environment (and a `.env` file if present).

Every part of Funnelhouse (CLI, DAG tasks, tests) gets its settings from `load_settings()`, so a
deployment is configured in one place. Secrets are held in `Secret` so they never print.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

from dotenv import load_dotenv

from funnelhouse.core.env import ConfigError, env_bool, env_float, env_int, env_raw, env_str
from funnelhouse.core.paths import PROJECT_ROOT, StatePaths, state_dir

DEFAULT_HUBSPOT_BASE_URL = "https://api.hubapi.com"

class Secret(str):
    """A string that never shows itself in repr/str formatting of containers or logs."""

    def __repr__(self) -> str:
        return "Secret('****')" if self else "Secret('')"

    def masked(self) -> str:
        return "****" if self else ""


@dataclass(frozen=True)
class SalesforceSettings:
    instance_url: str = ""
    access_token: Secret = Secret("")
    username: str = ""
    password: Secret = Secret("")
    security_token: Secret = Secret("")
    client_id: str = ""
    client_secret: Secret = Secret("")
    api_version: str = "59.0"
    domain: str = "login"
    ca_file: str = ""

    @property
    def configured(self) -> bool:
        return bool(self.access_token or self.username or self.client_id)


@dataclass(frozen=True)
class HubSpotSettings:
    access_token: Secret = Secret("")
    base_url: str = DEFAULT_HUBSPOT_BASE_URL

    @property
    def configured(self) -> bool:
        return bool(self.access_token)


@dataclass(frozen=True)
class SandboxSettings:
    seed: int = 42
    people: int = 5000
    dataset_dir: Path = PROJECT_ROOT / ".state" / "sandbox" / "world"


@dataclass(frozen=True)
class ExtractTunables:
    """The extraction knobs a deployment changes without code (docs/extraction.md)."""

    overlap: timedelta = timedelta(minutes=10)
    bulk_threshold: int = 50_000
    quota_share: float = 0.5
    reconcile_hours: float = 0.0
    flush_rows: int = 5000
    # HubSpot: every association is re-read at least once in this many hours (a rotating slice per run)
    association_refresh_hours: float = 24.0
    # HubSpot: ids still listed compared with the ids stored (GDPR deletes, purges) at most this often
    hubspot_reconcile_hours: float = 24.0
    # HubSpot search requests per second per token, shared by every process (0 = no shared limit)
    hubspot_search_rate: float = 4.0
    # Salesforce: formula fields (describe `calculated`) re-read at least this often (they change
    # without SystemModstamp moving); 0 = every run
    formula_refresh_hours: float = 24.0
    # Salesforce: query cursors one integration user may hold open at once, shared by every process
    # (Salesforce allows 10 and silently releases the oldest beyond that)
    sf_max_cursors: int = 8
    # Salesforce: the integration user's permission check (1 API call) is reused by every process of the
    # same org login for this many hours, so a DAG run's object tasks ask once (0 = every connection)
    permission_check_hours: float = 1.0


def load_extract_tunables() -> ExtractTunables:
    return ExtractTunables(
        overlap=timedelta(seconds=env_float("EXTRACT_OVERLAP_SECONDS", 600)),
        bulk_threshold=int(env_float("EXTRACT_BULK_THRESHOLD", 50_000)),
        quota_share=env_float("EXTRACT_SF_QUOTA_SHARE", 0.5),
        reconcile_hours=env_float("EXTRACT_RECONCILE_HOURS", 0.0),
        flush_rows=int(env_float("EXTRACT_FLUSH_ROWS", 5000)),
        association_refresh_hours=env_float("HUBSPOT_ASSOCIATION_REFRESH_HOURS", 24.0),
        hubspot_reconcile_hours=env_float("HUBSPOT_RECONCILE_HOURS", 24.0),
        hubspot_search_rate=env_float("HUBSPOT_SEARCH_RATE_LIMIT", 4.0),
        formula_refresh_hours=env_float("SALESFORCE_FORMULA_REFRESH_HOURS", 24.0),
        sf_max_cursors=max(1, env_int("EXTRACT_SF_MAX_CURSORS", 8)),
        permission_check_hours=env_float("SALESFORCE_PERMISSION_CHECK_HOURS", 1.0),
    )


def erase_vanished() -> bool:
    """FUNNELHOUSE_ERASE_VANISHED (default off): HubSpot contacts that vanished from the API (a GDPR
    delete, or an archived contact purged from the recycle bin 90 days later: deleted for good either
    way) are erased from the warehouse right after the contacts' extraction tombstones them
    (funnelhouse/erasure.py, docs/erasure.md). Read at call time."""
    return env_bool("FUNNELHOUSE_ERASE_VANISHED")


#: the settings naming extra objects to extract, per source (custom objects: configuration, not code)
EXTRA_OBJECTS_VARS = {"salesforce": "SALESFORCE_EXTRA_OBJECTS", "hubspot": "HUBSPOT_EXTRA_OBJECTS"}
_EXTRA_NAME = {"salesforce": re.compile(r"^[A-Za-z][A-Za-z0-9_]*$"),
               "hubspot": re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")}


def extra_objects(source: str) -> tuple[str, ...]:
    """SALESFORCE_EXTRA_OBJECTS (API names, e.g. `Invoice__c`) / HUBSPOT_EXTRA_OBJECTS (custom object
    type ids such as `2-4000001`, or their names): comma-separated, extracted like the built-in objects."""
    var = EXTRA_OBJECTS_VARS.get(source)
    if var is None:
        return ()
    names = [n.strip() for n in env_str(var).split(",") if n.strip()]
    for name in names:
        if not _EXTRA_NAME[source].match(name):
            raise ConfigError(f"{var}: {name!r} is not a {source} object name")
    return tuple(dict.fromkeys(names))


@dataclass(frozen=True)
class Settings:
    state_dir: Path
    warehouse_dsn: Secret = Secret("")
    warehouse_port: int = 0
    salesforce: SalesforceSettings = field(default_factory=SalesforceSettings)
    hubspot: HubSpotSettings = field(default_factory=HubSpotSettings)
    sandbox: SandboxSettings = field(default_factory=SandboxSettings)

    @property
    def paths(self) -> StatePaths:
        return StatePaths(self.state_dir)

    @property
    def embedded_warehouse(self) -> bool:
        return not self.warehouse_dsn

    @property
    def sandbox_mode(self) -> bool:
        """No CRM credentials at all: the pipeline serves the sandbox world to itself."""
        return not (self.salesforce.configured or self.hubspot.configured)

    def redacted(self) -> dict[str, object]:
        """The effective configuration with every secret masked, for `config show`."""
        out: dict[str, object] = {
            "state_dir": str(self.state_dir),
            "warehouse": "embedded (pgserver)" if self.embedded_warehouse else mask_dsn(self.warehouse_dsn),
            "mode": "sandbox" if self.sandbox_mode else "live",
        }
        for name, section in (("salesforce", self.salesforce), ("hubspot", self.hubspot)):
            for f in fields(section):
                value = getattr(section, f.name)
                out[f"{name}.{f.name}"] = value.masked() if isinstance(value, Secret) else str(value)
        if self.sandbox_mode:
            out["sandbox.seed"] = self.sandbox.seed
            out["sandbox.people"] = self.sandbox.people
            out["sandbox.dataset_dir"] = str(self.sandbox.dataset_dir)
        return out


def crm_env(salesforce: SalesforceSettings, hubspot: HubSpotSettings) -> dict[str, str]:
    """The SALESFORCE_* / HUBSPOT_* variables that `load_settings()` reads back as these settings
    (for a child process such as Airflow); fields left at their defaults are not written."""
    out: dict[str, str] = {}
    for prefix, section in (("SALESFORCE", salesforce), ("HUBSPOT", hubspot)):
        for f in fields(section):
            value = getattr(section, f.name)
            if value and value != f.default:
                out[f"{prefix}_{f.name.upper()}"] = str(value)
    return out


def mask_dsn(dsn: str) -> str:
    """postgresql://user:pw@host/db -> postgresql://user:****@host/db"""
    parsed = urlparse(dsn)
    if parsed.password:
        netloc = parsed.netloc.replace(f":{parsed.password}@", ":****@", 1)
        return parsed._replace(netloc=netloc).geturl()
    return dsn


def sandbox_dataset_dir() -> Path:
    """The sandbox world: SANDBOX_DATASET, else the one under the state dir (what `make run` serves)."""
    return StatePaths.from_env().sandbox_world


def load_sandbox_settings() -> SandboxSettings:
    """SANDBOX_SEED / SANDBOX_PEOPLE / SANDBOX_DATASET: the world `make run` generates and serves."""
    return SandboxSettings(seed=env_int("SANDBOX_SEED", 42), people=env_int("SANDBOX_PEOPLE", 5000),
                           dataset_dir=sandbox_dataset_dir())


def sandbox_token() -> str:
    """The bearer token `funnelhouse sandbox serve` accepts (SANDBOX_TOKEN)."""
    return env_str("SANDBOX_TOKEN") or "sandbox-token"


def _check_url(name: str, value: str, schemes: tuple[str, ...] = ("https", "http")) -> str:
    parsed = urlparse(value)
    if parsed.scheme not in schemes or not parsed.hostname:
        raise ConfigError(
            f"{name} must be a URL like https://example.my.salesforce.com, got {value!r}"
        )
    return value.rstrip("/")


def _check_token(name: str) -> Secret:
    """A token variable that is set but empty is a mistake, not 'no credentials'."""
    raw = env_raw(name)
    if raw is not None and not raw.strip():
        raise ConfigError(f"{name} is set but empty; unset it or give the token")
    return Secret(env_str(name))


def _check_dsn(value: str) -> Secret:
    if not value:
        return Secret("")
    parsed = urlparse(value)
    if parsed.scheme not in ("postgresql", "postgres", "postgresql+psycopg2"):
        raise ConfigError(
            "WAREHOUSE_DSN must be a PostgreSQL URL like postgresql://user:password@host:5432/db "
            f"(scheme {parsed.scheme!r} is not supported)"
        )
    return Secret(value)


def load_settings(env_file: Path | None = None) -> Settings:
    """Build the settings from the environment; raise ConfigError naming the bad setting."""
    load_dotenv(env_file or PROJECT_ROOT / ".env", override=False)
    root = state_dir()

    sf_access = _check_token("SALESFORCE_ACCESS_TOKEN")
    sf_instance = env_str("SALESFORCE_INSTANCE_URL")
    if sf_instance:
        sf_instance = _check_url("SALESFORCE_INSTANCE_URL", sf_instance)
    sf_client_id = env_str("SALESFORCE_CLIENT_ID")
    if (sf_access or sf_client_id) and not sf_instance:
        raise ConfigError("SALESFORCE_INSTANCE_URL is required with SALESFORCE_ACCESS_TOKEN or SALESFORCE_CLIENT_ID")
    salesforce = SalesforceSettings(
        instance_url=sf_instance,
        access_token=sf_access,
        username=env_str("SALESFORCE_USERNAME"),
        password=_check_token("SALESFORCE_PASSWORD"),
        security_token=Secret(env_str("SALESFORCE_SECURITY_TOKEN")),
        client_id=sf_client_id,
        client_secret=_check_token("SALESFORCE_CLIENT_SECRET"),
        api_version=env_str("SALESFORCE_API_VERSION", "59.0"),
        domain=env_str("SALESFORCE_DOMAIN", "login"),
        ca_file=env_str("SALESFORCE_CA_FILE"),
    )
    hubspot = HubSpotSettings(
        access_token=_check_token("HUBSPOT_ACCESS_TOKEN"),
        base_url=_check_url("HUBSPOT_BASE_URL", env_str("HUBSPOT_BASE_URL", DEFAULT_HUBSPOT_BASE_URL)),
    )
    sandbox = load_sandbox_settings()
    return Settings(
        state_dir=root,
        warehouse_dsn=_check_dsn(env_str("WAREHOUSE_DSN")),
        warehouse_port=env_int("FUNNELHOUSE_PG_PORT", 0),
        salesforce=salesforce,
        hubspot=hubspot,
        sandbox=sandbox,
    )
