"""DAG parse-time benchmark (`python benchmarks/bench_dag.py`): the cost of rendering the dbt graph
(`dbt parse`, paid once per project change) and of parsing the DAG files in a fresh interpreter, as
the dag-processor and every task process do. Figures are printed, not asserted."""

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


def main(repeats: int = 3) -> None:
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
    main()
