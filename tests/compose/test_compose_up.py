"""`docker compose up` of the real deployment, on this machine: docker.io + docker-compose from apt, a
Docker daemon without a bridge network (started here when none runs, stopped at the end), the images
built locally from Debian packages (scripts/build_local_images.sh: no registry is needed), and
docker-compose.yml + docker-compose.hostnet.yml with every service on host networking, listening on
127.0.0.1 only, at ports away from the usual ones. `crm_funnel_elt` (the real dbt project, Celery) is
triggered through the REST API (/api/v2, JWT from /auth/token) against the sandbox CRM service; the
marts hold rows, `bi_reader` reads them and nothing else, no secret is in any service or task log.
Everything is torn down (containers and volumes; the images stay cached). Compose tier: only
`make compose-test` collects it (tests/conftest.py). Figures go to .state/test-logs/compose/timings.json."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import tarfile
import time
from urllib.parse import quote

import psycopg
import pytest

from funnelhouse.core.settings import PROJECT_ROOT
from tests.compose.docker_stack import (
    DockerUnavailable,
    Stack,
    build_images,
    docker_cli,
    docker_daemon,
    ensure_packages,
    mask,
    wait_port,
)
from tests.support.airflow_cluster import Cluster

LOG_DIR = PROJECT_ROOT / ".state" / "test-logs" / "compose"
PROJECT = "fhcomposetest"
# Every listener of the stack, on 127.0.0.1 (docker-compose.hostnet.yml reads these variables).
PORTS = {
    "FH_API_PORT": 18080, "FH_PG_PORT": 15432, "FH_WAREHOUSE_PORT": 15433, "FH_REDIS_PORT": 16379,
    "FH_SANDBOX_SF_PORT": 18443, "FH_SANDBOX_HS_PORT": 18444, "FH_WORKER_LOG_PORT": 18793,
    "FH_TRIGGER_LOG_PORT": 18794, "FH_SCHED_HEALTH_PORT": 18974, "FH_FLOWER_PORT": 15555,
}
PEOPLE = int(os.environ.get("COMPOSE_TEST_PEOPLE", "1000"))
HEALTHY = ("postgres", "warehouse", "redis", "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor",
           "airflow-triggerer", "airflow-worker")
# Services whose logs may carry a secret by design: the sandbox prints the token it accepts, the
# api-server the generated admin password (docs/orchestration.md § Deploy).
PRINTS_ITS_SECRET = {"sandbox", "airflow-apiserver"}


def _port_free(port: int) -> bool:
    """Nothing listens on 127.0.0.1:port (connections of a stopped stack in TIME_WAIT do not count)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


@pytest.fixture(scope="module")
def docker_host():
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    try:
        ensure_packages(LOG_DIR / "apt.log")
        with docker_daemon(LOG_DIR / "dockerd.log") as daemon:
            yield daemon.host
    except DockerUnavailable as exc:
        pytest.skip(f"Docker unavailable: {exc}")


@pytest.mark.timeout(5400)
def test_compose_up_runs_the_dag_on_loopback(docker_host: str) -> None:
    started = time.monotonic()
    timings: dict[str, float | str] = {}
    busy = [f"{name}={port}" for name, port in PORTS.items() if not _port_free(port)]
    assert not busy, f"ports of the stack already in use on 127.0.0.1: {busy} (set the variables to others)"
    # Secrets of this run: random, passed to the stack through the environment, never printed.
    secret = {name: secrets.token_urlsafe(18) for name in
              ("SANDBOX_TOKEN", "WAREHOUSE_PASSWORD", "FUNNELHOUSE_BI_PASSWORD", "AIRFLOW__API_AUTH__JWT_SECRET")}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SALESFORCE_", "HUBSPOT_", "AIRFLOW", "FH_"))}
    env.update(DOCKER_HOST=docker_host, DOCKER=docker_cli())

    t0 = time.monotonic()
    images = build_images(env, LOG_DIR / "images.log")
    timings["image_build_s"] = round(time.monotonic() - t0, 1)
    sizes = subprocess.run([docker_cli(), "image", "ls", "--format", "{{.Repository}}:{{.Tag}} {{.Size}}"],
                           env=env, capture_output=True, text=True).stdout.split("\n")
    timings["image_sizes"] = "; ".join(s for s in sizes if s.startswith("funnelhouse/"))

    ca_file = "/opt/airflow/state/sandbox/world/.tls/ca.pem"
    env.update({**images, **{k: str(v) for k, v in PORTS.items()}, **secret},
               AIRFLOW_UID="50000", FUNNELHOUSE_SCHEDULE="none", FUNNELHOUSE_MAINTENANCE_SCHEDULE="none",
               FUNNELHOUSE_TASK_RETRIES="0", SANDBOX_PEOPLE=str(PEOPLE), SANDBOX_SEED="42",
               FUNNELHOUSE_BI_USER="bi_compose",
               # The extractors talk to the sandbox service like to the real CRMs.
               SALESFORCE_INSTANCE_URL=f"https://127.0.0.1:{PORTS['FH_SANDBOX_SF_PORT']}",
               SALESFORCE_ACCESS_TOKEN=secret["SANDBOX_TOKEN"], SALESFORCE_CA_FILE=ca_file,
               HUBSPOT_BASE_URL=f"http://127.0.0.1:{PORTS['FH_SANDBOX_HS_PORT']}",
               HUBSPOT_ACCESS_TOKEN=secret["SANDBOX_TOKEN"])
    stack = Stack(PROJECT, env, LOG_DIR, secrets=tuple(secret.values()), profiles=("sandbox",))
    (LOG_DIR / "compose.log").write_text("")
    stack.down()  # whatever an interrupted earlier run left
    keep = False
    try:
        # No bridge: the override gives every service the host's network namespace.
        config = stack.run("config")
        assert config.count("network_mode: host") == len(stack.run("config", "--services").split()), config
        t0 = time.monotonic()
        stack.run("up", "-d", timeout=1200)
        stack.wait_healthy(HEALTHY, timeout=900)
        timings["compose_up_to_healthy_s"] = round(time.monotonic() - t0, 1)
        for name, info in stack.containers().items():
            assert info["HostConfig"]["NetworkMode"] == "host", name
        _run_dag(stack, env, timings)
        _check_marts(env)
        stack.save_logs()
        _check_no_secret_in_logs(stack, secret)
    except BaseException:
        stack.save_logs()
        _save_failed_expectations(env)
        if os.environ.get("COMPOSE_TEST_KEEP_STACK") == "1":  # for whoever debugs a red run by hand
            print(f"\nCOMPOSE_TEST_KEEP_STACK=1: stack {PROJECT} left running on {docker_host}")
            keep = True
        raise
    finally:
        t0 = time.monotonic()
        if not keep:
            stack.down()
        timings["teardown_s"] = round(time.monotonic() - t0, 1)
        left = stack.docker("ps", "-aq", "--filter", f"label=com.docker.compose.project={PROJECT}").stdout.split()
        timings["total_s"] = round(time.monotonic() - started, 1)
        (LOG_DIR / "timings.json").write_text(json.dumps(timings, indent=2))
        print(f"\ncompose test figures: {json.dumps(timings)}")
    assert not left, f"containers left after docker compose down: {left}"


def _admin_password(stack: Stack) -> str:
    """The simple auth manager's generated password, read inside the api-server container."""
    deadline = time.monotonic() + 120
    while True:
        out = stack.docker("exec", stack.container("airflow-apiserver"), "cat",
                           "/opt/airflow/simple_auth_manager_passwords.json.generated")
        if out.returncode == 0:
            password = json.loads(out.stdout)["admin"]
            stack.secrets += (password,)  # printed by the api-server by design: masked in saved logs
            return password
        assert time.monotonic() < deadline, "the api-server wrote no generated password file"
        time.sleep(3)


def _run_dag(stack: Stack, env: dict[str, str], timings: dict) -> None:
    for port in ("FH_SANDBOX_SF_PORT", "FH_SANDBOX_HS_PORT"):
        wait_port(int(env[port]), timeout=600)
    world = json.loads(stack.docker("exec", stack.container("sandbox"), "cat",
                                    "/opt/airflow/state/sandbox/world/world.json").stdout)
    # The stack's api-server, reached like the loopback Celery cluster's (no processes of ours to watch).
    api = Cluster(f"http://127.0.0.1:{env['FH_API_PORT']}", _admin_password(stack), LOG_DIR)
    dag = api.wait_for_dag("crm_funnel_elt", timeout=600)
    assert dag["dag_id"] == "crm_funnel_elt"
    assert api.request("GET", "/api/v2/importErrors")["total_entries"] == 0
    t0 = time.monotonic()
    state = api.trigger_and_wait("crm_funnel_elt", timeout=3600, conf={"as_of": world["clock"]})
    timings["dag_run_s"] = round(time.monotonic() - t0, 1)
    run_id = state["dag_run_id"]
    tis = api.task_instances("crm_funnel_elt", run_id)
    timings["task_instances"] = len(tis)
    timings["sandbox_people"] = world.get("people", PEOPLE)
    bad = [(t["task_id"], t["map_index"], t["state"]) for t in tis if t["state"] not in ("success", "skipped")]
    failed = [t for t in tis if t["state"] == "failed"]
    first_log = ""
    for t in failed[:5]:  # their logs, masked, for whoever reads the failure
        path = (f"/api/v2/dags/crm_funnel_elt/dagRuns/{quote(run_id)}/taskInstances/{quote(t['task_id'])}"
                f"/logs/{max(1, t['try_number'])}?full_content=true&map_index={t['map_index']}")
        try:
            text = json.dumps(api.request("GET", path), indent=1)
        except OSError as exc:
            text = f"log not readable: {exc}"
        text = mask(text, stack.secrets)
        (LOG_DIR / f"task-{t['task_id']}.log").write_text(text)
        first_log = first_log or text[-4000:]
    assert state["state"] == "success" and not bad, \
        f"run {state['state']}: {len(bad)} tasks not successful, failed: {[t['task_id'] for t in failed]}; " \
        f"first failed task's log (in {LOG_DIR}):\n{first_log}"


def _check_marts(env: dict[str, str]) -> None:
    port = env["FH_WAREHOUSE_PORT"]
    owner = f"postgresql://funnelhouse:{quote(env['WAREHOUSE_PASSWORD'])}@127.0.0.1:{port}/funnelhouse"
    with psycopg.connect(owner) as conn:
        tables = [r[0] for r in conn.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' order by 1")]
        counts = {t: conn.execute(f'select count(*) from marts."{t}"').fetchone()[0] for t in tables}
    assert len(tables) >= 10, tables
    for core in ("funnel_conversion", "fct_opportunities", "win_rates"):
        assert counts.get(core, 0) > 0, f"marts.{core} is empty or missing: {counts}"
    assert sum(1 for c in counts.values() if c > 0) >= len(tables) - 2, counts
    bi = f"postgresql://bi_compose:{quote(env['FUNNELHOUSE_BI_PASSWORD'])}@127.0.0.1:{port}/funnelhouse"
    with psycopg.connect(bi) as conn:
        member = conn.execute("select pg_has_role(current_user, 'bi_reader', 'member')").fetchone()[0]
        assert member, "the BI login is not a member of bi_reader"
        for t in tables:
            assert conn.execute(f'select count(*) from marts."{t}"').fetchone()[0] == counts[t], t
    with psycopg.connect(bi) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("select count(*) from raw_salesforce.lead")
    with psycopg.connect(bi) as conn, pytest.raises(
            (psycopg.errors.InsufficientPrivilege, psycopg.errors.ReadOnlySqlTransaction)):
        conn.execute(f'delete from marts."{tables[0]}"')


def _save_failed_expectations(env: dict[str, str]) -> None:
    """The failed expectations the warehouse's audit recorded (no personal data: names, kwargs, the
    non-personal sample the audit keeps), for whoever reads a withheld publication."""
    port = env["FH_WAREHOUSE_PORT"]
    owner = f"postgresql://funnelhouse:{quote(env['WAREHOUSE_PASSWORD'])}@127.0.0.1:{port}/funnelhouse"
    try:
        with psycopg.connect(owner, connect_timeout=10) as conn:
            rows = conn.execute(
                """select run_id, suite, asset, expectation_type, severity, observed_value, unexpected_count,
                          unexpected_sample, kwargs, exception
                   from audit.expectation_results where not success order by id""").fetchall()
    except psycopg.Error as exc:
        rows = [("audit not readable", str(exc))]
    (LOG_DIR / "failed-expectations.json").write_text(json.dumps(rows, indent=1, default=str))


def _check_no_secret_in_logs(stack: Stack, secret: dict[str, str]) -> None:
    """No secret in the logs of the Airflow components, nor in any task log (the worker's log folder)."""
    found = []
    services = [s for s in stack.containers() if s not in PRINTS_ITS_SECRET]
    for service in services:
        text = stack.docker("logs", stack.container(service), timeout=120)
        blob = text.stdout + text.stderr
        found += [f"{service}: {name}" for name, value in secret.items() if value.encode() in blob]
    archive = LOG_DIR / "task-logs.tar"
    out = stack.docker("cp", f"{stack.container('airflow-worker')}:/opt/airflow/logs", "-", timeout=300)
    archive.write_bytes(out.stdout)
    scanned = 0
    with tarfile.open(archive) as tar:
        for member in tar:
            if member.isfile():
                data = tar.extractfile(member).read()
                scanned += 1
                found += [f"{member.name}: {name}" for name, value in secret.items() if value.encode() in data]
    archive.unlink()
    assert scanned > 10, f"only {scanned} task log files found"
    assert not found, f"secrets in logs: {found}"
