"""Both DAG files import without errors, have the expected shape, and parse fast (measured)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from funnelhouse.core.settings import PROJECT_ROOT
from funnelhouse.orchestration.dbt_render import ensure_manifest, load_manifest, mart_models
from tests.support.airflow import airflow_base_env

PARSE_SCRIPT = r"""
import json, sys, time
t0 = time.perf_counter()
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=sys.argv[1])
total = time.perf_counter() - t0
out = {"errors": {k: v[-3000:] for k, v in bag.import_errors.items()}, "total_seconds": total,
       "file_seconds": {s.file.rsplit("/", 1)[-1]: s.duration.total_seconds() if hasattr(s.duration, "total_seconds")
                        else float(s.duration) for s in bag.dagbag_stats}, "dags": {}}
for dag_id, dag in bag.dags.items():
    out["dags"][dag_id] = {
        "tasks": {t.task_id: {"upstream": sorted(t.upstream_task_ids), "downstream": sorted(t.downstream_task_ids),
                              "retries": t.retries, "backoff": t.retry_exponential_backoff,
                              "outlets": [getattr(o, "uri", str(o)) for o in t.outlets],
                              "trigger_rule": getattr(t.trigger_rule, "value", str(t.trigger_rule)),
                              "callback": bool(t.on_failure_callback),
                              "emit_datasets": getattr(t, "emit_datasets", None),
                              "operator": type(t).__name__, "has_tests": getattr(t, "has_tests", None),
                              "multiple_outputs": getattr(t, "multiple_outputs", False)}
                  for t in dag.tasks},
        "max_active_runs": dag.max_active_runs, "catchup": dag.catchup,
        "schedule": str(getattr(dag, "schedule", None)), "has_failure_callback": bool(dag.on_failure_callback),
    }
print("RESULT" + json.dumps(out))
"""


@pytest.fixture(scope="module")
def parsed(manifest_dir: Path, tmp_path_factory) -> dict:
    """Parse dags/ in a fresh interpreter (as the dag-processor does) with a warm manifest cache."""
    env = airflow_base_env(tmp_path_factory.mktemp("af_home"), manifest_dir)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "from funnelhouse.orchestration.dbt_render import ensure_manifest as e;"
                    "e()"], env=env, check=True, capture_output=True, timeout=600)
    cold_manifest = time.perf_counter() - started
    result = subprocess.run([sys.executable, "-c", PARSE_SCRIPT, str(PROJECT_ROOT / "dags")], env=env,
                            capture_output=True, text=True, timeout=600)
    line = next((x for x in result.stdout.splitlines() if x.startswith("RESULT")), None)
    assert line, result.stdout[-3000:] + result.stderr[-3000:]
    data = json.loads(line[len("RESULT"):])
    data["manifest_seconds"] = cold_manifest
    print(f"\nDAG parse: manifest (dbt parse, once per project change) {cold_manifest:.1f}s; "
          f"fresh interpreter DagBag {data['total_seconds']:.2f}s; per file {data['file_seconds']}")
    return data


def test_no_import_errors(parsed) -> None:
    assert parsed["errors"] == {}
    assert set(parsed["dags"]) == {"crm_funnel_elt", "funnelhouse_maintenance"}


def test_parse_is_fast(parsed) -> None:
    # The dag-processor re-parses every 30 s by default; rendering from the cached manifest keeps the
    # file well under Airflow's 30 s dagbag_import_timeout even on a loaded 2-core machine.
    assert parsed["file_seconds"]["crm_funnel_elt.py"] < 10


def test_elt_shape(parsed, manifest_dir: Path) -> None:
    dag = parsed["dags"]["crm_funnel_elt"]
    tasks = dag["tasks"]
    assert dag["max_active_runs"] == 1 and dag["catchup"] is False and dag["has_failure_callback"]
    assert "@hourly" in dag["schedule"] or "0 * * * *" in dag["schedule"]
    for task_id in ("prepare_run", "extract_salesforce.plan", "extract_salesforce.extract", "extract_hubspot.plan",
                    "extract_hubspot.extract", "validate_raw", "validate_marts", "publish"):
        assert task_id in tasks, task_id
    manifest = load_manifest(ensure_manifest(out_dir=manifest_dir))
    dbt_tasks = {t for t in tasks if t.startswith("dbt.")}
    # Watcher mode: one `dbt build` (the producer), then one light task per model and seed (`<node>_build`)
    # that reports the node's status and its tests' (and, retried, runs `dbt build` for that node alone).
    producer = "dbt.dbt_producer_watcher"
    assert producer in dbt_tasks and tasks[producer]["upstream"] == ["validate_raw"]
    assert tasks[producer]["operator"] == "FastProducer", "the producer reports only what the node tasks read"
    nodes = [n for n in manifest["nodes"].values()
             if n["resource_type"] in ("model", "seed") and n["package_name"] == "funnelhouse"]
    tested = {p for n in manifest["nodes"].values() if n["resource_type"] == "test" for p in n["depends_on"]["nodes"]}
    watchers = {f"dbt.{n['name']}_build": n for n in nodes}
    assert dbt_tasks == {producer, "dbt.dbt_producer_watcher_done", *watchers}, "one task per model and seed"
    assert all(tasks[t]["operator"] == ("ModelBuildWatcher" if n["resource_type"] == "model" else "SeedBuildWatcher")
               and tasks[t]["has_tests"] is (n["unique_id"] in tested) for t, n in watchers.items())
    assert sum(n["unique_id"] in tested for n in nodes) > 50, "most nodes have tests their task reports"
    # Every watcher runs after the producer (`airflow dags test` runs one task at a time): the first ones
    # directly, also gated by raw validation; every dbt leaf gates mart validation.
    first = [t for t in dbt_tasks if t != producer and producer in tasks[t]["upstream"]]
    assert first and all("validate_raw" in tasks[t]["upstream"] for t in first if not t.endswith("_done"))
    assert all(tasks[t]["trigger_rule"] == "all_done_min_one_success" for t in first if not t.endswith("_done"))
    roots = [t for t in dbt_tasks if not any(u.startswith("dbt.") for u in tasks[t]["upstream"])]
    assert roots == [producer]
    leaves = [t for t in dbt_tasks if not any(d.startswith("dbt.") for d in tasks[t]["downstream"])]
    assert leaves and all("validate_marts" in tasks[t]["downstream"] for t in leaves)
    assert "validate_marts" in tasks["publish"]["upstream"]
    assert set(tasks["validate_raw"]["upstream"]) == {"extract_salesforce.extract", "extract_hubspot.extract"}
    assert tasks["validate_raw"]["trigger_rule"].endswith("none_failed_min_one_success")
    # Retries with exponential backoff and the failure callback on every task.
    # (the producer does not retry: a retried producer only skips; its watchers retry per model)
    assert all(t["retries"] >= 1 and t["backoff"] and t["callback"] for k, t in tasks.items()
               if k not in (producer, "dbt.dbt_producer_watcher_done"))
    assert tasks[producer]["retries"] == 0 and tasks[producer]["callback"]
    # No dbt task emits an Asset event (the shadow marts are not the contract's): only `publish` does.
    assert all(tasks[t]["emit_datasets"] is False for t in dbt_tasks if t != "dbt.dbt_producer_watcher_done")
    marts = mart_models(manifest)
    assert marts and sorted(u.rsplit("/", 1)[-1] for u in tasks["publish"]["outlets"]) == marts
    assert all(u.startswith("postgres://") and "/marts/" in u for u in tasks["publish"]["outlets"])


def test_no_task_writes_an_xcom_per_returned_key(parsed) -> None:
    # A `-> dict` TaskFlow task infers multiple_outputs=True: one more XCom write per key of its result
    # (18 per extract task: ~10 ms each in `airflow dags test`). Nothing reads the keys one by one.
    inferred = [f"{d}.{t}" for d, dag in parsed["dags"].items() for t, task in dag["tasks"].items()
                if task["multiple_outputs"]]
    assert inferred == []


def test_maintenance_shape(parsed) -> None:
    dag = parsed["dags"]["funnelhouse_maintenance"]
    tasks = dag["tasks"]
    assert dag["max_active_runs"] == 1 and "@weekly" in dag["schedule"]
    assert set(tasks) == {"wait_for_elt_idle", "prepare_run", "plan_reconciliation", "reconcile", "full_refresh",
                          "validate_marts", "grant_bi", "prune"}
    assert tasks["full_refresh"]["upstream"] == ["prepare_run", "reconcile"]
    assert tasks["prune"]["trigger_rule"].endswith("all_done")


def test_exposures_declare_dashboards_on_marts_only(manifest_dir: Path) -> None:
    manifest = load_manifest(ensure_manifest(out_dir=manifest_dir))
    exposures = manifest["exposures"]
    assert len(exposures) >= 4 and all(e["type"] == "dashboard" for e in exposures.values())
    marts = set(mart_models(manifest))
    for exposure in exposures.values():
        names = {n.rsplit(".", 1)[-1] for n in exposure["depends_on"]["nodes"]}
        assert names and names <= marts, f"{exposure['name']} reads non-mart models {names - marts}"


# Parse dags/ recording every subprocess and dbtRunner invocation made while parsing.
GUARDED_PARSE = r"""
import json, subprocess, sys
calls = []
_popen_init = subprocess.Popen.__init__
def _record(self, args, *a, **k):
    calls.append([str(x) for x in (args if isinstance(args, (list, tuple)) else [args])])
    return _popen_init(self, args, *a, **k)
subprocess.Popen.__init__ = _record
from dbt.cli.main import dbtRunner
_invoke = dbtRunner.invoke
def _invoke_guard(self, args, **k):
    calls.append(["dbtRunner", *map(str, args)])
    return _invoke(self, args, **k)
dbtRunner.invoke = _invoke_guard
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=sys.argv[1])
print("RESULT" + json.dumps({"errors": bag.import_errors, "dags": sorted(bag.dags), "calls": calls}))
"""


def _guarded_parse(env: dict[str, str]) -> dict:
    result = subprocess.run([sys.executable, "-c", GUARDED_PARSE, str(PROJECT_ROOT / "dags")], env=env,
                            capture_output=True, text=True, timeout=600)
    line = next((x for x in result.stdout.splitlines() if x.startswith("RESULT")), None)
    assert line, result.stdout[-3000:] + result.stderr[-3000:]
    return json.loads(line[len("RESULT"):])


def test_parse_without_a_prepared_manifest_fails_in_one_clear_line(tmp_path: Path) -> None:
    env = airflow_base_env(tmp_path / "af_home", tmp_path / "no_manifest")
    parsed = _guarded_parse(env)
    assert parsed["dags"] == ["funnelhouse_maintenance"]  # the other DAG file is unaffected
    [(path, error)] = parsed["errors"].items()
    assert path.endswith("crm_funnel_elt.py")
    last = error.strip().splitlines()[-1]
    missing = tmp_path / "no_manifest" / "manifest.json"
    assert last == (f"funnelhouse.orchestration.dbt_render.ManifestMissing: dbt manifest not prepared: {missing} "
                    "does not exist; run `make manifest` (or `funnelhouse manifest`) before starting Airflow")
    assert not (tmp_path / "no_manifest").exists()  # nothing was parsed or created on the way
    assert not [c for c in parsed["calls"] if any("dbt" in part for part in c)]


def test_parse_with_a_prepared_manifest_runs_no_dbt(parsed, manifest_dir: Path, tmp_path: Path) -> None:
    # (`parsed` prepared the manifest in manifest_dir, as make / the CLI / the image build do)
    parsed_again = _guarded_parse(airflow_base_env(tmp_path / "af_home", manifest_dir))
    assert parsed_again["errors"] == {} and parsed_again["dags"] == ["crm_funnel_elt", "funnelhouse_maintenance"]
    # (the standard library may run `file -b python` for platform.architecture(); no dbt, in any form)
    assert not [c for c in parsed_again["calls"] if any("dbt" in part for part in c)], parsed_again["calls"]
