"""Fixtures for the orchestration tests: an isolated AIRFLOW_HOME and a dbt manifest shared by every
test that parses the DAGs (rendering it once costs a `dbt parse`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from funnelhouse.core.settings import PROJECT_ROOT

MINI_DBT = Path(__file__).parent / "mini_dbt"
VENV_BIN = Path(sys.executable).parent


@pytest.fixture(scope="session")
def manifest_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("dbt_manifest")


def airflow_base_env(home: Path, manifest_dir: Path, **extra: str) -> dict[str, str]:
    """Environment for Airflow subprocesses: own home, the project's DAGs, quiet, no telemetry."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW_", "AIRFLOW__", "PYTEST_"))}
    env.update({
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        # A cold manifest means `dbt parse` inside the first DAG import; on a loaded 2-core machine
        # that can exceed Airflow's default 30 s import timeout.
        "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "180",
        "FUNNELHOUSE_DBT_MANIFEST_DIR": str(manifest_dir),
        "GX_ANALYTICS_ENABLED": "False",
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        "PATH": str(VENV_BIN) + os.pathsep + os.environ.get("PATH", ""),
        "PYTHONPATH": str(PROJECT_ROOT),
    })
    env.update(extra)
    return env


def run_airflow(args: list[str], env: dict[str, str], timeout: float = 900, check: bool = True,
                log: Path | None = None) -> subprocess.CompletedProcess:
    out = open(log, "w") if log else subprocess.PIPE  # noqa: SIM115 - closed below
    try:
        result = subprocess.run([str(VENV_BIN / "airflow"), *args], env=env, stdout=out, stderr=subprocess.STDOUT,
                                text=True, timeout=timeout)
    finally:
        if log:
            out.close()
    if check and result.returncode != 0:
        text = log.read_text() if log else result.stdout
        raise AssertionError(f"airflow {' '.join(args)} exited {result.returncode}:\n{text[-6000:]}")
    return result
