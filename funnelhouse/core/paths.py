"""Where things live: the project's own folders and the local state folder's layout.

Every folder under the state dir is named here once (`StatePaths`), so the CLI, the DAG tasks, the
run summary and the tests agree on where the warehouse, the sandbox world, Airflow's home, logs,
reports and Data Docs are.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from funnelhouse.core.env import env_str

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DAGS_DIR = PROJECT_ROOT / "dags"
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"


def state_dir() -> Path:
    """Where local state lives: FUNNELHOUSE_STATE_DIR, else `.state` in the project."""
    return Path(env_str("FUNNELHOUSE_STATE_DIR") or PROJECT_ROOT / ".state").resolve()


def dbt_project_dir() -> Path:
    """The dbt project: FUNNELHOUSE_DBT_PROJECT_DIR (a deployment's copy), else the repo's."""
    return Path(env_str("FUNNELHOUSE_DBT_PROJECT_DIR") or DBT_PROJECT_DIR).resolve()


@dataclass(frozen=True)
class StatePaths:
    """The state folder's layout. Overridable folders read their variable when asked."""

    root: Path

    @classmethod
    def from_env(cls) -> StatePaths:
        return cls(state_dir())

    @property
    def pg(self) -> Path:
        """The embedded PostgreSQL cluster: pgdata/, the port file, and the 0600 password files
        `password` (the pipeline's role) and `bi_password` (the BI login), funnelhouse/core/warehouse_auth.py."""
        return self.root / "pg"

    @property
    def sandbox_world(self) -> Path:
        """The sandbox world `make run` serves: SANDBOX_DATASET, else the one in the state dir."""
        return Path(env_str("SANDBOX_DATASET") or self.root / "sandbox" / "world").resolve()

    @property
    def airflow_home(self) -> Path:
        """AIRFLOW_HOME of `make run` (`airflow dags test`)."""
        return self.root / "airflow"

    @property
    def airflow_ui_home(self) -> Path:
        """AIRFLOW_HOME of `make airflow` (the local scheduler + UI), kept apart from `make run`'s."""
        return self.root / "airflow-ui"

    @property
    def cosmos_cache(self) -> Path:
        return self.root / "cosmos_cache"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def reports(self) -> Path:
        """Run reports, one folder per DAG run plus `latest`: FUNNELHOUSE_REPORTS_DIR overrides."""
        return Path(env_str("FUNNELHOUSE_REPORTS_DIR") or self.root / "reports")

    @property
    def latest_report(self) -> Path:
        return self.reports / "latest" / "index.html"

    @property
    def quality_runs(self) -> Path:
        """GX's working folder per validation run."""
        return self.root / "quality" / "runs"

    @property
    def data_docs(self) -> Path:
        """Data Docs: `runs/<validation run id>/` per run and `latest/`."""
        return self.root / "quality" / "data_docs"

    @property
    def latest_data_docs(self) -> Path:
        return self.data_docs / "latest" / "index.html"

    @property
    def dbt_manifest(self) -> Path:
        """The parsed dbt manifest the DAG renders: FUNNELHOUSE_DBT_MANIFEST_DIR overrides."""
        return Path(env_str("FUNNELHOUSE_DBT_MANIFEST_DIR") or self.root / "dbt" / "manifest")

    @property
    def dbt_freshness(self) -> Path:
        """`dbt source freshness` of the DAG runs: its target folder (sources.json of the last run)."""
        return self.root / "dbt" / "freshness"

    @property
    def dbt_docs(self) -> Path:
        """The dbt docs site: `index.html` (self-contained, offline) and dbt's target folder."""
        return self.root / "dbt_docs"
