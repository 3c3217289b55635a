"""The environment of an Airflow CLI process the project starts (`make run`'s `airflow dags test`,
`make airflow`'s standalone): a project-local AIRFLOW_HOME, the project's DAGs, the warehouse."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from funnelhouse.core.paths import DAGS_DIR, PROJECT_ROOT
from funnelhouse.core.settings import Settings


def airflow_env(settings: Settings, dsn: str | None) -> dict[str, str]:
    """Environment for the Airflow CLI: a project-local AIRFLOW_HOME and the project's DAGs (and the
    warehouse, unless `dsn` is None: `airflow db migrate` needs none)."""
    home = settings.paths.airflow_home
    home.mkdir(parents=True, exist_ok=True)
    venv_bin = str(Path(sys.executable).parent)
    env = dict(os.environ)
    env.update({
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_DIR),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": env.get("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING"),
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        # The watcher producer never retries (dbt_render.run_watchers_after_producer), so the per-node
        # Airflow Variable backup of its reports (one metadata-DB write per dbt node) buys nothing.
        "AIRFLOW__COSMOS__ENABLE_WATCHER_RELIABLE_RETRY": "False",
        "AIRFLOW__COSMOS__CACHE_DIR": str(settings.paths.cosmos_cache),
        # The first import may parse the dbt project; give it more than Airflow's 30 s default.
        "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": env.get("AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT", "180"),
        # A one-off `dags test` should fail fast: scheduled deployments keep their retries.
        "FUNNELHOUSE_TASK_RETRIES": env.get("FUNNELHOUSE_TASK_RETRIES", "0"),
        "GX_ANALYTICS_ENABLED": "False",
        "DO_NOT_TRACK": "1",
        "FUNNELHOUSE_STATE_DIR": str(settings.state_dir),
        "PATH": venv_bin + os.pathsep + env.get("PATH", ""),
        "PYTHONPATH": str(PROJECT_ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
    })
    if dsn is not None:
        env["WAREHOUSE_DSN"] = dsn
    return env
