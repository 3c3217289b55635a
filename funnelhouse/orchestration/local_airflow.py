"""`make airflow`: a real Airflow (`airflow standalone`: api-server, scheduler, dag-processor and
triggerer with the LocalExecutor) on the embedded warehouse, for machines without Docker.

In sandbox mode this process also serves the sandbox CRM, exactly as `make run` does, so the DAG
triggered from the UI extracts from it. The DAG is unscheduled here by default (manual triggers
only, FUNNELHOUSE_SCHEDULE overrides) so opening the UI does not start runs by itself.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from funnelhouse.core import warehouse
from funnelhouse.core.env import env_str
from funnelhouse.core.settings import Settings, load_settings
from funnelhouse.orchestration.airflow_env import airflow_env
from funnelhouse.orchestration.dbt_render import ensure_manifest
from sandbox.serving import serve_world


@dataclass
class LocalAirflow:
    url: str
    username: str
    password: str
    home: Path
    process: subprocess.Popen
    log_file: Path


def standalone_env(settings: Settings, dsn: str, port: int, host: str = "127.0.0.1",
                   home: Path | None = None) -> dict[str, str]:
    env = airflow_env(settings, dsn)
    home = home or settings.paths.airflow_ui_home
    home.mkdir(parents=True, exist_ok=True)
    env.update({
        # A home of its own: `make run` (airflow dags test) may run while the UI is open, and two
        # processes writing one SQLite metadata DB lock each other out.
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__HOST": host,
        "AIRFLOW__API__BASE_URL": f"http://{host}:{port}",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
        # The first parse after a dbt model change includes `dbt parse` (seconds to tens of seconds).
        "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": os.environ.get("AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT", "180"),
        "AIRFLOW__LOGGING__LOGGING_LEVEL": os.environ.get("AIRFLOW__LOGGING__LOGGING_LEVEL", "INFO"),
        "FUNNELHOUSE_SCHEDULE": env_str("FUNNELHOUSE_SCHEDULE") or "none",
        "FUNNELHOUSE_MAINTENANCE_SCHEDULE": env_str("FUNNELHOUSE_MAINTENANCE_SCHEDULE") or "none",
    })
    return env


def _wait_healthy(url: str, process: subprocess.Popen, log_file: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = "\n".join(log_file.read_text(errors="replace").splitlines()[-30:])
            raise RuntimeError(f"airflow standalone exited with {process.returncode}:\n{tail}")
        try:
            with urllib.request.urlopen(f"{url}/api/v2/monitor/health", timeout=5) as response:
                health = json.loads(response.read())
            if all(health.get(k, {}).get("status") == "healthy" for k in ("metadatabase", "scheduler")):
                return
        except (OSError, ValueError):
            pass
        time.sleep(2)
    raise TimeoutError(f"Airflow did not become healthy within {timeout:.0f}s (log: {log_file})")


def _password(home: Path, username: str, timeout: float = 60) -> str:
    path = home / "simple_auth_manager_passwords.json.generated"
    deadline = time.monotonic() + timeout
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(1)
    return json.loads(path.read_text())[username]


@contextmanager
def launch(settings: Settings, port: int = 8080, host: str = "127.0.0.1", home: Path | None = None,
           extra_env: dict[str, str] | None = None, timeout: float = 300):
    """Start the warehouse, the sandbox (in sandbox mode) and `airflow standalone`; stop them on exit."""
    dsn = warehouse.ensure_running(settings)
    env = standalone_env(settings, dsn, port, host, home)
    ensure_manifest()  # render the dbt graph now, not inside the dag-processor's import timeout
    with ExitStack() as stack:
        if settings.sandbox_mode:
            servers = stack.enter_context(serve_world(settings))
            env.update(servers.crm_env())
        env.update(extra_env or {})
        airflow_home = Path(env["AIRFLOW_HOME"])
        log_file = airflow_home / "standalone.log"
        airflow = str(Path(sys.executable).parent / "airflow")
        with open(log_file, "ab") as log:
            # Own process group: stopping it stops the scheduler, api-server, workers... standalone spawned.
            process = subprocess.Popen([airflow, "standalone"], env=env, stdout=log, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        try:
            url = f"http://{host}:{port}"
            _wait_healthy(url, process, log_file, timeout)
            yield LocalAirflow(url, "admin", _password(airflow_home, "admin"), airflow_home, process, log_file)
        finally:
            _stop(process)


def _stop(process: subprocess.Popen, grace: float = 30) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def main(port: int = 8080, host: str = "127.0.0.1") -> int:
    settings = load_settings()
    print("starting Airflow (standalone) on the embedded warehouse; this takes a minute...", flush=True)
    with launch(settings, port=port, host=host) as af:
        print(f"\nAirflow UI:  {af.url}\nuser:        {af.username}\npassword:    {af.password}\n"
              f"logs:        {af.log_file}\nDAGs: crm_funnel_elt (trigger it from the UI), funnelhouse_maintenance\n"
              "Ctrl-C stops Airflow (and the sandbox CRM in sandbox mode).", flush=True)
        try:
            while af.process.poll() is None:
                time.sleep(1)
        except KeyboardInterrupt:
            print("stopping Airflow...", flush=True)
    return 0
