"""DAG benchmark (`python benchmarks/bench_dag.py`), in one run on the default world:

1. the DAG (`funnelhouse run`: `airflow dags test crm_funnel_elt`, dbt in Cosmos watcher mode) against
   the same steps run directly (`funnelhouse extract`, `funnelhouse quality --layer raw`, `funnelhouse
   dbt build`, `funnelhouse dbt source freshness`, `funnelhouse quality --layer staging,marts`,
   `funnelhouse dbt docs generate`), each in a fresh state folder of its own (own warehouse, same
   deterministic world), first run and incremental second run, with the ratio; goal <= 1.3x;
2. the parse-time cost: `dbt parse` (paid once per project change, by make / the CLI / the image
   build) and parsing the DAG files in a fresh interpreter, as the dag-processor and every task do.
Figures are printed, not asserted. `--parse-only` skips part 1; BENCH_DAG_KEEP=<folder> keeps the state
folders (Airflow's metadata DB, run logs) there instead of a temporary folder."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PARSE = r"""
import json, sys, time
t0 = time.perf_counter()
from airflow.dag_processing.dagbag import DagBag
t1 = time.perf_counter()
bag = DagBag(dag_folder=sys.argv[1])
t2 = time.perf_counter()
stats = {s.file.rsplit('/', 1)[-1]: s.duration.total_seconds() for s in bag.dagbag_stats}
print("RESULT" + json.dumps({"import_airflow": t1 - t0, "dagbag": t2 - t1, "files": stats,
      "tasks": {d: len(bag.dags[d].tasks) for d in bag.dags}, "errors": list(bag.import_errors)}))
"""


DIRECT_STEPS = (
    ["extract", "--quiet"],
    ["quality", "--layer", "raw", "--no-docs"],
    ["dbt", "build"],
    ["dbt", "source", "freshness"],
    ["quality", "--layer", "staging,marts"],
    ["dbt", "docs", "generate"],
)


def _timed(cmd: list[str], env: dict[str, str], log) -> float:
    started = time.perf_counter()
    rc = subprocess.call(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    took = time.perf_counter() - started
    if rc != 0:
        raise SystemExit(f"{' '.join(cmd[1:])} exited {rc} (log: {log.name})")
    return took


def _stop_warehouse(env: dict[str, str], log) -> None:
    subprocess.call([str(Path(sys.executable).with_name("funnelhouse")), "warehouse", "stop"], env=env,
                    stdout=log, stderr=subprocess.STDOUT)


def dag_vs_direct(work: Path) -> dict[str, float]:
    """The two paths interleaved (dag, direct first runs; then direct, dag incremental runs): a drift in
    this machine's speed (these VMs share hosts) then weighs on both sides of each ratio alike."""
    cli = str(Path(sys.executable).with_name("funnelhouse"))
    figures: dict[str, float] = {}
    envs = {path: {**os.environ, "FUNNELHOUSE_STATE_DIR": str(work / path)} for path in ("dag", "direct")}
    logs = {path: open(work / f"{path}.log", "w") for path in envs}  # noqa: SIM115 - closed below
    try:
        for attempt, order in (("first", ("dag", "direct")), ("incremental", ("direct", "dag"))):
            for path in order:
                env, log = envs[path], logs[path]
                if path == "dag":
                    took = _timed([cli, "run"], env, log)
                else:
                    took = sum(_timed([cli, *step], env, log) for step in DIRECT_STEPS)
                figures[f"{path}_{attempt}"] = took
                print(f"{path:6s} {attempt:11s} {took:6.1f}s", flush=True)
    finally:
        for path, log in logs.items():
            _stop_warehouse(envs[path], log)
            log.close()
    for attempt in ("first", "incremental"):
        ratio = figures[f"dag_{attempt}"] / figures[f"direct_{attempt}"]
        print(f"DAG / direct, {attempt} run: {figures[f'dag_{attempt}']:.1f}s / "
              f"{figures[f'direct_{attempt}']:.1f}s = {ratio:.2f}x (goal <= 1.3x)", flush=True)
    return figures


def main(repeats: int = 3, parse_only: bool = False) -> None:
    if not parse_only:
        if keep := os.environ.get("BENCH_DAG_KEEP"):  # a folder to keep both state folders (and logs) in
            Path(keep).mkdir(parents=True, exist_ok=True)
            dag_vs_direct(Path(keep))
        else:
            with tempfile.TemporaryDirectory(prefix="bench_dag_") as work:
                dag_vs_direct(Path(work))
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "AIRFLOW_HOME": str(Path(tmp) / "home"), "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
               "FUNNELHOUSE_DBT_MANIFEST_DIR": str(Path(tmp) / "manifest"), "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
               "AIRFLOW__LOGGING__LOGGING_LEVEL": "ERROR"}
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "from funnelhouse.orchestration.dbt_render import ensure_manifest; "
                        "ensure_manifest()"], env=env, check=True, capture_output=True)
        manifest = time.perf_counter() - started
        runs = []
        for _ in range(repeats):
            out = subprocess.run([sys.executable, "-c", PARSE, str(ROOT / "dags")], env=env, capture_output=True,
                                 text=True, check=True).stdout
            runs.append(json.loads(next(x for x in out.splitlines() if x.startswith("RESULT"))[6:]))
    print(f"dbt parse -> manifest (once per dbt project change): {manifest:.2f}s")
    print(f"import airflow (fresh interpreter): {statistics.median(r['import_airflow'] for r in runs):.2f}s")
    for name in runs[0]["files"]:
        print(f"parse {name}: median {statistics.median(r['files'][name] for r in runs):.3f}s over {repeats} runs")
    print(f"tasks per DAG: {runs[0]['tasks']}; import errors: {runs[0]['errors'] or 'none'}")


if __name__ == "__main__":
    main(parse_only="--parse-only" in sys.argv)
