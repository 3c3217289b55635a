"""`make bench`: run every benchmarks/bench_*.py in turn; each prints its own figures.

`python -m benchmarks extract dbt` runs only the named ones. A script runs once with no arguments
unless RUNS names its runs."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
# bench_extract: the loader's throughput, then the API calls of a 100k world's first and incremental
# extraction with every real-org knob on next to the same with the default mess (issue 15).
_FULL_100K = ["full", "--people", "100000", "--incremental-days", "1"]
RUNS: dict[str, list[list[str]]] = {
    "bench_extract": [["load"], [*_FULL_100K, "--mess", "heavy"], _FULL_100K],
}


def main(names: list[str]) -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    if names:
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in names]
    failed = []
    for script in scripts:
        for args in RUNS.get(script.stem, [[]]):
            name = " ".join([script.stem, *args])
            print(f"\n=== {name} ===", flush=True)
            started = time.monotonic()
            rc = subprocess.call([sys.executable, str(script), *args], cwd=HERE.parent)
            print(f"=== {name}: exit {rc} after {time.monotonic() - started:.0f}s ===", flush=True)
            if rc:
                failed.append(name)
    if failed:
        print("failed: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
