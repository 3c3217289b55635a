"""A real Airflow deployment on loopback, as docker-compose.yml runs it but without containers:
PostgreSQL metadata DB, Redis broker, api-server, scheduler, dag-processor and N Celery workers.
Every process is started here and stopped (by its process group) on exit."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from tests.support.airflow import VENV_BIN, run_airflow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Cluster:
    api: str
    password: str
    logs: Path
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    _token: str | None = None

    def request(self, method: str, path: str, body: dict | None = None) -> dict:
        if self._token is None:
            self._token = self._login()
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(f"{self.api}{path}", data=data, method=method,
                                     headers={"Authorization": f"Bearer {self._token}",
                                              "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as response:
            return json.loads(response.read() or b"{}")

    def _login(self) -> str:
        req = urllib.request.Request(f"{self.api}/auth/token", method="POST",
                                     data=json.dumps({"username": "admin", "password": self.password}).encode(),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as response:
            return json.loads(response.read())["access_token"]

    def check_alive(self) -> None:
        dead = {name: p.returncode for name, p in self.processes.items() if p.poll() is not None}
        if dead:
            tails = {n: (self.logs / f"{n}.log").read_text(errors="replace")[-3000:] for n in dead}
            raise RuntimeError(f"Airflow components exited: {dead}\n{tails}")

    def wait_for_dag(self, dag_id: str, timeout: float = 300) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                return self.request("GET", f"/api/v2/dags/{dag_id}")
            except urllib.error.HTTPError as exc:
                if exc.code != 404:
                    raise
            time.sleep(3)
        errors = self.request("GET", "/api/v2/importErrors")
        raise TimeoutError(f"DAG {dag_id} not parsed within {timeout}s; import errors: {errors}")

    def trigger_and_wait(self, dag_id: str, timeout: float = 1200, conf: dict | None = None) -> dict:
        self.request("PATCH", f"/api/v2/dags/{dag_id}", {"is_paused": False})
        run = self.request("POST", f"/api/v2/dags/{dag_id}/dagRuns", {"logical_date": None, "conf": conf or {}})
        run_id = run["dag_run_id"]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            state = self.request("GET", f"/api/v2/dags/{dag_id}/dagRuns/{quote(run_id)}")
            if state["state"] in ("success", "failed"):
                return state
            time.sleep(5)
        raise TimeoutError(f"run {run_id} did not finish within {timeout}s")

    def cpu_seconds(self) -> dict[str, float]:
        """CPU time used so far by each component with its processes (for a worker: the pool and the
        task processes it forked, reaped ones included through their parents' children times)."""
        import psutil

        used: dict[str, float] = {}
        for name, process in self.processes.items():
            total = 0.0
            try:
                root = psutil.Process(process.pid)
                for p in [root, *root.children(recursive=True)]:
                    with contextlib.suppress(psutil.Error):
                        t = p.cpu_times()
                        total += t.user + t.system + t.children_user + t.children_system
            except psutil.Error:
                pass
            used[name] = total
        return used

    def task_instances(self, dag_id: str, run_id: str) -> list[dict]:
        tis: list[dict] = []
        while True:  # the API caps a page at 100 entries (maximum_page_limit), whatever `limit` asks
            page = self.request("GET", f"/api/v2/dags/{dag_id}/dagRuns/{quote(run_id)}/taskInstances"
                                       f"?limit=100&offset={len(tis)}")
            tis += page["task_instances"]
            if not page["task_instances"] or len(tis) >= page["total_entries"]:
                return tis


def _spawn(name: str, args: list[str], env: dict[str, str], logs: Path) -> subprocess.Popen:
    log = open(logs / f"{name}.log", "wb")  # noqa: SIM115 - handed to the child, closed by the OS at exit
    return subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def _stop(processes: dict[str, subprocess.Popen]) -> None:
    # Workers first (warm shutdown), then the rest; each component and its children by process group.
    order = sorted(processes, key=lambda n: (not n.startswith("worker"), n))
    for name in order:
        p = processes[name]
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    deadline = time.monotonic() + 45
    for name in order:
        p = processes[name]
        try:
            p.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


@contextmanager
def celery_cluster(base_env: dict[str, str], metadata_dsn: str, logs: Path, workers: int = 2,
                   concurrency: int = 2):
    redis = shutil.which("redis-server")
    assert redis, "redis-server is not installed (make system-deps)"
    logs.mkdir(parents=True, exist_ok=True)
    redis_port, api_port = free_port(), free_port()
    meta = metadata_dsn.replace("postgresql://", "postgresql+psycopg2://", 1)
    env = dict(base_env)
    env.update({
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": meta,
        "AIRFLOW__CELERY__BROKER_URL": f"redis://127.0.0.1:{redis_port}/0",
        "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + metadata_dsn,
        "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(concurrency),
        # as docker-compose.yml: the worker imports the DAGs' libraries once, before it forks per task
        "AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS": "funnelhouse.orchestration.celery_config.CELERY_CONFIG",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
        "AIRFLOW__API__PORT": str(api_port),
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API_AUTH__JWT_SECRET": "test-jwt-secret-not-for-production",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        "AIRFLOW__CORE__HOSTNAME_CALLABLE": "funnelhouse.orchestration.hostname.worker_hostname",
        "AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL": "5",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
        "FUNNELHOUSE_SCHEDULE": "none",
        "FUNNELHOUSE_MAINTENANCE_SCHEDULE": "none",
    })
    with ExitStack() as stack:
        processes: dict[str, subprocess.Popen] = {}
        stack.callback(_stop, processes)
        processes["redis"] = _spawn("redis", [redis, "--port", str(redis_port), "--bind", "127.0.0.1",
                                              "--save", "", "--appendonly", "no"], env, logs)
        run_airflow(["db", "migrate"], env, timeout=600, log=logs / "db_migrate.log")
        airflow = str(VENV_BIN / "airflow")
        processes["api-server"] = _spawn("api-server", [airflow, "api-server"], {**env, "FUNNELHOUSE_WORKER_NAME":
                                                                                 "api-server"}, logs)
        processes["scheduler"] = _spawn("scheduler", [airflow, "scheduler"], env, logs)
        processes["dag-processor"] = _spawn("dag-processor", [airflow, "dag-processor"], env, logs)
        for i in range(workers):
            name = f"worker-{chr(ord('a') + i)}"
            wenv = {**env, "FUNNELHOUSE_WORKER_NAME": name,
                    # Each worker serves its task logs on its own port (the default 8793 would clash).
                    "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port())}
            processes[name] = _spawn(name, [airflow, "celery", "worker", "--celery-hostname", f"{name}@%h"],
                                     wenv, logs)
        api = f"http://127.0.0.1:{api_port}"
        deadline = time.monotonic() + 240
        password = None
        while time.monotonic() < deadline:
            if processes["api-server"].poll() is not None:
                raise RuntimeError((logs / "api-server.log").read_text(errors="replace")[-4000:])
            pw_file = Path(env["AIRFLOW_HOME"]) / "simple_auth_manager_passwords.json.generated"
            try:
                urllib.request.urlopen(f"{api}/api/v2/monitor/health", timeout=5).read()
                if pw_file.exists():
                    password = json.loads(pw_file.read_text())["admin"]
                    break
            except OSError:
                pass
            time.sleep(2)
        assert password, "api-server did not come up"
        yield Cluster(api, password, logs, processes)
